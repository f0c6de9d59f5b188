/* test_rego_eval.c - evaluation through the public API: results, with,
 * conflicts, strict errors, caps, tests, bundles and threads. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "lockstep/error.h"
#include "lockstep/file.h"
#include "lockstep/rego.h"

static const char *policy_src =
    "package authz\n"
    "import rego.v1\n"
    "default allow := false\n"
    "allow if { input.user in data.admins }\n"
    "allow if { some r in input.roles; r == \"ops\"; not input.locked }\n"
    "names contains n if { some u in data.users; n := upper(u.name) }\n"
    "by_id[u.id] := u.name if { some u in data.users }\n"
    "double(x) := x * 2\n"
    "limit := double(21)\n"
    "clash := 1 if { input.clash }\n"
    "clash := 2 if { input.clash }\n"
    "tests_ok if { allow with input as {\"user\": \"ann\"} }\n"
    "spin if { count([x | some x in numbers.range(1, 100000)]) > 0 }\n"
    "gen[q].r := i if { some i, q in [\"a\", \"b\"] }\n"
    "gen.c.r := 9\n"
    "multi.m[x] contains y if { some x, y in {\"k\": 1} }\n"
    "route := \"a\" if input.req.kind == \"A\"\n"
    "route := \"b\" if { \"B\" = input.req.kind }\n"
    "route := \"n\" if input.req.kind == 1\n"
    "quarter := .5 + -.25\n"
    "mock_count(_) := 42\n"
    "mocked := x if { x := count([1]) with count as mock_count }\n"
    "swapped := x if { x := input.user with input.user as \"zed\" }\n"
    "data_swap := x if { x := limit with data.authz.limit as 7 }\n";

static const char *data_json =
    "{\"admins\": [\"ann\"], \"users\": [{\"id\": 1, \"name\": \"bo\"},"
    " {\"id\": 2, \"name\": \"cy\"}]}";

static struct ls_rego_policy *
compile(void)
{
	struct ls_rego_builder *b = ls_rego_builder_new();
	struct ls_rego_policy *p = NULL;
	char *err = NULL;

	assert_non_null(b);
	assert_int_equal(ls_rego_builder_add_module(b, "authz.rego", policy_src,
			     strlen(policy_src), 1, &err),
	    0);
	assert_int_equal(ls_rego_builder_add_data(b, "", data_json,
			     strlen(data_json), &err),
	    0);
	if (ls_rego_compile(&p, b, &err) != 0)
		fail_msg("compile: %s", err);
	ls_rego_builder_free(b);
	return p;
}

static char *
path(const struct ls_rego_policy *p, const char *path, const char *input)
{
	char *out = NULL, *err = NULL;
	int rc = ls_rego_eval_path(&out, p, path, input,
	    input ? strlen(input) : 0, &err);

	if (rc == LS_ENOTFOUND) {
		free(err);
		return NULL;
	}
	if (rc != 0)
		fail_msg("eval %s: %s", path, err);
	return out;
}

static void
expect_path(const struct ls_rego_policy *p, const char *ref, const char *input,
    const char *want)
{
	char *got = path(p, ref, input);

	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void
test_rego_eval__documents(void **state)
{
	struct ls_rego_policy *p = compile();

	(void)state;
	expect_path(p, "authz/allow", "{\"user\": \"ann\"}", "true");
	expect_path(p, "authz/allow", "{\"user\": \"bob\"}", "false");
	expect_path(p, "authz/allow", "{\"roles\": [\"dev\", \"ops\"]}",
	    "true");
	expect_path(p, "authz/allow", "{\"roles\": [\"ops\"], \"locked\": 1}",
	    "false");
	expect_path(p, "authz/names", NULL, "[\"BO\",\"CY\"]");
	expect_path(p, "authz/by_id", NULL, "{\"1\":\"bo\",\"2\":\"cy\"}");
	expect_path(p, "authz/limit", NULL, "42");
	expect_path(p, "authz/tests_ok", NULL, "true");
	expect_path(p, "authz/gen", NULL,
	    "{\"a\":{\"r\":0},\"b\":{\"r\":1},\"c\":{\"r\":9}}");
	expect_path(p, "authz/gen/b/r", NULL, "1");
	expect_path(p, "authz/multi", NULL, "{\"m\":{\"k\":[1]}}");
	expect_path(p, "authz/route", "{\"req\":{\"kind\":\"A\"}}", "\"a\"");
	expect_path(p, "authz/route", "{\"req\":{\"kind\":\"B\"}}", "\"b\"");
	expect_path(p, "authz/route", "{\"req\":{\"kind\":1.0}}", "\"n\"");
	assert_null(path(p, "authz/route", "{\"req\":{\"kind\":\"C\"}}"));
	assert_null(path(p, "authz/route", "{\"req\":[1]}"));
	expect_path(p, "authz/quarter", NULL, "0.25");
	expect_path(p, "authz/mocked", NULL, "42");
	expect_path(p, "authz/swapped", "{\"user\": \"ann\"}", "\"zed\"");
	expect_path(p, "authz/data_swap", NULL, "7");
	assert_null(path(p, "authz/clash", NULL));
	assert_null(path(p, "authz/nothing", NULL));
	ls_rego_policy_unref(p);
}

static void
test_rego_eval__query_shape_and_errors(void **state)
{
	struct ls_rego_policy *p = compile();
	struct ls_rego_eval_opts o;
	char *out = NULL, *err = NULL;

	(void)state;
	memset(&o, 0, sizeof(o));
	assert_int_equal(ls_rego_eval_query(&out, p, "x := data.authz.limit",
			     NULL, 0, &o, &err),
	    0);
	assert_non_null(strstr(out, "\"bindings\":{\"x\":42}"));
	assert_non_null(strstr(out, "\"text\":\"x := data.authz.limit\""));
	free(out);
	assert_int_equal(ls_rego_eval_query(&out, p, "data.authz.nothing", NULL,
			     0, &o, &err),
	    0);
	assert_string_equal(out, "{}");
	free(out);
	assert_int_equal(ls_rego_eval_query(&out, p, "data.authz.clash",
			     "{\"clash\": true}", 15, &o, &err),
	    LS_EREGO);
	assert_non_null(strstr(err, "eval_conflict_error"));
	free(err);
	err = NULL;
	assert_int_equal(ls_rego_eval_query(&out, p, "x := 1 / 0", NULL, 0, &o,
			     &err),
	    0);
	assert_string_equal(out, "{}");
	free(out);
	o.strict_builtin_errors = 1;
	assert_int_equal(ls_rego_eval_query(&out, p, "x := 1 / 0", NULL, 0, &o,
			     &err),
	    LS_EREGO);
	assert_non_null(strstr(err, "eval_builtin_error"));
	free(err);
	err = NULL;
	o.max_steps = 1000;
	assert_int_equal(ls_rego_eval_query(&out, p, "data.authz.spin", NULL, 0,
			     &o, &err),
	    LS_EREGO);
	assert_non_null(strstr(err, "exceeded"));
	free(err);
	err = NULL;
	assert_int_equal(ls_rego_eval_query(&out, p, "x := [", NULL, 0, &o,
			     &err),
	    LS_EREGO);
	assert_non_null(strstr(err, "query:1:"));
	free(err);
	err = NULL;
	assert_int_equal(ls_rego_eval_query(&out, p, "true", "{\"a\":", 5, &o,
			     &err),
	    LS_EREGO);
	assert_non_null(strstr(err, "input"));
	free(err);
	ls_rego_policy_unref(p);
}

struct worker {
	struct ls_rego_policy *p;
	int ok;
};

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	int i;

	for (i = 0; i < 200; i++) {
		char *out = NULL, *err = NULL;
		const char *in =
		    i % 2 ? "{\"user\": \"ann\"}" : "{\"user\": \"bob\"}";

		if (ls_rego_eval_path(&out, w->p, "authz/allow", in, strlen(in),
			&err) != 0 ||
		    strcmp(out, i % 2 ? "true" : "false") != 0)
			w->ok = 0;
		free(out);
		free(err);
	}
	return NULL;
}

static void
test_rego_eval__concurrent_evaluation(void **state)
{
	struct ls_rego_policy *p = compile();
	struct worker w[4];
	pthread_t th[4];
	int i;

	(void)state;
	for (i = 0; i < 4; i++) {
		w[i].p = ls_rego_policy_ref(p);
		w[i].ok = 1;
		assert_int_equal(pthread_create(&th[i], NULL, worker_main,
				     &w[i]),
		    0);
	}
	ls_rego_policy_unref(p); /* threads hold their own refs */
	for (i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_true(w[i].ok);
	}
	for (i = 0; i < 4; i++)
		ls_rego_policy_unref(w[i].p);
}

static void
write_file(const char *dir, const char *name, const char *text)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	assert_int_equal(ls_file_write_atomic(p, text, strlen(text), 0644), 0);
}

static void
test_rego_eval__bundle_dir_and_tests(void **state)
{
	char dir[] = "/tmp/ls-rego-XXXXXX", sub[600];
	struct ls_rego_policy *p = NULL;
	struct ls_rego_test_results r;
	char *err = NULL;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(sub, sizeof(sub), "%s/cfg", dir);
	assert_int_equal(ls_file_mkdirs(sub, 0755), 0);
	write_file(dir, ".manifest", "{\"rego_version\": 0}");
	write_file(dir, "cfg/data.json", "{\"max\": 3}");
	write_file(dir, "p.rego", "package p\nok[x] { x := data.cfg.max }\n");
	write_file(dir, "p_test.rego",
	    "package p\n"
	    "test_ok { ok[3] }\ntest_bad { ok[4] }\n"
	    "test_err { x := 1 / 0 }\ntodo_test_later { false }\n");
	assert_int_equal(ls_rego_load_dir(&p, dir, 1, &err), 0);
	assert_int_equal(ls_rego_run_tests(&r, p, &err), 0);
	assert_int_equal(r.n, 4);
	assert_int_equal(r.passed, 1);
	assert_int_equal(r.failed, 2); /* 1/0 is undefined, not an error */
	assert_int_equal(r.skipped, 1);
	assert_string_equal(r.v[0].package, "data.p");
	ls_rego_test_results_cleanup(&r);
	ls_rego_policy_unref(p);
	p = NULL;
	assert_int_equal(ls_rego_load_dir(&p, dir, 0, &err), 0);
	assert_int_equal(ls_rego_run_tests(&r, p, &err), 0);
	assert_int_equal(r.n, 0);
	ls_rego_test_results_cleanup(&r);
	ls_rego_policy_unref(p);
	p = NULL;
	write_file(dir, "bad.rego", "package q\nx := {1, \n");
	assert_int_equal(ls_rego_load_dir(&p, dir, 0, &err), LS_EREGO);
	assert_non_null(strstr(err, "bad.rego:3:1: rego_parse_error"));
	free(err);
	assert_int_equal(ls_file_remove_tree(dir), 0);
}

static void
test_rego_eval__deep_bodies_stop_cleanly(void **state)
{
	struct ls_rego_builder *b = ls_rego_builder_new();
	struct ls_rego_policy *p = NULL;
	char *src = malloc(400000), *out = NULL, *err = NULL;
	size_t n = 0;
	int i;

	(void)state;
	assert_non_null(src);
	n += (size_t)snprintf(src + n, 100, "package d\np if {\n");
	for (i = 0; i < 9000; i++)
		n += (size_t)snprintf(src + n, 100, " x%d := %d\n", i, i);
	n += (size_t)snprintf(src + n, 100, "}\n");
	assert_int_equal(ls_rego_builder_add_module(b, "d.rego", src, n, 1,
			     &err),
	    0);
	assert_int_equal(ls_rego_compile(&p, b, &err), 0);
	assert_int_equal(ls_rego_eval_query(&out, p, "data.d.p", NULL, 0, NULL,
			     &err),
	    LS_EREGO);
	assert_non_null(strstr(err, "nested too deeply"));
	free(err);
	free(src);
	ls_rego_policy_unref(p);
	ls_rego_builder_free(b);
}

/* A tool's custom builtin: refused at compile time unless allowed; when
 * allowed, only the evaluations that reach it fail. */
static void
test_rego_eval__undefined_functions(void **state)
{
	static const char src[] = "package c\n"
				  "uses if trivy.result(1)\n"
				  "plain := 2\n";
	struct ls_rego_builder *b = ls_rego_builder_new();
	struct ls_rego_policy *p = NULL;
	char *out = NULL, *err = NULL;

	(void)state;
	assert_int_equal(ls_rego_builder_add_module(b, "c.rego", src,
			     sizeof(src) - 1, 1, &err),
	    0);
	assert_int_equal(ls_rego_compile(&p, b, &err), LS_EREGO);
	assert_non_null(strstr(err, "undefined function trivy.result"));
	free(err);
	err = NULL;
	ls_rego_builder_allow_undefined_functions(b, 1);
	assert_int_equal(ls_rego_compile(&p, b, &err), 0);
	assert_int_equal(ls_rego_eval_path(&out, p, "c/plain", NULL, 0, &err),
	    0);
	assert_string_equal(out, "2");
	free(out);
	out = NULL;
	assert_int_equal(ls_rego_eval_path(&out, p, "c/uses", NULL, 0, &err),
	    LS_EREGO);
	assert_non_null(
	    strstr(err, "eval_builtin_error: undefined function trivy.result"));
	free(err);
	ls_rego_policy_unref(p);
	ls_rego_builder_free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rego_eval__documents),
		cmocka_unit_test(test_rego_eval__query_shape_and_errors),
		cmocka_unit_test(test_rego_eval__concurrent_evaluation),
		cmocka_unit_test(test_rego_eval__bundle_dir_and_tests),
		cmocka_unit_test(test_rego_eval__deep_bodies_stop_cleanly),
		cmocka_unit_test(test_rego_eval__undefined_functions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
