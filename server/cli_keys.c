/* cli_keys.c - PLACEHOLDER until its issue lands; replace wholesale. */
#include <stdio.h>

#include "cli.h"

int
cli_keygen(int argc, char **argv)
{
	(void)argc;
	fprintf(stderr, "lockstep %s: not built yet\n", argv[0]);
	return 2;
}

int
cli_init(int argc, char **argv)
{
	(void)argc;
	fprintf(stderr, "lockstep %s: not built yet\n", argv[0]);
	return 2;
}
