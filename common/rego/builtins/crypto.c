/*
 * crypto.c - crypto.md5/sha1/sha256 and crypto.hmac.* on OpenSSL's
 * libcrypto, and the Go-compatible base64 and PEM decoders that the x509
 * and JWT builtins share.
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "lockstep/error.h"
#include "rego/builtins/crypto.h"

/* ---- base64 ---- */

static const char b64_std[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64_url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int
b64_val(char c, int url)
{
	const char *p;

	if (c == '\0' || c == '=')
		return -1;
	p = strchr(url ? b64_url : b64_std, c);
	return p == NULL ? -1 : (int)(p - (url ? b64_url : b64_std));
}

int
bi_b64_decode(struct ls_buf *b, const char *s, size_t len, int url)
{
	unsigned acc = 0;
	size_t i, nbits = 0, data = 0, npad = 0, last = 0;

	if (len > BI_CRYPTO_MAX_INPUT)
		return ls_error_set(LS_ETOOBIG, "input too large");
	for (i = 0; i < len; i++) {
		int v;

		if (s[i] == '\r' || s[i] == '\n')
			continue;
		if (s[i] == '=' && data % 4 >= 2 && npad < 4 - data % 4) {
			npad++;
			last = i;
			continue;
		}
		if (npad > 0 || (v = b64_val(s[i], url)) < 0)
			return ls_error_set(LS_EFORMAT,
			    "illegal base64 data at input byte %zu",
			    npad > 0 ? last : i);
		data++;
		acc = (acc << 6) | (unsigned)v;
		nbits += 6;
		if (nbits >= 8) {
			nbits -= 8;
			if (ls_buf_addc(b, (char)((acc >> nbits) & 0xFF)) != 0)
				return ls_error_set(LS_ETOOBIG, "too large");
		}
	}
	if (data % 4 == 1 || (data % 4 != 0 && npad != 4 - data % 4))
		return ls_error_set(LS_EFORMAT,
		    "illegal base64 data at input byte %zu",
		    data % 4 == 1 ? len - 1 : len);
	return 0;
}

int
bi_b64url_decode_lax(struct ls_buf *b, const char *s, size_t len)
{
	struct ls_buf in;
	int rc = 0;

	if (len > 0 && s[len - 1] == '=')
		return bi_b64_decode(b, s, len, 1);
	ls_buf_init(&in, BI_CRYPTO_MAX_INPUT + 4);
	rc = ls_buf_add(&in, s, len);
	if (rc == 0 && len % 4 == 2)
		rc = ls_buf_adds(&in, "==");
	else if (rc == 0 && len % 4 == 3)
		rc = ls_buf_adds(&in, "=");
	else if (rc == 0 && len % 4 == 1)
		rc = ls_error_set(LS_EFORMAT,
		    "illegal base64 data at input "
		    "byte %zu",
		    len - 1);
	if (rc == 0)
		rc = bi_b64_decode(b, in.data ? in.data : "", in.len, 1);
	ls_buf_cleanup(&in);
	return rc;
}

int
bi_b64_encode(struct ls_buf *b, const void *p, size_t len, int url, int pad)
{
	const unsigned char *s = p;
	const char *al = url ? b64_url : b64_std;
	size_t i;
	int rc = 0;

	for (i = 0; i + 2 < len && rc == 0; i += 3) {
		char q[4] = { al[s[i] >> 2],
			al[((s[i] & 3) << 4) | (s[i + 1] >> 4)],
			al[((s[i + 1] & 15) << 2) | (s[i + 2] >> 6)],
			al[s[i + 2] & 63] };
		rc = ls_buf_add(b, q, 4);
	}
	if (rc == 0 && len - i == 1) {
		char q[4] = { al[s[i] >> 2], al[(s[i] & 3) << 4], '=', '=' };
		rc = ls_buf_add(b, q, pad ? 4 : 2);
	} else if (rc == 0 && len - i == 2) {
		char q[4] = { al[s[i] >> 2],
			al[((s[i] & 3) << 4) | (s[i + 1] >> 4)],
			al[(s[i + 1] & 15) << 2], '=' };
		rc = ls_buf_add(b, q, pad ? 4 : 3);
	}
	return rc;
}

const struct ls_val *
bi_b64_val(struct ls_arena *a, const void *p, size_t len, int url)
{
	const struct ls_val *v = NULL;
	struct ls_buf b;

	ls_buf_init(&b, BI_MAX_STRING);
	if (bi_b64_encode(&b, p, len, url, !url) == 0)
		v = ls_val_string(a, b.data ? b.data : "", b.len);
	ls_buf_cleanup(&b);
	return v;
}

/* ---- PEM ---- */

#define PEM_MAX_TRIES 64 /* BEGIN lines looked at per block */

/* Offset of the first occurrence of needle in s[0..len), or len. */
static size_t
find(const char *s, size_t len, const char *needle)
{
	size_t n = strlen(needle), i;

	for (i = 0; n <= len && i <= len - n; i++)
		if (memcmp(s + i, needle, n) == 0)
			return i;
	return len;
}

/* Offset just past the end of the line starting at i. */
static size_t
line_end(const char *s, size_t len, size_t i)
{
	while (i < len && s[i] != '\n')
		i++;
	return i < len ? i + 1 : len;
}

/* Body of a block (headers skipped) decoded into out->der. */
static int
pem_body(struct bi_pem *out, const char *s, size_t len)
{
	struct ls_buf clean;
	size_t i = 0, j;
	int rc = 0;

	/* RFC 1421 headers: lines with a colon before the first blank line */
	j = line_end(s, len, 0);
	if (memchr(s, ':', j) != NULL) {
		while (i < len) {
			j = line_end(s, len, i);
			if (j - i <= 2 && (s[i] == '\n' || s[i] == '\r')) {
				i = j;
				break;
			}
			i = j;
		}
	}
	ls_buf_init(&clean, BI_CRYPTO_MAX_INPUT);
	for (; i < len && rc == 0; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
			rc = ls_buf_addc(&clean, s[i]);
	if (rc == 0)
		rc = bi_b64_decode(&out->der, clean.data ? clean.data : "",
		    clean.len, 0);
	ls_buf_cleanup(&clean);
	return rc;
}

int
bi_pem_decode(struct bi_pem *out, const char *s, size_t len)
{
	size_t at = 0, tries;

	ls_buf_init(&out->der, BI_CRYPTO_MAX_INPUT);
	out->type[0] = '\0';
	out->rest = len;
	if (len > BI_CRYPTO_MAX_INPUT)
		return ls_error_set(LS_ETOOBIG, "PEM input too large");
	/* each candidate costs a scan for its END line: bounded count */
	for (tries = 0; at < len && tries < PEM_MAX_TRIES; tries++) {
		size_t b = find(s + at, len - at, "-----BEGIN "), t, te, body,
		       end, tl;
		char endline[96];

		if (b == len - at)
			return 0;
		b += at;
		at = b + 11;
		if (b > 0 && s[b - 1] != '\n')
			continue;
		t = b + 11;
		te = line_end(s, len, t);
		tl = te - t;
		while (tl > 0 &&
		    (s[t + tl - 1] == '\n' || s[t + tl - 1] == '\r' ||
			s[t + tl - 1] == ' ' || s[t + tl - 1] == '\t'))
			tl--;
		if (tl < 5 || memcmp(s + t + tl - 5, "-----", 5) != 0 ||
		    tl - 5 >= sizeof out->type)
			continue;
		memcpy(out->type, s + t, tl - 5);
		out->type[tl - 5] = '\0';
		body = te;
		if (snprintf(endline, sizeof endline, "-----END %s-----",
			out->type) >= (int)sizeof endline)
			continue;
		end = find(s + body, len - body, endline);
		if (end == len - body)
			continue;
		end += body;
		ls_buf_reset(&out->der);
		if (pem_body(out, s + body, end - body) != 0) {
			ls_buf_reset(&out->der);
			continue;
		}
		out->rest = line_end(s, len, end + strlen(endline));
		return 1;
	}
	return 0;
}

/* ---- digests and HMAC ---- */

static int
hex_result(struct ls_bi_ctx *ctx, const struct ls_val **out,
    const unsigned char *md, size_t n)
{
	static const char hx[] = "0123456789abcdef";
	char text[2 * EVP_MAX_MD_SIZE + 1];
	size_t i;

	for (i = 0; i < n; i++) {
		text[2 * i] = hx[md[i] >> 4];
		text[2 * i + 1] = hx[md[i] & 15];
	}
	return bi_ret(out, ls_val_string(ctx->arena, text, 2 * n));
}

static int
digest(BI_ARGS, const char *md)
{
	unsigned char buf[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	const EVP_MD *m;
	const char *s;
	size_t sl;
	int rc;

	(void)nargs;
	if ((rc = bi_arg_str(ctx, args, 0, &s, &sl)) != 0)
		return rc;
	if ((m = EVP_get_digestbyname(md)) == NULL ||
	    EVP_Digest(s, sl, buf, &n, m, NULL) != 1)
		return ls_bi_error(ctx, "%s digest unavailable", md);
	return hex_result(ctx, out, buf, n);
}

int
ls_bi_crypto_md5(BI_ARGS)
{
	return digest(ctx, args, nargs, out, "MD5");
}

int
ls_bi_crypto_sha1(BI_ARGS)
{
	return digest(ctx, args, nargs, out, "SHA1");
}

int
ls_bi_crypto_sha256(BI_ARGS)
{
	return digest(ctx, args, nargs, out, "SHA256");
}

static int
hmac(BI_ARGS, const char *md)
{
	unsigned char buf[EVP_MAX_MD_SIZE];
	size_t n = 0, sl, kl;
	const char *s, *k;
	int rc;

	(void)nargs;
	if ((rc = bi_arg_str(ctx, args, 0, &s, &sl)) != 0 ||
	    (rc = bi_arg_str(ctx, args, 1, &k, &kl)) != 0)
		return rc;
	if (EVP_Q_mac(NULL, "HMAC", NULL, md, NULL, kl ? k : "", kl,
		(const unsigned char *)s, sl, buf, sizeof buf, &n) == NULL)
		return ls_bi_error(ctx, "HMAC-%s unavailable", md);
	return hex_result(ctx, out, buf, n);
}

int
ls_bi_hmac_md5(BI_ARGS)
{
	return hmac(ctx, args, nargs, out, "MD5");
}

int
ls_bi_hmac_sha1(BI_ARGS)
{
	return hmac(ctx, args, nargs, out, "SHA1");
}

int
ls_bi_hmac_sha256(BI_ARGS)
{
	return hmac(ctx, args, nargs, out, "SHA256");
}

int
ls_bi_hmac_sha512(BI_ARGS)
{
	return hmac(ctx, args, nargs, out, "SHA512");
}

int
ls_bi_hmac_equal(BI_ARGS)
{
	const char *a, *b;
	size_t al, bl;
	int rc;

	(void)nargs;
	if ((rc = bi_arg_str(ctx, args, 0, &a, &al)) != 0 ||
	    (rc = bi_arg_str(ctx, args, 1, &b, &bl)) != 0)
		return rc;
	/* constant time for equal lengths, as Go's hmac.Equal */
	return bi_ret(out,
	    ls_val_bool(al == bl && (al == 0 || CRYPTO_memcmp(a, b, al) == 0)));
}
