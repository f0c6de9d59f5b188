/* test_server_evaudit.c - the evidence store's reads for audit packages:
 * the prover's proofs equal ls_evidence_proof's (entry tiles, the right
 * edge, past the first 65,536 entries), the controls of a framework are
 * listed from the decision partitions, and a kind read from its
 * partitions gives the lines the index gives. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "../../server/evidence.h"
#include "lockstep/error.h"
#include "lockstep/file.h"

#define N_ENTRIES 70001 /* three tile levels, every right edge partial */

struct fx {
	char dir[64];
	struct ls_evidence *ev;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/ls-test-evaudit-XXXXXX");
	if (mkdtemp(f->dir) == NULL ||
	    ls_evidence_open(&f->ev, f->dir, NULL, NULL) != 0)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	ls_evidence_free(f->ev);
	ls_file_remove_tree(f->dir);
	free(f);
	return 0;
}

/* n decisions, entry i naming control ctl(i). */
static void
append(struct ls_evidence *ev, uint64_t n, const char *const *ctls,
    size_t nctls)
{
	struct ls_evidence_item *it = calloc(10000, sizeof(*it));
	uint64_t i = 0, k;

	assert_non_null(it);
	while (i < n) {
		for (k = 0; k < 10000 && i < n; k++, i++) {
			it[k].kind = "decision";
			it[k].agent = "a1";
			it[k].details = json_pack("{s:s, s:I, s:[s]}", "time",
			    "2026-07-01T10:00:00.000000Z", "seq",
			    (json_int_t)i + 1, "controls", ctls[i % nctls]);
		}
		assert_int_equal(ls_evidence_append_many(ev, it, k, NULL), 0);
		while (k > 0)
			json_decref(it[--k].details);
	}
	free(it);
	assert_int_equal(ls_evidence_sync(ev, 30000), 0);
}

static void
same_proof(struct ls_evidence *ev, struct ls_evidence_prover *p, uint64_t i,
    uint64_t size)
{
	uint8_t l1[LS_SHA256_LEN], l2[LS_SHA256_LEN];
	uint8_t p1[LS_MERKLE_MAX_PROOF][LS_SHA256_LEN];
	uint8_t p2[LS_MERKLE_MAX_PROOF][LS_SHA256_LEN];
	size_t n1, n2;

	assert_int_equal(ls_evidence_prover_proof(p, i, l1, p1, &n1), 0);
	assert_int_equal(ls_evidence_proof(ev, i, size, l2, p2, &n2), 0);
	assert_memory_equal(l1, l2, LS_SHA256_LEN);
	assert_int_equal(n1, n2);
	assert_memory_equal(p1, p2, n1 * LS_SHA256_LEN);
}

static void
test_server_evaudit__prover_matches_proof(void **state)
{
	static const char *const ctls[] = { "soc2:CC6.1" };
	struct fx *f = *state;
	struct ls_evidence_prover *p = NULL;
	uint8_t root[LS_SHA256_LEN], leaf[LS_SHA256_LEN];
	uint8_t pr[LS_MERKLE_MAX_PROOF][LS_SHA256_LEN];
	uint64_t size, i, x = 12345;
	size_t n;

	append(f->ev, N_ENTRIES, ctls, 1);
	ls_evidence_root(f->ev, &size, root);
	assert_int_equal(size, N_ENTRIES);
	assert_int_equal(ls_evidence_prover_open(&p, f->ev, size), 0);
	/* In order, around tile edges, then jumping about (the slots). */
	for (i = 0; i < 600; i++)
		same_proof(f->ev, p, i, size);
	for (i = 65530; i < 65542; i++)
		same_proof(f->ev, p, i, size);
	for (i = size - 300; i < size; i++)
		same_proof(f->ev, p, i, size);
	for (i = 0; i < 300; i++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		same_proof(f->ev, p, (x >> 33) % size, size);
	}
	assert_int_equal(ls_evidence_prover_proof(p, size, leaf, pr, &n),
	    LS_ENOTFOUND);
	ls_evidence_prover_free(p);
	/* A smaller tree: its own right edge. */
	assert_int_equal(ls_evidence_prover_open(&p, f->ev, 1000), 0);
	for (i = 0; i < 1000; i += 7)
		same_proof(f->ev, p, i, 1000);
	ls_evidence_prover_free(p);
	assert_int_equal(ls_evidence_prover_open(&p, f->ev, size + 1),
	    LS_ENOTFOUND);
	ls_evidence_prover_free(NULL);
}

static int
collect(void *arg, const char *control)
{
	json_array_append_new(arg, json_string(control));
	return 0;
}

static int
has(json_t *arr, const char *s)
{
	json_t *v;
	size_t i;

	json_array_foreach(arr, i, v) if (strcmp(json_string_value(v), s) ==
	    0) return 1;
	return 0;
}

static void
test_server_evaudit__controls(void **state)
{
	static const char *const ctls[] = { "soc2:CC6.1", "soc2:A b/c",
		"iso27001:A.8.1", "loose" };
	struct fx *f = *state;
	json_t *got = json_array();

	append(f->ev, 8, ctls, 4);
	assert_int_equal(ls_evidence_controls(f->ev, "soc2", collect, got),
	    0);
	assert_int_equal(json_array_size(got), 2);
	assert_true(has(got, "soc2:CC6.1"));
	assert_true(has(got, "soc2:A b/c")); /* %XX-decoded */
	json_array_clear(got);
	assert_int_equal(ls_evidence_controls(f->ev, "nist", collect, got),
	    0);
	assert_int_equal(json_array_size(got), 0);
	json_decref(got);
}

static void
test_server_evaudit__kind_by_partition(void **state)
{
	static const char *const ctls[] = { "soc2:CC6.1" };
	struct fx *f = *state;
	struct ls_evidence_filter flt;
	struct ls_buf a, b;
	char path[128];
	json_t *d = json_pack("{s:I}", "first", (json_int_t)1);
	int i;

	append(f->ev, 300, ctls, 1);
	for (i = 0; i < 40; i++) {
		assert_int_equal(ls_evidence_append(f->ev, "batch", "stable",
				     i % 2 ? "a1" : "a2", d),
		    0);
		append(f->ev, 7, ctls, 1);
	}
	memset(&flt, 0, sizeof(flt));
	flt.kind = "batch";
	flt.since = time(NULL) - 86400;
	ls_buf_init(&a, 1 << 24);
	ls_buf_init(&b, 1 << 24);
	assert_int_equal(ls_evidence_query(f->ev, &a, &flt), 0);
	flt.by_partition = 1;
	assert_int_equal(ls_evidence_query(f->ev, &b, &flt), 0);
	assert_true(a.len > 0);
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.data, b.data, a.len);
	/* It did read the partitions: without them it finds nothing. */
	snprintf(path, sizeof(path), "%s/evidence/partitions/kind=batch",
	    f->dir);
	assert_int_equal(ls_file_remove_tree(path), 0);
	ls_buf_reset(&b);
	assert_int_equal(ls_evidence_query(f->ev, &b, &flt), 0);
	assert_int_equal(b.len, 0);
	ls_buf_cleanup(&a);
	ls_buf_cleanup(&b);
	json_decref(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_server_evaudit__prover_matches_proof, setup, teardown),
		cmocka_unit_test_setup_teardown(test_server_evaudit__controls,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_server_evaudit__kind_by_partition, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
