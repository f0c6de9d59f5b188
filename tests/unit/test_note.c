/* test_note.c - C2SP signed notes: known answers, thresholds, fixtures. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "lockstep/buf.h"
#include "lockstep/error.h"
#include "lockstep/file.h"
#include "lockstep/key.h"
#include "lockstep/note.h"

/* golang.org/x/mod/sumdb/note documentation example (data only). */
#define GO_SKEY                                                                \
	"PRIVATE+KEY+PeterNeumann+c74f20a3+"                                   \
	"AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz\n"
#define GO_VKEY                                                                \
	"PeterNeumann+c74f20a3+"                                               \
	"ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
#define GO_TEXT                                                                \
	"If you think cryptography is the answer to your problem,\n"           \
	"then you don't know what your problem is.\n"
#define GO_NOTE                                                                \
	GO_TEXT                                                                \
	"\n\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/"                         \
	"SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6"   \
	"RyyBwJnAM=\n"
/* C2SP signed-note specification example (data only). */
#define SPEC_VKEY                                                              \
	"example.com/foo+530d903a+"                                            \
	"AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
#define SPEC_NOTE                                                              \
	"This is an example message.\n\n\xe2\x80\x94 example.com/"             \
	"foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsY"  \
	"jOBH3mFXmRKuwHjG1Yu72IneyaQM=\n"

#define BODY "lockstep/test/v1\nkey value\n"

static char tmpdir[64];

static int
setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/ls-note-XXXXXX");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	return ls_file_remove_tree(tmpdir);
}

static const char *
fixture(const char *name)
{
	static char path[1024];
	const char *root = getenv("LOCKSTEP_ROOT");

	snprintf(path, sizeof(path), "%s/tests/data/notes/%s",
	    root != NULL ? root : ".", name);
	return path;
}

static void
add_vkey_text(struct ls_keyset *ks, const char *text)
{
	struct ls_vkey vk;

	assert_int_equal(ls_vkey_parse(&vk, text, strlen(text)), 0);
	assert_int_equal(ls_keyset_add(ks, &vk), 0);
}

static void
add_vkey_file(struct ls_keyset *ks, const char *name)
{
	struct ls_vkey vk;

	assert_int_equal(ls_vkey_load(&vk, fixture(name)), 0);
	assert_int_equal(ls_keyset_add(ks, &vk), 0);
}

/* ls_note_open on a fixture file with the given trusted keys. */
static int
open_fixture(const char *name, struct ls_keyset *ks, unsigned threshold)
{
	char *text = NULL;
	size_t len = 0;
	int rc;

	rc = ls_file_read(&text, &len, fixture(name), 1024 * 1024);
	assert_int_equal(rc, 0);
	ls_error_clear();
	rc = ls_note_open(NULL, text, len, ks, threshold);
	if (rc < 0)
		assert_true(ls_error_last()[0] != '\0');
	free(text);
	return rc;
}

static struct ls_key *
go_key(void)
{
	struct ls_key *k = NULL;
	char path[256];

	snprintf(path, sizeof(path), "%s/go.key", tmpdir);
	if (!ls_file_exists(path))
		assert_int_equal(ls_file_write_atomic(path, GO_SKEY,
				     strlen(GO_SKEY), 0600),
		    0);
	assert_int_equal(ls_key_load(&k, path), 0);
	return k;
}

static void
test_note__sign_matches_reference(void **state)
{
	struct ls_key *k = go_key();
	char *out = NULL;
	size_t len = 0;

	(void)state;
	assert_int_equal(ls_note_sign(&out, &len, GO_TEXT, strlen(GO_TEXT), &k,
			     1),
	    0);
	assert_string_equal(out, GO_NOTE);
	assert_int_equal(len, strlen(GO_NOTE));
	free(out);
	ls_key_free(k);
}

static void
test_note__verify_reference_notes(void **state)
{
	struct ls_keyset ks = { 0 };
	struct ls_note *n = NULL;
	size_t len = 0;

	(void)state;
	add_vkey_text(&ks, GO_VKEY);
	add_vkey_text(&ks, SPEC_VKEY);
	assert_int_equal(ls_note_open(&n, GO_NOTE, strlen(GO_NOTE), &ks, 1), 0);
	assert_string_equal(ls_note_body(n, &len), GO_TEXT);
	assert_int_equal(len, strlen(GO_TEXT));
	assert_int_equal(ls_note_nsigs(n), 1);
	assert_string_equal(ls_note_sig_name(n, 0), "PeterNeumann");
	assert_null(ls_note_sig_name(n, 1));
	ls_note_free(n);
	assert_int_equal(ls_note_open(&n, SPEC_NOTE, strlen(SPEC_NOTE), &ks, 1),
	    0);
	assert_string_equal(ls_note_body(n, NULL),
	    "This is an example message.\n");
	ls_note_free(n);
	ls_note_free(NULL);
	ls_keyset_cleanup(&ks);
}

static void
test_note__threshold_counts_distinct_known_keys(void **state)
{
	struct ls_key *k[3] = { NULL, NULL, NULL };
	struct ls_keyset ks = { 0 };
	struct ls_note *n = NULL;
	struct ls_vkey vk;
	char *out = NULL, *more = NULL, *again = NULL;
	size_t len = 0, mlen = 0, alen = 0, i;

	(void)state;
	assert_int_equal(ls_key_generate(&k[0], "a"), 0);
	assert_int_equal(ls_key_generate(&k[1], "b"), 0);
	assert_int_equal(ls_key_generate(&k[2], "c"), 0);
	for (i = 0; i < 3; i++) {
		ls_key_vkey(&vk, k[i]);
		assert_int_equal(ls_keyset_add(&ks, &vk), 0);
	}
	assert_int_equal(ls_note_sign(&out, &len, BODY, strlen(BODY), k, 2), 0);
	assert_int_equal(ls_note_parse(&n, out, len), 0);
	assert_int_equal(ls_note_verify(n, &ks, 0), 2); /* 0 counts as 1 */
	assert_int_equal(ls_note_verify(n, &ks, 2), 2);
	assert_int_equal(ls_note_verify(n, &ks, 3), LS_EBADSIG);
	assert_non_null(strstr(ls_error_last(), "2 known keys, 3 required"));
	ls_note_free(n);
	/* c co-signs: now three; a second signature by a is refused. */
	assert_int_equal(ls_note_cosign(&more, &mlen, out, len, &k[2], 1), 0);
	assert_int_equal(ls_note_open(NULL, more, mlen, &ks, 3), 0);
	assert_int_equal(ls_note_cosign(&again, &alen, more, mlen, &k[0], 1),
	    LS_EEXISTS);
	assert_null(again);
	free(more);
	free(out);
	for (i = 0; i < 3; i++)
		ls_key_free(k[i]);
	ls_keyset_cleanup(&ks);
}

static void
test_note__unknown_cosigner_is_ignored(void **state)
{
	struct ls_keyset ks = { 0 };

	(void)state;
	add_vkey_file(&ks, "alice.pub");
	assert_int_equal(open_fixture("good.note", &ks, 1), 0);
	assert_int_equal(open_fixture("good-two-keys.note", &ks, 1), 0);
	assert_int_equal(open_fixture("good-two-keys.note", &ks, 2),
	    LS_EBADSIG);
	add_vkey_file(&ks, "bob.pub");
	assert_int_equal(open_fixture("good-two-keys.note", &ks, 2), 0);
	ls_keyset_cleanup(&ks);
}

static void
test_note__hostile_fixtures_refused(void **state)
{
	static const struct {
		const char *file;
		int rc;
	} cases[] = {
		{ "forged-signature.note", LS_EBADSIG },
		{ "truncated-signature.note", LS_EBADSIG },
		{ "wrong-keyid.note", LS_EBADSIG },
		{ "flipped-body-byte.note", LS_EBADSIG },
		{ "duplicate-signature.note", LS_EFORMAT },
		{ "bad-base64.note", LS_EFORMAT },
		{ "missing-final-newline.note", LS_EFORMAT },
		{ "oversized.note", LS_ETOOBIG },
		{ "unknown-key.note", LS_EBADSIG },
		{ "known-key-bad-signature.note", LS_EBADSIG },
		{ "hyphen-not-em-dash.note", LS_EFORMAT },
		{ "no-blank-line.note", LS_EFORMAT },
	};
	struct ls_keyset ks = { 0 };
	size_t i;

	(void)state;
	add_vkey_file(&ks, "alice.pub");
	add_vkey_file(&ks, "bob.pub");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		print_message("%s\n", cases[i].file);
		assert_int_equal(open_fixture(cases[i].file, &ks, 1),
		    cases[i].rc);
	}
	ls_keyset_cleanup(&ks);
}

static void
test_note__unknown_key_fixture_is_otherwise_valid(void **state)
{
	struct ls_keyset ks = { 0 };

	(void)state;
	/* The fixture fails above only because mallory is not trusted. */
	add_vkey_file(&ks, "mallory.pub");
	assert_int_equal(open_fixture("unknown-key.note", &ks, 1), 0);
	ls_keyset_cleanup(&ks);
}

static void
test_note__empty_keyset_verifies_nothing(void **state)
{
	struct ls_keyset ks = { 0 };

	(void)state;
	assert_int_equal(open_fixture("good.note", &ks, 0), LS_EBADSIG);
}

static void
test_note__sign_refuses_bad_bodies(void **state)
{
	static const char *const bad[] = {
		"no final newline",
		"",
		"\nstarts blank\n",
		"a\n\nb\n",
		"tab\there\n",
		"bad utf8 \xc3\x28\n",
		"overlong \xc0\xaf\n",
		"surrogate \xed\xa0\x80\n",
	};
	struct ls_key *k = go_key();
	char *out = NULL, *big;
	size_t len = 0, i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(ls_note_sign(&out, &len, bad[i],
				     strlen(bad[i]), &k, 1),
		    LS_EFORMAT);
	assert_null(out);
	big = malloc(LS_NOTE_MAX + 2);
	assert_non_null(big);
	memset(big, 'x', LS_NOTE_MAX + 1);
	big[LS_NOTE_MAX] = '\n';
	assert_int_equal(ls_note_sign(&out, &len, big, LS_NOTE_MAX + 1, &k, 1),
	    LS_ETOOBIG);
	/* Fits as a body, but not once signed. */
	big[LS_NOTE_MAX - 1] = '\n';
	assert_int_equal(ls_note_sign(&out, &len, big, LS_NOTE_MAX, &k, 1),
	    LS_ETOOBIG);
	free(big);
	assert_int_equal(ls_note_sign(&out, &len, BODY, strlen(BODY), &k, 0),
	    LS_EINVAL);
	{
		struct ls_key *twice[2] = { k, k };

		assert_int_equal(ls_note_sign(&out, &len, BODY, strlen(BODY),
				     twice, 2),
		    LS_EINVAL);
	}
	ls_key_free(k);
}

static void
test_note__parse_refuses_malformed(void **state)
{
	static const char *const bad[] = {
		"\n",				 /* nothing at all */
		"\n\n",				 /* empty body, no signature */
		"body\n\n",			 /* no signature lines */
		"body\n\n\xe2\x80\x94 k\n",	 /* no space after name */
		"body\n\n\xe2\x80\x94 k AAAA\n", /* shorter than a key id */
		"body\n\n\xe2\x80\x94  AAAAAAAA\n",    /* empty name */
		"body\n\n\xe2\x80\x94 a+b AAAAAAAA\n", /* '+' in name */
		"body\n\n\xe2\x80\x94 k AAAAAAAA\r\n", /* CR */
		"body\n\n\xe2\x80\x94 k AAAAAAAA \n",  /* trailing space */
		"body\n\n\xe2\x80\x94 k AAAAAAB=\n",   /* stray bits */
	};
	struct ls_note *n = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		print_message("case %zu\n", i);
		assert_int_equal(ls_note_parse(&n, bad[i], strlen(bad[i])),
		    LS_EFORMAT);
		assert_null(n);
	}
}

static void
test_note__too_many_signatures(void **state)
{
	struct ls_note *n = NULL;
	struct ls_buf b;
	int i;

	(void)state;
	ls_buf_init(&b, LS_NOTE_MAX);
	assert_int_equal(ls_buf_adds(&b, BODY "\n"), 0);
	for (i = 0; i <= LS_NOTE_MAX_SIGS; i++)
		/* distinct names, so only the count trips */
		assert_int_equal(ls_buf_addf(&b, "\xe2\x80\x94 k%d AAAAAAAA\n",
				     i),
		    0);
	assert_int_equal(ls_note_parse(&n, b.data, b.len), LS_EFORMAT);
	assert_non_null(strstr(ls_error_last(), "more than"));
	ls_buf_cleanup(&b);
}

static void
test_note__every_single_byte_change_is_refused(void **state)
{
	static const unsigned char flips[] = { 0x01, 0x20, 0x80 };
	struct ls_keyset ks = { 0 };
	char *text = NULL;
	size_t len = 0, i, f, refused = 0;
	unsigned char orig;

	(void)state;
	add_vkey_file(&ks, "alice.pub");
	add_vkey_file(&ks, "bob.pub");
	assert_int_equal(ls_file_read(&text, &len,
			     fixture("good-two-keys.note"), 4096),
	    0);
	assert_int_equal(ls_note_open(NULL, text, len, &ks, 2), 0);
	for (i = 0; i < len; i++)
		for (f = 0; f < sizeof(flips); f++) {
			orig = (unsigned char)text[i];
			text[i] = (char)(orig ^ flips[f]);
			if (ls_note_open(NULL, text, len, &ks, 2) < 0)
				refused++;
			else
				print_message("accepted a change at byte %zu\n",
				    i);
			text[i] = (char)orig;
		}
	assert_int_equal(refused, len * sizeof(flips));
	/*
	 * Every proper prefix is refused at threshold 2 (the prefix that ends
	 * after alice's line is a complete note signed by alice alone).
	 */
	for (i = 0; i < len; i++)
		assert_true(ls_note_open(NULL, text, i, &ks, 2) < 0);
	free(text);
	ls_keyset_cleanup(&ks);
}

/* One Ed25519 key listed twice under two names still counts once. */
static void
test_note__one_public_key_under_two_names_counts_once(void **state)
{
	struct ls_key *k = go_key();
	struct ls_keyset ks = { 0 };
	struct ls_vkey vk, alias;
	crypto_hash_sha256_state st;
	uint8_t hash[32], raw[4 + 64], alg = 1;
	char b64[128], *note = NULL;
	size_t len = 0;
	struct ls_buf b;

	(void)state;
	ls_key_vkey(&vk, k);
	alias = vk;
	snprintf(alias.name, sizeof(alias.name), "alias");
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const uint8_t *)"alias\n", 6);
	crypto_hash_sha256_update(&st, &alg, 1);
	crypto_hash_sha256_update(&st, alias.pub, 32);
	crypto_hash_sha256_final(&st, hash);
	memcpy(alias.id, hash, 4);
	assert_int_equal(ls_keyset_add(&ks, &vk), 0);
	assert_int_equal(ls_keyset_add(&ks, &alias), 0);
	assert_int_equal(ls_note_sign(&note, &len, BODY, strlen(BODY), &k, 1),
	    0);
	memcpy(raw, alias.id, 4);
	ls_key_sign(k, raw + 4, BODY, strlen(BODY));
	sodium_bin2base64(b64, sizeof(b64), raw, sizeof(raw),
	    sodium_base64_VARIANT_ORIGINAL);
	ls_buf_init(&b, LS_NOTE_MAX);
	assert_int_equal(ls_buf_add(&b, note, len), 0);
	assert_int_equal(ls_buf_addf(&b, "\xe2\x80\x94 alias %s\n", b64), 0);
	/* Both lines verify, yet only one key stands behind them. */
	assert_int_equal(ls_note_open(NULL, b.data, b.len, &ks, 1), 0);
	assert_int_equal(ls_note_open(NULL, b.data, b.len, &ks, 2), LS_EBADSIG);
	ls_buf_cleanup(&b);
	free(note);
	ls_keyset_cleanup(&ks);
	ls_key_free(k);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_note__sign_matches_reference),
		cmocka_unit_test(test_note__verify_reference_notes),
		cmocka_unit_test(
		    test_note__threshold_counts_distinct_known_keys),
		cmocka_unit_test(test_note__unknown_cosigner_is_ignored),
		cmocka_unit_test(test_note__hostile_fixtures_refused),
		cmocka_unit_test(
		    test_note__unknown_key_fixture_is_otherwise_valid),
		cmocka_unit_test(test_note__empty_keyset_verifies_nothing),
		cmocka_unit_test(test_note__sign_refuses_bad_bodies),
		cmocka_unit_test(test_note__parse_refuses_malformed),
		cmocka_unit_test(test_note__too_many_signatures),
		cmocka_unit_test(
		    test_note__every_single_byte_change_is_refused),
		cmocka_unit_test(
		    test_note__one_public_key_under_two_names_counts_once),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, setup, teardown);
}
