#!/bin/sh
# Page comforts over HTTP: contents and heading anchors, coloured code, footnotes, the banner
# of a page whose review is overdue (and not on others), /deleted with working restore links.
. "$(dirname "$0")/lib.sh"
start_server
git clone -q "$URL/wiki.git" "$T/c" || exit 1
cd "$T/c" || exit 1
mkdir -p Notes
cat >Notes/Long.md <<'MD'
# Overview

Text.[^src]

## Setup

```sh
git clone "$URL" # get it
```

## Use

```python
def f(): return None
```

[^src]: From the <b>manual</b>.
MD
printf '# Short\n\n## Only two\n\nText.\n' >Notes/Short.md
cat >Notes/Overdue.md <<'MD'
---
owner: Sam Support
review-by: 2020-01-01
---
# Overdue
MD
cat >Notes/Fresh.md <<'MD'
---
owner: Sally Sales
review-by: 2999-12-31
---
# Fresh
MD
printf 'To go.\n' >Notes/Old-Plan.md
printf 'Also to go.\n' >Notes/Older-Plan.md
printf 'Moves.\n' >Notes/Moving.md
git add . && git commit -qm 'comfort pages' && git push -q || exit 1
git rm -q Notes/Older-Plan.md && git commit -qm 'Delete Older-Plan: superseded' && git push -q
git rm -q Notes/Old-Plan.md && git commit -qm 'Delete Old-Plan: done' && git push -q
cd / || exit 1

# page_has PATH REGEX: does the page at PATH match? A failed fetch or an empty body fails
# both ok and not_ok (each not_ok below has a sibling that shows the page is the right one).
page_has() {
	body=$(curl -sS --max-time 20 "$URL$1") && [ -n "$body" ] || { echo "GET $1 failed"; return 127; }
	printf '%s' "$body" | grep -q -- "$2"
}
file_has() { grep -q -- "$2" "$1"; }

# --- contents, anchors, code, footnotes
get /wiki/Notes/Long >"$T/long.html"
ok 'a page with 3 headings has contents, folded' file_has "$T/long.html" '<details class="toc toc-inline"'
ok '... and in the sidebar' file_has "$T/long.html" '<nav class="toc toc-side" id="toc"'
ok 'the contents link the headings in order' file_has "$T/long.html" '<ul><li><a href="#overview">Overview</a><ul><li><a href="#setup">Setup</a></li><li><a href="#use">Use</a></li></ul></li></ul>'
ok 'each heading has a # link to its id' file_has "$T/long.html" '<h2 id="setup">Setup</h2><a class="anchor" href="#setup" aria-label="Link to this section: Setup">#</a>'
ok 'fenced code: language-x' file_has "$T/long.html" '<code class="language-sh">'
ok '... and coloured tokens' file_has "$T/long.html" '<span class="hl-comment"># get it</span>'
ok '... in each language' file_has "$T/long.html" '<span class="hl-keyword">def</span>'
not_ok 'no <pre lang> any more' file_has "$T/long.html" '<pre lang='
ok 'footnotes: the reference' file_has "$T/long.html" '<sup class="footnote-ref"><a href="#fn-src" id="fnref-src"'
ok '... and the note' file_has "$T/long.html" '<li id="fn-src">'
not_ok '... without its raw HTML' file_has "$T/long.html" '<b>manual'
ok 'a page with two headings' page_has /wiki/Notes/Short '<h2 id="only-two">'
not_ok '... has no contents' page_has /wiki/Notes/Short 'class="toc'
ok 'search finds the heading' page_has '/search?q=setup' 'Notes/Long'
not_ok 'the search text has no "#" from the anchors' page_has '/search?q=setup' 'Setup #'

# --- review overdue
ok 'the banner shows on an overdue page' page_has /wiki/Notes/Overdue 'id="review-due".*2020-01-01.*Sam Support'
ok 'a page whose review is ahead' page_has /wiki/Notes/Fresh 'Sally Sales'
not_ok '... has no banner' page_has /wiki/Notes/Fresh 'review-due'
not_ok 'no banner on a page without a review date' page_has /wiki/Notes/Long 'review-due'
OLD=$(git -C "$T/c" rev-parse HEAD~2)
ok 'an old version of the overdue page' page_has "/wiki/Notes/Overdue?rev=$OLD" 'old version of this page'
not_ok '... has no banner' page_has "/wiki/Notes/Overdue?rev=$OLD" 'review-due'
ok 'the banner and /stale agree: the overdue page is listed' page_has /stale 'Notes/Overdue'
not_ok '... the other is not' page_has /stale 'Notes/Fresh'
etag=$(curl -sI "$URL/wiki/Notes/Overdue" | sed -n 's/^ETag: //Ip' | tr -d '\r')
ok 'the ETag holds the date (a review falls due at midnight)' sh -c 'echo "$1" | grep -q -- "-$(date -u +%Y-%m-%d)\"$"' _ "$etag"

# --- /deleted
base=$(base_of Notes/Moving)
curl -s -o /dev/null "$URL/rename/Notes/Moving" --data-urlencode "base=$base" --data-urlencode "to=Notes/Moved"
get /deleted >"$T/deleted.html"
ok '/deleted lists the deleted pages' file_has "$T/deleted.html" 'Notes/Old-Plan<'
ok '... both of them' file_has "$T/deleted.html" 'Notes/Older-Plan<'
ok '... with who and why' file_has "$T/deleted.html" 'Delete Old-Plan: done'
ok '... the latest first' test "$(grep -o 'Notes/Old[a-z]*-Plan<' "$T/deleted.html" | head -1)" = 'Notes/Old-Plan<'
ok 'the page was renamed' page_has /wiki/Notes/Moved 'Moves.'
not_ok '... so it is not listed (its old name leads on)' file_has "$T/deleted.html" 'Notes/Moving'
not_ok '... nor a page that is there' file_has "$T/deleted.html" 'Notes/Long'
link=$(sed -n 's/.*<a class="restore-link" href="\(\/restore\/Notes\/Old-Plan\)">.*/\1/p' "$T/deleted.html")
ok 'the restore link leads to the restore form' page_has "$link" 'id="restore-form"'
rev=$(curl -s "$URL$link" | sed -n 's/.*name="rev" value="\([0-9a-f]*\)".*/\1/p')
ok 'restoring from there brings the page back' test "$(curl -s -o /dev/null -w '%{http_code}' "$URL$link" --data "rev=$rev")" = 303
ok '... with its text' page_has /wiki/Notes/Old-Plan 'To go.'
not_ok '... and it leaves /deleted' page_has /deleted 'Notes/Old-Plan<'
ok '... while the other stays' page_has /deleted 'Notes/Older-Plan<'
ok 'All pages links to /deleted' page_has /pages 'href="/deleted"'
done_testing
