#!/usr/bin/env bash
# libraries.sh - run public Rego libraries' own tests under `lockstep test`,
# each invoked as its CI invokes `opa test`, and print per-library counts.
#
# Usage: tests/libraries.sh [--lockstep BIN] NAME=TREE...
#   NAME is one of gatekeeper-library, policy-library, trivy-checks;
#   TREE is that repository exported outside this one, e.g.
#     git -C MIRROR archive HEAD | tar -x -C /tmp/libs/gatekeeper-library
#   (the trees are never committed here).
#
# How each CI runs opa (read from the repository itself):
#   gatekeeper-library  test.sh: `opa test ${folder}/*.rego` for each
#                       src/*/* folder, with OPA v0.44 / v0.57 (v0 syntax)
#   policy-library      Makefile: `opa test --timeout 30s -v lib/ validator/
#                       --explain=notes`, with OPA v0.15 .. v0.29 (v0 syntax)
#   trivy-checks        Makefile: `opa test --explain=fails lib/ checks/
#                       examples/ --ignore '*.yaml'` with trivy's own opa
#                       build, which registers custom builtins (result.new,
#                       sh.parse_commands, ...): here they compile with
#                       --allow-undefined-functions and the tests reaching
#                       them are counted apart, as "custom builtin".
#
# Output: one line per library, "NAME: passed P, failed F, errored E,
# skipped S, custom-builtin C of T", then the failing and erroring tests.
# Exit 1 when any test failed or errored for another reason than a custom
# builtin.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${LOCKSTEP:-$root/build/bin/lockstep}
if [ "${1:-}" = "--lockstep" ]; then
	bin=$2
	shift 2
fi
if [ $# -eq 0 ] || [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then
	sed -n '2,28p' "$0" | sed 's/^# \{0,1\}//'
	[ $# -eq 0 ] && exit 2
	exit 0
fi
if [ ! -x "$bin" ]; then
	echo "libraries: $bin is not built (make, or --lockstep BIN)" >&2
	exit 2
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bad=0

# Tally lockstep test --format=json reports given as files; print the line.
tally() {
	python3 - "$@" <<'EOF'
import json, sys
name, files = sys.argv[1], sys.argv[2:]
n = {"pass": 0, "fail": 0, "error": 0, "skip": 0, "custom": 0}
bad = []
def leaf(t):
    subs = t.get("sub_results") or t.get("subresults")
    return subs
for f in files:
    try:
        doc = json.load(open(f))
    except Exception as e:
        n["error"] += 1
        bad.append("%s: no report (%s)" % (f, e))
        continue
    if isinstance(doc, dict) and "error" in doc:
        n["error"] += 1
        bad.append("%s: %s" % (doc.get("where", f), doc["error"]))
        continue
    for t in doc:
        full = "%s.%s" % (t.get("package"), t.get("name"))
        if t.get("skip"):
            n["skip"] += 1
        elif t.get("error"):
            msg = t["error"].get("message", "")
            if "undefined function" in msg:
                n["custom"] += 1
            else:
                n["error"] += 1
                bad.append("ERROR %s: %s" % (full, msg))
        elif t.get("fail"):
            n["fail"] += 1
            bad.append("FAIL %s" % full)
        else:
            n["pass"] += 1
total = sum(n.values())
print("%s: passed %d, failed %d, errored %d, skipped %d, custom-builtin %d of %d"
      % (name, n["pass"], n["fail"], n["error"], n["skip"], n["custom"], total))
for b in bad:
    print("  " + b)
sys.exit(1 if n["fail"] or n["error"] else 0)
EOF
}

# One lockstep test run, its JSON report into $1 (or an error object).
run() {
	local out=$1
	shift
	if ! (cd "$dir" && "$bin" test --format=json "$@") >"$out" \
		2>"$out.err"; then
		# exit 2 = some test failed: the report is still there.
		if ! python3 -c 'import json,sys; json.load(open(sys.argv[1]))' \
			"$out" 2>/dev/null; then
			python3 -c 'import json,sys; print(json.dumps({"where": sys.argv[2], "error": open(sys.argv[1]).read().strip()[:500]}))' \
				"$out.err" "$*" >"$out"
		fi
	fi
}

for arg in "$@"; do
	name=${arg%%=*}
	dir=${arg#*=}
	if [ "$name" = "$arg" ] || [ ! -d "$dir" ]; then
		echo "libraries: $arg: expected NAME=TREE with TREE a directory" >&2
		exit 2
	fi
	reports=()
	case "$name" in
	gatekeeper-library)
		i=0
		for folder in "$dir"/src/*/*; do
			[ -d "$folder" ] || continue
			i=$((i + 1))
			# The CI's own glob, relative to the tree as it runs it.
			files=()
			for f in "$folder"/*.rego; do
				[ -e "$f" ] && files+=("${f#"$dir"/}")
			done
			run "$tmp/gk.$i.json" --v0-compatible "${files[@]}"
			reports+=("$tmp/gk.$i.json")
		done
		;;
	policy-library)
		run "$tmp/pl.json" --v0-compatible --timeout 30s -v lib/ \
			validator/ --explain=notes
		reports+=("$tmp/pl.json")
		;;
	trivy-checks)
		run "$tmp/tc.json" --explain=fails lib/ checks/ examples/ \
			--ignore '*.yaml' --allow-undefined-functions
		reports+=("$tmp/tc.json")
		;;
	*)
		echo "libraries: $name: unknown library" \
			"(gatekeeper-library, policy-library, trivy-checks)" >&2
		exit 2
		;;
	esac
	tally "$name" "${reports[@]}" || bad=1
done
exit $bad
