/*
 * bi_yaml.c - yaml.unmarshal, yaml.marshal and yaml.is_valid.
 *
 * OPA reads YAML with go-yaml v2 (YAML 1.1 scalars: yes/no/on/off are
 * booleans) and converts it to JSON, so mapping keys become strings.
 * This is a recursive-descent reader for the YAML that configuration
 * files use: block mappings and sequences by indentation, flow [..] and
 * {..} collections, plain, single- and double-quoted scalars, literal and
 * folded block scalars, comments, anchors and aliases, one document.
 * Depth and size are capped; errors read "yaml: line N: ..." like Go's.
 * yaml.marshal writes go-yaml v2's block style.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lockstep/error.h"
#include "rego/bi_internal.h"
#include "rego/bi_lib.h"
#include "rego/annot.h"

#define YAML_MAX_DEPTH 256
#define YAML_MAX_ANCHORS 256

struct yanchor {
	const char *name;
	size_t len;
	const struct ls_val *v;
};

struct yp {
	struct ls_arena *a;
	const char *s; /* input, NUL-terminated at s[n] */
	size_t n, i;
	int depth;
	long owner; /* column of a block scalar's owner */
	struct yanchor anchors[YAML_MAX_ANCHORS];
	size_t nanchors;
	char err[200];
};

static int
yerr(struct yp *p, const char *msg)
{
	size_t k, line = 1;

	for (k = 0; k < p->i && k < p->n; k++)
		if (p->s[k] == '\n')
			line++;
	if (p->err[0] == '\0')
		snprintf(p->err, sizeof p->err, "yaml: line %zu: %s", line,
		    msg);
	return -1;
}

static char
cur(const struct yp *p)
{
	return p->i < p->n ? p->s[p->i] : '\0';
}

static size_t
column(const struct yp *p, size_t at)
{
	size_t c = 0;

	while (at > 0 && p->s[at - 1] != '\n') {
		at--;
		c++;
	}
	return c;
}

static int
blank(char c)
{
	return c == ' ' || c == '\t';
}

static int
endch(char c)
{
	return c == '\0' || c == '\n' || c == '\r';
}

/* Skip spaces, comments and empty lines; stop at the next content. */
static void
skip_ws(struct yp *p)
{
	for (;;) {
		char c = cur(p);
		if (blank(c) || c == '\n' || c == '\r') {
			p->i++;
		} else if (c == '#' &&
		    (p->i == 0 || blank(p->s[p->i - 1]) ||
			p->s[p->i - 1] == '\n')) {
			while (!endch(cur(p)))
				p->i++;
		} else {
			return;
		}
	}
}

/* Skip spaces and a comment on the current line only. */
static void
skip_inline(struct yp *p)
{
	while (blank(cur(p)))
		p->i++;
	if (cur(p) == '#')
		while (!endch(cur(p)))
			p->i++;
}

static int parse_node(struct yp *p, size_t min_col, const struct ls_val **out);

/* At a "---" or "..." document marker (column 0)? */
static int
doc_marker(const struct yp *p)
{
	return p->n - p->i >= 3 && column(p, p->i) == 0 &&
	    (memcmp(p->s + p->i, "---", 3) == 0 ||
		memcmp(p->s + p->i, "...", 3) == 0) &&
	    (endch(p->s[p->i + 3]) || blank(p->s[p->i + 3]));
}

static int
push(struct yp *p, struct ls_vlist *l, const struct ls_val *v)
{
	if (v == NULL || ls_vlist_push(l, v) != 0)
		return yerr(p, "out of memory");
	return 0;
}

/* ---- scalars ---- */

static int
is_word(const char *s, size_t n, const char *const *words)
{
	size_t k;

	for (k = 0; words[k] != NULL; k++)
		if (strlen(words[k]) == n && memcmp(words[k], s, n) == 0)
			return 1;
	return 0;
}

/* YAML 1.1 resolution of a plain scalar. */
static const struct ls_val *
resolve(struct yp *p, const char *s, size_t n)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL",
		NULL };
	static const char *const trues[] = { "y", "Y", "yes", "Yes", "YES",
		"true", "True", "TRUE", "on", "On", "ON", NULL };
	static const char *const falses[] = { "n", "N", "no", "No", "NO",
		"false", "False", "FALSE", "off", "Off", "OFF", NULL };
	char buf[128];
	size_t i, k = 0;
	int digits = 0, dot = 0, ex = 0, ok = 1;

	if (is_word(s, n, nulls))
		return ls_val_null();
	if (is_word(s, n, trues))
		return ls_val_bool(1);
	if (is_word(s, n, falses))
		return ls_val_bool(0);
	if (n > 0 && n < sizeof buf - 2) {
		for (i = 0; i < n && ok; i++) {
			char c = s[i];
			if (c == '_' && digits)
				continue;
			if ((c == '-' || c == '+') &&
			    (i == 0 || (s[i - 1] | 32) == 'e')) {
				if (c == '-')
					buf[k++] = c;
			} else if (c >= '0' && c <= '9') {
				buf[k++] = c;
				digits = 1;
			} else if (c == '.' && !dot && !ex) {
				if (!digits)
					buf[k++] = '0';
				buf[k++] = c;
				dot = 1;
			} else if ((c | 32) == 'e' && digits && !ex) {
				if (buf[k - 1] == '.')
					buf[k++] = '0';
				buf[k++] = 'e';
				ex = 1;
			} else {
				ok = 0;
			}
		}
		if (ok && digits && buf[k - 1] == '.')
			buf[k++] = '0';
		if (ok && digits && (buf[k - 1] >= '0' && buf[k - 1] <= '9')) {
			char *d = buf + (buf[0] == '-');
			const struct ls_val *v;
			buf[k] = '\0';
			/* drop leading zeros JSON refuses: 007 -> 7 */
			while (d[0] == '0' && d[1] >= '0' && d[1] <= '9') {
				memmove(d, d + 1, (size_t)(buf + k - d));
				k--;
			}
			if ((v = ls_val_number_text(p->a, buf, k)) != NULL)
				return v;
		}
	}
	return ls_val_string(p->a, s, n);
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if ((c | 32) >= 'a' && (c | 32) <= 'f')
		return (c | 32) - 'a' + 10;
	return -1;
}

/* Fold a line break inside a quoted scalar: one break becomes a space,
 * more become n-1 newlines. */
static int
fold_break(struct yp *p, struct ls_buf *b)
{
	int breaks = 0;

	while (b->len > 0 && blank(b->data[b->len - 1]))
		b->len--;
	while (cur(p) == '\n' || cur(p) == '\r' || blank(cur(p))) {
		if (cur(p) == '\n')
			breaks++;
		p->i++;
	}
	if (breaks == 1)
		return ls_buf_addc(b, ' ');
	while (--breaks > 0)
		if (ls_buf_addc(b, '\n') != 0)
			return -1;
	return 0;
}

static int
double_quoted(struct yp *p, const struct ls_val **out)
{
	struct ls_buf b;
	int rc = 0;

	ls_buf_init(&b, BI_MAX_STRING);
	p->i++;
	while (rc == 0) {
		char c = cur(p);
		if (c == '\0') {
			rc = yerr(p, "found unexpected end of stream");
			break;
		}
		if (c == '"') {
			p->i++;
			break;
		}
		if (c == '\n' || c == '\r') {
			rc = fold_break(p, &b);
			continue;
		}
		if (c != '\\') {
			rc = ls_buf_addc(&b, c);
			p->i++;
			continue;
		}
		p->i++;
		c = cur(p);
		p->i++;
		switch (c) {
		case 'n': rc = ls_buf_addc(&b, '\n'); break;
		case 't':
		case '\t': rc = ls_buf_addc(&b, '\t'); break;
		case 'r': rc = ls_buf_addc(&b, '\r'); break;
		case '0': rc = ls_buf_addc(&b, '\0'); break;
		case 'a': rc = ls_buf_addc(&b, '\a'); break;
		case 'b': rc = ls_buf_addc(&b, '\b'); break;
		case 'e': rc = ls_buf_addc(&b, 0x1B); break;
		case 'f': rc = ls_buf_addc(&b, '\f'); break;
		case 'v': rc = ls_buf_addc(&b, '\v'); break;
		case ' ':
		case '"':
		case '/':
		case '\\': rc = ls_buf_addc(&b, c); break;
		case '\n':
			while (blank(cur(p)))
				p->i++;
			break;
		case 'x':
		case 'u':
		case 'U': {
			int nd = c == 'x' ? 2 : c == 'u' ? 4 : 8, k;
			uint32_t r = 0;
			char enc[4];
			for (k = 0; k < nd && rc == 0; k++) {
				int h = hexval(cur(p));
				if (h < 0)
					rc = yerr(p,
					    "did not find expected "
					    "hexdecimal number");
				r = r << 4 | (uint32_t)(h & 0xF);
				p->i++;
			}
			if (rc == 0)
				rc =
				    ls_buf_add(&b, enc, bi_utf8_encode(enc, r));
			break;
		}
		default:
			rc = yerr(p,
			    "found unknown escape character while "
			    "parsing a quoted scalar");
		}
	}
	if (rc == 0)
		*out = ls_val_string(p->a, b.data ? b.data : "", b.len);
	ls_buf_cleanup(&b);
	return rc != 0 ? -1 : (*out == NULL ? yerr(p, "out of memory") : 0);
}

static int
single_quoted(struct yp *p, const struct ls_val **out)
{
	struct ls_buf b;
	int rc = 0;

	ls_buf_init(&b, BI_MAX_STRING);
	p->i++;
	while (rc == 0) {
		char c = cur(p);
		if (c == '\0') {
			rc = yerr(p, "found unexpected end of stream");
		} else if (c == '\'' && p->i + 1 < p->n &&
		    p->s[p->i + 1] == '\'') {
			rc = ls_buf_addc(&b, '\'');
			p->i += 2;
		} else if (c == '\'') {
			p->i++;
			break;
		} else if (c == '\n' || c == '\r') {
			rc = fold_break(p, &b);
		} else {
			rc = ls_buf_addc(&b, c);
			p->i++;
		}
	}
	if (rc == 0)
		*out = ls_val_string(p->a, b.data ? b.data : "", b.len);
	ls_buf_cleanup(&b);
	return rc != 0 ? -1 : (*out == NULL ? yerr(p, "out of memory") : 0);
}

/* Literal (|) or folded (>) block scalar; content is indented deeper
 * than the node that owns it (p->owner, -1 at the top level). */
static int
block_scalar(struct yp *p, const struct ls_val **out)
{
	size_t parent_col = p->owner < 0 ? 0 : (size_t)p->owner;
	int top = p->owner < 0;
	struct ls_buf b;
	char style = cur(p), chomp = 'c';
	size_t ind = 0, k, trailing;
	int rc = 0, first = 1, prev_more = 0;

	p->i++;
	while (!endch(cur(p)) && !blank(cur(p)) && cur(p) != '#') {
		if (cur(p) == '+' || cur(p) == '-')
			chomp = cur(p);
		else if (cur(p) >= '1' && cur(p) <= '9')
			ind = (top ? 0 : parent_col) + (size_t)(cur(p) - '0');
		p->i++;
	}
	skip_inline(p);
	if (cur(p) == '\r')
		p->i++;
	if (cur(p) == '\n')
		p->i++;
	ls_buf_init(&b, BI_MAX_STRING);
	while (p->i < p->n && rc == 0) {
		size_t start = p->i, c = 0, e;
		while (p->i < p->n && p->s[p->i] == ' ')
			p->i++, c++;
		if (endch(cur(p))) { /* empty line */
			rc = ls_buf_addc(&b, '\n');
			if (cur(p) == '\r')
				p->i++;
			if (cur(p) == '\n')
				p->i++;
			continue;
		}
		if (ind == 0)
			ind = top ? c : c > parent_col ? c : parent_col + 1;
		if (ind == 0)
			ind = 1;
		if (c < ind) {
			p->i = start;
			break;
		}
		p->i = start + ind;
		e = p->i;
		while (!endch(p->s[e]))
			e++;
		if (style == '>' && !first && b.len > 0 &&
		    b.data[b.len - 1] == '\n' && !prev_more &&
		    p->s[p->i] != ' ' &&
		    (b.len < 2 || b.data[b.len - 2] != '\n'))
			b.data[b.len - 1] = ' ';
		prev_more = p->s[p->i] == ' ';
		if (rc == 0)
			rc = ls_buf_add(&b, p->s + p->i, e - p->i);
		if (rc == 0)
			rc = ls_buf_addc(&b, '\n');
		p->i = e;
		if (cur(p) == '\r')
			p->i++;
		if (cur(p) == '\n')
			p->i++;
		first = 0;
	}
	/* folded: single breaks between plain lines became spaces above;
	 * chomping decides the trailing breaks */
	for (trailing = 0, k = b.len; k > 0 && b.data[k - 1] == '\n'; k--)
		trailing++;
	if (chomp == '-')
		b.len = k;
	else if (chomp == 'c' && trailing > 0)
		b.len = k + 1;
	if (rc == 0)
		*out = ls_val_string(p->a, b.data ? b.data : "", b.len);
	ls_buf_cleanup(&b);
	return rc != 0 ? yerr(p, "block scalar too large")
		       : (*out == NULL ? yerr(p, "out of memory") : 0);
}

/* A plain scalar on one line (in flow context it stops at , ] }). */
static int
plain(struct yp *p, int flow, const struct ls_val **out)
{
	size_t start = p->i, end;

	while (!endch(cur(p))) {
		char c = cur(p);
		if (c == ':' &&
		    (endch(p->s[p->i + 1]) || blank(p->s[p->i + 1]) ||
			(flow && strchr(",[]{}", p->s[p->i + 1]) != NULL &&
			    p->s[p->i + 1] != '\0')))
			break;
		if (c == '#' && p->i > start && blank(p->s[p->i - 1]))
			break;
		if (flow && (c == ',' || c == ']' || c == '}'))
			break;
		p->i++;
	}
	end = p->i;
	while (end > start && blank(p->s[end - 1]))
		end--;
	if ((*out = resolve(p, p->s + start, end - start)) == NULL)
		return yerr(p, "out of memory");
	return 0;
}

/* ---- flow collections ---- */

static int flow_node(struct yp *p, const struct ls_val **out);

static int
flow_key_string(struct yp *p, const struct ls_val *k, const struct ls_val **s)
{
	struct ls_buf b;

	if (k->type == LS_VAL_STRING) {
		*s = k;
		return 0;
	}
	ls_buf_init(&b, 4096);
	if (k->type == LS_VAL_NULL)
		ls_buf_adds(&b, "null");
	else if (ls_val_to_json(&b, k) != 0) {
		ls_buf_cleanup(&b);
		return yerr(p, "invalid map key");
	}
	*s = ls_val_string(p->a, b.data ? b.data : "", b.len);
	ls_buf_cleanup(&b);
	return *s == NULL ? yerr(p, "out of memory") : 0;
}

static int
flow_collection(struct yp *p, const struct ls_val **out)
{
	char open = cur(p), close = open == '[' ? ']' : '}';
	struct ls_vlist keys, vals;
	int conflict = 0;

	ls_vlist_init(&keys, p->a);
	ls_vlist_init(&vals, p->a);
	if (++p->depth > YAML_MAX_DEPTH)
		return yerr(p, "exceeded max depth");
	p->i++;
	for (;;) {
		const struct ls_val *k = NULL, *v = NULL;

		skip_ws(p);
		if (cur(p) == close) {
			p->i++;
			break;
		}
		if (cur(p) == '\0')
			return yerr(p,
			    open == '[' ? "did not find expected ',' "
					  "or ']'"
					: "did not find expected ',' or '}'");
		if (flow_node(p, &k) != 0)
			return -1;
		skip_ws(p);
		if (cur(p) == ':') {
			p->i++;
			skip_ws(p);
			if (cur(p) == ',' || cur(p) == close)
				v = ls_val_null();
			else if (flow_node(p, &v) != 0)
				return -1;
			skip_ws(p);
		} else if (open == '{') {
			v = ls_val_null();
		}
		if (open == '[' && v == NULL) {
			if (push(p, &vals, k) != 0)
				return -1;
		} else {
			const struct ls_val *ks = NULL, *pair, *kv[1], *vv[1];
			if (flow_key_string(p, k, &ks) != 0)
				return -1;
			/* [a: 1] is a list of one-pair maps */
			if (open == '[') {
				kv[0] = ks;
				vv[0] = v;
				pair = ls_val_object(p->a, kv, vv, 1, NULL);
				if (push(p, &vals, pair) != 0)
					return -1;
			} else if (push(p, &keys, ks) != 0 ||
			    push(p, &vals, v) != 0) {
				return -1;
			}
		}
		if (cur(p) == ',') {
			p->i++;
			continue;
		}
		if (cur(p) != close)
			return yerr(p,
			    open == '[' ? "did not find expected ',' "
					  "or ']'"
					: "did not find expected ',' or '}'");
	}
	p->depth--;
	*out = open == '['
	    ? ls_val_array(p->a, vals.v, vals.n)
	    : ls_val_object(p->a, keys.v, vals.v, keys.n, &conflict);
	if (*out == NULL)
		return yerr(p,
		    conflict ? "duplicate key in mapping" : "out of memory");
	return 0;
}

static int
flow_node(struct yp *p, const struct ls_val **out)
{
	switch (cur(p)) {
	case '[':
	case '{': return flow_collection(p, out);
	case '"': return double_quoted(p, out);
	case '\'': return single_quoted(p, out);
	default: return plain(p, 1, out);
	}
}

/* ---- block collections ---- */

/* Is there a "key:" mapping indicator on this line at the cursor? */
static int
looks_like_key(const struct yp *p)
{
	size_t k = p->i;
	char q = p->s[k];

	if (q == '"' || q == '\'') {
		for (k++; k < p->n && p->s[k] != q && !endch(p->s[k]); k++)
			if (q == '"' && p->s[k] == '\\')
				k++;
		if (k >= p->n || p->s[k] != q)
			return 0;
		k++;
		while (blank(p->s[k]))
			k++;
		return p->s[k] == ':' &&
		    (endch(p->s[k + 1]) || blank(p->s[k + 1]));
	}
	if (q == '[' || q == '{' || q == '#' || q == '|' || q == '>' ||
	    q == '*' || q == '&' || q == '!' ||
	    (q == '-' && (blank(p->s[k + 1]) || endch(p->s[k + 1]))))
		return 0;
	for (; !endch(p->s[k]); k++) {
		if (p->s[k] == '#' && k > p->i && blank(p->s[k - 1]))
			return 0;
		if (p->s[k] == ':' &&
		    (endch(p->s[k + 1]) || blank(p->s[k + 1])))
			return 1;
	}
	return 0;
}

/* The value after "key:" or "- ": inline, or a nested block below. */
static int
block_value(struct yp *p, size_t owner_col, int in_seq,
    const struct ls_val **out)
{
	size_t save;

	p->owner = (long)owner_col;
	skip_inline(p);
	if (!endch(cur(p)))
		return parse_node(p, owner_col + (in_seq ? 1 : 0), out);
	save = p->i;
	skip_ws(p);
	if (cur(p) != '\0' && !doc_marker(p) &&
	    (column(p, p->i) > owner_col ||
		(!in_seq && column(p, p->i) == owner_col && cur(p) == '-' &&
		    (blank(p->s[p->i + 1]) || endch(p->s[p->i + 1])))))
		return parse_node(p, owner_col, out);
	p->i = save;
	*out = ls_val_null();
	return 0;
}

static int
block_sequence(struct yp *p, size_t col, const struct ls_val **out)
{
	struct ls_vlist items;

	ls_vlist_init(&items, p->a);
	for (;;) {
		const struct ls_val *v = NULL;

		p->i++; /* the dash */
		if (block_value(p, col, 1, &v) != 0 || push(p, &items, v) != 0)
			return -1;
		skip_ws(p);
		if (cur(p) == '\0' || doc_marker(p) || column(p, p->i) != col ||
		    cur(p) != '-' ||
		    !(blank(p->s[p->i + 1]) || endch(p->s[p->i + 1])))
			break;
	}
	if (cur(p) != '\0' && !doc_marker(p) && column(p, p->i) > col)
		return yerr(p, "did not find expected '-' indicator");
	*out = ls_val_array(p->a, items.v, items.n);
	return *out == NULL ? yerr(p, "out of memory") : 0;
}

static int
block_mapping(struct yp *p, size_t col, const struct ls_val **out)
{
	struct ls_vlist keys, vals;
	int conflict = 0;

	ls_vlist_init(&keys, p->a);
	ls_vlist_init(&vals, p->a);
	for (;;) {
		const struct ls_val *k = NULL, *v = NULL, *ks = NULL;

		if (cur(p) == '"'	 ? double_quoted(p, &k) != 0
			: cur(p) == '\'' ? single_quoted(p, &k) != 0
					 : plain(p, 0, &k) != 0)
			return -1;
		while (blank(cur(p)))
			p->i++;
		if (cur(p) != ':')
			return yerr(p, "could not find expected ':'");
		p->i++;
		if (flow_key_string(p, k, &ks) != 0 ||
		    block_value(p, col, 0, &v) != 0 ||
		    push(p, &keys, ks) != 0 || push(p, &vals, v) != 0)
			return -1;
		skip_ws(p);
		if (cur(p) == '\0' || doc_marker(p) || column(p, p->i) != col)
			break;
		if (!looks_like_key(p) ||
		    (cur(p) == '-' && blank(p->s[p->i + 1])))
			return yerr(p, "could not find expected ':'");
	}
	if (cur(p) != '\0' && !doc_marker(p) && column(p, p->i) > col)
		return yerr(p,
		    "mapping values are not allowed in this "
		    "context");
	*out = ls_val_object(p->a, keys.v, vals.v, keys.n, &conflict);
	if (*out == NULL)
		return yerr(p,
		    conflict ? "duplicate key in mapping" : "out of memory");
	return 0;
}

static int
anchor_name(struct yp *p, const char **name, size_t *len)
{
	size_t start = ++p->i;

	while (
	    !endch(cur(p)) && !blank(cur(p)) && strchr(",[]{}", cur(p)) == NULL)
		p->i++;
	*name = p->s + start;
	*len = p->i - start;
	return *len == 0 ? yerr(p,
			       "did not find expected alphabetic or "
			       "numeric character")
			 : 0;
}

static int
parse_node(struct yp *p, size_t min_col, const struct ls_val **out)
{
	const char *aname = NULL;
	size_t alen = 0, col, k;
	int rc;

	if (++p->depth > YAML_MAX_DEPTH)
		return yerr(p, "exceeded max depth");
	skip_ws(p);
	if (cur(p) == '&') {
		if (anchor_name(p, &aname, &alen) != 0)
			return -1;
		skip_ws(p);
	}
	if (cur(p) == '!') { /* tags are accepted and ignored */
		while (!endch(cur(p)) && !blank(cur(p)))
			p->i++;
		skip_ws(p);
	}
	col = column(p, p->i);
	if (cur(p) == '\0') {
		*out = ls_val_null();
		rc = 0;
	} else if (col < min_col) {
		*out = ls_val_null();
		rc = 0;
	} else if (cur(p) == '*') {
		const char *n;
		size_t nl;
		rc = anchor_name(p, &n, &nl);
		for (k = 0; rc == 0 && k < p->nanchors; k++)
			if (p->anchors[k].len == nl &&
			    memcmp(p->anchors[k].name, n, nl) == 0)
				*out = p->anchors[k].v;
		if (rc == 0 && *out == NULL)
			rc = yerr(p, "unknown anchor referenced");
	} else if (cur(p) == '-' &&
	    (blank(p->s[p->i + 1]) || endch(p->s[p->i + 1]))) {
		rc = block_sequence(p, col, out);
	} else if (cur(p) == '|' || cur(p) == '>') {
		rc = block_scalar(p, out);
	} else if (looks_like_key(p)) {
		rc = block_mapping(p, col, out);
	} else if (cur(p) == '[' || cur(p) == '{') {
		rc = flow_collection(p, out);
	} else if (cur(p) == '"') {
		rc = double_quoted(p, out);
	} else if (cur(p) == '\'') {
		rc = single_quoted(p, out);
	} else {
		rc = plain(p, 0, out);
	}
	if (rc == 0 && aname != NULL) {
		if (p->nanchors >= YAML_MAX_ANCHORS)
			return yerr(p, "too many anchors");
		p->anchors[p->nanchors].name = aname;
		p->anchors[p->nanchors].len = alen;
		p->anchors[p->nanchors++].v = *out;
	}
	p->depth--;
	return rc;
}

/* Index of the first C0 control character other than tab, LF and CR, or
 * DEL, in s[0..n); n when there is none.  go-yaml refuses them, and the
 * parser below takes a NUL for the end of the text. */
static size_t
control_char(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') ||
		    c == 0x7f)
			return i;
	}
	return n;
}

/* Parse one YAML document; message in err on failure. */
static int
yaml_parse(const struct ls_val **out, struct ls_arena *a, const char *s,
    size_t n, char *err, size_t errlen)
{
	struct yp *p;
	int rc;

	*out = NULL;
	if (control_char(s, n) < n) {
		snprintf(err, errlen,
		    "yaml: control characters are not allowed");
		return -1;
	}
	if ((p = calloc(1, sizeof *p)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	p->a = a;
	p->s = s;
	p->n = n;
	p->owner = -1;
	*out = NULL;
	skip_ws(p);
	if (p->n - p->i >= 3 && memcmp(p->s + p->i, "---", 3) == 0 &&
	    (endch(p->s[p->i + 3]) || blank(p->s[p->i + 3])))
		p->i += 3;
	rc = parse_node(p, 0, out);
	if (rc == 0) {
		skip_ws(p);
		if (p->n - p->i >= 3 &&
		    (memcmp(p->s + p->i, "...", 3) == 0 ||
			memcmp(p->s + p->i, "---", 3) == 0))
			p->i = p->n; /* later documents are ignored */
		if (cur(p) != '\0')
			rc = yerr(p, "did not find expected <document start>");
	}
	if (rc != 0)
		snprintf(err, errlen, "%s", p->err);
	free(p);
	return rc;
}

int
ls_yaml_parse(const struct ls_val **out, struct ls_arena *a, const char *s,
    size_t n, char *err, size_t errlen)
{
	return yaml_parse(out, a, s, n, err, errlen);
}

int
ls_bi_yaml_unmarshal(BI_ARGS)
{
	char err[256];
	const char *s;
	size_t sl;
	int rc;

	(void)nargs;
	if ((rc = bi_arg_str(ctx, args, 0, &s, &sl)) != 0)
		return rc;
	if (yaml_parse(out, ctx->arena, s, sl, err, sizeof err) != 0)
		return ls_bi_error(ctx, "%s", err);
	return LS_BI_OK;
}

int
ls_bi_yaml_is_valid(BI_ARGS)
{
	const struct ls_val *v = NULL;
	char err[256];

	(void)nargs;
	if (args[0]->type != LS_VAL_STRING)
		return bi_ret(out, ls_val_bool(0));
	return bi_ret(out,
	    ls_val_bool(yaml_parse(&v, ctx->arena, args[0]->u.str.p,
			    args[0]->u.str.len, err, sizeof err) == 0));
}

/* ---- marshal, go-yaml v2 block style ---- */

/* How go-yaml v2 writes a string: 0 plain, 1 single-quoted (the plain
 * form would not parse back), 2 double-quoted (it would read back as
 * another type, or it holds control characters). */
static int
quote_style(struct ls_arena *a, const char *s, size_t n)
{
	struct yp p;
	const struct ls_val *v;
	size_t i;
	int single = 0;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7F)
			return 2;
	memset(&p, 0, sizeof p);
	p.a = a;
	v = resolve(&p, s, n);
	if (v == NULL || v->type != LS_VAL_STRING)
		return 2;
	if (n == 0 || blank(s[0]) || blank(s[n - 1]) ||
	    strchr("-?:,[]{}#&*!|>'\"%@`~", s[0]) != NULL)
		single = 1;
	for (i = 0; i < n && !single; i++)
		if ((s[i] == ':' && (i + 1 == n || blank(s[i + 1]))) ||
		    (s[i] == '#' && i > 0 && blank(s[i - 1])))
			single = 1;
	return single;
}

static int
y_string(struct ls_buf *b, struct ls_arena *a, const char *s, size_t n)
{
	size_t i;
	int rc = 0, style = quote_style(a, s, n);

	if (style == 0)
		return ls_buf_add(b, s, n);
	if (style == 1) {
		rc = ls_buf_addc(b, '\'');
		for (i = 0; i < n && rc == 0; i++)
			rc = s[i] == '\'' ? ls_buf_adds(b, "''")
					  : ls_buf_addc(b, s[i]);
		return rc ? rc : ls_buf_addc(b, '\'');
	}
	rc = ls_buf_addc(b, '"');
	for (i = 0; i < n && rc == 0; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			rc = ls_buf_addf(b, "\\%c", c);
		else if (c == '\n')
			rc = ls_buf_adds(b, "\\n");
		else if (c == '\t')
			rc = ls_buf_adds(b, "\\t");
		else if (c == '\r')
			rc = ls_buf_adds(b, "\\r");
		else if (c < 0x20 || c == 0x7F)
			rc = ls_buf_addf(b, "\\x%02X", c);
		else
			rc = ls_buf_addc(b, (char)c);
	}
	return rc ? rc : ls_buf_addc(b, '"');
}

static int y_node(struct ls_buf *b, struct ls_arena *a, const struct ls_val *v,
    int indent, int depth);

static int
y_scalar(struct ls_buf *b, struct ls_arena *a, const struct ls_val *v)
{
	switch (v->type) {
	case LS_VAL_NULL: return ls_buf_adds(b, "null");
	case LS_VAL_BOOL: return ls_buf_adds(b, v->u.b ? "true" : "false");
	case LS_VAL_NUMBER: return ls_num_format(b, &v->u.num);
	case LS_VAL_STRING: return y_string(b, a, v->u.str.p, v->u.str.len);
	default:
		return ls_val_len(v) == 0
		    ? ls_buf_adds(b, v->type == LS_VAL_OBJECT ? "{}" : "[]")
		    : -1;
	}
}

static int
is_block(const struct ls_val *v)
{
	return (v->type == LS_VAL_OBJECT || v->type == LS_VAL_ARRAY ||
		   v->type == LS_VAL_SET) &&
	    ls_val_len(v) > 0;
}

static int
pad(struct ls_buf *b, int n)
{
	int rc = 0;

	while (n-- > 0 && rc == 0)
		rc = ls_buf_addc(b, ' ');
	return rc;
}

/* v at indentation indent; the caller has written what precedes it on
 * the current line (nothing, "- " or "key:"). */
static int
y_node(struct ls_buf *b, struct ls_arena *a, const struct ls_val *v, int indent,
    int depth)
{
	const struct ls_val *const *el;
	size_t n, i;
	int rc = 0;

	if (depth > YAML_MAX_DEPTH)
		return ls_error_set(LS_ETOOBIG, "value nested too deeply");
	if (!is_block(v)) {
		rc = y_scalar(b, a, v);
		return rc ? rc : ls_buf_addc(b, '\n');
	}
	if (v->type == LS_VAL_OBJECT) {
		for (i = 0; i < v->u.obj.n && rc == 0; i++) {
			const struct ls_val *k = v->u.obj.k[i],
					    *c = v->u.obj.v[i];
			if (i > 0)
				rc = pad(b, indent);
			if (rc == 0 && k->type == LS_VAL_STRING)
				rc = y_string(b, a, k->u.str.p, k->u.str.len);
			else if (rc == 0)
				rc = y_scalar(b, a, k);
			if (rc == 0)
				rc = ls_buf_addc(b, ':');
			if (rc == 0 && is_block(c)) {
				int sub = c->type == LS_VAL_OBJECT ? indent + 2
								   : indent;
				rc = ls_buf_addc(b, '\n');
				if (rc == 0)
					rc = pad(b, sub);
				if (rc == 0)
					rc = y_node(b, a, c, sub, depth + 1);
			} else if (rc == 0) {
				rc = ls_buf_addc(b, ' ');
				if (rc == 0)
					rc = y_node(b, a, c, indent, depth + 1);
			}
		}
		return rc;
	}
	el = bi_elems(v, &n);
	for (i = 0; i < n && rc == 0; i++) {
		if (i > 0)
			rc = pad(b, indent);
		if (rc == 0)
			rc = ls_buf_adds(b, "- ");
		if (rc == 0)
			rc = y_node(b, a, el[i], indent + 2, depth + 1);
	}
	return rc;
}

int
ls_bi_yaml_marshal(BI_ARGS)
{
	struct ls_buf b;
	int rc;

	(void)nargs;
	ls_buf_init(&b, BI_MAX_STRING);
	if ((rc = y_node(&b, ctx->arena, args[0], 0, 0)) != 0) {
		ls_buf_cleanup(&b);
		return bi_fail(ctx, rc < 0 ? rc : LS_ETOOBIG);
	}
	return bi_ret_buf(ctx, out, &b);
}
