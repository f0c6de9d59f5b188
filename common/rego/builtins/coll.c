/* coll.c - set operators (and, or, intersection, union) and arrays. */
#include <stdint.h>

#include "rego/builtins/internal.h"

int
ls_bi_and(BI_ARGS)
{
	const struct ls_val *a = args[0], *b = args[1];
	struct ls_vlist l;
	size_t i;
	int rc;

	(void)nargs;
	if ((rc = bi_arg_type(ctx, args, 0, LS_VAL_SET, "set")) != 0 ||
	    (rc = bi_arg_type(ctx, args, 1, LS_VAL_SET, "set")) != 0)
		return rc;
	ls_vlist_init(&l, ctx->arena);
	for (i = 0; i < a->u.set.n; i++)
		if (ls_val_set_has(b, a->u.set.v[i]) &&
		    ls_vlist_push(&l, a->u.set.v[i]) != 0)
			return LS_BI_ENOMEM;
	return bi_ret(out, ls_val_set(ctx->arena, l.v, l.n));
}

int
ls_bi_or(BI_ARGS)
{
	const struct ls_val *a = args[0], *b = args[1];
	struct ls_vlist l;
	size_t i;
	int rc;

	(void)nargs;
	if ((rc = bi_arg_type(ctx, args, 0, LS_VAL_SET, "set")) != 0 ||
	    (rc = bi_arg_type(ctx, args, 1, LS_VAL_SET, "set")) != 0)
		return rc;
	ls_vlist_init(&l, ctx->arena);
	for (i = 0; i < a->u.set.n; i++)
		if (ls_vlist_push(&l, a->u.set.v[i]) != 0)
			return LS_BI_ENOMEM;
	for (i = 0; i < b->u.set.n; i++)
		if (ls_vlist_push(&l, b->u.set.v[i]) != 0)
			return LS_BI_ENOMEM;
	return bi_ret(out, ls_val_set(ctx->arena, l.v, l.n));
}

/* Operand 1 must be a set of sets. */
static int
sets_of_sets(struct ls_bi_ctx *ctx, const struct ls_val *const *args)
{
	size_t i;
	int rc;

	if ((rc = bi_arg_type(ctx, args, 0, LS_VAL_SET, "set")) != 0)
		return rc;
	for (i = 0; i < args[0]->u.set.n; i++)
		if (args[0]->u.set.v[i]->type != LS_VAL_SET)
			return ls_bi_type_error(ctx, 1, "set of sets",
			    args[0]->u.set.v[i]);
	return 0;
}

int
ls_bi_intersection(BI_ARGS)
{
	const struct ls_val *s = args[0], *first;
	struct ls_vlist l;
	size_t i, j;
	int rc;

	(void)nargs;
	if ((rc = sets_of_sets(ctx, args)) != 0)
		return rc;
	if (s->u.set.n == 0)
		return bi_ret(out, ls_val_empty_set());
	first = s->u.set.v[0];
	ls_vlist_init(&l, ctx->arena);
	for (i = 0; i < first->u.set.n; i++) {
		int all = 1;
		for (j = 1; j < s->u.set.n && all; j++)
			all = ls_val_set_has(s->u.set.v[j], first->u.set.v[i]);
		if (all && ls_vlist_push(&l, first->u.set.v[i]) != 0)
			return LS_BI_ENOMEM;
	}
	return bi_ret(out, ls_val_set(ctx->arena, l.v, l.n));
}

int
ls_bi_union(BI_ARGS)
{
	const struct ls_val *s = args[0];
	struct ls_vlist l;
	size_t i, j;
	int rc;

	(void)nargs;
	if ((rc = sets_of_sets(ctx, args)) != 0)
		return rc;
	ls_vlist_init(&l, ctx->arena);
	for (i = 0; i < s->u.set.n; i++)
		for (j = 0; j < s->u.set.v[i]->u.set.n; j++)
			if (ls_vlist_push(&l, s->u.set.v[i]->u.set.v[j]) != 0)
				return LS_BI_ENOMEM;
	return bi_ret(out, ls_val_set(ctx->arena, l.v, l.n));
}

int
ls_bi_array_concat(BI_ARGS)
{
	struct ls_vlist l;
	size_t i, k;
	int rc;

	(void)nargs;
	if ((rc = bi_arg_type(ctx, args, 0, LS_VAL_ARRAY, "array")) != 0 ||
	    (rc = bi_arg_type(ctx, args, 1, LS_VAL_ARRAY, "array")) != 0)
		return rc;
	ls_vlist_init(&l, ctx->arena);
	for (k = 0; k < 2; k++)
		for (i = 0; i < args[k]->u.arr.n; i++)
			if (ls_vlist_push(&l, args[k]->u.arr.v[i]) != 0)
				return LS_BI_ENOMEM;
	return bi_ret(out, ls_val_array(ctx->arena, l.v, l.n));
}

int
ls_bi_array_slice(BI_ARGS)
{
	const struct ls_val *a = args[0];
	int64_t start, stop, n;
	int rc;

	(void)nargs;
	if ((rc = bi_arg_type(ctx, args, 0, LS_VAL_ARRAY, "array")) != 0 ||
	    (rc = bi_arg_int(ctx, args, 1, &start)) != 0 ||
	    (rc = bi_arg_int(ctx, args, 2, &stop)) != 0)
		return rc;
	n = (int64_t)a->u.arr.n;
	if (start < 0)
		start = 0;
	if (stop > n)
		stop = n;
	if (start >= stop)
		return bi_ret(out, ls_val_empty_array());
	return bi_ret(out,
	    ls_val_array(ctx->arena, a->u.arr.v + start,
		(size_t)(stop - start)));
}

int
ls_bi_array_reverse(BI_ARGS)
{
	const struct ls_val *a = args[0];
	struct ls_vlist l;
	size_t i;
	int rc;

	(void)nargs;
	if ((rc = bi_arg_type(ctx, args, 0, LS_VAL_ARRAY, "array")) != 0)
		return rc;
	ls_vlist_init(&l, ctx->arena);
	for (i = a->u.arr.n; i > 0; i--)
		if (ls_vlist_push(&l, a->u.arr.v[i - 1]) != 0)
			return LS_BI_ENOMEM;
	return bi_ret(out, ls_val_array(ctx->arena, l.v, l.n));
}

/* array.flatten: one level of nested arrays spliced in. */
int
ls_bi_array_flatten(BI_ARGS)
{
	const struct ls_val *a = args[0];
	struct ls_vlist l;
	size_t i, j;
	int rc;

	(void)nargs;
	if ((rc = bi_arg_type(ctx, args, 0, LS_VAL_ARRAY, "array")) != 0)
		return rc;
	ls_vlist_init(&l, ctx->arena);
	for (i = 0; i < a->u.arr.n; i++) {
		const struct ls_val *e = a->u.arr.v[i];
		if (e->type != LS_VAL_ARRAY) {
			if (ls_vlist_push(&l, e) != 0)
				return LS_BI_ENOMEM;
			continue;
		}
		for (j = 0; j < e->u.arr.n; j++)
			if (ls_vlist_push(&l, e->u.arr.v[j]) != 0)
				return LS_BI_ENOMEM;
	}
	return bi_ret(out, ls_val_array(ctx->arena, l.v, l.n));
}
