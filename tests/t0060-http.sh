#!/bin/sh
# HTTP hygiene: request smuggling, size limits, timeouts, and the server surviving it all.
. "$(dirname "$0")/lib.sh"
start_server --max-form 65536 --timeout 2
HP=${URL#http://}
raw() { perl "$TOP/tests/rawhttp.pl" "$HP"; }

ok 'duplicate Content-Length is 400' sh -c '
	printf "POST /edit/X HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\nhello!!" | perl "$1" "$2" | head -1 | grep -q " 400 "' _ "$TOP/tests/rawhttp.pl" "$HP"
ok 'form over --max-form is 413' test "$(head -c 100000 /dev/zero | tr '\0' a | curl -s -o /dev/null -w '%{http_code}' --data-binary @- "$URL/edit/Big")" = 413
ok 'huge header is refused, not a crash' sh -c '
	c=$(curl -s -o /dev/null -w "%{http_code}" -H "X-Big: $(head -c 100000 /dev/zero | tr "\0" a)" "$1/")
	echo "got $c"; test "$c" = 431 || test "$c" = 413 || test "$c" = 400' _ "$URL"
ok 'garbage request line gets 400 or a close' sh -c '
	out=$(printf "NOT HTTP AT ALL\r\n\r\n" | perl "$1" "$2"); echo "$out" | head -1
	test -z "$out" || echo "$out" | head -1 | grep -q " 400 "' _ "$TOP/tests/rawhttp.pl" "$HP"
ok 'idle connection is closed after the timeout' sh -c '
	start=$(date +%s); perl -MIO::Socket::INET -e "
		my \$s = IO::Socket::INET->new(PeerAddr => \"$1\") or die; my \$b; sysread(\$s, \$b, 1); " ;
	end=$(date +%s); echo "closed after $((end - start)) s"; test $((end - start)) -le 6' _ "$HP"
ok 'form body with a bad escape is 400' test "$(curl -s -o /dev/null -w '%{http_code}' "$URL/edit/X" --data 'base=&content=%zz')" = 400
ok 'still serving after all that' test "$(code /)" = 200
ok 'oversize is logged' grep -q 'body over 65536 bytes' "$LOG"
done_testing
