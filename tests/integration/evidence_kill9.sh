#!/usr/bin/env bash
# evidence_kill9.sh - kill -9 of the server at 30 random moments while
# three enrolled agents post signed reports at once (group commit): every
# report answered 202 is in the evidence exactly once, no report is in
# twice, the store verifies, and inclusion proofs of acknowledged entries
# check out against the signed checkpoint.
set -u
. "$(dirname "$0")/lib_server.sh"

KILLS=${LOCKSTEP_KILLS:-30}
PER_AGENT=${LOCKSTEP_KILL_REPORTS:-150}

make_keys
make_repo
tag_repo v1.0.0
echo "enrol-me" >"$work/enroll.token"
chmod 600 "$work/enroll.token"
start_server --enroll-token-file "$work/enroll.token" --allow-shared-enroll-token
check "published" wait_published stable 1
rel=$work/data/v1/channels/stable/releases/1.note
sha=$(body_field "$rel" bundle | sed 's/^sha256:\([0-9a-f]*\) .*/\1/')

# Three agents, enrolled; every report signed up front.
for a in 1 2 3; do
	"$ls" keygen "ag-$a" -o "$work/ag$a" >/dev/null
	code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' -X POST \
	    -H "X-Lockstep-Enroll-Token: enrol-me" \
	    --data-binary @"$work/ag$a/ag-$a.pub" "$url/v1/enroll")
	check "ag-$a enrolled" test "$code" = 201
	mkdir -p "$work/notes$a"
	for s in $(seq 1 "$PER_AGENT"); do
		printf 'lockstep/report/v1\nagent ag-%s\nchannel stable\nseq %s\nroot 1\ntimestamp 1\nrelease 1\nbundle sha256:%s\nversion v1.0.0\ntime %s\nstate active\n' \
		    "$a" "$s" "$sha" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$work/body"
		"$ls" note sign "$work/ag$a/ag-$a.key" --in "$work/body" \
		    >"$work/notes$a/$s"
	done
done

# poster A: post reports in seq order to whatever port the server has
# now; 202 is an acknowledgement, 409 means an earlier try was accepted
# (answer lost to the kill) and the next seq goes; anything else retries.
poster() {
	local a=$1 s=1 code tries=0
	while [ "$s" -le "$PER_AGENT" ] && [ "$tries" -lt 20000 ]; do
		tries=$((tries + 1))
		[ -f "$work/stop" ] && break
		code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' -X POST \
		    --data-binary @"$work/notes$a/$s" \
		    "http://$(cat "$work/port" 2>/dev/null)/v1/reports")
		case "$code" in
		202) echo "ag-$a $s" >>"$work/acks"; s=$((s + 1)) ;;
		409) s=$((s + 1)) ;;
		*) sleep 0.05 ;;
		esac
	done
}
: >"$work/acks"
for a in 1 2 3; do
	poster "$a" &
	pids+=($!)
	posters+=($!)
done

for k in $(seq 1 "$KILLS"); do
	sleep "0.$((RANDOM % 8 + 2))"
	kill -KILL "$srv_pid" 2>/dev/null
	wait "$srv_pid" 2>/dev/null
	start_server --enroll-token-file "$work/enroll.token" --allow-shared-enroll-token
done
touch "$work/stop"
for p in "${posters[@]}"; do wait "$p"; done
acked=$(wc -l <"$work/acks")
check "reports were acknowledged across $KILLS kills ($acked)" test "$acked" -gt 0

check "signed checkpoint catches up" wait_until 20 sh -c \
    "curl -sf -m 5 '$url/v1/evidence/checkpoint' | sed -n 2p | grep -q ."
stop_server
"$ls" evidence cat "$work/data" >"$work/all.jsonl"
check "store verifies" "$ls" evidence verify "$work/data"
check "every acknowledged report exactly once, none twice" \
    python3 - "$work/all.jsonl" "$work/acks" <<'PY'
import collections, json, sys
seen = collections.Counter()
for i, l in enumerate(open(sys.argv[1])):
    e = json.loads(l)
    assert e["n"] == i, ("n out of order", i, e["n"])
    if e["kind"] == "report":
        seen[(e["agent"], e["details"]["seq"])] += 1
dups = [k for k, v in seen.items() if v > 1]
assert not dups, ("duplicates", dups[:5])
missing = []
for l in open(sys.argv[2]):
    a, s = l.split()
    if seen[(a, int(s))] != 1:
        missing.append((a, s))
assert not missing, ("acknowledged but missing", missing[:5])
print("reports", sum(seen.values()))
PY

# Proofs of acknowledged entries against the signed checkpoint.
start_server --enroll-token-file "$work/enroll.token" --allow-shared-enroll-token
curl -sf -m 5 "$url/v1/evidence/checkpoint" >"$work/ckpt"
"$ls" note verify "$work/keys/log.pub" --in "$work/ckpt" >"$work/ckpt.body"
size=$(sed -n 2p "$work/ckpt.body")
: >"$work/proofs"
for idx in 0 $((size / 3)) $((size / 2)) $((size - 1)); do
	curl -sf -m 5 "$url/v1/evidence/proof?index=$idx&size=$size" >>"$work/proofs"
done
check "inclusion proofs verify against the signed root" \
    python3 "$LOCKSTEP_ROOT/tests/tools/proof_check.py" "$work/all.jsonl" \
    "$work/proofs" "$work/ckpt.body"
stop_server
finish
