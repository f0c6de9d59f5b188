#!/usr/bin/env bash
# demo.sh BIN_DIR - Lockstep end to end on 127.0.0.1: a policy repository
# in git, lockstep-server, and two lockstep-agents.  Tag v1 -> both agents
# enforce it; tag v2 -> both move; an operator rollback -> both move back
# under a new seq; then the evidence of all of it.
set -u
export LOCKSTEP_BIN=$(cd "${1:?usage: deploy/demo.sh BIN_DIR}" && pwd)
export LOCKSTEP_ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$LOCKSTEP_ROOT/tests/integration/libagent.sh"
say() { printf '\n== %s\n' "$*"; }
show() {	# NAME
	printf '  %-8s %s\n' "$1" "$("$AGENT" --state "$W/$1" status --json)"
}
say "keys, a policy repository with tag v1, and lockstep-server"
setup_world
echo "  server on $SERVER_URL, data in $W/data"
say "two agents follow channel stable"
start_agent edge-1 "$SERVER_URL" --long-poll 30
start_agent edge-2 "$SERVER_URL" --long-poll 30
expect_version edge-1 v1 60 "tag v1"
expect_version edge-2 v1 60 "tag v1"
show edge-1; show edge-2
say "tag v2"
tag v2
expect_version edge-1 v2 60 "tag v2"
expect_version edge-2 v2 60 "tag v2"
show edge-1; show edge-2
say "a decision on each agent (POST /v1/data/agenttest/allow)"
for a in edge-1 edge-2; do
	printf '  %s: %s\n' "$a" "$(curl -s -X POST -d '{"input": {"user": "admin"}}' \
		"http://$(cat "$W/$a.port")/v1/data/agenttest/allow")"
done
say "operator rollback to v1 (a new seq pointing at v1's bundle)"
curl -s -X POST -H "Authorization: Bearer $(cat "$W/admin.token")" \
	-d '{"channel": "stable", "version": "v1", "owner": "demo-operator", "reason": "demo rollback", "until": "2030-01-01"}' \
	"$SERVER_URL/v1/admin/rollback"
echo
expect_version edge-1 v1 60 "rollback"
expect_version edge-2 v1 60 "rollback"
show edge-1; show edge-2
sleep 2
say "evidence (GET /v1/evidence): builds, publishes, operator actions, agent reports"
curl -s "$SERVER_URL/v1/evidence" | python3 -c 'import json, sys
for line in sys.stdin:
    if not line.strip(): continue
    e = json.loads(line); d = e.get("details") or {}
    what = d.get("action") or d.get("tag") or d.get("version") or ""
    if e.get("kind") == "report":
        what = "%s %s (release %s)" % (d.get("state"), d.get("version"), d.get("release"))
    print("  %-4s %s %-8s %-9s %-7s %s" % (e.get("n"), e.get("time"), e.get("kind"),
          e.get("channel") or "-", e.get("agent") or "-", what))'
finish
