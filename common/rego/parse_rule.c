/* parse_rule.c - Rego rules, packages, imports and modules. */
#include <stdio.h>
#include <string.h>

#include "lockstep/error.h"
#include "rego/annot.h"
#include "rego/parse.h"

/* Rules and modules ------------------------------------------------------ */

static int
ref_segment(const struct ls_term *x, const char **out)
{
	if (x->k == LS_T_VAL && x->v->type == LS_VAL_STRING) {
		*out = x->v->u.str.p;
		return 0;
	}
	return -1;
}

/* r->path = pkg + head var + string operands [1, upto). */
static int
head_path(struct ps *p, struct ls_rule *r, const struct ls_module *m,
    const struct ls_term *head, size_t upto)
{
	size_t i, n = m->npkg + upto;
	const char **path = ls_arena_alloc(p->a, (n + 1) * sizeof(*path));

	if (path == NULL)
		return LS_ENOMEM;
	memcpy(path, m->pkg, m->npkg * sizeof(*path));
	if (head->k == LS_T_VAR) {
		path[m->npkg] = head->name;
	} else {
		if (head->a[0]->k != LS_T_VAR)
			return ls_ps_fail(p, "invalid rule head");
		path[m->npkg] = head->a[0]->name;
		for (i = 1; i < upto; i++)
			if (ref_segment(head->a[i], &path[m->npkg + i]) != 0)
				return ls_error_set(LS_EREGO,
				    "%s:%d:%d: "
				    "rego_parse_error: rule head refs with "
				    "variables are not supported",
				    p->file, head->line, head->col);
	}
	r->path = path;
	r->npath = n;
	return 0;
}

static int
split_name(struct ps *p, struct ls_rule *r, const struct ls_module *m,
    const char *name)
{
	size_t n = m->npkg, i = 0;
	const char *s = name, *dot;
	const char **path;

	for (dot = name; *dot; dot++)
		n += *dot == '.';
	path = ls_arena_alloc(p->a, (n + 1) * sizeof(*path));
	if (path == NULL)
		return LS_ENOMEM;
	memcpy(path, m->pkg, m->npkg * sizeof(*path));
	i = m->npkg;
	while ((dot = strchr(s, '.')) != NULL) {
		if ((path[i++] = ls_arena_strndup(p->a, s,
			 (size_t)(dot - s))) == NULL)
			return LS_ENOMEM;
		s = dot + 1;
	}
	path[i++] = s;
	r->path = path;
	r->npath = i;
	return 0;
}

/* Index of the first operand of a head ref that is not a string. */
static size_t
first_dynamic(const struct ls_term *h, size_t nops)
{
	size_t j;

	for (j = 1; j < nops; j++)
		if (!(h->a[j]->k == LS_T_VAL &&
			h->a[j]->v->type == LS_VAL_STRING))
			return j;
	return nops;
}

static int
rule_kind(struct ps *p, struct ls_rule *r, const struct ls_module *m,
    int contains)
{
	struct ls_term *h = r->head, *last;
	size_t nops, j;

	if (h->k == LS_T_CALL) {
		r->k = LS_R_FUNC;
		r->args = h->a;
		r->nargs = h->n;
		return split_name(p, r, m, h->name);
	}
	if (h->k != LS_T_VAR && (h->k != LS_T_REF || h->a[0]->k != LS_T_VAR))
		return ls_error_set(LS_EREGO,
		    "%s:%d:%d: rego_parse_error: "
		    "invalid rule head",
		    p->file, h->line, h->col);
	nops = h->k == LS_T_REF ? h->n : 1;
	j = h->k == LS_T_REF ? first_dynamic(h, nops) : nops;
	last = nops > 1 ? h->a[nops - 1] : NULL;
	if (contains) {
		r->k = LS_R_SET;
		if (j < nops) {
			r->keys = &h->a[j];
			r->nkeys = nops - j;
		}
		return head_path(p, r, m, h, j);
	}
	/* v0: `p[x] { ... }` (no value, no if) is a partial set. */
	if (last != NULL && r->value == NULL && r->mod->version == 0 &&
	    !ls_ps_is_kw(p, "if") && j >= nops - 1 &&
	    !(last->name != NULL && strcmp(last->name, ".") == 0)) {
		r->k = LS_R_SET;
		r->key = last;
		return head_path(p, r, m, h, nops - 1);
	}
	if (j < nops) {
		r->k = LS_R_OBJ;
		if (j == nops - 1)
			r->key = last;
		else {
			r->keys = &h->a[j];
			r->nkeys = nops - j;
		}
		return head_path(p, r, m, h, j);
	}
	r->k = LS_R_COMPLETE;
	return head_path(p, r, m, h, nops);
}

/* Deep copies, so that else branches and extra bodies, which share a
 * head, each get terms of their own to resolve. */
static struct ls_body *clone_body(struct ps *p, const struct ls_body *b);

static struct ls_term *
clone_term(struct ps *p, const struct ls_term *t)
{
	struct ls_term *c;
	size_t i;

	if (t == NULL || (c = ls_arena_alloc(p->a, sizeof(*c))) == NULL)
		return NULL;
	*c = *t;
	if (t->n > 0 &&
	    (c->a = ls_arena_alloc(p->a, t->n * sizeof(*c->a))) == NULL)
		return NULL;
	for (i = 0; i < t->n; i++)
		if ((c->a[i] = clone_term(p, t->a[i])) == NULL)
			return NULL;
	if ((t->key && (c->key = clone_term(p, t->key)) == NULL) ||
	    (t->val && (c->val = clone_term(p, t->val)) == NULL) ||
	    (t->body && (c->body = clone_body(p, t->body)) == NULL))
		return NULL;
	return c;
}

static struct ls_expr *
clone_expr(struct ps *p, const struct ls_expr *e)
{
	struct ls_expr *c = ls_arena_alloc(p->a, sizeof(*c));
	size_t i;

	if (c == NULL)
		return NULL;
	*c = *e;
	for (i = 0; i < 3; i++)
		if (e->t[i] && (c->t[i] = clone_term(p, e->t[i])) == NULL)
			return NULL;
	if ((e->nvars &&
		(c->vars = ls_arena_alloc(p->a, e->nvars * sizeof(*c->vars))) ==
		    NULL) ||
	    (e->nwith &&
		(c->with = ls_arena_alloc(p->a, e->nwith * sizeof(*c->with))) ==
		    NULL) ||
	    (e->body && (c->body = clone_body(p, e->body)) == NULL))
		return NULL;
	for (i = 0; i < e->nvars; i++)
		if ((c->vars[i] = clone_term(p, e->vars[i])) == NULL)
			return NULL;
	for (i = 0; i < e->nwith; i++)
		if ((c->with[i].target = clone_term(p, e->with[i].target)) ==
			NULL ||
		    (c->with[i].value = clone_term(p, e->with[i].value)) ==
			NULL)
			return NULL;
	return c;
}

static struct ls_body *
clone_body(struct ps *p, const struct ls_body *b)
{
	struct ls_body *c = ls_arena_alloc(p->a, sizeof(*c));
	size_t i;

	if (c == NULL ||
	    (b->n &&
		(c->e = ls_arena_alloc(p->a, b->n * sizeof(*c->e))) == NULL))
		return NULL;
	c->n = b->n;
	for (i = 0; i < b->n; i++)
		if ((c->e[i] = clone_expr(p, b->e[i])) == NULL)
			return NULL;
	return c;
}

/* dst gets copies of src's head, args, key(s) and (if keep) value. */
static int
clone_head(struct ps *p, struct ls_rule *dst, const struct ls_rule *src,
    int keep_value)
{
	const struct ls_term *h = src->head;
	size_t i;

	*dst = *src;
	dst->els = NULL;
	if ((dst->head = clone_term(p, h)) == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	if (src->k == LS_R_FUNC)
		dst->args = dst->head->a;
	if (src->nkeys > 0)
		dst->keys = dst->head->a + (src->keys - h->a);
	dst->key = NULL;
	for (i = 0; src->key && h->k == LS_T_REF && i < h->n; i++)
		if (h->a[i] == src->key)
			dst->key = dst->head->a[i];
	if (src->key && dst->key == NULL &&
	    (dst->key = clone_term(p, src->key)) == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	dst->value = NULL;
	if (keep_value && src->value &&
	    (dst->value = clone_term(p, src->value)) == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	return 0;
}

/* After `if`, is `{` a body rather than the start of an object or set
 * term (`if {x: 1 | ...}`, `if {1, 2}`)?  OPA tries the body first and
 * falls back to a term; so do we, on a copy of the parser state. */
static int
body_first(struct ps *p)
{
	struct ps q = *p;
	struct ls_body *b = NULL;

	if (ls_ps_body_block(&q, &b) == 0)
		return 1;
	q = *p;
	{
		struct ls_expr *e = NULL;
		int nest = q.nest, rc;

		q.nest = 0;
		rc = ls_ps_literal(&q, &e);
		q.nest = nest;
		/* Neither parses: report the body's error. */
		return rc != 0;
	}
}

/* `if {..}`, `if expr`, `{..}` or nothing. */
static int
parse_rule_body(struct ps *p, struct ls_rule *r)
{
	struct ls_body *b;
	struct ls_expr *e;
	int rc, nest = p->nest, had_if = 0;

	if ((p->kw || p->version) && ls_ps_is_kw(p, "if")) {
		p->i++;
		had_if = 1;
		if (ls_ps_is_p(p, "{") && !body_first(p))
			goto literal;
		if (!ls_ps_is_p(p, "{")) {
		literal:
			b = ls_arena_alloc(p->a, sizeof(*b));
			if (b == NULL)
				return LS_ENOMEM;
			b->e = ls_arena_alloc(p->a, sizeof(*b->e));
			if (b->e == NULL)
				return LS_ENOMEM;
			p->nest = 0;
			rc = ls_ps_literal(p, &e);
			p->nest = nest;
			if (rc != 0)
				return rc;
			b->e[0] = e;
			b->n = 1;
			r->body = b;
			return 0;
		}
	}
	if (ls_ps_is_p(p, "{")) {
		if (p->version == 1 && !had_if)
			return ls_ps_fail(p,
			    "`if` keyword is required "
			    "before rule body");
		return ls_ps_body_block(p, &r->body);
	}
	r->body = ls_arena_alloc(p->a, sizeof(*r->body));
	return r->body ? 0 : LS_ENOMEM;
}

static int
parse_value(struct ps *p, struct ls_rule *r)
{
	if ((ls_ps_is_p(p, "=") || ls_ps_is_p(p, ":=")) && !ls_ps_cur(p)->nl) {
		r->assign = ls_ps_is_p(p, ":=");
		p->i++;
		return ls_ps_infix(p, LS_PS_IN, &r->value);
	}
	return 0;
}

static int
parse_else(struct ps *p, struct ls_rule *r)
{
	struct ls_rule *prev = r, *e;
	int rc;

	while (ls_ps_is_kw(p, "else")) {
		e = ls_arena_alloc(p->a, sizeof(*e));
		if (e == NULL)
			return LS_ENOMEM;
		if ((rc = clone_head(p, e, r, 0)) != 0)
			return rc;
		e->line = ls_ps_cur(p)->line;
		e->col = ls_ps_cur(p)->col;
		p->i++;
		if ((rc = parse_value(p, e)) != 0 ||
		    (rc = parse_rule_body(p, e)) != 0)
			return rc;
		prev->els = e;
		prev = e;
	}
	return 0;
}

/* The METADATA block above the current token, if any. */
static int
annotation(struct ps *p, const struct ls_val **out, const char *scope)
{
	char err[200];
	int rc;

	err[0] = '\0';
	rc = ls_annot_before(out, p->a, p->src, ls_ps_cur(p)->p, scope, err,
	    sizeof(err));
	if (rc == LS_EREGO)
		return ls_ps_fail(p, "bad METADATA: %s", err);
	return rc;
}

/* A keyword alone cannot name a rule (`not`, or `if` under v1); as the
 * first segment of a ref head it can (`if.x := 1`, `default.foo := 1`). */
static int
bare_keyword(const struct ps *p, const char *name)
{
	static const char *const always[] = { "not", "with", "as", "some",
		"else", "import", "package", "default" };
	static const char *const future[] = { "in", "every", "if",
		"contains" };
	size_t i;

	for (i = 0; i < sizeof(always) / sizeof(*always); i++)
		if (strcmp(name, always[i]) == 0)
			return 1;
	for (i = 0; (p->kw || p->version) && i < sizeof(future) /
		 sizeof(*future); i++)
		if (strcmp(name, future[i]) == 0)
			return 1;
	return 0;
}

static int
parse_rule(struct ps *p, struct ls_module *m, struct plist *rules)
{
	struct ls_rule *r = ls_arena_alloc(p->a, sizeof(*r)), *extra;
	int rc, contains = 0;

	if (r == NULL)
		return LS_ENOMEM;
	r->mod = m;
	r->line = ls_ps_cur(p)->line;
	r->col = ls_ps_cur(p)->col;
	if ((rc = annotation(p, &r->annot, "rule")) != 0)
		return rc;
	if (ls_ps_is_kw(p, "default")) {
		r->is_default = 1;
		p->i++;
	}
	if (ls_ps_cur(p)->k != LS_TK_IDENT)
		return ls_ps_unexpected(p);
	if ((rc = ls_ps_primary(p, &r->head)) != 0)
		return rc;
	if (r->head->k == LS_T_VAR && bare_keyword(p, r->head->name))
		return ls_ps_fail(p, "unexpected %s keyword", r->head->name);
	if ((p->kw || p->version) && ls_ps_is_kw(p, "contains") &&
	    !ls_ps_cur(p)->nl) {
		p->i++;
		contains = 1;
		if ((rc = ls_ps_infix(p, LS_PS_IN, &r->key)) != 0)
			return rc;
	}
	if ((rc = parse_value(p, r)) != 0 ||
	    (rc = rule_kind(p, r, m, contains)) != 0)
		return rc;
	if (r->is_default) {
		if (r->value == NULL)
			return ls_ps_fail(p, "default rule needs a value");
		r->body = ls_arena_alloc(p->a, sizeof(*r->body));
		return r->body ? ls_ps_pl_push(p, rules, r) : LS_ENOMEM;
	}
	if ((rc = parse_rule_body(p, r)) != 0 || (rc = parse_else(p, r)) != 0 ||
	    (rc = ls_ps_pl_push(p, rules, r)) != 0)
		return rc;
	while (p->version == 0 && ls_ps_is_p(p, "{")) {
		extra = ls_arena_alloc(p->a, sizeof(*extra));
		if (extra == NULL)
			return LS_ENOMEM;
		if ((rc = clone_head(p, extra, r, 1)) != 0)
			return rc;
		if ((rc = ls_ps_body_block(p, &extra->body)) != 0 ||
		    (rc = ls_ps_pl_push(p, rules, extra)) != 0)
			return rc;
	}
	return 0;
}

/* `package a.b["c"]` -> m->pkg. */
static int
parse_package(struct ps *p, struct ls_module *m)
{
	struct ls_term *x;
	size_t i;
	int rc;

	if (!ls_ps_is_kw(p, "package"))
		return ls_ps_fail(p, "expected 'package'");
	if ((rc = annotation(p, &m->pkg_annot, "package")) != 0)
		return rc;
	p->i++;
	if ((rc = ls_ps_primary(p, &x)) != 0)
		return rc;
	m->npkg = x->k == LS_T_REF ? x->n : 1;
	m->pkg = ls_arena_alloc(p->a, m->npkg * sizeof(*m->pkg));
	if (m->pkg == NULL)
		return LS_ENOMEM;
	if (x->k == LS_T_VAR) {
		m->pkg[0] = x->name;
		return 0;
	}
	if (x->k != LS_T_REF || x->a[0]->k != LS_T_VAR)
		return ls_ps_fail(p, "invalid package name");
	m->pkg[0] = x->a[0]->name;
	for (i = 1; i < x->n; i++)
		if (ref_segment(x->a[i], &m->pkg[i]) != 0)
			return ls_ps_fail(p, "invalid package name");
	return 0;
}

/* "data.a.b" for an import's ref, for messages. */
static const char *
import_path(struct ps *p, const struct ls_term *x)
{
	char buf[256];
	size_t n, i;

	if (x->k != LS_T_REF)
		return x->name;
	n = (size_t)snprintf(buf, sizeof(buf), "%s", x->a[0]->name);
	for (i = 1; i < x->n && n < sizeof(buf); i++)
		if (x->a[i]->k == LS_T_VAL && x->a[i]->v->type == LS_VAL_STRING)
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, ".%s",
			    x->a[i]->v->u.str.p);
	if (n >= sizeof(buf))
		n = sizeof(buf) - 1;
	return ls_arena_strndup(p->a, buf, n);
}

/* v1: two imports of data or input may not bind the same name. */
static int
dup_import(struct ps *p, const struct ls_import *im, const char *root,
    const struct plist *imps)
{
	size_t i;

	if (p->version != 1 || im->alias == NULL ||
	    (strcmp(root, "data") != 0 && strcmp(root, "input") != 0))
		return 0;
	for (i = 0; i < imps->n; i++) {
		const struct ls_import *o = imps->v[i];
		const struct ls_term *oh =
		    o->ref->k == LS_T_REF ? o->ref->a[0] : o->ref;

		if (o->alias == NULL || strcmp(o->alias, im->alias) != 0 ||
		    (strcmp(oh->name, "data") != 0 &&
			strcmp(oh->name, "input") != 0))
			continue;
		return ls_error_set(LS_EREGO,
		    "%s:%d:%d: rego_compile_error: "
		    "import must not shadow import %s",
		    p->file, im->line, im->col, import_path(p, o->ref));
	}
	return 0;
}

/* An import path is a root name then string keys only ("data.a.b",
 * data.a["b"]); a variable or number key names no document. */
static int
import_keys_ok(const struct ls_term *x)
{
	size_t i;

	if (x->k != LS_T_REF)
		return 1;
	for (i = 1; i < x->n; i++)
		if (x->a[i]->k != LS_T_VAL || x->a[i]->v == NULL ||
		    x->a[i]->v->type != LS_VAL_STRING)
			return 0;
	return 1;
}

static int
parse_import(struct ps *p, struct ls_module *m, struct plist *imps)
{
	struct ls_import *im = ls_arena_alloc(p->a, sizeof(*im));
	struct ls_term *x, *h;
	int rc;

	if (im == NULL)
		return LS_ENOMEM;
	im->line = ls_ps_cur(p)->line;
	im->col = ls_ps_cur(p)->col;
	p->i++;
	if ((rc = ls_ps_primary(p, &x)) != 0)
		return rc;
	h = x->k == LS_T_REF ? x->a[0] : x;
	if (h->k != LS_T_VAR || !import_keys_ok(x) ||
	    (strcmp(h->name, "data") != 0 && strcmp(h->name, "input") != 0 &&
		strcmp(h->name, "future") != 0 && strcmp(h->name, "rego") != 0))
		return ls_error_set(LS_EREGO,
		    "%s:%d:%d: rego_parse_error: "
		    "invalid import path",
		    p->file, im->line, im->col);
	if (strcmp(h->name, "future") == 0)
		p->kw = 1;
	if (strcmp(h->name, "rego") == 0) {
		p->kw = 1;
		p->version = m->version = 1;
	}
	im->ref = x;
	if (ls_ps_is_kw(p, "as")) {
		p->i++;
		if (ls_ps_cur(p)->k != LS_TK_IDENT)
			return ls_ps_unexpected(p);
		im->alias =
		    ls_arena_strndup(p->a, ls_ps_cur(p)->p, ls_ps_cur(p)->len);
		p->i++;
	} else if (x->k == LS_T_REF)
		im->alias = x->a[x->n - 1]->v->type == LS_VAL_STRING
		    ? x->a[x->n - 1]->v->u.str.p
		    : NULL;
	else
		im->alias = h->name;
	if ((rc = dup_import(p, im, h->name, imps)) != 0)
		return rc;
	return ls_ps_pl_push(p, imps, im);
}

int
ls_ps_init(struct ps *p, struct ls_arena *a, const char *file, const char *src,
    size_t len, int version)
{
	memset(p, 0, sizeof(*p));
	p->file = file;
	p->a = a;
	p->version = version;
	/* in, every, if and contains are understood in v0 modules too:
	 * OPA needs future.keywords for them, accepting them anyway lets
	 * v1-style modules load in v0 mode with the same meaning. */
	p->kw = 1;
	p->src = src;
	return ls_rego_lex(&p->t, &p->n, a, file, src, len);
}

int
ls_rego_parse_module(struct ls_module **out, struct ls_arena *a,
    const char *file, const char *src, size_t len, int version)
{
	struct ps p;
	struct ls_module *m = ls_arena_alloc(a, sizeof(*m));
	struct plist rules = { 0 }, imps = { 0 };
	size_t i;
	int rc;

	if (m == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	if ((rc = ls_ps_init(&p, a, file, src, len, version)) != 0)
		return rc;
	m->file = ls_arena_strndup(a, file, strlen(file));
	m->version = version;
	if ((rc = parse_package(&p, m)) != 0)
		return rc;
	while (ls_ps_cur(&p)->k != LS_TK_EOF) {
		if (ls_ps_is_kw(&p, "import"))
			rc = parse_import(&p, m, &imps);
		else
			rc = parse_rule(&p, m, &rules);
		if (rc != 0)
			return rc;
		if (ls_ps_is_p(&p, ";"))
			p.i++;
	}
	m->imports = ls_arena_alloc(a, (imps.n + 1) * sizeof(*m->imports));
	if (m->imports == NULL)
		return LS_ENOMEM;
	for (i = 0; i < imps.n; i++)
		m->imports[i] = *(struct ls_import *)imps.v[i];
	m->nimports = imps.n;
	m->rules = (struct ls_rule **)rules.v;
	m->nrules = rules.n;
	*out = m;
	return 0;
}

int
ls_rego_parse_body(struct ls_body **out, struct ls_arena *a, const char *file,
    const char *src, size_t len, int version)
{
	struct ps p;
	int rc;

	if ((rc = ls_ps_init(&p, a, file, src, len, version)) != 0)
		return rc;
	p.kw = 1;
	if ((rc = ls_ps_literals(&p, out, 0)) != 0)
		return rc;
	if (ls_ps_cur(&p)->k != LS_TK_EOF)
		return ls_ps_unexpected(&p);
	if ((*out)->n == 0)
		return ls_ps_fail_at(&p, ls_ps_cur(&p), "empty query");
	return 0;
}

int
ls_rego_parse_term(struct ls_term **out, struct ls_arena *a, const char *file,
    const char *src, size_t len)
{
	struct ps p;
	int rc;

	if ((rc = ls_ps_init(&p, a, file, src, len, 1)) != 0)
		return rc;
	if ((rc = ls_ps_infix(&p, LS_PS_IN, out)) != 0)
		return rc;
	return ls_ps_cur(&p)->k == LS_TK_EOF ? 0 : ls_ps_unexpected(&p);
}
