#!/usr/bin/env bash
# agent_attack_root.sh - root rotation: a root 2 signed only by the new
# root key, only by the old one, and a "2.note" that skips to version 3
# are refused; a valid chain is accepted; then the timestamp key is
# rotated on the server (agent refuses the new signatures until root 3
# listing the new key is published, then recovers).
TS_TTL=4
. "$(dirname "$0")/libagent.sh"
setup_world
start_agent a "$MIRROR_URL"
expect_version a v1 30 "first activation"
"$LS" keygen root2 -o "$W/newkeys" >/dev/null || die "keygen root2"
"$LS" keygen timestamp -o "$W/newts" >/dev/null || die "keygen timestamp"
root1=$W/keys/1.root.note
mkdir -p "$W/ovnew/v1/root" "$W/ovold/v1/root" "$W/ovskip/v1/root" \
	"$W/ovok/v1/root"
forge_root() {	# OUT VERSION KEY...
	local out=$1 v=$2
	shift 2
	local keys=()
	for k in "$@"; do keys+=(--key "$k"); done
	python3 "$FORGE" root --lockstep "$LS" "${keys[@]}" --out "$out" \
		--base "$root1" --version "$v" \
		--replace root "$W/keys/root.pub" "$W/newkeys/root2.pub" ||
		die "forge root $v"
}
forge_root "$W/ovnew/v1/root/2.note" 2 "$W/newkeys/root2.key"
forge_root "$W/ovold/v1/root/2.note" 2 "$W/keys/root.key"
forge_root "$W/ovskip/v1/root/2.note" 3 "$W/keys/root.key" \
	"$W/newkeys/root2.key"
forge_root "$W/ovok/v1/root/2.note" 2 "$W/keys/root.key" \
	"$W/newkeys/root2.key"

run_attack a "root 2 signed only by the new keys" v1 v2 'root version 2' 1 \
	"root overlay $W/ovnew"
[ "$(status a root_version)" = 1 ] || fail "root version moved to $(status a root_version)"
run_attack a "root 2 signed only by the old keys" v2 v3 'root version 2' 1 \
	"root overlay $W/ovold"
run_attack a "root that skips a version" v3 v4 'skips' 1 \
	"root overlay $W/ovskip"
[ "$(status a root_version)" = 1 ] || fail "root version moved to $(status a root_version)"

# A valid chain: old and new root keys both sign version 2.
mirror "root overlay $W/ovok"
if wait_until 15 sh -c "[ \"\$(\"$AGENT\" --state \"$W/a\" status --json | grep -o '\"root_version\":[0-9]*')\" = '\"root_version\":2' ]"; then
	ok "valid root chain accepted (root_version 2)"
else
	fail "valid root chain: root_version $(status a root_version)"
fi
tag v5
wait_until 60 published_version v5 || die "v5 not published"
expect_version a v5 30 "update under root 2"

# Timestamp key rotation: root 3 (signed by root 2's key) lists a new
# timestamp key; the server restarts with that key.
cp "$W/ovok/v1/root/2.note" "$W/keys/2.root.note"
python3 "$FORGE" root --lockstep "$LS" --key "$W/newkeys/root2.key" \
	--out "$W/keys/3.root.note" --base "$W/keys/2.root.note" --version 3 \
	--replace timestamp "$W/keys/timestamp.pub" "$W/newts/timestamp.pub" ||
	die "forge root 3"
mirror "root status 404"	# root 3 not visible yet
cp "$W/newts/timestamp.key" "$W/keys/timestamp.key"
cp "$W/newts/timestamp.pub" "$W/keys/timestamp.pub"
# The server refuses to start on a timestamp signed by a retired key, so
# the operator removes it; the server signs a fresh one (its seq may
# restart, which the agent accepts only because the key changed).
stop_server
rm -f "$DATA_CH/timestamp.note"
restart_server
tag v6
wait_until 60 published_version v6 || die "v6 not published"
hold a v5 1 "timestamp signed by an unknown key"
# (state error, or stale once the last good timestamp expired too)
if wait_until 10 sh -c "\"$AGENT\" --state \"$W/a\" status --json | grep -Eq 'not signed|signature'"; then
	ok "new timestamp key refused before root 3 ($(last_error a))"
else
	fail "new timestamp key: state $(status a state): $(last_error a)"
fi
mirror_off
expect_version a v6 30 "recovery after the timestamp key rotation"
[ "$(status a root_version)" = 3 ] || fail "root_version $(status a root_version), want 3"
finish
