#!/bin/sh
# Issue 13: images from other sites are blocked by the Content-Security-Policy unless the
# --img-src setting names them (off by default); the setting adds image sources only and
# takes nothing that could loosen or add another directive.
. "$(dirname "$0")/lib.sh"
csp() { curl -s -o /dev/null -D - "$URL${1:-/}" | sed -n 's/^Content-Security-Policy: *\([^\r]*\).*/\1/Ip'; }
start_server
save Pics "$(base_of Pics)" '![remote](https://img.example.com/logo.png)' >/dev/null
ok 'a page may embed an image from another site' contains '<img src="https://img.example.com/logo.png"' get /wiki/Pics
ok 'by default the policy allows this site and data: images only' test "$(csp)" = \
	"default-src 'none'; style-src 'self'; img-src 'self' data:; script-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
stop_server

start_server --img-src https:
ok '--img-src https: adds https: to img-src' sh -c 'echo "$1" | grep -q "; img-src '"'self'"' data: https:; script-src '"'self'"';"' _ "$(csp /wiki/Pics)"
ok '... on every answer (an error page too)' sh -c 'echo "$1" | grep -q "img-src '"'self'"' data: https:;"' _ "$(csp /wiki/No-Such-Page)"
ok '... and nothing else changes' test "$(csp | sed 's/ https:;/;/')" = \
	"default-src 'none'; style-src 'self'; img-src 'self' data:; script-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
stop_server

printf 'img-src = cdn.example.com, *.example.org\n' > "$DATA/kennis.conf"
start_server
ok 'hosts from kennis.conf, one blank apart' sh -c 'echo "$1" | grep -q "img-src '"'self'"' data: cdn.example.com \*.example.org;"' _ "$(csp)"
stop_server
rm -f "$DATA/kennis.conf"

for bad in "'unsafe-inline'" "https:; script-src *" "https: 'self'" 'a"b' "evil.com;" "https://x.com/a?b" ""; do
	ok "--img-src \"$bad\" is refused at start" sh -c '"$1" serve --data "$2" --listen 127.0.0.1:0 --img-src "$3" >/dev/null 2>"$4/err";
		test $? = 2 && grep -q "kennis: bad --img-src" "$4/err"' _ "$KENNIS" "$DATA" "$bad" "$T"
done
done_testing
