#!/usr/bin/env bash
# decisions.sh - cost of decision records (issue 8): the same agent, the
# example bundle (kubernetes/admission/deny) and the same AdmissionReview
# input, with records on (written, fsynced by group commit, uploaded to a
# receiver as signed batches) and with --decision-log=off.  The receiver
# (tests/tools/decision_sink.py --discard) answers 200 without storing,
# so the figures are the agent's cost, not the receiver's on these cores.  wrk drives
# POST /v1/data/... with CONNS connections for SECS seconds, twice each,
# alternating; the best run of each is kept.  Goals: decisions/s on >=
# 0.8x off, p99 latency on <= 1.3x off.
set -u
SECS=${SECS:-5}
CONNS=${CONNS:-8}
export LOCKSTEP_BIN=$(cd "${1:-${LOCKSTEP_BIN:?usage: bench/decisions.sh BIN_DIR}}" && pwd)
export LOCKSTEP_ROOT=${LOCKSTEP_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
. "$LOCKSTEP_ROOT/tests/integration/libagent.sh"
. "$LOCKSTEP_ROOT/tests/integration/libdecisions.sh"
command -v wrk >/dev/null || die "wrk is not installed (make bench installs it)"
NO_LOG_POLICY=1 SINK_ARGS=--discard decisions_world
start_agent on "$SERVER_URL" --report-to "$SINK_URL" ${ON_ARGS:-}
start_agent off "$SERVER_URL" --decision-log=off
wait_until 60 is_version on v1 || die "agent on: no v1"
wait_until 60 is_version off v1 || die "agent off: no v1"
python3 - "$ADM/denied-registry.json" "$W/post.lua" <<'PY'
import json, sys
body = '{"input": ' + open(sys.argv[1]).read() + '}'
open(sys.argv[2], "w").write(
    'wrk.method = "POST"\nwrk.body = %s\n'
    'wrk.headers["Content-Type"] = "application/json"\n' % json.dumps(body))
PY
# run NAME: "RPS P99_MS" of one wrk run against agent NAME.
run() {
	wrk -t2 -c"$CONNS" -d"${SECS}s" --latency -s "$W/post.lua" \
		"http://$(cat "$W/$1.port")/v1/data/kubernetes/admission/deny" \
		>"$W/wrk.$1.txt" 2>&1 || die "wrk failed: $(cat "$W/wrk.$1.txt")"
	awk '/Requests\/sec/ { r = $2 }
	     / 99%/ { v = $2; u = v; gsub(/[0-9.]/, "", u); gsub(/[a-z]/, "", v);
	              m = (u == "us") ? v / 1000 : (u == "s") ? v * 1000 : v }
	     END { printf "%s %s\n", r, m }' "$W/wrk.$1.txt"
}
best_on=0; best_off=0; p99_on=999999; p99_off=999999
for i in 1 2; do
	for a in off on; do
		read -r rps p99 <<<"$(run "$a")"
		if [ "$a" = on ]; then
			best_on=$(awk -v a="$best_on" -v b="$rps" 'BEGIN { print (b > a) ? b : a }')
			p99_on=$(awk -v a="$p99_on" -v b="$p99" 'BEGIN { print (b < a) ? b : a }')
		else
			best_off=$(awk -v a="$best_off" -v b="$rps" 'BEGIN { print (b > a) ? b : a }')
			p99_off=$(awk -v a="$p99_off" -v b="$p99" 'BEGIN { print (b < a) ? b : a }')
		fi
	done
done
recs=$(metric_value on lockstep_agent_decision_records_total)
batches=$(metric_value on lockstep_agent_decision_batches_uploaded_total)
echo "agent decisions (example bundle, image deny, $CONNS connections, ${SECS} s x 2, best run): records on ${best_on}/s p99 ${p99_on} ms; off ${best_off}/s p99 ${p99_off} ms"
awk -v a="$best_on" -v b="$best_off" -v c="$p99_on" -v d="$p99_off" 'BEGIN {
	printf "agent decisions: throughput on/off %.2fx (goal >= 0.8x), p99 on/off %.2fx (goal <= 1.3x)\n", a / b, c / d }'
echo "agent decisions: $recs records written, $batches batches uploaded during the runs"
finish >/dev/null
