#!/usr/bin/env bash
# Run every test against one build directory (default build/san):
# unit programs, integration scripts, and the Rego conformance regression
# list.  Ends with the line "N passed, M failed"; exit 1 on any failure.
set -u
build=${1:-build/san}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 2
export LOCKSTEP_BIN="$root/$build/bin"
export LOCKSTEP_ROOT="$root"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
passed=0 failed=0 failures=()
logdir=$(mktemp -d /tmp/lockstep-tests.XXXXXX)

run() {	# name, timeout seconds, command...
	local name=$1 secs=$2 log t0 rc
	shift 2
	log="$logdir/$(echo "$name" | tr '/ ' '__').log"
	t0=$SECONDS
	timeout -k 5 "$secs" "$@" >"$log" 2>&1
	rc=$?
	if [ "$rc" -eq 0 ]; then
		passed=$((passed + 1))
		echo "PASS $name ($((SECONDS - t0)) s)"
	else
		failed=$((failed + 1))
		failures+=("$name")
		echo "FAIL $name (exit $rc, $((SECONDS - t0)) s, log: $log)"
		tail -n 30 "$log" | sed 's/^/    /'
	fi
}

for t in "$build"/tests/test_*; do
	[ -x "$t" ] || continue
	run "unit/$(basename "$t")" 300 "$t"
done

for t in tests/integration/*.sh; do
	[ -f "$t" ] || continue
	case "$(basename "$t")" in lib*.sh) continue ;; esac
	run "integration/$(basename "$t" .sh)" 600 bash "$t"
done

cases=${LOCKSTEP_CONFORMANCE:-$root/../shared/rego-conformance}
if [ -x "$build/tests/conformance-runner" ] && [ -d "$cases" ]; then
	run "conformance/regression" 900 "$build/tests/conformance-runner" \
	    --expect tests/conformance/passing.txt "$cases"
elif [ -x "$build/tests/conformance-runner" ]; then
	echo "SKIP conformance: no suite at $cases (the cases are not copied" \
	    "into this repository; put shared/ beside the checkout)"
fi

if [ ${#failures[@]} -gt 0 ]; then
	echo "failed: ${failures[*]}"
else
	rm -rf "$logdir"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
