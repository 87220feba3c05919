#!/bin/sh
# The JSON API v1 end to end: every endpoint against a real server, answers checked against
# the OpenAPI description (tests/openapi-check.py); tokens and their scopes (a read token
# neither writes nor pushes), the session with X-CSRF-Token; a 409 that keeps the text;
# hostile bodies and names get a 4xx JSON error and a log line; a confidential space is 404
# to an outsider everywhere and absent from search, customers and recent changes.
. "$(dirname "$0")/lib.sh"
"$KENNIS" init "$DATA" >/dev/null
adduser() { echo "pw-$1-secret" | "$KENNIS" user add --data "$DATA" --role "$2" "$1" >/dev/null; }
for u in ada:admin ed:editor rita:reader fin:editor out:editor; do adduser "${u%%:*}" "${u#*:}"; done
"$KENNIS" group add --data "$DATA" finance fin >/dev/null
"$KENNIS" space add --data "$DATA" finance --read @finance --write @finance >/dev/null
tok() { "$KENNIS" token add --data "$DATA" "$@" 2>/dev/null; }
ED=$(tok ed) EDR=$(tok --scope read ed) RITA=$(tok rita) FIN=$(tok fin) OUT=$(tok out) OLD=$(tok ed --label gone)
ok 'token add refuses a scope it does not know' sh -c '! "$1" token add --data "$2" --scope admin ed 2>/dev/null' _ "$KENNIS" "$DATA"
ok 'token list shows the scopes' sh -c '"$1" token list --data "$2" ed | grep -q " read " && "$1" token list --data "$2" ed | grep -q " write "' _ "$KENNIS" "$DATA"
GONE_ID=$("$KENNIS" token list --data "$DATA" ed | awk '$3 == "gone" { print $1 }')
ok 'a token is revoked' sh -c '"$1" token revoke --data "$2" "$3" >/dev/null' _ "$KENNIS" "$DATA" "$GONE_ID"
start_server
SPEC=$TOP/static/openapi.json
PY=python3
/usr/bin/python3 -c 'import jsonschema' 2>/dev/null && PY=/usr/bin/python3
MARK=zebrafinch # only in the finance space

# api TOKEN METHOD PATH [BODY] [curl options...]: the answer's body into $T/body, its headers
# into $T/headers; prints the status. TOKEN "-" sends none.
api() {
	local t=$1 m=$2 p=$3 b; shift 3
	b=${1-}; [ $# -gt 0 ] && shift
	set -- "$@" -X "$m" -D "$T/headers" -o "$T/body" -w '%{http_code}' --max-time 30
	[ "$t" != - ] && set -- "$@" -H "Authorization: Bearer $t"
	case "$*" in *Content-Type*) ;; *) [ -n "$b" ] && set -- "$@" -H 'Content-Type: application/json' ;; esac
	[ -n "$b" ] && set -- "$@" --data-binary "$b"
	curl -s "$@" "$URL/api/v1$p"
}
# is STATUS TOKEN METHOD PATH [BODY]: the answer has that status
is() { local want=$1 got; shift; got=$(api "$@"); [ "$got" = "$want" ] || { echo "got $got, want $want: $(head -c 400 "$T/body")"; return 1; }; }
# valid METHOD TEMPLATE STATUS: the last answer matches the OpenAPI description
valid() { "$PY" "$TOP/tests/openapi-check.py" "$SPEC" "$@" <"$T/body"; }
# answer STATUS METHOD TEMPLATE TOKEN METHOD PATH [BODY]: is + valid
answer() { local st=$1 vm=$2 vt=$3; shift 3; is "$st" "$@" && valid "$vm" "$vt" "$st"; }
# valid_error: the last answer is the description's Error
valid_error() { "$PY" "$TOP/tests/openapi-check.py" "$SPEC" --schema Error <"$T/body"; }
# with CODE ARGS...: shell CODE run in this shell (so its functions work), ARGS as $1, $2 ...
with() { _code=$1; shift; eval "$_code"; }
# field JQ: a value of the last answer
field() { jq -r "$1" <"$T/body"; }
has() { grep -qF -- "$1" "$T/body"; }
# error CODE: the last answer is a JSON error with that code
error() { test "$(jq -r .error.code <"$T/body")" = "$1"; }
logged() { grep -qF -- "$1" "$LOG"; }

# --- the description
ok 'the OpenAPI description is served without a login' test "$(curl -s -o "$T/spec" -w '%{http_code}' "$URL/api/v1/openapi.json")" = 200
ok 'it is the one in the tree' cmp -s "$T/spec" "$SPEC"
ok 'its schemas are valid JSON Schema (OpenAPI 3.1)' "$PY" "$TOP/tests/openapi-check.py" "$SPEC" --schemas
ok 'the checker refuses a wrong answer' sh -c 'echo "{\"name\": 1}" | "$1" "$2/tests/openapi-check.py" "$3" get "/pages/{space}/{page}" 200 >/dev/null; test $? -eq 1' _ "$PY" "$TOP" "$SPEC"

# --- who is asking
E='/pages/{space}/{page}'
ok 'no token: 401' answer 401 get "$E" - GET /pages/wiki/Home
ok '... with WWW-Authenticate: Bearer' grep -qi '^WWW-Authenticate: Bearer' "$T/headers"
ok '... as JSON' error unauthorized
ok 'a wrong token: 401' is 401 kn_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA GET /pages/wiki/Home
ok 'a revoked token: 401' is 401 "$OLD" GET /pages/wiki/Home
ok 'a malformed header: 401' sh -c 'test "$(curl -s -o /dev/null -w "%{http_code}" -H "Authorization: Token x" "$1/api/v1/pages/wiki/Home")" = 401' _ "$URL"
ok 'a token that is not one: 401' is 401 'kn_x"; DROP TABLE tokens' GET /pages/wiki/Home
ok 'the failures are logged' logged 'unknown, revoked or malformed token'
ok 'a token reads' answer 200 get "$E" "$ED" GET /pages/wiki/Home
ok 'HTTP Basic with a token, as git' sh -c 'test "$(curl -s -o /dev/null -w "%{http_code}" -u "ed:$2" "$1/api/v1/pages/wiki/Home")" = 200' _ "$URL" "$ED"
ok 'a read token reads' is 200 "$EDR" GET /pages/wiki/Home
ok 'a read token may not write: 403' answer 403 put "$E" "$EDR" PUT /pages/wiki/Scoped '{"markdown": "x"}'
ok '... and says why' has 'scope read'
ok 'nor delete' is 403 "$EDR" DELETE /pages/wiki/Home
ok 'nor watch' is 403 "$EDR" POST /watches '{"tag": "x"}'
H=${URL#http://}
ok 'a read token clones' git clone -q "http://ed:$EDR@$H/wiki.git" "$T/ro"
ok 'a read token cannot push: 403' sh -c 'cd "$1" && echo hi >Pushed.md && git add . && git commit -qm p && ! git push -q origin main 2>"$1.err" && grep -q "may only read" "$1.err"' _ "$T/ro"
ok 'a write token of the same user pushes' sh -c 'cd "$1" && git push -q "http://ed:$2@$3/wiki.git" main' _ "$T/ro" "$ED" "$H"
# a page's answer is kept whole (by commit): the same again, and a push is read at once
ok 'a page read twice: the same answer' with 'api "$1" GET /pages/wiki/Home >/dev/null; cp "$2" "$2.1"; api "$1" GET /pages/wiki/Home >/dev/null; cmp -s "$2" "$2.1"' "$ED" "$T/body"
ok 'a push changes it' sh -c 'cd "$1" && echo "Pushed line." >>Home.md && git commit -qam push && git push -q "http://ed:$2@$3/wiki.git" main' _ "$T/ro" "$ED" "$H"
ok '... and the API reads the push' with 'api "$1" GET /pages/wiki/Home >/dev/null; jq -r .markdown <"$2" | grep -q "^Pushed line.$" && jq -r .html <"$2" | grep -q "Pushed line." && test "$(jq -r .commit <"$2")" = "$(git -C "$3" rev-parse HEAD)"' "$ED" "$T/body" "$T/ro"
ok '... the old version as it was' with 'api "$1" GET "/pages/wiki/Home?rev=$(git -C "$3" rev-parse HEAD~1)" >/dev/null; ! jq -r .markdown <"$2" | grep -q "Pushed line."' "$ED" "$T/body" "$T/ro"
ok 'a reader may not write: 403' answer 403 put "$E" "$RITA" PUT /pages/wiki/Scoped '{"markdown": "x"}'
ok '... naming the role' has 'editor role'

# --- the session, as the web's own scripts use it
curl -s -o /dev/null -c "$T/ed.jar" "$URL/login" --data-urlencode user=ed --data-urlencode password=pw-ed-secret
CSRF=$(curl -s -b "$T/ed.jar" "$URL/account" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -1)
sess() { curl -s -b "$T/ed.jar" -o "$T/body" -w '%{http_code}' "$@"; }
ok 'a session reads' test "$(sess "$URL/api/v1/pages/wiki/Home")" = 200
ok 'a session may not write without X-CSRF-Token' test "$(sess -X PUT -H 'Content-Type: application/json' -d '{"markdown":"s"}' "$URL/api/v1/pages/wiki/Session")" = 403
ok '... nor with a wrong one' test "$(sess -X PUT -H 'X-CSRF-Token: nope' -H 'Content-Type: application/json' -d '{"markdown":"s"}' "$URL/api/v1/pages/wiki/Session")" = 403
ok 'with the header it writes' test "$(sess -X PUT -H "X-CSRF-Token: $CSRF" -H 'Content-Type: application/json' -d '{"markdown":"s"}' "$URL/api/v1/pages/wiki/Session")" = 201

# --- pages
ok 'GET a page' answer 200 get "$E" "$ED" GET /pages/wiki/Customers/Acme-Corp
ok '... its front matter' test "$(field .front_matter.customer)" = 'Acme Corp'
ok '... its HTML' sh -c 'jq -r .html <"$1" | grep -q "<h"' _ "$T/body"
ok '... its last change' test "$(field .author)" = kennis
FM='---\ntitle: Made by the API\ntags: [api, test]\ncustomer: Initech\n---\n'
HOME_C=$(api "$ED" GET /pages/wiki/Home >/dev/null; field .commit)
ok 'a new page: 201' answer 201 put "$E" "$ED" PUT /pages/wiki/Notes/Api-Made '{"markdown": "---\ntitle: Made by the API\ntags: [api, test]\ncustomer: Initech\n---\n# Made\n\nFirst line.\n\nOne.\n\nTwo.\n\nThree.\n\nLast line.\n", "message": "from the API"}'
ok '... says it was created' test "$(field .created)" = true
C1=$(field .commit)
ok '... and reads back' answer 200 get "$E" "$ED" GET /pages/wiki/Notes/Api-Made
ok '... with its title and a list' sh -c 'test "$(jq -r .title <"$1")" = "Made by the API" && test "$(jq -r ".front_matter.tags[1]" <"$1")" = test' _ "$T/body"
ok '... the commit it was saved in' test "$(field .commit)" = "$C1"
ok '... by its author' test "$(field .author)" = ed
ok 'on the web too' sh -c 'curl -s -b "$2" "$1/raw/Notes/Api-Made" | grep -q "First line."' _ "$URL" "$T/ed.jar"
ok 'a change on its base: 200' answer 200 put "$E" "$ED" PUT /pages/wiki/Notes/Api-Made "{\"markdown\": \"$FM# Made\n\nFirst line, theirs.\n\nOne.\n\nTwo.\n\nThree.\n\nLast line.\n\", \"base\": \"$C1\"}"
C2=$(field .commit)
ok 'a clashing change from the old base: 409' answer 409 put "$E" "$ED" PUT /pages/wiki/Notes/Api-Made "{\"markdown\": \"$FM# Made\n\nFirst line, mine.\n\nOne.\n\nTwo.\n\nThree.\n\nLast line.\n\", \"base\": \"$C1\"}"
ok '... with the current text and commit' sh -c 'test "$(jq -r .current.commit <"$1")" = "$2" && jq -r .current.markdown <"$1" | grep -q "theirs"' _ "$T/body" "$C2"
ok '... and my text, kept in the merge' sh -c 'jq -r .merged <"$1" | grep -q "First line, mine." && jq -r .merged <"$1" | grep -q "^<<<<<<<"' _ "$T/body"
ok '... nothing was written' sh -c 'curl -s -b "$2" "$1/raw/Notes/Api-Made" | grep -q theirs' _ "$URL" "$T/ed.jar"
ok '... logged' logged '409 conflict: changed since base'
ok 'a change that does not clash is merged: 200' is 200 "$ED" PUT /pages/wiki/Notes/Api-Made "{\"markdown\": \"$FM# Made\n\nFirst line.\n\nOne.\n\nTwo.\n\nThree.\n\nLast line, mine.\n\", \"base\": \"$C1\"}"
ok '... and says so' test "$(field .merged)" = true
ok '... both changes are in' sh -c 'curl -s -b "$2" "$1/raw/Notes/Api-Made" >"$3.raw" && grep -q "First line, theirs." "$3.raw" && grep -q "Last line, mine." "$3.raw"' _ "$URL" "$T/ed.jar" "$T/body"
ok 'without a base an existing page is not overwritten: 409' answer 409 put "$E" "$ED" PUT /pages/wiki/Home '{"markdown": "gone?"}'
ok '... nor is it' sh -c 'curl -s -b "$2" "$1/raw/Home" | grep -q "Welcome to kennis"' _ "$URL" "$T/ed.jar"
ok 'an old revision' answer 200 get "$E" "$ED" GET "/pages/wiki/Notes/Api-Made?rev=$C1"
ok '... is as it was' sh -c 'jq -r .markdown <"$1" | grep -q "^First line.$" && test "$(jq -r .commit <"$1")" = "$2"' _ "$T/body" "$C1"
ok 'a rev that is no commit: 404' answer 404 get "$E" "$ED" GET "/pages/wiki/Home?rev=0123456789abcdef0123456789abcdef01234567"
ok 'a rev that is not hex: 400' answer 400 get "$E" "$ED" GET '/pages/wiki/Home?rev=main;x'
ok 'no such page: 404' answer 404 get "$E" "$ED" GET /pages/wiki/No-Such-Page
ok 'no such space: 404' is 404 "$ED" GET /pages/nope/Home

# --- history, with paging
for i in 1 2 3; do api "$ED" GET /pages/wiki/Paged >/dev/null; b=$(field '.commit // empty')
	[ $i = 1 ] && api "$ED" PUT /pages/wiki/Paged '{"markdown": "v1"}' >/dev/null
	[ $i != 1 ] && api "$ED" PUT /pages/wiki/Paged "{\"markdown\": \"v$i\", \"base\": \"$b\"}" >/dev/null; done
H='/history/{space}/{page}'
ok 'history' answer 200 get "$H" "$ED" GET /history/wiki/Paged
ok '... three commits, newest first' sh -c 'test "$(jq ".items | length" <"$1")" = 3 && test "$(jq -r ".items[2].change" <"$1")" = created' _ "$T/body"
ALL=$(jq -r '.items[].commit' <"$T/body" | tr '\n' ' ')
page_through() { c=''; got=''; for i in 1 2 3 4; do
	api "$ED" GET "/history/wiki/Paged?limit=1${c:+&cursor=$c}" >/dev/null || return 1
	valid get "$H" 200 || return 1
	got="$got$(jq -r '.items[].commit' <"$T/body") "; c=$(field '.next_cursor // empty'); [ -z "$c" ] && break; done
	test "$got" = "$ALL"; }
ok 'paged one at a time: the same three, then the end' page_through
ok 'a cursor from another list: 400' sh -c 'c=$(printf "s:20" | base64 | tr -d "=" | tr "+/" "-_"); test "$(curl -s -o /dev/null -w "%{http_code}" -H "Authorization: Bearer $2" "$1/api/v1/history/wiki/Paged?cursor=$c")" = 400' _ "$URL" "$ED"
ok 'a cursor that is garbage: 400' answer 400 get "$H" "$ED" GET '/history/wiki/Paged?cursor=%21%21'
ok 'a limit out of range: 400' answer 400 get "$H" "$ED" GET '/history/wiki/Paged?limit=0'
ok 'no history: 404' answer 404 get "$H" "$ED" GET /history/wiki/Never-Was

# --- rename and delete
R='/rename/{space}/{page}'
ok 'rename' answer 200 post "$R" "$ED" POST /rename/wiki/Paged '{"to": "Paged Renamed", "message": "tidy"}'
ok '... to the link form of the title' test "$(field .name)" = Paged-Renamed
ok '... the new name reads' is 200 "$ED" GET /pages/wiki/Paged-Renamed
ok '... onto a taken name: 409' answer 409 post "$R" "$ED" POST /rename/wiki/Paged-Renamed '{"to": "Home"}'
ok '... to itself: 400' answer 400 post "$R" "$ED" POST /rename/wiki/Paged-Renamed '{"to": "Paged-Renamed"}'
ok '... to a bad name: 400' answer 400 post "$R" "$ED" POST /rename/wiki/Paged-Renamed '{"to": "../x"}'
ok '... without "to": 400 naming it' with 'test "$(api "$1" POST /rename/wiki/Paged-Renamed "{}")" = 400 && grep -q "to: missing" "$2"' "$ED" "$T/body"
ok '... from a stale base: 409' answer 409 post "$R" "$ED" POST /rename/wiki/Paged-Renamed "{\"to\": \"Elsewhere\", \"base\": \"$HOME_C\"}"
ok 'delete' answer 200 delete "$E" "$ED" DELETE /pages/wiki/Paged-Renamed '{"message": "not needed"}'
ok '... gone' is 404 "$ED" GET /pages/wiki/Paged-Renamed
ok '... its history says so' with 'api "$1" GET /history/wiki/Paged-Renamed >/dev/null; test "$(jq -r ".items[0].change" <"$2")" = deleted' "$ED" "$T/body"
ok 'delete without a body' is 200 "$ED" DELETE /pages/wiki/Session
ok 'delete again: 404' answer 404 delete "$E" "$ED" DELETE /pages/wiki/Session
ok 'delete from a stale base: 409' answer 409 delete "$E" "$ED" DELETE /pages/wiki/Notes/Api-Made "{\"base\": \"$C1\"}"
ok 'a method the address does not take: 405' is 405 "$ED" PATCH /pages/wiki/Home
ok '... a JSON error' valid_error
ok '... with Allow' grep -qi '^Allow: GET, PUT, DELETE' "$T/headers"
ok 'an address the API does not have: 404 JSON' with 'test "$(api "$1" GET /nothing)" = 404 && test "$(jq -r .error.code <"$2")" = not_found' "$ED" "$T/body"

# --- search, customers, recent
ok 'search' answer 200 get /search "$ED" GET '/search?q=customer'
ok '... ranked, with snippets and facets' sh -c 'test "$(jq ".items | length" <"$1")" -ge 1 && jq -r ".items[0].snippet_html" <"$1" | grep -q "<mark>" && jq -e ".facets.customer" <"$1" >/dev/null' _ "$T/body"
ok '... in the order the web ranks them' sh -c 'jq -r ".items[].name" <"$1" >"$1.api"; curl -s -b "$3" "$2/search?q=customer" | sed -n "s/.*<span class=\"result-path\">\([^<]*\)<.*/\1/p" >"$1.web"; test -s "$1.api" && cmp -s "$1.api" "$1.web"' _ "$T/body" "$URL" "$T/ed.jar"
ok 'search with a filter' answer 200 get /search "$ED" GET '/search?q=first&customer=Initech'
ok '... finds the page' test "$(field '.items[0].name')" = Notes/Api-Made
ok 'search paged by one' with 'api "$1" GET "/search?q=customer&limit=1" >/dev/null && c=$(jq -r .next_cursor <"$2") && n1=$(jq -r ".items[0].name" <"$2") &&
	api "$1" GET "/search?q=customer&limit=1&cursor=$c" >/dev/null && test "$(jq -r ".items[0].name" <"$2")" != "$n1"' "$ED" "$T/body"
ok 'a search of nothing: 400' answer 400 get /search "$ED" GET '/search?q=%20'
ok 'customers' answer 200 get /customers "$ED" GET /customers
ok '... Acme Corp and Initech' sh -c 'jq -r ".items[].name" <"$1" | grep -qx "Acme Corp" && jq -r ".items[].name" <"$1" | grep -qx Initech' _ "$T/body"
ok 'customers paged' with 'api "$1" GET "/customers?limit=1" >/dev/null && c=$(jq -r .next_cursor <"$2") && test "$c" != null' "$ED" "$T/body"
ok 'the customer 360' answer 200 get '/customers/{name}' "$ED" GET /customers/Acme-Corp
ok '... pages by department, who knows' sh -c 'test "$(jq ".departments | length" <"$1")" -ge 1 && test "$(jq -r ".who_knows[0].name" <"$1")" = kennis' _ "$T/body"
ok 'a customer nobody wrote about: 404' answer 404 get '/customers/{name}' "$ED" GET /customers/Nobody-Inc
ok 'recent changes' answer 200 get /recent "$ED" GET /recent
ok '... newest first: the last deletion' sh -c 'test "$(jq -r ".items[0].name" <"$1")" = Session && test "$(jq -r ".items[0].change" <"$1")" = deleted' _ "$T/body"
ok '... of one customer' with 'api "$1" GET "/recent?customer=Initech" >/dev/null && test "$(jq -r "[.items[].name] | unique | join(\",\")" <"$2")" = Notes/Api-Made' "$ED" "$T/body"
ok '... paged' with 'api "$1" GET "/recent?limit=2" >/dev/null && test "$(jq ".items | length" <"$2")" = 2 && c=$(jq -r .next_cursor <"$2") && api "$1" GET "/recent?limit=2&cursor=$c" >/dev/null && test "$(jq ".items | length" <"$2")" -ge 1' "$ED" "$T/body"

# --- watches
W=/watches
ok 'watch a customer: 201' answer 201 post $W "$ED" POST $W '{"customer": "Globex", "mode": "digest"}'
WID=$(field .id)
ok 'again, at once: 200, the same watch' with 'test "$(api "$1" POST /watches "{\"customer\": \"globex\", \"mode\": \"immediate\"}")" = 200 && test "$(jq -r .id <"$2")" = "$3" && test "$(jq -r .mode <"$2")" = immediate' "$ED" "$T/body" "$WID"
ok 'watch a page of the wiki' answer 201 post $W "$ED" POST $W '{"page": "Home"}'
ok '... in the wiki' test "$(field .space)" = wiki
ok 'watch a tag' is 201 "$ED" POST $W '{"tag": "api"}'
ok 'the watches' answer 200 get $W "$ED" GET $W
ok '... three' test "$(jq '.items | length' <"$T/body")" = 3
ok '... on the web too' sh -c 'curl -s -b "$1" "$2/watching" | grep -q Globex' _ "$T/ed.jar" "$URL"
ok '... paged' with 'api "$1" GET "/watches?limit=2" >/dev/null && c=$(jq -r .next_cursor <"$2") && api "$1" GET "/watches?cursor=$c" >/dev/null && test "$(jq ".items | length" <"$2")" = 1' "$ED" "$T/body"
ok 'two things at once: 400' answer 400 post $W "$ED" POST $W '{"customer": "A", "tag": "b"}'
ok 'a mode it does not know: 400' is 400 "$ED" POST $W '{"customer": "A", "mode": "hourly"}'
ok 'a space for a customer: 400' is 400 "$ED" POST $W '{"customer": "A", "space": "wiki"}'
ok 'stop one by id' answer 200 delete '/watches/{id}' "$ED" DELETE "$W/$WID"
ok 'stop one by what it watches' answer 200 delete $W "$ED" DELETE $W '{"tag": "API"}'
ok '... one left' with 'api "$1" GET /watches >/dev/null && test "$(jq ".items | length" <"$2")" = 1' "$ED" "$T/body"
ok 'stop what one does not watch: 404' answer 404 delete $W "$ED" DELETE $W '{"tag": "never"}'
ok "stop someone else's watch: 404" with 'api "$1" POST /watches "{\"owner\": \"ada\"}" >/dev/null && id=$(jq -r .id <"$3") && test "$(api "$2" DELETE "/watches/$id")" = 404' "$FIN" "$ED" "$T/body"
ok 'watches need an account: 401' is 401 - GET $W

# --- hostile input: a clear 4xx JSON error and a log line each
P=/pages/wiki/Hostile
ok 'not JSON: 400' answer 400 put "$E" "$ED" PUT $P '{"markdown": '
ok '... logged with the request' logged "api PUT /api/v1/pages/wiki/Hostile from 127.0.0.1 (ed): 400 bad_request: the body is not JSON"
ok 'not an object: 400' is 400 "$ED" PUT $P '["markdown"]'
ok 'a wrong type names the field: 400' with 'test "$(api "$1" PUT "$3" "{\"markdown\": 5}")" = 400 && grep -q "markdown: a string is needed" "$2"' "$ED" "$T/body" "$P"
ok '... so does a wrong base' with 'test "$(api "$1" PUT "$3" "{\"markdown\": \"x\", \"base\": 12}")" = 400 && grep -q "base: a string" "$2"' "$ED" "$T/body" "$P"
ok 'an unknown field: 400' with 'test "$(api "$1" PUT "$3" "{\"markdown\": \"x\", \"mark_down\": \"y\"}")" = 400 && grep -q "mark_down: no such field" "$2"' "$ED" "$T/body" "$P"
ok 'a key twice: 400' is 400 "$ED" PUT $P '{"markdown": "a", "markdown": "b"}'
DEEP=$(printf '{"markdown": "x", "message": %s1%s}' "$(printf '[%.0s' $(seq 100))" "$(printf ']%.0s' $(seq 100))")
ok 'deep nesting: 400' answer 400 put "$E" "$ED" PUT $P "$DEEP"
ok '... logged' logged 'nests arrays and objects deeper than 16'
ok 'bad UTF-8: 400' sh -c 'printf "{\"markdown\": \"\\377\\376\"}" >"$1/bad.json" && test "$(curl -s -o "$2" -w "%{http_code}" -X PUT -H "Authorization: Bearer $3" -H "Content-Type: application/json" --data-binary @"$1/bad.json" "$4/api/v1/pages/wiki/Hostile")" = 400' _ "$T" "$T/body" "$ED" "$URL"
ok 'a NUL in a string: 400' with 'test "$(api "$1" PUT "$3" "{\"markdown\": \"a\\u0000b\"}")" = 400' "$ED" "$T/body" "$P"
ok 'not JSON at all (a form): 415' answer 415 put "$E" "$ED" PUT $P 'markdown=x' -H 'Content-Type: application/x-www-form-urlencoded'
ok '... no type: 415' sh -c 'test "$(curl -s -o /dev/null -w "%{http_code}" -X PUT -H "Authorization: Bearer $1" --data-binary "{}" -H "Content-Type:" "$2/api/v1/pages/wiki/Hostile")" = 415' _ "$ED" "$URL"
ok 'an empty body: 400' is 400 "$ED" PUT $P '' -H 'Content-Type: application/json'
head -c 5000000 /dev/zero | tr '\0' a >"$T/huge"
ok 'a huge body: 413 JSON, before it is read' sh -c 'test "$(curl -s -o "$2" -w "%{http_code}" -X PUT -H "Authorization: Bearer $1" -H "Content-Type: application/json" --data-binary @"$3/huge" "$4/api/v1/pages/wiki/Hostile")" = 413 && test "$(jq -r .error.code <"$2")" = too_large' _ "$ED" "$T/body" "$T" "$URL"
ok '... logged' logged 'PUT /api/v1/pages/wiki/Hostile from 127.0.0.1: body over'
ok '... chunked too' sh -c 'test "$(curl -s -o "$2" -w "%{http_code}" -X PUT -H "Transfer-Encoding: chunked" -H "Authorization: Bearer $1" -H "Content-Type: application/json" --data-binary @"$3/huge" "$4/api/v1/pages/wiki/Hostile")" = 413 && test "$(jq -r .error.code <"$2")" = too_large' _ "$ED" "$T/body" "$T" "$URL"
"$PY" -c 'import json,sys; json.dump({"markdown": "a" * 1100000}, open(sys.argv[1], "w"))' "$T/bigpage"
ok 'a page over 1 MiB: 413' sh -c 'test "$(curl -s -o "$2" -w "%{http_code}" -X PUT -H "Authorization: Bearer $1" -H "Content-Type: application/json" --data-binary @"$3/bigpage" "$4/api/v1/pages/wiki/Hostile")" = 413 && grep -q "markdown" "$2"' _ "$ED" "$T/body" "$T" "$URL"
ok 'a bad page name: 400' answer 400 get "$E" "$ED" GET '/pages/wiki/Notes/..%2Fsecret'
ok '... says why' has 'bad page name'
ok 'a hidden part: 400' is 400 "$ED" PUT /pages/wiki/.git/config '{"markdown": "x"}'
ok 'a NUL in the address: 400' sh -c 'test "$(curl -s -o "$1" -w "%{http_code}" -H "Authorization: Bearer $2" "$3/api/v1/pages/wiki/A%00B")" = 400 && test "$(jq -r .error.code <"$1")" = bad_request' _ "$T/body" "$ED" "$URL"
ok 'the Hostile page was never written' is 404 "$ED" GET $P
ok 'the server still answers' is 200 "$ED" GET /pages/wiki/Home

# --- a confidential space: 404 to an outsider on every endpoint, absent from the lists
ok 'a member writes in the space: 201' answer 201 put "$E" "$FIN" PUT /pages/finance/Globex-Terms "{\"markdown\": \"---\ncustomer: Globex\ntags: [terms]\n---\n# Terms\n\nNet 30, $MARK.\n\"}"
FC=$(field .commit)
ok '... reads it' answer 200 get "$E" "$FIN" GET /pages/finance/Globex-Terms
ok '... finds it' with 'api "$1" GET "/search?q=$2" >/dev/null && test "$(jq -r ".items[0].space" <"$3")" = finance' "$FIN" "$MARK" "$T/body"
ok '... sees the customer' with 'api "$1" GET /customers/Globex >/dev/null && grep -q Globex-Terms "$2"' "$FIN" "$T/body"
ok '... and the change' with 'api "$1" GET /recent >/dev/null && jq -r ".items[].space" <"$2" | grep -qx finance' "$FIN" "$T/body"
ok '... may watch its page' is 201 "$FIN" POST $W '{"page": "Globex-Terms", "space": "finance"}'
# (a read token's writes are 403 before the space is looked at: the same for any space)
for who in OUT ED EDR RITA; do
	eval "t=\$$who"
	w=404; [ "$who" = EDR ] && w=403
	ok "$who: GET the page: 404" answer 404 get "$E" "$t" GET /pages/finance/Globex-Terms
	ok "$who: ... of an old revision: 404" is 404 "$t" GET "/pages/finance/Globex-Terms?rev=$FC"
	ok "$who: ... one that does not exist: the same 404" with 'api "$1" GET /pages/finance/Globex-Terms >/dev/null; cp "$2" "$2.a"; api "$1" GET /pages/finance/No-Such >/dev/null; jq -r .error.message <"$2.a" >"$2.ma"; jq -r .error.message <"$2" >"$2.mb"; cmp -s "$2.ma" "$2.mb"' "$t" "$T/body"
	ok "$who: PUT: $w" is $w "$t" PUT /pages/finance/Globex-Terms '{"markdown": "mine"}'
	ok "$who: DELETE: $w" is $w "$t" DELETE /pages/finance/Globex-Terms
	ok "$who: rename: $w" is $w "$t" POST /rename/finance/Globex-Terms '{"to": "X"}'
	ok "$who: history: 404" is 404 "$t" GET /history/finance/Globex-Terms
	ok "$who: watch its page: $w" is $w "$t" POST $W '{"page": "Globex-Terms", "space": "finance"}'
	ok "$who: search finds nothing of it" with 'api "$1" GET "/search?q=$2" >/dev/null; test "$(jq .total <"$3")" = 0 && test "$(jq ".items | length" <"$3")" = 0 && ! jq -c ".items, .facets" <"$3" | grep -q -e "$2" -e Globex' "$t" "$MARK" "$T/body"
	ok "$who: ... nor by its customer" with 'api "$1" GET "/search?q=terms" >/dev/null; ! grep -q -e Globex -e finance "$2"' "$t" "$T/body"
	ok "$who: customers: no Globex" with 'api "$1" GET /customers >/dev/null && ! grep -q Globex "$2"' "$t" "$T/body"
	ok "$who: the customer 360: 404" is 404 "$t" GET /customers/Globex
	ok "$who: recent: nothing of the space" with 'api "$1" GET /recent >/dev/null && ! grep -q -e finance -e Globex "$2"' "$t" "$T/body"
	ok "$who: ... by customer either" with 'api "$1" GET "/recent?customer=Globex" >/dev/null && test "$(jq ".items | length" <"$2")" = 0' "$t" "$T/body"
done
ok 'an outsider moving a page into the space: 403, and nothing moves' with 'test "$(api "$1" POST /rename/wiki/Notes/Api-Made "{\"to\": \"Stolen\", \"space\": \"finance\"}")" = 403 && test "$(api "$1" GET /pages/wiki/Notes/Api-Made)" = 200' "$OUT"
ok 'a member moves a wiki page into the space' with 'api "$1" PUT /pages/wiki/To-Move "{\"markdown\": \"moving\"}" >/dev/null && test "$(api "$1" POST /rename/wiki/To-Move "{\"to\": \"Moved\", \"space\": \"finance\"}")" = 200 && test "$(jq -r .space <"$2")" = finance && test "$(api "$1" GET /pages/finance/Moved)" = 200 && test "$(api "$1" GET /pages/wiki/To-Move)" = 404' "$FIN" "$T/body"
ok '... which an outsider cannot see' is 404 "$OUT" GET /pages/finance/Moved

# --- HTTP Basic with a password is throttled as the login form is (near the end: it throttles rita's name)
# (the waits double: go on until one is long enough that a loaded machine still asks within it)
n=0; c=; ra=0; first=
while [ $n -lt 20 ]; do
	c=$(curl -s -o "$T/body" -D "$T/headers" -w '%{http_code}' -u "rita:wrong-$n" "$URL/api/v1/recent")
	if [ "$c" = 429 ]; then
		first=${first:-$n}
		ra=$(sed -n 's/^Retry-After: *\([0-9]*\).*/\1/Ip' "$T/headers")
		[ "${ra:-0}" -ge 4 ] && break
		sleep "${ra:-1}"
	fi
	n=$((n + 1))
done
ok "wrong passwords over Basic: 401, then 429 (from try ${first:-none}, Retry-After $ra)" test "$c" = 429
ok '... as JSON, with Retry-After' sh -c 'test "$(jq -r .error.code <"$1")" = too_many_requests && grep -qi "^Retry-After: [1-9]" "$2"' _ "$T/body" "$T/headers"
ok '... even the right password waits' test "$(curl -s -o /dev/null -w '%{http_code}' -u rita:pw-rita-secret "$URL/api/v1/recent")" = 429
ok "... a token of the same user does not" is 200 "$RITA" GET /recent

# --- the log: every refusal above has a line
ok 'refusals are logged with the user' logged 'api PUT /api/v1/pages/wiki/Scoped from 127.0.0.1 (ed): 403 forbidden: this token may only read'
ok 'no request was answered 5xx' sh -c '! grep -E "^[^ ]+ info (GET|PUT|POST|DELETE) /api/v1/[^ ]* 5[0-9][0-9] " "$1"' _ "$LOG"
done_testing
