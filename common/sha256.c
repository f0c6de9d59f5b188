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

_Static_assert(sizeof(struct sha256_ctx) <= sizeof(((struct ls_sha256_stream *)0)->u),
    "struct ls_sha256_stream holds Nettle's sha256_ctx");

void
ls_sha256_stream_init(struct ls_sha256_stream *s)
{
	sha256_init((struct sha256_ctx *)(void *)s->u.bytes);
}

void
ls_sha256_stream_update(struct ls_sha256_stream *s, const void *p, size_t n)
{
	sha256_update((struct sha256_ctx *)(void *)s->u.bytes, n, p);
}

void
ls_sha256_stream_final(struct ls_sha256_stream *s, uint8_t out[LS_SHA256_LEN])
{
	sha256_digest((struct sha256_ctx *)(void *)s->u.bytes, LS_SHA256_LEN,
	    out);
}
