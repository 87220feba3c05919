#!/bin/sh
# The link graph: "what links here" on every page, /wanted and /orphans, following edits
# and pushes at the next request.
. "$(dirname "$0")/lib.sh"
start_server
ok 'the customer page lists its backlinks' sh -c '
	h=$(curl -s "$1/wiki/Customers/Acme-Corp"); echo "$h" | grep -q "What links here" &&
	echo "$h" | grep -q "href=\"/wiki/Home\"" && echo "$h" | grep -q "href=\"/wiki/_Sidebar\""' _ "$URL"
save Notes/Meeting "$(base_of Notes/Meeting)" 'Met [[Customers/Acme Corp]] and [[Customers/Initech]] today.' >/dev/null
ok 'a web edit adds a backlink at once' contains 'href="/wiki/Notes/Meeting"' get /wiki/Customers/Acme-Corp
ok 'wanted lists the missing page and who links to it' sh -c '
	h=$(curl -s "$1/wanted"); echo "$h" | grep -q "href=\"/edit/Customers/Initech\"" && echo "$h" | grep -q "href=\"/wiki/Notes/Meeting\""' _ "$URL"
ok 'orphans lists a page nothing links to' contains 'href="/wiki/Notes/Meeting"' get /orphans
ok 'orphans leaves out Home and _ pages' sh -c '! curl -s "$1/orphans" | grep -Eq "href=\"/wiki/(Home|_Sidebar|_Templates/Customer-Profile)\""' _ "$URL"
git clone -q "$URL/wiki.git" "$T/c"
printf 'Initech is a new customer, see [[Notes/Meeting]].\n' > "$T/c/Customers/Initech.md"
ok 'push a page' sh -c "cd '$T/c' && git add . && git commit -qm initech && git push -q"
ok 'the pushed page is no longer wanted' sh -c '! curl -s "$1/wanted" | grep -q "/edit/Customers/Initech\""' _ "$URL"
ok 'the pushed link makes the meeting no orphan' sh -c '! curl -s "$1/orphans" | grep -q "href=\"/wiki/Notes/Meeting\""' _ "$URL"
ok 'and shows as its backlink' contains 'href="/wiki/Customers/Initech"' get /wiki/Notes/Meeting
git -C "$T/c" pull -q
git -C "$T/c" mv Notes/Meeting.md Notes/Kickoff.md
ok 'push a rename of a linking page' sh -c "cd '$T/c' && git commit -qm 'rename meeting' && git push -q"
ok 'the backlink follows the rename' sh -c 'h=$(curl -s "$1/wiki/Customers/Acme-Corp"); echo "$h" | grep -q "href=\"/wiki/Notes/Kickoff\"" && ! echo "$h" | grep -q "href=\"/wiki/Notes/Meeting\""' _ "$URL"
ok 'the link to the old name is now wanted' sh -c 'h=$(curl -s "$1/wanted"); echo "$h" | grep -q "/edit/Notes/Meeting\"" && echo "$h" | grep -q "href=\"/wiki/Customers/Initech\""' _ "$URL"
git -C "$T/c" rm -q Customers/Initech.md
ok 'push a delete' sh -c "cd '$T/c' && git commit -qm gone && git push -q"
ok 'the deleted page is wanted again' contains '/edit/Customers/Initech"' get /wanted
ok 'old revisions show no backlinks section' sh -c '! curl -s "$1/wiki/Home?rev=$2" | grep -q "What links here"' _ "$URL" "$(git -C "$DATA/wiki.git" rev-parse main)"
done_testing
