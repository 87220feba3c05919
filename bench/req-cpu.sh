#!/bin/sh
# req-cpu.sh DATA URLFILE [serve options...]: the server's CPU time per request (user +
# system, from /proc/PID/stat), for a list of requests (bench/lib.sh): what a request costs
# the machine, whatever else runs on it. A list of GETs is sent by wrk over CONNS
# connections for DURATION (random lines, fixed seed); a list with edits is sent one
# request at a time (COUNT of them). Also prints the requests a second (noise on a busy
# machine) and, for edits, the median and p99 latency.
#   sh bench/req-cpu.sh /tmp/k10/data /tmp/lists/view.txt
#   CONNS=32 sh bench/req-cpu.sh /tmp/k100/data /tmp/lists/history.txt --cache-mb 0
# Environment: KENNIS [./kennis], CONNS [1], THREADS [1] (wrk's), DURATION [6s],
# WARMUP [2s], COUNT [50] (edits), WAIT [600] s for start-up, RSS [0; 1 adds VmRSS and
# VmHWM of the server after the load, in MB].
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh
DATA=${1:?usage: req-cpu.sh DATA URLFILE [serve options]}
URLFILE=${2:?usage: req-cpu.sh DATA URLFILE [serve options]}
shift 2
CONNS=${CONNS:-1}
THREADS=${THREADS:-1}
DURATION=${DURATION:-6s}
WARMUP=${WARMUP:-2s}
COUNT=${COUNT:-50}
WAIT=${WAIT:-600}
[ -s "$URLFILE" ] || bench_die "no requests in $URLFILE"
trap 'bench_stop' EXIT
bench_serve "$DATA" "$WAIT" "$@"
bench_ready "$WAIT"
label="$KENNIS $*"
if grep -q '^EDIT ' "$URLFILE"; then
	bench_drive "$DATA" "$URLFILE" 1 3 >/dev/null # warm up
	c0=$(bench_cpu)
	t0=$(bench_now)
	times=$(bench_drive "$DATA" "$URLFILE" 4 "$COUNT")
	wall=$(bench_since "$t0")
	c1=$(bench_cpu)
	n=$(echo "$times" | grep -c .)
	p50=$(echo "$times" | bench_median)
	p99=$(echo "$times" | bench_pct 99)
	awk -v a="$c0" -v b="$c1" -v n="$n" -v w="$wall" -v p50="$p50" -v p99="$p99" -v k="$label" 'BEGIN {
		printf "%s: %d requests, %.3f ms CPU each, %.1f req/s, p50 %.1f ms, p99 %.1f ms\n", k, n, (b - a) * 1000 / n, n / w, p50 * 1000, p99 * 1000 }'
else
	command -v wrk >/dev/null || bench_die "wrk not installed"
	export URLS="$URLFILE"
	[ "$WARMUP" = 0 ] || wrk -t"$THREADS" -c"$CONNS" -d"$WARMUP" -s bench/random.lua "$BENCH_URL/" >/dev/null
	c0=$(bench_cpu)
	line=$(wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" -s bench/random.lua "$BENCH_URL/" | grep '^BENCH')
	c1=$(bench_cpu)
	n=$(echo "$line" | sed -n 's/.* requests=\([0-9]*\).*/\1/p')
	rps=$(echo "$line" | sed -n 's/.* rps=\([0-9.]*\).*/\1/p')
	bad=$(echo "$line" | sed -n 's/.* non2xx=\([0-9]*\) sockerr=\([0-9]*\).*/\1 \2/p')
	p50=$(echo "$line" | sed -n 's/.* p50_ms=\([0-9.]*\).*/\1/p')
	awk -v a="$c0" -v b="$c1" -v n="$n" -v rps="$rps" -v bad="$bad" -v p50="$p50" -v k="$label" 'BEGIN {
		printf "%s: %d requests, %.3f ms CPU each, %.1f req/s, p50 %.2f ms (non-2xx, socket errors: %s)\n", k, n, (b - a) * 1000 / (n ? n : 1), rps, p50, bad }'
fi
if [ "${RSS:-0}" = 1 ]; then
	awk '/^VmRSS|^VmHWM/ { printf "%s %.0f MB  ", $1, $2 / 1024 } END { print "" }' "/proc/$BENCH_PID/status"
fi
