#!/bin/sh
# search-callgrind.sh DATA [serve options...]: instructions per search, under callgrind, of
# the search URLs of the last run.sh (bench/out/search-urls.txt, or URLS=...). Unlike CPU
# time (search-cpu.sh) the count hardly depends on what else the machine runs, so two
# builds compare even on a busy machine:
#   KENNIS=/tmp/old/kennis sh bench/search-callgrind.sh /tmp/k10 --search-cache-mb 0
#   sh bench/search-callgrind.sh /tmp/k10 --search-cache-mb 0
# The server (one thread) answers FIRST searches, then FIRST + MORE in a second run; the
# difference over MORE is the cost of a search, startup and first loads cancelled out.
set -eu
cd "$(dirname "$0")/.."
DATA=${1:?usage: search-callgrind.sh DATA [serve options]}
shift
KENNIS=${KENNIS:-./kennis}
URLS=${URLS:-bench/out/search-urls.txt}
FIRST=${FIRST:-20}
MORE=${MORE:-100}
OUT=${OUT:-bench/out}
[ -s "$URLS" ] || { echo "search-callgrind: no $URLS (run SCENARIOS=search sh bench/run.sh once)" >&2; exit 1; }
mkdir -p "$OUT"

# ir N [serve options]: total instructions of a server that answers the first N searches.
ir() {
	n=$1
	shift
	port=$((20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 40000))
	file=$OUT/search-callgrind-$$-$n.out
	valgrind --tool=callgrind --callgrind-out-file="$file" "$KENNIS" serve --data "$DATA" \
		--listen "127.0.0.1:$port" --quiet --threads 1 "$@" >/dev/null 2>&1 &
	pid=$!
	i=0
	until curl -s -o /dev/null "http://127.0.0.1:$port/healthz"; do
		i=$((i + 1)); [ $i -lt 600 ] || { echo "search-callgrind: server did not start" >&2; exit 1; }; sleep 0.5
	done
	head -n "$n" "$URLS" | while read -r u; do curl -s -o /dev/null "http://127.0.0.1:$port$u"; done
	kill "$pid"
	wait "$pid" || true
	sed -n 's/^summary: //p' "$file"
	rm -f "$file"
}

a=$(ir "$FIRST" "$@")
b=$(ir $((FIRST + MORE)) "$@")
awk -v a="$a" -v b="$b" -v n="$MORE" -v k="$KENNIS $*" \
	'BEGIN { printf "%s: %.0f instructions per search (%d searches)\n", k, (b - a) / n, n }'
