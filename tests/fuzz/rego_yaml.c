/*
 * rego_yaml.c - libFuzzer harness: the Rego engine's YAML parser
 * (ls_yaml_parse in common/rego/builtins/yaml.c, behind yaml.unmarshal and
 * METADATA annotations).  A parsed value must write as JSON (or hit the
 * output cap).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lockstep/buf.h"
#include "rego/annot.h"
#include "rego/arena.h"
#include "rego/value.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ls_arena *a = ls_arena_new(64u << 20);
	const struct ls_val *v = NULL;
	char err[256], *s;
	struct ls_buf b;
	int rc;

	if (a == NULL)
		return 0;
	/* The parser is handed NUL-terminated text, as the engine does. */
	if ((s = ls_arena_strndup(a, (const char *)data, size)) == NULL)
		goto out;
	ls_buf_init(&b, 1 << 20);
	err[0] = '\0';
	rc = ls_yaml_parse(&v, a, s, size, err, sizeof(err));
	if (rc == 0) {
		if (v == NULL)
			abort();
		(void)ls_val_to_json(&b, v);
	} else if (err[0] == '\0') {
		abort(); /* failure without a message */
	}
	ls_buf_cleanup(&b);
out:
	ls_arena_free(a);
	return 0;
}
