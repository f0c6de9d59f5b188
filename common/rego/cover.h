/*
 * cover.h - the evaluator's side of coverage (rego-core internal): where
 * a hit goes.  See lockstep/rego_cover.h for the collector and report.
 */
#ifndef LS_REGO_COVER_H
#define LS_REGO_COVER_H

#include "lockstep/rego_cover.h"
#include "rego/ast.h"

/* Mark row of module m as reached; rows and modules the collector does
 * not know are ignored. */
void
ls_rego_cover_hit(struct ls_rego_cover *c, const struct ls_module *m, int row);

/* 0 when c collects for policy p, else LS_EINVAL with a message. */
int ls_rego_cover_check(const struct ls_rego_cover *c,
    const struct ls_rego_policy *p);

#endif
