#!/bin/sh
# req-callgrind.sh DATA URLFILE [serve options...]: instructions per request under callgrind,
# for any list of requests (bench/lib.sh says what a line may be: a GET path, or an edit).
# Counts executed instructions, so the figure hardly depends on what else the machine does:
# two builds, or two corpora, compare on a busy machine.
#   sh bench/req-callgrind.sh /tmp/k10 bench/out/view-sample.txt
#   KENNIS=/tmp/old/kennis sh bench/req-callgrind.sh /tmp/k10 list.txt --cache-mb 0
# The server (one thread) answers the first FIRST requests, then, in a second run, FIRST +
# MORE; the difference over MORE is the cost of a request with start-up, first loads and
# first renders cancelled out. An edit changes the data directory: a list with edits
# should run on a copy.
# Environment: FIRST [20], MORE [100], KENNIS [./kennis], WAIT [900] s for start-up,
# PROFILE [empty; a file name: the profiles are kept as PROFILE.a and PROFILE.b, and the
# functions that cost the most per request (self instructions of b minus a, over MORE) are
# printed].
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh
DATA=${1:?usage: req-callgrind.sh DATA URLFILE [serve options]}
URLFILE=${2:?usage: req-callgrind.sh DATA URLFILE [serve options]}
shift 2
FIRST=${FIRST:-20}
MORE=${MORE:-100}
WAIT=${WAIT:-900}
OUT=${OUT:-bench/out}
mkdir -p "$OUT"
[ -s "$URLFILE" ] || bench_die "no requests in $URLFILE"
trap 'bench_stop' EXIT

# ir N [serve options]: total instructions of a server that answered the first N requests.
ir() {
	n=$1
	shift
	file=$OUT/req-callgrind-$$-$n.out
	BENCH_WRAP="valgrind --tool=callgrind --callgrind-out-file=$file" bench_serve "$DATA" "$WAIT" --threads 1 "$@"
	bench_ready "$WAIT"
	bench_drive "$DATA" "$URLFILE" 1 "$n" >/dev/null
	bench_stop
	sed -n 's/^summary: //p' "$file"
	if [ -n "${PROFILE:-}" ]; then
		if [ "$n" -gt "$FIRST" ]; then mv "$file" "$PROFILE.b"; else mv "$file" "$PROFILE.a"; fi
	else
		rm -f "$file"
	fi
}

a=$(ir "$FIRST" "$@")
b=$(ir $((FIRST + MORE)) "$@")
awk -v a="$a" -v b="$b" -v n="$MORE" -v k="$KENNIS $*" -v f="$URLFILE" \
	'BEGIN { printf "%s: %.0f instructions per request (%d of %s)\n", k, (b - a) / n, n, f }'
[ -z "${PROFILE:-}" ] && exit 0
# self instructions per request by function: the second profile minus the first
for x in a b; do
	callgrind_annotate --inclusive=no --auto=no --threshold=100 "$PROFILE.$x" 2>/dev/null |
		awk -v x="$x" '$1 ~ /^[0-9,]+$/ && $2 ~ /^\(/ { v = $1; gsub(/,/, "", v); sub(/^ *[0-9,]+ +\( *[0-9.]+%\) +/, ""); print x "\t" v "\t" $0 }'
done | awk -F '\t' -v n="$MORE" '{ d[$3] += ($1 == "b" ? $2 : -$2) } END { for (f in d) if (d[f] / n >= 100) printf "%10.0f  %s\n", d[f] / n, f }' |
	sort -rn | head -n "${TOP:-40}"
