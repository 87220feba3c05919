#!/bin/sh
# spaces-cpu.sh: what confidential spaces cost a reader: the server's CPU per request (from
# /proc, so what else the machine runs does not count) for searches, a department list and
# a customer 360, on N pages in one space (A) and the same number spread over three spaces
# the reader may all read (B: the wiki, finance, legal, each restricted to a group). The two
# run side by side, interleaved, ROUNDS times; the medians and their ratio B/A are printed.
#   sh bench/spaces-cpu.sh            N=10000 ROUNDS=5 DURATION=5s
set -eu
cd "$(dirname "$0")/.."
KENNIS=${KENNIS:-./kennis}
N=${N:-10000}
ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-5s}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/kennis-spaces-bench.XXXXXX")
trap 'for p in $(cat "$TMP"/*.pid 2>/dev/null); do kill "$p" 2>/dev/null; done; rm -rf "$TMP"' EXIT

adduser() { echo "pw-$2-secret" | "$KENNIS" user add --data "$1" --role "$3" "$2" >/dev/null; }

# A: N pages in the wiki.
"$KENNIS" init "$TMP/a" >/dev/null
sh bench/gencorpus.sh "$N" "$TMP/a/wiki.git" "$TMP/urls-a.txt" >/dev/null
adduser "$TMP/a" admin admin
adduser "$TMP/a" b reader
# B: a third in each of three spaces; b reads all of them through groups.
third=$((N / 3))
"$KENNIS" init "$TMP/b" >/dev/null
adduser "$TMP/b" admin admin
adduser "$TMP/b" b reader
"$KENNIS" group add --data "$TMP/b" fin b >/dev/null
"$KENNIS" group add --data "$TMP/b" leg b >/dev/null
"$KENNIS" space add --data "$TMP/b" finance --read @fin --write admins >/dev/null
"$KENNIS" space add --data "$TMP/b" legal --read @leg --write admins >/dev/null
sh bench/gencorpus.sh $((N - 2 * third)) "$TMP/b/wiki.git" "$TMP/urls-b.txt" >/dev/null
sh bench/gencorpus.sh "$third" "$TMP/b/spaces/finance.git" "$TMP/urls-b2.txt" >/dev/null
sh bench/gencorpus.sh "$third" "$TMP/b/spaces/legal.git" "$TMP/urls-b3.txt" >/dev/null
for d in a b; do "$KENNIS" reindex --data "$TMP/$d" >/dev/null; done

# The requests: 200 search words from the pages, a big department, customer 360s.
awk 'NR <= 40 { sub(/^\/wiki\//, ""); print $0 ".md" }' "$TMP/urls-a.txt" |
	while read -r p; do git -C "$TMP/a/wiki.git" show "main:$p" 2>/dev/null; done |
	tr -cs 'A-Za-z' '\n' | awk 'length($0) >= 5 { print tolower($0) }' | sort -u | head -n 200 |
	sed 's|^|/search?q=|' >"$TMP/search.txt"
echo /department/Finance >"$TMP/department.txt"
seq 1 97 200 | awk '{ printf "/customer/Customer-%05d\n", $1 }' >"$TMP/customer.txt"
seq 1 37 3000 | awk '{ printf "/customer/Customer-%05d\n", $1 }' >>"$TMP/customer.txt"

start() { # DIR -> port; the session cookie of b in $TMP/DIR.cookie
	port=$((20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 40000))
	"$KENNIS" serve --data "$TMP/$1" --listen "127.0.0.1:$port" --quiet --search-cache-mb 0 >/dev/null 2>&1 &
	echo $! >"$TMP/$1.pid"
	i=0
	until curl -s -o /dev/null "http://127.0.0.1:$port/healthz"; do
		i=$((i + 1)); [ $i -lt 200 ] || { echo "spaces-cpu: server $1 did not start" >&2; exit 1; }; sleep 0.1
	done
	curl -s -o /dev/null -c "$TMP/$1.jar" "http://127.0.0.1:$port/login" --data "user=b&password=pw-b-secret"
	sed -n 's/.*kennis_session[[:space:]]*\([^[:space:]]*\)$/\1/p' "$TMP/$1.jar" >"$TMP/$1.cookie"
	echo "$port" >"$TMP/$1.port"
}
cpu() { awk '{ print $14 + $15 }' "/proc/$(cat "$TMP/$1.pid")/stat"; }
measure() { # DIR URLFILE -> ms of CPU per request
	port=$(cat "$TMP/$1.port")
	t0=$(cpu "$1")
	n=$(URLS=$2 wrk -t1 -c1 -d"$DURATION" -H "Cookie: kennis_session=$(cat "$TMP/$1.cookie")" -s bench/random.lua \
		"http://127.0.0.1:$port/" | sed -n 's/^BENCH requests=\([0-9]*\).*/\1/p')
	t1=$(cpu "$1")
	awk -v a="$t0" -v b="$t1" -v n="$n" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.4f\n", (b - a) * 1000 / hz / n }'
}
start a
start b
# Both must find the same kind of things: a reader of b sees all three spaces.
hits_a=$(curl -s -b "kennis_session=$(cat "$TMP/a.cookie")" "http://127.0.0.1:$(cat "$TMP/a.port")/search?q=customer" | sed -n 's/.*<strong>\([0-9]*\)<\/strong> pages\{0,1\} match.*/\1/p' | head -1)
hits_b=$(curl -s -b "kennis_session=$(cat "$TMP/b.cookie")" "http://127.0.0.1:$(cat "$TMP/b.port")/search?q=customer" | sed -n 's/.*<strong>\([0-9]*\)<\/strong> pages\{0,1\} match.*/\1/p' | head -1)
echo "spaces-cpu: N=$N; 'customer' finds ${hits_a:-?} pages in A (one space), ${hits_b:-?} in B (three spaces)"
for s in search department customer; do
	for d in a b; do URLS=$TMP/$s.txt wrk -t1 -c1 -d1s -H "Cookie: kennis_session=$(cat "$TMP/$d.cookie")" \
		-s bench/random.lua "http://127.0.0.1:$(cat "$TMP/$d.port")/" >/dev/null; done # warm-up
	: >"$TMP/$s.a"
	: >"$TMP/$s.b"
	r=0
	while [ $r -lt "$ROUNDS" ]; do
		measure a "$TMP/$s.txt" >>"$TMP/$s.a"
		measure b "$TMP/$s.txt" >>"$TMP/$s.b"
		r=$((r + 1))
	done
	ma=$(sort -n "$TMP/$s.a" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
	mb=$(sort -n "$TMP/$s.b" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
	awk -v s="$s" -v a="$ma" -v b="$mb" -v r="$ROUNDS" \
		'BEGIN { printf "%-10s one space %.3f ms CPU, three spaces %.3f ms: B/A %.2f (median of %d each)\n", s, a, b, b / a, r }'
done
