#!/usr/bin/env bash
# agent_attack_docs.sh - a replayed older timestamp (rollback), the current
# timestamp served past its expiry (freeze: stale, still enforcing), a
# release of another channel behind a validly signed timestamp, and a
# bundle whose hash differs from the release.
TS_TTL=4
. "$(dirname "$0")/libagent.sh"
setup_world
start_agent a "$MIRROR_URL"
expect_version a v1 30 "first activation"
cp "$DATA_CH/timestamp.note" "$W/old-timestamp.note"
cp "$W/data/v1/bundles/$(sed -n 's/^bundle sha256:\([0-9a-f]*\) .*/\1/p' \
	"$DATA_CH/releases/$(cur_rel_seq).note").tar.gz" "$W/v1.tar.gz"
tag v2
wait_until 60 published_version v2 || die "v2 not published"
expect_version a v2 30 "normal update"

run_attack a "replayed older timestamp (rollback)" v2 v3 \
	'rollback' 1 "timestamp file $W/old-timestamp.note"

# Freeze: a mirror stuck on the current timestamp until it expires.
cp "$DATA_CH/timestamp.note" "$W/frozen.note"
mirror "timestamp file $W/frozen.note"
if wait_until 15 is_state a stale; then
	ok "expired timestamp: state stale ($(last_error a))"
else
	fail "expired timestamp: state $(status a state), want stale"
fi
hold a v3 2 "expired timestamp (freeze)"
is_state a stale || fail "expired timestamp: state left stale while frozen"
curl -s --max-time 5 "http://$(cat "$W/a.port")/v1/status" |
	grep -q '"state":"stale"' || fail "GET /v1/status does not say stale"
mirror_off
if wait_until 15 is_state a active; then
	ok "freeze over: state active again"
else
	fail "freeze over: state $(status a state)"
fi
tag v4
wait_until 60 published_version v4 || die "v4 not published"
expect_version a v4 30 "update after the freeze"

# Another channel's release, named by a timestamp with a valid signature.
tag b1
wait_until 60 test -f "$W/data/v1/channels/beta/releases/1.note" ||
	die "beta release not published"
mkdir -p "$W/ov1/v1/channels/stable/releases"
cp "$W/data/v1/channels/beta/releases/1.note" \
	"$W/ov1/v1/channels/stable/releases/1.note"
# The server re-signs the timestamp every TS_TTL/2 s: a forged seq only
# one ahead can already be the agent's by the time the mirror serves it
# under load (then the agent ignores it as nothing new, and the attack is
# never tried).  Five ahead stays new for ~10 s.
python3 "$FORGE" timestamp --lockstep "$LS" --key "$W/keys/timestamp.key" \
	--out "$W/ov1/v1/channels/stable/timestamp.note" \
	--origin lockstep-test --channel stable --seq $(($(cur_ts_seq) + 5)) \
	--release-seq 1 --release-note "$W/ov1/v1/channels/stable/releases/1.note" ||
	die "forge timestamp"
run_attack a "release of another channel" v4 v5 'channel beta' 1 \
	"any overlay $W/ov1"

run_attack a "bundle whose hash differs from the release" v5 v6 \
	'bundle: |larger than|above' 1 "bundle file $W/v1.tar.gz"
finish
