/* test_rego_memory.c - evaluation memory follows live data, not the work
 * done: iterations give their bindings back, results stay. */
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

#define CAP (16u << 20) /* the goal: under 16 MB at any size */

static const char *policy_src =
    "package mem\n"
    "xs := numbers.range(1, 700)\n"
    "f(x) := x + 1\n"
    "pairs contains [a, b] if { some a in xs; some b in xs; a == b + 5 }\n"
    "count_pairs := count(pairs)\n"
    "obj := {k: v | some k in xs; some v in xs; v == k * 2}\n"
    "calls := count([y | some x in xs; y := f(x); y > 690])\n";

static struct ls_rego_policy *
compile(void)
{
	struct ls_rego_builder *b = ls_rego_builder_new();
	struct ls_rego_policy *p = NULL;
	char *err = NULL;

	assert_non_null(b);
	if (ls_rego_builder_add_module(b, "mem.rego", policy_src,
		strlen(policy_src), 1, &err) != 0 ||
	    ls_rego_compile(&p, b, &err) != 0)
		fail_msg("compile: %s", err);
	ls_rego_builder_free(b);
	return p;
}

static char *
query(const struct ls_rego_policy *p, const char *q,
    struct ls_rego_eval_stats *st)
{
	struct ls_rego_eval_opts o = { 0 };
	char *out = NULL, *err = NULL;

	o.max_memory = CAP;
	o.stats = st;
	if (ls_rego_eval_query(&out, p, q, NULL, 0, &o, &err) != 0)
		fail_msg("%s: %s", q, err);
	return out;
}

/* 490,000 iterations without a result: their memory goes back. */
static void
test_rego_memory__nested_loop_without_result(void **state)
{
	struct ls_rego_policy *p = compile();
	struct ls_rego_eval_stats st = { 0 };
	char *out;

	(void)state;
	out = query(p,
	    "some a in data.mem.xs; some b in data.mem.xs; a == b + 1e8", &st);
	assert_string_equal(out, "{}");
	assert_true(st.arena_bytes < CAP);
	assert_true(st.steps > 490000);
	free(out);
	ls_rego_policy_unref(p);
}

/* Results made inside the loops are kept and come out whole. */
static void
test_rego_memory__results_survive(void **state)
{
	struct ls_rego_policy *p = compile();
	char *out;

	(void)state;
	out = query(p,
	    "x := [data.mem.count_pairs, count(data.mem.obj), "
	    "data.mem.calls, data.mem.pairs[[700, 695]]]",
	    NULL);
	assert_non_null(strstr(out, "\"x\":[695,350,11,[700,695]]"));
	free(out);
	out = query(p,
	    "x := [[a, b] | some a in data.mem.xs; a < 3; "
	    "some b in data.mem.xs; b < a]",
	    NULL);
	assert_non_null(strstr(out, "\"x\":[[2,1]]"));
	free(out);
	ls_rego_policy_unref(p);
}

/* A negated query expression shows true, not what its inside saw in
 * an earlier (and since released) iteration. */
static void
test_rego_memory__negated_query_value(void **state)
{
	struct ls_rego_policy *p = compile();
	char *out;

	(void)state;
	out = query(p, "some x in data.mem.xs; x < 3; not x == 1000", NULL);
	assert_null(strstr(out, "\"value\":false"));
	assert_non_null(
	    strstr(out, "{\"value\":true,\"text\":\"not x == 1000\""));
	free(out);
	ls_rego_policy_unref(p);
}

/* A string literal's buffer is sized by the literal, not by the rest of
 * the module: 4,000 rules of two strings each compiled in 1 GiB only
 * when that held (quadratic before). */
static void
test_rego_memory__compile_linear_in_strings(void **state)
{
	size_t cap = 4000 * 160, n = 0;
	char *src = malloc(cap), *err = NULL;
	struct ls_rego_builder *b = ls_rego_builder_new();
	struct ls_rego_policy *p = NULL;
	int i;

	(void)state;
	assert_non_null(src);
	assert_non_null(b);
	n += (size_t)snprintf(src, cap, "package gen\n\n");
	for (i = 0; i < 4000; i++)
		n += (size_t)snprintf(src + n, cap - n,
		    "deny contains msg if {\n\tinput.kind == \"k%d\"\n"
		    "\tmsg := $\"rule {input.name} r%d\"\n}\n\n",
		    i, i);
	assert_true(n < cap);
	if (ls_rego_builder_add_module(b, "gen.rego", src, n, 1, &err) != 0 ||
	    ls_rego_compile(&p, b, &err) != 0)
		fail_msg("compile: %s", err);
	ls_rego_builder_free(b);
	ls_rego_policy_unref(p);
	free(src);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rego_memory__nested_loop_without_result),
		cmocka_unit_test(test_rego_memory__results_survive),
		cmocka_unit_test(test_rego_memory__negated_query_value),
		cmocka_unit_test(test_rego_memory__compile_linear_in_strings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
