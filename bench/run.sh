#!/bin/sh
# run.sh: HTTP throughput/latency benchmark of ./kennis serve with wrk (see bench/README.md).
# Builds a throw-away wiki of N generated pages, starts the server on a free random port on
# 127.0.0.1, and runs wrk RUNS times against three scenarios:
#   same    one page over and over (the generator's first page)
#   random  random pages from the generated URL list (bench/random.lua)
#   front   the front page /
# Prints the medians over the runs and writes them to bench/out/results-<date>.txt.
#
# Environment (defaults in brackets):
#   N [10000] pages   RUNS [3]   THREADS [2]   CONNS [16]   DURATION [10s]   WARMUP [2s, 0=off]
#   SCENARIOS ["same random front"]   PAGE [first generated page]   WAIT [120] s for startup
#   KENNIS [./kennis]   OUT [bench/out]   KEEP [0; 1 keeps the temp data dir]
#   WRK_ARGS [] extra wrk options, e.g. "--timeout 5s"
set -eu
LC_ALL=C
export LC_ALL
cd "$(dirname "$0")/.."

KENNIS=${KENNIS:-./kennis}
N=${N:-10000}
RUNS=${RUNS:-3}
THREADS=${THREADS:-2}
CONNS=${CONNS:-16}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-2s}
SCENARIOS=${SCENARIOS:-same random front}
WAIT=${WAIT:-120}
OUT=${OUT:-bench/out}
KEEP=${KEEP:-0}
WRK_ARGS=${WRK_ARGS:-}

die() { echo "bench: $*" >&2; exit 1; }
[ -x "$KENNIS" ] || die "$KENNIS not found; run 'make' (or 'make bench') first"
command -v wrk >/dev/null 2>&1 || die "wrk not installed (apt-get install wrk)"
command -v curl >/dev/null 2>&1 || die "curl not installed"
case $RUNS in '' | *[!0-9]* | 0) die "RUNS must be a positive integer" ;; esac

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
URLS=$OUT/urls.txt
STAMP=$(date +%Y%m%d-%H%M%S)
RESULTS=$OUT/results-$STAMP.txt
RAW=$OUT/raw-$STAMP.txt
SERVERLOG=$OUT/server-$STAMP.log
TMP=$(mktemp -d "${TMPDIR:-/tmp}/kennis-bench.XXXXXX")
SERVER=""

cleanup() {
	if [ -n "$SERVER" ]; then
		kill "$SERVER" 2>/dev/null || true
		i=0
		while kill -0 "$SERVER" 2>/dev/null && [ "$i" -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
		kill -9 "$SERVER" 2>/dev/null || true
		wait "$SERVER" 2>/dev/null || true
		SERVER=""
	fi
	if [ "$KEEP" = 1 ]; then echo "bench: kept $TMP" >&2; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

# --- corpus -------------------------------------------------------------------------
echo "bench: kennis init + $N generated pages in $TMP/data" >&2
"$KENNIS" init "$TMP/data" >"$TMP/init.log" 2>&1 || { cat "$TMP/init.log" >&2; die "kennis init failed"; }
[ -d "$TMP/data/wiki.git" ] || die "kennis init did not create $TMP/data/wiki.git"
t0=$(now)
sh bench/gencorpus.sh "$N" "$TMP/data/wiki.git" "$URLS"
# Search queries for the 'search' scenario: 300 distinct words (5+ letters) of the first 40
# pages, so some match a few pages and some most of them; deterministic like the corpus.
SEARCH_URLS=$OUT/search-urls.txt
awk 'NR <= 40 { sub(/^\/wiki\//, ""); print $0 ".md" }' "$URLS" |
	while read -r p; do git -C "$TMP/data/wiki.git" show "main:$p" 2>/dev/null; done |
	tr -cs 'A-Za-z' '\n' | awk 'length($0) >= 5 { print tolower($0) }' | sort -u | head -n 300 |
	sed 's|^|/search?q=|' > "$SEARCH_URLS"
GEN_S=$(since "$t0")
PAGE=${PAGE:-$(head -n 1 "$URLS")}

# --- server -------------------------------------------------------------------------
port_busy() {
	command -v ss >/dev/null 2>&1 || return 1
	[ -n "$(ss -Htln "sport = :$1" 2>/dev/null)" ]
}
random_port() { echo $((20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 40000)); }

start_server() {
	PORT=$(random_port)
	while port_busy "$PORT"; do PORT=$(random_port); done
	BASE=http://127.0.0.1:$PORT
	# shellcheck disable=SC2086 # SERVE_ARGS is a list of options
	"$KENNIS" serve --data "$TMP/data" --listen "127.0.0.1:$PORT" ${SERVE_ARGS:-} >>"$SERVERLOG" 2>&1 &
	SERVER=$!
	t0=$(now)
	i=0
	while [ "$i" -lt $((WAIT * 10)) ]; do
		if ! kill -0 "$SERVER" 2>/dev/null; then
			wait "$SERVER" 2>/dev/null || true
			SERVER=""
			return 1
		fi
		code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$BASE/" 2>/dev/null || true)
		case $code in [1-5][0-9][0-9]) READY_S=$(since "$t0"); return 0 ;; esac
		sleep 0.1
		i=$((i + 1))
	done
	die "server did not answer on $BASE within ${WAIT}s (log: $SERVERLOG)"
}

: >"$SERVERLOG"
tries=0
until start_server; do
	tries=$((tries + 1))
	[ "$tries" -lt 3 ] || { tail -n 20 "$SERVERLOG" >&2; die "kennis serve exited early (log: $SERVERLOG)"; }
done
echo "bench: server pid $SERVER on $BASE, ready after ${READY_S}s" >&2

status() { curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$BASE$1" || echo 000; }
PAGE_CODE=$(status "$PAGE")
FRONT_CODE=$(status /)
[ "$PAGE_CODE" = 200 ] || echo "bench: WARNING: $PAGE answers $PAGE_CODE, not 200" >&2
case $FRONT_CODE in 200) ;; 3*) echo "bench: note: / answers $FRONT_CODE (wrk does not follow redirects; 'front' measures the redirect)" >&2 ;;
	*) echo "bench: WARNING: / answers $FRONT_CODE" >&2 ;; esac
# A sample of random pages must exist (catches generator/server path mismatches early).
bad=0
for u in $(awk 'NR % 997 == 1' "$URLS" | head -n 10); do
	c=$(status "$u")
	[ "$c" = 200 ] || { bad=$((bad + 1)); echo "bench: WARNING: $u answers $c" >&2; }
done

# --- wrk ----------------------------------------------------------------------------
# run_wrk SCENARIO DURATION: prints the BENCH line of one wrk run (full output goes to RAW).
run_wrk() {
	case $1 in
	same) set -- "$1" "$2" -s bench/report.lua "$BASE$PAGE" ;;
	random) set -- "$1" "$2" -s bench/random.lua "$BASE/" ;;
	front) set -- "$1" "$2" -s bench/report.lua "$BASE/" ;;
	search) set -- "$1" "$2" -s bench/random.lua "$BASE/" ;;
	*) die "unknown scenario $1 (use: same random front search)" ;;
	esac
	sc=$1 d=$2
	shift 2
	u=$URLS
	[ "$sc" = search ] && u=$SEARCH_URLS
	# shellcheck disable=SC2086 # WRK_ARGS is split on purpose
	URLS=$u wrk -t"$THREADS" -c"$CONNS" -d"$d" --latency $WRK_ARGS "$@" >"$TMP/wrk.out" 2>&1 ||
		{ cat "$TMP/wrk.out" >&2; die "wrk failed ($sc)"; }
	{ echo "== $sc d=$d $*"; cat "$TMP/wrk.out"; } >>"$RAW"
	line=$(grep '^BENCH ' "$TMP/wrk.out") || { cat "$TMP/wrk.out" >&2; die "no BENCH line from wrk ($sc)"; }
	echo "$line"
}

if [ "$WARMUP" != 0 ]; then
	echo "bench: warm-up ($WARMUP per scenario, not counted)" >&2
	for sc in $SCENARIOS; do run_wrk "$sc" "$WARMUP" >/dev/null; done
fi

DATA=$TMP/runs.txt
: >"$DATA"
r=1
while [ "$r" -le "$RUNS" ]; do
	# Scenarios are interleaved per run, so slow drift of the machine hits all of them.
	for sc in $SCENARIOS; do
		line=$(run_wrk "$sc" "$DURATION")
		echo "run $r $sc ${line#BENCH }" >>"$DATA"
		echo "bench: run $r/$RUNS $sc: $(echo "$line" | awk '{ for (i = 2; i <= NF; i++) if ($i ~ /^(rps|p99_ms)=/) printf "%s ", $i }')" >&2
	done
	r=$((r + 1))
done

# --- summary ------------------------------------------------------------------------
COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo none)
[ -n "$(git status --porcelain --untracked-files=no 2>/dev/null | head -n 1)" ] && COMMIT="$COMMIT+dirty"
{
	echo "kennis bench $STAMP  commit $COMMIT  host $(uname -n) $(uname -m)  cpus $(nproc 2>/dev/null || echo ?)"
	echo "corpus N=$N pages (generated in ${GEN_S}s), server ready in ${READY_S}s; status: page $PAGE_CODE, / $FRONT_CODE, sample bad $bad"
	echo "wrk -t$THREADS -c$CONNS -d$DURATION --latency${WRK_ARGS:+ $WRK_ARGS}; $RUNS run(s), warm-up $WARMUP; medians over runs (req/s min-max)"
	awk -v scen="$SCENARIOS" -v page="$PAGE" -v n="$N" '
	function median(a, k,   i, j, t) {          # sorts a[1..k] in place (insertion sort)
		for (i = 2; i <= k; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
		return (k % 2) ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
	}
	function ms(v) { return v < 10 ? sprintf("%.2fms", v) : sprintf("%.1fms", v) }
	{
		sc = $3; c = ++cnt[sc]
		for (i = 4; i <= NF; i++) { split($i, kv, "="); val[sc, c, kv[1]] = kv[2] }
	}
	END {
		printf "%-7s %-50s %20s %9s %9s %9s %7s\n", "", "path", "req/s", "p50", "p90", "p99", "errors"
		ns = split(scen, S, " ")
		for (s = 1; s <= ns; s++) {
			sc = S[s]; k = cnt[sc]; if (!k) continue
			err = 0
			for (f = 1; f <= 4; f++) {
				name = f == 1 ? "rps" : f == 2 ? "p50_ms" : f == 3 ? "p90_ms" : "p99_ms"
				for (i = 1; i <= k; i++) a[i] = val[sc, i, name] + 0
				med[name] = median(a, k)
				if (f == 1) { lo = a[1]; hi = a[k] }
			}
			for (i = 1; i <= k; i++) err += val[sc, i, "non2xx"] + val[sc, i, "sockerr"]
			path = sc == "same" ? page : sc == "random" ? "(random of " n " pages)" : "/"
			printf "%-7s %-50s %20s %9s %9s %9s %7d\n", sc, path,
				sprintf("%.0f (%.0f-%.0f)", med["rps"], lo, hi),
				ms(med["p50_ms"]), ms(med["p90_ms"]), ms(med["p99_ms"]), err
		}
	}' "$DATA"
	echo "per run:"
	sed 's/^/  /' "$DATA"
} >"$RESULTS"

cat "$RESULTS"
echo "bench: results in $RESULTS (raw wrk output: $RAW, server log: $SERVERLOG)" >&2
