#!/bin/sh
# The repository stays packed (docs/scale.md): the loose objects web saves write are packed
# in the background while saves go on, and nothing is lost on the way.
. "$(dirname "$0")/lib.sh"
start_server --repack-loose 40 --repack-check 1
GIT=$DATA/wiki.git
loose() { git -C "$GIT" count-objects -v | sed -n 's/^count: //p'; }
ok 'saves leave loose objects' sh -c '
	for i in $(seq 1 30); do
		base=$(git -C "$2" rev-parse main)
		c=$(curl -s -o /dev/null -w "%{http_code}" "$1/edit/Page-$i" --data-urlencode "base=$base" \
			--data-urlencode "content=page $i" --data-urlencode "message=save $i")
		test "$c" = 303 || { echo "save $i: $c"; exit 1; }
	done' _ "$URL" "$GIT"
packed() {
	i=0
	while [ $i -lt 100 ]; do
		[ "$(loose)" -lt 40 ] && grep -q 'maintenance: packed' "$LOG" && return 0
		sleep 0.2; i=$((i + 1))
	done
	echo "loose objects: $(loose)"; return 1
}
ok 'the server packs them in the background' packed
ok 'into a pack' sh -c 'test "$(git -C "$1" count-objects -v | sed -n "s/^packs: //p")" -ge 1' _ "$GIT"
ok 'every save is there' sh -c 'test "$(git -C "$1" log --format=%s main | grep -c "^save ")" = 30' _ "$GIT"
ok 'and the repository is sound' git -C "$GIT" fsck --no-dangling
ok 'pages read from the packs' sh -c 'curl -s "$1/wiki/Page-17" | grep -q "page 17"' _ "$URL"
ok 'more saves after the repack' sh -c 'base=$(git -C "$2" rev-parse main); test "$(curl -s -o /dev/null -w "%{http_code}" "$1/edit/Page-1" \
	--data-urlencode "base=$base" --data-urlencode "content=page one again")" = 303 && curl -s "$1/wiki/Page-1" | grep -q "page one again"' _ "$URL" "$GIT"
done_testing
