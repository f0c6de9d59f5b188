/* cli_usage.c - `lockstep --help`: the command list, printed by both
 * programs (lockstep_lite.c without starting lockstep-ops, lockstep.c). */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char *const help[] = {
	"keygen NAME -o DIR       new Ed25519 key",
	"init KEYDIR --origin NAME   role keys + root v1",
	"note sign|cosign|verify ...  signed notes",
	"root new|sign|check|verify ...  root rotation",
	"bundle build|inspect|extract ...",
	"test [-v] [--format=json] PATH...  run Rego tests",
	"eval [-d PATH] [-i INPUT] [--format=F] QUERY  evaluate",
	"check [--policy DIR | --server URL ...] FILE...  conftest-style",
	"pin CHANNEL VERSION --owner --reason --until",
	"rollback CHANNEL VERSION ...",
	"unpin CHANNEL ...",
	"status                   channels and pins",
	"agent add|token|remove NAME ...  agents",
	"audit --control ID --since D --until D -o DIR | verify DIR",
	"evidence verify|export DATA_DIR ...  the log",
	"overrides --since DATE ...  exception uses, most first",
};

void
cli_usage(FILE *f)
{
	size_t i;

	fprintf(f,
	    "usage: lockstep COMMAND [ARGS...]\n\n"
	    "Operator tool for Lockstep signed policy releases.\n\n");
	for (i = 0; i < sizeof(help) / sizeof(help[0]); i++)
		fprintf(f, "  lockstep %s\n", help[i]);
	fprintf(f, "\nRun 'lockstep COMMAND --help' for details.\n");
}

int
cli_usage_main(int argc, char **argv)
{
	if (argc < 2) {
		cli_usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		cli_usage(stdout);
		return 0;
	}
	return -1;
}
