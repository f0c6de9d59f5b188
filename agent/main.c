/* main.c - PLACEHOLDER for lockstep-agent until its issue lands; replace wholesale. */
#include <stdio.h>

int
main(void)
{
	fprintf(stderr, "lockstep-agent: not built yet\n");
	return 2;
}
