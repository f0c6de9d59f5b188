#!/usr/bin/env bash
# cli_check_report.sh - `lockstep check --report`: every file checked
# becomes a decision record of an enrolled identity (door ci or
# precommit), written with the agent's record code into the identity's
# one seq chain and uploaded as signed batches to the real server: the
# evidence log shows the records with their outcomes, violations,
# controls and the enforced release, seqs without gaps across runs; with
# the server down the records stay queued in --state (said on stderr,
# exit code still the policy's) and the next run uploads them.
. "$(dirname "$0")/libagent.sh"
. "$(dirname "$0")/libdecisions.sh"
. "$(dirname "$0")/lib_decisions.sh"

"$LS" init "$W/keys" --origin lockstep-test >/dev/null || die "lockstep init"
head -c 24 /dev/urandom | base64 | tr -d '/+=' >"$W/enroll.token"
head -c 24 /dev/urandom | base64 | tr -d '/+=' >"$W/admin.token"
chmod 600 "$W/enroll.token" "$W/admin.token"
NO_LOG_POLICY=1 make_example_repo
start_server
wait_until 90 published_version v1 || die "v1 not published"
start_mirror

# Two manifests from the recorded admission reviews: one passes, one
# pulls an image from outside the allowed registries.
python3 - "$ADM" "$W" <<'PY'
import json, sys
adm, w = sys.argv[1:3]
for src, dst in (("allowed-pod", "pass"), ("denied-registry", "fail")):
    obj = json.load(open("%s/%s.json" % (adm, src)))["request"]["object"]
    json.dump(obj, open("%s/%s.json" % (w, dst), "w"), indent=1)
PY

# The identity: an agent state enrolled with a single-use token.
"$LS" agent token ci-runner --ttl 1h --server "$SERVER_URL" \
	--token-file "$W/admin.token" >"$W/ci.etok" 2>"$W/token.err" ||
	die "token: $(cat "$W/token.err")"
chmod 600 "$W/ci.etok"
"$AGENT" --server "$SERVER_URL" --root "$W/keys/1.root.note" --state "$W/ci" \
	--channel stable --name ci-runner --enroll-token-file "$W/ci.etok" \
	--listen '' --once >"$W/enrol.log" 2>&1 ||
	die "enrolment: $(tail -n 3 "$W/enrol.log")"

# lc NAME ARGS...: lockstep check --report as ci-runner, the channel from
# $CHECK_SERVER (default the server); exit code in $rc, stderr in NAME.err.
lc() {
	local name=$1
	shift
	"$LS" check --no-color --server "${CHECK_SERVER:-$SERVER_URL}" \
		--root "$W/keys/1.root.note" --channel stable --cache "$W/cache" \
		-n kubernetes.manifest --report --state "$W/ci" "$@" \
		>"$W/$name.out" 2>"$W/$name.err"
	rc=$?
}

# decisions: ci-runner's decision entries in the evidence log, as a JSON
# array of their records, in log order.
decisions() {
	ev_entries decision ci-runner | python3 -c '
import json, sys
print(json.dumps([json.loads(l)["details"] for l in sys.stdin]))'
}
# The helpers of lib_decisions.sh read $ls and $work.
ls=$LS
work=$W
have_records() {	# N: the log holds N of ci-runner's records
	[ "$(decisions | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = "$1" ]
}

# --- run 1: door ci, one pass and one failure ------------------------------
lc run1 --door ci "$W/pass.json" "$W/fail.json"
if [ "$rc" -eq 1 ] && grep -q "registry" "$W/run1.out" && [ ! -s "$W/run1.err" ]; then
	ok "run 1: exit 1 (the failure), nothing on stderr"
else
	fail "run 1: exit $rc, out $(head -c 300 "$W/run1.out"), err $(cat "$W/run1.err")"
fi
# acknowledged means durable on the server: no wait needed
have_records 2 || fail "run 1: the log holds $(decisions | head -c 300)"
bundle_sha=$("$AGENT" --state "$W/cache" status --json |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["active"]["sha256"])')
decisions >"$W/d.json"
python3 - "$W" "$bundle_sha" "$W/d.json" <<'PY' && ok "run 1: records of pass (allow) and fail (deny) with the release, input, violations, controls" || fail "run 1 records: $(decisions | head -c 2000)"
import hashlib, json, sys
w, sha = sys.argv[1:3]
r = json.load(open(sys.argv[3]))
assert [x["seq"] for x in r] == [1, 2], [x["seq"] for x in r]
p, f = r
for x, name in ((p, "pass"), (f, "fail")):
    raw = open("%s/%s.json" % (w, name), "rb").read()
    assert x["door"] == "ci", x["door"]
    assert x["agent"] == "ci-runner" and x["id"] == "ci-runner-%d" % x["seq"]
    assert x["channel"] == "stable" and x["version"] == "v1", x
    assert x["release"] >= 1 and x["bundle"] == sha, (x["bundle"], sha)
    assert x["input_sha256"] == hashlib.sha256(raw).hexdigest(), x["input_sha256"]
    assert x["input"] == json.loads(raw), "input differs"
    assert x["path"] == "kubernetes/manifest", x["path"]
    assert x["file"] == "%s/%s.json" % (w, name), x["file"]
    assert isinstance(x["latency_us"], int)
assert p["outcome"] == "allow" and p["violations"] == [], p
# nothing found: every control the namespace's rules cover
assert "soc2:CC6.8" in p["controls"] and "soc2:CC6.1" in p["controls"], p["controls"]
assert f["outcome"] == "deny", f["outcome"]
assert f["violations"], f
for v in f["violations"]:
    assert v["rule"] == "data.kubernetes.manifest.deny", v
    assert "soc2:CC6.8" in v["controls"], v
assert any("registry" in v["msg"] for v in f["violations"]), f["violations"]
assert "soc2:CC6.8" in f["controls"] and f["controls"] == sorted(set(f["controls"]))
PY

# --- run 2: no --door, no $CI: precommit; the chain goes on ------------------
env -u CI "$LS" check --no-color --server "$SERVER_URL" \
	--root "$W/keys/1.root.note" --channel stable --cache "$W/cache" \
	-n kubernetes.manifest --report --state "$W/ci" "$W/pass.json" \
	>"$W/run2.out" 2>"$W/run2.err"
rc=$?
[ "$rc" -eq 0 ] && ok "run 2: a passing file exits 0" || fail "run 2: exit $rc: $(cat "$W/run2.err")"
CI=true lc run2b "$W/fail.json"
[ "$rc" -eq 1 ] && ok "run 2b: exit 1" || fail "run 2b: exit $rc: $(cat "$W/run2b.err")"
decisions | python3 -c '
import json, sys
r = json.load(sys.stdin)
assert [x["seq"] for x in r] == [1, 2, 3, 4], [x["seq"] for x in r]
assert r[2]["door"] == "precommit" and r[2]["outcome"] == "allow", r[2]
assert r[3]["door"] == "ci" and r[3]["outcome"] == "deny", r[3]
' && ok "runs 2: seqs 3 and 4 continue the chain; door precommit without \$CI, ci with CI=true" ||
	fail "run 2 records: $(decisions | head -c 1500)"

# --- the server down: the records stay queued, the next run sends them ------
port=$SERVER_PORT	# host:port
stop_server
CHECK_SERVER=$MIRROR_URL lc run3 --report-to "$SERVER_URL" --door ci \
	"$W/pass.json" "$W/fail.json"
if [ "$rc" -eq 1 ] && grep -q "2 decision record(s) stay queued in $W/ci/decisions" "$W/run3.err"; then
	ok "server down: exit 1 (the policy's), stderr: $(head -c 300 "$W/run3.err")"
else
	fail "server down: exit $rc, stderr $(cat "$W/run3.err")"
fi
segs=$(ls "$W/ci/decisions/"*.seg 2>/dev/null | wc -l)
[ "$segs" -ge 1 ] && ok "queued: $segs closed segment(s) in --state" || fail "no segment queued: $(ls "$W/ci/decisions")"
# Offline at the desk: no server, no mirror; the cached release (its
# timestamp still valid) is checked, as a frozen agent keeps enforcing.
lc run3b --door precommit "$W/pass.json"
if [ "$rc" -eq 0 ] && grep -q "checking with the cached release v1" "$W/run3b.err" &&
	grep -q "3 decision record(s) stay queued" "$W/run3b.err"; then
	ok "offline: the cached release checks (exit 0), 3 records queued"
else
	fail "offline: exit $rc, stderr $(cat "$W/run3b.err")"
fi
# ... but a forged answer is never "unreachable": refused, nothing checked
mirror "timestamp flip"
CHECK_SERVER=$MIRROR_URL lc run3c --report-to "$SERVER_URL" "$W/pass.json"
mirror_off
if [ "$rc" -eq 1 ] && ! grep -q "cached release" "$W/run3c.err" && [ ! -s "$W/run3c.out" ]; then
	ok "a tampered timestamp with a good cache: refused ($(tail -n 1 "$W/run3c.err" | head -c 200))"
else
	fail "tampered timestamp: exit $rc, stderr $(cat "$W/run3c.err")"
fi
# durable: the queued lines are the records, fsynced before exit
python3 - "$W/ci/decisions" <<'PY' && ok "queued records: seqs 5, 6, 7, outcomes allow, deny, allow" || fail "queued segment content"
import glob, json, sys
lines = [json.loads(l) for f in sorted(glob.glob(sys.argv[1] + "/*.seg")) for l in open(f)]
assert [x["seq"] for x in lines] == [5, 6, 7], lines
assert [x["outcome"] for x in lines] == ["allow", "deny", "allow"], lines
assert [x["door"] for x in lines] == ["ci", "ci", "precommit"], lines
PY
SERVER_LISTEN=$port start_server
wait_until 30 curl -sf -o /dev/null "$SERVER_URL/v1/channels/stable/timestamp.note" ||
	true
CHECK_SERVER=$MIRROR_URL lc run4 --report-to "$SERVER_URL" --door ci "$W/pass.json"
if [ "$rc" -eq 0 ] && [ ! -s "$W/run4.err" ]; then
	ok "server back: the next run exits 0 and says nothing"
else
	fail "server back: exit $rc, stderr $(cat "$W/run4.err")"
fi
decisions | python3 -c '
import json, sys
r = json.load(sys.stdin)
assert [x["seq"] for x in r] == list(range(1, 9)), [x["seq"] for x in r]
assert [x["outcome"] for x in r[4:]] == ["allow", "deny", "allow", "allow"], r[4:]
' && ok "queued records uploaded by the next run: seqs 1..8, no gaps" ||
	fail "after the server came back: $(decisions | python3 -c 'import json,sys; print([x["seq"] for x in json.load(sys.stdin)])')"
left=$(ls "$W/ci/decisions/"*.seg 2>/dev/null | wc -l)
[ "$left" -eq 0 ] && ok "nothing left queued" || fail "$left segment(s) left"

# Every batch of ci-runner chains to the one before it.
ev_entries batch ci-runner | python3 -c '
import json, sys
b = [json.loads(l)["details"] for l in sys.stdin]
prev = "0" * 64
for x in b:
    assert x["prev"] == prev, (x["prev"], prev)
    prev = x["sha256"]
assert b[0]["first"] == 1 and b[-1]["last"] == 8, b
print(len(b))' >"$W/batches" && ok "$(cat "$W/batches") signed batches, each naming the previous one" ||
	fail "batch chain: $(ev_entries batch ci-runner | head -c 1000)"

# --- --policy DIR: the directory's reproducible bundle sha256 ---------------
"$LS" bundle build "$W/repo" -o "$W/dir.tar.gz" >/dev/null 2>&1 || fail "bundle build"
dir_sha=$(sha256sum "$W/dir.tar.gz" | cut -c1-64)
"$LS" check --no-color -p "$W/repo" -n kubernetes.manifest --report \
	--state "$W/ci" --report-to "$SERVER_URL" --door precommit "$W/fail.json" \
	>"$W/run5.out" 2>"$W/run5.err"
rc=$?
decisions | python3 -c '
import json, sys
x = json.load(sys.stdin)[-1]
assert x["seq"] == 9 and x["outcome"] == "deny" and x["door"] == "precommit", x
assert x["version"] == "dir:" + sys.argv[1] and x["channel"] == "" and x["release"] == 0, x
assert x["bundle"] == sys.argv[2], (x["bundle"], sys.argv[2])
' "$W/repo" "$dir_sha" && [ "$rc" -eq 1 ] &&
	ok "--policy DIR: version dir:DIR, bundle = sha256 of lockstep bundle build DIR" ||
	fail "--policy DIR record (exit $rc, $(cat "$W/run5.err")): $(decisions | head -c 300)"

# --- two runs at once on one identity: one seq chain, one writer -----------
lp() {	# NAME FILES...: --policy DIR run in the background
	local name=$1
	shift
	"$LS" check --no-color -p "$W/repo" -n kubernetes.manifest --report \
		--state "$W/ci" --report-to "$SERVER_URL" --door precommit "$@" \
		>"$W/$name.out" 2>"$W/$name.err" &
}
lp par1 "$W/pass.json" "$W/fail.json"
p1=$!
lp par2 "$W/fail.json" "$W/pass.json"
p2=$!
PIDS+=("$p1" "$p2")
wait "$p1"
r1=$?
wait "$p2"
r2=$?
decisions | python3 -c '
import json, sys
r = json.load(sys.stdin)[9:]
s = [x["seq"] for x in r]
assert sorted(s) == [10, 11, 12, 13], s
# each run holds the identity for its whole length: its two records
# are consecutive (pass then fail, or fail then pass)
pairs = [[x["outcome"] for x in r if x["seq"] in q] for q in ((10, 11), (12, 13))]
assert sorted(map(tuple, pairs)) == [("allow", "deny"), ("deny", "allow")], pairs
' && [ "$r1" -eq 1 ] && [ "$r2" -eq 1 ] &&
	ok "two runs at once: seqs 10..13, each run's records consecutive" ||
	fail "parallel runs (exit $r1 $r2): $(decisions | python3 -c 'import json,sys; print([(x["seq"], x["outcome"]) for x in json.load(sys.stdin)])')"

# --- a file that does not parse: an error record; a large input: its sha --
printf 'a: [1, 2\nb: 3\n' >"$W/bad.yaml"
"$LS" check --no-color -p "$W/repo" -n kubernetes.manifest --report \
	--state "$W/ci" --report-to "$SERVER_URL" --door ci "$W/bad.yaml" \
	>"$W/bad.out" 2>"$W/bad.err"
rc=$?
"$LS" check --no-color -p "$W/repo" -n kubernetes.manifest --report \
	--state "$W/ci" --report-to "$SERVER_URL" --door ci \
	--decision-input-max 100 "$W/fail.json" >/dev/null 2>"$W/big.err"
rc2=$?
decisions | python3 -c '
import hashlib, json, sys
r = json.load(sys.stdin)
e, big = r[13], r[14]
assert e["seq"] == 14 and e["outcome"] == "error", e
assert sys.argv[1] in e["error"] and "line" in e["error"], e["error"]
assert e["input_sha256"] == hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest()
assert "input" not in e and e["file"] == sys.argv[1], e
assert big["seq"] == 15 and big["outcome"] == "deny", big
assert big["input_truncated"] is True and "input" not in big, big
assert big["input_sha256"] == hashlib.sha256(open(sys.argv[2], "rb").read()).hexdigest()
' "$W/bad.yaml" "$W/fail.json" && [ "$rc" -eq 1 ] && [ "$rc2" -eq 1 ] &&
	grep -q "bad.yaml: line" "$W/bad.err" &&
	ok "parse error: exit 1, an error record naming the file; over --decision-input-max: input_truncated, its sha256 kept" ||
	fail "error/large records (exit $rc $rc2, $(cat "$W/bad.err")): $(decisions | python3 -c 'import json,sys; print(json.load(sys.stdin)[13:])' | head -c 1500)"

# --- --combine: one decision, one record ------------------------------------
"$LS" check --no-color -p "$W/repo" -n kubernetes.manifest --report \
	--state "$W/ci" --report-to "$SERVER_URL" --door ci --combine \
	"$W/pass.json" "$W/fail.json" >/dev/null 2>"$W/comb.err"
decisions | python3 -c '
import json, sys
r = json.load(sys.stdin)
x = r[-1]
assert len(r) == 16 and x["seq"] == 16 and x["file"] == "Combined", x
assert [d["path"] for d in x["input"]] == sys.argv[1:], x["input"]
' "$W/pass.json" "$W/fail.json" && ok "--combine: one record, file Combined, the combined input" ||
	fail "--combine record ($(cat "$W/comb.err")): $(decisions | python3 -c 'import json,sys; print(json.load(sys.stdin)[15:])' | head -c 600)"

# --- refusals: one line, exit 1, nothing recorded ---------------------------
"$LS" check --no-color -p "$W/repo" --report "$W/pass.json" >/dev/null 2>"$W/e1"
rc=$?
[ "$rc" -eq 1 ] && grep -q "needs --state" "$W/e1" && ok "--report without --state: $(cat "$W/e1")" ||
	fail "--report without --state: exit $rc, $(cat "$W/e1")"
"$LS" check --no-color -p "$W/repo" --report --state "$W/nobody" \
	--report-to "$SERVER_URL" "$W/pass.json" >"$W/e2.out" 2>"$W/e2"
rc=$?
[ "$rc" -eq 1 ] && grep -q "no identity here" "$W/e2" && [ ! -s "$W/e2.out" ] &&
	[ ! -e "$W/nobody/decisions" ] &&
	ok "no identity: exit 1, nothing checked or written: $(head -c 200 "$W/e2")" ||
	fail "no identity: exit $rc, $(cat "$W/e2")"
"$LS" check --no-color -p "$W/repo" --report --state "$W/ci" --door cd \
	--report-to "$SERVER_URL" "$W/pass.json" >/dev/null 2>"$W/e3"
rc=$?
[ "$rc" -eq 1 ] && grep -q "ci or precommit" "$W/e3" && ok "--door cd refused" ||
	fail "--door cd: exit $rc, $(cat "$W/e3")"
# The state of a running agent is not an identity to share: refused.
start_agent ci "$SERVER_URL"
"$LS" check --no-color -p "$W/repo" -n kubernetes.manifest --report \
	--state "$W/ci" --report-to "$SERVER_URL" "$W/pass.json" >/dev/null 2>"$W/e4"
rc=$?
[ "$rc" -eq 1 ] && grep -q "in use by another process" "$W/e4" &&
	ok "the state of a running agent refused: $(head -c 200 "$W/e4")" ||
	fail "running agent's state: exit $rc, $(cat "$W/e4")"
stop_agent ci
have_records 16 && ok "refusals recorded nothing" || fail "refusals wrote records"

# --- kill -9 in the middle of a run: the next run goes on, no gap ----------
mkdir -p "$W/many"
for i in $(seq 1 300); do cp "$W/pass.json" "$W/many/m$i.json"; done
"$LS" check --no-color -p "$W/repo" -n kubernetes.manifest --report \
	--state "$W/ci" --report-to "$SERVER_URL" "$W/many" >/dev/null 2>&1 &
kpid=$!
PIDS+=("$kpid")
before=$(decisions | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
# killed once it has written some records (bounded: 20 s)
wait_until 20 sh -c "cat '$W'/ci/decisions/*.open 2>/dev/null | grep -q ." || true
sleep 0.$((RANDOM % 5))
kill -9 "$kpid" 2>/dev/null
wait "$kpid" 2>/dev/null
"$LS" check --no-color -p "$W/repo" -n kubernetes.manifest --report \
	--state "$W/ci" --report-to "$SERVER_URL" "$W/pass.json" >/dev/null 2>"$W/k.err"
rc=$?
decisions | python3 -c '
import json, sys
r = json.load(sys.stdin)
s = [x["seq"] for x in r]
before = int(sys.argv[1])
assert s == list(range(1, len(s) + 1)), s[before - 3:]
assert len(s) > before + 1, (len(s), before)
print(len(s) - before - 1)' "$before" >"$W/k.n" && [ "$rc" -eq 0 ] && [ ! -s "$W/k.err" ] &&
	[ "$(ls "$W/ci/decisions/" | grep -c -e '\.seg$' -e '\.open$')" -eq 0 ] &&
	ok "kill -9 mid-run: its $(cat "$W/k.n") written record(s) and the next run's uploaded, seqs without gaps" ||
	fail "after kill -9 (exit $rc, $(cat "$W/k.err")): $(ls "$W/ci/decisions/")"

# --- a wrapper rule: each violation carries the controls of the rule that
# produced it (the wrapper's leaves, evaluated once more on the file), not
# every control the wrapper depends on; the file's record holds their union.
mkdir -p "$W/wrapped/lib" "$W/wrapped/lockstep"
cat >"$W/wrapped/lib/images.rego" <<'EOF'
package lib.images

violation contains sprintf("image %s from an unapproved registry", [c.image]) if {
	some c in input.spec.containers
	not startswith(c.image, "registry.example.com/")
}
EOF
cat >"$W/wrapped/lib/labels.rego" <<'EOF'
package lib.labels

violation contains sprintf("label %s missing", [l]) if {
	some l in {"owner", "team"}
	not input.metadata.labels[l]
}
EOF
cat >"$W/wrapped/main.rego" <<'EOF'
package main

deny contains msg if {
	some msg in data.lib.images.violation
}

deny contains msg if {
	some msg in data.lib.labels.violation
}
EOF
cat >"$W/wrapped/lockstep/data.json" <<'EOF'
{"controls": {"data.lib.images": ["soc2:CC6.8"], "data.lib.labels": ["soc2:CC8.1"]}}
EOF
cat >"$W/wrapped.json" <<'EOF'
{"kind": "Pod", "metadata": {"name": "p", "labels": {"owner": "a"}},
 "spec": {"containers": [{"name": "c", "image": "docker.io/x:1"}]}}
EOF
"$LS" check --no-color -p "$W/wrapped" --report --state "$W/ci" \
	--report-to "$SERVER_URL" --door ci "$W/wrapped.json" >"$W/wr.out" 2>"$W/wr.err"
rc=$?
decisions | python3 -c '
import json, sys
x = json.load(sys.stdin)[-1]
assert x["file"].endswith("wrapped.json") and x["outcome"] == "deny", x
got = sorted((v["msg"], v["controls"]) for v in x["violations"])
assert got == [("image docker.io/x:1 from an unapproved registry", ["soc2:CC6.8"]),
               ("label team missing", ["soc2:CC8.1"])], got
assert x["controls"] == ["soc2:CC6.8", "soc2:CC8.1"], x["controls"]
' && [ "$rc" -eq 1 ] &&
	ok "a wrapper rule: each violation carries its own rule's control, the record both" ||
	fail "wrapper attribution (exit $rc, $(cat "$W/wr.err")): $(decisions | python3 -c 'import json,sys; print(json.load(sys.stdin)[-1].get("violations"))')"

[ "$FAILS" -ne 0 ] && dump_logs
finish
