#!/bin/sh
# Hostile page names are refused with 400 everywhere, and nothing is written. (The
# characters GitHub wikis allow in names, ':' '?' '#' '%' ..., are t0036's.)
. "$(dirname "$0")/lib.sh"
start_server
before=$(git -C "$DATA/wiki.git" rev-parse main)

for p in '..' '../etc/passwd' 'a/../b' '.git' '.git/config' 'a/.git/x' '.hidden' 'a//b' 'a/' \
	'%2e%2e/x' 'a%00b' 'a%0Ab' 'a%7Fb' 'bad%FFutf8' 'a%5Cb' 'a%5C..%5Cb' \
	'a%20/b' 'a./b' "$(printf 'x%.0s' $(seq 1 250))"; do
	for route in wiki edit history raw diff; do
		c=$(curl -s -o /dev/null -w '%{http_code}' --path-as-is "$URL/$route/$p")
		ok "GET /$route/$p is 400 (got $c)" test "$c" = 400
	done
	c=$(curl -s -o /dev/null -w '%{http_code}' --path-as-is "$URL/edit/$p" --data "base=$before&content=x")
	ok "POST /edit/$p is 400 (got $c)" test "$c" = 400
done
ok 'empty name is 400' test "$(code /wiki/)" = 400
ok 'error page is HTML' sh -c 'curl -s --path-as-is "$1/wiki/../x" | grep -q "<h1>400"' _ "$URL"
ok 'bad names are logged' grep -q ' 400 ' "$LOG"
ok 'nothing was committed' test "$(git -C "$DATA/wiki.git" rev-parse main)" = "$before"
ok 'unicode names work' test "$(curl -s -o /dev/null -w '%{http_code}' "$URL/edit/M%C3%BCller-GmbH" --data "base=$before&content=hallo")" = 303
ok 'unicode page readable' contains 'hallo' get /raw/M%C3%BCller-GmbH
ok 'a name may end in a space (file "a .md", as GitHub wikis have)' test "$(code /wiki/a%20)" = 404
ok "... or in '.' (file \"Acme Inc..md\")" test "$(code /wiki/Acme%20Inc.)" = 404
ok 'query with NUL is 400' test "$(code '/wiki/Home?rev=%00')" = 400
ok 'server still alive' test "$(code /)" = 200
done_testing
