/*
 * parse_module.c - rego.parse_module(filename, source): the module's
 * syntax tree in OPA's JSON shape ({"package": {"path": [...]},
 * "imports": [...], "rules": [...]}, terms as {"type": ..., "value":
 * ...}).  Parsed as Rego v1, as OPA 1.x does (v0 for a v0 caller, as
 * OPA 0.x did); a parse error is the builtin's error.
 */
#include <string.h>

#include "lockstep/error.h"
#include "rego/ast.h"
#include "rego/builtins/internal.h"

#define PM_MAX_SRC (1u << 20) /* bytes of source this builtin parses */

struct pm {
	struct ls_arena *a;
	int oom;
};

static const struct ls_val *
str(struct pm *m, const char *s)
{
	const struct ls_val *v = ls_val_cstring(m->a, s);

	m->oom |= v == NULL;
	return v;
}

/* An object of the pairs keys[i]: vals[i] whose value is not NULL. */
static const struct ls_val *
obj(struct pm *m, size_t n, const char *const *keys,
    const struct ls_val *const *vals)
{
	const struct ls_val *k[8], *v[8];
	size_t i, j = 0;

	for (i = 0; i < n && j < 8; i++)
		if (vals[i] != NULL) {
			k[j] = str(m, keys[i]);
			v[j++] = vals[i];
		}
	if (m->oom)
		return NULL;
	v[0] = j ? ls_val_object(m->a, k, v, j, NULL) : ls_val_empty_object();
	m->oom |= v[0] == NULL;
	return v[0];
}

static const struct ls_val *
typed(struct pm *m, const char *type, const struct ls_val *value)
{
	const char *k[] = { "type", "value" };
	const struct ls_val *v[] = { str(m, type), value };

	return value ? obj(m, 2, k, v) : NULL;
}

static const struct ls_val *term(struct pm *m, const struct ls_term *t);
static const struct ls_val *body(struct pm *m, const struct ls_body *b);

static const struct ls_val *
terms(struct pm *m, struct ls_term *const *ts, size_t n, size_t step)
{
	struct ls_vlist l;
	size_t i;

	ls_vlist_init(&l, m->a);
	for (i = 0; i < n; i += step)
		m->oom |= ls_vlist_push(&l, term(m, ts[i])) != 0;
	return m->oom ? NULL : ls_val_array(m->a, l.v, l.n);
}

/* The operator of a call as a ref: "a.b" -> [var a, string b]. */
static const struct ls_val *
op_ref(struct pm *m, const char *name)
{
	struct ls_vlist l;
	const char *dot;
	int first = 1;

	ls_vlist_init(&l, m->a);
	for (;;) {
		size_t n = (dot = strchr(name, '.')) ? (size_t)(dot - name)
						     : strlen(name);
		const struct ls_val *s = ls_val_string(m->a, name, n);

		m->oom |= ls_vlist_push(&l,
			      typed(m, first ? "var" : "string", s)) != 0;
		first = 0;
		if (dot == NULL)
			break;
		name = dot + 1;
	}
	return m->oom ? NULL : typed(m, "ref", ls_val_array(m->a, l.v, l.n));
}

static const struct ls_val *
scalar(struct pm *m, const struct ls_val *v)
{
	switch (v->type) {
	case LS_VAL_NULL: return typed(m, "null", v);
	case LS_VAL_BOOL: return typed(m, "boolean", v);
	case LS_VAL_NUMBER: return typed(m, "number", v);
	case LS_VAL_STRING: return typed(m, "string", v);
	case LS_VAL_ARRAY: return typed(m, "array", v);
	case LS_VAL_SET: return typed(m, "set", v);
	default: return typed(m, "object", v);
	}
}

static const struct ls_val *
call(struct pm *m, const struct ls_term *t)
{
	struct ls_vlist l;
	size_t i;

	ls_vlist_init(&l, m->a);
	m->oom |= ls_vlist_push(&l, op_ref(m, t->name)) != 0;
	for (i = 0; i < t->n; i++)
		m->oom |= ls_vlist_push(&l, term(m, t->a[i])) != 0;
	return m->oom ? NULL : ls_val_array(m->a, l.v, l.n);
}

static const struct ls_val *
compr(struct pm *m, const struct ls_term *t)
{
	const char *k[] = { "key", "value", "term", "body" };
	const struct ls_val *v[4] = { NULL, NULL, NULL, body(m, t->body) };

	if (t->k == LS_T_OCOMP) {
		v[0] = term(m, t->key);
		v[1] = term(m, t->val);
	} else
		v[2] = term(m, t->val);
	return typed(m,
	    t->k == LS_T_ACOMP	     ? "arraycomprehension"
		: t->k == LS_T_SCOMP ? "setcomprehension"
				     : "objectcomprehension",
	    obj(m, 4, k, v));
}

static const struct ls_val *
object(struct pm *m, const struct ls_term *t)
{
	struct ls_vlist l;
	size_t i;

	ls_vlist_init(&l, m->a);
	for (i = 0; i + 1 < t->n; i += 2) {
		const struct ls_val *kv[2] = { term(m, t->a[i]),
			term(m, t->a[i + 1]) };

		m->oom |= kv[0] == NULL || kv[1] == NULL ||
		    ls_vlist_push(&l, ls_val_array(m->a, kv, 2)) != 0;
	}
	return m->oom ? NULL : typed(m, "object", ls_val_array(m->a, l.v, l.n));
}

static const struct ls_val *
term(struct pm *m, const struct ls_term *t)
{
	if (t == NULL || m->oom)
		return NULL;
	switch (t->k) {
	case LS_T_VAL: return scalar(m, t->v);
	case LS_T_VAR: return typed(m, "var", str(m, t->name));
	case LS_T_DATA: return typed(m, "var", str(m, "data"));
	case LS_T_INPUT: return typed(m, "var", str(m, "input"));
	case LS_T_REF: return typed(m, "ref", terms(m, t->a, t->n, 1));
	case LS_T_ARR: return typed(m, "array", terms(m, t->a, t->n, 1));
	case LS_T_SET: return typed(m, "set", terms(m, t->a, t->n, 1));
	case LS_T_OBJ: return object(m, t);
	case LS_T_CALL: return typed(m, "call", call(m, t));
	default: return compr(m, t);
	}
}

static const struct ls_val *
expr_terms(struct pm *m, const struct ls_expr *e)
{
	const struct ls_val *v[3];
	size_t i, n = 0;

	switch (e->k) {
	case LS_E_TERM:
		if (e->t[0]->k == LS_T_CALL)
			return call(m, e->t[0]);
		return term(m, e->t[0]);
	case LS_E_UNIFY:
	case LS_E_ASSIGN:
		v[n++] = op_ref(m, e->k == LS_E_UNIFY ? "eq" : "assign");
		v[n++] = term(m, e->t[0]);
		v[n++] = term(m, e->t[1]);
		break;
	case LS_E_SOME: return typed(m, "some", terms(m, e->vars, e->nvars, 1));
	default:
		for (i = 0; i < 3; i++)
			if (e->t[i] != NULL)
				v[n++] = term(m, e->t[i]);
		return typed(m, e->k == LS_E_EVERY ? "every" : "some",
		    m->oom ? NULL : ls_val_array(m->a, v, n));
	}
	return m->oom ? NULL : ls_val_array(m->a, v, n);
}

static const struct ls_val *
expr(struct pm *m, const struct ls_expr *e, size_t index)
{
	const char *k[] = { "index", "terms", "negated", "with" };
	const struct ls_val *v[4] = { ls_val_int(m->a, (int64_t)index),
		expr_terms(m, e), e->neg ? ls_val_bool(1) : NULL, NULL };
	struct ls_vlist l;
	size_t i;

	ls_vlist_init(&l, m->a);
	for (i = 0; i < e->nwith; i++) {
		const char *wk[] = { "target", "value" };
		const struct ls_val *wv[] = { term(m, e->with[i].target),
			term(m, e->with[i].value) };

		m->oom |= ls_vlist_push(&l, obj(m, 2, wk, wv)) != 0;
	}
	if (e->nwith && !m->oom)
		v[3] = ls_val_array(m->a, l.v, l.n);
	return obj(m, 4, k, v);
}

static const struct ls_val *
body(struct pm *m, const struct ls_body *b)
{
	struct ls_vlist l;
	size_t i;

	ls_vlist_init(&l, m->a);
	for (i = 0; b != NULL && i < b->n; i++)
		m->oom |= ls_vlist_push(&l, expr(m, b->e[i], i)) != 0;
	return m->oom ? NULL : ls_val_array(m->a, l.v, l.n);
}

static const struct ls_val *
rule(struct pm *m, const struct ls_rule *r)
{
	const char *hk[] = { "name", "ref", "args", "key", "value", "assign" };
	const char *rk[] = { "head", "body", "default", "else" };
	const struct ls_term *h = r->head;
	const struct ls_val *hv[6], *rv[4];

	hv[0] = str(m,
	    h->k == LS_T_VAR ? h->name
		: h->k == LS_T_REF && h->a[0]->k == LS_T_VAR
		? h->a[0]->name
		: r->path[r->npath - 1]);
	hv[1] = term(m, h);
	hv[1] = h->k == LS_T_REF ? terms(m, h->a, h->n, 1)
	    : hv[1]		 ? ls_val_array(m->a, &hv[1], 1)
				 : NULL;
	hv[2] = r->k == LS_R_FUNC ? terms(m, r->args, r->nargs, 1) : NULL;
	hv[3] = r->key ? term(m, r->key) : NULL;
	hv[4] = r->value ? term(m, r->value) : scalar(m, ls_val_bool(1));
	hv[5] = r->assign ? ls_val_bool(1) : NULL;
	rv[0] = obj(m, 6, hk, hv);
	rv[1] = body(m, r->body);
	rv[2] = r->is_default ? ls_val_bool(1) : NULL;
	rv[3] = r->els ? rule(m, r->els) : NULL;
	return obj(m, 4, rk, rv);
}

static const struct ls_val *
module(struct pm *m, const struct ls_module *mod)
{
	const char *mk[] = { "package", "imports", "rules" };
	const char *pk[] = { "path" };
	const struct ls_val *mv[3], *pv[1];
	struct ls_vlist l;
	size_t i;

	ls_vlist_init(&l, m->a);
	m->oom |= ls_vlist_push(&l, typed(m, "var", str(m, "data"))) != 0;
	for (i = 0; i < mod->npkg; i++)
		m->oom |=
		    ls_vlist_push(&l, typed(m, "string", str(m, mod->pkg[i])));
	pv[0] = m->oom ? NULL : ls_val_array(m->a, l.v, l.n);
	mv[0] = obj(m, 1, pk, pv);
	ls_vlist_init(&l, m->a);
	for (i = 0; i < mod->nimports; i++) {
		const char *ik[] = { "path", "alias" };
		const struct ls_val *iv[] = { term(m, mod->imports[i].ref),
			mod->imports[i].alias ? str(m, mod->imports[i].alias)
					      : NULL };

		m->oom |= ls_vlist_push(&l, obj(m, 2, ik, iv)) != 0;
	}
	mv[1] = mod->nimports && !m->oom ? ls_val_array(m->a, l.v, l.n) : NULL;
	ls_vlist_init(&l, m->a);
	for (i = 0; i < mod->nrules; i++)
		m->oom |= ls_vlist_push(&l, rule(m, mod->rules[i])) != 0;
	mv[2] = mod->nrules && !m->oom ? ls_val_array(m->a, l.v, l.n) : NULL;
	return obj(m, 3, mk, mv);
}

int
ls_bi_rego_parse_module(BI_ARGS)
{
	struct pm m = { ctx->arena, 0 };
	struct ls_module *mod = NULL;
	const char *file, *src;
	size_t flen, slen;
	char *name;
	const char *msg;
	int rc;

	(void)nargs;
	if ((rc = bi_arg_str(ctx, args, 0, &file, &flen)) != 0 ||
	    (rc = bi_arg_str(ctx, args, 1, &src, &slen)) != 0)
		return rc;
	if (slen > PM_MAX_SRC)
		return ls_bi_error(ctx, "module larger than %u bytes",
		    PM_MAX_SRC);
	if ((name = ls_arena_strndup(ctx->arena, file, flen)) == NULL)
		return LS_BI_ENOMEM;
	if (ls_rego_parse_module(&mod, ctx->arena, name, src, slen,
		ctx->v0 ? 0 : 1) != 0) {
		msg = ls_error_last();
		/* "FILE:L:C: rego_parse_error: why", as OPA words it */
		return ls_bi_error(ctx, "%s", msg);
	}
	return bi_ret(out, module(&m, mod));
}
