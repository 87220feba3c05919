#!/bin/sh
# Crash recovery under load (issue 15): web editors and a pusher write while the server is
# killed with SIGKILL at a random moment, CRASH_KILLS times (5 here; `make soak` 50): every
# other time the server alone (its git children live on and finish), and the other times
# the server with all its children at once, as the OOM killer or a container stop does.
# After each restart every acknowledged save and push is in main, git fsck --strict and
# kennis check are clean, and a save goes through at once (before, a lock left behind made
# every save wait 8.5 s for a 503). Whether a kill lands while a lock is held is luck: a
# reference-transaction hook makes git hold main's lock for 0.3 s during each push, so that
# it often does; t0460 makes the locks by hand.
. "$(dirname "$0")/lib.sh"
KILLS=${CRASH_KILLS:-5}
EDITORS=${CRASH_EDITORS:-2}
SAVE_MS=1000
if sanitized; then SAVE_MS=3000; fi
start_server || exit 1
W=$(cd "$DATA/wiki.git" && pwd -P)
# git runs this while it holds the locks of a ref update (state "prepared")
printf '#!/bin/sh\ncat >/dev/null\n[ "$1" = prepared ] && sleep 0.3\nexit 0\n' >"$W/hooks/reference-transaction"
chmod +x "$W/hooks/reference-transaction"
: >"$T/acked"
: >"$T/errors"
: >"$T/all.log"

# editor N ROUND: saves its own page until the server is gone; each 303 is acknowledged.
editor() {
	local i=0 m b c
	while :; do
		i=$((i + 1))
		m="web-$2-$1-$i"
		b=$(curl -s --max-time 10 "$URL/edit/Crash/Editor-$1" | sed -n 's/.*name="base" value="\([0-9a-f]*\)".*/\1/p')
		[ -n "$b" ] || return 0
		c=$(curl -s -o /dev/null --max-time 15 -w '%{http_code}' "$URL/edit/Crash/Editor-$1" \
			--data-urlencode "base=$b" --data-urlencode "content=$m" \
			--data-urlencode "message=$m" --data-urlencode "author=Editor $1")
		case $c in
		303) echo "$m" >>"$T/acked" ;;
		000) return 0 ;; # killed meanwhile: not acknowledged
		*) echo "$m: HTTP $c" >>"$T/errors" ;;
		esac
		sleep 0.4 # people, not robots: the pusher must get a chance to push between saves
	done
}

# pusher ROUND: commits and pushes until the server is gone; each push that exits 0 is
# acknowledged. A rejected push (main moved) is rebased and retried, as a person would.
pusher() {
	local d="$T/pusher" i=0 m
	git -C "$d" pull -q --rebase "$URL/wiki.git" main 2>/dev/null || { git -C "$d" rebase --abort 2>/dev/null; return 0; }
	while :; do
		i=$((i + 1))
		m="push-$1-$i"
		echo "$m" >"$d/Crash/Pusher.md"
		git -C "$d" commit -qam "$m"
		if git -C "$d" push -q "$URL/wiki.git" HEAD:main 2>>"$T/push.err"; then
			echo "$m" >>"$T/acked"
		else
			git -C "$d" pull -q --rebase "$URL/wiki.git" main 2>>"$T/push.err" || { git -C "$d" rebase --abort 2>/dev/null; return 0; }
		fi
	done
}

# Is a process (a killed server's git child, its hook) still working in the repository?
repo_busy() {
	for p in /proc/[0-9]*; do
		case $(readlink "$p/cwd" 2>/dev/null) in "$W" | "$W"/*) return 0 ;; esac
	done
	return 1
}
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
# descendants PID: its children, their children, ...
descendants() {
	for k in $(ps -o pid= --ppid "$1"); do echo "$k"; descendants "$k"; done
}

git clone -q "$URL/wiki.git" "$T/pusher" && mkdir -p "$T/pusher/Crash" && echo start >"$T/pusher/Crash/Pusher.md" &&
	git -C "$T/pusher" add Crash && git -C "$T/pusher" commit -qm push-start && git -C "$T/pusher" push -q origin main
locks_left=0
r=0
while [ $r -lt "$KILLS" ]; do
	r=$((r + 1))
	# one push before the load: however the kills fall, pushes are part of every round
	git -C "$T/pusher" pull -q --rebase "$URL/wiki.git" main && echo "push-$r-0" >"$T/pusher/Crash/Pusher.md" &&
		git -C "$T/pusher" commit -qam "push-$r-0" && git -C "$T/pusher" push -q "$URL/wiki.git" HEAD:main &&
		echo "push-$r-0" >>"$T/acked"
	pids=
	e=1; while [ $e -le "$EDITORS" ]; do editor $e $r & pids="$pids $!"; e=$((e + 1)); done
	pusher $r & pids="$pids $!"
	sleep "$(awk -v s="$(date +%N)" 'BEGIN { srand(s); printf "%.2f", 0.5 + rand() * 2 }')"
	if [ $((r % 2)) -eq 1 ]; then how=server; kill -9 "$SERVER_PID"
	else how='server and children'; kill -9 "$SERVER_PID" $(descendants "$SERVER_PID") 2>/dev/null; fi
	wait "$SERVER_PID" 2>/dev/null
	SERVER_PID=
	wait $pids
	i=0; while repo_busy && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	left=$(cd "$W" && find . -name '*.lock' | sed 's|^\./||' | tr '\n' ' ')
	[ -n "$left" ] && locks_left=$((locks_left + 1))
	cat "$LOG" >>"$T/all.log"
	t0=$(now_ms)
	start_server || { ok "round $r: the server starts again" false; break; }
	echo "# round $r: killed the $how with $(wc -l <"$T/acked") writes acknowledged so far; left: ${left:-no lock}; restart in $(( $(now_ms) - t0 )) ms"
	git -C "$W" log --format=%s main >"$T/history"
	ok "round $r: every acknowledged write is in main" sh -c '
		sort -u "$1/acked" >"$1/want"; sort -u "$1/history" >"$1/have"
		missing=$(comm -23 "$1/want" "$1/have"); test -z "$missing" || { echo "lost: $missing"; false; }' _ "$T"
	ok "round $r: no lock file is left" sh -c 'test -z "$(cd "$1" && find . -name "*.lock")" || { find "$1" -name "*.lock"; false; }' _ "$W"
	ok "round $r: git fsck --strict is clean" git -C "$W" fsck --strict --no-progress
	ok "round $r: kennis check is clean" "$KENNIS" check --data "$DATA"
	t0=$(now_ms)
	c=$(save Crash/After-Restart "$(base_of Crash/After-Restart)" "round $r" "after-restart-$r")
	ms=$(( $(now_ms) - t0 ))
	ok "round $r: a save right after the restart answers 303 within $SAVE_MS ms ($c in $ms ms)" \
		sh -c 'test "$1" = 303 && test "$2" -lt "$3"' _ "$c" "$ms" "$SAVE_MS"
	[ "$c" = 303 ] && echo "after-restart-$r" >>"$T/acked"
done
cat "$LOG" >>"$T/all.log"
echo "# $KILLS kills, $locks_left left a lock file; $(wc -l <"$T/acked") writes acknowledged"
ok 'no save failed while the server ran' sh -c '! test -s "$1/errors" || { head "$1/errors"; false; }' _ "$T"
ok 'writes got through' test "$(wc -l <"$T/acked")" -ge "$KILLS"
ok "pushes got through too ($(grep -c '^push-' "$T/acked"))" test "$(grep -c '^push-' "$T/acked")" -ge "$KILLS"
done_testing
