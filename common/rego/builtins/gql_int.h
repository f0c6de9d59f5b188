/*
 * bi_gql_int.h - internals shared by the GraphQL parser's two halves:
 * gql_parse.c (lexer, primitives, values, types, query documents) and
 * gql_schema.c (schema documents).  Private to those two files; the
 * interface for everyone else is bi_gql.h.
 */
#ifndef LS_REGO_BI_GQL_INT_H
#define LS_REGO_BI_GQL_INT_H

#include <stddef.h>

#include "rego/builtins/gql.h"

enum tk {
	T_EOF,
	T_INVALID,
	T_BANG,
	T_DOLLAR,
	T_AMP,
	T_PAREN_L,
	T_PAREN_R,
	T_SPREAD,
	T_COLON,
	T_EQUALS,
	T_AT,
	T_BRACKET_L,
	T_BRACKET_R,
	T_BRACE_L,
	T_PIPE,
	T_BRACE_R,
	T_NAME,
	T_INT,
	T_FLOAT,
	T_STRING,
	T_BLOCK_STRING,
};

/* A token; val is its value (Name text, decoded string, number). */
struct tok {
	enum tk kind;
	const char *val; /* arena copy of the value (NUL-terminated) */
	size_t vlen;
	int line, col;
};

/* Parser state over one document. */
struct gp {
	struct ls_arena *a;
	const char *s;
	size_t len, pos, line_start, ntok;
	int line;
	struct tok peek, prev;
	int peeked, err, depth, oom; /* err: e is filled */
	int v0;			     /* OPA 0.x's AST fields only */
	struct bi_gql_err *e;
};

#define NODE_MAX 14 /* fields of one AST node */

struct node {
	const struct ls_val *k[NODE_MAX], *v[NODE_MAX];
	size_t n;
};

extern const char *const gqp_tk_name[]; /* token kinds as gqlparser names them */

/* Node building: fields are collected, then made one object. */
void
gqp_put(struct gp *p, struct node *nd, const char *key, const struct ls_val *v);
void gqp_put_list(struct gp *p, struct node *nd, const char *key,
    struct ls_vlist *l); /* left out when empty, as OPA prunes */
void gqp_put_str(struct gp *p, struct node *nd, const char *key, const char *s);
void gqp_put_pos(struct gp *p, struct node *nd, const struct tok *t);
const struct ls_val *gqp_done(struct gp *p, struct node *nd);
void gqp_push(struct gp *p, struct ls_vlist *l, const struct ls_val *v);

/* Errors: the first one wins, later calls are no-ops. */
void gqp_fail_at(struct gp *p, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void gqp_unexpected_tok(struct gp *p, const struct tok *t);
void gqp_unexpected(struct gp *p);

/* gqlparser's parser primitives. */
const struct tok *gqp_peek(struct gp *p);
struct tok gqp_next(struct gp *p);
int gqp_skip(struct gp *p, enum tk k);
struct tok gqp_expect(struct gp *p, enum tk k);
int gqp_peek_kw(struct gp *p, const char *kw);
void gqp_expect_kw(struct gp *p, const char *kw);
const struct ls_val *gqp_name(struct gp *p);

/* Grammar pieces both document kinds use. */
const struct ls_val *gqp_value_literal(struct gp *p, int is_const);
const struct ls_val *gqp_type_ref(struct gp *p);
void gqp_directives(struct gp *p, struct node *nd, int is_const);

/* gql_schema.c: a schema document. */
const struct ls_val *gqp_schema_doc(struct gp *p);

#endif
