/*
 * bi_gql_parse.c - GraphQL lexer and recursive-descent parser for query
 * and schema documents, following gqlparser's grammar, node shapes and
 * error messages (as OPA v0.48 vendors it).  Bounded: input size, token
 * count and nesting depth are capped; errors never crash.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lockstep/error.h"
#include "rego/bi_gql.h"
#include "rego/bi_lib.h"

enum tk {
	T_EOF, T_INVALID, T_BANG, T_DOLLAR, T_AMP, T_PAREN_L, T_PAREN_R,
	T_SPREAD, T_COLON, T_EQUALS, T_AT, T_BRACKET_L, T_BRACKET_R,
	T_BRACE_L, T_PIPE, T_BRACE_R, T_NAME, T_INT, T_FLOAT, T_STRING,
	T_BLOCK_STRING,
};

static const char *const tk_name[] = {
	"<EOF>", "<Invalid>", "!", "$", "&", "(", ")", "...", ":", "=", "@",
	"[", "]", "{", "|", "}", "Name", "Int", "Float", "String",
	"BlockString",
};

struct tok {
	enum tk kind;
	const char *val;	/* arena copy of the value (NUL-terminated) */
	size_t vlen;
	int line, col;
};

struct gp {
	struct ls_arena *a;
	const char *s;
	size_t len, pos, line_start, ntok;
	int line;
	struct tok peek, prev;
	int peeked, err, depth, oom;
	struct bi_gql_err *e;
};

/* ---- node building ---- */

#define NODE_MAX 14

struct node {
	const struct ls_val *k[NODE_MAX], *v[NODE_MAX];
	size_t n;
};

static void
put(struct gp *p, struct node *nd, const char *key, const struct ls_val *v)
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
static void
put_list(struct gp *p, struct node *nd, const char *key, struct ls_vlist *l)
{
	if (l->n > 0)
		put(p, nd, key, ls_val_array(p->a, l->v, l->n));
}

static void
put_str(struct gp *p, struct node *nd, const char *key, const char *s)
{
	put(p, nd, key, ls_val_cstring(p->a, s ? s : ""));
}

static void
put_pos(struct gp *p, struct node *nd, const struct tok *t)
{
	struct node pos = { .n = 0 };

	put(p, &pos, "Line", ls_val_int(p->a, t->line));
	put(p, &pos, "Column", ls_val_int(p->a, t->col));
	if (!p->oom)
		put(p, nd, "Position", ls_val_object(p->a, pos.k, pos.v, pos.n,
		    NULL));
}

static const struct ls_val *
done(struct gp *p, struct node *nd)
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

static void
push(struct gp *p, struct ls_vlist *l, const struct ls_val *v)
{
	if (v == NULL || ls_vlist_push(l, v) != 0)
		p->oom = 1;
}

/* ---- errors ---- */

static void
fail_at(struct gp *p, int line, int col, const char *fmt, ...)
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
		snprintf(out, cap, "%s \"%.*s\"", tk_name[t->kind],
		    (int)(t->vlen > 100 ? 100 : t->vlen), t->val);
	else
		snprintf(out, cap, "%s", tk_name[t->kind]);
}

static void
unexpected_tok(struct gp *p, const struct tok *t)
{
	char txt[160];

	tok_text(txt, sizeof txt, t);
	fail_at(p, t->line, t->col, "Unexpected %s", txt);
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
				if (ls_buf_add(b, enc, ls_utf8_put(enc, cp)) != 0)
					goto bad;
				i += 6;
				continue;
			}
			out = e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ?
			    '\r' : e == 'b' ? '\b' : e == 'f' ? '\f' :
			    (e == '"' || e == '\\' || e == '/') ? e : 0;
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
		while (starts[i] + w < ends[i] && (raw[starts[i] + w] == ' ' ||
		    raw[starts[i] + w] == '\t'))
			w++;
		if (starts[i] + w < ends[i] && w < indent)
			indent = w;
	}
	for (i = 1; i < nl && indent != (size_t)-1; i++)
		starts[i] += ends[i] - starts[i] < indent ? ends[i] - starts[i] :
		    indent;
	first = 0;
	last = nl;
	while (first < last && blank(raw + starts[first],
	    ends[first] - starts[first]))
		first++;
	while (last > first && blank(raw + starts[last - 1],
	    ends[last - 1] - starts[last - 1]))
		last--;
	for (i = first; i < last && rc == 0; i++) {
		if (i > first)
			rc = ls_buf_addc(out, '\n');
		if (rc == 0)
			rc = ls_buf_add(out, raw + starts[i], ends[i] - starts[i]);
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
	T_PAREN_R, T_COLON, T_EQUALS, T_AT, T_BRACKET_L, T_BRACKET_R,
	T_BRACE_L, T_PIPE, T_BRACE_R };

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
		fail_at(p, t->line, t->col, "document has too many tokens");
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
	} else if (c == '"' && p->pos + 2 < p->len && p->s[p->pos + 1] == '"'
	    && p->s[p->pos + 2] == '"') {
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
		fail_at(p, t->line, t->col, "Cannot parse the unexpected "
		    "character \"%c\".", c);
	}
	if (rc == 0 && (t->val = ls_arena_strndup(p->a, b.data ? b.data : "",
	    b.len)) != NULL)
		t->vlen = b.len;
	else
		p->oom = 1, t->val = "";
	ls_buf_cleanup(&b);
}

/* ---- parser primitives (gqlparser's peek/next/skip/expect) ---- */

static const struct tok *
peek(struct gp *p)
{
	if (!p->peeked && !p->err) {
		lex(p, &p->peek);
		p->peeked = 1;
	}
	return &p->peek;
}

static struct tok
next(struct gp *p)
{
	if (p->err)
		return p->prev;
	peek(p);
	p->peeked = 0;
	p->prev = p->peek;
	return p->prev;
}

static int
skip(struct gp *p, enum tk k)
{
	if (p->err || peek(p)->kind != k)
		return 0;
	next(p);
	return 1;
}

static struct tok
expect(struct gp *p, enum tk k)
{
	struct tok t = next(p);

	if (!p->err && t.kind != k)
		fail_at(p, t.line, t.col, "Expected %s, found %s", tk_name[k],
		    tk_name[t.kind]);
	return t;
}

static int
peek_kw(struct gp *p, const char *kw)
{
	const struct tok *t = peek(p);

	return t->kind == T_NAME && strcmp(t->val, kw) == 0;
}

static void
expect_kw(struct gp *p, const char *kw)
{
	struct tok t = next(p);
	char txt[160];

	if (p->err || (t.kind == T_NAME && strcmp(t.val, kw) == 0))
		return;
	tok_text(txt, sizeof txt, &t);
	fail_at(p, t.line, t.col, "Expected \"%s\", found %s", kw, txt);
}

static void
unexpected(struct gp *p)
{
	struct tok t = *peek(p);

	unexpected_tok(p, &t);
}

static const struct ls_val *
name(struct gp *p)
{
	struct tok t = expect(p, T_NAME);

	return ls_val_string(p->a, t.val, t.vlen);
}

static int
enter(struct gp *p)
{
	if (++p->depth > BI_GQL_MAX_DEPTH) {
		fail_at(p, peek(p)->line, peek(p)->col, "document nested too "
		    "deeply");
		return 0;
	}
	return 1;
}

/* ---- values and types ---- */

enum { K_VARIABLE, K_INT, K_FLOAT, K_STRING, K_BLOCK, K_BOOLEAN, K_NULL,
	K_ENUM, K_LIST, K_OBJECT };

static const struct ls_val *value_literal(struct gp *p, int is_const);

static const struct ls_val *
value_node(struct gp *p, const struct tok *at, int kind, const char *raw,
    size_t rlen, struct ls_vlist *children)
{
	struct node nd = { .n = 0 };

	put(p, &nd, "Kind", ls_val_int(p->a, kind));
	put(p, &nd, "Raw", ls_val_string(p->a, raw, rlen));
	if (children != NULL)
		put_list(p, &nd, "Children", children);
	put_pos(p, &nd, at);
	return done(p, &nd);
}

static const struct ls_val *
list_or_object(struct gp *p, int is_const, int object)
{
	struct tok at = *peek(p);
	struct ls_vlist ch;

	ls_vlist_init(&ch, p->a);
	if (!enter(p))
		return ls_val_empty_object();
	next(p);
	while (!p->err && peek(p)->kind != (object ? T_BRACE_R : T_BRACKET_R)) {
		struct node cv = { .n = 0 };
		struct tok ct = *peek(p);
		if (object) {
			put(p, &cv, "Name", name(p));
			expect(p, T_COLON);
		} else {
			put_str(p, &cv, "Name", "");
		}
		put(p, &cv, "Value", value_literal(p, is_const));
		put_pos(p, &cv, &ct);
		push(p, &ch, done(p, &cv));
	}
	next(p);
	p->depth--;
	return value_node(p, &at, object ? K_OBJECT : K_LIST, "", 0, &ch);
}

static const struct ls_val *
value_literal(struct gp *p, int is_const)
{
	struct tok t = *peek(p);
	int kind;

	switch (t.kind) {
	case T_BRACKET_L:
		return list_or_object(p, is_const, 0);
	case T_BRACE_L:
		return list_or_object(p, is_const, 1);
	case T_DOLLAR:
		if (is_const) {
			unexpected(p);
			return ls_val_empty_object();
		}
		next(p);
		t = expect(p, T_NAME);
		return value_node(p, &t, K_VARIABLE, t.val, t.vlen, NULL);
	case T_INT:
		kind = K_INT;
		break;
	case T_FLOAT:
		kind = K_FLOAT;
		break;
	case T_STRING:
		kind = K_STRING;
		break;
	case T_BLOCK_STRING:
		kind = K_BLOCK;
		break;
	case T_NAME:
		kind = strcmp(t.val, "true") == 0 || strcmp(t.val, "false") ==
		    0 ? K_BOOLEAN : strcmp(t.val, "null") == 0 ? K_NULL : K_ENUM;
		break;
	default:
		unexpected(p);
		return ls_val_empty_object();
	}
	next(p);
	return value_node(p, &t, kind, t.val, t.vlen, NULL);
}

static const struct ls_val *
type_ref(struct gp *p)
{
	struct node nd = { .n = 0 };
	struct tok at = *peek(p);

	if (!enter(p))
		return ls_val_empty_object();
	if (skip(p, T_BRACKET_L)) {
		put(p, &nd, "Elem", type_ref(p));
		expect(p, T_BRACKET_R);
		put_str(p, &nd, "NamedType", "");
	} else {
		put(p, &nd, "NamedType", name(p));
	}
	put(p, &nd, "NonNull", ls_val_bool(skip(p, T_BANG)));
	put_pos(p, &nd, &at);
	p->depth--;
	return done(p, &nd);
}

static void
arguments(struct gp *p, struct node *nd, int is_const)
{
	struct ls_vlist l;

	ls_vlist_init(&l, p->a);
	if (skip(p, T_PAREN_L)) {
		while (!p->err && peek(p)->kind != T_PAREN_R) {
			struct node a = { .n = 0 };
			struct tok at = *peek(p);
			put(p, &a, "Name", name(p));
			expect(p, T_COLON);
			put(p, &a, "Value", value_literal(p, is_const));
			put_pos(p, &a, &at);
			push(p, &l, done(p, &a));
		}
		next(p);
	}
	put_list(p, nd, "Arguments", &l);
}

static void
directives(struct gp *p, struct node *nd, int is_const)
{
	struct ls_vlist l;

	ls_vlist_init(&l, p->a);
	while (!p->err && peek(p)->kind == T_AT) {
		struct node d = { .n = 0 };
		struct tok at = next(p);
		put(p, &d, "Name", name(p));
		arguments(p, &d, is_const);
		put_str(p, &d, "Location", "");
		put_pos(p, &d, &at);
		push(p, &l, done(p, &d));
	}
	put_list(p, nd, "Directives", &l);
}

/* ---- query documents ---- */

static void selection_set(struct gp *p, struct node *nd, int required);

static const struct ls_val *
field(struct gp *p)
{
	struct node nd = { .n = 0 };
	struct tok at = *peek(p);
	const struct ls_val *alias = name(p);

	put(p, &nd, "Alias", alias);
	put(p, &nd, "Name", skip(p, T_COLON) ? name(p) : alias);
	arguments(p, &nd, 0);
	directives(p, &nd, 0);
	if (!p->err && peek(p)->kind == T_BRACE_L)
		selection_set(p, &nd, 0);
	put_pos(p, &nd, &at);
	return done(p, &nd);
}

static const struct ls_val *
fragment(struct gp *p)
{
	struct node nd = { .n = 0 };
	struct tok at = expect(p, T_SPREAD);

	if (peek(p)->kind == T_NAME && !peek_kw(p, "on")) {
		put(p, &nd, "Name", name(p));
		directives(p, &nd, 0);
	} else {
		if (peek_kw(p, "on")) {
			next(p);
			put(p, &nd, "TypeCondition", name(p));
		} else {
			put_str(p, &nd, "TypeCondition", "");
		}
		directives(p, &nd, 0);
		selection_set(p, &nd, 1);
	}
	put_pos(p, &nd, &at);
	return done(p, &nd);
}

static void
selection_set(struct gp *p, struct node *nd, int required)
{
	struct ls_vlist l;
	int called = 0;

	ls_vlist_init(&l, p->a);
	if (required && !p->err && peek(p)->kind != T_BRACE_L) {
		struct tok t = *peek(p);
		fail_at(p, t.line, t.col, "Expected {, found %s",
		    tk_name[t.kind]);
		return;
	}
	if (!enter(p))
		return;
	if (skip(p, T_BRACE_L)) {
		while (!p->err && peek(p)->kind != T_BRACE_R) {
			called = 1;
			push(p, &l, peek(p)->kind == T_SPREAD ? fragment(p) :
			    field(p));
		}
		if (!called && !p->err)
			fail_at(p, peek(p)->line, peek(p)->col, "expected at "
			    "least one definition, found %s",
			    tk_name[peek(p)->kind]);
		next(p);
	}
	p->depth--;
	put_list(p, nd, "SelectionSet", &l);
}

static void
variable_defs(struct gp *p, struct node *nd, const char *key)
{
	struct ls_vlist l;

	ls_vlist_init(&l, p->a);
	if (skip(p, T_PAREN_L)) {
		while (!p->err && peek(p)->kind != T_PAREN_R) {
			struct node v = { .n = 0 };
			struct tok at = expect(p, T_DOLLAR);
			put(p, &v, "Variable", name(p));
			put(p, &v, "Used", ls_val_bool(0));
			expect(p, T_COLON);
			put(p, &v, "Type", type_ref(p));
			if (skip(p, T_EQUALS))
				put(p, &v, "DefaultValue", value_literal(p, 1));
			directives(p, &v, 0);
			put_pos(p, &v, &at);
			push(p, &l, done(p, &v));
		}
		next(p);
	}
	put_list(p, nd, key, &l);
}

static const struct ls_val *
operation(struct gp *p)
{
	struct node nd = { .n = 0 };
	struct tok at = *peek(p);

	if (at.kind == T_BRACE_L) {
		put_str(p, &nd, "Operation", "query");
		put_str(p, &nd, "Name", "");
	} else {
		struct tok op = next(p);
		if (op.kind != T_NAME || (strcmp(op.val, "query") != 0 &&
		    strcmp(op.val, "mutation") != 0 &&
		    strcmp(op.val, "subscription") != 0))
			unexpected_tok(p, &op);
		put(p, &nd, "Operation", ls_val_string(p->a, op.val, op.vlen));
		put(p, &nd, "Name", peek(p)->kind == T_NAME ? name(p) :
		    ls_val_empty_string());
		variable_defs(p, &nd, "VariableDefinitions");
		directives(p, &nd, 0);
	}
	selection_set(p, &nd, 1);
	put_pos(p, &nd, &at);
	return done(p, &nd);
}

static const struct ls_val *
fragment_def(struct gp *p)
{
	struct node nd = { .n = 0 };
	struct tok at = *peek(p);

	expect_kw(p, "fragment");
	if (peek_kw(p, "on"))
		unexpected(p);
	put(p, &nd, "Name", name(p));
	variable_defs(p, &nd, "VariableDefinition");
	expect_kw(p, "on");
	put(p, &nd, "TypeCondition", name(p));
	directives(p, &nd, 0);
	selection_set(p, &nd, 1);
	put_pos(p, &nd, &at);
	return done(p, &nd);
}

static const struct ls_val *
query_doc(struct gp *p)
{
	struct ls_vlist ops, frags;
	struct node nd = { .n = 0 };

	ls_vlist_init(&ops, p->a);
	ls_vlist_init(&frags, p->a);
	while (!p->err && peek(p)->kind != T_EOF) {
		const struct tok *t = peek(p);
		if (t->kind == T_NAME && strcmp(t->val, "fragment") == 0)
			push(p, &frags, fragment_def(p));
		else if (t->kind == T_BRACE_L || (t->kind == T_NAME &&
		    (strcmp(t->val, "query") == 0 ||
		    strcmp(t->val, "mutation") == 0 ||
		    strcmp(t->val, "subscription") == 0)))
			push(p, &ops, operation(p));
		else
			unexpected(p);
	}
	put_list(p, &nd, "Operations", &ops);
	put_list(p, &nd, "Fragments", &frags);
	return done(p, &nd);
}

/* ---- schema documents ---- */

static const struct ls_val *
description(struct gp *p)
{
	const struct tok *t = peek(p);

	if (!p->err && (t->kind == T_STRING || t->kind == T_BLOCK_STRING)) {
		struct tok d = next(p);
		return ls_val_string(p->a, d.val, d.vlen);
	}
	return ls_val_empty_string();
}

/* An argument or input field definition. */
static const struct ls_val *
input_value_def(struct gp *p)
{
	struct node nd = { .n = 0 };
	struct tok at;

	put(p, &nd, "Description", description(p));
	at = *peek(p);
	put(p, &nd, "Name", name(p));
	expect(p, T_COLON);
	put(p, &nd, "Type", type_ref(p));
	if (skip(p, T_EQUALS))
		put(p, &nd, "DefaultValue", value_literal(p, 1));
	directives(p, &nd, 1);
	put_pos(p, &nd, &at);
	return done(p, &nd);
}

static void
argument_defs(struct gp *p, struct node *nd)
{
	struct ls_vlist l;

	ls_vlist_init(&l, p->a);
	if (skip(p, T_PAREN_L)) {
		while (!p->err && peek(p)->kind != T_PAREN_R)
			push(p, &l, input_value_def(p));
		next(p);
	}
	put_list(p, nd, "Arguments", &l);
}

static const struct ls_val *
field_def(struct gp *p)
{
	struct node nd = { .n = 0 };
	struct tok at;

	put(p, &nd, "Description", description(p));
	at = *peek(p);
	put(p, &nd, "Name", name(p));
	argument_defs(p, &nd);
	expect(p, T_COLON);
	put(p, &nd, "Type", type_ref(p));
	directives(p, &nd, 1);
	put_pos(p, &nd, &at);
	return done(p, &nd);
}

static const struct ls_val *
enum_value_def(struct gp *p)
{
	struct node nd = { .n = 0 };
	struct tok at;

	put(p, &nd, "Description", description(p));
	at = *peek(p);
	put(p, &nd, "Name", name(p));
	directives(p, &nd, 1);
	put_pos(p, &nd, &at);
	return done(p, &nd);
}

/* gqlparser's some(): braces optional, but not empty when present. */
static void
some(struct gp *p, struct node *nd, const char *key,
    const struct ls_val *(*item)(struct gp *))
{
	struct ls_vlist l;
	int called = 0;

	ls_vlist_init(&l, p->a);
	if (skip(p, T_BRACE_L)) {
		while (!p->err && peek(p)->kind != T_BRACE_R) {
			called = 1;
			push(p, &l, item(p));
		}
		if (!called && !p->err)
			fail_at(p, peek(p)->line, peek(p)->col, "expected at "
			    "least one definition, found %s",
			    tk_name[peek(p)->kind]);
		next(p);
	}
	put_list(p, nd, key, &l);
}

/* Names separated by sep ('&' or '|'), a leading one allowed. */
static void
name_list(struct gp *p, struct node *nd, const char *key, enum tk sep)
{
	struct ls_vlist l;

	ls_vlist_init(&l, p->a);
	skip(p, sep);
	do {
		push(p, &l, name(p));
	} while (!p->err && skip(p, sep));
	put_list(p, nd, key, &l);
}

static const struct ls_val *
op_type_def(struct gp *p)
{
	struct node nd = { .n = 0 };
	struct tok at = next(p);

	if (at.kind != T_NAME || (strcmp(at.val, "query") != 0 &&
	    strcmp(at.val, "mutation") != 0 &&
	    strcmp(at.val, "subscription") != 0))
		unexpected_tok(p, &at);
	put(p, &nd, "Operation", ls_val_string(p->a, at.val, at.vlen));
	expect(p, T_COLON);
	put(p, &nd, "Type", name(p));
	put_pos(p, &nd, &at);
	return done(p, &nd);
}

/* type/scalar/interface/union/enum/input definition or extension. */
static const struct ls_val *
type_def(struct gp *p, const struct ls_val *desc, int ext)
{
	static const char *kw[] = { "scalar", "type", "interface", "union",
		"enum", "input" };
	static const char *kind[] = { "SCALAR", "OBJECT", "INTERFACE",
		"UNION", "ENUM", "INPUT_OBJECT" };
	struct node nd = { .n = 0 };
	struct tok at = *peek(p);
	size_t k, before;

	for (k = 0; k < 6 && !peek_kw(p, kw[k]); k++)
		;
	if (k == 6) {
		unexpected(p);
		return ls_val_empty_object();
	}
	next(p);
	put_str(p, &nd, "Kind", kind[k]);
	put(p, &nd, "Description", desc);
	put(p, &nd, "Name", name(p));
	put(p, &nd, "BuiltIn", ls_val_bool(0));
	before = nd.n;
	if (k == 1 || k == 2) {
		if (peek_kw(p, "implements")) {
			next(p);
			name_list(p, &nd, "Interfaces", T_AMP);
		}
	}
	directives(p, &nd, 1);
	if (k == 1 || k == 2)
		some(p, &nd, "Fields", field_def);
	else if (k == 3 && skip(p, T_EQUALS))
		name_list(p, &nd, "Types", T_PIPE);
	else if (k == 4)
		some(p, &nd, "EnumValues", enum_value_def);
	else if (k == 5)
		some(p, &nd, "Fields", input_value_def);
	if (ext && nd.n == before && !p->err)
		unexpected(p);
	put_pos(p, &nd, &at);
	return done(p, &nd);
}

static const struct ls_val *
schema_def(struct gp *p, const struct ls_val *desc, int ext)
{
	struct node nd = { .n = 0 };
	struct tok at = *peek(p);

	expect_kw(p, "schema");
	put(p, &nd, "Description", desc);
	directives(p, &nd, 1);
	some(p, &nd, "OperationTypes", op_type_def);
	if (ext && nd.n == 1 && !p->err)
		unexpected(p);
	put_pos(p, &nd, &at);
	return done(p, &nd);
}

static int
directive_location(const char *s)
{
	static const char *loc[] = { "QUERY", "MUTATION", "SUBSCRIPTION",
		"FIELD", "FRAGMENT_DEFINITION", "FRAGMENT_SPREAD",
		"INLINE_FRAGMENT", "VARIABLE_DEFINITION", "SCHEMA", "SCALAR",
		"OBJECT", "FIELD_DEFINITION", "ARGUMENT_DEFINITION",
		"INTERFACE", "UNION", "ENUM", "ENUM_VALUE", "INPUT_OBJECT",
		"INPUT_FIELD_DEFINITION" };
	size_t i;

	for (i = 0; i < sizeof loc / sizeof loc[0]; i++)
		if (strcmp(s, loc[i]) == 0)
			return 1;
	return 0;
}

static const struct ls_val *
directive_def(struct gp *p, const struct ls_val *desc)
{
	struct node nd = { .n = 0 };
	struct ls_vlist l;
	struct tok at = *peek(p);

	ls_vlist_init(&l, p->a);
	expect_kw(p, "directive");
	expect(p, T_AT);
	put(p, &nd, "Description", desc);
	put(p, &nd, "Name", name(p));
	argument_defs(p, &nd);
	put(p, &nd, "IsRepeatable", ls_val_bool(peek_kw(p, "repeatable")));
	if (peek_kw(p, "repeatable"))
		next(p);
	expect_kw(p, "on");
	skip(p, T_PIPE);
	do {
		struct tok t = expect(p, T_NAME);
		if (!p->err && !directive_location(t.val))
			unexpected_tok(p, &t);
		push(p, &l, ls_val_string(p->a, t.val, t.vlen));
	} while (!p->err && skip(p, T_PIPE));
	put_list(p, &nd, "Locations", &l);
	put_pos(p, &nd, &at);
	return done(p, &nd);
}

static const struct ls_val *
schema_doc(struct gp *p)
{
	struct ls_vlist l[5];
	static const char *key[5] = { "Schema", "SchemaExtension",
		"Directives", "Definitions", "Extensions" };
	struct node nd = { .n = 0 };
	int i;

	for (i = 0; i < 5; i++)
		ls_vlist_init(&l[i], p->a);
	while (!p->err && peek(p)->kind != T_EOF) {
		const struct ls_val *desc = description(p);
		if (peek(p)->kind != T_NAME) {
			unexpected(p);
			break;
		}
		if (peek_kw(p, "schema")) {
			push(p, &l[0], schema_def(p, desc, 0));
		} else if (peek_kw(p, "directive")) {
			push(p, &l[2], directive_def(p, desc));
		} else if (peek_kw(p, "extend")) {
			if (desc->u.str.len > 0) {
				unexpected_tok(p, &p->prev);
				break;
			}
			next(p);
			if (peek_kw(p, "schema"))
				push(p, &l[1], schema_def(p, desc, 1));
			else
				push(p, &l[4], type_def(p, desc, 1));
		} else {
			push(p, &l[3], type_def(p, desc, 0));
		}
	}
	for (i = 0; i < 5; i++)
		put_list(p, &nd, key[i], &l[i]);
	return done(p, &nd);
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
	if (len > BI_GQL_MAX_INPUT) {
		snprintf(err->msg, sizeof err->msg, "document too large");
		err->line = err->col = 1;
		return ls_error_set(LS_ETOOBIG, "%s", err->msg);
	}
	*out = schema ? schema_doc(&p) : query_doc(&p);
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
		w = ls_arena_alloc(a, (v->u.arr.n + 1) * sizeof *w);
		for (i = 0; w != NULL && i < v->u.arr.n; i++)
			if ((w[i] = bi_gql_prune(a, v->u.arr.v[i])) == NULL)
				return NULL;
		return w ? ls_val_array(a, w, v->u.arr.n) : NULL;
	}
	if (v->type != LS_VAL_OBJECT)
		return v;
	k = ls_arena_alloc(a, (v->u.obj.n + 1) * sizeof *k);
	w = ls_arena_alloc(a, (v->u.obj.n + 1) * sizeof *w);
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
