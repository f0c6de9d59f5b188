/* test_rego_value.c - Rego values: numbers, order, JSON in and out. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "lockstep/error.h"
#include "rego/value.h"

static const struct ls_val *
parse(struct ls_arena *a, const char *json)
{
	const struct ls_val *v = NULL;

	assert_int_equal(ls_val_from_json(&v, a, json, strlen(json), 0), 0);
	return v;
}

static void
assert_json(const struct ls_val *v, const char *want)
{
	struct ls_buf b;

	ls_buf_init(&b, 1 << 20);
	assert_int_equal(ls_val_to_json(&b, v), 0);
	assert_string_equal(b.data, want);
	ls_buf_cleanup(&b);
}

static void
test_rego_value__numbers_exact(void **state)
{
	struct ls_arena *a = ls_arena_new(0);
	int of = 0;

	(void)state;
	assert_json(parse(a, "1e3"), "1000");
	assert_json(parse(a, "-0.0"), "0");
	assert_json(parse(a, "1.50"), "1.5");
	assert_json(parse(a, "123456789012345678901234567890"),
	    "123456789012345678901234567890");
	assert_json(parse(a, "0.000001"), "0.000001");
	assert_json(parse(a, "1.5e-7"), "1.5e-07");
	assert_true(ls_val_compare(parse(a, "100000000000000000000"),
			parse(a, "99999999999999999999.5")) > 0);
	assert_true(ls_val_equal(parse(a, "1.0"), parse(a, "1")));
	assert_true(ls_val_compare(parse(a, "-2.5"), parse(a, "-2")) < 0);
	assert_int_equal(ls_num_to_int64(&parse(a, "9223372036854775807")->u.num,
			     &of),
	    INT64_MAX);
	assert_int_equal(of, 0);
	ls_num_to_int64(&parse(a, "9223372036854775808")->u.num, &of);
	assert_int_equal(of, 1);
	assert_true(ls_num_to_double(&parse(a, "0.1")->u.num) == 0.1);
	assert_json(ls_val_double(a, 1.0 / 3.0), "0.3333333333333333");
	ls_arena_free(a);
}

static void
test_rego_value__order_and_canonical_objects(void **state)
{
	struct ls_arena *a = ls_arena_new(0);
	const struct ls_val *v;

	(void)state;
	v = parse(a, "{\"b\":[1,2],\"a\":null,\"c\":{\"y\":1,\"x\":true}}");
	assert_json(v, "{\"a\":null,\"b\":[1,2],\"c\":{\"x\":true,\"y\":1}}");
	assert_true(ls_val_equal(v,
	    parse(a, "{\"c\":{\"x\":true,\"y\":1},\"a\":null,\"b\":[1,2]}")));
	assert_true(ls_val_compare(ls_val_null(), ls_val_bool(0)) < 0);
	assert_true(ls_val_compare(parse(a, "true"), parse(a, "0")) < 0);
	assert_true(ls_val_compare(parse(a, "9"), parse(a, "\"\"")) < 0);
	assert_true(ls_val_compare(parse(a, "\"z\""), parse(a, "[]")) < 0);
	assert_true(ls_val_compare(parse(a, "[1,2]"), parse(a, "[1,3]")) < 0);
	assert_true(ls_val_compare(parse(a, "[1]"), parse(a, "{}")) < 0);
	assert_int_equal(ls_val_hash(parse(a, "{\"a\":[1.0]}")),
	    ls_val_hash(parse(a, "{\"a\":[1]}")));
	assert_true(
	    ls_val_is_string(ls_val_object_gets(parse(a, "{\"k\":\"v\"}"), "k",
				 1),
		"v"));
	ls_arena_free(a);
}

static void
test_rego_value__sets_dedupe(void **state)
{
	struct ls_arena *a = ls_arena_new(0);
	const struct ls_val *items[4];
	const struct ls_val *s;
	struct ls_buf b;

	(void)state;
	items[0] = ls_val_int(a, 3);
	items[1] = ls_val_cstring(a, "x");
	items[2] = ls_val_int(a, 1);
	items[3] = ls_val_int(a, 3);
	s = ls_val_set(a, items, 4);
	assert_int_equal(ls_val_len(s), 3);
	assert_true(ls_val_set_has(s, ls_val_int(a, 1)));
	assert_false(ls_val_set_has(s, ls_val_int(a, 2)));
	assert_json(s, "[1,3,\"x\"]");
	ls_buf_init(&b, 1024);
	assert_int_equal(ls_val_to_rego(&b, s), 0);
	assert_string_equal(b.data, "{1, 3, \"x\"}");
	ls_buf_cleanup(&b);
	ls_arena_free(a);
}

static void
test_rego_value__json_rejects_hostile(void **state)
{
	struct ls_arena *a = ls_arena_new(0);
	const struct ls_val *v;
	char deep[2001];

	(void)state;
	memset(deep, '[', 2000);
	deep[2000] = '\0';
	assert_int_equal(ls_val_from_json(&v, a, deep, 2000, 0), LS_ETOOBIG);
	assert_int_equal(ls_val_from_json(&v, a, "{\"a\":1,}", 8, 0),
	    LS_EFORMAT);
	assert_int_equal(ls_val_from_json(&v, a, "01", 2, 0), LS_EFORMAT);
	assert_int_equal(ls_val_from_json(&v, a, "\"\\u12\"", 6, 0),
	    LS_EFORMAT);
	assert_int_equal(ls_val_from_json(&v, a, "[1] x", 5, 0), LS_EFORMAT);
	assert_int_equal(ls_val_from_json(&v, a, "\"\\ud83d\\ude00\"", 14, 0),
	    0);
	assert_int_equal(v->u.str.len, 4);
	ls_arena_free(a);
}

/* Strict parsing refuses exactly what jansson refuses among the texts
 * the default parse takes (a decision record's input is handed to the
 * server's jansson as it is, with JSON_REJECT_DUPLICATES). */
static void
test_rego_value__json_strict_as_jansson(void **state)
{
	static const char *const lax_ok[] = {
		"\"\xc3\xa9\"", "1e308", "1e-400", "9223372036854775807",
		"-9223372036854775808", "\"\\ud83d\\ude00\"",
		"0.00000000000000000000000000000000000000000000000000000000000000001",
		"{\"a\":[\"\\u00e9\",-0.5e+3]}",
		/* refused when strict, as by jansson */
		"\"\xff\"", "\"\xc0\xaf\"", "\"\xed\xa0\x80\"",
		"\"\xf4\x90\x80\x80\"", "\"\\u0000\"", "\"\\ud800\"",
		"\"\\udc00\"", "\"\\ud800x\"", "1e400", "-1e400",
		"{\"a\":1,\"a\":1}",
		"9223372036854775808", "-9223372036854775809",
		"[1, 99999999999999999999999999999999999999999999999999999999999999999999]",
	};
	struct ls_arena *a = ls_arena_new(0);
	const struct ls_val *v;
	size_t i, n;
	int strict, refused = 0;

	(void)state;
	for (i = 0; i < sizeof(lax_ok) / sizeof(lax_ok[0]); i++) {
		json_t *j;

		n = strlen(lax_ok[i]);
		assert_int_equal(ls_val_from_json(&v, a, lax_ok[i], n, 0), 0);
		strict = ls_val_from_json_flags(&v, a, lax_ok[i], n, 0,
		    LS_JSON_STRICT);
		j = json_loadb(lax_ok[i], n, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES,
		    NULL);
		if ((strict == 0) != (j != NULL))
			fail_msg("%s: strict %d, jansson %s", lax_ok[i], strict,
			    j ? "takes it" : "refuses it");
		refused += strict != 0;
		json_decref(j);
	}
	assert_int_equal(refused, 14);
	ls_arena_free(a);
}

static void
test_rego_value__arena_cap(void **state)
{
	struct ls_arena *a = ls_arena_new(4096);

	(void)state;
	assert_non_null(ls_arena_alloc(a, 1000));
	assert_null(ls_arena_alloc(a, 8000));
	assert_true(ls_arena_capped(a));
	ls_arena_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rego_value__numbers_exact),
		cmocka_unit_test(test_rego_value__order_and_canonical_objects),
		cmocka_unit_test(test_rego_value__sets_dedupe),
		cmocka_unit_test(test_rego_value__json_rejects_hostile),
		cmocka_unit_test(test_rego_value__json_strict_as_jansson),
		cmocka_unit_test(test_rego_value__arena_cap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
