#!/usr/bin/env bash
# evidence_migrate.sh - a data folder made by the server before the tiled
# evidence store (tests/data/evidence-v0, see its make.sh) is migrated on
# first start: every old entry re-appended in order with its time, the
# old log kept as log.jsonl.migrated, start-up state carried over (the
# failed tag is not rebuilt, a replayed report is refused), the store and
# its checkpoint verify.  A broken old chain is refused with a message.
set -u
. "$(dirname "$0")/lib_server.sh"

tar -C "$work" -xzf "$LOCKSTEP_ROOT/tests/data/evidence-v0/data.tar.gz"
# secrets as today's server requires them (the old server did not check)
chmod 600 "$work/enroll.token" "$work"/keys/*.key
old=$work/data/evidence/log.jsonl
cp "$old" "$work/old.jsonl"
cp -a "$work/data" "$work/data.orig"

start_server --enroll-token-file "$work/enroll.token" --allow-shared-enroll-token
check "old log renamed" test -f "$old.migrated" -a ! -e "$old"
check "old checkpoint kept aside" test -f "$work/data/evidence/checkpoint.note.migrated"
check "entries carried over in order, unchanged but for prev" \
    python3 - "$work/old.jsonl" "$(evlog)" <<'PY'
import json, sys
old = [json.loads(l) for l in open(sys.argv[1])]
new = [json.loads(l) for l in open(sys.argv[2])]
assert len(new) >= len(old), (len(new), len(old))
for o, n in zip(old, new):
    o.pop("prev")
    assert o == n, (o, n)
PY
refresh
sleep 1.5
check "the failed tag is not built again" test \
    "$(grep -c '"kind":"build".*"tag":"v1.1.0"' "$(evlog)")" -eq 1
check "a replayed report is refused (report seqs carried over)" test \
    "$(curl -s -m 5 -o /dev/null -w '%{http_code}' -X POST \
    --data-binary @"$work/report-2.note" "$url/v1/reports")" = 409
stop_server
check "store and checkpoint verify" "$ls" evidence verify "$work/data"
start_server --enroll-token-file "$work/enroll.token" --allow-shared-enroll-token
check "second start: nothing migrated again" test \
    "$(wc -l <"$(evlog)")" -eq "$(wc -l <"$work/old.jsonl")"
stop_server

# A broken chain in the old log: the server refuses to start and says how.
rm -rf "$work/data"
cp -a "$work/data.orig" "$work/data"
sed -i '3s/"prev":"[0-9a-f]\{4\}/"prev":"0000/' "$old"
if timeout 20 "$srv" --repo "$work/repo" --keys "$work/keys" --data "$work/data" \
    --listen 127.0.0.1:0 >"$work/broken.log" 2>&1; then
	fail "server started on a broken old log"
else
	check "refusal names the file and what to do" grep -q \
	    "log.jsonl: entry 2: .*move the file away" "$work/broken.log"
fi
finish
