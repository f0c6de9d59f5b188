/*
 * hoist.c - move the operands of negated expressions out of `not`.
 *
 * OPA's compiler rewrites call arguments and ref operands out of every
 * expression before evaluation (its RewriteExprTerms and
 * RewriteDynamicTerms stages): `not f(input.x)` becomes
 * `__local0__ = input.x; not f(__local0__)`.  For a positive expression
 * the two forms agree; under `not` they differ when an operand is
 * undefined: the rewritten body fails where the plain negation would
 * succeed.  This pass does the same rewrite for negated expressions,
 * after the body has been ordered, so each moved-out operand runs just
 * before its expression, with the expression's `with` modifiers.
 *
 * What moves out, as in OPA: for a call, each argument that is (or
 * holds, inside arrays, objects and sets) a ref or a call; for a ref,
 * each such operand; for a unification, the operands of a ref side and
 * the calls of either side.  In a module, `a == b` is a unification too:
 * OPA's RewriteEquals stage turns it into `a = b` before RewriteDynamicTerms,
 * so `not x.missing == true` keeps its ref inside the negation and holds
 * (the query compiler has no such stage: in a query `==` stays a call).
 * Terms holding a `_` stay inside: there the wildcard iterates inside the
 * negation.
 */
#include <string.h>

#include "lockstep/error.h"
#include "rego/resolve.h"

enum { H_FULL, H_CALLS }; /* move refs and calls / only calls */

struct hs {
	struct rs *r;
	int module; /* a module's rule, not a query: == is = */
	const struct ls_expr *neg; /* the negated expression */
	struct ls_expr **out;	   /* body being rebuilt */
	size_t n, cap;
};

static int hoist_body(struct rs *r, struct ls_body *b, int module);

static int
push(struct hs *h, struct ls_expr *e)
{
	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 16;
		struct ls_expr **v = ls_arena_alloc(h->r->a, cap * sizeof(*v));

		if (v == NULL)
			return ls_error_set(LS_ENOMEM, "out of memory");
		if (h->n)
			memcpy(v, h->out, h->n * sizeof(*v));
		h->out = v;
		h->cap = cap;
	}
	h->out[h->n++] = e;
	return 0;
}

static int
has_wild(const struct rs *r, const struct ls_term *t)
{
	size_t i;

	if (t->k == LS_T_VAR)
		return t->slot >= 0 && r->wild[t->slot];
	if (t->body != NULL)
		return 0; /* a comprehension's own wildcards stay its own */
	for (i = 0; i < t->n; i++)
		if (t->a[i] != NULL && has_wild(r, t->a[i]))
			return 1;
	return 0;
}

/* Replace *tp by a fresh var bound to it just before the expression. */
static int
emit(struct hs *h, struct ls_term **tp)
{
	struct ls_arena *a = h->r->a;
	struct ls_term *t = *tp, *v;
	struct ls_expr *e;
	int slot;

	if (has_wild(h->r, t))
		return 0;
	if ((slot = ls_rs_new_slot(h->r, NULL, 0)) < 0)
		return slot;
	v = ls_arena_alloc(a, sizeof(*v));
	e = ls_arena_alloc(a, sizeof(*e));
	if (v == NULL || e == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	memset(v, 0, sizeof(*v));
	memset(e, 0, sizeof(*e));
	v->k = LS_T_VAR;
	v->line = t->line;
	v->col = t->col;
	v->slot = slot;
	v->name = "__local__";
	e->k = LS_E_UNIFY;
	e->line = h->neg->line;
	e->col = h->neg->col;
	e->off = h->neg->off;
	e->end = h->neg->end;
	e->t[0] = v;
	e->t[1] = t;
	e->with = h->neg->with;
	e->nwith = h->neg->nwith;
	*tp = v;
	return push(h, e);
}

static int
hoist(struct hs *h, struct ls_term **tp, int mode)
{
	struct ls_term *t = *tp;
	size_t i;
	int rc;

	switch (t->k) {
	case LS_T_CALL: return emit(h, tp);
	case LS_T_REF:
		if (mode == H_FULL)
			return emit(h, tp);
		for (i = 0; i < t->n; i++)
			if ((rc = hoist(h, &t->a[i], H_CALLS)) != 0)
				return rc;
		return 0;
	case LS_T_ARR:
	case LS_T_OBJ:
	case LS_T_SET:
		for (i = 0; i < t->n; i++)
			if ((rc = hoist(h, &t->a[i], mode)) != 0)
				return rc;
		return 0;
	default: return 0;
	}
}

/* The operands of a call or a ref (not the ref's head). */
static int
hoist_operands(struct hs *h, struct ls_term *t)
{
	size_t i;
	int rc;

	for (i = t->k == LS_T_REF ? 1 : 0; i < t->n; i++)
		if ((rc = hoist(h, &t->a[i], H_FULL)) != 0)
			return rc;
	if (t->k == LS_T_REF && t->a[0]->k == LS_T_CALL)
		return emit(h, &t->a[0]);
	return 0;
}

static int
hoist_side(struct hs *h, struct ls_term **tp)
{
	if ((*tp)->k == LS_T_REF)
		return hoist_operands(h, *tp);
	return hoist(h, tp, H_CALLS);
}

static int
hoist_neg(struct hs *h, struct ls_expr *e)
{
	struct ls_term *t = e->t[0];
	int rc;

	h->neg = e;
	if (e->k == LS_E_TERM && h->module && t->k == LS_T_CALL &&
	    t->bi != NULL && t->n == 2 && strcmp(t->name, "equal") == 0) {
		if ((rc = hoist_side(h, &t->a[0])) != 0)
			return rc;
		return hoist_side(h, &t->a[1]);
	}
	if (e->k == LS_E_UNIFY) {
		if ((rc = hoist_side(h, &e->t[0])) != 0)
			return rc;
		return hoist_side(h, &e->t[1]);
	}
	if (e->k != LS_E_TERM)
		return 0;
	if (t->k == LS_T_CALL || t->k == LS_T_REF)
		return hoist_operands(h, t);
	return hoist(h, &e->t[0], H_CALLS);
}

/* Nested bodies: comprehensions inside a term. */
static int
hoist_term_bodies(struct rs *r, struct ls_term *t, int module)
{
	size_t i;
	int rc;

	if (t == NULL)
		return 0;
	if (t->body != NULL) {
		if ((rc = hoist_body(r, t->body, module)) != 0 ||
		    (rc = hoist_term_bodies(r, t->key, module)) != 0)
			return rc;
		return hoist_term_bodies(r, t->val, module);
	}
	for (i = 0; i < t->n; i++)
		if ((rc = hoist_term_bodies(r, t->a[i], module)) != 0)
			return rc;
	return 0;
}

static int
hoist_expr_bodies(struct rs *r, struct ls_expr *e, int module)
{
	size_t i;
	int rc;

	for (i = 0; i < 3; i++)
		if ((rc = hoist_term_bodies(r, e->t[i], module)) != 0)
			return rc;
	for (i = 0; i < e->nwith; i++)
		if ((rc = hoist_term_bodies(r, e->with[i].value, module)) != 0)
			return rc;
	if (e->k == LS_E_EVERY)
		return hoist_body(r, e->body, module);
	return 0;
}

static int
hoist_body(struct rs *r, struct ls_body *b, int module)
{
	struct hs h = { r, module, NULL, NULL, 0, 0 };
	size_t i, moved = 0;
	int rc;

	for (i = 0; i < b->n; i++) {
		struct ls_expr *e = b->e[i];
		size_t before = h.n;

		if ((rc = hoist_expr_bodies(r, e, module)) != 0)
			return rc;
		if (e->neg && (rc = hoist_neg(&h, e)) != 0)
			return rc;
		moved += h.n - before;
		if ((rc = push(&h, e)) != 0)
			return rc;
	}
	if (moved == 0)
		return 0;
	b->e = h.out;
	b->n = h.n;
	return 0;
}

int
ls_rs_hoist_rule(struct rs *r, struct ls_rule *rule)
{
	int rc;

	if ((rc = hoist_body(r, rule->body, 1)) != 0)
		return rc;
	if ((rc = hoist_term_bodies(r, rule->value, 1)) != 0)
		return rc;
	return hoist_term_bodies(r, rule->key, 1);
}

int
ls_rs_hoist_body(struct rs *r, struct ls_body *b)
{
	return hoist_body(r, b, 0);
}
