#!/usr/bin/env bash
# demo.sh BIN_DIR - Lockstep end to end on 127.0.0.1, in plain words.
#
# Keys and a signed note, a reproducible bundle, then a server watching a
# git repository and two agents following it: tag v1.0.0 -> both enforce
# it; tag v1.1.0 -> both move; a rollback -> both move back under a new
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
printf 'demo-enroll-token\n' >"$work/enroll.token"
chmod 600 "$work/admin.token" "$work/enroll.token"
"$bin/lockstep-server" --repo "$work/repo" --keys "$work/keys" \
    --data "$work/data" --listen 127.0.0.1:0 --port-file "$work/server.addr" \
    --poll-interval 1 --admin-token-file "$work/admin.token" \
    --enroll-token-file "$work/enroll.token" 2>"$work/server.log" &
pids+=($!)
wait_until 20 "the server to listen" test -s "$work/server.addr"
srv="http://$(cat "$work/server.addr")"
wait_until 60 "release v1.0.0" test -s "$work/data/v1/channels/stable/timestamp.note"
info "serving on $srv"
info "release $(release_seq) published:"
sed -n '/^version\|^bundle\|^tests\|^control/p' \
    "$work/data/v1/channels/stable/releases/$(release_seq).note" |
    while IFS= read -r l; do info "  $l"; done

say "6. Two agents enrol, verify everything and enforce v1.0.0"
for a in 1 2; do
	"$bin/lockstep-agent" --server "$srv" --root "$work/keys/1.root.note" \
	    --state "$work/agent$a" --channel stable --name "demo-agent-$a" \
	    --enroll-token demo-enroll-token --listen 127.0.0.1:0 \
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

say "7. Tag v1.1.0 (docker.io/library/ approved); both agents move"
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
t0=$(date +%s.%N)
curl -sf -X POST "$srv/v1/admin/refresh" >/dev/null || true
wait_until 60 "release v1.1.0" sh -c "grep -q '^version v1.1.0' '$work/data/v1/channels/stable/releases/'*.note"
seq2=$(release_seq)
for a in 1 2; do
	wait_until 60 "agent $a on v1.1.0" agent_on "$work/agent$a" v1.1.0 "$seq2"
done
t1=$(date +%s.%N)
info "release seq $seq2 (v1.1.0) enforced by both agents $(python3 -c "print(f'{$t1-$t0:.1f}')") s after the tag (build and tests included)"
decide "$agent1" "$root/tests/data/admission/denied-registry.json" |
    while IFS= read -r l; do info "  deny: $l"; done

say "8. An operator rolls back to v1.0.0: a new seq, never a lower one"
"$ls" rollback stable v1.0.0 --owner alice --reason "INC-42: v1.1.0 approved too much" \
    --until "$(date -u -d '+7 days' +%Y-%m-%d)" --server "$srv" \
    --token-file "$work/admin.token" >/dev/null
seq3=$(release_seq)
for a in 1 2; do
	wait_until 60 "agent $a back on v1.0.0" agent_on "$work/agent$a" v1.0.0 "$seq3"
	info "agent $a: enforcing $(agent_version "$work/agent$a" | sed 's/ / seq /')"
done
"$ls" status --server "$srv" --token-file "$work/admin.token" |
    while IFS= read -r l; do info "$l"; done

say "9. The evidence: every build, publish, operator action and report"
curl -sf "$srv/v1/evidence" >"$work/evidence.jsonl"
python3 - "$work/evidence.jsonl" <<'EOF'
import collections, json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
kinds = collections.Counter(r.get("kind") for r in rows)
print("   %d entries: %s" % (len(rows), ", ".join("%d %s" % (n, k) for k, n in sorted(kinds.items()))))
for r in rows:
    if r.get("kind") == "operator":
        print("   operator:", json.dumps({k: r[k] for k in r if k not in ("prev", "hash")}, sort_keys=True)[:200])
last = {}
for r in rows:
    if r.get("kind") == "report":
        last[r.get("agent")] = r
for a, r in sorted(last.items()):
    print("   last report from %s: %s" % (a, json.dumps({k: r[k] for k in r if k not in ("prev", "hash")}, sort_keys=True)[:200]))
EOF
"$ls" evidence verify "$work/data" && info "hash chain verified: lockstep evidence verify exits 0"

say "Done: stopping the server and both agents"
