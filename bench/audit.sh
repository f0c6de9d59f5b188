#!/usr/bin/env bash
# audit.sh - the audit package of one control over 90 days (issue 10):
# AUDIT_RECORDS decision records (default 10,000,000, the issue's figure;
# smaller for a quick run) of AUDIT_AGENTS agents (default 1,000) over 90
# days, each record naming AUDIT_PER (default 3) of the AUDIT_CONTROLS
# controls (default 40 across SOC 2, ISO 27001, PCI DSS and HIPAA), with
# every agent's enrolment and signed batches of 50, appended through the
# evidence library in groups of 20,000 (tests/tools/audit_seed, under
# eatmydata: seeding is setup).  Measured: wall time and peak memory of
# `lockstep audit --data` (goal < 60 s), package size and the control's
# share of the records, wall time and peak memory of `lockstep audit
# verify`; then the same package over HTTP (the server route, GET
# /v1/audit/package on a lockstep-server over the same store): wall time,
# the server's peak RSS (VmHWM) before and after, and the peak memory of
# `lockstep audit --server` downloading and unpacking it; and /health on
# 16 keep-alive connections while the server builds one more package
# (bench/keepalive_probe.py), against the same with no build.  Needs
# about 3.5 KB of disk per record (log, three partition copies, index)
# plus the package; refuses to start without it.
# AUDIT_KEEP=1 keeps the store and package (path printed) for reruns.
set -u
bin=$(cd "${1:-${LOCKSTEP_BIN:?usage: bench/audit.sh BIN_DIR}}" && pwd)
RECORDS=${AUDIT_RECORDS:-10000000}
AGENTS=${AUDIT_AGENTS:-1000}
PER=${AUDIT_PER:-3}
CONTROL=${AUDIT_CONTROL:-soc2:CC6.1}
fw="soc2:CC6.1 soc2:CC6.2 soc2:CC6.3 soc2:CC6.6 soc2:CC6.7 soc2:CC6.8
soc2:CC7.1 soc2:CC7.2 soc2:CC7.3 soc2:CC8.1 iso27001:A.5.15 iso27001:A.5.23
iso27001:A.8.1 iso27001:A.8.2 iso27001:A.8.5 iso27001:A.8.8 iso27001:A.8.9
iso27001:A.8.15 iso27001:A.8.16 iso27001:A.8.20 iso27001:A.8.24
iso27001:A.8.28 iso27001:A.8.32 pci-dss:1.2.1 pci-dss:1.3.1 pci-dss:2.2.1
pci-dss:2.2.5 pci-dss:6.4.1 pci-dss:7.2.1 pci-dss:8.3.1 pci-dss:10.2.1
pci-dss:11.3.1 hipaa:164.308a1 hipaa:164.308a4 hipaa:164.312a1
hipaa:164.312b hipaa:164.312c1 hipaa:164.312d hipaa:164.312e1
hipaa:164.316b1"
CONTROLS=${AUDIT_CONTROLS:-$(echo $fw | tr ' ' ',')}
seed=$bin/../tests/tools/audit_seed
base=${AUDIT_TMP:-/tmp}
work=$(mktemp -d "$base/ls-bench-audit.XXXXXX")
srv_pid=""
stop_srv() {
	[ -n "$srv_pid" ] || return 0
	kill -TERM "$srv_pid" 2>/dev/null
	timeout 20 tail --pid="$srv_pid" -f /dev/null 2>/dev/null
	kill -KILL "$srv_pid" 2>/dev/null
	wait "$srv_pid" 2>/dev/null
	srv_pid=""
}
if [ "${AUDIT_KEEP:-0}" = 1 ]; then
	trap 'stop_srv; echo "audit: kept $work"' EXIT
else
	trap 'stop_srv; rm -rf "$work"' EXIT
fi
[ -x "$seed" ] || { echo "audit: $seed missing (make benchprogs)"; exit 1; }
eat=""
command -v eatmydata >/dev/null && eat=eatmydata
now_ms() { date +%s%3N; }
nctl=$(echo "$CONTROLS" | tr ',' '\n' | wc -l)

need=$((RECORDS * 3500 / 1048576 + 1024))
avail=$(df -Pm "$work" | awk 'NR == 2 { print $4 }')
if [ "$avail" -lt "$need" ]; then
	echo "audit: $RECORDS records need about $need MiB in $base, $avail MiB free; set AUDIT_RECORDS lower or AUDIT_TMP"
	exit 1
fi
echo "audit: load $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores; $avail MiB free in $base"

"$bin/lockstep" init "$work/keys" --origin bench.lockstep >/dev/null || exit 1
t0=$(now_ms)
AUDIT_SEED_PER=$PER $eat "$seed" "$work/data" "$AGENTS" "$RECORDS" \
    2026-06-01 90 "$CONTROLS" || exit 1
t1=$(now_ms)
store=$(du -sm "$work/data/evidence" | cut -f1)
echo "seeded $RECORDS decision records of $AGENTS agents over 90 days," \
    "$PER of $nctl controls each, in $(( (t1 - t0) / 1000 )) s" \
    "($(( RECORDS * 1000 / (t1 - t0 + 1) )) records/s${eat:+, eatmydata});" \
    "store $store MiB; load $(cut -d' ' -f1-3 /proc/loadavg)"

t0=$(now_ms)
/usr/bin/time -f "%M %U %S" -o "$work/build.rss" "$bin/lockstep" audit \
    --control "$CONTROL" --since 2026-06-01 --until 2026-08-29 \
    -o "$work/pkg" --data "$work/data" --keys "$work/keys" \
    --origin bench.lockstep || exit 1
t1=$(now_ms)
/usr/bin/time -f "%M %U %S" -o "$work/verify.rss" "$bin/lockstep" audit verify \
    "$work/pkg" 2>"$work/verify.txt" || { cat "$work/verify.txt"; exit 1; }
t2=$(now_ms)
recs=$(wc -l <"$work/pkg/records.jsonl")
dec=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["decisions"]["total"])' "$work/pkg/summary.json")
size=$(du -sm "$work/pkg" | cut -f1)
read -r brss bu bs <"$work/build.rss"
read -r vrss vu vs <"$work/verify.rss"
echo "audit package, $CONTROL, 90 days: $(( t1 - t0 )) ms (goal < 60000 ms)," \
    "CPU ${bu} s user ${bs} s system, peak memory $(( brss / 1024 )) MiB;" \
    "$dec decisions = $(( dec * 1000 / RECORDS )) per mille of the $RECORDS" \
    "($recs records with the context), $size MiB;" \
    "$(( recs * 1000 / (t1 - t0 + 1) )) records/s; load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "audit verify: $(( t2 - t1 )) ms, CPU ${vu} s user ${vs} s system," \
    "peak memory $(( vrss / 1024 )) MiB ($(sed 's/.*ok //' "$work/verify.txt"))"

# The server route: the same package from a lockstep-server over the same
# store (its repository an empty one: nothing to build).
mkdir -p "$work/repo"
git init -q "$work/repo" && git -C "$work/repo" -c user.name=b \
    -c user.email=b@example.org commit -q --allow-empty -m empty || exit 1
(umask 077; echo "bench-auditor-token-0123456789" >"$work/auditor.token")
"$bin/lockstep-server" --repo "$work/repo" --keys "$work/keys" \
    --data "$work/data" --listen 127.0.0.1:0 --port-file "$work/port" \
    --poll-interval 3600 --auditor-token-file "$work/auditor.token" \
    >"$work/server.log" 2>&1 &
srv_pid=$!
# The seeder writes no decisions/state.json: the first start rebuilds the
# agents' chains from the whole log (said in its log), minutes at 10 M
# on a slow machine; bounded at 30 minutes.
ts=$(now_ms)
for _ in $(seq 1 18000); do
	[ -s "$work/port" ] && break
	kill -0 "$srv_pid" 2>/dev/null || break
	sleep 0.1
done
[ -s "$work/port" ] || { echo "audit: server did not start"; cat "$work/server.log"; exit 1; }
echo "audit: server first start on the seeded store $(( $(now_ms) - ts )) ms (no state.json: the chains rebuilt from the log)"
hwm() { awk '/^VmHWM/ { print int($2 / 1024) }' "/proc/$srv_pid/status"; }
h0=$(hwm)
t0=$(now_ms)
code=$(curl -s -m 1800 -o "$work/srv.tar" -w '%{http_code}' \
    -H "Authorization: Bearer bench-auditor-token-0123456789" \
    "http://$(cat "$work/port")/v1/audit/package?control=$CONTROL&since=2026-06-01&until=2026-08-29")
t1=$(now_ms)
h1=$(hwm)
tsize=$(( $(stat -c %s "$work/srv.tar") >> 20 ))
[ "$code" = 200 ] || { echo "audit: server route: HTTP $code"; head -c 300 "$work/srv.tar"; exit 1; }
rm -f "$work/srv.tar"
/usr/bin/time -f "%M %U %S" -o "$work/fetch.rss" "$bin/lockstep" audit \
    --control "$CONTROL" --since 2026-06-01 --until 2026-08-29 \
    -o "$work/pkg-srv" --server "http://$(cat "$work/port")" \
    --token-file "$work/auditor.token" || exit 1
t2=$(now_ms)
read -r frss fu fs <"$work/fetch.rss"
# The request threads while a package is built: /health on 16 keep-alive
# connections (as agents keep theirs), and the same with no build.
probe=$(dirname "$0")/keepalive_probe.py
busy=$(timeout 1800 python3 "$probe" "$(cat "$work/port")" \
    bench-auditor-token-0123456789 \
    "/v1/audit/package?control=$CONTROL&since=2026-06-01&until=2026-08-29" \
    2>"$work/probe.err") || busy="probe failed: $(tail -n1 "$work/probe.err")"
idle=$(timeout 60 python3 "$probe" "$(cat "$work/port")" - - 3 \
    2>"$work/probe.err") || idle="probe failed: $(tail -n1 "$work/probe.err")"
stop_srv
cmp -s "$work/pkg/records.jsonl" "$work/pkg-srv/records.jsonl" &&
	same="records.jsonl the same as --data's" ||
	same="records.jsonl DIFFERS from --data's"
echo "audit package, server route: GET /v1/audit/package $(( t1 - t0 )) ms" \
    "for a tar of $tsize MiB; server peak RSS (VmHWM) $h0 MiB before," \
    "$h1 MiB after (+$(( h1 - h0 )) MiB); lockstep audit --server" \
    "$(( t2 - t1 )) ms, peak memory $(( frss / 1024 )) MiB; $same;" \
    "load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "audit package, request threads while one is built: $busy"
echo "audit package, request threads with no build (reference): $idle"
