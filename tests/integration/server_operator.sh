#!/usr/bin/env bash
# server_operator.sh - pin, rollback and unpin through the admin API and on
# the data folder: each a new seq pointing at an existing bundle, with
# owner, reason and sunset, held builds, floor, status, admin auth, the
# data-folder lock.
set -u
. "$(dirname "$0")/lib_server.sh"

make_keys
make_repo
tag_repo v1.0.0
echo "s3cret-admin-token" >"$work/admin.token"
chmod 600 "$work/admin.token"
start_server --admin-token-file "$work/admin.token"
check "v1.0.0 published" wait_published stable 1
tag_repo v2.0.0 policy/data.json '{"limits": {"cpu": 3}}'
refresh
check "v2.0.0 published" wait_published stable 2
rels=$work/data/v1/channels/stable/releases
bundle_of() { body_field "$rels/$1.note" bundle; }
until=$(date -u -d '+7 days' +%Y-%m-%d)
api=(--server "$url" --token-file "$work/admin.token")

# Admin auth.
check "pin without token is 401" test "$(http_code -X POST -d '{}' "$url/v1/admin/pin")" = 401
check "pin with a wrong token is 401" test "$(http_code -X POST -H 'Authorization: Bearer nope' -d '{}' "$url/v1/admin/pin")" = 401
check "status needs the token" test "$(http_code "$url/v1/admin/status")" = 401

# Rollback to v1.0.0: new seq 3 with v1's bundle.
check "rollback through the admin API" "$ls" rollback stable v1.0.0 \
    --owner alice --reason "INC-42 v2 denies too much" --until "$until" "${api[@]}"
check "rollback is seq 3" ts_is stable 3
check "seq 3 serves v1.0.0's bundle" test "$(bundle_of 3)" = "$(bundle_of 1)"
check "seq 3 carries action, owner, reason, until" sh -c \
    "grep -qx 'action rollback' '$rels/3.note' && grep -qx 'owner alice' '$rels/3.note' && grep -qx 'reason INC-42 v2 denies too much' '$rels/3.note' && grep -q '^until ${until}T00:00:00Z' '$rels/3.note'"
check "rollback is signed by the release key" \
    "$ls" note verify "$work/keys/release.pub" --in "$rels/3.note" >/dev/null
check "operator evidence" evgrep '"kind":"operator".*"action":"rollback".*"owner":"alice"'

# Bad operator input changes nothing.
before=$(ls "$rels" | wc -l)
"$ls" pin stable v9.9.9 --owner a --reason r --until "$until" "${api[@]}" \
    2>"$work/err" && fail "pin of an unknown version succeeded"
check "unknown version refused: $(cat "$work/err")" grep -q "no release of v9.9.9" "$work/err"
"$ls" pin stable v1.0.0 --owner a --reason r --until 2001-01-01 "${api[@]}" \
    2>"$work/err" && fail "pin with a past sunset succeeded"
check "past sunset refused: $(cat "$work/err")" grep -q "future" "$work/err"
"$ls" pin stable v1.0.0 --reason r --until "$until" "${api[@]}" 2>/dev/null &&
	fail "pin without --owner succeeded"
check "refusals wrote no release" test "$(ls "$rels" | wc -l)" -eq "$before"

# Pin to v2.0.0: seq 4; a new tag is built but held back by the pin.
check "pin through the admin API" "$ls" pin stable v2.0.0 --owner bob \
    --reason "freeze for audit" --until "$until" "${api[@]}"
check "pin is seq 4 with v2's bundle" sh -c \
    "test \"\$(sed -n 's/^bundle //p' '$rels/4.note')\" = '$(bundle_of 2)'"
tag_repo v3.0.0 policy/data.json '{"limits": {"cpu": 5}}'
refresh
check "v3.0.0 built while pinned" wait_until 20 evgrep '"kind":"build".*"tag":"v3.0.0".*"held_by_pin":true'
check "pin holds: still seq 4" ts_is stable 4
"$ls" status "${api[@]}" >"$work/status"
check "status shows the pin and its sunset" grep -q "pin by bob until ${until}T00:00:00Z: freeze for audit" "$work/status"
check "status shows the held build" grep -q "held back by the pin: v3.0.0" "$work/status"
"$ls" status --json "${api[@]}" >"$work/status.json"
check "status --json" python3 -c "import json,sys; d=json.load(open('$work/status.json')); c=d['channels'][0]; sys.exit(0 if c['seq']==4 and c['pin']['owner']=='bob' else 1)"

# Unpin: seq 5 serves the held v3.0.0.
check "unpin through the admin API" "$ls" unpin stable --owner bob \
    --reason "audit done" "${api[@]}"
check "unpin is seq 5" ts_is stable 5
check "seq 5 is v3.0.0" grep -qx "version v3.0.0" "$rels/5.note"
check "seq 5 action unpin" grep -qx "action unpin" "$rels/5.note"
"$ls" unpin stable --owner bob --reason again "${api[@]}" 2>"$work/err" &&
	fail "unpin of an unpinned channel succeeded"
check "unpin of unpinned refused" grep -q "not pinned" "$work/err"

# The data folder is locked while the server runs.
"$ls" rollback stable v1.0.0 --owner a --reason r --until "$until" \
    --data "$work/data" --keys "$work/keys" 2>"$work/err" &&
	fail "direct write while the server runs succeeded"
check "lock refuses a second writer: $(cat "$work/err")" grep -q "in use by process $srv_pid" "$work/err"

# A pin whose sunset passes ends by itself.
check "short pin" "$ls" pin stable v1.0.0 --owner carol --reason short \
    --until "$(date -u -d '+3 seconds' +%Y-%m-%dT%H:%M:%SZ)" "${api[@]}"
check "short pin is seq 6" ts_is stable 6
check "sunset ends the pin (seq 7, v3.0.0 again)" wait_until 15 ts_is stable 7
check "auto-unpin names the server" grep -qx "owner lockstep-server" "$rels/7.note"
stop_server

# On the data folder with the server stopped; floor raised.
check "rollback on the data folder" "$ls" rollback stable v2.0.0 --owner dave \
    --reason "offline rollback" --until "$until" --floor 8 \
    --data "$work/data" --keys "$work/keys"
check "offline rollback is seq 8 with v2's bundle" sh -c \
    "test \"\$(sed -n 's/^bundle //p' '$rels/8.note')\" = '$(bundle_of 2)'"
check "floor raised to 8" grep -qx "floor 8" "$rels/8.note"
"$ls" rollback stable v1.0.0 --owner d --reason r --until "$until" --floor 3 \
    --data "$work/data" --keys "$work/keys" 2>"$work/err" &&
	fail "lowering the floor succeeded"
check "floor never goes down" grep -q "floor 3 must lie" "$work/err"
check "offline timestamp names seq 8" ts_is stable 8
"$ls" status --data "$work/data" >"$work/status"
check "offline status" grep -q "stable: seq 8 serves v2.0.0" "$work/status"

# The server picks the offline action up.
start_server --admin-token-file "$work/admin.token"
check "restart serves seq 8" test "$(curl -s -m 5 "$url/v1/channels/stable/timestamp.note" | sed -n 's/^release \([0-9]*\) .*/\1/p')" = 8
stop_server
check "evidence verifies" "$ls" evidence verify "$work/data"
finish
