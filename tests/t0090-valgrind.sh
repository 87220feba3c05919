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
i=0; while [ $i -lt 400 ] && ! grep -qs serving "$T/stdout"; do sleep 0.05; i=$((i + 1)); done
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

# Second run: with accounts (SQLite, sessions, tokens, argon2id), an upload, search and the
# index views.
echo 'pw-vg-secret' | "$KENNIS" user add --data "$DATA" --role editor vg >/dev/null
TOK=$("$KENNIS" token add --data "$DATA" vg 2>/dev/null)
REQS=14
valgrind -q --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
	--error-exitcode=99 --log-file="$T/vg2.log" \
	"$KENNIS" serve --data "$DATA" --listen 127.0.0.1:0 --threads 2 --exit-after $REQS >"$T/stdout2" 2>>"$LOG" &
VG=$!
i=0; while [ $i -lt 400 ] && ! grep -qs serving "$T/stdout2"; do sleep 0.05; i=$((i + 1)); done
URL=$(sed -n 's|^kennis: serving .* on \(http://[^/]*\)/$|\1|p' "$T/stdout2")
ok 'login' test "$(curl -s -o /dev/null -w '%{http_code}' -c "$T/jar" "$URL/login" --data 'user=vg&password=pw-vg-secret')" = 303     # 1
ok 'view as a user' test "$(curl -s -o /dev/null -w '%{http_code}' -b "$T/jar" "$URL/")" = 200                                     # 2
csrf=$(curl -s -b "$T/jar" "$URL/edit/Vg" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -1)                         # 3
ok 'save as a user' test "$(curl -s -o /dev/null -w '%{http_code}' -b "$T/jar" "$URL/edit/Vg" --data-urlencode "csrf=$csrf" --data 'base=&content=x')" = 303  # 4
printf 'PNG' > "$T/a.png"
ok 'upload' test "$(curl -s -o /dev/null -w '%{http_code}' -b "$T/jar" "$URL/upload/Vg" -F "csrf=$csrf" -F "file=@$T/a.png")" = 303   # 5
ok 'account page' test "$(curl -s -o /dev/null -w '%{http_code}' -b "$T/jar" "$URL/account")" = 200                                # 6
ok 'clone with a token' git -c "http.extraHeader=Authorization: Basic $(printf 'vg:%s' "$TOK" | base64 -w0)" clone -q "$URL/wiki.git" "$T/c2"  # 7-9
ok 'search' test "$(curl -s -o /dev/null -w '%{http_code}' -b "$T/jar" "$URL/search?q=acme")" = 200                            # 10
ok 'customer 360' test "$(curl -s -o /dev/null -w '%{http_code}' -b "$T/jar" "$URL/customer/Acme-Corp")" = 200                 # 11
ok 'recent' test "$(curl -s -o /dev/null -w '%{http_code}' -b "$T/jar" "$URL/recent?tag=key-account")" = 200                   # 12
ok 'feed' test "$(curl -s -o /dev/null -w '%{http_code}' -b "$T/jar" "$URL/feed/customer/Acme%20Corp")" = 200                  # 13
ok 'logout' test "$(curl -s -o /dev/null -w '%{http_code}' -b "$T/jar" "$URL/logout" --data-urlencode "csrf=$csrf")" = 303          # 14
( sleep 60; kill "$VG" 2>/dev/null ) >/dev/null 2>&1 & dog=$!
wait "$VG"; rc=$?
kill "$dog" 2>/dev/null
ok "accounts run exited after $REQS requests, valgrind clean (rc $rc)" test "$rc" -eq 0
ok 'valgrind log is empty' sh -c '! test -s "$1" || { cat "$1"; false; }' _ "$T/vg2.log"
done_testing
