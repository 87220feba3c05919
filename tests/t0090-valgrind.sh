#!/bin/sh
# valgrind finds no leaks or memory errors in a serve-and-exit run that views, edits, diffs,
# clones and pushes. (Skipped for sanitizer builds: valgrind and ASan do not mix.)
. "$(dirname "$0")/lib.sh"
if ! command -v valgrind >/dev/null 2>&1; then echo "1..0 # SKIP valgrind not installed"; exit 0; fi
if sanitized; then
	echo "1..0 # SKIP sanitizer build"; exit 0
fi
"$KENNIS" init "$DATA" >/dev/null
REQS=15
valgrind -q --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
	--error-exitcode=99 --trace-children=no --log-file="$T/vg.log" \
	"$KENNIS" serve --data "$DATA" --listen 127.0.0.1:0 --threads 2 --exit-after $REQS >"$T/stdout" 2>"$LOG" &
VG=$!
i=0; while [ $i -lt 400 ] && ! grep -q serving "$T/stdout"; do sleep 0.05; i=$((i + 1)); done
URL=$(sed -n 's|^kennis: serving .* on \(http://[^/]*\)/$|\1|p' "$T/stdout")
ok 'server started under valgrind' test -n "$URL"

# Exactly REQS requests, then the server exits by itself.
ok 'view' test "$(code /)" = 200                                          # 1
ok 'missing page' test "$(code /wiki/Nope)" = 404                          # 2
ok 'bad name' test "$(code /wiki/.git)" = 400                                # 3
base=$(base_of Home)                                                       # 4
ok 'save' test "$(save Valgrind "$base" '# hi [[Home]]')" = 303           # 5
ok 'conflict' test "$(save Valgrind "$base" 'other')" = 409               # 6
ok 'history' test "$(code /history/Valgrind)" = 200                        # 7
ok 'diff' test "$(code "/diff/Home?to=$base")" = 200                      # 8
ok 'pages' test "$(code /pages)" = 200                                     # 9
ok 'clone' git clone -q "$URL/wiki.git" "$T/c"                             # 10-12 (refs, ls-refs, fetch)
echo x > "$T/c/X.md"
ok 'push' sh -c "cd '$T/c' && git add . && git commit -qm x && git push -q"  # 13, 14
ok 'static' test "$(code /static/kennis.css)" = 200                        # 15
( sleep 60; kill "$VG" 2>/dev/null ) >/dev/null 2>&1 & dog=$!
wait "$VG"; rc=$?
kill "$dog" 2>/dev/null
ok "server exited by itself after $REQS requests, valgrind clean (rc $rc)" test "$rc" -eq 0
ok 'valgrind log is empty' sh -c '! test -s "$1" || { cat "$1"; false; }' _ "$T/vg.log"
done_testing
