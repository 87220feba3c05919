#!/bin/sh
# A flood of the slowest view cannot starve the others (docs/scale.md): 32 blames at once of
# a page with a long history, on a server of two workers, while /healthz and a page view
# keep answering at once; what the slow views cannot take is answered 503 with Retry-After.
. "$(dirname "$0")/lib.sh"
"$KENNIS" init "$DATA" >/dev/null
# 200 pages and 2,000 commits; Customer-00001 is changed in about 380 of them
HISTORY=2000 sh "$TOP/bench/gencorpus.sh" 200 "$DATA/wiki.git" "$T/urls.txt"
start_server --threads 2
P=/blame/Customers/Central-Europe/Customer-00001
ok 'blame of the long history works' test "$(code "$P")" = 200
one=$(curl -s -o /dev/null -w '%{time_total}' "$URL$P")
echo "# one blame: ${one}s"
# 32 at a time, 64 in all, from one curl
for i in $(seq 1 64); do printf 'url = "%s%s"\noutput = /dev/null\nwrite-out = "%%{http_code}\\n"\n' "$URL" "$P"; done >"$T/flood.cfg"
curl -s --no-progress-meter --parallel --parallel-max 32 -K "$T/flood.cfg" >"$T/flood.out" 2>/dev/null &
FLOOD=$!
sleep 1
probe() { # probe PATH: 200 within 2 s
	r=$(curl -s -o /dev/null -m 10 -w '%{http_code} %{time_total}' "$URL$1")
	echo "# $1 during the flood: $r"
	[ "${r% *}" = 200 ] && awk -v t="${r#* }" 'BEGIN { exit !(t < 2) }'
}
for i in 1 2 3; do
	ok "healthz answers during the flood ($i)" probe /healthz
	ok "a page view answers during the flood ($i)" probe /wiki/Home
	sleep 0.3
done
# wait for the flood to end (64 blames on two slow threads: 10-30 s on a busy machine); a
# curl killed earlier loses its buffered status lines, and the check below has nothing
i=0; while kill -0 $FLOOD 2>/dev/null && [ $i -lt 450 ]; do sleep 0.2; i=$((i + 1)); done
kill $FLOOD 2>/dev/null; wait $FLOOD 2>/dev/null
ok 'the flood got answers: 200, or 503 when the queue was full' sh -c '
	sort "$1" | uniq -c | sed "s/^/# /"; test "$(grep -cv "^\(200\|503\|000\)$" "$1")" = 0 && grep -q "^200$" "$1"' _ "$T/flood.out"
done_testing
