/* test_root.c - the trust anchor and root rotation (both thresholds). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "lockstep/doc.h"
#include "lockstep/error.h"
#include "lockstep/key.h"
#include "lockstep/note.h"
#include "lockstep/root.h"

#define NKEYS 5

/* Root keys r0..r3 and one key for the other roles. */
static struct ls_key *keys[NKEYS];

static int
setup(void **state)
{
	static const char *const names[NKEYS] = { "r0", "r1", "r2", "r3",
		"ops" };
	size_t i;

	(void)state;
	for (i = 0; i < NKEYS; i++)
		if (ls_key_generate(&keys[i], names[i]) < 0)
			return -1;
	return 0;
}

static int
teardown(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NKEYS; i++)
		ls_key_free(keys[i]);
	return 0;
}

/*
 * Root note: version, origin, root keys (indexes into keys[], -1 ends),
 * root threshold, then the signers (indexes, -1 ends).  Caller frees.
 */
static char *
make_root(unsigned version, const char *origin, const int *rootk,
    unsigned threshold, const int *signers, size_t *len)
{
	struct ls_key *sk[NKEYS];
	struct ls_root r;
	struct ls_vkey vk;
	char *body = NULL, *note = NULL;
	size_t blen = 0, ns = 0;
	unsigned role;

	memset(&r, 0, sizeof(r));
	snprintf(r.origin, sizeof(r.origin), "%s", origin);
	r.version = version;
	r.expires = 1900000000;
	for (; *rootk >= 0; rootk++) {
		ls_key_vkey(&vk, keys[*rootk]);
		assert_int_equal(ls_keyset_add(&r.keys[LS_ROLE_ROOT], &vk), 0);
	}
	r.threshold[LS_ROLE_ROOT] = threshold;
	ls_key_vkey(&vk, keys[NKEYS - 1]);
	for (role = 1; role < LS_ROLE_COUNT; role++) {
		assert_int_equal(ls_keyset_add(&r.keys[role], &vk), 0);
		r.threshold[role] = 1;
	}
	assert_int_equal(ls_root_body(&body, &blen, &r), 0);
	for (; *signers >= 0; signers++)
		sk[ns++] = keys[*signers];
	assert_int_equal(ls_note_sign(&note, len, body, blen, sk, ns), 0);
	free(body);
	ls_root_cleanup(&r);
	return note;
}

static void
test_root__anchor_is_self_signed(void **state)
{
	static const int k01[] = { 0, 1, -1 }, s0[] = { 0, -1 },
			 s01[] = { 0, 1, -1 }, s3[] = { 3, -1 };
	struct ls_root r;
	char *note;
	size_t len = 0;

	(void)state;
	note = make_root(1, "acme", k01, 1, s0, &len);
	assert_int_equal(ls_root_open(&r, note, len), 0);
	assert_int_equal(r.version, 1);
	assert_int_equal(r.keys[LS_ROLE_ROOT].n, 2);
	ls_root_cleanup(&r);
	free(note);
	/* Threshold 2: one signature is not enough, two are. */
	note = make_root(1, "acme", k01, 2, s0, &len);
	assert_int_equal(ls_root_open(&r, note, len), LS_EBADSIG);
	assert_null(r.keys[LS_ROLE_ROOT].keys);
	free(note);
	note = make_root(1, "acme", k01, 2, s01, &len);
	assert_int_equal(ls_root_open(&r, note, len), 0);
	ls_root_cleanup(&r);
	free(note);
	/* Signed by a key the root does not list. */
	note = make_root(1, "acme", k01, 1, s3, &len);
	assert_int_equal(ls_root_open(&r, note, len), LS_EBADSIG);
	free(note);
}

static void
test_root__rotation_needs_both_thresholds(void **state)
{
	static const int k0[] = { 0, -1 }, k1[] = { 1, -1 }, s0[] = { 0, -1 },
			 s1[] = { 1, -1 }, s01[] = { 0, 1, -1 };
	struct ls_root v1, v2;
	char *n1, *n2;
	size_t l1 = 0, l2 = 0;

	(void)state;
	n1 = make_root(1, "acme", k0, 1, s0, &l1);
	assert_int_equal(ls_root_open(&v1, n1, l1), 0);
	/* v2 moves the root key from r0 to r1. */
	n2 = make_root(2, "acme", k1, 1, s01, &l2);
	assert_int_equal(ls_root_next(&v2, &v1, n2, l2), 0);
	assert_int_equal(v2.version, 2);
	assert_string_equal(v2.keys[LS_ROLE_ROOT].keys[0].name, "r1");
	ls_root_cleanup(&v2);
	free(n2);
	/* Only the new key: refused, naming the trusted keys. */
	n2 = make_root(2, "acme", k1, 1, s1, &l2);
	assert_int_equal(ls_root_next(&v2, &v1, n2, l2), LS_EBADSIG);
	assert_non_null(strstr(ls_error_last(),
	    "root version 2: not signed by the keys of trusted root version 1"));
	free(n2);
	/* Only the old key: refused, naming the new root's own keys. */
	n2 = make_root(2, "acme", k1, 1, s0, &l2);
	assert_int_equal(ls_root_next(&v2, &v1, n2, l2), LS_EBADSIG);
	assert_non_null(strstr(ls_error_last(), "its own root keys"));
	assert_null(v2.keys[LS_ROLE_ROOT].keys);
	free(n2);
	ls_root_cleanup(&v1);
	free(n1);
}

static void
test_root__rotation_version_and_origin(void **state)
{
	static const int k0[] = { 0, -1 }, s0[] = { 0, -1 };
	struct ls_root v1, v2;
	char *n1, *n;
	size_t l1 = 0, l = 0;

	(void)state;
	n1 = make_root(1, "acme", k0, 1, s0, &l1);
	assert_int_equal(ls_root_open(&v1, n1, l1), 0);
	n = make_root(3, "acme", k0, 1, s0, &l); /* skips 2 */
	assert_int_equal(ls_root_next(&v2, &v1, n, l), LS_EMISMATCH);
	free(n);
	assert_int_equal(ls_root_next(&v2, &v1, n1, l1), LS_EROLLBACK);
	n = make_root(2, "other", k0, 1, s0, &l);
	assert_int_equal(ls_root_next(&v2, &v1, n, l), LS_EMISMATCH);
	free(n);
	/* A flipped byte in the new body. */
	n = make_root(2, "acme", k0, 1, s0, &l);
	n[strlen("lockstep/root/v1\norigin acme\nversion ")] = '7';
	assert_int_equal(ls_root_next(&v2, &v1, n, l), LS_EBADSIG);
	free(n);
	ls_root_cleanup(&v1);
	free(n1);
}

static void
test_root__threshold_two_of_three_rotation(void **state)
{
	static const int k012[] = { 0, 1, 2, -1 }, k123[] = { 1, 2, 3, -1 },
			 s01[] = { 0, 1, -1 }, s12[] = { 1, 2, -1 },
			 s13[] = { 1, 3, -1 }, s23[] = { 2, 3, -1 },
			 s0[] = { 0, -1 };
	struct ls_root v1, v2;
	char *n1, *n;
	size_t l1 = 0, l = 0;

	(void)state;
	n1 = make_root(1, "acme", k012, 2, s01, &l1);
	assert_int_equal(ls_root_open(&v1, n1, l1), 0);
	/* r1, r2 are in both sets: two signatures satisfy both. */
	n = make_root(2, "acme", k123, 2, s12, &l);
	assert_int_equal(ls_root_next(&v2, &v1, n, l), 0);
	ls_root_cleanup(&v2);
	free(n);
	/* r1, r3: one old key (r1) only. */
	n = make_root(2, "acme", k123, 2, s13, &l);
	assert_int_equal(ls_root_next(&v2, &v1, n, l), LS_EBADSIG);
	free(n);
	/* r2, r3 plus the retired r0: both thresholds met. */
	n = make_root(2, "acme", k123, 2, s23, &l);
	{
		char *more = NULL;
		size_t ml = 0;

		assert_int_equal(ls_root_next(&v2, &v1, n, l), LS_EBADSIG);
		assert_int_equal(ls_note_cosign(&more, &ml, n, l, &keys[s0[0]],
				     1),
		    0);
		assert_int_equal(ls_root_next(&v2, &v1, more, ml), 0);
		ls_root_cleanup(&v2);
		free(more);
	}
	free(n);
	ls_root_cleanup(&v1);
	free(n1);
}

/* Only the newest root's expiry counts; advance walks in place. */
static void
test_root__expiry_and_advance(void **state)
{
	static const int k0[] = { 0, -1 }, s0[] = { 0, -1 };
	struct ls_root cur;
	char *n1, *n2;
	size_t l1 = 0, l2 = 0;

	(void)state;
	n1 = make_root(1, "acme", k0, 1, s0, &l1);
	n2 = make_root(2, "acme", k0, 1, s0, &l2);
	memset(&cur, 0, sizeof(cur));
	assert_int_equal(ls_root_advance(&cur, n1, l1), 0);
	assert_int_equal(cur.version, 1);
	/* Version 1 again is a rollback; cur is left as it was. */
	assert_int_equal(ls_root_advance(&cur, n1, l1), LS_EROLLBACK);
	assert_int_equal(cur.version, 1);
	assert_int_equal(ls_root_advance(&cur, n2, l2), 0);
	assert_int_equal(cur.version, 2);
	/* make_root sets expires 1900000000. */
	assert_int_equal(ls_root_check_expiry(&cur, 1899999999), 0);
	assert_int_equal(ls_root_check_expiry(&cur, 1900000000), LS_EEXPIRED);
	assert_non_null(strstr(ls_error_last(),
	    "root version 2 expired at 2030-03-17T17:46:40Z"));
	ls_root_cleanup(&cur);
	free(n1);
	free(n2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_root__anchor_is_self_signed),
		cmocka_unit_test(test_root__rotation_needs_both_thresholds),
		cmocka_unit_test(test_root__rotation_version_and_origin),
		cmocka_unit_test(test_root__threshold_two_of_three_rotation),
		cmocka_unit_test(test_root__expiry_and_advance),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, setup, teardown);
}
