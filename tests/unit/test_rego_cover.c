/* test_rego_cover.c - coverage as opa test --coverage reports it: rows
 * hit by expressions and by rules that produced a value, rule heads and
 * expressions never reached (not `some` declarations), ranges, line
 * counts, percentages and the JSON text. */
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
#include "lockstep/rego_cover.h"

/* Row numbers matter: the expectations below name them. */
static const char *policy_src =
    "package cov\n"			     /* 1 */
    "\n"				     /* 2 */
    "default allow := false\n"		     /* 3 */
    "\n"				     /* 4 */
    "allow if {\n"			     /* 5 */
    "\tinput.user == \"admin\"\n"	     /* 6 */
    "\tinput.method == \"GET\"\n"	     /* 7 */
    "}\n"				     /* 8 */
    "\n"				     /* 9 */
    "deny contains msg if {\n"		     /* 10 */
    "\tsome x\n"			     /* 11 */
    "\tx = input.items[_]\n"		     /* 12 */
    "\tx > 10\n"			     /* 13 */
    "\tmsg := sprintf(\"big %d\", [x])\n"    /* 14 */
    "}\n"				     /* 15 */
    "\n"				     /* 16 */
    "grade(n) := \"a\" if {\n"		     /* 17 */
    "\tn > 90\n"			     /* 18 */
    "} else := \"b\" if {\n"		     /* 19 */
    "\tn > 50\n"			     /* 20 */
    "} else := \"c\"\n"			     /* 21 */
    "\n"				     /* 22 */
    "evens := [v | some v in [1, 2, 3, 4]; " /* 23 */
    "v % 2 == 0]\n"			     /* 23 */
    "\n"				     /* 24 */
    "unused if {\n"			     /* 25 */
    "\tinput.never\n"			     /* 26 */
    "}\n";				     /* 27 */

/* The tests sit on rows 5-6, 9-10 and 13-14. */
static const char *test_src =
    "package cov_test\n"
    "\n"
    "import data.cov\n"
    "\n"
    "test_allow if {\n"
    "\tcov.allow with input as {\"user\": \"admin\", \"method\": \"GET\"}\n"
    "}\n"
    "\n"
    "test_deny if {\n"
    "\tcov.deny == {\"big 11\"} with input as {\"items\": [11, 3]}\n"
    "}\n"
    "\n"
    "test_grade if {\n"
    "\tcov.grade(60) == \"b\"\n"
    "}\n";

static struct ls_rego_policy *
compile2(const char *f1, const char *s1, const char *f2, const char *s2)
{
	struct ls_rego_builder *b = ls_rego_builder_new();
	struct ls_rego_policy *p = NULL;
	char *err = NULL;

	assert_non_null(b);
	if (ls_rego_builder_add_module(b, f1, s1, strlen(s1), 1, &err) != 0 ||
	    (f2 != NULL &&
		ls_rego_builder_add_module(b, f2, s2, strlen(s2), 1, &err) !=
		    0) ||
	    ls_rego_compile(&p, b, &err) != 0)
		fail_msg("compile: %s", err);
	ls_rego_builder_free(b);
	return p;
}

/* "5-7,10" for a list of ranges. */
static char *
rows(const struct ls_rego_cover_range *v, size_t n)
{
	struct ls_buf b;
	size_t i;

	ls_buf_init(&b, 4096);
	assert_int_equal(ls_buf_adds(&b, ""), 0);
	for (i = 0; i < n; i++) {
		if (v[i].start == v[i].end)
			assert_int_equal(ls_buf_addf(&b, "%s%d", i ? "," : "",
					     v[i].start),
			    0);
		else
			assert_int_equal(ls_buf_addf(&b, "%s%d-%d",
					     i ? "," : "", v[i].start,
					     v[i].end),
			    0);
	}
	return ls_buf_take(&b, NULL);
}

static void
expect_rows(const struct ls_rego_cover_file *f, const char *covered,
    const char *not_covered)
{
	char *c = rows(f->covered, f->ncovered);
	char *nc = rows(f->not_covered, f->nnot_covered);

	assert_string_equal(c, covered);
	assert_string_equal(nc, not_covered);
	free(c);
	free(nc);
}

static void
eval_with(const struct ls_rego_policy *p, struct ls_rego_cover *c,
    const char *query)
{
	struct ls_rego_eval_opts o;
	char *out = NULL, *err = NULL;

	memset(&o, 0, sizeof(o));
	o.cover = c;
	if (ls_rego_eval_query(&out, p, query, NULL, 0, &o, &err) != 0)
		fail_msg("eval %s: %s", query, err);
	free(out);
}

static void
test_rego_cover__tests_rows_ranges_percentages(void **state)
{
	struct ls_rego_policy *p =
	    compile2("policy.rego", policy_src, "policy_test.rego", test_src);
	struct ls_rego_test_results r;
	struct ls_rego_cover_report rep;
	struct ls_rego_test_opts o;
	struct ls_rego_cover *c = NULL;
	char *err = NULL;

	(void)state;
	assert_int_equal(ls_rego_cover_new(&c, p), 0);
	memset(&o, 0, sizeof(o));
	o.cover = c;
	assert_int_equal(ls_rego_run_tests_opts(&r, p, &o, &err), 0);
	assert_int_equal(r.passed, 3);
	assert_int_equal(r.n, 3);
	assert_int_equal(ls_rego_cover_report(&rep, c), 0);
	assert_int_equal(rep.n, 2);
	assert_string_equal(rep.v[0].file, "policy.rego");
	/* 3: the default was never needed; 11: `some x` is neither; 17: the
	 * first branch of grade failed, its else (19) gave the value and
	 * the last else (21) never ran; 23: evens was never used. */
	expect_rows(&rep.v[0], "5-7,10,12-14,18-20", "3,17,21,23,25-26");
	assert_int_equal(rep.v[0].covered_lines, 10);
	assert_int_equal(rep.v[0].not_covered_lines, 6);
	assert_true(rep.v[0].coverage == 62.5);
	assert_string_equal(rep.v[1].file, "policy_test.rego");
	expect_rows(&rep.v[1], "5-6,9-10,13-14", "");
	assert_true(rep.v[1].coverage == 100.0);
	assert_int_equal(rep.covered_lines, 16);
	assert_int_equal(rep.not_covered_lines, 6);
	assert_true(rep.coverage == 100.0 * 16 / 22);
	ls_rego_cover_report_cleanup(&rep);
	ls_rego_test_results_cleanup(&r);

	/* The same collector again: hits add up to the same rows. */
	assert_int_equal(ls_rego_run_tests_opts(&r, p, &o, &err), 0);
	assert_int_equal(ls_rego_cover_report(&rep, c), 0);
	expect_rows(&rep.v[0], "5-7,10,12-14,18-20", "3,17,21,23,25-26");
	ls_rego_cover_report_cleanup(&rep);
	ls_rego_test_results_cleanup(&r);
	ls_rego_cover_free(c);
	ls_rego_policy_unref(p);
}

static void
test_rego_cover__hits_add_up_across_evaluations(void **state)
{
	struct ls_rego_policy *p =
	    compile2("policy.rego", policy_src, NULL, NULL);
	struct ls_rego_cover_report rep;
	struct ls_rego_cover *c = NULL;

	(void)state;
	assert_int_equal(ls_rego_cover_new(&c, p), 0);
	assert_int_equal(ls_rego_cover_report(&rep, c), 0);
	expect_rows(&rep.v[0], "", "3,5-7,10,12-14,17-21,23,25-26");
	assert_true(rep.coverage == 0.0);
	ls_rego_cover_report_cleanup(&rep);

	eval_with(p, c, "x := data.cov.grade(95)"); /* first branch */
	assert_int_equal(ls_rego_cover_report(&rep, c), 0);
	expect_rows(&rep.v[0], "17-18", "3,5-7,10,12-14,19-21,23,25-26");
	ls_rego_cover_report_cleanup(&rep);

	eval_with(p, c, "x := data.cov.grade(10)"); /* the last else */
	eval_with(p, c, "x := data.cov.evens");
	/* No input: the index rules allow out (as OPA's does), so only
	 * the default runs. */
	eval_with(p, c, "x := data.cov.allow");
	assert_int_equal(ls_rego_cover_report(&rep, c), 0);
	expect_rows(&rep.v[0], "3,17-18,20-21,23", "5-7,10,12-14,19,25-26");
	assert_int_equal(rep.covered_lines, 6);
	assert_int_equal(rep.not_covered_lines, 10);
	assert_true(rep.coverage == 37.5);
	ls_rego_cover_report_cleanup(&rep);
	ls_rego_cover_free(c);
	ls_rego_policy_unref(p);
}

static void
test_rego_cover__object_general_every_not(void **state)
{
	static const char *src = "package g\n"
				 "\n"
				 "obj[k] := v if {\n"
				 "\tsome k, v in {\"a\": 1}\n"
				 "}\n"
				 "\n"
				 "gen.x[k] := 1 if {\n"
				 "\tsome k in [\"p\"]\n"
				 "}\n"
				 "\n"
				 "all_pos if {\n"
				 "\tevery x in [1, 2] {\n"
				 "\t\tx > 0\n"
				 "\t}\n"
				 "}\n"
				 "\n"
				 "none if {\n"
				 "\tnot input.z\n"
				 "}\n";
	struct ls_rego_policy *p = compile2("g.rego", src, NULL, NULL);
	struct ls_rego_cover_report rep;
	struct ls_rego_cover *c = NULL;

	(void)state;
	assert_int_equal(ls_rego_cover_new(&c, p), 0);
	/* `some ... in` rows (4, 8) are never reported as not covered. */
	assert_int_equal(ls_rego_cover_report(&rep, c), 0);
	expect_rows(&rep.v[0], "", "3,7,11-13,17-18");
	ls_rego_cover_report_cleanup(&rep);
	/* The whole package: an object rule, a general ref head, every
	 * with its body, a negation; each head produced a value. */
	eval_with(p, c, "x := data.g");
	assert_int_equal(ls_rego_cover_report(&rep, c), 0);
	expect_rows(&rep.v[0], "3-4,7-8,11-13,17-18", "");
	assert_true(rep.coverage == 100.0);
	ls_rego_cover_report_cleanup(&rep);
	ls_rego_cover_free(c);
	ls_rego_policy_unref(p);
}

static void
test_rego_cover__json_as_opa_prints_it(void **state)
{
	static const char *want = "{\n"
				  "  \"files\": {\n"
				  "    \"a.rego\": {\n"
				  "      \"covered\": [\n"
				  "        {\n"
				  "          \"start\": {\n"
				  "            \"row\": 2\n"
				  "          },\n"
				  "          \"end\": {\n"
				  "            \"row\": 3\n"
				  "          }\n"
				  "        }\n"
				  "      ],\n"
				  "      \"not_covered\": [\n"
				  "        {\n"
				  "          \"start\": {\n"
				  "            \"row\": 5\n"
				  "          },\n"
				  "          \"end\": {\n"
				  "            \"row\": 5\n"
				  "          }\n"
				  "        }\n"
				  "      ],\n"
				  "      \"covered_lines\": 2,\n"
				  "      \"not_covered_lines\": 1,\n"
				  "      \"coverage\": 66.66666666666667\n"
				  "    },\n"
				  "    \"z\\u003c1\\u003e.rego\": {}\n"
				  "  },\n"
				  "  \"covered_lines\": 2,\n"
				  "  \"not_covered_lines\": 1,\n"
				  "  \"coverage\": 66.66666666666667\n"
				  "}\n";
	struct ls_rego_policy *p =
	    compile2("a.rego", "package t\np if {\n\tinput.x == 1\n}\nq := 2\n",
		"z<1>.rego", "package u\n");
	struct ls_rego_cover_report rep;
	struct ls_rego_eval_opts o;
	struct ls_rego_cover *c = NULL;
	const char *input = "{\"x\": 1}";
	char *out = NULL, *err = NULL;

	(void)state;
	assert_int_equal(ls_rego_cover_new(&c, p), 0);
	memset(&o, 0, sizeof(o));
	o.cover = c;
	assert_int_equal(ls_rego_eval_query(&out, p, "data.t.p", input,
			     strlen(input), &o, &err),
	    0);
	free(out);
	assert_int_equal(ls_rego_cover_report(&rep, c), 0);
	assert_int_equal(ls_rego_cover_report_json(&out, &rep), 0);
	assert_string_equal(out, want);
	free(out);
	ls_rego_cover_report_cleanup(&rep);

	/* Nothing run: an empty report still has OPA's top-level keys. */
	ls_rego_cover_free(c);
	assert_int_equal(ls_rego_cover_new(&c, p), 0);
	assert_int_equal(ls_rego_cover_report(&rep, c), 0);
	assert_int_equal(ls_rego_cover_report_json(&out, &rep), 0);
	assert_non_null(strstr(out,
	    "\"not_covered_lines\": 3,\n"
	    "  \"coverage\": 0\n}\n"));
	free(out);
	ls_rego_cover_report_cleanup(&rep);
	ls_rego_cover_free(c);
	ls_rego_policy_unref(p);
}

static void
test_rego_cover__collector_of_another_policy_refused(void **state)
{
	struct ls_rego_policy *p =
	    compile2("policy.rego", policy_src, NULL, NULL);
	struct ls_rego_policy *q =
	    compile2("policy.rego", policy_src, NULL, NULL);
	struct ls_rego_eval_opts o;
	struct ls_rego_cover *c = NULL;
	char *out = NULL, *err = NULL;

	(void)state;
	assert_int_equal(ls_rego_cover_new(&c, p), 0);
	memset(&o, 0, sizeof(o));
	o.cover = c;
	assert_int_not_equal(ls_rego_eval_query(&out, q, "x := data.cov.evens",
				 NULL, 0, &o, &err),
	    0);
	assert_null(out);
	assert_non_null(err);
	assert_non_null(strstr(err, "another policy"));
	free(err);
	/* The collector keeps its policy alive after the caller lets go. */
	ls_rego_policy_unref(p);
	eval_with(p, c, "x := data.cov.evens");
	ls_rego_cover_free(c);
	ls_rego_policy_unref(q);
	ls_rego_cover_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    test_rego_cover__tests_rows_ranges_percentages),
		cmocka_unit_test(
		    test_rego_cover__hits_add_up_across_evaluations),
		cmocka_unit_test(test_rego_cover__object_general_every_not),
		cmocka_unit_test(test_rego_cover__json_as_opa_prints_it),
		cmocka_unit_test(
		    test_rego_cover__collector_of_another_policy_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
