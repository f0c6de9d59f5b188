/* cli_operator.c - PLACEHOLDER until its issue lands; replace wholesale. */
#include <stdio.h>

#include "cli.h"

int
cli_pin(int argc, char **argv)
{
	(void)argc;
	fprintf(stderr, "lockstep %s: not built yet\n", argv[0]);
	return 2;
}

int
cli_rollback(int argc, char **argv)
{
	(void)argc;
	fprintf(stderr, "lockstep %s: not built yet\n", argv[0]);
	return 2;
}

int
cli_unpin(int argc, char **argv)
{
	(void)argc;
	fprintf(stderr, "lockstep %s: not built yet\n", argv[0]);
	return 2;
}

int
cli_status(int argc, char **argv)
{
	(void)argc;
	fprintf(stderr, "lockstep %s: not built yet\n", argv[0]);
	return 2;
}

int
cli_agent(int argc, char **argv)
{
	(void)argc;
	fprintf(stderr, "lockstep %s: not built yet\n", argv[0]);
	return 2;
}

int
cli_evidence(int argc, char **argv)
{
	(void)argc;
	fprintf(stderr, "lockstep %s: not built yet\n", argv[0]);
	return 2;
}
