#!/usr/bin/env bash
# audit_duckdb.sh - the saved queries of deploy/duckdb run with DuckDB
# (npm @duckdb/node-api) over the Hive partitions of a real server's
# evidence plus seeded decision records, and each answer equals the audit
# package's summary, over the partitions the evidence store wrote.
set -u
. "$(dirname "$0")/lib_server.sh"
. "$(dirname "$0")/lib_audit.sh"

# DuckDB's Node API, cached beside the build (npm registry).
nm=${LOCKSTEP_NODE_MODULES:-$LOCKSTEP_BIN/../node}
if [ ! -d "$nm/node_modules/@duckdb/node-api" ]; then
	command -v npm >/dev/null || { echo "FAIL: npm missing"; exit 1; }
	mkdir -p "$nm" && (cd "$nm" && timeout 300 npm install --no-audit \
	    --no-fund --silent @duckdb/node-api@1.5.6-r.1) ||
		{ echo "FAIL: npm install @duckdb/node-api"; exit 1; }
fi
cp "$root/tests/tools/duckdb_run.mjs" "$nm/run.mjs"

audit_repo
start_server --admin-token-file "$work/admin.token"
check "published" wait_published stable 1
agent_reports agent-1
stop_server
since=$(date -u -d '-8 days' +%Y-%m-%d)
until=$(date -u +%Y-%m-%d)
check "seed" "$seed" "$work/data" 4 1200 "$since" 6 soc2:CC6.1
"$seed" "$work/data" 2 200 "$since" 6 soc2:CC7.2 ops || fail "seed 2"
parts=$work/data/evidence/partitions	# the store's own, as written
check "partitions" test -d "$parts/kind=decision"
check "package" "$ls" audit --control soc2:CC6.1 --since "$since" --until "$until" \
    -o "$work/pkg" --data "$work/data" --keys "$work/keys"

for q in versions_per_agent decisions_per_day exceptions_used agents_without_reports; do
	if ! node "$nm/run.mjs" "$root/deploy/duckdb/$q.sql" "$parts" \
	    soc2:CC6.1 "$since" "$until" >"$work/$q.json" 2>"$work/$q.err"; then
		fail "$q: $(head -c 400 "$work/$q.err")"
	else
		ok "$q ran: $(head -c 200 "$work/$q.json")"
	fi
done

cmp_py() { python3 - "$work" "$1" <<'PY'
import json, sys
w, what = sys.argv[1], sys.argv[2]
s = json.load(open(w + "/pkg/summary.json"))
q = json.load(open(w + "/" + what + ".json"))
if what == "decisions_per_day":
    got = {str(r["decision_day"])[:10]: (int(r["decisions"]), int(r["deny"])) for r in q}
    want = {d: (v["decisions"], v.get("outcomes", {}).get("deny", 0)) for d, v in s["days"].items()}
elif what == "exceptions_used":
    got = {r["exception"]: (r["owner"], r["ticket"], r["sunset"], int(r["used"]), int(r["agents"])) for r in q}
    want = {}
    for a in s["agents"].values():
        for i, e in a["exceptions"].items():
            o = want.get(i, (e["owner"], e["ticket"], e["expires"], 0, 0))
            want[i] = (o[0], o[1], o[2], o[3] + e["count"], o[4] + 1)
elif what == "versions_per_agent":
    got = {}
    for r in q:
        got[r["agent"]] = got.get(r["agent"], 0) + int(r["decisions"])
    want = {n: sum(a["decisions"].values()) for n, a in s["agents"].items() if a["decisions"]}
    pairs = {(r["agent"], r["version"]) for r in q}
    have = {(n, v["version"]) for n, a in s["agents"].items() for v in a["versions"]}
    if not pairs <= have:
        print("versions missing from the summary:", pairs - have); sys.exit(1)
else:
    got = sorted(r["agent"] for r in q)
    want = sorted(n for n, a in s["agents"].items() if a["decisions"] and not a.get("reports"))
if got != want:
    print("query:", got); print("summary:", want); sys.exit(1)
print("equal:", what, len(q), "rows")
PY
}
for q in versions_per_agent decisions_per_day exceptions_used agents_without_reports; do
	check "$q equals the package summary" cmp_py "$q"
done
check "agents without reports: the seeded agents, not agent-1" python3 -c 'import json,sys; a=[r["agent"] for r in json.load(open(sys.argv[1]))]; assert a == ["agent-0000","agent-0001","agent-0002","agent-0003"], a' "$work/agents_without_reports.json"
finish
