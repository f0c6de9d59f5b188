#!/usr/bin/env bash
# agent_attack_bytes.sh - flipped bytes in the timestamp, the release and
# the bundle, a bundle longer than signed, an endless body and one byte
# every 10 s, each through the hostile mirror in front of the real
# server: the agent keeps enforcing the last good bundle, then updates.
. "$(dirname "$0")/libagent.sh"
setup_world
start_agent a "$MIRROR_URL" --low-speed-time 2
expect_version a v1 30 "first activation through the mirror"
# No spinning: this mirror never holds a poll, so with nothing new the
# agent waits --interval (1 s) between requests.
n0=$(ts_requests)
sleep 5
n=$(($(ts_requests) - n0))
if [ "$n" -ge 2 ] && [ "$n" -le 7 ]; then
	ok "no spin: $n timestamp requests in 5 s at --interval 1"
else
	fail "spin check: $n timestamp requests in 5 s at --interval 1"
fi

run_attack a "flipped byte in the timestamp" v1 v2 \
	'"state":"error".*(signature|LS_EBADSIG|format)' 1 "timestamp flip"
run_attack a "flipped byte in the release" v2 v3 'release [0-9]+: sha256' 1 \
	"release flip"
run_attack a "flipped byte in the bundle" v3 v4 'bundle: sha256' 1 \
	"bundle flip"
run_attack a "bundle longer than signed" v4 v5 'larger than|above' 1 \
	"bundle append 4096"
run_attack a "endless bundle body" v5 v6 'larger than|above' 1 \
	"bundle endless"
run_attack a "endless timestamp body" v6 v7 'larger than|above' 1 \
	"timestamp endless"
run_attack a "one byte every 10 s" v7 v8 'Timeout|slower|timed out|too slow' 1 \
	"bundle slow 10"
finish
