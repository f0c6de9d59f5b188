/*
 * encoding.c - json.*, base64*, hex.*, urlquery.* and units.* builtins,
 * with Go's encoders' exact output (json.Marshal's HTML escaping, url
 * QueryEscape) and error messages.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lockstep/error.h"
#include "rego/builtins/internal.h"
#include "rego/builtins/lib.h"

#define JSON_MAX_DEPTH 512

/* ---- JSON ---- */

static int
json_string(struct ls_buf *b, const char *s, size_t len)
{
	size_t i = 0, w;
	int rc = ls_buf_addc(b, '"');

	while (i < len && rc == 0) {
		uint32_t r = bi_utf8_decode(s + i, len - i, &w);
		char enc[4];

		if (r == '"' || r == '\\') {
			rc = ls_buf_addc(b, '\\');
			if (rc == 0)
				rc = ls_buf_addc(b, (char)r);
		} else if (r == '\n') {
			rc = ls_buf_adds(b, "\\n");
		} else if (r == '\r') {
			rc = ls_buf_adds(b, "\\r");
		} else if (r == '\t') {
			rc = ls_buf_adds(b, "\\t");
		} else if (r < 0x20 || r == '<' || r == '>' || r == '&' ||
		    r == 0x2028 || r == 0x2029) {
			rc = ls_buf_addf(b, "\\u%04x", (unsigned)r);
		} else if (r == 0xFFFD && w == 1) {
			rc = ls_buf_adds(b, "\\ufffd");
		} else {
			rc = ls_buf_add(b, enc, bi_utf8_encode(enc, r));
		}
		i += w;
	}
	if (rc == 0)
		rc = ls_buf_addc(b, '"');
	return rc;
}

/* Go's json.Marshal of the value as OPA converts it (sets as arrays). */
static int
json_marshal(struct ls_buf *b, const struct ls_val *v, int depth)
{
	const struct ls_val *const *el;
	size_t i, n;
	int rc = 0;

	if (depth > JSON_MAX_DEPTH)
		return ls_error_set(LS_ETOOBIG, "value nested too deeply");
	switch (v->type) {
	case LS_VAL_NULL: return ls_buf_adds(b, "null");
	case LS_VAL_BOOL: return ls_buf_adds(b, v->u.b ? "true" : "false");
	case LS_VAL_NUMBER: return ls_num_format(b, &v->u.num);
	case LS_VAL_STRING: return json_string(b, v->u.str.p, v->u.str.len);
	case LS_VAL_ARRAY:
	case LS_VAL_SET:
		el = bi_elems(v, &n);
		rc = ls_buf_addc(b, '[');
		for (i = 0; i < n && rc == 0; i++) {
			if (i > 0)
				rc = ls_buf_addc(b, ',');
			if (rc == 0)
				rc = json_marshal(b, el[i], depth + 1);
		}
		return rc ? rc : ls_buf_addc(b, ']');
	case LS_VAL_OBJECT:
		rc = ls_buf_addc(b, '{');
		for (i = 0; i < v->u.obj.n && rc == 0; i++) {
			const struct ls_val *k = v->u.obj.k[i];
			if (i > 0)
				rc = ls_buf_addc(b, ',');
			if (rc == 0 && k->type == LS_VAL_STRING) {
				rc = json_string(b, k->u.str.p, k->u.str.len);
			} else if (rc == 0) {
				struct ls_buf kb;
				ls_buf_init(&kb, BI_MAX_STRING);
				rc = json_marshal(&kb, k, depth + 1);
				if (rc == 0)
					rc = json_string(b, kb.data, kb.len);
				ls_buf_cleanup(&kb);
			}
			if (rc == 0)
				rc = ls_buf_addc(b, ':');
			if (rc == 0)
				rc = json_marshal(b, v->u.obj.v[i], depth + 1);
		}
		return rc ? rc : ls_buf_addc(b, '}');
	}
	return 0;
}

int
ls_bi_json_marshal(BI_ARGS)
{
	struct ls_buf b;
	int rc;

	(void)nargs;
	ls_buf_init(&b, BI_MAX_STRING);
	if ((rc = json_marshal(&b, args[0], 0)) != 0) {
		ls_buf_cleanup(&b);
		return bi_fail(ctx, rc);
	}
	return bi_ret_buf(ctx, out, &b);
}

int
ls_bi_json_unmarshal(BI_ARGS)
{
	const struct ls_val *v = NULL;
	const char *s;
	size_t sl;
	int rc;

	(void)nargs;
	if ((rc = bi_arg_str(ctx, args, 0, &s, &sl)) != 0)
		return rc;
	if ((rc = ls_val_from_json(&v, ctx->arena, s, sl, JSON_MAX_DEPTH)) != 0)
		return bi_fail(ctx, rc);
	*out = v;
	return LS_BI_OK;
}

int
ls_bi_json_is_valid(BI_ARGS)
{
	const struct ls_val *v = NULL;

	(void)nargs;
	if (args[0]->type != LS_VAL_STRING)
		return bi_ret(out, ls_val_bool(0));
	return bi_ret(out,
	    ls_val_bool(ls_val_from_json(&v, ctx->arena, args[0]->u.str.p,
			    args[0]->u.str.len, JSON_MAX_DEPTH) == 0));
}

/* ---- base64 ---- */

static const char b64std[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int
b64_encode(struct ls_buf *b, const unsigned char *s, size_t len,
    const char *alpha, int pad)
{
	size_t i;
	int rc = 0;

	for (i = 0; i + 2 < len && rc == 0; i += 3) {
		char q[4] = { alpha[s[i] >> 2],
			alpha[((s[i] & 3) << 4) | (s[i + 1] >> 4)],
			alpha[((s[i + 1] & 15) << 2) | (s[i + 2] >> 6)],
			alpha[s[i + 2] & 63] };
		rc = ls_buf_add(b, q, 4);
	}
	if (rc == 0 && len - i == 1) {
		char q[4] = { alpha[s[i] >> 2], alpha[(s[i] & 3) << 4], '=',
			'=' };
		rc = ls_buf_add(b, q, pad ? 4 : 2);
	} else if (rc == 0 && len - i == 2) {
		char q[4] = { alpha[s[i] >> 2],
			alpha[((s[i] & 3) << 4) | (s[i + 1] >> 4)],
			alpha[(s[i + 1] & 15) << 2], '=' };
		rc = ls_buf_add(b, q, pad ? 4 : 3);
	}
	return rc;
}

/* Go's Encoding.DecodeString with padding required (StdEncoding). */
static int
b64_decode(struct ls_buf *b, const char *s, size_t len, const char *alpha)
{
	unsigned acc = 0;
	size_t i, nbits = 0, npad = 0, data = 0;

	for (i = 0; i < len; i++) {
		const char *p;

		if (s[i] == '\r' || s[i] == '\n')
			continue;
		if (s[i] == '=') {
			npad++;
			continue;
		}
		if (npad > 0 || s[i] == '\0' ||
		    (p = strchr(alpha, s[i])) == NULL)
			return ls_error_set(LS_EFORMAT,
			    "illegal base64 data at input byte %zu", i);
		data++;
		acc = (acc << 6) | (unsigned)(p - alpha);
		nbits += 6;
		if (nbits >= 8) {
			nbits -= 8;
			if (ls_buf_addc(b, (char)((acc >> nbits) & 0xFF)) != 0)
				return ls_error_set(LS_ETOOBIG, "too large");
		}
	}
	if ((data + npad) % 4 != 0 || npad > 2 ||
	    (npad > 0 && (data % 4) + npad != 4) || data % 4 == 1)
		return ls_error_set(LS_EFORMAT,
		    "illegal base64 data at input byte %zu", len);
	return 0;
}

static int
encode(BI_ARGS, const char *alpha, int pad)
{
	struct ls_buf b;
	const char *s;
	size_t sl;
	int rc;

	(void)nargs;
	if ((rc = bi_arg_str(ctx, args, 0, &s, &sl)) != 0)
		return rc;
	ls_buf_init(&b, BI_MAX_STRING);
	if (b64_encode(&b, (const unsigned char *)s, sl, alpha, pad) != 0) {
		ls_buf_cleanup(&b);
		return ls_bi_error(ctx, "result too large");
	}
	return bi_ret_buf(ctx, out, &b);
}

int
ls_bi_base64_encode(BI_ARGS)
{
	return encode(ctx, args, nargs, out, b64std, 1);
}

int
ls_bi_base64url_encode(BI_ARGS)
{
	return encode(ctx, args, nargs, out, b64url, 1);
}

int
ls_bi_base64url_encode_no_pad(BI_ARGS)
{
	return encode(ctx, args, nargs, out, b64url, 0);
}

int
ls_bi_base64_decode(BI_ARGS)
{
	struct ls_buf b;
	const char *s;
	size_t sl;
	int rc;

	(void)nargs;
	if ((rc = bi_arg_str(ctx, args, 0, &s, &sl)) != 0)
		return rc;
	ls_buf_init(&b, BI_MAX_STRING);
	if ((rc = b64_decode(&b, s, sl, b64std)) != 0) {
		ls_buf_cleanup(&b);
		return bi_fail(ctx, rc);
	}
	return bi_ret_buf(ctx, out, &b);
}

int
ls_bi_base64_is_valid(BI_ARGS)
{
	struct ls_buf b;
	int ok;

	(void)nargs;
	if (args[0]->type != LS_VAL_STRING)
		return bi_ret(out, ls_val_bool(0));
	ls_buf_init(&b, BI_MAX_STRING);
	ok = b64_decode(&b, args[0]->u.str.p, args[0]->u.str.len, b64std) == 0;
	ls_buf_cleanup(&b);
	(void)ctx;
	return bi_ret(out, ls_val_bool(ok));
}

int
ls_bi_base64url_decode(BI_ARGS)
{
	struct ls_buf b, in;
	const char *s;
	size_t sl;
	int rc;

	(void)nargs;
	if ((rc = bi_arg_str(ctx, args, 0, &s, &sl)) != 0)
		return rc;
	ls_buf_init(&in, BI_MAX_STRING);
	if (ls_buf_add(&in, s, sl) != 0) {
		ls_buf_cleanup(&in);
		return LS_BI_ENOMEM;
	}
	if (sl == 0 || s[sl - 1] != '=') {
		rc = sl % 4 == 2  ? ls_buf_adds(&in, "==")
		    : sl % 4 == 3 ? ls_buf_adds(&in, "=")
		    : sl % 4 == 0 ? 0
				  : -1;
		if (rc != 0) {
			ls_buf_cleanup(&in);
			return ls_bi_error(ctx,
			    "illegal base64url string: %.*s",
			    (int)(sl > 200 ? 200 : sl), s);
		}
	}
	ls_buf_init(&b, BI_MAX_STRING);
	rc = b64_decode(&b, in.data ? in.data : "", in.len, b64url);
	ls_buf_cleanup(&in);
	if (rc != 0) {
		ls_buf_cleanup(&b);
		return bi_fail(ctx, rc);
	}
	return bi_ret_buf(ctx, out, &b);
}

/* ---- hex ---- */

int
ls_bi_hex_encode(BI_ARGS)
{
	struct ls_buf b;
	const char *s;
	size_t sl, i;
	int rc;

	(void)nargs;
	if ((rc = bi_arg_str(ctx, args, 0, &s, &sl)) != 0)
		return rc;
	ls_buf_init(&b, BI_MAX_STRING);
	for (i = 0; i < sl; i++) {
		if (ls_buf_addf(&b, "%02x", (unsigned char)s[i]) != 0) {
			ls_buf_cleanup(&b);
			return ls_bi_error(ctx, "result too large");
		}
	}
	return bi_ret_buf(ctx, out, &b);
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
ls_bi_hex_decode(BI_ARGS)
{
	struct ls_buf b;
	const char *s;
	size_t sl, i, w;
	int rc;

	(void)nargs;
	if ((rc = bi_arg_str(ctx, args, 0, &s, &sl)) != 0)
		return rc;
	ls_buf_init(&b, BI_MAX_STRING);
	for (i = 0; i + 1 < sl || i < sl; i += 2) {
		int hi = hexval(s[i]), lo = i + 1 < sl ? hexval(s[i + 1]) : 0;
		size_t bad = hi < 0 ? i : lo < 0 ? i + 1 : sl;

		if (bad < sl) {
			uint32_t r = bi_utf8_decode(s + bad, sl - bad, &w);
			char enc[4];
			ls_buf_cleanup(&b);
			return ls_bi_error(ctx,
			    "encoding/hex: invalid byte: "
			    "U+%04X '%.*s'",
			    (unsigned)r, (int)bi_utf8_encode(enc, r), enc);
		}
		if (i + 1 >= sl) {
			ls_buf_cleanup(&b);
			return ls_bi_error(ctx,
			    "encoding/hex: odd length hex string");
		}
		if (ls_buf_addc(&b, (char)(hi << 4 | lo)) != 0) {
			ls_buf_cleanup(&b);
			return LS_BI_ENOMEM;
		}
	}
	return bi_ret_buf(ctx, out, &b);
}

/* ---- urlquery ---- */

static int
query_escape(struct ls_buf *b, const char *s, size_t len)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < len && rc == 0; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		    c == '.' || c == '~')
			rc = ls_buf_addc(b, (char)c);
		else if (c == ' ')
			rc = ls_buf_addc(b, '+');
		else
			rc = ls_buf_addf(b, "%%%02X", c);
	}
	return rc;
}

/* url.QueryUnescape; LS_EFORMAT with Go's message. */
static int
query_unescape(struct ls_buf *b, const char *s, size_t len)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < len && rc == 0; i++) {
		if (s[i] == '+') {
			rc = ls_buf_addc(b, ' ');
		} else if (s[i] == '%') {
			int hi = i + 1 < len ? hexval(s[i + 1]) : -1;
			int lo = i + 2 < len ? hexval(s[i + 2]) : -1;
			if (hi < 0 || lo < 0) {
				size_t n = len - i < 3 ? len - i : 3;
				return ls_error_set(LS_EFORMAT,
				    "invalid URL escape \"%.*s\"", (int)n,
				    s + i);
			}
			rc = ls_buf_addc(b, (char)(hi << 4 | lo));
			i += 2;
		} else {
			rc = ls_buf_addc(b, s[i]);
		}
	}
	return rc;
}

int
ls_bi_urlquery_encode(BI_ARGS)
{
	struct ls_buf b;
	const char *s;
	size_t sl;
	int rc;

	(void)nargs;
	if ((rc = bi_arg_str(ctx, args, 0, &s, &sl)) != 0)
		return rc;
	ls_buf_init(&b, BI_MAX_STRING);
	if (query_escape(&b, s, sl) != 0) {
		ls_buf_cleanup(&b);
		return ls_bi_error(ctx, "result too large");
	}
	return bi_ret_buf(ctx, out, &b);
}

int
ls_bi_urlquery_decode(BI_ARGS)
{
	struct ls_buf b;
	const char *s;
	size_t sl;
	int rc;

	(void)nargs;
	if ((rc = bi_arg_str(ctx, args, 0, &s, &sl)) != 0)
		return rc;
	ls_buf_init(&b, BI_MAX_STRING);
	if ((rc = query_unescape(&b, s, sl)) != 0) {
		ls_buf_cleanup(&b);
		return bi_fail(ctx, rc);
	}
	return bi_ret_buf(ctx, out, &b);
}

int
ls_bi_urlquery_encode_object(BI_ARGS)
{
	const struct ls_val *o = args[0];
	struct ls_buf b;
	size_t i, j, n;
	int rc, first = 1;

	(void)nargs;
	if ((rc = bi_arg_type(ctx, args, 0, LS_VAL_OBJECT, "object")) != 0)
		return rc;
	ls_buf_init(&b, BI_MAX_STRING);
	for (i = 0; i < o->u.obj.n && rc == 0; i++) {
		const struct ls_val *k = o->u.obj.k[i], *v = o->u.obj.v[i];
		const struct ls_val *const *vs = &o->u.obj.v[i];

		n = 1;
		if (v->type == LS_VAL_ARRAY || v->type == LS_VAL_SET)
			vs = bi_elems(v, &n);
		if (k->type != LS_VAL_STRING) {
			ls_buf_cleanup(&b);
			return ls_bi_type_error(ctx, 1,
			    "object[string]: "
			    "string, array[string] or set[string]",
			    k);
		}
		for (j = 0; j < n && rc == 0; j++) {
			if (vs[j]->type != LS_VAL_STRING) {
				ls_buf_cleanup(&b);
				return ls_bi_error(ctx,
				    "operand 1 must be "
				    "object[string]: string, array[string] or "
				    "set[string]");
			}
			if (!first)
				rc = ls_buf_addc(&b, '&');
			first = 0;
			if (rc == 0)
				rc = query_escape(&b, k->u.str.p, k->u.str.len);
			if (rc == 0)
				rc = ls_buf_addc(&b, '=');
			if (rc == 0)
				rc = query_escape(&b, vs[j]->u.str.p,
				    vs[j]->u.str.len);
		}
	}
	if (rc != 0) {
		ls_buf_cleanup(&b);
		return ls_bi_error(ctx, "result too large");
	}
	return bi_ret_buf(ctx, out, &b);
}

struct kv_ref {
	const struct ls_val *k;
	size_t at; /* position in the query, keeps value order */
};

static int
cmp_kv_ref(const void *x, const void *y)
{
	const struct kv_ref *a = x, *b = y;
	int c = ls_val_compare(a->k, b->k);

	return c != 0 ? c : (a->at > b->at) - (a->at < b->at);
}

/* An object from each key to the array of its values, in query order. */
static int
group_values(struct ls_bi_ctx *ctx, const struct ls_vlist *keys,
    const struct ls_vlist *vals, const struct ls_val **out)
{
	struct ls_vlist ok, ov, grp;
	struct kv_ref *r;
	size_t i, j;

	if (keys->n == 0)
		return bi_ret(out, ls_val_empty_object());
	if ((r = ls_arena_alloc(ctx->arena, keys->n * sizeof *r)) == NULL)
		return LS_BI_ENOMEM;
	for (i = 0; i < keys->n; i++) {
		r[i].k = keys->v[i];
		r[i].at = i;
	}
	qsort(r, keys->n, sizeof *r, cmp_kv_ref);
	ls_vlist_init(&ok, ctx->arena);
	ls_vlist_init(&ov, ctx->arena);
	for (i = 0; i < keys->n; i = j) {
		const struct ls_val *arr;
		ls_vlist_init(&grp, ctx->arena);
		for (j = i; j < keys->n && ls_val_equal(r[j].k, r[i].k); j++)
			if (ls_vlist_push(&grp, vals->v[r[j].at]) != 0)
				return LS_BI_ENOMEM;
		if ((arr = ls_val_array(ctx->arena, grp.v, grp.n)) == NULL ||
		    ls_vlist_push(&ok, r[i].k) != 0 ||
		    ls_vlist_push(&ov, arr) != 0)
			return LS_BI_ENOMEM;
	}
	return bi_ret(out, ls_val_object(ctx->arena, ok.v, ov.v, ok.n, NULL));
}

int
ls_bi_urlquery_decode_object(BI_ARGS)
{
	struct ls_vlist keys, vals;
	const char *s, *p, *e;
	size_t sl;
	int rc;

	(void)nargs;
	if ((rc = bi_arg_str(ctx, args, 0, &s, &sl)) != 0)
		return rc;
	ls_vlist_init(&keys, ctx->arena);
	ls_vlist_init(&vals, ctx->arena);
	for (p = s, e = s + sl; p < e;) {
		const char *amp = memchr(p, '&', (size_t)(e - p)), *eq;
		struct ls_buf kb, vb;
		const struct ls_val *k, *v;

		if (amp == NULL)
			amp = e;
		if (amp == p) {
			p = amp + 1;
			continue;
		}
		eq = memchr(p, '=', (size_t)(amp - p));
		ls_buf_init(&kb, BI_MAX_STRING);
		ls_buf_init(&vb, BI_MAX_STRING);
		rc = query_unescape(&kb, p, (size_t)((eq ? eq : amp) - p));
		if (rc == 0 && eq != NULL)
			rc =
			    query_unescape(&vb, eq + 1, (size_t)(amp - eq - 1));
		k = ls_val_string(ctx->arena, kb.data ? kb.data : "", kb.len);
		v = ls_val_string(ctx->arena, vb.data ? vb.data : "", vb.len);
		ls_buf_cleanup(&kb);
		ls_buf_cleanup(&vb);
		if (rc != 0)
			return bi_fail(ctx, rc);
		if (k == NULL || v == NULL || ls_vlist_push(&keys, k) != 0 ||
		    ls_vlist_push(&vals, v) != 0)
			return LS_BI_ENOMEM;
		p = amp + 1;
	}
	return group_values(ctx, &keys, &vals, out);
}

/* ---- units ---- */

struct unit {
	const char *name;
	int pow10; /* multiplier 10^pow10 ... */
	int pow2;  /* ... times 2^pow2 */
};

static const struct unit si_units[] = {
	{ "", 0, 0 },
	{ "m", -3, 0 },
	{ "K", 3, 0 },
	{ "k", 3, 0 },
	{ "Ki", 0, 10 },
	{ "ki", 0, 10 },
	{ "M", 6, 0 },
	{ "Mi", 0, 20 },
	{ "mi", 0, 20 },
	{ "G", 9, 0 },
	{ "g", 9, 0 },
	{ "Gi", 0, 30 },
	{ "gi", 0, 30 },
	{ "T", 12, 0 },
	{ "t", 12, 0 },
	{ "Ti", 0, 40 },
	{ "ti", 0, 40 },
	{ "P", 15, 0 },
	{ "p", 15, 0 },
	{ "Pi", 0, 50 },
	{ "pi", 0, 50 },
	{ "E", 18, 0 },
	{ "e", 18, 0 },
	{ "Ei", 0, 60 },
	{ "ei", 0, 60 },
};

static const struct unit byte_units[] = {
	{ "", 0, 0 },
	{ "kb", 3, 0 },
	{ "k", 3, 0 },
	{ "kib", 0, 10 },
	{ "ki", 0, 10 },
	{ "mb", 6, 0 },
	{ "m", 6, 0 },
	{ "mib", 0, 20 },
	{ "mi", 0, 20 },
	{ "gb", 9, 0 },
	{ "g", 9, 0 },
	{ "gib", 0, 30 },
	{ "gi", 0, 30 },
	{ "tb", 12, 0 },
	{ "t", 12, 0 },
	{ "tib", 0, 40 },
	{ "ti", 0, 40 },
	{ "pb", 15, 0 },
	{ "p", 15, 0 },
	{ "pib", 0, 50 },
	{ "pi", 0, 50 },
	{ "eb", 18, 0 },
	{ "e", 18, 0 },
	{ "eib", 0, 60 },
	{ "ei", 0, 60 },
};

static int
units(BI_ARGS, int bytes)
{
	const struct unit *tab = bytes ? byte_units : si_units, *u = NULL;
	size_t ntab = bytes ? sizeof byte_units / sizeof byte_units[0]
			    : sizeof si_units / sizeof si_units[0];
	const char *what = bytes ? "byte amount" : "amount";
	char s[256], dig[256];
	const char *raw;
	size_t rl, n = 0, i, nd = 0, frac = 0, numlen;
	struct ls_num num, mul, r;
	int dots = 0, rc, expneg = 0, neg = 0;
	int64_t exp10 = 0;

	(void)nargs;
	if ((rc = bi_arg_str(ctx, args, 0, &raw, &rl)) != 0)
		return rc;
	for (i = 0; i < rl && n < sizeof s - 1; i++)
		if (raw[i] != '"')
			s[n++] = bytes && raw[i] >= 'A' && raw[i] <= 'Z'
			    ? (char)(raw[i] + 32)
			    : raw[i];
	s[n] = '\0';
	if (i < rl)
		return ls_bi_error(ctx, "could not parse %s to a number", what);
	if (memchr(s, ' ', n) != NULL)
		return ls_bi_error(ctx,
		    "spaces not allowed in resource strings");
	if (!bytes && n > 0 && s[0] == '-') { /* "-3.5E2m" */
		neg = 1;
		memmove(s, s + 1, n--);
	}
	for (numlen = 0; numlen < n &&
	     ((s[numlen] >= '0' && s[numlen] <= '9') || s[numlen] == '.');
	     numlen++)
		;
	/* a decimal exponent ("1e3") as opposed to the unit E/e */
	if (numlen > 0 && numlen + 1 < n && (s[numlen] | 32) == 'e') {
		size_t k = numlen + 1;
		if (s[k] == '+' || s[k] == '-')
			k++;
		if (k < n && s[k] >= '0' && s[k] <= '9') {
			expneg = s[numlen + 1] == '-';
			while (k < n && s[k] >= '0' && s[k] <= '9') {
				if (exp10 > 100000)
					return ls_bi_error(ctx,
					    "exponent too large");
				exp10 = exp10 * 10 + (s[k++] - '0');
			}
			if (exp10 > 100000)
				return ls_bi_error(ctx, "exponent too large");
			memmove(s + numlen, s + k, n - k + 1);
			n -= k - numlen;
		}
	}
	if (numlen == 0)
		return ls_bi_error(ctx, "no %s provided", what);
	if (!bytes && n - numlen > 1)
		for (i = numlen + 1; i < n; i++)
			if (s[i] >= 'A' && s[i] <= 'Z')
				s[i] = (char)(s[i] + 32);
	for (i = 0; i < ntab; i++)
		if (strcmp(tab[i].name, s + numlen) == 0)
			u = &tab[i];
	for (i = 0; i < numlen; i++) {
		if (s[i] == '.') {
			dots++;
			continue;
		}
		dig[nd++] = s[i];
		if (dots)
			frac++;
	}
	if (dots > 1 || nd == 0)
		return ls_bi_error(ctx, "could not parse %s to a number", what);
	if (u == NULL)
		return bytes ? ls_bi_error(ctx, "byte unit %s not recognized",
				   s + numlen)
			     : ls_bi_error(ctx, "unknown unit %s", s + numlen);
	if ((rc = ls_num_from_dec(&num, ctx->arena, neg, dig, nd,
		 (int64_t)u->pow10 - (int64_t)frac +
		     (expneg ? -exp10 : exp10))) != 0)
		return bi_fail(ctx, rc);
	ls_num_from_int64(&mul, (int64_t)1 << u->pow2);
	if ((rc = ls_num_mul(&r, ctx->arena, &num, &mul)) != 0 ||
	    (bytes &&
		(rc = ls_num_to_integer(&num, ctx->arena, &r, LS_NUM_TRUNC)) !=
		    0))
		return bi_fail(ctx, rc);
	return bi_ret_num(ctx, out, bytes ? &num : &r);
}

int
ls_bi_units_parse(BI_ARGS)
{
	return units(ctx, args, nargs, out, 0);
}

int
ls_bi_units_parse_bytes(BI_ARGS)
{
	return units(ctx, args, nargs, out, 1);
}

struct jindent {
	const char *prefix, *indent;
	size_t plen, ilen;
};

static int
newline(struct ls_buf *b, const struct jindent *j, int depth)
{
	int rc = ls_buf_addc(b, '\n');

	if (rc == 0)
		rc = ls_buf_add(b, j->prefix, j->plen);
	while (rc == 0 && depth-- > 0)
		rc = ls_buf_add(b, j->indent, j->ilen);
	return rc;
}

/* Go's json.MarshalIndent layout. */
static int
json_pretty(struct ls_buf *b, const struct ls_val *v, const struct jindent *j,
    int depth)
{
	const struct ls_val *const *el;
	size_t n, i;
	int rc = 0;

	if (depth > JSON_MAX_DEPTH)
		return ls_error_set(LS_ETOOBIG, "value nested too deeply");
	if (ls_val_len(v) == 0 ||
	    (v->type != LS_VAL_ARRAY && v->type != LS_VAL_SET &&
		v->type != LS_VAL_OBJECT))
		return json_marshal(b, v, depth);
	if (v->type == LS_VAL_OBJECT) {
		rc = ls_buf_addc(b, '{');
		for (i = 0; i < v->u.obj.n && rc == 0; i++) {
			if (i > 0)
				rc = ls_buf_addc(b, ',');
			if (rc == 0)
				rc = newline(b, j, depth + 1);
			if (rc == 0)
				rc = json_marshal(b, v->u.obj.k[i], depth + 1);
			if (rc == 0 && v->u.obj.k[i]->type != LS_VAL_STRING)
				rc = ls_error_set(LS_EFORMAT,
				    "object keys must be strings");
			if (rc == 0)
				rc = ls_buf_adds(b, ": ");
			if (rc == 0)
				rc =
				    json_pretty(b, v->u.obj.v[i], j, depth + 1);
		}
		if (rc == 0)
			rc = newline(b, j, depth);
		return rc ? rc : ls_buf_addc(b, '}');
	}
	el = bi_elems(v, &n);
	rc = ls_buf_addc(b, '[');
	for (i = 0; i < n && rc == 0; i++) {
		if (i > 0)
			rc = ls_buf_addc(b, ',');
		if (rc == 0)
			rc = newline(b, j, depth + 1);
		if (rc == 0)
			rc = json_pretty(b, el[i], j, depth + 1);
	}
	if (rc == 0)
		rc = newline(b, j, depth);
	return rc ? rc : ls_buf_addc(b, ']');
}

/* json.marshal_with_options(x, {"pretty", "indent", "prefix"}). */
int
ls_bi_json_marshal_opts(BI_ARGS)
{
	struct jindent j = { "", "\t", 0, 1 };
	const struct ls_val *o = args[1];
	int pretty = 0, explicit = 0, implicit = 0, rc;
	struct ls_buf b;
	size_t i;

	(void)nargs;
	if ((rc = bi_arg_type(ctx, args, 1, LS_VAL_OBJECT, "object")) != 0)
		return rc;
	for (i = 0; i < o->u.obj.n; i++) {
		const struct ls_val *k = o->u.obj.k[i], *v = o->u.obj.v[i];
		if (ls_val_is_string(k, "pretty") && v->type == LS_VAL_BOOL) {
			pretty = v->u.b;
			explicit = 1;
		} else if ((ls_val_is_string(k, "indent") ||
			       ls_val_is_string(k, "prefix")) &&
		    v->type == LS_VAL_STRING) {
			if (ls_val_is_string(k, "indent"))
				j.indent = v->u.str.p, j.ilen = v->u.str.len;
			else
				j.prefix = v->u.str.p, j.plen = v->u.str.len;
			implicit = 1;
		} else if (ls_val_is_string(k, "pretty") ||
		    ls_val_is_string(k, "indent") ||
		    ls_val_is_string(k, "prefix")) {
			snprintf(ctx->msg, sizeof ctx->msg,
			    "%s: operand 2 %s must "
			    "be a %s",
			    ctx->name, k->u.str.p,
			    ls_val_is_string(k, "pretty") ? "boolean"
							  : "string");
			return LS_BI_ETYPE;
		} else {
			struct ls_buf kb;
			ls_buf_init(&kb, 256);
			ls_val_to_rego(&kb, k);
			snprintf(ctx->msg, sizeof ctx->msg,
			    "%s: operand 2 object "
			    "contained unknown key %s",
			    ctx->name, kb.data ? kb.data : "");
			ls_buf_cleanup(&kb);
			return LS_BI_ETYPE;
		}
	}
	if (!explicit)
		pretty = implicit;
	if (!pretty)
		return ls_bi_json_marshal(ctx, args, 1, out);
	ls_buf_init(&b, BI_MAX_STRING);
	if ((rc = ls_buf_add(&b, j.prefix, j.plen)) != 0 ||
	    (rc = json_pretty(&b, args[0], &j, 0)) != 0) {
		ls_buf_cleanup(&b);
		return bi_fail(ctx, rc);
	}
	return bi_ret_buf(ctx, out, &b);
}
