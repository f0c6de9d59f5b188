#!/usr/bin/env bash
# server_kill9_agents.sh - three real lockstep-agent processes, each
# enrolled with its own single-use token, answer a stream of Data API
# decisions on the example bundle (records with controls) and upload them
# as signed batches to --report-to, while the server is killed with
# SIGKILL at KILLS (default 30) random moments and restarted on the same
# data folder and port.  Afterwards every agent uploads what it still
# holds, and: every decision whose answer a client received is on the
# server exactly once, each agent's seqs run 1..N without a gap or a
# duplicate (N = the records the agent wrote), its batches form one
# chain, nothing was refused, inclusion proofs of a sample of entries
# verify against the signed checkpoint, and `lockstep evidence verify`
# accepts the store.  (server_decisions_kill9.sh does the same with
# scripted uploaders, checking resends of byte-identical batches.)
. "$(dirname "$0")/libagent.sh"
. "$(dirname "$0")/libdecisions.sh"
KILLS=${KILLS:-30}
NAMES="a1 a2 a3"

# No shared enrolment token: agents enrol with single-use tokens only.
SHARED_ENROLL=0

# forget_pid PID: a process that is gone leaves the cleanup list.
forget_pid() {
	local p keep=()
	for p in "${PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
	PIDS=("${keep[@]}")
}

"$LS" init "$W/keys" --origin lockstep-test >/dev/null || die "lockstep init"
head -c 24 /dev/urandom | base64 | tr -d '/+=' >"$W/admin.token"
chmod 600 "$W/admin.token"
make_example_repo
start_server
wait_until 90 published_version v1 || die "v1 not published"

# Decisions close a segment every 250 ms: at most 240 batches a minute
# per agent, inside the server's default write budget (600).
for a in $NAMES; do
	"$LS" agent token "$a" --ttl 1h --server "$SERVER_URL" \
		--token-file "$W/admin.token" >"$W/$a.etok" 2>>"$W/tokens.log" ||
		die "token for $a: $(cat "$W/tokens.log")"
	chmod 600 "$W/$a.etok"
	start_agent "$a" "$SERVER_URL" --report-to "$SERVER_URL" \
		--enroll-token-file "$W/$a.etok" --decision-segment-ms 250 \
		--decision-fsync-ms 20
done
for a in $NAMES; do
	wait_until 60 is_version "$a" v1 || die "$a does not enforce v1"
	test -f "$W/data/agents/$a.pub" || die "$a is not enrolled"
done
ok "three agents enrolled with single-use tokens, enforcing v1"

# client PORT OUT: decisions until $W/stop exists (at most 20000, at most
# 180 s), alternating an image deny and a waived allow; the decision_id of
# every 200 answer received goes to OUT.  (exec: its PID is the
# python process, which the cleanup kills.)
client() {
	exec python3 - "$1" "$2" "$W/stop" "$ADM/denied-registry.json" \
		"$ADM/allowed-node-exporter-exception.json" <<'PY'
import json, os, sys, time, urllib.request
port, out, stop = sys.argv[1:4]
bodies = [b'{"input": ' + open(f, "rb").read() + b'}' for f in sys.argv[4:6]]
t_end = time.monotonic() + 180
with open(out, "a") as o:
    for i in range(20000):
        if os.path.exists(stop) or time.monotonic() > t_end:
            break
        try:
            r = urllib.request.urlopen(urllib.request.Request(
                "http://%s/v1/data/kubernetes/admission/deny" % port,
                data=bodies[i % 2]), timeout=10)
            if r.status == 200:
                d = json.loads(r.read()).get("decision_id")
                if d:
                    o.write(d + "\n")
                    o.flush()
        except Exception as e:
            sys.stderr.write("decision %d: %s\n" % (i, e))
        time.sleep(0.005)
PY
}

cpids=()
for a in $NAMES; do
	: >"$W/$a.received"
	client "$(cat "$W/$a.port")" "$W/$a.received" 2>>"$W/client.log" &
	cpids+=($!)
	PIDS+=($!)
done
flowing() {
	local a
	for a in $NAMES; do [ -s "$W/$a.received" ] || return 1; done
}
wait_until 30 flowing || die "decisions are not answered"

t0=$SECONDS
for k in $(seq 1 "$KILLS"); do
	# 0.05 .. 0.4 s after the server is up again
	sleep "$(printf '0.%02d' $((5 + RANDOM % 36)))"
	old=$SERVER_PID
	restart_server
	forget_pid "$old"
done
ok "server killed with SIGKILL $KILLS times and restarted ($((SECONDS - t0)) s)"
sleep 1	# the last server takes uploads for a moment with decisions flowing
touch "$W/stop"
for p in "${cpids[@]}"; do
	wait "$p"
	forget_pid "$p"
done

# Every agent uploads what it still holds (its open segment closes after
# 250 ms): no record queued, bounded.
drained() {
	local a
	for a in $NAMES; do
		[ "$(metric_value "$a" lockstep_agent_decision_records_queued)" = 0 ] ||
			return 1
	done
}
if wait_until 60 drained; then
	ok "every agent uploaded everything after the last restart"
else
	for a in $NAMES; do
		echo "$a queued $(metric_value "$a" lockstep_agent_decision_records_queued)"
	done
	fail "agents still hold records 60 s after the last restart"
fi
for a in $NAMES; do
	echo "$a $(metric_value "$a" lockstep_agent_decision_records_total)" \
		"$(metric_value "$a" lockstep_agent_decision_batches_uploaded_total)" \
		"$(metric_value "$a" lockstep_agent_decision_batches_failed_total)"
done >"$W/written"
echo "agent records batches failed-uploads: $(tr '\n' ';' <"$W/written")"

"$LS" evidence cat "$W/data" >"$W/all.jsonl" || fail "evidence cat"
if python3 - "$W" $NAMES <<'PY'; then
import json, sys
w, names = sys.argv[1], sys.argv[2:]
entries = [json.loads(l) for l in open(w + "/all.jsonl")]
written = {l.split()[0]: int(l.split()[1]) for l in open(w + "/written")}
ok = True
refused = [e for e in entries if e["kind"] == "refused"]
if refused:
    print("refused:", json.dumps(refused[:3])); ok = False
for a in names:
    dec = [e["details"] for e in entries
           if e["kind"] == "decision" and e.get("agent") == a]
    ids = [d["id"] for d in dec]
    seqs = sorted(d["seq"] for d in dec)
    n = written[a]
    if seqs != list(range(1, n + 1)):
        dup = sorted({s for s in seqs if seqs.count(s) > 1})[:5]
        miss = sorted(set(range(1, n + 1)) - set(seqs))[:5]
        print(a, "seqs are not 1..%d once each: %d records, duplicates %s,"
              " missing %s" % (n, len(seqs), dup, miss)); ok = False
    if len(set(ids)) != len(ids):
        print(a, "a decision id twice"); ok = False
    have = set(ids)
    got = [l.strip() for l in open("%s/%s.received" % (w, a)) if l.strip()]
    lost = [i for i in got if i not in have]
    if lost:
        print(a, len(lost), "answered decisions not on the server:", lost[:5])
        ok = False
    if not any(d.get("controls") for d in dec):
        print(a, "no record carries controls"); ok = False
    # the batches: one chain, their counts the records
    bat = [e["details"] for e in entries
           if e["kind"] == "batch" and e.get("agent") == a]
    prev = "0" * 64
    for b in bat:
        if b["prev"] != prev:
            print(a, "batch", b["first"], "does not follow", prev[:12]); ok = False
        prev = b["sha256"]
    if sum(b["count"] for b in bat) != len(dec):
        print(a, "batch counts", sum(b["count"] for b in bat), "!=",
              len(dec), "records"); ok = False
    print("%s: %d answers received, %d records in %d batches on the server"
          % (a, len(got), len(dec), len(bat)))
sys.exit(0 if ok else 1)
PY
	ok "every answered decision on the server exactly once, seqs 1..N, one chain, nothing refused"
else
	fail "decisions on the server"
fi

# Inclusion proofs of a sample of decision and batch entries against the
# signed checkpoint (its size may trail the log by about a second).
total=$(wc -l <"$W/all.jsonl")
ckpt_covers() {
	curl -sf -m 5 "$SERVER_URL/v1/evidence/checkpoint" >"$W/ckpt" &&
		"$LS" note verify "$W/keys/log.pub" --in "$W/ckpt" >"$W/ckpt.body" &&
		[ "$(sed -n 2p "$W/ckpt.body")" -ge "$total" ]
}
wait_until 10 ckpt_covers || fail "no signed checkpoint covers the $total entries"
size=$(sed -n 2p "$W/ckpt.body")
python3 - "$W/all.jsonl" <<'PY' >"$W/sample"
import json, random, sys
ns = [json.loads(l) for l in open(sys.argv[1])]
dec = [e["n"] for e in ns if e["kind"] == "decision"]
bat = [e["n"] for e in ns if e["kind"] == "batch"]
for n in random.sample(dec, min(30, len(dec))) + random.sample(bat, min(10, len(bat))):
    print(n)
PY
: >"$W/proofs"
while read -r n; do
	curl -s -m 5 "$SERVER_URL/v1/evidence/proof?index=$n&size=$size" >>"$W/proofs"
	echo >>"$W/proofs"
done <"$W/sample"
if python3 "$ROOT/tests/tools/proof_check.py" "$W/all.jsonl" "$W/proofs" "$W/ckpt.body"; then
	ok "inclusion proofs of $(wc -l <"$W/sample") sampled entries verify"
else
	fail "inclusion proofs"
fi

# A clean stop of the last server (LeakSanitizer runs at its exit).
kill -TERM "$SERVER_PID"
wait_until 15 sh -c "! kill -0 $SERVER_PID" || fail "server ignored SIGTERM"
wait "$SERVER_PID" || fail "server exited with $?"
forget_pid "$SERVER_PID"
"$LS" evidence verify "$W/data" >/dev/null || fail "lockstep evidence verify"
finish
