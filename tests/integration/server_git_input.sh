#!/usr/bin/env bash
# server_git_input.sh - hostile git input: tags on blobs and trees (and
# annotated-tag chains ending in one) are recorded once as failed builds;
# a huge blob is refused from its object header, before it is inflated;
# a build killed part-way is retried a bounded number of times, then
# recorded as failed; 520 tests with 500-character names make one
# build record, not a rebuild on every poll.
set -u
. "$(dirname "$0")/lib_server.sh"

# builds TAG: one line "result stage reason" per build record of TAG.
builds() {
	curl -s -m 10 "$url/v1/evidence?kind=build&channel=stable" |
		python3 -c 'import json, sys
for line in sys.stdin:
    line = line.strip()
    if not line:
        continue
    d = json.loads(line).get("details") or {}
    if d.get("tag") == sys.argv[1]:
        print(d.get("result"), d.get("stage", "-"), d.get("reason", "-"))' "$1"
}
# within SECONDS CMD...: retry CMD until it succeeds, bounded by wall time
# (each try reads the whole evidence, so a count of tries would not be).
within() {
	local end=$((SECONDS + $1))
	shift
	while [ "$SECONDS" -lt "$end" ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	return 1
}
nbuilds() { builds "$1" | wc -l; }
one_failed() { test "$(nbuilds "$1")" = 1 && builds "$1" | grep -q '^failed '; }
reason_has() { builds "$1" | grep -q -- "$2"; }
hwm() { sed -n 's/^VmHWM:[^0-9]*\([0-9]*\) kB/\1/p' "/proc/$srv_pid/status"; }
tag_published() {
	grep -qx "version $1" "$work/data/v1/channels/stable/releases/"*.note
}
kill9() { kill -KILL "$srv_pid"; wait "$srv_pid" 2>/dev/null; }

make_keys
make_repo
tag_repo v1.0.0

# 1. Tags that do not end in a commit.
blob=$(git_q rev-parse HEAD:policy/data.json)
tree=$(git_q rev-parse 'HEAD^{tree}')
git_q tag v1.1.0 "$blob"
git_q tag v1.2.0 "$tree"
git_q tag -a v1.3.0 -m "annotated, on a blob" "$blob"
git_q tag -a inner -m "annotated, on a tree" "$tree"
git_q tag -a v1.4.0 -m "a tag of a tag of a tree" inner
tag_repo v1.5.0 policy/data.json '{"limits": {"cpu": 3}}'
start_server --poll-interval 1
check "v1.0.0 and v1.5.0 published past the bad tags" wait_published stable 2
sleep 3	# three more polls
for t in v1.1.0 v1.2.0 v1.3.0 v1.4.0; do
	check "$t recorded once as a failed build ($(builds $t | head -n 1))" \
	    one_failed "$t"
done
check "v1.5.0 built once" test "$(nbuilds v1.5.0)" = 1

stop_server

# From here the server fetches over git:// (git daemon), as from a real
# remote: libgit2's transport for a local path inflates every object it
# copies, whatever the pipeline does afterwards.
dport=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
git daemon --export-all --base-path="$work" --listen=127.0.0.1 \
    --port="$dport" --reuseaddr "$work" >"$work/daemon.log" 2>&1 &
pids+=("$!")
wait_until 10 git ls-remote "git://127.0.0.1:$dport/repo" ||
	fail "git daemon did not start"
repo_url="git://127.0.0.1:$dport/repo"
start_server --poll-interval 1

# 2. A 200 MiB blob against the 64 MiB cap of a policy tree: refused from
# its header, so the server's peak RSS does not grow by the blob.
h0=$(hwm)
head -c 200M /dev/zero >"$work/repo/policy/big.bin"
git_q add -A
git_q commit -qm "a 200 MiB blob"
git_q tag v2.0.0
git_q rm -q policy/big.bin
git_q commit -qm "without the blob"
refresh
check "v2.0.0 recorded as failed" within 60 one_failed v2.0.0
h1=$(hwm)
check "peak RSS grew by less than 64 MiB ($h0 kB -> $h1 kB)" \
    test $((h1 - h0)) -lt 65536
check "v2.0.0 failed on the size cap ($(builds v2.0.0))" reason_has v2.0.0 MiB
check "nothing published for it" ts_is stable 2

# 3. 520 tests with 500-character names (521 with the first one): one
# build record, published, its counts complete.
name=$(printf 'n%.0s' $(seq 1 495))
{
	echo "package policy.many_test"
	echo
	for i in $(seq 1 520); do
		printf 'test_%03d_%s if { true }\n' "$i" "$name"
	done
} >"$work/repo/policy/many_test.rego"
tag_repo v3.0.0 policy/data.json '{"limits": {"cpu": 4}}'
refresh
check "v3.0.0 published" wait_until 60 tag_published v3.0.0
sleep 4	# four more polls
check "v3.0.0 has one build record ($(nbuilds v3.0.0))" \
    test "$(nbuilds v3.0.0)" = 1
curl -s -m 10 "$url/v1/evidence?kind=build&channel=stable" |
	grep '"v3.0.0"' >"$work/record3"
check "its record keeps the counts ($(wc -c <"$work/record3") bytes)" \
    grep -q '"tests":{"passed":521,"failed":0}' "$work/record3"
check "and says it is truncated" grep -q '"truncated":true' "$work/record3"
stop_server
unset repo_url

# 4. A build killed part-way (kill -9) three times is recorded as failed
# on the next start instead of running a fourth time.
git_q rm -q policy/many_test.rego
for i in 1 2 3 4; do
	cat >"$work/repo/policy/slow${i}_test.rego" <<REGO
package policy.slow${i}_test

test_slow if {
	count([1 | some x in numbers.range(1, 2000); some y in numbers.range(1, 2000); x < y]) > 0
}
REGO
done
tag_repo v4.0.0 policy/data.json '{"limits": {"cpu": 5}}'
# A server stopped between a fetch and its tag listing leaves the bad
# tags in its mirror (as section 3's stop may have); the next start's
# fetch must not fail on them, or v4.0.0 waits a whole poll interval.
git --git-dir="$work/data/git" update-ref refs/tags/v1.1.0 "$blob" ||
	fail "could not put a bad tag back in the mirror"
: >"$work/server.log"
for i in 1 2 3; do
	start_server --poll-interval 60
	if within 30 grep -q "tag v4.0.0: build attempt $i of 3" "$work/server.log"; then
		ok "attempt $i started"
	else
		fail "attempt $i did not start"
	fi
	sleep 0.5
	kill9
done
start_server --poll-interval 60
check "v4.0.0 recorded as failed after 3 attempts" within 30 one_failed v4.0.0
check "with a reason naming the attempts ($(builds v4.0.0))" reason_has v4.0.0 attempts
check "no fourth attempt" sh -c "! grep -q 'build attempt 4' '$work/server.log'"
check "still serving release 3" ts_is stable 3
stop_server
finish
