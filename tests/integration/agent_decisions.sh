#!/usr/bin/env bash
# agent_decisions.sh - decision records (issue 8) on the example bundle:
# an image deny carries soc2:CC6.8 and not soc2:CC8.1, the exception that
# lets node-exporter in is listed as waived, system.log.mask erases and
# upserts, system.log.drop drops and counts, a large input is kept as its
# sha256 only; then kill -9 of the agent at random moments of a stream of
# decisions: every decision whose answer the client received is uploaded
# exactly once, seqs have no gaps across restarts, and every batch note
# verifies with `lockstep note verify` under the agent's key.
. "$(dirname "$0")/libagent.sh"
. "$(dirname "$0")/libdecisions.sh"
POINTS=${POINTS:-30}
decisions_world
AGENT_ARGS=(--report-to "$SINK_URL" --decision-segment-ms 200
	--decision-fsync-ms 20)
start_agent d1 "$SERVER_URL" "${AGENT_ARGS[@]}"
wait_until 60 is_version d1 v1 || die "d1 does not enforce v1"

ans=$(decide d1 "$ADM/denied-registry.json" kubernetes/admission/deny)
id=$(printf '%s' "$ans" | id_of)
[ -n "$id" ] || fail "deny answer has no decision_id: $ans"
rec=$(record_of "$id")
python3 - "$rec" <<'PY' && ok "image deny: soc2:CC6.8, not soc2:CC8.1" || fail "image deny record: $rec"
import json, sys
r = json.loads(sys.argv[1])
assert r["outcome"] == "deny", r["outcome"]
assert r["violations"], "no violations"
for v in r["violations"]:
    assert v["rule"] == "data.kubernetes.checks.images.violation", v
    assert "soc2:CC6.8" in v["controls"] and "soc2:CC8.1" not in v["controls"], v
assert "soc2:CC6.8" in r["controls"] and "soc2:CC8.1" not in r["controls"], r["controls"]
for k in ("id", "seq", "time", "agent", "door", "channel", "release", "bundle",
          "version", "path", "input_sha256", "input", "outcome", "waived",
          "latency_us"):
    assert k in r, k
assert r["door"] == "api" and r["version"] == "v1" and r["channel"] == "stable"
PY

ans=$(decide d1 "$ADM/allowed-node-exporter-exception.json" kubernetes/admission/deny)
rec=$(record_of "$(printf '%s' "$ans" | id_of)")
python3 - "$rec" <<'PY' && ok "exception listed as waived" || fail "waived: $rec"
import json, sys
r = json.loads(sys.argv[1])
assert r["outcome"] == "allow", r["outcome"]
w = r["waived"]
assert len(w) == 1 and w[0]["id"] == "EXC-2026-001", w
assert w[0]["owner"] and w[0]["ticket"] == "SEC-4711" and w[0]["expires"], w
assert w[0]["rule"] == "data.kubernetes.checks.volumes.violation", w
assert "soc2:CC6.1" in w[0]["controls"], w
PY

# Masking: userInfo erased, the object's name upserted.
python3 - "$ADM/allowed-pod.json" "$W/withuser.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["request"]["userInfo"] = {"username": "alice", "secret": "s3cret"}
json.dump(d, open(sys.argv[2], "w"))
PY
ans=$(decide d1 "$W/withuser.json" kubernetes/admission/deny)
rec=$(record_of "$(printf '%s' "$ans" | id_of)")
python3 - "$rec" <<'PY' && ok "mask erases and upserts" || fail "mask: $rec"
import json, sys
r = json.loads(sys.argv[1])
assert "userInfo" not in r["input"]["request"], r["input"]["request"].keys()
assert r["input"]["request"]["object"]["metadata"]["name"] == "masked"
PY

# Drop: answered, no record, counted in /metrics.
python3 - "$ADM/allowed-pod.json" "$W/dropme.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["request"]["namespace"] = "drop-me"
json.dump(d, open(sys.argv[2], "w"))
PY
ans=$(decide d1 "$W/dropme.json" kubernetes/admission/deny)
if [ -n "$(printf '%s' "$ans" | id_of)" ]; then
	fail "dropped decision has an id: $ans"
elif curl -s --max-time 5 "http://$(cat "$W/d1.port")/metrics" |
	grep -q '^lockstep_agent_decision_drops_total{reason="policy"} 1$'; then
	ok "system.log.drop drops and counts"
else
	fail "drop not counted in /metrics"
fi

# /metrics: decisions by door and outcome, queue, uploads, fsyncs.
m=$(curl -s --max-time 5 "http://$(cat "$W/d1.port")/metrics")
if printf '%s\n' "$m" | grep -qx 'lockstep_agent_decisions_total{door="api",outcome="deny"} 1' &&
	printf '%s\n' "$m" | grep -qx 'lockstep_agent_decisions_total{door="api",outcome="allow"} 3' &&
	printf '%s\n' "$m" | grep -q '^lockstep_agent_decision_records_queued [0-9]' &&
	printf '%s\n' "$m" | grep -q '^lockstep_agent_decision_queue_bytes [0-9]' &&
	printf '%s\n' "$m" | grep -q '^lockstep_agent_decision_batches_uploaded_total [0-9]' &&
	printf '%s\n' "$m" | grep -q '^lockstep_agent_decision_fsync_seconds_count [1-9]' &&
	printf '%s\n' "$m" | grep -q '^lockstep_agent_decision_fsync_seconds_bucket{le="+Inf"} [1-9]'; then
	ok "/metrics: decisions by door and outcome, queue, batches, fsync latency"
else
	fail "/metrics: $(printf '%s\n' "$m" | grep -v '^#' | head -20)"
fi

# A body over the API's cap is refused with 413, and recorded as an error.
ans=$(python3 - "$(cat "$W/d1.port")" <<'PY'
import sys, urllib.error, urllib.request
body = b'{"input": "' + b"x" * (1 << 20) + b'"}'
try:
    urllib.request.urlopen(urllib.request.Request(
        "http://%s/v1/data/kubernetes/admission/deny" % sys.argv[1],
        data=body), timeout=10)
except urllib.error.HTTPError as e:
    print(e.code, e.read().decode())
PY
)
rec=$(record_of "$(printf '%s' "${ans#* }" | id_of)")
case "$ans" in
413*) python3 - "$rec" <<'PY' && ok "413 answered and recorded as an error" || fail "413 record: $rec"
import json, sys
r = json.loads(sys.argv[1])
assert r["outcome"] == "error" and r["error"] == "request body too large", r
PY
	;;
*) fail "oversized body: $ans" ;;
esac

# Large input: sha256 only.
python3 - "$ADM/allowed-pod.json" "$W/big.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["request"]["object"]["metadata"]["annotations"] = {"pad": "x" * 70000}
json.dump(d, open(sys.argv[2], "w"))
PY
ans=$(decide d1 "$W/big.json" kubernetes/admission/deny)
rec=$(record_of "$(printf '%s' "$ans" | id_of)")
want=$(python3 -c 'import hashlib,sys; print(hashlib.sha256(open(sys.argv[1],"rb").read()).hexdigest())' "$W/big.json")
python3 - "$rec" "$want" <<'PY' && ok "large input: sha256 only" || fail "large input: $(printf '%s' "$rec" | head -c 300)"
import json, sys
r = json.loads(sys.argv[1])
assert "input" not in r and r["input_truncated"] is True
assert r["input_sha256"] == sys.argv[2], (r["input_sha256"], sys.argv[2])
PY

# kill -9 with records only in the open segment, plus a torn line left
# by a write(2) cut short: the next decision continues the seq, the torn
# bytes are gone, nothing is lost.
start_agent k1 "$SERVER_URL" --report-to "$SINK_URL" --decision-segment-ms 60000
wait_until 60 is_version k1 v1 || die "k1 does not enforce v1"
for i in 1 2 3; do decide k1 "$ADM/allowed-pod.json" kubernetes/admission/deny >/dev/null; done
kill -9 "${AGENT_PID_OF[k1]}"
wait "${AGENT_PID_OF[k1]}" 2>/dev/null
printf '{"id":"k1-4","seq":4,"ti' >>"$W/k1/decisions/00000000000000000001.open"
start_agent k1 "$SERVER_URL" --report-to "$SINK_URL" --decision-segment-ms 60000
id=$(decide k1 "$ADM/allowed-pod.json" kubernetes/admission/deny | id_of)
stop_agent k1
if [ "$id" = k1-4 ] && [ "$(cat "$W"/sink/*.jsonl | grep -c '"agent":"k1"')" -eq 4 ] &&
	! cat "$W"/sink/*.jsonl | grep -q '"ti{'; then
	ok "kill -9 before rotation, torn tail: next id $id, 4 records uploaded"
else
	fail "kill -9 before rotation: next id $id, k1 records $(cat "$W"/sink/*.jsonl | grep -c '"agent":"k1"')"
fi

# kill -9 at random moments of a stream of decisions.
stream() {	# PORT OUT: decisions until killed; received ids to OUT
	python3 - "$1" "$2" "$ADM/denied-registry.json" <<'PY'
import json, sys, urllib.request
port, out, f = sys.argv[1:4]
body = b'{"input": ' + open(f, "rb").read() + b'}'
with open(out, "a") as o:
    for _ in range(100000):
        try:
            r = urllib.request.urlopen(urllib.request.Request(
                "http://%s/v1/data/kubernetes/admission/deny" % port,
                data=body), timeout=5)
            o.write(json.loads(r.read())["decision_id"] + "\n")
            o.flush()
        except Exception:
            sys.exit(0)
PY
}
: >"$W/received"
for i in $(seq 1 "$POINTS"); do
	port=$(cat "$W/d1.port")
	before=$(wc -l <"$W/received")
	stream "$port" "$W/received" &
	spid=$!
	# The stream is flowing, then a random moment within a second.
	wait_until 10 sh -c "[ \$(wc -l <$W/received) -gt $before ]" ||
		fail "point $i: no decision answered"
	sleep "0.$((RANDOM % 10))$((RANDOM % 10))"
	kill -9 "${AGENT_PID_OF[d1]}"
	wait "${AGENT_PID_OF[d1]}" 2>/dev/null
	wait "$spid" 2>/dev/null
	start_agent d1 "$SERVER_URL" "${AGENT_ARGS[@]}"
done
n=$(wc -l <"$W/received")
stop_agent d1
# SIGTERM closed the open segment and uploaded everything (within 5 s).
left=$(ls "$W/d1/decisions" | grep -c -e '\.seg$' -e '\.open$')
[ "$left" -eq 0 ] && ok "SIGTERM: every segment uploaded before exit" ||
	fail "SIGTERM left $left segment(s): $(ls "$W/d1/decisions")"
python3 - "$W" <<'PY' && ok "kill -9 x $POINTS: $n answered decisions each kept exactly once, seqs gapless" || fail "kill -9 stream"
import glob, json, os, sys
w = sys.argv[1]
recs = []
for f in sorted(glob.glob(w + "/sink/*.jsonl")) + sorted(
        glob.glob(w + "/d1/decisions/*.seg")):
    recs += [json.loads(l) for l in open(f)]
ids = [r["id"] for r in recs]
dup = {i for i in ids if ids.count(i) > 1}
assert not dup, "duplicates %s" % sorted(dup)[:5]
seqs = sorted(r["seq"] for r in recs)
covered = set(seqs)
for r in recs:
    if r.get("type") == "dropped":
        covered |= set(range(r["first"], r["last"] + 1))
missing = [s for s in range(1, seqs[-1] + 1) if s not in covered]
assert not missing, "seq gaps %s" % missing[:10]
have = set(ids)
lost = [l.strip() for l in open(w + "/received") if l.strip() not in have]
assert not lost, "answered but not recorded: %s" % lost[:5]
PY
# Every uploaded batch's note verifies under its agent's key, and its
# sha256 is the sha256 of the lines the sink stored.
bad=0
for nf in "$W"/sink/*.note; do
	who=$(sed -n 's/^agent //p' "$nf")
	body=$("$LS" note verify "$W/$who/$who.pub" --in "$nf") || { bad=1; break; }
	sha=$(sha256sum "${nf%.note}.jsonl" | cut -d' ' -f1)
	printf '%s\n' "$body" | grep -q "^sha256 $sha\$" || { bad=1; break; }
done
[ "$bad" -eq 0 ] && ok "batch notes verify with lockstep note verify" ||
	fail "batch note $nf"
finish
