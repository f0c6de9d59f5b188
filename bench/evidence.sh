#!/usr/bin/env bash
# evidence.sh - the evidence store, measured in one run against references
# taken in the same run:
#  1. ingest: durable decision records/s from 8 concurrent appenders
#     (tests/tools/ev_load.c: ls_evidence_append_many, groups of 100) and
#     their bytes/s against dd oflag=dsync writing the same bytes in the
#     same group sizes to the same disk.  Goals >= 100,000 records/s and
#     >= 0.5x dd.
#  2. at BENCH_EV_ENTRIES entries (default 10,000,000, about 1.4 KB of
#     disk each; the run stops first if the disk has not twice that
#     free), spread over 90 days and 100 controls, seeded through the
#     store library in groups of 5,000 (ev-load, not HTTP; it also writes
#     the decision state a server would have, see ev_load.c), then measured
#     while a steady ingest load runs (bench/ingest_load.py: signed
#     batches through POST /v1/decisions, BENCH_EV_LOAD_RATE records/s,
#     default 2,000): inclusion proof p50/p99, a 90-day query for one
#     control (goal < 2 s), timestamp.note p99 (goal: unchanged from an
#     empty log under the same load: against the empty log measured
#     before the seeding, and paired, against a second server on an empty
#     log run beside the big one, round by round; also with 4 control
#     queries streaming), restart time clean and after kill -9 (goal < 1 s).
set -u
bin=${1:-${LOCKSTEP_BIN:?usage: bench/evidence.sh BIN_DIR}}
load=$bin/../tools/ev-load
here=$(cd "$(dirname "$0")" && pwd)
entries=${BENCH_EV_ENTRIES:-10000000}
rate=${BENCH_EV_LOAD_RATE:-2000}
work=$(mktemp -d /tmp/ls-bench-ev.XXXXXX)
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do
		timeout 30 tail --pid="$p" -f /dev/null 2>/dev/null
		kill -KILL "$p" 2>/dev/null
	done
	wait 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
for tool in wrk python3 curl dd; do
	command -v "$tool" >/dev/null || { echo "bench: $tool not installed"; exit 1; }
done
[ -x "$load" ] || { echo "bench: $load missing (make benchprogs)"; exit 1; }
wait_for() { local i; for i in $(seq 1 600); do "$@" >/dev/null 2>&1 && return 0; sleep 0.05; done; return 1; }
now_ms() { date +%s%3N; }
field() { sed -n "s/.*$1 \([0-9.]*\).*/\1/p" "$2" | head -1; }

# ---- 1. ingest -----------------------------------------------------------
n=200000
"$load" "$work/ingest" $n 8 100 10 1 2>"$work/ingest.out" ||
	{ echo "bench: ev-load failed"; cat "$work/ingest.out"; exit 1; }
recs=$(field records "$work/ingest.out")
bytes=$(field bytes "$work/ingest.out")
secs=$(field seconds "$work/ingest.out")
groups=$((recs / 100))
bs=$((bytes / groups))
dd if=/dev/zero of="$work/ingest/dd" bs="$bs" count="$groups" oflag=dsync \
    2>"$work/dd.out"
ddsecs=$(sed -n 's/.* copied, \([0-9.]*\) s.*/\1/p' "$work/dd.out")
python3 - "$recs" "$bytes" "$secs" "$ddsecs" "$bs" <<'PY'
import sys
recs, b, s, dds, bs = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
print("ingest: %d records/s durable from 8 appenders (goal >= 100000): %.2fx" % (recs / s, recs / s / 100000))
print("ingest: %.1f MB/s vs dd oflag=dsync bs=%s of the same bytes %.1f MB/s: %.2fx (goal >= 0.5x)" %
      (b / s / 1e6, bs, b / dds / 1e6, (b / s) / (b / dds)))
PY
echo "ingest: tiles, partitions and index caught up $(field closed "$work/ingest.out") s after the last acknowledgement"
rm -rf "$work/ingest"

# ---- 2. a large log, under an ingest load ---------------------------------
need=$((entries / 1000 * 1400 * 2 / 1024))	# KiB: twice ~1.4 KB an entry
have=$(df -Pk "$work" | awk 'NR == 2 { print $4 }')
if [ "$have" -lt "$need" ]; then
	echo "bench: $entries entries need about $((need / 1048576)) GiB free in $work, there are $((have / 1048576)) GiB; set BENCH_EV_ENTRIES lower"
	exit 1
fi
"$bin/lockstep" init "$work/keys" --origin bench.lockstep >/dev/null
git init -q "$work/repo"
mkdir -p "$work/repo/policy"
printf 'package bench\n\nallow if input.ok\n' >"$work/repo/policy/bench.rego"
git -C "$work/repo" add -A
git -C "$work/repo" -c user.name=b -c user.email=b@b commit -qm bench
git -C "$work/repo" tag v1.0.0
echo bench-admin >"$work/admin.token"
chmod 600 "$work/admin.token"
serve() {	# DATA [PORT_FILE]: start a server, set spid and url
	local pf=${2:-$work/port}
	rm -f "$pf"
	"$bin/lockstep-server" --repo "$work/repo" --keys "$work/keys" \
	    --data "$1" --listen 127.0.0.1:0 --port-file "$pf" \
	    --admin-token-file "$work/admin.token" --poll-interval 3600 \
	    --agent-writes-per-min 0 --agent-bytes-per-min 0 \
	    >>"$work/server.log" 2>&1 &
	spid=$!
	pids+=("$spid")
	wait_for test -s "$pf" || { echo "bench: no server"; tail "$work/server.log"; exit 1; }
	url="http://$(cat "$pf")"
	wait_for curl -sf -o /dev/null "$url/health"
}
restart() {	# TERM|KILL DATA: stop the server; rt = ms from start to answering
	kill -"$1" "$spid"
	wait "$spid" 2>/dev/null
	t0=$(now_ms)
	serve "$2"
	rt=$(($(now_ms) - t0))
}
ts_one() {	# [URL] -> p99 ms of timestamp.note, 3 s, 8 connections
	wrk -t2 -c8 -d3s --latency "${1:-$url}/v1/channels/stable/timestamp.note" |
	    awk '$1 == "99%" { v = $2; if (v ~ /us$/) { sub(/us/, "", v); v /= 1000 }
	         else if (v ~ /ms$/) sub(/ms/, "", v); else if (v ~ /s$/) { sub(/s/, "", v); v *= 1000 }
	         print v }'
}
ts_p99() {	# -> median of 3 runs of ts_one
	local k
	for k in 1 2 3; do ts_one; done | sort -n | sed -n 2p
}
# The load: 2 uploaders, batches of 200, enough for 150 s at the rate.
. "$here/lib_ingest.sh"
lnb=$((rate * 150 / 400 + 1))
make_batches "$work/load" 2 "$lnb" 200 || { echo "bench: no batches"; exit 1; }
load_start() {	# [PORT_FILE OUT]: enrol the uploaders, start the load; sets lpid
	local pf=${1:-$work/port}
	enrol_batches "$work/load" 2 "http://$(cat "$pf")" "$work/admin.token" >/dev/null ||
		{ echo "bench: enrolment failed"; exit 1; }
	python3 "$here/ingest_load.py" "$work/load" "$pf" 2 "$lnb" 200 \
	    "$rate" 150 >"${2:-$work/load.out}" 2>&1 &
	lpid=$!
	pids+=("$lpid")
	sleep 2
}
load_stop() {	# stop the load; lres = "load: ... records acknowledged ..."
	kill -TERM "$lpid"
	wait "$lpid"
	lres=$(cat "$work/load.out")
}

# The empty-log reference, under the same load.
serve "$work/empty"
wait_for test -s "$work/empty/v1/channels/stable/timestamp.note"
load_start
ts_empty=$(ts_p99)
restart TERM "$work/empty"
restart_empty=$rt
load_stop
echo "empty log under the load: timestamp.note p99 $ts_empty ms, restart $restart_empty ms; $lres"
kill -TERM "$spid"; wait "$spid"

t0=$(now_ms)
LS_LOAD_STATE=1 "$load" "$work/data" "$entries" 4 5000 100 90 2>"$work/big.out" ||
	{ echo "bench: ev-load failed"; cat "$work/big.out"; exit 1; }
echo "log: $entries entries seeded in $(( ($(now_ms) - t0) / 1000 )) s" \
    "($(du -sh "$work/data/evidence" | cut -f1) on disk; load $(cut -d' ' -f1 /proc/loadavg))"
serve "$work/data"
wait_for test -s "$work/data/v1/channels/stable/timestamp.note"
load_start
wait_for sh -c "curl -sf '$url/v1/evidence/checkpoint' | sed -n 2p | grep -q ."
size=$(curl -sf "$url/v1/evidence/checkpoint" | sed -n 2p)

python3 - "$url" "$size" <<'PY'
import http.client, random, sys, time
host = sys.argv[1][len("http://"):]
size = int(sys.argv[2])
c = http.client.HTTPConnection(host, timeout=30)
lat = []
for _ in range(2000):
    i = random.randrange(size)
    t = time.perf_counter()
    c.request("GET", "/v1/evidence/proof?index=%d&size=%d" % (i, size))
    r = c.getresponse(); r.read()
    assert r.status == 200, r.status
    lat.append((time.perf_counter() - t) * 1000)
lat.sort()
print("inclusion proof at %d entries under the load: p50 %.2f ms, p99 %.2f ms" % (size, lat[1000], lat[1979]))
PY

since=$(date -u -d '89 days ago' +%Y-%m-%d)
until=$(date -u +%Y-%m-%d)
q="$url/v1/evidence?control=soc2:CC7&since=$since&until=$until"
t0=$(now_ms)
lines=$(curl -s -m 60 "$q" | wc -l)
t1=$(now_ms)
echo "90-day query for one control under the load: $((lines - 1)) entries in $((t1 - t0)) ms (goal < 2000 ms): $(python3 -c "print('%.2fx' % ($((t1 - t0)) / 2000))") of the goal"

ts_big=$(ts_p99)
python3 -c "
e, b = float('$ts_empty' or 0), float('$ts_big' or 0)
print('timestamp.note p99 under the load: %.2f ms at %d entries, %.2f ms on the empty log measured before the seeding: %.2fx' % (b, $size, e, b / e if e else 0))"

# The same, paired: a second server on a new empty log, under its own copy
# of the load, beside the big one; 5 rounds of one 3 s wrk run on each,
# alternating, so that both see the machine as it is in that round.
big_spid=$spid big_url=$url big_lpid=$lpid
serve "$work/empty2" "$work/port2"
e_spid=$spid e_url=$url
wait_for test -s "$work/empty2/v1/channels/stable/timestamp.note"
load_start "$work/port2" "$work/load2.out"
e_lpid=$lpid
spid=$big_spid url=$big_url lpid=$big_lpid
for r in 1 2 3 4 5; do
	echo "$(ts_one "$e_url") $(ts_one "$big_url")"
done >"$work/paired"
kill -TERM "$e_lpid"; wait "$e_lpid"
kill -TERM "$e_spid"; wait "$e_spid"
python3 - "$work/paired" "$size" <<'PY'
import statistics, sys
rows = [tuple(map(float, l.split())) for l in open(sys.argv[1]) if len(l.split()) == 2]
if not rows:
    sys.exit("bench: no paired timestamp.note figures")
e = statistics.median(r[0] for r in rows)
b = statistics.median(r[1] for r in rows)
print("timestamp.note p99 under the load, paired (%d rounds, each: empty log, then big log): "
      "median %.2f ms at %s entries, %.2f ms on an empty log: %.2fx (goal 1x); ratios by round %s" %
      (len(rows), b, sys.argv[2], e, b / e if e else 0,
       " ".join("%.2f" % (r[1] / r[0]) if r[0] else "-" for r in rows)))
PY

# ... and with 4 control queries streaming besides.
qpids=()
for k in 1 2 3 4; do
	( end=$((SECONDS + 11)); while [ $SECONDS -lt $end ]; do
		curl -s -m 30 -o /dev/null "$url/v1/evidence?control=soc2:CC$k&since=$since"
	done ) &
	qpids+=($!)
	pids+=($!)
done
sleep 0.5
ts_q=$(ts_p99)
wait "${qpids[@]}"
python3 -c "
e, b = float('$ts_empty' or 0), float('$ts_q' or 0)
print('timestamp.note p99 under the load and 4 control queries: %.2f ms, %.2fx the empty log' % (b, b / e if e else 0))"

restart TERM "$work/data"
r_clean=$rt
echo "restart (clean) at $size entries under the load: $r_clean ms to answering (goal < 1000 ms), empty log $restart_empty ms"
sleep 2
restart KILL "$work/data"
r_kill=$rt
echo "restart (after kill -9) at $size entries under the load: $r_kill ms to answering (goal < 1000 ms), empty log $restart_empty ms"
sleep 1
load_stop
echo "$lres (asked for $rate records/s)"
kill -TERM "$spid"; wait "$spid" || echo "bench: the server's exit status on TERM was $?"
