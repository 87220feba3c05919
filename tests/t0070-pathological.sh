#!/bin/sh
# Hostile Markdown pushed into the wiki renders quickly and never stalls other requests.
. "$(dirname "$0")/lib.sh"
start_server
git clone -q "$URL/wiki.git" "$T/c"

# 2,000 columns x 2,000 rows: Debian's cmark-gfm would build 4 million cells.
awk 'BEGIN { h = "|"; d = "|"; for (i = 0; i < 2000; i++) { h = h " c |"; d = d " - |" }
	print h; print d; for (r = 0; r < 2000; r++) print "| x |" }' > "$T/c/Wide-Table.md"
# Deep nesting and bracket soup.
awk 'BEGIN { for (i = 0; i < 20000; i++) printf ">"; print " deep";
	for (i = 0; i < 50000; i++) printf "[["; print "";
	for (i = 0; i < 50000; i++) printf "*a "; print "" }' > "$T/c/Nesting.md"
# 3 MiB of text: over the render bound.
awk 'BEGIN { for (i = 0; i < 60000; i++) print "line " i " of a very long page with [[Home]] links" }' > "$T/c/Huge.md"
ok 'push hostile pages' sh -c "cd '$T/c' && git add . && git commit -qm hostile && git push -q"

# A guard against quadratic blowups (minutes), not a benchmark: generous bounds, wider
# under sanitizers, and wall time on a machine that may be busy.
scale=1; sanitized && scale=5
timed() {  # timed LIMIT_S PATH: status 200 within LIMIT_S (times scale) seconds
	t=$(curl -s -o "$T/out" -w '%{http_code} %{time_total}' --max-time 20 "$URL$2")
	echo "$2: $t"
	[ "${t%% *}" = 200 ] && awk -v t="${t#* }" -v l="$1" -v s="$scale" 'BEGIN { exit !(t < l * s) }'
}
ok 'wide table renders in under 3 s' timed 3 /wiki/Wide-Table
ok 'wide table is shown as text, not 4M cells' sh -c 'test "$(grep -o "<td" "$1" | wc -l)" -lt 10000' _ "$T/out"
ok 'deep nesting renders in under 3 s' timed 3 /wiki/Nesting
ok 'huge page renders in under 3 s' timed 3 /wiki/Huge
ok 'huge page says it was cut' grep -q 'rest is not shown' "$T/out"
ok 'raw source of the huge page is whole' test "$(curl -s "$URL/raw/Huge" | wc -l)" -eq 60000

# While a worker renders the wide table (cache off), the front page still answers.
stop_server
start_server --cache-mb 0
( for i in 1 2 3; do curl -s -o /dev/null "$URL/wiki/Wide-Table"; done ) & bg=$!
ok 'front page answers during hostile renders' timed 2 /
wait $bg
done_testing
