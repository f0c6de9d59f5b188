/*
 * test_rule.h - run one test rule on its own (rego-core internal), for
 * the tests opa test runs rule by rule: table-driven tests (a partial
 * object, test_x[name] if {...}) and test names defined more than once.
 */
#ifndef LS_REGO_TEST_RULE_H
#define LS_REGO_TEST_RULE_H

#include "lockstep/rego.h"
#include "rego/compile.h"

struct ls_test_run {
	unsigned timeout_ms; /* 0 = none */
	struct ls_rego_cover *cover; /* coverage hits, or NULL */
	void (*print)(void *arg, const char *line, size_t len);
	void *print_arg;
};

/*
 * Evaluate rule r's body (and its else chain) as a query and set
 * t->status and, for a partial object rule, t->cases: one per key of
 * the object, plus a FAIL case for each key the body bound but did not
 * produce (its body failed after the name was known; opa injects
 * internal.test_case there).  An evaluation error sets LS_REGO_ERROR
 * and t->message.  Returns 0 or LS_ENOMEM.
 */
int
ls_test_run_rule(struct ls_rego_test_result *t, const struct ls_rego_policy *p,
    const struct ls_rule *r, const struct ls_test_run *run);

#endif
