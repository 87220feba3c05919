#!/bin/sh
# Search work is bounded by counts, not by luck (issue 15): a 200 KB page of one short
# sentence repeated, searched with queries that repeat a term or pile up phrases that all
# match everywhere, answers fast, and /healthz stays quick while such searches run.
. "$(dirname "$0")/lib.sh"
# No shared results: every query below is scored and cut anew, the worst case.
start_server --threads 2 --search-cache-mb 0

# Bounds: 100 ms of the server's CPU per search, and /healthz's 90th percentile within
# 250 ms while hostile searches run (a wall-clock figure: the machine may be shared, with
# make test running two scripts at once and other jobs besides, so it is loose); sanitizers
# make the same work 3-10x slower. Before the budget the first query took 17 s of CPU.
SEARCH_MS=100 HEALTH_MS=250
if sanitized; then SEARCH_MS=1000 HEALTH_MS=1500; fi
# the server's CPU time so far, in clock ticks (user + system, all its threads)
ticks() { cut -d')' -f2 "/proc/$SERVER_PID/stat" | awk '{ print $12 + $13 }'; }
TCK=$(getconf CLK_TCK)

awk 'BEGIN { for (i = 0; i < 20480; i++) printf "www.a.com "; print "" }' >"$T/big.txt"
ok 'a 200 KB page of "www.a.com " is saved' sh -c '
	b=$(curl -s "$1/edit/Big" | sed -n "s/.*name=\"base\" value=\"\([0-9a-f]*\)\".*/\1/p")
	test "$(curl -s -o /dev/null -w "%{http_code}" "$1/edit/Big" --data-urlencode "base=$b" \
		--data-urlencode "content@$2" --data-urlencode "message=big")" = 303' _ "$URL" "$T/big.txt"
ok 'the index has caught up (a search finds the page)' contains 'Big' get '/search?q=www'

rep() { awk -v n="$2" -v w="$1" 'BEGIN { for (i = 0; i < n; i++) printf "%s%s", (i ? " " : ""), w }'; }
A10=$(rep 'a*' 10)
A20=$(rep 'a*' 20)
# 32 different phrases, each matching at every repetition: no deduplication helps here.
PHRASES=$(awk 'BEGIN { split("www a com", w, " ");
	for (len = 1; n < 32; len++) for (off = 0; off < 3 && n < 32; off++) {
		s = ""; for (k = 0; k < len; k++) s = s (k ? " " : "") w[(off + k) % 3 + 1];
		printf "%s\"%s\"", (n++ ? " " : ""), s } }')
PREFIXES='ww* www* co* com* ww* co* "www a"* "a co"* "com ww"* "www a co"* "a com ww"* "com www a"*'

# ms QUERY [OUT]: the time of one search in whole milliseconds, the page in OUT (q.html);
# fails unless it answers 200.
ms() {
	local out=${2:-$T/q.html} r
	r=$(curl -s -o "$out" --max-time 10 -G -w '%{http_code} %{time_total}' "$URL/search" \
		--data-urlencode "q=$1") || { echo "no answer"; return 1; }
	[ "${r% *}" = 200 ] || { echo "HTTP ${r% *}"; return 1; }
	awk -v s="${r#* }" 'BEGIN { printf "%d\n", s * 1000 }'
}
# fast QUERY: three searches cost the server less than SEARCH_MS of CPU each (CPU, which
# other jobs on the machine barely move), none takes 10x that on the wall clock, and the
# page is among the results.
fast() {
	c0=$(ticks) slow=0
	for i in 1 2 3; do
		u=$(ms "$1") || { echo "$u"; return 1; }
		[ "$u" -gt "$slow" ] && slow=$u
	done
	cpu=$(awk -v a="$c0" -v b="$(ticks)" -v t="$TCK" 'BEGIN { printf "%d", (b - a) * 1000 / t / 3 }')
	echo "$cpu ms of CPU per search, the slowest $slow ms"
	echo "# $cpu ms CPU, slowest $slow ms: $(printf '%.40s' "$1")" >>"$T/timings"
	grep -q 'href="/wiki/Big"' "$T/q.html" || { echo "the page is not among the results"; return 1; }
	[ "$cpu" -lt "$SEARCH_MS" ] && [ "$slow" -lt $((SEARCH_MS * 10)) ]
}
ok "10 x a* costs less than $SEARCH_MS ms of CPU" fast "$A10"
ok "20 x a* costs less than $SEARCH_MS ms of CPU" fast "$A20"
ok "32 phrases matching everywhere cost less than $SEARCH_MS ms of CPU" fast "$PHRASES"
ok "prefixes matching everywhere cost less than $SEARCH_MS ms of CPU" fast "$PREFIXES"
ok 'the snippet still marks the matches' grep -q '<mark>' "$T/q.html"
cat "$T/timings"

# Three hostile searches at once keep both workers busy for a moment; /healthz, asked
# meanwhile on new connections, must answer within HEALTH_MS each time.
hostile() { for i in 1 2 3 4 5; do ms "$1" "$T/h$2.html" >/dev/null || echo "$1: failed" >>"$T/hostile.err"; done; }
hostile "$A10" 1 & h1=$!
hostile "$A20" 2 & h2=$!
hostile "$PHRASES" 3 & h3=$!
: >"$T/health"
i=0
while [ $i -lt 30 ]; do
	curl -s -o /dev/null --max-time 5 -w '%{http_code} %{time_total}\n' "$URL/healthz" >>"$T/health"
	i=$((i + 1))
done
wait $h1 $h2 $h3
ok 'the hostile searches all answered' sh -c '! test -s "$1/hostile.err" || cat "$1/hostile.err"' _ "$T"
ok "/healthz answered within $HEALTH_MS ms while they ran" sh -c '
	awk "\$1 != 200 { print \"HTTP \" \$1; bad = 1 } END { exit bad }" "$1" || exit 1
	awk "{ print \$2 * 1000 }" "$1" | sort -n | awk -v max="$2" "{ v[NR] = \$1 }
		END { p90 = v[int(NR * 0.9)]; printf \"90th percentile %.1f ms, slowest %.1f ms of %d\\n\", p90, v[NR], NR;
		      exit !(p90 < max && v[NR] < 4 * max) }"' _ "$T/health" "$HEALTH_MS"
echo "# /healthz: $(awk '{ print $2 * 1000 }' "$T/health" | sort -n | tr '\n' ' ')"
done_testing
