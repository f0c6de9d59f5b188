/* test_rego_load.c - ls_rego_load_paths as opa test loads files, the
 * unchanged ls_rego_load_dir, and table-driven test results. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lockstep/error.h"
#include "lockstep/file.h"
#include "lockstep/rego.h"

static void
put(const char *dir, const char *name, const char *text)
{
	char p[600], *slash;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	slash = strrchr(p, '/');
	*slash = '\0';
	assert_int_equal(ls_file_mkdirs(p, 0755), 0);
	*slash = '/';
	assert_int_equal(ls_file_write_atomic(p, text, strlen(text), 0644), 0);
}

/* Load paths with o into a policy; the ls_err, *err_out set on failure. */
static int
load(struct ls_rego_policy **p, const char *const *paths, size_t n,
    const struct ls_rego_load_opts *o, char **err)
{
	struct ls_rego_builder *b = ls_rego_builder_new();
	int rc;

	assert_non_null(b);
	*p = NULL;
	rc = ls_rego_load_paths(b, paths, n, o, err);
	if (rc == 0)
		rc = ls_rego_compile(p, b, err);
	ls_rego_builder_free(b);
	return rc;
}

static void
expect(const struct ls_rego_policy *p, const char *path, const char *want)
{
	char *out = NULL, *err = NULL;

	assert_int_equal(ls_rego_eval_path(&out, p, path, NULL, 0, &err), 0);
	assert_string_equal(out, want);
	free(out);
}

static void
test_rego_load__paths_data_ignore(void **state)
{
	char dir[] = "/tmp/ls-load-XXXXXX", a[600], b[600], f[600];
	const char *paths[3] = { a, b, f }, *ignore[1] = { "skip*" };
	struct ls_rego_load_opts o;
	struct ls_rego_policy *p = NULL;
	char *err = NULL;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(a, sizeof(a), "%s/lib", dir);
	snprintf(b, sizeof(b), "%s/checks", dir);
	snprintf(f, sizeof(f), "%s/top/root.yml", dir);
	put(dir, "lib/x/y/any.yaml", "num: 1\nlist: [a, b]\n");
	put(dir, "lib/x/other.json", "{\"m\": 2}\n{\"ignored\": true}\n");
	put(dir, "lib/skipped/bad.rego", "package bad\nx := [\n");
	put(dir, "lib/p.rego", "package p\nv := data.x.y.num + data.x.m\n");
	put(dir, "checks/q/skip_me.json", "not json");
	put(dir, "checks/q/q.rego", "package q\nr { data.top_level }\n");
	put(dir, "top/root.yml", "top_level: true\n");
	memset(&o, 0, sizeof(o));
	o.ignore = ignore;
	o.nignore = 1;
	o.v0_compatible = 1; /* q.rego is v0 */
	assert_int_equal(load(&p, paths, 3, &o, &err), 0);
	expect(p, "p/v", "3");
	expect(p, "x/y/list", "[\"a\",\"b\"]");
	expect(p, "q/r", "true");
	ls_rego_policy_unref(p);
	/* without the ignore glob the broken module is loaded */
	o.nignore = 0;
	assert_int_equal(load(&p, paths, 3, &o, &err), LS_EREGO);
	assert_non_null(strstr(err, "skipped/bad.rego"));
	free(err);
	assert_int_equal(ls_file_remove_tree(dir), 0);
}

static void
test_rego_load__caps_and_conflicts(void **state)
{
	char dir[] = "/tmp/ls-load-XXXXXX";
	const char *paths[1] = { dir };
	struct ls_rego_load_opts o;
	struct ls_rego_policy *p = NULL;
	char *err = NULL;

	(void)state;
	assert_non_null(mkdtemp(dir));
	put(dir, "a/one.json", "{\"k\": 1}");
	put(dir, "a/two.yaml", "k: 2\n");
	memset(&o, 0, sizeof(o));
	o.max_bytes = 12; /* the first file fits, the second does not */
	assert_int_equal(load(&p, paths, 1, &o, &err), LS_ETOOBIG);
	assert_non_null(strstr(err, "two.yaml"));
	free(err);
	err = NULL;
	o.max_bytes = 0;
	assert_int_equal(load(&p, paths, 1, &o, &err), LS_ECONFLICT);
	assert_non_null(strstr(err, "two.yaml: merge error at data path /a"));
	free(err);
	err = NULL;
	put(dir, "a/two.yaml", "j: 2\n---\nk: 3\n"); /* the first, as OPA */
	assert_int_equal(load(&p, paths, 1, &o, &err), 0);
	expect(p, "a", "{\"j\":2,\"k\":1}");
	ls_rego_policy_unref(p);
	assert_int_equal(ls_file_remove_tree(dir), 0);
}

/* The agent's, server's and check's loader: data.json only. */
static void
test_rego_load__load_dir_unchanged(void **state)
{
	char dir[] = "/tmp/ls-load-XXXXXX", *err = NULL;
	const char *paths[1] = { dir };
	struct ls_rego_load_opts o;
	struct ls_rego_policy *p = NULL;

	(void)state;
	assert_non_null(mkdtemp(dir));
	put(dir, "cfg/data.json", "{\"a\": 1}");
	put(dir, "cfg/more.json", "{\"b\": 2}");
	put(dir, "cfg/data.yaml", "c: 3\n");
	put(dir, "p.rego", "package p\nv := data.cfg\n");
	/* file_rego_versions was never read here; it stays unread */
	put(dir, ".manifest", "{\"file_rego_versions\": \"bad\"}");
	assert_int_equal(ls_rego_load_dir(&p, dir, 0, &err), 0);
	expect(p, "p/v", "{\"a\":1}");
	ls_rego_policy_unref(p);
	memset(&o, 0, sizeof(o));
	assert_int_equal(load(&p, paths, 1, &o, &err), LS_EFORMAT);
	assert_non_null(strstr(err, "file_rego_versions must be an object"));
	free(err);
	assert_int_equal(ls_file_remove_tree(dir), 0);
}

static void
test_rego_load__table_test_results(void **state)
{
	struct ls_rego_builder *b = ls_rego_builder_new();
	struct ls_rego_test_opts o = { "table", 0, NULL };
	struct ls_rego_test_results r;
	struct ls_rego_policy *p = NULL;
	const char *src = "package t\n"
			  "test_table[c] if {\n"
			  "  some c in [\"a\", \"b\", \"c\"]\n"
			  "  c != \"b\"\n"
			  "}\n"
			  "test_other if false\n";
	char *err = NULL;

	(void)state;
	assert_int_equal(ls_rego_builder_add_module(b, "t.rego", src,
			     strlen(src), 1, &err),
	    0);
	assert_int_equal(ls_rego_compile(&p, b, &err), 0);
	assert_int_equal(ls_rego_run_tests_opts(&r, p, &o, &err), 0);
	assert_int_equal(r.n, 1); /* --run left test_other out */
	assert_int_equal(r.v[0].status, LS_REGO_FAIL);
	assert_int_equal(r.v[0].ncases, 3);
	assert_string_equal(r.v[0].cases[1].name, "b");
	assert_int_equal(r.v[0].cases[1].fail, 1); /* reached, then failed */
	assert_int_equal(r.v[0].cases[0].fail, 0);
	assert_int_equal(r.passed, 2);
	assert_int_equal(r.failed, 1);
	assert_int_equal(r.total, 3);
	ls_rego_test_results_cleanup(&r);
	o.run = "([";
	assert_int_equal(ls_rego_run_tests_opts(&r, p, &o, &err), LS_EINVAL);
	free(err);
	ls_rego_policy_unref(p);
	ls_rego_builder_free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rego_load__paths_data_ignore),
		cmocka_unit_test(test_rego_load__caps_and_conflicts),
		cmocka_unit_test(test_rego_load__load_dir_unchanged),
		cmocka_unit_test(test_rego_load__table_test_results),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
