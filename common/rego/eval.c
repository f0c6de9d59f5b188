/* eval.c - top-down evaluation: bodies, expressions, unification and
 * terms, in continuation-passing style with a trail for backtracking. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lockstep/error.h"
#include "rego/cover.h"
#include "rego/eval.h"

int
ev_error(struct ev *ev, const char *code, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	(void)ev;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return ls_error_set(LS_EREGO, "%s: %s", code, msg);
}

int
ev_nomem(struct ev *ev)
{
	if (ls_arena_capped(ev->a))
		return ev_error(ev, "eval_memory_error",
		    "evaluation exceeded its memory cap");
	return ls_error_set(LS_ENOMEM, "out of memory");
}

static long long
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int
ev_step(struct ev *ev)
{
	char here;
	uintptr_t sp = (uintptr_t)&here;

	/* Continuation passing nests C frames as deep as the search; stop
	 * cleanly before the stack runs out. */
	if ((sp < ev->stack_base ? ev->stack_base - sp : sp - ev->stack_base) >
	    EV_MAX_STACK)
		return ev_error(ev, "eval_cancel_error",
		    "evaluation nested too deeply");
	if (++ev->steps > ev->max_steps)
		return ev_error(ev, "eval_cancel_error",
		    "evaluation exceeded %llu steps", ev->max_steps);
	if (ev->deadline_ns && (ev->steps & 1023) == 0 &&
	    now_ns() > ev->deadline_ns)
		return ev_error(ev, "eval_cancel_error",
		    "evaluation timed out");
	return 0;
}

int
ev_frame(struct ev *ev, struct frame *f, int n)
{
	f->n = n;
	f->slots =
	    ls_arena_alloc(ev->a, (size_t)(n > 0 ? n : 1) * sizeof(*f->slots));
	return f->slots ? 0 : ev_nomem(ev);
}

int
ev_bind(struct ev *ev, struct frame *f, int slot, const struct ls_val *v)
{
	if (ev->ntrail == ev->captrail) {
		size_t cap = ev->captrail ? ev->captrail * 2 : 256;
		const struct ls_val ***t =
		    ls_arena_alloc(ev->a, cap * sizeof(*t));

		if (t == NULL)
			return ev_nomem(ev);
		if (ev->ntrail)
			memcpy(t, ev->trail, ev->ntrail * sizeof(*t));
		ev->trail = t;
		ev->captrail = cap;
		ev_keep(ev);
	}
	f->slots[slot] = v;
	ev->trail[ev->ntrail++] = &f->slots[slot];
	return 0;
}

void
ev_undo(struct ev *ev, size_t mark)
{
	while (ev->ntrail > mark)
		*ev->trail[--ev->ntrail] = NULL;
}

int
ev_stop_k(struct ev *ev, void *arg)
{
	(void)ev;
	(void)arg;
	return EV_STOP;
}

/* Bodies ------------------------------------------------------------------ */

struct bk {
	struct frame *f;
	const struct ls_body *b;
	size_t i;
	ev_k k;
	void *arg;
};

static int
body_next(struct ev *ev, void *arg)
{
	struct bk *c = arg;

	return ev_body(ev, c->f, c->b, c->i + 1, c->k, c->arg);
}

/* Coverage: the row of each expression of a rule that is evaluated (a
 * query's own expressions belong to no module; OPA compiles `some x`
 * declarations away, so they are never evaluated there). */
static void
cover_expr(const struct ev *ev, const struct ls_expr *e)
{
	if (ev->rule != NULL && e->k != LS_E_SOME)
		ls_rego_cover_hit(ev->cover, ev->rule->mod, e->line);
}

static int
ev_expr(struct ev *ev, struct frame *f, const struct ls_expr *e, ev_k k,
    void *arg)
{
	int rc;

	if ((rc = ev_step(ev)) != 0)
		return rc;
	if (ev->cover != NULL)
		cover_expr(ev, e);
	if (e->nwith > 0)
		return ev_with(ev, f, e, k, arg);
	return ev_expr_core(ev, f, e, k, arg);
}

int
ev_body(struct ev *ev, struct frame *f, const struct ls_body *b, size_t i,
    ev_k k, void *arg)
{
	struct bk c = { f, b, i, k, arg };

	if (i == b->n)
		return k(ev, arg);
	return ev_expr(ev, f, b->e[i], body_next, &c);
}

/* Expressions ------------------------------------------------------------- */

struct tk {
	const struct ls_expr *e;
	ev_k k;
	void *arg;
};

/* Record a query expression's value; 1 if e is a query expression. */
static int
record_query_value(struct ev *ev, const struct ls_expr *e,
    const struct ls_val *v)
{
	size_t i;

	for (i = 0; i < ev->nq; i++)
		if (ev->qexpr[i] == e) {
			/* Read only by this branch's solutions, each path
			 * writing it afresh: not kept past an iteration. */
			ev->qval[i] = v;
			return 1;
		}
	return 0;
}

static int
term_truthy(struct ev *ev, void *arg, const struct ls_val *v)
{
	struct tk *c = arg;
	int is_false = v->type == LS_VAL_BOOL && !v->u.b;

	/* Like opa eval, a query's plain term (not a call) is captured
	 * with its value even when that value is false.  A negated one's
	 * value is true when it holds: what its inside saw is not kept
	 * (and may be memory a finished iteration gave back). */
	if (ev->nq && !c->e->neg && record_query_value(ev, c->e, v) &&
	    c->e->t[0]->k != LS_T_CALL)
		is_false = 0;
	if (is_false)
		return 0;
	return c->k(ev, c->arg);
}

struct u2 {
	struct frame *f;
	const struct ls_term *t;
	const struct ls_val *v;
	ev_k k;
	void *arg;
};

static int
u2_next(struct ev *ev, void *arg)
{
	struct u2 *c = arg;

	return ev_unify_val(ev, c->f, c->t, c->v, c->k, c->arg);
}

/* Unify t0 with v0 (skipped when t0 is NULL), then t1 with v1. */
static int
unify2(struct ev *ev, struct frame *f, const struct ls_term *t0,
    const struct ls_val *v0, const struct ls_term *t1, const struct ls_val *v1,
    ev_k k, void *arg)
{
	struct u2 c = { f, t1, v1, k, arg };
	size_t mark = ev->ntrail;
	int rc;

	if (t0 == NULL)
		rc = ev_unify_val(ev, f, t1, v1, k, arg);
	else
		rc = ev_unify_val(ev, f, t0, v0, u2_next, &c);
	ev_undo(ev, mark);
	return rc;
}

/* Call fn(key, value) for each element of a collection. */
typedef int (*elem_fn)(struct ev *ev, void *arg, const struct ls_val *key,
    const struct ls_val *val);

/* Each element's work gives its memory back unless it kept some. */
static int
each_elem(struct ev *ev, const struct ls_val *v, elem_fn fn, void *arg)
{
	struct ev_mark m;
	size_t i, n = ls_val_len(v);
	int rc = 0;

	if (v->type != LS_VAL_ARRAY && v->type != LS_VAL_OBJECT &&
	    v->type != LS_VAL_SET)
		return 0;
	ev_mark(ev, &m);
	for (i = 0; i < n && rc == 0; i++) {
		const struct ls_val *key;

		if (v->type == LS_VAL_ARRAY) {
			if ((key = ls_val_int(ev->a, (int64_t)i)) == NULL)
				return ev_nomem(ev);
			rc = fn(ev, arg, key, v->u.arr.v[i]);
		} else if (v->type == LS_VAL_OBJECT)
			rc = fn(ev, arg, v->u.obj.k[i], v->u.obj.v[i]);
		else
			rc = fn(ev, arg, v->u.set.v[i], v->u.set.v[i]);
		if (rc == 0)
			ev_release(ev, &m);
	}
	return rc;
}

struct ink {
	struct frame *f;
	const struct ls_expr *e;
	ev_k k;
	void *arg;
};

static int
somein_elem(struct ev *ev, void *arg, const struct ls_val *key,
    const struct ls_val *val)
{
	struct ink *c = arg;

	return unify2(ev, c->f, c->e->t[0], key, c->e->t[1], val, c->k, c->arg);
}

static int
somein_domain(struct ev *ev, void *arg, const struct ls_val *v)
{
	return each_elem(ev, v, somein_elem, arg);
}

struct evk {
	struct frame *f;
	const struct ls_body *body;
};

static int
every_body(struct ev *ev, void *arg)
{
	struct evk *c = arg;

	return ev_body(ev, c->f, c->body, 0, ev_stop_k, NULL);
}

struct every_state {
	struct frame *f;
	const struct ls_expr *e;
	int failed;
	int defined; /* the domain had a value */
};

static int
every_each(struct ev *ev, void *arg, const struct ls_val *key,
    const struct ls_val *val)
{
	struct every_state *s = arg;
	struct evk b = { s->f, s->e->body };
	int rc;

	rc = unify2(ev, s->f, s->e->t[0], key, s->e->t[1], val, every_body, &b);
	if (rc < 0)
		return rc;
	if (rc != EV_STOP) {
		s->failed = 1;
		return EV_STOP;
	}
	return 0;
}

static int
every_domain(struct ev *ev, void *arg, const struct ls_val *v)
{
	struct every_state *s = arg;
	int rc;

	s->defined = 1;
	if (v->type != LS_VAL_ARRAY && v->type != LS_VAL_OBJECT &&
	    v->type != LS_VAL_SET) {
		s->failed = 1; /* not a collection: every is false */
		return 0;
	}
	rc = each_elem(ev, v, every_each, s);

	return rc < 0 ? rc : 0;
}

static int
ev_every(struct ev *ev, struct frame *f, const struct ls_expr *e, ev_k k,
    void *arg)
{
	struct every_state s = { f, e, 0, 0 };
	int rc = ev_term(ev, f, e->t[2], every_domain, &s);

	if (rc < 0)
		return rc;
	if (s.failed || !s.defined)
		return 0;
	return k(ev, arg);
}

static int
expr_pos(struct ev *ev, struct frame *f, const struct ls_expr *e, ev_k k,
    void *arg)
{
	struct tk t = { e, k, arg };
	struct ink in = { f, e, k, arg };

	switch (e->k) {
	case LS_E_TERM: return ev_term(ev, f, e->t[0], term_truthy, &t);
	case LS_E_UNIFY:
	case LS_E_ASSIGN: return ev_unify(ev, f, e->t[0], e->t[1], k, arg);
	case LS_E_SOME: return k(ev, arg);
	case LS_E_SOMEIN: return ev_term(ev, f, e->t[2], somein_domain, &in);
	case LS_E_EVERY: return ev_every(ev, f, e, k, arg);
	}
	return 0;
}

int
ev_expr_core(struct ev *ev, struct frame *f, const struct ls_expr *e, ev_k k,
    void *arg)
{
	size_t mark = ev->ntrail;
	int rc;

	if (!e->neg)
		return expr_pos(ev, f, e, k, arg);
	rc = expr_pos(ev, f, e, ev_stop_k, NULL);
	ev_undo(ev, mark);
	if (rc < 0)
		return rc;
	if (rc == EV_STOP)
		return 0;
	return k(ev, arg);
}
