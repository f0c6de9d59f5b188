/*
 * bi_x509_keys.c - crypto.x509.parse_keypair and crypto.parse_private_keys
 * on OpenSSL: PEM (or base64 of PEM or DER) certificates and private keys,
 * returned shaped like Go's JSON of tls.Certificate and of its private
 * key types (rsa.PrivateKey {N, E, D, Primes, Precomputed}, ecdsa
 * {Curve, X, Y, D}), as OPA returns them.
 */
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "lockstep/error.h"
#include "rego/builtins/crypto.h"

#define MAX_BLOCKS 64 /* PEM blocks looked at in one input */

static const struct ls_val *
bn_param(struct ls_arena *a, const EVP_PKEY *k, const char *name)
{
	const struct ls_val *v = NULL;
	BIGNUM *bn = NULL;
	char *dec;

	if (EVP_PKEY_get_bn_param(k, name, &bn) != 1)
		return ls_val_null();
	if ((dec = BN_bn2dec(bn)) != NULL)
		v = ls_val_number_text(a, dec, strlen(dec));
	OPENSSL_clear_free(dec, dec ? strlen(dec) : 0);
	BN_clear_free(bn);
	return v;
}

static const struct ls_val *
object(struct ls_arena *a, const char *const *keys,
    const struct ls_val *const *vals, size_t n)
{
	const struct ls_val *k[8];
	size_t i;

	for (i = 0; i < n; i++)
		if ((k[i] = ls_val_cstring(a, keys[i])) == NULL ||
		    vals[i] == NULL)
			return NULL;
	return ls_val_object(a, k, vals, n, NULL);
}

/* A private key as Go's json.Marshal writes rsa / ecdsa keys. */
static const struct ls_val *
go_private_key(struct ls_arena *a, const EVP_PKEY *k)
{
	static const char *const rsa_keys[] = { "N", "E", "D", "Primes",
		"Precomputed" };
	static const char *const pre_keys[] = { "Dp", "Dq", "Qinv",
		"CRTValues" };
	static const char *const ec_keys[] = { "Curve", "X", "Y", "D" };
	const struct ls_val *v[5], *pre[4], *primes[2];

	if (EVP_PKEY_get_base_id(k) == EVP_PKEY_RSA) {
		v[0] = bn_param(a, k, OSSL_PKEY_PARAM_RSA_N);
		v[1] = bn_param(a, k, OSSL_PKEY_PARAM_RSA_E);
		v[2] = bn_param(a, k, OSSL_PKEY_PARAM_RSA_D);
		primes[0] = bn_param(a, k, OSSL_PKEY_PARAM_RSA_FACTOR1);
		primes[1] = bn_param(a, k, OSSL_PKEY_PARAM_RSA_FACTOR2);
		v[3] =
		    primes[0] && primes[1] ? ls_val_array(a, primes, 2) : NULL;
		pre[0] = bn_param(a, k, OSSL_PKEY_PARAM_RSA_EXPONENT1);
		pre[1] = bn_param(a, k, OSSL_PKEY_PARAM_RSA_EXPONENT2);
		pre[2] = bn_param(a, k, OSSL_PKEY_PARAM_RSA_COEFFICIENT1);
		pre[3] = ls_val_empty_array();
		v[4] = object(a, pre_keys, pre, 4);
		return object(a, rsa_keys, v, 5);
	}
	if (EVP_PKEY_get_base_id(k) == EVP_PKEY_EC) {
		v[0] = ls_val_empty_object();
		v[1] = bn_param(a, k, OSSL_PKEY_PARAM_EC_PUB_X);
		v[2] = bn_param(a, k, OSSL_PKEY_PARAM_EC_PUB_Y);
		v[3] = bn_param(a, k, OSSL_PKEY_PARAM_PRIV_KEY);
		return object(a, ec_keys, v, 4);
	}
	return ls_val_null();
}

/* Text that is not PEM is base64 (of PEM or DER), as OPA takes it. */
static int
raw_input(struct ls_buf *out, const char *s, size_t len)
{
	if (len >= 10 && memcmp(s, "-----BEGIN", 10) == 0)
		return ls_buf_add(out, s, len);
	return bi_b64_decode(out, s, len, 0);
}

static int
is_pem(const struct ls_buf *b)
{
	return b->len >= 10 && memcmp(b->data, "-----BEGIN", 10) == 0;
}

/* A DER private key in PKCS#1, PKCS#8 or SEC 1 form; NULL if none. */
static EVP_PKEY *
der_key(const unsigned char *p, size_t n)
{
	return d2i_AutoPrivateKey(NULL, &p, (long)n);
}

/* The certificates' DER: every CERTIFICATE block, or the input as DER. */
static int
keypair_der(struct ls_bi_ctx *ctx, struct ls_buf *der, const struct ls_buf *cb)
{
	struct bi_pem pem;
	size_t at = 0, i;
	int rc = 0;

	if (!is_pem(cb))
		rc = ls_buf_add(der, cb->data, cb->len);
	for (i = 0; is_pem(cb) && at < cb->len && i < MAX_BLOCKS; i++) {
		if (bi_pem_decode(&pem, cb->data + at, cb->len - at) != 1) {
			ls_buf_cleanup(&pem.der);
			break;
		}
		at += pem.rest;
		if (strcmp(pem.type, "CERTIFICATE") == 0)
			rc = ls_buf_add(der, pem.der.data, pem.der.len);
		ls_buf_cleanup(&pem.der);
		if (rc != 0)
			break;
	}
	if (rc != 0)
		return ls_bi_error(ctx, "certificate input too large");
	if (der->len == 0)
		return ls_bi_error(ctx,
		    "tls: failed to find any PEM data in "
		    "certificate input");
	return 0;
}

/* The key: the first *PRIVATE KEY block, or the input as DER. */
static int
keypair_key(struct ls_bi_ctx *ctx, EVP_PKEY **key, const struct ls_buf *kb)
{
	struct bi_pem pem;
	size_t at = 0, i, tl;
	int found = 0;

	*key = NULL;
	if (!is_pem(kb)) {
		*key = der_key((const unsigned char *)kb->data, kb->len);
		found = 1;
	}
	for (i = 0; !found && at < kb->len && i < MAX_BLOCKS; i++) {
		if (bi_pem_decode(&pem, kb->data + at, kb->len - at) != 1) {
			ls_buf_cleanup(&pem.der);
			break;
		}
		at += pem.rest;
		tl = strlen(pem.type);
		if (tl >= 11 &&
		    strcmp(pem.type + tl - 11, "PRIVATE KEY") == 0) {
			*key = der_key((const unsigned char *)pem.der.data,
			    pem.der.len);
			found = 1;
		}
		OPENSSL_cleanse(pem.der.data, pem.der.len);
		ls_buf_cleanup(&pem.der);
	}
	if (!found)
		return ls_bi_error(ctx,
		    "tls: failed to find any PEM data in "
		    "key input");
	if (*key == NULL)
		return ls_bi_error(ctx, "tls: failed to parse private key");
	return 0;
}

/* Each certificate as base64 DER; *leaf the first (caller frees). */
static int
keypair_certs(struct ls_bi_ctx *ctx, struct ls_vlist *certs, X509 **leaf,
    const struct ls_buf *der)
{
	const unsigned char *p = (const unsigned char *)der->data;
	const unsigned char *end = p + der->len;

	while (p < end && certs->n < MAX_BLOCKS) {
		const unsigned char *q = p;
		X509 *x = d2i_X509(NULL, &q, (long)(end - p));

		if (x == NULL)
			return ls_bi_error(ctx, "x509: malformed certificate");
		if (ls_vlist_push(certs,
			bi_b64_val(ctx->arena, p, (size_t)(q - p), 0)) != 0) {
			X509_free(x);
			return LS_BI_ENOMEM;
		}
		if (*leaf == NULL)
			*leaf = x;
		else
			X509_free(x);
		p = q;
	}
	return 0;
}

int
ls_bi_x509_parse_keypair(BI_ARGS)
{
	static const char *const keys[] = { "Certificate", "PrivateKey", "Leaf",
		"OCSPStaple", "SignedCertificateTimestamps",
		"SupportedSignatureAlgorithms" };
	struct ls_buf cb, kb, der;
	struct ls_vlist certs;
	const char *cs, *ks;
	const struct ls_val *v[6];
	EVP_PKEY *key = NULL;
	X509 *leaf = NULL;
	size_t cl, kl;
	int rc;

	(void)nargs;
	if ((rc = bi_arg_str(ctx, args, 0, &cs, &cl)) != 0 ||
	    (rc = bi_arg_str(ctx, args, 1, &ks, &kl)) != 0)
		return rc;
	ls_buf_init(&cb, BI_CRYPTO_MAX_INPUT);
	ls_buf_init(&kb, BI_CRYPTO_MAX_INPUT);
	ls_buf_init(&der, BI_CRYPTO_MAX_INPUT);
	ls_vlist_init(&certs, ctx->arena);
	if ((rc = raw_input(&cb, cs, cl)) != 0 ||
	    (rc = raw_input(&kb, ks, kl)) != 0) {
		rc = bi_fail(ctx, rc);
		goto out;
	}
	if ((rc = keypair_der(ctx, &der, &cb)) != 0 ||
	    (rc = keypair_key(ctx, &key, &kb)) != 0 ||
	    (rc = keypair_certs(ctx, &certs, &leaf, &der)) != 0)
		goto out;
	if (leaf == NULL || EVP_PKEY_eq(X509_get0_pubkey(leaf), key) != 1) {
		rc = ls_bi_error(ctx,
		    "tls: private key does not match public "
		    "key");
		goto out;
	}
	v[0] = ls_val_array(ctx->arena, certs.v, certs.n);
	v[1] = go_private_key(ctx->arena, key);
	v[2] = v[3] = v[4] = v[5] = ls_val_null();
	rc = bi_ret(out, object(ctx->arena, keys, v, 6));
out:
	X509_free(leaf);
	EVP_PKEY_free(key);
	ls_buf_cleanup(&cb);
	OPENSSL_cleanse(kb.data, kb.len);
	ls_buf_cleanup(&kb);
	ls_buf_cleanup(&der);
	return rc;
}

int
ls_bi_parse_private_keys(BI_ARGS)
{
	struct ls_buf b;
	struct ls_vlist l;
	struct bi_pem pem;
	const char *s;
	size_t sl, at = 0, i;
	int rc;

	(void)nargs;
	if ((rc = bi_arg_str(ctx, args, 0, &s, &sl)) != 0)
		return rc;
	if (sl == 0)
		return bi_ret(out, ls_val_null());
	ls_buf_init(&b, BI_CRYPTO_MAX_INPUT);
	ls_buf_init(&pem.der, BI_CRYPTO_MAX_INPUT);
	ls_vlist_init(&l, ctx->arena);
	if ((rc = raw_input(&b, s, sl)) != 0) {
		rc = bi_fail(ctx, rc);
		goto out;
	}
	for (i = 0; at < b.len && i < MAX_BLOCKS; i++) {
		EVP_PKEY *k;
		ls_buf_cleanup(&pem.der);
		if (bi_pem_decode(&pem, b.data + at, b.len - at) != 1)
			break;
		at += pem.rest;
		if (strcmp(pem.type, "RSA PRIVATE KEY") != 0 &&
		    strcmp(pem.type, "PRIVATE KEY") != 0 &&
		    strcmp(pem.type, "EC PRIVATE KEY") != 0)
			continue;
		if ((k = der_key((const unsigned char *)pem.der.data,
			 pem.der.len)) == NULL) {
			rc = ls_bi_error(ctx,
			    "x509: failed to parse private "
			    "key (%s block)",
			    pem.type);
			goto out;
		}
		rc = ls_vlist_push(&l, go_private_key(ctx->arena, k));
		EVP_PKEY_free(k);
		if (rc != 0) {
			rc = LS_BI_ENOMEM;
			goto out;
		}
	}
	rc = bi_ret(out, ls_val_array(ctx->arena, l.v, l.n));
out:
	ls_buf_cleanup(&pem.der);
	OPENSSL_cleanse(b.data, b.len);
	ls_buf_cleanup(&b);
	return rc;
}
