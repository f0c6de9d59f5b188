/* attr.c - one evaluation for a decision's answer and its attribution
 * (rego_deps.h, ls_rego_eval_attr). */
#include <stdlib.h>
#include <string.h>

#include "lockstep/error.h"
#include "lockstep/rego_deps.h"
#include "rego/compile.h"

#define ATTR_MEMORY ((size_t)1 << 30)
#define ATTR_JSON_MAX (256u << 20)

struct first {
	const struct ls_val *v;
};

static int
on_solution(void *arg, const struct ls_val *const *slots,
    const struct ls_val *const *vals, size_t n)
{
	struct first *f = arg;

	(void)slots;
	if (f->v == NULL && n > 0)
		f->v = vals[0];
	return 0;
}

struct ls_rego_prepared {
	struct ls_arena *a; /* holds everything below */
	struct ls_body *q;
	const struct ls_expr **exprs; /* in source order */
	int nslots;
};

int
ls_rego_prepare(struct ls_rego_prepared **out, const struct ls_rego_policy *p,
    const char *query)
{
	struct ls_rego_prepared *r = calloc(1, sizeof(*r));
	const char **names = NULL;
	int rc;

	*out = NULL;
	if (r == NULL || (r->a = ls_arena_new(0)) == NULL) {
		free(r);
		return ls_error_set(LS_ENOMEM, "out of memory");
	}
	if ((rc = ls_rego_parse_body(&r->q, r->a, "query", query, strlen(query),
		 1)) != 0)
		goto out;
	r->exprs = ls_arena_alloc(r->a, (r->q->n + 1) * sizeof(*r->exprs));
	if (r->exprs == NULL) {
		rc = ls_error_set(LS_ENOMEM, "out of memory");
		goto out;
	}
	memcpy(r->exprs, r->q->e, r->q->n * sizeof(*r->exprs));
	rc = ls_rego_resolve_query(p, r->a, r->q, NULL, &r->nslots, &names);
out:
	if (rc != 0) {
		ls_rego_prepared_free(r);
		return rc;
	}
	*out = r;
	return 0;
}

void
ls_rego_prepared_free(struct ls_rego_prepared *q)
{
	if (q == NULL)
		return;
	ls_arena_free(q->a);
	free(q);
}

static int
run(const struct ls_val **out, struct ls_arena *a,
    const struct ls_rego_policy *p, const struct ls_rego_prepared *q,
    const char *input, size_t len, const struct ls_rego_eval_opts *opts)
{
	struct ls_eval_cfg cfg;
	struct first f = { NULL };
	int rc;

	memset(&cfg, 0, sizeof(cfg));
	if (opts != NULL) {
		cfg.timeout_ms = opts->timeout_ms;
		cfg.max_steps = opts->max_steps;
	}
	if (input != NULL &&
	    (rc = ls_val_from_json(&cfg.input, a, input, len, 0)) != 0)
		return ls_error_wrap(rc, "input");
	cfg.exprs = q->exprs;
	cfg.nexprs = q->q->n;
	rc = ls_eval_query(p, a, q->q, q->nslots, &cfg, on_solution, &f);
	*out = f.v;
	return rc;
}

static const struct ls_val *
msg_of(const struct ls_val *v)
{
	const struct ls_val *m;

	if (v->type == LS_VAL_STRING)
		return v;
	if (v->type == LS_VAL_OBJECT &&
	    (m = ls_val_object_gets(v, "msg", 3)) != NULL &&
	    m->type == LS_VAL_STRING)
		return m;
	return NULL;
}

static int
same(const struct ls_val *a, const struct ls_val *b)
{
	const struct ls_val *x, *y;

	if (ls_val_equal(a, b))
		return 1;
	x = msg_of(a);
	y = msg_of(b);
	return x != NULL && y != NULL && ls_val_equal(x, y);
}

/* Elements of a set or array value (NULL count 0 otherwise). */
static const struct ls_val *const *
elems(const struct ls_val *v, size_t *n)
{
	*n = 0;
	if (v == NULL)
		return NULL;
	if (v->type == LS_VAL_SET) {
		*n = v->u.set.n;
		return v->u.set.v;
	}
	if (v->type == LS_VAL_ARRAY) {
		*n = v->u.arr.n;
		return v->u.arr.v;
	}
	return NULL;
}

static int
holds(const struct ls_val *set, const struct ls_val *x)
{
	const struct ls_val *const *v;
	size_t n, i;

	v = elems(set, &n);
	for (i = 0; i < n; i++)
		if (same(v[i], x))
			return 1;
	return 0;
}

/* The value of leaf j (or of the document for j = -1), NULL if none. */
static const struct ls_val *
part(const struct ls_val *all, long j)
{
	const struct ls_val *x;

	if (all == NULL || all->type != LS_VAL_ARRAY ||
	    (size_t)(j + 1) >= all->u.arr.n)
		return NULL;
	x = all->u.arr.v[j + 1];
	return x->type == LS_VAL_ARRAY && x->u.arr.n > 0 ? x->u.arr.v[0] : NULL;
}

static int
attribute(struct ls_rego_attr *out, const struct ls_val *all)
{
	const struct ls_val *doc = part(all, -1), *const * de, *const * le;
	size_t nleaves = all->u.arr.n - 1, i, k, nl;
	long j;

	de = elems(doc, &out->n);
	if (out->n > 0 &&
	    (out->holders = calloc(out->n, sizeof(*out->holders))) == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	for (j = 0; (size_t)j < nleaves; j++) {
		le = elems(part(all, j), &nl);
		for (k = 0; k < nl; k++) {
			int held = 0;

			for (i = 0; i < out->n; i++) {
				if (!same(de[i], le[k]))
					continue;
				held = 1;
				if (j < 64)
					out->holders[i] |= 1ull << j;
			}
			if (!held && !holds(doc, le[k]))
				out->stray = 1;
		}
	}
	return 0;
}

int
ls_rego_eval_attr(struct ls_rego_attr *out, const struct ls_rego_policy *p,
    const struct ls_rego_prepared *q, const char *input, size_t input_len,
    const struct ls_rego_eval_opts *opts, char **err_out)
{
	struct ls_arena *a = ls_arena_new(opts != NULL && opts->max_memory
		? opts->max_memory
		: ATTR_MEMORY);
	const struct ls_val *all = NULL, *doc;
	struct ls_buf b;
	int rc;

	memset(out, 0, sizeof(*out));
	ls_buf_init(&b, ATTR_JSON_MAX);
	if (a == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	rc = run(&all, a, p, q, input, input_len, opts);
	if (rc == 0 &&
	    (all == NULL || all->type != LS_VAL_ARRAY || all->u.arr.n == 0))
		rc = ls_error_set(LS_EREGO, "attribution query: no value");
	if (rc == 0 && (doc = part(all, -1)) != NULL &&
	    (rc = ls_val_to_json(&b, doc)) == 0 &&
	    (out->doc = ls_buf_take(&b, NULL)) == NULL)
		rc = ls_error_set(LS_ENOMEM, "out of memory");
	if (rc == 0)
		rc = attribute(out, all);
	ls_buf_cleanup(&b);
	ls_arena_free(a);
	if (rc != 0) {
		ls_rego_attr_cleanup(out);
		if (err_out != NULL) {
			free(*err_out);
			*err_out = strdup(ls_error_last());
		}
	}
	return rc;
}

void
ls_rego_attr_cleanup(struct ls_rego_attr *a)
{
	free(a->doc);
	free(a->holders);
	memset(a, 0, sizeof(*a));
}
