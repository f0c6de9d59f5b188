/* compare.c - the comparison builtins: ==, !=, <, >, <=, >=. */
#include <stddef.h>

#include "rego/builtins.h"

static int
cmp_result(const struct ls_val *const *args, const struct ls_val **out,
    int want_lt, int want_eq, int want_gt)
{
	int c = ls_val_compare(args[0], args[1]);

	*out = ls_val_bool(c < 0 ? want_lt : c == 0 ? want_eq : want_gt);
	return LS_BI_OK;
}

int
ls_bi_equal(struct ls_bi_ctx *ctx, const struct ls_val *const *args,
    size_t nargs, const struct ls_val **out)
{
	(void)ctx;
	(void)nargs;
	return cmp_result(args, out, 0, 1, 0);
}

int
ls_bi_neq(struct ls_bi_ctx *ctx, const struct ls_val *const *args, size_t nargs,
    const struct ls_val **out)
{
	(void)ctx;
	(void)nargs;
	return cmp_result(args, out, 1, 0, 1);
}

int
ls_bi_lt(struct ls_bi_ctx *ctx, const struct ls_val *const *args, size_t nargs,
    const struct ls_val **out)
{
	(void)ctx;
	(void)nargs;
	return cmp_result(args, out, 1, 0, 0);
}

int
ls_bi_gt(struct ls_bi_ctx *ctx, const struct ls_val *const *args, size_t nargs,
    const struct ls_val **out)
{
	(void)ctx;
	(void)nargs;
	return cmp_result(args, out, 0, 0, 1);
}

int
ls_bi_lte(struct ls_bi_ctx *ctx, const struct ls_val *const *args, size_t nargs,
    const struct ls_val **out)
{
	(void)ctx;
	(void)nargs;
	return cmp_result(args, out, 1, 1, 0);
}

int
ls_bi_gte(struct ls_bi_ctx *ctx, const struct ls_val *const *args, size_t nargs,
    const struct ls_val **out)
{
	(void)ctx;
	(void)nargs;
	return cmp_result(args, out, 0, 1, 1);
}
