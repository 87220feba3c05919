#!/bin/sh
# Search: 2,000 pushed pages, results equal to git grep, web edits and pushes searchable at
# the next request, filters and facets, hostile queries, and the index rebuilt when damaged.
. "$(dirname "$0")/lib.sh"
start_server
W="$DATA/wiki.git"
# 2,000 generated pages, pushed with git over HTTP: the post-receive hook indexes them.
ok 'bare clone of the new wiki' git clone -q --bare "$URL/wiki.git" "$T/gen.git"
sh "$TOP/bench/gencorpus.sh" 2000 "$T/gen.git" "$T/urls.txt"
ok 'push 2,000 generated pages' git -C "$T/gen.git" push -q "$URL/wiki.git" main
ok 'the push is on main' test "$(git -C "$W" rev-parse main)" = "$(git -C "$T/gen.git" rev-parse main)"

# names TEXT [PARAMS]: every page name the search finds, following the result pages, sorted.
names() {
	local page=1 out="$T/names.out"
	: >"$out"
	while [ $page -le 200 ]; do
		curl -sS --max-time 30 -G "$URL/search" --data-urlencode "q=$1" ${2:+--data "$2"} --data "page=$page" >"$T/page.html" || return 1
		sed -n 's/.*class="result-title" href="\/wiki\/\([^"]*\)".*/\1/p' "$T/page.html" >>"$out"
		grep -q 'rel="next"' "$T/page.html" || break
		page=$((page + 1))
	done
	sort "$out"
}

# grepped ARGS...: the page names `git grep -l -i -w ARGS` finds on main, sorted.
grepped() {
	git -C "$W" grep -l -i -w "$@" main -- '*.md' | sed 's/^main://; s/\.md$//' | sort
}

# same_as_grep QUERY GREP-ARGS...: the search finds exactly the pages git grep finds.
same_as_grep() {
	local q=$1; shift
	names "$q" >"$T/got" && grepped "$@" >"$T/want" || return 1
	[ -s "$T/want" ] || { echo "git grep found nothing for $*"; return 1; }
	diff "$T/want" "$T/got" && echo "$(wc -l <"$T/got") pages"
}

# (by the hook, or by the server's indexer when its poll came first: the hook waits for it)
ok 'the push was indexed before git answered' grep -q 'index: space wiki caught up to .* (2000 page changes)' "$LOG"
ok 'first search finds the pushed pages' contains 'class="result-title"' get '/search?q=Kestrel'
ok 'Kestrel: exactly the pages git grep finds' same_as_grep Kestrel -e Kestrel
ok 'Gateway: exactly the pages git grep finds' same_as_grep Gateway -e Gateway
ok 'escalation: exactly the pages git grep finds' same_as_grep escalation -e escalation
ok '"Muller" finds Müller (diacritics folded)' same_as_grep Muller -e Müller -e Muller
cp "$T/got" "$T/muller"
names 'Müller' >"$T/umlaut"
ok '"Müller" finds the same pages' diff "$T/muller" "$T/umlaut"
ok 'prefix: Kestr* finds the Kestrel pages' same_as_grep 'Kestr*' -e Kestrel
ok 'phrase "Sync Gateway" finds the phrase' same_as_grep '"Sync Gateway"' -e 'Sync Gateway'
ok 'results are highlighted' contains '<mark>Kestrel</mark>' get '/search?q=kestrel'
ok 'the summary counts the matches' sh -c 'n=$(git -C "$1" grep -l -i -w Kestrel main -- "*.md" | wc -l); curl -s "$2/search?q=Kestrel" | grep -q ">$n pages match\|$n pages match"' _ "$W" "$URL"

# Filters, in the query and as parameters (facet links), agree with the front matter.
want_gdpr=$(git -C "$W" grep -l -E '^tags: \[.*\bgdpr\b' main -- '*.md' | wc -l)
ok "tag:gdpr finds the $want_gdpr tagged pages" sh -c 'test "$(curl -sG "$1/search" --data-urlencode "q=tag:gdpr" | sed -n "s/.*>\([0-9]*\) pages\{0,1\} match.*/\1/p")" = "$2"' _ "$URL" "$want_gdpr"
ok 'tag as a parameter gives the same' sh -c 'test "$(curl -s "$1/search?q=&tag=GDPR" | sed -n "s/.*>\([0-9]*\) pages\{0,1\} match.*/\1/p")" = "$2"' _ "$URL" "$want_gdpr"
cust=$(for u in $(head -20 "$T/urls.txt"); do git -C "$W" show "main:${u#/wiki/}.md"; done | sed -n 's/^customer: "\(.*\)"$/\1/p' | head -1)
ok "customer:\"$cust\" finds its page" sh -c 'test "$(curl -sG "$1/search" --data-urlencode "q=customer:\"$2\"" | grep -c "class=\"result-title\"")" -eq 1' _ "$URL" "$cust"
ok 'facets are links that add a filter' sh -c 'curl -s "$1/search?q=Gateway" | grep -q "href=\"/search?q=Gateway&amp;tag="' _ "$URL"
facet=$(curl -s "$URL/search?q=Gateway" | sed -n 's/.*<a href="\(\/search?q=Gateway&amp;dept=[^"]*\)".*/\1/p' | head -1 | sed 's/&amp;/\&/g')
ok 'following a facet narrows the results' sh -c '
	all=$(curl -s "$1/search?q=Gateway" | sed -n "s/.*>\([0-9]*\) pages match.*/\1/p");
	some=$(curl -s "$1$2" | sed -n "s/.*>\([0-9]*\) pages\{0,1\} match.*/\1/p");
	test -n "$2" && test "$some" -gt 0 && test "$some" -lt "$all"' _ "$URL" "$facet"
ok 'paging: page 2 differs from page 1' sh -c 'a=$(curl -s "$1/search?q=Gateway" | grep -o "result-title\" href=\"[^\"]*" | head -1); b=$(curl -s "$1/search?q=Gateway&page=2" | grep -o "result-title\" href=\"[^\"]*" | head -1); test -n "$b" && test "$a" != "$b"' _ "$URL"

# A web edit is searchable at the next request.
base=$(base_of Notes/Zebra)
ok 'web edit saved' test "$(save Notes/Zebra "$base" 'Our contact at the zanzibarquux office, <b>escaped</b>.')" = 303
ok 'web edit found at the next request' sh -c 'test "$(curl -s "$1/search?q=zanzibarquux" | grep -c "href=\"/wiki/Notes/Zebra\"")" -ge 1' _ "$URL"
ok 'snippet markup is only the marks' sh -c 'h=$(curl -s "$1/search?q=zanzibarquux" | grep -A1 "class=\"snippet\""); echo "$h" | grep -q "&lt;b&gt;" || echo "$h" | grep -q "escaped"; ! echo "$h" | grep -q "<b>"' _ "$URL"

# Pushed renames and deletions follow at the next request.
ok 'clone' git clone -q "$URL/wiki.git" "$T/c"
ok 'push a rename' sh -c 'cd "$1/c" && mkdir -p Archive && git mv Notes/Zebra.md Archive/Zebra-Old.md && git commit -qm "move" && git push -q origin main' _ "$T"
ok 'renamed page found under its new name' sh -c 'r=$(curl -s "$1/search?q=zanzibarquux"); echo "$r" | grep -q "href=\"/wiki/Archive/Zebra-Old\"" && ! echo "$r" | grep -q "href=\"/wiki/Notes/Zebra\""' _ "$URL"
ok 'push a deletion' sh -c 'cd "$1/c" && git rm -q Archive/Zebra-Old.md && git commit -qm "gone" && git push -q origin main' _ "$T"
ok 'deleted page no longer found' contains 'id="no-results"' get '/search?q=zanzibarquux'
victim=$(sed -n 5p "$T/urls.txt" | sed 's|^/wiki/||')
ok 'push a corpus deletion' sh -c 'cd "$1/c" && git pull -q && git rm -q "$2.md" && git commit -qm "drop one" && git push -q origin main' _ "$T" "$victim"
ok 'Gateway still equals git grep after pushes' same_as_grep Gateway -e Gateway

# Hostile queries: answered, never a server error.
big=$(head -c 10240 /dev/zero | tr '\0' 'a')
for q in '' '*' 'NEAR(' 'NEAR(a b, 2)' '"unbalanced' '"' '""' 'a AND OR NOT' '(((' 'title:x' '^x' '-x' \
	'customer:' 'tag:"' 'customer:"a""b"' '***' 'a*b*c' "'" '\' '%' '—' 'NOT' "$big" "$(printf '\001\002')"; do
	code=$(curl -s -o "$T/h.html" -w '%{http_code}' -G "$URL/search" --data-urlencode "q=$q")
	[ "$code" = 200 ] || { echo "# q=$(printf %.40s "$q"): $code"; echo bad >>"$T/hostile"; }
done
ok 'hostile queries all answered with 200' test ! -e "$T/hostile"
ok 'invalid UTF-8 and odd parameters: 200' sh -c 'for p in "q=%FF%FE" "q=x&page=-1" "q=x&page=99999999999" "q=x&tag=" "q=x&customer=%C3"; do test "$(curl -s -o /dev/null -w "%{http_code}" "$1/search?$p")" = 200 || exit 1; done' _ "$URL"
ok 'a lone * says no results' contains 'id="no-results"' get '/search?q=*'
ok 'an empty search shows the help' contains 'finds a phrase' get '/search'

# Shared results: what this server keeps for all threads (scores, shown results) gives the
# very page a second server without it (--search-cache-mb 0) computes from the same index.
results() { curl -s "$1/search?$2" | sed -n '/id="search-summary"/,/class="paging"/p'; }
URL1=$URL PID1=$SERVER_PID LOG1=$LOG DATA1=$DATA
# One server per data directory: the second serves a copy, index and all (nothing writes now).
cp -a "$DATA" "$T/data0"
DATA=$T/data0 LOG=$T/server0.log
start_server --search-cache-mb 0
URL0=$URL PID0=$SERVER_PID
URL=$URL1 SERVER_PID=$PID1 LOG=$LOG1 DATA=$DATA1
for q in 'q=Gateway' 'q=Gateway&page=3' 'q=gateway+renewal' 'q=Gateway&tag=gdpr' 'q=Kestr*' 'q=%22Sync+Gateway%22&page=2'; do
	results "$URL" "$q" >"$T/r1"; results "$URL" "$q" >"$T/r2"; results "$URL0" "$q" >"$T/r0"
	ok "$q: a repeated search shows the same page" sh -c 'test -s "$1" && cmp -s "$1" "$2"' _ "$T/r1" "$T/r2"
	ok "$q: the same page as without shared results" cmp "$T/r0" "$T/r2"
done
kill "$PID0"; wait "$PID0"
ok 'the second server exits 0, no sanitizer report' sh -c 'test "$1" -eq 0 && ! grep -E "ERROR: (Address|Leak)Sanitizer|runtime error:" "$2"' _ "$?" "$T/server0.log"

# The index file: checked, damaged, rebuilt.
stop_server
ok 'kennis check: index matches main' "$KENNIS" check --data "$DATA"
printf 'this is not a database' >"$DATA/index.db"
rm -f "$DATA/index.db-wal" "$DATA/index.db-shm"
ok 'kennis check on a damaged index fails' sh -c '! "$1" check --data "$2" >/dev/null 2>&1' _ "$KENNIS" "$DATA"
ok 'kennis reindex rebuilds it' "$KENNIS" reindex --data "$DATA"
ok 'kennis check passes again' "$KENNIS" check --data "$DATA"
rm -f "$DATA/index.db" "$DATA/index.db-wal" "$DATA/index.db-shm"
start_server
ok 'deleted index: the server starts and search works' same_as_grep Kestrel -e Kestrel
done_testing
