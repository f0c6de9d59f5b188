#!/usr/bin/env bash
# make.sh BIN_DIR OUT.tar.gz - how data.tar.gz was made: with the
# programs of the main branch before the tiled evidence store (commit
# 2e6d931), a server that built v1.0.0 (published) and v1.1.0 (its own
# test fails), enrolled agent-1, and took two of its reports; then a
# clean stop.  The archive holds keys/, repo/ and data/ (with the old
# DATA/evidence/log.jsonl).  evidence_migrate.sh starts today's server
# on it.
set -eu
bin=$(cd "$1" && pwd)
out=$(realpath "$2")
W=$(mktemp -d)
trap 'kill $(cat "$W/pid" 2>/dev/null) 2>/dev/null; rm -rf "$W"' EXIT
LOCKSTEP_BIN=$bin
ls=$bin/lockstep
work=$W
git_q() { git -C "$W/repo" -c user.name=test -c user.email=t@example.org "$@"; }
"$ls" init "$W/keys" --origin test.lockstep >/dev/null
mkdir -p "$W/repo/policy"
git init -q "$W/repo"
printf 'package policy.admission\n\ndeny contains msg if {\n\tinput.privileged\n\tmsg := "no"\n}\n' >"$W/repo/policy/admission.rego"
printf 'package policy.admission_test\n\nimport data.policy.admission\n\ntest_denied if {\n\tcount(admission.deny) == 1 with input as {"privileged": true}\n}\n' >"$W/repo/policy/admission_test.rego"
git_q add -A
git_q commit -qm initial
git_q tag v1.0.0
printf 'package policy.admission_test\n\nimport data.policy.admission\n\ntest_denied if {\n\tcount(admission.deny) == 2 with input as {"privileged": true}\n}\n' >"$W/repo/policy/admission_test.rego"
git_q commit -qam "a failing test"
git_q tag v1.1.0
echo enrol-me >"$W/enroll.token"
"$bin/lockstep-server" --repo "$W/repo" --keys "$W/keys" --data "$W/data" \
    --listen 127.0.0.1:0 --port-file "$W/port" --poll-interval 60 \
    --enroll-token-file "$W/enroll.token" >"$W/server.log" 2>&1 &
echo $! >"$W/pid"
for i in $(seq 100); do [ -s "$W/port" ] && grep -q v1.1.0 "$W/data/evidence/log.jsonl" 2>/dev/null && break; sleep 0.1; done
url="http://$(cat "$W/port")"
"$ls" keygen agent-1 -o "$W/a1" >/dev/null
curl -sf -X POST -H "X-Lockstep-Enroll-Token: enrol-me" \
    --data-binary @"$W/a1/agent-1.pub" "$url/v1/enroll" >/dev/null
sha=$(sed -n 's/^bundle sha256:\([0-9a-f]*\) .*/\1/p' "$W/data/v1/channels/stable/releases/1.note")
for s in 1 2; do
	printf 'lockstep/report/v1\nagent agent-1\nchannel stable\nseq %s\nroot 1\ntimestamp 1\nrelease 1\nbundle sha256:%s\nversion v1.0.0\ntime %s\nstate active\n' \
	    "$s" "$sha" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$W/body"
	"$ls" note sign "$W/a1/agent-1.key" --in "$W/body" >"$W/r$s"
	curl -sf -X POST --data-binary @"$W/r$s" "$url/v1/reports" >/dev/null
done
cp "$W/r2" "$W/report-2.note"
kill -TERM "$(cat "$W/pid")"
while kill -0 "$(cat "$W/pid")" 2>/dev/null; do sleep 0.1; done
rm -f "$W/data/lock"
tar -C "$W" -czf "$out" keys repo data enroll.token report-2.note
