/* order.c - safety: reorder body expressions so that each var is bound
 * before an expression needs it, and report vars that never are. */
#include <stdlib.h>
#include <string.h>

#include "lockstep/error.h"
#include "rego/resolve.h"

/* A list of slots (duplicates allowed), grown in the arena. */
struct ilist {
	struct ls_arena *a;
	int *v;
	size_t n, cap;
	int oom;
};

static void
il_push(struct ilist *l, int x)
{
	int *nv;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;

		if ((nv = ls_arena_alloc(l->a, cap * sizeof(*nv))) == NULL) {
			l->oom = 1;
			return;
		}
		if (l->n)
			memcpy(nv, l->v, l->n * sizeof(*nv));
		l->v = nv;
		l->cap = cap;
	}
	l->v[l->n++] = x;
}

/* Var sets of an expression. */
struct vs {
	struct ilist *need; /* must be bound before */
	struct ilist *pat;  /* bound by unification if the other side is */
	struct ilist *self; /* bound by the expression (ref operands) */
};

static void collect(const struct ls_term *t, struct vs *v, int pattern);

static void
free_vars(const struct ls_term *t, int lo, int hi, struct ilist *need);

static void
free_vars_body(const struct ls_body *b, int lo, int hi, struct ilist *need)
{
	size_t i, j;

	for (i = 0; i < b->n; i++) {
		const struct ls_expr *e = b->e[i];

		for (j = 0; j < 3; j++)
			if (e->t[j] != NULL)
				free_vars(e->t[j], lo, hi, need);
		for (j = 0; j < e->nwith; j++)
			free_vars(e->with[j].value, lo, hi, need);
		if (e->body != NULL)
			free_vars_body(e->body, lo, hi, need);
	}
}

/* Vars of t outside [lo, hi) go to need. */
static void
free_vars(const struct ls_term *t, int lo, int hi, struct ilist *need)
{
	size_t i;

	if (t->k == LS_T_VAR && t->slot >= 0 && (t->slot < lo || t->slot >= hi))
		il_push(need, t->slot);
	for (i = 0; i < t->n; i++)
		free_vars(t->a[i], lo, hi, need);
	if (t->body != NULL)
		free_vars_body(t->body, lo, hi, need);
	if (t->key != NULL)
		free_vars(t->key, lo, hi, need);
	if (t->val != NULL)
		free_vars(t->val, lo, hi, need);
}

static void
collect(const struct ls_term *t, struct vs *v, int pattern)
{
	size_t i;

	switch (t->k) {
	case LS_T_VAR:
		if (t->slot >= 0)
			il_push(pattern ? v->pat : v->need, t->slot);
		return;
	case LS_T_REF:
		if (t->a[0]->k == LS_T_VAR)
			il_push(v->need, t->a[0]->slot);
		else
			collect(t->a[0], v, 0);
		for (i = 1; i < t->n; i++) {
			struct vs s = { v->need, v->self, v->self };

			collect(t->a[i], &s, 1);
		}
		return;
	case LS_T_ARR:
		for (i = 0; i < t->n; i++)
			collect(t->a[i], v, pattern);
		return;
	case LS_T_OBJ:
		for (i = 0; i < t->n; i++)
			collect(t->a[i], v, i % 2 ? pattern : 0);
		return;
	case LS_T_SET:
	case LS_T_CALL:
		for (i = 0; i < t->n; i++)
			collect(t->a[i], v, 0);
		return;
	case LS_T_ACOMP:
	case LS_T_SCOMP:
	case LS_T_OCOMP: free_vars(t, t->lo, t->hi, v->need); return;
	default: return;
	}
}

static int
call_arity(const struct ls_term *t)
{
	if (t->fn != NULL)
		return t->fn->nargs;
	if (t->bi != NULL)
		return t->bi->arity;
	return t->op == LS_OP_MEMBER3 ? 3 : t->op == LS_OP_MEMBER2 ? 2 : 0;
}

static void
collect_expr(const struct ls_expr *e, struct vs *v)
{
	const struct ls_term *t = e->t[0];
	size_t i;

	switch (e->k) {
	case LS_E_TERM:
		if (t->k == LS_T_CALL && call_arity(t) >= 0 &&
		    t->n == (size_t)call_arity(t) + 1) {
			for (i = 0; i + 1 < t->n; i++)
				collect(t->a[i], v, 0);
			collect(t->a[t->n - 1], v, 1);
		} else
			collect(t, v, 0);
		break;
	case LS_E_UNIFY:
	case LS_E_ASSIGN:
		collect(e->t[0], v, 1);
		collect(e->t[1], v, 1);
		break;
	case LS_E_SOMEIN:
		if (e->t[0] != NULL)
			collect(e->t[0], v, 1);
		collect(e->t[1], v, 1);
		collect(e->t[2], v, 0);
		break;
	case LS_E_EVERY:
		collect(e->t[2], v, 0);
		free_vars_body(e->body, e->lo, e->hi, v->need);
		break;
	case LS_E_SOME: break;
	}
	for (i = 0; i < e->nwith; i++)
		collect(e->with[i].value, v, 0);
}

struct einfo {
	struct ilist need, pat, self; /* the whole expression */
	struct ilist lpat, rpat;      /* unification: pattern vars per side */
	int composite;		      /* array = array, object = object */
};

static void
il_init(struct rs *r, struct ilist *l)
{
	memset(l, 0, sizeof(*l));
	l->a = r->a;
}

static int
info_of(struct rs *r, const struct ls_expr *e, struct einfo *x)
{
	struct ilist scratch;
	struct vs v = { &x->need, &x->pat, &x->self };
	struct vs l = { &scratch, &x->lpat, &scratch };
	struct vs rr = { &scratch, &x->rpat, &scratch };

	il_init(r, &x->need);
	il_init(r, &x->pat);
	il_init(r, &x->self);
	il_init(r, &x->lpat);
	il_init(r, &x->rpat);
	il_init(r, &scratch);
	collect_expr(e, &v);
	if (e->k == LS_E_UNIFY || e->k == LS_E_ASSIGN) {
		collect(e->t[0], &l, 1);
		collect(e->t[1], &rr, 1);
		x->composite = e->t[0]->k == e->t[1]->k &&
		    (e->t[0]->k == LS_T_ARR || e->t[0]->k == LS_T_OBJ);
	}
	if (x->need.oom || x->pat.oom || x->self.oom || x->lpat.oom ||
	    x->rpat.oom || scratch.oom)
		return ls_error_set(LS_ENOMEM, "out of memory");
	return 0;
}

static int
all_bound(const struct ilist *l, const char *bound)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (!bound[l->v[i]])
			return 0;
	return 1;
}

static int
in_list(const struct ilist *l, int x)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (l->v[i] == x)
			return 1;
	return 0;
}

static int
ready(const struct ls_expr *e, const struct einfo *x, const char *bound)
{
	size_t i;

	if (e->neg)
		return all_bound(&x->need, bound) &&
		    all_bound(&x->pat, bound) && all_bound(&x->self, bound);
	/* Refs in the expression bind their operand vars before the
	 * call that needs them (calls take var arguments last). */
	for (i = 0; i < x->need.n; i++)
		if (!bound[x->need.v[i]] && !in_list(&x->self, x->need.v[i]))
			return 0;
	if (e->k != LS_E_UNIFY && e->k != LS_E_ASSIGN)
		return 1;
	if (x->composite)
		return 1; /* element-wise: one element may bind another */
	return all_bound(&x->lpat, bound) || all_bound(&x->rpat, bound);
}

static void
bind_all(const struct ilist *l, char *bound)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		bound[l->v[i]] = 1;
}

static void
bind_expr(const struct ls_expr *e, const struct einfo *x, char *bound)
{
	if (e->neg)
		return;
	bind_all(&x->need, bound);
	bind_all(&x->pat, bound);
	bind_all(&x->self, bound);
}

/* Bind the pattern vars of t (function args, every key/value). */
static int
side_pat(struct rs *r, const struct ls_term *t, char *bound)
{
	struct ilist l;
	struct vs v = { &l, &l, &l };

	il_init(r, &l);
	collect(t, &v, 1);
	bind_all(&l, bound);
	return l.oom ? ls_error_set(LS_ENOMEM, "out of memory") : 0;
}

static int
first_unbound(struct rs *r, const struct ilist *l, const char *bound, int line,
    int col)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (!bound[l->v[i]] && r->names[l->v[i]] != NULL)
			return ls_error_set(LS_EREGO,
			    "%s:%d:%d: "
			    "rego_unsafe_var_error: var %s is unsafe",
			    r->file, line, col, r->names[l->v[i]]);
	return 0;
}

static int
unsafe_error(struct rs *r, const struct ls_expr *e, const struct einfo *x,
    const char *bound)
{
	int rc;

	if ((rc = first_unbound(r, &x->need, bound, e->line, e->col)) ||
	    (rc = first_unbound(r, &x->pat, bound, e->line, e->col)) ||
	    (rc = first_unbound(r, &x->self, bound, e->line, e->col)))
		return rc;
	return ls_error_set(LS_EREGO,
	    "%s:%d:%d: rego_unsafe_var_error: "
	    "expression is unsafe",
	    r->file, e->line, e->col);
}

static int
order_nested_term(struct rs *r, struct ls_term *t, const char *bound);
static int order_into(struct rs *r, struct ls_body *b, char *bound);

static int
order_nested(struct rs *r, struct ls_expr *e, const char *bound)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < 3 && rc == 0; i++)
		if (e->t[i] != NULL)
			rc = order_nested_term(r, e->t[i], bound);
	for (i = 0; i < e->nwith && rc == 0; i++)
		rc = order_nested_term(r, e->with[i].value, bound);
	if (rc == 0 && e->k == LS_E_EVERY) {
		char *b = ls_arena_alloc(r->a, (size_t)r->nslots + 1);
		int k;

		if (b == NULL)
			return LS_ENOMEM;
		for (k = 0; k < r->nslots; k++)
			b[k] = (char)(k < e->lo || k >= e->hi || r->wild[k] ||
			    bound[k]);
		if (e->t[0] != NULL && (rc = side_pat(r, e->t[0], b)) != 0)
			return rc;
		if ((rc = side_pat(r, e->t[1], b)) != 0)
			return rc;
		rc = order_into(r, e->body, b);
	}
	return rc;
}

static int
check_bound(struct rs *r, const struct ls_term *t, const char *bound)
{
	struct ilist l;
	struct vs v = { &l, &l, &l };

	il_init(r, &l);
	collect(t, &v, 0);
	if (l.oom)
		return ls_error_set(LS_ENOMEM, "out of memory");
	return first_unbound(r, &l, bound, t->line, t->col);
}

static int
order_nested_term(struct rs *r, struct ls_term *t, const char *bound)
{
	size_t i;
	int rc = 0, k;

	for (i = 0; i < t->n && rc == 0; i++)
		rc = order_nested_term(r, t->a[i], bound);
	if (rc == 0 && t->body != NULL) {
		char *b = ls_arena_alloc(r->a, (size_t)r->nslots + 1);

		if (b == NULL)
			return LS_ENOMEM;
		for (k = 0; k < r->nslots; k++)
			b[k] = (char)(k < t->lo || k >= t->hi || r->wild[k]);
		if ((rc = order_into(r, t->body, b)) != 0)
			return rc;
		if (t->key != NULL && (rc = check_bound(r, t->key, b)) != 0)
			return rc;
		rc = check_bound(r, t->val, b);
	}
	return rc;
}

/* The body's order is computed into bound (updated: all vars it binds). */
static int
order_into(struct rs *r, struct ls_body *b, char *bound)
{
	struct ls_expr **out;
	struct einfo *info;
	char *done;
	size_t i, k = 0, first = 0;
	int rc;

	out = ls_arena_alloc(r->a, (b->n + 1) * sizeof(*out));
	done = ls_arena_alloc(r->a, b->n + 1);
	info = ls_arena_alloc(r->a, (b->n + 1) * sizeof(*info));
	if (out == NULL || done == NULL || info == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	for (i = 0; i < b->n; i++)
		if ((rc = info_of(r, b->e[i], &info[i])) != 0)
			return rc;
	while (k < b->n) {
		while (done[first])
			first++;
		for (i = first; i < b->n; i++)
			if (!done[i] && ready(b->e[i], &info[i], bound))
				break;
		if (i == b->n)
			return unsafe_error(r, b->e[first], &info[first],
			    bound);
		if ((rc = order_nested(r, b->e[i], bound)) != 0)
			return rc;
		bind_expr(b->e[i], &info[i], bound);
		done[i] = 1;
		out[k++] = b->e[i];
	}
	if (b->n > 0)
		memcpy(b->e, out, b->n * sizeof(*out));
	return 0;
}

int
ls_rs_order_body(struct rs *r, struct ls_body *b, const char *bound)
{
	char *bd = ls_arena_alloc(r->a, (size_t)r->nslots + 1);
	int i;

	if (bd == NULL)
		return LS_ENOMEM;
	for (i = 0; i < r->nslots; i++)
		bd[i] = (char)(r->wild[i] || (bound && bound[i]));
	return order_into(r, b, bd);
}

int
ls_rs_order_rule(struct rs *r, struct ls_rule *rule)
{
	char *bound = ls_arena_alloc(r->a, (size_t)r->nslots + 1);
	size_t i;
	int rc, k;

	if (bound == NULL)
		return LS_ENOMEM;
	for (k = 0; k < r->nslots; k++)
		bound[k] = r->wild[k];
	for (i = 0; i < rule->nargs; i++)
		if ((rc = side_pat(r, rule->args[i], bound)) != 0)
			return rc;
	if ((rc = order_into(r, rule->body, bound)) != 0)
		return rc;
	for (i = 0; i < rule->nargs; i++)
		if ((rc = check_bound(r, rule->args[i], bound)) != 0)
			return rc;
	if (rule->key != NULL && (rc = check_bound(r, rule->key, bound)) != 0)
		return rc;
	for (i = 0; i < rule->nkeys; i++)
		if ((rc = check_bound(r, rule->keys[i], bound)) != 0)
			return rc;
	if (rule->value != NULL)
		rc = check_bound(r, rule->value, bound);
	if (rc == 0 && rule->value != NULL)
		rc = order_nested_term(r, rule->value, bound);
	if (rc == 0 && rule->key != NULL)
		rc = order_nested_term(r, rule->key, bound);
	return rc;
}
