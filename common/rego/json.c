/* json.c - JSON and Rego text for values, and a bounded JSON parser. */
#include <string.h>

#include "lockstep/error.h"
#include "rego/value.h"

/* Output ---------------------------------------------------------------- */

static int
put_string(struct ls_buf *b, const char *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, start = 0;
	int rc = ls_buf_addc(b, '"');

	for (i = 0; i < n && rc == 0; i++) {
		unsigned char c = (unsigned char)p[i];
		const char *esc = NULL;
		char u[7];

		if (c == '"')
			esc = "\\\"";
		else if (c == '\\')
			esc = "\\\\";
		else if (c == '\n')
			esc = "\\n";
		else if (c == '\r')
			esc = "\\r";
		else if (c == '\t')
			esc = "\\t";
		else if (c < 0x20) {
			memcpy(u, "\\u00", 4);
			u[4] = hex[c >> 4];
			u[5] = hex[c & 15];
			u[6] = '\0';
			esc = u;
		}
		if (esc == NULL)
			continue;
		rc = ls_buf_add(b, p + start, i - start);
		if (rc == 0)
			rc = ls_buf_adds(b, esc);
		start = i + 1;
	}
	if (rc == 0)
		rc = ls_buf_add(b, p + start, n - start);
	return rc ? rc : ls_buf_addc(b, '"');
}

struct out {
	struct ls_buf *b;
	int indent; /* -1 compact, else current level */
	int rego;   /* Rego syntax instead of JSON */
};

static int put_val(struct out *o, const struct ls_val *v);

static int
newline(struct out *o, int level)
{
	int rc, i;

	if (o->indent < 0)
		return 0;
	rc = ls_buf_addc(o->b, '\n');
	for (i = 0; i < level && rc == 0; i++)
		rc = ls_buf_adds(o->b, "  ");
	return rc;
}

static int
put_seq(struct out *o, const struct ls_val *const *v, size_t n, char open,
    char close)
{
	size_t i;
	int rc = ls_buf_addc(o->b, open), lvl = o->indent;

	for (i = 0; i < n && rc == 0; i++) {
		if (i > 0)
			rc = ls_buf_adds(o->b, o->rego && lvl < 0 ? ", " : ",");
		if (rc == 0 && lvl >= 0) {
			rc = newline(o, lvl + 1);
			o->indent = lvl + 1;
		}
		if (rc == 0)
			rc = put_val(o, v[i]);
		o->indent = lvl;
	}
	if (rc == 0 && n > 0)
		rc = newline(o, lvl);
	return rc ? rc : ls_buf_addc(o->b, close);
}

static int
put_key(struct out *o, const struct ls_val *k)
{
	struct ls_buf tmp;
	struct out t = { &tmp, -1, 0 };
	int rc;

	if (o->rego || k->type == LS_VAL_STRING)
		return put_val(o, k);
	ls_buf_init(&tmp, o->b->max);
	rc = put_val(&t, k);
	if (rc == 0)
		rc = put_string(o->b, tmp.data ? tmp.data : "", tmp.len);
	ls_buf_cleanup(&tmp);
	return rc;
}

static int
put_obj(struct out *o, const struct ls_val *v)
{
	size_t i;
	int rc = ls_buf_addc(o->b, '{'), lvl = o->indent;

	for (i = 0; i < v->u.obj.n && rc == 0; i++) {
		if (i > 0)
			rc = ls_buf_adds(o->b, o->rego && lvl < 0 ? ", " : ",");
		if (rc == 0 && lvl >= 0)
			rc = newline(o, lvl + 1);
		o->indent = lvl >= 0 ? lvl + 1 : lvl;
		if (rc == 0)
			rc = put_key(o, v->u.obj.k[i]);
		if (rc == 0)
			rc =
			    ls_buf_adds(o->b, o->rego || lvl >= 0 ? ": " : ":");
		if (rc == 0)
			rc = put_val(o, v->u.obj.v[i]);
		o->indent = lvl;
	}
	if (rc == 0 && v->u.obj.n > 0)
		rc = newline(o, lvl);
	return rc ? rc : ls_buf_addc(o->b, '}');
}

static int
put_val(struct out *o, const struct ls_val *v)
{
	switch (v->type) {
	case LS_VAL_NULL: return ls_buf_adds(o->b, "null");
	case LS_VAL_BOOL: return ls_buf_adds(o->b, v->u.b ? "true" : "false");
	case LS_VAL_NUMBER: return ls_num_format(o->b, &v->u.num);
	case LS_VAL_STRING: return put_string(o->b, v->u.str.p, v->u.str.len);
	case LS_VAL_ARRAY: return put_seq(o, v->u.arr.v, v->u.arr.n, '[', ']');
	case LS_VAL_OBJECT: return put_obj(o, v);
	case LS_VAL_SET:
		if (o->rego && v->u.set.n == 0)
			return ls_buf_adds(o->b, "set()");
		return put_seq(o, v->u.set.v, v->u.set.n, o->rego ? '{' : '[',
		    o->rego ? '}' : ']');
	}
	return 0;
}

int
ls_val_to_json(struct ls_buf *b, const struct ls_val *v)
{
	struct out o = { b, -1, 0 };

	return put_val(&o, v);
}

int
ls_val_to_json_pretty(struct ls_buf *b, const struct ls_val *v)
{
	struct out o = { b, 0, 0 };

	return put_val(&o, v);
}

int
ls_val_to_rego(struct ls_buf *b, const struct ls_val *v)
{
	struct out o = { b, -1, 1 };

	return put_val(&o, v);
}

/* Parser ----------------------------------------------------------------- */

struct jp {
	const char *s;
	size_t len, i;
	int depth, max_depth;
	struct ls_arena *a;
};

static int
jp_fail(struct jp *p, const char *what)
{
	return ls_error_set(LS_EFORMAT, "JSON: %s at byte %zu", what, p->i);
}

static void
jp_ws(struct jp *p)
{
	while (p->i < p->len &&
	    (p->s[p->i] == ' ' || p->s[p->i] == '\t' || p->s[p->i] == '\n' ||
		p->s[p->i] == '\r'))
		p->i++;
}

static int jp_value(struct jp *p, const struct ls_val **out);

static int
hex4(const char *s, unsigned *out)
{
	unsigned v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		char c = s[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

size_t
ls_utf8_put(char *out, unsigned cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

static int
jp_escape(struct jp *p, char *out, size_t *n)
{
	char c = p->s[p->i++];
	const char *map = "\"\"\\\\//b\bf\fn\nr\rt\t";
	unsigned cp, lo;
	size_t k;

	for (k = 0; map[k] != '\0'; k += 2)
		if (map[k] == c) {
			out[(*n)++] = map[k + 1];
			return 0;
		}
	if (c != 'u' || p->len - p->i < 4 || hex4(p->s + p->i, &cp) != 0)
		return jp_fail(p, "bad escape in string");
	p->i += 4;
	if (cp >= 0xd800 && cp < 0xdc00 && p->len - p->i >= 6 &&
	    p->s[p->i] == '\\' && p->s[p->i + 1] == 'u' &&
	    hex4(p->s + p->i + 2, &lo) == 0 && lo >= 0xdc00 && lo < 0xe000) {
		p->i += 6;
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
	} else if (cp >= 0xd800 && cp < 0xe000)
		cp = 0xfffd;
	*n += ls_utf8_put(out + *n, cp);
	return 0;
}

static int
jp_string(struct jp *p, const struct ls_val **out)
{
	size_t start = ++p->i, n = 0, j;
	char *buf;
	int rc;

	for (j = start; j < p->len && p->s[j] != '"'; j++)
		if (p->s[j] == '\\')
			j++;
	if (j >= p->len)
		return jp_fail(p, "unterminated string");
	buf = ls_arena_alloc(p->a, j - start + 1);
	if (buf == NULL)
		return ls_error_set(LS_ENOMEM, "JSON: out of memory");
	while (p->s[p->i] != '"') {
		unsigned char c = (unsigned char)p->s[p->i];

		if (c < 0x20)
			return jp_fail(p, "control character in string");
		if (c == '\\') {
			p->i++;
			if ((rc = jp_escape(p, buf, &n)) != 0)
				return rc;
			continue;
		}
		buf[n++] = (char)c;
		p->i++;
	}
	p->i++;
	buf[n] = '\0';
	*out = ls_val_string_ref(p->a, buf, n);
	return *out ? 0 : ls_error_set(LS_ENOMEM, "JSON: out of memory");
}

static int
jp_number(struct jp *p, const struct ls_val **out)
{
	size_t start = p->i;
	struct ls_num n;
	int rc;

	while (p->i < p->len && strchr("+-0123456789.eE", p->s[p->i]) &&
	    p->s[p->i] != '\0')
		p->i++;
	rc = ls_num_from_text(&n, p->a, p->s + start, p->i - start);
	if (rc == LS_EFORMAT)
		return jp_fail(p, "bad number");
	if (rc != 0)
		return rc;
	*out = ls_val_number(p->a, &n);
	return *out ? 0 : ls_error_set(LS_ENOMEM, "JSON: out of memory");
}

static int
jp_array(struct jp *p, const struct ls_val **out)
{
	struct ls_vlist l;
	const struct ls_val *v = NULL;
	int rc;

	ls_vlist_init(&l, p->a);
	p->i++;
	jp_ws(p);
	if (p->i < p->len && p->s[p->i] == ']') {
		p->i++;
		*out = ls_val_empty_array();
		return 0;
	}
	for (;;) {
		if ((rc = jp_value(p, &v)) != 0)
			return rc;
		if (ls_vlist_push(&l, v) != 0)
			return ls_error_set(LS_ENOMEM, "JSON: out of memory");
		jp_ws(p);
		if (p->i < p->len && p->s[p->i] == ',') {
			p->i++;
			continue;
		}
		if (p->i < p->len && p->s[p->i] == ']')
			break;
		return jp_fail(p, "expected ',' or ']'");
	}
	p->i++;
	*out = ls_val_array(p->a, l.v, l.n);
	return *out ? 0 : ls_error_set(LS_ENOMEM, "JSON: out of memory");
}

static int
jp_member(struct jp *p, struct ls_vlist *k, struct ls_vlist *v)
{
	const struct ls_val *key = NULL, *val = NULL;
	int rc;

	jp_ws(p);
	if (p->i >= p->len || p->s[p->i] != '"')
		return jp_fail(p, "expected string key");
	if ((rc = jp_string(p, &key)) != 0)
		return rc;
	jp_ws(p);
	if (p->i >= p->len || p->s[p->i] != ':')
		return jp_fail(p, "expected ':'");
	p->i++;
	if ((rc = jp_value(p, &val)) != 0)
		return rc;
	if (ls_vlist_push(k, key) != 0 || ls_vlist_push(v, val) != 0)
		return ls_error_set(LS_ENOMEM, "JSON: out of memory");
	return 0;
}

static int
jp_object(struct jp *p, const struct ls_val **out)
{
	struct ls_vlist k, v;
	int rc, conflict = 0;

	ls_vlist_init(&k, p->a);
	ls_vlist_init(&v, p->a);
	p->i++;
	jp_ws(p);
	if (p->i < p->len && p->s[p->i] == '}') {
		p->i++;
		*out = ls_val_empty_object();
		return 0;
	}
	for (;;) {
		if ((rc = jp_member(p, &k, &v)) != 0)
			return rc;
		jp_ws(p);
		if (p->i < p->len && p->s[p->i] == ',') {
			p->i++;
			continue;
		}
		if (p->i < p->len && p->s[p->i] == '}')
			break;
		return jp_fail(p, "expected ',' or '}'");
	}
	p->i++;
	*out = ls_val_object(p->a, k.v, v.v, k.n, &conflict);
	if (*out == NULL && conflict)
		return jp_fail(p, "duplicate object key");
	return *out ? 0 : ls_error_set(LS_ENOMEM, "JSON: out of memory");
}

static int
jp_lit(struct jp *p, const char *word, const struct ls_val *v,
    const struct ls_val **out)
{
	size_t n = strlen(word);

	if (p->len - p->i < n || memcmp(p->s + p->i, word, n) != 0)
		return jp_fail(p, "unexpected character");
	p->i += n;
	*out = v;
	return 0;
}

static int
jp_value(struct jp *p, const struct ls_val **out)
{
	int rc;

	jp_ws(p);
	if (p->i >= p->len)
		return jp_fail(p, "unexpected end");
	switch (p->s[p->i]) {
	case '{':
	case '[':
		if (++p->depth > p->max_depth)
			return ls_error_set(LS_ETOOBIG,
			    "JSON: nested deeper than %d", p->max_depth);
		rc = p->s[p->i] == '{' ? jp_object(p, out) : jp_array(p, out);
		p->depth--;
		return rc;
	case '"': return jp_string(p, out);
	case 't': return jp_lit(p, "true", ls_val_bool(1), out);
	case 'f': return jp_lit(p, "false", ls_val_bool(0), out);
	case 'n': return jp_lit(p, "null", ls_val_null(), out);
	default: return jp_number(p, out);
	}
}

int
ls_val_from_json(const struct ls_val **out, struct ls_arena *a,
    const char *json, size_t len, int max_depth)
{
	struct jp p = { json, len, 0, 0,
		max_depth > 0 ? max_depth : LS_JSON_MAX_DEPTH, a };
	int rc;

	if ((rc = jp_value(&p, out)) != 0)
		return rc;
	jp_ws(&p);
	if (p.i != p.len)
		return jp_fail(&p, "trailing characters");
	return 0;
}
