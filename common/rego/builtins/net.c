/* net.c - net.cidr_* and semver.* builtins. */
#include <stdlib.h>
#include <string.h>

#include "lockstep/error.h"
#include "rego/builtins/internal.h"
#include "rego/builtins/lib.h"

#define EXPAND_MAX (1u << 16) /* addresses net.cidr_expand may list */
#define MERGE_MAX (1u << 20)

static int
arg_cidr(struct ls_bi_ctx *ctx, const struct ls_val *const *args, int i,
    struct bi_net *n)
{
	const char *s;
	size_t sl;
	int rc;

	if ((rc = bi_arg_str(ctx, args, i, &s, &sl)) != 0)
		return rc;
	if (bi_cidr_parse(n, s, sl) != 0)
		return bi_fail(ctx, LS_EFORMAT);
	return 0;
}

int
ls_bi_cidr_contains(BI_ARGS)
{
	struct bi_net a, b;
	const char *s;
	size_t sl;
	int rc;

	(void)nargs;
	if ((rc = arg_cidr(ctx, args, 0, &a)) != 0 ||
	    (rc = bi_arg_str(ctx, args, 1, &s, &sl)) != 0)
		return rc;
	if (bi_ip_parse(&b, s, sl) != 0 &&
	    (rc = arg_cidr(ctx, args, 1, &b)) != 0)
		return rc;
	return bi_ret(out, ls_val_bool(bi_net_contains(&a, &b)));
}

int
ls_bi_cidr_intersects(BI_ARGS)
{
	struct bi_net a, b;
	int rc;

	(void)nargs;
	if ((rc = arg_cidr(ctx, args, 0, &a)) != 0 ||
	    (rc = arg_cidr(ctx, args, 1, &b)) != 0)
		return rc;
	return bi_ret(out, ls_val_bool(bi_net_intersects(&a, &b)));
}

int
ls_bi_cidr_is_valid(BI_ARGS)
{
	struct bi_net a;

	(void)nargs;
	(void)ctx;
	if (args[0]->type != LS_VAL_STRING)
		return bi_ret(out, ls_val_bool(0));
	return bi_ret(out,
	    ls_val_bool(
		bi_cidr_parse(&a, args[0]->u.str.p, args[0]->u.str.len) == 0));
}

int
ls_bi_cidr_expand(BI_ARGS)
{
	struct ls_vlist l;
	struct bi_net n;
	size_t count, i;
	int rc, host;

	(void)nargs;
	if ((rc = arg_cidr(ctx, args, 0, &n)) != 0)
		return rc;
	host = (n.v6 ? 128 : 32) - n.bits;
	if (host >= 32 || ((size_t)1 << host) > EXPAND_MAX)
		return ls_bi_error(ctx, "CIDR %s too large to expand",
		    args[0]->u.str.p);
	count = (size_t)1 << host;
	bi_net_mask(&n);
	ls_vlist_init(&l, ctx->arena);
	for (i = 0; i < count; i++) {
		char txt[64];
		const struct ls_val *v;

		bi_net_format(txt, &n, 0);
		if ((v = ls_val_cstring(ctx->arena, txt)) == NULL ||
		    ls_vlist_push(&l, v) != 0)
			return LS_BI_ENOMEM;
		bi_net_next(&n);
	}
	return bi_ret(out, ls_val_array(ctx->arena, l.v, l.n));
}

int
ls_bi_cidr_merge(BI_ARGS)
{
	const struct ls_val *const *el;
	struct bi_net *nets;
	struct ls_vlist l;
	size_t n, i;

	(void)nargs;
	if (args[0]->type != LS_VAL_ARRAY && args[0]->type != LS_VAL_SET)
		return ls_bi_type_error(ctx, 1, "one of {array, set}", args[0]);
	el = bi_elems(args[0], &n);
	if (n > MERGE_MAX)
		return ls_bi_error(ctx, "too many networks");
	if ((nets = ls_arena_alloc(ctx->arena, (n + 1) * sizeof *nets)) == NULL)
		return LS_BI_ENOMEM;
	for (i = 0; i < n; i++) {
		const struct ls_val *e = el[i];
		if (e->type != LS_VAL_STRING)
			return ls_bi_type_error(ctx, 1, "array of strings", e);
		if (memchr(e->u.str.p, '/', e->u.str.len) != NULL) {
			if (bi_cidr_parse(&nets[i], e->u.str.p, e->u.str.len) !=
			    0)
				return bi_fail(ctx, LS_EFORMAT);
		} else if (bi_ip_parse(&nets[i], e->u.str.p, e->u.str.len) !=
		    0) {
			return ls_bi_error(ctx, "IP address invalid: %s",
			    e->u.str.p);
		} else if (nets[i].v6) {
			return ls_bi_error(ctx,
			    "IPv6 invalid: needs prefix "
			    "length");
		} else {
			/* Go's IP.DefaultMask: the classful network */
			nets[i].bits = nets[i].addr[0] < 0x80 ? 8
			    : nets[i].addr[0] < 0xC0	      ? 16
							      : 24;
		}
	}
	bi_net_merge(nets, &n);
	ls_vlist_init(&l, ctx->arena);
	for (i = 0; i < n; i++) {
		char txt[64];
		const struct ls_val *v;

		bi_net_format(txt, &nets[i], 1);
		if ((v = ls_val_cstring(ctx->arena, txt)) == NULL ||
		    ls_vlist_push(&l, v) != 0)
			return LS_BI_ENOMEM;
	}
	return bi_ret(out, ls_val_array(ctx->arena, l.v, l.n));
}

/* One side of cidr_contains_matches: keys and the CIDR/IP strings. */
static int
match_side(struct ls_bi_ctx *ctx, const struct ls_val *v, int operand,
    struct ls_vlist *keys, struct ls_vlist *addrs)
{
	const struct ls_val *const *el;
	size_t n, i;

	if (v->type == LS_VAL_STRING)
		return ls_vlist_push(keys, v) || ls_vlist_push(addrs, v)
		    ? LS_BI_ENOMEM
		    : 0;
	if (v->type != LS_VAL_ARRAY && v->type != LS_VAL_SET &&
	    v->type != LS_VAL_OBJECT)
		return ls_bi_type_error(ctx, operand,
		    "one of {string, array, set, object}", v);
	el = v->type == LS_VAL_OBJECT ? v->u.obj.v : bi_elems(v, &n);
	if (v->type == LS_VAL_OBJECT)
		n = v->u.obj.n;
	for (i = 0; i < n; i++) {
		const struct ls_val *e = el[i], *k;

		if (e->type == LS_VAL_ARRAY && e->u.arr.n > 0 &&
		    e->u.arr.v[0]->type == LS_VAL_STRING) {
			e = e->u.arr.v[0];
		} else if (e->type != LS_VAL_STRING) {
			return ls_bi_error(ctx,
			    "operand %d: element must be "
			    "string or non-empty array",
			    operand);
		}
		k = v->type == LS_VAL_OBJECT ? v->u.obj.k[i]
		    : v->type == LS_VAL_SET
		    ? el[i]
		    : ls_val_int(ctx->arena, (int64_t)i);
		if (k == NULL || ls_vlist_push(keys, k) != 0 ||
		    ls_vlist_push(addrs, e) != 0)
			return LS_BI_ENOMEM;
	}
	return 0;
}

int
ls_bi_cidr_contains_matches(BI_ARGS)
{
	struct ls_vlist ak, aa, bk, ba, res;
	size_t i, j;
	int rc;

	(void)nargs;
	ls_vlist_init(&ak, ctx->arena);
	ls_vlist_init(&aa, ctx->arena);
	ls_vlist_init(&bk, ctx->arena);
	ls_vlist_init(&ba, ctx->arena);
	ls_vlist_init(&res, ctx->arena);
	if ((rc = match_side(ctx, args[0], 1, &ak, &aa)) != 0 ||
	    (rc = match_side(ctx, args[1], 2, &bk, &ba)) != 0)
		return rc;
	for (i = 0; i < aa.n; i++) {
		struct bi_net a;

		if (bi_cidr_parse(&a, aa.v[i]->u.str.p, aa.v[i]->u.str.len) !=
		    0)
			return bi_fail(ctx, LS_EFORMAT);
		for (j = 0; j < ba.n; j++) {
			struct bi_net b;
			const struct ls_val *pair[2], *p;

			if (bi_ip_parse(&b, ba.v[j]->u.str.p,
				ba.v[j]->u.str.len) != 0 &&
			    bi_cidr_parse(&b, ba.v[j]->u.str.p,
				ba.v[j]->u.str.len) != 0)
				return bi_fail(ctx, LS_EFORMAT);
			if (!bi_net_contains(&a, &b))
				continue;
			pair[0] = ak.v[i];
			pair[1] = bk.v[j];
			if ((p = ls_val_array(ctx->arena, pair, 2)) == NULL ||
			    ls_vlist_push(&res, p) != 0)
				return LS_BI_ENOMEM;
		}
	}
	return bi_ret(out, ls_val_set(ctx->arena, res.v, res.n));
}

int
ls_bi_semver_is_valid(BI_ARGS)
{
	(void)nargs;
	(void)ctx;
	return bi_ret(out,
	    ls_val_bool(args[0]->type == LS_VAL_STRING &&
		bi_semver_valid(args[0]->u.str.p, args[0]->u.str.len)));
}

int
ls_bi_semver_compare(BI_ARGS)
{
	const char *a, *b;
	size_t al, bl;
	int rc;

	(void)nargs;
	if ((rc = bi_arg_str(ctx, args, 0, &a, &al)) != 0 ||
	    (rc = bi_arg_str(ctx, args, 1, &b, &bl)) != 0)
		return rc;
	if (!bi_semver_valid(a, al))
		return ls_bi_error(ctx,
		    "operand 1: string \"%s\" is not a valid "
		    "SemVer",
		    a);
	if (!bi_semver_valid(b, bl))
		return ls_bi_error(ctx,
		    "operand 2: string \"%s\" is not a valid "
		    "SemVer",
		    b);
	return bi_ret(out,
	    ls_val_int(ctx->arena, bi_semver_compare(a, al, b, bl)));
}
