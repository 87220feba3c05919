#!/bin/sh
# search-cpu.sh DATA [serve options...]: the server's CPU time per search, independent of
# what else the machine runs: one wrk connection for DURATION (6s) over the search URLs of
# the last run.sh (bench/out/search-urls.txt, or URLS=...), CPU from /proc/PID/stat.
#   sh bench/search-cpu.sh /tmp/k10 --search-cache-mb 0
# Needs a data dir with a corpus (see docs/search.md) and, for the URL list, one
# `SCENARIOS=search sh bench/run.sh` before.
set -eu
cd "$(dirname "$0")/.."
DATA=${1:?usage: search-cpu.sh DATA [serve options]}
shift
KENNIS=${KENNIS:-./kennis}
URLS=${URLS:-bench/out/search-urls.txt}
DURATION=${DURATION:-6s}
PORT=${PORT:-18499}
[ -s "$URLS" ] || { echo "search-cpu: no $URLS (run SCENARIOS=search sh bench/run.sh once)" >&2; exit 1; }
"$KENNIS" serve --data "$DATA" --listen "127.0.0.1:$PORT" --quiet "$@" >/dev/null 2>&1 &
P=$!
trap 'kill $P 2>/dev/null; wait $P 2>/dev/null' EXIT
i=0
until curl -s -o /dev/null "http://127.0.0.1:$PORT/healthz"; do
	i=$((i + 1)); [ $i -lt 100 ] || { echo "search-cpu: server did not start" >&2; exit 1; }; sleep 0.1
done
export URLS
wrk -t1 -c1 -d2s -s bench/random.lua "http://127.0.0.1:$PORT/" >/dev/null   # warm up
t0=$(awk '{ print $14 + $15 }' "/proc/$P/stat")
n=$(wrk -t1 -c1 -d"$DURATION" -s bench/random.lua "http://127.0.0.1:$PORT/" | sed -n 's/^BENCH requests=\([0-9]*\).*/\1/p')
t1=$(awk '{ print $14 + $15 }' "/proc/$P/stat")
tick=$(getconf CLK_TCK)
awk -v a="$t0" -v b="$t1" -v n="$n" -v hz="$tick" -v k="$KENNIS $*" \
	'BEGIN { printf "%s: %d searches, %.3f ms CPU each\n", k, n, (b - a) * 1000 / hz / n }'
