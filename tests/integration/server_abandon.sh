#!/usr/bin/env bash
# server_abandon.sh - clients that go away or never finish must not hold
# the server's sockets or memory: abandoned long polls are released at
# once (not at their deadline), one address cannot take every connection
# or every held poll, and half-sent bodies are dropped by a timeout.
set -u
. "$(dirname "$0")/lib_server.sh"
client="python3 ${LOCKSTEP_ROOT:-$(dirname "$0")/../..}/tests/tools/slow_client.py"

make_keys
make_repo
tag_repo v1.0.0

port_of() { sed 's/.*://' "$work/port"; }
close_wait() { ss -tanH state close-wait "( sport = :$(port_of) )" | wc -l; }
held() { curl -s -m 5 "$url/metrics" | sed -n 's/^lockstep_longpolls_held //p'; }
few_close_wait() { test "$(close_wait)" -le 5; }
none_held() { test "$(held)" = 0; }
t=/v1/channels/stable/timestamp.note
etag_now() {
	curl -s -m 5 -D - -o /dev/null "$url$t" | sed -n 's/^ETag: \(.*\)\r$/\1/Ip'
}

# 1. 300 long polls, abandoned: every one is released within seconds.
start_server
check "published" wait_published stable 1
etag=$(etag_now)
out=$($client polls 127.0.0.1 "$(port_of)" 300 "$t" "$etag")
echo "  $out"
check "300 long polls held ($out)" test "$out" = "sent 300 answered 0"
start=$(date +%s%N)
wait_until 10 few_close_wait
ms=$((($(date +%s%N) - start) / 1000000))
check "CLOSE_WAIT back to ~0 within 5 s ($(close_wait) left after $ms ms)" \
    test "$(close_wait)" -le 5 -a "$ms" -le 5000
check "no long poll left held ($(held))" wait_until 5 none_held
check "other clients still answered" test "$(http_code "$url$t")" = 200
stop_server

# 2. Per-address limits: held polls past the limit are answered at once
# (304), connections past the limit are refused, other addresses served.
start_server --max-conns-per-ip 400 --max-polls-per-ip 200
etag=$(etag_now)
out=$($client polls 127.0.0.1 "$(port_of)" 300 "$t" "$etag")
echo "  $out"
check "200 polls held, 100 answered at once ($out)" \
    test "$out" = "sent 300 answered 100"
check "CLOSE_WAIT back to ~0" wait_until 5 few_close_wait
$client conns 127.0.0.1 "$(port_of)" 450 8 >"$work/conns" &
pids+=("$!")
wait_until 10 test -s "$work/conns"
check "at most 400 connections from 127.0.0.1 ($(cat "$work/conns"))" \
    test "$(sed -n 's/^open //p' "$work/conns")" -le 400
check "127.0.0.1 refused past its limit" \
    test "$(http_code "$url$t")" = 000
check "127.0.0.2 still answered" \
    test "$(http_code --interface 127.0.0.2 "$url$t")" = 200
stop_server

# 3. Bodies: a stalled or trickled /v1/reports body is dropped by the
# request timeout, and the server still answers.
start_server --request-timeout 3
$client body 127.0.0.1 "$(port_of)" stall 15 >"$work/stall" &
pids+=("$!")
$client body 127.0.0.1 "$(port_of)" trickle 15 >"$work/trickle" &
pids+=("$!")
wait_until 20 test -s "$work/stall" -a -s "$work/trickle"
secs() { sed -n 's/^closed \([0-9]*\).*/\1/p' "$1"; }
check "stalled body dropped within 6 s ($(cat "$work/stall"))" \
    test -n "$(secs "$work/stall")" -a "$(secs "$work/stall")" -le 6
check "trickled body dropped within 6 s ($(cat "$work/trickle"))" \
    test -n "$(secs "$work/trickle")" -a "$(secs "$work/trickle")" -le 6
check "still answering" test "$(http_code "$url$t")" = 200
# The timeout is for reading requests: a held poll outlives it.
etag=$(etag_now)
start=$SECONDS
code=$(curl -s -m 30 -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" \
    -H 'Prefer: wait=6' "$url$t")
check "a poll held 6 s past the 3 s timeout ends in 304 ($code after $((SECONDS - start)) s)" \
    test "$code" = 304 -a $((SECONDS - start)) -ge 5
stop_server
finish
