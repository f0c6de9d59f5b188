#!/usr/bin/env bash
# agent_decisions_queue.sh - the bounded decision queue (issue 8) while
# the --report-to server is unreachable: by default the oldest batches
# are replaced by "dropped" records (every answer still has an id, the
# queue stays near its bound, the drop is counted, and once the server is
# back the uploaded chain is gapless with the loss announced); with
# --evidence=required a full queue answers 503 with a JSON error.  Also:
# uploads are retried after the server refuses them (503).
. "$(dirname "$0")/libagent.sh"
. "$(dirname "$0")/libdecisions.sh"
decisions_world
DEAD=http://127.0.0.1:1
QARGS=(--decision-queue-max 32768 --decision-segment-max 4096
	--decision-segment-ms 100 --decision-fsync-ms 10)

# Drop mode.
start_agent q1 "$SERVER_URL" --report-to "$DEAD" "${QARGS[@]}"
wait_until 60 is_version q1 v1 || die "q1 does not enforce v1"
burst q1 "$ADM/denied-registry.json" 150 "$W/q1.answers"
n200=$(grep -c '^200 q1-' "$W/q1.answers")
[ "$n200" -eq 150 ] && ok "drop mode: 150 decisions answered with ids" ||
	fail "drop mode: $n200 of 150 answered with an id"
bytes=$(metric_value q1 lockstep_agent_decision_queue_bytes)
drops=$(metric_value q1 'lockstep_agent_decision_drops_total{reason="queue"}')
if [ "${bytes:-0}" -le $((32768 + 8192)) ] && [ "${drops:-0}" -gt 0 ]; then
	ok "drop mode: queue holds $bytes bytes, $drops records dropped"
else
	fail "drop mode: queue $bytes bytes, drops $drops"
fi
stop_agent q1
# The server is back: everything left uploads, the chain is gapless.
start_agent q1 "$SERVER_URL" --report-to "$SINK_URL" "${QARGS[@]}"
wait_until 30 sh -c "[ -z \"\$(ls $W/q1/decisions/ | grep -v -e acked -e seq.state)\" ]" ||
	fail "q1 segments not uploaded: $(ls "$W/q1/decisions")"
stop_agent q1
python3 - "$W" <<'PY' && ok "drop mode: uploaded chain gapless, loss announced" || fail "drop mode chain"
import glob, json, sys
w = sys.argv[1]
recs = [json.loads(l) for f in sorted(glob.glob(w + "/sink/*.jsonl"))
        for l in open(f)]
recs = [r for r in recs if r["agent"] == "q1"]
seqs = [r["seq"] for r in recs]
assert len(seqs) == len(set(seqs)), "duplicate seqs"
nxt = 1
drops = 0
for r in sorted(recs, key=lambda r: r["seq"]):
    if r.get("type") == "dropped":
        assert r["first"] == nxt and r["last"] == r["seq"] - 1, (r, nxt)
        assert r["reason"] == "queue full"
        drops += 1
    assert r["seq"] == max(nxt, r["seq"]) and (r.get("type") == "dropped" or r["seq"] == nxt), (r["seq"], nxt)
    nxt = r["seq"] + 1
assert drops > 0, "no dropped line"
PY

# Required mode: a full queue answers 503.
start_agent q2 "$SERVER_URL" --report-to "$DEAD" --evidence=required \
	"${QARGS[@]}"
wait_until 60 is_version q2 v1 || die "q2 does not enforce v1"
burst q2 "$ADM/denied-registry.json" 60 "$W/q2.answers"
n503=$(grep -c '^503 - evidence_unavailable$' "$W/q2.answers")
n200=$(grep -c '^200 q2-' "$W/q2.answers")
refused=$(metric_value q2 lockstep_agent_decision_refused_total)
if [ "$n503" -gt 0 ] && [ "$((n503 + n200))" -eq 60 ] &&
	[ "${refused:-0}" -eq "$n503" ] &&
	! grep -q "^503" <(head -n 3 "$W/q2.answers"); then
	ok "required mode: $n200 answered, then $n503 refused with 503"
else
	fail "required mode: $n200 ok, $n503 refused, metric $refused"
fi
stop_agent q2

# Retry: the sink refuses the first 3 batches, the agent retries.
mkdir -p "$W/sink2"
python3 "$SINK_PY" "$W/sink2" "$W/sink2.port" --fail 3 >>"$W/sink2.log" 2>&1 &
PIDS+=($!)
wait_until 20 test -s "$W/sink2.port" || die "sink2 did not start"
start_agent q3 "$SERVER_URL" --report-to "http://127.0.0.1:$(cat "$W/sink2.port")" \
	"${QARGS[@]}"
wait_until 60 is_version q3 v1 || die "q3 does not enforce v1"
burst q3 "$ADM/allowed-pod.json" 5 "$W/q3.answers"
if wait_until 30 sh -c "cat $W/sink2/*.jsonl 2>/dev/null | grep -c '\"agent\":\"q3\"' | grep -qx 5"; then
	failed=$(metric_value q3 lockstep_agent_decision_batches_failed_total)
	if [ "${failed:-0}" -ge 3 ] && log_has q3 "decision batch stays queued" 5 &&
		log_has q3 "decision batches upload again" 5; then
		ok "upload retried after 3 refusals, logged"
	else
		fail "retry: failed batches $failed, log: $(grep decisions "$W/q3.log" | tail -3)"
	fi
else
	fail "retry: records not uploaded after refusals"
fi
finish
