#!/usr/bin/env bash
# agent_basic.sh - the agent against the real server: first activation,
# status (CLI and HTTP), health, decisions, --on-activate, mirrors tried in
# turn, --once, updates without dropping a decision, and a restart with
# no network that still enforces the last activated bundle.
. "$(dirname "$0")/libagent.sh"
"$AGENT" --help | grep -q "usage: lockstep-agent" || fail "--help"
"$AGENT" --state "$W/nothing" status --json 2>"$W/err" && fail "status without state succeeded"
[ "$(wc -l <"$W/err")" -eq 1 ] || fail "status without state: $(cat "$W/err")"
"$AGENT" --server ftp://x --root r --state s --channel c 2>"$W/err" &&
	fail "ftp:// accepted"
grep -q -- "--server" "$W/err" || fail "bad --server message: $(cat "$W/err")"
setup_world
dead=http://127.0.0.1:9	# nothing listens on the discard port
start_agent a "$dead" --server "$SERVER_URL" \
	--on-activate "env | grep ^LOCKSTEP_ | sort > '$W/hook.env'"
expect_version a v1 30 "first activation (second mirror)"
api=http://$(cat "$W/a.port")
curl -sf --max-time 5 "$api/health" | grep -q ok || fail "GET /health"
st=$(curl -sf --max-time 5 "$api/v1/status")
keys=$(echo "$st" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(" ".join(sorted(d)), " ".join(sorted(d["active"])))')
[ "$keys" = "active channel last_error root_version state timestamp_seq activated_at seq sha256 version" ] ||
	fail "status fields: $keys"
cli=$("$AGENT" --state "$W/a" status --json)
[ "$(echo "$cli" | python3 -c 'import json,sys; print(sorted(json.load(sys.stdin)))')" = \
  "$(echo "$st" | python3 -c 'import json,sys; print(sorted(json.load(sys.stdin)))')" ] ||
	fail "status --json and /v1/status differ"
ok "status: $cli"
# decide PATH BODY: the answer without its decision_id, which must be
# there ("AGENT-SEQ", as OPA answers with decision logging on).
decide() {
	curl -s --max-time 5 -X POST -d "$2" "$api/v1/data/$1" |
		python3 -c 'import json, re, sys
d = json.load(sys.stdin)
if not re.fullmatch(r"a-[0-9]+", d.pop("decision_id", "")):
    print("no decision_id"); sys.exit()
print(json.dumps(d, separators=(",", ":")))'
}
[ "$(decide agenttest/allow '{"input": {"user": "admin"}}')" = '{"result":true}' ] ||
	fail "decision allow admin: $(decide agenttest/allow '{"input": {"user": "admin"}}')"
[ "$(decide agenttest/allow '{"input": {"user": "eve"}}')" = '{"result":false}' ] ||
	fail "decision allow eve: $(decide agenttest/allow '{"input": {"user": "eve"}}')"
[ "$(decide agenttest '{"input": {"user": "eve"}}')" = '{"result":{"allow":false,"version":"v1"}}' ] ||
	fail "decision on the package: $(decide agenttest '{"input": {"user": "eve"}}')"
[ "$(decide agenttest/nothing '{"input": {}}')" = '{}' ] || fail "undefined decision"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -X POST -d '{"input": ' "$api/v1/data/agenttest/allow")
[ "$code" = 400 ] || fail "malformed input: HTTP $code"
ok "decisions answer like OPA"
# Long polling: the server holds each request (--long-poll 5), so in 6 s
# with nothing new the agent sends one or two timestamp requests, each
# held by the server, and never spins.
longpolls() {
	curl -s --max-time 5 "$SERVER_URL/metrics" |
		awk '$1 == "lockstep_longpolls_total" { print $2 }'
}
n0=$(longpolls)
sleep 6
n=$(($(longpolls) - n0))
if [ "$n" -ge 1 ] && [ "$n" -le 3 ]; then
	ok "long polling: $n held requests in 6 s"
else
	fail "long polling: $n held requests in 6 s, want 1..3"
fi
grep -q "^LOCKSTEP_VERSION=v1$" "$W/hook.env" || fail "--on-activate env: $(cat "$W/hook.env")"
sha=$(status a active.sha256)
grep -q "^LOCKSTEP_SHA256=$sha$" "$W/hook.env" || fail "--on-activate sha256"
d=$(sed -n 's/^LOCKSTEP_BUNDLE_DIR=//p' "$W/hook.env")
[ -f "$d/policy/agenttest.rego" ] || fail "--on-activate bundle dir $d"
ok "--on-activate ran with the bundle in its environment"

# Decisions keep flowing while a new bundle activates.
( for i in $(seq 1 300); do
	curl -s --max-time 5 -o /dev/null -w '%{http_code}\n' -X POST \
		-d '{"input": {}}' "$api/v1/data/agenttest/version"
  done >"$W/codes" ) &
loop=$!
PIDS+=("$loop")
tag v2
wait_until 60 published_version v2 || die "v2 not published"
expect_version a v2 30 "update while answering decisions"
wait "$loop"
bad=$(grep -vc '^200$' "$W/codes")
[ "$bad" -eq 0 ] || fail "$bad of 300 decisions failed during the update"
ok "$(wc -l <"$W/codes") decisions during the update, none dropped"
grep -q "^LOCKSTEP_VERSION=v2$" "$W/hook.env" || fail "--on-activate for v2"

# An operator rollback is a new, higher seq pointing at v1's bytes.
seq2=$(status a active.seq)
curl -sf --max-time 10 -X POST -H "Authorization: Bearer $(cat "$W/admin.token")" \
	-d '{"channel": "stable", "version": "v1", "owner": "ops", "reason": "agent test", "until": "2030-01-01"}' \
	"$SERVER_URL/v1/admin/rollback" >/dev/null || fail "admin rollback refused"
expect_version a v1 30 "operator rollback"
[ "$(status a active.seq)" -gt "$seq2" ] ||
	fail "rollback: seq $(status a active.seq) not above $seq2"

# --once on a fresh state, and against nothing.
"$AGENT" --server "$SERVER_URL" --root "$W/keys/1.root.note" --state "$W/o" \
	--channel stable --once 2>"$W/once.err" || fail "--once: $(cat "$W/once.err")"
[ "$(status o active.version)" = v1 ] || fail "--once did not activate the rollback"
"$AGENT" --server "$dead" --root "$W/keys/1.root.note" --state "$W/o2" \
	--channel stable --once 2>/dev/null && fail "--once with no server exited 0"
ok "--once"

# Restart with no network: still enforcing what was activated last.
stop_agent a
stop_server
start_agent a "$dead"
if wait_until 10 enforces a v1; then
	ok "restart without network: enforcing v1"
else
	fail "restart without network: enforcing '$(enforced a)'"
fi
finish
