#!/bin/sh
# push.sh CORPORA KENNIS COUNT: one-commit pushes to kennis and to git http-backend behind
# lighttpd (the same repository copied, no hooks there), interleaved, COUNT each; prints
# "kennis P50" and "lighttpd P50" (seconds). Used by scale.sh; needs lighttpd and the
# 10k folder corpus (CORPORA/f10000).
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh
CORPORA=$1
KENNIS=$2
COUNT=${3:-15}
W=$(mktemp -d "${TMPDIR:-/tmp}/kennis-push.XXXXXX")
LPID=
trap 'bench_stop; [ -n "$LPID" ] && kill "$LPID" 2>/dev/null; rm -rf "$W"' EXIT
export GIT_TERMINAL_PROMPT=0 GIT_CONFIG_NOSYSTEM=1 HOME=$W
git config --global user.name Pusher
git config --global user.email pusher@example.com
# kennis: its own copy (hooks, index as kennis builds it)
mkdir -p "$W/k"
cp -r "$CORPORA/f10000/data/wiki.git" "$W/k/wiki.git"
"$KENNIS" reindex --data "$W/k" >/dev/null 2>&1
bench_serve "$W/k" 900 --quiet
bench_ready 900
# lighttpd + git http-backend: the same repository, plain (no hooks)
mkdir -p "$W/l/repos" "$W/l/www"
cp -r "$CORPORA/f10000/data/wiki.git" "$W/l/repos/wiki.git"
rm -f "$W/l/repos/wiki.git/hooks/pre-receive" "$W/l/repos/wiki.git/hooks/post-receive"
lport=$(bench_random_port)
cat >"$W/l/lighttpd.conf" <<EOF
server.document-root = "$W/l/www"
server.bind = "127.0.0.1"
server.port = $lport
server.modules = ( "mod_alias", "mod_setenv", "mod_cgi" )
alias.url = ( "/git/" => "/usr/lib/git-core/git-http-backend/" )
\$HTTP["url"] =~ "^/git" {
	cgi.assign = ( "" => "" )
	setenv.add-environment = ( "GIT_PROJECT_ROOT" => "$W/l/repos", "GIT_HTTP_EXPORT_ALL" => "1", "REMOTE_USER" => "bench" )
}
EOF
lighttpd -D -f "$W/l/lighttpd.conf" >"$W/l/log" 2>&1 &
LPID=$!
i=0
until bench_listening "$lport"; do i=$((i + 1)); [ $i -lt 100 ] || bench_die "lighttpd did not start"; sleep 0.1; done
git clone -q "$BENCH_URL/wiki.git" "$W/ck"
git clone -q "http://127.0.0.1:$lport/git/wiki.git" "$W/cl"
page=$(cd "$W/ck" && git ls-files | grep '^Customers/' | head -n 1)
: >"$W/tk"
: >"$W/tl"
one() { # one CLONE TIMES: a commit of one page, pushed, timed
	(cd "$1" && echo "- pushed $(date +%s.%N)" >>"$page" && git commit -qam "push bench" &&
		t0=$(date +%s.%N) && git push -q origin HEAD:main && t1=$(date +%s.%N) &&
		awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f\n", b - a }') >>"$2"
}
one "$W/ck" /dev/null
one "$W/cl" /dev/null
i=0
while [ $i -lt "$COUNT" ]; do
	one "$W/ck" "$W/tk"
	one "$W/cl" "$W/tl"
	i=$((i + 1))
done
echo "kennis $(bench_median <"$W/tk")"
echo "lighttpd $(bench_median <"$W/tl")"
