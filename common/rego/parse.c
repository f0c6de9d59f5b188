/* parse.c - Rego v0/v1 parser: modules, rules, bodies, terms. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lockstep/error.h"
#include "rego/ast.h"
#include "rego/lex.h"

struct ps {
	const char *file;
	struct ls_token *t;
	size_t n, i;
	struct ls_arena *a;
	int version;	/* 0 or 1 */
	int depth;	/* nesting, capped */
	int nest;	/* open brackets: newlines do not end expressions */
	int kw;		/* future keywords (in, every, if, contains) on */
	const char *src;
	int no_or;	/* depth at which '|' ends a term (collections) */
};

struct plist {
	void **v;
	size_t n, cap;
};

static int
pl_push(struct ps *p, struct plist *l, void *x)
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

static struct ls_token *
cur(struct ps *p)
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

static int
is_p(struct ps *p, const char *s)
{
	return tok_is(cur(p), LS_TK_PUNCT, s);
}

static int
is_kw(struct ps *p, const char *s)
{
	return tok_is(cur(p), LS_TK_IDENT, s);
}

static int
fail_at(struct ps *p, const struct ls_token *t, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
fail_at(struct ps *p, const struct ls_token *t, const char *fmt, ...)
{
	char msg[300];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return ls_error_set(LS_EREGO, "%s:%d:%d: rego_parse_error: %s",
	    p->file, t->line, t->col, msg);
}

static int
unexpected(struct ps *p)
{
	struct ls_token *t = cur(p);

	if (t->k == LS_TK_EOF)
		return fail_at(p, t, "unexpected end of input");
	return fail_at(p, t, "unexpected %s token '%.*s'", t->k == LS_TK_IDENT ?
	    "ident" : t->k == LS_TK_STRING ? "string" : t->k == LS_TK_NUMBER ?
	    "number" : "", (int)(t->len > 40 ? 40 : t->len), t->p);
}

static int
expect(struct ps *p, const char *s)
{
	if (!is_p(p, s))
		return fail_at(p, cur(p), "expected '%s'%s", s,
		    cur(p)->k == LS_TK_EOF ? " before end of input" : "");
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

static int
set_items(struct ls_term *x, struct plist *l)
{
	x->a = (struct ls_term **)l->v;
	x->n = l->n;
	return 0;
}

static int parse_infix(struct ps *p, int level, struct ls_term **out);
static int parse_withs(struct ps *p, struct ls_expr *e);
static int parse_body_block(struct ps *p, struct ls_body **out);
static int parse_literals(struct ps *p, struct ls_body **out, int braces);

enum { L_IN, L_REL, L_OR, L_AND, L_ARITH, L_FACTOR, L_PRIMARY };

static int
enter(struct ps *p)
{
	if (++p->depth > LS_REGO_MAX_DEPTH)
		return fail_at(p, cur(p), "nested deeper than %d",
		    LS_REGO_MAX_DEPTH);
	return 0;
}

static int
parse_scalar(struct ps *p, struct ls_term **out, int neg)
{
	struct ls_token *t = cur(p);
	struct ls_term *x = new_term(p, LS_T_VAL, t);
	char buf[LS_NUM_MAX_DIGITS + 64];

	if (x == NULL)
		return LS_ENOMEM;
	if (t->k == LS_TK_STRING)
		x->v = ls_val_string_ref(p->a, t->s, t->slen);
	else {
		if (t->len + 1 >= sizeof(buf))
			return fail_at(p, t, "number too long");
		buf[0] = '-';
		memcpy(buf + 1, t->p, t->len);
		x->v = ls_val_number_text(p->a, neg ? buf : buf + 1,
		    t->len + (neg ? 1 : 0));
		if (x->v == NULL)
			return fail_at(p, t, "invalid number");
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

	while (!is_p(p, close)) {
		if ((rc = parse_infix(p, L_IN, &x)) != 0)
			return rc;
		if ((rc = pl_push(p, l, x)) != 0)
			return rc;
		if (!is_p(p, ","))
			break;
		p->i++;
	}
	return expect(p, close);
}

static int
parse_compr_body(struct ps *p, struct ls_term *x, const char *close)
{
	int rc, nest = p->nest;

	p->i++;	/* the '|' */
	p->nest = 0;
	rc = parse_literals(p, &x->body, 0);
	p->nest = nest;
	return rc ? rc : expect(p, close);
}

/* A collection's first term: a top-level '|' starts a comprehension. */
static int
parse_first(struct ps *p, struct ls_term **out)
{
	int save = p->no_or, rc;

	p->no_or = p->depth + 1;
	rc = parse_infix(p, L_IN, out);
	p->no_or = save;
	return rc;
}

static int
parse_array(struct ps *p, struct ls_term **out)
{
	struct ls_token *t = cur(p);
	struct ls_term *x = new_term(p, LS_T_ARR, t), *first;
	struct plist l = { 0 };
	int rc;

	if (x == NULL)
		return LS_ENOMEM;
	p->i++;
	*out = x;
	if (is_p(p, "]")) {
		p->i++;
		return 0;
	}
	if ((rc = parse_first(p, &first)) != 0)
		return rc;
	if (is_p(p, "|")) {
		x->k = LS_T_ACOMP;
		x->val = first;
		return parse_compr_body(p, x, "]");
	}
	if ((rc = pl_push(p, &l, first)) != 0)
		return rc;
	if (is_p(p, ","))
		p->i++;
	else if (!is_p(p, "]"))
		return fail_at(p, cur(p), "expected ',' or ']' in array");
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

	p->i++;	/* ':' */
	if ((rc = parse_first(p, &v)) != 0)
		return rc;
	if (is_p(p, "|")) {
		x->k = LS_T_OCOMP;
		x->key = k1;
		x->val = v;
		return parse_compr_body(p, x, "}");
	}
	if ((rc = pl_push(p, &l, k1)) != 0 || (rc = pl_push(p, &l, v)) != 0)
		return rc;
	while (is_p(p, ",")) {
		p->i++;
		if (is_p(p, "}"))
			break;
		if ((rc = parse_infix(p, L_IN, &k)) != 0 ||
		    (rc = expect(p, ":")) != 0 ||
		    (rc = parse_infix(p, L_IN, &v)) != 0)
			return rc;
		if ((rc = pl_push(p, &l, k)) != 0 ||
		    (rc = pl_push(p, &l, v)) != 0)
			return rc;
	}
	set_items(x, &l);
	return expect(p, "}");
}

static int
parse_brace(struct ps *p, struct ls_term **out)
{
	struct ls_term *x = new_term(p, LS_T_OBJ, cur(p)), *first;
	struct plist l = { 0 };
	int rc;

	if (x == NULL)
		return LS_ENOMEM;
	p->i++;
	*out = x;
	if (is_p(p, "}")) {
		p->i++;
		return 0;
	}
	if ((rc = parse_first(p, &first)) != 0)
		return rc;
	if (is_p(p, ":"))
		return parse_object_rest(p, x, first);
	x->k = LS_T_SET;
	if (is_p(p, "|")) {
		x->k = LS_T_SCOMP;
		x->val = first;
		return parse_compr_body(p, x, "}");
	}
	if ((rc = pl_push(p, &l, first)) != 0)
		return rc;
	if (is_p(p, ","))
		p->i++;
	else if (!is_p(p, "}"))
		return fail_at(p, cur(p), "expected ',' or '}' in set");
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
		else if (r->a[i]->k == LS_T_VAL && r->a[i]->name != NULL)
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
		struct ls_term *nr = new_term(p, LS_T_REF, cur(p));

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
	struct ls_term *c = new_term(p, LS_T_CALL, cur(p));
	struct plist l = { 0 };
	int rc;

	if (c == NULL)
		return LS_ENOMEM;
	c->name = call_name(p, *x);
	if (c->name == NULL)
		return fail_at(p, cur(p), "invalid function name");
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
		struct ls_token *t = cur(p);

		if (t->nl && p->nest == 0)
			return 0;
		if (is_p(p, ".") && peek(p, 1)->k == LS_TK_IDENT) {
			struct ls_token *id = peek(p, 1);

			op = new_term(p, LS_T_VAL, id);
			if (op == NULL)
				return LS_ENOMEM;
			op->v = ls_val_string(p->a, id->p, id->len);
			op->name = ".";
			p->i += 2;
		} else if (is_p(p, "[")) {
			p->i++;
			p->nest++;
			rc = parse_infix(p, L_IN, &op);
			p->nest--;
			if (rc != 0 || (rc = expect(p, "]")) != 0)
				return rc;
		} else if (is_p(p, "(") && ((*x)->k == LS_T_VAR ||
		    (*x)->k == LS_T_REF)) {
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
	struct ls_token *t = cur(p);
	struct ls_term *x;

	if (tok_is(t, LS_TK_IDENT, "set") && tok_is(peek(p, 1), LS_TK_PUNCT,
	    "(") && tok_is(peek(p, 2), LS_TK_PUNCT, ")")) {
		x = new_term(p, LS_T_SET, t);
		p->i += 3;
		*out = x;
		return x ? 0 : LS_ENOMEM;
	}
	x = new_term(p, LS_T_VAL, t);
	if (x == NULL)
		return LS_ENOMEM;
	if (tok_is(t, LS_TK_IDENT, "true") || tok_is(t, LS_TK_IDENT, "false"))
		x->v = ls_val_bool(t->p[0] == 't');
	else if (tok_is(t, LS_TK_IDENT, "null"))
		x->v = ls_val_null();
	else {
		x->k = LS_T_VAR;
		x->name = ls_arena_strndup(p->a, t->p, t->len);
		if (x->name == NULL)
			return LS_ENOMEM;
	}
	p->i++;
	*out = x;
	return 0;
}

static int
parse_primary(struct ps *p, struct ls_term **out)
{
	struct ls_token *t = cur(p);
	int rc;

	if ((rc = enter(p)) != 0)
		return rc;
	if (t->k == LS_TK_NUMBER || t->k == LS_TK_STRING)
		rc = parse_scalar(p, out, 0);
	else if (tok_is(t, LS_TK_PUNCT, "-") &&
	    peek(p, 1)->k == LS_TK_NUMBER && peek(p, 1)->p == t->p + 1) {
		p->i++;
		rc = parse_scalar(p, out, 1);
	} else if (t->k == LS_TK_IDENT)
		rc = parse_ident(p, out);
	else if (is_p(p, "[")) {
		p->nest++;
		rc = parse_array(p, out);
		p->nest--;
	} else if (is_p(p, "{")) {
		p->nest++;
		rc = parse_brace(p, out);
		p->nest--;
	} else if (is_p(p, "(")) {
		p->i++;
		p->nest++;
		rc = parse_infix(p, L_IN, out);
		p->nest--;
		if (rc == 0)
			rc = expect(p, ")");
	} else
		rc = unexpected(p);
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
	static const char *const names[] = { "equal", "neq", "lte", "gte",
		"lt", "gt" };
	struct ls_token *t = cur(p);
	int k;

	if (t->nl && p->nest == 0)
		return NULL;
	switch (level) {
	case L_IN:
		return p->kw && tok_is(t, LS_TK_IDENT, "in") ?
		    "internal.member_2" : NULL;
	case L_REL:
		for (k = 0; rel[k]; k++)
			if (is_p(p, rel[k]))
				return names[k];
		return NULL;
	case L_OR:
		return is_p(p, "|") && p->no_or != p->depth + 1 ? "or" : NULL;
	case L_AND: return is_p(p, "&") ? "and" : NULL;
	case L_ARITH:
		return is_p(p, "+") ? "plus" : is_p(p, "-") ? "minus" : NULL;
	case L_FACTOR:
		return is_p(p, "*") ? "mul" : is_p(p, "/") ? "div" :
		    is_p(p, "%") ? "rem" : NULL;
	}
	return NULL;
}

static int
parse_infix(struct ps *p, int level, struct ls_term **out)
{
	struct ls_term *lhs, *rhs, *c;
	const char *op;
	int rc;

	if (level == L_PRIMARY)
		return parse_primary(p, out);
	if ((rc = parse_infix(p, level + 1, &lhs)) != 0)
		return rc;
	while ((op = infix_op(p, level)) != NULL) {
		c = new_term(p, LS_T_CALL, cur(p));
		if (c == NULL)
			return LS_ENOMEM;
		p->i++;
		if ((rc = parse_infix(p, level + 1, &rhs)) != 0)
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
	struct ls_expr *e = new_expr(p, LS_E_SOME, cur(p));
	struct plist l = { 0 };
	struct ls_term *x;
	int rc;

	if (e == NULL)
		return LS_ENOMEM;
	p->i++;
	for (;;) {
		if ((rc = parse_infix(p, L_REL, &x)) != 0 ||
		    (rc = pl_push(p, &l, x)) != 0)
			return rc;
		if (!is_p(p, ","))
			break;
		p->i++;
	}
	if (is_kw(p, "in")) {
		if (l.n > 2)
			return fail_at(p, cur(p), "too many vars before 'in'");
		p->i++;
		e->k = LS_E_SOMEIN;
		e->t[0] = l.n == 2 ? l.v[0] : NULL;
		e->t[1] = l.v[l.n - 1];
		rc = parse_infix(p, L_REL, &e->t[2]);
	} else {
		size_t i;

		for (i = 0; i < l.n; i++)
			if (((struct ls_term *)l.v[i])->k != LS_T_VAR)
				return fail_at(p, cur(p), "expected var after "
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
	struct ls_expr *e = new_expr(p, LS_E_EVERY, cur(p));
	struct ls_term *a, *b = NULL;
	int rc;

	if (e == NULL)
		return LS_ENOMEM;
	p->i++;
	if ((rc = parse_primary(p, &a)) != 0)
		return rc;
	if (is_p(p, ",")) {
		p->i++;
		if ((rc = parse_primary(p, &b)) != 0)
			return rc;
	}
	if (!is_kw(p, "in"))
		return fail_at(p, cur(p), "expected 'in' after 'every' vars");
	p->i++;
	e->t[0] = b ? a : NULL;
	e->t[1] = b ? b : a;
	if ((rc = parse_infix(p, L_REL, &e->t[2])) != 0)
		return rc;
	if (!is_p(p, "{"))
		return fail_at(p, cur(p), "expected '{' after 'every' domain");
	*out = e;
	return parse_body_block(p, &e->body);
}

static int
parse_withs(struct ps *p, struct ls_expr *e)
{
	struct plist l = { 0 };
	struct ls_with *w;
	size_t i;
	int rc;

	while (is_kw(p, "with")) {
		w = ls_arena_alloc(p->a, sizeof(*w));
		if (w == NULL)
			return LS_ENOMEM;
		p->i++;
		if ((rc = parse_primary(p, &w->target)) != 0)
			return rc;
		if (!is_kw(p, "as"))
			return fail_at(p, cur(p), "expected 'as' after 'with' "
			    "target");
		p->i++;
		if ((rc = parse_infix(p, L_IN, &w->value)) != 0 ||
		    (rc = pl_push(p, &l, w)) != 0)
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

/* `k, v in xs` after k was parsed into e->t[0]. */
static int
parse_member3(struct ps *p, struct ls_expr *e)
{
	struct ls_term *c = new_term(p, LS_T_CALL, cur(p)), *v, *xs;
	int rc;

	if (c == NULL)
		return LS_ENOMEM;
	p->i++;
	if ((rc = parse_infix(p, L_REL, &v)) != 0)
		return rc;
	if (!is_kw(p, "in"))
		return fail_at(p, cur(p), "expected 'in'");
	p->i++;
	if ((rc = parse_infix(p, L_REL, &xs)) != 0)
		return rc;
	c->name = "internal.member_3";
	c->line = e->t[0]->line;
	c->col = e->t[0]->col;
	c->a = ls_arena_alloc(p->a, 3 * sizeof(*c->a));
	if (c->a == NULL)
		return LS_ENOMEM;
	c->a[0] = e->t[0];
	c->a[1] = v;
	c->a[2] = xs;
	c->n = 3;
	e->t[0] = c;
	return 0;
}

static int
parse_literal(struct ps *p, struct ls_expr **out)
{
	size_t off = (size_t)(cur(p)->p - p->src);
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
	struct ls_token *t = cur(p);
	struct ls_expr *e;
	int rc, neg = 0;

	if (is_kw(p, "some") && (peek(p, 1)->k == LS_TK_IDENT ||
	    peek(p, 1)->k == LS_TK_STRING || peek(p, 1)->k == LS_TK_NUMBER ||
	    tok_is(peek(p, 1), LS_TK_PUNCT, "[") ||
	    tok_is(peek(p, 1), LS_TK_PUNCT, "{")))
		return parse_some(p, out);
	if (p->kw && is_kw(p, "every") && peek(p, 1)->k == LS_TK_IDENT)
		return parse_every(p, out);
	if (is_kw(p, "not") && peek(p, 1)->k != LS_TK_PUNCT) {
		neg = 1;
		p->i++;
	} else if (is_kw(p, "not") && (tok_is(peek(p, 1), LS_TK_PUNCT, "[") ||
	    tok_is(peek(p, 1), LS_TK_PUNCT, "{") ||
	    tok_is(peek(p, 1), LS_TK_PUNCT, "(") ||
	    tok_is(peek(p, 1), LS_TK_PUNCT, "-"))) {
		neg = 1;
		p->i++;
	}
	if ((e = new_expr(p, LS_E_TERM, t)) == NULL)
		return LS_ENOMEM;
	e->neg = neg;
	if ((rc = parse_infix(p, L_IN, &e->t[0])) != 0)
		return rc;
	if (p->kw && is_p(p, ",") && (rc = parse_member3(p, e)) != 0)
		return rc;
	if ((is_p(p, "=") || is_p(p, ":=")) && !(cur(p)->nl && !p->nest)) {
		e->k = is_p(p, "=") ? LS_E_UNIFY : LS_E_ASSIGN;
		p->i++;
		if ((rc = parse_infix(p, L_IN, &e->t[1])) != 0)
			return rc;
	}
	*out = e;
	return parse_withs(p, e);
}

/* Literals separated by ';' or newlines, up to '}' / ']' / EOF. */
static int
parse_literals(struct ps *p, struct ls_body **out, int braces)
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
	while (!is_p(p, "}") && !is_p(p, "]") && cur(p)->k != LS_TK_EOF) {
		if ((rc = parse_literal(p, &e)) != 0 ||
		    (rc = pl_push(p, &l, e)) != 0)
			return rc;
		if (is_p(p, ";")) {
			p->i++;
			continue;
		}
		if (!cur(p)->nl && !is_p(p, "}") && !is_p(p, "]") &&
		    cur(p)->k != LS_TK_EOF)
			return unexpected(p);
	}
	p->depth--;
	if (l.n == 0 && braces)
		return fail_at(p, cur(p), "found empty body");
	b->e = (struct ls_expr **)l.v;
	b->n = l.n;
	*out = b;
	return 0;
}

static int
parse_body_block(struct ps *p, struct ls_body **out)
{
	int rc, nest = p->nest;

	if ((rc = expect(p, "{")) != 0)
		return rc;
	p->nest = 0;
	rc = parse_literals(p, out, 1);
	p->nest = nest;
	return rc ? rc : expect(p, "}");
}


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
			return fail_at(p, cur(p), "invalid rule head");
		path[m->npkg] = head->a[0]->name;
		for (i = 1; i < upto; i++)
			if (ref_segment(head->a[i], &path[m->npkg + i]) != 0)
				return ls_error_set(LS_EREGO, "%s:%d:%d: "
				    "rego_parse_error: rule head refs with "
				    "variables are not supported", p->file,
				    head->line, head->col);
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

static int
rule_kind(struct ps *p, struct ls_rule *r, const struct ls_module *m,
    int contains)
{
	struct ls_term *h = r->head, *last;
	size_t nops;

	if (h->k == LS_T_CALL) {
		r->k = LS_R_FUNC;
		r->args = h->a;
		r->nargs = h->n;
		return split_name(p, r, m, h->name);
	}
	if (h->k != LS_T_VAR && (h->k != LS_T_REF || h->a[0]->k != LS_T_VAR))
		return ls_error_set(LS_EREGO, "%s:%d:%d: rego_parse_error: "
		    "invalid rule head", p->file, h->line, h->col);
	nops = h->k == LS_T_REF ? h->n : 1;
	if (contains) {
		r->k = LS_R_SET;
		return head_path(p, r, m, h, nops);
	}
	last = nops > 1 ? h->a[nops - 1] : NULL;
	if (last != NULL && r->value == NULL && r->mod->version == 0 &&
	    !(last->name != NULL && strcmp(last->name, ".") == 0)) {
		r->k = LS_R_SET;
		r->key = last;
		return head_path(p, r, m, h, nops - 1);
	}
	if (last != NULL && !(last->k == LS_T_VAL &&
	    last->v->type == LS_VAL_STRING)) {
		r->k = LS_R_OBJ;
		r->key = last;
		return head_path(p, r, m, h, nops - 1);
	}
	r->k = LS_R_COMPLETE;
	return head_path(p, r, m, h, nops);
}

/* `if {..}`, `if expr`, `{..}` or nothing. */
static int
parse_rule_body(struct ps *p, struct ls_rule *r)
{
	struct ls_body *b;
	struct ls_expr *e;
	int rc, nest = p->nest;

	if ((p->kw || p->version) && is_kw(p, "if")) {
		p->i++;
		if (!is_p(p, "{")) {
			b = ls_arena_alloc(p->a, sizeof(*b));
			if (b == NULL)
				return LS_ENOMEM;
			b->e = ls_arena_alloc(p->a, sizeof(*b->e));
			if (b->e == NULL)
				return LS_ENOMEM;
			p->nest = 0;
			rc = parse_literal(p, &e);
			p->nest = nest;
			if (rc != 0)
				return rc;
			b->e[0] = e;
			b->n = 1;
			r->body = b;
			return 0;
		}
	}
	if (is_p(p, "{"))
		return parse_body_block(p, &r->body);
	r->body = ls_arena_alloc(p->a, sizeof(*r->body));
	return r->body ? 0 : LS_ENOMEM;
}

static int
parse_value(struct ps *p, struct ls_rule *r)
{
	if ((is_p(p, "=") || is_p(p, ":=")) && !cur(p)->nl) {
		r->assign = is_p(p, ":=");
		p->i++;
		return parse_infix(p, L_IN, &r->value);
	}
	return 0;
}

static int
parse_else(struct ps *p, struct ls_rule *r)
{
	struct ls_rule *prev = r, *e;
	int rc;

	while (is_kw(p, "else")) {
		e = ls_arena_alloc(p->a, sizeof(*e));
		if (e == NULL)
			return LS_ENOMEM;
		*e = *r;
		e->els = NULL;
		e->value = NULL;
		e->line = cur(p)->line;
		e->col = cur(p)->col;
		p->i++;
		if ((rc = parse_value(p, e)) != 0 ||
		    (rc = parse_rule_body(p, e)) != 0)
			return rc;
		prev->els = e;
		prev = e;
	}
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
	r->line = cur(p)->line;
	r->col = cur(p)->col;
	if (is_kw(p, "default")) {
		r->is_default = 1;
		p->i++;
	}
	if (cur(p)->k != LS_TK_IDENT)
		return unexpected(p);
	if ((rc = parse_primary(p, &r->head)) != 0)
		return rc;
	if ((p->kw || p->version) && is_kw(p, "contains") && !cur(p)->nl) {
		p->i++;
		contains = 1;
		if ((rc = parse_infix(p, L_IN, &r->key)) != 0)
			return rc;
	}
	if ((rc = parse_value(p, r)) != 0 ||
	    (rc = rule_kind(p, r, m, contains)) != 0)
		return rc;
	if (r->is_default) {
		if (r->value == NULL)
			return fail_at(p, cur(p), "default rule needs a value");
		r->body = ls_arena_alloc(p->a, sizeof(*r->body));
		return r->body ? pl_push(p, rules, r) : LS_ENOMEM;
	}
	if ((rc = parse_rule_body(p, r)) != 0 || (rc = parse_else(p, r)) != 0 ||
	    (rc = pl_push(p, rules, r)) != 0)
		return rc;
	while (p->version == 0 && is_p(p, "{")) {
		extra = ls_arena_alloc(p->a, sizeof(*extra));
		if (extra == NULL)
			return LS_ENOMEM;
		*extra = *r;
		extra->els = NULL;
		if ((rc = parse_body_block(p, &extra->body)) != 0 ||
		    (rc = pl_push(p, rules, extra)) != 0)
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

	if (!is_kw(p, "package"))
		return fail_at(p, cur(p), "expected 'package'");
	p->i++;
	if ((rc = parse_primary(p, &x)) != 0)
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
		return fail_at(p, cur(p), "invalid package name");
	m->pkg[0] = x->a[0]->name;
	for (i = 1; i < x->n; i++)
		if (ref_segment(x->a[i], &m->pkg[i]) != 0)
			return fail_at(p, cur(p), "invalid package name");
	return 0;
}

static int
parse_import(struct ps *p, struct ls_module *m, struct plist *imps)
{
	struct ls_import *im = ls_arena_alloc(p->a, sizeof(*im));
	struct ls_term *x, *h;
	int rc;

	if (im == NULL)
		return LS_ENOMEM;
	im->line = cur(p)->line;
	im->col = cur(p)->col;
	p->i++;
	if ((rc = parse_primary(p, &x)) != 0)
		return rc;
	h = x->k == LS_T_REF ? x->a[0] : x;
	if (h->k != LS_T_VAR || (strcmp(h->name, "data") != 0 &&
	    strcmp(h->name, "input") != 0 && strcmp(h->name, "future") != 0 &&
	    strcmp(h->name, "rego") != 0))
		return ls_error_set(LS_EREGO, "%s:%d:%d: rego_parse_error: "
		    "invalid import path", p->file, im->line, im->col);
	if (strcmp(h->name, "future") == 0)
		p->kw = 1;
	if (strcmp(h->name, "rego") == 0) {
		p->kw = 1;
		p->version = m->version = 1;
	}
	im->ref = x;
	if (is_kw(p, "as")) {
		p->i++;
		if (cur(p)->k != LS_TK_IDENT)
			return unexpected(p);
		im->alias = ls_arena_strndup(p->a, cur(p)->p, cur(p)->len);
		p->i++;
	} else if (x->k == LS_T_REF)
		im->alias = x->a[x->n - 1]->v->type == LS_VAL_STRING ?
		    x->a[x->n - 1]->v->u.str.p : NULL;
	else
		im->alias = h->name;
	(void)m;
	return pl_push(p, imps, im);
}

static int
ps_init(struct ps *p, struct ls_arena *a, const char *file, const char *src,
    size_t len, int version)
{
	memset(p, 0, sizeof(*p));
	p->file = file;
	p->a = a;
	p->version = version;
	p->kw = version != 0;
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
	if ((rc = ps_init(&p, a, file, src, len, version)) != 0)
		return rc;
	m->file = ls_arena_strndup(a, file, strlen(file));
	m->version = version;
	if ((rc = parse_package(&p, m)) != 0)
		return rc;
	while (cur(&p)->k != LS_TK_EOF) {
		if (is_kw(&p, "import"))
			rc = parse_import(&p, m, &imps);
		else
			rc = parse_rule(&p, m, &rules);
		if (rc != 0)
			return rc;
		if (is_p(&p, ";"))
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
ls_rego_parse_body(struct ls_body **out, struct ls_arena *a,
    const char *file, const char *src, size_t len, int version)
{
	struct ps p;
	int rc;

	if ((rc = ps_init(&p, a, file, src, len, version)) != 0)
		return rc;
	p.kw = 1;
	if ((rc = parse_literals(&p, out, 0)) != 0)
		return rc;
	if (cur(&p)->k != LS_TK_EOF)
		return unexpected(&p);
	if ((*out)->n == 0)
		return fail_at(&p, cur(&p), "empty query");
	return 0;
}

int
ls_rego_parse_term(struct ls_term **out, struct ls_arena *a,
    const char *file, const char *src, size_t len)
{
	struct ps p;
	int rc;

	if ((rc = ps_init(&p, a, file, src, len, 1)) != 0)
		return rc;
	if ((rc = parse_infix(&p, L_IN, out)) != 0)
		return rc;
	return cur(&p)->k == LS_TK_EOF ? 0 : unexpected(&p);
}
