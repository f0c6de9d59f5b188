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
