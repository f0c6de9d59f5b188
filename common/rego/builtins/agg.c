/* agg.c - aggregates: count, sum, product, max, min, sort, all, any,
 * and the membership tests behind `in`. */
#include <stdlib.h>
#include <string.h>

#include "rego/builtins/internal.h"
#include "rego/builtins/lib.h"

static int
is_coll(const struct ls_val *v)
{
	return v->type == LS_VAL_ARRAY || v->type == LS_VAL_SET;
}

int
ls_bi_count(BI_ARGS)
{
	const struct ls_val *v = args[0];
	size_t n;

	(void)nargs;
	switch (v->type) {
	case LS_VAL_ARRAY:
	case LS_VAL_OBJECT:
	case LS_VAL_SET: n = ls_val_len(v); break;
	case LS_VAL_STRING: n = bi_utf8_count(v->u.str.p, v->u.str.len); break;
	default:
		return ls_bi_type_error(ctx, 1,
		    "one of {array, object, set, string}", v);
	}
	return bi_ret(out, ls_val_int(ctx->arena, (int64_t)n));
}

static int
fold(BI_ARGS, int mul)
{
	const struct ls_val *const *el;
	struct ls_num acc, t;
	size_t n, i;
	int rc;

	(void)nargs;
	if (!is_coll(args[0]))
		return ls_bi_type_error(ctx, 1, "one of {set, array}", args[0]);
	el = bi_elems(args[0], &n);
	ls_num_from_int64(&acc, mul ? 1 : 0);
	for (i = 0; i < n; i++) {
		if (el[i]->type != LS_VAL_NUMBER)
			return bi_elem_error(ctx, 1, args[0], el[i], "number");
		t = acc;
		rc = mul ? ls_num_mul(&acc, ctx->arena, &t, &el[i]->u.num)
			 : ls_num_add(&acc, ctx->arena, &t, &el[i]->u.num);
		if (rc != 0)
			return bi_fail(ctx, rc);
	}
	return bi_ret_num(ctx, out, &acc);
}

int
ls_bi_sum(BI_ARGS)
{
	return fold(ctx, args, nargs, out, 0);
}

int
ls_bi_product(BI_ARGS)
{
	return fold(ctx, args, nargs, out, 1);
}

static int
extreme(BI_ARGS, int want_max)
{
	const struct ls_val *const *el, *best = NULL;
	size_t n, i;

	(void)nargs;
	if (!is_coll(args[0]))
		return ls_bi_type_error(ctx, 1, "one of {set, array}", args[0]);
	el = bi_elems(args[0], &n);
	for (i = 0; i < n; i++) {
		int c = best == NULL ? 0 : ls_val_compare(el[i], best);
		if (best == NULL || (want_max ? c > 0 : c < 0))
			best = el[i];
	}
	if (best == NULL)
		return LS_BI_UNDEF;
	*out = best;
	return LS_BI_OK;
}

int
ls_bi_max(BI_ARGS)
{
	return extreme(ctx, args, nargs, out, 1);
}

int
ls_bi_min(BI_ARGS)
{
	return extreme(ctx, args, nargs, out, 0);
}

static int
cmp_vals(const void *x, const void *y)
{
	const struct ls_val *const *a = x, *const *b = y;

	return ls_val_compare(*a, *b);
}

int
ls_bi_sort(BI_ARGS)
{
	const struct ls_val *const *el;
	const struct ls_val **tmp, *r;
	size_t n;

	(void)nargs;
	if (!is_coll(args[0]))
		return ls_bi_type_error(ctx, 1, "one of {set, array}", args[0]);
	el = bi_elems(args[0], &n);
	if (args[0]->type == LS_VAL_SET)
		return bi_ret(out, ls_val_array(ctx->arena, el, n));
	if (n == 0) {
		*out = args[0];
		return LS_BI_OK;
	}
	if ((tmp = malloc(n * sizeof *tmp)) == NULL)
		return LS_BI_ENOMEM;
	memcpy(tmp, el, n * sizeof *tmp);
	qsort(tmp, n, sizeof *tmp, cmp_vals);
	r = ls_val_array(ctx->arena, tmp, n);
	free(tmp);
	return bi_ret(out, r);
}

static int
quantify(BI_ARGS, int want_all)
{
	const struct ls_val *const *el;
	size_t n, i;

	(void)nargs;
	if (!is_coll(args[0]))
		return ls_bi_type_error(ctx, 1, "one of {array, set}", args[0]);
	el = bi_elems(args[0], &n);
	for (i = 0; i < n; i++) {
		int t = el[i]->type == LS_VAL_BOOL && el[i]->u.b;
		if (want_all && !t)
			return bi_ret(out, ls_val_bool(0));
		if (!want_all && t)
			return bi_ret(out, ls_val_bool(1));
	}
	return bi_ret(out, ls_val_bool(want_all));
}

int
ls_bi_all(BI_ARGS)
{
	return quantify(ctx, args, nargs, out, 1);
}

int
ls_bi_any(BI_ARGS)
{
	return quantify(ctx, args, nargs, out, 0);
}

/* internal.member_2(x, coll): x is a value of coll. */
int
ls_bi_member2(BI_ARGS)
{
	const struct ls_val *x = args[0], *c = args[1];
	size_t i;

	(void)ctx;
	(void)nargs;
	switch (c->type) {
	case LS_VAL_SET: return bi_ret(out, ls_val_bool(ls_val_set_has(c, x)));
	case LS_VAL_ARRAY:
		for (i = 0; i < c->u.arr.n; i++)
			if (ls_val_equal(c->u.arr.v[i], x))
				return bi_ret(out, ls_val_bool(1));
		break;
	case LS_VAL_OBJECT:
		for (i = 0; i < c->u.obj.n; i++)
			if (ls_val_equal(c->u.obj.v[i], x))
				return bi_ret(out, ls_val_bool(1));
		break;
	default: break;
	}
	return bi_ret(out, ls_val_bool(0));
}

/* internal.member_3(k, v, coll): coll[k] == v. */
int
ls_bi_member3(BI_ARGS)
{
	const struct ls_val *k = args[0], *x = args[1], *c = args[2], *got;
	int64_t idx;
	int ovf = 0;

	(void)ctx;
	(void)nargs;
	if (c->type == LS_VAL_SET)
		return bi_ret(out,
		    ls_val_bool(ls_val_set_has(c, k) && ls_val_equal(k, x)));
	if (c->type == LS_VAL_OBJECT) {
		got = ls_val_object_get(c, k);
		return bi_ret(out,
		    ls_val_bool(got != NULL && ls_val_equal(got, x)));
	}
	if (c->type == LS_VAL_ARRAY && k->type == LS_VAL_NUMBER &&
	    ls_num_is_int(&k->u.num)) {
		idx = ls_num_to_int64(&k->u.num, &ovf);
		if (!ovf && idx >= 0 && (uint64_t)idx < c->u.arr.n)
			return bi_ret(out,
			    ls_val_bool(ls_val_equal(c->u.arr.v[idx], x)));
	}
	return bi_ret(out, ls_val_bool(0));
}
