#!/usr/bin/env bash
# agent_kill9.sh - kill -9 at 50 random points of an update (download,
# extraction, swap, state write): each time the state directory stays
# consistent (state.json parses and names an existing bundle, the policy
# still answers) and the next run completes the update.
#
# Cost is kept bounded: each point copies a small base state enforcing v1
# and runs `lockstep-agent --once` towards v2 (a bundle with a 2 MiB data
# file, so download and extraction take measurable time), killed after a
# random delay within the measured length of a whole update.
. "$(dirname "$0")/libagent.sh"
POINTS=${POINTS:-50}
setup_world
once() {	# STATE [extra]
	local s=$1
	shift
	"$AGENT" --server "$SERVER_URL" --root "$W/keys/1.root.note" \
		--state "$s" --channel stable --name k9 --listen off --once \
		--log-json "$@"
}
once "$W/base" >"$W/base.log" 2>&1 || die "base --once failed"
[ "$(status base active.version)" = v1 ] || die "base does not enforce v1"
tag v2 2097152
wait_until 90 published_version v2 || die "v2 not published"

# Measure one whole update (ms).
cp -a "$W/base" "$W/measure"
t0=$(date +%s%N)
once "$W/measure" >"$W/measure.log" 2>&1 || die "measured update failed"
span=$((($(date +%s%N) - t0) / 1000000))
[ "$(status measure active.version)" = v2 ] || die "measured update: not v2"
echo "one update takes ${span} ms"

declare -A phase
for i in $(seq 1 "$POINTS"); do
	s=$W/k$i
	rm -rf "$s"
	cp -a "$W/base" "$s"
	delay=$((RANDOM % (span + 1)))
	once "$s" >"$s.log" 2>&1 &
	pid=$!
	PIDS+=("$pid")
	sleep "$(awk -v d="$delay" 'BEGIN { printf "%.3f", d / 1000 }')"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	last=$(grep -o '"event":"[a-z]*"' "$s.log" | tail -n 1 | cut -d'"' -f4)
	phase[${last:-start}]=$((${phase[${last:-start}]:-0} + 1))
	# Consistent after the kill: state.json parses, names a bundle that
	# exists, and a restarted agent enforces it before any network.
	v=$(status "k$i" active.version)
	case "$v" in v1 | v2) ;; *) fail "point $i: active version '$v'"; continue ;; esac
	dir=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["active"]["dir"])' "$s/state.json")
	[ -d "$s/$dir" ] || fail "point $i: $dir missing"
	# Restart: the update completes and leaves nothing behind.
	if ! once "$s" >>"$s.log" 2>&1; then
		fail "point $i (after $last, ${delay} ms): update after restart failed"
		tail -n 5 "$s.log"
		continue
	fi
	[ "$(status "k$i" active.version)" = v2 ] || fail "point $i: not v2 after restart"
	dir=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["active"]["dir"])' "$s/state.json")
	[ "$(readlink "$s/current")" = "$dir" ] || fail "point $i: current -> $(readlink "$s/current"), state $dir"
	[ "$(ls "$s/bundles" | wc -l)" -eq 1 ] || fail "point $i: leftover bundles $(ls "$s/bundles")"
	[ -z "$(ls "$s/tmp")" ] || fail "point $i: leftover tmp files"
	grep -q "Sanitizer\|runtime error:" "$s.log" &&
		fail "point $i: sanitizer report: $(grep -m 3 "Sanitizer\|runtime error:" "$s.log")"
	rm -rf "$s" "$s.log"
done
summary=""
for k in "${!phase[@]}"; do summary="$summary $k=${phase[$k]}"; done
echo "last event logged before each kill:$summary"
ok "$POINTS kill -9 points: consistent state and a completed update after each"
finish
