/* hash.c - SHA-256 digests and hex / base64 encodings (libsodium). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "lockstep/error.h"
#include "lockstep/hash.h"

void
ls_sha256(uint8_t out[LS_SHA256_LEN], const void *data, size_t len)
{
	ls_sha256_parts(out, data, len, NULL, 0);
}

void
ls_hex_encode(char *out, const uint8_t *in, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * len] = '\0';
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
ls_hex_decode(uint8_t *out, size_t len, const char *hex, size_t hexlen)
{
	size_t i;
	int hi, lo;

	if (hexlen != 2 * len)
		return ls_error_set(LS_EFORMAT,
		    "expected %zu hex digits, got %zu", 2 * len, hexlen);
	for (i = 0; i < len; i++) {
		hi = hexval(hex[2 * i]);
		lo = hexval(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return ls_error_set(LS_EFORMAT, "bad hex digit");
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

void
ls_sha256_hex(char out[LS_SHA256_HEX_LEN + 1], const void *data, size_t len)
{
	uint8_t d[LS_SHA256_LEN];

	ls_sha256(d, data, len);
	ls_hex_encode(out, d, sizeof(d));
}

int
ls_sha256_file(uint8_t out[LS_SHA256_LEN], unsigned long long *size_out,
    const char *path)
{
	crypto_hash_sha256_state st;
	unsigned char chunk[65536];
	unsigned long long total = 0;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return ls_error_set(errno == ENOENT ? LS_ENOTFOUND : LS_EIO,
		    "%s: %s", path, strerror(errno));
	crypto_hash_sha256_init(&st);
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			close(fd);
			return ls_error_set(LS_EIO, "%s: %s", path,
			    strerror(errno));
		}
		if (n == 0)
			break;
		crypto_hash_sha256_update(&st, chunk, (size_t)n);
		total += (unsigned long long)n;
	}
	close(fd);
	crypto_hash_sha256_final(&st, out);
	if (size_out != NULL)
		*size_out = total;
	return 0;
}

size_t
ls_base64_encoded_len(size_t n)
{
	return sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL);
}

void
ls_base64_encode(char *out, size_t outsz, const uint8_t *in, size_t n)
{
	sodium_bin2base64(out, outsz, in, n, sodium_base64_VARIANT_ORIGINAL);
}

int
ls_base64_decode(uint8_t *out, size_t outsz, size_t *out_len, const char *in,
    size_t inlen)
{
	const char *end = NULL;
	size_t got = 0;

	if (inlen / 4 * 3 > outsz + 2)
		return ls_error_set(LS_ETOOBIG, "base64 value too long");
	if (sodium_base642bin(out, outsz, in, inlen, NULL, &got, &end,
		sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    end != in + inlen)
		return ls_error_set(LS_EFORMAT, "bad base64");
	*out_len = got;
	return 0;
}
