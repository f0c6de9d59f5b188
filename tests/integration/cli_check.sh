#!/usr/bin/env bash
# cli_check.sh - `lockstep check` as Conftest runs: counts, exceptions,
# namespaces, --combine, stdin, every output format (JSON and JUnit
# parsed, SARIF validated against OASIS's 2.1.0 schema with
# python3-jsonschema), exit codes, clear errors; and the policy from a real
# server's signed channel, the same answers as the directory, refused
# when a mirror tampers with the bundle.  With CONFTEST_EXAMPLES set to an
# exported tree of Conftest's repository, also its documented examples.
set -u
. "$(dirname "$0")/lib_server.sh"
root=${LOCKSTEP_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
P=$root/tests/data/check/policy
I=$root/tests/data/check/inputs
mirror_py=$root/tests/tools/hostile_mirror.py

# run_check NAME WANT_EXIT ARGS...: output in $work/out, stderr in $work/err
run_check() {
	local name=$1 want=$2 got
	shift 2
	"$ls" check --no-color "$@" >"$work/out" 2>"$work/err"
	got=$?
	if [ "$got" -eq "$want" ]; then
		ok "$name (exit $got)"
	else
		fail "$name: exit $got, want $want"
		sed 's/^/    /' "$work/out" "$work/err" | head -20
	fi
}
has() { grep -qF -- "$1" "$work/out"; }
summary_is() {
	local got
	got=$(tail -n 1 "$work/out")
	if [ "$got" = "$1" ]; then ok "summary: $1"; else fail "summary '$got', want '$1'"; fi
}

# --- counts, exceptions, exit codes --------------------------------------
run_check "a failure exits 1" 1 -p "$P" "$I/manifests.yaml"
summary_is "9 tests, 6 passed, 1 warning, 1 failure, 1 exception"
check "failure line" has "FAIL - $I/manifests.yaml - main - Deployment web: containers must not run as root"
check "warning line" has "WARN - $I/manifests.yaml - main - service api is exposed"
check "exception names the rule it excepts" has \
    "EXCP - $I/manifests.yaml - main - data.main.exception[_][_] == \"latest\""
check "the excepted rule's message is not a failure" sh -c "! grep -q 'old uses a latest tag' '$work/out'"
run_check "--fail-on-warn: failures exit 2" 2 --fail-on-warn -p "$P" "$I/manifests.yaml"
run_check "--fail-on-warn: warnings exit 1" 1 --fail-on-warn -p "$P" "$I/service.yaml"
run_check "warnings alone exit 0" 0 -p "$P" "$I/service.yaml"
run_check "clean input exits 0" 0 -p "$P" "$I/clean.json"
summary_is "3 tests, 3 passed, 0 warnings, 0 failures, 0 exceptions"
run_check "--no-fail" 0 --no-fail -p "$P" "$I/manifests.yaml"

# --- inputs of every format, namespaces ----------------------------------
run_check "all namespaces over every format" 1 -p "$P" --all-namespaces \
    "$I/Dockerfile" "$I/grafana.ini" "$I/traefik.toml" "$I/tfplan.json"
check "Dockerfile: stage and exec form seen" has "stage 0 uses a latest base image: golang:latest"
check "Dockerfile: shell-form ENTRYPOINT warned" has "ENTRYPOINT should use the exec form"
check "INI: numbers are numbers" has "port 80 needs root"
check "TOML: arrays of strings" has "cipher TLS_RSA_WITH_AES_256_GCM_SHA384 has no forward secrecy"
check "Terraform plan JSON" has "aws_s3_bucket_acl.logs makes a bucket public"
check "private bucket not flagged" sh -c "! grep -q 'private makes' '$work/out'"
run_check "namespace glob d* picks docker only" 1 -p "$P" -n 'd*' "$I/Dockerfile"
summary_is "2 tests, 0 passed, 1 warning, 1 failure, 0 exceptions"
run_check "a namespace that is not there checks nothing" 0 -p "$P" -n nothere "$I/manifests.yaml"
summary_is "0 tests, 0 passed, 0 warnings, 0 failures, 0 exceptions"
run_check "a directory is walked" 1 -p "$P" "$I"
check "directory: YAML inside was checked" has "Deployment web: containers must not run as root"
run_check "stdin is YAML" 0 -p "$P" - <"$I/service.yaml"
check "stdin file name is -" has "WARN - - main - service api is exposed"
run_check "--parser forces a format" 0 -p "$P" --parser json - <"$I/clean.json"

# --- --combine -----------------------------------------------------------
mkdir -p "$work/cpol"
cat >"$work/cpol/combine.rego" <<'REGO'
package main

deny contains msg if {
	some d in input
	d.contents.kind == "Deployment"
	not service_for(d.contents.metadata.name)
	msg := sprintf("deployment %s has no service (%s)", [d.contents.metadata.name, d.path])
}

service_for(name) if {
	some s in input
	s.contents.kind == "Service"
	s.contents.metadata.name == name
}
REGO
run_check "--combine sees every document at once" 1 -p "$work/cpol" --combine \
    "$I/manifests.yaml" "$I/service.yaml"
check "combined result named Combined" has "FAIL - Combined - main - deployment web has no service ($I/manifests.yaml)"
summary_is "2 tests, 0 passed, 0 warnings, 2 failures, 0 exceptions"

# --- output formats ------------------------------------------------------
run_check "json output" 1 -p "$P" -o json "$I/manifests.yaml" "$I/clean.json"
check "json parses with the counts" python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert len(r) == 2, r
m = r[0]
assert m["successes"] == 6 and len(m["failures"]) == 1 and len(m["warnings"]) == 1
assert len(m["exceptions"]) == 1
assert "failures" not in r[1] and r[1]["successes"] == 3
' "$work/out"
cat >"$work/latest.yaml" <<'YAML'
kind: Deployment
metadata: {name: fresh}
spec: {template: {spec: {securityContext: {runAsNonRoot: true}, containers: [{name: app, image: "x:latest"}]}}}
YAML
run_check "object results" 1 -p "$P" -o json "$work/latest.yaml"
check "object result: msg and metadata.container" python3 -c '
import json, sys
f = json.load(open(sys.argv[1]))[0]["failures"][0]
assert f["msg"] == "app uses a latest tag", f
assert f["metadata"]["container"] == "app" and f["metadata"]["query"] == "data.main.deny_latest", f
' "$work/out"
run_check "junit output" 1 -p "$P" -o junit "$I/manifests.yaml"
check "junit parses: 8 cases, 2 failures" python3 -c '
import sys, xml.etree.ElementTree as ET
s = ET.parse(sys.argv[1]).getroot().find("testsuite")
cases = s.findall("testcase")
assert s.get("name") == "conftest.main", s.attrib
assert len(cases) == 8 and int(s.get("tests")) == 8, len(cases)
assert len([c for c in cases if c.find("failure") is not None]) == 2
assert int(s.get("failures")) == 2
' "$work/out"
run_check "tap output" 1 -p "$P" -o tap "$I/manifests.yaml"
check "tap: plan and results" sh -c "grep -qx '1..9' '$work/out' && test \$(grep -c '^not ok' '$work/out') -eq 2 && test \$(grep -c '^ok' '$work/out') -eq 7"
run_check "github output" 1 -p "$P" -o github "$I/manifests.yaml"
check "github: error, warning and notice commands" sh -c "grep -q '^::error file=$I/manifests.yaml,line=1::Deployment web' '$work/out' && grep -q '^::warning file=' '$work/out' && grep -q '^::group::' '$work/out'"
run_check "sarif output" 1 -p "$P" -o sarif "$I/manifests.yaml" "$I/clean.json"
check "sarif: results and invocation" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["version"] == "2.1.0"
run = d["runs"][0]
levels = sorted(r["level"] for r in run["results"])
assert levels == ["error", "none", "note", "warning"], levels
assert run["invocations"][0]["exitCode"] == 1
for r in run["results"]:
    assert run["tool"]["driver"]["rules"][r["ruleIndex"]]["id"] == r["ruleId"]
' "$work/out"
# The SARIF 2.1.0 schema, always: tests/data/sarif-schema-2.1.0.json is
# OASIS's schema as published (errata 01, "id" docs.oasis-open.org/sarif),
# from oasis-tcs/sarif-spec; where from and why not another copy:
# tests/data/README.md.  python3-jsonschema (deploy/install-deps.sh).
SARIF_SCHEMA=${SARIF_SCHEMA:-$root/tests/data/sarif-schema-2.1.0.json}
sarif_validate='
import json, sys, jsonschema
schema = json.load(open(sys.argv[2]))
assert schema["title"].startswith("Static Analysis Results Format (SARIF) Version 2.1.0")
assert schema["required"] == ["version", "runs"], "the root schema is not at the root"
cls = jsonschema.validators.validator_for(schema)
cls.check_schema(schema)
doc = json.load(open(sys.argv[1]))
if len(sys.argv) > 3:  # break it: a result without its required message
    del doc["runs"][0]["results"][0]["message"]
cls(schema).validate(doc)
'
check "sarif validates against the 2.1.0 schema" python3 -c "$sarif_validate" \
	"$work/out" "$SARIF_SCHEMA"
check "the schema refuses a SARIF result without message" \
	sh -c '! python3 -c "$1" "$2" "$3" broken 2>/dev/null' sh "$sarif_validate" \
	"$work/out" "$SARIF_SCHEMA"

# --- errors: one line naming the file, exit 1, nothing checked -----------
printf 'a: [1, 2\nb: 3\n' >"$work/bad.yaml"
run_check "malformed YAML" 1 -p "$P" "$work/bad.yaml"
check "error names the file and line" grep -q "lockstep check: $work/bad.yaml: line" "$work/err"
check "error is one line" test "$(wc -l <"$work/err")" -eq 1
printf 'resource "x" "y" {}\n' >"$work/main.tf"
run_check "HCL2 refused with the reason" 1 -p "$P" "$work/main.tf"
check "HCL2 message" grep -q "HCL2 is not supported" "$work/err"
run_check "unknown output" 1 -p "$P" -o xml "$I/clean.json"
run_check "missing policy directory" 1 -p "$work/nope" "$I/clean.json"
run_check "no input" 1 -p "$P"
mkdir -p "$work/brokenpol"
echo 'package main
deny contains msg if {' >"$work/brokenpol/p.rego"
run_check "policy that does not parse" 1 -p "$work/brokenpol" "$I/clean.json"
check "parse error names the policy file" grep -q "p.rego" "$work/err"
"$ls" check --help >"$work/out" 2>&1
check "--help exits 0 and explains" has "usage: lockstep check"

# --- the policy from a server's signed channel ---------------------------
make_keys
mkdir -p "$work/repo"
git init -q "$work/repo"
cp "$P"/*.rego "$work/repo/"
git_q add -A
git_q commit -qm "check policy"
git_q tag v1.0.0
start_server --channel stable='v*'
check "v1.0.0 published" wait_published stable 1
run_check "--server: same answers as the directory" 1 --server "$url" \
    --root "$work/keys/1.root.note" --channel stable --cache "$work/cache" \
    "$I/manifests.yaml"
summary_is "9 tests, 6 passed, 1 warning, 1 failure, 1 exception"
"$ls" check --no-color -p "$P" "$I/manifests.yaml" >"$work/dir.out" 2>&1
check "--server output equals --policy output" cmp -s "$work/out" "$work/dir.out"
check "bundle cached under --cache" test -L "$work/cache/current" -o -d "$work/cache/current"

# a mirror that flips a bit in the bundle: refused as the agent refuses it
: >"$work/mirror.control"
python3 "$mirror_py" --data "$work/data" --control "$work/mirror.control" \
    --port-file "$work/mirror.port" --upstream "$url" >>"$work/mirror.log" 2>&1 &
pids+=("$!")
wait_until 20 test -s "$work/mirror.port" || fail "mirror did not start"
echo "bundle flip" >"$work/mirror.control"
run_check "tampered bundle from a mirror refused" 1 --server "http://$(cat "$work/mirror.port")" \
    --root "$work/keys/1.root.note" --channel stable --cache "$work/cache2" \
    "$I/manifests.yaml"
check "refusal says why" grep -qiE "sha256|hash|mismatch" "$work/err"
check "nothing checked with the tampered policy" test ! -s "$work/out"
echo "timestamp flip" >"$work/mirror.control"
run_check "tampered timestamp refused" 1 --server "http://$(cat "$work/mirror.port")" \
    --root "$work/keys/1.root.note" --channel stable --cache "$work/cache3" \
    "$I/manifests.yaml"
stop_server

# --- Conftest's own examples, when an exported tree is given -------------
if [ -n "${CONFTEST_EXAMPLES:-}" ]; then
	bash "$root/tests/conftest_examples.sh" "$CONFTEST_EXAMPLES" ||
		fail "Conftest examples"
fi
finish
