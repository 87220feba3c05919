#!/bin/sh
# Editing on the web: create, edit, history, diff, old revisions, and a stale edit refused.
. "$(dirname "$0")/lib.sh"
start_server

ok 'edit form for a new page' contains 'New page: Globex' get /edit/Customers/Globex
base=$(base_of Customers/Globex)
ok 'form carries the base commit' test ${#base} -eq 40
ok 'create: 303 to the page' test "$(save Customers/Globex "$base" '# Globex

First notes about [[Customers/Acme Corp]].' 'Create Globex' 'Alice Sales')" = 303
ok 'new page renders' contains '<p>First notes about' get /wiki/Customers/Globex
ok 'new page is a commit with the real author' sh -c '
	git -C "$1/wiki.git" log -1 --format="%an|%s" main | grep -qx "Alice Sales|Create Globex"' _ "$DATA"
ok 'commit touches only that page' sh -c '
	test "$(git -C "$1/wiki.git" diff-tree --no-commit-id --name-only -r main)" = Customers/Globex.md' _ "$DATA"

base2=$(base_of Customers/Globex)
ok 'second edit saved' test "$(save Customers/Globex "$base2" '# Globex

Second version <script>alert(1)</script> with a new line.' 'Rewrite' 'Bob Support')" = 303
ok 'script tag never reaches the page' sh -c '! curl -s "$1/wiki/Customers/Globex" | grep -q "<script>"' _ "$URL"
ok 'history lists both edits' sh -c '
	h=$(curl -s "$1/history/Customers/Globex"); echo "$h" | grep -q "Alice Sales" && echo "$h" | grep -q "Bob Support" &&
	test "$(echo "$h" | grep -c "name=\"to\"")" -eq 2' _ "$URL"
first=$(git -C "$DATA/wiki.git" rev-parse main~1)
second=$(git -C "$DATA/wiki.git" rev-parse main)
ok 'old revision shows the old text' sh -c 'curl -s "$1/wiki/Customers/Globex?rev=$2" | grep -q "First notes about"' _ "$URL" "$first"
ok 'old revision has a banner' contains 'old version of this page' get "/wiki/Customers/Globex?rev=$first"
ok 'diff shows removed and added lines' sh -c '
	d=$(curl -s "$1/diff/Customers/Globex?from=$2&to=$3");
	echo "$d" | grep -q "class=\"del\"" && echo "$d" | grep -q "class=\"add\"" && echo "$d" | grep -q "Second version"' _ "$URL" "$first" "$second"
ok 'diff escapes markup' sh -c '! curl -s "$1/diff/Customers/Globex?to=$2" | grep -q "<script>"' _ "$URL" "$second"
ok 'diff without from shows what the commit changed' contains 'First notes about' get "/diff/Customers/Globex?to=$second"
ok 'diff with a bad rev is 400' test "$(code '/diff/Customers/Globex?to=zz')" = 400
ok 'raw at an old revision' contains 'First notes' get "/raw/Customers/Globex?rev=$first"

# A stale edit: start from the first version's base, after someone else saved.
ok 'stale edit is refused with 409' test "$(save Customers/Globex "$base2" 'My competing text' 'Mine' 'Carol')" = 409
ok 'refused edit keeps the user text' grep -q 'My competing text' "$T/save.out"
ok 'refused edit says why' grep -q 'changed since you started' "$T/save.out"
ok 'refused edit offers the merge with conflict markers' grep -q '&lt;&lt;&lt;&lt;&lt;&lt;&lt; saved meanwhile$' "$T/save.out"
not_ok 'the merge shows no base section' grep -q '||||||| base' "$T/save.out"
ok 'refused edit wrote nothing' test "$(git -C "$DATA/wiki.git" rev-parse main)" = "$second"
ok 'page still has the other edit' contains 'Second version' get /raw/Customers/Globex
newbase=$(sed -n 's/.*name="base" value="\([0-9a-f]*\)".*/\1/p' "$T/save.out")
ok 'conflict form carries the new base' test "$newbase" = "$second"
ok 'saving again on the new base works' test "$(save Customers/Globex "$newbase" 'Merged text' 'Merge' 'Carol')" = 303

# Edits to different pages never conflict, even from an old base.
ok 'edit of another page from an old base is applied' test "$(save Other-Page "$first" 'other' 'Other' 'Dan')" = 303
ok 'both pages present' sh -c 'curl -s "$1/raw/Other-Page" | grep -qx other && curl -s "$1/raw/Customers/Globex" | grep -qx "Merged text"' _ "$URL"

# Two editors from one base, different lines: the second save is merged, and says so.
b0=$(base_of Merge-Me)
save Merge-Me "$b0" 'line one
line two
line three' >/dev/null
mb=$(base_of Merge-Me)
ok 'first editor changes line one' test "$(save Merge-Me "$mb" 'LINE ONE
line two
line three' 'first' 'Ann')" = 303
ok 'second editor (same base) changes line three: merged' sh -c 'curl -s -o /dev/null -w "%{http_code} %{redirect_url}" "$1/edit/Merge-Me" --data-urlencode "base=$2" --data-urlencode "content=line one
line two
LINE THREE" --data-urlencode message=second --data-urlencode author=Ben >"$3"; cat "$3"; grep -q "^303 " "$3"' _ "$URL" "$mb" "$T/merge.out"
ok 'the redirect says merged' sh -c 'cat "$1"; grep -q "^303 .*/wiki/Merge-Me?merged=1$" "$1"' _ "$T/merge.out"
ok 'both edits are in the page' sh -c 'test "$(curl -s "$1/raw/Merge-Me")" = "LINE ONE
line two
LINE THREE"' _ "$URL"
ok 'the merged page tells the user' contains 'both were kept' get '/wiki/Merge-Me?merged=1'
# Two people append to the log section at once: both entries stay, no conflict.
save Log-Page "$(base_of Log-Page)" '# Acme log

## Log

- 1 May: account opened' >/dev/null
lb=$(base_of Log-Page)
ok 'first log entry' test "$(save Log-Page "$lb" '# Acme log

## Log

- 1 May: account opened
- 2 May: Ann called about the invoice' 'log 1' 'Ann')" = 303
ok 'second log entry from the same base' test "$(save Log-Page "$lb" '# Acme log

## Log

- 1 May: account opened
- 2 May: Ben shipped the spare parts' 'log 2' 'Ben')" = 303
ok 'both log entries kept, in time order' sh -c 'curl -s "$1/raw/Log-Page" | tail -2 | tr "\n" "|" | grep -q "^- 2 May: Ann called about the invoice|- 2 May: Ben shipped the spare parts|$"' _ "$URL"

ok 'new page form offers the templates' contains 'template=Customer-Profile' get /edit/Customers/Initech
ok 'a template prefills the form' contains '## Log' get '/edit/Customers/Initech?template=Customer-Profile'
ok 'a bad template name is ignored' test "$(code '/edit/X?template=../Home')" = 200
ok 'preview renders with the page renderer' sh -c 'curl -s "$1/preview" --data-urlencode "content=# Hi
[[Home]] and [[Nope]] <script>x</script>" > "$2/pv"; grep -q "<h1 id=\"hi\">Hi</h1>" "$2/pv" && grep -q "class=\"wikilink missing\"" "$2/pv" && ! grep -q "<script>" "$2/pv"' _ "$URL" "$T"
ok 'preview leaves front matter out, as the view does (--- ... ...)' sh -c 'curl -s "$1/preview" --data-urlencode "content=---
title: Hidden
...
# Shown" > "$2/pv2"; grep -q "Shown</h1>" "$2/pv2" && ! grep -q "Hidden" "$2/pv2"' _ "$URL" "$T"
ok 'preview needs content' test "$(curl -s -o /dev/null -w '%{http_code}' "$URL/preview" --data 'x=1')" = 400
ok 'preview refuses a cross-site request' test "$(curl -s -o /dev/null -w '%{http_code}' -H 'Sec-Fetch-Site: cross-site' "$URL/preview" --data 'content=x')" = 403

ok 'CRLF from browsers is stored as LF' sh -c '
	b=$(curl -s "$1/edit/Crlf" | sed -n "s/.*name=\"base\" value=\"\([0-9a-f]*\)\".*/\1/p");
	curl -s -o /dev/null "$1/edit/Crlf" --data "base=$b&content=a%0D%0Ab%0D%0A" &&
	test "$(git -C "$2/wiki.git" cat-file -p main:Crlf.md | od -c | grep -c "\\\\r")" -eq 0' _ "$URL" "$DATA"
ok 'anonymous author without a name' sh -c '
	b=$(curl -s "$1/edit/Anon" | sed -n "s/.*name=\"base\" value=\"\([0-9a-f]*\)\".*/\1/p");
	curl -s -o /dev/null "$1/edit/Anon" --data "base=$b&content=x" &&
	git -C "$2/wiki.git" log -1 --format=%an main | grep -qx Anonymous' _ "$URL" "$DATA"
ok 'author name cannot forge an email' sh -c '
	b=$(curl -s "$1/edit/Forge" | sed -n "s/.*name=\"base\" value=\"\([0-9a-f]*\)\".*/\1/p");
	curl -s -o /dev/null "$1/edit/Forge" --data-urlencode "base=$b" --data-urlencode "content=x" --data-urlencode "author=Eve <ceo@corp> x" &&
	git -C "$2/wiki.git" log -1 --format="%an|%ae" main | grep -qx "Eve ceo@corp x|anonymous@kennis.invalid"' _ "$URL" "$DATA"
ok 'missing form fields are 400' test "$(curl -s -o /dev/null -w '%{http_code}' "$URL/edit/X" --data 'content=x')" = 400
ok 'invalid UTF-8 content is 400' test "$(curl -s -o /dev/null -w '%{http_code}' "$URL/edit/X" --data "base=$second&content=%FF%FE")" = 400
ok 'malformed base is 400' test "$(curl -s -o /dev/null -w '%{http_code}' "$URL/edit/X" --data 'base=nothex&content=x')" = 400
head -c 1100000 /dev/zero | tr '\0' a > "$T/big.txt"
ok 'page over 1 MiB is 413' test "$(curl -s -o /dev/null -w '%{http_code}' "$URL/edit/Big" --data "base=$second" --data-urlencode content@"$T/big.txt")" = 413
ok 'history of a missing page is 404' test "$(code /history/Nope)" = 404
done_testing
