/* parse.h - parser state shared by parse.c (terms, bodies) and
 * parse_rule.c (rules, modules) (rego-core internal). */
#ifndef LS_REGO_PARSE_H
#define LS_REGO_PARSE_H

#include <stddef.h>

#include "rego/ast.h"
#include "rego/lex.h"

struct ps {
	const char *file;
	struct ls_token *t;
	size_t n, i;
	struct ls_arena *a;
	int version; /* 0 or 1 */
	int depth;   /* nesting, capped */
	int nest;    /* open brackets: newlines do not end expressions */
	int kw;	     /* future keywords (in, every, if, contains) on */
	const char *src;
	int no_or; /* depth at which '|' ends a term (collections) */
};

struct plist {
	void **v;
	size_t n, cap;
};

/* Precedence levels of infix operators, loosest first. */
enum { LS_PS_IN, L_REL, L_OR, L_AND, L_ARITH, L_FACTOR, L_PRIMARY };

int ls_ps_pl_push(struct ps *p, struct plist *l, void *x);
struct ls_token *ls_ps_cur(struct ps *p);
int ls_ps_is_p(struct ps *p, const char *s);
int ls_ps_is_kw(struct ps *p, const char *s);
/* Record "FILE:LINE:COL: rego_parse_error: ..." at t; LS_EREGO. */
int ls_ps_fail_at(struct ps *p, const struct ls_token *t, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Same at the current token. */
int ls_ps_fail(struct ps *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int ls_ps_unexpected(struct ps *p);
/* A term of kind k at t's place; NULL with LS_ENOMEM set. */
struct ls_term *
ls_ps_new_term(struct ps *p, enum ls_tk k, const struct ls_token *t);
int ls_ps_primary(struct ps *p, struct ls_term **out);
/* A template string at TPL_BEGIN (parse_template.c). */
int ls_ps_template(struct ps *p, struct ls_term **out);
/* At `not {`: parse a negated body block into e (parse_not.c); 1 when
 * the braces hold no body (nothing consumed), else 0 or an error. */
int ls_ps_not_block(struct ps *p, struct ls_expr *e);
int ls_ps_infix(struct ps *p, int level, struct ls_term **out);
int ls_ps_literal(struct ps *p, struct ls_expr **out);
int ls_ps_literals(struct ps *p, struct ls_body **out, int braces);
int ls_ps_body_block(struct ps *p, struct ls_body **out);
int ls_ps_init(struct ps *p, struct ls_arena *a, const char *file,
    const char *src, size_t len, int version);

#endif
