#!/bin/sh
# Managing pages on the web: rename (links rewritten, old name redirects), delete with a
# reason and restore, revert, blame; a fresh clone shows the same state after each.
. "$(dirname "$0")/lib.sh"
start_server

if [ "$(code /blame/Home)" = 404 ]; then
	echo "1..0 # SKIP the /rename/, /delete/, /restore/, /revert/, /blame/ routes are not in router.c"
	exit 0
fi

GIT=$DATA/wiki.git
wired= # ui_page.c follows redirects and offers restores
skip() { _n=$((_n + 1)); echo "ok $_n # skip $1"; }
tip() { git -C "$GIT" rev-parse main; }
commits() { git -C "$GIT" rev-list --count main; }
# post PATH FIELD=VALUE...: post a form (urlencoded); prints the status, body in $T/post.out
post() {
	local p=$1 f; shift
	for f; do set -- "$@" --data-urlencode "$f"; shift; done
	curl -s -o "$T/post.out" -D "$T/post.head" --max-time 60 -w '%{http_code}' "$URL$p" "$@"
}
location() { sed -n 's/^Location: *\([^\r]*\).*/\1/Ip' "$T/post.head"; }
# fresh_clone: a new clone whose tree must equal main's on the server
fresh_clone() {
	rm -rf "$T/c" && git clone -q "$URL/wiki.git" "$T/c" &&
	test "$(git -C "$T/c" rev-parse 'HEAD^{tree}')" = "$(git -C "$GIT" rev-parse 'main^{tree}')"
}

# --- pages that link to one another ---
b=$(base_of Customers/Acme)
save Customers/Acme "$b" '# Acme

First line by Alice.' 'Create Acme' 'Alice Sales' >/dev/null
save Notes "$(base_of Notes)" 'Plain [[Customers/Acme]], labelled [[the client|Customers/Acme]],
spaced [[ Customers/Acme #Contacts]], markdown [x](/wiki/Customers/Acme).
Code `[[Customers/Acme]]` stays, and so does [[Customers/Acme Corp]].

```
[[Customers/Acme]]
```' 'Notes' 'Alice Sales' >/dev/null
save Customers/Globex "$(base_of Customers/Globex)" 'Relative [a](Acme) and [b](Acme-Corp).' 'Globex' 'Alice Sales' >/dev/null
ok 'three pages made' test "$(git -C "$GIT" ls-tree -r --name-only main | grep -cE '^(Notes|Customers/(Acme|Globex))\.md$')" -eq 3

# --- rename ---
ok 'rename form' contains 'name="to"' get /rename/Customers/Acme
rb=$(get /rename/Customers/Acme | sed -n 's/.*name="base" value="\([0-9a-f]*\)".*/\1/p')
ok 'rename form carries the base' test ${#rb} -eq 40
before=$(commits)
ok 'rename: 303' test "$(post /rename/Customers/Acme "to=Clients/Acme Inc" "base=$rb" "message=new legal name" 'author=Carol Legal')" = 303
ok 'rename leads to the new page' test "$(location)" = /wiki/Clients/Acme-Inc
ok 'rename is one commit' test "$(commits)" -eq $((before + 1))
ok 'commit message and author' sh -c 'git -C "$1" log -1 --format="%an|%s" main | grep -qx "Carol Legal|Rename Customers/Acme to Clients/Acme-Inc: new legal name"' _ "$GIT"
ok 'file moved' sh -c 'git -C "$1" cat-file -e main:Clients/Acme-Inc.md && ! git -C "$1" cat-file -e main:Customers/Acme.md 2>/dev/null' _ "$GIT"
ok 'new page renders' contains 'First line by Alice' get /wiki/Clients/Acme-Inc
notes=$(git -C "$GIT" cat-file -p main:Notes.md)
ok 'wiki links rewritten' sh -c 'echo "$1" | grep -qF "Plain [[Clients/Acme-Inc]], labelled [[the client|Clients/Acme-Inc]]," &&
	echo "$1" | grep -qF "spaced [[ Clients/Acme-Inc #Contacts]], markdown [x](/wiki/Clients/Acme-Inc)."' _ "$notes"
ok 'code and a similar name untouched' sh -c 'echo "$1" | grep -qF "Code \`[[Customers/Acme]]\` stays, and so does [[Customers/Acme Corp]]." &&
	echo "$1" | grep -qxF "[[Customers/Acme]]"' _ "$notes"
ok 'relative link from the old folder rewritten' sh -c 'git -C "$1" cat-file -p main:Customers/Globex.md |
	grep -qxF "Relative [a](/wiki/Clients/Acme-Inc) and [b](Acme-Corp)."' _ "$GIT"
ok 'rewritten link renders to the new page' contains 'href="/wiki/Clients/Acme-Inc"' get /wiki/Notes
ok 'redirect recorded in _Redirects.md' sh -c 'git -C "$1" cat-file -p main:_Redirects.md | grep -qxF -- "- Customers/Acme -> Clients/Acme-Inc"' _ "$GIT"
old=$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' "$URL/wiki/Customers/Acme")
case $old in
404*) skip 'GET /wiki/<old name> does not redirect yet (manage_redirect_target is not wired into ui_page.c)' ;;
*) ok 'old name redirects to the new one' test "$old" = "303 $URL/wiki/Clients/Acme-Inc"; wired=1 ;;
esac
ok 'clone after rename' fresh_clone
ok 'clone has the moved file' test -f "$T/c/Clients/Acme-Inc.md" -a ! -e "$T/c/Customers/Acme.md"

at=$(tip)
ok 'rename onto an existing page: 409' test "$(post /rename/Notes "to=Customers/Acme Corp" "base=$at")" = 409
ok 'refusal says why' grep -q 'There is a page called Customers/Acme-Corp already' "$T/post.out"
ok 'refusal keeps the typed name' grep -q 'value="Customers/Acme Corp"' "$T/post.out"
ok 'refused rename wrote nothing' test "$(tip)" = "$at"
ok 'rename to a bad name: 400' test "$(post /rename/Notes "to=../etc/passwd" "base=$at")" = 400
ok 'rename to the same name: 400' test "$(post /rename/Notes "to=Notes" "base=$at")" = 400
ok 'rename without a name: 400' test "$(post /rename/Notes "base=$at")" = 400
ok 'rename with a bad base: 400' test "$(post /rename/Notes "to=X" "base=zz")" = 400
ok 'rename of a missing page: 404' test "$(post /rename/Nope "to=X" "base=$at")" = 404
ok 'rename form of a missing page: 404' test "$(code /rename/Nope)" = 404
ok 'rename of a bad name: 400' test "$(post /rename/.git/config "to=X" "base=$at")" = 400
save Notes "$at" 'changed meanwhile' 'Edit' 'Dan' >/dev/null
ok 'rename from a stale base: 409' test "$(post /rename/Notes "to=Notes2" "base=$rb")" = 409
ok 'stale rename says why' grep -q 'changed since you opened this form' "$T/post.out"
ok 'nothing renamed' sh -c 'git -C "$1" cat-file -e main:Notes.md && ! git -C "$1" cat-file -e main:Notes2.md 2>/dev/null' _ "$GIT"
ok 'repository is consistent' git -C "$GIT" fsck --no-progress

# --- delete and restore ---
ok 'delete form' contains 'name="reason"' get /delete/Notes
db=$(tip)
ok 'delete without a reason: 400' test "$(post /delete/Notes "base=$db" "reason=  ")" = 400
ok 'delete asks for a reason' grep -q 'Please give a reason' "$T/post.out"
ok 'delete: 303' test "$(post /delete/Notes "base=$db" "reason=merged into the customer pages" 'author=Eve Ops')" = 303
ok 'delete is one commit with the reason' sh -c 'git -C "$1" log -1 --format="%an|%s" main | grep -qx "Eve Ops|Delete Notes: merged into the customer pages"' _ "$GIT"
ok 'page gone' test "$(code /wiki/Notes)" = 404
ok 'history shows the deletion' sh -c 'h=$(curl -s "$1/history/Notes"); echo "$h" | grep -q "Delete Notes: merged into the customer pages" && echo "$h" | grep -q "(deleted)"' _ "$URL"
ok 'after delete: the restore page' test "$(location)" = /restore/Notes
ok 'restore page says who and why' sh -c 'r=$(curl -s "$1/restore/Notes"); echo "$r" | grep -q "Eve Ops" && echo "$r" | grep -q "merged into the customer pages"' _ "$URL"
if [ -n "$wired" ]; then
	ok 'the missing page offers the restore' contains 'href="/restore/Notes"' get /wiki/Notes
	ok 'a page that never was offers none' sh -c 'test "$(curl -s -o "$2/nv" -w "%{http_code}" "$1/wiki/Never/Was")" = 404 && ! grep -q "/restore/" "$2/nv"' _ "$URL" "$T"
else
	skip 'the missing page does not offer restores yet (manage_last_version is not wired into ui_page.c)'
fi
rev=$(get /restore/Notes | sed -n 's/.*name="rev" value="\([0-9a-f]*\)".*/\1/p')
ok 'restore offers the last version' test "$rev" = "$db"
ok 'delete of a missing page: 404' test "$(post /delete/Notes "base=$(tip)" "reason=again")" = 404
ok 'clone after delete' fresh_clone
ok 'clone has no Notes' test ! -e "$T/c/Notes.md"
ok 'restore: 303' test "$(post /restore/Notes "rev=$rev" 'author=Eve Ops')" = 303
ok 'restored content' sh -c 'test "$(curl -s "$1/raw/Notes")" = "changed meanwhile"' _ "$URL"
ok 'restore is a new commit' sh -c 'git -C "$1" log -1 --format=%s main | grep -q "^Restore Notes from "' _ "$GIT"
ok 'restore of an existing page: 409' test "$(post /restore/Notes "rev=$rev")" = 409
ok 'restore page of an existing page leads to it' test "$(code /restore/Notes)" = 303
ok 'restore page of a page that never was: 404' test "$(code /restore/Never-Was)" = 404
ok 'restore with a bad rev: 400' test "$(post /restore/Notes2 "rev=../../x")" = 400
ok 'clone after restore' fresh_clone

# --- revert ---
save Rev "$(base_of Rev)" 'version one' 'v1' 'Alice Sales' >/dev/null
v1=$(tip)
save Rev "$v1" 'version two' 'v2' 'Bob Support' >/dev/null
v2=$(tip)
ok 'revert: 303' test "$(post /revert/Rev "rev=$v1" "base=$v2")" = 303
ok 'reverted content' sh -c 'test "$(curl -s "$1/raw/Rev")" = "version one"' _ "$URL"
ok 'revert is a new commit on top' test "$(git -C "$GIT" rev-parse main~1)" = "$v2"
ok 'revert message' sh -c 'git -C "$1" log -1 --format=%s main | grep -qx "Revert Rev to $(echo "$2" | cut -c1-10)"' _ "$GIT" "$v1"
ok 'history keeps every version' test "$(git -C "$GIT" log --format=%H main -- Rev.md | wc -l)" -eq 3
ok 'revert from a stale base: 409' test "$(post /revert/Rev "rev=$v2" "base=$v2")" = 409
ok 'revert with a bad rev: 400' test "$(post /revert/Rev "rev=nothex")" = 400
ok 'revert to an unknown rev: 404' test "$(post /revert/Rev "rev=0000000000")" = 404
ok 'revert to before the page existed: 404' test "$(post /revert/Rev "rev=$(git -C "$GIT" rev-list --max-parents=0 main)")" = 404
ok 'revert without a rev: 400' test "$(post /revert/Rev "base=$v2")" = 400
ok 'clone after revert' fresh_clone

# --- blame ---
save Two "$(base_of Two)" 'Alice wrote this.
<script>alert(1)</script>' 'a' 'Alice Sales' >/dev/null
save Two "$(base_of Two)" 'Alice wrote this.
<script>alert(1)</script>
Bob added this.' 'b' 'Bob Support' >/dev/null
blame=$(get /blame/Two)
ok 'blame shows both authors' sh -c 'echo "$1" | grep -q "Alice Sales" && echo "$1" | grep -q "Bob Support"' _ "$blame"
ok 'blame groups lines: two groups' test "$(echo "$blame" | grep -c 'href="/wiki/Two?rev=')" -eq 2
ok 'blame links to the versions' sh -c 'echo "$1" | grep -q "href=\"/wiki/Two?rev=$2\""' _ "$blame" "$(tip)"
ok 'blame escapes the text' sh -c 'echo "$1" | grep -q "&lt;script&gt;" && ! echo "$1" | grep -q "<script>"' _ "$blame"
ok 'blame at an old rev' sh -c 'curl -s "$1/blame/Two?rev=$2" | grep -q "As of version"' _ "$URL" "$(git -C "$GIT" rev-parse main~1)"
ok 'blame of a missing page: 404' test "$(code /blame/Nope)" = 404
ok 'blame of a bad name: 400' test "$(code /blame/a%00b)" = 400
ok 'blame with a bad rev: 400' test "$(code '/blame/Two?rev=zz')" = 400

# --- with accounts: roles, CSRF, and the logged-in user as the author ---
stop_server
adduser() { echo "pw-$1-secret" | "$KENNIS" user add --data "$DATA" --role "$2" --email "$1@example.com" --display "$3" "$1" >/dev/null; }
ok 'editor account' adduser ed editor 'Ed Editor'
ok 'reader account' adduser rd reader 'Rita Reader'
start_server
login() { curl -s -o /dev/null -c "$T/$1.jar" -w '%{http_code}' "$URL/login" --data-urlencode "user=$1" --data-urlencode "password=pw-$1-secret"; }
as() { u=$1; shift; curl -s -b "$T/$u.jar" -c "$T/$u.jar" "$@"; }
ok 'login editor and reader' test "$(login ed)$(login rd)" = 303303
ok 'anonymous may not revert' test "$(post /revert/Rev "rev=$v1")" = 401
ok 'reader may blame' test "$(as rd -o /dev/null -w '%{http_code}' "$URL/blame/Two")" = 200
ok 'reader may not open the rename form' test "$(as rd -o /dev/null -w '%{http_code}' "$URL/rename/Two")" = 403
ok 'reader may not delete' test "$(as rd -o /dev/null -w '%{http_code}' "$URL/delete/Two" --data "base=$(tip)&reason=x")" = 403
csrf=$(as ed "$URL/rename/Two" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -1)
ok 'editor gets forms with a CSRF token' test ${#csrf} -eq 43
ok 'a POST without the token is refused' test "$(as ed -o /dev/null -w '%{http_code}' "$URL/revert/Rev" --data "rev=$v2")" = 403
ok 'editor reverts with the token' test "$(as ed -o /dev/null -w '%{http_code}' "$URL/revert/Rev" --data "rev=$v2&csrf=$csrf&author=Mallory")" = 303
ok 'the author is the logged-in user, not the form field' sh -c 'git -C "$1" log -1 --format="%an|%ae" main | grep -qx "Ed Editor|ed@example.com"' _ "$GIT"
ok 'clone with accounts' sh -c 'rm -rf "$1/c2" && git clone -q "http://ed:pw-ed-secret@${2#http://}/wiki.git" "$1/c2" &&
	test "$(cat "$1/c2/Rev.md")" = "version two"' _ "$T" "$URL"
ok 'a page deleted by a push offers its restore' sh -c 'cd "$1/c2" && git rm -q Rev.md && git commit -qm "drop Rev" && git push -q &&
	curl -s -b "$1/ed.jar" "$2/wiki/Rev" | grep -q "href=\"/restore/Rev\"" && curl -s -b "$1/ed.jar" "$2/restore/Rev" | grep -q "name=\"rev\""' _ "$T" "$URL"
done_testing
