#!/usr/bin/env bash
# agent_spin.sh - whatever a mirror says, the agent never polls faster
# than --interval unless its request was really held: a mirror answering
# every timestamp request at once with 304 and "Preference-Applied:
# wait=30" must not make it spin.  Polls the real server really holds
# still follow each other at once.
. "$(dirname "$0")/libagent.sh"
setup_world
start_agent a "$MIRROR_URL" --interval 2 --long-poll 30
expect_version a v1 30 "first activation through the mirror"

mirror "timestamp fakehold 30"
sleep 1
n0=$(ts_requests)
sleep 8
n=$(($(ts_requests) - n0))
if [ "$n" -ge 2 ] && [ "$n" -le 6 ]; then
	ok "no spin on instant 'held' 304s: $n timestamp requests in 8 s at --interval 2"
else
	fail "spin: $n timestamp requests in 8 s at --interval 2 (want 2..6)"
fi
hold a v1 2 "while the mirror fakes held polls"
mirror_off
tag v2
wait_until 60 published_version v2 || die "v2 not published"
expect_version a v2 30 "after the mirror is faithful again"

# The real server holds each poll for --long-poll (2 s): the agent asks
# again at once, not after --interval (60 s).
held_total() {
	curl -s -m 5 "$SERVER_URL/metrics" | sed -n 's/^lockstep_longpolls_total //p'
}
start_agent b "$SERVER_URL" --interval 60 --long-poll 2
expect_version b v2 30 "direct agent"
sleep 2
h0=$(held_total)
sleep 9
h=$(($(held_total) - h0))
if [ "$h" -ge 3 ]; then
	ok "held polls follow each other at once: $h held in 9 s at --long-poll 2"
else
	fail "only $h held polls in 9 s at --long-poll 2, --interval 60"
fi
finish
