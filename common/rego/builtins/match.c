/* match.c - regex.* and glob.* builtins over regex.c and glob.c. */
#include <stdlib.h>
#include <string.h>

#include "lockstep/error.h"
#include "rego/builtins/internal.h"
#include "rego/builtins/lib.h"

#define TEMPLATE_MAX (64 * 1024)

static int
compile(struct ls_bi_ctx *ctx, const struct ls_val *pat, struct bi_regex **re)
{
	int rc = bi_regex_get(re, pat->u.str.p, pat->u.str.len);

	return rc == 0 ? 0 : bi_fail(ctx, rc);
}

int
ls_bi_re_match(BI_ARGS)
{
	struct bi_regex *re = NULL;
	const char *p, *s;
	size_t pl, sl;
	int rc;

	(void)nargs;
	if ((rc = bi_arg_str(ctx, args, 0, &p, &pl)) != 0 ||
	    (rc = bi_arg_str(ctx, args, 1, &s, &sl)) != 0 ||
	    (rc = compile(ctx, args[0], &re)) != 0)
		return rc;
	rc = bi_regex_match(re, s, sl);
	bi_regex_release(re);
	if (rc < 0)
		return bi_fail(ctx, rc);
	return bi_ret(out, ls_val_bool(rc));
}

int
ls_bi_regex_is_valid(BI_ARGS)
{
	struct bi_regex *re = NULL;

	(void)nargs;
	if (args[0]->type != LS_VAL_STRING)
		return bi_ret(out, ls_val_bool(0));
	if (bi_regex_get(&re, args[0]->u.str.p, args[0]->u.str.len) != 0)
		return bi_ret(out, ls_val_bool(0));
	bi_regex_release(re);
	(void)ctx;
	return bi_ret(out, ls_val_bool(1));
}

int
ls_bi_regex_split(BI_ARGS)
{
	struct bi_regex *re = NULL;
	struct ls_vlist l;
	const char *p, *s;
	size_t pl, sl, n = 0, i;
	long *pieces = NULL;
	int rc;

	(void)nargs;
	if ((rc = bi_arg_str(ctx, args, 0, &p, &pl)) != 0 ||
	    (rc = bi_arg_str(ctx, args, 1, &s, &sl)) != 0 ||
	    (rc = compile(ctx, args[0], &re)) != 0)
		return rc;
	rc = bi_regex_split(&pieces, &n, re, s, sl);
	bi_regex_release(re);
	if (rc != 0)
		return bi_fail(ctx, rc);
	ls_vlist_init(&l, ctx->arena);
	for (i = 0; i < n && rc == 0; i++) {
		const struct ls_val *v =
		    ls_val_string(ctx->arena, s + pieces[2 * i],
			(size_t)(pieces[2 * i + 1] - pieces[2 * i]));
		if (v == NULL || ls_vlist_push(&l, v) != 0)
			rc = LS_BI_ENOMEM;
	}
	free(pieces);
	if (rc != 0)
		return rc;
	return bi_ret(out, ls_val_array(ctx->arena, l.v, l.n));
}

/* find_n (groups 0) or find_all_string_submatch_n (groups 1). */
static int
find(BI_ARGS, int submatch)
{
	struct bi_regex *re = NULL;
	struct ls_vlist l, g;
	const char *p, *s;
	size_t pl, sl, n = 0, i, k, pairs;
	long *m = NULL;
	int64_t cnt;
	int rc;

	(void)nargs;
	if ((rc = bi_arg_str(ctx, args, 0, &p, &pl)) != 0 ||
	    (rc = bi_arg_str(ctx, args, 1, &s, &sl)) != 0 ||
	    (rc = bi_arg_int(ctx, args, 2, &cnt)) != 0 ||
	    (rc = compile(ctx, args[0], &re)) != 0)
		return rc;
	pairs = (size_t)bi_regex_groups(re) + 1;
	rc = bi_regex_find_all(&m, &n, re, s, sl, cnt < 0 ? -1 : (long)cnt);
	bi_regex_release(re);
	if (rc != 0)
		return bi_fail(ctx, rc);
	ls_vlist_init(&l, ctx->arena);
	for (i = 0; i < n && rc == 0; i++) {
		const long *o = m + i * pairs * 2;
		const struct ls_val *v;

		ls_vlist_init(&g, ctx->arena);
		for (k = 0; k < (submatch ? pairs : 1) && rc == 0; k++) {
			v = o[2 * k] < 0
			    ? ls_val_empty_string()
			    : ls_val_string(ctx->arena, s + o[2 * k],
				  (size_t)(o[2 * k + 1] - o[2 * k]));
			if (v == NULL || ls_vlist_push(&g, v) != 0)
				rc = LS_BI_ENOMEM;
		}
		if (rc != 0)
			break;
		v = submatch ? ls_val_array(ctx->arena, g.v, g.n) : g.v[0];
		if (v == NULL || ls_vlist_push(&l, v) != 0)
			rc = LS_BI_ENOMEM;
	}
	free(m);
	if (rc != 0)
		return rc;
	return bi_ret(out, ls_val_array(ctx->arena, l.v, l.n));
}

int
ls_bi_regex_find_n(BI_ARGS)
{
	return find(ctx, args, nargs, out, 0);
}

int
ls_bi_regex_find_all_sub(BI_ARGS)
{
	return find(ctx, args, nargs, out, 1);
}

int
ls_bi_regex_replace(BI_ARGS)
{
	struct bi_regex *re = NULL;
	struct ls_buf b;
	const char *s, *p, *r;
	size_t sl, pl, rl;
	int rc;

	(void)nargs;
	if ((rc = bi_arg_str(ctx, args, 0, &s, &sl)) != 0 ||
	    (rc = bi_arg_str(ctx, args, 1, &p, &pl)) != 0 ||
	    (rc = bi_arg_str(ctx, args, 2, &r, &rl)) != 0 ||
	    (rc = compile(ctx, args[1], &re)) != 0)
		return rc;
	ls_buf_init(&b, BI_MAX_STRING);
	rc = bi_regex_replace(&b, re, s, sl, r, rl);
	bi_regex_release(re);
	if (rc != 0) {
		ls_buf_cleanup(&b);
		return bi_fail(ctx, rc);
	}
	return bi_ret_buf(ctx, out, &b);
}

/* Append s quoted as a regex literal. */
static int
quote_meta(struct ls_buf *b, const char *s, size_t len)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < len && rc == 0; i++) {
		if (strchr("\\.+*?()|[]{}^$", s[i]) != NULL && s[i] != '\0')
			rc = ls_buf_addc(b, '\\');
		if (rc == 0)
			rc = ls_buf_addc(b, s[i]);
	}
	return rc;
}

/* regex.template_match(template, value, start, end): literal text with
 * regexes between the delimiters, matched whole. */
int
ls_bi_regex_template_match(BI_ARGS)
{
	struct bi_regex *re = NULL;
	struct ls_buf b;
	const char *t, *v, *ds, *de;
	size_t tl, vl, dsl, del, i = 0, lit = 0;
	int rc;

	(void)nargs;
	if ((rc = bi_arg_str(ctx, args, 0, &t, &tl)) != 0 ||
	    (rc = bi_arg_str(ctx, args, 1, &v, &vl)) != 0 ||
	    (rc = bi_arg_str(ctx, args, 2, &ds, &dsl)) != 0 ||
	    (rc = bi_arg_str(ctx, args, 3, &de, &del)) != 0)
		return rc;
	if (dsl != 1 || del != 1)
		return ls_bi_error(ctx, "delimiters must be single characters");
	ls_buf_init(&b, TEMPLATE_MAX);
	rc = ls_buf_addc(&b, '^');
	while (i < tl && rc == 0) {
		size_t start, level = 0;

		if (t[i] != ds[0]) {
			i++;
			continue;
		}
		if ((rc = quote_meta(&b, t + lit, i - lit)) != 0)
			break;
		start = ++i;
		for (; i < tl; i++) {
			if (t[i] == ds[0])
				level++;
			else if (t[i] == de[0] && level-- == 0)
				break;
		}
		if (i >= tl) {
			ls_buf_cleanup(&b);
			return ls_bi_error(ctx,
			    "unbalanced braces in template");
		}
		if ((rc = ls_buf_addc(&b, '(')) == 0 &&
		    (rc = ls_buf_add(&b, t + start, i - start)) == 0)
			rc = ls_buf_addc(&b, ')');
		lit = ++i;
	}
	if (rc == 0 && (rc = quote_meta(&b, t + lit, tl - lit)) == 0)
		rc = ls_buf_addc(&b, '$');
	if (rc == 0)
		rc = bi_regex_get(&re, b.data, b.len);
	ls_buf_cleanup(&b);
	if (rc != 0)
		return bi_fail(ctx, rc);
	rc = bi_regex_match(re, v, vl);
	bi_regex_release(re);
	if (rc < 0)
		return bi_fail(ctx, rc);
	return bi_ret(out, ls_val_bool(rc));
}

int
ls_bi_glob_match(BI_ARGS)
{
	const struct ls_val *d = args[1];
	uint32_t *delims = NULL, dot = '.';
	const char *p, *s;
	size_t pl, sl, nd = 0, i, w;
	int rc, m = 0;

	(void)nargs;
	if ((rc = bi_arg_str(ctx, args, 0, &p, &pl)) != 0)
		return rc;
	if (d->type == LS_VAL_ARRAY) {
		if (d->u.arr.n == 0) {
			delims = &dot;
			nd = 1;
		} else if ((delims = ls_arena_alloc(ctx->arena,
				d->u.arr.n * sizeof *delims)) == NULL) {
			return LS_BI_ENOMEM;
		}
		for (i = 0; i < d->u.arr.n; i++) {
			const struct ls_val *e = d->u.arr.v[i];
			if (e->type != LS_VAL_STRING)
				return ls_bi_type_error(ctx, 2,
				    "array of strings", e);
			if (e->u.str.len > 0)
				delims[nd++] = bi_utf8_decode(e->u.str.p,
				    e->u.str.len, &w);
		}
	} else if (d->type != LS_VAL_NULL) {
		return ls_bi_type_error(ctx, 2, "one of {array, null}", d);
	}
	if ((rc = bi_arg_str(ctx, args, 2, &s, &sl)) != 0)
		return rc;
	if ((rc = bi_glob_match(&m, p, pl, delims, nd, s, sl)) != 0)
		return bi_fail(ctx, rc);
	return bi_ret(out, ls_val_bool(m));
}

int
ls_bi_glob_quote_meta(BI_ARGS)
{
	struct ls_buf b;
	const char *s;
	size_t sl;
	int rc;

	(void)nargs;
	if ((rc = bi_arg_str(ctx, args, 0, &s, &sl)) != 0)
		return rc;
	ls_buf_init(&b, BI_MAX_STRING);
	if (bi_glob_quote_meta(&b, s, sl) != 0) {
		ls_buf_cleanup(&b);
		return LS_BI_ENOMEM;
	}
	return bi_ret_buf(ctx, out, &b);
}
