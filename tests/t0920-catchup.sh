#!/bin/sh
# A replica that was away catches up (issue 14): a primary and a replica; the replica is
# killed (SIGKILL) early in a run of CATCHUP_EDITS saves on the primary (100 here; `make
# soak` 500), then started again: it gets every commit, its index included (search finds the
# last save and one from the middle; `kennis check` is clean), without a restart of the
# primary. How long it took is printed.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/nodes.sh"
EDITS=${CATCHUP_EDITS:-100}
export KENNIS_DB="$PG_URL" # for kennis check
"$KENNIS" init "$T/p" >/dev/null
start_node p || exit 1
start_node r --replica-of "$(url p)" || exit 1
i=0; while [ $i -lt 100 ] && ! nget r /wiki/Home | grep -q '<title>Home'; do sleep 0.1; i=$((i + 1)); done
ok 'the replica serves the wiki' sh -c 'curl -s "$1/wiki/Home" | grep -q "<title>Home"' _ "$(url r)"

: >"$T/errors"
e=0
while [ $e -lt "$EDITS" ]; do
	e=$((e + 1))
	[ $e -eq 5 ] && kill_node r # the machine is gone, mid-run
	c=$(curl -s -o /dev/null --max-time 20 -w '%{http_code}' "$(url p)/edit/Cu/Page-$e" \
		--data-urlencode "base=" --data-urlencode "content=catchupmark$e in page $e" \
		--data-urlencode "message=edit $e" --data-urlencode "author=Tester")
	[ "$c" = 303 ] || echo "edit $e: HTTP $c" >>"$T/errors"
done
ok "every save on the primary went through with the replica down ($EDITS)" test ! -s "$T/errors"
ok 'the primary says it cannot reach the replica' grep -q 'replication: push of space wiki to node .* failed' "$T/p.log"

t0=$(date +%s%N)
start_node r --replica-of "$(url p)" || exit 1
mid=$((EDITS / 2))
i=0; while [ $i -lt 600 ] && ! nget r "/raw/Cu/Page-$EDITS" | grep -q "catchupmark$EDITS"; do sleep 0.05; i=$((i + 1)); done
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
echo "# the replica had all $EDITS edits $ms ms after it was started (start included)"
ok 'the replica has the last save' sh -c 'curl -s "$1/raw/Cu/Page-$2" | grep -q "catchupmark$2"' _ "$(url r)" "$EDITS"
ok 'and every one before it' sh -c 'test "$(git -C "$1/r/wiki.git" rev-parse main)" = "$(git -C "$1/p/wiki.git" rev-parse main)"' _ "$T"
ok 'its search finds the last save' sh -c 'curl -s "$1/search?q=catchupmark$2" | grep -q "Page-$2"' _ "$(url r)" "$EDITS"
ok 'and one from the middle' sh -c 'curl -s "$1/search?q=catchupmark$2" | grep -q "Page-$2"' _ "$(url r)" "$mid"
ok 'the replica says how it caught up' grep -q 'caught up with the primary\|POST /wiki.git/git-receive-pack 200' "$T/r.log"
stop_node r
ok 'kennis check is clean on the replica (its index matches main)' \
	sh -c '"$1" check --data "$2" >"$2.check" 2>&1 || { cat "$2.check"; exit 1; }' _ "$KENNIS" "$T/r"
nodes_done
done_testing
