#!/usr/bin/env bash
# agent_root_expiry.sh - a root version past its `expires` is not trusted
# for new documents (TUF 5.3.10): a validly signed root 2 that expired in
# 2020 freezes the agent (state stale, still enforcing, a clear error)
# until an unexpired root 3 appears; an expired intermediate root in the
# chain is fine (only the newest one's expiry counts).  The server
# refuses to start on an expired newest root, and to sign once it has
# expired; `lockstep root verify` refuses an expired chain end.
. "$(dirname "$0")/libagent.sh"
setup_world
start_agent a "$MIRROR_URL"
expect_version a v1 30 "first activation"
root1=$W/keys/1.root.note
next_year=$(date -u -d '+1 year' +%Y-%m-%dT%H:%M:%SZ)
mkdir -p "$W/ov/v1/root"
python3 "$FORGE" root --lockstep "$LS" --key "$W/keys/root.key" \
	--out "$W/ov/v1/root/2.note" --base "$root1" --version 2 \
	--expires 2020-01-01T00:00:00Z || die "forge root 2"

# The CLI walks the chain and names the expired version.
if out=$("$LS" root verify "$root1" "$W/ov/v1/root/2.note" 2>&1); then
	fail "root verify accepted an expired root 2"
elif echo "$out" | grep -q 'root version 2 expired'; then
	ok "root verify refuses the expired root ($out)"
else
	fail "root verify: '$out' does not name root version 2 expired"
fi

# note verify against a role of the newest root of a chain.
if out=$("$LS" note verify --root "$root1" --role timestamp \
	--in "$DATA_CH/timestamp.note" 2>&1) && echo "$out" | grep -q '^lockstep/timestamp/v1$'; then
	ok "note verify --root --role timestamp"
else
	fail "note verify --root 1 --role timestamp: $out"
fi
if out=$("$LS" note verify --root "$root1" --root "$W/ov/v1/root/2.note" \
	--role timestamp --in "$DATA_CH/timestamp.note" 2>&1); then
	fail "note verify accepted a chain ending in an expired root"
elif echo "$out" | grep -q 'root version 2 expired'; then
	ok "note verify refuses an expired root ($out)"
else
	fail "note verify with an expired root: '$out'"
fi
if "$LS" note verify --root "$root1" --role release \
	--in "$DATA_CH/timestamp.note" >/dev/null 2>&1; then
	fail "note verify --role release accepted a timestamp"
fi

mirror "root overlay $W/ov"
tag v2
wait_until 60 published_version v2 || die "v2 not published"
if wait_until 30 refused a 'root version 2 expired'; then
	ok "expired root 2 refused ($(last_error a))"
else
	fail "expired root 2: state $(status a state): $(last_error a)"
fi
wait_until 5 is_state a stale || fail "expired root: state $(status a state), want stale"
hold a v1 2 "expired root (freeze)"
wait_until 5 is_state a stale || fail "expired root: state left stale while frozen"
curl -s --max-time 5 "http://$(cat "$W/a.port")/v1/status" |
	grep -q '"state":"stale"' || fail "GET /v1/status does not say stale"
log_has a 'queued report [0-9]* (state, stale)' 10 ||
	fail "no signed report of the stale state was queued"

# Root 3, signed by root 2's keys and unexpired: the agent recovers.
python3 "$FORGE" root --lockstep "$LS" --key "$W/keys/root.key" \
	--out "$W/ov/v1/root/3.note" --base "$W/ov/v1/root/2.note" \
	--version 3 --expires "$next_year" || die "forge root 3"
expect_version a v2 30 "unexpired root 3"
wait_until 10 is_state a active || fail "root 3: state $(status a state)"
root_is() { [ "$(status "$1" root_version)" = "$2" ]; }
wait_until 10 root_is a 3 || fail "root_version $(status a root_version), want 3"
if out=$("$LS" root verify "$root1" "$W/ov/v1/root/2.note" \
	"$W/ov/v1/root/3.note" 2>&1); then
	ok "root verify: an expired intermediate root is fine"
else
	fail "root verify 1 2 3: $out"
fi

# A fresh agent walks 1 -> 2 (expired) -> 3.
start_agent b "$MIRROR_URL"
expect_version b v2 30 "fresh agent through an expired intermediate root"

# With nothing new to apply: root 4 expired freezes, root 5 ends it.
python3 "$FORGE" root --lockstep "$LS" --key "$W/keys/root.key" \
	--out "$W/ov/v1/root/4.note" --base "$W/ov/v1/root/3.note" \
	--version 4 --expires 2021-06-01T00:00:00Z || die "forge root 4"
if wait_until 30 refused a 'root version 4 expired'; then
	ok "expired root 4 refused ($(last_error a))"
else
	fail "expired root 4: state $(status a state): $(last_error a)"
fi
wait_until 5 is_state a stale || fail "expired root 4: state $(status a state), want stale"
python3 "$FORGE" root --lockstep "$LS" --key "$W/keys/root.key" \
	--out "$W/ov/v1/root/5.note" --base "$W/ov/v1/root/4.note" \
	--version 5 --expires "$next_year" || die "forge root 5"
if wait_until 30 is_state a active; then
	ok "root 5 ends the freeze with nothing new to apply"
else
	fail "root 5: state $(status a state): $(last_error a)"
fi
[ -z "$(last_error a)" ] || fail "root 5: last_error '$(last_error a)' kept"
hold a v2 1 "after root 5"

# Server: refuses to start when the newest root has expired.
cp -a "$W/keys" "$W/keys2"
cp "$W/ov/v1/root/2.note" "$W/keys2/2.root.note"
rm -f "$W/s2.port"
timeout 30 "$SERVER" --repo "$W/repo" --keys "$W/keys2" --data "$W/data2" \
	--listen 127.0.0.1:0 --port-file "$W/s2.port" >"$W/s2.out" 2>&1
rc=$?
if [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] &&
	grep -q 'root version 2 expired' "$W/s2.out"; then
	ok "server refuses an expired newest root ($(head -c 200 "$W/s2.out"))"
else
	fail "server with an expired root: exit $rc: $(head -c 300 "$W/s2.out")"
fi

# Server: a root that expires while it runs; past that it signs nothing.
cp -a "$W/keys" "$W/keys3"
soon=$(date -u -d '+6 seconds' +%Y-%m-%dT%H:%M:%SZ)
python3 "$FORGE" root --lockstep "$LS" --key "$W/keys/root.key" \
	--out "$W/keys3/2.root.note" --base "$root1" --version 2 \
	--expires "$soon" || die "forge root 2 (soon)"
rm -f "$W/s3.port"
"$SERVER" --repo "$W/repo" --keys "$W/keys3" --data "$W/data3" \
	--listen 127.0.0.1:0 --port-file "$W/s3.port" --poll-interval 1 \
	--channel stable='v*' --timestamp-ttl 2 >"$W/s3.log" 2>&1 &
PIDS+=("$!")
wait_until 20 test -s "$W/s3.port" || fail "server with an unexpired root did not start"
while [ "$(date -u +%s)" -le "$(date -u -d "$soon" +%s)" ]; do sleep 0.5; done
tag v3
wait_until 60 published_version v3 || die "v3 not published by the main server"
if wait_until 20 grep -q 'root version 2 expired' "$W/s3.log"; then
	ok "server stops signing once its root expired"
else
	fail "server past its root's expiry: $(tail -n 5 "$W/s3.log")"
fi
sleep 2
n=$(grep -c 'timestamps are no longer re-signed' "$W/s3.log")
[ "$n" = 1 ] || fail "server reported its expired root $n times, want once"
if grep -lq '^version v3$' "$W/data3/v1/channels/stable/releases/"*.note 2>/dev/null; then
	fail "server signed release v3 under an expired root"
fi
ts_exp=$(sed -n 's/^expires //p' "$W/data3/v1/channels/stable/timestamp.note" 2>/dev/null)
if [ -n "$ts_exp" ] && [ "$(date -u -d "$ts_exp" +%s)" -gt "$(date -u -d "$soon" +%s)" ]; then
	fail "server signed a timestamp that outlives its root ($ts_exp > $soon)"
fi
finish
