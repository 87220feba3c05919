#!/bin/sh
# Request smuggling: every request whose end two parsers could place differently gets one
# 400 and a closed connection, so the request pipelined behind it is never read. Raw sockets
# (tests/framing.pl), because curl refuses to send these.
. "$(dirname "$0")/lib.sh"
start_server
HP=${URL#http://}
CRLF='\r\n' # expanded by printf %b in the helpers below
# The smuggled request: answered (200) only if the server read past the bad one.
NEXT="GET /healthz HTTP/1.1${CRLF}Host: x${CRLF}Connection: close${CRLF}${CRLF}"

# send HEAD BODY: the request (header lines joined by CRLF), its body, then NEXT.
send() { printf '%b\r\n\r\n%b%b' "$1" "$2" "$NEXT" | perl "$TOP/tests/framing.pl" "$HP"; }
# refused NAME HEAD BODY: exactly one response, a 400, then the connection is closed.
refused() {
	ok "$1: 400 and closed" sh -c 'out=$(printf "%b\r\n\r\n%b%b" "$1" "$2" "$3" | perl "$4" "$5"); echo "$out"
		test "$out" = "statuses=400 closed=1 extra=0"' _ "$2" "$3" "$NEXT" "$TOP/tests/framing.pl" "$HP"
}
POST="POST /healthz HTTP/1.1${CRLF}Host: x"

# What a well-behaved client sends is served, pipelining and all (the checks can see a
# second response).
ok 'plain Content-Length: both answered' test "$(send "$POST${CRLF}Content-Length: 5" hello)" = "statuses=405,200 closed=1 extra=0"
ok 'chunked: both answered' test "$(send "$POST${CRLF}Transfer-Encoding: chunked" "5${CRLF}hello${CRLF}0${CRLF}${CRLF}")" = "statuses=405,200 closed=1 extra=0"
ok 'HTTP/1.0 without Host is served' test "$(send "GET /healthz HTTP/1.0" "")" = "statuses=200 closed=1 extra=0"

refused 'Content-Length with Transfer-Encoding' "$POST${CRLF}Content-Length: 5${CRLF}Transfer-Encoding: chunked" "0${CRLF}${CRLF}"
refused 'Transfer-Encoding with a tab, and Content-Length' "$POST${CRLF}Content-Length: 5${CRLF}Transfer-Encoding:	chunked" "0${CRLF}${CRLF}"
refused 'CHUNKED and Content-Length' "$POST${CRLF}Content-Length: 5${CRLF}Transfer-Encoding: CHUNKED" "0${CRLF}${CRLF}"
refused 'two Transfer-Encoding headers' "$POST${CRLF}Transfer-Encoding: chunked${CRLF}Transfer-Encoding: identity" "0${CRLF}${CRLF}"
refused 'Transfer-Encoding: gzip, chunked' "$POST${CRLF}Transfer-Encoding: gzip, chunked" "0${CRLF}${CRLF}"
refused 'Transfer-Encoding: identity (body to the end of the connection)' "$POST${CRLF}Transfer-Encoding: identity" ""
refused 'Transfer-Encoding in HTTP/1.0' "POST /healthz HTTP/1.0${CRLF}Transfer-Encoding: chunked" "0${CRLF}${CRLF}"
refused 'two equal Content-Length headers' "$POST${CRLF}Content-Length: 5${CRLF}Content-Length: 5" hello
refused 'two different Content-Length headers' "$POST${CRLF}Content-Length: 5${CRLF}Content-Length: 7" hello
refused 'Content-Length of 23 digits' "$POST${CRLF}Content-Length: 00000000000000000000005" hello
refused 'space before the colon' "$POST${CRLF}Content-Length : 5" hello
refused 'HTTP/1.1 without Host' "GET /healthz HTTP/1.1" ""
refused 'two Host headers' "GET /healthz HTTP/1.1${CRLF}Host: a${CRLF}Host: b" ""

# Content-Length values libmicrohttpd 0.9.75 cannot parse never reach kennis: it answers by
# itself, and (its bug) repeats the header block, so the reply is garbled (extra > 0). What
# matters holds: one status, the connection closed, the smuggled request never read.
mhd_refused() {
	ok "$1: $2 by libmicrohttpd, closed, nothing smuggled" sh -c 'out=$(printf "%b\r\n\r\n%b%b" "$1" "$2" "$3" | perl "$4" "$5"); echo "$out"
		echo "$out" | grep -Eq "^statuses=$6 closed=1 "' _ "$3" "$4" "$NEXT" "$TOP/tests/framing.pl" "$HP" "$2"
}
mhd_refused 'Content-Length: 5, 5' 400 "$POST${CRLF}Content-Length: 5, 5" hello
mhd_refused 'Content-Length: -1' 400 "$POST${CRLF}Content-Length: -1" ""
mhd_refused 'Content-Length: +5' 400 "$POST${CRLF}Content-Length: +5" hello
mhd_refused 'Content-Length: 0x5' 400 "$POST${CRLF}Content-Length: 0x5" hello
mhd_refused 'Content-Length over 2^64' 413 "$POST${CRLF}Content-Length: 99999999999999999999999" hello
# A chunk line longer than the connection's memory (64 KiB): libmicrohttpd answers 500, not
# the 413 it deserves, and closes. Shorter chunk extensions are skipped by libmicrohttpd
# without kennis seeing them.
EXT=$(head -c 100000 /dev/zero | tr '\0' a)
mhd_refused '100 KB chunk extension' 500 "$POST${CRLF}Transfer-Encoding: chunked" "5;$EXT${CRLF}hello${CRLF}0${CRLF}${CRLF}"

ok 'refusals are logged with the address' grep -q 'from 127.0.0.1: both Transfer-Encoding and Content-Length, refused and closed' "$LOG"
ok 'still serving after all that' test "$(code /healthz)" = 200
done_testing
