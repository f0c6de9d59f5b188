#!/usr/bin/env bash
# demo.sh BIN_DIR - Lockstep end to end on 127.0.0.1, in plain words.
#
# Keys and a signed note, a reproducible bundle, then a server watching a
# git repository and two agents following it: tag v1.0.0 -> both enforce
# it; tag v1.1.0 fails its own tests and is not published; v1.2.0 ->
# both move; a rollback -> both move back under a new
# seq; finally the evidence of all of it.  Everything runs in a temporary
# folder and every process it starts is stopped by PID on exit.
set -euo pipefail

bin=$(cd "${1:?usage: deploy/demo.sh BIN_DIR}" && pwd)
root=$(cd "$(dirname "$0")/.." && pwd)
ls="$bin/lockstep"
work=$(mktemp -d /tmp/lockstep-demo.XXXXXX)
pids=()

cleanup() {
	local p
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	for p in "${pids[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$work"
}
trap cleanup EXIT

say() { printf '\n== %s\n' "$*"; }
info() { printf '   %s\n' "$*"; }
die() { printf 'demo: %s\n' "$*" >&2; exit 1; }

# wait_until SECONDS DESCRIPTION COMMAND...: poll every 0.1 s, bounded.
wait_until() {
	local secs=$1 what=$2 i
	shift 2
	for ((i = 0; i < secs * 10; i++)); do
		if "$@" >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.1
	done
	die "gave up after ${secs} s waiting for $what"
}

agent_version() {	# STATE_DIR -> version the agent enforces
	"$bin/lockstep-agent" --state "$1" status --json |
	    python3 -c 'import json,sys; a=json.load(sys.stdin).get("active") or {}; print(a.get("version",""), a.get("seq",""))'
}
agent_on() {	# STATE_DIR VERSION SEQ
	[ "$(agent_version "$1")" = "$2 $3" ]
}
release_seq() {	# the seq the channel's timestamp names
	sed -n 's/^release \([0-9]*\) .*/\1/p' \
	    "$work/data/v1/channels/stable/timestamp.note"
}
decide() {	# AGENT_ADDR INPUT -> deny messages, one per line
	curl -sf -X POST "http://$1/v1/data/kubernetes/admission/deny" \
	    --data-binary @<(python3 -c 'import json,sys; print(json.dumps({"input": json.load(open(sys.argv[1]))}))' "$2") |
	    python3 -c 'import json,sys; r=json.load(sys.stdin).get("result") or []; print("\n".join(r) if r else "(allowed: no deny message)")'
}

say "1. Keys: root, release, timestamp and log, and root version 1"
"$ls" init "$work/keys" --origin demo.lockstep
for r in root release timestamp log; do
	info "$r: $(cat "$work/keys/$r.pub")"
done
info "root v1 (the agents' trust anchor) is $work/keys/1.root.note"

say "2. A signed note, and what happens when one byte changes"
printf 'lockstep/demo/v1\nhello auditors\n' >"$work/body"
"$ls" note sign "$work/keys/release.key" --in "$work/body" >"$work/hello.note"
sed -n '1,4p' "$work/hello.note" | while IFS= read -r l; do info "$l"; done
"$ls" note verify "$work/keys/release.pub" --in "$work/hello.note" >/dev/null &&
    info "verify with the release key: OK"
sed 's/hello/jello/' "$work/hello.note" >"$work/forged.note"
if msg=$("$ls" note verify "$work/keys/release.pub" --in "$work/forged.note" 2>&1); then
	die "a forged note verified"
fi
info "verify after changing one byte: refused: $msg"

say "3. A reproducible bundle of bundles/example, and its own Rego tests"
cp -r "$root/bundles/example" "$work/src"
"$ls" bundle build "$work/src" -o "$work/a.tar.gz"
find "$work/src" -exec touch -d '2001-02-03 04:05:06' {} +
"$ls" bundle build "$work/src" -o "$work/b.tar.gz"
ha=$(sha256sum <"$work/a.tar.gz" | cut -c1-64)
hb=$(sha256sum <"$work/b.tar.gz" | cut -c1-64)
info "built twice, file times changed in between:"
info "  $ha"
info "  $hb"
[ "$ha" = "$hb" ] || die "bundle builds differ"
info "byte-identical: an auditor can rebuild a tag and compare hashes"
"$ls" test "$work/src" | tail -n 1 | while IFS= read -r l; do info "lockstep test: $l"; done

say "4. The policy repository in git, tagged v1.0.0"
git init -q "$work/repo"
cp -r "$root/bundles/example/." "$work/repo/"
git -C "$work/repo" add -A
git -C "$work/repo" -c user.name=demo -c user.email=demo@example.com \
    commit -qm "admission policy"
git -C "$work/repo" tag v1.0.0
info "$(git -C "$work/repo" log --oneline -1) (tag v1.0.0)"

say "5. lockstep-server builds, tests, signs and serves v1.0.0"
printf 'demo-admin-token\n' >"$work/admin.token"
chmod 600 "$work/admin.token"
"$bin/lockstep-server" --repo "$work/repo" --keys "$work/keys" \
    --data "$work/data" --listen 127.0.0.1:0 --port-file "$work/server.addr" \
    --poll-interval 1 --admin-token-file "$work/admin.token" \
    2>"$work/server.log" &
pids+=($!)
wait_until 20 "the server to listen" test -s "$work/server.addr"
srv="http://$(cat "$work/server.addr")"
wait_until 60 "release v1.0.0" test -s "$work/data/v1/channels/stable/timestamp.note"
info "serving on $srv"
info "release $(release_seq) published:"
sed -n '/^version\|^bundle\|^tests\|^control/p' \
    "$work/data/v1/channels/stable/releases/$(release_seq).note" |
    while IFS= read -r l; do info "  $l"; done

say "6. Two agents enrol with single-use tokens, verify everything and enforce v1.0.0"
for a in 1 2; do
	(umask 077 && "$ls" agent token "demo-agent-$a" --ttl 10m \
	    --server "$srv" --token-file "$work/admin.token" \
	    >"$work/agent$a.token" 2>/dev/null) ||
	    { echo "demo: cannot make an enrolment token" >&2; exit 1; }
	"$bin/lockstep-agent" --server "$srv" --root "$work/keys/1.root.note" \
	    --state "$work/agent$a" --channel stable --name "demo-agent-$a" \
	    --enroll-token-file "$work/agent$a.token" --listen 127.0.0.1:0 \
	    --port-file "$work/agent$a.addr" --interval 2 --long-poll 30 \
	    2>"$work/agent$a.log" &
	pids+=($!)
done
for a in 1 2; do
	wait_until 60 "agent $a on v1.0.0" agent_on "$work/agent$a" v1.0.0 "$(release_seq)"
	info "agent $a: enforcing $(agent_version "$work/agent$a" | sed 's/ / seq /')"
done
agent1=$(cat "$work/agent1.addr")
info "agent 1 decides on a pod using docker.io/library/nginx:"
decide "$agent1" "$root/tests/data/admission/denied-registry.json" |
    while IFS= read -r l; do info "  deny: $l"; done

say "7. Tag v1.1.0 approving docker.io/library/: its own tests refuse it"
python3 - "$work/repo/data.json" <<'EOF'
import json, sys
p = sys.argv[1]
d = json.load(open(p))
d["admission"]["approved_registries"].append("docker.io/library/")
open(p, "w").write(json.dumps(d, indent=2) + "\n")
EOF
git -C "$work/repo" -c user.name=demo -c user.email=demo@example.com \
    commit -qam "approve docker.io/library images"
git -C "$work/repo" tag v1.1.0
curl -sf -X POST "$srv/v1/admin/refresh" >/dev/null || true
build_of() {	# TAG -> "result stage: reason" of TAG's build, if recorded
	curl -sf "$srv/v1/evidence?kind=build" | python3 -c '
import json, sys
for l in sys.stdin:
    d = json.loads(l).get("details") or {}
    if d.get("tag") == sys.argv[1]:
        print("%s at stage %s: %s" % (d.get("result"), d.get("stage"), d.get("reason")))' "$1"
}
built() { [ -n "$(build_of "$1")" ]; }
wait_until 60 "the build of v1.1.0" built v1.1.0
info "build of v1.1.0: $(build_of v1.1.0)"
info "nothing published: the channel still serves seq $(release_seq)"
for a in 1 2; do
	info "agent $a: still enforcing $(agent_version "$work/agent$a" | sed 's/ / seq /')"
done

say "8. Tag v1.2.0 with the test updated too; both agents move"
sed -i 's|docker.io/library/nginx:1.27|quay.io/unapproved/nginx:1.27|g' \
    "$work/repo/kubernetes/admission_test.rego"
git -C "$work/repo" -c user.name=demo -c user.email=demo@example.com \
    commit -qam "registry test: docker.io/library is approved now"
git -C "$work/repo" tag v1.2.0
t0=$(date +%s.%N)
curl -sf -X POST "$srv/v1/admin/refresh" >/dev/null || true
wait_until 60 "release v1.2.0" sh -c "grep -q '^version v1.2.0' '$work/data/v1/channels/stable/releases/'*.note"
seq2=$(release_seq)
for a in 1 2; do
	wait_until 60 "agent $a on v1.2.0" agent_on "$work/agent$a" v1.2.0 "$seq2"
done
t1=$(date +%s.%N)
rel="$work/data/v1/channels/stable/releases/$seq2.note"
info "release seq $seq2 (v1.2.0, $(sed -n 's/^tests //p' "$rel") tests) enforced by both agents $(python3 -c "print(f'{$t1-$t0:.1f}')") s after the refresh"
decide "$agent1" "$root/tests/data/admission/denied-registry.json" |
    while IFS= read -r l; do info "  deny: $l"; done

say "9. An operator rolls back to v1.0.0: a new seq, never a lower one"
"$ls" rollback stable v1.0.0 --owner alice --reason "INC-42: docker.io images must go through review again" \
    --until "$(date -u -d '+7 days' +%Y-%m-%d)" --server "$srv" \
    --token-file "$work/admin.token" >/dev/null
seq3=$(release_seq)
for a in 1 2; do
	wait_until 60 "agent $a back on v1.0.0" agent_on "$work/agent$a" v1.0.0 "$seq3"
	info "agent $a: enforcing $(agent_version "$work/agent$a" | sed 's/ / seq /')"
done
"$ls" status --server "$srv" --token-file "$work/admin.token" |
    while IFS= read -r l; do info "$l"; done

say "10. Every door, one policy: admission over HTTPS and lockstep check in CI"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$work/demo-ca.key" -out "$work/demo-ca.pem" -days 1 \
    -subj /CN=lockstep-demo-ca 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$work/tls.key" -out "$work/tls.csr" -subj /CN=127.0.0.1 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >"$work/tls.ext"
openssl x509 -req -in "$work/tls.csr" -CA "$work/demo-ca.pem" \
    -CAkey "$work/demo-ca.key" -CAcreateserial -days 1 -extfile "$work/tls.ext" \
    -out "$work/tls.crt" 2>/dev/null
chmod 600 "$work/tls.key"
(umask 077 && "$ls" agent token demo-admission --ttl 10m --server "$srv" \
    --token-file "$work/admin.token" >"$work/agent3.token" 2>/dev/null) ||
    die "cannot make an enrolment token"
"$bin/lockstep-agent" --server "$srv" --root "$work/keys/1.root.note" \
    --state "$work/agent3" --channel stable --name demo-admission \
    --enroll-token-file "$work/agent3.token" --listen 127.0.0.1:0 \
    --port-file "$work/agent3.addr" --interval 2 --long-poll 30 \
    --tls-cert "$work/tls.crt" --tls-key "$work/tls.key" \
    2>"$work/agent3.log" &
pids+=($!)
wait_until 60 "the admission agent on seq $seq3" agent_on "$work/agent3" v1.0.0 "$seq3"
review=$root/tests/data/admission/denied-labels-hostpath.json
info "the API server sends a Deployment (log-shipper) to https://$(cat "$work/agent3.addr")/v1/admission:"
curl -sf --cacert "$work/demo-ca.pem" -X POST --data-binary @"$review" \
    "https://$(cat "$work/agent3.addr")/v1/admission" | python3 -c '
import json, sys
r = json.load(sys.stdin)["response"]
print("   allowed: %s (uid %s)" % (str(r["allowed"]).lower(), r["uid"]))
for m in r.get("status", {}).get("message", "").split("; "):
    print("   deny: " + m)
a = r.get("auditAnnotations", {})
print("   auditAnnotations: bundle-version %s, bundle-sha256 %s..." % (a.get("bundle-version"), a.get("bundle-sha256", "")[:12]))'
python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))["request"]["object"], indent=1))' \
    "$review" >"$work/log-shipper.json"
# CI's own identity, enrolled once, so its decisions are evidence too
(umask 077 && "$ls" agent token demo-ci --ttl 10m --server "$srv" \
    --token-file "$work/admin.token" >"$work/ci.token" 2>/dev/null) ||
    die "cannot make an enrolment token for CI"
"$bin/lockstep-agent" --server "$srv" --root "$work/keys/1.root.note" \
    --state "$work/ci-id" --channel stable --name demo-ci \
    --enroll-token-file "$work/ci.token" --listen '' --once \
    2>"$work/ci-id.log" || die "cannot enrol the CI identity"
info "CI checks the same manifest against the same signed channel, and records the decision:"
info "  lockstep check --server $srv --root 1.root.note --channel stable -n kubernetes.manifest \\"
info "      --report --state ci-id --door ci log-shipper.json"
set +e
"$ls" check --no-color --server "$srv" --root "$work/keys/1.root.note" \
    --channel stable --cache "$work/ci-cache" -n kubernetes.manifest \
    --report --state "$work/ci-id" --door ci \
    "$work/log-shipper.json" | sed 's/^/     /'
rc=${PIPESTATUS[0]}
set -e
info "lockstep check exit code: $rc (1: a failure, as conftest)"
[ "$rc" -eq 1 ] || die "lockstep check should have failed the manifest"

say "11. The evidence: every build, publish, operator action, report and decision"
decisions_in() {	# the agents' signed decision batches reached the log
	[ "$("$ls" evidence cat "$work/data" | grep -c '"kind":"decision"')" -ge 3 ] &&
	    "$ls" evidence cat "$work/data" | grep '"kind":"decision"' |
	    grep -q '"door":"ci"' &&
	    "$ls" evidence cat "$work/data" | grep '"kind":"decision"' |
	    grep -q '"door":"admission"'
}
wait_until 30 "the decision records of every door" decisions_in
# the query answers from the materialised log, up to a second behind
wait_until 10 "the log to be materialised" sh -c \
    "[ \$(curl -sf '$srv/v1/evidence' | tail -n +2 | wc -l) -ge \$('$ls' evidence cat '$work/data' | wc -l) ]"
curl -sf "$srv/v1/evidence" | tail -n +2 >"$work/evidence.jsonl"
python3 - "$work/evidence.jsonl" <<'EOF'
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    d = r.get("details") or {}
    k = r["kind"]
    if k == "build":
        what = "%s %s" % (d.get("tag"), d.get("result"))
        what += (" at %s: %s" % (d.get("stage"), d.get("reason"))) if d.get("result") != "passed" else \
            ", tests %d/%d, bundle %s" % (d["tests"]["passed"], d["tests"]["passed"] + d["tests"]["failed"], d.get("bundle", "")[:12])
    elif k == "publish":
        what = "%s seq %s = %s, bundle %s" % (r.get("channel"), d.get("seq"), d.get("version"), d.get("bundle", "")[:12])
    elif k == "operator" and d.get("action") == "enroll":
        what = "enrolled %s (%s)" % (r.get("agent"), d.get("source"))
    elif k == "operator" and d.get("action") == "enroll-token":
        what = "single-use token %s for %s, until %s" % (d.get("token"), r.get("agent"), d.get("expires"))
    elif k == "operator" and d.get("action") == "remove":
        what = "removed %s (%s)" % (r.get("agent"), d.get("source"))
    elif k == "operator":
        what = "%s %s -> %s seq %s by %s until %s: %s" % (d.get("action"), r.get("channel"), d.get("version"), d.get("seq"),
                                                      d.get("owner"), d.get("until"), d.get("reason"))
    elif k == "decision":
        what = "%s %s (%s door) %s %s: %s" % (d.get("id"), d.get("path"), d.get("door"), d.get("outcome"),
                                            ",".join(d.get("controls") or []), d.get("version"))
    elif k == "batch":
        what = "%s signed decisions %s..%s" % (d.get("agent"), d.get("first"), d.get("last"))
    else:
        what = "%s: %s %s seq %s (report %s)" % (r.get("agent"), d.get("state"), d.get("version"), d.get("release"), d.get("seq"))
    print("   %3d %s %-8s %s" % (r["n"], r["time"][11:19], k, what[:120]))
EOF
n=$(curl -sf "$srv/v1/evidence?control=soc2:CC6.8" | tail -n +2 | wc -l)
info "an auditor's query, GET /v1/evidence?control=soc2:CC6.8: $n entries"
info "signed checkpoint of the log (RFC 6962 Merkle root, log key):"
curl -sf "$srv/v1/evidence/checkpoint" | while IFS= read -r l; do info "  $l"; done
"$ls" evidence verify "$work/data" && info "tiles, partitions and checkpoint verified: lockstep evidence verify exits 0"

say "Done: stopping the server and the agents"
