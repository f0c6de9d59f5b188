/* test_agent_activate.c - extraction into a fresh directory, policy
 * compile, the `current` swap, pruning after a crash, and the engine's
 * reference-counted policy pointer and decisions. */
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

#include "../../agent/activate.h"
#include "../../agent/engine.h"
#include "lockstep/bundle.h"
#include "lockstep/error.h"
#include "lockstep/file.h"

static char dir[64];

static int
mkdir_tmp(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/ls-agent-act.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	return ls_activate_init(dir);
}

static int
rm_tmp(void **state)
{
	(void)state;
	return ls_file_remove_tree(dir);
}

/* Write a bundle with one module into dir/NAME.tar.gz. */
static void
make_bundle(char *path, size_t sz, const char *name, const char *rego)
{
	struct ls_bundle_files f;
	struct ls_buf out;

	ls_bundle_files_init(&f);
	assert_int_equal(ls_bundle_files_add(&f, "policy/p.rego", rego,
			     strlen(rego)),
	    0);
	ls_buf_init(&out, 1 << 20);
	assert_int_equal(ls_bundle_write(&out, &f), 0);
	snprintf(path, sz, "%s/%s.tar.gz", dir, name);
	assert_int_equal(ls_file_write_atomic(path, out.data, out.len, 0600),
	    0);
	ls_buf_cleanup(&out);
	ls_bundle_files_cleanup(&f);
}

static int
count_bundles(void)
{
	char p[128];
	int n = 0;
	FILE *fp;
	char cmd[256];

	snprintf(p, sizeof(p), "%s/bundles", dir);
	snprintf(cmd, sizeof(cmd), "ls -1 '%s' | wc -l", p);
	fp = popen(cmd, "r");
	assert_non_null(fp);
	assert_int_equal(fscanf(fp, "%d", &n), 1);
	pclose(fp);
	return n;
}

static void
test_agent_activate__prepare_swap_prune(void **state)
{
	struct ls_rego_policy *p1 = NULL, *p2 = NULL;
	char tgz[128], d1[96], d2[96], link[128], got[128];
	ssize_t n;

	(void)state;
	make_bundle(tgz, sizeof(tgz), "one", "package t\n\nv := 1\n");
	assert_int_equal(ls_activate_prepare(d1, sizeof(d1), &p1, dir, tgz,
			     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
			     1, NULL),
	    0);
	assert_non_null(p1);
	assert_int_equal(strncmp(d1, "bundles/aaaaaaaaaaaaaaaa-1-", 27), 0);
	assert_int_equal(ls_activate_swap(dir, d1), 0);
	snprintf(link, sizeof(link), "%s/current", dir);
	n = readlink(link, got, sizeof(got) - 1);
	assert_true(n > 0);
	got[n] = '\0';
	assert_string_equal(got, d1);
	/* A second bundle extracted but never committed (a crash before
	 * state.json) is removed by prune, and current goes back to d1. */
	make_bundle(tgz, sizeof(tgz), "two", "package t\n\nv := 2\n");
	assert_int_equal(ls_activate_prepare(d2, sizeof(d2), &p2, dir, tgz,
			     "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
			     2, NULL),
	    0);
	assert_int_equal(ls_activate_swap(dir, d2), 0);
	assert_int_equal(count_bundles(), 2);
	assert_int_equal(ls_activate_prune(dir, d1), 0);
	assert_int_equal(count_bundles(), 1);
	n = readlink(link, got, sizeof(got) - 1);
	got[n] = '\0';
	assert_string_equal(got, d1);
	ls_rego_policy_unref(p1);
	ls_rego_policy_unref(p2);
}

static void
test_agent_activate__bad_policy_leaves_nothing(void **state)
{
	struct ls_rego_policy *p = NULL;
	char tgz[128], d[96];

	(void)state;
	make_bundle(tgz, sizeof(tgz), "bad", "package t\n\nv := {\n");
	assert_int_equal(ls_activate_prepare(d, sizeof(d), &p, dir, tgz,
			     "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc",
			     3, NULL),
	    LS_EREGO);
	assert_null(p);
	assert_int_equal(count_bundles(), 0);
}

static void
test_agent_activate__not_a_tarball_leaves_nothing(void **state)
{
	struct ls_rego_policy *p = NULL;
	char tgz[128], d[96];

	(void)state;
	snprintf(tgz, sizeof(tgz), "%s/junk.tar.gz", dir);
	assert_int_equal(ls_file_write_atomic(tgz, "junk", 4, 0600), 0);
	assert_true(
	    ls_activate_prepare(d, sizeof(d), &p, dir, tgz,
		"dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd",
		4, NULL) < 0);
	assert_int_equal(count_bundles(), 0);
}

static void
test_agent_activate__engine_swap_keeps_readers(void **state)
{
	struct ls_rego_policy *p1 = NULL, *p2 = NULL, *held;
	struct ls_engine e;
	char tgz[128], d1[96], d2[96], *out = NULL;
	int http = 0;

	(void)state;
	assert_int_equal(ls_engine_init(&e), 0);
	assert_int_equal(ls_engine_decide(&out, &http, &e, "t/v", "", 0), 0);
	assert_int_equal(http, 503);
	free(out);
	make_bundle(tgz, sizeof(tgz), "one", "package t\n\nv := input.x\n");
	assert_int_equal(ls_activate_prepare(d1, sizeof(d1), &p1, dir, tgz,
			     "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee",
			     1, NULL),
	    0);
	ls_engine_swap(&e, p1);
	assert_int_equal(ls_engine_decide(&out, &http, &e, "t/v",
			     "{\"input\": {\"x\": 7}}", 19),
	    0);
	assert_int_equal(http, 200);
	assert_string_equal(out, "{\"result\":7}");
	free(out);
	assert_int_equal(ls_engine_decide(&out, &http, &e, "t/v", "{\"inp", 5),
	    0);
	assert_int_equal(http, 400);
	free(out);
	assert_int_equal(ls_engine_decide(&out, &http, &e, "t/../v", "", 0), 0);
	assert_int_equal(http, 400);
	free(out);
	/* The body as jansson would take it: duplicate keys, invalid UTF-8,
	 * \u0000 and a body that is no object are refused; an escaped key
	 * is the key it spells. */
	{
		static const char *bad[] = {
			"{\"input\": {\"x\": 1}, \"input\": {\"x\": 2}}",
			"{\"input\": {\"x\": 1, \"x\": 2}}",
			"{\"input\": {\"x\": \"\xff\"}}",
			"{\"input\": {\"x\": \"a\\u0000b\"}}",
			"[{\"input\": {\"x\": 1}}]",
			"{\"input\": {\"x\": 1}} x",
		};
		const char *esc = "{\"\\u0069nput\": {\"x\": 5}}";
		size_t i;

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			assert_int_equal(ls_engine_decide(&out, &http, &e,
					     "t/v", bad[i], strlen(bad[i])),
			    0);
			assert_int_equal(http, 400);
			free(out);
		}
		assert_int_equal(ls_engine_decide(&out, &http, &e, "t/v", esc,
				     strlen(esc)),
		    0);
		assert_int_equal(http, 200);
		assert_string_equal(out, "{\"result\":5}");
		free(out);
	}
	/* A reader holding the old policy keeps it across a swap. */
	held = ls_engine_policy(&e);
	make_bundle(tgz, sizeof(tgz), "two", "package t\n\nv := 2\n");
	assert_int_equal(ls_activate_prepare(d2, sizeof(d2), &p2, dir, tgz,
			     "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
			     2, NULL),
	    0);
	ls_engine_swap(&e, p2);
	assert_true(held == p1);
	ls_rego_policy_unref(held);
	assert_int_equal(ls_engine_decide(&out, &http, &e, "t/v", "", 0), 0);
	assert_string_equal(out, "{\"result\":2}");
	free(out);
	ls_engine_cleanup(&e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_agent_activate__prepare_swap_prune,
		    mkdir_tmp, rm_tmp),
		cmocka_unit_test_setup_teardown(test_agent_activate__bad_policy_leaves_nothing,
		    mkdir_tmp, rm_tmp),
		cmocka_unit_test_setup_teardown(test_agent_activate__not_a_tarball_leaves_nothing,
		    mkdir_tmp, rm_tmp),
		cmocka_unit_test_setup_teardown(test_agent_activate__engine_swap_keeps_readers,
		    mkdir_tmp, rm_tmp),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
