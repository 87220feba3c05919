#!/bin/sh
# Issue 15 item 7: login throttling counts per account name and per client address
# separately, so a guesser blocks only the names it guesses, and a proxy's address trips
# only at its own, much higher limit. Clients come from 127.0.0.1, .2 and .3.
. "$(dirname "$0")/lib.sh"
"$KENNIS" init "$DATA" >/dev/null
for u in ada bob carl; do echo "pw-$u-secret" | "$KENNIS" user add --data "$DATA" --role reader "$u" >/dev/null; done
start_server --login-address-limit 20

# login FROM USER PASSWORD: the status of a login from 127.0.0.FROM (headers in $T/login.hdr)
login() {
	curl -s -o /dev/null -D "$T/login.hdr" -w '%{http_code}' --interface "127.0.0.$1" "$URL/login" \
		--data-urlencode "user=$2" --data-urlencode "password=$3"
}
retry_after() { sed -n 's/^Retry-After: *\([0-9][0-9]*\).*/\1/Ip' "$T/login.hdr" | head -1; }

# --- a guesser trying many names from one address blocks nobody else there
codes=
for i in $(seq 1 12); do codes="$codes $(login 1 "ghost$i" wrong-password)"; done
ok "12 failures with unknown names are each 401 ($codes)" test "$(echo $codes | tr ' ' '\n' | sort -u)" = 401
ok 'then a real user from the same address logs in' test "$(login 1 ada pw-ada-secret)" = 303

# --- guessing one name throttles that name, from every address, and no other
throttled=0; ra=0; i=0
while [ $i -lt 20 ]; do
	c=$(login 2 carl "wrong-$i")
	if [ "$c" = 429 ]; then
		ra=$(retry_after)
		[ "${ra:-0}" -ge 4 ] && { throttled=1; break; }
		sleep "${ra:-1}"
	fi
	i=$((i + 1))
done
ok "failures on carl back off exponentially (Retry-After $ra)" test $throttled = 1
# (the checks of carl's wait come first: they cost no password hashing, so they run
# within the wait even on a loaded machine)
ok 'carl waits even with the right password' test "$(login 2 carl pw-carl-secret)" = 429
ok '... from another address too' test "$(login 3 carl pw-carl-secret)" = 429
ok 'names are one counter whatever their case' test "$(login 3 CARL pw-carl-secret)" = 429
ok 'git Basic auth for carl waits too' test "$(curl -s -o /dev/null -w '%{http_code}' --interface 127.0.0.3 -u carl:pw-carl-secret "$URL/wiki.git/info/refs?service=git-upload-pack")" = 401
ok '... and is logged so' grep -q 'git auth from 127.0.0.3 for carl: throttled (too many failures for this name)' "$LOG"
ok 'bob logs in from the guesser'"'"'s address' test "$(login 2 bob pw-bob-secret)" = 303
ok 'the log says the name is throttled' grep -q 'login carl from 127.0.0.2: throttled for .* (too many failures for this name)' "$LOG"

# --- the address limit (20 an hour here) still trips: 12 failures so far from .1
codes=
for i in $(seq 13 20); do codes="$codes $(login 1 "ghost$i" wrong-password)"; done
ok "failures 13 to 20 from one address are 401 ($codes)" test "$(echo $codes | tr ' ' '\n' | sort -u)" = 401
ok 'failure 21 is 401 too, and starts the wait' test "$(login 1 ghost21 wrong-password)" = 401
# The first waits are 1 and 2 s (whole seconds, so the first may end at once): more
# failures until the wait is 4 s or more, then check within it, as for carl.
ra=0; i=22
while [ $i -lt 40 ]; do
	c=$(login 1 "ghost$i" wrong-password)
	if [ "$c" = 429 ]; then
		ra=$(retry_after)
		[ "${ra:-0}" -ge 4 ] && break
		sleep "${ra:-1}"
	fi
	i=$((i + 1))
done
ok "failures past 21 from that address back off (Retry-After $ra)" test "${ra:-0}" -ge 4
ok 'then even bob'"'"'s right password from that address is 429' test "$(login 1 bob pw-bob-secret)" = 429
ok '... with a Retry-After' test "$(retry_after)" -ge 1
ok 'the log says the address is throttled' grep -q 'login bob from 127.0.0.1: throttled for .* (too many failures from this address)' "$LOG"
ok 'bob logs in from another address' test "$(login 3 bob pw-bob-secret)" = 303

ok 'git Basic auth for bob works from another address' test "$(curl -s -o /dev/null -w '%{http_code}' --interface 127.0.0.3 -u bob:pw-bob-secret "$URL/wiki.git/info/refs?service=git-upload-pack")" = 200
done_testing
