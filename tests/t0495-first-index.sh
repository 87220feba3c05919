#!/bin/sh
# A first index the server did not finish (docs/scale.md): killed while it builds a big
# wiki's index in batches, the server leaves the space marked (index_meta building:wiki);
# the next start finds the mark, starts that space over, and ends with a whole index and
# no mark.
. "$(dirname "$0")/lib.sh"
"$KENNIS" init "$DATA" >/dev/null
sh "$TOP/bench/gencorpus.sh" 6000 "$DATA/wiki.git" "$T/urls.txt"
meta() { sqlite3 "$DATA/index.db" "SELECT value FROM index_meta WHERE key = '$1'" 2>/dev/null; }
"$KENNIS" serve --data "$DATA" --listen 127.0.0.1:0 >"$T/stdout" 2>"$LOG" &
PID=$!
i=0
while [ $i -lt 1200 ] && [ -z "$(meta building:wiki)" ]; do sleep 0.05; i=$((i + 1)); done
kill -9 $PID; wait $PID 2>/dev/null
ok 'a first index in batches is marked for its space' test -n "$(meta building:wiki)"
ok 'and it did not finish' test "$(meta building:wiki)" != "$(meta last_commit:wiki)"
start_server
ok 'the next start starts it over' grep -q 'first index of space wiki did not finish: starting it over' "$LOG"
i=0
while [ $i -lt 1200 ] && [ "$(get /healthz)" != ok ]; do sleep 0.1; i=$((i + 1)); done
ok 'then the mark is gone' test -z "$(meta building:wiki)"
ok 'and every page is indexed' test "$(sqlite3 "$DATA/index.db" "SELECT count(*) FROM pages WHERE path LIKE 'Customers/%'")" = 6001
ok 'with its history' test "$(meta last_commit:wiki)" = "$(git -C "$DATA/wiki.git" rev-parse main)"

# A push while another writer holds the index longer than SQLite's busy timeout (10 s; the
# server's indexer taking a big push that its poll saw first is one): the hook waits for it,
# so git answers once the push is indexed, not before.
git clone -q "$URL/wiki.git" "$T/work"
printf '# Busy Lock\n\nZanzibar quartz.\n' >"$T/work/Busy-Lock.md"
git -C "$T/work" add Busy-Lock.md && git -C "$T/work" commit -qm 'while the index is busy'
(echo 'BEGIN IMMEDIATE; CREATE TABLE IF NOT EXISTS t0495_hold(x);'; sleep 13; echo 'ROLLBACK;') | sqlite3 "$DATA/index.db" &
HOLD=$!
sleep 1
ok 'a push while the index is held for 13 s succeeds' git -C "$T/work" push -q origin HEAD:main
ok 'the hook said it waits' grep -q 'push: the index of space wiki is busy with another catch-up; waiting for it' "$LOG"
ok 'and git answered only once the push was indexed' test "$(meta last_commit:wiki)" = "$(git -C "$DATA/wiki.git" rev-parse main)"
wait $HOLD
ok 'the page is found at once' contains 'Busy Lock' get '/search?q=zanzibar'
done_testing
