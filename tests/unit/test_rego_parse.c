/* test_rego_parse.c - Rego parsing and compile checks: v0 and v1 syntax,
 * malformed policies rejected with file:line:col messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lockstep/error.h"
#include "lockstep/rego.h"

/* Compile one module; returns the error text (caller frees) or NULL. */
static char *
compile_err(const char *src, int version)
{
	struct ls_rego_builder *b = ls_rego_builder_new();
	struct ls_rego_policy *p = NULL;
	char *err = NULL;
	int rc;

	assert_non_null(b);
	rc = ls_rego_builder_add_module(b, "policy.rego", src, strlen(src),
	    version, &err);
	if (rc == 0)
		rc = ls_rego_compile(&p, b, &err);
	ls_rego_builder_free(b);
	ls_rego_policy_unref(p);
	if (rc == 0) {
		assert_null(err);
		return NULL;
	}
	assert_int_equal(rc, LS_EREGO);
	assert_non_null(err);
	return err;
}

static void
expect_error(const char *src, int version, const char *want)
{
	char *err = compile_err(src, version);

	assert_non_null(err);
	if (strstr(err, want) == NULL)
		fail_msg("error \"%s\" lacks \"%s\"", err, want);
	free(err);
}

static void
test_rego_parse__v1_and_v0_rules(void **state)
{
	(void)state;
	assert_null(
	    compile_err("package a.b\n"
			"import rego.v1\n"
			"default allow := false\n"
			"allow if { input.user == \"admin\" }\n"
			"deny contains msg if { some x in input.xs; x > 1; "
			"msg := sprintf(\"%v\", [x]) }\n"
			"obj[k] := v if { some k, v in {\"a\": 1} }\n"
			"f(x) := y if { y := x * 2 } else := 0\n"
			"q.r.s := 1\n"
			"all_ok if every x in [1, 2] { x > 0 }\n"
			"s := {x | some x in [1, 2]}\n"
			"raw := `a\\b`\n",
		1));
	assert_null(
	    compile_err("package a\n"
			"p[x] { x := input.xs[_] }\n"
			"q[k] = v { v := input.m[k] }\n"
			"r = 1 { true } { false }\n"
			"f(x) = y { y := x }\n"
			"g { count(input.xs, n); n > 0; __local0__ = 1 }\n",
		0));
}

static void
test_rego_parse__malformed_has_location(void **state)
{
	(void)state;
	expect_error("package a\n\np := [1, 2\n", 1,
	    "policy.rego:4:1: "
	    "rego_parse_error");
	expect_error("package a\np := \"unterminated\n", 1,
	    "policy.rego:2:6: rego_parse_error: unterminated string");
	expect_error("package a\np if { x := }\n", 1,
	    "policy.rego:2:13: "
	    "rego_parse_error: unexpected");
	expect_error("p := 1\n", 1,
	    "policy.rego:1:1: rego_parse_error: "
	    "expected 'package'");
	expect_error("package a\np := 1 $\n", 1,
	    "policy.rego:2:8: "
	    "rego_parse_error: unexpected character");
	expect_error("package a\np if {\n", 1, "policy.rego:3:1");
	expect_error("package a\np { true }\n", 1,
	    "policy.rego:2:3: "
	    "rego_parse_error: `if` keyword is required");
}

static void
test_rego_parse__compile_checks(void **state)
{
	(void)state;
	expect_error("package a\np if { x > 1 }\n", 1,
	    "policy.rego:2:8: rego_unsafe_var_error: var x is unsafe");
	expect_error("package a\np if { q }\nq if { p }\n", 1,
	    "rego_recursion_error");
	expect_error("package a\np if { nosuch(1) }\n", 1,
	    "rego_type_error: undefined function nosuch");
	expect_error("package a\np if { count(1, 2, 3) }\n", 1, "arity");
	expect_error("package a\np := 1\np contains 2\n", 1,
	    "conflicting rules");
	expect_error("package a\ndefault p := 1\ndefault p := 2\n", 1,
	    "multiple default rules");
	expect_error("package a\np[x] if { true }\n", 1, "var x is unsafe");
}

static void
test_rego_parse__depth_cap(void **state)
{
	char *src = malloc(20000), *err;
	size_t n = 0, i;

	(void)state;
	assert_non_null(src);
	n += (size_t)snprintf(src, 100, "package a\np := ");
	for (i = 0; i < 5000; i++)
		src[n++] = '[';
	src[n] = '\0';
	err = compile_err(src, 1);
	assert_non_null(err);
	assert_non_null(strstr(err, "nested deeper than"));
	free(err);
	free(src);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rego_parse__v1_and_v0_rules),
		cmocka_unit_test(test_rego_parse__malformed_has_location),
		cmocka_unit_test(test_rego_parse__compile_checks),
		cmocka_unit_test(test_rego_parse__depth_cap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
