/*
 * yaml.c - yaml.unmarshal, yaml.marshal and yaml.is_valid.
 *
 * OPA reads YAML with go-yaml v2 (YAML 1.1 scalars: yes/no/on/off are
 * booleans) and converts it to JSON, so mapping keys become strings.
 * Reading goes through libyaml (common/confin_yaml.c; go-yaml v2 is a
 * port of it, so its error wording is the same), first document only;
 * yaml.marshal writes go-yaml v2's block style.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "confin.h"
#include "lockstep/error.h"
#include "rego/builtins/internal.h"
#include "rego/builtins/lib.h"
#include "rego/annot.h"

#define YAML_MAX_DEPTH 256

static int
blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int
ls_yaml_parse(const struct ls_val **out, struct ls_arena *a, const char *s,
    size_t n, char *err, size_t errlen)
{
	if (ls_confin_yaml_first(out, a, s, n) == 0)
		return 0;
	snprintf(err, errlen, "%s", ls_error_last());
	ls_error_clear();
	return -1;
}

int
ls_bi_yaml_unmarshal(BI_ARGS)
{
	char err[256];
	const char *s;
	size_t sl;
	int rc;

	(void)nargs;
	if ((rc = bi_arg_str(ctx, args, 0, &s, &sl)) != 0)
		return rc;
	if (ls_yaml_parse(out, ctx->arena, s, sl, err, sizeof err) != 0)
		return ls_bi_error(ctx, "%s", err);
	return LS_BI_OK;
}

int
ls_bi_yaml_is_valid(BI_ARGS)
{
	const struct ls_val *v = NULL;
	char err[256];

	(void)nargs;
	if (args[0]->type != LS_VAL_STRING)
		return bi_ret(out, ls_val_bool(0));
	return bi_ret(out,
	    ls_val_bool(ls_yaml_parse(&v, ctx->arena, args[0]->u.str.p,
			    args[0]->u.str.len, err, sizeof err) == 0));
}

/* ---- marshal, go-yaml v2 block style ---- */

/* How go-yaml v2 writes a string: 0 plain, 1 single-quoted (the plain
 * form would not parse back), 2 double-quoted (it would read back as
 * another type, or it holds control characters). */
static int
quote_style(struct ls_arena *a, const char *s, size_t n)
{
	const struct ls_val *v;
	size_t i;
	int single = 0;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7F)
			return 2;
	v = ls_confin_yaml_plain(a, s, n);
	if (v == NULL || v->type != LS_VAL_STRING)
		return 2;
	if (n == 0 || blank(s[0]) || blank(s[n - 1]) ||
	    strchr("-?:,[]{}#&*!|>'\"%@`~", s[0]) != NULL)
		single = 1;
	for (i = 0; i < n && !single; i++)
		if ((s[i] == ':' && (i + 1 == n || blank(s[i + 1]))) ||
		    (s[i] == '#' && i > 0 && blank(s[i - 1])))
			single = 1;
	return single;
}

static int
y_string(struct ls_buf *b, struct ls_arena *a, const char *s, size_t n)
{
	size_t i;
	int rc = 0, style = quote_style(a, s, n);

	if (style == 0)
		return ls_buf_add(b, s, n);
	if (style == 1) {
		rc = ls_buf_addc(b, '\'');
		for (i = 0; i < n && rc == 0; i++)
			rc = s[i] == '\'' ? ls_buf_adds(b, "''")
					  : ls_buf_addc(b, s[i]);
		return rc ? rc : ls_buf_addc(b, '\'');
	}
	rc = ls_buf_addc(b, '"');
	for (i = 0; i < n && rc == 0; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			rc = ls_buf_addf(b, "\\%c", c);
		else if (c == '\n')
			rc = ls_buf_adds(b, "\\n");
		else if (c == '\t')
			rc = ls_buf_adds(b, "\\t");
		else if (c == '\r')
			rc = ls_buf_adds(b, "\\r");
		else if (c < 0x20 || c == 0x7F)
			rc = ls_buf_addf(b, "\\x%02X", c);
		else
			rc = ls_buf_addc(b, (char)c);
	}
	return rc ? rc : ls_buf_addc(b, '"');
}

static int y_node(struct ls_buf *b, struct ls_arena *a, const struct ls_val *v,
    int indent, int depth);

static int
y_scalar(struct ls_buf *b, struct ls_arena *a, const struct ls_val *v)
{
	switch (v->type) {
	case LS_VAL_NULL: return ls_buf_adds(b, "null");
	case LS_VAL_BOOL: return ls_buf_adds(b, v->u.b ? "true" : "false");
	case LS_VAL_NUMBER: return ls_num_format(b, &v->u.num);
	case LS_VAL_STRING: return y_string(b, a, v->u.str.p, v->u.str.len);
	default:
		return ls_val_len(v) == 0
		    ? ls_buf_adds(b, v->type == LS_VAL_OBJECT ? "{}" : "[]")
		    : -1;
	}
}

static int
is_block(const struct ls_val *v)
{
	return (v->type == LS_VAL_OBJECT || v->type == LS_VAL_ARRAY ||
		   v->type == LS_VAL_SET) &&
	    ls_val_len(v) > 0;
}

static int
pad(struct ls_buf *b, int n)
{
	int rc = 0;

	while (n-- > 0 && rc == 0)
		rc = ls_buf_addc(b, ' ');
	return rc;
}

/* v at indentation indent; the caller has written what precedes it on
 * the current line (nothing, "- " or "key:"). */
static int
y_node(struct ls_buf *b, struct ls_arena *a, const struct ls_val *v, int indent,
    int depth)
{
	const struct ls_val *const *el;
	size_t n, i;
	int rc = 0;

	if (depth > YAML_MAX_DEPTH)
		return ls_error_set(LS_ETOOBIG, "value nested too deeply");
	if (!is_block(v)) {
		rc = y_scalar(b, a, v);
		return rc ? rc : ls_buf_addc(b, '\n');
	}
	if (v->type == LS_VAL_OBJECT) {
		for (i = 0; i < v->u.obj.n && rc == 0; i++) {
			const struct ls_val *k = v->u.obj.k[i],
					    *c = v->u.obj.v[i];
			if (i > 0)
				rc = pad(b, indent);
			if (rc == 0 && k->type == LS_VAL_STRING)
				rc = y_string(b, a, k->u.str.p, k->u.str.len);
			else if (rc == 0)
				rc = y_scalar(b, a, k);
			if (rc == 0)
				rc = ls_buf_addc(b, ':');
			if (rc == 0 && is_block(c)) {
				int sub = c->type == LS_VAL_OBJECT ? indent + 2
								   : indent;
				rc = ls_buf_addc(b, '\n');
				if (rc == 0)
					rc = pad(b, sub);
				if (rc == 0)
					rc = y_node(b, a, c, sub, depth + 1);
			} else if (rc == 0) {
				rc = ls_buf_addc(b, ' ');
				if (rc == 0)
					rc = y_node(b, a, c, indent, depth + 1);
			}
		}
		return rc;
	}
	el = bi_elems(v, &n);
	for (i = 0; i < n && rc == 0; i++) {
		if (i > 0)
			rc = pad(b, indent);
		if (rc == 0)
			rc = ls_buf_adds(b, "- ");
		if (rc == 0)
			rc = y_node(b, a, el[i], indent + 2, depth + 1);
	}
	return rc;
}

int
ls_bi_yaml_marshal(BI_ARGS)
{
	struct ls_buf b;
	int rc;

	(void)nargs;
	ls_buf_init(&b, BI_MAX_STRING);
	if ((rc = y_node(&b, ctx->arena, args[0], 0, 0)) != 0) {
		ls_buf_cleanup(&b);
		return bi_fail(ctx, rc < 0 ? rc : LS_ETOOBIG);
	}
	return bi_ret_buf(ctx, out, &b);
}
