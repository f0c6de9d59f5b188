/*
 * bi_call.h - the harness shared by the builtin unit tests: call a
 * registered builtin on JSON operands and compare its answer as text.
 * Included by one test program each (static functions), after
 * <cmocka.h>, whose assertions it uses.
 */
#ifndef LOCKSTEP_TEST_BI_CALL_H
#define LOCKSTEP_TEST_BI_CALL_H

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "lockstep/buf.h"
#include "rego/builtins.h"
#include "rego/value.h"

/* Call builtin name on JSON operands; the result's canonical JSON, or
 * "ERR:" + message, or "UNDEF".  The caller frees. */
static char *
call(const char *name, int n, ...)
{
	struct ls_arena *a = ls_arena_new(0);
	const struct ls_val *args[8], *out = NULL;
	const struct ls_bi *bi = ls_bi_lookup(name, strlen(name));
	struct ls_bi_ctx ctx;
	struct ls_buf b;
	va_list ap;
	char *res;
	int i, rc;

	assert_non_null(a);
	assert_non_null(bi);
	va_start(ap, n);
	for (i = 0; i < n; i++) {
		const char *j = va_arg(ap, const char *);
		assert_int_equal(ls_val_from_json(&args[i], a, j, strlen(j), 0),
		    0);
	}
	va_end(ap);
	memset(&ctx, 0, sizeof ctx);
	ctx.arena = a;
	ctx.name = bi->name;
	ctx.now_ns = 1700000000123456789LL;
	rc = bi->fn(&ctx, args, (size_t)n, &out);
	ls_buf_init(&b, 1 << 22);
	if (rc == LS_BI_OK)
		assert_int_equal(ls_val_to_json(&b, out), 0);
	else if (rc == LS_BI_UNDEF)
		assert_int_equal(ls_buf_adds(&b, "UNDEF"), 0);
	else
		assert_int_equal(ls_buf_addf(&b, "ERR:%s", ctx.msg), 0);
	res = ls_buf_take(&b, NULL);
	ls_arena_free(a);
	return res;
}

#define CHECK(want, name, ...)                                                 \
	do {                                                                   \
		char *got_ = call(name, __VA_ARGS__);                          \
		assert_string_equal(got_, want);                               \
		free(got_);                                                    \
	} while (0)

#endif
