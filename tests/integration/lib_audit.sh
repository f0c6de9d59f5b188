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
