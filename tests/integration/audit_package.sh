#!/usr/bin/env bash
# audit_package.sh - lockstep audit from a server's data folder: a real
# build, publish, enrolment and signed report from the server, decision
# records (with batches signed by their agents) appended through the
# evidence library; the package verifies offline, its numbers match the
# records, 20 single-byte changes across its files are each refused, and
# the OSCAL document has the structure of OSCAL 1.1 assessment-results and
# validates against NIST's OSCAL 1.1.2 assessment-results JSON schema.
set -u
. "$(dirname "$0")/lib_server.sh"
. "$(dirname "$0")/lib_audit.sh"

audit_repo
start_server --admin-token-file "$work/admin.token"
check "published" wait_published stable 1
agent_reports agent-1
check "checkpoint written" wait_until 20 test -s "$work/data/evidence/checkpoint.note"
stop_server

since=$(date -u -d '-3 days' +%Y-%m-%d)
until=$(date -u +%Y-%m-%d)
check "seed 2000 decisions of 5 agents" "$seed" "$work/data" 5 2000 "$since" 2 soc2:CC6.1
"$seed" "$work/data" 2 300 "$since" 2 soc2:CC7.2 ops || fail "seed other control"

pkg=$work/pkg
check "audit package written" "$ls" audit --control soc2:CC6.1 --since "$since" \
    --until "$until" -o "$pkg" --data "$work/data" --keys "$work/keys"
check "package verifies" "$ls" audit verify "$pkg"
for f in summary.md summary.html summary.json records.jsonl proofs.jsonl \
    checkpoint.note log.pub manifest.note oscal/assessment-results.json; do
	check "$f present" test -s "$pkg/$f"
done

# The numbers, from the records by another route than the C code.
py_counts=$(python3 - "$pkg" <<'PY'
import json, sys
d = sys.argv[1]
recs = [json.loads(l) for l in open(d + "/records.jsonl")]
dec = [r for r in recs if r["kind"] == "decision" and "soc2:CC6.1" in r["details"].get("controls", [])]
deny = sum(1 for r in dec if r["details"]["outcome"] == "deny")
waived = sum(1 for r in dec if r["details"]["waived"])
other = sum(1 for r in recs if r["kind"] == "decision" and "soc2:CC7.2" in r["details"].get("controls", []))
print(len(dec), deny, waived, other)
PY
)
read -r n_dec n_deny n_waived n_other <<<"$py_counts"
check "2000 decisions of the control in the records" test "$n_dec" = 2000
check "no record of the other control" test "$n_other" = 0
total=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["decisions"]["total"])' "$pkg/summary.json")
check "summary total = records ($total)" test "$total" = "$n_dec"
sum_deny=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["decisions"]["by_outcome"].get("deny", 0))' "$pkg/summary.json")
check "summary denies = records ($sum_deny)" test "$sum_deny" = "$n_deny"
exc=$(python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); print(sum(e["count"] for a in s["agents"].values() for e in a["exceptions"].values()))' "$pkg/summary.json")
check "exceptions used = waived records ($exc)" test "$exc" = "$n_waived"
check "summary names the exception owner" grep -q "alice@example.com" "$pkg/summary.md"
check "summary names agent-1 (reported v1.0.0)" grep -q "Agent agent-1" "$pkg/summary.md"
check "summary lists the build of v1.0.0" grep -q "| v1.0.0 | passed |" "$pkg/summary.md"
check "agent notes verified" sh -c "'$ls' audit verify '$pkg' 2>&1 | grep -q '\"agent_notes_verified\":[1-9]'"


# 20 single-byte changes, spread over the files.
files=(records.jsonl proofs.jsonl checkpoint.note log.pub summary.json
    summary.md summary.html oscal/assessment-results.json manifest.note)
refused=0
for i in $(seq 0 19); do
	f=${files[$((i % ${#files[@]}))]}
	rm -rf "$work/t" && cp -r "$pkg" "$work/t"
	python3 - "$work/t/$f" "$i" <<'PY'
import sys
p, i = sys.argv[1], int(sys.argv[2])
b = bytearray(open(p, "rb").read())
off = (i * 7919 + 13) % len(b)
b[off] = b[off] ^ 0x01
open(p, "wb").write(bytes(b))
PY
	if out=$("$ls" audit verify "$work/t" 2>&1); then
		fail "change $i in $f accepted"
	else
		refused=$((refused + 1))
		echo "  refused change $i in $f: $out"
	fi
done
check "20 of 20 changes refused" test "$refused" = 20

rm -rf "$work/t" && cp -r "$pkg" "$work/t" && echo x >"$work/t/extra.txt"
check "an unlisted file is refused" sh -c "! '$ls' audit verify '$work/t' 2>/dev/null"
check "bad dates refused" sh -c "! '$ls' audit --control soc2:CC6.1 --since 2026-13-01 --until '$until' -o '$work/x' --data '$work/data' --keys '$work/keys' 2>/dev/null"
check "existing output refused" sh -c "! '$ls' audit --control soc2:CC6.1 --since '$since' --until '$until' -o '$pkg' --data '$work/data' --keys '$work/keys' 2>/dev/null"
check "framework package verifies" sh -c "'$ls' audit --framework soc2 --since '$since' --until '$until' -o '$work/fw' --data '$work/data' --keys '$work/keys' && '$ls' audit verify '$work/fw'"
check "framework covers both controls" python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); assert set(s["controls"]) == {"soc2:CC6.1", "soc2:CC7.2"}, s["controls"].keys()' "$work/fw/summary.json"
check "OSCAL structure" python3 "$root/tests/tools/oscal_check.py" \
    "$pkg/oscal/assessment-results.json"
# NIST's OSCAL 1.1.2 assessment-results JSON schema, generated from the
# v1.1.2 metaschema (tests/data/oscal_assessment-results_schema.md).
schema=$root/tests/data/oscal_assessment-results_schema.json
check "OSCAL validates against the OSCAL 1.1.2 JSON schema" \
    python3 "$root/tests/tools/oscal_schema_check.py" "$schema" \
    "$pkg/oscal/assessment-results.json"
check "framework OSCAL validates too" \
    python3 "$root/tests/tools/oscal_schema_check.py" "$schema" \
    "$work/fw/oscal/assessment-results.json"
check "a framework no decision names: package verifies" sh -c "'$ls' audit --framework nist --since '$since' --until '$until' -o '$work/none' --data '$work/data' --keys '$work/keys' && '$ls' audit verify '$work/none'"
check "its OSCAL (no control found) validates too" \
    python3 "$root/tests/tools/oscal_schema_check.py" "$schema" \
    "$work/none/oscal/assessment-results.json"

# The schema check can fail: a document it must refuse.
python3 - "$pkg/oscal/assessment-results.json" "$work/bad.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["assessment-results"]["results"][0]["findings"][0]["target"]["status"]["state"] = "fine"
json.dump(d, open(sys.argv[2], "w"))
PY
check "a finding state outside OSCAL's is refused" sh -c "! python3 '$root/tests/tools/oscal_schema_check.py' '$schema' '$work/bad.json' 2>/dev/null"

# kill -9 while the package is written: the directory is either absent
# (a DIR.partial-* is left) or complete and verifying; a rerun then works.
for delay in 0.05 0.2 0.5; do
	rm -rf "$work/k9" "$work"/k9.partial-*
	"$ls" audit --control soc2:CC6.1 --since "$since" --until "$until" \
	    -o "$work/k9" --data "$work/data" --keys "$work/keys" &
	pid=$!
	sleep "$delay"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	if [ -e "$work/k9" ]; then
		check "killed after $delay s: the package there verifies" \
		    "$ls" audit verify "$work/k9"
	else
		check "killed after $delay s: no package, a rerun writes one" \
		    sh -c "'$ls' audit --control soc2:CC6.1 --since '$since' --until '$until' -o '$work/k9' --data '$work/data' --keys '$work/keys' && '$ls' audit verify '$work/k9'"
	fi
done

# What killed runs leave is removed by the next run once it is over a
# minute old and no live run holds it (each run flock()s its partial);
# a younger one, or one held, stays.
rm -rf "$work/sw" "$work"/sw.partial-*
mkdir "$work/sw.partial-aaaaaa" "$work/sw.partial-bbbbbb" "$work/sw.partial-cccccc"
touch -d '2 minutes ago' "$work/sw.partial-aaaaaa" "$work/sw.partial-cccccc"
flock "$work/sw.partial-cccccc" sleep 30 &
holder=$!
sleep 0.3
"$ls" audit --control soc2:CC6.1 --since "$since" --until "$until" \
    -o "$work/sw" --data "$work/data" --keys "$work/keys" 2>"$work/sw.err"
check "a dead run's partial removed and said; a young one and a held one kept" \
    sh -c "[ ! -e '$work/sw.partial-aaaaaa' ] && [ -d '$work/sw.partial-bbbbbb' ] &&
	[ -d '$work/sw.partial-cccccc' ] && [ -d '$work/sw' ] &&
	grep -q 'sw.partial-aaaaaa, left by a run that did not finish' '$work/sw.err'"
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
finish
