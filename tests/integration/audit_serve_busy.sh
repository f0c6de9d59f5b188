#!/usr/bin/env bash
# audit_serve_busy.sh - an audit package is built off the request threads:
# while GET /v1/audit/package (or /summary) builds, the same request
# thread still answers timestamp.note, /health and evidence queries; a
# stop during a build cancels it, answers its client 503 and exits at
# once; the build's files are gone either way.
#
# The server runs with --threads 1, so a build on the request thread
# would hold every other connection until it ended.  "Still building" is
# seen on disk, not timed: the build's directory under DATA/audit-tmp
# exists from its start until its answer is ready.
set -u
. "$(dirname "$0")/lib_server.sh"
. "$(dirname "$0")/lib_audit.sh"
RECORDS=${AUDIT_BUSY_RECORDS:-60000}

audit_repo
seeded_store 20 "$RECORDS" 4 3

start_busy() {
	start_server --admin-token-file "$work/admin.token" \
	    --auditor-token-file "$work/auditor.token" --threads 1
}

# probe.py ROUTE: ask for ROUTE (auditor token); once its build directory
# is there, ask on other connections for timestamp.note, /health and one
# evidence query, and print for each whether the build was still running
# when its answer came; then the package's status.  Every wait is
# bounded.
cat >"$work/probe.py" <<'PY'
import glob, socket, sys, time
addr, tok, tmp, route = sys.argv[1:5]
host, port = addr.rsplit(":", 1)

def request(path, auth=True):
    s = socket.create_connection((host, int(port)), timeout=60)
    h = "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" % path
    if auth:
        h += "Authorization: Bearer %s\r\n" % tok
    s.sendall((h + "\r\n").encode())
    return s

def status(s):
    data = b""
    while b"\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    while s.recv(1 << 20):  # the rest, so the server's answer ends
        pass
    s.close()
    return data.split(b" ", 2)[1].decode() if b" " in data else "none"

building = lambda: bool(glob.glob(tmp + "/*"))
pkg = request(route)
end = time.monotonic() + 30
while not building() and time.monotonic() < end:
    time.sleep(0.001)
t0 = time.monotonic()
print("build started:", "yes" if building() else "no", flush=True)
for name, path, auth in (("timestamp.note", "/v1/channels/stable/timestamp.note", False),
                         ("health", "/health", False),
                         ("evidence", "/v1/evidence?kind=operator", True)):
    code = status(request(path, auth))
    print("%s %s, build running: %s" % (name, code, "yes" if building() else "no"), flush=True)
code = status(pkg)
print("  (the build and answer took %.0f ms after it was seen)" % ((time.monotonic() - t0) * 1000))
print("package", code, flush=True)
PY

pkg="/v1/audit/package?control=soc2:CC6.1&since=$since&until=$until"
sum="/v1/audit/summary?control=soc2:CC6.1&since=$since&until=$until"
start_busy
for route in "$pkg" "$sum"; do
	what=${route%%\?*}
	python3 "$work/probe.py" "$(cat "$work/port")" "$auditor_tok" \
	    "$work/data/audit-tmp" "$route" >"$work/probe.out" 2>&1
	sed 's/^/  /' "$work/probe.out"
	check "$what: its build was seen" grep -qx "build started: yes" \
	    "$work/probe.out"
	for r in timestamp.note health evidence; do
		check "$what: $r answered 200 while it was built" \
		    grep -qx "$r 200, build running: yes" "$work/probe.out"
	done
	check "$what: then answered 200" grep -qx "package 200" "$work/probe.out"
	check "$what: its files gone once answered" wait_until 10 \
	    sh -c "test -z \"\$(ls -A '$work/data/audit-tmp')\""
done

# A stop during a build: the build is cancelled, its client gets 503,
# and the server exits 0 within stop_server's grace.
curl -s -m 60 -o "$work/stopped.body" -w '%{http_code}' \
    -H "Authorization: Bearer $auditor_tok" "$url$pkg" >"$work/stopped.code" &
curl_pid=$!
pids+=("$curl_pid")
check "a second build started" wait_until 30 \
    sh -c "ls -A '$work/data/audit-tmp' | grep -q ."
STOP_GRACE=10 stop_server
wait "$curl_pid"
check "stopped during the build: its client got 503 ($(cat "$work/stopped.code"))" \
    test "$(cat "$work/stopped.code")" = 503
echo "  $(cat "$work/stopped.body")"
check "stopped during the build: its files are gone" \
    test -z "$(ls -A "$work/data/audit-tmp")"
finish
