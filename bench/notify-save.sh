#!/bin/sh
# notify-save.sh [ROUNDS]: what watchers and webhooks cost the person who saves. Two wikis
# side by side on this machine: A, where nobody watches anything, and B, where 100 users
# watch the customer being edited (at once, by mail) and 5 webhooks want every change; both
# with a mail sink and a webhook receiver on 127.0.0.1, so that the fan-out and the senders
# really work while the next save runs. The same edits, alternating A and B, ROUNDS each
# (default 200); the POST's time as curl measures it; p50 and p90 of each, and B - A.
set -eu
KENNIS=${KENNIS:-$(pwd)/kennis}
ROUNDS=${1:-200}
W=$(mktemp -d "${TMPDIR:-/tmp}/kennis-bench.XXXXXX")
PIDS=
trap 'for p in $PIDS; do kill $p 2>/dev/null; done; wait 2>/dev/null; rm -rf "$W"' EXIT
TOP=$(cd "$(dirname "$0")/.." && pwd)
mkdir "$W/mail" "$W/hook"
perl "$TOP/tests/smtp-sink.pl" "$W/mail" >"$W/smtp.port" & PIDS="$PIDS $!"
perl "$TOP/tests/webhook-receiver.pl" "$W/hook" >"$W/hook.port" & PIDS="$PIDS $!"
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
	"$KENNIS" serve --data "$d" --listen 127.0.0.1:0 --threads 2 --quiet --smtp "smtp://127.0.0.1:$SPORT" \
		--mail-from wiki@example.test --webhook-allow-private on >"$W/$1.out" 2>"$W/$1.log" &
	PIDS="$PIDS $!"
	for _ in $(seq 100); do grep -q serving "$W/$1.out" 2>/dev/null && break; sleep 0.1; done
	sed -n 's|^kennis: serving .* on \(http://[^/]*\)/$|\1|p' "$W/$1.out" >"$W/$1.url"
	curl -s -o /dev/null -c "$W/$1.jar" "$(cat "$W/$1.url")/login" --data "user=ed&password=pw-editor-secret"
}
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
n=0
while [ $n -lt "$ROUNDS" ]; do
	save A $n >>"$W/A.times"
	save B $n >>"$W/B.times"
	n=$((n + 1))
done
sleep 3
pct() { sort -n "$1" | awk -v p="$2" '{v[NR]=$1} END {i=int(NR*p/100+0.5); if (i<1) i=1; printf "%.2f", v[i]*1000}'; }
echo "saves: $ROUNDS each, alternating"
printf 'A (no watchers, no webhooks):     p50 %s ms  p90 %s ms\n' "$(pct "$W/A.times" 50)" "$(pct "$W/A.times" 90)"
printf 'B (100 watchers, 5 webhooks):     p50 %s ms  p90 %s ms\n' "$(pct "$W/B.times" 50)" "$(pct "$W/B.times" 90)"
awk -v a="$(pct "$W/A.times" 50)" -v b="$(pct "$W/B.times" 50)" 'BEGIN { printf "B - A at p50: %+.2f ms (B/A %.3f)\n", b - a, b / a }'
echo "B delivered: $(ls "$W/hook" | grep -c body) webhook calls, $(ls "$W/mail" | grep -c eml) mails"
