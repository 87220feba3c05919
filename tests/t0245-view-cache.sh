#!/bin/sh
# Kept views (docs/scale.md): a cached page view is the page of its viewer and of main as it
# is now: each viewer their own name and CSRF token, a save shows at once, links turn from
# red to blue when their page appears, backlinks follow, nothing of one viewer leaks to
# another, and markers in a page's text are only text. A kept view never crosses a space's
# boundary: a confidential page viewed by a member is 404 for an outsider, and a wiki page
# that a confidential page links to lists that backlink for members only.
. "$(dirname "$0")/lib.sh"
"$KENNIS" init "$DATA" >/dev/null
adduser() { echo "pw-$1-secret" | "$KENNIS" user add --data "$DATA" --role "$2" --display "$3" "$1" >/dev/null; }
adduser amy editor 'Amy Able'
adduser bob editor 'Bob Baker'
"$KENNIS" space add --data "$DATA" secret --read amy >/dev/null 2>&1
start_server --anonymous-read on
login() { curl -s -o /dev/null -c "$T/$1.jar" "$URL/login" --data-urlencode "user=$1" --data-urlencode "password=pw-$1-secret"; }
as() { u=$1; shift; curl -s -b "$T/$u.jar" -c "$T/$u.jar" "$@"; }
login amy
login bob
csrf_of() { as "$1" "$URL/edit/Home" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -1; }
CA=$(csrf_of amy)
CB=$(csrf_of bob)
ok 'two sessions, two tokens' sh -c 'test -n "$1" && test -n "$2" && test "$1" != "$2"' _ "$CA" "$CB"
ok 'save a page with a link to a missing page' test "$(as amy -o /dev/null -w '%{http_code}' "$URL/edit/Cached" \
	--data-urlencode "csrf=$CA" --data-urlencode 'base=' --data-urlencode 'content=Hello [[Not Yet]] and [[Home]].')" = 303

# the same page for three viewers, twice each, in turns: the second time it is a kept view
for round in 1 2; do
	as amy "$URL/wiki/Cached" >"$T/amy.$round"
	as bob "$URL/wiki/Cached" >"$T/bob.$round"
	curl -s "$URL/wiki/Cached" >"$T/anon.$round"
done
for round in 1 2; do
	ok "amy sees her name and token ($round)" sh -c 'grep -q "Amy Able" "$1" && grep -q "value=\"$2\"" "$1" && ! grep -q "Bob Baker" "$1" && ! grep -q "$3" "$1"' _ "$T/amy.$round" "$CA" "$CB"
	ok "bob sees his ($round)" sh -c 'grep -q "Bob Baker" "$1" && grep -q "value=\"$2\"" "$1" && ! grep -q "Amy Able" "$1" && ! grep -q "$3" "$1"' _ "$T/bob.$round" "$CB" "$CA"
	ok "a visitor sees no one's ($round)" sh -c '! grep -q "Amy Able\|Bob Baker" "$1" && ! grep -q "$2" "$1" && ! grep -q "$3" "$1" && grep -q "Log in" "$1"' _ "$T/anon.$round" "$CA" "$CB"
done
ok 'a kept view is the same page' cmp -s "$T/amy.1" "$T/amy.2"
ok 'no marker bytes reach anyone' sh -c '! grep -q "$(printf "\002")" "$1" "$2" "$3"' _ "$T/amy.2" "$T/bob.2" "$T/anon.2"
ok 'the missing page is a red link' grep -q 'class="wikilink missing" href="/edit/Not-Yet"' "$T/anon.2"

ok 'create the linked page' test "$(as bob -o /dev/null -w '%{http_code}' "$URL/edit/Not-Yet" \
	--data-urlencode "csrf=$CB" --data-urlencode 'base=' --data-urlencode 'content=Now here. See [[Cached]].')" = 303
ok 'the link is blue now' sh -c 'curl -s "$1/wiki/Cached" | grep -q "class=\"wikilink\" href=\"/wiki/Not-Yet\""' _ "$URL"
ok 'and the page lists its backlink' sh -c 'curl -s "$1/wiki/Cached" | grep -A3 "What links here" | grep -q "/wiki/Not-Yet"' _ "$URL"
base=$(git -C "$DATA/wiki.git" rev-parse main)
ok 'a save shows at once' sh -c 'test "$(curl -s -b "$2" -o /dev/null -w "%{http_code}" "$1/edit/Cached" --data-urlencode "csrf=$3" \
	--data-urlencode "base=$4" --data-urlencode "content=Second version.")" = 303 && curl -s "$1/wiki/Cached" | grep -q "Second version"' \
	_ "$URL" "$T/amy.jar" "$CA" "$base"
# A page whose text looks like a marker: the nonce is the server's secret, so it is text.
ok 'save a page with marker-like bytes' test "$(as amy -o /dev/null -w '%{http_code}' "$URL/edit/Tricky" \
	--data-urlencode "csrf=$CA" --data-urlencode 'base=' --data-urlencode "content=$(printf 'x \0020000000000000000a\003 y')")" = 303
as amy "$URL/wiki/Tricky" >/dev/null
ok 'it never holds a token' sh -c 'p=$(curl -s -b "$2" "$1/wiki/Tricky"); echo "$p" | grep -q "x .*y" && ! echo "$p" | grep -q "x $3 y"' _ "$URL" "$T/amy.jar" "$CA"

# Spaces: amy may read space secret, bob may not.
ok 'amy saves a confidential page linking a wiki page' test "$(as amy -o /dev/null -w '%{http_code}' "$URL/s/secret/edit/Plan" \
	--data-urlencode "csrf=$CA" --data-urlencode 'base=' --data-urlencode 'content=Plan ZEBRA-7731, see [[wiki:Cached]].')" = 303
as amy "$URL/s/secret/wiki/Plan" >/dev/null
ok 'amy reads it from the kept view' sh -c 'curl -s -b "$2" "$1/s/secret/wiki/Plan" | grep -q ZEBRA-7731' _ "$URL" "$T/amy.jar"
ok 'bob (same role, same shape) gets 404 after amy viewed it' test "$(as bob -o "$T/bob.plan" -w '%{http_code}' "$URL/s/secret/wiki/Plan")" = 404
ok 'and no word of it' sh -c '! grep -q "ZEBRA\|Plan" "$1"' _ "$T/bob.plan"
ok 'a visitor gets no page of it either' sh -c 'c=$(curl -s -o "$2" -w "%{http_code}" "$1/s/secret/wiki/Plan"); test "$c" != 200 && ! grep -q ZEBRA "$2"' _ "$URL" "$T/anon.plan"
for round in 1 2; do
	as amy "$URL/wiki/Cached" >"$T/amy.c$round"
	as bob "$URL/wiki/Cached" >"$T/bob.c$round"
done
ok 'amy sees the confidential backlink (kept view too)' sh -c 'grep -q "/s/secret/wiki/Plan" "$1" && grep -q "/s/secret/wiki/Plan" "$2"' _ "$T/amy.c1" "$T/amy.c2"
ok 'bob never does' sh -c '! grep -q "secret\|Plan" "$1" && ! grep -q "secret\|Plan" "$2"' _ "$T/bob.c1" "$T/bob.c2"
ok 'a second confidential backlink shows for amy at once' test "$(as amy -o /dev/null -w '%{http_code}' "$URL/s/secret/edit/Budget" \
	--data-urlencode "csrf=$CA" --data-urlencode 'base=' --data-urlencode 'content=See [[wiki:Cached]].')" = 303
# (once the index has taken the other space's save in: within a second, as main's backlinks)
ok 'in a view kept before it' sh -c 'for i in 1 2 3 4 5 6 7 8 9 10; do curl -s -b "$2" "$1/wiki/Cached" | grep -q "/s/secret/wiki/Budget" && exit 0; sleep 0.5; done; exit 1' _ "$URL" "$T/amy.jar"
done_testing
