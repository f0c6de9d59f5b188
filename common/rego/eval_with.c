/* eval_with.c - `with` modifiers and the query entry point. */
#include <string.h>
#include <time.h>

#include "lockstep/error.h"
#include "rego/eval.h"

struct wstate {
	const struct ls_val *input, *data;
	struct ovr *ovr;
	struct memo *memo;
};

struct wk {
	struct wstate outer, inner;
	ev_k k;
	void *arg;
};

static void
get_state(const struct ev *ev, struct wstate *s)
{
	s->input = ev->input;
	s->data = ev->data;
	s->ovr = ev->ovr;
	s->memo = ev->memo;
}

static void
set_state(struct ev *ev, const struct wstate *s)
{
	ev->input = s->input;
	ev->data = s->data;
	ev->ovr = s->ovr;
	ev->memo = s->memo;
}

static int
with_k(struct ev *ev, void *arg)
{
	struct wk *w = arg;
	int rc;

	set_state(ev, &w->outer);
	rc = w->k(ev, w->arg);
	set_state(ev, &w->inner);
	return rc;
}

static int
first_k(struct ev *ev, void *arg, const struct ls_val *v)
{
	(void)ev;
	*(const struct ls_val **)arg = v;
	return EV_STOP;
}

/* v with path[0..n) set to val, objects created as needed. */
const struct ls_val *
ev_upsert(struct ls_arena *a, const struct ls_val *v,
    const struct ls_val *const *path, size_t n, const struct ls_val *val)
{
	const struct ls_val **keys, **vals, *child;
	size_t i, m = 0;

	if (n == 0 || path == NULL)
		return val;
	if (v == NULL || v->type != LS_VAL_OBJECT)
		v = ls_val_empty_object();
	child =
	    ev_upsert(a, ls_val_object_get(v, path[0]), path + 1, n - 1, val);
	keys = ls_arena_alloc(a, (v->u.obj.n + 1) * sizeof(*keys));
	vals = ls_arena_alloc(a, (v->u.obj.n + 1) * sizeof(*vals));
	if (child == NULL || keys == NULL || vals == NULL)
		return NULL;
	for (i = 0; i < v->u.obj.n; i++) {
		if (ls_val_equal(v->u.obj.k[i], path[0]))
			continue;
		keys[m] = v->u.obj.k[i];
		vals[m++] = v->u.obj.v[i];
	}
	keys[m] = path[0];
	vals[m++] = child;
	return ls_val_object(a, keys, vals, m, NULL);
}

/* Does the data path run into (or over) rules? */
static int
touches_rules(const struct ls_node *n, const struct ls_val *const *path,
    size_t np)
{
	size_t i;

	for (i = 0; i < np && n != NULL && path != NULL; i++) {
		if (n->nrules || n->dflt)
			return 1;
		if (path[i]->type != LS_VAL_STRING)
			return 0;
		n = ls_node_child(n, path[i]->u.str.p, path[i]->u.str.len);
	}
	return n != NULL && n->has_rules;
}

static int
with_path(struct ev *ev, struct frame *f, const struct ls_term *t,
    const struct ls_val ***out)
{
	const struct ls_val **path;
	size_t i;
	int rc;

	path = ls_arena_alloc(ev->a, (t->n + 1) * sizeof(*path));
	if (path == NULL)
		return ev_nomem(ev);
	for (i = 1; i < t->n; i++) {
		path[i - 1] = NULL;
		rc = ev_term(ev, f, t->a[i], first_k, &path[i - 1]);
		if (rc < 0)
			return rc;
		if (path[i - 1] == NULL)
			return ev_error(ev, "rego_type_error",
			    "with target path is undefined");
	}
	*out = path;
	return 0;
}

static int
apply_func(struct ev *ev, const struct ls_with *w, const struct ls_val *v)
{
	struct ovr *o = ls_arena_alloc(ev->a, sizeof(*o));

	if (o == NULL)
		return ev_nomem(ev);
	o->is_func = 1;
	o->bi_from = w->target->bi;
	o->fn_from = w->target->fn;
	o->value = v;
	if (v == NULL) {
		o->bi_to = w->value->bi;
		o->fn_to = w->value->fn;
	}
	o->next = ev->ovr;
	ev->ovr = o;
	return 0;
}

static int
apply_one(struct ev *ev, struct frame *f, const struct ls_with *w,
    const struct ls_val *v)
{
	const struct ls_term *t = w->target;
	const struct ls_val **path = NULL;
	struct ovr *o;
	size_t np;
	int rc;

	if (t->k == LS_T_CALL)
		return apply_func(ev, w, v);
	if ((rc = with_path(ev, f, t, &path)) != 0)
		return rc;
	np = t->n - 1;
	if (t->a[0]->k == LS_T_INPUT) {
		ev->input = ev_upsert(ev->a, ev->input, path, np, v);
		return ev->input ? 0 : ev_nomem(ev);
	}
	if (!touches_rules(ev->p->root, path, np)) {
		ev->data = ev_upsert(ev->a, ev->data, path, np, v);
		return ev->data ? 0 : ev_nomem(ev);
	}
	o = ls_arena_alloc(ev->a, sizeof(*o));
	if (o == NULL || (o->path = ls_val_array(ev->a, path, np)) == NULL)
		return ev_nomem(ev);
	o->value = v;
	o->next = ev->ovr;
	ev->ovr = o;
	return 0;
}

static int
with_apply(struct ev *ev, struct frame *f, const struct ls_expr *e,
    const struct ls_val **vals, ev_k k, void *arg)
{
	struct wk w;
	size_t i;
	int rc;

	get_state(ev, &w.outer);
	for (i = 0; i < e->nwith; i++)
		if ((rc = apply_one(ev, f, &e->with[i], vals[i])) != 0) {
			set_state(ev, &w.outer);
			return rc;
		}
	if ((rc = ev_memo_new(ev, &ev->memo)) != 0) {
		set_state(ev, &w.outer);
		return rc;
	}
	get_state(ev, &w.inner);
	w.k = k;
	w.arg = arg;
	rc = ev_expr_core(ev, f, e, with_k, &w);
	set_state(ev, &w.outer);
	return rc;
}

/* The with values from the i-th on; each value that iterates (as OPA
 * binds a non-ground value to a local first) runs the expression once
 * per value. */
struct wv {
	struct frame *f;
	const struct ls_expr *e;
	const struct ls_val **vals;
	size_t i;
	ev_k k;
	void *arg;
};

static int with_vals(struct ev *ev, const struct wv *c);

static int
with_val_k(struct ev *ev, void *arg, const struct ls_val *v)
{
	const struct wv *c = arg;
	struct wv next = *c;

	c->vals[c->i] = v;
	next.i = c->i + 1;
	return with_vals(ev, &next);
}

static int
with_vals(struct ev *ev, const struct wv *c)
{
	const struct ls_term *vt;
	struct wv next = *c;

	for (; next.i < c->e->nwith; next.i++) {
		vt = c->e->with[next.i].value;
		if (!(vt->k == LS_T_CALL && vt->n == 0 && (vt->bi || vt->fn)))
			return ev_term(ev, c->f, vt, with_val_k, &next);
	}
	return with_apply(ev, c->f, c->e, c->vals, c->k, c->arg);
}

int
ev_with(struct ev *ev, struct frame *f, const struct ls_expr *e, ev_k k,
    void *arg)
{
	struct wv c = { f, e, NULL, 0, k, arg };

	c.vals = ls_arena_alloc(ev->a, e->nwith * sizeof(*c.vals));
	if (c.vals == NULL)
		return ev_nomem(ev);
	memset(c.vals, 0, e->nwith * sizeof(*c.vals));
	return with_vals(ev, &c);
}

/* Queries ----------------------------------------------------------------- */

struct qk {
	struct frame *f;
	ls_eval_sol_fn sol;
	void *arg;
};

static int
q_solution(struct ev *ev, void *arg)
{
	struct qk *q = arg;

	ev_keep(ev);
	return q->sol(q->arg, q->f->slots, ev->qval, ev->nq);
}

static long long
clock_ns(int which)
{
	struct timespec ts;

	clock_gettime(which, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int
ls_eval_query(const struct ls_rego_policy *p, struct ls_arena *a,
    const struct ls_body *q, int nslots, const struct ls_eval_cfg *cfg,
    ls_eval_sol_fn sol, void *arg)
{
	struct ev ev;
	struct frame f;
	struct qk k = { &f, sol, arg };
	int rc;

	memset(&ev, 0, sizeof(ev));
	ev.stack_base = (uintptr_t)&ev;
	ev.p = p;
	ev.a = a;
	ev.input = cfg->input;
	ev.data = p->data ? p->data : ls_val_empty_object();
	ev.max_steps = cfg->max_steps ? cfg->max_steps : EV_DEFAULT_STEPS;
	if (cfg->timeout_ms)
		ev.deadline_ns = clock_ns(CLOCK_MONOTONIC) +
		    (long long)cfg->timeout_ms * 1000000LL;
	ev.bctx.arena = a;
	ev.bctx.strict = cfg->strict;
	ev.bctx.now_ns = cfg->now_ns ? cfg->now_ns : clock_ns(CLOCK_REALTIME);
	ev.bctx.print = cfg->print;
	ev.bctx.print_arg = cfg->print_arg;
	ev.bctx.eval = &ev;
	ev.cover = cfg->cover;
	ev.qexpr = (const struct ls_expr **)ls_arena_alloc(a,
	    (cfg->nexprs + 1) * sizeof(*ev.qexpr));
	ev.qval = ls_arena_alloc(a, (cfg->nexprs + 1) * sizeof(*ev.qval));
	if (ev.qexpr == NULL || ev.qval == NULL)
		return ev_nomem(&ev);
	if (cfg->nexprs)
		memcpy(ev.qexpr, cfg->exprs, cfg->nexprs * sizeof(*ev.qexpr));
	ev.nq = cfg->nexprs;
	if ((rc = ev_memo_new(&ev, &ev.memo)) != 0 ||
	    (rc = ev_frame(&ev, &f, nslots)) != 0)
		return rc;
	rc = ev_body(&ev, &f, q, 0, q_solution, &k);
	if (cfg->steps_out != NULL)
		*cfg->steps_out = ev.steps;
	return rc < 0 ? rc : 0;
}
