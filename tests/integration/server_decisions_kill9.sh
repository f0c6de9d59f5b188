#!/usr/bin/env bash
# server_decisions_kill9.sh - three uploaders post signed decision batches
# while the server is killed with SIGKILL at 30 random moments (and
# restarted).  Each uploader resends the same bytes until it gets a 200.
# Afterwards: every acknowledged batch is in the log exactly once as a
# whole group (batch entry + its records), no part of a group is in the
# log without the rest, each agent's seqs run 1..N
# without a gap or a duplicate, nothing was refused, the exception uses
# in the records are counted exactly once in /metrics, and inclusion
# proofs of the batch entries verify against the signed checkpoint.
set -u
. "$(dirname "$0")/lib_server.sh"
. "$(dirname "$0")/lib_decisions.sh"

make_keys
make_repo
tag_repo v1.0.0
echo "admin-token" >"$work/admin.token"
chmod 600 "$work/admin.token"	# secrets are refused when others can read them
start_server --admin-token-file "$work/admin.token"
check "published" wait_published stable 1
agents="u1 u2 u3"
for a in $agents; do
	"$ls" keygen "$a" -o "$work/k-$a" >/dev/null
	"$ls" agent add "$a" "$work/k-$a/$a.pub" --server "$url" \
	    --token-file "$work/admin.token" || fail "enrol $a"
done

waived='[{"id":"EXC-K9","owner":"o@example.org","ticket":"T-9","expires":"2099-01-01","rule":"data.policy.admission.deny","controls":["soc2:CC6.1"]}]'

# uploader AGENT: batches of 1..12 records until $work/stop exists (at
# most 400); each is retried (same bytes) until a 200, for up to 60 s.
uploader() {
	local a=$1 dir=$work/up-$1 seq=1 prev=$zeros i n s code tries u
	mkdir -p "$dir"
	for i in $(seq 1 400); do
		[ -f "$work/stop" ] && break
		n=$((RANDOM % 12 + 1))
		for s in $(seq "$seq" $((seq + n - 1))); do
			# every third record used an exception
			rec "$a" "$s" "$([ $((s % 3)) = 0 ] && echo "$waived")"
		done >"$dir/l$i"
		batch "$dir/b$i" "$a" "$work/k-$a/$a.key" "$prev" "$dir/l$i" ||
			return 1
		for tries in $(seq 1 600); do
			u="http://$(cat "$work/port" 2>/dev/null)"
			code=$(post_batch "$dir/b$i" "$u")
			[ "$code" = 200 ] && break
			if [ "${code:0:1}" = 4 ]; then
				echo "$a batch $i: $code $(cat "$dir/b$i.answer")" >>"$work/refusals"
				return 1
			fi
			sleep 0.1
		done
		[ "$code" = 200 ] || { echo "$a batch $i: gave up" >>"$work/refusals"; return 1; }
		echo "$a $seq $((seq + n - 1)) $(cat "$dir/b$i.sha")" >>"$work/acked"
		seq=$((seq + n))
		prev=$(cat "$dir/b$i.sha")
	done
}

upids=()
for a in $agents; do
	uploader "$a" &
	upids+=($!)
	pids+=($!)
done
for k in $(seq 1 30); do
	sleep "0.$((RANDOM % 5))$((RANDOM % 10))"
	kill -KILL "$srv_pid" 2>/dev/null
	wait "$srv_pid" 2>/dev/null
	start_server --admin-token-file "$work/admin.token"
done
touch "$work/stop"
for p in "${upids[@]}"; do
	timeout 120 tail --pid="$p" -f /dev/null
	wait "$p" || fail "uploader $p failed"
done
check "no batch refused" test ! -s "$work/refusals"
[ -s "$work/refusals" ] && head "$work/refusals"
check "batches acknowledged" test "$(wc -l <"$work/acked")" -ge 10
echo "acknowledged: $(wc -l <"$work/acked") batches"

for a in $agents; do
	ev_entries "" "$a" >"$work/ev-$a"
done
check "every acknowledged batch exactly once, seqs without gaps" \
    python3 - "$work/acked" $agents <<'PY'
import json, sys
acked = [l.split() for l in open(sys.argv[1])]
ok = True
for agent in sys.argv[2:]:
    entries = [json.loads(l) for l in open(sys.argv[1].rsplit("/", 1)[0] + "/ev-" + agent)]
    entries.sort(key=lambda e: e["n"])
    groups, pending, orphans = [], None, 0
    for e in entries:
        if e["kind"] == "batch":
            if pending is not None:
                orphans += 1
            pending = (e["details"], [])
        elif e["kind"] == "decision" and pending is not None:
            pending[1].append(e["details"]["seq"])
            if len(pending[1]) == pending[0]["count"]:
                groups.append(pending)
                pending = None
    if pending is not None:
        orphans += 1
    seqs = sorted(s for g in groups for s in g[1])
    mine = [a for a in acked if a[0] == agent]
    last = max(int(a[2]) for a in mine)
    if seqs != list(range(1, last + 1)):
        print(agent, "seqs are not 1..%d exactly once" % last); ok = False
    shas = [g[0]["sha256"] for g in groups]
    for a in mine:
        if shas.count(a[3]) != 1:
            print(agent, "batch", a[1:3], "present", shas.count(a[3]), "times"); ok = False
    if len(groups) != len(mine):
        print(agent, len(groups), "groups for", len(mine), "acknowledged batches"); ok = False
    if orphans:  # an append is all or nothing, even under kill -9
        print(agent, orphans, "partial groups in the log"); ok = False
    print("%s: %d batches, seqs 1..%d" % (agent, len(mine), last))
sys.exit(0 if ok else 1)
PY

# Exception uses counted exactly once across the crashes: every third seq
# of each agent's 1..N.
want=0
for a in $agents; do
	last=$(awk -v a="$a" '$1 == a { l = $3 } END { print l }' "$work/acked")
	want=$((want + last / 3))
done
check "exception uses counted once each: $want" grep -qx \
    "lockstep_exception_uses_total{exception=\"EXC-K9\",rule=\"data.policy.admission.deny\",control=\"soc2:CC6.1\"} $want" \
    <(curl -s -m 5 "$url/metrics")

# Inclusion proofs of every batch entry against the signed checkpoint.
total=$(ev_entries | wc -l)
ckpt_covers() {
	curl -sf -m 5 "$url/v1/evidence/checkpoint" >"$work/ckpt" &&
	    "$ls" note verify "$work/keys/log.pub" --in "$work/ckpt" \
	    >"$work/ckpt.body" && [ "$(sed -n 2p "$work/ckpt.body")" -ge "$total" ]
}
check "signed checkpoint covers the log" wait_until 10 ckpt_covers
size=$(sed -n 2p "$work/ckpt.body")
ev_entries >"$work/all.jsonl"
ev_entries batch >"$work/batches"
: >"$work/proofs"
while read -r n; do
	curl -s -m 5 "$url/v1/evidence/proof?index=$n&size=$size" >>"$work/proofs"
done < <(sed 's/^{"n":\([0-9]*\),.*/\1/' "$work/batches")
check "inclusion proofs of $(wc -l <"$work/batches") batch entries verify" \
    python3 "$LOCKSTEP_ROOT/tests/tools/proof_check.py" "$work/all.jsonl" \
    "$work/proofs" "$work/ckpt.body"
stop_server
check "evidence chain intact" "$ls" evidence verify "$work/data"
finish
