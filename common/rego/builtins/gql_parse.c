/*
 * gql_parse.c - GraphQL lexer, parser primitives, values, types and
 * query documents, following gqlparser's grammar, node shapes and error
 * messages (as OPA v0.48 vendors it); schema documents are in
 * gql_schema.c.  Bounded: input size, token count and nesting depth
 * are capped; errors never crash.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lockstep/error.h"
#include "rego/builtins/gql.h"
#include "rego/builtins/gql_int.h"
#include "rego/builtins/lib.h"

const char *const gqp_tk_name[] = {
	"<EOF>",
	"<Invalid>",
	"!",
	"$",
	"&",
	"(",
	")",
	"...",
	":",
	"=",
	"@",
	"[",
	"]",
	"{",
	"|",
	"}",
	"Name",
	"Int",
	"Float",
	"String",
	"BlockString",
};

/* ---- node building ---- */

void
gqp_put(struct gp *p, struct node *nd, const char *key, const struct ls_val *v)
{
	const struct ls_val *k = ls_val_cstring(p->a, key);

	if (k == NULL || v == NULL || nd->n >= NODE_MAX) {
		p->oom = 1;
		return;
	}
	nd->k[nd->n] = k;
	nd->v[nd->n++] = v;
}

/* gqlparser's pruning: nothing for an empty list. */
void
gqp_put_list(struct gp *p, struct node *nd, const char *key, struct ls_vlist *l)
{
	if (l->n > 0)
		gqp_put(p, nd, key, ls_val_array(p->a, l->v, l->n));
}

void
gqp_put_str(struct gp *p, struct node *nd, const char *key, const char *s)
{
	gqp_put(p, nd, key, ls_val_cstring(p->a, s ? s : ""));
}

void
gqp_put_pos(struct gp *p, struct node *nd, const struct tok *t)
{
	struct node pos = { .n = 0 };

	gqp_put(p, &pos, "Line", ls_val_int(p->a, t->line));
	gqp_put(p, &pos, "Column", ls_val_int(p->a, t->col));
	if (!p->oom)
		gqp_put(p, nd, "Position",
		    ls_val_object(p->a, pos.k, pos.v, pos.n, NULL));
}

const struct ls_val *
gqp_done(struct gp *p, struct node *nd)
{
	const struct ls_val *v;

	if (p->oom)
		return ls_val_empty_object();
	v = ls_val_object(p->a, nd->k, nd->v, nd->n, NULL);
	if (v == NULL) {
		p->oom = 1;
		return ls_val_empty_object();
	}
	return v;
}

void
gqp_push(struct gp *p, struct ls_vlist *l, const struct ls_val *v)
{
	if (v == NULL || ls_vlist_push(l, v) != 0)
		p->oom = 1;
}

/* ---- errors ---- */

void
gqp_fail_at(struct gp *p, int line, int col, const char *fmt, ...)
{
	va_list ap;

	if (p->err)
		return;
	p->err = 1;
	p->e->line = line;
	p->e->col = col;
	va_start(ap, fmt);
	vsnprintf(p->e->msg, sizeof p->e->msg, fmt, ap);
	va_end(ap);
}

/* Token as gqlparser's Token.String(): kind, then the quoted value. */
static void
tok_text(char *out, size_t cap, const struct tok *t)
{
	if (t->vlen > 0 && t->kind >= T_NAME)
		snprintf(out, cap, "%s \"%.*s\"", gqp_tk_name[t->kind],
		    (int)(t->vlen > 100 ? 100 : t->vlen), t->val);
	else
		snprintf(out, cap, "%s", gqp_tk_name[t->kind]);
}

void
gqp_unexpected_tok(struct gp *p, const struct tok *t)
{
	char txt[160];

	tok_text(txt, sizeof txt, t);
	/* gqlparser places a string token after its opening quote(s) */
	gqp_fail_at(p, t->line,
	    t->col +
		(t->kind == T_STRING		    ? 1
			: t->kind == T_BLOCK_STRING ? 3
						    : 0),
	    "Unexpected %s", txt);
}

/* ---- lexer ---- */

static int
name_start(char c)
{
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
name_char(char c)
{
	return name_start(c) || (c >= '0' && c <= '9');
}

static void
newline(struct gp *p, size_t at)
{
	/* \r\n counts once */
	if (p->s[at] == '\r' && at + 1 < p->len && p->s[at + 1] == '\n')
		return;
	p->line++;
	p->line_start = at + 1;
}

static void
skip_ignored(struct gp *p)
{
	while (p->pos < p->len) {
		char c = p->s[p->pos];

		if (c == ' ' || c == '\t' || c == ',') {
			p->pos++;
		} else if (c == '\n' || c == '\r') {
			newline(p, p->pos);
			p->pos++;
		} else if (c == '#') {
			while (p->pos < p->len && p->s[p->pos] != '\n' &&
			    p->s[p->pos] != '\r')
				p->pos++;
		} else if ((unsigned char)c == 0xEF && p->pos + 2 < p->len &&
		    (unsigned char)p->s[p->pos + 1] == 0xBB &&
		    (unsigned char)p->s[p->pos + 2] == 0xBF) {
			p->pos += 3;
		} else {
			return;
		}
	}
}

static int
hexv(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* "..." string; the decoded value into b. 0, or -1 for Invalid. */
static int
lex_string(struct gp *p, struct ls_buf *b)
{
	size_t i = p->pos + 1;

	while (i < p->len) {
		char c = p->s[i];

		if (c == '"') {
			p->pos = i + 1;
			return 0;
		}
		if (c == '\n' || c == '\r')
			break;
		if (c == '\\' && i + 1 < p->len) {
			char e = p->s[i + 1], out = 0;
			if (e == 'u' && i + 5 < p->len) {
				unsigned cp = 0;
				int k, h;
				char enc[4];
				for (k = 2; k < 6; k++) {
					if ((h = hexv(p->s[i + k])) < 0)
						goto bad;
					cp = cp << 4 | (unsigned)h;
				}
				if (ls_buf_add(b, enc, ls_utf8_put(enc, cp)) !=
				    0)
					goto bad;
				i += 6;
				continue;
			}
			out = e == 'n'				  ? '\n'
			    : e == 't'				  ? '\t'
			    : e == 'r'				  ? '\r'
			    : e == 'b'				  ? '\b'
			    : e == 'f'				  ? '\f'
			    : (e == '"' || e == '\\' || e == '/') ? e
								  : 0;
			if (out == 0 || ls_buf_addc(b, out) != 0)
				goto bad;
			i += 2;
			continue;
		}
		if (ls_buf_addc(b, c) != 0)
			goto bad;
		i++;
	}
bad:
	p->pos = i;
	return -1;
}

static int
blank(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t')
			return 0;
	return 1;
}

/* The spec's BlockStringValue: common indent removed, blank first and
 * last lines dropped. */
static int
block_value(struct ls_buf *out, const char *raw, size_t n)
{
	size_t starts[4096], ends[4096], nl = 0, i, s = 0, indent = (size_t)-1;
	size_t first, last;
	int rc = 0;

	for (i = 0; i <= n && nl < 4096; i++) {
		if (i == n || raw[i] == '\n' || raw[i] == '\r') {
			starts[nl] = s;
			ends[nl++] = i;
			if (i < n && raw[i] == '\r' && i + 1 < n &&
			    raw[i + 1] == '\n')
				i++;
			s = i + 1;
		}
	}
	if (nl == 4096)
		return -1;
	for (i = 1; i < nl; i++) {
		size_t w = 0;
		while (starts[i] + w < ends[i] &&
		    (raw[starts[i] + w] == ' ' || raw[starts[i] + w] == '\t'))
			w++;
		if (starts[i] + w < ends[i] && w < indent)
			indent = w;
	}
	for (i = 1; i < nl && indent != (size_t)-1; i++)
		starts[i] +=
		    ends[i] - starts[i] < indent ? ends[i] - starts[i] : indent;
	first = 0;
	last = nl;
	while (first < last &&
	    blank(raw + starts[first], ends[first] - starts[first]))
		first++;
	while (last > first &&
	    blank(raw + starts[last - 1], ends[last - 1] - starts[last - 1]))
		last--;
	for (i = first; i < last && rc == 0; i++) {
		if (i > first)
			rc = ls_buf_addc(out, '\n');
		if (rc == 0)
			rc = ls_buf_add(out, raw + starts[i],
			    ends[i] - starts[i]);
	}
	return rc;
}

/* """...""" string: 0, or -1 when unterminated. */
static int
lex_block(struct gp *p, struct ls_buf *b)
{
	struct ls_buf raw;
	size_t i = p->pos + 3;
	int rc = -1;

	ls_buf_init(&raw, BI_GQL_MAX_INPUT);
	while (i < p->len) {
		if (i + 2 < p->len && memcmp(p->s + i, "\"\"\"", 3) == 0) {
			rc = block_value(b, raw.data ? raw.data : "", raw.len);
			i += 3;
			break;
		}
		if (i + 3 < p->len && memcmp(p->s + i, "\\\"\"\"", 4) == 0) {
			if (ls_buf_adds(&raw, "\"\"\"") != 0)
				break;
			i += 4;
			continue;
		}
		if (p->s[i] == '\n' || p->s[i] == '\r')
			newline(p, i);
		if (ls_buf_addc(&raw, p->s[i]) != 0)
			break;
		i++;
	}
	ls_buf_cleanup(&raw);
	p->pos = i;
	return rc;
}

static void
lex_number(struct gp *p, struct tok *t)
{
	size_t i = p->pos;

	t->kind = T_INT;
	if (p->s[i] == '-')
		i++;
	while (i < p->len && p->s[i] >= '0' && p->s[i] <= '9')
		i++;
	if (i + 1 < p->len && p->s[i] == '.' && p->s[i + 1] >= '0' &&
	    p->s[i + 1] <= '9') {
		t->kind = T_FLOAT;
		i++;
		while (i < p->len && p->s[i] >= '0' && p->s[i] <= '9')
			i++;
	}
	if (i < p->len && (p->s[i] == 'e' || p->s[i] == 'E')) {
		size_t j = i + 1;
		if (j < p->len && (p->s[j] == '+' || p->s[j] == '-'))
			j++;
		if (j < p->len && p->s[j] >= '0' && p->s[j] <= '9') {
			t->kind = T_FLOAT;
			i = j;
			while (i < p->len && p->s[i] >= '0' && p->s[i] <= '9')
				i++;
		}
	}
	p->pos = i;
}

static const char punct[] = "!$&():=@[]{|}";
static const enum tk punct_kind[] = { T_BANG, T_DOLLAR, T_AMP, T_PAREN_L,
	T_PAREN_R, T_COLON, T_EQUALS, T_AT, T_BRACKET_L, T_BRACKET_R, T_BRACE_L,
	T_PIPE, T_BRACE_R };

static void
lex(struct gp *p, struct tok *t)
{
	struct ls_buf b;
	const char *q;
	size_t start;
	int rc = 0;
	char c;

	skip_ignored(p);
	memset(t, 0, sizeof *t);
	t->val = "";
	t->line = p->line;
	t->col = (int)(p->pos - p->line_start) + 1;
	if (++p->ntok > BI_GQL_MAX_TOKENS) {
		gqp_fail_at(p, t->line, t->col, "document has too many tokens");
		return;
	}
	if (p->pos >= p->len)
		return;
	start = p->pos;
	c = p->s[p->pos];
	if (c != '\0' && (q = strchr(punct, c)) != NULL) {
		t->kind = punct_kind[q - punct];
		p->pos++;
		return;
	}
	if (c == '.' && p->pos + 2 < p->len && p->s[p->pos + 1] == '.' &&
	    p->s[p->pos + 2] == '.') {
		t->kind = T_SPREAD;
		p->pos += 3;
		return;
	}
	ls_buf_init(&b, BI_GQL_MAX_INPUT);
	if (name_start(c)) {
		while (p->pos < p->len && name_char(p->s[p->pos]))
			p->pos++;
		t->kind = T_NAME;
		rc = ls_buf_add(&b, p->s + start, p->pos - start);
	} else if (c == '-' || (c >= '0' && c <= '9')) {
		lex_number(p, t);
		rc = ls_buf_add(&b, p->s + start, p->pos - start);
	} else if (c == '"' && p->pos + 2 < p->len && p->s[p->pos + 1] == '"' &&
	    p->s[p->pos + 2] == '"') {
		t->kind = T_BLOCK_STRING;
		if (lex_block(p, &b) != 0) {
			t->kind = T_INVALID;
			t->line = p->line;
			t->col = (int)(p->pos - p->line_start) + 1;
		}
	} else if (c == '"') {
		t->kind = T_STRING;
		if (lex_string(p, &b) != 0)
			t->kind = T_INVALID;
	} else {
		gqp_fail_at(p, t->line, t->col,
		    "Cannot parse the unexpected "
		    "character \"%c\".",
		    c);
	}
	if (rc == 0 &&
	    (t->val = ls_arena_strndup(p->a, b.data ? b.data : "", b.len)) !=
		NULL)
		t->vlen = b.len;
	else
		p->oom = 1, t->val = "";
	ls_buf_cleanup(&b);
}

/* ---- parser primitives (gqlparser's peek/next/skip/expect) ---- */

const struct tok *
gqp_peek(struct gp *p)
{
	if (!p->peeked && !p->err) {
		lex(p, &p->peek);
		p->peeked = 1;
	}
	return &p->peek;
}

struct tok
gqp_next(struct gp *p)
{
	if (p->err)
		return p->prev;
	gqp_peek(p);
	p->peeked = 0;
	p->prev = p->peek;
	return p->prev;
}

int
gqp_skip(struct gp *p, enum tk k)
{
	if (p->err || gqp_peek(p)->kind != k)
		return 0;
	gqp_next(p);
	return 1;
}

struct tok
gqp_expect(struct gp *p, enum tk k)
{
	struct tok t = gqp_next(p);

	if (!p->err && t.kind != k)
		gqp_fail_at(p, t.line, t.col, "Expected %s, found %s",
		    gqp_tk_name[k], gqp_tk_name[t.kind]);
	return t;
}

int
gqp_peek_kw(struct gp *p, const char *kw)
{
	const struct tok *t = gqp_peek(p);

	return t->kind == T_NAME && strcmp(t->val, kw) == 0;
}

void
gqp_expect_kw(struct gp *p, const char *kw)
{
	struct tok t = gqp_next(p);
	char txt[160];

	if (p->err || (t.kind == T_NAME && strcmp(t.val, kw) == 0))
		return;
	tok_text(txt, sizeof txt, &t);
	gqp_fail_at(p, t.line, t.col, "Expected \"%s\", found %s", kw, txt);
}

void
gqp_unexpected(struct gp *p)
{
	struct tok t = *gqp_peek(p);

	gqp_unexpected_tok(p, &t);
}

const struct ls_val *
gqp_name(struct gp *p)
{
	struct tok t = gqp_expect(p, T_NAME);

	return ls_val_string(p->a, t.val, t.vlen);
}

static int
enter(struct gp *p)
{
	if (++p->depth > BI_GQL_MAX_DEPTH) {
		gqp_fail_at(p, gqp_peek(p)->line, gqp_peek(p)->col,
		    "document nested too "
		    "deeply");
		return 0;
	}
	return 1;
}

/* ---- values and types ---- */

enum {
	K_VARIABLE,
	K_INT,
	K_FLOAT,
	K_STRING,
	K_BLOCK,
	K_BOOLEAN,
	K_NULL,
	K_ENUM,
	K_LIST,
	K_OBJECT
};

static const struct ls_val *
value_node(struct gp *p, const struct tok *at, int kind, const char *raw,
    size_t rlen, struct ls_vlist *children)
{
	struct node nd = { .n = 0 };

	/* gqlparser v2 (OPA 1.x) marshals this flag on every value */
	if (!p->v0)
		gqp_put(p, &nd, "ExpectedTypeHasDefault", ls_val_bool(0));
	gqp_put(p, &nd, "Kind", ls_val_int(p->a, kind));
	gqp_put(p, &nd, "Raw", ls_val_string(p->a, raw, rlen));
	if (children != NULL)
		gqp_put_list(p, &nd, "Children", children);
	gqp_put_pos(p, &nd, at);
	return gqp_done(p, &nd);
}

static const struct ls_val *
list_or_object(struct gp *p, int is_const, int object)
{
	struct tok at = *gqp_peek(p);
	struct ls_vlist ch;

	ls_vlist_init(&ch, p->a);
	if (!enter(p))
		return ls_val_empty_object();
	gqp_next(p);
	while (!p->err &&
	    gqp_peek(p)->kind != (object ? T_BRACE_R : T_BRACKET_R)) {
		struct node cv = { .n = 0 };
		struct tok ct = *gqp_peek(p);
		if (object) {
			gqp_put(p, &cv, "Name", gqp_name(p));
			gqp_expect(p, T_COLON);
		} else {
			gqp_put_str(p, &cv, "Name", "");
		}
		gqp_put(p, &cv, "Value", gqp_value_literal(p, is_const));
		gqp_put_pos(p, &cv, &ct);
		gqp_push(p, &ch, gqp_done(p, &cv));
	}
	gqp_next(p);
	p->depth--;
	return value_node(p, &at, object ? K_OBJECT : K_LIST, "", 0, &ch);
}

const struct ls_val *
gqp_value_literal(struct gp *p, int is_const)
{
	struct tok t = *gqp_peek(p);
	int kind;

	switch (t.kind) {
	case T_BRACKET_L: return list_or_object(p, is_const, 0);
	case T_BRACE_L: return list_or_object(p, is_const, 1);
	case T_DOLLAR:
		if (is_const) {
			gqp_unexpected(p);
			return ls_val_empty_object();
		}
		gqp_next(p);
		t = gqp_expect(p, T_NAME);
		return value_node(p, &t, K_VARIABLE, t.val, t.vlen, NULL);
	case T_INT: kind = K_INT; break;
	case T_FLOAT: kind = K_FLOAT; break;
	case T_STRING: kind = K_STRING; break;
	case T_BLOCK_STRING: kind = K_BLOCK; break;
	case T_NAME:
		kind = strcmp(t.val, "true") == 0 || strcmp(t.val, "false") == 0
		    ? K_BOOLEAN
		    : strcmp(t.val, "null") == 0 ? K_NULL
						 : K_ENUM;
		break;
	default: gqp_unexpected(p); return ls_val_empty_object();
	}
	gqp_next(p);
	return value_node(p, &t, kind, t.val, t.vlen, NULL);
}

const struct ls_val *
gqp_type_ref(struct gp *p)
{
	struct node nd = { .n = 0 };
	struct tok at = *gqp_peek(p);

	if (!enter(p))
		return ls_val_empty_object();
	if (gqp_skip(p, T_BRACKET_L)) {
		gqp_put(p, &nd, "Elem", gqp_type_ref(p));
		gqp_expect(p, T_BRACKET_R);
		gqp_put_str(p, &nd, "NamedType", "");
	} else {
		gqp_put(p, &nd, "NamedType", gqp_name(p));
	}
	gqp_put(p, &nd, "NonNull", ls_val_bool(gqp_skip(p, T_BANG)));
	gqp_put_pos(p, &nd, &at);
	p->depth--;
	return gqp_done(p, &nd);
}

static void
arguments(struct gp *p, struct node *nd, int is_const)
{
	struct ls_vlist l;

	ls_vlist_init(&l, p->a);
	if (gqp_skip(p, T_PAREN_L)) {
		while (!p->err && gqp_peek(p)->kind != T_PAREN_R) {
			struct node a = { .n = 0 };
			struct tok at = *gqp_peek(p);
			gqp_put(p, &a, "Name", gqp_name(p));
			gqp_expect(p, T_COLON);
			gqp_put(p, &a, "Value", gqp_value_literal(p, is_const));
			gqp_put_pos(p, &a, &at);
			gqp_push(p, &l, gqp_done(p, &a));
		}
		gqp_next(p);
	}
	gqp_put_list(p, nd, "Arguments", &l);
}

void
gqp_directives(struct gp *p, struct node *nd, int is_const)
{
	struct ls_vlist l;

	ls_vlist_init(&l, p->a);
	while (!p->err && gqp_peek(p)->kind == T_AT) {
		struct node d = { .n = 0 };
		struct tok at = gqp_next(p);
		gqp_put(p, &d, "Name", gqp_name(p));
		arguments(p, &d, is_const);
		gqp_put_str(p, &d, "Location", "");
		gqp_put_pos(p, &d, &at);
		gqp_push(p, &l, gqp_done(p, &d));
	}
	gqp_put_list(p, nd, "Directives", &l);
}

/* ---- query documents ---- */

static void selection_set(struct gp *p, struct node *nd, int required);

static const struct ls_val *
field(struct gp *p)
{
	struct node nd = { .n = 0 };
	struct tok at = *gqp_peek(p);
	const struct ls_val *alias = gqp_name(p);

	gqp_put(p, &nd, "Alias", alias);
	gqp_put(p, &nd, "Name", gqp_skip(p, T_COLON) ? gqp_name(p) : alias);
	arguments(p, &nd, 0);
	gqp_directives(p, &nd, 0);
	if (!p->err && gqp_peek(p)->kind == T_BRACE_L)
		selection_set(p, &nd, 0);
	gqp_put_pos(p, &nd, &at);
	return gqp_done(p, &nd);
}

static const struct ls_val *
fragment(struct gp *p)
{
	struct node nd = { .n = 0 };
	struct tok at = gqp_expect(p, T_SPREAD);

	if (gqp_peek(p)->kind == T_NAME && !gqp_peek_kw(p, "on")) {
		gqp_put(p, &nd, "Name", gqp_name(p));
		gqp_directives(p, &nd, 0);
	} else {
		if (gqp_peek_kw(p, "on")) {
			gqp_next(p);
			gqp_put(p, &nd, "TypeCondition", gqp_name(p));
		} else {
			gqp_put_str(p, &nd, "TypeCondition", "");
		}
		gqp_directives(p, &nd, 0);
		selection_set(p, &nd, 1);
	}
	gqp_put_pos(p, &nd, &at);
	return gqp_done(p, &nd);
}

static void
selection_set(struct gp *p, struct node *nd, int required)
{
	struct ls_vlist l;
	int called = 0;

	ls_vlist_init(&l, p->a);
	if (required && !p->err && gqp_peek(p)->kind != T_BRACE_L) {
		struct tok t = *gqp_peek(p);
		gqp_fail_at(p, t.line, t.col, "Expected {, found %s",
		    gqp_tk_name[t.kind]);
		return;
	}
	if (!enter(p))
		return;
	if (gqp_skip(p, T_BRACE_L)) {
		while (!p->err && gqp_peek(p)->kind != T_BRACE_R) {
			called = 1;
			gqp_push(p, &l,
			    gqp_peek(p)->kind == T_SPREAD ? fragment(p)
							  : field(p));
		}
		if (!called && !p->err)
			gqp_fail_at(p, gqp_peek(p)->line, gqp_peek(p)->col,
			    "expected at "
			    "least one definition, found %s",
			    gqp_tk_name[gqp_peek(p)->kind]);
		gqp_next(p);
	}
	p->depth--;
	gqp_put_list(p, nd, "SelectionSet", &l);
}

static void
variable_defs(struct gp *p, struct node *nd, const char *key)
{
	struct ls_vlist l;

	ls_vlist_init(&l, p->a);
	if (gqp_skip(p, T_PAREN_L)) {
		while (!p->err && gqp_peek(p)->kind != T_PAREN_R) {
			struct node v = { .n = 0 };
			struct tok at = gqp_expect(p, T_DOLLAR);
			gqp_put(p, &v, "Variable", gqp_name(p));
			gqp_put(p, &v, "Used", ls_val_bool(0));
			gqp_expect(p, T_COLON);
			gqp_put(p, &v, "Type", gqp_type_ref(p));
			if (gqp_skip(p, T_EQUALS))
				gqp_put(p, &v, "DefaultValue",
				    gqp_value_literal(p, 1));
			gqp_directives(p, &v, 0);
			gqp_put_pos(p, &v, &at);
			gqp_push(p, &l, gqp_done(p, &v));
		}
		gqp_next(p);
	}
	gqp_put_list(p, nd, key, &l);
}

static const struct ls_val *
operation(struct gp *p)
{
	struct node nd = { .n = 0 };
	struct tok at = *gqp_peek(p);

	if (at.kind == T_BRACE_L) {
		gqp_put_str(p, &nd, "Operation", "query");
		gqp_put_str(p, &nd, "Name", "");
	} else {
		struct tok op = gqp_next(p);
		if (op.kind != T_NAME ||
		    (strcmp(op.val, "query") != 0 &&
			strcmp(op.val, "mutation") != 0 &&
			strcmp(op.val, "subscription") != 0))
			gqp_unexpected_tok(p, &op);
		gqp_put(p, &nd, "Operation",
		    ls_val_string(p->a, op.val, op.vlen));
		gqp_put(p, &nd, "Name",
		    gqp_peek(p)->kind == T_NAME ? gqp_name(p)
						: ls_val_empty_string());
		variable_defs(p, &nd, "VariableDefinitions");
		gqp_directives(p, &nd, 0);
	}
	selection_set(p, &nd, 1);
	gqp_put_pos(p, &nd, &at);
	return gqp_done(p, &nd);
}

static const struct ls_val *
fragment_def(struct gp *p)
{
	struct node nd = { .n = 0 };
	struct tok at = *gqp_peek(p);

	gqp_expect_kw(p, "fragment");
	if (gqp_peek_kw(p, "on"))
		gqp_unexpected(p);
	gqp_put(p, &nd, "Name", gqp_name(p));
	variable_defs(p, &nd, "VariableDefinition");
	gqp_expect_kw(p, "on");
	gqp_put(p, &nd, "TypeCondition", gqp_name(p));
	gqp_directives(p, &nd, 0);
	selection_set(p, &nd, 1);
	gqp_put_pos(p, &nd, &at);
	return gqp_done(p, &nd);
}

static const struct ls_val *
query_doc(struct gp *p)
{
	struct ls_vlist ops, frags;
	struct node nd = { .n = 0 };

	ls_vlist_init(&ops, p->a);
	ls_vlist_init(&frags, p->a);
	while (!p->err && gqp_peek(p)->kind != T_EOF) {
		const struct tok *t = gqp_peek(p);
		if (t->kind == T_NAME && strcmp(t->val, "fragment") == 0)
			gqp_push(p, &frags, fragment_def(p));
		else if (t->kind == T_BRACE_L ||
		    (t->kind == T_NAME &&
			(strcmp(t->val, "query") == 0 ||
			    strcmp(t->val, "mutation") == 0 ||
			    strcmp(t->val, "subscription") == 0)))
			gqp_push(p, &ops, operation(p));
		else
			gqp_unexpected(p);
	}
	gqp_put_list(p, &nd, "Operations", &ops);
	gqp_put_list(p, &nd, "Fragments", &frags);
	return gqp_done(p, &nd);
}

int
bi_gql_parse(const struct ls_val **out, struct bi_gql_err *err,
    struct ls_arena *a, const char *src, size_t len, int schema)
{
	struct gp p;

	memset(&p, 0, sizeof p);
	memset(err, 0, sizeof *err);
	p.a = a;
	p.s = src;
	p.len = len;
	p.line = 1;
	p.e = err;
	p.prev.val = "";
	p.v0 = (schema & BI_GQL_V0) != 0;
	schema &= BI_GQL_SCHEMA;
	if (len > BI_GQL_MAX_INPUT) {
		snprintf(err->msg, sizeof err->msg, "document too large");
		err->line = err->col = 1;
		return ls_error_set(LS_ETOOBIG, "%s", err->msg);
	}
	*out = schema ? gqp_schema_doc(&p) : query_doc(&p);
	if (p.oom)
		return ls_error_set(LS_ENOMEM, "out of memory");
	if (p.err)
		return ls_error_set(LS_EFORMAT, "%s", err->msg);
	return 0;
}

const struct ls_val *
bi_gql_prune(struct ls_arena *a, const struct ls_val *v)
{
	const struct ls_val **k, **w;
	size_t i, n = 0;

	if (v->type == LS_VAL_ARRAY) {
		w = ls_arena_alloc(a,
		    (v->u.arr.n + 1) * sizeof(const struct ls_val *));
		for (i = 0; w != NULL && i < v->u.arr.n; i++)
			if ((w[i] = bi_gql_prune(a, v->u.arr.v[i])) == NULL)
				return NULL;
		return w ? ls_val_array(a, w, v->u.arr.n) : NULL;
	}
	if (v->type != LS_VAL_OBJECT)
		return v;
	k = ls_arena_alloc(a, (v->u.obj.n + 1) * sizeof(const struct ls_val *));
	w = ls_arena_alloc(a, (v->u.obj.n + 1) * sizeof(const struct ls_val *));
	if (k == NULL || w == NULL)
		return NULL;
	for (i = 0; i < v->u.obj.n; i++) {
		if (ls_val_is_string(v->u.obj.k[i], "Position"))
			continue;
		k[n] = v->u.obj.k[i];
		if ((w[n++] = bi_gql_prune(a, v->u.obj.v[i])) == NULL)
			return NULL;
	}
	return ls_val_object(a, k, w, n, NULL);
}
