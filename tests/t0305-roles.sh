#!/bin/sh
# The role-aware UI: a reader sees no write action on the page, its history, attachments,
# missing and deleted pages, the lists; a refusal (web 403, git push) names the role it
# needs and the admins to ask; anonymous refusals name nobody.
. "$(dirname "$0")/lib.sh"
"$KENNIS" init "$DATA" >/dev/null
adduser() { echo "pw-$1-secret" | "$KENNIS" user add --data "$DATA" --role "$2" --display "$3" "$1" >/dev/null; }
adduser ada admin 'Ada Admin'
adduser bob admin ''
adduser eve editor 'Eve Editor'
adduser rita reader 'Rita Reader'
TOK_RITA=$("$KENNIS" token add --data "$DATA" rita 2>/dev/null)
TOK_EVE=$("$KENNIS" token add --data "$DATA" eve 2>/dev/null)
start_server --anonymous-read on
H=${URL#http://}

# content: a page with an attachment and two versions, a deleted page
git clone -q "http://eve:$TOK_EVE@$H/wiki.git" "$T/c" || exit 1
mkdir -p "$T/c/Notes/Page"
printf '# Page\n\nFirst.\n' >"$T/c/Notes/Page.md"
printf 'x' >"$T/c/Notes/Page/file.txt"
printf 'Gone.\n' >"$T/c/Notes/Gone.md"
printf 'See [[Notes/Nowhere]].\n' >"$T/c/Notes/Wants.md"
(cd "$T/c" && git add . && git commit -qm one && git push -q) || exit 1
printf '# Page\n\nSecond.\n' >"$T/c/Notes/Page.md"
(cd "$T/c" && git rm -q Notes/Gone.md && git commit -qam two && git push -q) || exit 1
OLD=$(git -C "$T/c" rev-parse HEAD~1)

login() { curl -s -o /dev/null -c "$T/$1.jar" "$URL/login" --data-urlencode "user=$1" --data-urlencode "password=pw-$1-secret" --data "next=/"; }
login rita
login eve
as() { u=$1; shift; curl -sS --max-time 20 -b "$T/$u.jar" "$@"; }

# Write actions, as the pages write them. Each page is fetched as the editor too, so a
# pattern that matches nothing anywhere cannot pass for the reader.
WRITE='href="/edit/\|href="/rename/\|href="/delete/\|action="/upload/\|action="/detach/\|action="/revert/\|action="/restore/\|id="create-link"\|>restore<\|>Restore<\|Create a page\|and restore it'
PAGES="/wiki/Notes/Page /wiki/Notes/Page?rev=$OLD /wiki/Notes/Gone /restore/Notes/Gone /history/Notes/Gone /wiki/Notes/Nowhere /pages /wanted /deleted"
for p in $PAGES; do
	as rita "$URL$p" >"$T/reader.html"
	as eve "$URL$p" >"$T/editor.html"
	ok "reader: $p has no write action" sh -c 'grep -q "</html>" "$1" && ! grep -o "$2" "$1"' _ "$T/reader.html" "$WRITE"
	ok "editor: $p has them" grep -q "$WRITE" "$T/editor.html"
done
as rita "$URL/wiki/Notes/Page" >"$T/reader.html"
ok 'reader: the attachments are listed' grep -q 'href="/wiki/Notes/Page/file.txt"' "$T/reader.html"
not_ok '... without the upload and delete forms' grep -q 'id="upload-form"\|action="/detach/' "$T/reader.html"
ok 'reader: read actions stay' sh -c 'grep -q "id=\"history-link\"" "$1" && grep -q "id=\"blame-link\"" "$1"' _ "$T/reader.html"
ok 'reader: a deleted page leads to its last version' sh -c 'as() { curl -s -b "$1" "$2"; }; as "$1" "$2/deleted" | grep -q ">Last version<"' _ "$T/rita.jar" "$URL"
ok 'reader: a wanted page leads to the page, not the editor' sh -c 'curl -s -b "$1" "$2/wanted" | grep -q "href=\"/wiki/Notes/Nowhere\""' _ "$T/rita.jar" "$URL"
ok 'anonymous reader: "Log in to edit" instead of Edit' sh -c 'curl -s "$1/wiki/Notes/Page" | grep -q "href=\"/login?next=/edit/Notes/Page\""' _ "$URL"
ok 'a logged-in reader gets no "Log in to edit"' sh -c '! grep -q "login-to-edit" "$1"' _ "$T/reader.html"

# --- a 403 says what role is needed and who the admins are
code=$(as rita -o "$T/403.html" -w '%{http_code}' "$URL/edit/Notes/Page")
ok 'reader opening the editor: 403' test "$code" = 403
ok '... the role it needs, and theirs' grep -q 'Changing the wiki needs the editor role; you are logged in as rita, a reader.' "$T/403.html"
ok '... and the admins to ask (not editors)' sh -c 'grep -q "Ask an admin for it: Ada Admin (ada), bob." "$1" && ! grep -q "Eve Editor\|(eve)" "$1"' _ "$T/403.html"
code=$(as eve -o "$T/403e.html" -w '%{http_code}' "$URL/admin/users")
ok 'editor opening the user admin: 403 naming the admin role' sh -c 'test "$1" = 403 && grep -q "This page needs the admin role; you are logged in as eve, an editor." "$2"' _ "$code" "$T/403e.html"
code=$(curl -s -o "$T/401.html" -w '%{http_code}' "$URL/edit/Notes/Page" --data 'content=x')
ok 'anonymous POST: 401, naming nobody' sh -c 'test "$1" = 401 && ! grep -q "ada\|admin role" "$2"' _ "$code" "$T/401.html"

# --- git push as a reader: the same, as remote: lines
git clone -q "http://rita:$TOK_RITA@$H/wiki.git" "$T/r" || exit 1
(cd "$T/r" && echo more >>Notes/Page.md && git commit -qam 'reader push')
(cd "$T/r" && git push 2>"$T/push.err"); rc=$?
ok 'git push as a reader fails' test "$rc" -ne 0
ok '... git shows why: the role' grep -q '^remote: Pushing needs the editor role; you are logged in as rita, a reader.$' "$T/push.err"
ok '... and whom to ask' grep -q '^remote: Ask an admin for it: Ada Admin (ada), bob.$' "$T/push.err"
ok '... and the status' grep -q 'returned error: 403' "$T/push.err"
(cd "$T/r" && git push "http://rita:wrong-token@$H/wiki.git" HEAD:main 2>"$T/push401.err")
ok 'a wrong token: git shows how to log in' grep -q '^remote: Log in: Give your user name, and a personal access token' "$T/push401.err"
not_ok '... naming nobody' grep -q 'ada' "$T/push401.err"
(cd "$T/r" && git push -q "http://eve:$TOK_EVE@$H/wiki.git" HEAD:main 2>"$T/push-eve.err")
ok 'the same commit pushed by an editor goes in' sh -c 'git -C "$1/wiki.git" log -1 --format=%s main | grep -qx "reader push"' _ "$DATA"
done_testing
