#!/bin/sh
# run.sh SECONDS JOBS TARGET...: run each libFuzzer target of build-fuzz/ for SECONDS, JOBS at a
# time, one TAP line each as it ends; exit 1 when any found a crash or a failed oracle.
# (make fuzz and make fuzz-smoke call it.)
#
# Seeds come from tests/fuzz/corpus/TARGET (read only); what a run learns is kept in
# build-fuzz/corpus/TARGET for the next run; a failing input is written to
# build-fuzz/TARGET-crash-* (or -timeout-, -oom-, -leak-), and the run's log to
# build-fuzz/log-TARGET.txt. FUZZ_ARGS adds libFuzzer options to every run.
set -u
cd "$(dirname "$0")/../.."
secs=$1 jobs=$2
shift 2
targets=$* # names without blanks
B=build-fuzz

# Options per target: inputs longer than a real one are only slower (a page name is at most
# 200 bytes, a search 1,024), and each target's dictionary, when it has one.
opts() {
	case $1 in
	pagename | githttp | request) echo "-max_len=512" ;;
	search | scope) echo "-max_len=1400" ;;
	edge) echo "-max_len=2048" ;;
	frontmatter | multipart) echo "-max_len=8192" ;;
	render) echo "-max_len=16384" ;;
	*) echo "" ;;
	esac
	[ -f "tests/fuzz/$1.dict" ] && echo "-dict=tests/fuzz/$1.dict"
}

# one TARGET: run it, print its line, return 1 on a crash
one() {
	t=$1
	mkdir -p "$B/corpus/$t"
	seeds=tests/fuzz/corpus/$t
	[ -d "$seeds" ] || seeds=
	log=$B/log-$t.txt
	start=$(date +%s)
	# -timeout: one input taking over 10 s is a bug too; rss 2 GB: so is one that needs it
	# shellcheck disable=SC2046
	"$B/fuzz_$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$B/$t-" $(opts "$t") ${FUZZ_ARGS:-} "$B/corpus/$t" $seeds >"$log" 2>&1
	rc=$?
	took=$(($(date +%s) - start))
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	cov=$(grep -E '^#[0-9]+' "$log" | tail -n 1 | sed -n 's/.* cov: \([0-9]*\) ft: \([0-9]*\).*/cov \1, ft \2/p')
	if [ $rc -eq 0 ]; then
		echo "ok - fuzz_$t: ${runs:-?} runs in $took s without a crash (${cov:-no coverage line}; $(ls "$B/corpus/$t" | wc -l) inputs in its corpus)"
		return 0
	fi
	echo "not ok - fuzz_$t: failed after $took s (exit $rc): $(ls "$B/$t"-crash-* "$B/$t"-timeout-* "$B/$t"-oom-* "$B/$t"-leak-* 2>/dev/null | tr '\n' ' ')"
	grep -E 'ERROR: |runtime error|fuzz oracle failed|SUMMARY' "$log" | head -n 5 | sed 's/^/#   /'
	echo "#   log: $log; again: $B/fuzz_$t INPUT"
	return 1
}

# finish PID:TARGET: wait for it and print its line
finish() {
	wait "${1%%:*}" || failed=1
	cat "$B/result-${1#*:}.txt"
	rm -f "$B/result-${1#*:}.txt"
}

mkdir -p "$B"
failed=0
queue= # running targets as PID:TARGET, oldest first, each followed by a blank
for t in $targets; do
	[ -x "$B/fuzz_$t" ] || { echo "not ok - fuzz_$t: not built (make fuzz-build)"; failed=1; continue; }
	one "$t" >"$B/result-$t.txt" &
	queue="$queue$!:$t "
	set -- $queue
	if [ $# -ge "$jobs" ]; then
		finish "$1" # targets run for the same time, so the oldest ends first
		queue=${queue#"$1 "}
	fi
done
for job in $queue; do finish "$job"; done
exit $failed
