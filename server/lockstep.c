/* lockstep.c - lockstep-ops, the operator CLI with every subcommand:
 * `lockstep` (lockstep_lite.c) runs the policy commands itself and hands
 * the rest, which need the network and git stacks, to this program. */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "check.h"
#include "cli.h"
#include "lockstep/error.h"

static const struct {
	const char *name;
	int (*fn)(int, char **);
	const char *help;
} cmds[] = {
	{ "keygen", cli_keygen, "keygen NAME -o DIR       new Ed25519 key" },
	{ "init", cli_init, "init KEYDIR --origin NAME   role keys + root v1" },
	{ "note", cli_note, "note sign|cosign|verify ...  signed notes" },
	{ "root", cli_root, "root new|sign|check|verify ...  root rotation" },
	{ "bundle", cli_bundle, "bundle build|inspect|extract ..." },
	{ "test", cli_test, "test [-v] [--format=json] PATH...  run Rego tests" },
	{ "eval", cli_eval, "eval -d PATH [-i INPUT] [--format=F] QUERY  evaluate" },
	{ "check", cli_check,
	    "check [--policy DIR | --server URL ...] FILE...  conftest-style" },
	{ "pin", cli_pin, "pin CHANNEL VERSION --owner --reason --until" },
	{ "rollback", cli_rollback, "rollback CHANNEL VERSION ..." },
	{ "unpin", cli_unpin, "unpin CHANNEL ..." },
	{ "status", cli_status, "status                   channels and pins" },
	{ "agent", cli_agent, "agent add|token|remove NAME ...  agents" },
	{ "audit", cli_audit,
	    "audit --control ID --since D --until D -o DIR | verify DIR" },
	{ "evidence", cli_evidence,
	    "evidence verify|export DATA_DIR ...  the log" },
	{ "overrides", cli_overrides,
	    "overrides --since DATE ...  exception uses, most first" },
};

static void
usage(FILE *f)
{
	size_t i;

	fprintf(f,
	    "usage: lockstep COMMAND [ARGS...]\n\n"
	    "Operator tool for Lockstep signed policy releases.\n\n");
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  lockstep %s\n", cmds[i].help);
	fprintf(f, "\nRun 'lockstep COMMAND --help' for details.\n");
}

int
main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
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
