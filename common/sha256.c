/*
 * sha256.c - SHA-256 through OpenSSL's EVP (its SHA-NI / AVX2 code is
 * several times faster than libsodium's portable one on short messages,
 * which is what Merkle leaves and nodes are).  The digest is looked up
 * once; if OpenSSL cannot give it, libsodium does the work.
 */
#include <pthread.h>

#include <openssl/evp.h>
#include <sodium.h>

#include "lockstep/hash.h"

static pthread_once_t md_once = PTHREAD_ONCE_INIT;
static EVP_MD *md_sha256;

static void
md_init(void)
{
	md_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
}

static void
sodium_parts(uint8_t out[LS_SHA256_LEN], const void *a, size_t alen,
    const void *b, size_t blen)
{
	crypto_hash_sha256_state st;

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, a, alen);
	if (blen > 0)
		crypto_hash_sha256_update(&st, b, blen);
	crypto_hash_sha256_final(&st, out);
}

void
ls_sha256_parts(uint8_t out[LS_SHA256_LEN], const void *a, size_t alen,
    const void *b, size_t blen)
{
	EVP_MD_CTX *ctx;
	int ok;

	pthread_once(&md_once, md_init);
	if (md_sha256 == NULL || (ctx = EVP_MD_CTX_new()) == NULL) {
		sodium_parts(out, a, alen, b, blen);
		return;
	}
	ok = EVP_DigestInit_ex2(ctx, md_sha256, NULL) == 1 &&
	    EVP_DigestUpdate(ctx, a, alen) == 1 &&
	    (blen == 0 || EVP_DigestUpdate(ctx, b, blen) == 1) &&
	    EVP_DigestFinal_ex(ctx, out, NULL) == 1;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		sodium_parts(out, a, alen, b, blen);
}
