/*
 * manifest.c - libFuzzer harness: the OPA bundle .manifest parser
 * (common/manifest.c).  Whatever parses must write, parse back and write
 * the same bytes again (the canonical form is a fixed point), and the
 * roots check must not crash on it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lockstep/manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ls_manifest m, m2;
	char *w1 = NULL, *w2 = NULL;
	size_t n1 = 0, n2 = 0;

	ls_manifest_init(&m);
	ls_manifest_init(&m2);
	if (ls_manifest_parse(&m, (const char *)data, size) != 0)
		goto out;
	(void)ls_manifest_check_roots(&m);
	if (ls_manifest_write(&w1, &n1, &m) != 0)
		abort(); /* parsed but cannot be written */
	if (ls_manifest_parse(&m2, w1, n1) != 0)
		abort(); /* written but not read back */
	if (ls_manifest_write(&w2, &n2, &m2) != 0 || n1 != n2 ||
	    memcmp(w1, w2, n1) != 0)
		abort(); /* canonical form not stable */
out:
	free(w1);
	free(w2);
	ls_manifest_cleanup(&m);
	ls_manifest_cleanup(&m2);
	return 0;
}
