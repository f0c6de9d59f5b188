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

/* Lower-case hex of len bytes into out (2*len+1 bytes, NUL-terminated). */
void ls_hex_encode(char *out, const uint8_t *in, size_t len);

/* Exactly 2*len hex digits (either case) -> bytes.  LS_EFORMAT. */
int ls_hex_decode(uint8_t *out, size_t len, const char *hex, size_t hexlen);

/* SHA-256 of data as 64 lower-case hex digits (out: 65 bytes). */
void
ls_sha256_hex(char out[LS_SHA256_HEX_LEN + 1], const void *data, size_t len);

/* SHA-256 of a file streamed in 64 KiB chunks; *size_out gets its length. */
int ls_sha256_file(uint8_t out[LS_SHA256_LEN], unsigned long long *size_out,
    const char *path);

/* Standard base64 with padding (RFC 4648 section 4). */
size_t ls_base64_encoded_len(size_t n); /* including the NUL */
void ls_base64_encode(char *out, size_t outsz, const uint8_t *in, size_t n);
/* Strict decode: padding required, no spaces. LS_EFORMAT or LS_ETOOBIG. */
int ls_base64_decode(uint8_t *out, size_t outsz, size_t *out_len,
    const char *in, size_t inlen);

#endif
