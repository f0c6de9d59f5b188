#!/usr/bin/env bash
# server_crash.sh - kill -9 while tags are being built and published, many
# times; after each restart the data folder is consistent (every release
# complete and linked, the timestamp naming the newest, no temp files) and
# in the end every tag is published exactly once.  Also: a release whose
# timestamp was never written is rolled forward, and a torn evidence line
# is cut.
set -u
. "$(dirname "$0")/lib_server.sh"

ntags=32
make_keys
make_repo
# Large, poorly compressible data makes each build take long enough for
# the kills to land inside builds and publishes.
make_tags() {	# make_tags FROM TO
	local i
	for i in $(seq "$1" "$2"); do
		python3 -c "import json,random; random.seed($i); print(json.dumps({'limits': {'cpu': $i}, 'blob': [random.getrandbits(60) for _ in range(8000)]}))" \
		    >"$work/repo/policy/data.json"
		git_q add -A
		git_q commit -qm "change $i"
		git_q tag "v1.$i.0"
	done
}
make_tags 1 8
d=$work/data/v1/channels/stable
rel_sha() { sed -n 's/^bundle sha256:\([0-9a-f]*\) .*/\1/p' "$1"; }

# consistent [crashed]: the invariants a reader (or an agent) relies on.
# At rest the timestamp names the newest release; right after a crash at
# most one release (written, its timestamp not yet) may lie beyond it.
consistent() {
	local n max=0 f ts want named
	[ -d "$d/releases" ] || return 0
	# Temp files are invisible to readers (never at a served name) but
	# must be gone once the server has reopened the folder.
	if [ "${1:-}" != crashed ] &&
	    find "$work/data/v1" -name '*.tmp.*' | grep -q .; then
		echo "temp files left: $(find "$work/data/v1" -name '*.tmp.*')"
		return 1
	fi
	for f in "$d"/releases/*.note; do
		[ -e "$f" ] || continue
		n=$(basename "$f" .note)
		[ "$n" -gt "$max" ] && max=$n
		"$ls" note verify "$work/keys/release.pub" --in "$f" >/dev/null ||
			{ echo "release $n does not verify"; return 1; }
		[ -f "$work/data/v1/bundles/$(rel_sha "$f").tar.gz" ] ||
			{ echo "release $n: bundle missing"; return 1; }
		[ "$(sha256sum <"$work/data/v1/bundles/$(rel_sha "$f").tar.gz" | cut -d' ' -f1)" = "$(rel_sha "$f")" ] ||
			{ echo "release $n: bundle hash differs"; return 1; }
	done
	for n in $(seq 1 "$max"); do
		[ -f "$d/releases/$n.note" ] || { echo "gap at $n"; return 1; }
	done
	ts=$d/timestamp.note
	"$ls" note verify "$work/keys/timestamp.pub" --in "$ts" >/dev/null ||
		{ echo "timestamp does not verify"; return 1; }
	named=$(body_field "$ts" release | cut -d' ' -f1)
	if [ "${1:-}" = crashed ] && [ "$named" -eq $((max - 1)) ]; then
		max=$named
	fi
	want="$max sha256:$(sha256sum <"$d/releases/$max.note" | cut -d' ' -f1) length $(stat -c %s "$d/releases/$max.note")"
	[ "$(body_field "$ts" release)" = "$want" ] ||
		{ echo "timestamp does not name the newest release"; return 1; }
	"$ls" evidence verify "$work/data" || return 1
	return 0
}

for round in $(seq 1 6); do
	make_tags $((round * 4 + 5)) $((round * 4 + 8))	# work for this round
	start_server
	sleep "$(printf '%d.%03d' $((RANDOM % 2)) $((RANDOM % 1000)))"
	kill -KILL "$srv_pid"
	wait "$srv_pid" 2>/dev/null
	published=$(ls "$d/releases" 2>/dev/null | wc -l)
	if consistent crashed; then
		ok "round $round: readers' view consistent after kill -9 ($published releases)"
	else
		fail "round $round: readers' view inconsistent after kill -9"
	fi
	# Recovery happens on open; a channel glob that matches no tag keeps
	# the restarted server from building while we look.
	start_server --channel stable='no-such-tag-*'
	if consistent; then
		ok "round $round: consistent after the restart"
	else
		fail "round $round: inconsistent after the restart"
	fi
	stop_server
done

start_server
check "every tag published in the end" wait_published stable "$ntags"
stop_server
check "consistent at the end" consistent
for i in $(seq 1 $ntags); do
	n=$(grep -lx "version v1.$i.0" "$d"/releases/*.note | wc -l)
	[ "$n" -eq 1 ] || fail "v1.$i.0 published $n times"
done
ok "each tag published exactly once"

# A release written but never named by the timestamp (the crash window
# between the two writes): publish v9.0.0, then put back the timestamp
# from before it.
cp "$d/timestamp.note" "$work/ts.before"
tag_repo v9.0.0 policy/data.json '{"limits": {"cpu": 99}}'
start_server
check "v9.0.0 published as $((ntags + 1))" wait_published stable $((ntags + 1))
stop_server
cp "$work/ts.before" "$d/timestamp.note"
check "old timestamp restored" ts_is stable "$ntags"
start_server
check "restart rolls the timestamp forward" ts_is stable $((ntags + 1))
stop_server
check "roll-forward recorded" evgrep '"kind":"publish".*"recovered":true'
check "the rolled-forward timestamp has a higher seq" test \
    "$(body_field "$d/timestamp.note" seq)" -gt "$(body_field "$work/ts.before" seq)"

# A bundle cut short mid-write (its temp file) is removed on open.
printf 'partial' >"$work/data/v1/bundles/$(printf 'ab%.0s' $(seq 32)).tar.gz.tmp.4242"

# A torn WAL record (died mid-append, never acknowledged) is cut.
n_before=$(wc -l <"$(evlog)")
wal=$(ls "$work"/data/evidence/wal/*.wal | tail -1)
printf '\0\0\1\0{"n":99,"kind":"rep' >>"$wal"
start_server
stop_server
check "torn record cut on open" "$ls" evidence verify "$work/data"
check "nothing lost, nothing added" test "$(wc -l <"$(evlog)")" -eq "$n_before"
check "consistent after all" consistent
finish
