/* test_key.c - Ed25519 keys, key files and verifier keys. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "lockstep/error.h"
#include "lockstep/file.h"
#include "lockstep/hash.h"
#include "lockstep/key.h"

/* The reference key of golang.org/x/mod/sumdb/note's documentation. */
#define GO_SKEY                                                                \
	"PRIVATE+KEY+PeterNeumann+c74f20a3+"                                   \
	"AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
#define GO_VKEY                                                                \
	"PeterNeumann+c74f20a3+"                                               \
	"ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
/* The example verifier key of the C2SP signed-note specification. */
#define SPEC_VKEY                                                              \
	"example.com/foo+530d903a+"                                            \
	"AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"

static char tmpdir[64];

static int
setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/ls-key-XXXXXX");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	return ls_file_remove_tree(tmpdir);
}

static void
write_file(const char *name, const char *text, mode_t mode)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	assert_int_equal(ls_file_write_atomic(path, text, strlen(text), mode),
	    0);
}

static void
test_key__reference_vectors_parse(void **state)
{
	struct ls_vkey vk;
	char text[LS_VKEY_TEXT_MAX], hex[9];

	(void)state;
	assert_int_equal(ls_vkey_parse(&vk, GO_VKEY, strlen(GO_VKEY)), 0);
	assert_string_equal(vk.name, "PeterNeumann");
	ls_hex_encode(hex, vk.id, 4);
	assert_string_equal(hex, "c74f20a3");
	ls_vkey_format(text, &vk);
	assert_string_equal(text, GO_VKEY);
	assert_int_equal(ls_vkey_parse(&vk, SPEC_VKEY, strlen(SPEC_VKEY)), 0);
	assert_string_equal(vk.name, "example.com/foo");
	ls_vkey_format(text, &vk);
	assert_string_equal(text, SPEC_VKEY);
}

static void
test_key__load_reference_secret_key(void **state)
{
	struct ls_key *k = NULL;
	struct ls_vkey vk;
	char path[256], text[LS_VKEY_TEXT_MAX];

	(void)state;
	write_file("go.key", GO_SKEY "\n", 0600);
	snprintf(path, sizeof(path), "%s/go.key", tmpdir);
	assert_int_equal(ls_key_load(&k, path), 0);
	assert_string_equal(ls_key_name(k), "PeterNeumann");
	ls_key_vkey(&vk, k);
	ls_vkey_format(text, &vk);
	assert_string_equal(text, GO_VKEY);
	ls_key_free(k);
	ls_key_free(NULL);
}

static void
test_key__generate_save_load_roundtrip(void **state)
{
	struct ls_key *k = NULL, *k2 = NULL;
	struct ls_vkey a, b;
	uint8_t sig[LS_KEY_SIG_LEN], sig2[LS_KEY_SIG_LEN];
	char path[256];
	struct stat st;

	(void)state;
	assert_int_equal(ls_key_generate(&k, "release"), 0);
	assert_int_equal(ls_key_save(k, tmpdir), 0);
	snprintf(path, sizeof(path), "%s/release.key", tmpdir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(ls_key_load(&k2, path), 0);
	ls_key_vkey(&a, k);
	ls_key_vkey(&b, k2);
	assert_memory_equal(&a, &b, sizeof(a));
	ls_key_sign(k, sig, "msg", 3);
	ls_key_sign(k2, sig2, "msg", 3);
	assert_memory_equal(sig, sig2, sizeof(sig)); /* Ed25519: same */
	assert_int_equal(crypto_sign_verify_detached(sig,
			     (const unsigned char *)"msg", 3, a.pub),
	    0);
	snprintf(path, sizeof(path), "%s/release.pub", tmpdir);
	assert_int_equal(ls_vkey_load(&b, path), 0);
	assert_memory_equal(&a, &b, sizeof(a));
	ls_key_free(k);
	ls_key_free(k2);
}

static void
test_key__save_refuses_overwrite(void **state)
{
	struct ls_key *k = NULL, *k2 = NULL;
	char path[256], *data = NULL, *data2 = NULL;

	(void)state;
	assert_int_equal(ls_key_generate(&k, "dup"), 0);
	assert_int_equal(ls_key_generate(&k2, "dup"), 0);
	assert_int_equal(ls_key_save(k, tmpdir), 0);
	snprintf(path, sizeof(path), "%s/dup.key", tmpdir);
	assert_int_equal(ls_file_read(&data, NULL, path, 4096), 0);
	assert_int_equal(ls_key_save(k2, tmpdir), LS_EEXISTS);
	assert_non_null(strstr(ls_error_last(), "refusing to overwrite"));
	assert_int_equal(ls_file_read(&data2, NULL, path, 4096), 0);
	assert_string_equal(data, data2);
	free(data);
	free(data2);
	/* Only the .pub there: still refused, and no .key appears. */
	snprintf(path, sizeof(path), "%s/dup.key", tmpdir);
	unlink(path);
	assert_int_equal(ls_key_save(k2, tmpdir), LS_EEXISTS);
	assert_false(ls_file_exists(path));
	ls_key_free(k);
	ls_key_free(k2);
}

static void
test_key__bad_names_refused(void **state)
{
	struct ls_key *k = NULL;
	char long_name[80];

	(void)state;
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	assert_int_equal(ls_key_generate(&k, ""), LS_EINVAL);
	assert_int_equal(ls_key_generate(&k, "a+b"), LS_EINVAL);
	assert_int_equal(ls_key_generate(&k, "a b"), LS_EINVAL);
	assert_int_equal(ls_key_generate(&k, "a\nb"), LS_EINVAL);
	assert_int_equal(ls_key_generate(&k, long_name), LS_EINVAL);
	assert_null(k);
	/* Valid note names, but not file names: nothing is written. */
	assert_int_equal(ls_key_generate(&k, "../escape"), 0);
	assert_int_equal(ls_key_save(k, tmpdir), LS_EINVAL);
	ls_key_free(k);
	assert_int_equal(ls_key_generate(&k, ".hidden"), 0);
	assert_int_equal(ls_key_save(k, tmpdir), LS_EINVAL);
	ls_key_free(k);
	assert_false(ls_file_exists("/tmp/escape.key"));
}

static void
test_key__vkey_parse_refuses_damage(void **state)
{
	static const char *const bad[] = {
		"PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
		"PeterNeumanm+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
		"PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TX",
		"PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T",
		"PeterNeumann+c74f20a3+Apc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
		"PeterNeumann+c74f20+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
		"PeterNeumann+c74f20zz+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
		"+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
		"PeterNeumann",
		"",
		/* algorithm byte 0x02 */
		"PeterNeumann+c74f20a3+Ahpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
	};
	struct ls_vkey vk;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ls_error_clear();
		assert_int_equal(ls_vkey_parse(&vk, bad[i], strlen(bad[i])),
		    LS_EFORMAT);
		assert_true(ls_error_last()[0] != '\0');
	}
}

static void
test_key__load_refuses_bad_files(void **state)
{
	struct ls_key *k = NULL;
	struct ls_vkey vk;
	char path[256];

	(void)state;
	/* Wrong key id for the seed. */
	write_file("badid.key",
	    "PRIVATE+KEY+PeterNeumann+c74f20a4+"
	    "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz\n",
	    0600);
	snprintf(path, sizeof(path), "%s/badid.key", tmpdir);
	assert_int_equal(ls_key_load(&k, path), LS_EFORMAT);
	assert_non_null(strstr(ls_error_last(), "badid.key"));
	/* A verifier key is not a secret key. */
	write_file("pub.key", GO_VKEY "\n", 0600);
	snprintf(path, sizeof(path), "%s/pub.key", tmpdir);
	assert_int_equal(ls_key_load(&k, path), LS_EFORMAT);
	/* Truncated seed. */
	write_file("short.key",
	    "PRIVATE+KEY+PeterNeumann+c74f20a3+"
	    "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXH\n",
	    0600);
	snprintf(path, sizeof(path), "%s/short.key", tmpdir);
	assert_int_equal(ls_key_load(&k, path), LS_EFORMAT);
	snprintf(path, sizeof(path), "%s/absent.key", tmpdir);
	assert_int_equal(ls_key_load(&k, path), LS_ENOTFOUND);
	assert_null(k);
	/* A .pub with a second line. */
	write_file("two.pub", GO_VKEY "\n" GO_VKEY "\n", 0644);
	snprintf(path, sizeof(path), "%s/two.pub", tmpdir);
	assert_int_equal(ls_vkey_load(&vk, path), LS_EFORMAT);
	assert_non_null(strstr(ls_error_last(), "two.pub"));
}

/* A secret key that group or others can read is refused, naming the
 * file and its mode (as ssh does), before its bytes are used. */
static void
test_key__load_refuses_open_permissions(void **state)
{
	struct ls_key *k = NULL;
	char path[256];

	(void)state;
	write_file("open.key", GO_SKEY "\n", 0644);
	snprintf(path, sizeof(path), "%s/open.key", tmpdir);
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(ls_key_load(&k, path), LS_EUNSAFE);
	assert_null(k);
	assert_non_null(strstr(ls_error_last(), "open.key"));
	assert_non_null(strstr(ls_error_last(), "0644"));
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(ls_key_load(&k, path), LS_EUNSAFE);
	assert_non_null(strstr(ls_error_last(), "0640"));
	assert_int_equal(chmod(path, 0400), 0);
	assert_int_equal(ls_key_load(&k, path), 0);
	ls_key_free(k);
}

static void
test_key__keyset_refuses_duplicates(void **state)
{
	struct ls_keyset ks = { 0 };
	struct ls_vkey vk;

	(void)state;
	assert_int_equal(ls_vkey_parse(&vk, GO_VKEY, strlen(GO_VKEY)), 0);
	assert_int_equal(ls_keyset_add(&ks, &vk), 0);
	assert_int_equal(ls_keyset_add(&ks, &vk), LS_EEXISTS);
	assert_int_equal(ls_vkey_parse(&vk, SPEC_VKEY, strlen(SPEC_VKEY)), 0);
	assert_int_equal(ls_keyset_add(&ks, &vk), 0);
	assert_int_equal(ks.n, 2);
	ls_keyset_cleanup(&ks);
	assert_null(ks.keys);
	ls_keyset_cleanup(&ks);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key__reference_vectors_parse),
		cmocka_unit_test(test_key__load_reference_secret_key),
		cmocka_unit_test(test_key__generate_save_load_roundtrip),
		cmocka_unit_test(test_key__save_refuses_overwrite),
		cmocka_unit_test(test_key__bad_names_refused),
		cmocka_unit_test(test_key__vkey_parse_refuses_damage),
		cmocka_unit_test(test_key__load_refuses_bad_files),
		cmocka_unit_test(test_key__load_refuses_open_permissions),
		cmocka_unit_test(test_key__keyset_refuses_duplicates),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, setup, teardown);
}
