/*
 * jwk.c - keys for the JWT builtins: JWKs and JWK sets (RSA, EC, oct),
 * PEM certificates and PEM public keys, turned into OpenSSL keys; and
 * the JWS signature algorithms (RS*, PS*, ES*, HS*) over them.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "lockstep/error.h"
#include "rego/builtins/crypto.h"

void
bi_jkeys_free(struct bi_jkey *k, size_t n)
{
	size_t i;

	if (k == NULL)
		return;
	for (i = 0; i < n; i++) {
		EVP_PKEY_free(k[i].pkey);
		if (k[i].secret != NULL)
			OPENSSL_clear_free(k[i].secret, k[i].secret_len);
	}
	free(k);
}

/* ---- JWK ---- */

/* The base64url field name of a JWK as bytes in b; 0 when absent. */
static int
jwk_bytes(struct ls_buf *b, const struct ls_val *jwk, const char *name,
    int required)
{
	const struct ls_val *v = ls_val_object_gets(jwk, name, strlen(name));

	ls_buf_reset(b);
	if (v == NULL || v->type != LS_VAL_STRING) {
		if (!required)
			return 0;
		return ls_error_set(LS_EFORMAT,
		    "required field %s is "
		    "missing",
		    name);
	}
	if (bi_b64url_decode_lax(b, v->u.str.p, v->u.str.len) != 0)
		return ls_error_set(LS_EFORMAT,
		    "failed to decode field %s: "
		    "%s",
		    name, ls_error_last());
	return 1;
}

static int
push_bn(OSSL_PARAM_BLD *bld, const char *param, struct ls_buf *b, BIGNUM **keep)
{
	BIGNUM *bn =
	    BN_bin2bn((const unsigned char *)b->data, (int)b->len, NULL);

	if (bn == NULL || OSSL_PARAM_BLD_push_BN(bld, param, bn) != 1) {
		BN_free(bn);
		return ls_error_set(LS_ENOMEM, "out of memory");
	}
	*keep = bn;
	return 0;
}

static int
fromdata(EVP_PKEY **out, const char *type, OSSL_PARAM_BLD *bld, int priv)
{
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	int rc = 0;

	if (params == NULL || pc == NULL || EVP_PKEY_fromdata_init(pc) != 1 ||
	    EVP_PKEY_fromdata(pc, out,
		priv ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params) != 1)
		rc = ls_error_set(LS_EFORMAT, "failed to build %s key", type);
	OSSL_PARAM_free(params);
	EVP_PKEY_CTX_free(pc);
	return rc;
}

static int
jwk_rsa(struct bi_jkey *k, const struct ls_val *jwk)
{
	static const struct {
		const char *field, *param;
	} f[] = {
		{ "n", OSSL_PKEY_PARAM_RSA_N },
		{ "e", OSSL_PKEY_PARAM_RSA_E },
		{ "d", OSSL_PKEY_PARAM_RSA_D },
		{ "p", OSSL_PKEY_PARAM_RSA_FACTOR1 },
		{ "q", OSSL_PKEY_PARAM_RSA_FACTOR2 },
		{ "dp", OSSL_PKEY_PARAM_RSA_EXPONENT1 },
		{ "dq", OSSL_PKEY_PARAM_RSA_EXPONENT2 },
		{ "qi", OSSL_PKEY_PARAM_RSA_COEFFICIENT1 },
	};
	BIGNUM *bns[8] = { 0 };
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	struct ls_buf b;
	size_t i, nf = 8;
	int rc = 0, priv = 0, have;

	ls_buf_init(&b, BI_CRYPTO_MAX_INPUT);
	if (bld == NULL)
		rc = ls_error_set(LS_ENOMEM, "out of memory");
	for (i = 0; i < nf && rc == 0; i++) {
		have = jwk_bytes(&b, jwk, f[i].field, i < 2);
		if (have < 0)
			rc = have;
		else if (i == 2 && have == 0)
			nf = 2; /* public key only */
		else if (have == 1)
			rc = push_bn(bld, f[i].param, &b, &bns[i]);
		if (i == 2 && have == 1)
			priv = 1;
	}
	if (rc == 0)
		rc = fromdata(&k->pkey, "RSA", bld, priv);
	for (i = 0; i < 8; i++)
		BN_clear_free(bns[i]);
	OSSL_PARAM_BLD_free(bld);
	ls_buf_cleanup(&b);
	return rc;
}

static int
jwk_ec(struct bi_jkey *k, const struct ls_val *jwk)
{
	const struct ls_val *crv = ls_val_object_gets(jwk, "crv", 3);
	unsigned char pub[1 + 2 * 66];
	OSSL_PARAM_BLD *bld = NULL;
	BIGNUM *d = NULL;
	struct ls_buf b;
	size_t sz = 0;
	int rc = 0, have = 0;

	if (crv != NULL && ls_val_is_string(crv, "P-256"))
		sz = 32;
	else if (crv != NULL && ls_val_is_string(crv, "P-384"))
		sz = 48;
	else if (crv != NULL && ls_val_is_string(crv, "P-521"))
		sz = 66;
	else
		return ls_error_set(LS_EFORMAT, "invalid curve name");
	ls_buf_init(&b, BI_CRYPTO_MAX_INPUT);
	pub[0] = 4;
	if ((rc = jwk_bytes(&b, jwk, "x", 1)) < 0 || b.len > sz)
		goto bad;
	memset(pub + 1, 0, 2 * sz);
	if (b.len > 0)
		memcpy(pub + 1 + sz - b.len, b.data, b.len);
	if ((rc = jwk_bytes(&b, jwk, "y", 1)) < 0 || b.len > sz)
		goto bad;
	if (b.len > 0)
		memcpy(pub + 1 + 2 * sz - b.len, b.data, b.len);
	if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
		crv->u.str.p, 0) != 1 ||
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub,
		1 + 2 * sz) != 1) {
		rc = ls_error_set(LS_ENOMEM, "out of memory");
		goto out;
	}
	if ((have = jwk_bytes(&b, jwk, "d", 0)) < 0) {
		rc = have;
		goto out;
	}
	if (have == 1 &&
	    (rc = push_bn(bld, OSSL_PKEY_PARAM_PRIV_KEY, &b, &d)) != 0)
		goto out;
	rc = fromdata(&k->pkey, "EC", bld, have == 1);
	goto out;
bad:
	if (rc >= 0)
		rc = ls_error_set(LS_EFORMAT, "invalid EC point");
out:
	BN_clear_free(d);
	OSSL_PARAM_BLD_free(bld);
	ls_buf_cleanup(&b);
	return rc;
}

static int
jwk_oct(struct bi_jkey *k, const struct ls_val *jwk)
{
	struct ls_buf b;
	int rc;

	ls_buf_init(&b, BI_CRYPTO_MAX_INPUT);
	if ((rc = jwk_bytes(&b, jwk, "k", 1)) < 0) {
		ls_buf_cleanup(&b);
		return rc;
	}
	k->secret = OPENSSL_malloc(b.len + 1);
	if (k->secret == NULL) {
		ls_buf_cleanup(&b);
		return ls_error_set(LS_ENOMEM, "out of memory");
	}
	if (b.len > 0)
		memcpy(k->secret, b.data, b.len);
	k->secret_len = b.len;
	OPENSSL_cleanse(b.data, b.len);
	ls_buf_cleanup(&b);
	return 0;
}

static void
copy_str(char *dst, size_t cap, const struct ls_val *v)
{
	size_t n;

	dst[0] = '\0';
	if (v == NULL || v->type != LS_VAL_STRING)
		return;
	n = v->u.str.len < cap - 1 ? v->u.str.len : cap - 1;
	memcpy(dst, v->u.str.p, n);
	dst[n] = '\0';
}

/* OKP keys: Ed25519 only (RFC 8037), x the public key, d the seed. */
static int
jwk_okp(struct bi_jkey *k, const struct ls_val *jwk)
{
	const struct ls_val *crv = ls_val_object_gets(jwk, "crv", 3);
	struct ls_buf b;
	int rc, have;

	if (crv == NULL || !ls_val_is_string(crv, "Ed25519"))
		return ls_error_set(LS_EFORMAT, "invalid curve name");
	ls_buf_init(&b, BI_CRYPTO_MAX_INPUT);
	if ((have = jwk_bytes(&b, jwk, "d", 0)) < 0) {
		rc = have;
		goto out;
	}
	if (have == 1 && b.len == 32)
		k->pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL,
		    (const unsigned char *)b.data, b.len);
	else if ((rc = jwk_bytes(&b, jwk, "x", 1)) >= 0 && b.len == 32)
		k->pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL,
		    (const unsigned char *)b.data, b.len);
	rc = k->pkey != NULL ? 0
			     : ls_error_set(LS_EFORMAT, "invalid Ed25519 key");
out:
	ls_buf_cleanup(&b);
	return rc;
}

static int
jwk_one(struct bi_jkey *k, const struct ls_val *jwk)
{
	const struct ls_val *kty;

	if (jwk->type != LS_VAL_OBJECT)
		return ls_error_set(LS_EFORMAT, "invalid JWK: not an object");
	kty = ls_val_object_gets(jwk, "kty", 3);
	copy_str(k->alg, sizeof k->alg, ls_val_object_gets(jwk, "alg", 3));
	copy_str(k->kid, sizeof k->kid, ls_val_object_gets(jwk, "kid", 3));
	if (kty == NULL || kty->type != LS_VAL_STRING)
		return ls_error_set(LS_EFORMAT,
		    "invalid key type from JSON "
		    "()");
	if (ls_val_is_string(kty, "RSA")) {
		k->kty = BI_KTY_RSA;
		return jwk_rsa(k, jwk);
	}
	if (ls_val_is_string(kty, "EC")) {
		k->kty = BI_KTY_EC;
		return jwk_ec(k, jwk);
	}
	if (ls_val_is_string(kty, "oct")) {
		k->kty = BI_KTY_OCT;
		return jwk_oct(k, jwk);
	}
	if (ls_val_is_string(kty, "OKP")) {
		k->kty = BI_KTY_OKP;
		return jwk_okp(k, jwk);
	}
	return ls_error_set(LS_EFORMAT, "invalid key type from JSON (%s)",
	    kty->u.str.p);
}

int
bi_jwk_parse(struct bi_jkey **out, size_t *n, struct ls_arena *a, const char *s,
    size_t len)
{
	const struct ls_val *v = NULL, *set;
	const struct ls_val *const *items;
	struct bi_jkey *keys;
	size_t cnt, i;
	int rc;

	*out = NULL;
	*n = 0;
	if (len > BI_CRYPTO_MAX_INPUT)
		return ls_error_set(LS_ETOOBIG, "JWK too large");
	if ((rc = ls_val_from_json(&v, a, s, len, 16)) != 0)
		return ls_error_set(rc == LS_ENOMEM ? rc : LS_EFORMAT,
		    "failed to unmarshal JWK: %s", ls_error_last());
	if (v->type != LS_VAL_OBJECT)
		return ls_error_set(LS_EFORMAT,
		    "failed to unmarshal JWK: "
		    "not an object");
	set = ls_val_object_gets(v, "keys", 4);
	if (set != NULL && set->type == LS_VAL_ARRAY) {
		items = set->u.arr.v;
		cnt = set->u.arr.n;
	} else {
		items = &v;
		cnt = 1;
	}
	if (cnt == 0 || cnt > BI_CRYPTO_MAX_KEYS)
		return ls_error_set(LS_EFORMAT, "JWK set has %zu keys", cnt);
	if ((keys = calloc(cnt, sizeof *keys)) == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	for (i = 0; i < cnt; i++) {
		if ((rc = jwk_one(&keys[i], items[i])) != 0) {
			bi_jkeys_free(keys, cnt);
			return rc;
		}
	}
	*out = keys;
	*n = cnt;
	return 0;
}

/* ---- PEM certificates and public keys ---- */

static int
pem_key(struct bi_jkey **out, size_t *n, const struct bi_pem *pem)
{
	const unsigned char *p = (const unsigned char *)pem->der.data;
	EVP_PKEY *pk = NULL;
	X509 *x;

	if (strcmp(pem->type, "CERTIFICATE") == 0) {
		x = d2i_X509(NULL, &p, (long)pem->der.len);
		if (x == NULL)
			return ls_error_set(LS_EFORMAT,
			    "failed to parse a "
			    "PEM certificate: x509: malformed certificate");
		pk = X509_get_pubkey(x);
		X509_free(x);
	} else if (strcmp(pem->type, "PUBLIC KEY") == 0) {
		pk = d2i_PUBKEY(NULL, &p, (long)pem->der.len);
		if (pk == NULL)
			return ls_error_set(LS_EFORMAT,
			    "failed to parse a "
			    "PEM public key: asn1: structure error");
	} else {
		return ls_error_set(LS_EFORMAT,
		    "failed to extract a Key from "
		    "the PEM certificate");
	}
	if (pk == NULL)
		return ls_error_set(LS_EFORMAT,
		    "failed to parse a PEM "
		    "certificate: unsupported public key");
	if ((*out = calloc(1, sizeof **out)) == NULL) {
		EVP_PKEY_free(pk);
		return ls_error_set(LS_ENOMEM, "out of memory");
	}
	(*out)->pkey = pk;
	(*out)->kty =
	    EVP_PKEY_get_base_id(pk) == EVP_PKEY_EC ? BI_KTY_EC : BI_KTY_RSA;
	*n = 1;
	return 0;
}

int
bi_jkeys_from_cert_or_jwk(struct bi_jkey **out, size_t *n, struct ls_arena *a,
    const char *s, size_t len)
{
	struct bi_pem pem;
	int rc = bi_pem_decode(&pem, s, len);

	*out = NULL;
	*n = 0;
	if (rc == 1) {
		if (pem.rest < len)
			rc = ls_error_set(LS_EFORMAT,
			    "extra data after a PEM "
			    "certificate block");
		else
			rc = pem_key(out, n, &pem);
		ls_buf_cleanup(&pem.der);
		return rc;
	}
	ls_buf_cleanup(&pem.der);
	if (rc < 0)
		return rc;
	if ((rc = bi_jwk_parse(out, n, a, s, len)) != 0 && rc != LS_ENOMEM)
		return ls_error_set(LS_EFORMAT,
		    "failed to parse a JWK key "
		    "(set): %s",
		    ls_error_last());
	return rc;
}

/* ---- JWS algorithms ---- */

const char *
bi_jws_hash(const char *alg)
{
	if (strcmp(alg, "EdDSA") == 0)
		return ""; /* Ed25519 hashes inside the signature */
	if (strlen(alg) != 5 || strchr("RPEH", alg[0]) == NULL || alg[1] != 'S')
		return NULL;
	if (strcmp(alg + 2, "256") == 0)
		return "SHA256";
	if (strcmp(alg + 2, "384") == 0)
		return "SHA384";
	if (strcmp(alg + 2, "512") == 0)
		return "SHA512";
	return NULL;
}

static int
key_fits(const char *alg, const struct bi_jkey *k)
{
	if (alg[0] == 'E' && alg[1] == 'd') {
		if (k->pkey == NULL ||
		    EVP_PKEY_get_base_id(k->pkey) != EVP_PKEY_ED25519)
			return ls_error_set(LS_EFORMAT,
			    "incorrect public key type");
		return 0;
	}
	if (alg[0] == 'H') {
		if (k->secret == NULL)
			return ls_error_set(LS_EFORMAT,
			    "incorrect symmetric "
			    "key type");
		return 0;
	}
	if (k->pkey == NULL ||
	    EVP_PKEY_get_base_id(k->pkey) !=
		(alg[0] == 'E' ? EVP_PKEY_EC : EVP_PKEY_RSA))
		return ls_error_set(LS_EFORMAT, "incorrect public key type");
	return 0;
}

/* A signing/verifying context with RSA padding and digest set up. */
static EVP_PKEY_CTX *
pkey_ctx(const char *alg, const struct bi_jkey *k, int sign)
{
	EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new(k->pkey, NULL);
	const EVP_MD *md = EVP_get_digestbyname(bi_jws_hash(alg));
	int ok;

	if (pc == NULL || md == NULL)
		goto fail;
	ok = sign ? EVP_PKEY_sign_init(pc) : EVP_PKEY_verify_init(pc);
	if (ok != 1)
		goto fail;
	if (alg[0] == 'R' &&
	    (EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PADDING) != 1 ||
		EVP_PKEY_CTX_set_signature_md(pc, md) != 1))
		goto fail;
	if (alg[0] == 'P' &&
	    (EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PSS_PADDING) != 1 ||
		EVP_PKEY_CTX_set_signature_md(pc, md) != 1 ||
		EVP_PKEY_CTX_set_rsa_mgf1_md(pc, md) != 1 ||
		EVP_PKEY_CTX_set_rsa_pss_saltlen(pc,
		    sign ? RSA_PSS_SALTLEN_DIGEST : RSA_PSS_SALTLEN_AUTO) != 1))
		goto fail;
	return pc;
fail:
	EVP_PKEY_CTX_free(pc);
	return NULL;
}

/* Go's ecdsa.Verify over r||s split in the middle, as OPA does. */
static int
es_der(unsigned char **der, int *dlen, const unsigned char *sig, size_t slen)
{
	ECDSA_SIG *es = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(sig, (int)(slen / 2), NULL);
	BIGNUM *s = BN_bin2bn(sig + slen / 2, (int)(slen - slen / 2), NULL);

	*der = NULL;
	if (es == NULL || r == NULL || s == NULL ||
	    ECDSA_SIG_set0(es, r, s) != 1) {
		BN_free(r);
		BN_free(s);
		ECDSA_SIG_free(es);
		return ls_error_set(LS_ENOMEM, "out of memory");
	}
	*dlen = i2d_ECDSA_SIG(es, der);
	ECDSA_SIG_free(es);
	return *dlen > 0 ? 0 : ls_error_set(LS_ENOMEM, "out of memory");
}

/* EdDSA over the message itself (no digest first). */
static int
eddsa(EVP_PKEY *pk, int sign, struct ls_buf *out, const void *msg, size_t mlen,
    const void *sig, size_t slen)
{
	EVP_MD_CTX *mc = EVP_MD_CTX_new();
	unsigned char buf[64];
	size_t len = sizeof(buf);
	int rc;

	if (mc == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	if (sign)
		rc = EVP_DigestSignInit(mc, NULL, NULL, NULL, pk) == 1 &&
			EVP_DigestSign(mc, buf, &len, msg, mlen) == 1
		    ? ls_buf_add(out, buf, len)
		    : ls_error_set(LS_EFORMAT,
			  "failed to sign payload: "
			  "signing failed (is the key "
			  "private?)");
	else
		rc = EVP_DigestVerifyInit(mc, NULL, NULL, NULL, pk) == 1 &&
		    EVP_DigestVerify(mc, sig, slen, msg, mlen) == 1;
	EVP_MD_CTX_free(mc);
	return rc;
}

int
bi_jws_verify(const char *alg, const struct bi_jkey *k, const void *msg,
    size_t mlen, const void *sig, size_t slen)
{
	unsigned char md[EVP_MAX_MD_SIZE], *der = NULL;
	unsigned int mdlen = 0;
	size_t maclen = 0;
	EVP_PKEY_CTX *pc;
	int rc, dlen = 0;

	if (bi_jws_hash(alg) == NULL)
		return ls_error_set(LS_EFORMAT, "unknown JWS algorithm: %s",
		    alg);
	if ((rc = key_fits(alg, k)) != 0)
		return rc;
	if (strcmp(alg, "EdDSA") == 0)
		return eddsa(k->pkey, 0, NULL, msg, mlen, sig, slen);
	if (alg[0] == 'H') {
		if (EVP_Q_mac(NULL, "HMAC", NULL, bi_jws_hash(alg), NULL,
			k->secret, k->secret_len, msg, mlen, md, sizeof md,
			&maclen) == NULL)
			return ls_error_set(LS_EFORMAT, "HMAC failed");
		return maclen == slen && CRYPTO_memcmp(md, sig, slen) == 0;
	}
	if (EVP_Digest(msg, mlen, md, &mdlen,
		EVP_get_digestbyname(bi_jws_hash(alg)), NULL) != 1)
		return ls_error_set(LS_EFORMAT, "digest failed");
	if (alg[0] == 'E') {
		if (slen == 0)
			return 0;
		if ((rc = es_der(&der, &dlen, sig, slen)) != 0)
			return rc;
		sig = der;
		slen = (size_t)dlen;
	}
	if ((pc = pkey_ctx(alg, k, 0)) == NULL) {
		OPENSSL_free(der);
		return 0;
	}
	rc = EVP_PKEY_verify(pc, sig, slen, md, mdlen) == 1;
	EVP_PKEY_CTX_free(pc);
	OPENSSL_free(der);
	return rc;
}

/* DER ECDSA signature to JWS r||s, each the curve's size. */
static int
es_raw(struct ls_buf *out, const struct bi_jkey *k, const unsigned char *der,
    size_t dlen)
{
	unsigned char rs[2 * 66];
	const unsigned char *p = der;
	ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)dlen);
	const BIGNUM *r, *s;
	int sz = (EVP_PKEY_get_bits(k->pkey) + 7) / 8, rc;

	if (es == NULL || sz <= 0 || sz > 66) {
		ECDSA_SIG_free(es);
		return ls_error_set(LS_EFORMAT, "ECDSA signing failed");
	}
	ECDSA_SIG_get0(es, &r, &s);
	if (BN_bn2binpad(r, rs, sz) != sz || BN_bn2binpad(s, rs + sz, sz) != sz)
		rc = ls_error_set(LS_EFORMAT, "ECDSA signing failed");
	else
		rc = ls_buf_add(out, rs, 2 * (size_t)sz);
	ECDSA_SIG_free(es);
	return rc;
}

int
bi_jws_sign(struct ls_buf *sig, const char *alg, const struct bi_jkey *k,
    const void *msg, size_t mlen)
{
	unsigned char md[EVP_MAX_MD_SIZE], *buf = NULL;
	unsigned int mdlen = 0;
	size_t len = 0;
	EVP_PKEY_CTX *pc = NULL;
	int rc;

	if (bi_jws_hash(alg) == NULL)
		return ls_error_set(LS_EFORMAT,
		    "unsupported signature "
		    "algorithm %s",
		    alg);
	if ((rc = key_fits(alg, k)) != 0)
		return rc;
	if (strcmp(alg, "EdDSA") == 0)
		return eddsa(k->pkey, 1, sig, msg, mlen, NULL, 0);
	if (alg[0] == 'H') {
		if (EVP_Q_mac(NULL, "HMAC", NULL, bi_jws_hash(alg), NULL,
			k->secret, k->secret_len, msg, mlen, md, sizeof md,
			&len) == NULL)
			return ls_error_set(LS_EFORMAT, "HMAC failed");
		return ls_buf_add(sig, md, len);
	}
	if (EVP_Digest(msg, mlen, md, &mdlen,
		EVP_get_digestbyname(bi_jws_hash(alg)), NULL) != 1 ||
	    (pc = pkey_ctx(alg, k, 1)) == NULL ||
	    EVP_PKEY_sign(pc, NULL, &len, md, mdlen) != 1 ||
	    (buf = OPENSSL_malloc(len)) == NULL ||
	    EVP_PKEY_sign(pc, buf, &len, md, mdlen) != 1) {
		rc = ls_error_set(LS_EFORMAT, "failed to sign payload: %s",
		    "signing failed (is the key private?)");
		goto out;
	}
	rc = alg[0] == 'E' ? es_raw(sig, k, buf, len)
			   : ls_buf_add(sig, buf, len);
out:
	OPENSSL_free(buf);
	EVP_PKEY_CTX_free(pc);
	return rc;
}
