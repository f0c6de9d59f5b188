/* test_secret.c - secret files (mode, one-line tokens) and token compare. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <sodium.h>

#include "lockstep/error.h"
#include "lockstep/file.h"
#include "lockstep/secret.h"

static char tmpdir[64];

static int
setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/ls-secret-XXXXXX");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	return ls_file_remove_tree(tmpdir);
}

static const char *
put(const char *name, const char *text, mode_t mode)
{
	static char path[256];

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	assert_int_equal(ls_file_write_atomic(path, text, strlen(text), mode),
	    0);
	assert_int_equal(chmod(path, mode), 0);
	return path;
}

static void
test_secret__token_file_read_and_trimmed(void **state)
{
	char *t = NULL;

	(void)state;
	assert_int_equal(ls_secret_read_token(&t, put("t1", "abc \r\n", 0600)),
	    0);
	assert_string_equal(t, "abc");
	ls_secret_free(t);
	ls_secret_free(NULL);
}

static void
test_secret__open_token_file_refused_with_mode(void **state)
{
	char *t = NULL;

	(void)state;
	assert_int_equal(ls_secret_read_token(&t, put("t2", "abc\n", 0644)),
	    LS_EUNSAFE);
	assert_null(t);
	assert_non_null(strstr(ls_error_last(), "/t2"));
	assert_non_null(strstr(ls_error_last(), "0644"));
	assert_int_equal(ls_secret_read_token(&t, put("t3", "abc\n", 0604)),
	    LS_EUNSAFE);
}

static void
test_secret__bad_token_files_refused(void **state)
{
	char *t = NULL, big[LS_SECRET_TOKEN_MAX + 2];

	(void)state;
	assert_int_equal(ls_secret_read_token(&t, put("e", "\n\n", 0600)),
	    LS_EFORMAT);
	assert_int_equal(ls_secret_read_token(&t, put("two", "a\nb\n", 0600)),
	    LS_EFORMAT);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(ls_secret_read_token(&t, put("big", big, 0600)),
	    LS_ETOOBIG);
	snprintf(big, sizeof(big), "%s/absent", tmpdir);
	assert_int_equal(ls_secret_read_token(&t, big), LS_ENOTFOUND);
	assert_null(t);
}

static void
test_secret__equal_needs_same_length(void **state)
{
	(void)state;
	assert_int_equal(ls_secret_equal("token", 5, "token", 5), 1);
	assert_int_equal(ls_secret_equal("token", 5, "token", 4), 0);
	assert_int_equal(ls_secret_equal("tok", 3, "token", 5), 0);
	assert_int_equal(ls_secret_equal("token\0", 6, "token", 5), 0);
	assert_int_equal(ls_secret_equal("tokem", 5, "token", 5), 0);
	assert_int_equal(ls_secret_equal("", 0, "", 0), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_secret__token_file_read_and_trimmed),
		cmocka_unit_test(
		    test_secret__open_token_file_refused_with_mode),
		cmocka_unit_test(test_secret__bad_token_files_refused),
		cmocka_unit_test(test_secret__equal_needs_same_length),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, setup, teardown);
}
