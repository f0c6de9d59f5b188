#!/usr/bin/env bash
# Run libFuzzer harnesses built by "make fuzz-build".
# Usage: tests/fuzz/run.sh BUILD_DIR SECONDS [HARNESS...]
#
# Each harness runs SECONDS s of wall time, or, with FUZZ_CPU=1, until its
# process has used SECONDS s of CPU (for a shared or niced machine, where
# wall time says little), one process, on its seed corpus
# tests/fuzz/corpus/HARNESS (read only) plus BUILD_DIR/corpus/HARNESS,
# where it keeps what it finds.  A crash, a leak, a sanitizer report, an
# input over -timeout (a hang) or past -rss_limit_mb is a finding: the
# input lands in BUILD_DIR/artifacts/ and the run fails.  Prints one line
# per harness with its CPU time; exit 1 if any failed.
set -u
build=${1:?usage: run.sh BUILD_DIR SECONDS [HARNESS...]}
secs=${2:-60}
shift 2
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 2
if [ $# -eq 0 ]; then
	for f in tests/fuzz/*.c; do set -- "$@" "$(basename "$f" .c)"; done
fi
# Own options, not the caller's: a huge allocation is refused (NULL) and
# caught by -malloc_limit_mb, leaks are findings.
export ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
mkdir -p "$build/artifacts"
failed=0

# Longest input worth trying, per harness: a little above the largest
# seed, far below the parsers' own caps (those are tested by unit tests).
max_len() {
	case "$1" in
	extract) echo 65536 ;;
	controls | rego_json) echo 16384 ;;
	note_doc | doc_batch | manifest | rego_compile | rego_yaml) echo 8192 ;;
	*) echo 4096 ;;
	esac
}

# cpu_watch PID BIN SECONDS MARK: SIGINT the fuzzer BIN (the child of PID,
# or PID itself) once it has used SECONDS s of CPU, creating MARK first.
# Polls every 5 s; ends when PID does.
cpu_watch() {
	local tick pid used
	tick=$(getconf CLK_TCK)
	while kill -0 "$1" 2>/dev/null; do
		pid=$(pgrep -P "$1" -f "^$2 " | head -n 1)
		[ -n "$pid" ] || pid=$1
		used=$(awk -v t="$tick" '{print int(($14 + $15) / t)}' \
		    "/proc/$pid/stat" 2>/dev/null)
		if [ -n "$used" ] && [ "$used" -ge "$3" ]; then
			: >"$4"
			kill -INT "$pid" 2>/dev/null
			return 0
		fi
		sleep 5
	done
}

for h in "$@"; do
	bin="$build/$h"
	if [ ! -x "$bin" ]; then
		echo "FAIL fuzz/$h: no $bin (make fuzz-build)"
		failed=1
		continue
	fi
	work="$build/corpus/$h"
	log="$build/$h.log"
	mkdir -p "$work" "tests/fuzz/corpus/$h"
	dict=()
	[ -f "tests/fuzz/$h.dict" ] && dict=(-dict="tests/fuzz/$h.dict")
	timer=()
	[ -x /usr/bin/time ] && timer=(/usr/bin/time -f "%U %S" -o "$build/$h.time")
	rm -f "$build/$h.time"
	wall=$secs
	# CPU budget: a generous wall cap, and a watcher that interrupts the
	# fuzzer (SIGINT; libFuzzer then exits 72) once its utime + stime reach
	# the budget, leaving a mark so that this 72 is read as a clean end.
	[ "${FUZZ_CPU:-0}" = 1 ] && wall=$((secs * 4))
	"${timer[@]}" \
	    "$bin" -max_total_time="$wall" -max_len="$(max_len "$h")" \
	    -rss_limit_mb=2048 -malloc_limit_mb=1024 -timeout=10 \
	    -print_final_stats=1 -artifact_prefix="$build/artifacts/$h-" \
	    "${dict[@]}" \
	    "$work" "tests/fuzz/corpus/$h" >"$log" 2>&1 &
	runner=$!
	rm -f "$build/$h.budget"
	if [ "${FUZZ_CPU:-0}" = 1 ]; then
		cpu_watch "$runner" "$bin" "$secs" "$build/$h.budget" &
		watcher=$!
	fi
	wait "$runner"
	rc=$?
	[ "${FUZZ_CPU:-0}" = 1 ] && kill "$watcher" 2>/dev/null
	[ "$rc" -eq 72 ] && [ -f "$build/$h.budget" ] && rc=0
	cpu=$(tail -n 1 "$build/$h.time" 2>/dev/null |
	    awk '{printf "%.0f", $1 + $2}')
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	if [ "$rc" -eq 0 ]; then
		echo "PASS fuzz/$h (${cpu:-?} s CPU, ${runs:-?} runs)"
	else
		echo "FAIL fuzz/$h (exit $rc, ${cpu:-?} s CPU, log: $log)"
		grep -E 'ERROR|SUMMARY|Test unit written|runtime error' "$log" |
		    head -n 8 | sed 's/^/    /'
		failed=1
	fi
done
exit "$failed"
