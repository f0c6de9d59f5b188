# lib_audit.sh - helpers of the audit tests, sourced after lib_server.sh
# (run-all.sh skips lib*.sh).
seed=$LOCKSTEP_BIN/../tests/tools/audit_seed
root=${LOCKSTEP_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}

# audit_repo: keys; a policy repository whose deny rule implements
# soc2:CC6.1 (control map), tagged v1.0.0; admin and auditor token files
# (0600) with the tokens $admin_tok and $auditor_tok.
admin_tok=admin-token-0123456789
auditor_tok=auditor-token-abcdefghij
audit_repo() {
	make_keys
	make_repo
	mkdir -p "$work/repo/lockstep"
	echo '{"controls": {"data.policy.admission.deny": ["soc2:CC6.1"]}}' \
	    >"$work/repo/lockstep/data.json"
	git_q add -A
	git_q commit -qm "control map"
	tag_repo v1.0.0
	echo "$admin_tok" >"$work/admin.token"
	echo "$auditor_tok" >"$work/auditor.token"
	chmod 600 "$work/admin.token" "$work/auditor.token"
}

# agent_reports NAME [STATE]: a key for NAME (under $work/NAME), enrolled
# through the admin API, and one signed report (seq 1, v1.0.0) in STATE
# (default active) accepted by the running server.
agent_reports() {
	local a=$1 state=${2:-active}
	"$ls" keygen "$a" -o "$work/$a" >/dev/null
	check "$a enrolled" "$ls" agent add "$a" "$work/$a/$a.pub" \
	    --server "$url" --token-file "$work/admin.token"
	report "$a" 1 "$work/$a/$a.key" >/dev/null
	sed -i "s/^state active\$/state $state/" "$work/body"
	"$ls" note sign "$work/$a/$a.key" --in "$work/body" >"$work/$a.report"
	check "$a reports $state" test "$(post "$work/$a.report")" = 202
}

# seeded_store AGENTS RECORDS DAYS_AGO DAYS (after audit_repo): v1.0.0
# published, agent-1 reporting, and RECORDS decisions of AGENTS agents
# over DAYS days from $since (DAYS_AGO days ago; $until is today) seeded
# into the stopped server's store.  The seeded batches carry the time
# they were appended (they end the agents' silent gaps): it returns once
# that second has passed, so no package is made in it.
seeded_store() {
	local seeded
	start_server --admin-token-file "$work/admin.token" \
	    --auditor-token-file "$work/auditor.token"
	check "published" wait_published stable 1
	agent_reports agent-1
	stop_server
	since=$(date -u -d "-$3 days" +%Y-%m-%d)
	until=$(date -u +%Y-%m-%d)
	check "seed $2 decisions of $1 agents" "$seed" "$work/data" "$1" \
	    "$2" "$since" "$4" soc2:CC6.1
	seeded=$(date +%s)
	wait_until 2 sh -c "test \$(date +%s) -gt $seeded"
}
