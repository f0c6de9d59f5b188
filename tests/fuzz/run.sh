#!/usr/bin/env bash
# Run libFuzzer harnesses built by "make fuzz-build".
# Usage: tests/fuzz/run.sh BUILD_DIR SECONDS [HARNESS...]
#
# Each harness runs SECONDS s, one process, on its seed corpus
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
	"${timer[@]}" \
	    "$bin" -max_total_time="$secs" -max_len="$(max_len "$h")" \
	    -rss_limit_mb=2048 -malloc_limit_mb=1024 -timeout=10 \
	    -print_final_stats=1 -artifact_prefix="$build/artifacts/$h-" \
	    "${dict[@]}" \
	    "$work" "tests/fuzz/corpus/$h" >"$log" 2>&1
	rc=$?
	cpu=$(awk '{printf "%.0f", $1 + $2}' "$build/$h.time" 2>/dev/null)
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
