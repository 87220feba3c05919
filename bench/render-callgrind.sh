#!/bin/sh
# render-callgrind.sh: repeatable instruction counts (Ir) for serving a page, under callgrind.
# Wall-clock benchmarks are noisy; the number of instructions executed is nearly the same
# from run to run, so it shows small regressions or wins in rendering/serving code.
#
# Builds a throw-away wiki (kennis init + N generated pages), runs
#   valgrind --tool=callgrind ./kennis serve --data DIR --listen 127.0.0.1:PORT --exit-after REQS
# fetches PAGE REQS times over one keep-alive connection, and waits for the server to exit
# by itself. With BASELINE=1 it does that a second time with one request, so startup cost
# cancels out: per request = (Ir(REQS) - Ir(1)) / (REQS - 1).
#
# Environment (defaults in brackets):
#   N [1000] pages   REQS [20]   PAGE [first generated page]   BASELINE [1; 0 = one run only]
#   KENNIS [./kennis]   EXIT_FLAG [--exit-after]   KENNIS_ARGS [] extra serve options
#   VALGRIND_ARGS [] extra valgrind options   WAIT [600] s for startup/exit under valgrind
#   OUT [bench/out]   KEEP [0; 1 keeps the temp data dir]
# Outputs: bench/out/callgrind-<date>.out (open with kcachegrind or callgrind_annotate) and
# bench/out/callgrind-<date>.txt (summary + top functions).
set -eu
LC_ALL=C
export LC_ALL
cd "$(dirname "$0")/.."

KENNIS=${KENNIS:-./kennis}
N=${N:-1000}
REQS=${REQS:-20}
BASELINE=${BASELINE:-1}
EXIT_FLAG=${EXIT_FLAG:---exit-after}
KENNIS_ARGS=${KENNIS_ARGS:-}
VALGRIND_ARGS=${VALGRIND_ARGS:-}
WAIT=${WAIT:-600}
OUT=${OUT:-bench/out}
KEEP=${KEEP:-0}

die() { echo "callgrind: $*" >&2; exit 1; }
[ -x "$KENNIS" ] || die "$KENNIS not found; run 'make' first"
command -v valgrind >/dev/null 2>&1 || die "valgrind not installed (apt-get install valgrind)"
command -v curl >/dev/null 2>&1 || die "curl not installed"
case $REQS in '' | *[!0-9]* | 0) die "REQS must be a positive integer" ;; esac
[ "$REQS" -ge 2 ] || BASELINE=0

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
STAMP=$(date +%Y%m%d-%H%M%S)
CGOUT=$OUT/callgrind-$STAMP.out
REPORT=$OUT/callgrind-$STAMP.txt
TMP=$(mktemp -d "${TMPDIR:-/tmp}/kennis-callgrind.XXXXXX")
VG=""

cleanup() {
	if [ -n "$VG" ]; then
		kill "$VG" 2>/dev/null || true
		wait "$VG" 2>/dev/null || true
		VG=""
	fi
	if [ "$KEEP" = 1 ]; then echo "callgrind: kept $TMP" >&2; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "callgrind: kennis init + $N generated pages" >&2
"$KENNIS" init "$TMP/data" >"$TMP/init.log" 2>&1 || { cat "$TMP/init.log" >&2; die "kennis init failed"; }
sh bench/gencorpus.sh "$N" "$TMP/data/wiki.git" "$TMP/urls.txt"
PAGE=${PAGE:-$(head -n 1 "$TMP/urls.txt")}

random_port() { echo $((20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 40000)); }
# Is something listening on 127.0.0.1:$1? (Reads /proc/net/tcp: no HTTP request is made,
# since every request counts towards --exit-after.)
listening() {
	awk -v port="$(printf '%04X' "$1")" '$2 == "0100007F:" port && $4 == "0A" { f = 1 } END { exit !f }' /proc/net/tcp
}
fmt() { echo "$1" | awk '{ s = $1; r = ""; while (length(s) > 3) { r = "," substr(s, length(s) - 2) r; s = substr(s, 1, length(s) - 3) } print s r }'; }

# measure COUNT FILE: serve COUNT requests under callgrind, leaving the profile in FILE;
# sets MEASURED to the total Ir. (Not run in $(...), so VG stays visible to cleanup.)
measure() {
	count=$1 file=$2
	PORT=$(random_port)
	while listening "$PORT"; do PORT=$(random_port); done
	# shellcheck disable=SC2086 # the *_ARGS are split on purpose
	valgrind --tool=callgrind --callgrind-out-file="$file" $VALGRIND_ARGS \
		"$KENNIS" serve --data "$TMP/data" --listen "127.0.0.1:$PORT" "$EXIT_FLAG" "$count" $KENNIS_ARGS \
		>"$TMP/serve.log" 2>&1 &
	VG=$!
	i=0
	until listening "$PORT"; do
		kill -0 "$VG" 2>/dev/null || { tail -n 20 "$TMP/serve.log" >&2; VG=""; die "kennis serve exited before listening (does it know $EXIT_FLAG?)"; }
		i=$((i + 1))
		[ "$i" -lt $((WAIT * 10)) ] || die "kennis serve did not listen on port $PORT within ${WAIT}s"
		sleep 0.1
	done
	set --
	n=0
	while [ "$n" -lt "$count" ]; do set -- "$@" -o /dev/null "http://127.0.0.1:$PORT$PAGE"; n=$((n + 1)); done
	codes=$(curl -s --max-time "$WAIT" -w '%{http_code}\n' "$@" || true)
	ok=$(echo "$codes" | grep -c '^200$' || true)
	[ "$ok" = "$count" ] || echo "callgrind: WARNING: $ok of $count requests answered 200 (codes: $(echo "$codes" | tr '\n' ' '))" >&2
	# The server should now exit by itself; callgrind writes the profile at exit.
	i=0
	while kill -0 "$VG" 2>/dev/null; do
		i=$((i + 1))
		if [ "$i" -ge $((WAIT * 10)) ]; then
			echo "callgrind: WARNING: server still running after $count requests; is $EXIT_FLAG implemented? sending SIGTERM" >&2
			kill "$VG" 2>/dev/null || true
			break
		fi
		sleep 0.1
	done
	wait "$VG" 2>/dev/null || echo "callgrind: WARNING: server exit status $?; see $TMP/serve.log" >&2
	VG=""
	[ -s "$file" ] || { tail -n 20 "$TMP/serve.log" >&2; die "no callgrind output in $file"; }
	MEASURED=$(awk '/^(summary|totals):/ { print $2; exit }' "$file")
	[ -n "$MEASURED" ] || die "no summary/totals line in $file"
}

echo "callgrind: $REQS x GET $PAGE under valgrind (slow: expect ~50x)" >&2
measure "$REQS" "$CGOUT"
IR=$MEASURED
if [ "$BASELINE" = 1 ]; then
	echo "callgrind: baseline: startup + 1 request" >&2
	measure 1 "$TMP/baseline.out"
	IR1=$MEASURED
	PER=$(awk -v a="$IR" -v b="$IR1" -v n="$REQS" 'BEGIN { printf "%.0f", (a - b) / (n - 1) }')
fi
{
	echo "kennis callgrind $STAMP  commit $(git rev-parse --short HEAD 2>/dev/null || echo none)  $(valgrind --version)"
	echo "corpus N=$N pages; $REQS x GET $PAGE (one keep-alive connection); serve $EXIT_FLAG $REQS${KENNIS_ARGS:+ $KENNIS_ARGS}"
	printf '  total Ir, startup + %d requests: %s\n' "$REQS" "$(fmt "$IR")"
	if [ "$BASELINE" = 1 ]; then
		printf '  total Ir, startup + 1 request:   %s\n' "$(fmt "$IR1")"
		printf '  Ir per request (difference / %d): %s\n' $((REQS - 1)) "$(fmt "$PER")"
	fi
	echo
	echo "top functions (self Ir, all $REQS requests + startup):"
	callgrind_annotate --inclusive=no --auto=no "$CGOUT" 2>/dev/null |
		awk '/file:function/ { h = 1; next } h == 1 && /^-+$/ { h = 2; next } h == 2 && !NF { exit } h == 2' | head -n 25
} >"$REPORT"
cat "$REPORT"
echo "callgrind: report $REPORT; profile $CGOUT (kcachegrind / callgrind_annotate)" >&2
