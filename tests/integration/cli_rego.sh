#!/usr/bin/env bash
# cli_rego.sh - `lockstep test` and `lockstep eval` on the example
# repository: its tests pass, a deliberately broken test in a copy fails
# with exit 2, eval prints opa-eval-shaped JSON, and every malformed
# policy in tests/data/rego is refused with a FILE:LINE:COL error.
set -euo pipefail
: "${LOCKSTEP_BIN:?}" "${LOCKSTEP_ROOT:?}"
L="$LOCKSTEP_BIN/lockstep"
T=$(mktemp -d /tmp/lockstep-cli-rego.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
src="$LOCKSTEP_ROOT/bundles/example"

# --- the example repository's tests pass ---
"$L" test "$src" >"$T/out" || fail "example tests failed: $(cat "$T/out")"
grep -q '^PASS: [0-9]*/[0-9]*$' "$T/out" || fail "no PASS summary"
if grep -q 'FAIL\|ERROR' "$T/out"; then fail "failures reported"; fi
"$L" test "$src" -v | grep -q ': PASS (' || fail "-v lists no PASS lines"
"$L" test "$src" --format=json >"$T/json"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r and all(not t.get("fail") and not t.get("error") for t in r)' \
	"$T/json" || fail "--format=json output"

# --- a deliberately broken test fails with exit 2 ---
cp -a "$src" "$T/broken"
f=$(grep -l '^test_[a-z_]* if {' "$T/broken"/kubernetes/*_test.rego | head -n1)
[ -n "$f" ] || fail "no test rule found to break"
name=$(grep -o -m1 '^test_[a-z_]*' "$f")
sed -i "0,/^$name if {/s//$name if {\n\tfalse/" "$f"
set +e
"$L" test "$T/broken" >"$T/out" 2>&1
rc=$?
set -e
[ "$rc" -eq 2 ] || fail "broken test: exit $rc, want 2"
grep -q "\.$name: FAIL" "$T/out" || fail "broken test not reported: $(cat "$T/out")"
grep -q '^FAIL: 1/' "$T/out" || fail "no FAIL summary"

# --- print() output is shown under its test, indented, like opa test ---
mkdir -p "$T/printing"
printf 'package printing\n\nok if {\n\tprint("seen", input.n)\n\tinput.n > 1\n}\n' \
	>"$T/printing/p.rego"
printf 'package printing\n\ntest_two if ok with input as {"n": 2}\n\ntest_zero if ok with input as {"n": 0}\n' \
	>"$T/printing/p_test.rego"
set +e
"$L" test "$T/printing" -v >"$T/out" 2>&1
rc=$?
set -e
[ "$rc" -eq 2 ] || fail "print test: exit $rc, want 2"
grep -A2 'test_two: PASS' "$T/out" | grep -qx '  seen 2' ||
	fail "print output of a passing test not shown: $(cat "$T/out")"
grep -A2 'test_zero: FAIL' "$T/out" | grep -qx '  seen 0' ||
	fail "print output of a failing test not shown: $(cat "$T/out")"
"$L" test "$T/printing" >"$T/out" 2>&1 || true
if grep -q 'seen 2' "$T/out"; then fail "passing test output shown without -v"; fi
"$L" test "$T/printing" --format=json >"$T/json" 2>&1 || true
python3 -c 'import base64,json,sys; r={t["name"]: t for t in json.load(open(sys.argv[1]))}; assert base64.b64decode(r["test_two"]["output"]) == b"seen 2\n"' \
	"$T/json" || fail "--format=json output field: $(cat "$T/json")"

# --- eval ---
echo '{"request": {"kind": {"kind": "Pod"}, "object": {"spec": {}}}}' \
	>"$T/input.json"
"$L" eval -d "$src" -i "$T/input.json" 'x := count(data.kubernetes.checks)' \
	>"$T/eval"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["result"][0]; assert r["bindings"]["x"] >= 1 and r["expressions"][0]["value"] is True' \
	"$T/eval" || fail "eval output: $(cat "$T/eval")"
"$L" eval -d "$src" 'data.no.such.doc' | grep -qx '{}' || fail "undefined is not {}"
"$L" eval -d "$src" -i "$T/input.json" --bench 5 'data.kubernetes.admission.deny' |
	grep -q '"p99_us": [0-9.]*, "arena_bytes_per_eval": [1-9]' || fail "--bench"
if "$L" eval -d "$src" 'x := [' 2>"$T/err"; then fail "bad query accepted"; fi
grep -q 'query:1:' "$T/err" || fail "bad query error: $(cat "$T/err")"
# With no -d or -b the query runs on no policy, as opa eval's does.
[ "$("$L" eval --format=raw 'count(numbers.range(1, 10))')" = 10 ] ||
	fail "eval without -d"

# --- usage errors: exit 2, one line saying what is wrong, then usage ---
usage_err() {	# usage_err WANT ARGS...: lockstep ARGS exits 2 saying WANT
	local want=$1 rc
	shift
	set +e
	"$L" "$@" >"$T/out" 2>"$T/err"
	rc=$?
	set -e
	[ "$rc" -eq 2 ] || fail "lockstep $*: exit $rc, want 2"
	[ "$(head -n1 "$T/err")" = "$want" ] ||
		fail "lockstep $*: said '$(head -n1 "$T/err")', want '$want'"
	grep -q '^usage: ' "$T/err" || fail "lockstep $*: no usage"
}
usage_err "lockstep eval: QUERY is required" eval -d "$src"
usage_err "lockstep eval: b: one QUERY only (a was given first)" eval a b
usage_err "lockstep eval: --bogus: unknown option" eval --bogus a
usage_err "lockstep eval: --format=xml: a missing or bad option value" \
	eval --format=xml a
usage_err "lockstep eval: -d: a missing or bad option value" eval a -d
usage_err "lockstep test: a PATH is required" test -v
usage_err "lockstep test: --nope: unknown option" test --nope "$src"
usage_err "lockstep test: 5x: a missing or bad option value" \
	test --timeout 5x "$src"

# --- malformed policies: one-line FILE:LINE:COL errors, exit 1 ---
for bad in "$LOCKSTEP_ROOT"/tests/data/rego/*.rego; do
	rm -rf "$T/bad" && mkdir "$T/bad" && cp "$bad" "$T/bad/"
	set +e
	"$L" eval -d "$T/bad" 'data.bad' >"$T/out" 2>"$T/err"
	rc=$?
	set -e
	[ "$rc" -eq 1 ] || fail "$(basename "$bad"): exit $rc"
	[ "$(wc -l <"$T/err")" -eq 1 ] || fail "$(basename "$bad"): not one line"
	grep -q "$(basename "$bad"):[0-9]*:[0-9]*: rego_" "$T/err" ||
		fail "$(basename "$bad"): no location: $(cat "$T/err")"
done
echo "cli_rego: ok"
