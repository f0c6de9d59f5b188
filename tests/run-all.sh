#!/usr/bin/env bash
# Run every test against one build directory (default build/san):
# unit programs, integration scripts, and the Rego conformance regression
# list.  Ends with the line "N passed, M failed"; exit 1 on any failure.
#
# Unit programs run one after another (they are quick).  Integration
# scripts spend most of their time waiting on real servers, polls and
# timeouts, so up to LOCKSTEP_TEST_JOBS (default 4) of them run at once,
# together with the conformance run; each picks its own ports and temp
# folders.
set -u
build=${1:-build/san}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 2
export LOCKSTEP_BIN="$root/$build/bin"
export LOCKSTEP_ROOT="$root"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
jobs=${LOCKSTEP_TEST_JOBS:-4}
logdir=$(mktemp -d /tmp/lockstep-tests.XXXXXX)
t_start=$SECONDS

# run NAME TIMEOUT COMMAND...: run one test, leave NAME's verdict in
# $logdir/NAME.result ("PASS" or "FAIL") and print one line.
run() {
	local name=$1 secs=$2 log t0 rc
	shift 2
	log="$logdir/$(echo "$name" | tr '/ ' '__').log"
	t0=$SECONDS
	timeout -k 5 "$secs" "$@" >"$log" 2>&1
	rc=$?
	if [ "$rc" -eq 0 ]; then
		echo PASS >"$log.result"
		echo "PASS $name ($((SECONDS - t0)) s)"
	else
		echo FAIL >"$log.result"
		echo "FAIL $name (exit $rc, $((SECONDS - t0)) s, log: $log)"
		tail -n 30 "$log" | sed 's/^/    /'
	fi
}

# spawn NAME TIMEOUT COMMAND...: run in the background, at most $jobs.
spawn() {
	while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do
		wait -n
	done
	run "$@" &
}

for t in "$build"/tests/test_*; do
	[ -x "$t" ] || continue
	run "unit/$(basename "$t")" 300 "$t"
done

cases=${LOCKSTEP_CONFORMANCE:-$root/../shared/rego-conformance}
if [ -x "$build/tests/conformance-runner" ] && [ -d "$cases" ]; then
	spawn "conformance/regression" 900 "$build/tests/conformance-runner" \
	    --expect tests/conformance/passing.txt "$cases"
elif [ -x "$build/tests/conformance-runner" ]; then
	echo "SKIP conformance: no suite at $cases (the cases are not copied" \
	    "into this repository; put shared/ beside the checkout)"
fi
cases_v1=${LOCKSTEP_CONFORMANCE_V1:-$root/../shared/rego-conformance-v1/opa-v1.14}
if [ -x "$build/tests/conformance-runner" ] && [ -d "$cases_v1" ]; then
	spawn "conformance/regression-v1" 900 "$build/tests/conformance-runner" \
	    --v1 --messages --expect tests/conformance/passing-v1.txt "$cases_v1"
elif [ -x "$build/tests/conformance-runner" ]; then
	echo "SKIP conformance v1: no suite at $cases_v1"
fi
[ -x "$build/tests/conformance-runner" ] &&
	spawn "conformance/rego-v1" 300 "$build/tests/conformance-runner" --v1 --messages tests/rego/v1

# libFuzzer smoke: each harness of tests/fuzz/ for 10 s on its seed corpus,
# two at a time (two lanes), when clang's fuzzer runtime is present and
# "make fuzz-build" (done by make check) built them.
fuzz_secs=${LOCKSTEP_FUZZ_SECONDS:-10}
if ! why=$(tests/fuzz/have-fuzzer.sh 2>&1); then
	echo "SKIP fuzz: $why"
elif ! ls build/fuzz/note_doc >/dev/null 2>&1; then
	echo "SKIP fuzz: harnesses not built (make fuzz-build)"
else
	fuzz_all=(tests/fuzz/*.c)
	for lane in 0 1; do
		while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do
			wait -n
		done
		(
			i=0
			for f in "${fuzz_all[@]}"; do
				h=$(basename "$f" .c)
				[ $((i++ % 2)) -eq "$lane" ] || continue
				run "fuzz/$h" $((fuzz_secs + 60)) \
				    tests/fuzz/run.sh build/fuzz "$fuzz_secs" "$h"
			done
		) &
	done
fi

for t in tests/integration/*.sh; do
	[ -f "$t" ] || continue
	case "$(basename "$t")" in lib*.sh) continue ;; esac
	spawn "integration/$(basename "$t" .sh)" 600 bash "$t"
done
wait

passed=$(grep -lx PASS "$logdir"/*.result 2>/dev/null | wc -l)
failed=$(grep -lx FAIL "$logdir"/*.result 2>/dev/null | wc -l)
if [ "$failed" -gt 0 ]; then
	echo "failed:" $(grep -lx FAIL "$logdir"/*.result |
	    sed 's|.*/||; s|\.log\.result$||')
else
	rm -rf "$logdir"
fi
echo "all tests took $((SECONDS - t_start)) s"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
