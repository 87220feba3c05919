#!/bin/sh
# Issue 13: page names with the characters GitHub wikis allow (: * ? " < > | # %), end to
# end: made on the web, shown, edited, in history, source, the page list, search, git, wiki
# links and renames. Every address kennis writes must percent-encode them.
. "$(dirname "$0")/lib.sh"
start_server

# enc NAME: the name as a URL path (every byte but unreserved ones and '/' percent-encoded)
enc() { perl -e '$_ = shift; s{([^A-Za-z0-9\-_.~/])}{sprintf("%%%02X", ord($1))}ge; print' "$1"; }
post() {
	local p=$1 f; shift
	for f; do set -- "$@" --data-urlencode "$f"; shift; done
	curl -s -o "$T/post.out" -D "$T/post.head" --max-time 60 -w '%{http_code}' "$URL$p" "$@"
}
location() { sed -n 's/^Location: *\([^\r]*\).*/\1/Ip' "$T/post.head"; }

for name in 'Installation:-Linux' 'umask-?' 'C#-notes' '100%-done' 'a*b' 'say-"hi"' '<x>' 'a|b' \
	'Dir:1/Sub?/Deep#Page' 'Ünïcode:-%'; do
	e=$(enc "$name")
	ok "create '$name' on the web (303 to /wiki/$e)" sh -c '
		test "$(curl -s -o /dev/null -D "$3/h" -w "%{http_code}" "$1/edit/$2" --data-urlencode "content=about $4" \
			--data-urlencode "message=create" --data-urlencode "base=$5")" = 303 &&
		grep -qi "^Location: /wiki/$2" "$3/h"' _ "$URL" "$e" "$T" "$name" "$(base_of "$e")"
	ok "  in git as the file '$name.md'" sh -c 'git -C "$1" show "main:$2.md" | grep -qxF "about $2"' _ "$DATA/wiki.git" "$name"
	ok "  /wiki/ shows it" contains "<p>about " get "/wiki/$e"
	ok "  /raw/ and /history/ are 200" sh -c 'test "$(curl -s -o /dev/null -w "%{http_code}" "$1/raw/$2")" = 200 &&
		test "$(curl -s -o /dev/null -w "%{http_code}" "$1/history/$2")" = 200' _ "$URL" "$e"
	ok "  the history links its versions encoded" contains "href=\"/wiki/$e?rev=" get "/history/$e"
	ok "  the page's own links are encoded (source, history, edit)" sh -c 'p=$(curl -s "$1/wiki/$2") &&
		echo "$p" | grep -qF "href=\"/raw/$2\"" && echo "$p" | grep -qF "href=\"/history/$2\"" &&
		echo "$p" | grep -qF "href=\"/edit/$2\""' _ "$URL" "$e"
	ok "  /pages links it encoded" contains "href=\"/wiki/$e\"" get /pages
	b=$(base_of "$e")
	ok "  edit it again" test "$(save "$e" "$b" "edited $name")" = 303
	ok "  /raw/ has the edit" sh -c 'test "$(curl -s "$1/raw/$2")" = "edited $3"' _ "$URL" "$e" "$name"
done
ok 'search finds a page by a special name' contains 'href="/wiki/umask-%3F"' get '/search?q=umask'

# wiki links to such names, GitHub style: blanks become '-'
save Links "$(base_of Links)" '[[Installation: Linux]] and [[umask ?]] and [[label|100% done]] and [[a*b]].
A Markdown link: [notes](C%23-notes) and [deep](/wiki/Dir%3A1/Sub%3F/Deep%23Page).' >/dev/null
ok 'a wiki link with ":" resolves' contains '<a class="wikilink" href="/wiki/Installation%3A-Linux">Installation: Linux</a>' get /wiki/Links
ok "... with '?'" contains '<a class="wikilink" href="/wiki/umask-%3F">umask ?</a>' get /wiki/Links
ok "... with '%'" contains '<a class="wikilink" href="/wiki/100%25-done">label</a>' get /wiki/Links
ok "... with '*'" contains '<a class="wikilink" href="/wiki/a%2Ab">a*b</a>' get /wiki/Links
ok 'a Markdown link to a name with # works' test "$(code /wiki/C%23-notes)" = 200
ok 'backlinks of a special name' contains 'href="/wiki/Links"' get /wiki/umask-%3F

# rename one; links follow, the old name redirects
ok 'rename umask-? to "umask: what?"' sh -c 'test "$(curl -s -o /dev/null -D "$2/h" -w "%{http_code}" "$1/rename/umask-%3F" \
	--data-urlencode "to=umask: what?" --data-urlencode "base=$3")" = 303 && grep -qi "^Location: /wiki/umask%3A-what%3F" "$2/h"' \
	_ "$URL" "$T" "$(base_of umask-%3F)"
ok '... the link follows' contains '<a class="wikilink" href="/wiki/umask%3A-what%3F">' get /wiki/Links
ok '... the old name redirects' sh -c 'curl -s -o /dev/null -D - "$1/wiki/umask-%3F" | grep -qi "^Location: /wiki/umask%3A-what%3F"' _ "$URL"
ok '... its history goes on' contains 'umask-?' get "/history/umask%3A-what%3F"

# every such name can be renamed, and its old address leads to the new one
for name in 'C#-notes' '100%-done' 'a*b' 'say-"hi"' 'a|b' 'Dir:1/Sub?/Deep#Page'; do
	e=$(enc "$name") n=$(enc "$name:-2")
	ok "rename '$name' to '$name:-2'" sh -c 'test "$(curl -s -o /dev/null -w "%{http_code}" "$1/rename/$2" \
		--data-urlencode "to=$3:-2" --data-urlencode "base=$4")" = 303' _ "$URL" "$e" "$name" "$(base_of "$e")"
	ok "  shown at /wiki/$n" contains "edited $name" get "/raw/$n"
	ok "  the old address redirects there" sh -c 'curl -s -o /dev/null -D - "$1/wiki/$2" | grep -qi "^Location: /wiki/$3"' \
		_ "$URL" "$e" "$n"
done
ok 'renames are commits with the names as they are' sh -c 'git -C "$1" log --format=%s main | grep -qxF "Rename a|b to a|b:-2"' \
	_ "$DATA/wiki.git"

# the stock git client sees the same names
ok 'clone' git clone -q "$URL/wiki.git" "$T/c"
ok 'the clone has the files' sh -c 'cd "$1" && test -f "Installation:-Linux.md" && test -f "Dir:1/Sub?/Deep#Page:-2.md" &&
	test -f "say-\"hi\":-2.md" && test -f "a|b:-2.md" && test -f "umask:-what?.md" && test -f "<x>.md"' _ "$T/c"
ok 'push a change to one' sh -c 'cd "$1" && echo pushed >> "<x>.md" && git commit -qam "push <x>" && git push -q origin main'  _ "$T/c"
ok '... shown' contains 'pushed' get /raw/%3Cx%3E
ok 'push a new page named as GitHub wikis do' sh -c 'cd "$1" && echo new > "Setup:-Step-1?.md" && git add . &&
	git commit -qm new && git push -q origin main' _ "$T/c"
ok '... shown' contains '<p>new</p>' get /wiki/Setup%3A-Step-1%3F

# attachments of such a page: their addresses, and a Content-Disposition a '"' cannot break
ok 'upload to "say-\"hi\":-2"' test "$(curl -s -o /dev/null -w '%{http_code}' "$URL/upload/say-%22hi%22%3A-2" -F 'file=@/dev/null;filename=x:y?.txt')" = 303
ok '... listed with an encoded embed snippet' contains '[file](say-%22hi%22%3A-2/x%3Ay%3F.txt)' get '/wiki/say-%22hi%22%3A-2'
ok '... served there' test "$(code '/wiki/say-%22hi%22%3A-2/x%3Ay%3F.txt')" = 200
ok 'push an attachment named a"b.txt' sh -c 'cd "$1" && git pull -q && mkdir -p q && echo att > "q/a\"b ü.txt" && git add . && git commit -qm att &&
	git push -q origin main' _ "$T/c"
ok '... served with a quoted file name that cannot break the header' sh -c 'curl -s -D - -o /dev/null "$1/wiki/q/a%22b%20%C3%BC.txt" |
	grep -qiF "Content-Disposition: inline; filename=\"a_b __.txt\"; filename*=UTF-8'"''"'a%22b%20%C3%BC.txt"' _ "$URL"
done_testing
