/*
 * hash.h - SHA-256 digests and hex / base64 encodings (libsodium).
 */
#ifndef LOCKSTEP_HASH_H
#define LOCKSTEP_HASH_H

#include <stddef.h>
#include <stdint.h>

#define LS_SHA256_LEN 32
#define LS_SHA256_HEX_LEN 64 /* without the NUL */

void ls_sha256(uint8_t out[LS_SHA256_LEN], const void *data, size_t len);

/* SHA-256 of a followed by b (blen may be 0), e.g. a Merkle leaf's prefix
 * byte and its data (sha256.c: OpenSSL, libsodium if it cannot). */
void ls_sha256_parts(uint8_t out[LS_SHA256_LEN], const void *a, size_t alen,
    const void *b, size_t blen);

/* FNV-1a (64 bits) of n bytes, or of a NUL-terminated string: for hash
 * tables, never for anything an adversary could exploit by collisions
 * beyond slower lookups. */
uint64_t ls_fnv1a(const void *p, size_t n);
uint64_t ls_fnv1a_str(const char *s);

/* Lower-case hex of len bytes into out (2*len+1 bytes, NUL-terminated). */
void ls_hex_encode(char *out, const uint8_t *in, size_t len);

/* Exactly 2*len hex digits (either case) -> bytes.  LS_EFORMAT. */
int ls_hex_decode(uint8_t *out, size_t len, const char *hex, size_t hexlen);

/* SHA-256 of data as 64 lower-case hex digits (out: 65 bytes). */
void
ls_sha256_hex(char out[LS_SHA256_HEX_LEN + 1], const void *data, size_t len);

/* SHA-256 over parts given one after another (Nettle, common/sha256.c).
 * The state is opaque: room for Nettle's, checked where it is used. */
struct ls_sha256_stream {
	union {
		uint64_t align;
		unsigned char bytes[160];
	} u;
};
void ls_sha256_stream_init(struct ls_sha256_stream *s);
void ls_sha256_stream_update(struct ls_sha256_stream *s, const void *p,
    size_t n);
void ls_sha256_stream_final(struct ls_sha256_stream *s,
    uint8_t out[LS_SHA256_LEN]);

/* SHA-256 of a file streamed in 64 KiB chunks; *size_out gets its length. */
int ls_sha256_file(uint8_t out[LS_SHA256_LEN], unsigned long long *size_out,
    const char *path);

/*
 * Standard base64 with padding (RFC 4648 section 4), by table: for public
 * bytes (hashes, proofs, signatures, notes), where an audit package
 * encodes millions.  outsz >= ls_base64_encoded_len(n); the output is
 * NUL-terminated.
 */
size_t ls_base64_encoded_len(size_t n); /* including the NUL */
void ls_base64_encode(char *out, size_t outsz, const uint8_t *in, size_t n);
/* Strict decode: padding required, no spaces, the unused bits of the last
 * group zero (one encoding per value).  LS_EFORMAT or LS_ETOOBIG. */
int ls_base64_decode(uint8_t *out, size_t outsz, size_t *out_len,
    const char *in, size_t inlen);
/* The same in constant time (libsodium), for secret keys. */
void ls_base64_encode_secret(char *out, size_t outsz, const uint8_t *in,
    size_t n);
int ls_base64_decode_secret(uint8_t *out, size_t outsz, size_t *out_len,
    const char *in, size_t inlen);

#endif
