/* test_base64.c - the table base64 (common/hash.c) against libsodium's
 * constant-time one: the same text for every length, the same bytes back,
 * and the same strings refused (random strings over the alphabet, the
 * pad and a few others), non-canonical trailing bits included. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lockstep/hash.h"

/* A small deterministic generator: the cases are the same every run. */
static uint64_t rng = 0x9e3779b97f4a7c15ull;

static unsigned
next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng >> 11);
}

static void
test_base64__encode_as_sodium(void **st)
{
	uint8_t in[200], back[200];
	char fast[400], ref[400];
	size_t n, i, got;
	int round;

	(void)st;
	for (round = 0; round < 20; round++)
		for (n = 0; n < sizeof(in); n++) {
			for (i = 0; i < n; i++)
				in[i] = (uint8_t)next();
			ls_base64_encode(fast, sizeof(fast), in, n);
			ls_base64_encode_secret(ref, sizeof(ref), in, n);
			assert_string_equal(fast, ref);
			assert_int_equal(strlen(fast) + 1,
			    ls_base64_encoded_len(n));
			assert_int_equal(ls_base64_decode(back, sizeof(back),
					     &got, fast, strlen(fast)),
			    0);
			assert_int_equal(got, n);
			assert_memory_equal(back, in, n);
		}
}

static void
test_base64__decode_refuses_as_sodium(void **st)
{
	static const char chars[] = "AQgw+/=Z9a= \n-_*";
	uint8_t a[64], b[64];
	char s[40];
	size_t la, lb, len, i;
	int ra, rb, k, accepted = 0;

	(void)st;
	for (k = 0; k < 200000; k++) {
		len = next() % 13;
		for (i = 0; i < len; i++)
			s[i] = chars[next() % (sizeof(chars) - 1)];
		s[len] = '\0';
		la = lb = 0;
		ra = ls_base64_decode(a, sizeof(a), &la, s, len);
		rb = ls_base64_decode_secret(b, sizeof(b), &lb, s, len);
		if ((ra == 0) != (rb == 0))
			fail_msg("\"%s\": table %d, sodium %d", s, ra, rb);
		if (ra == 0) {
			accepted++;
			assert_int_equal(la, lb);
			assert_memory_equal(a, b, la);
		}
	}
	assert_true(accepted > 1000); /* the cases reach both answers */
	/* non-canonical: the unused bits set */
	assert_int_not_equal(ls_base64_decode(a, sizeof(a), &la, "QR==", 4), 0);
	assert_int_not_equal(ls_base64_decode(a, sizeof(a), &la, "QUJ=", 4), 0);
	assert_int_equal(ls_base64_decode(a, sizeof(a), &la, "QQ==", 4), 0);
	assert_int_equal(la, 1);
	/* too long for the output */
	assert_int_not_equal(ls_base64_decode(a, 2, &la, "QUJD", 4), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base64__encode_as_sodium),
		cmocka_unit_test(test_base64__decode_refuses_as_sodium),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
