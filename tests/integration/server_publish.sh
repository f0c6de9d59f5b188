#!/usr/bin/env bash
# server_publish.sh - a tag becomes a signed, correctly linked release; the
# same tag seen twice is built once (also across a restart); a tag with a
# broken data.json publishes nothing and its failure is in the evidence.
set -u
. "$(dirname "$0")/lib_server.sh"

make_keys
make_repo
tag_repo v1.0.0
start_server --channel stable='v*' --channel beta='beta-*'

check "v1.0.0 published as seq 1" wait_published stable 1
d=$work/data/v1
ts=$(ts_file stable)
rel=$d/channels/stable/releases/1.note

# Signatures: timestamp by the timestamp key, release by the release key.
check "timestamp verifies with timestamp.pub" \
    "$ls" note verify "$work/keys/timestamp.pub" --in "$ts" >/dev/null
check "release verifies with release.pub" \
    "$ls" note verify "$work/keys/release.pub" --in "$rel" >/dev/null
if "$ls" note verify "$work/keys/release.pub" --in "$ts" >/dev/null 2>&1; then
	fail "timestamp must not verify with the release key"
fi

# Links: timestamp -> release note bytes -> bundle bytes.
want="1 sha256:$(sha256sum "$rel" | cut -d' ' -f1) length $(stat -c %s "$rel")"
check "timestamp names the release note's sha256 and length" \
    test "$(body_field "$ts" release)" = "$want"
bundle_sha=$(body_field "$rel" bundle | sed 's/^sha256:\([0-9a-f]*\) .*/\1/')
bundle=$d/bundles/$bundle_sha.tar.gz
check "bundle file exists" test -f "$bundle"
check "release names the bundle's sha256 and length" test \
    "$(body_field "$rel" bundle)" = \
    "sha256:$(sha256sum "$bundle" | cut -d' ' -f1) length $(stat -c %s "$bundle")"
check "release version is the tag" test "$(body_field "$rel" version)" = v1.0.0
check "release commit is the tag's commit" test \
    "$(body_field "$rel" commit)" = "$(git_q rev-parse 'v1.0.0^{commit}')"
check "root note published" cmp -s "$d/root/1.note" "$work/keys/1.root.note"
check "bundle holds the policy" sh -c \
    "tar -tzf '$bundle' | grep -qx policy/admission.rego"
check "beta channel untouched" test ! -e "$(ts_file beta)"

# Reproducible: the same tree gives the same bytes.
"$ls" bundle build "$work/repo" -o "$work/rebuilt.tar.gz" >/dev/null 2>&1 &&
	check "bundle is reproducible from the tree" \
	    cmp -s "$bundle" "$work/rebuilt.tar.gz"

# The same tag seen again (refreshes) is not rebuilt.
refresh
sleep 1.2
refresh
sleep 1.2
builds=$(grep -c '"kind":"build".*"tag":"v1.0.0"' "$(evlog)")
check "v1.0.0 built exactly once (builds: $builds)" test "$builds" -eq 1
check "no second release" test ! -e "$d/channels/stable/releases/2.note"

# A tag with broken data.json: nothing published, failure in evidence.
tag_repo v1.1.0 policy/data.json '{"limits": {"cpu": 2,}'
refresh
check "failed build recorded" wait_until 20 evgrep '"kind":"build".*"tag":"v1.1.0".*"result":"failed"'
check "failure names the validate stage and data.json" evgrep '"tag":"v1.1.0".*"stage":"validate","reason":"policy/data.json'
check "nothing published for v1.1.0" test "$(ts_release stable)" = 1
check "no release 2 after the failed build" \
    test ! -e "$d/channels/stable/releases/2.note"

# A tag whose own Rego tests fail: the test stage stops it.
git_q checkout -q v1.0.0 -- policy/data.json
tag_repo v1.1.1 policy/admission_test.rego 'package policy.admission_test

import data.policy.admission

test_privileged_denied if {
	count(admission.deny) == 2 with input as {"privileged": true}
}'
refresh
check "failing test recorded" wait_until 20 evgrep '"tag":"v1.1.1".*"stage":"test","reason":"1 of 1 tests failed'
check "nothing published for v1.1.1" test "$(ts_release stable)" = 1
# Uncompilable Rego fails the test stage too.
tag_repo v1.1.2 policy/broken.rego 'package broken
deny contains x if {'
refresh
check "compile error recorded" wait_until 20 evgrep '"tag":"v1.1.2".*"result":"failed".*"stage":"test"'
git_q rm -q policy/broken.rego
git_q checkout -q v1.0.0 -- policy/admission_test.rego
git_q commit -qm "fix tests"

# Fixed in the next tag: published as seq 2; tags of another channel go
# to that channel only.
tag_repo v1.2.0 policy/data.json '{"limits": {"cpu": 4}}'
tag_repo beta-1
refresh
check "v1.2.0 published as seq 2" wait_published stable 2
check "beta-1 published on beta as seq 1" wait_published beta 1
check "beta release names beta" grep -qx "channel beta" \
    "$d/channels/beta/releases/1.note"

# Restart: nothing rebuilt, nothing republished.
stop_server
nlines=$(wc -l <"$(evlog)")
start_server --channel stable='v*' --channel beta='beta-*'
refresh
sleep 1.5
check "restart rebuilds nothing" test \
    "$(wc -l <"$(evlog)")" -eq "$nlines"
check "still seq 2 after restart" test "$(ts_release stable)" = 2

# Two tags at once are built in version order (v1.10 after v1.9).
tag_repo v1.10.0 policy/extra.rego 'package extra'
tag_repo v1.9.0
refresh
check "v1.9.0 and v1.10.0 published" wait_published stable 4
check "v1.10.0 got the higher seq" grep -qx "version v1.10.0" \
    "$d/channels/stable/releases/4.note"

# The example policy repository: its own tests pass, its control map
# becomes the release's control lines, an expired exception fails.
rm -rf "$work/repo"/*
cp -r "$LOCKSTEP_ROOT/bundles/example/." "$work/repo/"
git_q add -A
git_q commit -qm "example policy"
tag_repo v2.0.0
refresh
if wait_published stable 5; then
	ok "example policy published as seq 5"
	check "release lists its controls" grep -q '^control soc2:' \
	    "$d/channels/stable/releases/5.note"
	check "release counts passed tests" grep -qE '^tests passed [1-9][0-9]* failed 0$' \
	    "$d/channels/stable/releases/5.note"
	ctl_has_publish() {
		curl -s -m 5 "$url/v1/evidence?control=soc2:CC6.1" >"$work/q" &&
		    grep -q '"kind":"publish".*"version":"v2.0.0"' "$work/q"
	}
	wait_until 10 ctl_has_publish
	check "query by control finds the build and the publish" sh -c \
	    "grep -q '\"kind\":\"build\".*\"tag\":\"v2.0.0\"' '$work/q' && grep -q '\"kind\":\"publish\".*\"version\":\"v2.0.0\"' '$work/q'"
	check "query by control leaves out releases without it" sh -c \
	    "! grep -q '\"tag\":\"v1.0.0\"' '$work/q'"
	check "unknown control: nothing" test \
	    "$(curl -s -m 5 "$url/v1/evidence?control=iso:0.0" | tail -n +2 | wc -c)" -eq 0
else
	fail "example policy not published: $(grep '"tag":"v2.0.0"' "$(evlog)" | grep -o '"reason":"[^"]*"' | head -3)"
fi
python3 - "$work/repo/lockstep/data.json" <<'PY'
import json, sys
p = sys.argv[1]
d = json.load(open(p))
d.setdefault("exceptions", []).append({"id": "EXC-OLD", "owner": "o@example.org",
    "ticket": "T-1", "reason": "old", "expires": "2001-01-01",
    "exempts": {"check": "x"}})
json.dump(d, open(p, "w"), indent=1)
PY
git_q commit -qam "expired exception"
tag_repo v2.1.0
refresh
check "expired exception fails validate" wait_until 20 evgrep '"tag":"v2.1.0".*"stage":"validate","reason":"[^"]*EXC-OLD'

stop_server
check "evidence chain verifies" "$ls" evidence verify "$work/data"
# Tamper with one byte of an old entry (in its entry bundle): verify
# must fail.
cp -a "$work/data/evidence/tile" "$work/tile.bak"
python3 - "$work/data/evidence/tile/entries" <<'PY'
import os, sys
for root, _, files in os.walk(sys.argv[1]):
    for f in files:
        p = os.path.join(root, f)
        b = open(p, "rb").read()
        if b'"passed"' in b:
            i = b.index(b'"passed"')
            open(p, "wb").write(b[:i] + b'"Passed"' + b[i + 8:])
PY
if "$ls" evidence verify "$work/data" 2>"$work/err"; then
	fail "tampered evidence verified"
else
	ok "tampered evidence refused: $(cat "$work/err")"
fi
rm -rf "$work/data/evidence/tile"
mv "$work/tile.bak" "$work/data/evidence/tile"

# Hive-style export: a copy of the partitions, every entry once (no
# decisions here, so one partition per entry), by kind and day.
check "export" "$ls" evidence export "$work/data" "$work/export"
today=$(date -u +%Y/%m/%d | sed 's|\(....\)/\(..\)/\(..\)|year=\1/month=\2/day=\3|')
none=framework=none/control=none
check "build partition for today" sh -c "cat '$work/export/kind=build/$none/$today/'*.jsonl | grep -q ."
check "publish partition for today" sh -c "cat '$work/export/kind=publish/$none/$today/'*.jsonl | grep -q ."
check "export holds every entry once" test \
    "$(cat "$work"/export/kind=*/framework=*/control=*/year=*/month=*/day=*/*.jsonl | sort | md5sum)" = \
    "$(sort "$(evlog)" | md5sum)"
check "export carries the checkpoint" cmp -s "$work/export/checkpoint.note" \
    "$work/data/evidence/checkpoint.note"
finish
