#!/usr/bin/env bash
# evidence.sh - the evidence store, measured in one run against references
# taken in the same run:
#  1. ingest: durable decision records/s from 8 concurrent appenders
#     (tests/tools/ev_load.c: ls_evidence_append_many, groups of 100) and
#     their bytes/s against dd oflag=dsync writing the same bytes in the
#     same group sizes to the same disk.  Goals >= 100,000 records/s and
#     >= 0.5x dd.
#  2. at BENCH_EV_ENTRIES entries (default 1,000,000: 10 M takes about
#     ten times as long and ~6 GB; set BENCH_EV_ENTRIES=10000000 for the
#     issue's figure), spread over 90 days and 100 controls: restart time
#     (clean and after kill -9; goal < 1 s), inclusion proof p50/p99, a
#     90-day query for one control (goal < 2 s), and timestamp.note p99
#     while 4 control queries run, against the same on an empty log.
set -u
bin=${1:-${LOCKSTEP_BIN:?usage: bench/evidence.sh BIN_DIR}}
load=$bin/../tools/ev-load
entries=${BENCH_EV_ENTRIES:-1000000}
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

# ---- 2. a large log ------------------------------------------------------
"$bin/lockstep" init "$work/keys" --origin bench.lockstep >/dev/null
git init -q "$work/repo"
mkdir -p "$work/repo/policy"
printf 'package bench\n\nallow if input.ok\n' >"$work/repo/policy/bench.rego"
git -C "$work/repo" add -A
git -C "$work/repo" -c user.name=b -c user.email=b@b commit -qm bench
git -C "$work/repo" tag v1.0.0
serve() {	# DATA: start a server, set spid and url
	rm -f "$work/port"
	"$bin/lockstep-server" --repo "$work/repo" --keys "$work/keys" \
	    --data "$1" --listen 127.0.0.1:0 --port-file "$work/port" \
	    --poll-interval 3600 >>"$work/server.log" 2>&1 &
	spid=$!
	pids+=("$spid")
	wait_for test -s "$work/port" || { echo "bench: no server"; cat "$work/server.log"; exit 1; }
	url="http://$(cat "$work/port")"
	wait_for curl -sf -o /dev/null "$url/health"
}
ts_p99() {	# -> p99 ms of timestamp.note over 5 s, 8 connections
	wrk -t2 -c8 -d5s --latency "$url/v1/channels/stable/timestamp.note" |
	    awk '$1 == "99%" { v = $2; if (v ~ /us$/) { sub(/us/, "", v); v /= 1000 }
	         else if (v ~ /ms$/) sub(/ms/, "", v); else if (v ~ /s$/) { sub(/s/, "", v); v *= 1000 }
	         print v }'
}

# The empty-log reference.
serve "$work/empty"
wait_for test -s "$work/empty/v1/channels/stable/timestamp.note"
ts_empty=$(ts_p99)
kill -TERM "$spid"; wait "$spid"
t0=$(now_ms); serve "$work/empty"; restart_empty=$(($(now_ms) - t0))
kill -TERM "$spid"; wait "$spid"

t0=$(now_ms)
"$load" "$work/data" "$entries" 8 1000 100 90 2>"$work/big.out" ||
	{ echo "bench: ev-load failed"; cat "$work/big.out"; exit 1; }
echo "log: $entries entries appended in $(( ($(now_ms) - t0) / 1000 )) s" \
    "($(du -sh "$work/data/evidence" | cut -f1) on disk)"
serve "$work/data"
wait_for test -s "$work/data/v1/channels/stable/timestamp.note"
kill -TERM "$spid"; wait "$spid"
t0=$(now_ms); serve "$work/data"; t1=$(now_ms)
echo "restart (clean) at $entries entries: $((t1 - t0)) ms to answering (goal < 1000 ms), empty log $restart_empty ms"
kill -KILL "$spid"; wait "$spid" 2>/dev/null
t0=$(now_ms); serve "$work/data"; t1=$(now_ms)
echo "restart (after kill -9) at $entries entries: $((t1 - t0)) ms to answering (goal < 1000 ms), empty log $restart_empty ms"
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
print("inclusion proof at %d entries: p50 %.2f ms, p99 %.2f ms" % (size, lat[1000], lat[1979]))
PY

since=$(date -u -d '89 days ago' +%Y-%m-%d)
until=$(date -u +%Y-%m-%d)
q="$url/v1/evidence?control=soc2:CC7&since=$since&until=$until"
t0=$(now_ms)
lines=$(curl -s -m 60 "$q" | wc -l)
t1=$(now_ms)
echo "90-day query for one control: $((lines - 1)) entries in $((t1 - t0)) ms (goal < 2000 ms): $(python3 -c "print('%.2fx' % ($((t1 - t0)) / 2000))") of the goal"

# timestamp.note while 4 control queries stream.
for k in 1 2 3 4; do
	( end=$((SECONDS + 8)); while [ $SECONDS -lt $end ]; do
		curl -s -m 30 -o /dev/null "$url/v1/evidence?control=soc2:CC$k&since=$since"
	done ) &
	pids+=($!)
done
sleep 0.5
ts_big=$(ts_p99)
wait_for true
python3 -c "
e, b = float('$ts_empty' or 0), float('$ts_big' or 0)
print('timestamp.note p99: %.2f ms at %d entries with 4 queries running, %.2f ms on an empty log: %.2fx' % (b, $size, e, b / e if e else 0))"
kill -TERM "$spid"; wait "$spid"
