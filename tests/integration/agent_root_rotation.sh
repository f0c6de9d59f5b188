#!/usr/bin/env bash
# agent_root_rotation.sh - an operator rotates the root offline with
# `lockstep root new`, `root sign` (one signature at a time) and `root
# check`: root 1 (1-of-1) -> root 2 (three new root keys, 2-of-3) ->
# root 3 (2-of-3, signed by two of the three).  With one signature too
# few, `root check` says which threshold is not met, the server refuses
# to start on it and the agent refuses it from a mirror; with enough, the
# server publishes it and the agent follows.
. "$(dirname "$0")/libagent.sh"
setup_world
start_agent a "$MIRROR_URL"
expect_version a v1 30 "first activation"
R=$W/rot
mkdir -p "$R"
for k in ra rb rc; do
	"$LS" keygen "$k" -o "$R" >/dev/null || die "keygen $k"
done
next_year=$(date -u -d '+1 year' +%Y-%m-%d)
root_is() { [ "$(status "$1" root_version)" = "$2" ]; }

# expect_check WHAT STATUS PATTERN ARGS...: `root check` exits STATUS and
# prints PATTERN.
expect_check() {
	local what=$1 want=$2 pat=$3 out rc
	shift 3
	out=$("$LS" root check "$@" 2>&1)
	rc=$?
	if [ "$rc" -eq "$want" ] && echo "$out" | grep -Eq "$pat"; then
		ok "root check, $what"
	else
		fail "root check, $what: exit $rc, want $want: $out"
	fi
}

expect_check "the anchor on its own" 0 'root version 1: signed by 1 of the 1 root keys of itself, threshold 1: met' \
	"$W/keys/1.root.note"

# Root 2: new root keys ra rb rc, threshold 2; everything else kept.
"$LS" root new --from "$W/keys/1.root.note" \
	--key root "$R/ra.pub" "$R/rb.pub" "$R/rc.pub" --threshold root 2 \
	--expires "$next_year" -o "$R/2.body" || die "root new"
grep -q '^version 2$' "$R/2.body" || fail "root new: body is not version 2"
[ "$(grep -c '^key root ' "$R/2.body")" = 3 ] || fail "root new: not 3 root keys"
grep -q '^threshold root 2$' "$R/2.body" || fail "root new: threshold"
grep -q "^key timestamp $(cat "$W/keys/timestamp.pub")\$" "$R/2.body" ||
	fail "root new: the timestamp key was not kept"
if "$LS" root new --from "$W/keys/1.root.note" --key root "$R/ra.pub" \
	--threshold root 2 --expires "$next_year" -o "$R/bad.body" 2>/dev/null; then
	fail "root new accepted threshold 2 with one key"
fi
if "$LS" root new --from "$W/keys/1.root.note" --expires 2020-01-01 \
	-o "$R/bad.body" 2>/dev/null; then
	fail "root new accepted an expiry in the past"
fi

"$LS" root sign "$R/2.body" --key "$W/keys/root.key" -o "$R/2.note" ||
	die "root sign (old key)"
"$LS" root sign "$R/2.note" --key "$R/ra.key" -o "$R/2.note" ||
	die "root sign (ra)"
expect_check "2 with one new signature" 1 'by 1 of the 3 root keys of itself, threshold 2: not met' \
	--from "$W/keys/1.root.note" "$R/2.note"

# One new signature: the server refuses to start, the agent refuses it.
cp -a "$W/keys" "$W/keys1sig"
cp "$R/2.note" "$W/keys1sig/2.root.note"
timeout 30 "$SERVER" --repo "$W/repo" --keys "$W/keys1sig" --data "$W/d1" \
	--listen 127.0.0.1:0 >"$W/s1.out" 2>&1
rc=$?
if [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && grep -q 'root version 2' "$W/s1.out"; then
	ok "server refuses root 2 with one of three signatures"
else
	fail "server on root 2 with one signature: exit $rc: $(head -c 300 "$W/s1.out")"
fi
mkdir -p "$W/ov1/v1/root"
cp "$R/2.note" "$W/ov1/v1/root/2.note"
run_attack a "root 2 with one of its three keys" v1 v2 'its own root keys' 1 \
	"root overlay $W/ov1"
root_is a 1 || fail "root version moved to $(status a root_version)"

# The second signature meets both thresholds.
"$LS" root sign "$R/2.note" --key "$R/rc.key" -o "$R/2.note" ||
	die "root sign (rc)"
expect_check "2 with two new signatures" 0 'by 2 of the 3 root keys of itself, threshold 2: met' \
	--from "$W/keys/1.root.note" "$R/2.note"
cp "$R/2.note" "$W/keys/2.root.note"
restart_server
wait_until 10 test -f "$W/data/v1/root/2.note" || fail "server did not publish root 2"
if wait_until 30 root_is a 2; then
	ok "agent follows root 2 (2-of-3)"
else
	fail "root 2: agent at root $(status a root_version): $(last_error a)"
fi
tag v3
wait_until 60 published_version v3 || die "v3 not published"
expect_version a v3 30 "update under root 2"

# Root 3 under the 2-of-3 root: one signature is not enough for either
# threshold; two of the three are.
"$LS" root new --from "$W/keys/2.root.note" --expires "$next_year" \
	-o "$R/3.body" || die "root new 3"
"$LS" root sign "$R/3.body" --key "$R/rb.key" -o "$R/3.note" || die "sign rb"
expect_check "3 with one signature" 1 'by 1 of the 3 root keys of root version 2, threshold 2: not met' \
	--from "$W/keys/2.root.note" "$R/3.note"
mkdir -p "$W/ov3/v1/root"
cp "$R/3.note" "$W/ov3/v1/root/3.note"
run_attack a "root 3 with one of three signatures" v3 v4 'root version 3' 1 \
	"root overlay $W/ov3"
root_is a 2 || fail "root version moved to $(status a root_version)"
if "$LS" root sign "$R/3.note" --key "$R/rb.key" -o "$R/3dup.note" 2>/dev/null; then
	fail "root sign added a second signature by the same key"
fi
"$LS" root sign "$R/3.note" --key "$R/ra.key" -o "$R/3.note" || die "sign ra"
expect_check "3 with two signatures" 0 'by 2 of the 3 root keys of root version 2, threshold 2: met' \
	--from "$W/keys/2.root.note" "$R/3.note"
"$LS" root verify "$W/keys/1.root.note" "$W/keys/2.root.note" "$R/3.note" ||
	fail "root verify 1 2 3"
cp "$R/3.note" "$W/keys/3.root.note"
restart_server
if wait_until 30 root_is a 3; then
	ok "agent follows root 3 (two of three signed)"
else
	fail "root 3: agent at root $(status a root_version): $(last_error a)"
fi
tag v5
wait_until 60 published_version v5 || die "v5 not published"
expect_version a v5 30 "update under root 3"
finish
