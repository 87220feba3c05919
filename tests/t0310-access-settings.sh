#!/bin/sh
# Access settings: anonymous read, self-registration, Secure cookies, session expiry,
# proxy single sign-on, and the config file.
. "$(dirname "$0")/lib.sh"
"$KENNIS" init "$DATA" >/dev/null
echo 'pw-ed-secret' | "$KENNIS" user add --data "$DATA" --role editor ed >/dev/null

# kennis.conf turns anonymous read and registration on, and says we are behind TLS.
cat > "$DATA/kennis.conf" <<'CONF'
# settings for the test
anonymous-read = on
registration = on
behind-tls = on
session-idle = 2
CONF
start_server
ok 'anonymous read (from kennis.conf)' test "$(code /wiki/Home)" = 200
ok 'anonymous may not edit' test "$(code /edit/Home)" = 303
ok 'anonymous clone works with anonymous read' git clone -q "$URL/wiki.git" "$T/anon"
ok 'anonymous push is refused with 401' sh -c "cd '$T/anon' && echo x > A.md && git add . && git commit -qm a && ! git push -q origin main 2>/dev/null"
ok 'registration form' test "$(code /register)" = 200
ok 'register a reader' test "$(curl -s -o /dev/null -w '%{http_code}' "$URL/register" --data 'user=newbie&password=newbie-secret&email=n@example.com')" = 303
ok 'registered user is a reader' sh -c '"$1" user list --data "$2" | grep -q "^newbie  *reader"' _ "$KENNIS" "$DATA"
ok 'taken names are refused' test "$(curl -s -o /dev/null -w '%{http_code}' "$URL/register" --data 'user=ed&password=whatever-pw')" = 409
curl -s -o /dev/null -D "$T/h" -c "$T/jar" "$URL/login" --data 'user=ed&password=pw-ed-secret'
ok 'behind TLS the cookie is Secure' grep -qi '^set-cookie: kennis_session=.*; Secure' "$T/h"
# curl will not send a Secure cookie over http: send it by hand.
sid=$(sed -n 's/^Set-Cookie: kennis_session=\([^;]*\);.*/\1/Ip' "$T/h" | tr -d '\r')
ok 'session works' test "$(curl -s -o /dev/null -w '%{http_code}' -b "kennis_session=$sid" "$URL/edit/Home")" = 200
sleep 3.2
ok 'idle session expires (--session-idle 2)' test "$(curl -s -o /dev/null -w '%{http_code}' -b "kennis_session=$sid" "$URL/edit/Home")" = 303
stop_server
rm "$DATA/kennis.conf"

start_server
ok 'default: anonymous read is off once accounts exist' test "$(code /wiki/Home)" = 303
ok 'default: registration is off' test "$(code /register)" = 404
stop_server

# Proxy single sign-on, trusted only from 127.0.0.2.
start_server --trust-proxy-header X-Remote-User --trusted-proxy 127.0.0.2 --proxy-role editor
ok 'proxy header from a trusted address logs in' test "$(curl -s -o /dev/null -w '%{http_code}' --interface 127.0.0.2 -H 'X-Remote-User: sso-user' "$URL/edit/Home")" = 200
ok 'the proxy user was created with --proxy-role' sh -c '"$1" user list --data "$2" | grep -q "^sso-user  *editor"' _ "$KENNIS" "$DATA"
ok 'proxy header from anyone else is ignored' test "$(curl -s -o /dev/null -w '%{http_code}' -H 'X-Remote-User: ed' "$URL/edit/Home")" = 303
ok 'a bad proxy user name is ignored' test "$(curl -s -o /dev/null -w '%{http_code}' --interface 127.0.0.2 -H 'X-Remote-User: ../x' "$URL/edit/Home")" = 303
csrf=$(curl -s --interface 127.0.0.2 -H 'X-Remote-User: sso-user' "$URL/edit/SSO" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -1)
ok 'proxy users get a CSRF token' test ${#csrf} -gt 20
ok 'proxy user saves with it' test "$(curl -s -o /dev/null -w '%{http_code}' --interface 127.0.0.2 -H 'X-Remote-User: sso-user' "$URL/edit/SSO" --data-urlencode "csrf=$csrf" --data 'base=&content=sso')" = 303
ok 'proxy user save without the token is 403' test "$(curl -s -o /dev/null -w '%{http_code}' --interface 127.0.0.2 -H 'X-Remote-User: sso-user' "$URL/edit/SSO" --data 'base=&content=x')" = 403
ok 'bad setting in kennis.conf is one clear line' sh -c 'echo "anonymous-read = maybe" > "$1/kennis.conf"; ! "$2" serve --data "$1" --listen 127.0.0.1:0 2>"$3/err" && grep -q "takes on or off" "$3/err"' _ "$DATA" "$KENNIS" "$T"
rm -f "$DATA/kennis.conf"
done_testing
