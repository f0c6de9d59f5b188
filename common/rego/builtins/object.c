/*
 * object.c - object.* builtins, json.filter / json.remove and walk.
 */
#include <stdlib.h>
#include <string.h>

#include "rego/builtins/internal.h"

#define WALK_MAX_DEPTH 1024

int
ls_bi_object_get(BI_ARGS)
{
	const struct ls_val *cur = args[0], *key = args[1];
	size_t i;
	int rc;

	(void)nargs;
	if ((rc = bi_arg_type(ctx, args, 0, LS_VAL_OBJECT, "object")) != 0)
		return rc;
	if (key->type != LS_VAL_ARRAY) {
		cur = ls_val_object_get(cur, key);
		*out = cur != NULL ? cur : args[2];
		return LS_BI_OK;
	}
	for (i = 0; i < key->u.arr.n && cur != NULL; i++) {
		const struct ls_val *k = key->u.arr.v[i];
		int64_t idx;
		int ovf = 0;

		switch (cur->type) {
		case LS_VAL_OBJECT: cur = ls_val_object_get(cur, k); break;
		case LS_VAL_ARRAY:
			if (k->type != LS_VAL_NUMBER ||
			    !ls_num_is_int(&k->u.num)) {
				cur = NULL;
				break;
			}
			idx = ls_num_to_int64(&k->u.num, &ovf);
			cur = !ovf && idx >= 0 && (uint64_t)idx < cur->u.arr.n
			    ? cur->u.arr.v[idx]
			    : NULL;
			break;
		case LS_VAL_SET: cur = ls_val_set_has(cur, k) ? k : NULL; break;
		default: cur = NULL;
		}
	}
	*out = cur != NULL ? cur : args[2];
	return LS_BI_OK;
}

/* The key collection of operand 2 (array, set or object keys). */
static int
key_list(struct ls_bi_ctx *ctx, const struct ls_val *v,
    const struct ls_val *const **keys, size_t *n)
{
	switch (v->type) {
	case LS_VAL_ARRAY:
	case LS_VAL_SET: *keys = bi_elems(v, n); return 0;
	case LS_VAL_OBJECT:
		*keys = v->u.obj.k;
		*n = v->u.obj.n;
		return 0;
	default:
		return ls_bi_type_error(ctx, 2, "one of {object, set, array}",
		    v);
	}
}

static int
keep_keys(BI_ARGS, int keep)
{
	const struct ls_val *o = args[0], *set;
	const struct ls_val *const *keys = NULL;
	struct ls_vlist k, v;
	size_t n = 0, i;
	int rc;

	(void)nargs;
	if ((rc = bi_arg_type(ctx, args, 0, LS_VAL_OBJECT, "object")) != 0 ||
	    (rc = key_list(ctx, args[1], &keys, &n)) != 0)
		return rc;
	/* a sorted set of the keys: lookups by binary search */
	if ((set = ls_val_set(ctx->arena, keys, n)) == NULL)
		return LS_BI_ENOMEM;
	ls_vlist_init(&k, ctx->arena);
	ls_vlist_init(&v, ctx->arena);
	for (i = 0; i < o->u.obj.n; i++) {
		if (ls_val_set_has(set, o->u.obj.k[i]) != keep)
			continue;
		if (ls_vlist_push(&k, o->u.obj.k[i]) != 0 ||
		    ls_vlist_push(&v, o->u.obj.v[i]) != 0)
			return LS_BI_ENOMEM;
	}
	return bi_ret(out, ls_val_object(ctx->arena, k.v, v.v, k.n, NULL));
}

int
ls_bi_object_remove(BI_ARGS)
{
	return keep_keys(ctx, args, nargs, out, 0);
}

int
ls_bi_object_filter(BI_ARGS)
{
	return keep_keys(ctx, args, nargs, out, 1);
}

int
ls_bi_object_keys(BI_ARGS)
{
	int rc;

	(void)nargs;
	if ((rc = bi_arg_type(ctx, args, 0, LS_VAL_OBJECT, "object")) != 0)
		return rc;
	return bi_ret(out,
	    ls_val_set(ctx->arena, args[0]->u.obj.k, args[0]->u.obj.n));
}

/* Recursive merge, b's values winning except object-into-object. */
static const struct ls_val *
merge(struct ls_arena *ar, const struct ls_val *a, const struct ls_val *b,
    int depth)
{
	struct ls_vlist k, v;
	size_t i;

	if (depth > WALK_MAX_DEPTH)
		return NULL;
	ls_vlist_init(&k, ar);
	ls_vlist_init(&v, ar);
	for (i = 0; i < a->u.obj.n; i++) {
		const struct ls_val *bv = ls_val_object_get(b, a->u.obj.k[i]);
		const struct ls_val *nv = a->u.obj.v[i];

		if (bv != NULL && bv->type == LS_VAL_OBJECT &&
		    nv->type == LS_VAL_OBJECT)
			nv = merge(ar, nv, bv, depth + 1);
		else if (bv != NULL)
			nv = bv;
		if (nv == NULL || ls_vlist_push(&k, a->u.obj.k[i]) != 0 ||
		    ls_vlist_push(&v, nv) != 0)
			return NULL;
	}
	for (i = 0; i < b->u.obj.n; i++) {
		if (ls_val_object_get(a, b->u.obj.k[i]) != NULL)
			continue;
		if (ls_vlist_push(&k, b->u.obj.k[i]) != 0 ||
		    ls_vlist_push(&v, b->u.obj.v[i]) != 0)
			return NULL;
	}
	return ls_val_object(ar, k.v, v.v, k.n, NULL);
}

int
ls_bi_object_union(BI_ARGS)
{
	int rc;

	(void)nargs;
	if ((rc = bi_arg_type(ctx, args, 0, LS_VAL_OBJECT, "object")) != 0 ||
	    (rc = bi_arg_type(ctx, args, 1, LS_VAL_OBJECT, "object")) != 0)
		return rc;
	return bi_ret(out, merge(ctx->arena, args[0], args[1], 0));
}

int
ls_bi_object_union_n(BI_ARGS)
{
	const struct ls_val *acc = ls_val_empty_object(), *a = args[0];
	size_t i;
	int rc;

	(void)nargs;
	if ((rc = bi_arg_type(ctx, args, 0, LS_VAL_ARRAY, "array")) != 0)
		return rc;
	for (i = 0; i < a->u.arr.n; i++) {
		if (a->u.arr.v[i]->type != LS_VAL_OBJECT)
			return bi_elem_error(ctx, 1, a, a->u.arr.v[i],
			    "object");
		if ((acc = merge(ctx->arena, acc, a->u.arr.v[i], 0)) == NULL)
			return LS_BI_ENOMEM;
	}
	*out = acc;
	return LS_BI_OK;
}

static int
is_subset(const struct ls_val *sup, const struct ls_val *sub, int depth)
{
	size_t i, j;

	if (depth > WALK_MAX_DEPTH)
		return 0;
	if (sup->type == LS_VAL_OBJECT && sub->type == LS_VAL_OBJECT) {
		for (i = 0; i < sub->u.obj.n; i++) {
			const struct ls_val *v =
			    ls_val_object_get(sup, sub->u.obj.k[i]);
			if (v == NULL ||
			    !is_subset(v, sub->u.obj.v[i], depth + 1))
				return 0;
		}
		return 1;
	}
	if (sup->type == LS_VAL_SET && sub->type == LS_VAL_SET) {
		for (i = 0; i < sub->u.set.n; i++)
			if (!ls_val_set_has(sup, sub->u.set.v[i]))
				return 0;
		return 1;
	}
	if (sup->type == LS_VAL_ARRAY && sub->type == LS_VAL_ARRAY) {
		if (sub->u.arr.n == 0)
			return 1;
		for (i = 0; i + sub->u.arr.n <= sup->u.arr.n; i++) {
			for (j = 0; j < sub->u.arr.n; j++)
				if (!ls_val_equal(sup->u.arr.v[i + j],
					sub->u.arr.v[j]))
					break;
			if (j == sub->u.arr.n)
				return 1;
		}
		return 0;
	}
	if (sup->type == LS_VAL_ARRAY && sub->type == LS_VAL_SET) {
		for (i = 0; i < sub->u.set.n; i++) {
			for (j = 0; j < sup->u.arr.n; j++)
				if (ls_val_equal(sup->u.arr.v[j],
					sub->u.set.v[i]))
					break;
			if (j == sup->u.arr.n)
				return 0;
		}
		return 1;
	}
	return ls_val_equal(sup, sub);
}

int
ls_bi_object_subset(BI_ARGS)
{
	const struct ls_val *a = args[0], *b = args[1];

	(void)nargs;
	if (!((a->type == LS_VAL_OBJECT && b->type == LS_VAL_OBJECT) ||
		(a->type == LS_VAL_SET && b->type == LS_VAL_SET) ||
		(a->type == LS_VAL_ARRAY &&
		    (b->type == LS_VAL_ARRAY || b->type == LS_VAL_SET)))) {
		if (a->type != LS_VAL_OBJECT && a->type != LS_VAL_SET &&
		    a->type != LS_VAL_ARRAY)
			return ls_bi_type_error(ctx, 1,
			    "one of {object, set, array}", a);
		return ls_bi_error(ctx,
		    "both arguments must be objects, sets "
		    "or arrays, or the superset an array and the subset a set");
	}
	return bi_ret(out, ls_val_bool(is_subset(a, b, 0)));
}

/* ---- json.filter / json.remove: a trie of paths ---- */

struct ptrie {
	const struct ls_val *key; /* segment (NULL at the root) */
	int leaf;		  /* the whole subtree is selected */
	struct ptrie **kids;
	size_t nkids;
};

static void
ptrie_free(struct ptrie *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->nkids; i++)
		ptrie_free(t->kids[i]);
	free(t->kids);
	free(t);
}

static struct ptrie *
ptrie_child(struct ptrie *t, const struct ls_val *k, int create)
{
	struct ptrie *c, **nk;
	size_t i;

	for (i = 0; i < t->nkids; i++)
		if (ls_val_equal(t->kids[i]->key, k))
			return t->kids[i];
	if (!create)
		return NULL;
	if ((c = calloc(1, sizeof *c)) == NULL)
		return NULL;
	if ((nk = realloc(t->kids, (t->nkids + 1) * sizeof *nk)) == NULL) {
		free(c);
		return NULL;
	}
	c->key = k;
	t->kids = nk;
	t->kids[t->nkids++] = c;
	return c;
}

/* Add one path: a "a/b/c" string or an array of segments. */
static int
ptrie_add(struct ls_bi_ctx *ctx, struct ptrie *root, const struct ls_val *p)
{
	struct ptrie *t = root;
	size_t i;

	if (p->type == LS_VAL_STRING) {
		const char *s = p->u.str.p, *e = s + p->u.str.len, *seg;

		while (s < e && *s == '/')
			s++;
		while (e > s && e[-1] == '/')
			e--;
		while (s < e && !t->leaf) {
			const struct ls_val *k;

			seg = memchr(s, '/', (size_t)(e - s));
			if (seg == NULL)
				seg = e;
			k = ls_val_string(ctx->arena, s, (size_t)(seg - s));
			if (k == NULL || (t = ptrie_child(t, k, 1)) == NULL)
				return LS_BI_ENOMEM;
			s = seg < e ? seg + 1 : e;
		}
	} else if (p->type == LS_VAL_ARRAY) {
		for (i = 0; i < p->u.arr.n && !t->leaf; i++)
			if ((t = ptrie_child(t, p->u.arr.v[i], 1)) == NULL)
				return LS_BI_ENOMEM;
	} else {
		return ls_bi_type_error(ctx, 2,
		    "one of {set, array} containing "
		    "string paths or array of path segments",
		    p);
	}
	t->leaf = 1;
	return 0;
}

static int
ptrie_build(struct ls_bi_ctx *ctx, const struct ls_val *const *args,
    struct ptrie **out)
{
	const struct ls_val *const *ps;
	size_t n, i;
	int rc;

	if ((rc = bi_arg_type(ctx, args, 0, LS_VAL_OBJECT, "object")) != 0)
		return rc;
	if (args[1]->type != LS_VAL_ARRAY && args[1]->type != LS_VAL_SET)
		return ls_bi_type_error(ctx, 2, "one of {set, array}", args[1]);
	if ((*out = calloc(1, sizeof **out)) == NULL)
		return LS_BI_ENOMEM;
	ps = bi_elems(args[1], &n);
	for (i = 0; i < n; i++) {
		if ((rc = ptrie_add(ctx, *out, ps[i])) != 0) {
			ptrie_free(*out);
			*out = NULL;
			return rc;
		}
	}
	return 0;
}

/* The trie child for array index i (segments "0" or 0 both match). */
static struct ptrie *
index_child(struct ptrie *t, size_t i)
{
	size_t k;

	for (k = 0; k < t->nkids; k++) {
		const struct ls_val *key = t->kids[k]->key;
		int ovf = 0;

		if (key->type == LS_VAL_NUMBER && ls_num_is_int(&key->u.num) &&
		    ls_num_to_int64(&key->u.num, &ovf) == (int64_t)i && !ovf)
			return t->kids[k];
		if (key->type == LS_VAL_STRING && key->u.str.len > 0 &&
		    key->u.str.len < 20) {
			char *end;
			unsigned long long v = strtoull(key->u.str.p, &end, 10);
			if (*end == '\0' && key->u.str.p[0] >= '0' &&
			    key->u.str.p[0] <= '9' && v == i)
				return t->kids[k];
		}
	}
	return NULL;
}

/*
 * Keep (filter) or drop (remove) what the trie selects.  Returns the new
 * value, or *gone = 1 when nothing of v remains (filter) or v itself is
 * removed.
 */
static const struct ls_val *
prune(struct ls_arena *ar, const struct ls_val *v, struct ptrie *t, int keep,
    int depth)
{
	struct ls_vlist k, vals;
	const struct ls_val *const *el;
	size_t i, n;

	if (depth > WALK_MAX_DEPTH)
		return NULL;
	ls_vlist_init(&k, ar);
	ls_vlist_init(&vals, ar);
	switch (v->type) {
	case LS_VAL_OBJECT:
		for (i = 0; i < v->u.obj.n; i++) {
			struct ptrie *c = ptrie_child(t, v->u.obj.k[i], 0);
			const struct ls_val *nv = v->u.obj.v[i];
			if (c == NULL && keep)
				continue;
			if (c != NULL && c->leaf && !keep)
				continue;
			if (c != NULL && !c->leaf &&
			    (nv = prune(ar, nv, c, keep, depth + 1)) == NULL)
				return NULL;
			if (ls_vlist_push(&k, v->u.obj.k[i]) != 0 ||
			    ls_vlist_push(&vals, nv) != 0)
				return NULL;
		}
		return ls_val_object(ar, k.v, vals.v, k.n, NULL);
	case LS_VAL_ARRAY:
	case LS_VAL_SET:
		el = bi_elems(v, &n);
		for (i = 0; i < n; i++) {
			struct ptrie *c = v->type == LS_VAL_ARRAY
			    ? index_child(t, i)
			    : ptrie_child(t, el[i], 0);
			const struct ls_val *nv = el[i];
			if (c == NULL && keep)
				continue;
			if (c != NULL && c->leaf && !keep)
				continue;
			if (c != NULL && !c->leaf &&
			    (nv = prune(ar, nv, c, keep, depth + 1)) == NULL)
				return NULL;
			if (ls_vlist_push(&vals, nv) != 0)
				return NULL;
		}
		return v->type == LS_VAL_ARRAY
		    ? ls_val_array(ar, vals.v, vals.n)
		    : ls_val_set(ar, vals.v, vals.n);
	default: return v;
	}
}

static int
json_prune(BI_ARGS, int keep)
{
	struct ptrie *t = NULL;
	const struct ls_val *r;
	int rc;

	(void)nargs;
	if ((rc = ptrie_build(ctx, args, &t)) != 0)
		return rc;
	r = t->leaf ? (keep ? args[0] : ls_val_empty_object())
		    : prune(ctx->arena, args[0], t, keep, 0);
	ptrie_free(t);
	return bi_ret(out, r);
}

int
ls_bi_json_filter(BI_ARGS)
{
	return json_prune(ctx, args, nargs, out, 1);
}

int
ls_bi_json_remove(BI_ARGS)
{
	return json_prune(ctx, args, nargs, out, 0);
}

/* ---- walk ---- */

struct walker {
	struct ls_arena *a;
	struct ls_vlist pairs;	    /* [path, value] results */
	const struct ls_val **path; /* current path segments */
	size_t depth;
};

static int
walk_rec(struct walker *w, const struct ls_val *v)
{
	const struct ls_val *p, *pair[2], *pv;
	size_t i;

	if (w->depth >= WALK_MAX_DEPTH)
		return LS_BI_ENOMEM;
	if ((p = ls_val_array(w->a, w->path, w->depth)) == NULL)
		return LS_BI_ENOMEM;
	pair[0] = p;
	pair[1] = v;
	if ((pv = ls_val_array(w->a, pair, 2)) == NULL ||
	    ls_vlist_push(&w->pairs, pv) != 0)
		return LS_BI_ENOMEM;
	w->depth++;
	switch (v->type) {
	case LS_VAL_ARRAY:
		for (i = 0; i < v->u.arr.n; i++) {
			if ((w->path[w->depth - 1] =
				    ls_val_int(w->a, (int64_t)i)) == NULL ||
			    walk_rec(w, v->u.arr.v[i]) != 0)
				return LS_BI_ENOMEM;
		}
		break;
	case LS_VAL_OBJECT:
		for (i = 0; i < v->u.obj.n; i++) {
			w->path[w->depth - 1] = v->u.obj.k[i];
			if (walk_rec(w, v->u.obj.v[i]) != 0)
				return LS_BI_ENOMEM;
		}
		break;
	case LS_VAL_SET:
		for (i = 0; i < v->u.set.n; i++) {
			w->path[w->depth - 1] = v->u.set.v[i];
			if (walk_rec(w, v->u.set.v[i]) != 0)
				return LS_BI_ENOMEM;
		}
		break;
	default: break;
	}
	w->depth--;
	return 0;
}

/* walk(x): every [path, value] in x, pre-order; a LS_BI_F_MULTI builtin. */
int
ls_bi_walk(BI_ARGS)
{
	struct walker w;
	int rc;

	(void)nargs;
	memset(&w, 0, sizeof w);
	w.a = ctx->arena;
	ls_vlist_init(&w.pairs, ctx->arena);
	w.path = ls_arena_alloc(ctx->arena, WALK_MAX_DEPTH * sizeof *w.path);
	if (w.path == NULL)
		return LS_BI_ENOMEM;
	if ((rc = walk_rec(&w, args[0])) != 0)
		return rc;
	return bi_ret(out, ls_val_array(ctx->arena, w.pairs.v, w.pairs.n));
}
