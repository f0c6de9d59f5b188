/*
 * strings.c - string builtins with Go's semantics: offsets and lengths
 * in runes, Unicode white space and case mapping, strings.Replacer order.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rego/builtins/internal.h"
#include "rego/builtins/lib.h"

static int
str2(struct ls_bi_ctx *ctx, const struct ls_val *const *args, const char **a,
    size_t *al, const char **b, size_t *bl)
{
	int rc;

	if ((rc = bi_arg_str(ctx, args, 0, a, al)) != 0 ||
	    (rc = bi_arg_str(ctx, args, 1, b, bl)) != 0)
		return rc;
	return 0;
}

static const char *
find(const char *h, size_t hl, const char *n, size_t nl)
{
	if (nl == 0)
		return h;
	return memmem(h, hl, n, nl);
}

int
ls_bi_contains(BI_ARGS)
{
	const char *a, *b;
	size_t al, bl;
	int rc;

	(void)nargs;
	if ((rc = str2(ctx, args, &a, &al, &b, &bl)) != 0)
		return rc;
	return bi_ret(out, ls_val_bool(find(a, al, b, bl) != NULL));
}

int
ls_bi_startswith(BI_ARGS)
{
	const char *a, *b;
	size_t al, bl;
	int rc;

	(void)nargs;
	if ((rc = str2(ctx, args, &a, &al, &b, &bl)) != 0)
		return rc;
	return bi_ret(out, ls_val_bool(bl <= al && memcmp(a, b, bl) == 0));
}

int
ls_bi_endswith(BI_ARGS)
{
	const char *a, *b;
	size_t al, bl;
	int rc;

	(void)nargs;
	if ((rc = str2(ctx, args, &a, &al, &b, &bl)) != 0)
		return rc;
	return bi_ret(out,
	    ls_val_bool(bl <= al && memcmp(a + al - bl, b, bl) == 0));
}

/* Simple case mapping for the scripts policies meet. */
static uint32_t
map_case(uint32_t r, int upper)
{
	if (upper) {
		if ((r >= 'a' && r <= 'z') ||
		    (r >= 0xE0 && r <= 0xFE && r != 0xF7) ||
		    (r >= 0x3B1 && r <= 0x3C9 && r != 0x3C2) ||
		    (r >= 0x430 && r <= 0x44F))
			return r - 32;
		if (r >= 0x450 && r <= 0x45F)
			return r - 80;
		if (r >= 0x100 && r <= 0x17F && (r & 1) &&
		    !(r >= 0x138 && r <= 0x148) && r != 0x131)
			return r - 1;
		if (r == 0xFF)
			return 0x178;
	} else {
		if ((r >= 'A' && r <= 'Z') ||
		    (r >= 0xC0 && r <= 0xDE && r != 0xD7) ||
		    (r >= 0x391 && r <= 0x3A9 && r != 0x3A2) ||
		    (r >= 0x410 && r <= 0x42F))
			return r + 32;
		if (r >= 0x400 && r <= 0x40F)
			return r + 80;
		if (r >= 0x100 && r <= 0x17F && !(r & 1) &&
		    !(r >= 0x138 && r <= 0x148) && r != 0x130)
			return r + 1;
		if (r == 0x178)
			return 0xFF;
	}
	return r;
}

static int
change_case(BI_ARGS, int upper)
{
	struct ls_buf b;
	const char *s;
	size_t len, i = 0, w;
	int rc;

	(void)nargs;
	if ((rc = bi_arg_str(ctx, args, 0, &s, &len)) != 0)
		return rc;
	ls_buf_init(&b, BI_MAX_STRING);
	while (i < len && rc == 0) {
		char enc[4];
		uint32_t r = bi_utf8_decode(s + i, len - i, &w);
		if (r == 0xFFFD && w == 1)
			rc = ls_buf_add(&b, s + i, 1);
		else
			rc = ls_buf_add(&b, enc,
			    bi_utf8_encode(enc, map_case(r, upper)));
		i += w;
	}
	if (rc != 0) {
		ls_buf_cleanup(&b);
		return LS_BI_ENOMEM;
	}
	return bi_ret_buf(ctx, out, &b);
}

int
ls_bi_lower(BI_ARGS)
{
	return change_case(ctx, args, nargs, out, 0);
}

int
ls_bi_upper(BI_ARGS)
{
	return change_case(ctx, args, nargs, out, 1);
}

int
ls_bi_concat(BI_ARGS)
{
	const struct ls_val *const *el;
	struct ls_buf b;
	const char *d;
	size_t dl, n, i;
	int rc;

	(void)nargs;
	if ((rc = bi_arg_str(ctx, args, 0, &d, &dl)) != 0)
		return rc;
	if (args[1]->type != LS_VAL_ARRAY && args[1]->type != LS_VAL_SET)
		return ls_bi_type_error(ctx, 2, "one of {set, array}", args[1]);
	el = bi_elems(args[1], &n);
	ls_buf_init(&b, BI_MAX_STRING);
	for (i = 0; i < n; i++) {
		if (el[i]->type != LS_VAL_STRING) {
			ls_buf_cleanup(&b);
			return bi_elem_error(ctx, 2, args[1], el[i], "string");
		}
		if ((i > 0 && ls_buf_add(&b, d, dl) != 0) ||
		    ls_buf_add(&b, el[i]->u.str.p, el[i]->u.str.len) != 0) {
			ls_buf_cleanup(&b);
			return ls_bi_error(ctx, "result too large");
		}
	}
	return bi_ret_buf(ctx, out, &b);
}

int
ls_bi_split(BI_ARGS)
{
	struct ls_vlist l;
	const char *s, *d, *p;
	size_t sl, dl, w;
	int rc;

	(void)nargs;
	if ((rc = str2(ctx, args, &s, &sl, &d, &dl)) != 0)
		return rc;
	ls_vlist_init(&l, ctx->arena);
	while (1) {
		const struct ls_val *v;

		if (dl == 0) {
			if (sl == 0)
				break;
			bi_utf8_decode(s, sl, &w);
			p = s + w;
		} else if ((p = memmem(s, sl, d, dl)) == NULL) {
			p = s + sl;
		}
		if ((v = ls_val_string(ctx->arena, s, (size_t)(p - s))) ==
			NULL ||
		    ls_vlist_push(&l, v) != 0)
			return LS_BI_ENOMEM;
		if (dl == 0) {
			sl -= (size_t)(p - s);
			s = p;
			continue;
		}
		if (p == s + sl)
			break;
		sl -= (size_t)(p - s) + dl;
		s = p + dl;
	}
	return bi_ret(out, ls_val_array(ctx->arena, l.v, l.n));
}

/* Go's strings.Replace(s, old, new, -1). */
static int
replace_all(struct ls_buf *b, const char *s, size_t sl, const char *o,
    size_t ol, const char *nw, size_t nl)
{
	size_t i = 0, w;
	const char *p;
	int rc = 0;

	if (ol == 0) {
		rc = ls_buf_add(b, nw, nl);
		while (i < sl && rc == 0) {
			bi_utf8_decode(s + i, sl - i, &w);
			rc = ls_buf_add(b, s + i, w);
			if (rc == 0)
				rc = ls_buf_add(b, nw, nl);
			i += w;
		}
		return rc;
	}
	while (rc == 0 && (p = memmem(s + i, sl - i, o, ol)) != NULL) {
		rc = ls_buf_add(b, s + i, (size_t)(p - (s + i)));
		if (rc == 0)
			rc = ls_buf_add(b, nw, nl);
		i = (size_t)(p - s) + ol;
	}
	if (rc == 0)
		rc = ls_buf_add(b, s + i, sl - i);
	return rc;
}

int
ls_bi_replace(BI_ARGS)
{
	struct ls_buf b;
	const char *s, *o, *nw;
	size_t sl, ol, nl;
	int rc;

	(void)nargs;
	if ((rc = str2(ctx, args, &s, &sl, &o, &ol)) != 0 ||
	    (rc = bi_arg_str(ctx, args, 2, &nw, &nl)) != 0)
		return rc;
	ls_buf_init(&b, BI_MAX_STRING);
	if (replace_all(&b, s, sl, o, ol, nw, nl) != 0) {
		ls_buf_cleanup(&b);
		return ls_bi_error(ctx, "result too large");
	}
	return bi_ret_buf(ctx, out, &b);
}

int
ls_bi_replace_n(BI_ARGS)
{
	const struct ls_val *pat = args[0];
	struct ls_buf b;
	const char *s;
	size_t sl, i = 0, k, w;
	int rc;

	(void)nargs;
	if ((rc = bi_arg_type(ctx, args, 0, LS_VAL_OBJECT, "object")) != 0 ||
	    (rc = bi_arg_str(ctx, args, 1, &s, &sl)) != 0)
		return rc;
	for (k = 0; k < pat->u.obj.n; k++) {
		const char *what = pat->u.obj.k[k]->type != LS_VAL_STRING
		    ? "key"
		    : pat->u.obj.v[k]->type != LS_VAL_STRING ? "value"
							     : NULL;
		if (what != NULL) {
			snprintf(ctx->msg, sizeof ctx->msg,
			    "%s: operand 1 "
			    "non-string %s found in pattern object",
			    ctx->name, what);
			return LS_BI_ETYPE;
		}
	}
	ls_buf_init(&b, BI_MAX_STRING);
	rc = 0;
	while (i < sl && rc == 0) {
		for (k = 0; k < pat->u.obj.n; k++) {
			const struct ls_val *o = pat->u.obj.k[k];
			if (o->u.str.len > 0 && o->u.str.len <= sl - i &&
			    memcmp(s + i, o->u.str.p, o->u.str.len) == 0)
				break;
		}
		if (k < pat->u.obj.n) {
			rc = ls_buf_add(&b, pat->u.obj.v[k]->u.str.p,
			    pat->u.obj.v[k]->u.str.len);
			i += pat->u.obj.k[k]->u.str.len;
			continue;
		}
		bi_utf8_decode(s + i, sl - i, &w);
		rc = ls_buf_add(&b, s + i, w);
		i += w;
	}
	if (rc != 0) {
		ls_buf_cleanup(&b);
		return ls_bi_error(ctx, "result too large");
	}
	return bi_ret_buf(ctx, out, &b);
}

/* Rune index of byte offset off in s. */
static int64_t
rune_index(const char *s, size_t off)
{
	return (int64_t)bi_utf8_count(s, off);
}

int
ls_bi_indexof(BI_ARGS)
{
	const char *s, *n, *p;
	size_t sl, nl;
	int rc;

	(void)nargs;
	if ((rc = str2(ctx, args, &s, &sl, &n, &nl)) != 0)
		return rc;
	if (nl == 0)
		return ls_bi_error(ctx, "empty search character");
	p = memmem(s, sl, n, nl);
	return bi_ret(out,
	    ls_val_int(ctx->arena,
		p == NULL ? -1 : rune_index(s, (size_t)(p - s))));
}

int
ls_bi_indexof_n(BI_ARGS)
{
	struct ls_vlist l;
	const char *s, *n, *p;
	size_t sl, nl, i = 0, w;
	int rc;

	(void)nargs;
	if ((rc = str2(ctx, args, &s, &sl, &n, &nl)) != 0)
		return rc;
	if (nl == 0)
		return ls_bi_error(ctx, "empty search character");
	ls_vlist_init(&l, ctx->arena);
	while (i < sl && (p = memmem(s + i, sl - i, n, nl)) != NULL) {
		const struct ls_val *v =
		    ls_val_int(ctx->arena, rune_index(s, (size_t)(p - s)));
		if (v == NULL || ls_vlist_push(&l, v) != 0)
			return LS_BI_ENOMEM;
		bi_utf8_decode(p, sl - (size_t)(p - s), &w);
		i = (size_t)(p - s) + w;
	}
	return bi_ret(out, ls_val_array(ctx->arena, l.v, l.n));
}

/* Byte offset of rune index r in s (len if past the end). */
static size_t
rune_offset(const char *s, size_t len, int64_t r)
{
	size_t i = 0, w;

	while (i < len && r > 0) {
		bi_utf8_decode(s + i, len - i, &w);
		i += w;
		r--;
	}
	return i;
}

int
ls_bi_substring(BI_ARGS)
{
	const char *s;
	size_t sl, a, b;
	int64_t start, n;
	int rc;

	(void)nargs;
	if ((rc = bi_arg_str(ctx, args, 0, &s, &sl)) != 0 ||
	    (rc = bi_arg_int(ctx, args, 1, &start)) != 0 ||
	    (rc = bi_arg_int(ctx, args, 2, &n)) != 0)
		return rc;
	if (start < 0)
		return ls_bi_error(ctx, "negative offset");
	a = rune_offset(s, sl, start);
	b = n < 0 ? sl : a + rune_offset(s + a, sl - a, n);
	return bi_ret(out, ls_val_string(ctx->arena, s + a, b - a));
}

static int
in_cutset(const char *c, size_t cl, uint32_t r)
{
	size_t i = 0, w;

	while (i < cl) {
		if (bi_utf8_decode(c + i, cl - i, &w) == r)
			return 1;
		i += w;
	}
	return 0;
}

/* The last rune of s[0..len): its start offset. */
static size_t
last_rune(const char *s, size_t len, uint32_t *r)
{
	size_t start = len - 1, w;

	while (start > 0 && len - start < 4 &&
	    ((unsigned char)s[start] & 0xC0) == 0x80)
		start--;
	*r = bi_utf8_decode(s + start, len - start, &w);
	if (start + w != len) {
		start = len - 1;
		*r = 0xFFFD;
	}
	return start;
}

static int
trim_cut(BI_ARGS, int left, int right)
{
	const char *s, *c;
	size_t sl, cl, a = 0, b, w;
	uint32_t r;
	int rc;

	(void)nargs;
	if ((rc = str2(ctx, args, &s, &sl, &c, &cl)) != 0)
		return rc;
	b = sl;
	while (left && a < b) {
		r = bi_utf8_decode(s + a, b - a, &w);
		if (!in_cutset(c, cl, r))
			break;
		a += w;
	}
	while (right && b > a) {
		size_t st = last_rune(s + a, b - a, &r) + a;
		if (!in_cutset(c, cl, r))
			break;
		b = st;
	}
	return bi_ret(out, ls_val_string(ctx->arena, s + a, b - a));
}

int
ls_bi_trim(BI_ARGS)
{
	return trim_cut(ctx, args, nargs, out, 1, 1);
}

int
ls_bi_trim_left(BI_ARGS)
{
	return trim_cut(ctx, args, nargs, out, 1, 0);
}

int
ls_bi_trim_right(BI_ARGS)
{
	return trim_cut(ctx, args, nargs, out, 0, 1);
}

int
ls_bi_trim_prefix(BI_ARGS)
{
	const char *s, *p;
	size_t sl, pl;
	int rc;

	(void)nargs;
	if ((rc = str2(ctx, args, &s, &sl, &p, &pl)) != 0)
		return rc;
	if (pl <= sl && memcmp(s, p, pl) == 0)
		return bi_ret(out, ls_val_string(ctx->arena, s + pl, sl - pl));
	*out = args[0];
	return LS_BI_OK;
}

int
ls_bi_trim_suffix(BI_ARGS)
{
	const char *s, *p;
	size_t sl, pl;
	int rc;

	(void)nargs;
	if ((rc = str2(ctx, args, &s, &sl, &p, &pl)) != 0)
		return rc;
	if (pl <= sl && memcmp(s + sl - pl, p, pl) == 0)
		return bi_ret(out, ls_val_string(ctx->arena, s, sl - pl));
	*out = args[0];
	return LS_BI_OK;
}

static int
is_space(uint32_t r)
{
	return (r >= 9 && r <= 13) || r == ' ' || r == 0x85 || r == 0xA0 ||
	    r == 0x1680 || (r >= 0x2000 && r <= 0x200A) || r == 0x2028 ||
	    r == 0x2029 || r == 0x202F || r == 0x205F || r == 0x3000;
}

int
ls_bi_trim_space(BI_ARGS)
{
	const char *s;
	size_t sl, a = 0, b, w;
	uint32_t r;
	int rc;

	(void)nargs;
	if ((rc = bi_arg_str(ctx, args, 0, &s, &sl)) != 0)
		return rc;
	b = sl;
	while (a < b && is_space(bi_utf8_decode(s + a, b - a, &w)))
		a += w;
	while (b > a) {
		size_t st = last_rune(s + a, b - a, &r) + a;
		if (!is_space(r))
			break;
		b = st;
	}
	return bi_ret(out, ls_val_string(ctx->arena, s + a, b - a));
}

/* One sprintf operand as OPA hands it to Go's fmt. */
static int
fmt_arg(struct ls_bi_ctx *ctx, const struct ls_val *v, struct bi_fmt_arg *a)
{
	struct ls_buf b;

	memset(a, 0, sizeof *a);
	ls_buf_init(&b, BI_MAX_STRING);
	if (v->type == LS_VAL_STRING) {
		a->kind = BI_FMT_STRING;
		a->str = v->u.str.p;
		a->len = v->u.str.len;
		return 0;
	}
	if (v->type == LS_VAL_NUMBER) {
		double d = ls_num_to_double(&v->u.num);
		if (d - d != 0 && v->u.num.digits != NULL) {
			/* beyond float64: OPA passes the number's text */
			const struct ls_num *n = &v->u.num;
			if (ls_buf_addf(&b, "%s%c", n->neg ? "-" : "",
				n->digits[0]) != 0 ||
			    (n->ndigits > 1 &&
				(ls_buf_addc(&b, '.') != 0 ||
				    ls_buf_add(&b, n->digits + 1,
					n->ndigits - 1) != 0)) ||
			    ls_buf_addf(&b, "e%ld",
				(long)n->exp + (long)n->ndigits - 1) != 0)
				goto nomem;
		} else if (ls_num_format(&b, &v->u.num) != 0) {
			goto nomem;
		}
		if (ls_num_is_int(&v->u.num) &&
		    memchr(b.data, 'e', b.len) == NULL && d - d == 0)
			a->kind = BI_FMT_INT;
		else if (d - d == 0)
			a->kind = BI_FMT_FLOAT, a->f = d;
		else
			a->kind = BI_FMT_STRING;
	} else {
		a->kind = BI_FMT_OTHER;
		if (ls_val_to_rego(&b, v) != 0)
			goto nomem;
	}
	a->str = ls_arena_strndup(ctx->arena, b.data ? b.data : "", b.len);
	a->len = b.len;
	ls_buf_cleanup(&b);
	return a->str == NULL ? LS_BI_ENOMEM : 0;
nomem:
	ls_buf_cleanup(&b);
	return LS_BI_ENOMEM;
}

int
ls_bi_sprintf(BI_ARGS)
{
	struct bi_fmt_arg *fa = NULL;
	const struct ls_val *arr = args[1];
	struct ls_buf b;
	const char *f;
	size_t fl, i;
	int rc;

	(void)nargs;
	if ((rc = bi_arg_str(ctx, args, 0, &f, &fl)) != 0 ||
	    (rc = bi_arg_type(ctx, args, 1, LS_VAL_ARRAY, "array")) != 0)
		return rc;
	if (arr->u.arr.n > 0 &&
	    (fa = ls_arena_alloc(ctx->arena, arr->u.arr.n * sizeof *fa)) ==
		NULL)
		return LS_BI_ENOMEM;
	for (i = 0; i < arr->u.arr.n; i++)
		if ((rc = fmt_arg(ctx, arr->u.arr.v[i], &fa[i])) != 0)
			return rc;
	ls_buf_init(&b, BI_MAX_STRING);
	if ((rc = bi_fmt_sprintf(&b, f, fl, fa, arr->u.arr.n)) != 0) {
		ls_buf_cleanup(&b);
		return bi_fail(ctx, rc);
	}
	return bi_ret_buf(ctx, out, &b);
}

int
ls_bi_format_int(BI_ARGS)
{
	const struct ls_num *n;
	struct ls_num t;
	struct bi_fmt_arg a;
	struct ls_buf b;
	int64_t base;
	char spec[4] = "%d";
	int rc;

	(void)nargs;
	if ((rc = bi_arg_num(ctx, args, 0, &n)) != 0)
		return rc;
	if (args[1]->type != LS_VAL_NUMBER ||
	    bi_arg_int(ctx, args, 1, &base) != 0 ||
	    (base != 2 && base != 8 && base != 10 && base != 16)) {
		snprintf(ctx->msg, sizeof ctx->msg,
		    "%s: operand 2 must be one "
		    "of {2, 8, 10, 16}",
		    ctx->name);
		return LS_BI_ETYPE;
	}
	if ((rc = ls_num_to_integer(&t, ctx->arena, n, LS_NUM_TRUNC)) != 0)
		return bi_fail(ctx, rc);
	memset(&a, 0, sizeof a);
	ls_buf_init(&b, BI_MAX_STRING);
	if (ls_num_format(&b, &t) != 0) {
		ls_buf_cleanup(&b);
		return LS_BI_ENOMEM;
	}
	a.kind = BI_FMT_INT;
	a.str = ls_arena_strndup(ctx->arena, b.data, b.len);
	a.len = b.len;
	ls_buf_cleanup(&b);
	if (a.str == NULL)
		return LS_BI_ENOMEM;
	spec[1] = base == 2 ? 'b' : base == 8 ? 'o' : base == 16 ? 'x' : 'd';
	ls_buf_init(&b, BI_MAX_STRING);
	if (bi_fmt_sprintf(&b, spec, 2, &a, 1) != 0) {
		ls_buf_cleanup(&b);
		return LS_BI_ENOMEM;
	}
	return bi_ret_buf(ctx, out, &b);
}

int
ls_bi_strings_reverse(BI_ARGS)
{
	const char *s;
	char *r;
	size_t sl, i = 0, w;
	int rc;

	(void)nargs;
	if ((rc = bi_arg_str(ctx, args, 0, &s, &sl)) != 0)
		return rc;
	if ((r = ls_arena_alloc(ctx->arena, sl + 1)) == NULL)
		return LS_BI_ENOMEM;
	while (i < sl) {
		bi_utf8_decode(s + i, sl - i, &w);
		memcpy(r + sl - i - w, s + i, w);
		i += w;
	}
	return bi_ret(out, ls_val_string_ref(ctx->arena, r, sl));
}

/* A string, or an array/set of strings, as a list. */
static int
str_list(struct ls_bi_ctx *ctx, const struct ls_val *const *args, int i,
    const struct ls_val *const **v, size_t *n)
{
	size_t k;

	if (args[i]->type == LS_VAL_STRING) {
		*v = &args[i];
		*n = 1;
		return 0;
	}
	if (args[i]->type != LS_VAL_ARRAY && args[i]->type != LS_VAL_SET)
		return ls_bi_type_error(ctx, i + 1,
		    "one of {string, set, array}", args[i]);
	*v = bi_elems(args[i], n);
	for (k = 0; k < *n; k++) {
		if ((*v)[k]->type != LS_VAL_STRING) {
			snprintf(ctx->msg, sizeof ctx->msg,
			    "%s: operand %d must "
			    "be %s of strings but got %s containing %s",
			    ctx->name, i + 1, ls_val_type_name(args[i]),
			    ls_val_type_name(args[i]),
			    ls_val_type_name((*v)[k]));
			return LS_BI_ETYPE;
		}
	}
	return 0;
}

static int
any_match(BI_ARGS, int suffix)
{
	const struct ls_val *const *s, *const *p;
	size_t ns, np, i, j;
	int rc;

	(void)nargs;
	if ((rc = str_list(ctx, args, 0, &s, &ns)) != 0 ||
	    (rc = str_list(ctx, args, 1, &p, &np)) != 0)
		return rc;
	for (i = 0; i < ns; i++) {
		for (j = 0; j < np; j++) {
			size_t sl = s[i]->u.str.len, pl = p[j]->u.str.len;
			if (pl <= sl &&
			    memcmp(s[i]->u.str.p + (suffix ? sl - pl : 0),
				p[j]->u.str.p, pl) == 0)
				return bi_ret(out, ls_val_bool(1));
		}
	}
	return bi_ret(out, ls_val_bool(0));
}

int
ls_bi_any_prefix_match(BI_ARGS)
{
	return any_match(ctx, args, nargs, out, 0);
}

int
ls_bi_any_suffix_match(BI_ARGS)
{
	return any_match(ctx, args, nargs, out, 1);
}

int
ls_bi_strings_count(BI_ARGS)
{
	const char *s, *n, *p;
	size_t sl, nl, i = 0;
	int64_t c = 0;
	int rc;

	(void)nargs;
	if ((rc = str2(ctx, args, &s, &sl, &n, &nl)) != 0)
		return rc;
	if (nl == 0)
		return bi_ret(out,
		    ls_val_int(ctx->arena, (int64_t)bi_utf8_count(s, sl) + 1));
	while (i < sl && (p = memmem(s + i, sl - i, n, nl)) != NULL) {
		c++;
		i = (size_t)(p - s) + nl;
	}
	return bi_ret(out, ls_val_int(ctx->arena, c));
}

/* strings.split_n(s, sep, n): the first n pieces of split(s, sep), the
 * last -n pieces for negative n. */
int
ls_bi_split_n(BI_ARGS)
{
	const struct ls_val *all = NULL;
	int64_t n;
	size_t total;
	int rc;

	if ((rc = ls_bi_split(ctx, args, nargs, &all)) != 0 ||
	    (rc = bi_arg_int(ctx, args, 2, &n)) != 0)
		return rc;
	total = all->u.arr.n;
	if (n == 0)
		return bi_ret(out, ls_val_empty_array());
	if (n > 0 && (uint64_t)n < total)
		return bi_ret(out,
		    ls_val_array(ctx->arena, all->u.arr.v, (size_t)n));
	if (n < 0 && (uint64_t)-n < total)
		return bi_ret(out,
		    ls_val_array(ctx->arena, all->u.arr.v + total - (size_t)-n,
			(size_t)-n));
	*out = all;
	return LS_BI_OK;
}
