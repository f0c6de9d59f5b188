/* test_server_merkle.c - RFC 6962 hashing, frontier and inclusion proofs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../server/merkle.h"
#include "lockstep/error.h"

static const char *const vec[] = { "", "00", "10", "2021", "3031", "40414243",
	"5051525354555657", "606162636465666768696a6b6c6d6e6f" };

static void
leaves_of_vec(uint8_t out[8][LS_SHA256_LEN])
{
	uint8_t buf[16];
	size_t i, n;

	for (i = 0; i < 8; i++) {
		n = strlen(vec[i]) / 2;
		assert_int_equal(ls_hex_decode(buf, n, vec[i], 2 * n), 0);
		ls_merkle_leaf(out[i], buf, n);
	}
}

static void
test_server_merkle__rfc6962_vector(void **state)
{
	uint8_t leaves[8][LS_SHA256_LEN], root[LS_SHA256_LEN];
	char hex[65];

	(void)state;
	leaves_of_vec(leaves);
	ls_merkle_root(root, (const uint8_t(*)[LS_SHA256_LEN])leaves, 8);
	ls_hex_encode(hex, root, LS_SHA256_LEN);
	assert_string_equal(hex,
	    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f"
	    "4960cfe370eff4604328");
	ls_merkle_root(root, (const uint8_t(*)[LS_SHA256_LEN])leaves, 0);
	ls_hex_encode(hex, root, LS_SHA256_LEN);
	assert_string_equal(hex,
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b"
	    "934ca495991b7852b855");
}

static void
test_server_merkle__frontier_matches_full_tree(void **state)
{
	uint8_t leaves[70][LS_SHA256_LEN], a[LS_SHA256_LEN], b[LS_SHA256_LEN];
	struct ls_merkle_frontier f;
	unsigned char byte;
	size_t n;

	(void)state;
	ls_merkle_frontier_init(&f);
	for (n = 0; n < 70; n++) {
		byte = (unsigned char)n;
		ls_merkle_leaf(leaves[n], &byte, 1);
		ls_merkle_frontier_add(&f, leaves[n]);
		ls_merkle_frontier_root(&f, a);
		ls_merkle_root(b, (const uint8_t(*)[LS_SHA256_LEN])leaves,
		    n + 1);
		assert_memory_equal(a, b, LS_SHA256_LEN);
	}
}

static void
test_server_merkle__inclusion_proofs(void **state)
{
	uint8_t leaves[40][LS_SHA256_LEN], root[LS_SHA256_LEN];
	uint8_t proof[LS_MERKLE_MAX_PROOF][LS_SHA256_LEN];
	const uint8_t(*lv)[LS_SHA256_LEN] =
	    (const uint8_t(*)[LS_SHA256_LEN])leaves;
	unsigned char byte;
	size_t len, n, m;

	(void)state;
	for (n = 0; n < 40; n++) {
		byte = (unsigned char)(n * 7);
		ls_merkle_leaf(leaves[n], &byte, 1);
	}
	for (n = 1; n <= 40; n++) {
		ls_merkle_root(root, lv, n);
		for (m = 0; m < n; m++) {
			assert_int_equal(ls_merkle_inclusion(proof, &len, lv, m,
					     n),
			    0);
			assert_int_equal(ls_merkle_verify_inclusion(leaves[m],
					     m, n,
					     (const uint8_t(*)[LS_SHA256_LEN])
						 proof,
					     len, root),
			    0);
			/* The wrong index or a flipped bit must fail. */
			if (n > 1)
				assert_int_equal(ls_merkle_verify_inclusion(leaves
										[m],
						     (m + 1) % n, n,
						     (const uint8_t(
							     *)[LS_SHA256_LEN])
							 proof,
						     len, root),
				    LS_EMISMATCH);
			if (len > 0) {
				proof[0][5] ^= 1;
				assert_int_equal(ls_merkle_verify_inclusion(leaves
										[m],
						     m, n,
						     (const uint8_t(
							     *)[LS_SHA256_LEN])
							 proof,
						     len, root),
				    LS_EMISMATCH);
			}
		}
	}
	assert_int_equal(ls_merkle_inclusion(proof, &len, lv, 5, 5), LS_EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_server_merkle__rfc6962_vector),
		cmocka_unit_test(
		    test_server_merkle__frontier_matches_full_tree),
		cmocka_unit_test(test_server_merkle__inclusion_proofs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
