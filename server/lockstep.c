/* lockstep.c - lockstep-ops, the operator CLI with every subcommand:
 * `lockstep` (lockstep_lite.c) runs the policy commands itself and hands
 * the rest, which need the network and git stacks, to this program. */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "check.h"
#include "cli.h"
#include "lockstep/error.h"

/* Their help lines are in cli_usage.c, which lockstep_lite.c shares. */
static const struct {
	const char *name;
	int (*fn)(int, char **);
} cmds[] = {
	{ "keygen", cli_keygen },
	{ "init", cli_init },
	{ "note", cli_note },
	{ "root", cli_root },
	{ "bundle", cli_bundle },
	{ "test", cli_test },
	{ "eval", cli_eval },
	{ "check", cli_check },
	{ "pin", cli_pin },
	{ "rollback", cli_rollback },
	{ "unpin", cli_unpin },
	{ "status", cli_status },
	{ "agent", cli_agent },
	{ "audit", cli_audit },
	{ "evidence", cli_evidence },
	{ "overrides", cli_overrides },
};

int
main(int argc, char **argv)
{
	size_t i;
	int rc;

	if ((rc = cli_usage_main(argc, argv)) >= 0)
		return rc;
	ls_check_remote = ls_check_fetch;
	ls_check_report = &ls_check_report_impl;
	if (sodium_init() < 0) {
		fprintf(stderr, "lockstep: libsodium failed to initialise\n");
		return 1;
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[1], cmds[i].name) == 0)
			return cmds[i].fn(argc - 1, argv + 1);
	fprintf(stderr,
	    "lockstep: unknown command '%s' (see lockstep --help)\n", argv[1]);
	return 2;
}
