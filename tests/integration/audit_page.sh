#!/usr/bin/env bash
# audit_page.sh - the auditor page in headless Chromium against a server
# with real history (a build, a publish, agents' signed reports, one agent
# stale, decision records with exceptions): the DOM shows the agents with
# the stale one highlighted, the control's timeline (SVG bars and the
# table beside it), the exceptions with owner, ticket and sunset, and the
# build; a screenshot is taken; no console errors.  Chromium and
# python3-websockets come from deploy/install-deps.sh --browser.
set -u
. "$(dirname "$0")/lib_server.sh"
. "$(dirname "$0")/lib_audit.sh"

if ! command -v chromium >/dev/null 2>&1 ||
    ! /usr/bin/python3 -c 'import websockets' 2>/dev/null; then
	"$root/deploy/install-deps.sh" --browser ||
		{ echo "FAIL: cannot install chromium"; exit 1; }
fi

audit_repo
start_server --admin-token-file "$work/admin.token" \
    --auditor-token-file "$work/auditor.token"
check "published" wait_published stable 1
agent_reports agent-1
agent_reports agent-2 stale
stop_server
since=$(date -u -d '-6 days' +%Y-%m-%d)
until=$(date -u +%Y-%m-%d)
check "seed decisions" "$seed" "$work/data" 3 900 "$since" 5 soc2:CC6.1
start_server --admin-token-file "$work/admin.token" \
    --auditor-token-file "$work/auditor.token"

prof=$work/chromium
mkdir -p "$prof"
chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --no-first-run --user-data-dir="$prof" \
    --remote-debugging-port=0 --enable-logging=stderr --v=0 about:blank \
    >"$work/chromium.log" 2>&1 &
pids+=($!)
check "chromium started" wait_until 30 test -s "$prof/DevToolsActivePort"
port=$(head -n 1 "$prof/DevToolsActivePort")
shot=$work/audit-page.png
if ! /usr/bin/python3 "$root/tests/tools/cdp_page.py" "$port" \
    "$url/audit/#control=soc2:CC6.1&since=$since&until=$until" \
    auditor-token-abcdefghij "$shot" >"$work/dom.json"; then
	fail "the page did not get ready: $(cat "$work/dom.json")"
fi
cat "$work/dom.json" | head -c 1500; echo
dom() { /usr/bin/python3 -c "import json,sys; d=json.load(open('$work/dom.json')); sys.exit(0 if ($1) else 1)"; }
check "no error on the page" dom 'd["error"] == ""'
check "fleet shows agent-1 and agent-2" dom '{r[0] for r in d["fleet"]} >= {"agent-1", "agent-2"}'
check "fleet shows the version" dom 'any(r[2] == "v1.0.0" for r in d["fleet"])'
check "the stale agent is highlighted, the active one not" dom '"agent-2" in d["fleet_bad"] and "agent-1" not in d["fleet_bad"]'
check "timeline drawn (SVG bars)" dom 'd["rects"] >= 5'
check "timeline table: days summing to 900 decisions" dom 'sum(int(r[1]) for r in d["days"]) == 900 and len(d["days"]) >= 5'
check "versions enforced listed" dom 'any(r[1] == "v1.0.0" for r in d["versions"])'
check "exceptions with owner, ticket and sunset" dom 'any(r[:4] == ["EXC-42", "alice@example.com", "SEC-1234", "2027-01-31"] for r in d["exceptions"])'
check "the build listed" dom 'any(r[1] == "v1.0.0" and r[2] == "passed" for r in d["builds"])'
check "package link for the control and period" dom '"/v1/audit/package?control=soc2%3ACC6.1" in d["pkg"]'
check "no console errors" dom 'd["console_errors"] == []'
check "screenshot taken" test "$(stat -c %s "$shot" 2>/dev/null || echo 0)" -gt 5000
check "no console error in chromium's log" sh -c "! grep -E 'CONSOLE.*(Uncaught|Error)' '$work/chromium.log'"
check "the page's queries were recorded" grep -q '"kind":"audit_query".*"path":"/v1/audit/summary"' "$(evlog)"
if [ -n "${AUDIT_SCREENSHOT:-}" ]; then cp "$shot" "$AUDIT_SCREENSHOT"; fi
stop_server
finish
