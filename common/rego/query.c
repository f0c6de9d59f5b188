/* query.c - evaluating queries and data paths through the public API,
 * with opa-eval-shaped JSON results. */
#include <stdlib.h>
#include <string.h>

#include "lockstep/error.h"
#include "lockstep/rego.h"
#include "rego/compile.h"
#include "rego/cover.h"

#define MAX_RESULT_JSON (256u << 20)
#define DEFAULT_MEMORY ((size_t)1 << 30)

struct qrun {
	struct ls_arena *a;
	struct ls_body *q;
	const struct ls_expr **exprs; /* original order */
	size_t nexprs;
	const char **names;
	int nslots;
	const char *text; /* query source */
	struct ls_buf out;
	size_t nresults;
	const struct ls_val *first; /* eval_path: first expression value */
};

/* A ground Rego term (input_term) as a value. */
static int
term_value(struct ls_arena *a, const struct ls_term *t,
    const struct ls_val **out)
{
	const struct ls_val **v;
	size_t i;
	int rc;

	if (t->k == LS_T_VAL) {
		*out = t->v;
		return 0;
	}
	if (t->k != LS_T_ARR && t->k != LS_T_SET && t->k != LS_T_OBJ)
		return ls_error_set(LS_EREGO, "input term is not a constant");
	v = ls_arena_alloc(a, (t->n + 1) * sizeof(*v));
	if (v == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	for (i = 0; i < t->n; i++)
		if ((rc = term_value(a, t->a[i], &v[i])) != 0)
			return rc;
	if (t->k == LS_T_ARR)
		*out = ls_val_array(a, v, t->n);
	else if (t->k == LS_T_SET)
		*out = ls_val_set(a, v, t->n);
	else {
		const struct ls_val **k = ls_arena_alloc(a,
					(t->n / 2 + 1) * sizeof(*k)),
				    **vv = ls_arena_alloc(a,
					(t->n / 2 + 1) * sizeof(*vv));

		if (k == NULL || vv == NULL)
			return ls_error_set(LS_ENOMEM, "out of memory");
		for (i = 0; i < t->n / 2; i++) {
			k[i] = v[2 * i];
			vv[i] = v[2 * i + 1];
		}
		*out = ls_val_object_last(a, k, vv, t->n / 2);
	}
	return *out ? 0 : ls_error_set(LS_ENOMEM, "out of memory");
}

static int
parse_input(struct qrun *r, const char *text, size_t len, int is_rego,
    int flags, const struct ls_val **out)
{
	struct ls_term *t;
	int rc;

	*out = NULL;
	if (text == NULL)
		return 0;
	if (!is_rego) {
		rc = ls_val_from_json_flags(out, r->a, text, len, 0, flags);
		return rc ? ls_error_wrap(rc, "input") : 0;
	}
	if ((rc = ls_rego_parse_term(&t, r->a, "input", text, len)) != 0)
		return rc;
	return term_value(r->a, t, out);
}

static int
add_expr(struct qrun *r, size_t i, const struct ls_val *v)
{
	const struct ls_expr *e = r->exprs[i];
	const struct ls_val *text =
	    ls_val_string(r->a, r->text + e->off, e->end - e->off);
	int rc;

	if (text == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	rc = ls_buf_adds(&r->out, i ? ",{\"value\":" : "{\"value\":");
	if (rc == 0)
		rc = ls_val_to_json(&r->out, v);
	if (rc == 0)
		rc = ls_buf_adds(&r->out, ",\"text\":");
	if (rc == 0)
		rc = ls_val_to_json(&r->out, text);
	if (rc == 0)
		rc = ls_buf_addf(&r->out,
		    ",\"location\":{\"row\":%d,\"col\":"
		    "%d}}",
		    e->line, e->col);
	return rc;
}

static int
add_bindings(struct qrun *r, const struct ls_val *const *slots)
{
	struct ls_vlist k, v;
	const struct ls_val *obj, *name;
	int i;

	ls_vlist_init(&k, r->a);
	ls_vlist_init(&v, r->a);
	for (i = 0; i < r->nslots; i++) {
		if (r->names[i] == NULL || slots[i] == NULL)
			continue;
		if ((name = ls_val_cstring(r->a, r->names[i])) == NULL ||
		    ls_vlist_push(&k, name) || ls_vlist_push(&v, slots[i]))
			return ls_error_set(LS_ENOMEM, "out of memory");
	}
	if (k.n == 0)
		return 0;
	obj = ls_val_object(r->a, k.v, v.v, k.n, NULL);
	if (obj == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	if (ls_buf_adds(&r->out, ",\"bindings\":") != 0)
		return LS_ETOOBIG;
	return ls_val_to_json(&r->out, obj);
}

static int
on_solution(void *arg, const struct ls_val *const *slots,
    const struct ls_val *const *vals, size_t n)
{
	struct qrun *r = arg;
	size_t i;
	int rc;

	if (r->nresults == 0 && n > 0)
		r->first = vals[0] ? vals[0] : ls_val_bool(1);
	rc = ls_buf_adds(&r->out,
	    r->nresults++ ? ",{\"expressions\":[" : "{\"expressions\":[");
	for (i = 0; i < n && rc == 0; i++)
		rc = add_expr(r, i, vals[i] ? vals[i] : ls_val_bool(1));
	if (rc == 0)
		rc = ls_buf_addc(&r->out, ']');
	if (rc == 0)
		rc = add_bindings(r, slots);
	if (rc == 0)
		rc = ls_buf_addc(&r->out, '}');
	return rc;
}

static int
run(struct qrun *r, const struct ls_rego_policy *p, const char *query,
    const char *input, size_t input_len, const struct ls_rego_eval_opts *o)
{
	struct ls_eval_cfg cfg;
	const struct ls_val *in;
	int rc;

	memset(&cfg, 0, sizeof(cfg));
	r->text = query;
	if ((rc = ls_rego_parse_body(&r->q, r->a, "query", query, strlen(query),
		 1)) != 0)
		return rc;
	r->nexprs = r->q->n;
	r->exprs = ls_arena_alloc(r->a, (r->nexprs + 1) * sizeof(*r->exprs));
	if (r->exprs == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	memcpy(r->exprs, r->q->e, r->nexprs * sizeof(*r->exprs));
	if ((rc = ls_rego_resolve_query(p, r->a, r->q, NULL, &r->nslots,
		 &r->names)) != 0)
		return rc;
	if ((rc = parse_input(r, input, input_len,
		 o != NULL && o->input_is_rego,
		 o != NULL && o->strict_input ? LS_JSON_STRICT : 0, &in)) != 0)
		return rc;
	if ((rc = ls_rego_view_call(o, in)) != 0)
		return rc;
	cfg.input = in;
	if (o != NULL) {
		cfg.strict = o->strict_builtin_errors;
		cfg.max_steps = o->max_steps;
		cfg.timeout_ms = o->timeout_ms;
		cfg.print = o->print;
		cfg.print_arg = o->print_arg;
		cfg.cover = o->cover;
	}
	if (cfg.cover != NULL && (rc = ls_rego_cover_check(cfg.cover, p)) != 0)
		return rc;
	cfg.exprs = r->exprs;
	cfg.nexprs = r->nexprs;
	if (o != NULL && o->stats != NULL)
		cfg.steps_out = &o->stats->steps;
	return ls_eval_query(p, r->a, r->q, r->nslots, &cfg, on_solution, r);
}

static void
set_err(char **err_out)
{
	if (err_out != NULL) {
		free(*err_out);
		*err_out = strdup(ls_error_last());
	}
}

int
ls_rego_eval_query(char **out_json, const struct ls_rego_policy *p,
    const char *query, const char *input_json, size_t input_len,
    const struct ls_rego_eval_opts *opts, char **err_out)
{
	struct qrun r;
	int rc;

	memset(&r, 0, sizeof(r));
	*out_json = NULL;
	ls_buf_init(&r.out, MAX_RESULT_JSON);
	r.a = ls_arena_new(
	    opts && opts->max_memory ? opts->max_memory : DEFAULT_MEMORY);
	if (r.a == NULL)
		return LS_ENOMEM;
	rc = ls_buf_adds(&r.out, "{\"result\":[");
	if (rc == 0)
		rc = run(&r, p, query, input_json, input_len, opts);
	if (rc == 0)
		rc = ls_buf_adds(&r.out, r.nresults ? "]}" : "");
	if (rc == 0 && r.nresults == 0) {
		ls_buf_reset(&r.out);
		rc = ls_buf_adds(&r.out, "{}");
	}
	if (rc == 0)
		*out_json = ls_buf_take(&r.out, NULL);
	if (opts != NULL && opts->stats != NULL) {
		opts->stats->arena_bytes = ls_arena_peak(r.a);
		/* the arena itself, its chunks, the result buffer */
		opts->stats->allocations = ls_arena_chunks(r.a) + 2;
	}
	ls_buf_cleanup(&r.out);
	ls_arena_free(r.a);
	if (rc != 0) {
		set_err(err_out);
		return rc == LS_ENOMEM || rc == LS_ETOOBIG ? rc : LS_EREGO;
	}
	return *out_json ? 0 : LS_ENOMEM;
}

/* "a/b" -> data["a"]["b"] */
static int
path_query(struct ls_buf *b, const char *path)
{
	const char *seg = path;
	int rc = ls_buf_adds(b, "data");

	while (rc == 0 && *seg != '\0') {
		const char *end = strchr(seg, '/');
		size_t n = end ? (size_t)(end - seg) : strlen(seg);
		struct ls_val s;

		s.type = LS_VAL_STRING;
		s.u.str.p = seg;
		s.u.str.len = n;
		if (n > 0) {
			rc = ls_buf_addc(b, '[');
			if (rc == 0)
				rc = ls_val_to_json(b, &s);
			if (rc == 0)
				rc = ls_buf_addc(b, ']');
		}
		seg += n + (end != NULL);
	}
	return rc;
}

int
ls_rego_eval_path(char **out_json, const struct ls_rego_policy *p,
    const char *path, const char *input_json, size_t input_len, char **err_out)
{
	return ls_rego_eval_path_opts(out_json, p, path, input_json, input_len,
	    NULL, err_out);
}

int
ls_rego_eval_path_opts(char **out_json, const struct ls_rego_policy *p,
    const char *path, const char *input_json, size_t input_len,
    const struct ls_rego_eval_opts *opts, char **err_out)
{
	struct qrun r;
	struct ls_buf q, v;
	int rc;

	memset(&r, 0, sizeof(r));
	*out_json = NULL;
	ls_buf_init(&r.out, MAX_RESULT_JSON);
	ls_buf_init(&q, 1u << 16);
	ls_buf_init(&v, MAX_RESULT_JSON);
	r.a = ls_arena_new(DEFAULT_MEMORY);
	rc = r.a ? path_query(&q, path) : LS_ENOMEM;
	if (rc == 0)
		rc = run(&r, p, q.data, input_json, input_len, opts);
	if (rc == 0 && r.first == NULL)
		rc = ls_error_set(LS_ENOTFOUND, "data/%s is undefined", path);
	if (rc == 0 && (rc = ls_val_to_json(&v, r.first)) == 0)
		*out_json = ls_buf_take(&v, NULL);
	ls_buf_cleanup(&q);
	ls_buf_cleanup(&v);
	ls_buf_cleanup(&r.out);
	ls_arena_free(r.a);
	if (rc != 0)
		set_err(err_out);
	return rc;
}
