/* resolve.h - name resolution state shared by resolve.c and order.c
 * (rego-core internal). */
#ifndef LS_REGO_RESOLVE_H
#define LS_REGO_RESOLVE_H

#include "rego/compile.h"

struct scope {
	struct scope *up;
	const char **names;
	int *slots;
	size_t n, cap;
	const struct ls_body *body; /* names := / some declare later */
};

struct rs {
	const struct ls_rego_policy *p;
	struct ls_arena *a;
	const struct ls_module *mod; /* NULL for queries */
	const char *const *pkg;
	size_t npkg;
	const char *file;
	struct scope *sc;
	int nslots, cap;
	const char **names; /* per slot; NULL for wildcards */
	char *wild;	    /* per slot: 1 for `_` */
};

int ls_rs_new_slot(struct rs *r, const char *name, int wild);
int ls_rs_call_target(struct rs *r, struct ls_term *t, size_t nargs);

/* Reorder a rule body (and nested bodies) so every var is bound before
 * it is needed; LS_EREGO "rego_unsafe_var_error" when impossible. */
int ls_rs_order_rule(struct rs *r, struct ls_rule *rule);
/* bound: slots already bound (NULL: none). */
int ls_rs_order_body(struct rs *r, struct ls_body *b, const char *bound);

/* After ordering: move the operands of negated expressions out of `not`,
 * as OPA's compiler does (hoist.c).  Adds slots to r. */
int ls_rs_hoist_rule(struct rs *r, struct ls_rule *rule);
int ls_rs_hoist_body(struct rs *r, struct ls_body *b);

#endif
