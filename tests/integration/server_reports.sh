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
chmod 600 "$work/enroll.token" "$work/admin.token"
start_server --enroll-token-file "$work/enroll.token" --allow-shared-enroll-token \
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

report agent-1 1 "$work/a1/agent-1.key" >"$work/r1"
check "valid report: 202" test "$(post "$work/r1")" = 202
check "report is in the evidence" evgrep '"kind":"report","channel":"stable","agent":"agent-1".*"seq":1'
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
# Queries answer against the signed checkpoint (its first line), which
# follows appends within a second.
q() { curl -s -m 5 "$url/v1/evidence?$1" | tail -n +2; }
q_count() { test "$(q "$1" | wc -l)" -eq "$2"; }
check "checkpoint catches up" wait_until 10 q_count "kind=report" 3
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
idx=$(grep -n '"kind":"report"' "$(evlog)" | head -1 | cut -d: -f1)
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
    python3 "$LOCKSTEP_ROOT/tests/tools/proof_check.py" "$(evlog)" \
    "$work/proof" "$work/ckpt.body"
check "proof past the tree: 404" test "$(http_code "$url/v1/evidence/proof?index=999999")" = 404

# The tlog tiles are served immutable, and the tree of the checkpoint can
# be rebuilt from them offline; a consistency proof from an older size.
curl -s -m 5 -D "$work/th" -o "$work/tile0" "$url/v1/evidence/tile/0/000.p/$size"
check "level-0 tile of the checkpoint served immutable" grep -qi \
    'Cache-Control: .*immutable' "$work/th"
curl -s -m 5 -o "$work/bundle0" "$url/v1/evidence/tile/entries/000.p/$size"
check "tiles and entry bundle rebuild the signed root" \
    python3 - "$work/tile0" "$work/bundle0" "$work/ckpt.body" <<'PY'
import base64, hashlib, sys
tile, bundle = open(sys.argv[1], "rb").read(), open(sys.argv[2], "rb").read()
body = open(sys.argv[3]).read().split("\n")
size, root = int(body[1]), base64.b64decode(body[2])
h = lambda b: hashlib.sha256(b).digest()
leaves, i = [], 0
while i < len(bundle):
    n = bundle[i] << 8 | bundle[i + 1]; i += 2
    leaves.append(h(b"\0" + bundle[i:i + n])); i += n
assert len(leaves) == size and tile == b"".join(leaves)
def mth(v):
    if len(v) == 1: return v[0]
    k = 1
    while k * 2 < len(v): k *= 2
    return h(b"\1" + mth(v[:k]) + mth(v[k:]))
assert mth(leaves) == root
PY
curl -s -m 5 "$url/v1/evidence/consistency?from=3&to=$size" >"$work/cons"
check "consistency proof from 3 to $size verifies" \
    python3 - "$work/bundle0" "$work/cons" "$work/ckpt.body" <<'PY'
import base64, hashlib, json, sys
bundle = open(sys.argv[1], "rb").read()
c = json.load(open(sys.argv[2]))
body = open(sys.argv[3]).read().split("\n")
root2 = base64.b64decode(body[2])
h = lambda b: hashlib.sha256(b).digest()
leaves, i = [], 0
while i < len(bundle):
    n = bundle[i] << 8 | bundle[i + 1]; i += 2
    leaves.append(h(b"\0" + bundle[i:i + n])); i += n
def mth(v):
    if len(v) == 1: return v[0]
    k = 1
    while k * 2 < len(v): k *= 2
    return h(b"\1" + mth(v[:k]) + mth(v[k:]))
m, n = c["from"], c["to"]
root1 = mth(leaves[:m])
proof = [base64.b64decode(p) for p in c["proof"]]
if m & (m - 1) == 0: proof = [root1] + proof
fn, sn = m - 1, n - 1
while fn & 1: fn >>= 1; sn >>= 1
fr = sr = proof[0]
for p in proof[1:]:
    assert sn != 0
    if fn & 1 or fn == sn:
        fr = h(b"\1" + p + fr); sr = h(b"\1" + p + sr)
        while not fn & 1 and fn != 0: fn >>= 1; sn >>= 1
    else:
        sr = h(b"\1" + sr + p)
    fn >>= 1; sn >>= 1
assert sn == 0 and fr == root1 and sr == root2
PY
check "tile path outside the tiles: 404" test \
    "$(http_code "$url/v1/evidence/tile/../index.sqlite")" = 404

# Queries are rate limited per client address.
# (one curl, one connection: 300 queries well inside a second's refill)
codes=$(curl -s -m 60 $(for i in $(seq 1 300); do echo "-o /dev/null $url/v1/evidence?kind=none"; done) \
    -w '%{http_code}\n' | sort | uniq -c)
check "a burst of queries meets 429 ($(echo $codes))" sh -c "echo '$codes' | grep -q ' 429'"

# Replay protection survives a restart.
stop_server
start_server --enroll-token-file "$work/enroll.token" --allow-shared-enroll-token
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
# A partition file removed, or a hash tile damaged: verify must see it.
part=$(find "$work/data/evidence/partitions" -name '*.jsonl' | sort | tail -1)
mv "$part" "$work/part.bak"
if "$ls" evidence verify "$work/data" 2>"$work/err"; then
	fail "missing partition file verified"
else
	ok "missing partition refused: $(cat "$work/err")"
fi
mv "$work/part.bak" "$part"
tile=$(find "$work/data/evidence/tile/0" -type f | sort | tail -1)
cp "$tile" "$work/tile.bak"
printf 'x' | dd of="$tile" bs=1 seek=5 conv=notrunc 2>/dev/null
if "$ls" evidence verify "$work/data" 2>"$work/err"; then
	fail "damaged tile verified"
else
	ok "damaged tile refused: $(cat "$work/err")"
fi
cp "$work/tile.bak" "$tile"
check "verifies again" "$ls" evidence verify "$work/data"
finish
