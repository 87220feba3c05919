#!/bin/sh
# edit-pair.sh OLD NEW DATA LIST [ROUNDS]: web edits (POST and the page it redirects to) with
# two builds side by side: each gets its own copy of data directory DATA (made here, removed
# at the end), and the edits of LIST (lines "EDIT /wiki/Page", as scale.sh writes them) go
# to one and then the other, ROUNDS times [2]. Prints p50 and p90 of each, in seconds.
#   sh bench/edit-pair.sh /tmp/kennis-old ./kennis /tmp/k10 /tmp/kennis-scale/lists-10000/edit.txt
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh
OLD=${1:?usage: edit-pair.sh OLD NEW DATA LIST [ROUNDS]}
NEW=${2:?usage}
DATA=${3:?usage}
LIST=${4:?usage}
ROUNDS=${5:-2}
W=$(mktemp -d "${TMPDIR:-/tmp}/kennis-edit-pair.XXXXXX")
PA= PB=
trap '[ -n "$PA" ] && kill "$PA" 2>/dev/null; [ -n "$PB" ] && kill "$PB" 2>/dev/null; wait 2>/dev/null; rm -rf "$W"' EXIT
for x in a b; do
	mkdir -p "$W/$x"
	cp -a "$DATA/wiki.git" "$W/$x/wiki.git"
	for f in index.db kennis.db; do [ -f "$DATA/$f" ] && cp "$DATA/$f" "$W/$x/$f"; done
done
KENNIS=$OLD bench_serve "$W/a" 900 --quiet && bench_ready 900 && PA=$BENCH_PID UA=$BENCH_URL
KENNIS=$NEW bench_serve "$W/b" 900 --quiet && bench_ready 900 && PB=$BENCH_PID UB=$BENCH_URL
i=0
while [ $i -lt "$ROUNDS" ]; do
	for u in $(sed -n 's/^EDIT //p' "$LIST"); do
		BENCH_URL=$UA bench_edit "$W/a" "$u" >>"$W/a.times"
		BENCH_URL=$UB bench_edit "$W/b" "$u" >>"$W/b.times"
	done
	i=$((i + 1))
done
echo "old: p50 $(bench_median <"$W/a.times") p90 $(bench_pct 90 <"$W/a.times") ($OLD)"
echo "new: p50 $(bench_median <"$W/b.times") p90 $(bench_pct 90 <"$W/b.times") ($NEW), $(wc -l <"$W/a.times") edits each"
