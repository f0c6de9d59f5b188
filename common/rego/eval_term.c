/* eval_term.c - evaluating terms to values, and unification. */
#include <string.h>

#include "lockstep/error.h"
#include "rego/eval.h"

static int
is_unbound(const struct frame *f, const struct ls_term *t)
{
	return t->k == LS_T_VAR && f->slots[t->slot] == NULL;
}

/* Does t hold an unbound var in a pattern position? */
static int
has_unbound(const struct frame *f, const struct ls_term *t)
{
	size_t i;

	if (t->k == LS_T_VAR)
		return f->slots[t->slot] == NULL;
	if (t->k == LS_T_ARR)
		for (i = 0; i < t->n; i++)
			if (has_unbound(f, t->a[i]))
				return 1;
	if (t->k == LS_T_OBJ)
		for (i = 1; i < t->n; i += 2)
			if (has_unbound(f, t->a[i]))
				return 1;
	return 0;
}

/* Unify a term with a value ------------------------------------------- */

struct uk {
	struct frame *f;
	const struct ls_term *t;
	const struct ls_val *v;
	size_t i;
	ev_k k;
	void *arg;
};

static int
uarr_step(struct ev *ev, void *arg)
{
	struct uk *c = arg, n = *c;

	if (c->i == c->t->n)
		return c->k(ev, c->arg);
	n.i++;
	return ev_unify_val(ev, c->f, c->t->a[c->i], c->v->u.arr.v[c->i],
	    uarr_step, &n);
}

static int uobj_step(struct ev *ev, void *arg);

static int
uobj_key(struct ev *ev, void *arg, const struct ls_val *key)
{
	struct uk *c = arg, n = *c;
	const struct ls_val *val = ls_val_object_get(c->v, key);

	if (val == NULL)
		return 0;
	n.i++;
	return ev_unify_val(ev, c->f, c->t->a[2 * c->i + 1], val, uobj_step,
	    &n);
}

static int
uobj_step(struct ev *ev, void *arg)
{
	struct uk *c = arg;

	if (2 * c->i == c->t->n)
		return c->k(ev, c->arg);
	return ev_term(ev, c->f, c->t->a[2 * c->i], uobj_key, c);
}

struct eqk {
	const struct ls_val *v;
	ev_k k;
	void *arg;
};

static int
eq_k(struct ev *ev, void *arg, const struct ls_val *v)
{
	struct eqk *c = arg;

	return ls_val_equal(c->v, v) ? c->k(ev, c->arg) : 0;
}

int
ev_unify_val(struct ev *ev, struct frame *f, const struct ls_term *t,
    const struct ls_val *v, ev_k k, void *arg)
{
	struct uk c = { f, t, v, 0, k, arg };
	struct eqk e = { v, k, arg };
	size_t mark;
	int rc;

	switch (t->k) {
	case LS_T_VAL: return ls_val_equal(t->v, v) ? k(ev, arg) : 0;
	case LS_T_VAR:
		if (f->slots[t->slot] != NULL)
			return ls_val_equal(f->slots[t->slot], v) ? k(ev, arg)
								  : 0;
		mark = ev->ntrail;
		if ((rc = ev_step(ev)) != 0 ||
		    (rc = ev_bind(ev, f, t->slot, v)) != 0)
			return rc;
		rc = k(ev, arg);
		ev_undo(ev, mark);
		return rc;
	case LS_T_ARR:
		if (v->type != LS_VAL_ARRAY || v->u.arr.n != t->n)
			return 0;
		return uarr_step(ev, &c);
	case LS_T_OBJ:
		if (v->type != LS_VAL_OBJECT || v->u.obj.n != t->n / 2)
			return 0;
		return uobj_step(ev, &c);
	default: return ev_term(ev, f, t, eq_k, &e);
	}
}

/* Unify two terms --------------------------------------------------------- */

struct utk {
	struct frame *f;
	const struct ls_term *a, *b;
	size_t i;
	ev_k k;
	void *arg;
};

static int
uterms_step(struct ev *ev, void *arg)
{
	struct utk *c = arg, n = *c;

	if (c->i == c->a->n)
		return c->k(ev, c->arg);
	n.i++;
	return ev_unify(ev, c->f, c->a->a[c->i], c->b->a[c->i], uterms_step,
	    &n);
}

struct uvk {
	struct frame *f;
	const struct ls_term *t;
	ev_k k;
	void *arg;
};

static int
uval_k(struct ev *ev, void *arg, const struct ls_val *v)
{
	struct uvk *c = arg;

	return ev_unify_val(ev, c->f, c->t, v, c->k, c->arg);
}

/* Objects of constant keys: unify the values of equal keys. */
static int
uobjs_step(struct ev *ev, void *arg)
{
	struct utk *c = arg, n = *c;
	size_t j;

	if (2 * c->i == c->a->n)
		return c->k(ev, c->arg);
	n.i++;
	for (j = 0; j < c->b->n; j += 2)
		if (ls_val_equal(c->a->a[2 * c->i]->v, c->b->a[j]->v))
			return ev_unify(ev, c->f, c->a->a[2 * c->i + 1],
			    c->b->a[j + 1], uobjs_step, &n);
	return 0;
}

static int
const_keys(const struct ls_term *t)
{
	size_t i;

	for (i = 0; i < t->n; i += 2)
		if (t->a[i]->k != LS_T_VAL)
			return 0;
	return 1;
}

int
ev_unify(struct ev *ev, struct frame *f, const struct ls_term *a,
    const struct ls_term *b, ev_k k, void *arg)
{
	struct utk c = { f, a, b, 0, k, arg };
	struct uvk u = { f, a, k, arg };

	if (is_unbound(f, a) && is_unbound(f, b))
		return ev_error(ev, "rego_unsafe_var_error", "var %s is unsafe",
		    a->name);
	if (a->k == LS_T_ARR && b->k == LS_T_ARR) {
		if (a->n != b->n)
			return 0;
		return uterms_step(ev, &c);
	}
	if (a->k == LS_T_OBJ && b->k == LS_T_OBJ && a->n == b->n &&
	    const_keys(a) && const_keys(b))
		return uobjs_step(ev, &c);
	if (is_unbound(f, a) || has_unbound(f, a))
		return ev_term(ev, f, b, uval_k, &u);
	u.t = b;
	return ev_term(ev, f, a, uval_k, &u);
}

/* Composite terms --------------------------------------------------------- */

struct ck {
	struct frame *f;
	const struct ls_term *t;
	size_t i;
	const struct ls_val **vals;
	ev_vk k;
	void *arg;
};

static int
comp_build(struct ev *ev, struct ck *c)
{
	const struct ls_term *t = c->t;
	const struct ls_val *v, **keys, **vals;
	size_t i, n = t->n / 2;

	if (t->k == LS_T_ARR)
		v = ls_val_array(ev->a, c->vals, t->n);
	else if (t->k == LS_T_SET)
		v = ls_val_set(ev->a, c->vals, t->n);
	else {
		keys = ls_arena_alloc(ev->a, (n + 1) * sizeof(*keys));
		vals = ls_arena_alloc(ev->a, (n + 1) * sizeof(*vals));
		if (keys == NULL || vals == NULL)
			return ev_nomem(ev);
		for (i = 0; i < n; i++) {
			keys[i] = c->vals[2 * i];
			vals[i] = c->vals[2 * i + 1];
		}
		v = ls_val_object_last(ev->a, keys, vals, n);
	}
	if (v == NULL)
		return ev_nomem(ev);
	return c->k(ev, c->arg, v);
}

static int comp_step(struct ev *ev, struct ck *c);

static int
comp_next(struct ev *ev, void *arg, const struct ls_val *v)
{
	struct ck *c = arg, n = *c;

	c->vals[c->i] = v;
	n.i++;
	return comp_step(ev, &n);
}

static int
comp_step(struct ev *ev, struct ck *c)
{
	if (c->i == c->t->n)
		return comp_build(ev, c);
	return ev_term(ev, c->f, c->t->a[c->i], comp_next, c);
}

/* Comprehensions --------------------------------------------------------- */

struct colk {
	struct frame *f;
	const struct ls_term *t;
	struct ls_vlist keys, vals;
	const struct ls_val *key;
};

static int
col_val(struct ev *ev, void *arg, const struct ls_val *v)
{
	struct colk *c = arg;

	ev_keep(ev);
	if (c->t->k == LS_T_OCOMP && ls_vlist_push(&c->keys, c->key) != 0)
		return ev_nomem(ev);
	return ls_vlist_push(&c->vals, v) != 0 ? ev_nomem(ev) : 0;
}

static int
col_key(struct ev *ev, void *arg, const struct ls_val *v)
{
	struct colk *c = arg;

	c->key = v;
	return ev_term(ev, c->f, c->t->val, col_val, c);
}

static int
col_solution(struct ev *ev, void *arg)
{
	struct colk *c = arg;

	if (c->t->k == LS_T_OCOMP)
		return ev_term(ev, c->f, c->t->key, col_key, c);
	return ev_term(ev, c->f, c->t->val, col_val, c);
}

static int
ev_compr(struct ev *ev, struct frame *f, const struct ls_term *t, ev_vk k,
    void *arg)
{
	struct colk c;
	const struct ls_val *v;
	size_t mark = ev->ntrail;
	int rc, conflict = 0;

	memset(&c, 0, sizeof(c));
	c.f = f;
	c.t = t;
	ls_vlist_init(&c.keys, ev->a);
	ls_vlist_init(&c.vals, ev->a);
	rc = ev_body(ev, f, t->body, 0, col_solution, &c);
	ev_undo(ev, mark);
	if (rc < 0)
		return rc;
	if (t->k == LS_T_ACOMP)
		v = ls_val_array(ev->a, c.vals.v, c.vals.n);
	else if (t->k == LS_T_SCOMP)
		v = ls_val_set(ev->a, c.vals.v, c.vals.n);
	else {
		v = ls_val_object(ev->a, c.keys.v, c.vals.v, c.vals.n,
		    &conflict);
		if (v == NULL && conflict)
			return ev_error(ev, "eval_conflict_error",
			    "object keys must be unique");
	}
	if (v == NULL)
		return ev_nomem(ev);
	return k(ev, arg, v);
}

int
ev_term(struct ev *ev, struct frame *f, const struct ls_term *t, ev_vk k,
    void *arg)
{
	struct ck c = { f, t, 0, NULL, k, arg };

	switch (t->k) {
	case LS_T_VAL: return k(ev, arg, t->v);
	case LS_T_VAR:
		if (f->slots[t->slot] == NULL)
			return ev_error(ev, "rego_unsafe_var_error",
			    "var %s is unsafe", t->name ? t->name : "_");
		return k(ev, arg, f->slots[t->slot]);
	case LS_T_REF: return ev_ref(ev, f, t, k, arg);
	case LS_T_ARR:
	case LS_T_SET:
	case LS_T_OBJ:
		c.vals = ls_arena_alloc(ev->a, (t->n + 1) * sizeof(*c.vals));
		if (c.vals == NULL)
			return ev_nomem(ev);
		return comp_step(ev, &c);
	case LS_T_CALL: return ev_call(ev, f, t, k, arg);
	case LS_T_ACOMP:
	case LS_T_SCOMP:
	case LS_T_OCOMP: return ev_compr(ev, f, t, k, arg);
	case LS_T_DATA:
	case LS_T_INPUT: return ev_ref(ev, f, t, k, arg);
	}
	return 0;
}
