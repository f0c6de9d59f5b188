/* lex.h - Rego tokens (rego-core internal, used by parse.c). */
#ifndef LS_REGO_LEX_H
#define LS_REGO_LEX_H

#include <stddef.h>

#include "rego/arena.h"

#define LS_REGO_MAX_TOKENS 2000000

enum ls_tok {
	LS_TK_EOF,
	LS_TK_IDENT,
	LS_TK_STRING,
	LS_TK_NUMBER,
	LS_TK_PUNCT,
	/* A template string $"a{x}b" lexes as TPL_BEGIN, its literal parts
	 * as STRING tokens, each {expr} as TPL_EXPR, the expression's own
	 * tokens, TPL_EXPR_END, and finally TPL_END. */
	LS_TK_TPL_BEGIN,
	LS_TK_TPL_EXPR,
	LS_TK_TPL_EXPR_END,
	LS_TK_TPL_END,
};

struct ls_token {
	enum ls_tok k;
	const char *p; /* source text of the token */
	size_t len;
	const char *s; /* LS_TK_STRING: unescaped, NUL-ended */
	size_t slen;
	int line, col;
	int nl;	 /* a newline precedes the token */
	int raw; /* raw (backquoted) string */
};

/* Tokenise; the array ends with an LS_TK_EOF token.  LS_EREGO with
 * "FILE:LINE:COL: rego_parse_error: ..." on bad input. */
int ls_rego_lex(struct ls_token **out, size_t *nout, struct ls_arena *a,
    const char *file, const char *src, size_t len);

#endif
