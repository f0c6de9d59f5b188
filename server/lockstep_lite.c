/*
 * lockstep_lite.c - `lockstep`: the policy commands (eval, test, and
 * check on a policy directory) run here, in a program linked with the
 * Rego engine's libraries only, because pre-commit and CI start it for
 * every commit and every file; every other command, and check --server
 * or --report, is handed to lockstep-ops beside it (exec, same
 * arguments), which carries the network, git and archive stacks.
 * --help is answered here too.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const struct {
	const char *name;
	int (*fn)(int, char **);
} local[] = {
	{ "eval", cli_eval },
	{ "test", cli_test },
	{ "check", cli_check },
};

/* lockstep-ops in the directory of this program. */
static int
ops_path(char *out, size_t cap)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	if (n <= 0)
		return -1;
	self[n] = '\0';
	if ((slash = strrchr(self, '/')) == NULL)
		return -1;
	*slash = '\0';
	return (size_t)snprintf(out, cap, "%s/lockstep-ops", self) < cap ? 0
									  : -1;
}

static int
needs_ops(int argc, char **argv)
{
	size_t i;
	int k;

	for (i = 0; i < sizeof(local) / sizeof(local[0]); i++)
		if (strcmp(argv[1], local[i].name) == 0)
			break;
	if (i == sizeof(local) / sizeof(local[0]))
		return 1;
	if (strcmp(argv[1], "check") == 0)
		for (k = 2; k < argc; k++)
			if (strcmp(argv[k], "--server") == 0 ||
			    strcmp(argv[k], "--report") == 0)
				return 1;
	return 0;
}

int
main(int argc, char **argv)
{
	char ops[PATH_MAX];
	size_t i;
	int rc;

	if ((rc = cli_usage_main(argc, argv)) >= 0)
		return rc;
	if (!needs_ops(argc, argv))
		for (i = 0; i < sizeof(local) / sizeof(local[0]); i++)
			if (strcmp(argv[1], local[i].name) == 0)
				return local[i].fn(argc - 1, argv + 1);
	if (ops_path(ops, sizeof(ops)) != 0) {
		fprintf(stderr, "lockstep: cannot find lockstep-ops beside "
				"this program\n");
		return 1;
	}
	execv(ops, argv);
	fprintf(stderr, "lockstep: %s: %s\n", ops, strerror(errno));
	return 1;
}
