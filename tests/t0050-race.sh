#!/bin/sh
# Web editors and git pushers at once: every acknowledged save and push is in history.
. "$(dirname "$0")/lib.sh"
start_server
EDITORS=${EDITORS:-4}
PUSHERS=${PUSHERS:-3}
ROUNDS=${ROUNDS:-12}

# A web editor saves ROUNDS edits to its own page (base fresh each time); a 409 would mean
# its own page changed under it, which cannot happen, so every save must be a 303.
editor() {
	i=1
	while [ $i -le "$ROUNDS" ]; do
		b=$(curl -s "$URL/edit/Race/Editor-$1" | sed -n 's/.*name="base" value="\([0-9a-f]*\)".*/\1/p')
		c=$(curl -s -o /dev/null -w '%{http_code}' "$URL/edit/Race/Editor-$1" \
			--data-urlencode "base=$b" --data-urlencode "content=editor $1 round $i" \
			--data-urlencode "message=web-$1-$i" --data-urlencode "author=Editor $1")
		[ "$c" = 303 ] && echo "web-$1-$i" >> "$T/acked"
		[ "$c" = 303 ] || echo "editor $1 round $i: HTTP $c" >> "$T/errors"
		i=$((i + 1))
	done
}

# A pusher commits to its own file and pushes; a rejected push (main moved) is pulled
# (rebased) and retried, as a person would.
pusher() {
	d="$T/p$1"
	git clone -q "$URL/wiki.git" "$d" || { echo "pusher $1: clone failed" >> "$T/errors"; return; }
	i=1
	while [ $i -le "$ROUNDS" ]; do
		mkdir -p "$d/Race" && echo "pusher $1 round $i" > "$d/Race/Pusher-$1.md"
		git -C "$d" add -A && git -C "$d" commit -qm "push-$1-$i"
		tries=0
		until git -C "$d" push -q origin main 2>/dev/null; do
			tries=$((tries + 1))
			[ $tries -gt 30 ] && { echo "pusher $1 round $i: gave up" >> "$T/errors"; break; }
			git -C "$d" pull -q --rebase origin main 2>/dev/null || git -C "$d" rebase --abort 2>/dev/null
		done
		[ $tries -le 30 ] && echo "push-$1-$i" >> "$T/acked"
		i=$((i + 1))
	done
}

: > "$T/acked"
pids=
e=1; while [ $e -le "$EDITORS" ]; do editor $e & pids="$pids $!"; e=$((e + 1)); done
p=1; while [ $p -le "$PUSHERS" ]; do pusher $p & pids="$pids $!"; p=$((p + 1)); done
wait $pids   # not a bare wait: the server runs in the background too

ok 'no save or push failed' sh -c '! test -s "$1/errors" || { cat "$1/errors"; false; }' _ "$T"
want=$(( (EDITORS + PUSHERS) * ROUNDS ))
ok "all $want saves and pushes acknowledged" test "$(wc -l < "$T/acked")" -eq "$want"
git -C "$DATA/wiki.git" log --format=%s main > "$T/history"
ok 'every acknowledged change is in history' sh -c '
	missing=0; while read -r m; do grep -qx "$m" "$1/history" || { echo "lost: $m"; missing=1; }; done < "$1/acked"; test $missing -eq 0' _ "$T"
ok 'final pages hold the last round' sh -c '
	for e in $(seq 1 $2); do curl -s "$1/raw/Race/Editor-$e" | grep -qx "editor $e round $3" || exit 1; done
	for p in $(seq 1 $4); do curl -s "$1/raw/Race/Pusher-$p" | grep -qx "pusher $p round $3" || exit 1; done' _ "$URL" "$EDITORS" "$ROUNDS" "$PUSHERS"
ok 'repository is sound' git -C "$DATA/wiki.git" fsck --no-progress
ok 'history is linear-or-merged, never rewritten (reflog only moves forward)' sh -c '
	git -C "$1/wiki.git" reflog show --format=%H main > "$1/../reflog" 2>/dev/null || exit 0
	prev=; tac "$1/../reflog" | while read -r c; do
		[ -z "$prev" ] || git -C "$1/wiki.git" merge-base --is-ancestor "$prev" "$c" || { echo "$prev !< $c"; exit 1; }
		prev=$c; done' _ "$DATA"
done_testing
