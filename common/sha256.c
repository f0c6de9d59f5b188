/*
 * sha256.c - SHA-256 through Nettle (Debian builds it "fat": the CPU's SHA
 * extensions are used when present), several times faster than
 * libsodium's portable code on the short messages Merkle leaves and nodes
 * are.  Nettle has no dependencies (GnuTLS loads it anyway), so the agent
 * and the policy commands can use it without OpenSSL.
 */
#include <nettle/sha2.h>

#include "lockstep/hash.h"

void
ls_sha256_parts(uint8_t out[LS_SHA256_LEN], const void *a, size_t alen,
    const void *b, size_t blen)
{
	struct sha256_ctx c;

	sha256_init(&c);
	sha256_update(&c, alen, a);
	if (blen > 0)
		sha256_update(&c, blen, b);
	sha256_digest(&c, LS_SHA256_LEN, out);
}
