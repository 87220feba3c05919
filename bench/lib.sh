# lib.sh: helpers shared by the scale scripts (sourced: req-callgrind.sh, req-cpu.sh, scale.sh).
#
# A request list (URLS) is one request a line:
#   /path                    GET /path
#   EDIT /wiki/Page-Name     a web edit of that page as a browser makes it: POST /edit/Page-Name
#                            (its current text from git plus one line, base = main), then the
#                            redirect to the page is followed (the page view after a save is
#                            part of what the editor waits for)
# Edits read the data directory's repository with git from outside the server (base and
# text), which costs the server nothing.

KENNIS=${KENNIS:-./kennis}
BENCH_PID=
BENCH_PORT=

bench_die() { echo "bench: $*" >&2; exit 1; }
bench_random_port() { echo $((20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 40000)); }
bench_now() { date +%s.%N; }
bench_since() { awk -v a="$1" -v b="$(bench_now)" 'BEGIN { printf "%.3f", b - a }'; }
bench_fmt() { echo "$1" | awk '{ s = sprintf("%.0f", $1); r = ""; while (length(s) > 3) { r = "," substr(s, length(s) - 2) r; s = substr(s, 1, length(s) - 3) } print s r }'; }

# Is something listening on 127.0.0.1:PORT? (no request is made)
bench_listening() {
	awk -v port="$(printf '%04X' "$1")" '$2 == "0100007F:" port && $4 == "0A" { f = 1 } END { exit !f }' /proc/net/tcp
}

# bench_serve DATA WAIT [serve options...]: start kennis serve (under $BENCH_WRAP, e.g.
# valgrind) on a free port; waits until it listens (WAIT seconds at most). Sets BENCH_PID,
# BENCH_PORT, BENCH_URL and BENCH_LISTEN_S (seconds from start to listening).
bench_serve() {
	data=$1 wait=$2
	shift 2
	BENCH_PORT=$(bench_random_port)
	while bench_listening "$BENCH_PORT"; do BENCH_PORT=$(bench_random_port); done
	t0=$(bench_now)
	# shellcheck disable=SC2086 # BENCH_WRAP is a command with options
	${BENCH_WRAP:-} "$KENNIS" serve --data "$data" --listen "127.0.0.1:$BENCH_PORT" --quiet "$@" \
		>>"${BENCH_LOG:-/dev/null}" 2>&1 &
	BENCH_PID=$!
	BENCH_URL=http://127.0.0.1:$BENCH_PORT
	i=0
	until bench_listening "$BENCH_PORT"; do
		kill -0 "$BENCH_PID" 2>/dev/null || bench_die "kennis serve exited (log: ${BENCH_LOG:-none})"
		i=$((i + 1))
		[ $i -lt $((wait * 20)) ] || bench_die "kennis serve did not listen within ${wait}s"
		sleep 0.05
	done
	BENCH_LISTEN_S=$(bench_since "$t0")
}

# bench_ready [WAIT]: wait until /healthz answers "ok" and nothing more (a server that
# listens at once may still be checking or building its index: /healthz says "indexing").
bench_ready() {
	i=0
	until [ "$(curl -s --max-time 5 "$BENCH_URL/healthz")" = ok ]; do
		i=$((i + 1))
		[ $i -lt $((${1:-600} * 10)) ] || bench_die "no /healthz within ${1:-600}s"
		sleep 0.1
	done
}

bench_stop() {
	[ -n "$BENCH_PID" ] || return 0
	kill "$BENCH_PID" 2>/dev/null
	wait "$BENCH_PID" 2>/dev/null || true
	BENCH_PID=
}

# CPU seconds (user + system) the server has used so far.
bench_cpu() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.3f\n", ($14 + $15) / hz }' "/proc/$BENCH_PID/stat"; }

# bench_edit DATA PAGEPATH: one web edit of /wiki/PAGEPATH (see the top); prints curl's
# total time in seconds for the POST and the page it redirects to.
bench_edit() {
	file=${2#/wiki/}.md
	base=$(git -C "$1/wiki.git" rev-parse main)
	{ git -C "$1/wiki.git" show "main:$file" 2>/dev/null; echo "- edited $(date +%s.%N)"; } >"${TMPDIR:-/tmp}/bench-edit.$$"
	curl -s -o /dev/null -L --max-redirs 1 -w '%{time_total}\n' --max-time 120 "$BENCH_URL/edit/${file%.md}" \
		--data-urlencode "base=$base" --data-urlencode "content@${TMPDIR:-/tmp}/bench-edit.$$" \
		--data-urlencode "message=bench edit"
	rm -f "${TMPDIR:-/tmp}/bench-edit.$$"
}

# bench_drive DATA URLFILE FROM COUNT: send requests FROM..FROM+COUNT-1 of the list, one at
# a time; GETs in a row go over one kept-alive connection (one curl), as a browser or wrk
# sends them. Prints one time in seconds a line.
bench_drive() {
	sed -n "$3,$(($3 + $4 - 1))p" "$2" | awk -v url="$BENCH_URL" -v cfg="${TMPDIR:-/tmp}/bench-curl.$$" '
		function flush() { if (n) { close(f); print "GETS " f; n = 0 } }
		$1 == "EDIT" { flush(); print; next }
		{ if (!n) { f = cfg "." ++g; printf "" > f }
		  printf "url = \"%s%s\"\noutput = /dev/null\nwrite-out = \"%%{time_total}\\n\"\n", url, $1 > f; n++ }
		END { flush() }' | while read -r kind arg; do
		case $kind in
		EDIT) bench_edit "$1" "$arg" ;;
		GETS) curl -s --max-time 600 -K "$arg"; rm -f "$arg" ;;
		esac
	done
}

# bench_sample URLFILE K SEED: K lines of URLFILE drawn at random (with repeats, a fixed
# seed: the same lines for the same file).
bench_sample() {
	awk -v k="$2" -v seed="${3:-42}" '{ u[NR] = $0 } END {
		s = seed; for (i = 1; i <= k; i++) { s = (s * 16807) % 2147483647; print u[int(s / 2147483647 * NR) + 1] } }' "$1"
}

# median of numbers on stdin; "-" for none
bench_median() { sort -g | awk '{ a[NR] = $1 } END { if (!NR) print "-"; else print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
# percentile P of numbers on stdin
bench_pct() { sort -g | awk -v p="$1" '{ a[NR] = $1 } END { if (!NR) print "-"; else { i = int(NR * p / 100 + 0.999999); if (i < 1) i = 1; print a[i] } }'; }
