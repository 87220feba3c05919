#!/bin/sh
# cluster.sh: the measurements of docs/deploy.md (issue 14) on one machine: a primary and two
# replicas sharing a PostgreSQL of their own (started and removed here, as the tests do;
# the node helpers are tests/nodes.sh), N generated pages.
#   1. replication lag at RATE edits/s (default 10): a writer saves a new page every 1/RATE s
#      on the primary; one poller per replica reads each page until it is there. The lag of
#      an edit is from its 303 to the moment a replica serves it; "both" is the later replica.
#      (Edits are in order and main only moves forward, so a poller that is late to one edit
#      finds it at once: the figures are an upper bound.)
#   2. save latency with --sync-replicas 0 and 1 (the primary restarted between), SAVES
#      saves each, ROUNDS rounds interleaved; curl's time_total of the POST; medians, ratio.
#   3. read throughput: wrk on random pages through HAProxy (contrib/haproxy.cfg, ports
#      filled in) to the three nodes, against one node directly, interleaved ROUNDS times;
#      with the nodes' CPU per request from /proc (utime + stime), so what three machines
#      would do can be said: on this 2-core machine three nodes cannot be faster than one.
#   sh bench/cluster.sh        N=1000 EDITS=200 RATE=10 SAVES=60 ROUNDS=3 DURATION=10s
# Output: bench/out/cluster-DATE.txt (and on stdout).
set -u
cd "$(dirname "$0")/.."
N=${N:-1000}
EDITS=${EDITS:-200}
RATE=${RATE:-10}
SAVES=${SAVES:-60}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10s}
CONNS=${CONNS:-16}
mkdir -p bench/out
OUT=bench/out/cluster-$(date +%Y%m%d-%H%M%S).txt
. tests/lib.sh
. tests/nodes.sh
HAPID=
trap '[ -n "$HAPID" ] && kill $HAPID 2>/dev/null; stop_nodes; cleanup' EXIT
say() { echo "$*" | tee -a "$OUT"; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
pct() { sort -n "$1" | awk -v p="$2" '{ v[NR] = $1 } END { i = int(NR * p + 0.5); if (i < 1) i = 1; print v[i] }'; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
# with the children it has waited for (git http-backend, hooks, git push): all a node spent
cpu_all() { awk '{ print $14 + $15 + $16 + $17 }' "/proc/$1/stat"; }
nodes_cpu_ms() { local t=0 p; for p in $PID_p $PID_r1 $PID_r2; do t=$((t + $(cpu_all $p))); done; echo $((t * 1000 / $(getconf CLK_TCK))); }
port() { url "$1" | sed 's|.*:||'; }

"$KENNIS" init "$T/p" >/dev/null
sh bench/gencorpus.sh "$N" "$T/p/wiki.git" "$T/urls.txt" >/dev/null
start_node p || exit 1
start_node r1 --replica-of "$(url p)" || exit 1
start_node r2 --replica-of "$(url p)" || exit 1
last=$(sed -n 1p "$T/urls.txt")
for n in r1 r2; do
	i=0; while [ $i -lt 600 ] && ! nget $n "$last" | grep -q '<title>'; do sleep 0.1; i=$((i + 1)); done
done
say "# kennis cluster bench $(date -u +%FT%TZ), $(git rev-parse --short HEAD), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
say "# a primary and two replicas on 127.0.0.1, PostgreSQL state, $N pages"

# --- 1. replication lag at RATE edits/s
poller() { # NODE: the lag of each edit on NODE, in ms, into $T/lag-NODE
	local n=$1 e=0 u t a
	u=$(url "$n")
	: >"$T/lag-$n"
	while [ $e -lt "$EDITS" ]; do
		e=$((e + 1))
		while ! a=$(sed -n "s/^$e //p" "$T/acks") || [ -z "$a" ]; do
			[ -e "$T/writer-done" ] && ! grep -q "^$e " "$T/acks" && break
			sleep 0.01
		done
		[ -n "$a" ] || continue # that save failed: nothing to wait for
		while [ "$(curl -s -o /dev/null -w '%{http_code}' "$u/raw/Lag/E$e")" != 200 ]; do sleep 0.02; done
		t=$(now_ms)
		echo "$e $((t - a))" >>"$T/lag-$n"
	done
}
: >"$T/acks"
rm -f "$T/writer-done"
poller r1 & P1=$!
poller r2 & P2=$!
step=$((1000 / RATE))
cpu0=$(nodes_cpu_ms)
start=$(now_ms)
e=0
while [ $e -lt "$EDITS" ]; do
	e=$((e + 1))
	( c=$(curl -s -o /dev/null -w '%{http_code}' "$(url p)/edit/Lag/E$e" --data-urlencode "base=" \
		--data-urlencode "content=lag edit $e" --data-urlencode "message=lag $e")
	  [ "$c" = 303 ] && echo "$e $(now_ms)" >>"$T/acks" ) & # the pace holds even when a save is slow
	next=$((start + e * step))
	d=$((next - $(now_ms)))
	[ $d -gt 0 ] && sleep "$(awk -v d=$d 'BEGIN { printf "%.3f", d / 1000 }')"
done
wait_saves() { while [ "$(wc -l <"$T/acks")" -lt "$EDITS" ] && [ $(( $(now_ms) - start )) -lt $((EDITS * step + 30000)) ]; do sleep 0.1; done; }
wait_saves
touch "$T/writer-done"
wall=$(( $(now_ms) - start ))
wait $P1 $P2
sleep 2
cpu1=$(nodes_cpu_ms)
awk 'NR == FNR { l[$1] = $2; next } ($1 in l) { print (l[$1] > $2 ? l[$1] : $2) }' "$T/lag-r1" "$T/lag-r2" >"$T/lag-both"
awk '{ print $2 }' "$T/lag-r1" >"$T/l1"
awk '{ print $2 }' "$T/lag-r2" >"$T/l2"
say "replication lag: $(wc -l <"$T/acks") of $EDITS edits acknowledged, sent at $RATE/s (all answered after $wall ms)"
say "  r1    p50 $(pct "$T/l1" 0.5) ms  p90 $(pct "$T/l1" 0.9) ms  p99 $(pct "$T/l1" 0.99) ms  max $(pct "$T/l1" 1)"
say "  r2    p50 $(pct "$T/l2" 0.5) ms  p90 $(pct "$T/l2" 0.9) ms  p99 $(pct "$T/l2" 0.99) ms  max $(pct "$T/l2" 1)"
say "  both  p50 $(pct "$T/lag-both" 0.5) ms  p90 $(pct "$T/lag-both" 0.9) ms  p99 $(pct "$T/lag-both" 0.99) ms  max $(pct "$T/lag-both" 1)"
say "  CPU of the three nodes and their children (save, two pushes, indexing on three nodes, the pollers' reads): $(( (cpu1 - cpu0) / EDITS )) ms per edit"
# The primary's own count (its metrics line, every 10 s): from each change to the replica
# holding it, indexed; no polling in it.
sleep 11
say "  the primary's metrics: $(grep 'replication: epoch' "$T/p.log" | tail -n 1 | grep -o 'node [0-9a-f]* \|lag_p50_ms=[0-9]*\|lag_p99_ms=[0-9]*\|lag_max_ms=[0-9]*\|lag_n=[0-9]*' | tr '\n' ' ')"

# --- 2. save latency, --sync-replicas 0 against 1
saves() { # TAG ROUND: SAVES new pages on the primary; curl's time_total in ms into $T/save-TAG
	local i=0 c
	while [ $i -lt "$SAVES" ]; do
		i=$((i + 1))
		c=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' "$(url p)/edit/Sync/$1-$2-$i" --data-urlencode "base=" \
			--data-urlencode "content=sync $1 $2 $i" --data-urlencode "message=sync $i")
		case $c in 303\ *) echo "${c#* }" | awk '{ printf "%.1f\n", $1 * 1000 }' >>"$T/save-$1" ;; *) echo "save $1 $2 $i: $c" >>"$T/save-errors" ;; esac
	done
}
: >"$T/save-s0"; : >"$T/save-s1"
r=0
while [ $r -lt "$ROUNDS" ]; do
	r=$((r + 1))
	for s in 0 1; do
		stop_node p
		start_node p --sync-replicas $s || exit 1
		nsave p Sync/Warm "warm $r $s" >/dev/null # the senders know their replicas again
		sleep 1
		saves s$s $r
	done
done
m0=$(pct "$T/save-s0" 0.5); m1=$(pct "$T/save-s1" 0.5)
say "save latency ($ROUNDS rounds of $SAVES saves each, interleaved; $(cat "$T/save-errors" 2>/dev/null | wc -l) failed):"
say "  --sync-replicas 0   p50 $m0 ms  p90 $(pct "$T/save-s0" 0.9) ms  p99 $(pct "$T/save-s0" 0.99) ms"
say "  --sync-replicas 1   p50 $m1 ms  p90 $(pct "$T/save-s1" 0.9) ms  p99 $(pct "$T/save-s1" 0.99) ms"
say "  ratio of medians 1/0: $(awk -v a="$m0" -v b="$m1" 'BEGIN { printf "%.2f", b / a }')"

# --- 3. read throughput: three nodes behind HAProxy against one node
HP=$((20000 + $(od -An -N2 -tu2 /dev/urandom) % 40000))
sed -e "s/127.0.0.1:8080/127.0.0.1:$HP/" -e "s/127.0.0.1:8081/127.0.0.1:$(port p)/" \
	-e "s/127.0.0.1:8082/127.0.0.1:$(port r1)/" -e "s/127.0.0.1:8083/127.0.0.1:$(port r2)/" contrib/haproxy.cfg >"$T/haproxy.cfg"
haproxy -f "$T/haproxy.cfg" -db >"$T/haproxy.log" 2>&1 &
HAPID=$!
sleep 2
ok_ha=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HP$last")
export URLS="$T/urls.txt" # random.lua's list of paths
wrkrun() { # BASE: requests/s (and the nodes' CPU ticks per 1000 requests into $T/cpu)
	local before=0 after=0 pid out reqs
	for pid in $PID_p $PID_r1 $PID_r2; do before=$((before + $(cpu_ticks $pid))); done
	out=$(wrk -t2 -c"$CONNS" -d"$DURATION" -s bench/random.lua "$1" 2>&1)
	for pid in $PID_p $PID_r1 $PID_r2; do after=$((after + $(cpu_ticks $pid))); done
	reqs=$(echo "$out" | awk '/requests in/ { print $1 }')
	echo "$out" | awk '/Requests\/sec/ { print $2 }'
	awk -v t=$((after - before)) -v n="$reqs" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.3f\n", t * 1000 / hz / n }' >>"$T/cpu-$2"
}
: >"$T/rps-one"; : >"$T/rps-three"; : >"$T/cpu-one"; : >"$T/cpu-three"
wrk -t2 -c"$CONNS" -d3s -s bench/random.lua "http://127.0.0.1:$HP" >/dev/null 2>&1 # warm-up: every node
r=0
while [ $r -lt "$ROUNDS" ]; do
	r=$((r + 1))
	wrkrun "$(url r1)" one >>"$T/rps-one"
	wrkrun "http://127.0.0.1:$HP" three >>"$T/rps-three"
done
o=$(pct "$T/rps-one" 0.5); h=$(pct "$T/rps-three" 0.5)
co=$(pct "$T/cpu-one" 0.5); ch=$(pct "$T/cpu-three" 0.5)
say "read throughput (wrk -t2 -c$CONNS -d$DURATION, random pages of $N, $ROUNDS rounds interleaved, medians; HAProxy answered $ok_ha):"
say "  one node directly       $o req/s   node CPU $co ms/request"
say "  three nodes via HAProxy $h req/s   nodes' CPU $ch ms/request"
say "  ratio three/one: $(awk -v a="$o" -v b="$h" 'BEGIN { printf "%.2f", b / a }')"
say "  from the CPU per request: one $(nproc)-core machine serves at most $(awk -v c="$co" -v n="$(nproc)" 'BEGIN { printf "%.0f", n * 1000 / c }') req/s; three such machines (HAProxy on a fourth) $(awk -v c="$ch" -v n="$(nproc)" 'BEGIN { printf "%.0f", 3 * n * 1000 / c }') req/s"
echo "# written to $OUT"
