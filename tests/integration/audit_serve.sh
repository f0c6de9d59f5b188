#!/usr/bin/env bash
# audit_serve.sh - the audit package over HTTP with bounded memory (issue
# 10): GET /v1/audit/package built on disk and sent from there.  A package
# fetched with `lockstep audit --server` verifies offline and is byte for
# byte the one `lockstep audit --data` builds on the same store (records,
# proofs, checkpoint, log key); the server's peak RSS (VmHWM) grows far
# less than the package it sent; its temporary files are gone once the
# answer is done, and a crash's leftovers at the next start; at most two
# packages are built or sent at once (503 with Retry-After, and the slots
# come back when the slow clients hang up); kill -9 during a build leaves
# files the restart removes; a refused, truncated or foreign download
# leaves nothing at -o DIR nor beside it.
set -u
. "$(dirname "$0")/lib_server.sh"
. "$(dirname "$0")/lib_audit.sh"
RECORDS=${AUDIT_SERVE_RECORDS:-15000}
auth=(-H "Authorization: Bearer $auditor_tok")

audit_repo
seeded_store 20 "$RECORDS" 4 3

# A crash's leftovers in DATA/audit-tmp are removed at start.
mkdir -p "$work/data/audit-tmp/crashed-XXXX/pkg"
echo stale >"$work/data/audit-tmp/crashed-XXXX/pkg/records.jsonl"
start_audit() {
	start_server --admin-token-file "$work/admin.token" \
	    --auditor-token-file "$work/auditor.token"
}
start_audit
check "leftovers of a crash removed at start" \
    test ! -e "$work/data/audit-tmp/crashed-XXXX"

# The same package from the server and from the data folder.  The
# server's is the last query before the stop, so both sign the same tree.
check "lockstep audit --server" "$ls" audit --control soc2:CC6.1 \
    --since "$since" --until "$until" -o "$work/srv" --server "$url" \
    --token-file "$work/auditor.token"
stop_server
check "server package verifies offline" "$ls" audit verify "$work/srv"
check "lockstep audit --data" "$ls" audit --control soc2:CC6.1 \
    --since "$since" --until "$until" -o "$work/dat" --data "$work/data" \
    --keys "$work/keys"
for f in records.jsonl proofs.jsonl checkpoint.note log.pub; do
	check "$f: server = --data" cmp "$work/srv/$f" "$work/dat/$f"
done
check "the records are all $RECORDS decisions" test \
    "$(grep -c '"kind":"decision"' "$work/srv/records.jsonl")" = "$RECORDS"
# The summaries differ only in when they were made (the generation time,
# and open intervals end then).
check "summary.json: server = --data, but for the time made" python3 -c '
import re, sys
t = [open(p).read() for p in sys.argv[1:3]]
g = [re.search(r"\"generated\": \"([^\"]+)\"", x).group(1) for x in t]
a, b = (x.replace(y, "T").splitlines() for x, y in zip(t, g))
for i, (p, q) in enumerate(zip(a, b)):
    if p != q:
        print("  line %d: %s | %s" % (i + 1, p.strip(), q.strip()))
sys.exit(a != b)' \
    "$work/srv/summary.json" "$work/dat/summary.json"

# Peak RSS: a package of one day first (the build's own memory), then
# the whole period; the peak may not grow with the package.  One malloc
# arena, and ASan (make check) with a small quarantine instead of 256 MB
# of freed memory kept: else the peak measures the allocator's caches.
MALLOC_ARENA_MAX=1 \
ASAN_OPTIONS=${ASAN_OPTIONS:-}:quarantine_size_mb=1:thread_local_quarantine_size_kb=64 \
    start_audit
pkg_url="$url/v1/audit/package?control=soc2:CC6.1&since=$since&until=$until"
hwm() { awk '/^VmHWM/ { print $2 * 1024 }' "/proc/$srv_pid/status"; }
check "a one-day package" test "$(http_code "${auth[@]}" -o "$work/day.tar" \
    "$url/v1/audit/package?control=soc2:CC6.1&since=$since&until=$since")" = 200
h0=$(hwm)
code=$(curl -s -m 120 -o "$work/all.tar" -w '%{http_code}' "${auth[@]}" "$pkg_url")
h1=$(hwm)
size=$(stat -c %s "$work/all.tar")
echo "  server VmHWM $h0 -> $h1 bytes (+$(( (h1 - h0) >> 10 )) KiB) for a package of $size bytes"
check "whole-period package: 200" test "$code" = 200
check "the package is not small ($size bytes)" test "$size" -gt $((RECORDS * 500))
check "peak RSS grew by less than a quarter of the package" \
    test $(( (h1 - h0) * 4 )) -lt "$size"
mkdir -p "$work/untar" && tar -xf "$work/all.tar" -C "$work/untar"
check "the tar as served verifies" "$ls" audit verify "$work/untar"
check "the temporary files are gone once answered" \
    wait_until 10 sh -c "test -z \"\$(ls -A '$work/data/audit-tmp')\""
check "no deleted package held open" wait_until 10 sh -c \
    "! ls -l /proc/$srv_pid/fd 2>/dev/null | grep -q 'package.tar (deleted)'"

# Two slow clients hold both slots (their answers are larger than the
# socket buffers); a third request is refused with Retry-After until
# they hang up.
python3 - "$(cat "$work/port")" "$auditor_tok" \
    "/v1/audit/package?control=soc2:CC6.1&since=$since&until=$until" \
    >"$work/slow.out" 2>&1 <<'PY' &
import socket, sys, time
host, port = sys.argv[1].rsplit(":", 1)
socks = []
for _ in range(2):
    s = socket.create_connection((host, int(port)), timeout=5)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n"
               % (sys.argv[3], sys.argv[2])).encode())
    socks.append(s)
print("sent", flush=True)
time.sleep(60)  # killed by the test long before
PY
slow_pid=$!
pids+=("$slow_pid")
sending() {	# sending N: N package tars held open (unlinked) by the server
	test "$(ls -l "/proc/$srv_pid/fd" 2>/dev/null | grep -c 'package.tar (deleted)')" = "$1"
}
check "both slow clients are being sent their package" wait_until 60 sending 2
code=$(curl -s -m 30 -D "$work/busy.hdr" -o /dev/null -w '%{http_code}' \
    "${auth[@]}" "$url/v1/audit/package?control=soc2:CC6.1&since=$since&until=$since")
check "a third package meanwhile: 503 ($code)" test "$code" = 503
check "... with Retry-After" grep -qi '^Retry-After: [0-9]' "$work/busy.hdr"
{ kill -KILL "$slow_pid" && wait "$slow_pid"; } 2>/dev/null
check "slots back once the slow clients hang up: 200" wait_until 60 sh -c \
    "test \"\$(curl -s -m 30 -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer $auditor_tok' '$pkg_url')\" = 200"
check "the summary route still answers" test \
    "$(http_code "${auth[@]}" "$url/v1/audit/summary?control=soc2:CC6.1&since=$since&until=$until")" = 200
check "temporary files gone after the slow clients" \
    wait_until 10 sh -c "test -z \"\$(ls -A '$work/data/audit-tmp')\""

# A failed download leaves nothing at -o DIR nor beside it.
nothing_at() {
	test ! -e "$1" && ! ls -d "$1".partial-* "$1".download-* 2>/dev/null | grep -q .
}
echo wrong >"$work/wrong.token" && chmod 600 "$work/wrong.token"
check "a refused token: the client fails" sh -c "! '$ls' audit --control soc2:CC6.1 --since '$since' --until '$until' -o '$work/out/refused' --server '$url' --token-file '$work/wrong.token' 2>'$work/refused.err'"
check "... naming the status" grep -q "HTTP 401" "$work/refused.err"
check "... and leaves nothing" nothing_at "$work/out/refused"
stop_server

# kill -9 while a package is built: the next start removes its files.
start_audit
pkg_url="$url/v1/audit/package?control=soc2:CC6.1&since=$since&until=$until"
curl -s -m 60 -o /dev/null "${auth[@]}" "$pkg_url" &
curl_pid=$!
pids+=("$curl_pid")
# A build takes well under a second here: look without sleeping (at
# most 20 s), and kill the moment its directory is there.
building=no
end=$((SECONDS + 20))
while [ "$SECONDS" -lt "$end" ]; do
	if compgen -G "$work/data/audit-tmp/*" >/dev/null; then
		kill -KILL "$srv_pid"
		building=yes
		break
	fi
done
check "killed while a package was built" test "$building" = yes
kill -KILL "$srv_pid" 2>/dev/null
wait "$srv_pid" 2>/dev/null
wait "$curl_pid" 2>/dev/null
check "killed: its files are left" test -n "$(ls -A "$work/data/audit-tmp")"
start_audit
check "restarted: audit-tmp emptied" test -z "$(ls -A "$work/data/audit-tmp")"
check "and packages are served again" "$ls" audit --control soc2:CC6.1 \
    --since "$since" --until "$until" -o "$work/after-kill" --server "$url" \
    --token-file "$work/auditor.token"
check "... verifying" "$ls" audit verify "$work/after-kill"
stop_server

# A server that sends a broken tar (tests/tools/hostile_mirror.py): cut
# short, with a foreign entry, or with a package file twice.
mkdir -p "$work/m/v1"
head -c $((size / 2)) "$work/all.tar" >"$work/half.tar"
names="records.jsonl proofs.jsonl checkpoint.note log.pub summary.json
summary.md summary.html oscal/assessment-results.json manifest.note"
echo x >"$work/untar/extra.txt"
tar -cf "$work/foreign.tar" -C "$work/untar" $names extra.txt
tar -cf "$work/twice.tar" -C "$work/untar" records.jsonl records.jsonl
python3 "$root/tests/tools/hostile_mirror.py" --data "$work/m" \
    --control "$work/mirror.control" --port-file "$work/mirror.port" \
    >>"$work/mirror.log" 2>&1 &
pids+=($!)
check "hostile server up" wait_until 10 test -s "$work/mirror.port"
murl="http://$(cat "$work/mirror.port")"
for t in half foreign twice; do
	echo "any file $work/$t.tar" >"$work/mirror.control"
	check "$t tar refused" sh -c "! '$ls' audit --control soc2:CC6.1 --since '$since' --until '$until' -o '$work/out/$t' --server '$murl' --token-file '$work/auditor.token' 2>'$work/$t.err'"
	echo "  $(cat "$work/$t.err")"
	check "$t tar: nothing at -o nor beside it" nothing_at "$work/out/$t"
done
echo "any file $work/all.tar" >"$work/mirror.control"
check "the whole tar from the same server is taken" "$ls" audit \
    --control soc2:CC6.1 --since "$since" --until "$until" \
    -o "$work/out/whole" --server "$murl" --token-file "$work/auditor.token"
check "... and verifies" "$ls" audit verify "$work/out/whole"
finish
