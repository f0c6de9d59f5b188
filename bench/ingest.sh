#!/usr/bin/env bash
# ingest.sh - server ingest of decision records (issue 8): 8 uploaders
# post pre-signed gzip batches to POST /v1/decisions at once; each batch is
# acknowledged only when durable.  Prints durable records/s and
# uncompressed bytes/s, and the bytes/s of a sequential dsync write of the
# same bytes in the same folder (dd oflag=dsync, one write per batch).
# Goals: >= 100,000 records/s and >= 0.5x the disk.
# BENCH_BATCHES (per uploader, default 10) and BENCH_RECORDS (per batch,
# default 250) set the size.  The server's CPU time a record is printed too:
# on a shared machine it says more than the wall clock.
set -u
bin=${1:-${LOCKSTEP_BIN:?usage: bench/ingest.sh BIN_DIR (or LOCKSTEP_BIN set)}}
nb=${BENCH_BATCHES:-10}
nr=${BENCH_RECORDS:-250}
up=8
work=$(mktemp -d /tmp/ls-bench-ingest.XXXXXX)
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do
		timeout 15 tail --pid="$p" -f /dev/null 2>/dev/null
		kill -KILL "$p" 2>/dev/null
	done
	wait 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
wait_for() { local i; for i in $(seq 1 200); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done; return 1; }

"$bin/lockstep" init "$work/keys" --origin bench.lockstep >/dev/null
mkdir -p "$work/repo/policy"
git init -q "$work/repo"
printf 'package bench\n\nallow if input.ok\n' >"$work/repo/policy/bench.rego"
git -C "$work/repo" add -A
git -C "$work/repo" -c user.name=b -c user.email=b@b commit -qm bench
echo bench-admin >"$work/admin.token"
chmod 600 "$work/admin.token"
"$bin/lockstep-server" --repo "$work/repo" --keys "$work/keys" \
    --data "$work/data" --listen 127.0.0.1:0 --port-file "$work/port" \
    --admin-token-file "$work/admin.token" --poll-interval 3600 \
    --agent-writes-per-min 0 --agent-bytes-per-min 0 >"$work/server.log" 2>&1 &
spid=$!
pids+=($spid)
wait_for test -s "$work/port" || { echo "bench: server did not start"; exit 1; }
url="http://$(cat "$work/port")"

# Batches: JSON Lines made by python, signed by the real CLI.
. "$(dirname "$0")/lib_ingest.sh"
make_batches "$work" $up "$nb" "$nr" || exit 1
enrol_batches "$work" $up "$url" "$work/admin.token" || exit 1

# Each uploader posts its batches in order with one curl over one
# kept-alive connection, as an agent's uploader does (a curl process a
# batch cost this 2-core machine about 14 ms of CPU a batch, as much as
# the server's work on it).  Its config file is written before the clock
# starts; every batch must answer 200.
for u in $(seq 1 $up); do
	for b in $(seq 0 $((nb - 1))); do
		[ "$b" -gt 0 ] && echo next
		printf 'silent\nmax-time = 120\noutput = /dev/null\n'
		printf 'write-out = "%%{http_code}\\n"\nrequest = POST\n'
		printf 'header = "Content-Type: application/gzip"\n'
		printf 'header = "Lockstep-Batch: %s"\n' "$(cat "$work/u$u/$b.hdr")"
		printf 'data-binary = "@%s"\nurl = "%s"\n' "$work/u$u/$b.gz" \
		    "$url/v1/decisions"
	done >"$work/u$u/curl.cfg"
done
uploader() {
	curl -K "$work/u$1/curl.cfg" >"$work/codes.$1"
	[ "$(grep -c '^200$' "$work/codes.$1")" = "$nb" ] || {
		echo "bench: uploader $1: answers" $(sort "$work/codes.$1" | uniq -c)
		return 1
	}
}
cpu() { awk '{ print $14 + $15 }' "/proc/$spid/stat"; }	# server ticks
# ticks of the threads other than the request workers (MHD-worker): the
# materialiser (tiles, partitions, index) and the idle background ones
bgcpu() {
	awk '$2 != "(MHD-worker)" { s += $14 + $15 } END { print s + 0 }' \
	    "/proc/$spid"/task/*/stat 2>/dev/null
}
c0=$(cpu)
b0=$(bgcpu)
t0=$(date +%s.%N)
upids=()
for u in $(seq 1 $up); do uploader "$u" & upids+=($!); done
ok=1
for p in "${upids[@]}"; do wait "$p" || ok=0; done
t1=$(date +%s.%N)
[ $ok = 1 ] || exit 1
# Tiles, partitions and index follow the acknowledgements in the
# background: wait until the signed checkpoint stops growing, so that the
# CPU figures count that work too (the wall clock above does not).
settle() {
	local prev=x cur i
	for i in $(seq 1 40); do
		cur=$(curl -s -m 5 "$url/v1/evidence/checkpoint" | sed -n 2p)
		[ -n "$cur" ] && [ "$cur" = "$prev" ] && return 0
		prev=$cur
		sleep 0.7
	done
}
settle
c1=$(cpu)
b1=$(bgcpu)
records=$((up * nb * nr))
bytes=$(cat "$work"/u*/*.raw | wc -c)

# The disk: the same bytes, one dsync write per batch, one after another.
cat "$work"/u*/*.raw >"$work/all.raw"
bs=$((bytes / (up * nb)))
d0=$(date +%s.%N)
dd if="$work/all.raw" of="$work/dsync.out" bs="$bs" oflag=dsync status=none
d1=$(date +%s.%N)
python3 - "$t0" "$t1" "$d0" "$d1" "$records" "$bytes" "$((c1 - c0))" "$(getconf CLK_TCK)" "$((b1 - b0))" <<'PY'
import os, sys
t0, t1, d0, d1 = map(float, sys.argv[1:5]); records, nbytes = int(sys.argv[5]), int(sys.argv[6])
ticks, hz, bg = int(sys.argv[7]), int(sys.argv[8]), int(sys.argv[9])
ingest, disk = nbytes / (t1 - t0), nbytes / (d1 - d0)
print("ingest: %d records in %.2f s from 8 uploaders: %.0f records/s (goal >= 100000)" % (records, t1 - t0, records / (t1 - t0)))
us = ticks * 1e6 / hz / records
print("ingest: server CPU %.1f us a record (%.0f records/s a core, %d cores; load %.2f)" %
      (us, 1e6 / us if us else 0, os.cpu_count(), os.getloadavg()[0]))
print("ingest: of which %.1f us in the request threads (verify, inflate, parse, WAL) and "
      "%.1f us in the others (materialiser: tiles, partitions, index)" %
      ((ticks - bg) * 1e6 / hz / records, bg * 1e6 / hz / records))
print("ingest: %.1f MB/s of JSON Lines; sequential dsync write of the same bytes: %.1f MB/s; ratio %.2fx (goal >= 0.5x)" % (ingest / 1e6, disk / 1e6, ingest / disk))
# The most the measured CPU a record allows, every core the server's and
# the uploaders, curl and loopback free: what bounds the ratio above.
if us:
    top = os.cpu_count() * 1e6 / us * nbytes / records
    print("ingest: ceiling at %.1f us a record on %d cores, nothing else running: %.1f MB/s, %.2fx the disk" %
          (us, os.cpu_count(), top / 1e6, top / disk))
PY
