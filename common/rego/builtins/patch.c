/*
 * patch.c - json.patch: RFC 6902 operations (add, remove, replace,
 * move, copy, test) on Rego values, including sets (a set member is
 * addressed by itself) and array-of-segments paths as OPA allows.
 * Values are immutable, so each operation rebuilds the containers on the
 * path.  A patch that cannot apply makes the call undefined, as in opa.
 */
#include <stdlib.h>
#include <string.h>

#include "rego/builtins/internal.h"

#define PATCH_MAX_DEPTH 512

enum pkind { P_ADD, P_REMOVE, P_REPLACE };

/* Array index from a segment: JSON pointer digits or an integer. */
static int
seg_index(const struct ls_val *seg, size_t len, int allow_end, size_t *out)
{
	int64_t v;
	int ovf = 0;
	size_t i;

	if (seg->type == LS_VAL_NUMBER) {
		if (!ls_num_is_int(&seg->u.num))
			return -1;
		v = ls_num_to_int64(&seg->u.num, &ovf);
		if (ovf || v < 0)
			return -1;
		*out = (size_t)v;
	} else if (seg->type == LS_VAL_STRING) {
		const char *s = seg->u.str.p;
		size_t n = seg->u.str.len;
		if (allow_end && n == 1 && s[0] == '-') {
			*out = len;
			return 0;
		}
		if (n == 0 || n > 18 || (n > 1 && s[0] == '0'))
			return -1;
		for (i = 0, v = 0; i < n; i++) {
			if (s[i] < '0' || s[i] > '9')
				return -1;
			v = v * 10 + (s[i] - '0');
		}
		*out = (size_t)v;
	} else {
		return -1;
	}
	if (allow_end)
		return *out <= len ? 0 : -1;
	return *out < len ? 0 : -1;
}

static const struct ls_val *
child(const struct ls_val *v, const struct ls_val *seg)
{
	size_t i;

	switch (v->type) {
	case LS_VAL_OBJECT: return ls_val_object_get(v, seg);
	case LS_VAL_ARRAY:
		if (seg_index(seg, v->u.arr.n, 0, &i) != 0)
			return NULL;
		return v->u.arr.v[i];
	case LS_VAL_SET: return ls_val_set_has(v, seg) ? seg : NULL;
	default: return NULL;
	}
}

static const struct ls_val *
get_path(const struct ls_val *v, const struct ls_val *const *segs, size_t n)
{
	size_t i;

	for (i = 0; i < n && v != NULL; i++)
		v = child(v, segs[i]);
	return v;
}

/* Container v with its member at seg set to nv (NULL: removed), or with
 * nv inserted (kind P_ADD).  NULL when the operation does not apply. */
static const struct ls_val *
edit(struct ls_arena *a, const struct ls_val *v, const struct ls_val *seg,
    const struct ls_val *nv, enum pkind kind)
{
	struct ls_vlist k, vals;
	size_t i, idx;

	ls_vlist_init(&k, a);
	ls_vlist_init(&vals, a);
	switch (v->type) {
	case LS_VAL_OBJECT:
		if (kind != P_ADD && ls_val_object_get(v, seg) == NULL)
			return NULL;
		for (i = 0; i < v->u.obj.n; i++) {
			if (ls_val_equal(v->u.obj.k[i], seg))
				continue;
			if (ls_vlist_push(&k, v->u.obj.k[i]) != 0 ||
			    ls_vlist_push(&vals, v->u.obj.v[i]) != 0)
				return NULL;
		}
		if (nv != NULL &&
		    (ls_vlist_push(&k, seg) != 0 ||
			ls_vlist_push(&vals, nv) != 0))
			return NULL;
		return ls_val_object(a, k.v, vals.v, k.n, NULL);
	case LS_VAL_ARRAY:
		if (seg_index(seg, v->u.arr.n, kind == P_ADD, &idx) != 0)
			return NULL;
		for (i = 0; i <= v->u.arr.n; i++) {
			if (i == idx && nv != NULL &&
			    ls_vlist_push(&vals, nv) != 0)
				return NULL;
			if (i == v->u.arr.n || (i == idx && kind != P_ADD))
				continue;
			if (ls_vlist_push(&vals, v->u.arr.v[i]) != 0)
				return NULL;
		}
		return ls_val_array(a, vals.v, vals.n);
	case LS_VAL_SET:
		if (kind == P_ADD && (nv == NULL || !ls_val_equal(seg, nv)))
			return NULL;
		if (kind != P_ADD && !ls_val_set_has(v, seg))
			return NULL;
		for (i = 0; i < v->u.set.n; i++)
			if (!ls_val_equal(v->u.set.v[i], seg) &&
			    ls_vlist_push(&vals, v->u.set.v[i]) != 0)
				return NULL;
		if (nv != NULL && ls_vlist_push(&vals, nv) != 0)
			return NULL;
		return ls_val_set(a, vals.v, vals.n);
	default: return NULL;
	}
}

static const struct ls_val *
apply(struct ls_arena *a, const struct ls_val *doc,
    const struct ls_val *const *segs, size_t n, const struct ls_val *value,
    enum pkind kind, int depth)
{
	const struct ls_val *c, *nc;

	if (depth > PATCH_MAX_DEPTH)
		return NULL;
	if (n == 0)
		return kind == P_REMOVE ? NULL : value;
	if (n == 1)
		return edit(a, doc, segs[0], kind == P_REMOVE ? NULL : value,
		    kind);
	if ((c = child(doc, segs[0])) == NULL ||
	    (nc = apply(a, c, segs + 1, n - 1, value, kind, depth + 1)) == NULL)
		return NULL;
	if (doc->type == LS_VAL_SET)
		return edit(a, edit(a, doc, segs[0], NULL, P_REMOVE), nc, nc,
		    P_ADD);
	return edit(a, doc, segs[0], nc, P_REPLACE);
}

/* A JSON pointer ("/a/b~1c") or an array of segments. */
static int
parse_path(struct ls_arena *a, const struct ls_val *p,
    const struct ls_val *const **segs, size_t *n)
{
	struct ls_vlist l;
	const char *s, *e, *end;

	if (p == NULL)
		return -1;
	if (p->type == LS_VAL_ARRAY) {
		*segs = p->u.arr.v;
		*n = p->u.arr.n;
		return 0;
	}
	if (p->type != LS_VAL_STRING)
		return -1;
	ls_vlist_init(&l, a);
	s = p->u.str.p;
	end = s + p->u.str.len;
	if (s == end) {
		*segs = NULL;
		*n = 0;
		return 0;
	}
	if (*s == '/')
		s++;
	for (;;) {
		char *buf, *o;
		const struct ls_val *v;

		e = memchr(s, '/', (size_t)(end - s));
		if (e == NULL)
			e = end;
		if ((buf = ls_arena_alloc(a, (size_t)(e - s) + 1)) == NULL)
			return -1;
		for (o = buf; s < e; s++) {
			if (*s == '~' && s + 1 < e &&
			    (s[1] == '0' || s[1] == '1')) {
				*o++ = s[1] == '0' ? '~' : '/';
				s++;
			} else {
				*o++ = *s;
			}
		}
		*o = '\0';
		if ((v = ls_val_string_ref(a, buf, (size_t)(o - buf))) ==
			NULL ||
		    ls_vlist_push(&l, v) != 0)
			return -1;
		if (e == end)
			break;
		s = e + 1;
	}
	*segs = l.v;
	*n = l.n;
	return 0;
}

static const struct ls_val *
one_op(struct ls_arena *a, const struct ls_val *doc, const struct ls_val *op)
{
	const struct ls_val *kind, *value, *moved;
	const struct ls_val *const *path, *const *from;
	size_t np, nf;

	if (op->type != LS_VAL_OBJECT ||
	    (kind = ls_val_object_gets(op, "op", 2)) == NULL ||
	    kind->type != LS_VAL_STRING ||
	    parse_path(a, ls_val_object_gets(op, "path", 4), &path, &np) != 0)
		return NULL;
	value = ls_val_object_gets(op, "value", 5);
	if (ls_val_is_string(kind, "add") && value != NULL)
		return apply(a, doc, path, np, value, P_ADD, 0);
	if (ls_val_is_string(kind, "remove"))
		return apply(a, doc, path, np, NULL, P_REMOVE, 0);
	if (ls_val_is_string(kind, "replace") && value != NULL)
		return get_path(doc, path, np) == NULL
		    ? NULL
		    : apply(a, doc, path, np, value, P_REPLACE, 0);
	if (ls_val_is_string(kind, "test") && value != NULL) {
		const struct ls_val *got = get_path(doc, path, np);
		return got != NULL && ls_val_equal(got, value) ? doc : NULL;
	}
	if ((ls_val_is_string(kind, "move") ||
		ls_val_is_string(kind, "copy")) &&
	    parse_path(a, ls_val_object_gets(op, "from", 4), &from, &nf) == 0 &&
	    (moved = get_path(doc, from, nf)) != NULL) {
		if (ls_val_is_string(kind, "move") &&
		    (doc = apply(a, doc, from, nf, NULL, P_REMOVE, 0)) == NULL)
			return NULL;
		return apply(a, doc, path, np, moved, P_ADD, 0);
	}
	return NULL;
}

int
ls_bi_json_patch(BI_ARGS)
{
	const struct ls_val *doc = args[0], *const * ops;
	size_t n, i;

	(void)nargs;
	if (args[1]->type != LS_VAL_ARRAY)
		return ls_bi_type_error(ctx, 2, "array", args[1]);
	ops = bi_elems(args[1], &n);
	for (i = 0; i < n && doc != NULL; i++)
		doc = one_op(ctx->arena, doc, ops[i]);
	if (doc == NULL)
		return LS_BI_UNDEF;
	*out = doc;
	return LS_BI_OK;
}
