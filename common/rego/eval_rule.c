/* eval_rule.c - rule documents (complete, partial set, partial object),
 * function calls (user and builtin), and `with`. */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "lockstep/error.h"
#include "rego/cover.h"
#include "rego/eval.h"

int
ev_memo_new(struct ev *ev, struct memo **out)
{
	struct memo *m = ls_arena_alloc(ev->a, sizeof(*m));
	size_t n = (size_t)ev->p->nnodes + 1;

	if (m == NULL ||
	    (m->doc = ls_arena_alloc(ev->a, n * sizeof(*m->doc))) == NULL ||
	    (m->state = ls_arena_alloc(ev->a, n)) == NULL)
		return ev_nomem(ev);
	*out = m;
	return 0;
}

/* Function calls are memoised per query and `with` scope, as OPA does:
 * the same function on the same arguments is evaluated once. */
#define MAX_MEMO_CALLS (1u << 16)

static uint64_t
call_hash(const struct ls_node *fn, const struct ls_val *args)
{
	return ls_val_hash(args) ^
	    ((uint64_t)(uintptr_t)fn * 0x9e3779b97f4a7c15ull);
}

static struct fcall *
call_slot(struct fcall *t, size_t cap, const struct ls_node *fn,
    const struct ls_val *args, uint64_t h)
{
	size_t i = (size_t)h & (cap - 1);

	while (t[i].fn != NULL &&
	    !(t[i].fn == fn && t[i].hash == h && ls_val_equal(t[i].args, args)))
		i = (i + 1) & (cap - 1);
	return &t[i];
}

static int
memo_grow(struct ev *ev, struct memo *m)
{
	size_t cap = m->capcalls ? m->capcalls * 2 : 64, i;
	struct fcall *t = ls_arena_alloc(ev->a, cap * sizeof(*t));

	if (t == NULL)
		return ev_nomem(ev);
	memset(t, 0, cap * sizeof(*t));
	for (i = 0; i < m->capcalls; i++)
		if (m->calls[i].fn != NULL)
			*call_slot(t, cap, m->calls[i].fn, m->calls[i].args,
			    m->calls[i].hash) = m->calls[i];
	m->calls = t;
	m->capcalls = cap;
	return 0;
}

static int complete_value(struct ev *ev, const struct ls_node *n,
    const struct ls_val *const *args, const struct ls_val **out);

static int
call_memo(struct ev *ev, const struct ls_node *fn,
    const struct ls_val *const *args, size_t nargs, const struct ls_val **out)
{
	struct memo *m = ev->memo;
	const struct ls_val *key = ls_val_array(ev->a, args, nargs);
	struct fcall *e;
	uint64_t h;
	int rc;

	if (key == NULL)
		return ev_nomem(ev);
	h = call_hash(fn, key);
	if (m->capcalls &&
	    (e = call_slot(m->calls, m->capcalls, fn, key, h))->fn != NULL) {
		*out = e->res;
		return 0;
	}
	if ((rc = complete_value(ev, fn, args, out)) != 0)
		return rc;
	if (m->ncalls >= MAX_MEMO_CALLS)
		return 0;
	if (2 * (m->ncalls + 1) > m->capcalls && (rc = memo_grow(ev, m)) != 0)
		return rc;
	e = call_slot(m->calls, m->capcalls, fn, key, h);
	ev_keep(ev);
	e->fn = fn;
	e->args = key;
	e->res = *out;
	e->hash = h;
	m->ncalls++;
	return 0;
}

/* Collects the values one rule (or else branch) produces. */
struct rk {
	struct frame *f;
	const struct ls_rule *r;
	const struct ls_val *val; /* complete/func: the value */
	int conflict;
	struct ls_vlist keys, vals; /* partial docs */
	const struct ls_val *key;
	int general; /* keys holds key paths */
};

static int
rk_value(struct ev *ev, void *arg, const struct ls_val *v)
{
	struct rk *c = arg;

	ev_keep(ev);
	/* Coverage: the rule produced a value (OPA's exit of a rule). */
	if (ev->cover != NULL)
		ls_rego_cover_hit(ev->cover, c->r->mod, c->r->line);
	if (c->r->k == LS_R_SET)
		return ls_vlist_push(&c->vals, v) ? ev_nomem(ev) : 0;
	if (c->r->k == LS_R_OBJ)
		return ls_vlist_push(&c->keys, c->key) ||
			ls_vlist_push(&c->vals, v)
		    ? ev_nomem(ev)
		    : 0;
	if (c->val != NULL && !ls_val_equal(c->val, v))
		c->conflict = 1;
	c->val = v;
	return 0;
}

static int
rk_key(struct ev *ev, void *arg, const struct ls_val *v)
{
	struct rk *c = arg;

	c->key = v;
	if (c->r->value == NULL)
		return rk_value(ev, c, ls_val_bool(1));
	return ev_term(ev, c->f, c->r->value, rk_value, c);
}

/* General ref heads: each solution gives a key path and a leaf. */
struct gk {
	struct rk *c;
	struct ls_term *const *keys;
	size_t n, i;
	const struct ls_val **vals;
};

static int
gk_leaf(struct ev *ev, void *arg, const struct ls_val *v)
{
	struct gk *g = arg;
	const struct ls_val *path = ls_val_array(ev->a, g->vals, g->n);

	ev_keep(ev);
	if (ev->cover != NULL)
		ls_rego_cover_hit(ev->cover, g->c->r->mod, g->c->r->line);
	if (path == NULL || ls_vlist_push(&g->c->keys, path) ||
	    ls_vlist_push(&g->c->vals, v))
		return ev_nomem(ev);
	return 0;
}

static int gk_step(struct ev *ev, struct gk *g);

static int
gk_key(struct ev *ev, void *arg, const struct ls_val *v)
{
	struct gk *g = arg, n = *g;

	g->vals[g->i] = v;
	n.i++;
	return gk_step(ev, &n);
}

static int
gk_step(struct ev *ev, struct gk *g)
{
	const struct ls_rule *r = g->c->r;

	if (g->i < g->n)
		return ev_term(ev, g->c->f, g->keys[g->i], gk_key, g);
	if (r->k == LS_R_SET)
		return ev_term(ev, g->c->f, r->key, gk_leaf, g);
	if (r->value == NULL)
		return gk_leaf(ev, g, ls_val_bool(1));
	return ev_term(ev, g->c->f, r->value, gk_leaf, g);
}

static int
rk_general(struct ev *ev, struct rk *c)
{
	const struct ls_rule *r = c->r;
	struct gk g = { c, r->keys, r->nkeys, 0, NULL };

	if (r->nkeys == 0 && r->k == LS_R_OBJ) { /* p[k] := v */
		g.keys = &r->key;
		g.n = 1;
	}
	g.vals = ls_arena_alloc(ev->a, (g.n + 1) * sizeof(*g.vals));
	return g.vals ? gk_step(ev, &g) : ev_nomem(ev);
}

static int
rk_solution(struct ev *ev, void *arg)
{
	struct rk *c = arg;

	if (c->general)
		return rk_general(ev, c);

	if (c->r->k == LS_R_SET)
		return ev_term(ev, c->f, c->r->key, rk_value, c);
	if (c->r->k == LS_R_OBJ)
		return ev_term(ev, c->f, c->r->key, rk_key, c);
	if (c->r->value == NULL)
		return rk_value(ev, c, ls_val_bool(1));
	return ev_term(ev, c->f, c->r->value, rk_value, c);
}

struct ak {
	struct rk *c;
	const struct ls_val *const *args;
	size_t i;
};

static int
args_step(struct ev *ev, void *arg)
{
	struct ak *a = arg, n = *a;

	if (a->i == a->c->r->nargs || a->args == NULL)
		return ev_body(ev, a->c->f, a->c->r->body, 0, rk_solution,
		    a->c);
	n.i++;
	return ev_unify_val(ev, a->c->f, a->c->r->args[a->i], a->args[a->i],
	    args_step, &n);
}

/* Evaluate one rule (not its else branches) into c. */
static int
run_rule(struct ev *ev, const struct ls_rule *r,
    const struct ls_val *const *args, struct rk *c)
{
	struct frame f;
	struct ak a = { c, args, 0 };
	size_t mark = ev->ntrail;
	const struct ls_rule *rule;
	const char *file;
	int rc;

	if (ev_index_skip(ev, r))
		return 0;
	if (ev->depth >= EV_MAX_DEPTH)
		return ev_error(ev, "eval_recursion_error",
		    "rules nested more than %d deep", EV_MAX_DEPTH);
	if ((rc = ev_frame(ev, &f, r->nslots)) != 0)
		return rc;
	c->f = &f;
	c->r = r;
	file = ev->file;
	rule = ev->rule;
	ev->file = r->mod->file;
	ev->rule = r;
	ev->depth++;
	rc = args_step(ev, &a);
	ev->depth--;
	ev->file = file;
	ev->rule = rule;
	ev_undo(ev, mark);
	c->f = NULL; /* the frame dies here */
	return rc < 0 ? rc : 0;
}

static int
conflict(struct ev *ev, const struct ls_rule *r, const char *what)
{
	(void)ev;
	return ls_error_set(LS_EREGO, "%s:%d: eval_conflict_error: %s",
	    r->mod->file, r->line, what);
}

/* "data.a.b" for node n, into buf. */
static void
node_name(const struct ls_node *n, char *buf, size_t len)
{
	const struct ls_node *segs[64];
	size_t ns = 0, i, off;

	for (; n != NULL && n->parent != NULL && ns < 64; n = n->parent)
		segs[ns++] = n;
	off = (size_t)snprintf(buf, len, "data");
	for (i = ns; i > 0 && off < len; i--)
		off += (size_t)snprintf(buf + off, len - off, ".%s",
		    segs[i - 1]->name);
}

/* Two definitions disagree: OPA's wording right after the code (as
 * its suites match it), then the rule or function by name. */
static int
value_conflict(struct ev *ev, const struct ls_node *n, const struct ls_rule *r)
{
	char name[512];

	(void)ev;
	node_name(n, name, sizeof(name));
	if (n->k == LS_R_FUNC)
		return ls_error_set(LS_EREGO,
		    "%s:%d: eval_conflict_error: functions must not produce "
		    "multiple outputs for same inputs (function %s produced "
		    "conflicting values for the same inputs)",
		    r->mod->file, r->line, name);
	return ls_error_set(LS_EREGO,
	    "%s:%d: eval_conflict_error: complete rules must not produce "
	    "multiple outputs (rule %s produced conflicting values)",
	    r->mod->file, r->line, name);
}

/* Value of a complete rule or function: first branch of each else chain
 * that succeeds; all definitions must agree. */
static int
complete_value(struct ev *ev, const struct ls_node *n,
    const struct ls_val *const *args, const struct ls_val **out)
{
	struct rk c;
	const struct ls_val *v = NULL;
	const struct ls_rule *r;
	size_t i;
	int rc;

	for (i = 0; i < n->nrules; i++) {
		for (r = n->rules[i]; r != NULL; r = r->els) {
			memset(&c, 0, sizeof(c));
			if ((rc = run_rule(ev, r, args, &c)) != 0)
				return rc;
			if (c.conflict ||
			    (c.val && v && !ls_val_equal(v, c.val)))
				return value_conflict(ev, n, r);
			if (c.val != NULL) {
				v = c.val;
				break;
			}
		}
	}
	if (v == NULL && n->dflt != NULL) {
		memset(&c, 0, sizeof(c));
		if ((rc = run_rule(ev, n->dflt, args, &c)) != 0)
			return rc;
		v = c.val;
	}
	*out = v;
	return 0;
}

struct gent {
	const struct ls_val *path; /* array of keys */
	const struct ls_val *leaf;
	int whole; /* leaf is a rule's whole document */
};

static int
cmp_gent(const void *a, const void *b, void *arg)
{
	size_t d = *(const size_t *)arg;

	return ls_val_compare(((const struct gent *)a)->path->u.arr.v[d],
	    ((const struct gent *)b)->path->u.arr.v[d]);
}

static int nested(struct ev *ev, const struct ls_node *n, struct gent *e,
    size_t ne, size_t d, const struct ls_val **out);

/* The value for one key: a leaf (set of leaves for sets) or deeper. */
static int
nested_group(struct ev *ev, const struct ls_node *n, struct gent *e, size_t ne,
    size_t d, const struct ls_val **out)
{
	struct ls_vlist leaves;
	size_t i, nleaf = 0;

	for (i = 0; i < ne; i++)
		nleaf += e[i].path->u.arr.n == d + 1;
	/* One document alone at this key: a leaf, or the whole document
	 * of a rule below (whose kind may differ from n's). */
	if (nleaf == 1 && ne == 1 && e[0].whole) {
		*out = e[0].leaf;
		return 0;
	}
	if (nleaf == 0)
		return nested(ev, n, e, ne, d + 1, out);
	if (nleaf != ne)
		return conflict(ev, n->rules[0], "object keys must be unique");
	if (n->k == LS_R_OBJ) {
		for (i = 1; i < ne; i++)
			if (!ls_val_equal(e[0].leaf, e[i].leaf))
				return conflict(ev, n->rules[0],
				    "object keys must be unique");
		*out = e[0].leaf;
		return 0;
	}
	ls_vlist_init(&leaves, ev->a);
	for (i = 0; i < ne; i++) {
		size_t j, m = e[i].whole ? ls_val_len(e[i].leaf) : 1;

		if (e[i].whole && e[i].leaf->type != LS_VAL_SET)
			return conflict(ev, n->rules[0],
			    "object keys must be unique");
		for (j = 0; j < m; j++)
			if (ls_vlist_push(&leaves,
				e[i].whole ? e[i].leaf->u.set.v[j] : e[i].leaf))
				return ev_nomem(ev);
	}
	*out = ls_val_set(ev->a, leaves.v, leaves.n);
	return *out ? 0 : ev_nomem(ev);
}

static int
nested(struct ev *ev, const struct ls_node *n, struct gent *e, size_t ne,
    size_t d, const struct ls_val **out)
{
	struct ls_vlist keys, vals;
	const struct ls_val *v;
	size_t i, j;
	int rc;

	for (i = 0; i < ne; i++)
		if (e[i].path->u.arr.n <= d)
			return conflict(ev, n->rules[0],
			    "object keys must be unique");
	qsort_r(e, ne, sizeof(*e), cmp_gent, &d);
	ls_vlist_init(&keys, ev->a);
	ls_vlist_init(&vals, ev->a);
	for (i = 0; i < ne; i = j) {
		for (j = i + 1; j < ne && cmp_gent(&e[i], &e[j], &d) == 0; j++)
			;
		if ((rc = nested_group(ev, n, e + i, j - i, d, &v)) != 0)
			return rc;
		if (ls_vlist_push(&keys, e[i].path->u.arr.v[d]) ||
		    ls_vlist_push(&vals, v))
			return ev_nomem(ev);
	}
	*out = ls_val_object(ev->a, keys.v, vals.v, keys.n, NULL);
	return *out ? 0 : ev_nomem(ev);
}

/* Documents of rules below n (p.a.r := 0 next to p[q].r := i) join the
 * general ones as entries keyed by their path below n. */
static int
kid_entries(struct ev *ev, const struct ls_node *n, const struct ls_val *pre,
    struct rk *c)
{
	const struct ls_val **items, *path, *d;
	size_t i, np = pre ? pre->u.arr.n : 0;
	int rc;

	for (i = 0; i < n->nkids; i++) {
		const struct ls_node *k = n->kids[i];

		items = ls_arena_alloc(ev->a, (np + 1) * sizeof(*items));
		if (items == NULL)
			return ev_nomem(ev);
		if (np)
			memcpy(items, pre->u.arr.v, np * sizeof(*items));
		items[np] = k->key;
		if ((path = ls_val_array(ev->a, items, np + 1)) == NULL)
			return ev_nomem(ev);
		if (!(k->nrules || k->dflt)) {
			if ((rc = kid_entries(ev, k, path, c)) != 0)
				return rc;
			continue;
		}
		if (k->k == LS_R_FUNC && k->nargs > 0)
			continue;
		if ((rc = ev_node_doc(ev, k, &d)) != 0)
			return rc;
		if (d != NULL &&
		    (ls_vlist_push(&c->keys, path) ||
			ls_vlist_push(&c->vals, d)))
			return ev_nomem(ev);
	}
	return 0;
}

static int
general_value(struct ev *ev, const struct ls_node *n, struct rk *c,
    const struct ls_val **out)
{
	size_t i, nrule = c->keys.n;
	struct gent *e;
	int rc;

	if ((rc = kid_entries(ev, n, NULL, c)) != 0)
		return rc;
	if (c->keys.n == 0) {
		*out = ls_val_empty_object();
		return 0;
	}
	if ((e = ls_arena_alloc(ev->a, (c->keys.n + 1) * sizeof(*e))) == NULL)
		return ev_nomem(ev);
	for (i = 0; i < c->keys.n; i++) {
		e[i].path = c->keys.v[i];
		e[i].leaf = c->vals.v[i];
		e[i].whole = i >= nrule;
	}
	return nested(ev, n, e, c->keys.n, 0, out);
}

static int
partial_value(struct ev *ev, const struct ls_node *n, const struct ls_val **out)
{
	struct rk c;
	size_t i;
	int rc, dup = 0;

	memset(&c, 0, sizeof(c));
	ls_vlist_init(&c.keys, ev->a);
	ls_vlist_init(&c.vals, ev->a);
	c.general = n->general;
	for (i = 0; i < n->nrules; i++)
		if ((rc = run_rule(ev, n->rules[i], NULL, &c)) != 0)
			return rc;
	if (n->general)
		return general_value(ev, n, &c, out);
	/* Rules with longer heads below an object rule (p.q.r := 1 next
	 * to p.q[k] := v) add their documents as keys. */
	for (i = 0; n->k == LS_R_OBJ && i < n->nkids; i++) {
		const struct ls_val *d;

		if ((rc = ev_full_doc(ev, n->kids[i], NULL, &d)) != 0)
			return rc;
		if (d != NULL &&
		    (ls_vlist_push(&c.keys, n->kids[i]->key) ||
			ls_vlist_push(&c.vals, d)))
			return ev_nomem(ev);
	}
	if (n->k == LS_R_SET)
		*out = ls_val_set(ev->a, c.vals.v, c.vals.n);
	else {
		*out = ls_val_object(ev->a, c.keys.v, c.vals.v, c.vals.n, &dup);
		if (*out == NULL && dup)
			return conflict(ev, n->rules[0],
			    "object keys must be unique");
	}
	return *out ? 0 : ev_nomem(ev);
}

int
ev_node_doc(struct ev *ev, const struct ls_node *n, const struct ls_val **out)
{
	struct memo *m = ev->memo;
	int rc;

	*out = NULL;
	if (m->state[n->id] == 1) {
		*out = m->doc[n->id];
		return 0;
	}
	if (m->state[n->id] == 2)
		return ev_error(ev, "rego_recursion_error",
		    "rule %s is "
		    "recursive",
		    n->name);
	m->state[n->id] = 2;
	if (n->k == LS_R_SET || n->k == LS_R_OBJ)
		rc = partial_value(ev, n, out);
	else
		rc = complete_value(ev, n, NULL, out);
	if (rc != 0) {
		m->state[n->id] = 0;
		return rc;
	}
	m->doc[n->id] = *out;
	m->state[n->id] = 1;
	ev_keep(ev);
	return 0;
}

/* Calls ------------------------------------------------------------------- */

struct callk {
	struct frame *f;
	const struct ls_term *t;
	size_t i, nin;
	const struct ls_val **vals;
	ev_vk k;
	void *arg;
};

static int
member(const struct ls_val *x, const struct ls_val *xs)
{
	size_t i;

	if (xs->type == LS_VAL_SET)
		return ls_val_set_has(xs, x);
	if (xs->type == LS_VAL_ARRAY) {
		for (i = 0; i < xs->u.arr.n; i++)
			if (ls_val_equal(xs->u.arr.v[i], x))
				return 1;
	} else if (xs->type == LS_VAL_OBJECT) {
		for (i = 0; i < xs->u.obj.n; i++)
			if (ls_val_equal(xs->u.obj.v[i], x))
				return 1;
	}
	return 0;
}

static int
member3(const struct ls_val *k, const struct ls_val *v, const struct ls_val *xs)
{
	const struct ls_val *got = NULL;
	int of;
	int64_t i;

	if (xs->type == LS_VAL_OBJECT)
		got = ls_val_object_get(xs, k);
	else if (xs->type == LS_VAL_ARRAY && k->type == LS_VAL_NUMBER) {
		i = ls_num_to_int64(&k->u.num, &of);
		if (!of && ls_num_is_int(&k->u.num) && i >= 0 &&
		    (uint64_t)i < xs->u.arr.n)
			got = xs->u.arr.v[i];
	} else if (xs->type == LS_VAL_SET && ls_val_equal(k, v))
		got = ls_val_set_has(xs, k) ? k : NULL;
	return got != NULL && ls_val_equal(got, v);
}

static const struct ovr *
func_override(const struct ev *ev, const struct ls_term *t)
{
	const struct ovr *o;

	for (o = ev->ovr; o != NULL && o != ev->mock_barrier; o = o->next)
		if (o->is_func &&
		    ((t->bi && o->bi_from == t->bi) ||
			(t->fn && o->fn_from == t->fn)))
			return o;
	return NULL;
}

static int
call_builtin(struct ev *ev, const struct ls_bi *bi, int line,
    const struct ls_val *const *args, size_t n, const struct ls_val **out)
{
	int rc;

	ev->bctx.name = bi->name;
	ev->bctx.msg[0] = '\0';
	ev->bctx.v0 = ev->rule != NULL && ev->rule->mod->version == 0;
	rc = bi->fn(&ev->bctx, args, n, out);
	switch (rc) {
	case LS_BI_OK: return 0;
	case LS_BI_UNDEF: *out = NULL; return 0;
	case LS_BI_ETYPE:
	case LS_BI_EBUILTIN:
		*out = NULL;
		if (!ev->bctx.strict)
			return 0;
		return ls_error_set(LS_EREGO, "%s:%d: %s: %s",
		    ev->file ? ev->file : "query", line,
		    rc == LS_BI_ETYPE ? "eval_type_error"
				      : "eval_builtin_error",
		    ev->bctx.msg);
	default: return ev_nomem(ev);
	}
}

/* Produce the call's result(s) in *out; multi: array of results. */
static int
call_result(struct ev *ev, const struct ls_term *t,
    const struct ls_val *const *args, size_t n, const struct ls_val **out,
    int *multi)
{
	const struct ls_bi *bi = t->bi;
	const struct ls_node *fn = t->fn;
	const struct ovr *o = ev->ovr ? func_override(ev, t) : NULL;
	const struct ovr *barrier;
	struct memo *memo;
	int rc;

	*multi = 0;
	if (t->op == LS_OP_MEMBER2) {
		*out = ls_val_bool(member(args[0], args[1]));
		return 0;
	}
	if (t->op == LS_OP_MEMBER3) {
		*out = ls_val_bool(member3(args[0], args[1], args[2]));
		return 0;
	}
	if (t->op == LS_OP_UNDEF_FUNC)
		return ls_error_set(LS_EREGO,
		    "%s:%d: eval_builtin_error: undefined function %s "
		    "(allowed to compile, cannot be evaluated)",
		    ev->file ? ev->file : "query", t->line, t->name);
	if (t->op == LS_OP_META_RULE || t->op == LS_OP_META_CHAIN)
		return ev_metadata(ev, t->op == LS_OP_META_CHAIN, out);
	if (o != NULL) {
		if (o->value != NULL) {
			*out = o->value;
			return 0;
		}
		bi = o->bi_to;
		fn = o->fn_to;
		/* Mocks do not apply inside a mock (as in OPA), except
		 * those its own body sets up with `with`. */
		*out = NULL;
		barrier = ev->mock_barrier;
		memo = ev->memo;
		if ((rc = ev_memo_new(ev, &ev->memo)) != 0)
			return rc;
		ev->mock_barrier = ev->ovr;
		if (fn != NULL)
			rc = complete_value(ev, fn, args, out);
		else
			rc = bi ? call_builtin(ev, bi, t->line, args, n, out)
				: 0;
		ev->mock_barrier = barrier;
		ev->memo = memo;
		*multi = fn == NULL && bi && (bi->flags & LS_BI_F_MULTI) != 0;
		return rc;
	}
	if (fn != NULL)
		return call_memo(ev, fn, args, n, out);
	if (bi == NULL) {
		*out = NULL;
		return 0;
	}
	*multi = (bi->flags & LS_BI_F_MULTI) != 0;
	return call_builtin(ev, bi, t->line, args, n, out);
}

static int
true_k(struct ev *ev, void *arg)
{
	struct callk *c = arg;

	return c->k(ev, c->arg, ls_val_bool(1));
}

static int
yield(struct ev *ev, struct callk *c, const struct ls_val *v)
{
	if (c->nin < c->t->n) /* relation form: unify the output */
		return ev_unify_val(ev, c->f, c->t->a[c->nin], v, true_k, c);
	return c->k(ev, c->arg, v);
}

static int
call_do(struct ev *ev, struct callk *c)
{
	const struct ls_val *res = NULL;
	size_t i;
	int rc, multi = 0;

	if ((rc = call_result(ev, c->t, c->vals, c->nin, &res, &multi)) != 0)
		return rc;
	if (res == NULL)
		return 0;
	if (!multi)
		return yield(ev, c, res);
	if (res->type != LS_VAL_ARRAY)
		return 0;
	for (i = 0; i < res->u.arr.n; i++)
		if ((rc = yield(ev, c, res->u.arr.v[i])) != 0)
			return rc;
	return 0;
}

static int call_step(struct ev *ev, struct callk *c);
static size_t arg_index(const struct callk *c, size_t i);

static int
call_arg(struct ev *ev, void *arg, const struct ls_val *v)
{
	struct callk *c = arg, n = *c;

	c->vals[arg_index(c, c->i)] = v;
	n.i++;
	return call_step(ev, &n);
}

/* Arguments in evaluation order: refs and the like first, plain vars
 * last, so a ref can bind a var another argument names. */
static size_t
arg_index(const struct callk *c, size_t i)
{
	size_t k, seen = 0;
	int pass;

	for (pass = 0; pass < 2; pass++)
		for (k = 0; k < c->nin; k++)
			if ((c->t->a[k]->k == LS_T_VAR) == pass && seen++ == i)
				return k;
	return i;
}

static int call_arg(struct ev *ev, void *arg, const struct ls_val *v);

static int
call_step(struct ev *ev, struct callk *c)
{
	if (c->i == c->nin)
		return call_do(ev, c);
	return ev_term(ev, c->f, c->t->a[arg_index(c, c->i)], call_arg, c);
}

int
ev_call(struct ev *ev, struct frame *f, const struct ls_term *t, ev_vk k,
    void *arg)
{
	struct callk c = { f, t, 0, t->n, NULL, k, arg };
	int arity = t->fn	     ? t->fn->nargs
	    : t->bi		     ? t->bi->arity
	    : t->op == LS_OP_MEMBER3 ? 3
	    : t->op == LS_OP_MEMBER2 ? 2
				     : 0;
	int rc;

	if ((rc = ev_step(ev)) != 0)
		return rc;
	if (arity >= 0 && t->n == (size_t)arity + 1)
		c.nin = (size_t)arity;
	c.vals = ls_arena_alloc(ev->a, (t->n + 1) * sizeof(*c.vals));
	if (c.vals == NULL)
		return ev_nomem(ev);
	return call_step(ev, &c);
}
