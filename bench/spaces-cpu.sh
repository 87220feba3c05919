#!/bin/sh
# spaces-cpu.sh: what confidential spaces cost a reader: the server's CPU per request (from
# /proc, so what else the machine runs does not count) for searches, a department list and
# a customer 360, on N pages in one space (A) and the same number spread over three spaces
# the reader may all read (B: the wiki, finance, legal, each restricted to a group). The two
# run side by side, interleaved, ROUNDS times; the medians and their ratio B/A are printed.
#   sh bench/spaces-cpu.sh            N=10000 ROUNDS=5 DURATION=5s
# CALLGRIND=1 counts instructions instead (valgrind): repeatable on a busy machine. Each
# server then runs under callgrind and gets the same fixed requests; the instructions of
# router_dispatch (every request, from the routing to the finished page) are compared.
set -eu
cd "$(dirname "$0")/.."
KENNIS=${KENNIS:-./kennis}
N=${N:-10000}
ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-5s}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/kennis-spaces-bench.XXXXXX")
trap 'for p in $(cat "$TMP"/*.pid 2>/dev/null); do kill "$p" 2>/dev/null; done; [ -n "${KEEP:-}" ] && echo "kept $TMP" || rm -rf "$TMP"' EXIT

adduser() { echo "pw-$2-secret" | "$KENNIS" user add --data "$1" --role "$3" "$2" >/dev/null; }

# A: N pages in the wiki.
"$KENNIS" init "$TMP/a" >/dev/null
sh bench/gencorpus.sh "$N" "$TMP/a/wiki.git" "$TMP/urls-a.txt" >/dev/null
adduser "$TMP/a" admin admin
adduser "$TMP/a" b reader
# B: the same pages, a third in each of three spaces; b reads all of them through groups.
third=$((N / 3))
"$KENNIS" init "$TMP/b" >/dev/null
adduser "$TMP/b" admin admin
adduser "$TMP/b" b reader
"$KENNIS" group add --data "$TMP/b" fin b >/dev/null
"$KENNIS" group add --data "$TMP/b" leg b >/dev/null
"$KENNIS" space add --data "$TMP/b" finance --read @fin --write admins >/dev/null
"$KENNIS" space add --data "$TMP/b" legal --read @leg --write admins >/dev/null
# The very pages of A, dealt out: page k goes to the wiki, finance or legal by k mod 3, so
# both wikis hold the same 10,000 pages and every customer is in exactly one space.
deal() { # DEST-GITDIR REMAINDER
	git --git-dir="$1" fetch -q "$TMP/a/wiki.git" "main:refs/bench/all"
	git --git-dir="$TMP/a/wiki.git" ls-tree -r main |
		awk -v m="$2" '{ n = $4; sub(/.*Customer-0*/, "", n); sub(/\.md$/, "", n); if ($4 !~ /Customer-/ || n % 3 == m) print }' \
		>"$TMP/deal.txt"
	export GIT_INDEX_FILE="$TMP/deal.index"
	rm -f "$GIT_INDEX_FILE"
	git --git-dir="$1" update-index --index-info <"$TMP/deal.txt"
	tree=$(git --git-dir="$1" write-tree)
	parent=$(git --git-dir="$1" rev-parse -q --verify main || true)
	commit=$(echo "bench: a third of the pages" | git --git-dir="$1" commit-tree "$tree" ${parent:+-p "$parent"})
	git --git-dir="$1" update-ref refs/heads/main "$commit"
	git --git-dir="$1" update-ref -d refs/bench/all
	unset GIT_INDEX_FILE
}
deal "$TMP/b/wiki.git" 0
deal "$TMP/b/spaces/finance.git" 1
deal "$TMP/b/spaces/legal.git" 2
for d in a b; do "$KENNIS" reindex --data "$TMP/$d" >/dev/null; done

# The requests: 200 search words from the pages, a big department, customer 360s.
awk 'NR <= 40 { sub(/^\/wiki\//, ""); print $0 ".md" }' "$TMP/urls-a.txt" |
	while read -r p; do git -C "$TMP/a/wiki.git" show "main:$p" 2>/dev/null; done |
	tr -cs 'A-Za-z' '\n' | awk 'length($0) >= 5 { print tolower($0) }' | sort -u | head -n 200 |
	sed 's|^|/search?q=|' >"$TMP/search.txt"
echo /department/Finance >"$TMP/department.txt"
seq 1 37 "$N" | awk '{ printf "/customer/Customer-%05d\n", $1 }' >"$TMP/customer.txt"

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
if [ -n "${CALLGRIND:-}" ]; then
	for s in search department customer; do
		for d in a b; do
			port=$((20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 40000))
			head -n 60 "$TMP/$s.txt" >"$TMP/cg.urls"
			while [ "$(wc -l <"$TMP/cg.urls")" -lt 60 ]; do cat "$TMP/$s.txt" >>"$TMP/cg.urls"; done
			head -n 60 "$TMP/cg.urls" >"$TMP/cg.list"
			valgrind --tool=callgrind --callgrind-out-file="$TMP/cg.$s.$d" "$KENNIS" serve --data "$TMP/$d" \
				--listen "127.0.0.1:$port" --quiet --search-cache-mb 0 --threads 1 --exit-after 62 >/dev/null 2>&1 &
			p=$!
			until curl -s -o /dev/null "http://127.0.0.1:$port/healthz"; do sleep 0.3; done
			curl -s -o /dev/null -c "$TMP/cg.jar" "http://127.0.0.1:$port/login" --data "user=b&password=pw-b-secret"
			while read -r u; do curl -s -o /dev/null -b "$TMP/cg.jar" "http://127.0.0.1:$port$u"; done <"$TMP/cg.list"
			wait $p || true
		done
		ia=$(callgrind_annotate --inclusive=yes "$TMP/cg.$s.a" | awk '/src\/router.c:router_dispatch/ { gsub(",", "", $1); print $1; exit }')
		ib=$(callgrind_annotate --inclusive=yes "$TMP/cg.$s.b" | awk '/src\/router.c:router_dispatch/ { gsub(",", "", $1); print $1; exit }')
		awk -v s="$s" -v a="$ia" -v b="$ib" 'BEGIN { printf "%-10s instructions per request: one space %.0f, three spaces %.0f: B/A %.3f\n", s, a / 61, b / 61, b / a }'
	done
	exit 0
fi
start a
start b
# Both must find the same kind of things: a reader of b sees all three spaces.
count() { curl -s -b "kennis_session=$(cat "$TMP/$1.cookie")" "http://127.0.0.1:$(cat "$TMP/$1.port")/department/Finance" |
	sed -n 's/.*<p>\([0-9]*\) pages\{0,1\}\..*/\1/p' | head -1; }
echo "spaces-cpu: N=$N; /department/Finance lists $(count a) pages in A (one space), $(count b) in B (three spaces)"
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
