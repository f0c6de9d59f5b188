#!/usr/bin/env bash
# agent_enrol.sh - the agent enrols with a single-use token read from a
# file, only at --report-to (never at a mirror), says clearly when it is
# refused (name taken: 409, bad token: 403): --once exits non-zero, a
# running agent keeps enforcing with state error, tries again every pass
# (logging the refusal once), enrols once an operator removes the other
# key, and reads a new token from its file.
. "$(dirname "$0")/libagent.sh"

setup_world
admin=(--server "$SERVER_URL" --token-file "$W/admin.token")
mktoken() {	# mktoken NAME FILE [TTL]
	"$LS" agent token "$1" --ttl "${3:-1h}" "${admin[@]}" >"$2" 2>/dev/null &&
		chmod 600 "$2"
}
once() {	# once NAME STATE_SUFFIX ARGS...: one --once run, its log in $W/NAME.once
	local n=$1
	shift
	"$AGENT" --server "$MIRROR_URL" --report-to "$SERVER_URL" \
		--root "$W/keys/1.root.note" --state "$W/$n" --channel stable \
		--name "$n" --listen off "$@" >"$W/$n.once" 2>&1
}
posts_at_mirror() { grep -c 'POST /v1/' "$W/mirror.log"; }

# A good token, through a mirror: enrolment and reports go to the server.
mktoken alice "$W/alice.etok" || die "token for alice"
if once alice --enroll-token-file "$W/alice.etok" --once; then
	ok "alice enrols with its token and exits 0"
else
	fail "alice --once failed: $(cat "$W/alice.once")"
fi
check_file() { test -f "$W/data/agents/$1.pub"; }
if check_file alice; then ok "alice's key is enrolled"; else fail "alice not enrolled"; fi
alice_reported() {
	"$LS" evidence cat "$W/data" | grep '"kind":"report"' | grep -q '"agent":"alice"'
}
if wait_until 10 alice_reported; then
	ok "alice's report reached the server"
else
	fail "no report from alice in the evidence"
fi
if [ "$(posts_at_mirror)" = 0 ]; then
	ok "nothing was posted to the mirror"
else
	fail "the agent posted to the mirror: $(grep 'POST' "$W/mirror.log" | head -3)"
fi

# The victim's name was taken first (the old attack): 409, said clearly,
# and --once exits non-zero.
"$LS" keygen victim -o "$W/evil" >/dev/null
curl -s -o /dev/null -X POST -H "X-Lockstep-Enroll-Token: $(cat "$W/enroll.token")" \
	--data-binary @"$W/evil/victim.pub" "$SERVER_URL/v1/enroll"
mktoken victim "$W/victim.etok" || die "token for victim"
once victim --enroll-token-file "$W/victim.etok" --once
rc=$?
if [ "$rc" -ne 0 ] && grep -q "enrolment refused.*409.*victim" "$W/victim.once"; then
	ok "name taken: --once exits $rc and says so ($(grep -m1 'enrolment refused' "$W/victim.once" | head -c 300))"
else
	fail "name taken: exit $rc, log: $(tail -n 5 "$W/victim.once")"
fi

# A token bound to another name: 403, non-zero.
mktoken carol "$W/carol.etok" || die "token for carol"
once bob --enroll-token-file "$W/carol.etok" --once
rc=$?
if [ "$rc" -ne 0 ] && grep -q "enrolment refused.*403" "$W/bob.once"; then
	ok "token of another name: --once exits $rc and says so"
else
	fail "wrong token: exit $rc, log: $(tail -n 5 "$W/bob.once")"
fi

# A token file others can read is refused, naming it.
mktoken dave "$W/dave.etok" || die "token for dave"
chmod 644 "$W/dave.etok"
once dave --enroll-token-file "$W/dave.etok" --once
rc=$?
if [ "$rc" -ne 0 ] && grep -q "dave.etok: permissions 0644" "$W/dave.once"; then
	ok "0644 token file refused ($rc)"
else
	fail "0644 token file: exit $rc, log: $(tail -n 3 "$W/dave.once")"
fi

# The agent's own secret key is refused once others can read it.
chmod 644 "$W/alice/alice.key"
once alice --once
rc=$?
if [ "$rc" -ne 0 ] && grep -q "alice.key: permissions 0644" "$W/alice.once"; then
	ok "agent refuses its 0644 secret key ($rc)"
else
	fail "0644 agent key: exit $rc, log: $(tail -n 3 "$W/alice.once")"
fi
chmod 600 "$W/alice/alice.key"

# The token on the command line still works, with a warning.
mktoken erin "$W/erin.etok" || die "token for erin"
if once erin --enroll-token "$(cat "$W/erin.etok")" --once &&
	grep -q "visible" "$W/erin.once"; then
	ok "--enroll-token works and warns that ps shows it"
else
	fail "--enroll-token: $(tail -n 3 "$W/erin.once")"
fi

# A running agent refused keeps enforcing and reports state error.
mktoken frank "$W/frank.etok" || die "token for frank"
"$LS" keygen frank -o "$W/evil2" >/dev/null
"$LS" agent add frank "$W/evil2/frank.pub" "${admin[@]}" >/dev/null
start_agent frank "$MIRROR_URL" --report-to "$SERVER_URL" \
	--enroll-token-file "$W/frank.etok"
expect_version frank v1 30 "refused agent still enforces"
frank_refused() { is_state frank error && last_error frank | grep -q "enrolment refused"; }
if wait_until 20 frank_refused; then
	ok "refused agent: state error, $(last_error frank)"
else
	fail "refused agent: state $(status frank state), last_error $(last_error frank)"
fi
if log_has frank "enrolment refused" 5; then ok "refusal logged"; else fail "refusal not logged"; fi

# It tries again every pass, but says so once, not once a pass.
refusals() {
	curl -s --max-time 5 "$SERVER_URL/metrics" |
		awk '/^lockstep_enrolments_total\{result="refused"\}/ { print $2 }'
}
r0=$(refusals)
tried_more() { [ "$(refusals)" -ge $((r0 + 4)) ]; }
if wait_until 30 tried_more; then
	n=$(grep '"event":"\(enrol\|report\)"' "$W/frank.log" | grep -c "enrolment refused")
	if [ "$n" = 1 ]; then
		ok "4 more refused tries, the refusal logged once"
	else
		fail "the refusal logged $n times in $(($(refusals) - r0 + 1)) tries"
	fi
else
	fail "the refused agent stopped trying (refusals $r0 -> $(refusals))"
fi

# Once an operator removes the other key, the same token enrols it.
"$LS" agent remove frank "${admin[@]}" >/dev/null || die "remove frank"
frank_back() { is_state frank active && grep -q "enrolled as frank" "$W/frank.log"; }
if wait_until 30 frank_back; then
	ok "the other key removed: frank enrols with its token, state active"
else
	fail "after the removal: state $(status frank state), $(last_error frank)"
fi

# A refused token (403): a new token written to the file is read and used.
mktoken hank "$W/gina.etok" || die "token for hank"
start_agent gina "$MIRROR_URL" --report-to "$SERVER_URL" \
	--enroll-token-file "$W/gina.etok"
gina_refused() { is_state gina error && last_error gina | grep -q "403"; }
wait_until 30 gina_refused || fail "gina: not refused: $(last_error gina)"
mktoken gina "$W/gina.etok" || die "token for gina"
gina_in() { is_state gina active && grep -q "enrolled as gina" "$W/gina.log"; }
if wait_until 30 gina_in; then
	ok "a new token in the file is used without a restart"
else
	fail "gina after a new token: state $(status gina state), $(last_error gina)"
fi
finish
