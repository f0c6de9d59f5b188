/* cli_root.c - `lockstep root verify`: walk and check a root chain. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "lockstep/error.h"
#include "lockstep/file.h"
#include "lockstep/note.h"
#include "lockstep/root.h"

static const char root_usage[] =
    "usage: lockstep root verify ROOT.note [ROOT.note...]\n"
    "\n"
    "verify  walks a root chain: the first note is the trust anchor (signed\n"
    "        by a threshold of the root keys it lists), each next one must\n"
    "        be the next version, signed by a threshold of the previous\n"
    "        version's root keys and of its own.  Intermediate versions may\n"
    "        have expired; the last one must not (TUF).  Exit 0 and no\n"
    "        output when the chain holds; one line naming the file and the\n"
    "        reason otherwise.\n";

/* Read path and take one step along the chain in *cur. */
static int
chain_step(struct ls_root *cur, const char *cmd, const char *path)
{
	char *text = NULL;
	size_t len = 0;
	int rc;

	ls_error_clear();
	if ((rc = ls_file_read(&text, &len, path, LS_NOTE_MAX)) == 0)
		rc = ls_root_advance(cur, text, len);
	free(text);
	if (rc != 0)
		cli_fail(cmd, "%s", path);
	return rc;
}

/* Walk paths[0..n) into *out; 0 or 1 (printed). */
static int
walk_chain(struct ls_root *out, const char *cmd, char **paths, int n)
{
	int i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < n; i++)
		if (chain_step(out, cmd, paths[i]) != 0)
			return 1;
	ls_error_clear();
	if (ls_root_check_expiry(out, time(NULL)) != 0) {
		cli_fail(cmd, "%s", paths[n - 1]);
		return 1;
	}
	return 0;
}

static int
root_verify(int argc, char **argv)
{
	struct ls_root r;
	int rc;

	if (argc < 2 || argv[1][0] == '-') {
		fputs(root_usage, stderr);
		return 2;
	}
	rc = walk_chain(&r, "root verify", argv + 1, argc - 1);
	ls_root_cleanup(&r);
	return rc;
}

int
cli_root(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		fputs(root_usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (strcmp(argv[1], "verify") == 0)
		return root_verify(argc - 1, argv + 1);
	fprintf(stderr,
	    "lockstep root: unknown subcommand '%s' (see lockstep root "
	    "--help)\n",
	    argv[1]);
	return 2;
}
