#!/usr/bin/env bash
# cli_cover.sh - `lockstep test --coverage [--threshold F]` on the fixture
# tests/data/cover: the JSON report of opa test --coverage (exact rows,
# line counts, percentages, key order), nothing else on stdout; an unmet
# threshold and a failing test exit 2 without a report; the example
# repository's report is well formed.
set -euo pipefail
: "${LOCKSTEP_BIN:?}" "${LOCKSTEP_ROOT:?}"
L="$LOCKSTEP_BIN/lockstep"
T=$(mktemp -d /tmp/lockstep-cli-cover.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# Run from inside $T so the report names files as given: cover/x.rego.
cp -a "$LOCKSTEP_ROOT/tests/data/cover" "$T/cover"
cd "$T"

# --- the report, row by row ---
"$L" test --coverage cover >"$T/out" 2>"$T/err" ||
	fail "--coverage: exit $?: $(cat "$T/err")"
[ ! -s "$T/err" ] || fail "--coverage wrote to stderr: $(cat "$T/err")"
python3 - "$T/out" <<'EOF' || fail "coverage report: $(cat "$T/out")"
import json, sys

text = open(sys.argv[1]).read()
rep = json.loads(text, object_pairs_hook=lambda kv: kv)
def obj(kv):
    return dict(kv)
top = obj(rep)
assert [k for k, _ in rep] == ["files", "covered_lines",
                               "not_covered_lines", "coverage"], rep
files = obj(top["files"])
assert sorted(files) == ["cover/policy.rego", "cover/policy_test.rego"], files

def rows(ranges):
    out = []
    for r in ranges:
        r = obj(r)
        s, e = obj(r["start"])["row"], obj(r["end"])["row"]
        out.append(str(s) if s == e else "%d-%d" % (s, e))
    return ",".join(out)

pol = obj(files["cover/policy.rego"])
assert [k for k, _ in files["cover/policy.rego"]] == [
    "covered", "not_covered", "covered_lines", "not_covered_lines",
    "coverage"], pol.keys()
# 3: default not needed; 11: `some x` is neither; 17: grade's first
# branch failed; 21: its last else never ran; 23: evens unused; 25-26:
# unused never reached.
assert rows(pol["covered"]) == "5-7,10,12-14,18-20", rows(pol["covered"])
assert rows(pol["not_covered"]) == "3,17,21,23,25-26", rows(pol["not_covered"])
assert pol["covered_lines"] == 10 and pol["not_covered_lines"] == 6, pol
assert pol["coverage"] == 62.5, pol

tst = obj(files["cover/policy_test.rego"])
assert "not_covered" not in tst and "not_covered_lines" not in tst, tst
assert rows(tst["covered"]) == "5-6,9-10,13-14", rows(tst["covered"])
assert tst["covered_lines"] == 6 and tst["coverage"] == 100, tst

assert top["covered_lines"] == 16 and top["not_covered_lines"] == 6, top
assert top["coverage"] == 100.0 * 16 / 22, top
# opa's encoder: two-space indent, newline at the end.
assert text.startswith('{\n  "files": {\n    "cover/policy.rego": {\n'), text[:60]
assert text.endswith('\n  "coverage": 72.72727272727273\n}\n'), text[-60:]
EOF
"$L" test -c cover | cmp -s - "$T/out" || fail "-c differs from --coverage"

# --- thresholds ---
"$L" test --coverage --threshold 72.5 cover >"$T/out2" ||
	fail "threshold 72.5 not met by 72.73"
cmp -s "$T/out" "$T/out2" || fail "report differs with a met threshold"
set +e
"$L" test --threshold=80 cover >"$T/out" 2>"$T/err"
rc=$?
set -e
[ "$rc" -eq 2 ] || fail "unmet threshold: exit $rc, want 2"
[ ! -s "$T/out" ] || fail "unmet threshold printed a report"
grep -qx 'Code coverage threshold not met: got 72.73 instead of 80.00' \
	"$T/err" || fail "threshold message: $(cat "$T/err")"
set +e
"$L" test --threshold 80 -v cover >/dev/null 2>"$T/err"
set -e
grep -qx $'\tcover/policy.rego:25-26' "$T/err" ||
	fail "-v does not list the rows not covered: $(cat "$T/err")"
set +e
"$L" test --coverage --threshold 101 cover >"$T/out" 2>"$T/err"
rc=$?
set -e
[ "$rc" -ne 0 ] || fail "threshold 101 accepted"
grep -q 'between 0 and 100' "$T/err" || fail "bad threshold: $(cat "$T/err")"

# --- a failing test: its name, exit 2, no report ---
cp -a cover broken
printf 'package cov_test\n\ntest_broken if {\n\tfalse\n}\n' \
	>broken/broken_test.rego
set +e
"$L" test --coverage broken >"$T/out" 2>"$T/err"
rc=$?
set -e
[ "$rc" -eq 2 ] || fail "failing test: exit $rc, want 2"
[ ! -s "$T/out" ] || fail "failing test printed a report: $(cat "$T/out")"
grep -q '^data\.cov_test\.test_broken: FAIL' "$T/err" ||
	fail "failing test not named: $(cat "$T/err")"
if grep -q 'test_allow' "$T/err"; then fail "passing test listed"; fi

# --- a real repository: the report is whole and consistent ---
"$L" test --coverage "$LOCKSTEP_ROOT/bundles/example" >"$T/out" ||
	fail "example repository: exit $?"
python3 - "$T/out" <<'EOF' || fail "example report: $(head -c 400 "$T/out")"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["files"] and r["covered_lines"] > 0, r
n = lambda rs: sum(x["end"]["row"] - x["start"]["row"] + 1 for x in rs)
c = sum(n(f.get("covered", [])) for f in r["files"].values())
nc = sum(n(f.get("not_covered", [])) for f in r["files"].values())
assert (c, nc) == (r["covered_lines"], r["not_covered_lines"]), (c, nc)
assert abs(r["coverage"] - 100.0 * c / (c + nc)) < 1e-9, r["coverage"]
EOF
echo "cli_cover: ok"
