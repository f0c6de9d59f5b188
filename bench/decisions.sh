#!/usr/bin/env bash
# decisions.sh - cost of decision records (issue 8): the same agent, the
# example bundle (kubernetes/admission/deny) and the same AdmissionReview
# input, with records on (written, fsynced by group commit, uploaded to a
# receiver as signed batches) and with --decision-log=off (ROUNDS paired
# rounds of SECS seconds, medians of the per-round ratios).  The receiver
# (tests/tools/decision_sink.py --discard) answers 200 without storing,
# so the figures are the agent's cost, not the receiver's on these cores.
# wrk drives POST /v1/data/... with CONNS connections.  Goals:
# decisions/s on >= 0.8x off, p99 latency on <= 1.3x off.  Beside them,
# the agent's CPU time per decision (all threads, from /proc): on a
# shared machine the rates follow the neighbours' load, the CPU cost of
# a decision much less.
set -u
SECS=${SECS:-3}
ROUNDS=${ROUNDS:-5}
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
# cpu NAME: the agent's user+system CPU ticks so far (all its threads:
# the record, the group fsync and the uploader included).
cpu() {
	awk '{ print $14 + $15 }' "/proc/${AGENT_PID_OF[$1]}/stat"
}
# run NAME: "RPS P99_MS CPU_US" of one wrk run against agent NAME (2xx
# answers a second); CPU_US is the agent's CPU per 2xx answer, which the load of a shared
# machine moves far less than the rate.
run() {
	local c0
	c0=$(cpu "$1")
	wrk -t2 -c"$CONNS" -d"${SECS}s" --latency -s "$W/post.lua" \
		"http://$(cat "$W/$1.port")/v1/data/kubernetes/admission/deny" \
		>"$W/wrk.$1.txt" 2>&1 || die "wrk failed: $(cat "$W/wrk.$1.txt")"
	sleep 0.2 # the last answers' records and fsync
	# 2xx answers only: a 429 (one client past THREADS-1 decisions in
	# flight) is a cheap answer that would flatter the rate
	awk -v t=$(($(cpu "$1") - c0)) -v hz="$(getconf CLK_TCK)" '
	     / requests in / { n = $1; d = $4; sub(/,$/, "", d);
	                       s = d + 0; if (d ~ /ms$/) s /= 1000;
	                       else if (d ~ /m$/) s *= 60 }
	     /Non-2xx or 3xx responses:/ { bad = $5 }
	     / 99%/ { v = $2; u = v; gsub(/[0-9.]/, "", u); gsub(/[a-z]/, "", v);
	              m = (u == "us") ? v / 1000 : (u == "s") ? v * 1000 : v }
	     END { g = n - bad
	           printf "%.0f %s %.1f\n", (s > 0 ? g / s : 0), m,
	                  (g > 0 ? t * 1e6 / hz / g : 0) }' \
		"$W/wrk.$1.txt"
}
# Paired rounds (off then on, back to back) and the median of the
# per-round ratios: the load of a shared machine drifts between rounds.
: >"$W/rounds"
for i in $(seq 1 "$ROUNDS"); do
	read -r rps_off p99_off cpu_off <<<"$(run off)"
	read -r rps_on p99_on cpu_on <<<"$(run on)"
	echo "$rps_on $p99_on $rps_off $p99_off $cpu_on $cpu_off" >>"$W/rounds"
done
read -r med_on med_p99_on med_off med_p99_off tput p99r cpu_on cpu_off cpur <<<"$(python3 - "$W/rounds" <<'PY'
import statistics, sys
rows = [list(map(float, l.split())) for l in open(sys.argv[1])]
med = lambda k: statistics.median(r[k] for r in rows)
print("%.0f %.2f %.0f %.2f %.2f %.2f %.1f %.1f %.2f" % (med(0), med(1), med(2),
      med(3), statistics.median(r[0] / r[2] for r in rows),
      statistics.median(r[1] / r[3] for r in rows), med(4), med(5),
      statistics.median(r[5] / r[4] for r in rows if r[4] > 0)))
PY
)"
echo "agent decisions (example bundle, image deny, $CONNS connections, $ROUNDS rounds of ${SECS} s each, medians): records on ${med_on}/s p99 ${med_p99_on} ms; off ${med_off}/s p99 ${med_p99_off} ms"
echo "agent decisions: throughput on/off ${tput}x (goal >= 0.8x), p99 on/off ${p99r}x (goal <= 1.3x)"
echo "agent decisions: agent CPU per decision on ${cpu_on} us, off ${cpu_off} us: off/on ${cpur}x (the cost ratio, which the neighbours move less than the rates); load average $(cut -d' ' -f1-3 /proc/loadavg)"
recs=$(metric_value on lockstep_agent_decision_records_total)
batches=$(metric_value on lockstep_agent_decision_batches_uploaded_total)
echo "agent decisions: $recs records written, $batches batches uploaded during the runs"
finish >/dev/null
