/* parse.c - Rego v0/v1 parser: modules, rules, bodies, terms. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lockstep/error.h"
#include "rego/ast.h"
#include "rego/lex.h"
#include "rego/parse.h"

int
ls_ps_pl_push(struct ps *p, struct plist *l, void *x)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 4;
		void **v = ls_arena_alloc(p->a, cap * sizeof(*v));

		if (v == NULL)
			return ls_error_set(LS_ENOMEM, "out of memory");
		if (l->n)
			memcpy(v, l->v, l->n * sizeof(*v));
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = x;
	return 0;
}

struct ls_token *
ls_ps_cur(struct ps *p)
{
	return &p->t[p->i];
}

static struct ls_token *
peek(struct ps *p, size_t k)
{
	return p->i + k < p->n ? &p->t[p->i + k] : &p->t[p->n - 1];
}

static int
tok_is(const struct ls_token *t, enum ls_tok k, const char *s)
{
	size_t n = strlen(s);

	return t->k == k && t->len == n && memcmp(t->p, s, n) == 0;
}

int
ls_ps_is_p(struct ps *p, const char *s)
{
	return tok_is(ls_ps_cur(p), LS_TK_PUNCT, s);
}

/* A name followed at once by '.' starts a ref (OPA 1.x: `default.foo
 * := 1`, `if.x`), so it is not a keyword there. */
static int
starts_ref(struct ps *p)
{
	const struct ls_token *t = ls_ps_cur(p), *n = peek(p, 1);

	return tok_is(n, LS_TK_PUNCT, ".") && n->p == t->p + t->len &&
	    peek(p, 2)->k == LS_TK_IDENT;
}

int
ls_ps_is_kw(struct ps *p, const char *s)
{
	return tok_is(ls_ps_cur(p), LS_TK_IDENT, s) && !starts_ref(p);
}

int ls_ps_fail_at(struct ps *p, const struct ls_token *t, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

int
ls_ps_fail_at(struct ps *p, const struct ls_token *t, const char *fmt, ...)
{
	char msg[300];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return ls_error_set(LS_EREGO, "%s:%d:%d: rego_parse_error: %s", p->file,
	    t->line, t->col, msg);
}

int
ls_ps_fail(struct ps *p, const char *fmt, ...)
{
	char msg[300];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return ls_ps_fail_at(p, ls_ps_cur(p), "%s", msg);
}

int
ls_ps_unexpected(struct ps *p)
{
	struct ls_token *t = ls_ps_cur(p);
	const char *kind = t->k == LS_TK_IDENT ? "ident "
	    : t->k == LS_TK_STRING	       ? "string "
	    : t->k == LS_TK_NUMBER	       ? "number "
					       : "";

	if (t->k == LS_TK_EOF)
		return ls_ps_fail_at(p, t, "unexpected end of input");
	return ls_ps_fail_at(p, t, "unexpected %s'%.*s'", kind,
	    (int)(t->len > 40 ? 40 : t->len), t->p);
}

/*
 * Analyzer only: it does not follow variadic calls and gives up on deep
 * ones, then walks "failed but returned 0" paths (see lockstep/error.h).
 */
#ifdef __clang_analyzer__
#define ls_ps_fail_at(p, t, ...)                                               \
	(ls_ps_fail_at((p), (t), __VA_ARGS__), LS_EREGO)
#define ls_ps_fail(p, ...) (ls_ps_fail((p), __VA_ARGS__), LS_EREGO)
#define ls_ps_unexpected(p) (ls_ps_unexpected(p), LS_EREGO)
#endif

static int
expect(struct ps *p, const char *s)
{
	if (!ls_ps_is_p(p, s))
		return ls_ps_fail(p, "expected '%s'%s", s,
		    ls_ps_cur(p)->k == LS_TK_EOF ? " before end of input" : "");
	p->i++;
	return 0;
}

static struct ls_term *
new_term(struct ps *p, enum ls_tk k, const struct ls_token *t)
{
	struct ls_term *x = ls_arena_alloc(p->a, sizeof(*x));

	if (x == NULL) {
		ls_error_set(LS_ENOMEM, "out of memory");
		return NULL;
	}
	x->k = k;
	x->line = t->line;
	x->col = t->col;
	x->slot = -1;
	return x;
}

struct ls_term *
ls_ps_new_term(struct ps *p, enum ls_tk k, const struct ls_token *t)
{
	return new_term(p, k, t);
}

static int
set_items(struct ls_term *x, struct plist *l)
{
	x->a = (struct ls_term **)l->v;
	x->n = l->n;
	return 0;
}

static int parse_withs(struct ps *p, struct ls_expr *e);
static int parse_in_expr(struct ps *p, struct ls_term **out);

static int
enter(struct ps *p)
{
	if (++p->depth > LS_REGO_MAX_DEPTH)
		return ls_ps_fail(p, "nested deeper than %d",
		    LS_REGO_MAX_DEPTH);
	return 0;
}

static int
parse_scalar(struct ps *p, struct ls_term **out, int neg)
{
	struct ls_token *t = ls_ps_cur(p);
	struct ls_term *x = new_term(p, LS_T_VAL, t);
	char buf[LS_NUM_MAX_DIGITS + 64];

	if (x == NULL)
		return LS_ENOMEM;
	if (t->k == LS_TK_STRING)
		x->v = ls_val_string_ref(p->a, t->s, t->slen);
	else {
		if (t->len + 2 >= sizeof(buf))
			return ls_ps_fail_at(p, t, "number too long");
		size_t n = 1;

		buf[0] = '-';
		if (t->p[0] == '.') /* .5 is 0.5 */
			buf[n++] = '0';
		memcpy(buf + n, t->p, t->len);
		n += t->len;
		x->v = ls_val_number_text(p->a, neg ? buf : buf + 1,
		    neg ? n : n - 1);
		if (x->v == NULL)
			return ls_ps_fail_at(p, t, "invalid number");
	}
	if (x->v == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	p->i++;
	*out = x;
	return 0;
}

/* Comma-separated terms up to the closing punctuation `close`. */
static int
parse_list(struct ps *p, struct plist *l, const char *close)
{
	struct ls_term *x;
	int rc;

	while (!ls_ps_is_p(p, close)) {
		if ((rc = ls_ps_infix(p, LS_PS_IN, &x)) != 0)
			return rc;
		if ((rc = ls_ps_pl_push(p, l, x)) != 0)
			return rc;
		if (!ls_ps_is_p(p, ","))
			break;
		p->i++;
	}
	return expect(p, close);
}

static int
parse_compr_body(struct ps *p, struct ls_term *x, const char *close)
{
	int rc, nest = p->nest;

	p->i++; /* the '|' */
	p->nest = 0;
	rc = ls_ps_literals(p, &x->body, 0);
	p->nest = nest;
	return rc ? rc : expect(p, close);
}

/* A collection's first term: a top-level '|' starts a comprehension. */
static int
parse_first(struct ps *p, struct ls_term **out)
{
	int save = p->no_or, rc;

	p->no_or = p->depth + 1;
	rc = ls_ps_infix(p, LS_PS_IN, out);
	p->no_or = save;
	return rc;
}

static int
parse_array(struct ps *p, struct ls_term **out)
{
	struct ls_token *t = ls_ps_cur(p);
	struct ls_term *x = new_term(p, LS_T_ARR, t), *first;
	struct plist l = { 0 };
	int rc;

	if (x == NULL)
		return LS_ENOMEM;
	p->i++;
	*out = x;
	if (ls_ps_is_p(p, "]")) {
		p->i++;
		return 0;
	}
	if ((rc = parse_first(p, &first)) != 0)
		return rc;
	if (ls_ps_is_p(p, "|")) {
		x->k = LS_T_ACOMP;
		x->val = first;
		return parse_compr_body(p, x, "]");
	}
	if ((rc = ls_ps_pl_push(p, &l, first)) != 0)
		return rc;
	if (ls_ps_is_p(p, ","))
		p->i++;
	else if (!ls_ps_is_p(p, "]"))
		return ls_ps_fail(p, "expected ',' or ']' in array");
	rc = parse_list(p, &l, "]");
	set_items(x, &l);
	return rc;
}

static int
parse_object_rest(struct ps *p, struct ls_term *x, struct ls_term *k1)
{
	struct plist l = { 0 };
	struct ls_term *k, *v;
	int rc;

	p->i++; /* ':' */
	if ((rc = parse_first(p, &v)) != 0)
		return rc;
	if (ls_ps_is_p(p, "|")) {
		x->k = LS_T_OCOMP;
		x->key = k1;
		x->val = v;
		return parse_compr_body(p, x, "}");
	}
	if ((rc = ls_ps_pl_push(p, &l, k1)) != 0 ||
	    (rc = ls_ps_pl_push(p, &l, v)) != 0)
		return rc;
	while (ls_ps_is_p(p, ",")) {
		p->i++;
		if (ls_ps_is_p(p, "}"))
			break;
		if ((rc = ls_ps_infix(p, LS_PS_IN, &k)) != 0 ||
		    (rc = expect(p, ":")) != 0 ||
		    (rc = ls_ps_infix(p, LS_PS_IN, &v)) != 0)
			return rc;
		if ((rc = ls_ps_pl_push(p, &l, k)) != 0 ||
		    (rc = ls_ps_pl_push(p, &l, v)) != 0)
			return rc;
	}
	set_items(x, &l);
	return expect(p, "}");
}

static int
parse_brace(struct ps *p, struct ls_term **out)
{
	struct ls_term *x = new_term(p, LS_T_OBJ, ls_ps_cur(p)), *first;
	struct plist l = { 0 };
	int rc;

	if (x == NULL)
		return LS_ENOMEM;
	p->i++;
	*out = x;
	if (ls_ps_is_p(p, "}")) {
		p->i++;
		return 0;
	}
	if ((rc = parse_first(p, &first)) != 0)
		return rc;
	if (ls_ps_is_p(p, ":"))
		return parse_object_rest(p, x, first);
	x->k = LS_T_SET;
	if (ls_ps_is_p(p, "|")) {
		x->k = LS_T_SCOMP;
		x->val = first;
		return parse_compr_body(p, x, "}");
	}
	if ((rc = ls_ps_pl_push(p, &l, first)) != 0)
		return rc;
	if (ls_ps_is_p(p, ","))
		p->i++;
	else if (!ls_ps_is_p(p, "}"))
		return ls_ps_fail(p, "expected ',' or '}' in set");
	rc = parse_list(p, &l, "}");
	set_items(x, &l);
	return rc;
}

/* Dotted operator name of a ref made of a var and dot operands. */
static const char *
call_name(struct ps *p, const struct ls_term *r)
{
	char buf[512];
	size_t n = 0, i;

	if (r->k == LS_T_VAR)
		return r->name;
	if (r->k != LS_T_REF || r->a[0]->k != LS_T_VAR)
		return NULL;
	for (i = 0; i < r->n; i++) {
		const char *s;
		size_t sl;

		if (i == 0)
			s = r->a[0]->name;
		else if (r->a[i]->k == LS_T_VAL &&
		    r->a[i]->v->type == LS_VAL_STRING &&
		    strchr(r->a[i]->v->u.str.p, '.') == NULL)
			/* `f.g(x)` and `f["g"](x)` name the same function. */
			s = r->a[i]->v->u.str.p;
		else
			return NULL;
		sl = strlen(s);
		if (n + sl + 2 >= sizeof(buf))
			return NULL;
		if (i > 0)
			buf[n++] = '.';
		memcpy(buf + n, s, sl);
		n += sl;
	}
	return ls_arena_strndup(p->a, buf, n);
}

static int
add_operand(struct ps *p, struct ls_term **x, struct ls_term *op)
{
	struct ls_term *r = *x;
	struct ls_term **a;

	if (r->k != LS_T_REF) {
		struct ls_term *nr = new_term(p, LS_T_REF, ls_ps_cur(p));

		if (nr == NULL)
			return LS_ENOMEM;
		nr->line = r->line;
		nr->col = r->col;
		nr->a = ls_arena_alloc(p->a, sizeof(*nr->a));
		if (nr->a == NULL)
			return LS_ENOMEM;
		nr->a[0] = r;
		nr->n = 1;
		r = nr;
	}
	a = ls_arena_alloc(p->a, (r->n + 1) * sizeof(*a));
	if (a == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	memcpy(a, r->a, r->n * sizeof(*a));
	a[r->n++] = op;
	r->a = a;
	*x = r;
	return 0;
}

static int
parse_call(struct ps *p, struct ls_term **x)
{
	struct ls_term *c = new_term(p, LS_T_CALL, ls_ps_cur(p));
	struct plist l = { 0 };
	int rc;

	if (c == NULL)
		return LS_ENOMEM;
	c->name = call_name(p, *x);
	if (c->name == NULL)
		return ls_ps_fail(p, "invalid function name");
	c->line = (*x)->line;
	c->col = (*x)->col;
	p->i++;
	p->nest++;
	rc = parse_list(p, &l, ")");
	p->nest--;
	set_items(c, &l);
	*x = c;
	return rc;
}

static int
parse_postfix(struct ps *p, struct ls_term **x)
{
	struct ls_term *op;
	int rc;

	for (;;) {
		struct ls_token *t = ls_ps_cur(p);

		if (t->nl && p->nest == 0)
			return 0;
		if (ls_ps_is_p(p, ".") && peek(p, 1)->k == LS_TK_IDENT) {
			struct ls_token *id = peek(p, 1);

			op = new_term(p, LS_T_VAL, id);
			if (op == NULL)
				return LS_ENOMEM;
			op->v = ls_val_string(p->a, id->p, id->len);
			op->name = ".";
			p->i += 2;
		} else if (ls_ps_is_p(p, ".")) {
			struct ls_token *n = peek(p, 1);

			/* OPA's words, which tools match */
			if (n->k == LS_TK_EOF)
				return ls_ps_fail_at(p, n,
				    "unexpected eof token: expected ident");
			return ls_ps_fail_at(p, n,
			    "unexpected %.*s token: expected ident",
			    (int)(n->len > 40 ? 40 : n->len), n->p);
		} else if (ls_ps_is_p(p, "[")) {
			p->i++;
			p->nest++;
			rc = ls_ps_infix(p, LS_PS_IN, &op);
			p->nest--;
			if (rc != 0 || (rc = expect(p, "]")) != 0)
				return rc;
		} else if (ls_ps_is_p(p, "(") &&
		    ((*x)->k == LS_T_VAR || (*x)->k == LS_T_REF)) {
			if ((rc = parse_call(p, x)) != 0)
				return rc;
			continue;
		} else
			return 0;
		if (op == NULL || (op->k == LS_T_VAL && op->v == NULL))
			return LS_ENOMEM;
		if ((rc = add_operand(p, x, op)) != 0)
			return rc;
	}
}

static int
parse_ident(struct ps *p, struct ls_term **out)
{
	struct ls_token *t = ls_ps_cur(p);
	struct ls_term *x;

	if (tok_is(t, LS_TK_IDENT, "set") &&
	    tok_is(peek(p, 1), LS_TK_PUNCT, "(") &&
	    tok_is(peek(p, 2), LS_TK_PUNCT, ")")) {
		x = new_term(p, LS_T_SET, t);
		p->i += 3;
		*out = x;
		return x ? 0 : LS_ENOMEM;
	}
	x = new_term(p, LS_T_VAL, t);
	if (x == NULL)
		return LS_ENOMEM;
	if (starts_ref(p))
		x->v = NULL; /* true.foo: a rule named true */
	else if (tok_is(t, LS_TK_IDENT, "true") ||
	    tok_is(t, LS_TK_IDENT, "false"))
		x->v = ls_val_bool(t->p[0] == 't');
	else if (tok_is(t, LS_TK_IDENT, "null"))
		x->v = ls_val_null();
	if (x->v == NULL) {
		x->k = LS_T_VAR;
		x->name = ls_arena_strndup(p->a, t->p, t->len);
		if (x->name == NULL)
			return LS_ENOMEM;
	}
	p->i++;
	*out = x;
	return 0;
}

int
ls_ps_primary(struct ps *p, struct ls_term **out)
{
	struct ls_token *t = ls_ps_cur(p);
	int rc;

	if ((rc = enter(p)) != 0)
		return rc;
	if (t->k == LS_TK_NUMBER || t->k == LS_TK_STRING)
		rc = parse_scalar(p, out, 0);
	else if (tok_is(t, LS_TK_PUNCT, "-") && peek(p, 1)->k == LS_TK_NUMBER &&
	    peek(p, 1)->p == t->p + 1) {
		p->i++;
		rc = parse_scalar(p, out, 1);
	} else if (t->k == LS_TK_IDENT)
		rc = parse_ident(p, out);
	else if (t->k == LS_TK_TPL_BEGIN)
		rc = ls_ps_template(p, out);
	else if (ls_ps_is_p(p, "[")) {
		p->nest++;
		rc = parse_array(p, out);
		p->nest--;
	} else if (ls_ps_is_p(p, "{")) {
		p->nest++;
		rc = parse_brace(p, out);
		p->nest--;
	} else if (ls_ps_is_p(p, "(")) {
		p->i++;
		p->nest++;
		rc = parse_in_expr(p, out);
		p->nest--;
		if (rc == 0)
			rc = expect(p, ")");
	} else
		rc = ls_ps_unexpected(p);
	if (rc == 0)
		rc = parse_postfix(p, out);
	p->depth--;
	return rc;
}

static const char *
infix_op(struct ps *p, int level)
{
	static const char *const rel[] = { "==", "!=", "<=", ">=", "<", ">",
		NULL };
	static const char *const names[] = { "equal", "neq", "lte", "gte", "lt",
		"gt" };
	struct ls_token *t = ls_ps_cur(p);
	int k;

	if (t->nl && p->nest == 0)
		return NULL;
	switch (level) {
	case LS_PS_IN:
		return p->kw && tok_is(t, LS_TK_IDENT, "in")
		    ? "internal.member_2"
		    : NULL;
	case L_REL:
		for (k = 0; rel[k]; k++)
			if (ls_ps_is_p(p, rel[k]))
				return names[k];
		return NULL;
	case L_OR:
		return ls_ps_is_p(p, "|") && p->no_or != p->depth + 1 ? "or"
								      : NULL;
	case L_AND: return ls_ps_is_p(p, "&") ? "and" : NULL;
	case L_ARITH:
		return ls_ps_is_p(p, "+") ? "plus"
		    : ls_ps_is_p(p, "-")  ? "minus"
					  : NULL;
	case L_FACTOR:
		return ls_ps_is_p(p, "*") ? "mul"
		    : ls_ps_is_p(p, "/")  ? "div"
		    : ls_ps_is_p(p, "%")  ? "rem"
					  : NULL;
	}
	return NULL;
}

int
ls_ps_infix(struct ps *p, int level, struct ls_term **out)
{
	struct ls_term *lhs, *rhs, *c;
	const char *op;
	int rc;

	if (level == L_PRIMARY)
		return ls_ps_primary(p, out);
	if ((rc = ls_ps_infix(p, level + 1, &lhs)) != 0)
		return rc;
	while ((op = infix_op(p, level)) != NULL) {
		c = new_term(p, LS_T_CALL, ls_ps_cur(p));
		if (c == NULL)
			return LS_ENOMEM;
		p->i++;
		if ((rc = ls_ps_infix(p, level + 1, &rhs)) != 0)
			return rc;
		c->name = op;
		c->line = lhs->line;
		c->col = lhs->col;
		c->a = ls_arena_alloc(p->a, 2 * sizeof(*c->a));
		if (c->a == NULL)
			return LS_ENOMEM;
		c->a[0] = lhs;
		c->a[1] = rhs;
		c->n = 2;
		lhs = c;
	}
	*out = lhs;
	return 0;
}

/* Expressions ------------------------------------------------------------ */

static struct ls_expr *
new_expr(struct ps *p, enum ls_ek k, const struct ls_token *t)
{
	struct ls_expr *e = ls_arena_alloc(p->a, sizeof(*e));

	if (e != NULL) {
		e->k = k;
		e->line = t->line;
		e->col = t->col;
	} else
		ls_error_set(LS_ENOMEM, "out of memory");
	return e;
}

static int
parse_some(struct ps *p, struct ls_expr **out)
{
	struct ls_expr *e = new_expr(p, LS_E_SOME, ls_ps_cur(p));
	struct plist l = { 0 };
	struct ls_term *x;
	int rc;

	if (e == NULL)
		return LS_ENOMEM;
	p->i++;
	for (;;) {
		if ((rc = ls_ps_infix(p, L_REL, &x)) != 0 ||
		    (rc = ls_ps_pl_push(p, &l, x)) != 0)
			return rc;
		if (!ls_ps_is_p(p, ","))
			break;
		p->i++;
	}
	if (ls_ps_is_kw(p, "in")) {
		if (l.n > 2)
			return ls_ps_fail(p, "too many vars before 'in'");
		p->i++;
		e->k = LS_E_SOMEIN;
		e->t[0] = l.n == 2 ? l.v[0] : NULL;
		e->t[1] = l.v[l.n - 1];
		rc = ls_ps_infix(p, L_REL, &e->t[2]);
	} else {
		size_t i;

		for (i = 0; i < l.n; i++)
			if (((struct ls_term *)l.v[i])->k != LS_T_VAR)
				return ls_ps_fail(p,
				    "expected var after "
				    "'some'");
		e->vars = (struct ls_term **)l.v;
		e->nvars = l.n;
	}
	*out = e;
	return rc ? rc : parse_withs(p, e);
}

static int
parse_every(struct ps *p, struct ls_expr **out)
{
	struct ls_expr *e = new_expr(p, LS_E_EVERY, ls_ps_cur(p));
	struct ls_term *a, *b = NULL;
	int rc;

	if (e == NULL)
		return LS_ENOMEM;
	p->i++;
	if ((rc = ls_ps_primary(p, &a)) != 0)
		return rc;
	if (ls_ps_is_p(p, ",")) {
		p->i++;
		if ((rc = ls_ps_primary(p, &b)) != 0)
			return rc;
	}
	if (!ls_ps_is_kw(p, "in"))
		return ls_ps_fail(p, "expected 'in' after 'every' vars");
	p->i++;
	e->t[0] = b ? a : NULL;
	e->t[1] = b ? b : a;
	if ((rc = ls_ps_infix(p, L_REL, &e->t[2])) != 0)
		return rc;
	if (!ls_ps_is_p(p, "{"))
		return ls_ps_fail(p, "expected '{' after 'every' domain");
	*out = e;
	if ((rc = ls_ps_body_block(p, &e->body)) != 0)
		return rc;
	return parse_withs(p, e);
}

static int
parse_withs(struct ps *p, struct ls_expr *e)
{
	struct plist l = { 0 };
	struct ls_with *w;
	size_t i;
	int rc;

	while (ls_ps_is_kw(p, "with")) {
		w = ls_arena_alloc(p->a, sizeof(*w));
		if (w == NULL)
			return LS_ENOMEM;
		p->i++;
		if ((rc = ls_ps_primary(p, &w->target)) != 0)
			return rc;
		if (!ls_ps_is_kw(p, "as"))
			return ls_ps_fail(p,
			    "expected 'as' after 'with' "
			    "target");
		p->i++;
		if ((rc = ls_ps_infix(p, LS_PS_IN, &w->value)) != 0 ||
		    (rc = ls_ps_pl_push(p, &l, w)) != 0)
			return rc;
	}
	if (l.n == 0)
		return 0;
	e->with = ls_arena_alloc(p->a, l.n * sizeof(*e->with));
	if (e->with == NULL)
		return LS_ENOMEM;
	for (i = 0; i < l.n; i++)
		e->with[i] = *(struct ls_with *)l.v[i];
	e->nwith = l.n;
	return 0;
}

static int parse_literal1(struct ps *p, struct ls_expr **out);

static struct ls_term *
mk_call(struct ps *p, const char *name, struct ls_term *a0, struct ls_term *a1,
    struct ls_term *a2)
{
	struct ls_term *c = new_term(p, LS_T_CALL, ls_ps_cur(p));

	if (c == NULL)
		return NULL;
	c->name = name;
	c->line = a0->line;
	c->col = a0->col;
	c->n = a2 ? 3 : 2;
	if ((c->a = ls_arena_alloc(p->a, 3 * sizeof(*c->a))) == NULL)
		return NULL;
	c->a[0] = a0;
	c->a[1] = a1;
	c->a[2] = a2;
	return c;
}

/* A term, or `k, v in xs`, then any further `in ys`. */
static int
parse_in_expr(struct ps *p, struct ls_term **out)
{
	struct ls_term *v, *xs;
	int rc;

	if ((rc = ls_ps_infix(p, LS_PS_IN, out)) != 0)
		return rc;
	if (!p->kw || !ls_ps_is_p(p, ",") || (ls_ps_cur(p)->nl && !p->nest))
		return 0;
	/* Only `a, b in c` continues a term with a comma here. */
	{
		size_t save = p->i;

		p->i++;
		if (ls_ps_infix(p, L_REL, &v) != 0 || !ls_ps_is_kw(p, "in")) {
			p->i = save;
			ls_error_clear();
			return 0;
		}
	}
	p->i++;
	if ((rc = ls_ps_infix(p, L_REL, &xs)) != 0)
		return rc;
	if ((*out = mk_call(p, "internal.member_3", *out, v, xs)) == NULL)
		return LS_ENOMEM;
	while (ls_ps_is_kw(p, "in") && !(ls_ps_cur(p)->nl && !p->nest)) {
		p->i++;
		if ((rc = ls_ps_infix(p, L_REL, &xs)) != 0)
			return rc;
		if ((*out = mk_call(p, "internal.member_2", *out, xs, NULL)) ==
		    NULL)
			return LS_ENOMEM;
	}
	return 0;
}

int
ls_ps_literal(struct ps *p, struct ls_expr **out)
{
	size_t off = (size_t)(ls_ps_cur(p)->p - p->src);
	const struct ls_token *last;
	int rc = parse_literal1(p, out);

	if (rc == 0 && p->i > 0) {
		last = &p->t[p->i - 1];
		(*out)->off = off;
		(*out)->end = (size_t)(last->p - p->src) + last->len;
	}
	return rc;
}

static int
parse_literal1(struct ps *p, struct ls_expr **out)
{
	struct ls_token *t = ls_ps_cur(p);
	struct ls_expr *e;
	int rc, neg = 0;

	if (ls_ps_is_kw(p, "some") &&
	    (peek(p, 1)->k == LS_TK_IDENT || peek(p, 1)->k == LS_TK_STRING ||
		peek(p, 1)->k == LS_TK_NUMBER ||
		tok_is(peek(p, 1), LS_TK_PUNCT, "[") ||
		tok_is(peek(p, 1), LS_TK_PUNCT, "{")))
		return parse_some(p, out);
	if (p->kw && ls_ps_is_kw(p, "every") && peek(p, 1)->k == LS_TK_IDENT)
		return parse_every(p, out);
	if (ls_ps_is_kw(p, "not") && tok_is(peek(p, 1), LS_TK_PUNCT, "{")) {
		if ((e = new_expr(p, LS_E_TERM, t)) == NULL)
			return LS_ENOMEM;
		if ((rc = ls_ps_not_block(p, e)) == 0) {
			*out = e;
			return parse_withs(p, e);
		}
		if (rc < 0)
			return rc;
	}
	if (ls_ps_is_kw(p, "not") && peek(p, 1)->k != LS_TK_PUNCT) {
		neg = 1;
		p->i++;
	} else if (ls_ps_is_kw(p, "not") &&
	    (tok_is(peek(p, 1), LS_TK_PUNCT, "[") ||
		tok_is(peek(p, 1), LS_TK_PUNCT, "{") ||
		tok_is(peek(p, 1), LS_TK_PUNCT, "(") ||
		tok_is(peek(p, 1), LS_TK_PUNCT, "-"))) {
		neg = 1;
		p->i++;
	}
	if ((e = new_expr(p, LS_E_TERM, t)) == NULL)
		return LS_ENOMEM;
	e->neg = neg;
	if ((rc = parse_in_expr(p, &e->t[0])) != 0)
		return rc;
	if ((ls_ps_is_p(p, "=") || ls_ps_is_p(p, ":=")) &&
	    !(ls_ps_cur(p)->nl && !p->nest)) {
		e->k = ls_ps_is_p(p, "=") ? LS_E_UNIFY : LS_E_ASSIGN;
		p->i++;
		if ((rc = parse_in_expr(p, &e->t[1])) != 0)
			return rc;
	}
	*out = e;
	return parse_withs(p, e);
}

/* Literals separated by ';' or newlines, up to '}' / ']' / EOF. */
int
ls_ps_literals(struct ps *p, struct ls_body **out, int braces)
{
	struct ls_body *b = ls_arena_alloc(p->a, sizeof(*b));
	struct plist l = { 0 };
	struct ls_expr *e;
	int rc;

	(void)braces;
	if (b == NULL)
		return LS_ENOMEM;
	if ((rc = enter(p)) != 0)
		return rc;
	while (!ls_ps_is_p(p, "}") && !ls_ps_is_p(p, "]") &&
	    ls_ps_cur(p)->k != LS_TK_EOF) {
		if (l.n >= LS_REGO_MAX_BODY)
			return ls_ps_fail(p,
			    "body has more than %d "
			    "expressions",
			    LS_REGO_MAX_BODY);
		if ((rc = ls_ps_literal(p, &e)) != 0 ||
		    (rc = ls_ps_pl_push(p, &l, e)) != 0)
			return rc;
		if (ls_ps_is_p(p, ";")) {
			p->i++;
			continue;
		}
		if (!ls_ps_cur(p)->nl && !ls_ps_is_p(p, "}") &&
		    !ls_ps_is_p(p, "]") && ls_ps_cur(p)->k != LS_TK_EOF)
			return ls_ps_unexpected(p);
	}
	p->depth--;
	if (l.n == 0 && braces)
		return ls_ps_fail(p, "found empty body");
	b->e = (struct ls_expr **)l.v;
	b->n = l.n;
	*out = b;
	return 0;
}

int
ls_ps_body_block(struct ps *p, struct ls_body **out)
{
	int rc, nest = p->nest;

	if ((rc = expect(p, "{")) != 0)
		return rc;
	p->nest = 0;
	rc = ls_ps_literals(p, out, 1);
	p->nest = nest;
	return rc ? rc : expect(p, "}");
}
