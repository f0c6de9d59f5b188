/*
 * bi_crypto.h - the crypto.*, io.jwt.* and graphql.* builtins and the
 * layers under them: Go-compatible base64 and PEM decoding, and turning
 * JWKs, PEM certificates and PEM public keys into OpenSSL keys.  Internal
 * to common/rego; the registry table (table.c) points at the BI_DECLs.
 *
 * Nothing here touches the network or keeps state between calls.  Every
 * decoder has a size cap (BI_CRYPTO_MAX_INPUT) and fails with a one-line
 * message in ls_error_last() worded as Go words it.
 */
#ifndef LS_REGO_BI_CRYPTO_H
#define LS_REGO_BI_CRYPTO_H

#include <stddef.h>

#include <openssl/evp.h>

#include "lockstep/buf.h"
#include "rego/builtins/internal.h"

#define BI_CRYPTO_MAX_INPUT (4u * 1024 * 1024) /* cap on decoded inputs */
#define BI_CRYPTO_MAX_KEYS 64		       /* keys in one JWK set */

/*
 * Go's base64 StdEncoding (url 0) or URLEncoding (url 1) DecodeString,
 * padding required, CR and LF skipped: appends to b.  LS_EFORMAT with
 * "illegal base64 data at input byte N".
 */
int bi_b64_decode(struct ls_buf *b, const char *s, size_t len, int url);
/* OPA's base64url.decode: pads a missing "=" or "==" first. */
int bi_b64url_decode_lax(struct ls_buf *b, const char *s, size_t len);
int
bi_b64_encode(struct ls_buf *b, const void *p, size_t len, int url, int pad);
/* Base64 text of p as a string value (std padded, or url unpadded);
 * NULL on ENOMEM. */
const struct ls_val *
bi_b64_val(struct ls_arena *a, const void *p, size_t len, int url);

/* One PEM block as Go's pem.Decode finds it. */
struct bi_pem {
	char type[64];	   /* "CERTIFICATE", truncated if longer */
	struct ls_buf der; /* decoded body; caller cleans up */
	size_t rest;	   /* offset just past the block in the input */
};

/* 1 and *out filled when a block is found, 0 when none (out->der empty),
 * <0 on a cap or allocation failure. */
int bi_pem_decode(struct bi_pem *out, const char *s, size_t len);

/* ---- keys (jwk.c) ---- */

enum bi_kty { BI_KTY_RSA = 1, BI_KTY_EC, BI_KTY_OCT, BI_KTY_OKP };

/* A verification or signing key from a JWK, PEM certificate or key. */
struct bi_jkey {
	enum bi_kty kty;
	EVP_PKEY *pkey;	       /* RSA / EC / Ed25519; owned */
	unsigned char *secret; /* oct key bytes; owned, wiped on free */
	size_t secret_len;
	char alg[16];  /* the JWK's "alg", "" when absent */
	char kid[128]; /* the JWK's "kid", "" when absent */
};

/*
 * OPA's getKeysFromCertOrJWK: a PEM CERTIFICATE or PUBLIC KEY block, or
 * a JWK or JWK set.  *out malloc'd array of *n keys (free with
 * bi_jkeys_free).  LS_EFORMAT with OPA's message otherwise.
 */
int bi_jkeys_from_cert_or_jwk(struct bi_jkey **out, size_t *n,
    struct ls_arena *a, const char *s, size_t len);
/* jwk.ParseString: one JWK or a {"keys": [...]} set. */
int bi_jwk_parse(struct bi_jkey **out, size_t *n, struct ls_arena *a,
    const char *s, size_t len);
void bi_jkeys_free(struct bi_jkey *k, size_t n); /* NULL ok */

/* Digest name ("SHA256") of a JWS alg, NULL when unknown. */
const char *bi_jws_hash(const char *alg);
/*
 * Verify sig over msg with alg ("RS256", "PS384", "ES512", "HS256"...):
 * 1 verified, 0 not, LS_EFORMAT "incorrect public key type" (or
 * symmetric) when the key does not fit the algorithm.
 */
int bi_jws_verify(const char *alg, const struct bi_jkey *k, const void *msg,
    size_t mlen, const void *sig, size_t slen);
/* Sign msg; the raw JWS signature is appended to sig. */
int bi_jws_sign(struct ls_buf *sig, const char *alg, const struct bi_jkey *k,
    const void *msg, size_t mlen);

/* Builtins. */
#define BI_DECL(fn) int fn(BI_ARGS)
/* crypto.c */
BI_DECL(ls_bi_crypto_md5);
BI_DECL(ls_bi_crypto_sha1);
BI_DECL(ls_bi_crypto_sha256);
BI_DECL(ls_bi_hmac_md5);
BI_DECL(ls_bi_hmac_sha1);
BI_DECL(ls_bi_hmac_sha256);
BI_DECL(ls_bi_hmac_sha512);
BI_DECL(ls_bi_hmac_equal);
/* x509.c */
BI_DECL(ls_bi_x509_parse_certs);
BI_DECL(ls_bi_x509_parse_csr);
BI_DECL(ls_bi_x509_parse_rsa_key);
BI_DECL(ls_bi_x509_parse_verify_certs);
/* bi_x509_keys.c */
BI_DECL(ls_bi_x509_parse_keypair);
BI_DECL(ls_bi_parse_private_keys);
/* jwt.c */
BI_DECL(ls_bi_jwt_decode);
BI_DECL(ls_bi_jwt_decode_verify);
BI_DECL(ls_bi_jwt_verify_rs256);
BI_DECL(ls_bi_jwt_verify_rs384);
BI_DECL(ls_bi_jwt_verify_rs512);
BI_DECL(ls_bi_jwt_verify_ps256);
BI_DECL(ls_bi_jwt_verify_ps384);
BI_DECL(ls_bi_jwt_verify_ps512);
BI_DECL(ls_bi_jwt_verify_es256);
BI_DECL(ls_bi_jwt_verify_es384);
BI_DECL(ls_bi_jwt_verify_es512);
BI_DECL(ls_bi_jwt_verify_eddsa);
BI_DECL(ls_bi_jwt_verify_hs256);
BI_DECL(ls_bi_jwt_verify_hs384);
BI_DECL(ls_bi_jwt_verify_hs512);
BI_DECL(ls_bi_jwt_encode_sign);
BI_DECL(ls_bi_jwt_encode_sign_raw);
/* graphql.c */
BI_DECL(ls_bi_graphql_parse);
BI_DECL(ls_bi_graphql_parse_and_verify);
BI_DECL(ls_bi_graphql_parse_query);
BI_DECL(ls_bi_graphql_parse_schema);
BI_DECL(ls_bi_graphql_is_valid);
BI_DECL(ls_bi_graphql_schema_is_valid);
/* aws.c */
BI_DECL(ls_bi_aws_sign_req);
#undef BI_DECL

/* Last: every OpenSSL call below this goes through the lazy table. */
#include "rego/builtins/ossl.h"

#endif
