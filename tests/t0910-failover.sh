#!/bin/sh
# Failover with nothing lost (issue 14): a primary and two replicas, --sync-replicas 1
# --sync-mode refuse (a save is acknowledged, 303, only once a replica holds it). A stream of
# saves (two writers) goes to the primary; it is killed with SIGKILL at a random moment, a replica is
# promoted with `kennis promote`, and the old primary comes back as a replica of the new one.
# FAILOVER_KILLS rounds (3 here; `make soak` 20). After each: every acknowledged save is on
# the new primary, and a save there goes through. At the end: every acknowledged save is on
# every node, git fsck is clean on every node and `kennis check` too, and what the killed
# primaries held that nobody acknowledged is kept under refs/kennis/diverged/, not lost.
# A last round makes such a save for certain (the replicas frozen) and follows it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/nodes.sh"
KILLS=${FAILOVER_KILLS:-3}
SYNC="--sync-replicas 1 --sync-mode refuse --sync-timeout 5000"
export KENNIS_DB="$PG_URL" # for promote and check
"$KENNIS" init "$T/n0" >/dev/null
start_node n0 $SYNC || exit 1
start_node n1 --replica-of "$(url n0)" $SYNC || exit 1
start_node n2 --replica-of "$(url n0)" $SYNC || exit 1
PRIMARY=n0
: >"$T/acked"
: >"$T/errors"

# writer ROUND-ID: saves pages to the primary until $T/stop exists; each 303 is acknowledged.
writer() {
	local i=0 m c u
	u=$(url $PRIMARY)
	while [ ! -e "$T/stop" ]; do
		i=$((i + 1))
		m="fo-$1-$i"
		# a new page each time: its form's base is empty, so no conflict between saves
		c=$(curl -s -o /dev/null --max-time 15 -w '%{http_code}' "$u/edit/Fo/$m" \
			--data-urlencode "base=" --data-urlencode "content=$m" \
			--data-urlencode "message=$m" --data-urlencode "author=Writer")
		case $c in
		303) echo "$m" >>"$T/acked" ;;
		000) ;;                      # the primary died meanwhile: not acknowledged
		503) echo "$m: 503" >>"$T/refused" ;; # no replica confirmed it in time: not acknowledged
		*) echo "$m: HTTP $c" >>"$T/errors" ;;
		esac
	done
}

# wait_saves NODE: until a save on NODE is acknowledged (the new primary sends to a replica)
wait_saves() {
	local i=0
	while [ $i -lt 300 ]; do
		[ "$(nsave "$1" Fo/Probe "probe $i")" = 303 ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# has NODE LIST: every page named in LIST is on NODE (prints the first missing one)
has() {
	local u m
	u=$(url "$1")
	while read -r m; do
		curl -s --max-time 10 "$u/raw/Fo/$m" | grep -qx "$m" || { echo "$m"; return 1; }
	done <"$2"
	return 0
}

k=0
while [ $k -lt "$KILLS" ]; do
	k=$((k + 1))
	rm -f "$T/stop"
	writer $k-a &
	WPID=$!
	writer $k-b &
	WPID2=$!
	sleep "$(awk -v s="$$$k" 'BEGIN { srand(s); printf "%.2f", 1 + rand() * 2 }')"
	kill_node $PRIMARY
	touch "$T/stop"
	wait "$WPID" "$WPID2"
	old=$PRIMARY
	# promote the replicas in turn; the one promoted takes what the other holds
	case $old in n0) new=n1 ;; n1) new=n2 ;; n2) new=n0 ;; esac
	"$KENNIS" promote --data "$T/$new" --wait 60 >"$T/promote.out" 2>&1
	rc=$?
	ok "round $k: kennis promote --data $new (exit $rc)" test $rc -eq 0 || sed 's/^/#   /' "$T/promote.out"
	PRIMARY=$new
	missing=$(has $new "$T/acked")
	ok "round $k: every save acknowledged so far ($(wc -l <"$T/acked")) is on the new primary $new${missing:+ (missing $missing)}" test -z "$missing"
	start_node $old --replica-of "$(url $new)" $SYNC || break
	ok "round $k: a save on the new primary is acknowledged (a replica holds it)" wait_saves $new
done
# --- a save no replica got: the replicas are frozen (SIGSTOP), so the save waits
# --sync-timeout and is refused (503) though it is on the primary; the primary dies with its
# git children (none may finish the push later), a replica is promoted, and the old primary,
# back as a replica, gets main rewritten to the new primary's: the save nobody acknowledged
# is kept under refs/kennis/diverged/, not in main and not lost.
descendants() { for c in $(ps -o pid= --ppid "$1"); do echo "$c"; descendants "$c"; done; }
old=$PRIMARY
case $old in n0) a=n1 b=n2 ;; n1) a=n2 b=n0 ;; n2) a=n0 b=n1 ;; esac
pa=$(eval echo \$PID_$a); pb=$(eval echo \$PID_$b)
kill -STOP $pa $pb
c=$(nsave $old Fo/Unacked "never acknowledged")
ok "a save no replica can confirm is refused (503, got $c)" test "$c" = 503
ok '... though the primary has it' sh -c 'curl -s "$1/raw/Fo/Unacked" | grep -q "never acknowledged"' _ "$(url $old)"
kill -9 $(descendants "$(eval echo \$PID_$old)") 2>/dev/null
kill_node $old
kill -CONT $pa $pb
"$KENNIS" promote --data "$T/$a" --wait 60 >"$T/promote.out" 2>&1
ok "kennis promote --data $a (exit $?)" grep -q 'serves as the primary now' "$T/promote.out"
PRIMARY=$a
start_node $old --replica-of "$(url $a)" $SYNC || exit 1
i=0; while [ $i -lt 200 ] && [ "$(git -C "$T/$old/wiki.git" rev-parse main)" != "$(git -C "$T/$a/wiki.git" rev-parse main)" ]; do
	sleep 0.1; i=$((i + 1)); done
ok "the old primary $old follows the new one's main (rewritten)" test "$(git -C "$T/$old/wiki.git" rev-parse main)" = "$(git -C "$T/$a/wiki.git" rev-parse main)"
ok '... without the refused save' sh -c '! git -C "$1" cat-file -e main:Fo/Unacked.md 2>/dev/null' _ "$T/$old/wiki.git"
ok '... which is kept under refs/kennis/diverged/' sh -c '
	for r in $(git -C "$1" for-each-ref --format="%(refname)" refs/kennis/diverged/); do
		git -C "$1" show "$r:Fo/Unacked.md" 2>/dev/null | grep -q "never acknowledged" && exit 0
	done; exit 1' _ "$T/$old/wiki.git"
# Either way may come first: the new primary's push (the receive hook's line) or the old
# primary's own catch-up fetch at start (replica.c's move_main line).
ok 'the old primary says so in its log' grep -Eq 'had commits the (new )?primary \(epoch [0-9]+\) does not(: kept as| \(kept under) refs/kennis/diverged/' "$T/$old.log"

ok "no save failed other than by the kill or the sync rule" test ! -s "$T/errors"
echo "# $(wc -l <"$T/acked") saves acknowledged, $(cat "$T/refused" 2>/dev/null | wc -l) refused for want of a replica"

# every node catches up with everything acknowledged
for n in n0 n1 n2; do
	end=$(( $(date +%s) + 20 )); while [ "$(date +%s)" -lt $end ] && ! has $n "$T/acked" >/dev/null; do sleep 0.2; done
	missing=$(has $n "$T/acked")
	ok "every acknowledged save is on $n${missing:+ (missing $missing)}" test -z "$missing"
done
# What an old primary held that nobody acknowledged is kept, and only that: every kept tip
# is a commit that main does not contain (kept because it was rewritten, not for show).
ok 'the old primaries kept what nobody acknowledged under refs/kennis/diverged/, and only that' \
	sh -c 'for d in "$1"/n0 "$1"/n1 "$1"/n2; do
		for r in $(git -C "$d/wiki.git" for-each-ref --format="%(refname)" refs/kennis/diverged/); do
			git -C "$d/wiki.git" cat-file -e "$r^{commit}" || exit 1
			! git -C "$d/wiki.git" merge-base --is-ancestor "$r" main || { echo "$d: $r is in main"; exit 1; }
		done
	done' _ "$T"
for n in n0 n1 n2; do git -C "$T/$n/wiki.git" for-each-ref refs/kennis/diverged/ | sed "s/^/# kept on $n: /"; done
stop_nodes
for n in n0 n1 n2; do
	ok "git fsck is clean on $n" git -C "$T/$n/wiki.git" fsck --strict --no-progress
	ok "kennis check is clean on $n" sh -c '"$1" check --data "$2" >"$2.check" 2>&1 || { sed "s/^/#   /" "$2.check"; exit 1; }' _ "$KENNIS" "$T/$n"
done
nodes_done
done_testing
