/*
 * test_server_attempts.c - builds started but not finished: the count on
 * disk, what an absent or damaged count reads as, and forgetting it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../server/attempts.h"
#include "lockstep/file.h"

static int
setup(void **state)
{
	char *dir = malloc(64);

	if (dir == NULL)
		return -1;
	snprintf(dir, 64, "/tmp/ls-attempts.XXXXXX");
	if (mkdtemp(dir) == NULL) {
		free(dir);
		return -1;
	}
	*state = dir;
	return 0;
}

static int
teardown(void **state)
{
	char *dir = *state;

	ls_file_remove_tree(dir);
	free(dir);
	return 0;
}

static void
test_server_attempts__counted_and_forgotten(void **state)
{
	const char *data = *state;

	assert_int_equal(ls_attempts_count(data, "stable", "v1.0.0"), 0);
	assert_int_equal(ls_attempts_begin(data, "stable", "v1.0.0", 1), 0);
	assert_int_equal(ls_attempts_count(data, "stable", "v1.0.0"), 1);
	assert_int_equal(ls_attempts_begin(data, "stable", "v1.0.0", 2), 0);
	assert_int_equal(ls_attempts_count(data, "stable", "v1.0.0"), 2);
	/* Another channel's build of the same tag is its own. */
	assert_int_equal(ls_attempts_count(data, "beta", "v1.0.0"), 0);
	ls_attempts_end(data, "stable", "v1.0.0");
	assert_int_equal(ls_attempts_count(data, "stable", "v1.0.0"), 0);
	ls_attempts_end(data, "stable", "v1.0.0"); /* absent: no-op */
}

static void
test_server_attempts__damaged_count_reads_as_max(void **state)
{
	const char *data = *state;
	char path[160];

	assert_int_equal(ls_attempts_begin(data, "stable", "v2", 1), 0);
	snprintf(path, sizeof(path), "%s/attempts/stable/v2", data);
	assert_int_equal(ls_file_write_atomic(path, "junk\n", 5, 0644), 0);
	assert_int_equal(ls_attempts_count(data, "stable", "v2"),
	    LS_ATTEMPTS_MAX);
	assert_int_equal(ls_file_write_atomic(path, "99999\n", 6, 0644), 0);
	assert_int_equal(ls_attempts_count(data, "stable", "v2"),
	    LS_ATTEMPTS_MAX);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_server_attempts__counted_and_forgotten,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_server_attempts__damaged_count_reads_as_max,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
