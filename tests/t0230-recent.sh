#!/bin/sh
# Recent changes (web and push alike, filterable) and Atom feeds that parse as XML.
. "$(dirname "$0")/lib.sh"
start_server
save Customers/Acme-Corp "$(base_of Customers/Acme-Corp)" '---
customer: Acme Corp
tags: [key-account]
departments: [finance]
---
Acme: invoice <disputed> & settled' 'Finance: invoice "settled" <ok>' 'Fiona Finance' >/dev/null
git clone -q "$URL/wiki.git" "$T/c"
printf -- '---\ntags: [other]\n---\nunrelated\n' > "$T/c/Other.md"
ok 'push a page' sh -c "cd '$T/c' && git add . && git commit -qm 'Pushed: other page' && git push -q"
ok 'recent lists web and push changes' sh -c 'h=$(curl -s "$1/recent"); echo "$h" | grep -q "Fiona Finance" && echo "$h" | grep -q "Pushed: other page"' _ "$URL"
ok 'recent links to the diff' contains '/diff/Customers/Acme-Corp?to=' get /recent
ok 'recent filtered by customer' sh -c 'h=$(curl -s "$1/recent?customer=Acme%20Corp"); echo "$h" | grep -q "Fiona Finance" && ! echo "$h" | grep -q "Pushed: other page"' _ "$URL"
ok 'recent filtered by tag' sh -c 'h=$(curl -s "$1/recent?tag=other"); echo "$h" | grep -q "Pushed: other page" && ! echo "$h" | grep -q "Fiona"' _ "$URL"
ok 'recent filtered by department' sh -c 'h=$(curl -s "$1/recent?department=finance"); echo "$h" | grep -q "Fiona" && ! echo "$h" | grep -q "Pushed"' _ "$URL"
valid_atom() {  # valid_atom PATH: well-formed XML, an Atom feed with entries
	curl -s "$URL$1" > "$T/feed.xml" &&
	perl -MXML::Parser -e 'XML::Parser->new->parsefile($ARGV[0])' "$T/feed.xml" 2>/dev/null ||
	python3 -c 'import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])' "$T/feed.xml" || return 1
	grep -q '<feed xmlns="http://www.w3.org/2005/Atom">' "$T/feed.xml" && grep -q '<entry>' "$T/feed.xml"
}
ok 'feed of all changes parses as XML' valid_atom /feed
ok 'feed escapes commit messages' sh -c 'grep -q "invoice &quot;settled&quot; &lt;ok&gt;" "$1" && ! grep -q "<ok>" "$1"' _ "$T/feed.xml"
ok 'feed of one page' valid_atom /feed/page/Customers/Acme-Corp
ok 'feed of one customer' valid_atom /feed/customer/Acme%20Corp
ok 'feed of one tag' valid_atom /feed/tag/key-account
ok 'feed of one department' valid_atom /feed/department/finance
ok 'feed content type' sh -c 'curl -sI "$1/feed" | grep -qi "^content-type: application/atom+xml"' _ "$URL"
ok 'pages link their feed' contains '<link rel="alternate" type="application/atom+xml" title="Changes to this" href="/feed/page/Customers/Acme-Corp">' get /wiki/Customers/Acme-Corp
ok 'customer pages link theirs' contains 'href="/feed/customer/Acme%20Corp"' get /customer/Acme-Corp
ok 'unknown feed kind is 404' test "$(code /feed/nope/x)" = 404
ok 'bad page name in a feed is 400' test "$(curl -s -o /dev/null -w '%{http_code}' --path-as-is "$URL/feed/page/../x")" = 400
done_testing
