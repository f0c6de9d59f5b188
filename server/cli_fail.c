/* cli_fail.c - the one-line error of every `lockstep` subcommand. */
#include <stdarg.h>
#include <stdio.h>

#include "cli.h"
#include "lockstep/error.h"

void
cli_fail(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "lockstep %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (ls_error_last()[0] != '\0')
		fprintf(stderr, ": %s", ls_error_last());
	fputc('\n', stderr);
}
