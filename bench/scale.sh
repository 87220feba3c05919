#!/bin/sh
# scale.sh: the scale run of issue 10 (bench/README.md, docs/scale.md). The same scenarios
# on wikis of 10,000 and 100,000 pages, flat (all pages in the root) and in 20 folders with
# as many commits as pages (built by git fast-import), printing the figures and the ratios
# the issue asks for:
#
#   view     random page views (wrk, CONNS connections): req/s and the server's CPU per view;
#            at 10k side by side with bench/ceiling.c serving a page as kennis renders it
#   search   one common word (`customer`, on every page) with --search-cache-mb 0
#   history  /history of random pages (the folder corpora: they have the history)
#   edit     web edits one after the other (POST and the page it redirects to): p50, p99
#   start    seconds from start to listening, on a copy without an index
#   reindex  `kennis reindex` (wall and CPU), and fossil's `fts-config reindex` of the same
#            pages when fossil is installed (10k only: importing 100k commits takes hours)
#   push     one-commit pushes: p50 against git http-backend behind lighttpd (when installed)
#   memory   VmRSS and VmHWM of the server after the loads, with the caches it was given
#
# Throughput on a shared machine is noise; CPU per request (from /proc, whatever else
# runs) and the ratios of two measurements taken interleaved are not. Everything is printed
# with the load average seen. Rerun on a quiet machine for req/s.
#
#   sh bench/scale.sh                         # 10k and 100k (the 100k corpora take ~20 min
#                                             # to build once; they are kept in CORPORA)
#   SIZES=10000 sh bench/scale.sh             # 10k only (minutes)
#   BEFORE=/tmp/kennis-old sh bench/scale.sh  # a second build measured in the same run
#
# Environment: SIZES ["10000 100000"], KENNIS [./kennis], BEFORE [none], CORPORA
# [${TMPDIR:-/tmp}/kennis-scale], CONNS [16], DURATION [5s], EDITS [30], PUSHES [15],
# SERVE_ARGS [""] (for every server: e.g. "--cache-mb 256"), SKIP [""] (scenarios to
# leave out, e.g. "push reindex"). Output also goes to bench/out/scale-<date>.txt.
set -eu
LC_ALL=C
export LC_ALL
cd "$(dirname "$0")/.."
. bench/lib.sh
SIZES=${SIZES:-10000 100000}
CORPORA=${CORPORA:-${TMPDIR:-/tmp}/kennis-scale}
CONNS=${CONNS:-16}
DURATION=${DURATION:-5s}
EDITS=${EDITS:-30}
PUSHES=${PUSHES:-15}
SERVE_ARGS=${SERVE_ARGS:-}
SKIP=${SKIP:-}
BINS="$KENNIS${BEFORE:+ $BEFORE}"
mkdir -p "$CORPORA" bench/out
CORPORA=$(cd "$CORPORA" && pwd)
STAMP=$(date +%Y%m%d-%H%M%S)
REPORT=$(pwd)/bench/out/scale-$STAMP.txt
command -v wrk >/dev/null || bench_die "wrk not installed"
skip() { case " $SKIP " in *" $1 "*) return 0 ;; esac; return 1; }
say() { echo "$*" | tee -a "$REPORT"; }
load() { cut -d' ' -f1-3 /proc/loadavg; }
trap 'bench_stop; [ -n "${CEIL:-}" ] && kill "$CEIL" 2>/dev/null; [ -n "${LPID:-}" ] && kill "$LPID" 2>/dev/null; true' EXIT

# --- corpora: kennis init + gencorpus.sh, kept between runs ---------------------------
corpus() { # corpus NAME N LAYOUT HISTORY: $CORPORA/NAME/{wiki.git,urls.txt}
	d=$CORPORA/$1
	[ -s "$d/urls.txt" ] && return 0
	rm -rf "$d"
	echo "scale: building corpus $1 ($2 pages, $3, $4 commits of history)" >&2
	t0=$(bench_now)
	mkdir -p "$d"
	"$KENNIS" init "$d/data" >/dev/null
	LAYOUT=$3 HISTORY=$4 sh bench/gencorpus.sh "$2" "$d/data/wiki.git" "$d/urls.tmp"
	mv "$d/urls.tmp" "$d/urls.txt"
	echo "scale: corpus $1 built in $(bench_since "$t0") s" >&2
}

# A data directory of binary $1 on corpus $2: the corpus's repository (hard links), the
# binary's own index (built once, timed: the cold reindex).
datadir() {
	b=$(echo "$1" | md5sum | cut -c1-8)
	d=$CORPORA/$2/run-$b
	if [ ! -f "$d/index.db" ]; then
		rm -rf "$d"
		mkdir -p "$d"
		cp -al "$CORPORA/$2/data/wiki.git" "$d/wiki.git"
		out=$( { /usr/bin/time -f "TIME %e %U %S" "$1" reindex --data "$d" >/dev/null; } 2>&1 | grep '^TIME')
		echo "$out" | awk '{ printf "%s %.1f\n", $2, $3 + $4 }' >"$d/reindex.txt"
	fi
	echo "$d"
}

# wrk over list $2 against the server; prints "rps cpu_ms"
run_list() {
	export URLS="$2"
	wrk -t2 -c"$CONNS" -d2s -s bench/random.lua "$BENCH_URL/" >/dev/null 2>&1 || true
	c0=$(bench_cpu)
	line=$(wrk -t2 -c"$CONNS" -d"$DURATION" -s bench/random.lua "$BENCH_URL/" | grep '^BENCH')
	c1=$(bench_cpu)
	echo "$line" | awk -v a="$c0" -v b="$c1" '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
		printf "%.0f %.3f %d\n", v["rps"], (b - a) * 1000 / (v["requests"] ? v["requests"] : 1), v["non2xx"] + v["sockerr"] }'
}

RES=$(mktemp "${TMPDIR:-/tmp}/kennis-scale-res.XXXXXX")
put() { echo "$*" >>"$RES"; } # put BIN SIZE LAYOUT SCENARIO VALUES...
get() { awk -v k="$1 $2 $3 $4" -v f="${5:-1}" 'index($0, k " ") == 1 { split(substr($0, length(k) + 2), v, " "); print v[f]; exit }' "$RES"; }

say "kennis scale run $STAMP  commit $(git rev-parse --short HEAD 2>/dev/null)  $(nproc) cpus  load at start: $(load)"
say "wrk -c$CONNS -d$DURATION; servers: --search-cache-mb 0 $SERVE_ARGS; binaries: $BINS"

for n in $SIZES; do
	corpus "f$n" "$n" folders "$n"
	corpus "l$n" "$n" flat 0
	lists=$CORPORA/lists-$n
	mkdir -p "$lists"
	bench_sample "$CORPORA/f$n/urls.txt" 2000 42 >"$lists/view-f.txt"
	bench_sample "$CORPORA/l$n/urls.txt" 2000 42 >"$lists/view-l.txt"
	sed 's|^/wiki/|/history/|' "$lists/view-f.txt" >"$lists/history.txt"
	echo "/search?q=customer" >"$lists/search.txt"
	bench_sample "$CORPORA/f$n/urls.txt" $((EDITS + 3)) 7 | sed 's/^/EDIT /' >"$lists/edit.txt"
	for bin in $BINS; do
		KENNIS=$bin
		for layout in f l; do
			d=$(datadir "$bin" "$layout$n")
			put "$bin $n $layout reindex $(cat "$d/reindex.txt")"
			say "$(date +%T) $bin ${n} $layout: index built in $(cut -d' ' -f1 "$d/reindex.txt") s wall, $(cut -d' ' -f2 "$d/reindex.txt") s CPU (load $(load))"
			# shellcheck disable=SC2086
			bench_serve "$d" 900 --search-cache-mb 0 $SERVE_ARGS
			bench_ready 900
			bench_drive "$d" "$lists/view-$layout.txt" 1 2000 >/dev/null # every page once: a warm cache
			r=$(run_list "$d" "$lists/view-$layout.txt")
			put "$bin $n $layout view $r"
			say "  view     $r  (req/s, ms CPU per view, errors; load $(load))"
			if [ "$layout" = f ]; then
				r=$(run_list "$d" "$lists/search.txt")
				put "$bin $n $layout search $r"
				say "  search   $r"
				r=$(run_list "$d" "$lists/history.txt")
				put "$bin $n $layout history $r"
				say "  history  $r"
			fi
			if [ "$layout" = f ] && [ "$n" = "$(echo "$SIZES" | awk '{ print $NF }')" ]; then
				say "  memory   $(awk '/^VmRSS|^VmHWM/ { printf "%s %.0f MB  ", $1, $2 / 1024 }' "/proc/$BENCH_PID/status")"
				put "$bin $n $layout memory $(awk '/^VmRSS/ { r = $2 } /^VmHWM/ { h = $2 } END { printf "%.0f %.0f", r / 1024, h / 1024 }' "/proc/$BENCH_PID/status")"
			fi
			if [ "$layout" = f ] && ! skip edit; then
				# edits change the data directory: a copy of the repository's refs and the index
				bench_stop
				e=$CORPORA/edit-tmp
				rm -rf "$e"
				cp -al "$d" "$e"
				rm -f "$e/index.db" "$e/index.db-wal" "$e/index.db-shm"
				cp "$d/index.db" "$e/index.db"
				# what git changes in place must not be shared with the corpus: refs, reflogs
				for x in refs logs packed-refs config; do
					[ -e "$d/wiki.git/$x" ] && rm -rf "$e/wiki.git/$x" && cp -r "$d/wiki.git/$x" "$e/wiki.git/$x"
				done
				# shellcheck disable=SC2086
				bench_serve "$e" 900 $SERVE_ARGS
				bench_ready 900
				bench_drive "$e" "$lists/edit.txt" 1 3 >/dev/null
				c0=$(bench_cpu)
				times=$(bench_drive "$e" "$lists/edit.txt" 4 "$EDITS")
				c1=$(bench_cpu)
				r="$(echo "$times" | bench_median) $(echo "$times" | bench_pct 99) $(awk -v a="$c0" -v b="$c1" -v n="$EDITS" 'BEGIN { printf "%.1f", (b - a) * 1000 / n }')"
				put "$bin $n $layout edit $r"
				say "  edit     $r  (p50 s, p99 s, ms CPU per edit)"
				bench_stop
				rm -rf "$e"
			fi
			bench_stop
		done
		# start-up on a copy without an index
		s=$CORPORA/start-tmp
		rm -rf "$s"
		mkdir -p "$s"
		cp -al "$CORPORA/f$n/data/wiki.git" "$s/wiki.git"
		bench_serve "$s" 900
		put "$bin $n f start $BENCH_LISTEN_S"
		say "  start    ${BENCH_LISTEN_S} s to listen without an index"
		bench_stop
		rm -rf "$s"
	done
	# the ceiling, interleaved with the newest binary's view at this size (10k)
	if [ "$n" -le 10000 ]; then
		cc -O2 -o bench/out/ceiling bench/ceiling.c $(pkg-config --cflags --libs libmicrohttpd) 2>/dev/null ||
			bench_die "cannot build bench/ceiling.c"
		KENNIS=$(echo "$BINS" | cut -d' ' -f1)
		d=$(datadir "$KENNIS" "f$n")
		# shellcheck disable=SC2086
		bench_serve "$d" 900 --search-cache-mb 0 $SERVE_ARGS
		bench_ready 900
		curl -s "$BENCH_URL$(head -n 1 "$lists/view-f.txt")" >"$CORPORA/page.html"
		bench_drive "$d" "$lists/view-f.txt" 1 2000 >/dev/null
		KPID=$BENCH_PID KURL=$BENCH_URL
		port=$(bench_random_port)
		bench/out/ceiling "$port" "$(nproc)" "$CORPORA/page.html" >/dev/null &
		CEIL=$!
		sleep 0.5
		for round in 1 2 3; do
			BENCH_PID=$KPID BENCH_URL=$KURL
			r=$(run_list "$d" "$lists/view-f.txt")
			put "ceilk $n f $round $r"
			BENCH_PID=$CEIL BENCH_URL=http://127.0.0.1:$port
			c=$(run_list "$d" "$lists/view-f.txt")
			put "ceil $n f $round $c"
			say "  ceiling round $round: kennis $r, raw libmicrohttpd $c (load $(load))"
		done
		kill "$CEIL"
		CEIL=
		BENCH_PID=$KPID
		bench_stop
	fi
done

# --- fossil: fts-config reindex of the 10k pages (documents), the flat corpus (one commit:
# fossil's document search indexes the files of the newest check-in, not their history) --
if command -v fossil >/dev/null && ! skip reindex && echo " $SIZES " | grep -q " 10000 "; then
	fr=$CORPORA/l10000.fossil
	if [ ! -f "$fr" ]; then
		# the same pages as one commit of a plain repository (kennis's starter commit is
		# dated now, the generated one 2024: fossil would take the starter as the newest)
		echo "scale: importing the 10k pages into fossil (once)" >&2
		rm -rf "$CORPORA/l10000/plain.git"
		LAYOUT=flat sh bench/gencorpus.sh 10000 "$CORPORA/l10000/plain.git" "$CORPORA/l10000/plain.urls"
		git -C "$CORPORA/l10000/plain.git" fast-export main | USER=bench fossil import --git "$fr.tmp" >/dev/null
		USER=bench fossil sql -R "$fr.tmp" "INSERT OR REPLACE INTO config(name, value, mtime) VALUES('doc-glob', '*.md', now());
			INSERT OR REPLACE INTO config(name, value, mtime) VALUES('doc-branch', 'main', now());" >/dev/null
		USER=bench fossil fts-config -R "$fr.tmp" enable d >/dev/null
		USER=bench fossil fts-config -R "$fr.tmp" index on >/dev/null
		mv "$fr.tmp" "$fr"
	fi
	out=$( { /usr/bin/time -f "TIME %e %U %S" sh -c "USER=bench fossil fts-config -R '$fr' reindex >/dev/null"; } 2>&1 | grep '^TIME')
	put "fossil 10000 f reindex $(echo "$out" | awk '{ printf "%s %.1f", $2, $3 + $4 }')"
	say "fossil fts-config reindex (10k): $(echo "$out" | awk '{ printf "%s s wall, %.1f s CPU", $2, $3 + $4 }') (load $(load))"
fi

# --- push: kennis against git http-backend behind lighttpd ----------------------------
if command -v lighttpd >/dev/null && ! skip push; then
	sh bench/push.sh "$CORPORA" "$(echo "$BINS" | cut -d' ' -f1)" "$PUSHES" >"$CORPORA/push.txt" 2>&1 || true
	grep -E '^(kennis|lighttpd) ' "$CORPORA/push.txt" >"$CORPORA/push.p50" || true
	while read -r who p50; do put "$who 10000 f push $p50"; done <"$CORPORA/push.p50"
	say "push p50 (s): $(tr '\n' ' ' <"$CORPORA/push.p50")"
fi

# --- the ratios -------------------------------------------------------------------------
big=$(echo "$SIZES" | awk '{ print $NF }')
small=$(echo "$SIZES" | awk '{ print $1 }')
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b == 0) print "-"; else printf "%.2f", a / b }'; }
K=$(echo "$BINS" | cut -d' ' -f1)
say ""
say "ratios for $K (req/s ratios, then the same by CPU per request)"
med3() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
if grep -q "^ceil " "$RES"; then
	kr=$(grep "^ceilk " "$RES" | awk '{ print $5 }' | med3)
	cr=$(grep "^ceil " "$RES" | awk '{ print $5 }' | med3)
	kc=$(grep "^ceilk " "$RES" | awk '{ print $6 }' | med3)
	cc_=$(grep "^ceil " "$RES" | awk '{ print $6 }' | med3)
	say "  view at $small / raw libmicrohttpd: $(ratio "$kr" "$cr") by req/s, $(ratio "$cc_" "$kc") by CPU   (target >= 0.5)"
fi
for l in f l; do
	say "  view $big/$small ($([ $l = f ] && echo folders || echo flat)): $(ratio "$(get "$K" "$big" $l view 1)" "$(get "$K" "$small" $l view 1)") by req/s, $(ratio "$(get "$K" "$small" $l view 2)" "$(get "$K" "$big" $l view 2)") by CPU   (target >= 0.8)"
done
say "  search $big/$small: $(ratio "$(get "$K" "$big" f search 1)" "$(get "$K" "$small" f search 1)") by req/s, $(ratio "$(get "$K" "$small" f search 2)" "$(get "$K" "$big" f search 2)") by CPU   (target >= 0.8)"
say "  history $big/$small: $(ratio "$(get "$K" "$big" f history 1)" "$(get "$K" "$small" f history 1)") by req/s, $(ratio "$(get "$K" "$small" f history 2)" "$(get "$K" "$big" f history 2)") by CPU   (target >= 0.8)"
for n in $SIZES; do
	say "  edit p50 at $n: $(get "$K" "$n" f edit 1) s (target <= $([ "$n" -le 10000 ] && echo 0.005 || echo 0.010)); search at $n: $(get "$K" "$n" f search 1) req/s"
	say "  listening after $(get "$K" "$n" f start 1) s without an index (target <= 1)"
done
fz=$(get fossil 10000 f reindex 1)
[ -n "$fz" ] && say "  cold reindex 10k flat / fossil: $(ratio "$(get "$K" 10000 l reindex 1)" "$fz") by wall, $(ratio "$(get "$K" 10000 l reindex 2)" "$(get fossil 10000 f reindex 2)") by CPU   (target <= 1; with 10k commits of history: $(get "$K" 10000 f reindex 1) s)"
kp=$(get kennis 10000 f push 1)
lp=$(get lighttpd 10000 f push 1)
[ -n "$kp" ] && say "  push p50 kennis / lighttpd+http-backend: $(ratio "$kp" "$lp")   (target <= 1.2)"
say "  memory at $big: $(get "$K" "$big" f memory 1) MB VmRSS, $(get "$K" "$big" f memory 2) MB VmHWM"
say "raw results in $RES; report in $REPORT"
