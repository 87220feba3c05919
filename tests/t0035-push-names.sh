#!/bin/sh
# Issue 15 item 8: the push hook and the web use one rule for names (src/pagename.c).
# What a push adds, the web shows; what the web refuses, a push refuses, naming the file
# and the rule in a remote: line.
. "$(dirname "$0")/lib.sh"
start_server
ok 'clone' git clone -q "$URL/wiki.git" "$T/c"
G="git -C $T/c"
LONG=$(printf 'x%.0s' $(seq 1 200))

# pushed FILE CONTENT: commit FILE and push it; must be accepted
pushed() { printf '%s\n' "$2" > "$T/c/$1" && $G add -- "$1" && $G commit -qm "add $1" && $G push -q origin main; }
ok "push 'trail .md' (a GitHub wiki name)" pushed 'trail .md' 'trailing space page'
ok "push 'Acme Inc..md'" pushed 'Acme Inc..md' 'a company with a dot'
ok 'push a page with a 200-byte name' pushed "$LONG.md" 'long name'
ok '/wiki/trail%20 shows it' contains '<p>trailing space page</p>' get /wiki/trail%20
ok '/raw/trail%20 too' contains 'trailing space page' get /raw/trail%20
ok '/history/trail%20 too' test "$(code /history/trail%20)" = 200
ok '/wiki/Acme%20Inc. shows its page' contains '<p>a company with a dot</p>' get /wiki/Acme%20Inc.
ok 'the 200-byte name shows' contains '<p>long name</p>' get "/wiki/$LONG"
ok '/pages lists them' sh -c 'p=$(curl -s "$1/pages"); echo "$p" | grep -q "href=\"/wiki/trail%20\"" &&
	echo "$p" | grep -q "href=\"/wiki/Acme%20Inc.\"" && echo "$p" | grep -q "href=\"/wiki/$2\""' _ "$URL" "$LONG"
ok 'search finds the pushed page' contains 'href="/wiki/trail%20"' get '/search?q=trailing'
ok 'the web edits it' test "$(save 'trail%20' "$(base_of 'trail%20')" edited)" = 303
ok '... in the same file' sh -c 'git -C "$1/wiki.git" show "main:trail .md" | grep -qx edited' _ "$DATA"
$G pull -q

# refused FILE RULE: push FILE, must be refused with "remote: kennis: FILE: ...RULE..."
refused() {
	b=$(git -C "$DATA/wiki.git" rev-parse main)
	mkdir -p "$(dirname "$T/c/$1")" && echo x > "$T/c/$1" && $G add -- "$1" && $G commit -qm "add $1" &&
		! $G push -q origin main 2>"$T/push.err"
	rc=$?
	[ $rc -eq 0 ] && test "$(git -C "$DATA/wiki.git" rev-parse main)" = "$b" && grep -qF "remote: kennis: $1: not an allowed file name: $2" "$T/push.err"
	rc=$?
	$G reset -q --hard origin/main
	[ $rc -eq 0 ] || cat "$T/push.err"
	return $rc
}
ok "a folder ending in a space is refused" refused 'dir /x.md' "a folder ends in a space or '.'"
ok "a folder ending in '.' is refused" refused 'dir./x.md' "a folder ends in a space or '.'"
ok 'a backslash is refused' refused 'a\b.md' 'a backslash'
ok 'a hidden folder is refused' refused '.github/x.md' "a part starts with '.'"
ok 'an attachment ending in a space is refused' refused 'pic.png ' "the name ends in a space or '.'"
ok 'a 201-byte page name is refused' refused "${LONG}y.md" 'longer than 200 bytes'
ok 'refusals are in the server log' grep -q 'push refused: a.b.md: not an allowed file name: a backslash' "$LOG"
ok 'the web refuses those names too' sh -c 'for p in "dir%20/x" "dir./x" "a%5Cb" ".github/x" "$2y"; do
	test "$(curl -s -o /dev/null -w "%{http_code}" "$1/wiki/$p")" = 400 || exit 1; done' _ "$URL" "$LONG"
ok 'web refusals say why in the log' grep -q 'GET /wiki/a.b from .*: bad page name: a backslash' "$LOG"
done_testing
