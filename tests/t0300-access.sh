#!/bin/sh
# Accounts and permissions: each role can do exactly what it may, on the web and with git.
. "$(dirname "$0")/lib.sh"
"$KENNIS" init "$DATA" >/dev/null
adduser() { echo "pw-$1-secret" | "$KENNIS" user add --data "$DATA" --role "$2" --email "$1@example.com" --display "$3" "$1" >/dev/null; }
ok 'user add (admin)' adduser adm admin 'Ada Admin'
ok 'user add (editor)' adduser ed editor 'Ed <b>Editor</b>'
ok 'user add (reader)' adduser rd reader 'Rita Reader'
not_ok 'user add refuses a duplicate' adduser ed reader 'Again'
not_ok 'user add refuses a short password' sh -c 'echo short | "$1" user add --data "$2" --role reader shorty' _ "$KENNIS" "$DATA"
not_ok 'user add refuses a bad role' sh -c 'echo long-enough | "$1" user add --data "$2" --role god x' _ "$KENNIS" "$DATA"
not_ok 'user add refuses a bad name' sh -c 'echo long-enough | "$1" user add --data "$2" --role reader "../x"' _ "$KENNIS" "$DATA"
ok 'user list shows roles' sh -c '"$1" user list --data "$2" | grep -q "^rd  *reader"' _ "$KENNIS" "$DATA"
argon_hashes() { state_dump | grep -aq '[$]argon2id[$]'; }
ok 'passwords are stored as argon2id hashes' argon_hashes
TOK_RD=$("$KENNIS" token add --data "$DATA" --label laptop rd 2>/dev/null)
TOK_ED=$("$KENNIS" token add --data "$DATA" ed 2>/dev/null)
TOK_ADM=$("$KENNIS" token add --data "$DATA" adm 2>/dev/null)
ok 'tokens are printed once' sh -c 'echo "$1" | grep -Eq "^kn_[A-Za-z0-9_-]{43}$"' _ "$TOK_RD"
hashed_only() { argon_hashes && ! state_dump | grep -aq -- "$1"; }
ok 'tokens are stored hashed' hashed_only "${TOK_RD#kn_}"
ok 'token list' sh -c '"$1" token list --data "$2" | grep -q "rd .*laptop"' _ "$KENNIS" "$DATA"
start_server
H=${URL#http://}

# --- anonymous: nothing but the login page and static files
ok 'anonymous front page redirects to login' sh -c '
	curl -s -o /dev/null -w "%{http_code} %{redirect_url}" "$1/" | grep -q "^303 .*/login?next=/$"' _ "$URL"
for p in /wiki/Home /raw/Home /history/Home /pages /edit/Home /diff/Home; do
	ok "anonymous GET $p is refused" test "$(code "$p")" = 303
done
ok 'anonymous POST edit is 401' test "$(curl -s -o /dev/null -w '%{http_code}' "$URL/edit/X" --data 'base=&content=x')" = 401
ok 'login page is public' test "$(code /login)" = 200
ok 'static files are public' test "$(code /static/kennis.css)" = 200

# --- log in as each user (cookie jars)
login() { curl -s -o "$T/login.out" -D "$T/login.hdr" -c "$T/$1.jar" -b "$T/$1.jar" -w '%{http_code}' "$URL/login" \
	--data-urlencode "user=$1" --data-urlencode "password=${2:-pw-$1-secret}" --data-urlencode "next=${3:-/}"; }
as() { u=$1; shift; curl -s -b "$T/$u.jar" -c "$T/$u.jar" "$@"; }
csrf_of() { as "$1" "$URL/edit/Home" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -1; }
ok 'wrong password is 401' test "$(login rd wrong-password)" = 401
ok 'unknown user gets the same answer' sh -c 'test "$1" = 401 && grep -q "Wrong user name or password" "$2"' _ "$(login nobody whatever-pw)" "$T/login.out"
for u in adm ed rd; do ok "login $u" test "$(login $u)" = 303; done
ok 'session cookie is HttpOnly, SameSite=Lax, Path=/' grep -qi '^set-cookie: kennis_session=[A-Za-z0-9_-]\{43\}; Path=/; HttpOnly; SameSite=Lax' "$T/login.hdr"
ok 'no Secure flag without --behind-tls' sh -c '! grep -i "^set-cookie" "$1" | grep -qi secure' _ "$T/login.hdr"
ok 'login redirects to next' sh -c 'test "$(curl -s -o /dev/null -w "%{redirect_url}" -c "$2/x.jar" "$1/login" --data "user=rd&password=pw-rd-secret&next=/pages")" = "$1/pages"' _ "$URL" "$T"
ok 'login never redirects off-site' sh -c 'test "$(curl -s -o /dev/null -w "%{redirect_url}" -c "$2/x.jar" "$1/login" --data "user=rd&password=pw-rd-secret&next=//evil.example/")" = "$1/"' _ "$URL" "$T"

# --- reader
ok 'reader reads' test "$(as rd -o /dev/null -w '%{http_code}' "$URL/wiki/Home")" = 200
ok 'reader sees their name' sh -c 'curl -s -b "$2/rd.jar" "$1/" | grep -q "Rita Reader"' _ "$URL" "$T"
ok 'reader may not open the edit form' test "$(as rd -o /dev/null -w '%{http_code}' "$URL/edit/Home")" = 403
RD_CSRF=$(as rd "$URL/account" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -1)
ok 'reader may not save' test "$(as rd -o /dev/null -w '%{http_code}' "$URL/edit/Home" --data-urlencode "csrf=$RD_CSRF" --data 'base=&content=x')" = 403
ok 'reader may not see the user admin' test "$(as rd -o /dev/null -w '%{http_code}' "$URL/admin/users")" = 403

# --- editor
ED_CSRF=$(csrf_of ed)
ok 'editor gets the edit form with a CSRF token' test ${#ED_CSRF} -eq 43
base=$(as ed "$URL/edit/Acl-Page" | sed -n 's/.*name="base" value="\([0-9a-f]*\)".*/\1/p')
before=$(git -C "$DATA/wiki.git" rev-parse main)
ok 'editor save without CSRF token is 403' test "$(as ed -o /dev/null -w '%{http_code}' "$URL/edit/Acl-Page" --data "base=$base&content=x")" = 403
ok 'editor save with a wrong CSRF token is 403' test "$(as ed -o /dev/null -w '%{http_code}' "$URL/edit/Acl-Page" --data "base=$base&content=x&csrf=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")" = 403
ok 'another user'"'"'s CSRF token is refused' test "$(as ed -o /dev/null -w '%{http_code}' "$URL/edit/Acl-Page" --data-urlencode "csrf=$RD_CSRF" --data "base=$base&content=x")" = 403
ok 'cross-site Origin is refused' test "$(as ed -o /dev/null -w '%{http_code}' -H 'Origin: http://evil.example' "$URL/edit/Acl-Page" --data-urlencode "csrf=$ED_CSRF" --data "base=$base&content=x")" = 403
ok 'Sec-Fetch-Site: cross-site is refused' test "$(as ed -o /dev/null -w '%{http_code}' -H 'Sec-Fetch-Site: cross-site' "$URL/edit/Acl-Page" --data-urlencode "csrf=$ED_CSRF" --data "base=$base&content=x")" = 403
ok 'refused saves changed nothing' test "$(git -C "$DATA/wiki.git" rev-parse main)" = "$before"
ok 'CSRF refusals are logged' grep -q 'missing or wrong CSRF token' "$LOG"
ok 'editor saves with the token and same-site Origin' test "$(as ed -o /dev/null -w '%{http_code}' -H "Origin: $URL" -H 'Sec-Fetch-Site: same-origin' "$URL/edit/Acl-Page" --data-urlencode "csrf=$ED_CSRF" --data "base=$base&content=hello&message=acl%20test&author=Forged%20Name")" = 303
ok 'web commit carries the account as author (no <> in git names)' sh -c 'git -C "$1/wiki.git" log -1 --format="%an|%ae" main | grep -qx "Ed bEditor/b|ed@example.com"' _ "$DATA"
ok 'display name is escaped in the page' sh -c 'c=$(curl -s -b "$2/ed.jar" "$1/history/Acl-Page"); echo "$c" | grep -q "Ed &lt;b&gt;Editor&lt;/b&gt;" && ! echo "$c" | grep -q "<b>Editor"' _ "$URL" "$T"
ok 'editor may not see the user admin' test "$(as ed -o /dev/null -w '%{http_code}' "$URL/admin/users")" = 403

# The rendered-page cache must not hand one user's header (name, CSRF token) to another.
as ed -o /dev/null "$URL/wiki/Home"
ok 'a cached page never shows another user'"'"'s name or token' sh -c '
	p=$(curl -s -b "$2/rd.jar" "$1/wiki/Home"); ! echo "$p" | grep -q "$3" && echo "$p" | grep -q "Rita Reader"' _ "$URL" "$T" "$ED_CSRF"
etag=$(as ed -sI "$URL/wiki/Home" | sed -n 's/^ETag: //Ip' | tr -d '\r')
ok 'one user'"'"'s ETag is no 304 for another' test "$(as rd -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "$URL/wiki/Home")" = 200

# --- admin
ADM_CSRF=$(csrf_of adm)
ok 'admin sees the users' sh -c 'curl -s -b "$2/adm.jar" "$1/admin/users" | grep -q "Rita Reader"' _ "$URL" "$T"
ok 'admin adds a user' test "$(as adm -o /dev/null -w '%{http_code}' "$URL/admin/users" --data-urlencode "csrf=$ADM_CSRF" --data 'action=add&user=newbie&role=reader&password=newbie-password')" = 303
ok 'new user can log in' test "$(login newbie newbie-password)" = 303
ok 'admin makes them an editor' test "$(as adm -o /dev/null -w '%{http_code}' "$URL/admin/users" --data-urlencode "csrf=$ADM_CSRF" --data 'action=role&user=newbie&role=editor')" = 303
ok 'role change takes effect at once' test "$(as newbie -o /dev/null -w '%{http_code}' "$URL/edit/Home")" = 200
ok 'admin cannot demote themself' test "$(as adm -o /dev/null -w '%{http_code}' "$URL/admin/users" --data-urlencode "csrf=$ADM_CSRF" --data 'action=role&user=adm&role=reader')" = 400
ok 'admin deletes the user' test "$(as adm -o /dev/null -w '%{http_code}' "$URL/admin/users" --data-urlencode "csrf=$ADM_CSRF" --data 'action=delete&user=newbie')" = 303
ok 'deleted user'"'"'s session is gone' test "$(as newbie -o /dev/null -w '%{http_code}' "$URL/wiki/Home")" = 303
ok 'admin form without CSRF is 403' test "$(as adm -o /dev/null -w '%{http_code}' "$URL/admin/users" --data 'action=add&user=sneaky&role=admin&password=sneaky-password')" = 403

# --- stored XSS through a commit message and front matter
as ed -o /dev/null "$URL/edit/Xss" --data-urlencode "csrf=$ED_CSRF" --data-urlencode "base=$(git -C "$DATA/wiki.git" rev-parse main)" \
	--data-urlencode 'content=---
title: <script>alert(1)</script>
---
<img src=x onerror=alert(2)> [x](javascript:alert(3))' --data-urlencode 'message=<script>alert(4)</script>'
ok 'no script or handler reaches the page' sh -c '! curl -s -b "$2/ed.jar" "$1/wiki/Xss" | grep -Eq "<script>|<img src=x|href=\"javascript"' _ "$URL" "$T"
ok 'commit message is escaped in history' sh -c 'h=$(curl -s -b "$2/ed.jar" "$1/history/Xss"); echo "$h" | grep -q "&lt;script&gt;alert(4)" && ! echo "$h" | grep -q "<script>"' _ "$URL" "$T"

ok 'a search query never comes back as markup' sh -c '
	h=$(curl -s -b "$2/ed.jar" "$1/search?q=%22%3E%3Cscript%3Ealert(5)%3C%2Fscript%3E%3Cimg+src%3Dx+onerror%3Dalert(6)%3E");
	echo "$h" | grep -q "&lt;script&gt;alert(5)" && ! echo "$h" | grep -Eq "<script>alert|<img src=x"' _ "$URL" "$T"
ok 'search finds the XSS page as text' sh -c 'curl -s -b "$2/ed.jar" "$1/search?q=alert" | grep -q "href=\"/wiki/Xss\""' _ "$URL" "$T"

# --- account page: own tokens, password change
ok 'account page lists own tokens' sh -c 'curl -s -b "$2/rd.jar" "$1/account" | grep -q laptop' _ "$URL" "$T"
ok 'web token creation shows the token once' sh -c '
	c=$(curl -s -b "$2/rd.jar" "$1/account" | sed -n "s/.*name=\"csrf\" value=\"\([^\"]*\)\".*/\1/p" | head -1)
	curl -s -b "$2/rd.jar" "$1/account" --data-urlencode "csrf=$c" --data "action=token&label=web" | grep -Eq "id=\"new-token\">kn_[A-Za-z0-9_-]{43}<"' _ "$URL" "$T"

# --- git over HTTP: the same roles
gitas() { tok=$1; shift; git -c credential.helper= -c "http.extraHeader=Authorization: Basic $(printf '%s' "$tok" | base64 -w0)" "$@"; }
not_ok 'anonymous clone is refused' git clone -q "$URL/wiki.git" "$T/anon"
ok 'anonymous clone gets 401 with WWW-Authenticate' sh -c 'curl -sI "$1/wiki.git/info/refs?service=git-upload-pack" | grep -qi "^www-authenticate: Basic realm=\"kennis\""' _ "$URL"
ok 'reader clones with a token' gitas "rd:$TOK_RD" clone -q "$URL/wiki.git" "$T/rd"
ok 'token works with any user name' gitas "x-token:$TOK_RD" ls-remote "$URL/wiki.git" main
ok 'reader clones with the password' gitas "rd:pw-rd-secret" ls-remote "$URL/wiki.git" main
not_ok 'wrong password is refused' gitas "rd:wrong" ls-remote "$URL/wiki.git" main
echo reader > "$T/rd/Reader-Push.md"
ok 'reader push is refused' sh -c "cd '$T/rd' && git add . && git commit -qm r && ! git -c http.extraHeader='Authorization: Basic $(printf 'rd:%s' "$TOK_RD" | base64 -w0)' push -q origin main 2>/dev/null"
ok 'reader push refusal is logged' grep -q 'rd may not push' "$LOG"
ok 'editor clones and pushes with a token' sh -c "
	git -c http.extraHeader='Authorization: Basic $(printf 'ed:%s' "$TOK_ED" | base64 -w0)' clone -q '$URL/wiki.git' '$T/ed' &&
	cd '$T/ed' && echo pushed > Ed-Push.md && git add . && git commit -qm 'ed push' &&
	git -c http.extraHeader='Authorization: Basic $(printf 'ed:%s' "$TOK_ED" | base64 -w0)' push -q origin main"
ok 'pushed page visible' sh -c 'curl -s -b "$2/rd.jar" "$1/raw/Ed-Push" | grep -qx pushed' _ "$URL" "$T"
ok 'push is logged with the user' grep -q 'push by ed' "$LOG"
EDH="http.extraHeader=Authorization: Basic $(printf 'ed:%s' "$TOK_ED" | base64 -w0)"
refused_push() {  # refused_push DESC: commit what is staged in $T/ed, push must fail, main unchanged
	b=$(git -C "$DATA/wiki.git" rev-parse main)
	(cd "$T/ed" && git commit -qm "$1" && ! git -c "$EDH" push -q origin main 2>"$T/push.err") &&
		test "$(git -C "$DATA/wiki.git" rev-parse main)" = "$b" && grep -q "remote: kennis:" "$T/push.err"
	rc=$?
	(cd "$T/ed" && git reset -q --hard origin/main)
	return $rc
}
printf 'bad \377\376 bytes\n' > "$T/ed/Latin1.md"; git -C "$T/ed" add .
ok 'invalid UTF-8 page is refused' refused_push utf8
ok '... with a clear message' grep -q 'Latin1.md: a page must be UTF-8' "$T/push.err"
mkdir -p "$T/ed/.github"; echo x > "$T/ed/.github/x.md"; git -C "$T/ed" add -f .github
ok 'dot path is refused' refused_push dotpath
ln -s /etc/passwd "$T/ed/Link.md"; git -C "$T/ed" add Link.md
ok 'symlink is refused' refused_push symlink
head -c 70000000 /dev/zero > "$T/ed/huge.bin"; git -C "$T/ed" add huge.bin
ok 'file over --max-file is refused' refused_push huge
ok '... saying it is too large' grep -q 'huge.bin: file too large' "$T/push.err"
ok 'admin may push too' sh -c "
	git -c http.extraHeader='Authorization: Basic $(printf 'adm:%s' "$TOK_ADM" | base64 -w0)' clone -q '$URL/wiki.git' '$T/adm' &&
	cd '$T/adm' && echo admin > Adm-Push.md && git add . && git commit -qm 'adm push' &&
	git -c http.extraHeader='Authorization: Basic $(printf 'adm:%s' "$TOK_ADM" | base64 -w0)' push -q origin main"
"$KENNIS" token revoke --data "$DATA" 1 >/dev/null
ok 'revoked token is refused' sh -c '! git -c credential.helper= -c "http.extraHeader=Authorization: Basic $(printf "rd:%s" "$2" | base64 -w0)" ls-remote "$1/wiki.git" 2>/dev/null' _ "$URL" "$TOK_RD"

# --- logout, fixation
ok 'logout' test "$(as rd -o /dev/null -w '%{http_code}' "$URL/logout" --data-urlencode "csrf=$RD_CSRF")" = 303
ok 'old session no longer works' test "$(as rd -o /dev/null -w '%{http_code}' "$URL/wiki/Home")" = 303
printf '%s\tFALSE\t/\tFALSE\t0\tkennis_session\tplanted-by-attacker-AAAAAAAAAAAAAAAAAAAAAAAAAA\n' "${H%:*}" > "$T/fix.jar"
ok 'a planted session id is not honoured' test "$(curl -s -o /dev/null -w '%{http_code}' -b "$T/fix.jar" "$URL/wiki/Home")" = 303
curl -s -o /dev/null -b "$T/fix.jar" -c "$T/fix.jar" "$URL/login" --data 'user=rd&password=pw-rd-secret'
ok 'login replaces a planted session id' sh -c '! grep -q planted-by-attacker "$1" && grep -q kennis_session "$1"' _ "$T/fix.jar"

# --- login throttling (last: it throttles this address)
throttled=0; ra=0; i=0
while [ $i -lt 20 ]; do
	c=$(login rd "wrong-$i")
	if [ "$c" = 429 ]; then
		ra=$(sed -n 's/^Retry-After: *\([0-9]*\).*/\1/Ip' "$T/login.hdr")
		[ "${ra:-0}" -ge 3 ] && { throttled=1; break; }
		sleep "${ra:-1}"
	fi
	i=$((i + 1))
done
ok "failed logins back off exponentially (Retry-After $ra)" test $throttled = 1
ok 'even the right password waits while throttled' test "$(login rd)" = 429
ok 'throttling is logged' grep -q 'login rd from .*: throttled' "$LOG"
done_testing
