/*
 * rego_cover.h - test coverage of a compiled policy, as `opa test
 * --coverage` reports it.
 *
 * A collector belongs to one compiled policy.  Give it to evaluations
 * through ls_rego_eval_opts.cover (tests: ls_rego_test_opts.cover); each
 * marks the row of every expression it evaluates and the row of every
 * rule head whose rule produced a value (OPA's EvalOp and ExitOp).  Hits
 * are kept in one bitmap per module, sized by the module's last row, so
 * memory is bounded by the policy and not by the work done.  Evaluations
 * may use the same collector one after the other (hits add up); not at
 * the same time from several threads.
 *
 * The report then lists, per file, the covered rows and the rule heads
 * and expressions (not `some` declarations) that were never reached,
 * merged into ranges of consecutive rows, with line counts and
 * percentages.
 */
#ifndef LOCKSTEP_REGO_COVER_H
#define LOCKSTEP_REGO_COVER_H

#include <stddef.h>

#include "lockstep/rego.h"

struct ls_rego_cover;

/* A collector for p, holding a reference to it.  LS_ENOMEM. */
int ls_rego_cover_new(struct ls_rego_cover **out, struct ls_rego_policy *p);
void ls_rego_cover_free(struct ls_rego_cover *c); /* NULL ok */

struct ls_rego_cover_range {
	int start, end; /* rows, both included */
};

struct ls_rego_cover_file {
	char *file; /* owned; module file name as loaded */
	struct ls_rego_cover_range *covered, *not_covered; /* owned */
	size_t ncovered, nnot_covered;
	size_t covered_lines, not_covered_lines; /* rows in the ranges */
	double coverage; /* percent; 0 when the file has no rows */
};

struct ls_rego_cover_report {
	struct ls_rego_cover_file *v; /* owned; sorted by file name */
	size_t n;
	size_t covered_lines, not_covered_lines;
	double coverage; /* percent over all files; 0 when none */
};

/* The report of what c has seen so far.  LS_ENOMEM; *out is then empty. */
int ls_rego_cover_report(struct ls_rego_cover_report *out,
    const struct ls_rego_cover *c);
void ls_rego_cover_report_cleanup(struct ls_rego_cover_report *r);

/*
 * The report as `opa test --coverage` prints it: JSON indented by two
 * spaces, keys in OPA's order, empty fields left out, ending in a
 * newline.  *out is the caller's to free.  LS_ENOMEM.
 */
int ls_rego_cover_report_json(char **out, const struct ls_rego_cover_report *r);

#endif
