/*
 * template.c - strings.render_template: the part of Go's text/template
 * that policies use.  Text with {{ }} actions ({{- -}} trimming, comment
 * actions); fields .a.b, $, $var and $var.f; literals;
 * pipelines with |; functions and, or, not, len, index, eq, ne, lt, le,
 * gt, ge, print, println, printf; if / else if / else, range (with
 * $i, $v :=), with, and {{$x := ...}}.  Values print as Go prints the
 * JSON-decoded data OPA hands to the template: numbers as float64,
 * objects as map[k:v ...], null as <no value>.  A missing key prints
 * <undefined>, as OPA 1.x renders it.  Work and nesting are capped.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lockstep/error.h"
#include "rego/builtins/internal.h"
#include "rego/builtins/lib.h"

#define TPL_MAX_DEPTH 64
#define TPL_MAX_VARS 64
#define TPL_MAX_STEPS 1000000L

struct tvar {
	const char *name; /* "$x", within the template text */
	size_t len;
	const struct ls_val *v;
};

struct tpl {
	struct ls_arena *a;
	const char *s; /* template text */
	size_t n;
	const struct ls_val *root; /* "$" */
	struct tvar vars[TPL_MAX_VARS];
	size_t nvars;
	long steps;
	char err[256];
};

/* An action: [start, end) of its inside, with trims applied. */
struct action {
	size_t start, end; /* text between the delimiters */
	size_t next;	   /* just past the closing delimiter */
	size_t text_end;   /* end of the text before the action */
};

static int terr(struct tpl *t, size_t at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
terr(struct tpl *t, size_t at, const char *fmt, ...)
{
	va_list ap;
	size_t i, line = 1;
	int k;

	for (i = 0; i < at && i < t->n; i++)
		if (t->s[i] == '\n')
			line++;
	if (t->err[0] != '\0')
		return -1;
	k = snprintf(t->err, sizeof t->err, "template: template:%zu: ", line);
	if (k > 0 && (size_t)k < sizeof t->err) {
		va_start(ap, fmt);
		vsnprintf(t->err + k, sizeof t->err - (size_t)k, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Find the next action at or after pos; 0 found, 1 none. */
static int
next_action(struct tpl *t, size_t pos, struct action *ac)
{
	const char *o = NULL, *c;

	if (pos < t->n)
		o = memmem(t->s + pos, t->n - pos, "{{", 2);
	if (o == NULL)
		return 1;
	ac->text_end = (size_t)(o - t->s);
	ac->start = ac->text_end + 2;
	if (ac->start + 1 < t->n && t->s[ac->start] == '-' &&
	    is_space(t->s[ac->start + 1])) {
		while (ac->text_end > pos && is_space(t->s[ac->text_end - 1]))
			ac->text_end--;
		ac->start++;
	}
	if ((c = memmem(t->s + ac->start, t->n - ac->start, "}}", 2)) == NULL)
		return terr(t, ac->start, "unclosed action");
	ac->end = (size_t)(c - t->s);
	ac->next = ac->end + 2;
	if (ac->end > ac->start && t->s[ac->end - 1] == '-' &&
	    ac->end - 1 > ac->start && is_space(t->s[ac->end - 2])) {
		ac->end--;
		while (ac->next < t->n && is_space(t->s[ac->next]))
			ac->next++;
	}
	while (ac->start < ac->end && is_space(t->s[ac->start]))
		ac->start++;
	while (ac->end > ac->start && is_space(t->s[ac->end - 1]))
		ac->end--;
	return 0;
}

static int
word_is(const struct tpl *t, const struct action *ac, const char *w)
{
	size_t n = strlen(w);

	return ac->end - ac->start >= n &&
	    memcmp(t->s + ac->start, w, n) == 0 &&
	    (ac->end - ac->start == n || is_space(t->s[ac->start + n]));
}

/* ---- printing values as Go's %v of the JSON-decoded data ---- */

static int
print_val(struct ls_buf *b, const struct ls_val *v, int depth)
{
	const struct ls_val *const *el;
	char g[48];
	size_t n, i;
	int rc = 0;

	if (depth > TPL_MAX_DEPTH)
		return -1;
	switch (v->type) {
	case LS_VAL_NULL: return ls_buf_adds(b, "<nil>");
	case LS_VAL_BOOL: return ls_buf_adds(b, v->u.b ? "true" : "false");
	case LS_VAL_NUMBER:
		bi_fmt_go_float(g, ls_num_to_double(&v->u.num), 0);
		return ls_buf_adds(b, g);
	case LS_VAL_STRING: return ls_buf_add(b, v->u.str.p, v->u.str.len);
	case LS_VAL_ARRAY:
	case LS_VAL_SET:
		el = bi_elems(v, &n);
		rc = ls_buf_addc(b, '[');
		for (i = 0; i < n && rc == 0; i++) {
			if (i > 0)
				rc = ls_buf_addc(b, ' ');
			if (rc == 0)
				rc = print_val(b, el[i], depth + 1);
		}
		return rc ? rc : ls_buf_addc(b, ']');
	case LS_VAL_OBJECT:
		rc = ls_buf_adds(b, "map[");
		for (i = 0; i < v->u.obj.n && rc == 0; i++) {
			if (i > 0)
				rc = ls_buf_addc(b, ' ');
			if (rc == 0)
				rc = print_val(b, v->u.obj.k[i], depth + 1);
			if (rc == 0)
				rc = ls_buf_addc(b, ':');
			if (rc == 0)
				rc = print_val(b, v->u.obj.v[i], depth + 1);
		}
		return rc ? rc : ls_buf_addc(b, ']');
	}
	return 0;
}

static int
truthy(const struct ls_val *v)
{
	switch (v->type) {
	case LS_VAL_NULL: return 0;
	case LS_VAL_BOOL: return v->u.b;
	case LS_VAL_NUMBER: return ls_num_sign(&v->u.num) != 0;
	default: return ls_val_len(v) != 0;
	}
}

/* ---- pipelines ---- */

struct lex {
	struct tpl *t;
	size_t i, end;
};

static void
lex_ws(struct lex *l)
{
	while (l->i < l->end && is_space(l->t->s[l->i]))
		l->i++;
}

static int pipeline(struct lex *l, const struct ls_val *dot,
    const struct ls_val **out, int depth);

/* What a missing key gives: prints as <undefined>, false in if. */
static const struct ls_val undefined_val = { LS_VAL_NULL, { 0 } };

/* .a.b or $x.a on value v. */
static int
fields(struct lex *l, const struct ls_val *v, const struct ls_val **out)
{
	struct tpl *t = l->t;

	while (l->i < l->end && t->s[l->i] == '.' && l->i + 1 < l->end &&
	    t->s[l->i + 1] != ' ' && t->s[l->i + 1] != ')') {
		size_t s = ++l->i;
		const struct ls_val *c;
		char name[128];

		while (l->i < l->end && !is_space(t->s[l->i]) &&
		    strchr(".|()", t->s[l->i]) == NULL)
			l->i++;
		snprintf(name, sizeof name, "%.*s", (int)(l->i - s), t->s + s);
		if (v == &undefined_val)
			continue;
		if (v->type != LS_VAL_OBJECT)
			return terr(t, s, "can't evaluate field %s", name);
		if ((c = ls_val_object_gets(v, t->s + s, l->i - s)) == NULL)
			c = &undefined_val;
		v = c;
	}
	*out = v;
	return 0;
}

static int
operand(struct lex *l, const struct ls_val *dot, const struct ls_val **out,
    int depth)
{
	struct tpl *t = l->t;
	const char *s = t->s + l->i;
	size_t k, start = l->i;

	if (s[0] == '(') {
		l->i++;
		if (pipeline(l, dot, out, depth + 1) != 0)
			return -1;
		lex_ws(l);
		if (l->i >= l->end || t->s[l->i] != ')')
			return terr(t, l->i, "unclosed left paren");
		l->i++;
		return fields(l, *out, out);
	}
	if (s[0] == '.') {
		if (l->i + 1 >= l->end || is_space(s[1]) || s[1] == ')' ||
		    s[1] == '|') {
			l->i++;
			*out = dot;
			return 0;
		}
		return fields(l, dot, out);
	}
	if (s[0] == '$') {
		l->i++;
		while (l->i < l->end && !is_space(t->s[l->i]) &&
		    strchr(".|()", t->s[l->i]) == NULL)
			l->i++;
		for (k = t->nvars; k > 0; k--) {
			struct tvar *tv = &t->vars[k - 1];
			if (tv->len == l->i - start &&
			    memcmp(tv->name, s, tv->len) == 0)
				return fields(l, tv->v, out);
		}
		if (l->i - start == 1)
			return fields(l, t->root, out);
		return terr(t, start, "undefined variable \"%.*s\"",
		    (int)(l->i - start), s);
	}
	if (s[0] == '"' || s[0] == '`') {
		struct ls_buf b;
		char q = s[0];
		ls_buf_init(&b, BI_MAX_STRING);
		for (l->i++; l->i < l->end && t->s[l->i] != q; l->i++) {
			char c = t->s[l->i];
			if (q == '"' && c == '\\' && l->i + 1 < l->end) {
				c = t->s[++l->i];
				c = c == 'n' ? '\n' : c == 't' ? '\t' : c;
			}
			if (ls_buf_addc(&b, c) != 0)
				break;
		}
		l->i++;
		*out = ls_val_string(t->a, b.data ? b.data : "", b.len);
		ls_buf_cleanup(&b);
		return *out == NULL ? terr(t, start, "out of memory") : 0;
	}
	while (l->i < l->end && !is_space(t->s[l->i]) &&
	    strchr("|()", t->s[l->i]) == NULL)
		l->i++;
	if (l->i - start == 4 && memcmp(s, "true", 4) == 0)
		*out = ls_val_bool(1);
	else if (l->i - start == 5 && memcmp(s, "false", 5) == 0)
		*out = ls_val_bool(0);
	else if (l->i - start == 3 && memcmp(s, "nil", 3) == 0)
		*out = ls_val_null();
	else if ((*out = ls_val_number_text(t->a, s, l->i - start)) == NULL)
		return terr(t, start, "function \"%.*s\" not defined",
		    (int)(l->i - start), s);
	return 0;
}

static int
compare(struct tpl *t, size_t at, const char *fn, const struct ls_val *a,
    const struct ls_val *b, const struct ls_val **out)
{
	int c;

	if (a->type != b->type && strcmp(fn, "eq") != 0 &&
	    strcmp(fn, "ne") != 0)
		return terr(t, at,
		    "error calling %s: incompatible types for "
		    "comparison",
		    fn);
	c = ls_val_compare(a, b);
	*out = ls_val_bool(strcmp(fn, "eq") == 0 ? c == 0
		: strcmp(fn, "ne") == 0		 ? c != 0
		: strcmp(fn, "lt") == 0		 ? c < 0
		: strcmp(fn, "le") == 0		 ? c <= 0
		: strcmp(fn, "gt") == 0		 ? c > 0
						 : c >= 0);
	return 0;
}

static int
call(struct lex *l, const char *fn, const struct ls_val **args, size_t n,
    const struct ls_val **out, size_t at)
{
	struct tpl *t = l->t;
	struct ls_buf b;
	size_t i;
	int is_printf;

	if (strcmp(fn, "and") == 0 || strcmp(fn, "or") == 0) {
		int want = fn[0] == 'o';
		if (n == 0)
			return terr(t, at, "wrong number of args for %s", fn);
		for (i = 0; i + 1 < n && truthy(args[i]) != want; i++)
			;
		*out = args[i];
		return 0;
	}
	if (strcmp(fn, "not") == 0 && n == 1) {
		*out = ls_val_bool(!truthy(args[0]));
		return 0;
	}
	if (strcmp(fn, "len") == 0 && n == 1) {
		if (args[0]->type == LS_VAL_STRING ||
		    args[0]->type == LS_VAL_ARRAY ||
		    args[0]->type == LS_VAL_OBJECT ||
		    args[0]->type == LS_VAL_SET) {
			*out = ls_val_int(t->a, (int64_t)ls_val_len(args[0]));
			return 0;
		}
		return terr(t, at, "error calling len: len of %s", "type");
	}
	if (strcmp(fn, "index") == 0 && n >= 1) {
		const struct ls_val *v = args[0];
		for (i = 1; i < n && v != NULL; i++) {
			if (v->type == LS_VAL_OBJECT)
				v = ls_val_object_get(v, args[i]);
			else if (v->type == LS_VAL_ARRAY &&
			    args[i]->type == LS_VAL_NUMBER) {
				int ovf = 0;
				int64_t k =
				    ls_num_to_int64(&args[i]->u.num, &ovf);
				v = !ovf && k >= 0 && (uint64_t)k < v->u.arr.n
				    ? v->u.arr.v[k]
				    : NULL;
			} else {
				v = NULL;
			}
		}
		if (v == NULL)
			return terr(t, at, "error calling index: %s",
			    "index out of range or missing key");
		*out = v;
		return 0;
	}
	if ((strcmp(fn, "eq") == 0 || strcmp(fn, "ne") == 0 ||
		strcmp(fn, "lt") == 0 || strcmp(fn, "le") == 0 ||
		strcmp(fn, "gt") == 0 || strcmp(fn, "ge") == 0) &&
	    n == 2)
		return compare(t, at, fn, args[0], args[1], out);
	is_printf = strcmp(fn, "printf") == 0 && n >= 1 &&
	    args[0]->type == LS_VAL_STRING;
	if (strcmp(fn, "print") == 0 || strcmp(fn, "println") == 0 ||
	    is_printf) {
		int rc = 0;
		ls_buf_init(&b, BI_MAX_STRING);
		if (is_printf) {
			struct bi_fmt_arg *fa =
			    ls_arena_alloc(t->a, n * sizeof *fa);
			for (i = 1; fa != NULL && i < n && rc == 0; i++) {
				struct ls_buf vb;
				ls_buf_init(&vb, BI_MAX_STRING);
				rc = print_val(&vb, args[i], 0);
				fa[i - 1].kind = args[i]->type == LS_VAL_NUMBER
				    ? BI_FMT_FLOAT
				    : BI_FMT_STRING;
				fa[i - 1].f = args[i]->type == LS_VAL_NUMBER
				    ? ls_num_to_double(&args[i]->u.num)
				    : 0;
				fa[i - 1].str = ls_arena_strndup(t->a,
				    vb.data ? vb.data : "", vb.len);
				fa[i - 1].len = vb.len;
				ls_buf_cleanup(&vb);
			}
			if (fa == NULL || rc != 0 ||
			    bi_fmt_sprintf(&b, args[0]->u.str.p,
				args[0]->u.str.len, fa, n - 1) != 0)
				rc = -1;
		} else {
			for (i = 0; i < n && rc == 0; i++) {
				if (i > 0 &&
				    (fn[5] == 'l' ||
					(args[i]->type != LS_VAL_STRING &&
					    args[i - 1]->type != LS_VAL_STRING)))
					rc = ls_buf_addc(&b, ' ');
				if (rc == 0)
					rc = print_val(&b, args[i], 0);
			}
			if (rc == 0 && fn[5] == 'l')
				rc = ls_buf_addc(&b, '\n');
		}
		*out = rc == 0
		    ? ls_val_string(t->a, b.data ? b.data : "", b.len)
		    : NULL;
		ls_buf_cleanup(&b);
		return *out == NULL ? terr(t, at, "error calling %s", fn) : 0;
	}
	return terr(t, at, "function \"%s\" not defined", fn);
}

/* One command: an operand, or a function with arguments; prev is the
 * value piped in (NULL for the first command). */
static int
command(struct lex *l, const struct ls_val *dot, const struct ls_val *prev,
    const struct ls_val **out, int depth)
{
	struct tpl *t = l->t;
	const struct ls_val *args[16];
	char fn[32];
	size_t n = 0, start;

	lex_ws(l);
	start = l->i;
	if (l->i < l->end &&
	    ((t->s[l->i] >= 'a' && t->s[l->i] <= 'z') ||
		(t->s[l->i] >= 'A' && t->s[l->i] <= 'Z')) &&
	    !(l->end - l->i >= 4 &&
		(memcmp(t->s + l->i, "true", 4) == 0 ||
		    memcmp(t->s + l->i, "nil", 3) == 0)) &&
	    !(l->end - l->i >= 5 && memcmp(t->s + l->i, "false", 5) == 0)) {
		while (l->i < l->end && !is_space(t->s[l->i]) &&
		    strchr("|()", t->s[l->i]) == NULL)
			l->i++;
		snprintf(fn, sizeof fn, "%.*s", (int)(l->i - start),
		    t->s + start);
		for (;;) {
			lex_ws(l);
			if (l->i >= l->end || t->s[l->i] == '|' ||
			    t->s[l->i] == ')')
				break;
			if (n >= 15)
				return terr(t, l->i, "too many arguments");
			if (operand(l, dot, &args[n++], depth) != 0)
				return -1;
		}
		if (prev != NULL)
			args[n++] = prev;
		return call(l, fn, args, n, out, start);
	}
	if (operand(l, dot, out, depth) != 0)
		return -1;
	lex_ws(l);
	if (prev != NULL ||
	    (l->i < l->end && t->s[l->i] != '|' && t->s[l->i] != ')'))
		return terr(t, l->i, "can't give argument to non-function");
	return 0;
}

static int
pipeline(struct lex *l, const struct ls_val *dot, const struct ls_val **out,
    int depth)
{
	const struct ls_val *v = NULL;

	if (depth > TPL_MAX_DEPTH)
		return terr(l->t, l->i, "nesting too deep");
	for (;;) {
		if (command(l, dot, v, &v, depth) != 0)
			return -1;
		lex_ws(l);
		if (l->i < l->end && l->t->s[l->i] == '|') {
			l->i++;
			continue;
		}
		break;
	}
	*out = v;
	return 0;
}

/* "$a, $b :=" or "$a :=" declarations at the head of a pipeline. */
static size_t
declare(struct lex *l, const char **names, size_t *lens)
{
	struct tpl *t = l->t;
	size_t save = l->i, n = 0;

	while (n < 2) {
		size_t s;
		lex_ws(l);
		if (l->i >= l->end || t->s[l->i] != '$')
			break;
		s = l->i;
		while (l->i < l->end && !is_space(t->s[l->i]) &&
		    t->s[l->i] != ',' && t->s[l->i] != ':' && t->s[l->i] != '=')
			l->i++;
		names[n] = t->s + s;
		lens[n++] = l->i - s;
		lex_ws(l);
		if (l->i < l->end && t->s[l->i] == ',') {
			l->i++;
			continue;
		}
		if (l->end - l->i >= 2 &&
		    (memcmp(t->s + l->i, ":=", 2) == 0 ||
			memcmp(t->s + l->i, "= ", 2) == 0)) {
			l->i += t->s[l->i] == ':' ? 2 : 1;
			return n;
		}
		break;
	}
	l->i = save;
	return 0;
}

static int
set_var(struct tpl *t, const char *name, size_t len, const struct ls_val *v)
{
	size_t k;

	for (k = t->nvars; k > 0; k--) {
		if (t->vars[k - 1].len == len &&
		    memcmp(t->vars[k - 1].name, name, len) == 0) {
			t->vars[k - 1].v = v;
			return 0;
		}
	}
	if (t->nvars >= TPL_MAX_VARS)
		return terr(t, 0, "too many variables");
	t->vars[t->nvars].name = name;
	t->vars[t->nvars].len = len;
	t->vars[t->nvars++].v = v;
	return 0;
}

/* ---- execution ---- */

enum stop { STOP_EOF, STOP_END, STOP_ELSE };

static int
run(struct tpl *t, size_t *pos, const struct ls_val *dot, struct ls_buf *out,
    int emit, enum stop *stop, struct action *last, int depth);

/* Skip (emit 0) or run (emit 1) a block up to its else/end. */
static int
block(struct tpl *t, size_t *pos, const struct ls_val *dot, struct ls_buf *out,
    int emit, enum stop *stop, struct action *last, int depth)
{
	size_t saved = t->nvars;
	int rc = run(t, pos, dot, out, emit, stop, last, depth + 1);

	t->nvars = saved;
	if (rc == 0 && *stop == STOP_EOF)
		return terr(t, *pos, "unexpected EOF");
	return rc;
}

static int
eval_head(struct tpl *t, const struct action *ac, size_t skip,
    const struct ls_val *dot, const struct ls_val **v, const char **names,
    size_t *lens, size_t *ndecl)
{
	struct lex l = { t, ac->start + skip, ac->end };

	*ndecl = declare(&l, names, lens);
	return pipeline(&l, dot, v, 0);
}

static int
do_range(struct tpl *t, size_t *pos, const struct action *ac,
    const struct ls_val *dot, struct ls_buf *out, int emit, struct action *last,
    int depth)
{
	const struct ls_val *v = NULL, *const *el = NULL;
	const char *names[2];
	size_t lens[2], nd = 0, n = 0, i, body = *pos;
	enum stop st = STOP_EOF;
	int rc;

	if (emit && eval_head(t, ac, 5, dot, &v, names, lens, &nd) != 0)
		return -1;
	if (emit && v->type == LS_VAL_OBJECT) {
		n = v->u.obj.n;
		el = v->u.obj.v;
	} else if (emit && v->type != LS_VAL_NULL) {
		if (v->type != LS_VAL_ARRAY && v->type != LS_VAL_SET)
			return terr(t, ac->start, "range can't iterate over %s",
			    ls_val_type_name(v));
		el = bi_elems(v, &n);
	}
	for (i = 0; i < n; i++) {
		const struct ls_val *key = v->type == LS_VAL_OBJECT
		    ? v->u.obj.k[i]
		    : ls_val_int(t->a, (int64_t)i);
		*pos = body;
		if (nd == 1 && set_var(t, names[0], lens[0], el[i]) != 0)
			return -1;
		if (nd == 2 &&
		    (set_var(t, names[0], lens[0], key) != 0 ||
			set_var(t, names[1], lens[1], el[i]) != 0))
			return -1;
		if ((rc = block(t, pos, el[i], out, 1, &st, last, depth)) != 0)
			return rc;
	}
	*pos = body;
	if ((rc = block(t, pos, dot, out, 0, &st, last, depth)) != 0)
		return rc;
	if (st == STOP_ELSE)
		rc = block(t, pos, dot, out, emit && n == 0, &st, last, depth);
	return rc;
}

/* if / with: run the first branch whose condition holds. */
static int
do_cond(struct tpl *t, size_t *pos, const struct action *ac, int is_with,
    const struct ls_val *dot, struct ls_buf *out, int emit, struct action *last,
    int depth)
{
	const struct ls_val *v = NULL;
	const char *names[2];
	size_t lens[2], nd = 0, skip = is_with ? 4 : 2;
	enum stop st = STOP_EOF;
	int rc, taken = 0, cond;
	struct action cur = *ac;

	for (;;) {
		cond = 0;
		if (emit && !taken) {
			if (eval_head(t, &cur, skip, dot, &v, names, lens,
				&nd) != 0)
				return -1;
			cond = truthy(v);
			if (nd == 1 && set_var(t, names[0], lens[0], v) != 0)
				return -1;
		}
		if ((rc = block(t, pos, is_with && cond ? v : dot, out,
			 emit && cond && !taken, &st, last, depth)) != 0)
			return rc;
		taken |= cond;
		if (st != STOP_ELSE)
			return 0;
		cur = *last; /* "else", maybe "else if ..." */
		cur.start += 4;
		while (cur.start < cur.end && is_space(t->s[cur.start]))
			cur.start++;
		if (cur.end - cur.start >= 2 &&
		    memcmp(t->s + cur.start, is_with ? "with" : "if", 2) == 0 &&
		    cur.start < cur.end)
			continue;
		return block(t, pos, dot, out, emit && !taken, &st, last,
		    depth);
	}
}

static int
run(struct tpl *t, size_t *pos, const struct ls_val *dot, struct ls_buf *out,
    int emit, enum stop *stop, struct action *last, int depth)
{
	struct action ac = { 0 };
	int rc;

	if (depth > TPL_MAX_DEPTH)
		return terr(t, *pos, "nesting too deep");
	for (;;) {
		if (--t->steps < 0)
			return terr(t, *pos, "template too expensive");
		if ((rc = next_action(t, *pos, &ac)) < 0)
			return -1;
		if (rc == 1) {
			if (emit &&
			    ls_buf_add(out, t->s + *pos, t->n - *pos) != 0)
				return terr(t, *pos, "output too large");
			*pos = t->n;
			*stop = STOP_EOF;
			return 0;
		}
		if (emit &&
		    ls_buf_add(out, t->s + *pos, ac.text_end - *pos) != 0)
			return terr(t, *pos, "output too large");
		*pos = ac.next;
		if (ac.end - ac.start >= 2 &&
		    memcmp(t->s + ac.start, "/*", 2) == 0)
			continue;
		if (word_is(t, &ac, "end") || word_is(t, &ac, "else")) {
			*stop = word_is(t, &ac, "end") ? STOP_END : STOP_ELSE;
			*last = ac;
			return 0;
		}
		if (word_is(t, &ac, "if") || word_is(t, &ac, "with"))
			rc = do_cond(t, pos, &ac, word_is(t, &ac, "with"), dot,
			    out, emit, last, depth);
		else if (word_is(t, &ac, "range"))
			rc = do_range(t, pos, &ac, dot, out, emit, last, depth);
		else if (emit) {
			const struct ls_val *v = NULL;
			const char *names[2];
			size_t lens[2], nd = 0;
			rc = eval_head(t, &ac, 0, dot, &v, names, lens, &nd);
			if (rc == 0 && nd == 1)
				rc = set_var(t, names[0], lens[0], v);
			else if (rc == 0 &&
			    (v == &undefined_val
				    ? ls_buf_adds(out, "<undefined>")
				    : v->type == LS_VAL_NULL
				    ? ls_buf_adds(out, "<no value>")
				    : print_val(out, v, 0)) != 0)
				rc = terr(t, ac.start, "output too large");
		}
		if (rc != 0)
			return rc;
	}
}

int
ls_bi_render_template(BI_ARGS)
{
	struct tpl *t;
	struct ls_buf b;
	struct action last;
	enum stop st = STOP_EOF;
	size_t pos = 0;
	int rc;

	(void)nargs;
	if ((rc = bi_arg_type(ctx, args, 0, LS_VAL_STRING, "string")) != 0 ||
	    (rc = bi_arg_type(ctx, args, 1, LS_VAL_OBJECT, "object")) != 0)
		return rc;
	if ((t = calloc(1, sizeof *t)) == NULL)
		return LS_BI_ENOMEM;
	t->a = ctx->arena;
	t->s = args[0]->u.str.p;
	t->n = args[0]->u.str.len;
	t->root = args[1];
	t->steps = TPL_MAX_STEPS;
	ls_buf_init(&b, BI_MAX_STRING);
	rc = run(t, &pos, args[1], &b, 1, &st, &last, 0);
	if (rc == 0 && st != STOP_EOF)
		rc = terr(t, last.start, "unexpected {{%s}}",
		    st == STOP_END ? "end" : "else");
	if (rc != 0) {
		rc = ls_bi_error(ctx, "%s", t->err);
		ls_buf_cleanup(&b);
		free(t);
		return rc;
	}
	free(t);
	return bi_ret_buf(ctx, out, &b);
}
