#!/bin/sh
# A race of web editors and git pushers on the same two pages for RACE_SECONDS (60): every
# acknowledged save or push is in the final pages and in history. Everyone appends to the
# pages' Log section, the way people add notes to a customer page.
. "$(dirname "$0")/lib.sh"
start_server
SECS=${RACE_SECONDS:-60}
EDITORS=3
PUSHERS=2
PAGES="Race/Alpha Race/Beta"
for p in $PAGES; do
	save "$p" "$(base_of "$p")" "# ${p#Race/}

Shared customer notes.

## Log

- start" >/dev/null
done
end=$(( $(date +%s) + SECS ))

editor() {
	i=0
	while [ "$(date +%s)" -lt "$end" ]; do
		i=$((i + 1))
		for p in $PAGES; do
			form=$(curl -s "$URL/edit/$p")
			b=$(echo "$form" | sed -n 's/.*name="base" value="\([0-9a-f]*\)".*/\1/p')
			# the textarea holds the page (HTML-escaped: plain text here)
			cur=$(echo "$form" | awk '/<textarea/ { on = 1; sub(/.*<textarea[^>]*>/, "") } on { if (sub(/<\/textarea>.*/, "")) { print; exit } print }')
			entry="web-$1-$i-${p#Race/}"
			c=$(curl -s -o /dev/null -w '%{http_code}' "$URL/edit/$p" --data-urlencode "base=$b" \
				--data-urlencode "content=$cur
- $entry" --data-urlencode "message=$entry" --data-urlencode "author=Editor $1")
			case $c in
			303) echo "$entry" >> "$T/acked" ;;
			409) echo "$entry" >> "$T/conflicts" ;;
			*) echo "$entry: HTTP $c" >> "$T/errors" ;;
			esac
		done
		sleep 0.3 # people, not robots: pushers must get a chance too
	done
}

pusher() {
	d="$T/p$1"
	git clone -q "$URL/wiki.git" "$d" || { echo "pusher $1: clone failed" >> "$T/errors"; return; }
	# concurrent appends to the same place: git's union merge keeps both (local setting)
	echo '*.md merge=union' > "$d/.git/info/attributes"
	i=0
	while [ "$(date +%s)" -lt "$end" ]; do
		i=$((i + 1))
		p=$(echo $PAGES | cut -d' ' -f$(( i % 2 + 1 )))
		entry="push-$1-$i-${p#Race/}"
		echo "- $entry" >> "$d/$p.md"
		git -C "$d" commit -qam "$entry"
		tries=0
		until git -C "$d" push -q origin main 2>/dev/null; do
			tries=$((tries + 1))
			# Losing the race 200 times is starvation on a loaded machine (every web save
			# moves main while this pusher fetches and rebases), not a loss: nothing was
			# acknowledged. Counted, and at least two pushes must get through (below).
			[ $tries -gt 200 ] && { echo "$entry: gave up" >> "$T/gaveup"; break; }
			git -C "$d" pull -q --rebase origin main 2>/dev/null || { git -C "$d" rebase --abort 2>/dev/null; echo "$entry: rebase failed" >> "$T/errors"; break; }
		done
		[ $tries -le 200 ] && echo "$entry" >> "$T/acked"
	done
}

: > "$T/acked"
pids=
e=1; while [ $e -le $EDITORS ]; do editor $e & pids="$pids $!"; e=$((e + 1)); done
p=1; while [ $p -le $PUSHERS ]; do pusher $p & pids="$pids $!"; p=$((p + 1)); done
wait $pids

n=$(wc -l < "$T/acked")
echo "# $n acknowledged changes in ${SECS}s ($(cat "$T/conflicts" 2>/dev/null | wc -l) conflicts, $(cat "$T/gaveup" 2>/dev/null | wc -l) pushes given up after 200 tries)"
ok "many changes acknowledged ($n)" test "$n" -ge 20
ok 'no errors' sh -c '! test -s "$1/errors" || { head "$1/errors"; false; }' _ "$T"
ok 'appends to a log never conflict' sh -c '! test -s "$1/conflicts" || { head "$1/conflicts"; false; }' _ "$T"
for p in $PAGES; do git -C "$DATA/wiki.git" show "main:$p.md"; done > "$T/final"
git -C "$DATA/wiki.git" log --format=%s main > "$T/history"
ok 'every acknowledged entry is in the final pages' sh -c '
	lost=0; while read -r m; do grep -qx -- "- $m" "$1/final" || { echo "lost: $m"; lost=$((lost + 1)); }; done < "$1/acked"; test $lost -eq 0' _ "$T"
ok 'every acknowledged change is a commit in history' sh -c '
	lost=0; while read -r m; do grep -qF -- "$m" "$1/history" || { echo "no commit: $m"; lost=$((lost + 1)); }; done < "$1/acked"; test $lost -eq 0' _ "$T"
ok 'no entry appears twice' sh -c 'test -z "$(grep "^- \(web\|push\)-" "$1/final" | sort | uniq -d)"' _ "$T"
pushes=$(grep -c '^push-' "$T/acked")
ok "pushes got through too ($pushes)" test "$pushes" -ge 2
ok 'repository is sound' git -C "$DATA/wiki.git" fsck --no-progress
done_testing
