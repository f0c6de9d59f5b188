/*
 * jwt.c - io.jwt.decode, decode_verify, verify_* and encode_sign*,
 * with OPA's checks, results and error messages (topdown/tokens.go).
 * Keys and signature algorithms are in jwk.c.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "lockstep/error.h"
#include "rego/builtins/crypto.h"

#define JWT_MAX_NEST 8	  /* nested (cty: JWT) tokens followed */
#define JWT_JSON_DEPTH 64 /* nesting cap for header and payload */

struct jwt {
	const char *h, *p, *s; /* the three base64url sections */
	size_t hl, pl, sl;
	const struct ls_val *header; /* decoded header object */
};

/* OPA's decodeJWT: three dot-separated sections. */
static int
jwt_split(struct jwt *t, const char *s, size_t len)
{
	const char *d1, *d2;
	size_t dots = 0, i;

	memset(t, 0, sizeof *t);
	for (i = 0; i < len; i++)
		dots += s[i] == '.';
	if (dots == 0)
		return ls_error_set(LS_EFORMAT,
		    "encoded JWT had no period "
		    "separators");
	if (dots != 2)
		return ls_error_set(LS_EFORMAT,
		    "encoded JWT must have 3 "
		    "sections, found %zu",
		    dots + 1);
	d1 = memchr(s, '.', len);
	d2 = memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - s));
	t->h = s;
	t->hl = (size_t)(d1 - s);
	t->p = d1 + 1;
	t->pl = (size_t)(d2 - t->p);
	t->s = d2 + 1;
	t->sl = len - (size_t)(t->s - s);
	return 0;
}

/*
 * Go's json.Unmarshal keeps the last of duplicate object keys, and OPA
 * relies on it for JWT headers and claims; our parser rejects them.  When
 * it does, jansson (which keeps the last one) re-reads the text and its
 * canonical output is parsed instead.  Only that fallback goes through
 * jansson, so numbers keep their full precision everywhere else.
 */
static int
json_last_wins(const struct ls_val **out, struct ls_arena *a, const char *s,
    size_t len)
{
	json_error_t jerr;
	json_t *root = json_loadb(s, len, JSON_DECODE_ANY, &jerr);
	char *text;
	int rc;

	if (root == NULL)
		return LS_EFORMAT;
	text = json_dumps(root, JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(root);
	if (text == NULL)
		return LS_ENOMEM;
	rc = ls_val_from_json(out, a, text, strlen(text), JWT_JSON_DEPTH);
	free(text);
	return rc;
}

/* A JSON object from text: "invalid JSON: ..." or not an Object. */
static int
jwt_object(const struct ls_val **out, struct ls_arena *a, const char *s,
    size_t len)
{
	int rc = ls_val_from_json(out, a, s, len, JWT_JSON_DEPTH);

	if (rc == LS_EFORMAT &&
	    strstr(ls_error_last(),
		"duplicate object "
		"key") != NULL &&
	    len <= BI_CRYPTO_MAX_INPUT && json_last_wins(out, a, s, len) == 0)
		rc = 0;

	if (rc == LS_ENOMEM)
		return rc;
	if (rc != 0)
		return ls_error_set(LS_EFORMAT, "invalid JSON: %s",
		    ls_error_last());
	if ((*out)->type != LS_VAL_OBJECT)
		return ls_error_set(LS_EFORMAT,
		    "decoded JSON type was not an "
		    "Object");
	return 0;
}

static int
jwt_header(struct jwt *t, struct ls_arena *a)
{
	struct ls_buf b;
	int rc;

	ls_buf_init(&b, BI_CRYPTO_MAX_INPUT);
	if ((rc = bi_b64url_decode_lax(&b, t->h, t->hl)) != 0) {
		rc = ls_error_set(rc, "JWT header had invalid encoding: %s",
		    ls_error_last());
	} else if ((rc = jwt_object(&t->header, a, b.data ? b.data : "",
			b.len)) != 0) {
		if (rc != LS_ENOMEM)
			rc = ls_error_set(rc, "bad JWT header: %s",
			    ls_error_last());
	} else if (ls_val_object_gets(t->header, "enc", 3) != NULL) {
		rc = ls_error_set(LS_EFORMAT,
		    "JWT is a JWE object, which is "
		    "not supported");
	}
	ls_buf_cleanup(&b);
	return rc;
}

/* Decoded section into b; what names the section in the error. */
static int
jwt_section(struct ls_buf *b, const char *s, size_t len, const char *what)
{
	int rc = bi_b64url_decode_lax(b, s, len);

	if (rc != 0 && what != NULL)
		return ls_error_set(rc, "JWT %s had invalid encoding: %s", what,
		    ls_error_last());
	return rc;
}

/* ---- io.jwt.decode ---- */

static int
jwt_decode(struct ls_bi_ctx *ctx, const struct ls_val **out, const char *s,
    size_t len, int depth)
{
	const struct ls_val *items[3], *payload, *cty;
	struct ls_buf p, sig, hex;
	struct jwt t;
	size_t i, a = 0, e;
	int rc;

	if (depth > JWT_MAX_NEST)
		return ls_error_set(LS_ETOOBIG, "nested JWT too deep");
	if ((rc = jwt_split(&t, s, len)) != 0 ||
	    (rc = jwt_header(&t, ctx->arena)) != 0)
		return rc;
	ls_buf_init(&p, BI_CRYPTO_MAX_INPUT);
	ls_buf_init(&sig, BI_CRYPTO_MAX_INPUT);
	ls_buf_init(&hex, 2 * BI_CRYPTO_MAX_INPUT + 1);
	if ((rc = jwt_section(&p, t.p, t.pl, "payload")) != 0)
		goto out;
	cty = ls_val_object_gets(t.header, "cty", 3);
	if (cty != NULL && ls_val_is_string(cty, "JWT")) {
		/* nested token, quoted as jwt.io does: trim " and ' */
		e = p.len;
		while (a < e && (p.data[a] == '"' || p.data[a] == '\''))
			a++;
		while (e > a && (p.data[e - 1] == '"' || p.data[e - 1] == '\''))
			e--;
		rc = jwt_decode(ctx, out, p.data + a, e - a, depth + 1);
		goto out;
	}
	if ((rc = jwt_object(&payload, ctx->arena, p.data ? p.data : "",
		 p.len)) != 0 ||
	    (rc = jwt_section(&sig, t.s, t.sl, "signature")) != 0)
		goto out;
	for (i = 0; i < sig.len && rc == 0; i++)
		rc = ls_buf_addf(&hex, "%02x", (unsigned char)sig.data[i]);
	items[0] = t.header;
	items[1] = payload;
	items[2] = ls_val_string(ctx->arena, hex.data ? hex.data : "", hex.len);
	if (rc == 0 &&
	    (items[2] == NULL ||
		(*out = ls_val_array(ctx->arena, items, 3)) == NULL))
		rc = LS_ENOMEM;
out:
	ls_buf_cleanup(&p);
	ls_buf_cleanup(&sig);
	ls_buf_cleanup(&hex);
	return rc;
}

int
ls_bi_jwt_decode(BI_ARGS)
{
	const char *s;
	size_t sl;
	int rc;

	(void)nargs;
	if ((rc = bi_arg_str(ctx, args, 0, &s, &sl)) != 0)
		return rc;
	if ((rc = jwt_decode(ctx, out, s, sl, 0)) != 0)
		return bi_fail(ctx, rc);
	return LS_BI_OK;
}

/* ---- io.jwt.verify_* ---- */

/* OPA's parseTokenHeader: the fields it knows, checked for type. */
struct jwt_hdr {
	char alg[16], kid[128], cty[16];
	int has_alg, bad_crit;
};

static int
hdr_string(char *dst, size_t cap, const struct ls_val *v, const char *name)
{
	size_t n;

	if (v->type != LS_VAL_STRING)
		return ls_error_set(LS_EFORMAT, "%s: must be a string", name);
	n = v->u.str.len < cap - 1 ? v->u.str.len : cap - 1;
	memcpy(dst, v->u.str.p, n);
	dst[n] = '\0';
	return 0;
}

static int
jwt_hdr_parse(struct jwt_hdr *h, const struct ls_val *hdr)
{
	const struct ls_val *crit = ls_val_object_gets(hdr, "crit", 4), *v;
	size_t i, j;
	int rc = 0;

	memset(h, 0, sizeof *h);
	if ((v = ls_val_object_gets(hdr, "alg", 3)) != NULL &&
	    (rc = hdr_string(h->alg, sizeof h->alg, v, "alg")) != 0)
		return rc;
	h->has_alg = v != NULL && v->u.str.len > 0;
	if ((v = ls_val_object_gets(hdr, "kid", 3)) != NULL &&
	    (rc = hdr_string(h->kid, sizeof h->kid, v, "kid")) != 0)
		return rc;
	if ((v = ls_val_object_gets(hdr, "cty", 3)) != NULL &&
	    (rc = hdr_string(h->cty, sizeof h->cty, v, "cty")) != 0)
		return rc;
	if ((v = ls_val_object_gets(hdr, "typ", 3)) != NULL &&
	    v->type != LS_VAL_STRING)
		return ls_error_set(LS_EFORMAT, "typ: must be a string");
	if (crit == NULL)
		return 0;
	if (crit->type != LS_VAL_ARRAY)
		return ls_error_set(LS_EFORMAT, "crit: must be a list");
	if (crit->u.arr.n == 0)
		return ls_error_set(LS_EFORMAT,
		    "crit: must be a nonempty "
		    "list");
	/* a critical parameter we do not know makes the token invalid */
	for (i = 0; i < crit->u.arr.n; i++) {
		static const char *known[] = { "alg", "kid", "typ", "cty",
			"crit" };
		const struct ls_val *c = crit->u.arr.v[i];
		int ok = 0;

		if (c->type != LS_VAL_STRING)
			continue;
		for (j = 0; j < 5; j++)
			ok |= ls_val_is_string(c, known[j]);
		if (!ok && ls_val_object_get(hdr, c) != NULL)
			h->bad_crit = 1;
	}
	return 0;
}

/* Keys tried as OPA tries them: a kid match alone, else every key whose
 * alg (if any) matches.  1 verified, 0 not, <0 error. */
static int
verify_keys(const char *alg, const struct jwt_hdr *h,
    const struct bi_jkey *keys, size_t n, const char *msg, size_t mlen,
    const struct ls_buf *sig)
{
	size_t i;
	int rc;

	if (h->kid[0] != '\0')
		for (i = 0; i < n; i++)
			if (strcmp(keys[i].kid, h->kid) == 0) {
				rc = bi_jws_verify(alg, &keys[i], msg, mlen,
				    sig->data, sig->len);
				return rc == 1;
			}
	for (i = 0; i < n; i++) {
		if (keys[i].alg[0] != '\0' && strcmp(keys[i].alg, h->alg) != 0)
			continue;
		if (bi_jws_verify(alg, &keys[i], msg, mlen, sig->data,
			sig->len) == 1)
			return 1;
	}
	return 0;
}

static int
jwt_verify_pub(BI_ARGS, const char *alg)
{
	struct bi_jkey *keys = NULL;
	struct ls_buf sig;
	struct jwt_hdr h;
	struct jwt t;
	const char *s, *c;
	size_t sl, cl, n = 0;
	int rc;

	(void)nargs;
	if ((rc = bi_arg_str(ctx, args, 0, &s, &sl)) != 0)
		return rc;
	if ((rc = jwt_split(&t, s, sl)) != 0)
		return bi_fail(ctx, rc);
	if ((rc = bi_arg_str(ctx, args, 1, &c, &cl)) != 0)
		return rc;
	ls_buf_init(&sig, BI_CRYPTO_MAX_INPUT);
	if ((rc = bi_jkeys_from_cert_or_jwk(&keys, &n, ctx->arena, c, cl)) !=
		0 ||
	    (rc = jwt_section(&sig, t.s, t.sl, NULL)) != 0 ||
	    (rc = jwt_header(&t, ctx->arena)) != 0 ||
	    (rc = jwt_hdr_parse(&h, t.header)) != 0) {
		rc = bi_fail(ctx, rc);
		goto out;
	}
	rc = bi_ret(out,
	    ls_val_bool(
		verify_keys(alg, &h, keys, n, s, t.hl + 1 + t.pl, &sig) == 1));
out:
	bi_jkeys_free(keys, n);
	ls_buf_cleanup(&sig);
	return rc;
}

static int
jwt_verify_hmac(BI_ARGS, const char *alg)
{
	struct bi_jkey key = { .kty = BI_KTY_OCT };
	struct ls_buf sig;
	struct jwt t;
	const char *s, *k;
	size_t sl, kl;
	int rc;

	(void)nargs;
	if ((rc = bi_arg_str(ctx, args, 0, &s, &sl)) != 0)
		return rc;
	if ((rc = jwt_split(&t, s, sl)) != 0)
		return bi_fail(ctx, rc);
	if ((rc = bi_arg_str(ctx, args, 1, &k, &kl)) != 0)
		return rc;
	ls_buf_init(&sig, BI_CRYPTO_MAX_INPUT);
	if ((rc = jwt_section(&sig, t.s, t.sl, NULL)) != 0) {
		ls_buf_cleanup(&sig);
		return bi_fail(ctx, rc);
	}
	key.secret = (unsigned char *)(uintptr_t)k;
	key.secret_len = kl;
	rc = bi_jws_verify(alg, &key, s, t.hl + 1 + t.pl, sig.data, sig.len);
	ls_buf_cleanup(&sig);
	if (rc < 0)
		return bi_fail(ctx, rc);
	return bi_ret(out, ls_val_bool(rc == 1));
}

#define VERIFY(fn, kind, alg)                                                  \
	int fn(BI_ARGS)                                                        \
	{                                                                      \
		return kind(ctx, args, nargs, out, alg);                       \
	}
VERIFY(ls_bi_jwt_verify_rs256, jwt_verify_pub, "RS256")
VERIFY(ls_bi_jwt_verify_rs384, jwt_verify_pub, "RS384")
VERIFY(ls_bi_jwt_verify_rs512, jwt_verify_pub, "RS512")
VERIFY(ls_bi_jwt_verify_ps256, jwt_verify_pub, "PS256")
VERIFY(ls_bi_jwt_verify_ps384, jwt_verify_pub, "PS384")
VERIFY(ls_bi_jwt_verify_ps512, jwt_verify_pub, "PS512")
VERIFY(ls_bi_jwt_verify_es256, jwt_verify_pub, "ES256")
VERIFY(ls_bi_jwt_verify_es384, jwt_verify_pub, "ES384")
VERIFY(ls_bi_jwt_verify_es512, jwt_verify_pub, "ES512")
VERIFY(ls_bi_jwt_verify_eddsa, jwt_verify_pub, "EdDSA")
VERIFY(ls_bi_jwt_verify_hs256, jwt_verify_hmac, "HS256")
VERIFY(ls_bi_jwt_verify_hs384, jwt_verify_hmac, "HS384")
VERIFY(ls_bi_jwt_verify_hs512, jwt_verify_hmac, "HS512")
#undef VERIFY

/* ---- io.jwt.decode_verify ---- */

struct constraints {
	struct bi_jkey *keys; /* from "cert"; owned */
	size_t nkeys;
	const struct ls_val *secret, *alg, *iss, *aud; /* strings or NULL */
	double time; /* seconds since the epoch */
};

static int
constraint_str(const struct ls_val **dst, const struct ls_val *v,
    const char *name)
{
	if (v->type != LS_VAL_STRING)
		return ls_error_set(LS_EFORMAT,
		    "%s constraint: must be a "
		    "string",
		    name);
	*dst = v;
	return 0;
}

static int
constraint_one(struct constraints *c, struct ls_arena *a,
    const struct ls_val *k, const struct ls_val *v, int *have_time)
{
	const char *name = k->type == LS_VAL_STRING ? k->u.str.p : "?";

	if (ls_val_is_string(k, "cert")) {
		if (v->type != LS_VAL_STRING)
			return ls_error_set(LS_EFORMAT,
			    "cert constraint: must "
			    "be a string");
		return bi_jkeys_from_cert_or_jwk(&c->keys, &c->nkeys, a,
		    v->u.str.p, v->u.str.len);
	}
	if (ls_val_is_string(k, "secret"))
		return constraint_str(&c->secret, v, "secret");
	if (ls_val_is_string(k, "alg"))
		return constraint_str(&c->alg, v, "alg");
	if (ls_val_is_string(k, "iss"))
		return constraint_str(&c->iss, v, "iss");
	if (ls_val_is_string(k, "aud"))
		return constraint_str(&c->aud, v, "aud");
	if (ls_val_is_string(k, "time")) {
		if (v->type != LS_VAL_NUMBER)
			return ls_error_set(LS_EFORMAT,
			    "token time "
			    "constraint: must be a number");
		c->time = ls_num_to_double(&v->u.num) / 1e9;
		if (c->time < 0)
			return ls_error_set(LS_EFORMAT,
			    "token time "
			    "constraint: must not be negative");
		*have_time = 1;
		return 0;
	}
	return ls_error_set(LS_EFORMAT,
	    "unknown token validation "
	    "constraint: %s",
	    name);
}

static int
constraints_parse(struct constraints *c, struct ls_bi_ctx *ctx,
    const struct ls_val *o)
{
	size_t i, nk;
	int rc, have_time = 0;

	memset(c, 0, sizeof *c);
	for (i = 0; i < o->u.obj.n; i++)
		if ((rc = constraint_one(c, ctx->arena, o->u.obj.k[i],
			 o->u.obj.v[i], &have_time)) != 0)
			return rc;
	if (!have_time)
		c->time = (double)ctx->now_ns / 1e9;
	nk = (c->keys != NULL) + (c->secret != NULL && c->secret->u.str.len);
	if (nk > 1)
		return ls_error_set(LS_EFORMAT, "duplicate key constraints");
	if (nk < 1)
		return ls_error_set(LS_EFORMAT, "no key constraint");
	return 0;
}

/* 1 verified, 0 not, <0 error. */
static int
constraints_verify(const struct constraints *c, const struct jwt_hdr *h,
    const char *msg, size_t mlen, const struct ls_buf *sig)
{
	struct bi_jkey key = { .kty = BI_KTY_OCT };
	int rc;

	if (bi_jws_hash(h->alg) == NULL)
		return ls_error_set(LS_EFORMAT, "unknown JWS algorithm: %s",
		    h->alg);
	if (c->keys != NULL)
		return verify_keys(h->alg, h, c->keys, c->nkeys, msg, mlen,
		    sig);
	if (c->secret == NULL)
		return ls_error_set(LS_EFORMAT, "no key constraint");
	key.secret = (unsigned char *)(uintptr_t)c->secret->u.str.p;
	key.secret_len = c->secret->u.str.len;
	rc = bi_jws_verify(h->alg, &key, msg, mlen, sig->data, sig->len);
	if (rc < 0 && h->alg[0] != 'H')
		return ls_error_set(LS_EFORMAT, "incorrect public key type");
	return rc;
}

/* OPA's validAudience. */
static int
aud_ok(const struct constraints *c, const struct ls_val *aud)
{
	size_t i;

	if (aud->type == LS_VAL_STRING)
		return c->aud != NULL && ls_val_equal(aud, c->aud);
	if (aud->type != LS_VAL_ARRAY || c->aud == NULL)
		return aud->type == LS_VAL_ARRAY && c->aud == NULL ? 0 : 0;
	for (i = 0; i < aud->u.arr.n; i++)
		if (ls_val_equal(aud->u.arr.v[i], c->aud))
			return 1;
	return 0;
}

/* Registered claims against the constraints: 1 valid, 0 not, <0 error. */
static int
claims_ok(const struct constraints *c, const struct ls_val *payload)
{
	const struct ls_val *iss = ls_val_object_gets(payload, "iss", 3);
	const struct ls_val *aud = ls_val_object_gets(payload, "aud", 3);
	const struct ls_val *exp = ls_val_object_gets(payload, "exp", 3);
	const struct ls_val *nbf = ls_val_object_gets(payload, "nbf", 3);

	if (c->iss != NULL && (iss == NULL || !ls_val_equal(iss, c->iss)))
		return 0;
	if (aud != NULL ? !aud_ok(c, aud)
			: (c->aud != NULL && c->aud->u.str.len > 0))
		return 0;
	if (exp != NULL) {
		if (exp->type != LS_VAL_NUMBER)
			return ls_error_set(LS_EFORMAT,
			    "exp value must be a "
			    "number");
		if (c->time >= ls_num_to_double(&exp->u.num))
			return 0;
	}
	if (nbf != NULL) {
		if (nbf->type != LS_VAL_NUMBER)
			return ls_error_set(LS_EFORMAT,
			    "nbf value must be a "
			    "number");
		if (c->time < ls_num_to_double(&nbf->u.num))
			return 0;
	}
	return 1;
}

/* The token loop of decode_verify: *payload set when verified. */
static int
decode_verify(struct ls_bi_ctx *ctx, const struct constraints *c, const char *s,
    size_t sl, const struct ls_val **hdr, const struct ls_val **payload)
{
	struct ls_buf sig, p;
	struct jwt_hdr h;
	struct jwt t;
	int rc = 0, depth;
	char *tok = NULL;

	ls_buf_init(&sig, BI_CRYPTO_MAX_INPUT);
	ls_buf_init(&p, BI_CRYPTO_MAX_INPUT);
	for (depth = 0; rc == 0; depth++) {
		if (depth > JWT_MAX_NEST) {
			rc = ls_error_set(LS_ETOOBIG, "nested JWT too deep");
			break;
		}
		ls_buf_reset(&sig);
		if ((rc = jwt_split(&t, s, sl)) != 0 ||
		    (rc = jwt_header(&t, ctx->arena)) != 0 ||
		    (rc = jwt_hdr_parse(&h, t.header)) != 0)
			break;
		if (!h.has_alg || h.bad_crit ||
		    (c->alg != NULL && !ls_val_is_string(c->alg, h.alg)))
			break;
		if ((rc = jwt_section(&sig, t.s, t.sl, NULL)) != 0 ||
		    (rc = constraints_verify(c, &h, s, t.hl + 1 + t.pl,
			 &sig)) != 1)
			break;
		ls_buf_reset(&p);
		if ((rc = jwt_section(&p, t.p, t.pl, "payload")) != 0)
			break;
		*hdr = t.header;
		if (strcasecmp(h.cty, "JWT") != 0) {
			rc = jwt_object(payload, ctx->arena,
			    p.data ? p.data : "", p.len);
			break;
		}
		/* nested: the payload is the next token */
		tok = ls_arena_strndup(ctx->arena, p.data ? p.data : "", p.len);
		if (tok == NULL) {
			rc = LS_ENOMEM;
			break;
		}
		s = tok;
		sl = p.len;
	}
	ls_buf_cleanup(&sig);
	ls_buf_cleanup(&p);
	return rc;
}

int
ls_bi_jwt_decode_verify(BI_ARGS)
{
	const struct ls_val *hdr = NULL, *payload = NULL, *items[3];
	struct constraints c;
	const char *s;
	size_t sl;
	int rc;

	(void)nargs;
	if ((rc = bi_arg_str(ctx, args, 0, &s, &sl)) != 0 ||
	    (rc = bi_arg_type(ctx, args, 1, LS_VAL_OBJECT, "object")) != 0)
		return rc;
	if ((rc = constraints_parse(&c, ctx, args[1])) != 0 ||
	    (rc = decode_verify(ctx, &c, s, sl, &hdr, &payload)) != 0)
		goto out;
	if (payload != NULL && (rc = claims_ok(&c, payload)) < 0)
		goto out;
	if (payload == NULL || rc == 0) {
		items[0] = ls_val_bool(0);
		items[1] = ls_val_empty_object();
		items[2] = ls_val_empty_object();
	} else {
		items[0] = ls_val_bool(1);
		items[1] = hdr;
		items[2] = payload;
	}
	bi_jkeys_free(c.keys, c.nkeys);
	return bi_ret(out, ls_val_array(ctx->arena, items, 3));
out:
	bi_jkeys_free(c.keys, c.nkeys);
	return bi_fail(ctx, rc);
}

/* ---- io.jwt.encode_sign ---- */

/* OPA 1.x (jwx v3) reads the header's alg first, in these words. */
#define ALG_NOT_FOUND                                                          \
	"missing or invalid 'alg' header: jwsbb: header \"alg\" not found"

static int
header_json_error(const char *s, size_t len)
{
	size_t i = 0;

	while (i < len &&
	    (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
		i++;
	if (i == len)
		return ls_error_set(LS_EFORMAT,
		    "missing or invalid 'alg' header: cannot parse JSON: "
		    "cannot parse empty string");
	if (s[i] == '{')
		return ls_error_set(LS_EFORMAT,
		    "missing or invalid 'alg' header: cannot parse JSON");
	return ls_error_set(LS_EFORMAT, "%s", ALG_NOT_FOUND);
}

static int
has_alg(const struct ls_val *hdr)
{
	const struct ls_val *a = ls_val_object_gets(hdr, "alg", 3);

	return a != NULL && !(a->type == LS_VAL_STRING && a->u.str.len == 0);
}

/* The header's alg as jws.StandardHeaders reads it. */
static int
header_alg(char alg[16], const struct ls_val *hdr, int *is_jwt)
{
	const struct ls_val *a = ls_val_object_gets(hdr, "alg", 3);
	const struct ls_val *typ = ls_val_object_gets(hdr, "typ", 3);

	alg[0] = '\0';
	if (typ != NULL && typ->type != LS_VAL_STRING)
		return ls_error_set(LS_EFORMAT,
		    "json: cannot unmarshal typ "
		    "into a string");
	*is_jwt =
	    typ == NULL || typ->u.str.len == 0 || ls_val_is_string(typ, "JWT");
	if (a == NULL || (a->type == LS_VAL_STRING && a->u.str.len == 0))
		return 0;
	if (a->type != LS_VAL_STRING || a->u.str.len >= 16 ||
	    bi_jws_hash(a->u.str.p) == NULL)
		return ls_error_set(LS_EFORMAT, "unknown JWS algorithm: %s",
		    a->type == LS_VAL_STRING ? a->u.str.p : "");
	memcpy(alg, a->u.str.p, a->u.str.len + 1);
	return 0;
}

static int
encode_sign(struct ls_bi_ctx *ctx, const struct ls_val **out, const char *hs,
    size_t hl, const char *ps, size_t pl, const char *ks, size_t kl)
{
	const struct ls_val *hdr = NULL, *pv = NULL;
	struct bi_jkey *keys = NULL;
	struct ls_buf b, sig;
	char alg[16];
	size_t n = 0;
	int rc, is_jwt = 1;

	ls_buf_init(&b, 4 * BI_CRYPTO_MAX_INPUT);
	ls_buf_init(&sig, BI_CRYPTO_MAX_INPUT);
	if ((rc = bi_jwk_parse(&keys, &n, ctx->arena, ks, kl)) != 0)
		goto out;
	if ((rc = ls_val_from_json(&hdr, ctx->arena, hs, hl, JWT_JSON_DEPTH)) !=
	    0) {
		rc = rc == LS_ENOMEM ? rc : header_json_error(hs, hl);
		goto out;
	}
	if (hdr->type != LS_VAL_OBJECT || !has_alg(hdr)) {
		rc = ls_error_set(LS_EFORMAT, "%s", ALG_NOT_FOUND);
		goto out;
	}
	if ((rc = header_alg(alg, hdr, &is_jwt)) != 0)
		goto out;
	if (is_jwt &&
	    ls_val_from_json(&pv, ctx->arena, ps, pl, JWT_JSON_DEPTH) != 0) {
		rc = ls_error_set(LS_EFORMAT,
		    "type is JWT but payload is not "
		    "JSON");
		goto out;
	}
	if ((rc = bi_b64_encode(&b, hs, hl, 1, 0)) != 0 ||
	    (rc = ls_buf_addc(&b, '.')) != 0 ||
	    (rc = bi_b64_encode(&b, ps, pl, 1, 0)) != 0)
		goto out;
	if (alg[0] == '\0') {
		rc = ls_error_set(LS_EFORMAT,
		    "failed to create signer: "
		    "unsupported signature algorithm");
		goto out;
	}
	if ((rc = bi_jws_sign(&sig, alg, &keys[0], b.data, b.len)) != 0 ||
	    (rc = ls_buf_addc(&b, '.')) != 0 ||
	    (rc = bi_b64_encode(&b, sig.data, sig.len, 1, 0)) != 0)
		goto out;
out:
	bi_jkeys_free(keys, n);
	ls_buf_cleanup(&sig);
	if (rc != 0) {
		ls_buf_cleanup(&b);
		return bi_fail(ctx, rc);
	}
	return bi_ret_buf(ctx, out, &b);
}

int
ls_bi_jwt_encode_sign_raw(BI_ARGS)
{
	const char *h, *p, *k;
	size_t hl, pl, kl;
	int rc;

	(void)nargs;
	if ((rc = bi_arg_str(ctx, args, 2, &k, &kl)) != 0 ||
	    (rc = bi_arg_str(ctx, args, 0, &h, &hl)) != 0 ||
	    (rc = bi_arg_str(ctx, args, 1, &p, &pl)) != 0)
		return rc;
	return encode_sign(ctx, out, h, hl, p, pl, k, kl);
}

int
ls_bi_jwt_encode_sign(BI_ARGS)
{
	struct ls_buf t[3];
	int i, rc = 0;

	(void)nargs;
	/* OPA 1.x signs the operands' compact JSON (0.x: their Rego text) */
	for (i = 0; i < 3; i++) {
		ls_buf_init(&t[i], BI_CRYPTO_MAX_INPUT);
		if (rc == 0 &&
		    (ctx->v0 ? ls_val_to_rego(&t[i], args[i])
			     : ls_val_to_json(&t[i], args[i])) != 0)
			rc = ls_bi_error(ctx, "operand %d too large", i + 1);
	}
	if (rc == 0)
		rc = encode_sign(ctx, out, t[0].data ? t[0].data : "", t[0].len,
		    t[1].data ? t[1].data : "", t[1].len,
		    t[2].data ? t[2].data : "", t[2].len);
	for (i = 0; i < 3; i++)
		ls_buf_cleanup(&t[i]);
	return rc;
}
