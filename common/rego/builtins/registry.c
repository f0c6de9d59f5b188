/* registry.c - builtin lookup and the error helpers builtins use. */
#define LS_BUILTINS_IMPL /* the real definitions */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "rego/builtins.h"

const struct ls_bi *
ls_bi_lookup(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < ls_bi_table_len; i++) {
		const char *n = ls_bi_table[i].name;

		if (strlen(n) == len && memcmp(n, name, len) == 0)
			return &ls_bi_table[i];
	}
	return NULL;
}

int
ls_bi_type_error(struct ls_bi_ctx *ctx, int operand, const char *want,
    const struct ls_val *got)
{
	snprintf(ctx->msg, sizeof(ctx->msg),
	    "%s: operand %d must be %s but got %s", ctx->name, operand, want,
	    got != NULL ? ls_val_type_name(got) : "undefined");
	return LS_BI_ETYPE;
}

int
ls_bi_error(struct ls_bi_ctx *ctx, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(ctx->msg, sizeof(ctx->msg), "%s: ", ctx->name);
	if (n < 0 || (size_t)n >= sizeof(ctx->msg))
		return LS_BI_EBUILTIN;
	va_start(ap, fmt);
	vsnprintf(ctx->msg + n, sizeof(ctx->msg) - (size_t)n, fmt, ap);
	va_end(ap);
	return LS_BI_EBUILTIN;
}
