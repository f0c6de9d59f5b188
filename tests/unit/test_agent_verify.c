/* test_agent_verify.c - every rule of the agent update workflow (DESIGN.md
 * rules 2-5) against documents signed here with real keys. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <sodium.h>

#include "../../agent/verify.h"
#include "lockstep/doc.h"
#include "lockstep/error.h"
#include "lockstep/hash.h"
#include "lockstep/key.h"
#include "lockstep/note.h"

#define NOW ((time_t)1800000000)
#define HOUR 3600

/* root, release, timestamp, log; then a second root and timestamp key */
enum { K_ROOT, K_REL, K_TS, K_LOG, K_ROOT2, K_TS2, K_OTHER, K_N };
static struct ls_key *keys[K_N];

static int
setup_keys(void **state)
{
	static const char *names[K_N] = { "root", "release", "timestamp", "log",
		"root2", "timestamp2", "other" };
	int i;

	(void)state;
	for (i = 0; i < K_N; i++)
		if (ls_key_generate(&keys[i], names[i]) != 0)
			return -1;
	return 0;
}

static int
teardown_keys(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < K_N; i++)
		ls_key_free(keys[i]);
	return 0;
}

static void
add_key(struct ls_root *r, int role, int k)
{
	struct ls_vkey vk;

	ls_key_vkey(&vk, keys[k]);
	assert_int_equal(ls_keyset_add(&r->keys[role], &vk), 0);
}

/* A root listing rootk/tsk, version v, origin "acme". */
static void
make_root(struct ls_root *r, uint64_t v, int rootk, int tsk)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->origin, sizeof(r->origin), "acme");
	r->version = v;
	r->expires = NOW + 365 * 24 * HOUR;
	add_key(r, LS_ROLE_ROOT, rootk);
	add_key(r, LS_ROLE_RELEASE, K_REL);
	add_key(r, LS_ROLE_TIMESTAMP, tsk);
	add_key(r, LS_ROLE_LOG, K_LOG);
	r->threshold[LS_ROLE_ROOT] = 1;
	r->threshold[LS_ROLE_RELEASE] = 1;
	r->threshold[LS_ROLE_TIMESTAMP] = 1;
	r->threshold[LS_ROLE_LOG] = 1;
}

/* Sign body with the keys listed (index array ending in -1). */
static char *
sign(size_t *len, const char *body, size_t blen, const int *ks)
{
	struct ls_key *sel[8];
	size_t n = 0;
	char *out = NULL;

	while (ks[n] >= 0) {
		sel[n] = keys[ks[n]];
		n++;
	}
	assert_int_equal(ls_note_sign(&out, len, body, blen, sel, n), 0);
	return out;
}

static char *
root_note(size_t *len, const struct ls_root *r, const int *ks)
{
	char *body = NULL, *note;
	size_t blen = 0;

	assert_int_equal(ls_root_body(&body, &blen, r), 0);
	note = sign(len, body, blen, ks);
	free(body);
	return note;
}

static void
make_ts(struct ls_timestamp *t, uint64_t seq, uint64_t rel_seq,
    const char *rel_note, size_t rel_len)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->origin, sizeof(t->origin), "acme");
	snprintf(t->channel, sizeof(t->channel), "stable");
	t->seq = seq;
	t->expires = NOW + HOUR;
	t->release_seq = rel_seq;
	ls_sha256_hex(t->release_sha256, rel_note, rel_len);
	t->release_length = rel_len;
}

static char *
ts_note(size_t *len, const struct ls_timestamp *t, int k)
{
	int ks[2] = { k, -1 };
	char *body = NULL, *note;
	size_t blen = 0;

	assert_int_equal(ls_timestamp_body(&body, &blen, t), 0);
	note = sign(len, body, blen, ks);
	free(body);
	return note;
}

static void
make_rel(struct ls_release *r, uint64_t seq, uint64_t floor)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->origin, sizeof(r->origin), "acme");
	snprintf(r->channel, sizeof(r->channel), "stable");
	r->seq = seq;
	snprintf(r->version, sizeof(r->version), "v1.%llu",
	    (unsigned long long)seq);
	memset(r->commit, 'a', 40);
	memset(r->bundle_sha256, 'b', 64);
	r->bundle_length = 1234;
	r->built = NOW - HOUR;
	r->expires = NOW + 30 * 24 * HOUR;
	r->floor = floor;
}

static char *
rel_note(size_t *len, const struct ls_release *r, int k)
{
	int ks[2] = { k, -1 };
	char *body = NULL, *note;
	size_t blen = 0;

	assert_int_equal(ls_release_body(&body, &blen, r), 0);
	note = sign(len, body, blen, ks);
	free(body);
	return note;
}

/* ---- rule 2: root ---- */

static void
test_agent_verify__root_anchor_needs_own_threshold(void **state)
{
	struct ls_root r, got;
	const int by_root[] = { K_ROOT, -1 }, by_other[] = { K_OTHER, -1 };
	char *n;
	size_t len;

	(void)state;
	make_root(&r, 1, K_ROOT, K_TS);
	n = root_note(&len, &r, by_root);
	assert_int_equal(ls_verify_root_anchor(&got, n, len), 0);
	assert_int_equal(got.version, 1);
	ls_root_cleanup(&got);
	free(n);
	n = root_note(&len, &r, by_other);
	assert_int_equal(ls_verify_root_anchor(&got, n, len), LS_EBADSIG);
	free(n);
	ls_root_cleanup(&r);
}

static void
test_agent_verify__root_chain_needs_both_thresholds(void **state)
{
	struct ls_root r1, r2, got;
	const int both[] = { K_ROOT, K_ROOT2, -1 }, old_only[] = { K_ROOT, -1 },
		  new_only[] = { K_ROOT2, -1 };
	char *n;
	size_t len;

	(void)state;
	make_root(&r1, 1, K_ROOT, K_TS);
	make_root(&r2, 2, K_ROOT2, K_TS);
	n = root_note(&len, &r2, both);
	assert_int_equal(ls_verify_root_next(&got, &r1, n, len), 0);
	assert_int_equal(got.version, 2);
	ls_root_cleanup(&got);
	free(n);
	n = root_note(&len, &r2, old_only);
	assert_int_equal(ls_verify_root_next(&got, &r1, n, len), LS_EBADSIG);
	free(n);
	n = root_note(&len, &r2, new_only);
	assert_int_equal(ls_verify_root_next(&got, &r1, n, len), LS_EBADSIG);
	free(n);
	ls_root_cleanup(&r1);
	ls_root_cleanup(&r2);
}

static void
test_agent_verify__root_versions_are_consecutive(void **state)
{
	struct ls_root r1, r3, again, got;
	const int by_root[] = { K_ROOT, -1 };
	char *n;
	size_t len;

	(void)state;
	make_root(&r1, 1, K_ROOT, K_TS);
	make_root(&r3, 3, K_ROOT, K_TS);
	n = root_note(&len, &r3, by_root);
	assert_int_equal(ls_verify_root_next(&got, &r1, n, len), LS_EMISMATCH);
	assert_non_null(strstr(ls_error_last(), "skips"));
	free(n);
	make_root(&again, 1, K_ROOT, K_TS);
	n = root_note(&len, &again, by_root);
	assert_int_equal(ls_verify_root_next(&got, &r1, n, len), LS_EROLLBACK);
	free(n);
	ls_root_cleanup(&r1);
	ls_root_cleanup(&r3);
	ls_root_cleanup(&again);
}

static void
test_agent_verify__root_keeps_origin(void **state)
{
	struct ls_root r1, r2, got;
	const int by_root[] = { K_ROOT, -1 };
	char *n;
	size_t len;

	(void)state;
	make_root(&r1, 1, K_ROOT, K_TS);
	make_root(&r2, 2, K_ROOT, K_TS);
	snprintf(r2.origin, sizeof(r2.origin), "evil");
	n = root_note(&len, &r2, by_root);
	assert_int_equal(ls_verify_root_next(&got, &r1, n, len), LS_EMISMATCH);
	free(n);
	ls_root_cleanup(&r1);
	ls_root_cleanup(&r2);
}

static void
test_agent_verify__root_size_capped(void **state)
{
	struct ls_root r1, got;
	char *big = malloc(LS_NOTE_MAX + 2);

	(void)state;
	assert_non_null(big);
	memset(big, 'a', LS_NOTE_MAX + 1);
	make_root(&r1, 1, K_ROOT, K_TS);
	assert_int_equal(ls_verify_root_next(&got, &r1, big, LS_NOTE_MAX + 1),
	    LS_ETOOBIG);
	free(big);
	ls_root_cleanup(&r1);
}

static void
test_agent_verify__role_change_detected(void **state)
{
	struct ls_root a, b, c;

	(void)state;
	make_root(&a, 1, K_ROOT, K_TS);
	make_root(&b, 2, K_ROOT2, K_TS);
	make_root(&c, 2, K_ROOT, K_TS2);
	assert_int_equal(ls_verify_role_changed(&a, &b, LS_ROLE_TIMESTAMP), 0);
	assert_int_equal(ls_verify_role_changed(&a, &b, LS_ROLE_ROOT), 1);
	assert_int_equal(ls_verify_role_changed(&a, &c, LS_ROLE_TIMESTAMP), 1);
	ls_root_cleanup(&a);
	ls_root_cleanup(&b);
	ls_root_cleanup(&c);
}

/* ---- rule 3: timestamp ---- */

static void
test_agent_verify__timestamp_new_same_rollback(void **state)
{
	struct ls_root r;
	struct ls_timestamp t, got;
	enum ls_verify_ts v;
	char *n;
	size_t len;

	(void)state;
	make_root(&r, 1, K_ROOT, K_TS);
	make_ts(&t, 5, 1, "x", 1);
	n = ts_note(&len, &t, K_TS);
	assert_int_equal(ls_verify_timestamp(&got, &v, &r, n, len, "stable", 4,
			     NOW),
	    0);
	assert_int_equal(v, LS_VERIFY_TS_NEW);
	assert_int_equal(got.seq, 5);
	assert_int_equal(ls_verify_timestamp(&got, &v, &r, n, len, "stable", 5,
			     NOW),
	    0);
	assert_int_equal(v, LS_VERIFY_TS_SAME);
	assert_int_equal(ls_verify_timestamp(&got, &v, &r, n, len, "stable", 6,
			     NOW),
	    LS_EROLLBACK);
	free(n);
	ls_root_cleanup(&r);
}

static void
test_agent_verify__timestamp_expired_is_freeze(void **state)
{
	struct ls_root r;
	struct ls_timestamp t, got;
	enum ls_verify_ts v;
	char *n;
	size_t len;

	(void)state;
	make_root(&r, 1, K_ROOT, K_TS);
	make_ts(&t, 5, 1, "x", 1);
	n = ts_note(&len, &t, K_TS);
	assert_int_equal(ls_verify_timestamp(&got, &v, &r, n, len, "stable", 4,
			     NOW + HOUR),
	    LS_EEXPIRED);
	assert_int_equal(got.seq, 5);
	assert_int_equal(ls_verify_timestamp(&got, &v, &r, n, len, "stable", 4,
			     NOW + HOUR - 1),
	    0);
	free(n);
	ls_root_cleanup(&r);
}

static void
test_agent_verify__timestamp_signature_checked(void **state)
{
	struct ls_root r;
	struct ls_timestamp t, got;
	enum ls_verify_ts v;
	char *n, *p;
	size_t len;

	(void)state;
	make_root(&r, 1, K_ROOT, K_TS);
	make_ts(&t, 5, 1, "x", 1);
	n = ts_note(&len, &t, K_TS);
	p = strstr(n, "seq 5");
	assert_non_null(p);
	p[4] = '9'; /* flipped byte in the body */
	assert_int_equal(ls_verify_timestamp(&got, &v, &r, n, len, "stable", 0,
			     NOW),
	    LS_EBADSIG);
	free(n);
	n = ts_note(&len, &t, K_REL); /* another role's key */
	assert_int_equal(ls_verify_timestamp(&got, &v, &r, n, len, "stable", 0,
			     NOW),
	    LS_EBADSIG);
	free(n);
	ls_root_cleanup(&r);
}

static void
test_agent_verify__timestamp_channel_and_origin(void **state)
{
	struct ls_root r;
	struct ls_timestamp t, got;
	enum ls_verify_ts v;
	char *n;
	size_t len;

	(void)state;
	make_root(&r, 1, K_ROOT, K_TS);
	make_ts(&t, 5, 1, "x", 1);
	snprintf(t.channel, sizeof(t.channel), "beta");
	n = ts_note(&len, &t, K_TS);
	assert_int_equal(ls_verify_timestamp(&got, &v, &r, n, len, "stable", 0,
			     NOW),
	    LS_EMISMATCH);
	free(n);
	make_ts(&t, 5, 1, "x", 1);
	snprintf(t.origin, sizeof(t.origin), "other");
	n = ts_note(&len, &t, K_TS);
	assert_int_equal(ls_verify_timestamp(&got, &v, &r, n, len, "stable", 0,
			     NOW),
	    LS_EMISMATCH);
	free(n);
	ls_root_cleanup(&r);
}

static void
test_agent_verify__timestamp_type_confusion_refused(void **state)
{
	struct ls_root r;
	struct ls_release rel;
	struct ls_timestamp got;
	enum ls_verify_ts v;
	char *n;
	size_t len;

	(void)state;
	make_root(&r, 1, K_ROOT, K_TS);
	make_rel(&rel, 3, 0);
	n = rel_note(&len, &rel, K_TS); /* a release signed by the ts key */
	assert_int_equal(ls_verify_timestamp(&got, &v, &r, n, len, "stable", 0,
			     NOW),
	    LS_EFORMAT);
	free(n);
	ls_root_cleanup(&r);
}

static void
test_agent_verify__timestamp_size_capped(void **state)
{
	struct ls_root r;
	struct ls_timestamp got;
	enum ls_verify_ts v;
	char *big = calloc(1, LS_NOTE_MAX + 2);

	(void)state;
	assert_non_null(big);
	memset(big, 'a', LS_NOTE_MAX + 1);
	make_root(&r, 1, K_ROOT, K_TS);
	assert_int_equal(ls_verify_timestamp(&got, &v, &r, big, LS_NOTE_MAX + 1,
			     "stable", 0, NOW),
	    LS_ETOOBIG);
	free(big);
	ls_root_cleanup(&r);
}

/* ---- rule 4: release ---- */

struct relcase {
	struct ls_root root;
	struct ls_release rel;
	struct ls_timestamp ts;
	char *note;
	size_t len;
};

static void
relcase_make(struct relcase *c, uint64_t seq, uint64_t floor, int k)
{
	make_root(&c->root, 1, K_ROOT, K_TS);
	make_rel(&c->rel, seq, floor);
	c->note = rel_note(&c->len, &c->rel, k);
	make_ts(&c->ts, 10, seq, c->note, c->len);
}

static void
relcase_free(struct relcase *c)
{
	free(c->note);
	ls_root_cleanup(&c->root);
}

static void
test_agent_verify__release_accepted(void **state)
{
	struct relcase c;
	struct ls_release got;

	(void)state;
	relcase_make(&c, 7, 5, K_REL);
	assert_int_equal(ls_verify_release(&got, &c.root, &c.ts, c.note, c.len,
			     "stable", 6, 5, NOW),
	    0);
	assert_int_equal(got.seq, 7);
	assert_int_equal(got.bundle_length, 1234);
	ls_release_cleanup(&got);
	/* equal seq passes here: the caller compares content */
	assert_int_equal(ls_verify_release(&got, &c.root, &c.ts, c.note, c.len,
			     "stable", 7, 5, NOW),
	    0);
	ls_release_cleanup(&got);
	relcase_free(&c);
}

static void
test_agent_verify__release_hash_must_match_timestamp(void **state)
{
	struct relcase c;
	struct ls_release got;

	(void)state;
	relcase_make(&c, 7, 0, K_REL);
	c.note[c.len / 2] ^= 1;
	assert_int_equal(ls_verify_release(&got, &c.root, &c.ts, c.note, c.len,
			     "stable", 0, 0, NOW),
	    LS_EMISMATCH);
	assert_non_null(strstr(ls_error_last(), "sha256"));
	c.note[c.len / 2] ^= 1;
	assert_int_equal(ls_verify_release(&got, &c.root, &c.ts, c.note,
			     c.len - 1, "stable", 0, 0, NOW),
	    LS_EMISMATCH);
	relcase_free(&c);
}

static void
test_agent_verify__release_needs_release_key(void **state)
{
	struct relcase c;
	struct ls_release got;

	(void)state;
	relcase_make(&c, 7, 0, K_TS);
	assert_int_equal(ls_verify_release(&got, &c.root, &c.ts, c.note, c.len,
			     "stable", 0, 0, NOW),
	    LS_EBADSIG);
	relcase_free(&c);
}

static void
test_agent_verify__release_channel_checked(void **state)
{
	struct relcase c;
	struct ls_release got;

	(void)state;
	make_root(&c.root, 1, K_ROOT, K_TS);
	make_rel(&c.rel, 7, 0);
	snprintf(c.rel.channel, sizeof(c.rel.channel), "beta");
	c.note = rel_note(&c.len, &c.rel, K_REL);
	make_ts(&c.ts, 10, 7, c.note, c.len);
	assert_int_equal(ls_verify_release(&got, &c.root, &c.ts, c.note, c.len,
			     "stable", 0, 0, NOW),
	    LS_EMISMATCH);
	assert_non_null(strstr(ls_error_last(), "channel beta"));
	relcase_free(&c);
}

static void
test_agent_verify__release_seq_and_floor(void **state)
{
	struct relcase c;
	struct ls_release got;

	(void)state;
	relcase_make(&c, 7, 0, K_REL);
	assert_int_equal(ls_verify_release(&got, &c.root, &c.ts, c.note, c.len,
			     "stable", 8, 0, NOW),
	    LS_EROLLBACK);
	assert_int_equal(ls_verify_release(&got, &c.root, &c.ts, c.note, c.len,
			     "stable", 0, 9, NOW),
	    LS_EROLLBACK);
	assert_non_null(strstr(ls_error_last(), "floor"));
	c.ts.release_seq = 8; /* the timestamp names another seq */
	assert_int_equal(ls_verify_release(&got, &c.root, &c.ts, c.note, c.len,
			     "stable", 0, 0, NOW),
	    LS_EMISMATCH);
	relcase_free(&c);
}

static void
test_agent_verify__release_expired(void **state)
{
	struct relcase c;
	struct ls_release got;

	(void)state;
	relcase_make(&c, 7, 0, K_REL);
	assert_int_equal(ls_verify_release(&got, &c.root, &c.ts, c.note, c.len,
			     "stable", 0, 0, NOW + 31 * 24 * HOUR),
	    LS_EEXPIRED);
	relcase_free(&c);
}

/* ---- rule 5: bundle ---- */

static void
test_agent_verify__bundle_length_and_hash(void **state)
{
	struct ls_release rel;
	uint8_t sha[LS_SHA256_LEN];

	(void)state;
	make_rel(&rel, 1, 0);
	memset(sha, 0xbb, sizeof(sha));
	assert_int_equal(ls_verify_bundle(&rel, sha, 1234), 0);
	assert_int_equal(ls_verify_bundle(&rel, sha, 1235), LS_EMISMATCH);
	sha[31] = 0xba;
	assert_int_equal(ls_verify_bundle(&rel, sha, 1234), LS_EMISMATCH);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    test_agent_verify__root_anchor_needs_own_threshold),
		cmocka_unit_test(
		    test_agent_verify__root_chain_needs_both_thresholds),
		cmocka_unit_test(
		    test_agent_verify__root_versions_are_consecutive),
		cmocka_unit_test(test_agent_verify__root_keeps_origin),
		cmocka_unit_test(test_agent_verify__root_size_capped),
		cmocka_unit_test(test_agent_verify__role_change_detected),
		cmocka_unit_test(
		    test_agent_verify__timestamp_new_same_rollback),
		cmocka_unit_test(
		    test_agent_verify__timestamp_expired_is_freeze),
		cmocka_unit_test(
		    test_agent_verify__timestamp_signature_checked),
		cmocka_unit_test(
		    test_agent_verify__timestamp_channel_and_origin),
		cmocka_unit_test(
		    test_agent_verify__timestamp_type_confusion_refused),
		cmocka_unit_test(test_agent_verify__timestamp_size_capped),
		cmocka_unit_test(test_agent_verify__release_accepted),
		cmocka_unit_test(
		    test_agent_verify__release_hash_must_match_timestamp),
		cmocka_unit_test(test_agent_verify__release_needs_release_key),
		cmocka_unit_test(test_agent_verify__release_channel_checked),
		cmocka_unit_test(test_agent_verify__release_seq_and_floor),
		cmocka_unit_test(test_agent_verify__release_expired),
		cmocka_unit_test(test_agent_verify__bundle_length_and_hash),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, setup_keys, teardown_keys);
}
