/*
 * controls.c - libFuzzer harness: the control map and exceptions file
 * (lockstep/data.json, common/controls.c): parse, list the controls, and
 * check the exceptions at a few instants.  The list must come out sorted
 * and unique, as controls.h promises.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lockstep/controls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ls_controls c;
	char **list = NULL;
	size_t n = 0, i;

	ls_controls_init(&c);
	if (ls_controls_parse(&c, (const char *)data, size, "data.json") != 0) {
		if (c.ntargets != 0 || c.nexceptions != 0)
			abort(); /* failure must leave *out empty */
		goto out;
	}
	if (ls_controls_list(&list, &n, &c) != 0)
		goto out;
	for (i = 0; i < n; i++)
		if (list[i] == NULL ||
		    (i > 0 && strcmp(list[i - 1], list[i]) >= 0))
			abort(); /* not sorted and unique */
	if (list[n] != NULL)
		abort();
	(void)ls_controls_check_exceptions(&c, 0);
	(void)ls_controls_check_exceptions(&c, (time_t)1798675200); /* 2027 */
	(void)ls_controls_check_exceptions(&c, (time_t)INT64_MAX);
out:
	ls_controls_list_free(list);
	ls_controls_cleanup(&c);
	ls_controls_cleanup(&c);
	return 0;
}
