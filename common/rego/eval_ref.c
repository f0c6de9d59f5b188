/* eval_ref.c - references: walking values, the data tree of rules and
 * base documents, and `with` overrides of data paths. */
#include <string.h>

#include "lockstep/error.h"
#include "rego/eval.h"

static int
unbound_op(const struct frame *f, const struct ls_term *t)
{
	size_t i;

	if (t->k == LS_T_VAR)
		return f->slots[t->slot] == NULL;
	if (t->k == LS_T_ARR)
		for (i = 0; i < t->n; i++)
			if (unbound_op(f, t->a[i]))
				return 1;
	if (t->k == LS_T_OBJ)
		for (i = 1; i < t->n; i += 2)
			if (unbound_op(f, t->a[i]))
				return 1;
	return 0;
}

/* Base documents live in storage under string paths: an integer key
 * such as data.codes[404] finds the object key "404" (as opa's storage
 * path of the ref does).  Input and local values keep them apart. */
static const struct ls_val *
int_key_get(const struct ls_val *obj, const struct ls_val *key)
{
	char digits[48];
	size_t n;
	int neg;

	if (key->type != LS_VAL_NUMBER || !ls_num_is_int(&key->u.num))
		return NULL;
	neg = ls_num_sign(&key->u.num) < 0;
	n = ls_num_int_digits(&key->u.num, digits + neg, sizeof(digits) - 1);
	if (n == 0)
		return NULL;
	digits[0] = neg ? '-' : digits[0];
	return ls_val_object_gets(obj, digits, n + (size_t)neg);
}

static const struct ls_val *
lookup(const struct ls_val *v, const struct ls_val *key, int strkeys)
{
	const struct ls_val *x;
	int of;
	int64_t i;

	switch (v->type) {
	case LS_VAL_ARRAY:
		if (key->type != LS_VAL_NUMBER || !ls_num_is_int(&key->u.num))
			return NULL;
		i = ls_num_to_int64(&key->u.num, &of);
		if (of || i < 0 || (uint64_t)i >= v->u.arr.n)
			return NULL;
		return v->u.arr.v[i];
	case LS_VAL_OBJECT:
		x = ls_val_object_get(v, key);
		return x == NULL && strkeys ? int_key_get(v, key) : x;
	case LS_VAL_SET: return ls_val_set_has(v, key) ? key : NULL;
	default: return NULL;
	}
}

struct wk {
	struct frame *f;
	const struct ls_term *t;
	size_t i;
	const struct ls_val *v;	    /* value being walked */
	const struct ls_node *node; /* data walks */
	const struct ls_val *child; /* value after binding the key */
	ev_vk k;
	void *arg;
	int strkeys; /* inside base data: integer keys find strings */
};

static int walk_val(struct ev *ev, struct frame *f, const struct ls_term *t,
    size_t i, const struct ls_val *v, int strkeys, ev_vk k, void *arg);

static int
walk_child(struct ev *ev, void *arg)
{
	struct wk *c = arg;

	return walk_val(ev, c->f, c->t, c->i + 1, c->child, c->strkeys, c->k,
	    c->arg);
}

static int
walk_key(struct ev *ev, void *arg, const struct ls_val *key)
{
	struct wk *c = arg;
	const struct ls_val *child = lookup(c->v, key, c->strkeys);

	if (child == NULL)
		return 0;
	return walk_val(ev, c->f, c->t, c->i + 1, child, c->strkeys, c->k,
	    c->arg);
}

static int
walk_iter(struct ev *ev, struct wk *c, const struct ls_val *key,
    const struct ls_val *val)
{
	c->child = val;
	return ev_unify_val(ev, c->f, c->t->a[c->i], key, walk_child, c);
}

int
ev_walk_val(struct ev *ev, struct frame *f, const struct ls_term *t, size_t i,
    const struct ls_val *v, ev_vk k, void *arg)
{
	return walk_val(ev, f, t, i, v, 0, k, arg);
}

static int
walk_val(struct ev *ev, struct frame *f, const struct ls_term *t, size_t i,
    const struct ls_val *v, int strkeys, ev_vk k, void *arg)
{
	struct wk c = { f, t, i, v, NULL, NULL, k, arg, strkeys };
	const struct ls_val *key;
	struct ev_mark m;
	size_t j;
	int rc = 0;

	if (i == t->n)
		return k(ev, arg, v);
	if (!unbound_op(f, t->a[i]))
		return ev_term(ev, f, t->a[i], walk_key, &c);
	if ((rc = ev_step(ev)) != 0)
		return rc;
	if (v->type != LS_VAL_ARRAY && v->type != LS_VAL_OBJECT &&
	    v->type != LS_VAL_SET)
		return 0;
	ev_mark(ev, &m);
	for (j = 0; j < ls_val_len(v) && rc == 0; j++) {
		if (v->type == LS_VAL_ARRAY) {
			if ((key = ls_val_int(ev->a, (int64_t)j)) == NULL)
				return ev_nomem(ev);
			rc = walk_iter(ev, &c, key, v->u.arr.v[j]);
		} else if (v->type == LS_VAL_OBJECT)
			rc = walk_iter(ev, &c, v->u.obj.k[j], v->u.obj.v[j]);
		else
			rc = walk_iter(ev, &c, v->u.set.v[j], v->u.set.v[j]);
		if (rc == 0)
			ev_release(ev, &m); /* nothing kept: memory back */
	}
	return rc;
}

/* Data overrides ------------------------------------------------------ */

/* Does n's path equal path (prefix == 0), or start it (prefix == 1,
 * *depth_out = length of n's path)? */
static int
node_path_match(const struct ls_node *n, const struct ls_val *path, int prefix,
    size_t *depth_out)
{
	size_t depth = 0, i;
	const struct ls_node *m;

	for (m = n; m->parent != NULL; m = m->parent)
		depth++;
	if (prefix ? depth >= path->u.arr.n : depth != path->u.arr.n)
		return 0;
	if (depth_out != NULL)
		*depth_out = depth;
	for (m = n, i = depth; m->parent != NULL; m = m->parent) {
		const struct ls_val *s = path->u.arr.v[--i];

		if (s->type != LS_VAL_STRING || !ls_val_is_string(s, m->name))
			return 0;
	}
	return 1;
}

static const struct ls_val *
node_override(const struct ev *ev, const struct ls_node *n)
{
	const struct ovr *o;

	for (o = ev->ovr; o != NULL; o = o->next)
		if (!o->is_func && node_path_match(n, o->path, 0, NULL))
			return o->value;
	return NULL;
}

/* A rule node's document, with `with data.p.x as v` replacements of
 * paths inside it applied. */
static int
rule_doc(struct ev *ev, const struct ls_node *n, const struct ls_val **out)
{
	const struct ovr *o;
	size_t depth;
	int rc;

	if ((rc = ev_node_doc(ev, n, out)) != 0)
		return rc;
	for (o = ev->ovr; o != NULL; o = o->next) {
		if (o->is_func || !node_path_match(n, o->path, 1, &depth))
			continue;
		*out = ev_upsert(ev->a, *out, o->path->u.arr.v + depth,
		    o->path->u.arr.n - depth, o->value);
		if (*out == NULL)
			return ev_nomem(ev);
	}
	return 0;
}

/* A base document and a rule's value at the same path: objects merge
 * key by key, otherwise the base document wins (as opa merges the base
 * document with the virtual one when reading a whole subtree). */
static const struct ls_val *
merge_base(struct ls_arena *a, const struct ls_val *base,
    const struct ls_val *virt)
{
	struct ls_vlist keys, vals;
	const struct ls_val *m;
	size_t i;

	if (base->type != LS_VAL_OBJECT || virt->type != LS_VAL_OBJECT)
		return base;
	ls_vlist_init(&keys, a);
	ls_vlist_init(&vals, a);
	for (i = 0; i < base->u.obj.n; i++) {
		m = ls_val_object_get(virt, base->u.obj.k[i]);
		m = m ? merge_base(a, base->u.obj.v[i], m) : base->u.obj.v[i];
		if (m == NULL || ls_vlist_push(&keys, base->u.obj.k[i]) != 0 ||
		    ls_vlist_push(&vals, m) != 0)
			return NULL;
	}
	for (i = 0; i < virt->u.obj.n; i++)
		if (ls_val_object_get(base, virt->u.obj.k[i]) == NULL &&
		    (ls_vlist_push(&keys, virt->u.obj.k[i]) != 0 ||
			ls_vlist_push(&vals, virt->u.obj.v[i]) != 0))
			return NULL;
	return ls_val_object(a, keys.v, vals.v, keys.n, NULL);
}

/* The whole document at a node: rules, children and base data. */
int
ev_full_doc(struct ev *ev, const struct ls_node *n, const struct ls_val *base,
    const struct ls_val **out)
{
	struct ls_vlist keys, vals;
	const struct ls_val *ov = ev->ovr ? node_override(ev, n) : NULL, *d;
	size_t i;
	int rc;

	*out = NULL;
	if (ov != NULL) {
		*out = ov;
		return 0;
	}
	if (n->nrules || n->dflt)
		return n->k == LS_R_FUNC && n->nargs > 0 ? 0
							 : rule_doc(ev, n, out);
	if (n->nkids == 0 || (base != NULL && base->type != LS_VAL_OBJECT)) {
		*out = base == NULL && n->is_pkg ? ls_val_empty_object() : base;
		return 0;
	}
	ls_vlist_init(&keys, ev->a);
	ls_vlist_init(&vals, ev->a);
	for (i = 0; i < n->nkids; i++) {
		const struct ls_node *c = n->kids[i];
		const struct ls_val *bc =
		    base ? ls_val_object_get(base, c->key) : NULL;

		if ((rc = ev_full_doc(ev, c, bc, &d)) != 0)
			return rc;
		if (d != NULL && bc != NULL && (c->nrules || c->dflt) &&
		    (d = merge_base(ev->a, bc, d)) == NULL)
			return ev_nomem(ev);
		if (d != NULL &&
		    (ls_vlist_push(&keys, c->key) != 0 ||
			ls_vlist_push(&vals, d) != 0))
			return ev_nomem(ev);
	}
	for (i = 0; base != NULL && i < base->u.obj.n; i++) {
		const struct ls_val *k = base->u.obj.k[i];

		if (k->type == LS_VAL_STRING &&
		    ls_node_child(n, k->u.str.p, k->u.str.len) != NULL)
			continue;
		if (ls_vlist_push(&keys, k) != 0 ||
		    ls_vlist_push(&vals, base->u.obj.v[i]) != 0)
			return ev_nomem(ev);
	}
	*out = ls_val_object(ev->a, keys.v, vals.v, keys.n, NULL);
	return *out ? 0 : ev_nomem(ev);
}

static int
walk_data(struct ev *ev, struct frame *f, const struct ls_term *t, size_t i,
    const struct ls_node *n, const struct ls_val *base, ev_vk k, void *arg);

static int
data_key(struct ev *ev, void *arg, const struct ls_val *key)
{
	struct wk *c = arg;
	const struct ls_node *child = NULL;
	const struct ls_val *bchild = NULL;

	if (key->type == LS_VAL_STRING)
		child = ls_node_child(c->node, key->u.str.p, key->u.str.len);
	if (c->v != NULL && c->v->type == LS_VAL_OBJECT)
		bchild = lookup(c->v, key, 1);
	if (child != NULL)
		return walk_data(ev, c->f, c->t, c->i + 1, child, bchild, c->k,
		    c->arg);
	if (bchild != NULL)
		return walk_val(ev, c->f, c->t, c->i + 1, bchild, 1, c->k,
		    c->arg);
	return 0;
}

static int
data_kid(struct ev *ev, void *arg)
{
	struct wk *c = arg;

	if (c->node != NULL)
		return walk_data(ev, c->f, c->t, c->i + 1, c->node, c->child,
		    c->k, c->arg);
	return walk_val(ev, c->f, c->t, c->i + 1, c->child, 1, c->k, c->arg);
}

/* Iterate the keys of a data node: children and base object keys. */
static int
data_iter(struct ev *ev, struct wk *c, const struct ls_node *n,
    const struct ls_val *base)
{
	const struct ls_term *op = c->t->a[c->i];
	struct ev_mark m;
	size_t j;
	int rc = 0;

	ev_mark(ev, &m);
	for (j = 0; j < n->nkids && rc == 0; j++) {
		c->node = n->kids[j];
		c->child = base && base->type == LS_VAL_OBJECT
		    ? ls_val_object_get(base, n->kids[j]->key)
		    : NULL;
		rc = ev_unify_val(ev, c->f, op, n->kids[j]->key, data_kid, c);
		if (rc == 0)
			ev_release(ev, &m);
	}
	if (base == NULL || base->type != LS_VAL_OBJECT)
		return rc;
	for (j = 0; j < base->u.obj.n && rc == 0; j++) {
		const struct ls_val *k = base->u.obj.k[j];

		if (k->type == LS_VAL_STRING &&
		    ls_node_child(n, k->u.str.p, k->u.str.len) != NULL)
			continue;
		c->node = NULL;
		c->child = base->u.obj.v[j];
		rc = ev_unify_val(ev, c->f, op, k, data_kid, c);
		if (rc == 0)
			ev_release(ev, &m);
	}
	return rc;
}

static int
walk_data(struct ev *ev, struct frame *f, const struct ls_term *t, size_t i,
    const struct ls_node *n, const struct ls_val *base, ev_vk k, void *arg)
{
	struct wk c = { f, t, i, base, n, NULL, k, arg, 1 };
	const struct ls_val *ov = ev->ovr ? node_override(ev, n) : NULL;
	const struct ls_val *doc;
	int rc;

	if (ov != NULL)
		return walk_val(ev, f, t, i, ov, 1, k, arg);
	if (n->nrules || n->dflt) {
		if (n->k == LS_R_FUNC && n->nargs > 0)
			return 0;
		if ((rc = rule_doc(ev, n, &doc)) != 0)
			return rc;
		return doc ? ev_walk_val(ev, f, t, i, doc, k, arg) : 0;
	}
	if (i == t->n) {
		if ((rc = ev_full_doc(ev, n, base, &doc)) != 0)
			return rc;
		return doc ? k(ev, arg, doc) : 0;
	}
	if (!unbound_op(f, t->a[i]))
		return ev_term(ev, f, t->a[i], data_key, &c);
	return data_iter(ev, &c, n, base);
}

static int
head_val(struct ev *ev, void *arg, const struct ls_val *v)
{
	struct wk *c = arg;

	return ev_walk_val(ev, c->f, c->t, 1, v, c->k, c->arg);
}

int
ev_ref(struct ev *ev, struct frame *f, const struct ls_term *t, ev_vk k,
    void *arg)
{
	struct wk c = { f, t, 0, NULL, NULL, NULL, k, arg, 0 };
	const struct ls_term *h;

	if (t->k != LS_T_REF) /* roots always come wrapped in a ref */
		return ev_error(ev, "eval_internal_error", "bare root term");
	h = t->a[0];
	switch (h->k) {
	case LS_T_INPUT:
		return ev->input ? ev_walk_val(ev, f, t, 1, ev->input, k, arg)
				 : 0;
	case LS_T_DATA:
		return walk_data(ev, f, t, 1, ev->p->root, ev->data, k, arg);
	case LS_T_VAR:
		if (f->slots[h->slot] == NULL)
			return ev_error(ev, "rego_unsafe_var_error",
			    "var %s is unsafe", h->name ? h->name : "_");
		return ev_walk_val(ev, f, t, 1, f->slots[h->slot], k, arg);
	default: return ev_term(ev, f, h, head_val, &c);
	}
}
