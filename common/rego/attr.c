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
	    (rc = ls_val_from_json_flags(&cfg.input, a, input, len, 0,
		 opts != NULL && opts->strict_input ? LS_JSON_STRICT : 0)) !=
		0)
		return ls_error_wrap(rc, "input");
	if ((rc = ls_rego_view_call(opts, cfg.input)) != 0)
		return rc;
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

/* The value of part i of the query's array, NULL if undefined. */
static const struct ls_val *
part(const struct ls_val *all, size_t i)
{
	const struct ls_val *x;

	if (all == NULL || all->type != LS_VAL_ARRAY || i >= all->u.arr.n)
		return NULL;
	x = all->u.arr.v[i];
	return x->type == LS_VAL_ARRAY && x->u.arr.n > 0 ? x->u.arr.v[0] : NULL;
}

/* The elements of parts 0..nattr-1 in order, as one list (*de owned). */
static int
doc_elems(const struct ls_val ***de, size_t *n, const struct ls_val *all,
    size_t nattr)
{
	const struct ls_val *const *e;
	size_t k, m, total = 0;

	*de = NULL;
	for (k = 0; k < nattr; k++) {
		(void)elems(part(all, k), &m);
		total += m;
	}
	*n = 0;
	if (total == 0)
		return 0;
	if ((*de = calloc(total, sizeof(**de))) == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	for (k = 0; k < nattr; k++) {
		if ((e = elems(part(all, k), &m)) != NULL && m > 0) {
			memcpy(*de + *n, e, m * sizeof(*e));
			*n += m;
		}
	}
	return 0;
}

/* holders and stray of out: leaves are the parts from ndocs on. */
static int
attribute(struct ls_rego_attr *out, const struct ls_val *all, size_t ndocs,
    size_t nattr)
{
	const struct ls_val **de, *const * le;
	size_t nleaves = all->u.arr.n - ndocs, i, j, k, nl;
	int rc;

	if ((rc = doc_elems(&de, &out->n, all, nattr)) != 0)
		return rc;
	if (out->n > 0 &&
	    (out->holders = calloc(out->n, sizeof(*out->holders))) == NULL) {
		free(de);
		return ls_error_set(LS_ENOMEM, "out of memory");
	}
	for (j = 0; j < nleaves; j++) {
		le = elems(part(all, ndocs + j), &nl);
		for (k = 0; k < nl; k++) {
			int held = 0;

			for (i = 0; i < out->n; i++) {
				if (!same(de[i], le[k]))
					continue;
				held = 1;
				if (j < 64)
					out->holders[i] |= 1ull << j;
			}
			if (!held)
				out->stray = 1;
		}
	}
	free(de);
	return 0;
}

/* docs[k] = JSON of part k (NULL when undefined), for k < ndocs. */
static int
docs_json(char **docs, const struct ls_val *all, size_t ndocs)
{
	const struct ls_val *doc;
	struct ls_buf b;
	size_t k;
	int rc = 0;

	for (k = 0; k < ndocs && rc == 0; k++) {
		if ((doc = part(all, k)) == NULL)
			continue;
		ls_buf_init(&b, ATTR_JSON_MAX);
		if ((rc = ls_val_to_json(&b, doc)) == 0 &&
		    (docs[k] = ls_buf_take(&b, NULL)) == NULL)
			rc = ls_error_set(LS_ENOMEM, "out of memory");
		ls_buf_cleanup(&b);
	}
	return rc;
}

int
ls_rego_eval_docs(char **docs, size_t ndocs, size_t nattr,
    struct ls_rego_attr *out, const struct ls_rego_policy *p,
    const struct ls_rego_prepared *q, const char *input, size_t input_len,
    const struct ls_rego_eval_opts *opts, char **err_out)
{
	struct ls_arena *a = ls_arena_new(opts != NULL && opts->max_memory
		? opts->max_memory
		: ATTR_MEMORY);
	const struct ls_val *all = NULL;
	size_t k;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(docs, 0, ndocs * sizeof(*docs));
	if (a == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	rc = run(&all, a, p, q, input, input_len, opts);
	if (rc == 0 && (all == NULL || all->type != LS_VAL_ARRAY ||
			   all->u.arr.n < ndocs || nattr > ndocs))
		rc = ls_error_set(LS_EREGO, "attribution query: no value");
	if (rc == 0)
		rc = docs_json(docs, all, ndocs);
	if (rc == 0)
		rc = attribute(out, all, ndocs, nattr);
	ls_arena_free(a);
	if (rc != 0) {
		ls_rego_attr_cleanup(out);
		for (k = 0; k < ndocs; k++) {
			free(docs[k]);
			docs[k] = NULL;
		}
		if (err_out != NULL) {
			free(*err_out);
			*err_out = strdup(ls_error_last());
		}
	}
	return rc;
}

int
ls_rego_eval_attr(struct ls_rego_attr *out, const struct ls_rego_policy *p,
    const struct ls_rego_prepared *q, const char *input, size_t input_len,
    const struct ls_rego_eval_opts *opts, char **err_out)
{
	char *doc = NULL;
	int rc = ls_rego_eval_docs(&doc, 1, 1, out, p, q, input, input_len,
	    opts, err_out);

	out->doc = doc;
	return rc;
}

void
ls_rego_attr_cleanup(struct ls_rego_attr *a)
{
	free(a->doc);
	free(a->holders);
	memset(a, 0, sizeof(*a));
}
