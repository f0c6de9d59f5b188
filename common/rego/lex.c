/* lex.c - the Rego tokenizer: idents, strings, numbers, punctuation. */
#include <string.h>

#include "lockstep/error.h"
#include "rego/ast.h"
#include "rego/lex.h"
#include "rego/value.h"

struct lx {
	const char *file, *src;
	size_t len, i;
	int line, col, nl;
	struct ls_arena *a;
	struct ls_token *t;
	size_t n, cap;
	int tdepth; /* template strings open */
};

static int lex_template(struct lx *l);

static int
lx_fail(struct lx *l, const char *msg)
{
	return ls_error_set(LS_EREGO, "%s:%d:%d: rego_parse_error: %s", l->file,
	    l->line, l->col, msg);
}

static void
adv(struct lx *l, size_t n)
{
	while (n-- > 0 && l->i < l->len) {
		if (l->src[l->i] == '\n') {
			l->line++;
			l->col = 1;
		} else
			l->col++;
		l->i++;
	}
}

static struct ls_token *
push(struct lx *l, enum ls_tok k, size_t start, size_t len, int line, int col)
{
	struct ls_token *t;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 256;

		if (cap > LS_REGO_MAX_TOKENS)
			return NULL;
		t = ls_arena_alloc(l->a, cap * sizeof(*t));
		if (t == NULL)
			return NULL;
		if (l->n)
			memcpy(t, l->t, l->n * sizeof(*t));
		l->t = t;
		l->cap = cap;
	}
	t = &l->t[l->n++];
	memset(t, 0, sizeof(*t));
	t->k = k;
	t->p = l->src + start;
	t->len = len;
	t->line = line;
	t->col = col;
	t->nl = l->nl;
	l->nl = 0;
	return t;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int
lex_escape(struct lx *l, char *buf, size_t *n)
{
	const char *map = "\"\"\\\\//b\bf\fn\nr\rt\t";
	char c = l->src[l->i];
	unsigned cp = 0;
	size_t k;

	for (k = 0; map[k]; k += 2)
		if (map[k] == c) {
			buf[(*n)++] = map[k + 1];
			adv(l, 1);
			return 0;
		}
	if (c != 'u' || l->len - l->i < 5)
		return lx_fail(l, "invalid escape in string");
	for (k = 1; k <= 4; k++) {
		int h = hexval(l->src[l->i + k]);

		if (h < 0)
			return lx_fail(l, "invalid \\u escape in string");
		cp = cp << 4 | (unsigned)h;
	}
	adv(l, 5);
	if (cp >= 0xd800 && cp < 0xdc00 && l->len - l->i >= 6 &&
	    l->src[l->i] == '\\' && l->src[l->i + 1] == 'u') {
		unsigned lo = 0;
		int ok = 1;

		for (k = 2; k <= 5; k++) {
			int h = hexval(l->src[l->i + k]);

			ok &= h >= 0;
			lo = lo << 4 | (unsigned)(h < 0 ? 0 : h);
		}
		if (ok && lo >= 0xdc00 && lo < 0xe000) {
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			adv(l, 6);
		}
	}
	if (cp >= 0xd800 && cp < 0xe000)
		cp = 0xfffd;
	*n += ls_utf8_put(buf + *n, cp);
	return 0;
}

/* Bytes from i up to the first unescaped stop char, a newline or the
 * end: the most a string's decoded text can take (escapes only shrink). */
static size_t
raw_extent(const struct lx *l, size_t i, char stop1, char stop2)
{
	size_t j = i;

	while (j < l->len && l->src[j] != stop1 && l->src[j] != stop2 &&
	    l->src[j] != '\n')
		j += l->src[j] == '\\' && j + 1 < l->len ? 2 : 1;
	return j - i;
}

static int
lex_string(struct lx *l)
{
	size_t start = l->i, n = 0;
	int line = l->line, col = l->col, rc;
	char *buf = ls_arena_alloc(l->a, raw_extent(l, l->i + 1, '"', '"') + 1);
	struct ls_token *t;

	if (buf == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	adv(l, 1);
	for (;;) {
		char c;

		if (l->i >= l->len || l->src[l->i] == '\n') {
			l->line = line;
			l->col = col;
			return lx_fail(l, "unterminated string");
		}
		c = l->src[l->i];
		if (c == '"')
			break;
		if (c == '\\') {
			adv(l, 1);
			if (l->i >= l->len)
				return lx_fail(l, "unterminated string");
			if ((rc = lex_escape(l, buf, &n)) != 0)
				return rc;
			continue;
		}
		buf[n++] = c;
		adv(l, 1);
	}
	adv(l, 1);
	buf[n] = '\0';
	t = push(l, LS_TK_STRING, start, l->i - start, line, col);
	if (t == NULL)
		return lx_fail(l, "too many tokens");
	t->s = buf;
	t->slen = n;
	return 0;
}

static int
lex_raw(struct lx *l)
{
	size_t start = l->i, end;
	int line = l->line, col = l->col;
	struct ls_token *t;
	const char *q = memchr(l->src + start + 1, '`', l->len - start - 1);

	if (q == NULL)
		return lx_fail(l, "unterminated raw string");
	end = (size_t)(q - l->src);
	adv(l, end + 1 - start);
	t = push(l, LS_TK_STRING, start, end + 1 - start, line, col);
	if (t == NULL)
		return lx_fail(l, "too many tokens");
	t->s = ls_arena_strndup(l->a, l->src + start + 1, end - start - 1);
	t->slen = end - start - 1;
	t->raw = 1;
	return t->s ? 0 : ls_error_set(LS_ENOMEM, "out of memory");
}

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int
is_ident(char c, int first)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	    (!first && is_digit(c));
}

static size_t
scan_number(const char *s, size_t len, size_t i)
{
	while (i < len && is_digit(s[i]))
		i++;
	if (i + 1 < len && s[i] == '.' && is_digit(s[i + 1])) {
		i++;
		while (i < len && is_digit(s[i]))
			i++;
	}
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		size_t j = i + 1;

		if (j < len && (s[j] == '+' || s[j] == '-'))
			j++;
		if (j < len && is_digit(s[j])) {
			i = j;
			while (i < len && is_digit(s[i]))
				i++;
		}
	}
	return i;
}

static const char *const puncts[] = { ":=", "==", "!=", "<=", ">=", "{", "}",
	"[", "]", "(", ")", ".", ",", ";", ":", "=", "<", ">", "+", "-", "*",
	"/", "%", "&", "|", NULL };

static int
lex_one(struct lx *l)
{
	const char *s = l->src;
	size_t i = l->i, j;
	int k, num = 0;

	if (s[i] == '"')
		return lex_string(l);
	if (s[i] == '`')
		return lex_raw(l);
	if (s[i] == '$' && i + 1 < l->len &&
	    (s[i + 1] == '"' || s[i + 1] == '`'))
		return lex_template(l);
	if (is_digit(s[i]))
		j = scan_number(s, l->len, i), num = 1;
	else if (s[i] == '.' && i + 1 < l->len && is_digit(s[i + 1]) &&
	    (i == 0 ||
		!(is_ident(s[i - 1], 0) || s[i - 1] == ']' || s[i - 1] == ')' ||
		    s[i - 1] == '}')))
		j = scan_number(s, l->len, i + 1), num = 1; /* .5 */
	else if (is_ident(s[i], 1))
		for (j = i; j < l->len && is_ident(s[j], 0); j++)
			;
	else {
		for (k = 0; puncts[k]; k++) {
			size_t pl = strlen(puncts[k]);

			if (l->len - i >= pl &&
			    memcmp(s + i, puncts[k], pl) == 0)
				break;
		}
		if (puncts[k] == NULL)
			return lx_fail(l, "unexpected character");
		j = i + strlen(puncts[k]);
	}
	if (push(l,
		num			? LS_TK_NUMBER
		    : is_ident(s[i], 1) ? LS_TK_IDENT
					: LS_TK_PUNCT,
		i, j - i, l->line, l->col) == NULL)
		return lx_fail(l, "too many tokens");
	adv(l, j - i);
	return 0;
}

/* Blanks, a comment or one token. */
static int
lex_next(struct lx *l)
{
	char c = l->src[l->i];

	if (c == '\n') {
		l->nl = 1;
		adv(l, 1);
	} else if (c == ' ' || c == '\t' || c == '\r')
		adv(l, 1);
	else if (c == '#') {
		while (l->i < l->len && l->src[l->i] != '\n')
			adv(l, 1);
	} else
		return lex_one(l);
	return 0;
}

/* The tokens of a template's {expr}, up to its closing brace. */
static int
lex_tpl_expr(struct lx *l)
{
	int depth = 0, rc;

	if (push(l, LS_TK_TPL_EXPR, l->i, 1, l->line, l->col) == NULL)
		return lx_fail(l, "too many tokens");
	adv(l, 1);
	for (;;) {
		if (l->i >= l->len)
			return lx_fail(l, "unterminated template expression");
		if (l->src[l->i] == '}' && depth == 0)
			break;
		if (l->src[l->i] == '{')
			depth++;
		else if (l->src[l->i] == '}')
			depth--;
		if ((rc = lex_next(l)) != 0)
			return rc;
	}
	if (push(l, LS_TK_TPL_EXPR_END, l->i, 1, l->line, l->col) == NULL)
		return lx_fail(l, "too many tokens");
	adv(l, 1);
	return 0;
}

/* A literal part of a template string, as a STRING token; *n reset. */
static int
tpl_literal(struct lx *l, char **buf, size_t *n, size_t start, int line,
    int col)
{
	struct ls_token *t;

	if (*n == 0)
		return 0;
	t = push(l, LS_TK_STRING, start, l->i - start, line, col);
	if (t == NULL)
		return lx_fail(l, "too many tokens");
	(*buf)[*n] = '\0';
	t->s = *buf;
	t->slen = *n;
	*n = 0;
	return 0;
}

/* Room for a template's literal part from i: up to its first unescaped
 * '{' or closing quote (a raw template's may span lines). */
static char *
tpl_buf(struct lx *l, size_t i, char q)
{
	size_t j = i;

	while (j < l->len && l->src[j] != q && l->src[j] != '{' &&
	    !(q == '"' && l->src[j] == '\n'))
		j += l->src[j] == '\\' && j + 1 < l->len ? 2 : 1;
	return ls_arena_alloc(l->a, j - i + 1);
}

/*
 * $"..." (escapes as in strings) or $`...` (raw): \{ is a literal
 * brace, {expr} an expression.
 */
static int
lex_template(struct lx *l)
{
	char q = l->src[l->i + 1], c;
	char *buf;
	size_t n = 0, start;
	int line = l->line, col = l->col, rc;

	if ((buf = tpl_buf(l, l->i + 2, q)) == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	if (++l->tdepth > LS_REGO_MAX_DEPTH)
		return lx_fail(l, "template strings nested too deeply");
	if (push(l, LS_TK_TPL_BEGIN, l->i, 2, line, col) == NULL)
		return lx_fail(l, "too many tokens");
	adv(l, 2);
	start = l->i;
	for (;;) {
		if (l->i >= l->len || (q == '"' && l->src[l->i] == '\n')) {
			l->line = line;
			l->col = col;
			return lx_fail(l, "unterminated template string");
		}
		c = l->src[l->i];
		if (c == q)
			break;
		if (c == '\\' && l->i + 1 < l->len && l->src[l->i + 1] == '{') {
			buf[n++] = '{';
			adv(l, 2);
		} else if (c == '\\' && q == '"') {
			adv(l, 1);
			if (l->i >= l->len)
				continue;
			if ((rc = lex_escape(l, buf, &n)) != 0)
				return rc;
		} else if (c == '{') {
			if ((rc = tpl_literal(l, &buf, &n, start, line, col)) ||
			    (rc = lex_tpl_expr(l)) != 0)
				return rc;
			start = l->i;
			if ((buf = tpl_buf(l, l->i, q)) == NULL)
				return ls_error_set(LS_ENOMEM, "out of memory");
		} else {
			buf[n++] = c;
			adv(l, 1);
		}
	}
	if ((rc = tpl_literal(l, &buf, &n, start, line, col)) != 0)
		return rc;
	if (push(l, LS_TK_TPL_END, l->i, 1, l->line, l->col) == NULL)
		return lx_fail(l, "too many tokens");
	adv(l, 1);
	l->tdepth--;
	return 0;
}

int
ls_rego_lex(struct ls_token **out, size_t *nout, struct ls_arena *a,
    const char *file, const char *src, size_t len)
{
	struct lx l = { file, src, len, 0, 1, 1, 0, a, NULL, 0, 0, 0 };
	int rc;

	if (len > LS_REGO_MAX_SRC)
		return ls_error_set(LS_EREGO,
		    "%s: rego_parse_error: module "
		    "larger than %u bytes",
		    file, LS_REGO_MAX_SRC);
	while (l.i < l.len)
		if ((rc = lex_next(&l)) != 0)
			return rc;
	if (push(&l, LS_TK_EOF, l.i, 0, l.line, l.col) == NULL)
		return lx_fail(&l, "too many tokens");
	*out = l.t;
	*nout = l.n;
	return 0;
}
