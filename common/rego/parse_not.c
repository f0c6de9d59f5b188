/*
 * parse_not.c - `not { ... }` blocks (newer OPA releases): the negation
 * of a whole body.  Lowered to `not {true | body}[true]`, which is
 * defined exactly when the body is satisfied; the body sees the vars
 * bound before it and keeps its own.
 */
#include <string.h>

#include "lockstep/error.h"
#include "rego/ast.h"
#include "rego/parse.h"

static struct ls_term *
val_true(struct ps *p, const struct ls_token *t)
{
	struct ls_term *x = ls_ps_new_term(p, LS_T_VAL, t);

	if (x != NULL)
		x->v = ls_val_bool(1);
	return x;
}

static int
not_block(struct ps *p, struct ls_expr *e)
{
	const struct ls_token *t = ls_ps_cur(p);
	struct ls_term *c = val_true(p, t), *ref = val_true(p, t);
	int rc;

	if (c == NULL || ref == NULL ||
	    (ref->a = ls_arena_alloc(p->a, 2 * sizeof(*ref->a))) == NULL ||
	    (c->val = val_true(p, t)) == NULL ||
	    (ref->a[1] = val_true(p, t)) == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	if ((rc = ls_ps_body_block(p, &c->body)) != 0)
		return rc;
	c->k = LS_T_SCOMP;
	c->v = NULL;
	ref->k = LS_T_REF;
	ref->v = NULL;
	ref->a[0] = c;
	ref->n = 2;
	e->k = LS_E_TERM;
	e->neg = 1;
	e->t[0] = ref;
	return 0;
}

int
ls_ps_not_block(struct ps *p, struct ls_expr *e)
{
	size_t save = p->i;
	int depth = p->depth, nest = p->nest, no_or = p->no_or, rc;

	p->i++; /* not */
	if ((rc = not_block(p, e)) != LS_EREGO)
		return rc;
	/* Not a body: `not {1, 2}` and the like negate a term. */
	ls_error_clear();
	p->i = save;
	p->depth = depth;
	p->nest = nest;
	p->no_or = no_or;
	return 1;
}
