/* types.c - type tests, type_name, casts, to_number, print, trace. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "lockstep/error.h"
#include "rego/builtins/internal.h"
#include "rego/builtins/lib.h"

#define PRINT_MAX (1u << 20) /* cap on one print() line */

static int
is_type(const struct ls_val *const *args, const struct ls_val **out,
    enum ls_val_type t)
{
	return bi_ret(out, ls_val_bool(args[0]->type == t));
}

#define IS_FN(fn, t)                                                           \
	int fn(BI_ARGS)                                                        \
	{                                                                      \
		(void)ctx;                                                     \
		(void)nargs;                                                   \
		return is_type(args, out, t);                                  \
	}
IS_FN(ls_bi_is_number, LS_VAL_NUMBER)
IS_FN(ls_bi_is_string, LS_VAL_STRING)
IS_FN(ls_bi_is_boolean, LS_VAL_BOOL)
IS_FN(ls_bi_is_array, LS_VAL_ARRAY)
IS_FN(ls_bi_is_set, LS_VAL_SET)
IS_FN(ls_bi_is_object, LS_VAL_OBJECT)
IS_FN(ls_bi_is_null, LS_VAL_NULL)
#undef IS_FN

int
ls_bi_type_name(BI_ARGS)
{
	(void)nargs;
	return bi_ret(out,
	    ls_val_cstring(ctx->arena, ls_val_type_name(args[0])));
}

/* Go's strconv.ParseFloat syntax, rewritten as JSON number text. */
static const struct ls_val *
parse_number(struct ls_arena *a, const char *s, size_t len)
{
	char buf[512];
	size_t i = 0, o = 0;
	int digits = 0;

	if (len == 0 || len >= sizeof buf - 4)
		return NULL;
	if (s[i] == '+' || s[i] == '-') {
		if (s[i] == '-')
			buf[o++] = '-';
		i++;
	}
	if (i < len && s[i] == '.')
		buf[o++] = '0';
	while (i < len && s[i] >= '0' && s[i] <= '9') {
		/* drop leading zeros JSON would refuse */
		if (!(digits == 0 && s[i] == '0' && i + 1 < len &&
			s[i + 1] >= '0' && s[i + 1] <= '9'))
			buf[o++] = s[i];
		digits = 1;
		i++;
	}
	if (i < len && s[i] == '.') {
		size_t fstart;
		i++;
		fstart = i;
		if (i < len && s[i] >= '0' && s[i] <= '9')
			buf[o++] = '.';
		while (i < len && s[i] >= '0' && s[i] <= '9')
			buf[o++] = s[i++], digits = 1;
		(void)fstart;
	}
	if (!digits)
		return NULL;
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		buf[o++] = s[i++];
		if (i < len && (s[i] == '+' || s[i] == '-'))
			buf[o++] = s[i++];
		if (i >= len || s[i] < '0' || s[i] > '9')
			return NULL;
		while (i < len && s[i] >= '0' && s[i] <= '9')
			buf[o++] = s[i++];
	}
	if (i != len)
		return NULL;
	return ls_val_number_text(a, buf, o);
}

int
ls_bi_to_number(BI_ARGS)
{
	const struct ls_val *v = args[0], *r;

	(void)nargs;
	switch (v->type) {
	case LS_VAL_NULL: return bi_ret(out, ls_val_int(ctx->arena, 0));
	case LS_VAL_BOOL: return bi_ret(out, ls_val_int(ctx->arena, v->u.b));
	case LS_VAL_NUMBER: *out = v; return LS_BI_OK;
	case LS_VAL_STRING: {
		const char *t = v->u.str.p;
		while (*t == '+' || *t == '-')
			t++;
		if (strcasecmp(t, "inf") == 0 ||
		    strcasecmp(t, "infinity") == 0 || strcasecmp(t, "nan") == 0)
			return ls_bi_type_error(ctx, 1, "valid number string",
			    v);
		if ((r = parse_number(ctx->arena, v->u.str.p, v->u.str.len)) !=
			NULL &&
		    isinf(ls_num_to_double(&r->u.num)))
			return ls_bi_error(ctx,
			    "strconv.ParseFloat: parsing "
			    "\"%.*s\": value out of range",
			    (int)(v->u.str.len > 200 ? 200 : v->u.str.len),
			    v->u.str.p);
		if (r == NULL)
			return ls_bi_error(ctx,
			    "strconv.ParseFloat: parsing "
			    "\"%.*s\": invalid syntax",
			    (int)(v->u.str.len > 200 ? 200 : v->u.str.len),
			    v->u.str.p);
		*out = r;
		return LS_BI_OK;
	}
	default:
		return ls_bi_type_error(ctx, 1,
		    "one of {null, boolean, number, string}", v);
	}
}

int
ls_bi_cast_array(BI_ARGS)
{
	(void)nargs;
	if (args[0]->type == LS_VAL_ARRAY) {
		*out = args[0];
		return LS_BI_OK;
	}
	if (args[0]->type == LS_VAL_SET)
		return bi_ret(out,
		    ls_val_array(ctx->arena, args[0]->u.set.v,
			args[0]->u.set.n));
	return ls_bi_type_error(ctx, 1, "one of {array, set}", args[0]);
}

int
ls_bi_cast_set(BI_ARGS)
{
	(void)nargs;
	if (args[0]->type == LS_VAL_SET) {
		*out = args[0];
		return LS_BI_OK;
	}
	if (args[0]->type == LS_VAL_ARRAY)
		return bi_ret(out,
		    ls_val_set(ctx->arena, args[0]->u.arr.v, args[0]->u.arr.n));
	return ls_bi_type_error(ctx, 1, "one of {array, set}", args[0]);
}

static int
cast_same(struct ls_bi_ctx *ctx, const struct ls_val *const *args,
    const struct ls_val **out, enum ls_val_type t, const char *want)
{
	int rc;

	if ((rc = bi_arg_type(ctx, args, 0, t, want)) != 0)
		return rc;
	*out = args[0];
	return LS_BI_OK;
}

int
ls_bi_cast_string(BI_ARGS)
{
	(void)nargs;
	return cast_same(ctx, args, out, LS_VAL_STRING, "string");
}

int
ls_bi_cast_boolean(BI_ARGS)
{
	(void)nargs;
	return cast_same(ctx, args, out, LS_VAL_BOOL, "boolean");
}

int
ls_bi_cast_null(BI_ARGS)
{
	(void)nargs;
	return cast_same(ctx, args, out, LS_VAL_NULL, "null");
}

int
ls_bi_cast_object(BI_ARGS)
{
	(void)nargs;
	return cast_same(ctx, args, out, LS_VAL_OBJECT, "object");
}

/* One print() operand: strings raw, everything else as Rego text. */
static int
print_one(struct ls_buf *b, const struct ls_val *v)
{
	if (v->type == LS_VAL_STRING)
		return ls_buf_add(b, v->u.str.p, v->u.str.len);
	return ls_val_to_rego(b, v);
}

/*
 * print(a, b, ...) with the values themselves, or internal.print([s1,
 * s2, ...]) as OPA's compiler rewrites it: each operand a set of its
 * values, empty for an undefined operand.
 */
int
ls_bi_print(BI_ARGS)
{
	struct ls_buf b;
	size_t i, j;
	int rc = 0, internal = strcmp(ctx->name, "internal.print") == 0;

	ls_buf_init(&b, PRINT_MAX);
	if (internal && nargs == 1 && args[0]->type == LS_VAL_ARRAY) {
		const struct ls_val *arr = args[0];
		for (i = 0; i < arr->u.arr.n && rc == 0; i++) {
			const struct ls_val *s = arr->u.arr.v[i];
			if (i > 0)
				rc = ls_buf_addc(&b, ' ');
			if (rc != 0)
				break;
			if (s->type != LS_VAL_SET) {
				rc = print_one(&b, s);
				continue;
			}
			if (s->u.set.n == 0)
				rc = ls_buf_adds(&b, "<undefined>");
			for (j = 0; j < s->u.set.n && rc == 0; j++) {
				if (j > 0)
					rc = ls_buf_addc(&b, ' ');
				if (rc == 0)
					rc = print_one(&b, s->u.set.v[j]);
			}
		}
	} else {
		for (i = 0; i < nargs && rc == 0; i++) {
			if (i > 0)
				rc = ls_buf_addc(&b, ' ');
			if (rc == 0)
				rc = print_one(&b, args[i]);
		}
	}
	if (ctx->print != NULL)
		ctx->print(ctx->print_arg, b.data ? b.data : "", b.len);
	ls_buf_cleanup(&b);
	return bi_ret(out, ls_val_bool(1));
}

int
ls_bi_trace(BI_ARGS)
{
	int rc;

	(void)nargs;
	if ((rc = bi_arg_type(ctx, args, 0, LS_VAL_STRING, "string")) != 0)
		return rc;
	return bi_ret(out, ls_val_bool(1));
}

/* test.sleep(duration): pause the evaluation (for tests of time.now_ns
 * caching); capped at one second. */
int
ls_bi_test_sleep(BI_ARGS)
{
	struct timespec ts;
	const char *s;
	size_t sl;
	int64_t ns;
	int rc;

	(void)nargs;
	if ((rc = bi_arg_str(ctx, args, 0, &s, &sl)) != 0)
		return rc;
	if ((rc = bi_duration_parse(&ns, s, sl)) != 0)
		return bi_fail(ctx, rc);
	if (ns > 1000000000LL)
		ns = 1000000000LL;
	if (ns > 0) {
		ts.tv_sec = (time_t)(ns / 1000000000LL);
		ts.tv_nsec = (long)(ns % 1000000000LL);
		nanosleep(&ts, NULL);
	}
	return bi_ret(out, ls_val_null());
}

/*
 * internal.template_string([part, ...]): the lowered form of $"..{x}.."
 * strings.  Literal parts are strings; each {expr} arrives as the set of
 * its values: empty prints <undefined>, several are an error.
 */
int
ls_bi_template_string(BI_ARGS)
{
	const struct ls_val *arr = args[0];
	struct ls_buf b;
	size_t i;
	int rc = 0;

	(void)nargs;
	if ((rc = bi_arg_type(ctx, args, 0, LS_VAL_ARRAY, "array")) != 0)
		return rc;
	ls_buf_init(&b, BI_MAX_STRING);
	for (i = 0; i < arr->u.arr.n && rc == 0; i++) {
		const struct ls_val *p = arr->u.arr.v[i];
		if (p->type == LS_VAL_SET && p->u.set.n == 0) {
			rc = ls_buf_adds(&b, "<undefined>");
		} else if (p->type == LS_VAL_SET && p->u.set.n > 1) {
			ls_buf_cleanup(&b);
			return ls_bi_error(ctx,
			    "template-strings must not "
			    "produce multiple outputs");
		} else {
			rc = print_one(&b,
			    p->type == LS_VAL_SET ? p->u.set.v[0] : p);
		}
	}
	if (rc != 0) {
		ls_buf_cleanup(&b);
		return ls_bi_error(ctx, "result too large");
	}
	return bi_ret_buf(ctx, out, &b);
}
