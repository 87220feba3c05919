#!/bin/sh
# The command line: help, init, and startup errors that are one clear line and exit 1.
. "$(dirname "$0")/lib.sh"

ok 'kennis --help lists the commands' contains 'init DIR' "$KENNIS" --help
ok 'serve --help lists --listen' contains '--listen HOST:PORT' "$KENNIS" serve --help
ok 'init --help' contains 'usage: kennis init [--empty] DIR' "$KENNIS" init --help
ok 'import --help' contains 'usage: kennis import DIR SOURCE' "$KENNIS" import --help
not_ok 'unknown command fails' "$KENNIS" frobnicate
ok 'init creates a bare repo' sh -c '"$1" init "$2" && git -C "$2/wiki.git" rev-parse --is-bare-repository | grep -qx true' _ "$KENNIS" "$DATA"
ok 'starter wiki has Home, how-to, customer, sidebar' sh -c '
	git -C "$1/wiki.git" ls-tree -r --name-only main > "$2/files" &&
	grep -qx Home.md "$2/files" && grep -qx How-To-Use-Kennis.md "$2/files" &&
	grep -qx Customers/Acme-Corp.md "$2/files" && grep -qx _Sidebar.md "$2/files"' _ "$DATA" "$T"
ok 'HEAD is main' sh -c 'git -C "$1/wiki.git" symbolic-ref HEAD | grep -qx refs/heads/main' _ "$DATA"
ok 'hooks are installed and executable' test -x "$DATA/wiki.git/hooks/pre-receive"
not_ok 'init refuses an existing wiki' "$KENNIS" init "$DATA"

one_line_exit1() {
	"$@" >"$T/o" 2>"$T/e"; rc=$?
	[ $rc -eq 1 ] && [ "$(wc -l < "$T/e")" -eq 1 ] && [ ! -s "$T/o" ] || { echo "rc=$rc"; cat "$T/o" "$T/e"; return 1; }
}
ok 'serve: missing data dir is one line, exit 1' one_line_exit1 "$KENNIS" serve --data "$T/nope" --listen 127.0.0.1:0
mkdir -p "$T/plain"
ok 'serve: not a kennis dir is one line, exit 1' one_line_exit1 "$KENNIS" serve --data "$T/plain" --listen 127.0.0.1:0
git init -q --bare "$T/other/wiki.git"
ok 'serve: a foreign git repo is refused' one_line_exit1 "$KENNIS" serve --data "$T/other" --listen 127.0.0.1:0
start_server
port=${URL##*:}
"$KENNIS" init "$T/second" >/dev/null && "$KENNIS" reindex --data "$T/second" >/dev/null 2>&1
ok 'serve: port taken is one line, exit 1' one_line_exit1 "$KENNIS" serve --data "$T/second" --listen "127.0.0.1:$port"
ok 'serve: a data directory in use is one line, exit 1' one_line_exit1 "$KENNIS" serve --data "$DATA" --listen 127.0.0.1:0
ok 'serve: bad --listen is refused' sh -c '! "$1" serve --data "$2" --listen nonsense 2>/dev/null' _ "$KENNIS" "$DATA"
ok 'serve: bad option is refused' sh -c '! "$1" serve --data "$2" --threads x 2>/dev/null' _ "$KENNIS" "$DATA"
done_testing
