/* test_dectab.c - controls of a compiled policy's documents
 * (lockstep/dectab.h, lockstep/rego_deps.h): control map by package or
 * rule, METADATA custom.controls, transitive dependencies, leaves and
 * their attribution in one evaluation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lockstep/dectab.h"
#include "lockstep/error.h"
#include "lockstep/rego.h"
#include "lockstep/rego_deps.h"

static const char checks_rego[] =
    "package app.checks\n"
    "\n"
    "# METADATA\n"
    "# custom:\n"
    "#   controls: [\"iso:A.8.1\"]\n"
    "tls contains {\"check\": \"tls\", \"msg\": \"no tls\"} if not input.tls\n"
    "\n"
    "names contains \"bad name\" if input.name == \"bad\"\n"
    "\n"
    "unused := 1\n";

static const char policy_rego[] = "package app\n"
				  "\n"
				  "import data.app.checks\n"
				  "\n"
				  "deny contains v.msg if {\n"
				  "\tsome v in checks.tls\n"
				  "\tnot waived(v)\n"
				  "}\n"
				  "\n"
				  "deny contains m if some m in checks.names\n"
				  "\n"
				  "waived(v) if {\n"
				  "\tsome e in data.lockstep.exceptions\n"
				  "\te.exempts.check == v.check\n"
				  "}\n"
				  "\n"
				  "other := 2\n";

static const char map_json[] =
    "{\"controls\": {\"data.app.checks.names\": [\"soc2:CC8.1\"],"
    " \"data.app.deny\": [\"soc2:CC6.1\"]},"
    " \"exceptions\": [{\"id\": \"E-1\", \"owner\": \"o\", \"ticket\": \"T-1\","
    " \"reason\": \"r\", \"expires\": \"2099-01-01\","
    " \"exempts\": {\"check\": \"tls\"}}]}";

static struct ls_rego_policy *
compile(void)
{
	struct ls_rego_builder *b = ls_rego_builder_new();
	struct ls_rego_policy *p = NULL;
	char *err = NULL;

	assert_non_null(b);
	assert_int_equal(ls_rego_builder_add_module(b, "checks.rego",
			     checks_rego, strlen(checks_rego), 1, &err),
	    0);
	assert_int_equal(ls_rego_builder_add_module(b, "policy.rego",
			     policy_rego, strlen(policy_rego), 1, &err),
	    0);
	assert_int_equal(ls_rego_builder_add_data(b, "lockstep", map_json,
			     strlen(map_json), &err),
	    0);
	if (ls_rego_compile(&p, b, &err) != 0)
		fail_msg("compile: %s", err);
	ls_rego_builder_free(b);
	return p;
}

static int
has(const char *const *list, const char *c)
{
	for (; *list != NULL; list++)
		if (strcmp(*list, c) == 0)
			return 1;
	return 0;
}

static void
test_dectab__controls_follow_dependencies(void **st)
{
	struct ls_rego_policy *p = compile();
	struct ls_dectab *t = NULL;
	const char *const *c;

	(void)st;
	assert_int_equal(ls_dectab_build(&t, p, NULL), 0);
	c = ls_dectab_controls(t, "app/deny");
	assert_true(has(c, "soc2:CC6.1")); /* the map, on the rule */
	assert_true(has(c, "soc2:CC8.1")); /* through checks.names */
	assert_true(has(c, "iso:A.8.1"));  /* METADATA of checks.tls */
	c = ls_dectab_controls(t, "app/checks/tls");
	assert_true(has(c, "iso:A.8.1") && !has(c, "soc2:CC8.1"));
	c = ls_dectab_controls(t, "app/other");
	assert_null(c[0]);
	assert_true(ls_dectab_reads_exceptions(t, "app/deny"));
	assert_false(ls_dectab_reads_exceptions(t, "app/checks/names"));
	ls_dectab_free(t);
	ls_rego_policy_unref(p);
}

static void
test_dectab__attribution_in_one_evaluation(void **st)
{
	struct ls_rego_policy *p = compile();
	struct ls_dectab *t = NULL;
	const struct ls_dectab_leaves *lv;
	struct ls_rego_attr a;
	const char *in = "{\"name\": \"bad\"}";
	size_t i, tls = 9, names = 9;

	(void)st;
	assert_int_equal(ls_dectab_build(&t, p, NULL), 0);
	lv = ls_dectab_leaves(t, "app/deny");
	assert_non_null(lv);
	assert_int_equal(lv->n, 2);
	for (i = 0; i < lv->n; i++) {
		if (strcmp(lv->paths[i], "data.app.checks.tls") == 0)
			tls = i;
		if (strcmp(lv->paths[i], "data.app.checks.names") == 0)
			names = i;
	}
	assert_true(tls < 2 && names < 2);
	assert_int_equal(ls_rego_eval_attr(&a, p, lv->prepared, in, strlen(in), NULL,
			     NULL),
	    0);
	/* "no tls" is waived by E-1: the tls leaf holds what deny lacks */
	assert_string_equal(a.doc, "[\"bad name\"]");
	assert_int_equal(a.n, 1);
	assert_true(a.holders[0] == (1ull << names));
	assert_int_equal(a.stray, 1);
	ls_rego_attr_cleanup(&a);
	in = "{\"name\": \"bad\", \"tls\": true}";
	assert_int_equal(ls_rego_eval_attr(&a, p, lv->prepared, in, strlen(in), NULL,
			     NULL),
	    0);
	assert_int_equal(a.n, 1);
	assert_int_equal(a.stray, 0);
	ls_rego_attr_cleanup(&a);
	assert_null(ls_dectab_leaves(t, "app/deny/0")); /* not a node */
	ls_dectab_free(t);
	ls_rego_policy_unref(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dectab__controls_follow_dependencies),
		cmocka_unit_test(test_dectab__attribution_in_one_evaluation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
