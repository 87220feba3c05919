#!/bin/sh
# Git over HTTP with the stock client: clone, push, pull, protocol v0/v2, gzip bodies,
# large pushes streamed, and the refusals (force-push, delete, other branches).
. "$(dirname "$0")/lib.sh"
start_server
G="git -C $T/c"

ok 'clone (protocol v2)' git -c protocol.version=2 clone -q "$URL/wiki.git" "$T/c"
ok 'clone has the starter pages' test -f "$T/c/Customers/Acme-Corp.md"
ok 'clone (protocol v0)' git -c protocol.version=0 clone -q "$URL/wiki.git" "$T/c0"
ok 'v2 is really spoken' sh -c 'GIT_TRACE_PACKET=1 git -c protocol.version=2 ls-remote "$1/wiki.git" 2>&1 | grep -q "version 2"' _ "$URL"

cat > "$T/c/Pushed-Page.md" <<'MD'
# Pushed page

Written in an editor, sent with **git push**.
MD
ok 'commit and push' sh -c "$G add . && $G commit -qm 'Add pushed page' && $G push -q origin main"
ok 'pushed page is on the web at once' contains '<strong>git push</strong>' get /wiki/Pushed-Page
ok 'push keeps the pusher as author' contains 'Test Pusher' get /history/Pushed-Page

base=$(base_of Pushed-Page)
ok 'web edit' test "$(save Pushed-Page "$base" '# Pushed page

Edited on the web.' 'Web touch' 'Wendy Web')" = 303
ok 'git pull shows the web edit' sh -c "$G pull -q && grep -q 'Edited on the web' '$T/c/Pushed-Page.md'"
ok 'web commit author visible in git' sh -c "$G log -1 --format=%an | grep -qx 'Wendy Web'"

# Force-push: rewrite the last commit and try to push it over main.
before=$(git -C "$DATA/wiki.git" rev-parse main)
$G commit -q --amend -m 'rewritten'
ok 'force-push is refused' sh -c "! $G push -q -f origin main 2>'$T/err'"
ok 'refusal reaches the client as remote: lines' grep -q 'remote: kennis: rewriting main' "$T/err"
ok 'main unchanged after refused force-push' test "$(git -C "$DATA/wiki.git" rev-parse main)" = "$before"
ok 'refusal is in the server log' grep -q 'refused: refs/heads/main' "$LOG"
$G reset -q --hard origin/main
ok 'deleting main is refused' sh -c "! $G push -q origin :main 2>/dev/null"
ok 'other branches are refused' sh -c "! $G push -q origin HEAD:refs/heads/feature 2>'$T/err2' && grep -q 'only the main branch' '$T/err2'"
ok 'tags are refused' sh -c "$G tag v1 && ! $G push -q origin v1 2>/dev/null"
ok 'main unchanged' test "$(git -C "$DATA/wiki.git" rev-parse main)" = "$before"

# A stale push (someone else pushed first) is refused by git itself, then pull+push works.
echo 'from c0' > "$T/c0/From-C0.md"
ok 'non-fast-forward push from a stale clone is refused' sh -c "cd '$T/c0' && git add . && git commit -qm c0 && ! git push -q origin main 2>/dev/null"
ok 'pull --rebase then push works' sh -c "cd '$T/c0' && git pull -q && git push -q origin main"
ok 'both histories kept' sh -c 'curl -s "$1/raw/From-C0" | grep -q "from c0" && curl -s "$1/raw/Pushed-Page" | grep -q "Edited on the web"' _ "$URL"

# gzip request body, as git sends for large negotiations: a hand-made v0 upload-pack request.
want=$(git -C "$DATA/wiki.git" rev-parse main)
{ printf '%04xwant %s\n' 50 "$want"; printf '0000'; printf '0009done\n'; } > "$T/req"
gzip -c "$T/req" > "$T/req.gz"
ok 'gzip-encoded upload-pack request is answered with a pack' sh -c '
	curl -s --max-time 20 -H "Content-Type: application/x-git-upload-pack-request" -H "Content-Encoding: gzip" \
		--data-binary @"$2" "$1/wiki.git/git-upload-pack" | grep -aq PACK' _ "$URL" "$T/req.gz"

# A large push (48 MiB of incompressible data) is streamed: the server never holds it in
# memory (what git has not read yet waits in an unlinked file in DATA/tmp).
head -c 50331648 /dev/urandom > "$T/c/big.bin"
$G pull -q && $G add big.bin && $G commit -qm 'big attachment'
ok 'large push succeeds' sh -c "$G -c http.postBuffer=1048576 push -q origin main"
rss=$(awk '/VmHWM/ {print $2}' /proc/$SERVER_PID/status)
limit=25000; sanitized && limit=100000   # ASan's shadow memory and quarantine
ok "server peak memory stays small during a 48 MiB push (VmHWM ${rss} kB < $limit)" test "$rss" -lt "$limit"
ok 'the body waiting for git left no file in DATA/tmp' sh -c '! ls "$1/tmp" | grep -q .' _ "$DATA"
ok 'large file is in the repository' sh -c 'git -C "$1/wiki.git" cat-file -s main:big.bin | grep -qx 50331648' _ "$DATA"
ok 'clone after large push' git clone -q "$URL/wiki.git" "$T/c2"

ok 'dumb-protocol paths are 404' test "$(code /wiki.git/HEAD)" = 404
ok 'objects are not served directly' test "$(code /wiki.git/objects/info/packs)" = 404
ok 'unknown service is 400' test "$(code '/wiki.git/info/refs?service=git-frob')" = 400
ok 'GET on receive-pack is refused' test "$(code /wiki.git/git-receive-pack)" = 400
ok 'repo fsck clean' git -C "$DATA/wiki.git" fsck --no-progress
done_testing
