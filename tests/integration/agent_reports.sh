#!/usr/bin/env bash
# agent_reports.sh - signed reports reach the server's evidence; while the
# server is down they queue on disk and are delivered in order when it
# returns; a full queue is announced in the log and in the next report.
TS_TTL=3
. "$(dirname "$0")/libagent.sh"
setup_world
start_agent a "$SERVER_URL"
expect_version a v1 30 "first activation"
evidence() {	# AGENT: "seq state" of each report the server accepted
	curl -s --max-time 5 "$SERVER_URL/v1/evidence?kind=report&agent=$1" |
		tail -n +2 | python3 -c 'import json,sys
for line in sys.stdin:
    line=line.strip()
    if not line: continue
    e=json.loads(line); d=e.get("details") or e.get("data") or e
    print(d.get("seq"), d.get("state"), d.get("dropped", 0))'
}
has_reports() { [ "$(evidence a | wc -l)" -ge "$2" ]; }
wait_until 20 has_reports a 1 || fail "no report of a in the evidence"
before=$(evidence a | wc -l)
ok "reports in the evidence before the outage: $before"

stop_server
queued() { [ "$(ls "$W/a/reports" | wc -l)" -ge "$1" ]; }
if wait_until 20 queued 2; then
	ok "server down: $(ls "$W/a/reports" | wc -l) reports queued on disk"
else
	fail "server down: queue holds $(ls "$W/a/reports" | wc -l)"
fi
wait_until 15 is_state a stale || fail "server down: state $(status a state), want stale"
hold a v1 2 "server down"
nq=$(ls "$W/a/reports" | wc -l)
restart_server
if wait_until 30 sh -c "[ -z \"\$(ls '$W/a/reports')\" ]"; then
	ok "server back: queue drained"
else
	fail "server back: $(ls "$W/a/reports" | wc -l) still queued"
fi
# Queries read the index, which trails acknowledged writes by about a
# second: wait (bounded) until it holds them before comparing.
wait_until 20 has_reports a $((before + nq)) || true
after=$(evidence a)
n_after=$(echo "$after" | wc -l)
[ "$n_after" -ge $((before + nq)) ] ||
	fail "evidence holds $n_after reports, want at least $((before + nq))"
echo "$after" | awk 'NR > 1 && $1 <= prev { bad = 1 } { prev = $1 } END { exit bad }' ||
	fail "reports not in order: $(echo "$after" | tr '\n' ' ')"
echo "$after" | grep -q ' stale ' || fail "no stale report delivered"
ok "queued reports delivered in order: $(echo "$after" | cut -d' ' -f1,2 | tr '\n' ',')"

# The bound: agent b keeps 2 reports; four starts while the server is down.
stop_server
for i in 1 2 3 4; do
	start_agent b "$SERVER_URL" --queue-max 2
	log_has b "queued report $i " 10 || true
	stop_agent b
done
if grep -q '"event":"queue"' "$W/b.log"; then
	ok "full queue announced: $(grep '"event":"queue"' "$W/b.log" | tail -n 1 | cut -c1-160)"
else
	fail "full queue not announced in the log"
fi
[ "$(ls "$W/b/reports" | wc -l)" -le 2 ] || fail "queue past its bound"
restart_server
start_agent b "$SERVER_URL" --queue-max 2
if wait_until 30 sh -c "evidence_b=\$(curl -s --max-time 5 '$SERVER_URL/v1/evidence?kind=report&agent=b'); echo \"\$evidence_b\" | grep -q dropped"; then
	ok "next report tells the server how many were dropped"
else
	fail "no delivered report carries 'dropped'"
fi
finish
