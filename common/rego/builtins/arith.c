/* arith.c - arithmetic, numbers.range and bits.* builtins. */
#include <stdio.h>
#include <stdlib.h>

#include "lockstep/error.h"
#include "rego/builtins/internal.h"

#define RANGE_MAX (2u * 1000 * 1000) /* cap on numbers.range sizes */

typedef int (*num_op)(struct ls_num *, struct ls_arena *, const struct ls_num *,
    const struct ls_num *);

static int
arith2(BI_ARGS, num_op op)
{
	const struct ls_num *x, *y;
	struct ls_num r;
	int rc;

	(void)nargs;
	if ((rc = bi_arg_num(ctx, args, 0, &x)) != 0 ||
	    (rc = bi_arg_num(ctx, args, 1, &y)) != 0)
		return rc;
	if ((rc = op(&r, ctx->arena, x, y)) != 0) {
		if (rc == LS_ENOMEM)
			return LS_BI_ENOMEM;
		return ls_bi_error(ctx, "%s", ls_error_last());
	}
	return bi_ret_num(ctx, out, &r);
}

int
ls_bi_plus(BI_ARGS)
{
	return arith2(ctx, args, nargs, out, ls_num_add);
}

int
ls_bi_mul(BI_ARGS)
{
	return arith2(ctx, args, nargs, out, ls_num_mul);
}

int
ls_bi_div(BI_ARGS)
{
	return arith2(ctx, args, nargs, out, ls_num_div);
}

int
ls_bi_rem(BI_ARGS)
{
	return arith2(ctx, args, nargs, out, ls_num_rem);
}

/* Set difference a - b. */
static int
set_minus(struct ls_bi_ctx *ctx, const struct ls_val *a, const struct ls_val *b,
    const struct ls_val **out)
{
	struct ls_vlist l;
	size_t i;

	ls_vlist_init(&l, ctx->arena);
	for (i = 0; i < a->u.set.n; i++)
		if (!ls_val_set_has(b, a->u.set.v[i]) &&
		    ls_vlist_push(&l, a->u.set.v[i]) != 0)
			return LS_BI_ENOMEM;
	return bi_ret(out, ls_val_set(ctx->arena, l.v, l.n));
}

int
ls_bi_minus(BI_ARGS)
{
	if (args[0]->type == LS_VAL_SET) {
		if (args[1]->type != LS_VAL_SET)
			return ls_bi_type_error(ctx, 2, "set", args[1]);
		return set_minus(ctx, args[0], args[1], out);
	}
	if (args[0]->type != LS_VAL_NUMBER)
		return ls_bi_type_error(ctx, 1, "one of {number, set}",
		    args[0]);
	return arith2(ctx, args, nargs, out, ls_num_sub);
}

int
ls_bi_abs(BI_ARGS)
{
	const struct ls_num *x;
	struct ls_num r;
	int rc;

	(void)nargs;
	if ((rc = bi_arg_num(ctx, args, 0, &x)) != 0)
		return rc;
	if ((rc = ls_num_abs(&r, ctx->arena, x)) != 0)
		return bi_fail(ctx, rc);
	return bi_ret_num(ctx, out, &r);
}

static int
to_integer(BI_ARGS, enum ls_num_rounding mode)
{
	const struct ls_num *x;
	struct ls_num r;
	int rc;

	(void)nargs;
	if ((rc = bi_arg_num(ctx, args, 0, &x)) != 0)
		return rc;
	if ((rc = ls_num_to_integer(&r, ctx->arena, x, mode)) != 0)
		return bi_fail(ctx, rc);
	return bi_ret_num(ctx, out, &r);
}

int
ls_bi_round(BI_ARGS)
{
	return to_integer(ctx, args, nargs, out, LS_NUM_ROUND);
}

int
ls_bi_ceil(BI_ARGS)
{
	return to_integer(ctx, args, nargs, out, LS_NUM_CEIL);
}

int
ls_bi_floor(BI_ARGS)
{
	return to_integer(ctx, args, nargs, out, LS_NUM_FLOOR);
}

static int
range(struct ls_bi_ctx *ctx, int64_t a, int64_t b, uint64_t step,
    const struct ls_val **out)
{
	struct ls_vlist l;
	uint64_t span, left;
	int64_t v;

	span = a <= b ? (uint64_t)b - (uint64_t)a : (uint64_t)a - (uint64_t)b;
	if (span / step >= RANGE_MAX)
		return ls_bi_error(ctx, "range too large");
	ls_vlist_init(&l, ctx->arena);
	for (v = a;;) {
		const struct ls_val *e = ls_val_int(ctx->arena, v);
		if (e == NULL || ls_vlist_push(&l, e) != 0)
			return LS_BI_ENOMEM;
		left = a <= b ? (uint64_t)b - (uint64_t)v
			      : (uint64_t)v - (uint64_t)b;
		if (left < step)
			break;
		v = a <= b ? (int64_t)((uint64_t)v + step)
			   : (int64_t)((uint64_t)v - step);
	}
	return bi_ret(out, ls_val_array(ctx->arena, l.v, l.n));
}

int
ls_bi_numbers_range(BI_ARGS)
{
	int64_t a, b;
	int rc;

	(void)nargs;
	if ((rc = bi_arg_int(ctx, args, 0, &a)) != 0 ||
	    (rc = bi_arg_int(ctx, args, 1, &b)) != 0)
		return rc;
	return range(ctx, a, b, 1, out);
}

int
ls_bi_numbers_range_step(BI_ARGS)
{
	const struct ls_num *sn;
	int64_t a, b, s;
	int rc, ovf = 0;

	(void)nargs;
	if ((rc = bi_arg_int(ctx, args, 0, &a)) != 0 ||
	    (rc = bi_arg_int(ctx, args, 1, &b)) != 0)
		return rc;
	/* A step past 64 bits is fine: the range is then just its start. */
	sn = args[2]->type == LS_VAL_NUMBER ? &args[2]->u.num : NULL;
	if (sn != NULL && ls_num_is_int(sn) && ls_num_sign(sn) > 0 &&
	    (s = ls_num_to_int64(sn, &ovf), ovf))
		return range(ctx, a, b, UINT64_MAX, out);
	if ((rc = bi_arg_int(ctx, args, 2, &s)) != 0)
		return rc;
	if (s <= 0)
		return ls_bi_error(ctx, "step must be a positive integer");
	return range(ctx, a, b, (uint64_t)s, out);
}

static int
bits2(BI_ARGS, char op)
{
	int64_t a, b;
	int rc;

	(void)nargs;
	if ((rc = bi_arg_int(ctx, args, 0, &a)) != 0 ||
	    (rc = bi_arg_int(ctx, args, 1, &b)) != 0)
		return rc;
	switch (op) {
	case '&': a &= b; break;
	case '|': a |= b; break;
	default: a ^= b; break;
	}
	return bi_ret(out, ls_val_int(ctx->arena, a));
}

int
ls_bi_bits_and(BI_ARGS)
{
	return bits2(ctx, args, nargs, out, '&');
}

int
ls_bi_bits_or(BI_ARGS)
{
	return bits2(ctx, args, nargs, out, '|');
}

int
ls_bi_bits_xor(BI_ARGS)
{
	return bits2(ctx, args, nargs, out, '^');
}

int
ls_bi_bits_negate(BI_ARGS)
{
	int64_t a;
	int rc;

	(void)nargs;
	if ((rc = bi_arg_int(ctx, args, 0, &a)) != 0)
		return rc;
	return bi_ret(out, ls_val_int(ctx->arena, ~a));
}

static int
shift_count(struct ls_bi_ctx *ctx, const struct ls_val *const *args, int64_t *n)
{
	int rc;

	if ((rc = bi_arg_int(ctx, args, 1, n)) != 0)
		return rc;
	if (*n < 0) {
		snprintf(ctx->msg, sizeof ctx->msg,
		    "%s: operand 2 must be an "
		    "unsigned integer number but got a negative integer",
		    ctx->name);
		return LS_BI_ETYPE;
	}
	return 0;
}

int
ls_bi_bits_lsh(BI_ARGS)
{
	const struct ls_num *x;
	struct ls_num acc, two, t;
	int64_t n, i;
	int rc;

	(void)nargs;
	if (args[0]->type == LS_VAL_NUMBER && !ls_num_is_int(&args[0]->u.num))
		return bi_arg_int(ctx, args, 0, &n);
	if ((rc = bi_arg_num(ctx, args, 0, &x)) != 0 ||
	    (rc = shift_count(ctx, args, &n)) != 0)
		return rc;
	if (n > 4096)
		return ls_bi_error(ctx, "shift count too large");
	acc = *x;
	/* multiply by 2^62 at a time: a handful of short multiplications */
	for (i = 0; i < n; i += 62) {
		int64_t k = n - i < 62 ? n - i : 62;
		ls_num_from_int64(&two, (int64_t)1 << k);
		t = acc;
		if ((rc = ls_num_mul(&acc, ctx->arena, &t, &two)) != 0)
			return bi_fail(ctx, rc);
	}
	return bi_ret_num(ctx, out, &acc);
}

int
ls_bi_bits_rsh(BI_ARGS)
{
	int64_t a, n;
	int rc;

	(void)nargs;
	if ((rc = bi_arg_int(ctx, args, 0, &a)) != 0 ||
	    (rc = shift_count(ctx, args, &n)) != 0)
		return rc;
	a = n >= 63 ? (a < 0 ? -1 : 0) : a >> n;
	return bi_ret(out, ls_val_int(ctx->arena, a));
}
