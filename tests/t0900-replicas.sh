#!/bin/sh
# More than one machine (issue 14): a primary and two replicas sharing a PostgreSQL of the
# test's own. Edits on the primary reach both replicas within 1 s (p99 over 200 edits); a
# write posted to a replica lands on the primary and is read back at once on that replica
# (read-your-writes: waited for, or read from the primary); a git push to a replica works;
# a space added later reaches the replicas; a session made on one node is valid on the
# others; replication requests with a wrong token or an old epoch are refused.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/nodes.sh"
EDITS=${REPLICA_EDITS:-200}
"$KENNIS" init "$T/p" >/dev/null
start_node p || exit 1
start_node r1 --replica-of "$(url p)" || exit 1
start_node r2 --replica-of "$(url p)" || exit 1
export KENNIS_DB="$PG_URL" # for the CLI commands below

ok 'the first node is the primary' sh -c 'grep -q "the primary now (epoch 1)" "$1"' _ "$T/p.log"
ok 'serve --replica-of made the replicas data directories (no starter commit of their own)' \
	sh -c 'test "$(git -C "$1/r1/wiki.git" rev-list --max-parents=0 main)" = "$(git -C "$1/p/wiki.git" rev-list --max-parents=0 main)"' _ "$T"
# (a replica fetches the primary's history when it starts: up to 30 s on a loaded machine)
for n in r1 r2; do
	i=0; while [ $i -lt 300 ] && ! nget $n /wiki/Home | grep -q '<title>Home'; do sleep 0.1; i=$((i + 1)); done
done
ok 'the replicas serve the wiki' sh -c 'curl -sf "$1/wiki/Home" | grep -q "<title>Home" && curl -sf "$2/wiki/Home" | grep -q "<title>Home"' _ "$(url r1)" "$(url r2)"
ok 'a replica indexes what it receives (search)' sh -c 'i=0; until curl -sf "$1/search?q=starter" | grep -q "Home"; do
	i=$((i + 1)); [ $i -gt 100 ] && exit 1; sleep 0.1; done' _ "$(url r1)"

# --- replication lag: an edit on the primary is on both replicas within 1 s (p99)
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
: >"$T/lags"
e=0
while [ $e -lt "$EDITS" ]; do
	e=$((e + 1))
	m="lag-mark-$e-$$"
	c=$(nsave p Lag-Page "$m")
	[ "$c" = 303 ] || { echo "edit $e: HTTP $c" >>"$T/lag-errors"; continue; }
	t0=$(now_ms)
	for n in r1 r2; do
		u=$(url $n)
		while ! curl -s --max-time 5 "$u/raw/Lag-Page" | grep -q "$m"; do
			[ $(( $(now_ms) - t0 )) -gt 10000 ] && break
			sleep 0.01
		done
	done
	echo $(( $(now_ms) - t0 )) >>"$T/lags"
done
p50=$(sort -n "$T/lags" | awk '{ v[NR] = $1 } END { print v[int(NR * 0.50 + 0.5)] }')
p99=$(sort -n "$T/lags" | awk '{ v[NR] = $1 } END { i = int(NR * 0.99 + 0.5); if (i < 1) i = 1; print v[i] }')
echo "# replication to both replicas over $(wc -l <"$T/lags") edits: p50 $p50 ms, p99 $p99 ms"
ok "every edit was saved ($EDITS)" test ! -s "$T/lag-errors"
# 1 s, the issue's bound, for the build that is deployed; a sanitizer build runs every
# process of a push (git's hooks are kennis too) several times slower (as t0470 allows).
# On a machine oversubscribed by other work (load average over twice its cores) a push waits
# for a core more than it works (34 ms of CPU an edit, bench/README.md): 3 s then, said so.
LAG_MAX=1000
if sanitized; then LAG_MAX=3000; fi
load=$(cut -d' ' -f1 /proc/loadavg) cores=$(nproc)
if awk -v l="$load" -v c="$cores" 'BEGIN { exit !(l > 2 * c) }'; then
	echo "# load average $load on $cores cores: the lag bound is 3 s instead of 1 s"
	LAG_MAX=3000
fi
ok "an edit is on both replicas within $LAG_MAX ms, p99 ($p99 ms)" test "$p99" -le $LAG_MAX

# --- read-your-writes: a write through r1 is read back on r1 at once
jar="$T/ryw.jar"
c=$(nsave r1 Ryw/One "written through r1" -c "$jar" -b "$jar")
ok "a save posted to a replica is answered by the primary (303, got $c)" test "$c" = 303
ok 'it is on the primary' sh -c 'curl -s "$1/raw/Ryw/One" | grep -q "written through r1"' _ "$(url p)"
ok 'the answer carries the read-your-writes cookie' grep -q 'kennis_seen.*wiki~[0-9a-f]\{40\}' "$jar"
ok 'the writer reads it back on that replica at once' sh -c 'curl -s -b "$2" "$1/raw/Ryw/One" | grep -q "written through r1"' _ "$(url r1)" "$jar"
# Hold r1's lock of main for a while (git waits for it, up to 5 s): the writer's read waits
# for the write (up to --read-wait, 1 s), or, past it, is answered by the primary.
R1=$(cd "$T/r1/wiki.git" && pwd -P)
# (wait only for that: a bare `wait` would wait for the nodes too)
# (the lock is made as git makes it, only when there is none: `: >` on a lock the replica
# holds at that moment truncated it, and git then renamed an empty file to main)
hold_main() {
	until (set -C; : >"$R1/refs/heads/main.lock") 2>/dev/null; do sleep 0.01; done
	( sleep "$1"; rm -f "$R1/refs/heads/main.lock" ) & HOLD=$!
}
hold_main 0.6
c=$(nsave r1 Ryw/Two "second through r1" -c "$jar" -b "$jar")
t0=$(now_ms)
ok "a write while r1 cannot take it yet ($c), read back on r1: waited for" sh -c 'curl -s -b "$2" "$1/raw/Ryw/Two" | grep -q "second through r1"' _ "$(url r1)" "$jar"
echo "# read back after $(( $(now_ms) - t0 )) ms"
wait "$HOLD"
hold_main 0.6
not_ok 'without the cookie the same read is stale (the check above can fail)' \
	sh -c 'c=$(curl -s -b "$2" -c "$2" "$1/edit/Ryw/Three" | sed -n "s/.*name=\"base\" value=\"\([0-9a-f]*\)\".*/\1/p")
		curl -s -o /dev/null -b "$2" "$1/edit/Ryw/Three" --data-urlencode "base=$c" --data-urlencode "content=third" >/dev/null
		curl -s "$1/raw/Ryw/Three" | grep -q third' _ "$(url r1)" "$T/other.jar"
wait "$HOLD"
hold_main 3
c=$(nsave r1 Ryw/Four "fourth through r1" -c "$jar" -b "$jar")
t0=$(now_ms)
ok 'still missing after the bounded wait: the read is answered by the primary' sh -c 'curl -s -b "$2" "$1/raw/Ryw/Four" | grep -q "fourth through r1"' _ "$(url r1)" "$jar"
ms=$(( $(now_ms) - t0 ))
ok "and it did not wait much longer than --read-wait ($ms ms)" test "$ms" -lt 2500
ok 'r1 says so in its log' grep -q 'lacks the reader.s write .* asking the primary' "$T/r1.log"
wait "$HOLD"
i=0; while [ $i -lt 100 ] && ! nget r1 /raw/Ryw/Four | grep -q "fourth through r1"; do sleep 0.1; i=$((i + 1)); done
ok 'r1 has it once its lock is free' sh -c 'curl -s "$1/raw/Ryw/Four" | grep -q "fourth through r1"' _ "$(url r1)"

# --- git: clone from a replica, push to it (forwarded to the primary)
git clone -q "$(url r2)/wiki.git" "$T/clone" 2>"$T/clone.err"
ok 'clone from a replica' test -f "$T/clone/Home.md"
echo "pushed through r2" >"$T/clone/Pushed.md"
git -C "$T/clone" add Pushed.md && git -C "$T/clone" commit -qm "push through r2"
ok 'git push to a replica works' git -C "$T/clone" push -q origin main
ok 'the push is on the primary' sh -c 'curl -s "$1/raw/Pushed" | grep -q "pushed through r2"' _ "$(url p)"
i=0; while [ $i -lt 50 ] && ! nget r2 /raw/Pushed | grep -q "pushed through r2"; do sleep 0.1; i=$((i + 1)); done
ok 'and comes back to the replica' sh -c 'curl -s "$1/raw/Pushed" | grep -q "pushed through r2"' _ "$(url r2)"
git -C "$T/clone" push -q --force origin HEAD~1:main 2>"$T/force.err"
ok 'a force-push through a replica is refused by the primary, with its words' grep -q "rewriting main's history" "$T/force.err"

# --- a space added later reaches every replica
"$KENNIS" space add --data "$T/p" ops --read all >/dev/null
i=0; while [ $i -lt 300 ] && ! { nget r1 /s/ops/ | grep -q '<title>Home' && nget r2 /s/ops/ | grep -q '<title>Home'; }; do sleep 0.1; i=$((i + 1)); done
ok 'a space made on the primary is served by the replicas' sh -c 'curl -s "$1/s/ops/" | grep -q "<title>Home" && curl -s "$2/s/ops/" | grep -q "<title>Home"' _ "$(url r1)" "$(url r2)"
b=$(nget r2 /s/ops/edit/Runbook | sed -n 's/.*name="base" value="\([0-9a-f]*\)".*/\1/p')
c=$(curl -s -o /dev/null -w '%{http_code}' "$(url r2)/s/ops/edit/Runbook" --data-urlencode "base=$b" --data-urlencode "content=ops runbook")
ok "a save in the space through a replica ($c)" test "$c" = 303
i=0; while [ $i -lt 200 ] && ! nget r1 /s/ops/raw/Runbook | grep -q "ops runbook"; do sleep 0.1; i=$((i + 1)); done
ok 'reaches the other replica' sh -c 'curl -s "$1/s/ops/raw/Runbook" | grep -q "ops runbook"' _ "$(url r1)"

# --- hostile: replication requests must carry the token, and pushes the current epoch
TOKEN=$("$PG_BIN/psql" "$PG_URL" -Atc 'select token from cluster')
EPOCH=$("$PG_BIN/psql" "$PG_URL" -Atc 'select epoch from cluster')
PRIMARY=$("$PG_BIN/psql" "$PG_URL" -Atc 'select primary_node from cluster')
ok 'a replication request with a wrong token is 401' test "$(curl -s -o /dev/null -w '%{http_code}' \
	-H 'X-Kennis-Replication: 0000' "$(url r1)/wiki.git/info/refs?service=git-receive-pack")" = 401
ok 'a push from an old epoch is refused (403)' test "$(curl -s -o /dev/null -w '%{http_code}' -H "X-Kennis-Replication: $TOKEN" \
	-H "X-Kennis-Epoch: $((EPOCH - 1))" -H "X-Kennis-Node: $PRIMARY" "$(url r1)/wiki.git/info/refs?service=git-receive-pack")" = 403
ok 'a push from another node than the primary is refused (403)' test "$(curl -s -o /dev/null -w '%{http_code}' -H "X-Kennis-Replication: $TOKEN" \
	-H "X-Kennis-Epoch: $EPOCH" -H "X-Kennis-Node: 0123456789abcdef" "$(url r1)/wiki.git/info/refs?service=git-receive-pack")" = 403
ok 'the primary takes no replication push at all' test "$(curl -s -o /dev/null -w '%{http_code}' -H "X-Kennis-Replication: $TOKEN" \
	-H "X-Kennis-Epoch: $EPOCH" -H "X-Kennis-Node: $PRIMARY" "$(url p)/wiki.git/info/refs?service=git-receive-pack")" = 403
ok 'a forwarded client address with a wrong token is not trusted (logged)' sh -c '
	curl -s -o /dev/null -H "X-Kennis-Forwarded: 1234" -H "X-Kennis-Client: 10.9.9.9" "$1/pages"
	grep -q "wrong replication token, not trusted" "$2"' _ "$(url p)" "$T/p.log"
for ck in 'kennis_seen=wiki~zz' 'kennis_seen=..~0123456789012345678901234567890123456789' \
	"kennis_seen=nosuch~$(printf '%040d' 0)" 'kennis_seen=wiki' 'kennis_seen=~~~~'; do
	t0=$(now_ms)
	c=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $ck" "$(url r1)/wiki/Home")
	ok "a bad read-your-writes cookie ($ck) is ignored: served at once ($c in $(( $(now_ms) - t0 )) ms)" \
		test "$c" = 200 -a $(( $(now_ms) - t0 )) -lt 900
done

# --- sessions are shared: logged in through one node, known on the others
echo 'pw-ada-secret' | "$KENNIS" user add --data "$T/p" --role admin ada >/dev/null
c=$(curl -s -o /dev/null -c "$T/ada.jar" -w '%{http_code}' "$(url r1)/login" --data-urlencode user=ada --data-urlencode password=pw-ada-secret)
ok "log in through a replica ($c)" test "$c" = 303
for n in p r1 r2; do
	ok "the session is valid on $n" sh -c 'curl -s -b "$2" "$1/account" | grep -q "ada"' _ "$(url $n)" "$T/ada.jar"
done
ok 'anonymous reads are off on the replicas too, now that an account exists' \
	test "$(curl -s -o /dev/null -w '%{http_code}' "$(url r2)/wiki/Home")" = 303
# --- /admin/replicas and the metrics line (an admin)
ok '/admin/replicas lists the three nodes' sh -c 'test "$(curl -s -b "$2" "$1/admin/replicas" | grep -c "<tr id=\"node-")" = 3' _ "$(url p)" "$T/ada.jar"
ok 'the metrics line names both replicas as live' sh -c 'test "$(curl -s -b "$2" "$1/admin/replicas?format=text" | grep -o "live lag_ms=[0-9]*" | wc -l)" = 2' _ "$(url p)" "$T/ada.jar"
curl -s -b "$T/ada.jar" "$(url p)/admin/replicas?format=text" >"$T/metrics"
ok "the metrics line has each replica's lag percentiles over the edits" \
	test "$(grep -o 'lag_p99_ms=[0-9]* lag_max_ms=[0-9]* lag_n=[1-9][0-9]*' "$T/metrics" | wc -l)" = 2
echo "# the primary's count: $(grep -o 'lag_p50_ms=[0-9]* lag_p99_ms=[0-9]*' "$T/metrics" | tr '\n' ' ')"
ok 'a replica shows the page too' sh -c 'curl -s -b "$2" "$1/admin/replicas" | grep -q "This node is <strong>replica"' _ "$(url r2)" "$T/ada.jar"
nodes_done
done_testing
