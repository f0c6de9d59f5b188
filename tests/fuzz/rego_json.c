/*
 * rego_json.c - libFuzzer harness: the Rego engine's JSON parser
 * (ls_val_from_json, common/rego/json.c) and its writers.  A parsed value
 * is written as canonical JSON, which must parse back to an equal value
 * and write the same bytes again; the pretty and Rego writers must not
 * crash.  What the strict parse (LS_JSON_STRICT) takes, jansson must
 * take as the server reads records (an admission review goes into its
 * record as received).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "lockstep/buf.h"
#include "rego/arena.h"
#include "rego/value.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define OUT_MAX (1 << 20)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ls_arena *a = ls_arena_new(64u << 20);
	const struct ls_val *v, *v2;
	struct ls_buf b1, b2, b3;

	if (a == NULL)
		return 0;
	ls_buf_init(&b1, OUT_MAX);
	ls_buf_init(&b2, OUT_MAX);
	ls_buf_init(&b3, OUT_MAX);
	if (ls_val_from_json_flags(&v, a, (const char *)data, size, 64,
		LS_JSON_STRICT) == 0) {
		json_t *j = json_loadb((const char *)data, size,
		    JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);

		if (j == NULL)
			abort(); /* strict took what jansson refuses */
		json_decref(j);
	}
	if (ls_val_from_json(&v, a, (const char *)data, size, 64) != 0)
		goto out;
	(void)ls_val_to_json_pretty(&b3, v);
	ls_buf_reset(&b3);
	(void)ls_val_to_rego(&b3, v);
	if (ls_val_to_json(&b1, v) != 0)
		goto out; /* past OUT_MAX */
	if (ls_val_from_json(&v2, a, b1.data, b1.len, 64) != 0)
		abort(); /* written but not read back */
	if (!ls_val_equal(v, v2) || ls_val_compare(v, v2) != 0 ||
	    ls_val_hash(v) != ls_val_hash(v2))
		abort(); /* round trip changed the value */
	if (ls_val_to_json(&b2, v2) != 0 || b1.len != b2.len ||
	    memcmp(b1.data, b2.data, b1.len) != 0)
		abort(); /* canonical form not stable */
out:
	ls_buf_cleanup(&b1);
	ls_buf_cleanup(&b2);
	ls_buf_cleanup(&b3);
	ls_arena_free(a);
	return 0;
}
