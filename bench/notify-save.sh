#!/bin/sh
# notify-save.sh [ROUNDS]: what watchers and webhooks cost the person who saves. Two wikis
# side by side on this machine: A, where nobody watches anything, and B, where 100 users
# watch the customer being edited (at once, by mail) and 5 webhooks want every change; both
# with a mail sink and a webhook receiver on 127.0.0.1, so that the fan-out and the senders
# really work while the next save runs. The same edits, in alternating blocks of 20, ROUNDS
# each (default 200); the POST's time as curl measures it; p50 and p90 of each, and B - A.
set -eu
KENNIS=${KENNIS:-$(pwd)/kennis}
ROUNDS=${1:-200}
W=$(mktemp -d "${TMPDIR:-/tmp}/kennis-bench.XXXXXX")
PIDS=
trap 'for p in $PIDS; do kill $p 2>/dev/null; done; wait 2>/dev/null; rm -rf "$W"' EXIT
TOP=$(cd "$(dirname "$0")/.." && pwd)
mkdir "$W/mail" "$W/hook"
# The sink and the receiver stand for a mail server and a CRM on other machines: they run at
# nice $SINK_NICE (default 19) so that their own work (perl writing 100 mails a save to disk)
# is not counted as the saver's. SINK_NICE=0 puts them level with kennis.
SINK_NICE=${SINK_NICE:-19}
nice -n "$SINK_NICE" perl "$TOP/tests/smtp-sink.pl" "$W/mail" >"$W/smtp.port" & PIDS="$PIDS $!"
nice -n "$SINK_NICE" perl "$TOP/tests/webhook-receiver.pl" "$W/hook" >"$W/hook.port" & PIDS="$PIDS $!"
sleep 0.5
SPORT=$(cat "$W/smtp.port") HPORT=$(cat "$W/hook.port")

setup() { # setup NAME WATCHERS WEBHOOKS
	d=$W/$1
	"$KENNIS" init "$d" >/dev/null
	echo "pw-editor-secret" | "$KENNIS" user add --data "$d" --role editor --email ed@example.test ed >/dev/null
	i=0
	while [ $i -lt "$2" ]; do
		echo "pw-watcher-secret" | "$KENNIS" user add --data "$d" --role reader --email "w$i@example.test" "w$i" >/dev/null
		i=$((i + 1))
	done
	# the watches, as /watch would make them (the web form is tested in t0700)
	sqlite3 "$d/kennis.db" "INSERT INTO watches(user_id, kind, value, folded, space, mode, created)
		SELECT id, 0, 'Acme Corp', 'acme corp', '', 0, 0 FROM users WHERE name LIKE 'w%';"
	i=0
	while [ $i -lt "$3" ]; do
		"$KENNIS" webhook add --data "$d" "http://127.0.0.1:$HPORT/h$i" >/dev/null 2>&1
		i=$((i + 1))
	done
	$VG "$KENNIS" serve --data "$d" --listen 127.0.0.1:0 --threads 2 --quiet --smtp "smtp://127.0.0.1:$SPORT" \
		--mail-from wiki@example.test --webhook-allow-private on >"$W/$1.out" 2>"$W/$1.log" &
	PIDS="$PIDS $!"
	echo $! >"$W/$1.pid"
	for _ in $(seq 1200); do grep -q serving "$W/$1.out" 2>/dev/null && break; sleep 0.1; done
	sed -n 's|^kennis: serving .* on \(http://[^/]*\)/$|\1|p' "$W/$1.out" >"$W/$1.url"
	curl -s -o /dev/null -c "$W/$1.jar" "$(cat "$W/$1.url")/login" --data "user=ed&password=pw-editor-secret"
}
# CALLGRIND=1: both servers run under callgrind, and what decides is the instructions spent
# answering requests (router_dispatch, inclusive) per save: what the saver's own request costs,
# which neither the machine's load nor the background threads' CPU can move.
VG=
[ -n "${CALLGRIND:-}" ] && VG="valgrind --tool=callgrind --callgrind-out-file=$W/cg.%p"
setup A 0 0
setup B 100 5

save() { # save NAME N: one edit of the Acme page; prints the POST's seconds
	u=$(cat "$W/$1.url")
	f=$(curl -s -b "$W/$1.jar" "$u/edit/Customers/Acme-Corp/Notes")
	b=$(echo "$f" | sed -n 's/.*name="base" value="\([0-9a-f]*\)".*/\1/p' | head -1)
	t=$(echo "$f" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -1)
	curl -s -o /dev/null -w '%{time_total}\n' -b "$W/$1.jar" "$u/edit/Customers/Acme-Corp/Notes" \
		--data-urlencode "base=$b" --data-urlencode "csrf=$t" --data-urlencode "message=edit $2" \
		--data-urlencode "content=---
customer: Acme Corp
---
# Notes

Edit number $2 of the benchmark."
}
# In blocks of 20, alternating A and B, with a pause after each B block: B's background
# work (the fan-out, 100 mails and 5 calls per save) then weighs on B's own next saves, as
# it would on a busy wiki, and not on A's.
n=0
while [ $n -lt "$ROUNDS" ]; do
	for w in A B; do
		i=0
		while [ $i -lt 20 ]; do save $w $((n + i)) >>"$W/$w.times"; i=$((i + 1)); done
	done
	sleep 2
	n=$((n + 20))
done
sleep 10
pct() { sort -n "$1" | awk -v p="$2" '{v[NR]=$1} END {i=int(NR*p/100+0.5); if (i<1) i=1; printf "%.2f", v[i]*1000}'; }
echo "saves: $ROUNDS each, in alternating blocks of 20"
printf 'A (no watchers, no webhooks):     p50 %s ms  p90 %s ms\n' "$(pct "$W/A.times" 50)" "$(pct "$W/A.times" 90)"
printf 'B (100 watchers, 5 webhooks):     p50 %s ms  p90 %s ms\n' "$(pct "$W/B.times" 50)" "$(pct "$W/B.times" 90)"
awk -v a="$(pct "$W/A.times" 50)" -v b="$(pct "$W/B.times" 50)" 'BEGIN { printf "B - A at p50: %+.2f ms (B/A %.3f)\n", b - a, b / a }'
echo "B delivered: $(ls "$W/hook" | grep -c body) webhook calls, $(ls "$W/mail" | grep -c eml) mails"
if [ -n "$VG" ]; then
	for w in A B; do
		p=$(cat "$W/$w.pid"); kill -TERM "$p"; while kill -0 "$p" 2>/dev/null; do sleep 0.2; done
		callgrind_annotate --inclusive=yes "$W/cg.$p" | awk '/src\/router.c:router_dispatch/ { gsub(",", "", $1); print $1; exit }' >"$W/$w.ir"
	done
	awk -v a="$(cat "$W/A.ir")" -v b="$(cat "$W/B.ir")" -v n="$ROUNDS" 'BEGIN {
		printf "instructions answering requests, per save (form GET + POST): A %.0f, B %.0f (B/A %.4f)\n", a / n, b / n, b / a }'
	exit 0
fi
# CPU by thread, which the machine's noise does not move much: the threads that answer
# requests (the saver's cost, GET of the form included) and the background threads
# (kn-fanout, kn-sender, named by kn_thread_background), in ms per save.
cpu_detail() { pid=$(cat "$W/$1.pid"); for t in /proc/"$pid"/task/*; do printf "%s %s\n" "$(cat "$t/comm")" "$(cut -d")" -f2 "$t/stat" | awk "{print \$12 + \$13}")"; done | sort | awk "{c[\$1]+=\$2} END {for (k in c) printf \"%s=%s \", k, c[k]; print \"\"}"; }
[ -n "${CPU_DETAIL:-}" ] && { echo "A: $(cpu_detail A)"; echo "B: $(cpu_detail B)"; }
cpu() { # cpu NAME: "requests_ms background_ms" per save
	pid=$(cat "$W/$1.pid") tck=$(getconf CLK_TCK)
	for t in /proc/"$pid"/task/*; do printf '%s %s\n' "$(cat "$t/comm")" "$(cut -d')' -f2 "$t/stat" | awk '{print $12 + $13}')"; done |
		awk -v n="$ROUNDS" -v tck="$tck" '$1 ~ /^kn-(fanout|sender)$/ {bg += $2; next} {fg += $2}
			END {printf "%.2f %.2f", fg * 1000 / tck / n, bg * 1000 / tck / n}'
}
set -- $(cpu A); a_fg=$1 a_bg=$2
set -- $(cpu B); b_fg=$1 b_bg=$2
printf 'CPU per save, request threads: A %s ms, B %s ms; background threads: A %s ms, B %s ms\n' "$a_fg" "$b_fg" "$a_bg" "$b_bg"
