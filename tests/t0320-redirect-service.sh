#!/bin/sh
# Issue 15: login redirects stay on this site.
. "$(dirname "$0")/lib.sh"
"$KENNIS" init "$DATA" >/dev/null
echo 'pw-rd-secret' | "$KENNIS" user add --data "$DATA" --role reader rd >/dev/null
start_server

# --- item 5: next= is a path on this site, or it is "/"
# where NEXT: the Location that a successful login with next=NEXT (already urlencoded) answers
where() {
	curl -s -o /dev/null -D - "$URL/login" --data "user=rd&password=pw-rd-secret&next=$1" |
		sed -n 's/^Location: \(.*\)\r$/\1/Ip'
}
ok 'next= to a page of this site' test "$(where %2Fwiki%2FHome%3Frev%3Dabc)" = '/wiki/Home?rev=abc'
for bad in '%2F%09%2Fevil.example' '%2F%0A%2Fevil.example' '%2F%0D%2Fevil.example' '%2F%2Fevil.example' \
	'%2F%5Cevil.example' '%5C%5Cevil.example' '%2F%09%5Cevil.example' 'https%3A%2F%2Fevil.example' \
	'%2F%2F%2Fevil.example' 'evil.example' '%20%2F%2Fevil.example' '%2Fa%5C..%5C%5Cevil.example' \
	'%2F%7F%2Fevil.example' '%2F%01%2Fevil.example' 'javascript%3Aalert(1)'; do
	got=$(where "$bad")
	ok "next=$bad redirects to / (got '$got')" test "$got" = /
done
ok 'next= with a NUL byte never leaves the site' sh -c 'test -z "$(where %2F%00%2Fevil.example | grep -v "^/$")"'
ok 'the login form never carries a bad next' sh -c '! curl -s "$1/login?next=%2F%09%2Fevil.example" | grep -q evil' _ "$URL"
ok 'a refused next is logged' grep -q 'login rd from .*: next .* is not a path of this site' "$LOG"

done_testing
