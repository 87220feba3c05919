#!/bin/sh
# notify-drain.sh [N]: N queued webhook events (default 10,000, about 1 KB each, as a big
# push or a receiver that was down for hours leaves them) drain at the receiver's pace, with
# flat memory. The queue is filled before the server starts; the receiver is
# tests/webhook-receiver.pl (one connection at a time, two files written per call). Prints
# the time to drain, the rate, the receiver's own rate measured alone with the same calls
# (one at a time, a connection each), and the server's RSS sampled every half second (min, max, last).
set -eu
KENNIS=${KENNIS:-$(pwd)/kennis}
N=${1:-10000}
W=$(mktemp -d "${TMPDIR:-/tmp}/kennis-bench.XXXXXX")
PIDS=
trap 'for p in $PIDS; do kill $p 2>/dev/null; done; wait 2>/dev/null; rm -rf "$W"' EXIT
TOP=$(cd "$(dirname "$0")/.." && pwd)
mkdir "$W/hook"
perl "$TOP/tests/webhook-receiver.pl" "$W/hook" >"$W/hook.port" & PIDS="$PIDS $!"
sleep 0.5
HPORT=$(cat "$W/hook.port")
D=$W/data
"$KENNIS" init "$D" >/dev/null
"$KENNIS" webhook add --data "$D" "http://127.0.0.1:$HPORT/drain" >/dev/null 2>&1
BODY='{"type":"page.edited","timestamp":"2026-11-30T09:00:00Z","data":{"space":"wiki","commit":"6c8d8af505c38437dce29dabce4d30042de93f8a","author":{"name":"Ada Admin","email":"ada@example.com"},"message":"Globex: the new price list after the call with their buyer","pages":[{"page_name":"Customers/Globex/Pricing","title":"Pricing","action":"edited","sha":"0123456789abcdef0123456789abcdef01234567","html_url":"https://wiki.example.com/wiki/Customers/Globex/Pricing","old_page_name":null,"customer":"Globex","departments":["sales","finance"],"tags":["renewal","key-account"],"owner":"ada","lines_added":12,"lines_removed":3}],"more_pages":0,"padding":"................................................................................................................................................................................................................................................................................................................................................................................................................................................................"}}'
sqlite3 "$D/kennis.db" "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $N)
	INSERT INTO outbox(id, kind, target, payload, created, next_at) SELECT 'evt_drain_' || i, 1, 1, '$BODY', 0, 0 FROM n;"
# the receiver alone: 2,000 calls one after another, each on a new connection as kennis makes them
t0=$(date +%s.%N)
perl -MIO::Socket::INET -e 'my ($port, $body) = @ARGV; for (1 .. 2000) {
	my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1", PeerPort => $port) or die "connect: $!";
	print $s "POST /alone HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " . length($body) . "\r\n\r\n$body";
	local $/; my $answer = <$s>; die "no answer\n" unless $answer =~ m{^HTTP/1.1 200}; }' "$HPORT" "$BODY"
t1=$(date +%s.%N)
rm -f "$W"/hook/*
"$KENNIS" serve --data "$D" --listen 127.0.0.1:0 --threads 2 --quiet --webhook-allow-private on >"$W/out" 2>"$W/log" &
SPID=$!
PIDS="$PIDS $SPID"
s0=$(date +%s.%N)
: >"$W/rss"
while :; do
	left=$(sqlite3 "$D/kennis.db" "SELECT count(*) FROM outbox WHERE state = 0" 2>/dev/null || echo "$N")
	ps -o rss= -p "$SPID" >>"$W/rss"
	[ "$left" = 0 ] && break
	sleep 0.5
done
s1=$(date +%s.%N)
awk -v n="$N" -v a0="$t0" -v a1="$t1" -v s0="$s0" -v s1="$s1" 'BEGIN {
	printf "receiver alone: %.0f calls/s (2,000 calls one at a time, a connection each)\n", 2000 / (a1 - a0);
	printf "drained %d events in %.1f s: %.0f calls/s\n", n, s1 - s0, n / (s1 - s0) }'
sort -n "$W/rss" | awk '{v[NR]=$1} END {printf "server RSS: min %.1f MB, max %.1f MB\n", v[1]/1024, v[NR]/1024}'
printf 'RSS samples (MB, every 0.5 s): '
awk '{printf "%.1f ", $1/1024}' "$W/rss"
echo
echo "delivered: $(sqlite3 "$D/kennis.db" "SELECT count(*) FROM outbox WHERE state = 1"), received: $(ls "$W/hook" | grep -c body)"
