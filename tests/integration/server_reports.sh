#!/usr/bin/env bash
# server_reports.sh - enrolment (token, agent add) and signed agent
# reports: accepted ones are evidence; unsigned, forged, unknown, replayed,
# malformed and oversized ones are refused with 4xx and counted.
set -u
. "$(dirname "$0")/lib_server.sh"

make_keys
make_repo
tag_repo v1.0.0
echo "enrol-me" >"$work/enroll.token"
echo "admin-token" >"$work/admin.token"
start_server --enroll-token-file "$work/enroll.token" \
    --admin-token-file "$work/admin.token"
check "published" wait_published stable 1
"$ls" keygen agent-1 -o "$work/a1" >/dev/null
"$ls" keygen agent-2 -o "$work/a2" >/dev/null
"$ls" keygen agent-1 -o "$work/evil" >/dev/null	# same name, other key
"$ls" keygen agent-3 -o "$work/a3" >/dev/null

enroll() {	# enroll TOKEN PUBFILE -> HTTP code
	curl -s -m 5 -o /dev/null -w '%{http_code}' -X POST \
	    ${1:+-H "X-Lockstep-Enroll-Token: $1"} --data-binary @"$2" \
	    "$url/v1/enroll"
}
check "enrol with the token: 201" test "$(enroll enrol-me "$work/a1/agent-1.pub")" = 201
check "same key again: 200" test "$(enroll enrol-me "$work/a1/agent-1.pub")" = 200
check "name taken by another key: 409" test "$(enroll enrol-me "$work/evil/agent-1.pub")" = 409
check "wrong token: 403" test "$(enroll wrong "$work/a2/agent-2.pub")" = 403
check "no token: 403" test "$(enroll '' "$work/a2/agent-2.pub")" = 403
echo "not a key" >"$work/junk.pub"
check "junk key: 400" test "$(enroll enrol-me "$work/junk.pub")" = 400
check "agent add through the admin API" "$ls" agent add agent-2 \
    "$work/a2/agent-2.pub" --server "$url" --token-file "$work/admin.token"
check "agent file written" test -f "$work/data/agents/agent-2.pub"

rel=$work/data/v1/channels/stable/releases/1.note
sha=$(body_field "$rel" bundle | sed 's/^sha256:\([0-9a-f]*\) .*/\1/')
report() {	# report AGENT SEQ KEYFILE -> signed note on stdout
	printf 'lockstep/report/v1\nagent %s\nchannel stable\nseq %s\nroot 1\ntimestamp 1\nrelease 1\nbundle sha256:%s\nversion v1.0.0\ntime %s\nstate active\n' \
	    "$1" "$2" "$sha" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$work/body"
	"$ls" note sign "$3" --in "$work/body"
}
post() {	# post FILE -> HTTP code
	curl -s -m 5 -o "$work/answer" -w '%{http_code}' -X POST \
	    --data-binary @"$1" "$url/v1/reports"
}
report agent-1 1 "$work/a1/agent-1.key" >"$work/r1"
check "valid report: 202" test "$(post "$work/r1")" = 202
check "report is in the evidence" grep -q \
    '"kind":"report","channel":"stable","agent":"agent-1".*"seq":1' \
    "$work/data/evidence/log.jsonl"
check "replayed report: 409" test "$(post "$work/r1")" = 409
report agent-1 2 "$work/a1/agent-1.key" >"$work/r2"
check "next seq: 202" test "$(post "$work/r2")" = 202
report agent-1 2 "$work/a1/agent-1.key" >"$work/r2b"
check "same seq, fresh signature: 409" test "$(post "$work/r2b")" = 409
report agent-1 3 "$work/evil/agent-1.key" >"$work/forged"
check "forged (other key, same name): 403" test "$(post "$work/forged")" = 403
report agent-3 1 "$work/a3/agent-3.key" >"$work/unknown"
check "unknown agent: 403" test "$(post "$work/unknown")" = 403
report agent-2 1 "$work/a1/agent-1.key" >"$work/wrongname"
check "signed by another enrolled agent: 403" test "$(post "$work/wrongname")" = 403
cp "$work/body" "$work/unsigned"
check "unsigned body: 400" test "$(post "$work/unsigned")" = 400
report agent-1 4 "$work/a1/agent-1.key" >"$work/flip"
sed -i 's/^state active$/state stale/' "$work/flip"
check "flipped byte: 403" test "$(post "$work/flip")" = 403
printf 'lockstep/release/v1\nfoo bar\n' | "$ls" note sign "$work/a1/agent-1.key" >"$work/other"
check "not a report: 400" test "$(post "$work/other")" = 400
head -c 70000 /dev/zero | tr '\0' 'a' >"$work/big"
check "oversized: 413" test "$(post "$work/big")" = 413
report agent-2 1 "$work/a2/agent-2.key" >"$work/r21"
check "agent-2 report: 202" test "$(post "$work/r21")" = 202

curl -s -m 5 "$url/metrics" >"$work/metrics"
check "accepted counted" grep -qx 'lockstep_reports_total{result="accepted"} 3' "$work/metrics"
check "replays counted" grep -qx 'lockstep_reports_total{result="replayed"} 2' "$work/metrics"
check "forbidden counted" grep -qx 'lockstep_reports_total{result="forbidden"} 4' "$work/metrics"
check "malformed counted" grep -qx 'lockstep_reports_total{result="malformed"} 2' "$work/metrics"
check "oversized counted" grep -qx 'lockstep_reports_total{result="too_big"} 1' "$work/metrics"

# Evidence queries.
q() { curl -s -m 5 "$url/v1/evidence?$1"; }
check "query by agent (enrolment + 2 reports)" test "$(q 'agent=agent-1' | wc -l)" -eq 3
check "query by kind=report" test "$(q 'kind=report' | wc -l)" -eq 3
check "query by kind and agent" test "$(q 'kind=report&agent=agent-2' | wc -l)" -eq 1
today=$(date -u +%Y-%m-%d)
check "query by period (today)" test "$(q "kind=report&since=$today&until=$today" | wc -l)" -eq 3
check "query by period (yesterday)" test "$(q "kind=report&until=$(date -u -d yesterday +%Y-%m-%d)" | wc -l)" -eq 0
check "bad since: 400" test "$(http_code "$url/v1/evidence?since=yesterday")" = 400
check "query by channel" test "$(q 'channel=stable&kind=publish' | wc -l)" -eq 1

# Signed checkpoint and an inclusion proof, checked offline.  The server
# signs a checkpoint within a second of the log growing.
idx=$(grep -n '"kind":"report"' "$work/data/evidence/log.jsonl" | head -1 | cut -d: -f1)
idx=$((idx - 1))
ckpt_covers() {
	curl -sf -m 5 "$url/v1/evidence/checkpoint" >"$work/ckpt" &&
	    "$ls" note verify "$work/keys/log.pub" --in "$work/ckpt" \
	    >"$work/ckpt.body" && [ "$(sed -n 2p "$work/ckpt.body")" -gt "$idx" ]
}
check "signed checkpoint covers entry $idx" wait_until 10 ckpt_covers
size=$(sed -n 2p "$work/ckpt.body")
curl -s -m 5 "$url/v1/evidence/proof?index=$idx&size=$size" >"$work/proof"
sed -n "$((idx + 1))p" "$work/data/evidence/log.jsonl" >"$work/entry"
check "inclusion proof of report entry $idx in the signed tree of $size" \
    python3 "$(dirname "$0")/lib_proof.py" "$work/ckpt.body" "$work/entry" "$work/proof"
check "proof past the tree: 404" test "$(http_code "$url/v1/evidence/proof?index=999999")" = 404

# Replay protection survives a restart.
stop_server
start_server --enroll-token-file "$work/enroll.token"
check "replay after restart: 409" test "$(post "$work/r2")" = 409
report agent-1 5 "$work/a1/agent-1.key" >"$work/r5"
check "new report after restart: 202" test "$(post "$work/r5")" = 202
stop_server

# Enrolment off without the token file; agent add on the data folder.
start_server
check "enrolment off: 403" test "$(enroll enrol-me "$work/a3/agent-3.pub")" = 403
stop_server
check "agent add on the data folder" "$ls" agent add agent-3 \
    "$(cat "$work/a3/agent-3.pub")" --data "$work/data"
"$ls" agent add agent-3 "$work/a1/agent-1.pub" --data "$work/data" 2>/dev/null &&
	fail "agent add with a mismatched name succeeded"
check "evidence and checkpoint verify" "$ls" evidence verify "$work/data"
# Cutting entries off the end keeps the chain valid but not the signed
# checkpoint: verify must see it.
cp "$work/data/evidence/log.jsonl" "$work/log.bak"
head -n -2 "$work/log.bak" >"$work/data/evidence/log.jsonl"
if "$ls" evidence verify "$work/data" 2>"$work/err"; then
	fail "truncated log verified"
else
	ok "truncated log refused: $(cat "$work/err")"
fi
cp "$work/log.bak" "$work/data/evidence/log.jsonl"
finish
