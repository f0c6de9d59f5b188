/* main.c - PLACEHOLDER for lockstep-server until its issue lands; replace wholesale. */
#include <stdio.h>

int
main(void)
{
	fprintf(stderr, "lockstep-server: not built yet\n");
	return 2;
}
