/*
 * test_fuzz_findings.c - one regression test per libFuzzer finding
 * (tests/fuzz/): the input that failed, reduced, and the property the
 * harness checks.  The full crashing inputs stay in the harness corpora.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lockstep/buf.h"
#include "lockstep/error.h"
#include "lockstep/rego.h"
#include "rego/annot.h"
#include "rego/arena.h"
#include "rego/number.h"
#include "rego/value.h"

/* The canonical JSON of what json parses must parse back to the same
 * value (rego_json harness). */
static void
assert_json_round_trip(const char *json)
{
	struct ls_arena *a = ls_arena_new(0);
	const struct ls_val *v = NULL, *v2 = NULL;
	struct ls_buf b;

	ls_buf_init(&b, 1 << 20);
	assert_int_equal(ls_val_from_json(&v, a, json, strlen(json), 0), 0);
	assert_int_equal(ls_val_to_json(&b, v), 0);
	assert_int_equal(ls_val_from_json(&v2, a, b.data, b.len, 0), 0);
	assert_true(ls_val_equal(v, v2));
	ls_buf_cleanup(&b);
	ls_arena_free(a);
}

static void
assert_json_refused(const char *json)
{
	struct ls_arena *a = ls_arena_new(0);
	const struct ls_val *v = NULL;

	assert_int_equal(ls_val_from_json(&v, a, json, strlen(json), 0),
	    LS_ETOOBIG);
	ls_arena_free(a);
}

/* rego_json: "20e0100000" parsed (exponent 100000, at the cap) but was
 * written as 2e+100001, which the parser refused.  The cap is now on the
 * value, so it is refused at once, and all that is accepted reads back. */
static void
test_fuzz__json_number_exponent_round_trip(void **state)
{
	(void)state;
	assert_json_refused("20e0100000"); /* 2e+100001: past the cap */
	assert_json_round_trip("2e0099999");
	assert_json_round_trip("1e100000");
	assert_json_round_trip("1e-100000");
	assert_json_round_trip("123.45e99998");
	assert_json_round_trip("0.00012e-99996");
	/* the cap is on the value's magnitude, however it is written */
	assert_json_refused("10e100000");
	assert_json_refused("1e100001");
	assert_json_refused("0.01e-99999");
}

/* The same for the digit cap: leading zeros of a fraction are written
 * back as "0.00000..." and must not count against it. */
static void
test_fuzz__json_number_digits_round_trip(void **state)
{
	char json[LS_NUM_MAX_DIGITS + 16];
	size_t i;

	(void)state;
	for (i = 0; i < LS_NUM_MAX_DIGITS; i++)
		json[i] = (char)('1' + i % 9);
	snprintf(json + i, sizeof(json) - i, "e-%d",
	    LS_NUM_MAX_DIGITS + 4);
	assert_json_round_trip(json);
}

/* rego_yaml: a NUL byte inside a block scalar was taken for an empty line
 * without moving on, so the parser appended newlines until the 64 MiB
 * string cap (seconds of CPU per yaml.unmarshal call).  Control
 * characters are refused, as go-yaml refuses them. */
static void
test_fuzz__yaml_control_characters(void **state)
{
	static const char block[] = "a: |\n  x\0y\n";
	static const char after[] = "a: 1\0junk";
	struct ls_arena *a = ls_arena_new(0);
	const struct ls_val *v = NULL;
	char err[256];

	(void)state;
	assert_int_not_equal(ls_yaml_parse(&v, a, block, sizeof(block) - 1,
				 err, sizeof(err)),
	    0);
	assert_non_null(strstr(err, "control characters are not allowed"));
	assert_int_not_equal(ls_yaml_parse(&v, a, after, sizeof(after) - 1,
				 err, sizeof(err)),
	    0);
	assert_int_not_equal(ls_yaml_parse(&v, a, "a: \x01", 4, err,
				 sizeof(err)),
	    0);
	assert_int_equal(ls_yaml_parse(&v, a, "a:\t\"b\"\r\n", 8, err,
			     sizeof(err)),
	    0);
	ls_arena_free(a);
}

/* Compile one v1 module; the error text (caller frees) or NULL. */
static char *
compile_error(const char *src)
{
	struct ls_rego_builder *b = ls_rego_builder_new();
	struct ls_rego_policy *p = NULL;
	char *err = NULL;

	assert_non_null(b);
	assert_int_equal(ls_rego_builder_add_module(b, "m.rego", src,
			     strlen(src), 1, &err),
	    0);
	if (ls_rego_compile(&p, b, &err) == 0)
		assert_null(err);
	ls_rego_policy_unref(p);
	ls_rego_builder_free(b);
	return err;
}

/* rego_compile: "import data.kuts[r]" read the value of the variable key
 * r (NULL) to name the import: a NULL dereference while parsing.  Import
 * paths take string keys only. */
static void
test_fuzz__import_path_with_variable_key(void **state)
{
	static const char *const bad[] = {
		"package p\nimport data.kuts[r]\n",
		"package p\nimport data.a[1]\n",
		"package p\nimport input.a[[1]]\n",
		"package p\nimport data.a[x].b\n",
	};
	char *err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err = compile_error(bad[i]);
		assert_non_null(err);
		assert_non_null(strstr(err, "invalid import path"));
		free(err);
	}
	assert_null(compile_error("package p\nimport data.a[\"b\"]\n"
				  "x := b\n"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fuzz__json_number_exponent_round_trip),
		cmocka_unit_test(test_fuzz__json_number_digits_round_trip),
		cmocka_unit_test(test_fuzz__yaml_control_characters),
		cmocka_unit_test(test_fuzz__import_path_with_variable_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
