#!/bin/sh
# Issue 15: absolute URLs (feeds) come from --base-url, default the listen address, never
# from the Host header; a bad --base-url is refused at start.
. "$(dirname "$0")/lib.sh"
"$KENNIS" init "$DATA" >/dev/null
echo 'pw-rd-secret' | "$KENNIS" user add --data "$DATA" --role reader rd >/dev/null
# Anonymous read: no cookie, since curl matches cookies against a forged Host.
start_server --anonymous-read on

# feed PATH: the feed as a client that claims to be evil.example gets it
feed() { curl -s -H 'Host: evil.example' "$URL$1"; }
ok 'feed with a forged Host links to the listen address' sh -c '
	echo "$1" | grep -qF "<link href=\"$2/recent\"/>" && ! echo "$1" | grep -q evil.example' _ "$(feed /feed)" "$URL"
ok 'feed self link is absolute' contains "<link rel=\"self\" href=\"$URL/feed/tag/x\"/>" feed /feed/tag/x
ok 'no --base-url on 127.0.0.1: no warning' sh -c '! grep -q "no --base-url" "$1"' _ "$LOG"
stop_server

start_server --anonymous-read on --base-url https://Wiki.Example.com:8443/
ok 'feed links to --base-url, lowercased, no double slash' sh -c '
	echo "$1" | grep -qF "<link href=\"https://wiki.example.com:8443/recent\"/>" && ! echo "$1" | grep -Eq "evil.example|8443//"' _ "$(feed /feed)"
stop_server

printf 'base-url = http://kb.example\nanonymous-read = on\n' > "$DATA/kennis.conf"
start_server
ok 'base-url from kennis.conf' contains '<link href="http://kb.example/recent"/>' feed /feed
stop_server
rm "$DATA/kennis.conf"

for bad in 'ftp://x.example' 'http://x.example/?q=1' 'http://x.example/#f' 'http://' 'http://u@x.example' \
	'https://x.example/wiki' 'x.example' 'http://x.example:99999' 'http://x.example:' 'http://x example' \
	'http://x.example//' 'javascript:alert(1)' 'http://[::1' 'http://[nope]/' 'http://-x.example' 'http://a..b'; do
	ok "--base-url '$bad' is refused at start, in one line" sh -c '
		! "$1" serve --data "$2" --listen 127.0.0.1:0 --base-url "$3" >/dev/null 2>"$4/err" &&
		test "$(wc -l <"$4/err")" -eq 1 && grep -q "^kennis: bad --base-url" "$4/err"' _ "$KENNIS" "$DATA" "$bad" "$T"
done
for good in 'https://[2001:db8::1]:443/|https://[2001:db8::1]:443/recent' 'HTTPS://KB.example.COM|https://kb.example.com/recent' \
	'http://127.0.0.1:8080/|http://127.0.0.1:8080/recent'; do
	start_server --anonymous-read on --base-url "${good%%|*}"
	ok "--base-url '${good%%|*}' gives ${good#*|}" contains "<link href=\"${good#*|}\"/>" feed /feed
	stop_server
done

start_server --anonymous-read on --behind-tls on
ok 'behind TLS without --base-url: a warning says what feeds link to' grep -q "no --base-url: feeds link to $URL" "$LOG"
done_testing
