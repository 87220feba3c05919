#!/bin/sh
# Crash recovery (issue 15): lock files a dead writer left in the repository are found by
# kennis check, cleared at start-up and before saves and pushes, but never while a process
# may hold them; one server per data directory. The locks are made by hand (a kill -9 only
# leaves one by luck: t0470 does that).
. "$(dirname "$0")/lib.sh"
"$KENNIS" init "$DATA" >/dev/null
W=$DATA/wiki.git

# aged SECONDS FILE...: create the files (a ref lock holds an object id), last written SECONDS ago.
aged() {
	local s=$1; shift
	for f in "$@"; do
		git -C "$W" rev-parse main >"$f"
		touch -d "@$(( $(date +%s) - s ))" "$f"
	done
}
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
# timed_save PAGE TEXT: saves, prints "STATUS MILLISECONDS".
timed_save() {
	local t0 c
	t0=$(now_ms)
	c=$(save "$1" "$(base_of "$1")" "$2" "$2")
	echo "$c $(( $(now_ms) - t0 ))"
}
# saved_within MS PAGE TEXT: a save answers 303 within MS milliseconds.
saved_within() {
	set -- "$1" "$(timed_save "$2" "$3")"
	echo "save: $2 ms"
	[ "${2% *}" = 303 ] && [ "${2#* }" -lt "$1" ]
}

aged 60 "$W/refs/heads/main.lock" "$W/packed-refs.lock"
aged 600 "$W/gc.log.lock"
"$KENNIS" check --data "$DATA" >"$T/check.out" 2>&1; rc=$?
ok 'kennis check: stale locks exit 1' test "$rc" -eq 1
ok 'kennis check names the ref lock and its age' grep -q 'lock: refs/heads/main.lock is stale (6[0-9]\.[0-9] s old' "$T/check.out"
ok 'kennis check names gc.log.lock and packed-refs.lock' sh -c 'grep -q "gc.log.lock is stale (10 min old" "$1" &&
	grep -q "packed-refs.lock is stale" "$1"' _ "$T/check.out"

# A process with its working directory in the repository may be a git holding them.
(cd "$W" && exec sleep 30) & holder=$!
sleep 0.2
"$KENNIS" check --data "$DATA" --fix >"$T/check.out" 2>&1; rc=$?
ok 'check --fix leaves locks while a process has the repository open' sh -c '
	test "$1" -eq 1 && test -e "$2/refs/heads/main.lock" && grep -q "process [0-9]* (sleep) has the repository open" "$3"' _ "$rc" "$W" "$T/check.out"
kill $holder; wait $holder 2>/dev/null

# Start-up clears them, logs each, and a save goes through at once.
start_server
ok 'the server starts' test -n "$URL"
ok 'start-up removed the stale locks' sh -c '! test -e "$1/refs/heads/main.lock" && ! test -e "$1/gc.log.lock" && ! test -e "$1/packed-refs.lock"' _ "$W"
ok 'and logged each, with its age' sh -c 'grep -q "removed stale .*refs/heads/main.lock at start-up (6[0-9]\.[0-9] s old" "$1" &&
	grep -q "removed stale .*gc.log.lock at start-up" "$1"' _ "$LOG"
ok 'a save right after start-up is quick' saved_within 1000 Crash/After-Start 'saved after start-up'
ok 'a second server on the same data directory is refused (one line, exit 1)' sh -c '
	timeout 10 "$1" serve --data "$2" --listen 127.0.0.1:0 >/dev/null 2>"$3/second.err"; rc=$?
	test $rc -eq 1 && test "$(wc -l < "$3/second.err")" -eq 1 && grep -q "another kennis serve" "$3/second.err"' _ "$KENNIS" "$DATA" "$T"

# While serving: a save that finds an old lock clears it and goes on.
aged 60 "$W/refs/heads/main.lock"
ok 'a save clears an old lock left while serving' saved_within 3000 Crash/While-Serving 'saved over a stale lock'
ok 'and logs it with the operation' grep -q 'removed stale .*refs/heads/main.lock before the save of Crash/While-Serving.md (6[0-9]\.[0-9] s old' "$LOG"
# ... and so does a push.
git clone -q "$URL/wiki.git" "$T/c"
aged 60 "$W/refs/heads/main.lock"
echo "pushed over a stale lock" >"$T/c/Pushed.md"
git -C "$T/c" add Pushed.md && git -C "$T/c" commit -qm 'push over a stale lock'
ok 'a push clears an old lock' git -C "$T/c" push -q origin main
ok 'and logs it' grep -q 'removed stale .*refs/heads/main.lock before the push' "$LOG"
# A young lock is a writer's until it is LOCKS_SERVING_AGE (5 s) old: the save waits.
aged 1 "$W/refs/heads/main.lock"
r=$(timed_save Crash/Young 'saved after the lock aged')
ok "a lock 1 s old is left until it is 5 s old (save: $r ms)" sh -c 'test "${1% *}" = 303 && test "${1#* }" -ge 3000' _ "$r"
# kennis check --fix leaves a running server's locks to the server.
aged 60 "$W/gc.log.lock"
"$KENNIS" check --data "$DATA" --fix >"$T/check.out" 2>&1; rc=$?
ok 'check --fix while serving: the server judges, the lock stays' sh -c '
	test "$1" -eq 1 && test -e "$2/gc.log.lock" && grep -q "kennis serve runs on" "$3"' _ "$rc" "$W" "$T/check.out"
get '/search?q=saved' >/dev/null # the index catches up
stop_server

# Start-up while another process has the repository open: the locks stay (logged), the
# server starts, and once that process is gone the next save clears them.
aged 60 "$W/refs/heads/main.lock"
(cd "$W" && exec sleep 30) & holder=$!
URL=
start_server
ok 'the server starts while a process has the repository open' test -n "$URL"
ok 'the lock is left, and the log says who has the repository open' sh -c '
	test -e "$1/refs/heads/main.lock" && grep -q "main.lock is .* old, but process [0-9]* (sleep) has the repository open" "$2"' _ "$W" "$LOG"
kill $holder; wait $holder 2>/dev/null
ok 'once it is gone, a save clears the lock' saved_within 3000 Crash/After-Holder 'saved after the holder went'
get '/search?q=saved' >/dev/null
stop_server
aged 60 "$W/gc.log.lock"
"$KENNIS" check --data "$DATA" --fix >"$T/check.out" 2>&1; rc=$?
ok 'check --fix removes a stale lock with no server and no git running' sh -c '
	test "$1" -eq 0 && ! test -e "$2/gc.log.lock" && grep -q "removed stale gc.log.lock" "$3"' _ "$rc" "$W" "$T/check.out"
"$KENNIS" check --data "$DATA" >"$T/check.out" 2>&1; rc=$?
ok 'then kennis check is clean' sh -c 'test "$1" -eq 0 || cat "$2"' _ "$rc" "$T/check.out"
ok 'every save is in main' sh -c 'for m in "saved after start-up" "saved over a stale lock" "push over a stale lock" "saved after the lock aged" "saved after the holder went"; do
	git -C "$1" log --format=%s main | grep -qx "$m" || { echo "missing: $m"; exit 1; }; done' _ "$W"
ok 'git fsck --strict is clean' git -C "$W" fsck --strict --no-progress
done_testing
