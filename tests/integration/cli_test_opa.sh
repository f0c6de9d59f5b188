#!/usr/bin/env bash
# cli_test_opa.sh - `lockstep test` and `lockstep eval` invoked as public
# Rego libraries invoke `opa test` / `opa eval` in their CI, on the small
# trees under tests/data/opa-test: several paths, data files of every
# name (JSON and YAML) at their directory's path, --ignore,
# --v0-compatible and .manifest versions, clear load errors.
set -euo pipefail
: "${LOCKSTEP_BIN:?}" "${LOCKSTEP_ROOT:?}"
L="$LOCKSTEP_BIN/lockstep"
T=$(mktemp -d /tmp/lockstep-cli-test-opa.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
cd "$LOCKSTEP_ROOT/tests/data/opa-test"

# run EXPECTED_RC OUT ARGS...: lockstep with stdout+stderr in OUT.
run() {
	local want=$1 out=$2 rc
	shift 2
	set +e
	"$L" "$@" >"$out" 2>&1
	rc=$?
	set -e
	[ "$rc" -eq "$want" ] || fail "lockstep $*: exit $rc, want $want: $(cat "$out")"
}

# --- several paths; YAML/JSON data of any name at its directory's path ---
run 0 "$T/out" test lib checks --ignore vendor -v
for t in test_max_replicas test_yml_at_dir_path test_json_any_name \
	test_local_data; do
	grep -q "^data\.k8s\.$t: PASS" "$T/out" || fail "$t: $(cat "$T/out")"
done
grep -qx 'PASS: 4/4' "$T/out" || fail "summary: $(cat "$T/out")"

# --- paths ending in a slash name files as opa does ---
run 0 "$T/out" test lib/ checks/ --ignore vendor -v
grep -qx 'checks/k8s/deploy_test.rego:' "$T/out" || fail "file names: $(cat "$T/out")"

# --- a JSON data file's first value, as opa's decoder reads it ---
run 0 "$T/out" test firstjson

# --- --ignore: a directory (both spellings) and a file by base name ---
run 1 "$T/out" test lib checks
grep -q 'checks/vendor/broken.rego:[0-9]*:[0-9]*: rego_parse_error' \
	"$T/out" || fail "broken file not loaded without --ignore: $(cat "$T/out")"
run 0 "$T/out" test lib checks --ignore='vend*'
run 0 "$T/out" test lib checks --ignore 'broken.*' --ignore nothing

# --- a data file given as a path loads at the root ---
run 0 "$T/out" test rootdata/sub/root.yaml rootdata/root_test.rego
run 2 "$T/out" test rootdata
grep -q 'test_rooted: FAIL' "$T/out" ||
	fail "data under a directory path at the root: $(cat "$T/out")"

# --- v0 syntax: refused by default, parsed with --v0-compatible ---
run 1 "$T/out" test v0
grep -q 'old_test.rego:[0-9]*:[0-9]*: rego_parse_error' "$T/out" ||
	fail "v0 module accepted as v1: $(cat "$T/out")"
run 0 "$T/out" test --v0-compatible v0
grep -qx 'PASS: 1/1' "$T/out" || fail "--v0-compatible: $(cat "$T/out")"

# --- .manifest: rego_version and file_rego_versions per file ---
run 0 "$T/out" test manifest
grep -qx 'PASS: 1/1' "$T/out" || fail ".manifest: $(cat "$T/out")"

# --- load errors name the file ---
run 1 "$T/out" test conflict
grep -q '^lockstep test: conflict/b.json: merge error' "$T/out" ||
	fail "merge conflict: $(cat "$T/out")"
# several YAML documents in a data file: the first, as OPA's go-yaml reads
run 0 "$T/out" test multi
grep -qx 'PASS: 1/1' "$T/out" || fail "multi-document YAML: $(cat "$T/out")"
run 1 "$T/out" test lib/cfg/limits.yaml.missing
grep -q 'limits.yaml.missing: no such file' "$T/out" ||
	fail "missing path: $(cat "$T/out")"
run 1 "$T/out" test "$LOCKSTEP_ROOT/README.md"
grep -q 'README.md: not a .rego' "$T/out" || fail "unknown file kind: $(cat "$T/out")"

# --- table-driven tests: run once, reported and counted per case ---
run 2 "$T/out" test table -v
grep -A3 '^data\.table\.test_double: FAIL' "$T/out" | grep -qx '  three is wrong: FAIL' ||
	fail "case failing after its name is bound not reported: $(cat "$T/out")"
grep -A3 '^data\.table\.test_double: FAIL' "$T/out" | grep -qx '  one: PASS' ||
	fail "-v does not list passing cases: $(cat "$T/out")"
grep -A3 '^data\.table\.test_positive: PASS' "$T/out" | grep -qx '  three is wrong: PASS' ||
	fail "passing table test: $(cat "$T/out")"
grep -A6 '^data\.table\.test_grid: FAIL' "$T/out" | grep -qx '    2: FAIL' ||
	fail "nested case not indented under its parent: $(cat "$T/out")"
grep -q '^data\.table\.test_twice: PASS' "$T/out" &&
	grep -q '^data\.table\.test_twice#01: FAIL' "$T/out" ||
	fail "a test defined twice is not two tests: $(cat "$T/out")"
# leaves count, not their tests: 2+3+3 cases pass, 1+1 fail, test_twice
# and test_twice#01 one each
grep -qx 'PASS: 9/12' "$T/out" && grep -qx 'FAIL: 3/12' "$T/out" ||
	fail "table test totals: $(cat "$T/out")"
run 2 "$T/out" test table
if grep -q ': PASS$' "$T/out"; then fail "passing cases shown without -v"; fi
"$L" test table --format=json >"$T/json" || true
python3 - "$T/json" <<'PY' || fail "--format=json sub_results: $(cat "$T/json")"
import json, sys
r = {t["name"]: t for t in json.load(open(sys.argv[1]))}
d = r["test_double"]["sub_results"]
assert d["three is wrong"]["fail"] is True and "fail" not in d["one"], d
assert r["test_grid"]["sub_results"]["q"]["sub_results"]["2"]["fail"] is True
assert "sub_results" not in r["test_twice"]
PY

# --- --run REGEX on data.PKG.NAME ---
run 0 "$T/out" test table -v --run '^data\.table\.test_(positive|twice)$'
grep -q 'test_positive: PASS' "$T/out" && grep -q 'test_twice: PASS' "$T/out" ||
	fail "--run: $(cat "$T/out")"
if grep -q 'test_double\|test_twice#01' "$T/out"; then fail "--run ran others: $(cat "$T/out")"; fi
run 2 "$T/out" test table -r 'double'
run 1 "$T/out" test table -r '('
grep -q 'missing closing parenthesis' "$T/out" || fail "bad regex: $(cat "$T/out")"

# --- --timeout: the slow test is an ERROR with a message, others run ---
run 2 "$T/out" test slow --timeout 300ms
grep -q '^data\.slow\.test_slow: ERROR' "$T/out" &&
	grep -q 'timed out after 0.300s' "$T/out" ||
	fail "timeout not an ERROR: $(cat "$T/out")"
grep -qx 'PASS: 2/3' "$T/out" && grep -qx 'ERROR: 1/3' "$T/out" ||
	fail "tests after a timeout: $(cat "$T/out")"
run 2 "$T/out" test slow --timeout=0.3s --explain=fails
run 2 "$T/out" test slow --timeout 1x
grep -q '^usage:' "$T/out" || fail "bad duration accepted"
run 2 "$T/out" test slow --explain=everything
grep -q '^usage:' "$T/out" || fail "bad --explain accepted"

# --- eval: several -d paths with the same loader, --format ---
run 0 "$T/out" eval -d lib -d checks --ignore vendor 'data.k8s.fixture.kind'
python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["result"][0]; assert r["expressions"][0]["value"] == "Deployment"' \
	"$T/out" || fail "eval --format=json (default): $(cat "$T/out")"
run 0 "$T/out" eval -d lib --format=json 'data.lib.max_replicas'
grep -q '"value": 3' "$T/out" || fail "eval --format=json: $(cat "$T/out")"
run 0 "$T/out" eval -d lib --format=raw 'data.lib.registry; data.cfg.limits.names'
[ "$(cat "$T/out")" = 'registry.example.com/ ["a","b"]' ] ||
	fail "eval --format=raw: $(cat "$T/out")"
run 0 "$T/out" eval -d lib --format raw 'data.cfg.limits.names[_]'
[ "$(cat "$T/out")" = "$(printf 'a\nb')" ] || fail "raw, one line a result: $(cat "$T/out")"
run 0 "$T/out" eval -d lib --format=pretty 'data.cfg.limits.names'
[ "$(cat "$T/out")" = "$(printf '[\n  "a",\n  "b"\n]')" ] ||
	fail "eval --format=pretty value: $(cat "$T/out")"
run 0 "$T/out" eval -d lib --format=pretty 'some x in data.cfg.limits.names; y := upper(x)'
[ "$(cat "$T/out")" = "$(printf '%s\n' '+-----+-----+' '|  x  |  y  |' \
	'+-----+-----+' '| "a" | "A" |' '| "b" | "B" |' '+-----+-----+')" ] ||
	fail "eval --format=pretty table: $(cat "$T/out")"
run 0 "$T/out" eval -d lib --format=pretty 'data.no.such'
grep -qx undefined "$T/out" || fail "pretty undefined: $(cat "$T/out")"
run 2 "$T/out" eval -d lib --format=yaml 'data.lib'

# --- eval -b: a bundle directory, its .manifest and data.json/data.yaml
# only; -d on the same tree loads every data file (and so conflicts) ---
run 0 "$T/out" eval -b bundle --format=raw 'data.b.allow; data.b.names'
[ "$(cat "$T/out")" = 'true ["x","y y"]' ] || fail "eval -b: $(cat "$T/out")"
run 1 "$T/out" eval -d bundle 'data.b.allow'
grep -q 'bundle/cfg/extra.json: merge error' "$T/out" || fail "eval -d bundle: $(cat "$T/out")"
# test -b: every PATH a bundle, as opa test -b
run 0 "$T/out" test -b bundle
grep -qx 'PASS: 2/2' "$T/out" || fail "test -b: $(cat "$T/out")"
run 1 "$T/out" test bundle
# a manifest's rego_version wins over --v0-compatible
run 1 "$T/out" eval -b strict1 --v0-compatible 'data.s'
grep -q 'rego_parse_error' "$T/out" || fail "manifest v1 ignored: $(cat "$T/out")"
run 0 "$T/out" eval -d strict1/p.rego --v0-compatible --format=raw 'data.s.p'
[ "$(cat "$T/out")" = '[1]' ] || fail "eval --v0-compatible: $(cat "$T/out")"
run 1 "$T/out" eval -d strict1/p.rego 'data.s.p'

echo "cli_test_opa: ok"
