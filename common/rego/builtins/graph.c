/*
 * graph.c - graph.reachable and graph.reachable_paths.
 *
 * A graph is an object from vertex to an array or set of neighbours.
 * reachable_paths follows OPA's pathBuilder exactly, including how it
 * records a path when it meets an already visited vertex.
 */
#include <string.h>

#include "rego/builtins/internal.h"

#define GRAPH_MAX_DEPTH 1024

static const struct ls_val *const *
vertices(const struct ls_val *v, size_t *n)
{
	if (v->type == LS_VAL_ARRAY || v->type == LS_VAL_SET)
		return bi_elems(v, n);
	*n = 0;
	return NULL;
}

static int
initial_queue(struct ls_bi_ctx *ctx, const struct ls_val *const *args,
    struct ls_vlist *q)
{
	const struct ls_val *const *el;
	size_t n, i;
	int rc;

	if ((rc = bi_arg_type(ctx, args, 0, LS_VAL_OBJECT, "object")) != 0)
		return rc;
	if (args[1]->type != LS_VAL_ARRAY && args[1]->type != LS_VAL_SET)
		return ls_bi_type_error(ctx, 2, "one of {array, set}", args[1]);
	el = bi_elems(args[1], &n);
	for (i = 0; i < n; i++)
		if (ls_vlist_push(q, el[i]) != 0)
			return LS_BI_ENOMEM;
	return 0;
}

static int
contains(const struct ls_vlist *l, const struct ls_val *v)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (ls_val_equal(l->v[i], v))
			return 1;
	return 0;
}

int
ls_bi_graph_reachable(BI_ARGS)
{
	struct ls_vlist q, reached;
	size_t head, n, i;
	int rc;

	(void)nargs;
	ls_vlist_init(&q, ctx->arena);
	ls_vlist_init(&reached, ctx->arena);
	if ((rc = initial_queue(ctx, args, &q)) != 0)
		return rc;
	for (head = 0; head < q.n; head++) {
		const struct ls_val *edges =
		    ls_val_object_get(args[0], q.v[head]);
		const struct ls_val *const *nb;

		if (edges == NULL || contains(&reached, q.v[head]))
			continue;
		nb = vertices(edges, &n);
		for (i = 0; i < n; i++)
			if (!contains(&reached, nb[i]) &&
			    ls_vlist_push(&q, nb[i]) != 0)
				return LS_BI_ENOMEM;
		if (ls_vlist_push(&reached, q.v[head]) != 0)
			return LS_BI_ENOMEM;
	}
	return bi_ret(out, ls_val_set(ctx->arena, reached.v, reached.n));
}

struct paths {
	struct ls_arena *a;
	const struct ls_val *graph;
	struct ls_vlist result; /* arrays of vertices */
};

#define GRAPH_MAX_PATHS 1000000

static int
add_path(struct paths *p, const struct ls_vlist *path)
{
	const struct ls_val *arr;

	if (p->result.n >= GRAPH_MAX_PATHS)
		return LS_BI_ENOMEM;
	arr = ls_val_array(p->a, path->v, path->n);

	return arr == NULL || ls_vlist_push(&p->result, arr) != 0 ? LS_BI_ENOMEM
								  : 0;
}

/* OPA's pathBuilder; path is copied per call, reached is shared. */
static int
build(struct paths *p, const struct ls_val *root, const struct ls_vlist *in,
    struct ls_vlist *reached, int depth)
{
	const struct ls_val *edges = ls_val_object_get(p->graph, root);
	const struct ls_val *const *nb;
	struct ls_vlist path, acc;
	size_t n, i, k;
	int rc;

	if (depth > GRAPH_MAX_DEPTH)
		return LS_BI_ENOMEM;
	ls_vlist_init(&path, p->a);
	ls_vlist_init(&acc, p->a);
	for (i = 0; i < in->n; i++)
		if (ls_vlist_push(&path, in->v[i]) != 0)
			return LS_BI_ENOMEM;
	if (edges == NULL)
		return add_path(p, &path);
	if (ls_vlist_push(&path, root) != 0)
		return LS_BI_ENOMEM;
	nb = vertices(edges, &n);
	if (n == 0)
		return add_path(p, &path);
	for (i = 0; i < n; i++) {
		if (contains(reached, nb[i])) {
			/* OPA appends the path to what it committed before */
			for (k = 0; k < path.n; k++)
				if (ls_vlist_push(&acc, path.v[k]) != 0)
					return LS_BI_ENOMEM;
			if ((rc = add_path(p, &acc)) != 0)
				return rc;
			continue;
		}
		if (!contains(reached, root) &&
		    ls_vlist_push(reached, root) != 0)
			return LS_BI_ENOMEM;
		if ((rc = build(p, nb[i], &path, reached, depth + 1)) != 0)
			return rc;
	}
	return 0;
}

int
ls_bi_graph_reachable_paths(BI_ARGS)
{
	struct ls_vlist q;
	struct paths p;
	size_t n, i, j;
	int rc;

	(void)nargs;
	ls_vlist_init(&q, ctx->arena);
	if ((rc = initial_queue(ctx, args, &q)) != 0)
		return rc;
	p.a = ctx->arena;
	p.graph = args[0];
	ls_vlist_init(&p.result, ctx->arena);
	for (i = 0; i < q.n; i++) {
		const struct ls_val *edges = ls_val_object_get(args[0], q.v[i]);
		const struct ls_val *const *nb;
		struct ls_vlist start, reached;

		if (edges == NULL)
			continue;
		ls_vlist_init(&start, ctx->arena);
		if (ls_vlist_push(&start, q.v[i]) != 0)
			return LS_BI_ENOMEM;
		nb = vertices(edges, &n);
		if (n == 0 && (rc = add_path(&p, &start)) != 0)
			return rc;
		for (j = 0; j < n; j++) {
			ls_vlist_init(&reached, ctx->arena);
			if (ls_vlist_push(&reached, q.v[i]) != 0)
				return LS_BI_ENOMEM;
			if ((rc = build(&p, nb[j], &start, &reached, 0)) != 0)
				return rc;
		}
	}
	return bi_ret(out, ls_val_set(ctx->arena, p.result.v, p.result.n));
}
