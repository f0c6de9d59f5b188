/*
 * confin_toml.c - TOML 1.0 to Rego values, as Conftest's TOML parser
 * (BurntSushi/toml into interface{}, then JSON) presents it: tables as
 * objects, arrays of tables as arrays of objects, integers and floats as
 * numbers, date-times as their text.
 *
 * Debian has no C TOML library (only a C++ header-only one), so this is
 * a small recursive-descent parser with the caps of confin.h.  Tables
 * stay mutable while the document is read ([a.b] after [a], dotted keys)
 * and become immutable values at the end.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "confin.h"
#include "confin_int.h"

enum tk { TK_VAL, TK_TABLE, TK_ARRAY };

struct tnode {
	enum tk kind;
	const struct ls_val *val; /* TK_VAL */
	/* TK_TABLE: keys and children in order; TK_ARRAY: items */
	const char **keys;
	struct tnode **kids;
	size_t n, cap;
	int header;  /* table defined by its own [header] */
	int dotted;  /* table made by a dotted key */
	int sealed;  /* inline table or static array: closed */
	int aot;     /* array of tables */
};

struct toml {
	struct ls_arena *a;
	const char *name;
	const char *p, *end;
	int line;
	struct tnode *root, *cur; /* cur: the table keys go into */
};

static int
terr(const struct toml *t, const char *what)
{
	return ls_error_set(LS_EFORMAT, "%s: line %d: %s", t->name, t->line,
	    what);
}

static struct tnode *
tnew(struct toml *t, enum tk kind)
{
	struct tnode *n = ls_arena_alloc(t->a, sizeof(*n));

	if (n != NULL)
		n->kind = kind;
	return n;
}

static int
tadd(struct toml *t, struct tnode *tab, const char *key, struct tnode *kid)
{
	if (tab->n == tab->cap) {
		size_t cap = tab->cap ? tab->cap * 2 : 8;
		const char **k = ls_arena_alloc(t->a, cap * sizeof(*k));
		struct tnode **v = ls_arena_alloc(t->a, cap * sizeof(*v));

		if (k == NULL || v == NULL)
			return LS_ENOMEM;
		if (tab->n) {
			memcpy(k, tab->keys, tab->n * sizeof(*k));
			memcpy(v, tab->kids, tab->n * sizeof(*v));
		}
		tab->keys = k;
		tab->kids = v;
		tab->cap = cap;
	}
	tab->keys[tab->n] = key;
	tab->kids[tab->n++] = kid;
	return 0;
}

static struct tnode *
tget(const struct tnode *tab, const char *key)
{
	size_t i;

	for (i = 0; i < tab->n; i++)
		if (tab->keys && strcmp(tab->keys[i], key) == 0)
			return tab->kids[i];
	return NULL;
}

/* ---- lexing -------------------------------------------------------- */

static void
ws(struct toml *t)
{
	while (t->p < t->end && (*t->p == ' ' || *t->p == '\t'))
		t->p++;
}

static void
comment(struct toml *t)
{
	if (t->p < t->end && *t->p == '#')
		while (t->p < t->end && *t->p != '\n')
			t->p++;
}

/* Whitespace, comments and newlines (inside arrays). */
static void
ws_nl(struct toml *t)
{
	for (;;) {
		ws(t);
		comment(t);
		if (t->p < t->end && (*t->p == '\n' || *t->p == '\r')) {
			t->line += *t->p == '\n';
			t->p++;
			continue;
		}
		return;
	}
}

static int
hexval(int c)
{
	return isdigit(c) ? c - '0' : tolower(c) - 'a' + 10;
}

static int
escape(struct toml *t, struct ls_buf *b)
{
	unsigned cp = 0;
	int i, n;
	char u[4];
	char c;

	if (t->p >= t->end)
		return terr(t, "unfinished escape");
	c = *t->p++;
	switch (c) {
	case 'b': return ls_buf_addc(b, '\b');
	case 't': return ls_buf_addc(b, '\t');
	case 'n': return ls_buf_addc(b, '\n');
	case 'f': return ls_buf_addc(b, '\f');
	case 'r': return ls_buf_addc(b, '\r');
	case '"': return ls_buf_addc(b, '"');
	case '\\': return ls_buf_addc(b, '\\');
	case 'u':
	case 'U':
		n = c == 'u' ? 4 : 8;
		for (i = 0; i < n; i++) {
			if (t->p >= t->end || !isxdigit((unsigned char)*t->p))
				return terr(t, "bad \\u escape");
			cp = cp * 16 + (unsigned)hexval((unsigned char)*t->p++);
		}
		if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return terr(t, "escape is not a Unicode scalar");
		return ls_buf_add(b, u, ls_utf8_put(u, cp));
	default:
		return terr(t, "unknown escape");
	}
}

/* After a line-ending backslash in a multi-line basic string, skip
 * whitespace and newlines. */
static void
line_trim(struct toml *t)
{
	while (t->p < t->end && isspace((unsigned char)*t->p)) {
		t->line += *t->p == '\n';
		t->p++;
	}
}

static int
string(struct toml *t, struct ls_buf *b)
{
	char q = *t->p;
	int multi = t->end - t->p >= 3 && t->p[1] == q && t->p[2] == q, rc;

	t->p += multi ? 3 : 1;
	if (multi && t->p < t->end && *t->p == '\n')
		t->p++, t->line++;
	else if (multi && t->end - t->p >= 2 && t->p[0] == '\r' &&
	    t->p[1] == '\n')
		t->p += 2, t->line++;
	while (t->p < t->end) {
		char c = *t->p;

		if (c == q && (!multi || (t->end - t->p >= 3 && t->p[1] == q &&
					     t->p[2] == q &&
					     (t->end - t->p < 4 || t->p[3] != q)))) {
			t->p += multi ? 3 : 1;
			return 0;
		}
		if (c == '\n' && !multi)
			return terr(t, "newline in a one-line string");
		t->p++;
		if (c == '\\' && q == '"') {
			if (multi && t->p < t->end &&
			    isspace((unsigned char)*t->p)) {
				line_trim(t);
				continue;
			}
			if ((rc = escape(t, b)) != 0)
				return rc;
			continue;
		}
		t->line += c == '\n';
		if ((rc = ls_buf_addc(b, c)) != 0)
			return rc;
	}
	return terr(t, "unterminated string");
}

static int
simple_key(struct toml *t, const char **out)
{
	struct ls_buf b;
	const char *s = t->p;
	int rc = 0;

	ls_buf_init(&b, LS_CONFIN_MAX_BYTES);
	if (t->p < t->end && (*t->p == '"' || *t->p == '\''))
		rc = string(t, &b);
	else {
		while (t->p < t->end && (isalnum((unsigned char)*t->p) ||
					    *t->p == '_' || *t->p == '-'))
			t->p++;
		if (t->p == s)
			rc = terr(t, "key expected");
		else
			rc = ls_buf_add(&b, s, (size_t)(t->p - s));
	}
	if (rc == 0)
		*out = ls_arena_strndup(t->a, b.data ? b.data : "", b.len);
	if (rc == 0 && *out == NULL)
		rc = LS_ENOMEM;
	ls_buf_cleanup(&b);
	return rc;
}

/* key.key.key into parts (at most 64). */
static int
key(struct toml *t, const char **parts, size_t *n)
{
	int rc;

	*n = 0;
	for (;;) {
		ws(t);
		if (*n == 64)
			return terr(t, "key has too many parts");
		if ((rc = simple_key(t, &parts[(*n)++])) != 0)
			return rc;
		ws(t);
		if (t->p < t->end && *t->p == '.') {
			t->p++;
			continue;
		}
		return 0;
	}
}

/* ---- values -------------------------------------------------------- */

static int value(struct toml *t, struct tnode **out, int depth);

static int
word_end(const struct toml *t, const char **e)
{
	const char *p = t->p;

	while (p < t->end && !strchr(" \t\r\n,]}#", *p))
		p++;
	/* a date-time may have one space between date and time */
	if (p - t->p == 10 && p + 1 < t->end && *p == ' ' &&
	    isdigit((unsigned char)p[1]) && t->p[4] == '-')
		for (p++; p < t->end && !strchr(" \t\r\n,]}#", *p); p++)
			;
	*e = p;
	return p > t->p;
}

static int
datetime_like(const char *s, size_t n)
{
	return (n >= 10 && isdigit((unsigned char)s[0]) && s[4] == '-') ||
	    (n >= 8 && isdigit((unsigned char)s[0]) && s[2] == ':');
}

/* Digits with single underscores between them; copies without them. */
static int
digits(const char *s, size_t n, char *out, size_t cap, int hex)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		if (s[i] == '_') {
			if (i == 0 || i + 1 == n || s[i + 1] == '_' ||
			    !isxdigit((unsigned char)s[i - 1]))
				return -1;
			continue;
		}
		if (!(hex ? isxdigit((unsigned char)s[i])
			  : isdigit((unsigned char)s[i]) ||
			    strchr("+-.eE", s[i]) != NULL) ||
		    o + 1 >= cap)
			return -1;
		out[o++] = s[i];
	}
	out[o] = '\0';
	return (int)o;
}

static const struct ls_val *
number(struct toml *t, const char *s, size_t n)
{
	char buf[128], *end;
	int base = 10, neg = 0;
	long long v;
	double d;

	if (n > 2 && s[0] == '0' && strchr("xob", s[1]) != NULL) {
		base = s[1] == 'x' ? 16 : s[1] == 'o' ? 8 : 2;
		if (digits(s + 2, n - 2, buf, sizeof(buf), 1) <= 0)
			return NULL;
		errno = 0;
		v = strtoll(buf, &end, base);
		return *end || errno ? NULL : ls_val_int(t->a, v);
	}
	if (digits(s, n, buf, sizeof(buf), 0) <= 0)
		return NULL;
	neg = buf[0] == '-' || buf[0] == '+';
	if (buf[neg] == '0' && isdigit((unsigned char)buf[neg + 1]))
		return NULL; /* leading zeros are not TOML */
	if (strpbrk(buf, ".eE") == NULL) {
		errno = 0;
		v = strtoll(buf, &end, 10);
		return *end || errno ? NULL : ls_val_int(t->a, v);
	}
	errno = 0;
	d = strtod(buf, &end);
	return *end || errno || !isfinite(d) ? NULL : ls_val_double(t->a, d);
}

static int
inf_or_nan(const char *s, size_t n)
{
	if (n == 4 && (s[0] == '+' || s[0] == '-'))
		s++, n--;
	return n == 3 && (memcmp(s, "inf", 3) == 0 || memcmp(s, "nan", 3) == 0);
}

static int
scalar(struct toml *t, struct tnode **out)
{
	const char *e;
	const struct ls_val *v = NULL;
	size_t n;

	if (!word_end(t, &e))
		return terr(t, "value expected");
	n = (size_t)(e - t->p);
	if (n == 4 && memcmp(t->p, "true", 4) == 0)
		v = ls_val_bool(1);
	else if (n == 5 && memcmp(t->p, "false", 5) == 0)
		v = ls_val_bool(0);
	else if (inf_or_nan(t->p, n))
		return terr(t, "inf and nan have no JSON form");
	else if (datetime_like(t->p, n))
		v = ls_val_string(t->a, t->p, n);
	else if ((v = number(t, t->p, n)) == NULL)
		return terr(t, "malformed value");
	t->p = e;
	if ((*out = tnew(t, TK_VAL)) == NULL || v == NULL)
		return LS_ENOMEM;
	(*out)->val = v;
	return 0;
}

static int
array(struct toml *t, struct tnode **out, int depth)
{
	struct tnode *arr = tnew(t, TK_ARRAY), *item;
	int rc;

	if (arr == NULL)
		return LS_ENOMEM;
	arr->sealed = 1;
	t->p++;
	for (;;) {
		ws_nl(t);
		if (t->p < t->end && *t->p == ']')
			break;
		if ((rc = value(t, &item, depth + 1)) != 0 ||
		    (rc = tadd(t, arr, NULL, item)) != 0)
			return rc;
		ws_nl(t);
		if (t->p < t->end && *t->p == ',') {
			t->p++;
			continue;
		}
		if (t->p < t->end && *t->p == ']')
			break;
		return terr(t, "',' or ']' expected in an array");
	}
	t->p++;
	*out = arr;
	return 0;
}

static int keyval(struct toml *t, struct tnode *tab, int depth);

static int
inline_table(struct toml *t, struct tnode **out, int depth)
{
	struct tnode *tab = tnew(t, TK_TABLE);
	int rc;

	if (tab == NULL)
		return LS_ENOMEM;
	t->p++;
	ws(t);
	if (t->p < t->end && *t->p == '}')
		goto done;
	for (;;) {
		if ((rc = keyval(t, tab, depth + 1)) != 0)
			return rc;
		ws(t);
		if (t->p < t->end && *t->p == ',') {
			t->p++;
			continue;
		}
		if (t->p < t->end && *t->p == '}')
			break;
		return terr(t, "',' or '}' expected in an inline table");
	}
done:
	t->p++;
	tab->sealed = 1;
	*out = tab;
	return 0;
}

static int
value(struct toml *t, struct tnode **out, int depth)
{
	struct ls_buf b;
	int rc;

	if (depth > LS_CONFIN_MAX_DEPTH)
		return ls_error_set(LS_ETOOBIG, "%s: line %d: nested too deeply",
		    t->name, t->line);
	ws(t);
	if (t->p >= t->end)
		return terr(t, "value expected");
	if (*t->p == '[')
		return array(t, out, depth);
	if (*t->p == '{')
		return inline_table(t, out, depth);
	if (*t->p != '"' && *t->p != '\'')
		return scalar(t, out);
	ls_buf_init(&b, LS_CONFIN_MAX_BYTES);
	if ((rc = string(t, &b)) == 0) {
		if ((*out = tnew(t, TK_VAL)) == NULL ||
		    ((*out)->val = ls_val_string(t->a, b.data ? b.data : "",
			  b.len)) == NULL)
			rc = LS_ENOMEM;
	}
	ls_buf_cleanup(&b);
	return rc;
}

/* Walk (and make) the tables of a dotted key's leading parts. */
static int
descend(struct toml *t, struct tnode **tab, const char *part, int dotted)
{
	struct tnode *n = tget(*tab, part);
	int rc;

	if (n == NULL) {
		if ((n = tnew(t, TK_TABLE)) == NULL)
			return LS_ENOMEM;
		n->dotted = dotted;
		if ((rc = tadd(t, *tab, part, n)) != 0)
			return rc;
	} else if (n->kind == TK_ARRAY && n->aot && !dotted && n->n > 0)
		n = n->kids[n->n - 1];
	else if (n->kind != TK_TABLE || n->sealed || (dotted && n->header))
		return terr(t, "key redefines a value or a closed table");
	*tab = n;
	return 0;
}

static int
keyval(struct toml *t, struct tnode *tab, int depth)
{
	const char *parts[64];
	struct tnode *v;
	size_t n, i;
	int rc;

	if ((rc = key(t, parts, &n)) != 0)
		return rc;
	if (t->p >= t->end || *t->p != '=')
		return terr(t, "'=' expected after a key");
	t->p++;
	for (i = 0; i + 1 < n; i++)
		if ((rc = descend(t, &tab, parts[i], 1)) != 0)
			return rc;
	if (tget(tab, parts[n - 1]) != NULL)
		return terr(t, "key defined twice");
	if ((rc = value(t, &v, depth)) != 0)
		return rc;
	return tadd(t, tab, parts[n - 1], v);
}

/* [a.b] or [[a.b]] */
static int
header(struct toml *t)
{
	const char *parts[64];
	struct tnode *tab = t->root, *n;
	int aot = t->end - t->p >= 2 && t->p[1] == '[';
	size_t np, i;
	int rc;

	t->p += aot ? 2 : 1;
	if ((rc = key(t, parts, &np)) != 0)
		return rc;
	if (t->end - t->p < (aot ? 2 : 1) || *t->p != ']' ||
	    (aot && t->p[1] != ']'))
		return terr(t, "']' expected after a table name");
	t->p += aot ? 2 : 1;
	for (i = 0; i + 1 < np; i++)
		if ((rc = descend(t, &tab, parts[i], 0)) != 0)
			return rc;
	n = tget(tab, parts[np - 1]);
	if (aot) {
		struct tnode *elem = tnew(t, TK_TABLE);

		if (n == NULL && ((n = tnew(t, TK_ARRAY)) == NULL ||
				     (rc = tadd(t, tab, parts[np - 1], n)) != 0))
			return rc ? rc : LS_ENOMEM;
		if (n->kind != TK_ARRAY || !n->aot) {
			if (n->kind != TK_ARRAY || n->n > 0 || n->sealed)
				return terr(t, "[[table]] redefines a value");
			n->aot = 1;
		}
		if (elem == NULL || (rc = tadd(t, n, NULL, elem)) != 0)
			return rc ? rc : LS_ENOMEM;
		elem->header = 1;
		t->cur = elem;
		return 0;
	}
	if (n == NULL) {
		if ((n = tnew(t, TK_TABLE)) == NULL ||
		    (rc = tadd(t, tab, parts[np - 1], n)) != 0)
			return n ? rc : LS_ENOMEM;
	} else if (n->kind != TK_TABLE || n->header || n->sealed || n->dotted)
		return terr(t, "table defined twice");
	n->header = 1;
	t->cur = n;
	return 0;
}

static int
line_end(struct toml *t)
{
	ws(t);
	comment(t);
	if (t->p < t->end && *t->p == '\r')
		t->p++;
	if (t->p < t->end && *t->p != '\n')
		return terr(t, "text after a value");
	if (t->p < t->end)
		t->p++, t->line++;
	return 0;
}

static const struct ls_val *
to_val(struct ls_arena *a, const struct tnode *n)
{
	const struct ls_val **k, **v;
	size_t i;

	if (n->kind == TK_VAL)
		return n->val;
	v = ls_arena_alloc(a, (n->n ? n->n : 1) * sizeof(*v));
	k = ls_arena_alloc(a, (n->n ? n->n : 1) * sizeof(*k));
	if (v == NULL || k == NULL)
		return NULL;
	for (i = 0; i < n->n; i++) {
		if ((v[i] = to_val(a, n->kids[i])) == NULL)
			return NULL;
		if (n->kind == TK_TABLE &&
		    (k[i] = ls_val_cstring(a, n->keys[i])) == NULL)
			return NULL;
	}
	if (n->kind == TK_ARRAY)
		return ls_val_array(a, v, n->n);
	return ls_val_object(a, k, v, n->n, NULL);
}

int
ls_confin_toml(const struct ls_val **out, struct ls_arena *a,
    const char *text, size_t len, const char *name)
{
	struct toml t = { a, name, text, text + len, 1, NULL, NULL };
	int rc = 0;

	*out = NULL;
	if (memchr(text, '\0', len) != NULL)
		return ls_error_set(LS_EFORMAT, "%s: NUL byte in TOML", name);
	if ((t.root = tnew(&t, TK_TABLE)) == NULL)
		return ls_error_set(LS_ENOMEM, "%s: out of memory", name);
	t.cur = t.root;
	while (rc == 0 && t.p < t.end) {
		ws(&t);
		if (t.p < t.end && *t.p == '[')
			rc = header(&t);
		else if (t.p < t.end && *t.p != '#' && *t.p != '\n' &&
		    *t.p != '\r')
			rc = keyval(&t, t.cur, 0);
		if (rc == 0)
			rc = line_end(&t);
	}
	if (rc == 0 && (*out = to_val(a, t.root)) == NULL)
		rc = LS_ENOMEM;
	if (rc == LS_ENOMEM)
		return ls_error_set(rc, "%s: out of memory", name);
	return rc;
}
