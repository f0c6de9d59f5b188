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
	struct ls_sha256_stream st;
	unsigned char chunk[65536];
	unsigned long long total = 0;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return ls_error_set(errno == ENOENT ? LS_ENOTFOUND : LS_EIO,
		    "%s: %s", path, strerror(errno));
	ls_sha256_stream_init(&st);
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
		ls_sha256_stream_update(&st, chunk, (size_t)n);
		total += (unsigned long long)n;
	}
	close(fd);
	ls_sha256_stream_final(&st, out);
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
ls_base64_encode_secret(char *out, size_t outsz, const uint8_t *in, size_t n)
{
	sodium_bin2base64(out, outsz, in, n, sodium_base64_VARIANT_ORIGINAL);
}

int
ls_base64_decode_secret(uint8_t *out, size_t outsz, size_t *out_len,
    const char *in, size_t inlen)
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

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void
ls_base64_encode(char *out, size_t outsz, const uint8_t *in, size_t n)
{
	size_t i = 0, k = 0;
	uint32_t v;

	if (outsz < ls_base64_encoded_len(n)) { /* as libsodium: a bug */
		if (outsz > 0)
			out[0] = '\0';
		return;
	}
	for (; i + 3 <= n; i += 3) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[k++] = b64_alphabet[v >> 18];
		out[k++] = b64_alphabet[(v >> 12) & 63];
		out[k++] = b64_alphabet[(v >> 6) & 63];
		out[k++] = b64_alphabet[v & 63];
	}
	if (i < n) {
		v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0);
		out[k++] = b64_alphabet[v >> 18];
		out[k++] = b64_alphabet[(v >> 12) & 63];
		out[k++] = i + 1 < n ? b64_alphabet[(v >> 6) & 63] : '=';
		out[k++] = '=';
	}
	out[k] = '\0';
}

/* The value of each base64 character plus one; 0 for any other byte. */
static const unsigned char b64_value1[256] = {
	['A'] = 1, ['B'] = 2, ['C'] = 3, ['D'] = 4, ['E'] = 5, ['F'] = 6,
	['G'] = 7, ['H'] = 8, ['I'] = 9, ['J'] = 10, ['K'] = 11, ['L'] = 12,
	['M'] = 13, ['N'] = 14, ['O'] = 15, ['P'] = 16, ['Q'] = 17, ['R'] = 18,
	['S'] = 19, ['T'] = 20, ['U'] = 21, ['V'] = 22, ['W'] = 23, ['X'] = 24,
	['Y'] = 25, ['Z'] = 26, ['a'] = 27, ['b'] = 28, ['c'] = 29, ['d'] = 30,
	['e'] = 31, ['f'] = 32, ['g'] = 33, ['h'] = 34, ['i'] = 35, ['j'] = 36,
	['k'] = 37, ['l'] = 38, ['m'] = 39, ['n'] = 40, ['o'] = 41, ['p'] = 42,
	['q'] = 43, ['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47, ['v'] = 48,
	['w'] = 49, ['x'] = 50, ['y'] = 51, ['z'] = 52, ['0'] = 53, ['1'] = 54,
	['2'] = 55, ['3'] = 56, ['4'] = 57, ['5'] = 58, ['6'] = 59, ['7'] = 60,
	['8'] = 61, ['9'] = 62, ['+'] = 63, ['/'] = 64,
};

/* The value of a base64 character, -1 for any other byte. */
static int
b64_value(unsigned char c)
{
	return (int)b64_value1[c] - 1;
}

int
ls_base64_decode(uint8_t *out, size_t outsz, size_t *out_len, const char *in,
    size_t inlen)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t i, k = 0, pad = 0, need;
	int a, b, c, d;

	if (inlen / 4 * 3 > outsz + 2)
		return ls_error_set(LS_ETOOBIG, "base64 value too long");
	if (inlen % 4 != 0)
		return ls_error_set(LS_EFORMAT, "bad base64");
	if (inlen > 0 && s[inlen - 1] == '=')
		pad = s[inlen - 2] == '=' ? 2 : 1;
	need = inlen / 4 * 3 - pad;
	if (need > outsz)
		return ls_error_set(LS_ETOOBIG, "base64 value too long");
	for (i = 0; i < inlen; i += 4) {
		int last = i + 4 == inlen;

		a = b64_value(s[i]);
		b = b64_value(s[i + 1]);
		c = last && pad == 2 ? 0 : b64_value(s[i + 2]);
		d = last && pad >= 1 ? 0 : b64_value(s[i + 3]);
		if ((a | b | c | d) < 0)
			return ls_error_set(LS_EFORMAT, "bad base64");
		/* the bits past the value must be zero: one encoding */
		if (last && ((pad == 2 && (b & 15) != 0) ||
				(pad == 1 && (c & 3) != 0)))
			return ls_error_set(LS_EFORMAT, "bad base64");
		out[k++] = (uint8_t)(a << 2 | b >> 4);
		if (!(last && pad == 2))
			out[k++] = (uint8_t)((b & 15) << 4 | c >> 2);
		if (!(last && pad >= 1))
			out[k++] = (uint8_t)((c & 3) << 6 | d);
	}
	*out_len = k;
	return 0;
}

uint64_t
ls_fnv1a(const void *p, size_t n)
{
	const unsigned char *b = p;
	uint64_t h = 14695981039346656037ULL;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ b[i]) * 1099511628211ULL;
	return h;
}

uint64_t
ls_fnv1a_str(const char *s)
{
	uint64_t h = 14695981039346656037ULL;

	while (*s != '\0')
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}
