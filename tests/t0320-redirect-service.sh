#!/bin/sh
# Issue 15: login redirects stay on this site, and the git service parameter is read the
# way git reads it.
. "$(dirname "$0")/lib.sh"
"$KENNIS" init "$DATA" >/dev/null
echo 'pw-rd-secret' | "$KENNIS" user add --data "$DATA" --role reader rd >/dev/null
TOK_RD=$("$KENNIS" token add --data "$DATA" rd 2>/dev/null)
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

# --- item 9: one reading of service=, git's; a repeated service is refused
auth="Authorization: Basic $(printf 'rd:%s' "$TOK_RD" | base64 -w0)"
refs() { curl -s -D "$T/refs.hdr" -o "$T/refs.out" -w '%{http_code}' -H "$auth" "$URL/wiki.git/info/refs?$1"; }
ok 'reader reads the upload-pack advertisement' sh -c 'test "$1" = 200 && grep -q "service=git-upload-pack" "$2"' _ "$(refs service=git-upload-pack)" "$T/refs.out"
for q in 'service=git-upload-pack&service=git-receive-pack' 'service=git-receive-pack&service=git-upload-pack' \
	'service=git-upload-pack&s%65rvice=git-receive-pack' 'service=git-upload-pack&service%3Dgit-receive-pack' \
	'service&git-receive-pack' 's%65rvice=git-receive-pack' 'service=git-rec%65ive-pack' 'service=git-receive-pack'; do
	c=$(refs "$q")
	ok "reader: info/refs?$q gets no receive-pack advertisement ($c)" sh -c '
		! grep -Eq "receive-pack|report-status" "$1" && { test "$2" != 200 || grep -q "service=git-upload-pack" "$1"; }' _ "$T/refs.out" "$c"
done
ok 'a repeated service is 400' test "$(refs 'service=git-upload-pack&service=git-receive-pack')" = 400
ok 'a repeated service is logged' grep -q 'git GET /wiki.git/info/refs from .*: service given twice, or a %00 in the query, refused' "$LOG"
ok 'reader may still clone' git -c credential.helper= -c "http.extraHeader=$auth" clone -q "$URL/wiki.git" "$T/clone"
done_testing
