/*
 * aws.c - providers.aws.sign_req: AWS Signature Version 4 over a
 * request object as http.send takes it, computed as OPA computes it
 * (internal/providers/aws): the method as given, Go's escaped path and
 * raw query, host / x-amz-date / x-amz-content-sha256 (s3, glacier) /
 * x-amz-security-token signed with the request's own headers.  Signs
 * only; nothing is sent.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "lockstep/error.h"
#include "rego/builtins/crypto.h"

#define MAX_HEADERS 64

static int
operand_err(struct ls_bi_ctx *ctx, int n, const char *what, const char *set)
{
	snprintf(ctx->msg, sizeof ctx->msg, "%s: operand %d %s: %s", ctx->name,
	    n, what, set);
	return LS_BI_ETYPE;
}

/* Keys of names[] that are missing (want 0) or not strings (want 1) in
 * o, as Rego set text: {"a", "b"}; 0 when none. */
static size_t
bad_keys(char *out, size_t cap, const struct ls_val *o,
    const char *const *names, size_t n, int types)
{
	size_t i, bad = 0, len = 1;

	snprintf(out, cap, "{");
	for (i = 0; i < n; i++) {
		const struct ls_val *v =
		    ls_val_object_gets(o, names[i], strlen(names[i]));
		if (types ? (v == NULL || v->type == LS_VAL_STRING) : v != NULL)
			continue;
		len += (size_t)snprintf(out + len, len < cap ? cap - len : 0,
		    "%s\"%s\"", bad++ ? ", " : "", names[i]);
	}
	if (len < cap)
		snprintf(out + len, cap - len, "}");
	return bad;
}

static void
hexs(char *out, const unsigned char *p, size_t n)
{
	static const char hx[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hx[p[i] >> 4];
		out[2 * i + 1] = hx[p[i] & 15];
	}
	out[2 * n] = '\0';
}

static void
hmac(unsigned char out[32], const void *key, size_t klen, const char *msg)
{
	size_t n = 0;

	if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, klen,
		(const unsigned char *)msg, strlen(msg), out, 32, &n) == NULL)
		memset(out, 0, 32);
}

/* Host, escaped path and raw query of a URL as Go's url.Parse has them. */
static void
url_parts(struct ls_buf *host, struct ls_buf *path, struct ls_buf *query,
    const char *u, size_t len)
{
	static const char ok[] = "-_.~!$&'()*+,;=:@/";
	const char *s = memchr(u, ':', len), *end = u + len, *p;

	if (s != NULL && s + 2 < end && s[1] == '/' && s[2] == '/') {
		s += 3;
		for (p = s; p < end && *p != '/' && *p != '?' && *p != '#'; p++)
			;
		if (memchr(s, '@', (size_t)(p - s)) != NULL)
			s = (const char *)memchr(s, '@', (size_t)(p - s)) + 1;
		(void)ls_buf_add(host, s, (size_t)(p - s));
		s = p;
	} else {
		s = u;
	}
	for (p = s; p < end && *p != '?' && *p != '#'; p++) {
		unsigned char c = (unsigned char)*p;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || (c != '\0' && strchr(ok, c)) ||
		    c == '%')
			(void)ls_buf_addc(path, (char)c);
		else
			(void)ls_buf_addf(path, "%%%02X", c);
	}
	if (p < end && *p == '?') {
		const char *q = ++p;
		while (p < end && *p != '#')
			p++;
		(void)ls_buf_add(query, q, (size_t)(p - q));
	}
}

struct hdr {
	const char *k, *v;
	const char *signed_v; /* value signed when not v, or NULL */
};

static void
hdr_sort(struct hdr *h, size_t n)
{
	size_t i, j;

	for (i = 1; i < n; i++)
		for (j = i; j > 0 && strcmp(h[j - 1].k, h[j].k) > 0; j--) {
			struct hdr t = h[j];
			h[j] = h[j - 1];
			h[j - 1] = t;
		}
}

static const char *
cfg(const struct ls_val *o, const char *k)
{
	const struct ls_val *v = ls_val_object_gets(o, k, strlen(k));

	return v != NULL && v->type == LS_VAL_STRING ? v->u.str.p : "";
}

/* Body bytes: raw_body, else json.marshal(body), else empty. */
static int
body_bytes(struct ls_bi_ctx *ctx, const struct ls_val *req,
    const struct ls_val **out)
{
	const struct ls_val *raw = ls_val_object_gets(req, "raw_body", 8);
	const struct ls_val *body = ls_val_object_gets(req, "body", 4);

	if (raw != NULL) {
		*out = raw->type == LS_VAL_STRING ? raw : ls_val_empty_string();
		return 0;
	}
	if (body != NULL)
		return ls_bi_json_marshal(ctx, &body, 1, out);
	*out = ls_val_empty_string();
	return 0;
}

struct sig_in {
	const char *method, *url, *service, *region, *access, *secret, *token;
	size_t url_len;
	const struct ls_val *body, *headers;
	int64_t ns;
	int unsigned_payload; /* config disable_payload_signing */
};

/* Texts the signed headers point at. */
struct sig_text {
	char date[16];	    /* 20151228 */
	char stamp[24];	    /* 20151228T140825Z */
	char body_hash[65]; /* hex SHA-256 of the body */
};

/* The headers to sign: awsHeaders first (*naws of them), then the
 * request's own, lower-cased, minus those AWS ignores. */
static int
collect_headers(struct hdr *h, size_t *nh, size_t *naws,
    const struct sig_in *in, const struct sig_text *st, const char *host,
    struct ls_arena *a)
{
	const struct ls_val *hd = in->headers;
	size_t i, j, n = 0;
	char *lk;

	h[n++] = (struct hdr){ "host", host, NULL };
	h[n++] = (struct hdr){ "x-amz-date", st->stamp, NULL };
	if (strcmp(in->service, "s3") == 0 ||
	    strcmp(in->service, "glacier") == 0)
		h[n++] =
		    (struct hdr){ "x-amz-content-sha256", st->body_hash, NULL };
	if (*in->token != '\0')
		h[n++] =
		    (struct hdr){ "x-amz-security-token", in->token, NULL };
	*naws = n;
	for (i = 0; hd != NULL && i < hd->u.obj.n && n < MAX_HEADERS; i++) {
		const struct ls_val *hk = hd->u.obj.k[i], *hv = hd->u.obj.v[i];
		if (hk->type != LS_VAL_STRING ||
		    strcasecmp(hk->u.str.p, "authorization") == 0 ||
		    strcasecmp(hk->u.str.p, "user-agent") == 0 ||
		    strcasecmp(hk->u.str.p, "x-amzn-trace-id") == 0)
			continue;
		if ((lk = ls_arena_strndup(a, hk->u.str.p, hk->u.str.len)) ==
		    NULL)
			return LS_ENOMEM;
		for (j = 0; lk[j] != '\0'; j++)
			lk[j] = (char)tolower((unsigned char)lk[j]);
		for (j = 0; j < *naws && strcmp(h[j].k, lk) != 0; j++)
			;
		if (j < *naws) { /* as in OPA, the request's value is signed */
			h[j].signed_v =
			    hv->type == LS_VAL_STRING ? hv->u.str.p : "";
			continue;
		}
		h[n++] = (struct hdr){ lk,
			hv->type == LS_VAL_STRING ? hv->u.str.p : "", NULL };
	}
	*nh = n;
	return 0;
}

/* String to sign from the canonical request, signed with the key derived
 * from the secret; the Authorization header text appended to auth. */
static int
authorize(struct ls_buf *auth, const struct sig_in *in,
    const struct sig_text *st, const struct ls_buf *canon,
    const struct hdr *sorted, size_t n)
{
	unsigned char md[32], k[32];
	struct ls_buf sts, kb;
	char hex[65];
	size_t i;
	int rc = 0;

	EVP_Digest(canon->data, canon->len, md, NULL, EVP_sha256(), NULL);
	hexs(hex, md, 32);
	ls_buf_init(&sts, BI_MAX_STRING);
	ls_buf_init(&kb, BI_MAX_STRING);
	rc |= ls_buf_addf(&sts,
	    "AWS4-HMAC-SHA256\n%s\n%s/%s/%s/aws4_request\n"
	    "%s",
	    st->stamp, st->date, in->region, in->service, hex);
	rc |= ls_buf_addf(&kb, "AWS4%s", in->secret);
	hmac(k, kb.data, kb.len, st->date);
	hmac(k, k, 32, in->region);
	hmac(k, k, 32, in->service);
	hmac(k, k, 32, "aws4_request");
	hmac(md, k, 32, sts.data ? sts.data : "");
	OPENSSL_cleanse(k, sizeof k);
	OPENSSL_cleanse(kb.data, kb.len);
	hexs(hex, md, 32);
	rc |= ls_buf_addf(auth,
	    "AWS4-HMAC-SHA256 Credential=%s/%s/%s/%s/"
	    "aws4_request,SignedHeaders=",
	    in->access, st->date, in->region, in->service);
	for (i = 0; i < n; i++)
		rc |= ls_buf_addf(auth, "%s%s", i ? ";" : "", sorted[i].k);
	rc |= ls_buf_addf(auth, ",Signature=%s", hex);
	ls_buf_cleanup(&sts);
	ls_buf_cleanup(&kb);
	return rc ? LS_ETOOBIG : 0;
}

/* Builds the canonical request and the signature: fills h[] (awsHeaders
 * first, *naws of them), st, host and the Authorization text in auth. */
static int
sign(struct ls_buf *auth, struct hdr *h, size_t *nh, size_t *naws,
    struct sig_text *st, const struct sig_in *in, struct ls_buf *host,
    struct ls_arena *a)
{
	struct hdr sorted[MAX_HEADERS];
	struct ls_buf canon, path, query;
	unsigned char md[32];
	time_t t = (time_t)(in->ns / 1000000000 - (in->ns % 1000000000 < 0));
	struct tm tm;
	size_t i;
	int rc;

	gmtime_r(&t, &tm);
	strftime(st->date, sizeof st->date, "%Y%m%d", &tm);
	strftime(st->stamp, sizeof st->stamp, "%Y%m%dT%H%M%SZ", &tm);
	EVP_Digest(in->body->u.str.p, in->body->u.str.len, md, NULL,
	    EVP_sha256(), NULL);
	hexs(st->body_hash, md, 32);
	if (in->unsigned_payload)
		snprintf(st->body_hash, sizeof st->body_hash,
		    "UNSIGNED-PAYLOAD");
	ls_buf_init(&path, BI_MAX_STRING);
	ls_buf_init(&query, BI_MAX_STRING);
	ls_buf_init(&canon, BI_MAX_STRING);
	url_parts(host, &path, &query, in->url, in->url_len);
	rc = collect_headers(h, nh, naws, in, st, host->data ? host->data : "",
	    a);
	if (rc == 0) {
		memcpy(sorted, h, *nh * sizeof *h);
		hdr_sort(sorted, *nh);
		rc |= ls_buf_addf(&canon, "%s\n%s\n%s\n", in->method,
		    path.data ? path.data : "", query.data ? query.data : "");
		for (i = 0; i < *nh; i++)
			rc |= ls_buf_addf(&canon, "%s:%s\n", sorted[i].k,
			    sorted[i].signed_v ? sorted[i].signed_v
					       : sorted[i].v);
		rc |= ls_buf_adds(&canon, "\n");
		for (i = 0; i < *nh; i++)
			rc |= ls_buf_addf(&canon, "%s%s", i ? ";" : "",
			    sorted[i].k);
		rc |= ls_buf_addf(&canon, "\n%s", st->body_hash);
		rc = rc ? LS_ETOOBIG
			: authorize(auth, in, st, &canon, sorted, *nh);
	}
	ls_buf_cleanup(&canon);
	ls_buf_cleanup(&path);
	ls_buf_cleanup(&query);
	return rc;
}

static int
payload_flag(struct ls_bi_ctx *ctx, const struct ls_val *conf, int *out)
{
	const struct ls_val *v =
	    ls_val_object_gets(conf, "disable_payload_signing", 23);

	*out = 0;
	if (v == NULL)
		return 0;
	if (v->type != LS_VAL_BOOL) {
		snprintf(ctx->msg, sizeof ctx->msg,
		    "%s: operand 2 invalid value for "
		    "'disable_payload_signing' in AWS config",
		    ctx->name);
		return LS_BI_ETYPE;
	}
	*out = v->u.b;
	return 0;
}

/* The request's own headers as given, then the signed AWS ones (and
 * Authorization) over any of the same name. */
static const struct ls_val *
out_headers(struct ls_arena *a, const struct ls_val *req_headers,
    const struct ls_val *const *hk, const struct ls_val *const *hv, size_t n)
{
	const struct ls_val *k[2 * MAX_HEADERS + 2], *v[2 * MAX_HEADERS + 2];
	size_t i, m = 0;

	for (i = 0;
	     req_headers != NULL && i < req_headers->u.obj.n && m < MAX_HEADERS;
	     i++) {
		k[m] = req_headers->u.obj.k[i];
		v[m++] = req_headers->u.obj.v[i];
	}
	for (i = 0; i < n && i <= MAX_HEADERS; i++) {
		k[m] = hk[i];
		v[m++] = hv[i];
	}
	return ls_val_object_last(a, k, v, m);
}

int
ls_bi_aws_sign_req(BI_ARGS)
{
	static const char *const cfg_keys[] = { "aws_access_key", "aws_region",
		"aws_secret_access_key", "aws_service" };
	static const char *const req_keys[] = { "method", "url" };
	const struct ls_val *req = args[0], *conf = args[1], *u, *m;
	const struct ls_val *hk[MAX_HEADERS + 1], *hv[MAX_HEADERS + 1];
	const struct ls_val *headers, *ko[64], *vo[64];
	struct hdr h[MAX_HEADERS];
	struct ls_buf auth, host;
	struct sig_in in;
	struct sig_text st;
	char set[256];
	size_t nh = 0, naws = 0, i, n = 0;
	const struct ls_num *ts = NULL;
	int ovf = 0, rc;

	(void)nargs;
	if ((rc = bi_arg_type(ctx, args, 0, LS_VAL_OBJECT, "object")) != 0 ||
	    (rc = bi_arg_type(ctx, args, 1, LS_VAL_OBJECT, "object")) != 0)
		return rc;
	if (bad_keys(set, sizeof set, conf, cfg_keys, 4, 0))
		return operand_err(ctx, 2,
		    "missing required AWS config "
		    "parameters(s)",
		    set);
	if (bad_keys(set, sizeof set, conf, cfg_keys, 4, 1))
		return operand_err(ctx, 2,
		    "invalid values for required AWS "
		    "config parameters(s)",
		    set);
	if ((rc = bi_arg_num(ctx, args, 2, &ts)) != 0)
		return rc;
	memset(&in, 0, sizeof in);
	in.ns = ls_num_to_int64(ts, &ovf);
	if (ovf || !ls_num_is_int(ts) || in.ns < 0) {
		snprintf(ctx->msg, sizeof ctx->msg,
		    "%s: operand 3 could not "
		    "convert time_ns value into a unix timestamp",
		    ctx->name);
		return LS_BI_ETYPE;
	}
	if (bad_keys(set, sizeof set, req, req_keys, 2, 0))
		return operand_err(ctx, 1,
		    "missing required request "
		    "parameters(s)",
		    set);
	headers = ls_val_object_gets(req, "headers", 7);
	if (headers != NULL && headers->type != LS_VAL_OBJECT)
		return ls_bi_type_error(ctx, 1, "object", headers);
	if (bad_keys(set, sizeof set, req, req_keys, 2, 1))
		return operand_err(ctx, 1,
		    "invalid values for required "
		    "request parameters(s)",
		    set);
	u = ls_val_object_gets(req, "url", 3);
	m = ls_val_object_gets(req, "method", 6);
	in.method = m->u.str.p;
	in.url = u->u.str.p;
	in.url_len = u->u.str.len;
	in.service = cfg(conf, "aws_service");
	in.region = cfg(conf, "aws_region");
	in.access = cfg(conf, "aws_access_key");
	in.secret = cfg(conf, "aws_secret_access_key");
	in.token = cfg(conf, "aws_session_token");
	in.headers = headers;
	if ((rc = payload_flag(ctx, conf, &in.unsigned_payload)) != 0)
		return rc;
	if ((rc = body_bytes(ctx, req, &in.body)) != 0)
		return rc;
	ls_buf_init(&auth, BI_MAX_STRING);
	ls_buf_init(&host, BI_MAX_STRING);
	rc = sign(&auth, h, &nh, &naws, &st, &in, &host, ctx->arena);
	hk[0] = ls_val_cstring(ctx->arena, "Authorization");
	hv[0] = ls_val_string(ctx->arena, auth.data ? auth.data : "", auth.len);
	for (i = 0; rc == 0 && i < naws; i++) {
		hk[i + 1] = ls_val_cstring(ctx->arena, h[i].k);
		hv[i + 1] = ls_val_cstring(ctx->arena, h[i].v);
	}
	ls_buf_cleanup(&auth);
	ls_buf_cleanup(&host);
	if (rc != 0)
		return bi_fail(ctx, rc);
	/* the request, its headers replaced by the signed ones */
	for (i = 0; i < req->u.obj.n && n < 63; i++)
		if (!ls_val_is_string(req->u.obj.k[i], "headers")) {
			ko[n] = req->u.obj.k[i];
			vo[n++] = req->u.obj.v[i];
		}
	ko[n] = ls_val_cstring(ctx->arena, "headers");
	vo[n++] = out_headers(ctx->arena, headers, hk, hv, naws + 1);
	for (i = 0; i < n; i++)
		if (ko[i] == NULL || vo[i] == NULL)
			return LS_BI_ENOMEM;
	return bi_ret(out, ls_val_object(ctx->arena, ko, vo, n, NULL));
}
