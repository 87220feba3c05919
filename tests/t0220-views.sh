#!/bin/sh
# Views from front matter: customers (the customer 360 with who knows), tags, departments,
# pages due for review; they follow pushes at the next request.
. "$(dirname "$0")/lib.sh"
start_server
git clone -q "$URL/wiki.git" "$T/c"
mkdir -p "$T/c/Customers/Globex" "$T/c/Notes"
cat > "$T/c/Customers/Globex/Support-Notes.md" <<'MD'
---
departments: [support]
tags: [escalation]
owner: Sam Support
review-by: 2020-01-01
---
Globex support notes (folder makes it a Globex page).
MD
cat > "$T/c/Notes/Call.md" <<'MD'
---
customer: Globex
departments: [sales, finance]
tags: [key-account]
owner: Sally Sales
review-by: 2999-12-31
---
Call notes.
MD
cat > "$T/c/Notes/Broken.md" <<'MD'
---
title: [unclosed
customer: : :
---
Body still renders.
MD
ok 'push customer pages' sh -c "cd '$T/c' && git add . && git commit -qm 'globex pages' && git push -q"
ok 'customers lists both customers' sh -c 'h=$(curl -s "$1/customers"); echo "$h" | grep -q "href=\"/customer/Globex\"" && echo "$h" | grep -q "href=\"/customer/Acme%20Corp\""' _ "$URL"
ok 'the customer 360 has the folder page and the front-matter page' sh -c '
	h=$(curl -s "$1/customer/Globex"); echo "$h" | grep -q "href=\"/wiki/Customers/Globex/Support-Notes\"" && echo "$h" | grep -q "href=\"/wiki/Notes/Call\""' _ "$URL"
ok 'grouped by department' sh -c 'h=$(curl -s "$1/customer/Globex"); echo "$h" | grep -q "<h2>support</h2>" && echo "$h" | grep -q "<h2>sales</h2>"' _ "$URL"
save Customers/Globex/Support-Notes "$(base_of Customers/Globex/Support-Notes)" "$(git -C "$T/c" show HEAD:Customers/Globex/Support-Notes.md)
More notes from the web." 'web notes' 'Wendy Web' >/dev/null
ok 'who knows: from history, most recent first' sh -c '
	curl -s "$1/customer/Globex" | grep -A4 "Who knows" | grep -o "<strong>[^<]*</strong>" | tr "\n" "|" | grep -q "^<strong>Wendy Web</strong>|<strong>Test Pusher</strong>|$"' _ "$URL"
ok 'a page in four departments is listed in each and counted once' sh -c 'h=$(curl -s "$1/customer/Acme-Corp"); echo "$h" | grep -q "<p>1 page\." && test "$(echo "$h" | grep -o "href=\"/wiki/Customers/Acme-Corp\"" | wc -l)" -eq 4' _ "$URL"
ok 'dashes in the address mean blanks' contains 'Wile E. Coyote' sh -c 'curl -s "$1/customer/Acme-Corp"; curl -s "$1/wiki/Customers/Acme-Corp"' _ "$URL"
ok 'tags' contains 'href="/tag/escalation"' get /tags
ok 'one tag' contains 'href="/wiki/Customers/Globex/Support-Notes"' get /tag/escalation
ok 'departments' contains 'href="/department/finance"' get /departments
ok 'one department' contains 'href="/wiki/Notes/Call"' get /department/finance
ok 'stale lists pages past review-by, by owner' sh -c 'h=$(curl -s "$1/stale"); echo "$h" | grep -q "Support-Notes" && echo "$h" | grep -q "<h2>Sam Support</h2>" && ! echo "$h" | grep -q "Notes/Call"' _ "$URL"
ok 'invalid front matter: the page still renders' contains 'Body still renders' get /wiki/Notes/Broken
ok 'invalid front matter: a warning, not a 500' sh -c 'test "$(curl -s -o "$2/b" -w "%{http_code}" "$1/wiki/Notes/Broken")" = 200 && grep -q "not valid YAML" "$2/b"' _ "$URL" "$T"
ok 'front matter header links tags and departments' sh -c 'h=$(curl -s "$1/wiki/Customers/Globex/Support-Notes"); echo "$h" | grep -q "href=\"/tag/escalation\"" && echo "$h" | grep -q "href=\"/department/support\""' _ "$URL"
ok 'hostile values are escaped' sh -c 'test "$(curl -s -o /dev/null -w "%{http_code}" "$1/tag/%3Cscript%3E")" = 200 && ! curl -s "$1/tag/%3Cscript%3E" | grep -q "<script>"' _ "$URL"
git -C "$T/c" pull -q && git -C "$T/c" mv Customers/Globex/Support-Notes.md Customers/Globex/Helpdesk.md &&
	git -C "$T/c" mv Notes/Call.md Notes/Sales-Call.md
ok 'push renames' sh -c "cd '$T/c' && git commit -qm 'rename' && git push -q"
ok 'the customer 360 follows the renames' sh -c '
	h=$(curl -s "$1/customer/Globex"); echo "$h" | grep -q "href=\"/wiki/Customers/Globex/Helpdesk\"" && echo "$h" | grep -q "href=\"/wiki/Notes/Sales-Call\"" &&
	! echo "$h" | grep -q "Support-Notes\|Notes/Call\""' _ "$URL"
ok 'tag and department views follow too' sh -c 'curl -s "$1/tag/escalation" | grep -q "href=\"/wiki/Customers/Globex/Helpdesk\"" && curl -s "$1/department/finance" | grep -q "href=\"/wiki/Notes/Sales-Call\""' _ "$URL"
git -C "$T/c" rm -q Notes/Sales-Call.md
ok 'push a delete' sh -c "cd '$T/c' && git commit -qm gone && git push -q"
ok 'views follow at once' sh -c '! curl -s "$1/customer/Globex" | grep -q "Notes/Sales-Call" && ! curl -s "$1/department/finance" | grep -q "Notes/Sales-Call"' _ "$URL"
done_testing
