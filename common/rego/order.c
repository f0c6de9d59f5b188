/* order.c - safety: reorder body expressions so that each var is bound
 * before an expression needs it, and report vars that never are. */
#include <stdlib.h>
#include <string.h>

#include "lockstep/error.h"
#include "rego/resolve.h"

/* Per-expression var sets, one byte per slot. */
struct vs {
	char *need;	/* must be bound before */
	char *pat;	/* bound by unification if the other side is known */
	char *self;	/* bound by the expression itself (ref operands) */
};

static void collect(const struct ls_term *t, struct vs *v, int pattern);

static void
free_vars(const struct ls_term *t, int lo, int hi, char *need);

static void
free_vars_body(const struct ls_body *b, int lo, int hi, char *need)
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
free_vars(const struct ls_term *t, int lo, int hi, char *need)
{
	size_t i;

	if (t->k == LS_T_VAR && t->slot >= 0 && (t->slot < lo ||
	    t->slot >= hi))
		need[t->slot] = 1;
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
			(pattern ? v->pat : v->need)[t->slot] = 1;
		return;
	case LS_T_REF:
		if (t->a[0]->k == LS_T_VAR)
			v->need[t->a[0]->slot] = 1;
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
	case LS_T_OCOMP:
		free_vars(t, t->lo, t->hi, v->need);
		return;
	default:
		return;
	}
}

static int
call_arity(const struct ls_term *t)
{
	if (t->fn != NULL)
		return t->fn->nargs;
	if (t->bi != NULL)
		return t->bi->arity;
	return t->op == LS_OP_MEMBER3 ? 3 : 2;
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
	case LS_E_SOME:
		break;
	}
	for (i = 0; i < e->nwith; i++)
		collect(e->with[i].value, v, 0);
}

static int
subset(const char *a, const char *bound, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (a[i] && !bound[i])
			return 0;
	return 1;
}

/* Term-level pattern vars of one side of a unification. */
static void
side_pat(const struct ls_term *t, char *pat, char *scratch_need,
    char *scratch_self)
{
	struct vs v = { scratch_need, pat, scratch_self };

	collect(t, &v, 1);
}

static int
ready(struct rs *r, const struct ls_expr *e, const char *bound, char *buf)
{
	int n = r->nslots;
	struct vs v = { buf, buf + n, buf + 2 * n };
	int ok;

	memset(buf, 0, (size_t)n * 5);
	collect_expr(e, &v);
	if (e->neg)
		return subset(v.need, bound, n) && subset(v.pat, bound, n) &&
		    subset(v.self, bound, n);
	if (!subset(v.need, bound, n))
		return 0;
	if (e->k != LS_E_UNIFY && e->k != LS_E_ASSIGN)
		return 1;
	if (e->t[0]->k == e->t[1]->k && (e->t[0]->k == LS_T_ARR ||
	    e->t[0]->k == LS_T_OBJ))
		return 1;	/* element-wise: some element may bind another */
	/* One side must be fully known for the other to be bound. */
	memset(buf + 3 * n, 0, (size_t)n * 2);
	side_pat(e->t[0], buf + 3 * n, buf + 4 * n, buf + 4 * n);
	ok = subset(buf + 3 * n, bound, n);
	memset(buf + 3 * n, 0, (size_t)n * 2);
	side_pat(e->t[1], buf + 3 * n, buf + 4 * n, buf + 4 * n);
	return ok || subset(buf + 3 * n, bound, n);
}

static void
bind_expr(struct rs *r, const struct ls_expr *e, char *bound, char *buf)
{
	int n = r->nslots, i;
	struct vs v = { buf, buf + n, buf + 2 * n };

	if (e->neg)
		return;
	memset(buf, 0, (size_t)n * 3);
	collect_expr(e, &v);
	for (i = 0; i < 3 * n; i++)
		if (buf[i])
			bound[i % n] = 1;
}

static int
unsafe_error(struct rs *r, const struct ls_expr *e, const char *bound,
    char *buf)
{
	int n = r->nslots, i;
	struct vs v = { buf, buf + n, buf + 2 * n };

	memset(buf, 0, (size_t)n * 3);
	collect_expr(e, &v);
	for (i = 0; i < 3 * n; i++)
		if (buf[i] && !bound[i % n] && r->names[i % n] != NULL)
			return ls_error_set(LS_EREGO, "%s:%d:%d: "
			    "rego_unsafe_var_error: var %s is unsafe", r->file,
			    e->line, e->col, r->names[i % n]);
	return ls_error_set(LS_EREGO, "%s:%d:%d: rego_unsafe_var_error: "
	    "expression is unsafe", r->file, e->line, e->col);
}

static int order_nested_term(struct rs *r, struct ls_term *t,
    const char *bound);
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
		if (e->t[0] != NULL)
			side_pat(e->t[0], b, b, b);
		side_pat(e->t[1], b, b, b);
		rc = ls_rs_order_body(r, e->body, b);
	}
	return rc;
}

static int
check_bound(struct rs *r, const struct ls_term *t, const char *bound)
{
	char *buf = ls_arena_alloc(r->a, (size_t)r->nslots * 3 + 1);
	struct vs v = { buf, buf + r->nslots, buf + 2 * r->nslots };
	int i, n = r->nslots;

	if (buf == NULL)
		return LS_ENOMEM;
	collect(t, &v, 0);
	for (i = 0; i < 3 * n; i++)
		if (buf[i] && !bound[i % n] && r->names[i % n] != NULL)
			return ls_error_set(LS_EREGO, "%s:%d:%d: "
			    "rego_unsafe_var_error: var %s is unsafe", r->file,
			    t->line, t->col, r->names[i % n]);
	return 0;
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
	char *done, *buf;
	size_t i, k = 0;
	int rc;

	out = ls_arena_alloc(r->a, (b->n + 1) * sizeof(*out));
	done = ls_arena_alloc(r->a, b->n + 1);
	buf = ls_arena_alloc(r->a, (size_t)r->nslots * 5 + 1);
	if (out == NULL || done == NULL || buf == NULL)
		return LS_ENOMEM;
	while (k < b->n) {
		for (i = 0; i < b->n; i++)
			if (!done[i] && ready(r, b->e[i], bound, buf))
				break;
		if (i == b->n) {
			for (i = 0; done[i]; i++)
				;
			return unsafe_error(r, b->e[i], bound, buf);
		}
		if ((rc = order_nested(r, b->e[i], bound)) != 0)
			return rc;
		bind_expr(r, b->e[i], bound, buf);
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
		side_pat(rule->args[i], bound, bound, bound);
	if ((rc = order_into(r, rule->body, bound)) != 0)
		return rc;
	for (i = 0; i < rule->nargs; i++)
		if ((rc = check_bound(r, rule->args[i], bound)) != 0)
			return rc;
	if (rule->key != NULL && (rc = check_bound(r, rule->key, bound)) != 0)
		return rc;
	if (rule->value != NULL)
		rc = check_bound(r, rule->value, bound);
	if (rc == 0 && rule->value != NULL)
		rc = order_nested_term(r, rule->value, bound);
	if (rc == 0 && rule->key != NULL)
		rc = order_nested_term(r, rule->key, bound);
	return rc;
}
