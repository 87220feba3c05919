#!/bin/sh
# api-read.sh: the API's page read (GET /api/v1/pages/wiki/X, a token) against the HTML view
# of the same page (GET /wiki/X, a session), on the same server and data, side by side:
# interleaved rounds of wrk for one page again and again (same) and for random pages of the
# corpus (random), each as HTML and as the API. Prints the median req/s of each, the ratio
# API/HTML (issue 12 wants it at 0.8 or more), and the server's CPU per request (from /proc,
# which the rest of a busy machine does not move) with its ratio too.
#   sh bench/api-read.sh             N=2000 ROUNDS=3 DURATION=5s THREADS=2 CONNS=8
#   SERVE_ARGS="--cache-mb 0" sh bench/api-read.sh    nothing cached: every read renders (and encodes) anew
set -eu
cd "$(dirname "$0")/.."
KENNIS=${KENNIS:-./kennis}
N=${N:-2000}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-5s}
THREADS=${THREADS:-2}
CONNS=${CONNS:-8}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/kennis-api-bench.XXXXXX")
trap '[ -s "$TMP/pid" ] && kill "$(cat "$TMP/pid")" 2>/dev/null; [ -n "${KEEP:-}" ] && echo "kept $TMP" || rm -rf "$TMP"' EXIT

"$KENNIS" init "$TMP/d" >/dev/null
sh bench/gencorpus.sh "$N" "$TMP/d/wiki.git" "$TMP/urls.txt" >/dev/null
echo "pw-b-secret" | "$KENNIS" user add --data "$TMP/d" --role reader b >/dev/null
TOKEN=$("$KENNIS" token add --data "$TMP/d" --scope read b 2>/dev/null)
"$KENNIS" reindex --data "$TMP/d" >/dev/null

port=$((20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 40000))
"$KENNIS" serve --data "$TMP/d" --listen "127.0.0.1:$port" --quiet ${SERVE_ARGS:-} >"$TMP/server.out" 2>&1 &
echo $! >"$TMP/pid"
i=0
until curl -s -o /dev/null "http://127.0.0.1:$port/healthz"; do
	i=$((i + 1)); [ $i -lt 300 ] || { echo "api-read: the server did not start" >&2; exit 1; }; sleep 0.1
done
curl -s -o /dev/null -c "$TMP/jar" "http://127.0.0.1:$port/login" --data "user=b&password=pw-b-secret"
COOKIE=$(sed -n 's/.*kennis_session[[:space:]]*\([^[:space:]]*\)$/\1/p' "$TMP/jar")

PAGE=${PAGE:-$(head -n 1 "$TMP/urls.txt")}       # /wiki/Customers/.../Customer-00001
echo "$PAGE" >"$TMP/same.html"
echo "$PAGE" | sed 's|^/wiki/|/api/v1/pages/wiki/|' >"$TMP/same.api"
cp "$TMP/urls.txt" "$TMP/random.html"
sed 's|^/wiki/|/api/v1/pages/wiki/|' "$TMP/urls.txt" >"$TMP/random.api"
for f in same.html same.api; do
	h="Cookie: kennis_session=$COOKIE"
	case $f in *.api) h="Authorization: Bearer $TOKEN" ;; esac
	code=$(curl -s -o "$TMP/check" -w '%{http_code}' -H "$h" "http://127.0.0.1:$port$(cat "$TMP/$f")")
	[ "$code" = 200 ] || { echo "api-read: $(cat "$TMP/$f") answered $code" >&2; exit 1; }
done

cpu() { awk '{ print $14 + $15 }' "/proc/$(cat "$TMP/pid")/stat"; }
run() { # SCENARIO KIND -> "req/s cpu-ms-per-request"
	h="Cookie: kennis_session=$COOKIE"
	[ "$2" = api ] && h="Authorization: Bearer $TOKEN"
	t0=$(cpu)
	out=$(URLS=$TMP/$1.$2 wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" -H "$h" -s bench/random.lua "http://127.0.0.1:$port/")
	t1=$(cpu)
	n=$(echo "$out" | sed -n 's/^BENCH requests=\([0-9]*\).*/\1/p')
	bad=$(echo "$out" | sed -n 's/^BENCH .*non2xx=\([0-9]*\).*/\1/p')
	[ "${bad:-0}" = 0 ] || { echo "api-read: $1 $2: $bad answers were not 2xx" >&2; exit 1; }
	rps=$(echo "$out" | sed -n 's/^Requests\/sec:[[:space:]]*\([0-9.]*\).*/\1/p')
	awk -v r="$rps" -v a="$t0" -v b="$t1" -v n="$n" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%s %.4f\n", r, (b - a) * 1000 / hz / n }'
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

echo "api-read: N=$N pages${SERVE_ARGS:+, serve $SERVE_ARGS}; wrk -t$THREADS -c$CONNS -d$DURATION, $ROUNDS rounds interleaved; commit $(git rev-parse --short HEAD 2>/dev/null || echo -)"
for s in same random; do
	for k in html api; do DURATION=1s run $s $k >/dev/null; done # warm-up: caches, connections
	: >"$TMP/$s.html.res"
	: >"$TMP/$s.api.res"
	r=0
	while [ $r -lt "$ROUNDS" ]; do
		run $s html >>"$TMP/$s.html.res"
		run $s api >>"$TMP/$s.api.res"
		r=$((r + 1))
	done
	hr=$(awk '{ print $1 }' "$TMP/$s.html.res" | median) ar=$(awk '{ print $1 }' "$TMP/$s.api.res" | median)
	hc=$(awk '{ print $2 }' "$TMP/$s.html.res" | median) ac=$(awk '{ print $2 }' "$TMP/$s.api.res" | median)
	awk -v s="$s" -v hr="$hr" -v ar="$ar" -v hc="$hc" -v ac="$ac" 'BEGIN {
		printf "%-7s HTML %8.0f req/s %.3f ms CPU | API %8.0f req/s %.3f ms CPU | API/HTML req/s %.2f, CPU %.2f\n",
			s, hr, hc, ar, ac, ar / hr, ac / hc }'
done
