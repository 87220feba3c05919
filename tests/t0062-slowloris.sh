#!/bin/sh
# Connection limits that hold: a slowloris flood of 2,000 connections from five addresses,
# each sending a header line a second and never finishing, neither locks out a sixth
# address nor keeps its connections past the header deadline; slow bodies are cut too.
. "$(dirname "$0")/lib.sh"
N=2000
# 2,000 sockets need more descriptors than the usual soft limit of 1,024.
ulimit -n 4096 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null
have=$(ulimit -n)
if [ "$have" != unlimited ] && [ "$have" -lt $((N + 200)) ]; then
	echo "1..0 # SKIP the open-file limit is $have (need $((N + 200)))"; exit 0
fi
# Probes must answer within this (ms); sanitizer builds and a busy machine are slower.
MAX_MS=${SLOWLORIS_MAX_MS:-250}
start_server --header-timeout 2 --min-rate 1000
HP=${URL#http://}
slow() { perl "$TOP/tests/slowclient.pl" "$HP" "$@"; }

# (late: open after 4 s, the 2 s deadline plus what a busy machine may add)
perl "$TOP/tests/slowloris.pl" "$HP" $N 5 6 4 >"$T/flood" 2>&1
sed 's/^/# /' "$T/flood"
field() { sed -n "s/.* $1 \([0-9.]*\).*/\1/p; s/^$1 \([0-9.]*\).*/\1/p" "$T/flood" | head -1; }
ok 'the flood ran (the bystander probed at least 30 times)' test "$(field probes)" -ge 30
ok 'every /healthz from 127.0.0.9 was answered during the flood' test "$(field failed)" = 0
ok "... each within $MAX_MS ms (max $(field max_ms) ms, median $(field median_ms) ms)" \
	awk -v m="$(field max_ms)" -v lim="$MAX_MS" 'BEGIN { exit !(m < lim) }'
ok 'slow connections were accepted up to the per-address limit' test "$(field accepted)" -ge 1280
ok 'more than 256 from one address were refused' test "$(field refused)" -gt 0
ok 'every slow connection was cut after the 2 s header deadline (within 4 s)' test "$(field late)" = 0
ok '... and all were cut, some more than once' test "$(field cut)" -ge 1280
ok 'refusals are logged with the address' grep -q 'connection from 127.0.0.[1-5] refused: 256 open from that address' "$LOG"
ok 'thousands of refusals and cuts make few log lines' sh -c 'n=$(grep -c " warn " "$1"); echo "$n lines"; test "$n" -lt 30' _ "$LOG"
ok 'still serving after the flood' test "$(code /healthz)" = 200

# Each limit on its own, on one connection. Its cuts must be logged as lines of their own, so
# first let the flood's 10 s log window close (its summary line is written then): a probe cut
# inside that window would only be counted in it.
# (A summary line written after the flood ended; if its last window held nothing back, 12 s
# are enough for a new window either way.)
n0=$(grep -c 'more such warnings in' "$LOG")
i=0
while [ "$(grep -c 'more such warnings in' "$LOG")" -le "$n0" ] && [ $i -lt 120 ]; do sleep 0.1; i=$((i + 1)); done
ok 'a slow but complete header block is served' \
	contains "statuses=200 " slow 0.5 'GET /healthz HTTP/1.1\r\n' 'Host: x\r\n' 'Connection: close\r\n' '\r\n'
ok 'a header block unfinished after 2 s is cut' sh -c 'out=$(perl "$1" "$2" 0.5 "GET / HTTP/1.1\r\n" "X-1: 1\r\n" "X-2: 1\r\n" "X-3: 1\r\n" "X-4: 1\r\n" "X-5: 1\r\n" "X-6: 1\r\n" "X-7: 1\r\n"); echo "$out"
	echo "$out" | grep -Eq "^statuses= closed_after=[23]\.[0-9]$"' _ "$TOP/tests/slowclient.pl" "$HP"
ok 'a kept-alive connection with no next request is closed 2 s after its response' sh -c 'out=$(perl "$1" "$2" 0 "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"); echo "$out"
	echo "$out" | grep -Eq "^statuses=200 closed_after=[23]\.[0-9]$"' _ "$TOP/tests/slowclient.pl" "$HP"
ok 'a body at 20 KB/s is read to the end' sh -c 'out=$(perl "$1" "$2" 0.5 "POST /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 60000\r\n\r\n" x10000 x10000 x10000 x10000 x10000 x10000); echo "$out"
	echo "$out" | grep -q "^statuses=405 "' _ "$TOP/tests/slowclient.pl" "$HP"
ok 'a body at 100 bytes/s (under --min-rate 1000) is cut after the grace' sh -c 'out=$(perl "$1" "$2" 0.5 "POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 60000\r\n\r\n" x50 x50 x50 x50 x50 x50 x50 x50 x50 x50 x50 x50); echo "$out"
	echo "$out" | grep -Eq "^statuses= closed_after=[234]\.[0-9]$"' _ "$TOP/tests/slowclient.pl" "$HP"
# (written in the window after the flood's, when lines are written again)
ok 'cuts are logged with the address' grep -q 'connection from 127.0.0.1 cut: no complete header block in 2000 ms' "$LOG"
ok 'slow bodies are logged' grep -q 'connection from 127.0.0.1 cut: request body slower than 1000 bytes/s' "$LOG"
ok 'the flood was summed up by address' grep -Eq 'more such warnings in [0-9]+ s \(by address: .*127.0.0.[1-5] x[0-9]+' "$LOG"
done_testing
