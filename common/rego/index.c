/*
 * index.c - rule indexing on input fields.
 *
 * A rule whose body requires `input.a.b == CONST` (or `input.a.b =
 * CONST`) cannot succeed when the input holds something else there, so
 * the evaluator skips it without building a frame or running its body.
 * OPA's rule index has the same effect; it only matters for packages
 * with many rules keyed on the same input fields.
 */
#include <string.h>

#include "rego/eval.h"

static int
input_const_ref(const struct ls_term *t)
{
	size_t i;

	if (t->k != LS_T_REF || t->a[0]->k != LS_T_INPUT || t->n < 2)
		return 0;
	for (i = 1; i < t->n; i++)
		if (t->a[i]->k != LS_T_VAL)
			return 0;
	return 1;
}

/* Sides of an equality expression that tests an input field. */
static int
equality(const struct ls_expr *e, const struct ls_term **ref,
    const struct ls_term **val)
{
	const struct ls_term *a, *b;

	if (e->neg || e->nwith > 0)
		return 0;
	if (e->k == LS_E_UNIFY) {
		a = e->t[0];
		b = e->t[1];
	} else if (e->k == LS_E_TERM && e->t[0]->k == LS_T_CALL &&
	    e->t[0]->n == 2 && e->t[0]->bi != NULL &&
	    strcmp(e->t[0]->bi->name, "equal") == 0) {
		a = e->t[0]->a[0];
		b = e->t[0]->a[1];
	} else
		return 0;
	if (input_const_ref(a) && b->k == LS_T_VAL) {
		*ref = a;
		*val = b;
		return 1;
	}
	if (input_const_ref(b) && a->k == LS_T_VAL) {
		*ref = b;
		*val = a;
		return 1;
	}
	return 0;
}

void
ls_rego_index_rule(struct ls_rule *r)
{
	const struct ls_term *ref, *val;
	size_t i;

	for (i = 0; i < r->body->n; i++)
		if (equality(r->body->e[i], &ref, &val)) {
			r->idx_ref = ref;
			r->idx_val = val->v;
			return;
		}
}

int
ev_index_skip(const struct ev *ev, const struct ls_rule *r)
{
	const struct ls_val *v = ev->input;
	const struct ls_val *got;
	size_t i;

	if (r->idx_ref == NULL)
		return 0;
	for (i = 1; v != NULL && i < r->idx_ref->n; i++) {
		const struct ls_val *k = r->idx_ref->a[i]->v;

		if (v->type == LS_VAL_OBJECT)
			got = ls_val_object_get(v, k);
		else if (v->type == LS_VAL_SET)
			got = ls_val_set_has(v, k) ? k : NULL;
		else
			return 0; /* arrays and the rest: let eval decide */
		v = got;
	}
	return v == NULL || !ls_val_equal(v, r->idx_val);
}
