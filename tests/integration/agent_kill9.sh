#!/usr/bin/env bash
# agent_kill9.sh - kill -9 at 50 random points of an update (download,
# extraction, swap, state write): each time the state directory stays
# consistent (state.json parses and names an existing bundle, the policy
# still answers) and the next run completes the update.
#
# Cost is kept bounded: each point copies a small base state enforcing v1
# and runs `lockstep-agent --once` towards v2 (a bundle with a 768 KiB data
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
tag v2 786432
wait_until 90 published_version v2 || die "v2 not published"

# Measure one whole update (ms).
cp -a "$W/base" "$W/measure"
t0=$(date +%s%N)
once "$W/measure" >"$W/measure.log" 2>&1 || die "measured update failed"
span=$((($(date +%s%N) - t0) / 1000000))
[ "$(status measure active.version)" = v2 ] || die "measured update: not v2"
echo "one update takes ${span} ms"

# check STATE WANT: state.json parses, its active bundle directory exists
# and, when WANT is "final", the update is complete and nothing is left
# over.  Prints nothing on success, the problem otherwise.
check() {
	python3 - "$1" "$2" <<'PY'
import json, os, sys
s, want = sys.argv[1], sys.argv[2]
st = json.load(open(os.path.join(s, "state.json")))
act = st.get("active") or {}
v, d = act.get("version"), act.get("dir", "")
if v not in ("v1", "v2"):
    print("active version %r" % v); sys.exit()
if not os.path.isdir(os.path.join(s, d)):
    print("%s missing" % d); sys.exit()
if want == "final":
    if v != "v2":
        print("still %s after the restart" % v)
    elif os.readlink(os.path.join(s, "current")) != d:
        print("current -> %s, state %s" % (os.readlink(os.path.join(s, "current")), d))
    elif len(os.listdir(os.path.join(s, "bundles"))) != 1:
        print("leftover bundles %s" % os.listdir(os.path.join(s, "bundles")))
    elif os.listdir(os.path.join(s, "tmp")):
        print("leftover tmp files")
PY
}

# point I: copy the base, kill -9 a --once after a random delay, check,
# restart, check; writes "PHASE" or "FAIL ..." to $W/kI.result.
point() {
	local i=$1 s=$W/k$1 delay pid last why
	cp -a "$W/base" "$s"
	delay=$((RANDOM % (span + 1)))
	once "$s" >"$s.log" 2>&1 &
	pid=$!
	sleep "$(awk -v d="$delay" 'BEGIN { printf "%.3f", d / 1000 }')"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	last=$(grep -o '"event":"[a-z]*"' "$s.log" | tail -n 1 | cut -d'"' -f4)
	why=$(check "$s" killed)
	if [ -z "$why" ]; then
		once "$s" >>"$s.log" 2>&1 || why="update after restart failed: $(tail -n 2 "$s.log")"
	fi
	[ -n "$why" ] || why=$(check "$s" final)
	if grep -q "Sanitizer\|runtime error:" "$s.log"; then
		why="sanitizer report: $(grep -m 3 "Sanitizer\|runtime error:" "$s.log")"
	fi
	if [ -n "$why" ]; then
		echo "FAIL point $i (killed after ${delay} ms, last event ${last:-none}): $why" >"$s.result"
	else
		echo "${last:-start}" >"$s.result"
		rm -rf "$s" "$s.log"
	fi
}

# Two points at a time (one per core), each bounded by run-all's timeout.
for i in $(seq 1 2 "$POINTS"); do
	point "$i" &
	p1=$!
	if [ $((i + 1)) -le "$POINTS" ]; then
		point $((i + 1)) &
		p2=$!
		wait "$p2"
	fi
	wait "$p1"
done
declare -A phase
for i in $(seq 1 "$POINTS"); do
	r=$(cat "$W/k$i.result" 2>/dev/null || echo "FAIL point $i: no result")
	case "$r" in
	FAIL*) fail "${r#FAIL }" ;;
	*) phase[$r]=$((${phase[$r]:-0} + 1)) ;;
	esac
done
summary=""
for k in "${!phase[@]}"; do summary="$summary $k=${phase[$k]}"; done
echo "last event logged before each kill:$summary"
ok "$POINTS kill -9 points: consistent state and a completed update after each"
finish
