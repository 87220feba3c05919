#!/bin/sh
# Issue 13: existing wikis come in as they are. A GitHub-style wiki history made with the
# stock git client (several authors; names GitHub allows; folders; a dotfile; an image;
# [[links]] across folders) is imported with all its history (kennis import from a path,
# a file:// URL and over HTTP, and init --empty + push): every page is served and a crawl
# of the site finds no broken internal link. Pushes on top are judged by what they bring.
. "$(dirname "$0")/lib.sh"

SRC=$T/src
enc() { perl -e '$_ = shift; s{([^A-Za-z0-9\-_.~/])}{sprintf("%%%02X", ord($1))}ge; print' "$1"; }
as() { # as NAME MESSAGE: commit everything as NAME
	GIT_AUTHOR_NAME=$1 GIT_AUTHOR_EMAIL="$(echo "$1" | tr 'A-Z ' 'a-z.')@example.com" git -C "$SRC" add -A &&
	GIT_AUTHOR_NAME=$1 GIT_AUTHOR_EMAIL="$(echo "$1" | tr 'A-Z ' 'a-z.')@example.com" git -C "$SRC" commit -qm "$2"
}

# --- the fixture: a GitHub wiki's history (branch master, as GitHub makes them) ---
git init -q -b master "$SRC"
cat > "$SRC/Home.md" <<'EOF'
Welcome to the project wiki.

* [[Installation: Linux]] and [[umask ?]]
* [[Page]] (a folder page), [[Label|Folder/Page]], [[Page Name]], [[Deep Page]]
* [[Old Page]]

![logo](images/logo.png)
EOF
printf 'Install on Linux. Then [[umask ?]], back [[Home]].\n' > "$SRC/Installation:-Linux.md"
printf 'Soon gone.\n' > "$SRC/Old-Page.md"
as 'Alice Admin' 'Start the wiki'

printf 'Set the umask. See [[Installation: Linux]] and [[Deep Page|Folder/Deep/Page]].\n' > "$SRC/umask-?.md"
mkdir -p "$SRC/.vscode" "$SRC/images"
printf '{ "editor.tabSize": 2 }\n' > "$SRC/.vscode/settings.json"
printf '*.swp\n' > "$SRC/.gitignore"
printf '\211PNG\r\n\032\n\0\0\0\rIHDR' > "$SRC/images/logo.png"
as 'Bob Builder' 'umask, an editor setting, the logo'

mkdir -p "$SRC/Folder/Deep" "$SRC/Other"
printf 'The folder page. [[Deep Page]], [[Page Name]], [[Sibling]].\n' > "$SRC/Folder/Page.md"
printf 'Deep down. [[Sibling]] is next door, [[Installation: Linux]] at the top, [[Home]].\n' > "$SRC/Folder/Deep/Page.md"
printf 'Sibling of [[Page]] (this folder), see [[Folder/Page]] too.\n' > "$SRC/Folder/Deep/Sibling.md"
printf 'A deep page: [[Page Name]].\n' > "$SRC/Folder/Deep/Deep-Page.md"
printf 'Found by [[Page Name]] from anywhere. [[Folder/Deep/Page]], [[umask ?]].\n' > "$SRC/Other/Page-Name.md"
printf '[[Home]] · [[Installation: Linux]] · [[Page Name]] · [[Sibling]]\n' > "$SRC/_Sidebar.md"
as 'Carol Writer' 'Folders'

git -C "$SRC" rm -q Old-Page.md
sed -i 's/\* \[\[Old Page\]\]/* no old page any more/' "$SRC/Home.md"
as 'Alice Admin' 'Drop the old page'
SRC_TIP=$(git -C "$SRC" rev-parse master)
ok 'the fixture has 4 commits by 3 authors' sh -c 'test "$(git -C "$1" rev-list --count master)" = 4 &&
	test "$(git -C "$1" log --format=%an master | sort -u | wc -l)" = 3' _ "$SRC"

# --- import from a path ---
ok 'kennis import DIR PATH' sh -c '"$1" import "$2" "$3" > "$4/import.out" 2>&1' _ "$KENNIS" "$DATA" "$SRC" "$T"
ok '... says what came in' sh -c 'grep -q "imported 4 commits: 9 pages, 1 other files, and 2 files that cannot be pages" "$1" &&
	grep -q "^  .vscode/settings.json" "$1"' _ "$T/import.out"
ok '... the whole history, commit for commit' test "$(git -C "$DATA/wiki.git" rev-parse main)" = "$SRC_TIP"
ok '... the authors as they were' sh -c 'test "$(git -C "$1" log --format=%an main | sort -u | tr "\n" ,)" = "Alice Admin,Bob Builder,Carol Writer,"' _ "$DATA/wiki.git"
ok '... the hooks installed' test -x "$DATA/wiki.git/hooks/pre-receive"
ok 'kennis check finds it sound' "$KENNIS" check --data "$DATA"
not_ok 'a second import into it is refused' "$KENNIS" import "$DATA" "$SRC"
start_server

ok 'every page is served' sh -c 'git -C "$1" ls-tree -r --name-only main | grep "\.md$" | grep -v "^\." |
	while read -r f; do p=$(perl -e "\$_ = shift; s/\.md\$//; s{([^A-Za-z0-9\-_.~/])}{sprintf(q(%%%02X), ord(\$1))}ge; print" "$f")
	c=$(curl -s -o /dev/null -w "%{http_code}" "$2/wiki/$p"); [ "$c" = 200 ] || { echo "$f: $c"; exit 1; }; done' _ "$DATA/wiki.git" "$URL"
ok '/pages lists the dotfiles as kept in git' sh -c 'p=$(curl -s "$1/pages"); echo "$p" | grep -qF "<code>.vscode/settings.json</code> <em>(in git only)</em>" &&
	echo "$p" | grep -qF "<code>.gitignore</code>" && echo "$p" | grep -qF "href=\"/wiki/images/logo.png\""' _ "$URL"
ok '[[Page]] from the root: the folder page' contains '<a class="wikilink" href="/wiki/Folder/Page">Page</a>' get /wiki/Home
ok '[[Page Name]]: Other/Page-Name.md' contains '<a class="wikilink" href="/wiki/Other/Page-Name">Page Name</a>' get /wiki/Home
ok '[[Page]] in Folder/Deep: its own folder' contains '<a class="wikilink" href="/wiki/Folder/Deep/Page">Page</a>' get /wiki/Folder/Deep/Sibling
ok '[[Installation: Linux]]' contains 'href="/wiki/Installation%3A-Linux"' get /wiki/Folder/Deep/Page
ok 'the image' test "$(code /wiki/images/logo.png)" = 200
ok 'the deleted page is in history' contains 'Old-Page' get /recent
ok 'backlinks across folders' contains 'href="/wiki/Folder/Deep/Sibling"' get /wiki/Folder/Deep/Page
ok 'nothing wanted' sh -c '! curl -s "$1/wanted" | grep -q "Page-Name\|Sibling\|Deep-Page"' _ "$URL"

# --- the crawl: every internal link of every page ---
perl "$TOP/tests/crawl.pl" "$URL" > "$T/crawl.out"
sed 's/^/# /' "$T/crawl.out" | tail -n 5
ok 'the crawl reads every page (/, /pages and the 9 pages)' grep -q ' on 11 pages:' "$T/crawl.out"
ok '... follows the wiki links' sh -c 'n=$(sed -n "s/.*(\([0-9]*\) wiki links).*/\1/p" "$1"); test "$n" -ge 40' _ "$T/crawl.out"
ok '... and finds 0 broken internal links' grep -q ': 0 broken$' "$T/crawl.out"

# --- pushes on top of the imported history ---
ok 'clone it' git clone -q "$URL/wiki.git" "$T/c"
ok 'a new commit on top is accepted' sh -c 'cd "$1" && echo more >> "umask-?.md" && git commit -qam "more umask" && git push -q origin main' _ "$T/c"
ok 'an imported dotfile may change' sh -c 'cd "$1" && echo "{}" > .vscode/settings.json && git commit -qam tabs && git push -q origin main' _ "$T/c"
ok 'a new dotfile is refused' sh -c 'cd "$1" && mkdir -p .idea && echo x > .idea/x && git add . && git commit -qm idea &&
	! git push -q origin main 2>"$2/push.err" && grep -q "remote: kennis: .idea/x: not an allowed file name" "$2/push.err"' _ "$T/c" "$T"
git -C "$T/c" reset -q --hard origin/main
ok "git's own files may not change" sh -c 'cd "$1" && echo "*.tmp" >> .gitignore && git commit -qam ignore &&
	! git push -q origin main 2>"$2/push.err" && grep -q "remote: kennis: .gitignore: .*starts with .\.git" "$2/push.err"' _ "$T/c" "$T"
git -C "$T/c" reset -q --hard origin/main
ok 'a merge of an old branch is judged by what it brings' sh -c 'cd "$1" && git checkout -q -b old "$2" && echo side > Side.md &&
	git add . && git commit -qm side && git checkout -q main && git merge -q --no-edit old && git push -q origin main' _ "$T/c" "$SRC_TIP"
ok '... shown' contains '<p>side</p>' get /wiki/Side

# --- import over HTTP and from file:// (the served wiki is open: anyone may read) ---
ok 'kennis import DIR http://.../wiki.git' sh -c '"$1" import "$2/http" "$3/wiki.git" >/dev/null 2>&1' _ "$KENNIS" "$T" "$URL"
ok '... the same history' test "$(git -C "$T/http/wiki.git" rev-parse main)" = "$(git -C "$DATA/wiki.git" rev-parse main)"
ok 'kennis import DIR file://...' sh -c '"$1" import "$2/file" "file://$3" >/dev/null 2>&1' _ "$KENNIS" "$T" "$SRC"
ok '... the same history' test "$(git -C "$T/file/wiki.git" rev-parse main)" = "$SRC_TIP"
ok 'an unreachable source fails with a message' sh -c '! "$1" import "$2/none" "$2/no-such-repo" 2>"$2/none.err" &&
	grep -q "git could not fetch" "$2/none.err" && test -d "$2/none/wiki.git"' _ "$KENNIS" "$T"
ok '... and the empty wiki it left takes the next try' sh -c '"$1" import "$2/none" "$3" >/dev/null 2>&1 &&
	test "$(git -C "$2/none/wiki.git" rev-parse main)" = "$4"' _ "$KENNIS" "$T" "$SRC" "$SRC_TIP"

# a history git itself refuses (a ".git" entry, made by hand): fsck stops the import
ok 'a history with a .git entry (made with mktree)' sh -c 'cd "$1" && b=$(echo evil | git hash-object -w --stdin) &&
	t=$(printf "100644 blob %s\t.GIT\n" "$b" | git mktree) && c=$(echo evil | git commit-tree "$t" -p master) &&
	git branch evil "$c" && git init -q --bare "$2/evil.git" && git push -q "$2/evil.git" evil:master 2>/dev/null' _ "$SRC" "$T"
ok '... is refused by the import' sh -c '! "$1" import "$2/ev" "$2/evil.git" >/dev/null 2>&1 && ! git -C "$2/ev/wiki.git" rev-parse -q --verify main' _ "$KENNIS" "$T"

# --- init --empty, then push the history in ---
stop_server
rm -rf "$DATA" "$T/c"
ok 'kennis init --empty' sh -c '"$1" init --empty "$2" | grep -q "without pages"' _ "$KENNIS" "$DATA"
ok '... makes no commit' sh -c '! git -C "$1/wiki.git" rev-parse -q --verify main' _ "$DATA"
start_server
ok 'the empty wiki serves its page list' test "$(code /pages)" = 200
ok '... and no Home yet' test "$(code /)" = 404
ok 'push the whole history in (dotfiles and all)' git -C "$SRC" push -q "$URL/wiki.git" master:main
ok '... commit for commit' test "$(git -C "$DATA/wiki.git" rev-parse main)" = "$SRC_TIP"
ok '... served' contains '<a class="wikilink" href="/wiki/Other/Page-Name">Page Name</a>' get /wiki/Home
ok 'the next push keeps the rules' sh -c 'cd "$1" && git checkout -q master && mkdir -p .idea && echo x > .idea/y && git add . && git commit -qm idea &&
	! git push -q "$2/wiki.git" master:main 2>/dev/null' _ "$SRC" "$URL"
perl "$TOP/tests/crawl.pl" "$URL" > "$T/crawl2.out"
ok 'the crawl of the pushed wiki: 0 broken' grep -q ': 0 broken$' "$T/crawl2.out"

# The crawl can fail: a missing page and a bad relative link are counted.
git -C "$SRC" reset -q --hard "$SRC_TIP"
printf '[[No Such Page]] and [a bad one](Folder/Nope).\n' > "$SRC/Broken.md"
as 'Dave' 'broken links'
ok 'push a page with two broken links' git -C "$SRC" push -q "$URL/wiki.git" master:main
perl "$TOP/tests/crawl.pl" "$URL" > "$T/crawl3.out"
sed 's/^/# /' "$T/crawl3.out" | tail -n 3
ok '... the crawl counts them' grep -q ': 2 broken$' "$T/crawl3.out"
done_testing
