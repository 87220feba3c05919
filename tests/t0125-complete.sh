#!/bin/sh
# GET /complete?q=: page names for the editor's [[ autocomplete, as JSON.
. "$(dirname "$0")/lib.sh"
start_server
git clone -q "$URL/wiki.git" "$T/c"
mkdir -p "$T/c/Many" "$T/c/Notes" "$T/c/Zeta"
i=1; while [ $i -le 30 ]; do echo "page $i" >"$T/c/Many/Page-$i.md"; i=$((i + 1)); done
echo 'about' >"$T/c/Notes/About-Alpha.md"
echo 'thing' >"$T/c/Zeta/Alpha-Thing.md"
echo 'file' >"$T/c/Zeta/alpha.txt"
ok 'push pages' sh -c "cd '$T/c' && git add . && git commit -qm pages && git push -q"

ok 'answers JSON' sh -c 'curl -s -D - -o /dev/null "$1/complete?q=acme" | grep -qi "^Content-Type: application/json"' _ "$URL"
ok 'a name by its last part, any case' test "$(get '/complete?q=ACME')" = '{"pages":[{"name":"Customers/Acme-Corp","title":"Acme Corp"}]}'
ok 'blanks match dashes' contains '"Customers/Acme-Corp"' get '/complete?q=acme%20co'
ok 'names starting with the text come first' sh -c 'curl -s "$1/complete?q=alpha" | grep -q "^{\"pages\":\[{\"name\":\"Zeta/Alpha-Thing\",\"title\":\"Alpha Thing\"},{\"name\":\"Notes/About-Alpha\""' _ "$URL"
ok 'attachments are no pages' sh -c '! curl -s "$1/complete?q=alpha" | grep -q alpha.txt' _ "$URL"
ok 'at most 20 answers' test "$(get '/complete?q=page' | grep -o '"name"' | wc -l)" -eq 20
ok 'underscore pages are not offered' sh -c '! curl -s "$1/complete?q=" | grep -q "_Sidebar\|_Templates"' _ "$URL"
ok 'nothing matches: an empty list' test "$(get '/complete?q=nothing-like-this')" = '{"pages":[]}'
ok 'bad UTF-8: an empty list' test "$(get '/complete?q=%ff')" = '{"pages":[]}'
ok 'a very long query: an empty list' test "$(get "/complete?q=$(printf 'a%.0s' $(seq 300))")" = '{"pages":[]}'

# With accounts and no anonymous read, it needs a login like every page.
echo 'correct-horse-battery' | "$KENNIS" user add --data "$DATA" --role reader rita >/dev/null
ok 'needs read access' sh -c 'c=$(curl -s -o /dev/null -w "%{http_code}" "$1/complete?q=a"); test "$c" = 303 -o "$c" = 401' _ "$URL"
done_testing
