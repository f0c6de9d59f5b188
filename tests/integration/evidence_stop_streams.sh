#!/usr/bin/env bash
# evidence_stop_streams.sh - SIGTERM while evidence queries stream: the
# server stops cleanly (exit 0), every time.  libmicrohttpd aborts the
# process when it is stopped with a connection still suspended, and a
# streaming query suspends its connection whenever its worker thread is
# behind; the stop must wait for the workers to resume them.  5 rounds of
# 6 queries over 60,000 decisions, SIGTERM at a different moment in each.
set -u
. "$(dirname "$0")/lib_server.sh"

load=$LOCKSTEP_BIN/../tools/ev-load
make_keys
make_repo
tag_repo v1.0.0
check "decisions appended through the store" "$load" "$work/data" 60000 4 1000 3 2
qpids=()
for round in 1 2 3 4 5; do
	start_server
	if ! wait_until 20 curl -sf -o /dev/null "$url/health"; then
		fail "round $round: server not answering"
		break
	fi
	qpids=()
	for k in 0 1 2 3 4 5; do
		curl -s -m 30 -o /dev/null \
		    "$url/v1/evidence?control=soc2:CC$((k % 3))" &
		qpids+=($!)
	done
	sleep "0.$((round * 15))"
	stop_server
	for p in "${qpids[@]}"; do wait "$p" 2>/dev/null; done
	grep -q "stopping" "$work/server.log" ||
		fail "round $round: no 'stopping' in the log"
done
[ "$fails" -eq 0 ] && ok "5 stops with queries streaming, each exit 0"
finish
