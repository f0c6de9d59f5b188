/* resolve.c - name resolution: vars to frame slots, rule names and
 * imports to data refs, calls to builtins and functions. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lockstep/error.h"
#include "rego/compile.h"
#include "rego/resolve.h"

static int
rs_fail(struct rs *r, const struct ls_term *t, const char *code,
    const char *fmt, ...)
{
	char msg[300];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return ls_error_set(LS_EREGO, "%s:%d:%d: %s: %s", r->file,
	    t ? t->line : 0, t ? t->col : 0, code, msg);
}

int
ls_rs_new_slot(struct rs *r, const char *name, int wild)
{
	if (r->nslots == r->cap) {
		int cap = r->cap ? r->cap * 2 : 16;
		const char **n = ls_arena_alloc(r->a, (size_t)cap * sizeof(*n));
		char *w = ls_arena_alloc(r->a, (size_t)cap);

		if (n == NULL || w == NULL || cap > 1000000)
			return ls_error_set(LS_ENOMEM, "out of memory");
		if (r->nslots) {
			memcpy(n, r->names, (size_t)r->nslots * sizeof(*n));
			memcpy(w, r->wild, (size_t)r->nslots);
		}
		r->names = n;
		r->wild = w;
		r->cap = cap;
	}
	r->names[r->nslots] = name;
	r->wild[r->nslots] = (char)wild;
	return r->nslots++;
}

static int
declare(struct rs *r, const char *name)
{
	struct scope *s = r->sc;
	int slot;

	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 8;
		const char **n = ls_arena_alloc(r->a, cap * sizeof(*n));
		int *sl = ls_arena_alloc(r->a, cap * sizeof(*sl));

		if (n == NULL || sl == NULL)
			return ls_error_set(LS_ENOMEM, "out of memory");
		if (s->n) {
			memcpy(n, s->names, s->n * sizeof(*n));
			memcpy(sl, s->slots, s->n * sizeof(*sl));
		}
		s->names = n;
		s->slots = sl;
		s->cap = cap;
	}
	if ((slot = ls_rs_new_slot(r, name, 0)) < 0)
		return slot;
	s->names[s->n] = name;
	s->slots[s->n++] = slot;
	return slot;
}

static int
lookup_in(const struct scope *s, const char *name)
{
	size_t i;

	for (i = s->n; i-- > 0;)
		if (strcmp(s->names[i], name) == 0)
			return s->slots[i];
	return -1;
}

static int
lookup(const struct rs *r, const char *name)
{
	const struct scope *s;
	int slot;

	for (s = r->sc; s != NULL; s = s->up)
		if ((slot = lookup_in(s, name)) >= 0)
			return slot;
	return -1;
}

static const struct ls_import *
find_import(const struct rs *r, const char *name)
{
	size_t i;

	if (r->mod == NULL)
		return NULL;
	for (i = 0; i < r->mod->nimports; i++)
		if (r->mod->imports[i].alias != NULL &&
		    strcmp(r->mod->imports[i].alias, name) == 0)
			return &r->mod->imports[i];
	return NULL;
}

static struct ls_node *
pkg_rule(const struct rs *r, const char *name)
{
	struct ls_node *n;

	if (r->pkg == NULL)
		return NULL;
	n = ls_node_find(r->p->root, r->pkg, r->npkg);
	n = n ? ls_node_child(n, name, strlen(name)) : NULL;
	return n != NULL && (n->nrules || n->dflt || n->has_rules) ? n : NULL;
}

/* Is name global here (root, import, rule of the package)? */
static int
is_global(const struct rs *r, const char *name)
{
	if (strcmp(name, "input") == 0 || strcmp(name, "data") == 0)
		return 1;
	return find_import(r, name) != NULL || pkg_rule(r, name) != NULL;
}

static struct ls_term *
mk(struct rs *r, enum ls_tk k, const struct ls_term *at, size_t n)
{
	struct ls_term *t = ls_arena_alloc(r->a, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->k = k;
	t->line = at->line;
	t->col = at->col;
	t->slot = -1;
	if (n > 0 && (t->a = ls_arena_alloc(r->a, n * sizeof(*t->a))) == NULL)
		return NULL;
	t->n = n;
	return t;
}

static struct ls_term *
str_term(struct rs *r, const struct ls_term *at, const char *s)
{
	struct ls_term *t = mk(r, LS_T_VAL, at, 0);

	if (t != NULL && (t->v = ls_val_string_ref(r->a, s, strlen(s))) == NULL)
		return NULL;
	return t;
}

/* A data ref for path[0..n) (without the data root). */
static struct ls_term *
data_ref(struct rs *r, const struct ls_term *at, const char *const *path,
    size_t n)
{
	struct ls_term *t = mk(r, LS_T_REF, at, n + 1);
	size_t i;

	if (t == NULL || (t->a[0] = mk(r, LS_T_DATA, at, 0)) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		if ((t->a[i + 1] = str_term(r, at, path[i])) == NULL)
			return NULL;
	return t;
}

/* The resolved ref an import stands for. */
static struct ls_term *
import_ref(struct rs *r, const struct ls_import *im, const struct ls_term *at)
{
	const struct ls_term *x = im->ref;
	size_t n = x->k == LS_T_REF ? x->n : 1, i;
	struct ls_term *t = mk(r, LS_T_REF, at, n);

	if (t == NULL)
		return NULL;
	t->a[0] = mk(r,
	    strcmp(x->k == LS_T_REF ? x->a[0]->name : x->name, "input") == 0
		? LS_T_INPUT
		: LS_T_DATA,
	    at, 0);
	if (t->a[0] == NULL)
		return NULL;
	for (i = 1; i < n; i++)
		t->a[i] = x->a[i];
	return t;
}

/* Resolve a bare var name to a slot or a ref. */
static int
res_var(struct rs *r, struct ls_term **tp)
{
	struct ls_term *t = *tp, *x;
	const struct ls_import *im;
	int slot;

	if (strcmp(t->name, "_") == 0) {
		if ((slot = ls_rs_new_slot(r, NULL, 1)) < 0)
			return slot;
		t->slot = slot;
		return 0;
	}
	if ((slot = lookup(r, t->name)) >= 0) {
		t->slot = slot;
		return 0;
	}
	if (strcmp(t->name, "input") == 0 || strcmp(t->name, "data") == 0) {
		x = mk(r, LS_T_REF, t, 1);
		if (x == NULL ||
		    (x->a[0] = mk(r, t->name[0] == 'i' ? LS_T_INPUT : LS_T_DATA,
			 t, 0)) == NULL)
			return LS_ENOMEM;
	} else if ((im = find_import(r, t->name)) != NULL) {
		if ((x = import_ref(r, im, t)) == NULL)
			return LS_ENOMEM;
	} else if (pkg_rule(r, t->name) != NULL) {
		const char **path =
		    ls_arena_alloc(r->a, (r->npkg + 1) * sizeof(*path));

		if (path == NULL)
			return LS_ENOMEM;
		memcpy(path, r->pkg, r->npkg * sizeof(*path));
		path[r->npkg] = t->name;
		if ((x = data_ref(r, t, path, r->npkg + 1)) == NULL)
			return LS_ENOMEM;
	} else {
		if ((slot = declare(r, t->name)) < 0)
			return slot;
		t->slot = slot;
		return 0;
	}
	*tp = x;
	return 0;
}

static int res_term(struct rs *r, struct ls_term **tp);

static int
res_ref(struct rs *r, struct ls_term **tp)
{
	struct ls_term *t = *tp, *h, *x;
	size_t i;
	int rc;

	for (i = 1; i < t->n; i++)
		if ((rc = res_term(r, &t->a[i])) != 0)
			return rc;
	if ((rc = res_term(r, &t->a[0])) != 0)
		return rc;
	h = t->a[0];
	if (h->k != LS_T_REF)
		return 0;
	x = mk(r, LS_T_REF, t, h->n + t->n - 1);
	if (x == NULL)
		return LS_ENOMEM;
	memcpy(x->a, h->a, h->n * sizeof(*x->a));
	memcpy(x->a + h->n, t->a + 1, (t->n - 1) * sizeof(*x->a));
	*tp = x;
	return 0;
}

/* Find a user function by dotted name; NULL if none. */
static struct ls_node *
find_func(struct rs *r, const char *name)
{
	const char *segs[64];
	char buf[512];
	size_t n = 0, len = strlen(name), i, base = 0;
	const struct ls_import *im;
	struct ls_node *node;
	char *s;

	if (len >= sizeof(buf))
		return NULL;
	memcpy(buf, name, len + 1);
	for (s = buf; n < 64;) {
		segs[n++] = s;
		if ((s = strchr(s, '.')) == NULL)
			break;
		*s++ = '\0';
	}
	if (strcmp(segs[0], "data") == 0)
		return ls_node_find(r->p->root, segs + 1, n - 1);
	if ((im = find_import(r, segs[0])) != NULL && im->ref->k == LS_T_REF) {
		const char *full[80];

		for (i = 1; i < im->ref->n && base < 64; i++)
			if (im->ref->a[i]->k == LS_T_VAL &&
			    im->ref->a[i]->v->type == LS_VAL_STRING)
				full[base++] = im->ref->a[i]->v->u.str.p;
		for (i = 1; i < n && base < 80; i++)
			full[base++] = segs[i];
		return ls_node_find(r->p->root, full, base);
	}
	if (r->pkg == NULL)
		return NULL;
	node = ls_node_find(r->p->root, r->pkg, r->npkg);
	for (i = 0; node != NULL && i < n; i++)
		node = ls_node_child(node, segs[i], strlen(segs[i]));
	return node;
}

/* Builtins that Rego v1 modules may no longer call (OPA 1.x). */
static int
deprecated(const char *name)
{
	static const char *const names[] = {
		"all",
		"any",
		"re_match",
		"set_diff",
		"net.cidr_overlap",
		"cast_array",
		"cast_set",
		"cast_string",
		"cast_boolean",
		"cast_null",
		"cast_object",
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(name, names[i]) == 0)
			return 1;
	return 0;
}

/* v1: `input := ..` or `some data` would hide a root document. */
static int
shadows_root(struct rs *r, const struct ls_term *t)
{
	if (r->mod == NULL || r->mod->version != 1)
		return 0;
	if (strcmp(t->name, "input") != 0 && strcmp(t->name, "data") != 0)
		return 0;
	return rs_fail(r, t, "rego_compile_error",
	    "variables must not "
	    "shadow %s (use a different variable name)",
	    t->name);
}

int
ls_rs_call_target(struct rs *r, struct ls_term *t, size_t nargs)
{
	struct ls_node *fn;
	int arity;

	if (strcmp(t->name, "internal.member_2") == 0) {
		t->op = LS_OP_MEMBER2;
		return 0;
	}
	if (strcmp(t->name, "internal.member_3") == 0) {
		t->op = LS_OP_MEMBER3;
		return 0;
	}
	if (strcmp(t->name, "rego.metadata.rule") == 0 ||
	    strcmp(t->name, "rego.metadata.chain") == 0) {
		t->op = t->name[14] == 'r' ? LS_OP_META_RULE : LS_OP_META_CHAIN;
		if (nargs > 1)
			return rs_fail(r, t, "rego_type_error",
			    "%s: arity "
			    "mismatch: expected 0 arguments, got %zu",
			    t->name, nargs);
		return 0;
	}
	fn = find_func(r, t->name);
	if (fn != NULL && fn->k == LS_R_FUNC && fn->nrules + (fn->dflt != 0)) {
		t->fn = fn;
		arity = fn->nargs;
	} else if ((t->bi = ls_bi_lookup(t->name, strlen(t->name))) != NULL) {
		arity = t->bi->arity;
		if (r->mod != NULL && r->mod->version == 1 &&
		    deprecated(t->name))
			return rs_fail(r, t, "rego_type_error",
			    "deprecated "
			    "built-in function calls in expression: %s",
			    t->name);
	} else if (r->p != NULL && r->p->allow_undef_funcs) {
		t->op = LS_OP_UNDEF_FUNC;
		return 0;
	} else
		return rs_fail(r, t, "rego_type_error", "undefined function %s",
		    t->name);
	if (arity >= 0 && nargs != (size_t)arity && nargs != (size_t)arity + 1)
		return rs_fail(r, t, "rego_type_error",
		    "%s: arity mismatch: "
		    "expected %d arguments, got %zu",
		    t->name, arity, nargs);
	return 0;
}

static int res_body(struct rs *r, struct ls_body *b);

static int
push_scope(struct rs *r, struct scope *s)
{
	memset(s, 0, sizeof(*s));
	s->up = r->sc;
	r->sc = s;
	return r->nslots;
}

static int
res_compr(struct rs *r, struct ls_term *t)
{
	struct scope s;
	int rc;

	t->lo = push_scope(r, &s);
	rc = res_body(r, t->body);
	if (rc == 0 && t->key != NULL)
		rc = res_term(r, &t->key);
	if (rc == 0)
		rc = res_term(r, &t->val);
	r->sc = s.up;
	t->hi = r->nslots;
	return rc;
}

static int
res_term(struct rs *r, struct ls_term **tp)
{
	struct ls_term *t = *tp;
	size_t i;
	int rc;

	switch (t->k) {
	case LS_T_VAR: return res_var(r, tp);
	case LS_T_REF: return res_ref(r, tp);
	case LS_T_ACOMP:
	case LS_T_SCOMP:
	case LS_T_OCOMP: return res_compr(r, t);
	case LS_T_CALL:
		if ((rc = ls_rs_call_target(r, t, t->n)) != 0)
			return rc;
		/* FALLTHROUGH */
	case LS_T_ARR:
	case LS_T_OBJ:
	case LS_T_SET:
		for (i = 0; i < t->n; i++)
			if ((rc = res_term(r, &t->a[i])) != 0)
				return rc;
		return 0;
	default: return 0;
	}
}

/* Declare the pattern vars of an assignment's left side. */
static int
declare_pattern(struct rs *r, const struct ls_term *t)
{
	size_t i;
	int rc;

	if (t->k == LS_T_VAR && strcmp(t->name, "_") != 0) {
		if ((rc = shadows_root(r, t)) != 0)
			return rc;
		if (lookup_in(r->sc, t->name) >= 0)
			return rs_fail(r, t, "rego_compile_error",
			    "var %s assigned above", t->name);
		return declare(r, t->name) < 0 ? LS_ENOMEM : 0;
	}
	if (t->k == LS_T_ARR || t->k == LS_T_OBJ)
		for (i = t->k == LS_T_OBJ ? 1 : 0; i < t->n;
		     i += t->k == LS_T_OBJ ? 2 : 1)
			if ((rc = declare_pattern(r, t->a[i])) != 0)
				return rc;
	return 0;
}

static int
pattern_has(const struct ls_term *t, const char *name)
{
	size_t i;

	if (t == NULL)
		return 0;
	if (t->k == LS_T_VAR)
		return strcmp(t->name, name) == 0;
	if (t->k == LS_T_ARR || t->k == LS_T_OBJ)
		for (i = t->k == LS_T_OBJ ? 1 : 0; i < t->n;
		     i += t->k == LS_T_OBJ ? 2 : 1)
			if (pattern_has(t->a[i], name))
				return 1;
	return 0;
}

/* Is name declared by `:=` or `some` somewhere in the current body? */
static int
declared_later(const struct rs *r, const char *name)
{
	const struct ls_body *b = r->sc->body;
	size_t i, j;

	for (i = 0; b != NULL && i < b->n; i++) {
		const struct ls_expr *e = b->e[i];

		if (e->k == LS_E_ASSIGN && pattern_has(e->t[0], name))
			return 1;
		if (e->k == LS_E_SOMEIN &&
		    (pattern_has(e->t[0], name) || pattern_has(e->t[1], name)))
			return 1;
		for (j = 0; e->k == LS_E_SOME && j < e->nvars; j++)
			if (strcmp(e->vars[j]->name, name) == 0)
				return 1;
	}
	return 0;
}

/* Function arguments are always local, whatever rules are named. */
static int
declare_args(struct rs *r, const struct ls_term *t)
{
	size_t i;
	int rc;

	if (t->k == LS_T_VAR) {
		if (strcmp(t->name, "_") == 0 || lookup_in(r->sc, t->name) >= 0)
			return 0;
		return declare(r, t->name) < 0 ? LS_ENOMEM : 0;
	}
	if (t->k == LS_T_ARR || t->k == LS_T_OBJ || t->k == LS_T_SET)
		for (i = 0; i < t->n; i++)
			if ((rc = declare_args(r, t->a[i])) != 0)
				return rc;
	return 0;
}

/* Declare implicit vars of a term that are not known yet. */
static int
declare_implicit(struct rs *r, const struct ls_term *t)
{
	size_t i;
	int rc;

	switch (t->k) {
	case LS_T_VAR:
		if (strcmp(t->name, "_") != 0 && lookup(r, t->name) < 0 &&
		    !is_global(r, t->name) && !declared_later(r, t->name))
			return declare(r, t->name) < 0 ? LS_ENOMEM : 0;
		return 0;
	case LS_T_REF:
	case LS_T_ARR:
	case LS_T_OBJ:
	case LS_T_SET:
	case LS_T_CALL:
		for (i = 0; i < t->n; i++)
			if ((rc = declare_implicit(r, t->a[i])) != 0)
				return rc;
		return 0;
	default: return 0;
	}
}

static int
declare_expr(struct rs *r, struct ls_expr *e)
{
	size_t i;
	int rc = 0;

	switch (e->k) {
	case LS_E_SOME:
		for (i = 0; i < e->nvars && rc == 0; i++)
			if ((rc = shadows_root(r, e->vars[i])) == 0)
				rc = declare(r, e->vars[i]->name) < 0
				    ? LS_ENOMEM
				    : 0;
		return rc;
	case LS_E_ASSIGN: return declare_pattern(r, e->t[0]);
	case LS_E_SOMEIN:
		if (e->t[0] != NULL && (rc = declare_pattern(r, e->t[0])) != 0)
			return rc;
		return declare_pattern(r, e->t[1]);
	default: return 0;
	}
}

/* "a.b.c" for a var or a ref of a var and string operands, else NULL. */
static const char *
dotted(struct rs *r, const struct ls_term *t)
{
	char buf[512];
	size_t n = 0, i, len;
	const char *s;

	if (t->k == LS_T_VAR)
		return t->name;
	if (t->k != LS_T_REF || t->a[0]->k != LS_T_VAR)
		return NULL;
	for (i = 0; i < t->n; i++) {
		if (i == 0)
			s = t->a[0]->name;
		else if (t->a[i]->k == LS_T_VAL &&
		    t->a[i]->v->type == LS_VAL_STRING)
			s = t->a[i]->v->u.str.p;
		else
			return NULL;
		len = strlen(s);
		if (n + len + 2 >= sizeof(buf))
			return NULL;
		if (i > 0)
			buf[n++] = '.';
		memcpy(buf + n, s, len);
		n += len;
	}
	return ls_arena_strndup(r->a, buf, n);
}

/* A call term (no args) naming the function t refers to, or NULL. */
static struct ls_term *
func_term(struct rs *r, const struct ls_term *t)
{
	const char *name = dotted(r, t);
	struct ls_node *fn;
	struct ls_term *c;

	if (name == NULL || (t->k == LS_T_VAR && lookup(r, name) >= 0))
		return NULL;
	if ((c = mk(r, LS_T_CALL, t, 0)) == NULL)
		return NULL;
	c->name = name;
	fn = find_func(r, name);
	if (fn != NULL && fn->k == LS_R_FUNC && (fn->nrules || fn->dflt))
		c->fn = fn;
	else if ((c->bi = ls_bi_lookup(name, strlen(name))) == NULL)
		return NULL;
	return c;
}

/* Does a name, not a local var, stand for an import or a rule of the
 * package (so a with target may start with it)? */
static int
global_ref(struct rs *r, const char *name)
{
	if (*name == '\0' || lookup(r, name) >= 0)
		return 0;
	return find_import(r, name) != NULL || pkg_rule(r, name) != NULL;
}

static int
bad_target(struct rs *r, const struct ls_term *t)
{
	return rs_fail(r, t, "rego_compile_error",
	    "with keyword target must reference existing input, data, or a "
	    "function");
}

static int
res_with(struct rs *r, struct ls_with *w)
{
	struct ls_term *t = w->target, *c;
	const char *h = t->k == LS_T_VAR		 ? t->name
	    : t->k == LS_T_REF && t->a[0]->k == LS_T_VAR ? t->a[0]->name
							 : "";
	int rc;

	if (strcmp(h, "input") == 0) {
		if ((rc = res_term(r, &w->target)) != 0)
			return rc;
	} else if ((c = func_term(r, t)) != NULL)
		w->target = c;
	else if (strcmp(h, "data") == 0 || global_ref(r, h)) {
		if ((rc = res_term(r, &w->target)) != 0)
			return rc;
		if (w->target->k != LS_T_REF ||
		    (w->target->a[0]->k != LS_T_DATA &&
			w->target->a[0]->k != LS_T_INPUT))
			return bad_target(r, t);
	} else
		return bad_target(r, t);
	if ((c = func_term(r, w->value)) != NULL &&
	    !(w->value->k == LS_T_REF &&
		strcmp(w->value->a[0]->name, "data") != 0 && c->fn == NULL &&
		c->bi == NULL)) {
		w->value = c;
		return 0;
	}
	return res_term(r, &w->value);
}

static int
res_every(struct rs *r, struct ls_expr *e)
{
	struct scope s;
	int rc;

	if ((rc = res_term(r, &e->t[2])) != 0)
		return rc;
	e->lo = push_scope(r, &s);
	if (e->t[0] != NULL && (rc = declare_pattern(r, e->t[0])) == 0)
		rc = res_term(r, &e->t[0]);
	if (rc == 0 && (rc = declare_pattern(r, e->t[1])) == 0)
		rc = res_term(r, &e->t[1]);
	if (rc == 0)
		rc = res_body(r, e->body);
	r->sc = s.up;
	e->hi = r->nslots;
	return rc;
}

static int
res_expr(struct rs *r, struct ls_expr *e)
{
	size_t i;
	int rc = 0;

	switch (e->k) {
	case LS_E_EVERY: rc = res_every(r, e); break;
	case LS_E_SOME:
		for (i = 0; i < e->nvars && rc == 0; i++)
			if ((e->vars[i]->slot = declare(r, e->vars[i]->name)) <
			    0)
				rc = LS_ENOMEM;
		break;
	case LS_E_ASSIGN:
		if ((rc = res_term(r, &e->t[1])) == 0 &&
		    (rc = declare_expr(r, e)) == 0)
			rc = res_term(r, &e->t[0]);
		break;
	case LS_E_SOMEIN:
		if ((rc = res_term(r, &e->t[2])) == 0 &&
		    (rc = declare_expr(r, e)) == 0 && e->t[0] != NULL)
			rc = res_term(r, &e->t[0]);
		if (rc == 0)
			rc = res_term(r, &e->t[1]);
		break;
	default:
		for (i = 0; i < 3 && rc == 0; i++)
			if (e->t[i] != NULL)
				rc = res_term(r, &e->t[i]);
	}
	for (i = 0; i < e->nwith && rc == 0; i++)
		rc = res_with(r, &e->with[i]);
	return rc;
}

static int
res_body(struct rs *r, struct ls_body *b)
{
	size_t i, j;
	int rc;

	r->sc->body = b;
	for (i = 0; i < b->n; i++) {
		struct ls_expr *e = b->e[i];

		for (j = 0; j < 3; j++) {
			if (e->t[j] == NULL || e->k == LS_E_SOME ||
			    (e->k == LS_E_EVERY && j < 2) ||
			    (e->k == LS_E_ASSIGN && j == 0) ||
			    (e->k == LS_E_SOMEIN && j < 2))
				continue;
			if ((rc = declare_implicit(r, e->t[j])) != 0)
				return rc;
		}
	}
	for (i = 0; i < b->n; i++)
		if ((rc = res_expr(r, b->e[i])) != 0)
			return rc;
	return 0;
}

static void
rs_init(struct rs *r, const struct ls_rego_policy *p, struct ls_arena *a,
    const struct ls_module *m, const char *const *pkg, size_t npkg)
{
	memset(r, 0, sizeof(*r));
	r->p = p;
	r->a = a;
	r->mod = m;
	r->pkg = pkg;
	r->npkg = npkg;
	r->file = m ? m->file : "query";
}

/* A call in a function's argument pattern, f($"{x}") or f(x + 1), is
 * moved into the body as OPA does: the argument becomes a var, and the
 * body ends by unifying it with the call. */
static int
lift_arg_call(struct rs *r, struct ls_rule *rule, struct ls_term **tp)
{
	struct ls_term *t = *tp, *v;
	struct ls_expr *e, **ev;
	char name[40];
	size_t i;
	int rc;

	if (t->k == LS_T_ARR || t->k == LS_T_OBJ || t->k == LS_T_SET) {
		for (i = 0; i < t->n; i++)
			if ((rc = lift_arg_call(r, rule, &t->a[i])) != 0)
				return rc;
		return 0;
	}
	if (t->k != LS_T_CALL)
		return 0;
	v = ls_arena_alloc(r->a, sizeof(*v));
	e = ls_arena_alloc(r->a, sizeof(*e));
	ev = ls_arena_alloc(r->a, (rule->body->n + 1) * sizeof(*ev));
	snprintf(name, sizeof(name), "$arg%d.%d", t->line, t->col);
	if (v == NULL || e == NULL || ev == NULL ||
	    (v->name = ls_arena_strndup(r->a, name, strlen(name))) == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	v->k = LS_T_VAR;
	v->slot = -1;
	v->line = e->line = t->line;
	v->col = e->col = t->col;
	e->k = LS_E_UNIFY;
	e->t[0] = v;
	e->t[1] = t;
	if (rule->body->n)
		memcpy(ev, rule->body->e, rule->body->n * sizeof(*ev));
	ev[rule->body->n] = e;
	rule->body->e = ev;
	rule->body->n++;
	*tp = v;
	return 0;
}

int
ls_rego_resolve_rule(struct ls_rego_policy *p, struct ls_arena *a,
    struct ls_rule *rule)
{
	struct rs r;
	struct scope s;
	size_t i;
	int rc = 0;

	rs_init(&r, p, a, rule->mod, rule->mod->pkg, rule->mod->npkg);
	push_scope(&r, &s);
	for (i = 0; i < rule->nargs && rc == 0; i++)
		rc = lift_arg_call(&r, rule, &rule->args[i]);
	for (i = 0; i < rule->nargs && rc == 0; i++)
		rc = declare_args(&r, rule->args[i]);
	if (rc == 0)
		rc = res_body(&r, rule->body);
	for (i = 0; i < rule->nargs && rc == 0; i++)
		rc = res_term(&r, &rule->args[i]);
	if (rc == 0 && rule->key != NULL) {
		if ((rc = declare_implicit(&r, rule->key)) == 0)
			rc = res_term(&r, &rule->key);
	}
	for (i = 0; i < rule->nkeys && rc == 0; i++)
		if ((rc = declare_implicit(&r, rule->keys[i])) == 0)
			rc = res_term(&r, &rule->keys[i]);
	if (rc == 0 && rule->value != NULL) {
		if ((rc = declare_implicit(&r, rule->value)) == 0)
			rc = res_term(&r, &rule->value);
	}
	if (rc == 0)
		rc = ls_rs_order_rule(&r, rule);
	if (rc == 0)
		rc = ls_rs_hoist_rule(&r, rule);
	rule->nslots = r.nslots;
	return rc;
}

int
ls_rego_resolve_query(const struct ls_rego_policy *p, struct ls_arena *a,
    struct ls_body *q, const char *pkg, int *nslots_out,
    const char ***names_out)
{
	struct rs r;
	struct scope s;
	const char *segs[1] = { pkg };
	int rc;

	rs_init(&r, p, a, NULL, pkg ? segs : NULL, pkg ? 1 : 0);
	push_scope(&r, &s);
	if ((rc = res_body(&r, q)) != 0)
		return rc;
	if ((rc = ls_rs_order_body(&r, q, NULL)) != 0)
		return rc;
	if ((rc = ls_rs_hoist_body(&r, q)) != 0)
		return rc;
	*nslots_out = r.nslots;
	*names_out = r.names;
	return 0;
}
