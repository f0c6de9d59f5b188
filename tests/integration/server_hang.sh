#!/usr/bin/env bash
# server_hang.sh - a policy remote that accepts connections and never
# answers must not freeze the server: timestamps keep being re-signed
# before they expire, HTTP keeps answering, SIGTERM still stops it.
set -u
. "$(dirname "$0")/lib_server.sh"

make_keys
make_repo
tag_repo v1.0.0
start_server --timestamp-ttl 4
check "published from the local repo" wait_published stable 1
stop_server

# A remote that accepts and then says nothing.
python3 -c '
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(16)
print(s.getsockname()[1], flush=True)
conns = []
end = time.time() + 120
while time.time() < end:
    s.settimeout(1)
    try:
        conns.append(s.accept())
    except OSError:
        pass
' >"$work/hang.port" &
pids+=("$!")
wait_until 10 test -s "$work/hang.port"
rm -f "$work/port"
"$srv" --repo "http://127.0.0.1:$(cat "$work/hang.port")/policy.git" \
    --keys "$work/keys" --data "$work/data" --listen 127.0.0.1:0 \
    --port-file "$work/port" --poll-interval 1 --timestamp-ttl 4 \
    >>"$work/server.log" 2>&1 &
srv_pid=$!
pids+=("$srv_pid")
wait_until 20 test -s "$work/port" || { fail "server did not start"; finish; }
url="http://$(cat "$work/port")"
seq1=$(body_field "$(ts_file stable)" seq)
sleep 5
seq2=$(body_field "$(ts_file stable)" seq)
check "timestamp re-signed while the fetch hangs ($seq1 -> $seq2)" test "$seq2" -gt "$seq1"
check "still serving" test "$(http_code "$url/v1/channels/stable/timestamp.note")" = 200
check "still on release 1" ts_is stable 1
start=$(date +%s)
# the server gives a hanging fetch LS_GITWATCH_STOP_WAIT (10 s) before it
# stops without it: SIGTERM gets that plus the rest of a clean stop
STOP_GRACE=15 stop_server
check "SIGTERM stops it within the grace period ($(($(date +%s) - start)) s)" \
    test $(($(date +%s) - start)) -le 15
finish
