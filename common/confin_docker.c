/*
 * confin_docker.c - a Dockerfile as Conftest's dockerfile parser presents
 * it to a policy: one array of instructions, wrapped in an outer array,
 *
 *   [[{"Cmd": "from", "SubCmd": "", "JSON": false, "Flags": null,
 *      "Value": ["openjdk:8-jdk-alpine"], "Stage": 0}, ...]]
 *
 * following BuildKit's parser: parser directives (escape), line
 * continuations, comments before an instruction as "comment" entries,
 * leading --flags, JSON (exec) forms, ENV/LABEL name-value pairs and
 * ONBUILD's sub-instruction in SubCmd.  Heredocs are not expanded.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "confin.h"
#include "confin_int.h"

#define DF_MAX_INSTR 100000 /* instructions in one file */

struct df {
	struct ls_arena *a;
	const char *name;
	char esc;		 /* escape character, \ or ` */
	int line;		 /* of the instruction being read */
	int stage;		 /* FROMs seen, less one */
	struct ls_vlist cmds;	 /* instruction objects */
	struct ls_vlist comments; /* waiting for the next instruction */
};

enum df_form { F_STRING, F_WORDS, F_EXEC, F_EXEC_WORDS, F_NAMEVAL, F_SUB };

static const struct {
	const char *name;
	enum df_form form;
} instrs[] = {
	{ "add", F_EXEC_WORDS }, { "arg", F_WORDS }, { "cmd", F_EXEC },
	{ "copy", F_EXEC_WORDS }, { "entrypoint", F_EXEC },
	{ "env", F_NAMEVAL }, { "expose", F_WORDS }, { "from", F_WORDS },
	{ "healthcheck", F_WORDS }, { "label", F_NAMEVAL },
	{ "maintainer", F_STRING }, { "onbuild", F_SUB }, { "run", F_EXEC },
	{ "shell", F_EXEC }, { "stopsignal", F_STRING }, { "user", F_STRING },
	{ "volume", F_EXEC_WORDS }, { "workdir", F_STRING },
};

static int
df_err(const struct df *d, const char *what)
{
	return ls_error_set(LS_EFORMAT, "%s: line %d: %s", d->name, d->line,
	    what);
}

static const char *
skip_ws(const char *s, const char *e)
{
	while (s < e && isspace((unsigned char)*s))
		s++;
	return s;
}

static const char *
rtrim(const char *s, const char *e)
{
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	return e;
}

/* The next word, quotes kept and the escape character honoured. */
static const char *
next_word(const char *s, const char *e, char esc, const char **wend)
{
	char q = 0;

	s = skip_ws(s, e);
	*wend = s;
	while (*wend < e) {
		char c = **wend;

		if (q == 0 && isspace((unsigned char)c))
			break;
		if (c == esc && *wend + 1 < e)
			(*wend)++;
		else if (q == 0 && (c == '"' || c == '\''))
			q = c;
		else if (c == q)
			q = 0;
		(*wend)++;
	}
	return s;
}

static int
push_str(struct df *d, struct ls_vlist *l, const char *s, const char *e)
{
	return confin_push(l, ls_val_string(d->a, s, (size_t)(e - s)));
}

static int
words(struct df *d, struct ls_vlist *v, const char *s, const char *e)
{
	const char *w, *we;
	int rc = 0;

	while (rc == 0 && (w = next_word(s, e, d->esc, &we)) < e) {
		rc = push_str(d, v, w, we);
		s = we;
	}
	return rc;
}

/* ["a", "b"]: a JSON array of strings gives the exec form. */
static int
exec_form(struct df *d, struct ls_vlist *v, const char *s, const char *e)
{
	const struct ls_val *arr = NULL;
	size_t i;

	if (s == e || *s != '[' || e[-1] != ']')
		return 0;
	if (ls_val_from_json(&arr, d->a, s, (size_t)(e - s), 4) != 0 ||
	    arr->type != LS_VAL_ARRAY) {
		ls_error_clear();
		return 0;
	}
	for (i = 0; i < arr->u.arr.n; i++)
		if (arr->u.arr.v[i]->type != LS_VAL_STRING)
			return 0;
	for (i = 0; i < arr->u.arr.n; i++)
		if (confin_push(v, arr->u.arr.v[i]) != 0)
			return LS_ENOMEM;
	return 1;
}

/* ENV a=b c=d -> a, b, c, d; the old ENV a b c form -> a, "b c". */
static int
name_val(struct df *d, struct ls_vlist *v, const char *s, const char *e)
{
	const char *w, *we, *eq;
	int rc = 0;

	w = next_word(s, e, d->esc, &we);
	if (w == e)
		return df_err(d, "missing name=value");
	if (memchr(w, '=', (size_t)(we - w)) == NULL) {
		if ((rc = push_str(d, v, w, we)) != 0)
			return rc;
		return push_str(d, v, skip_ws(we, e), e);
	}
	for (; rc == 0 && w < e; w = next_word(we, e, d->esc, &we)) {
		eq = memchr(w, '=', (size_t)(we - w));
		if (eq == NULL)
			return df_err(d, "name=value expected");
		rc = push_str(d, v, w, eq);
		if (rc == 0)
			rc = push_str(d, v, eq + 1, we);
	}
	return rc;
}

static int
find_instr(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(instrs) / sizeof(instrs[0]); i++)
		if (strlen(instrs[i].name) == len &&
		    strncasecmp(instrs[i].name, s, len) == 0)
			return (int)i;
	return -1;
}

static int
values(struct df *d, int k, struct ls_vlist *v, int *json, const char *s,
    const char *e)
{
	int rc;

	switch (instrs[k].form) {
	case F_EXEC:
	case F_EXEC_WORDS:
		if ((rc = exec_form(d, v, s, e)) != 0)
			return rc < 0 ? rc : (*json = 1, 0);
		if (instrs[k].form == F_EXEC_WORDS)
			return words(d, v, s, e);
		return s < e ? push_str(d, v, s, e) : 0;
	case F_STRING:
		return s < e ? push_str(d, v, s, e) : 0;
	case F_NAMEVAL:
		return name_val(d, v, s, e);
	case F_WORDS:
	case F_SUB:
		break;
	}
	return words(d, v, s, e);
}

static const struct ls_val *
list_or_null(struct ls_arena *a, const struct ls_vlist *l)
{
	return l->n ? ls_val_array(a, l->v, l->n) : ls_val_null();
}

static int
emit(struct df *d, const char *cmd, const char *sub, int json,
    const struct ls_vlist *flags, const struct ls_vlist *vals)
{
	const struct ls_val *k[6], *v[6];

	if (d->cmds.n >= DF_MAX_INSTR)
		return ls_error_set(LS_ETOOBIG, "%s: over %d instructions",
		    d->name, DF_MAX_INSTR);
	k[0] = ls_val_cstring(d->a, "Cmd");
	v[0] = ls_val_cstring(d->a, cmd);
	k[1] = ls_val_cstring(d->a, "SubCmd");
	v[1] = ls_val_cstring(d->a, sub);
	k[2] = ls_val_cstring(d->a, "JSON");
	v[2] = ls_val_bool(json);
	k[3] = ls_val_cstring(d->a, "Flags");
	v[3] = list_or_null(d->a, flags);
	k[4] = ls_val_cstring(d->a, "Value");
	v[4] = list_or_null(d->a, vals);
	k[5] = ls_val_cstring(d->a, "Stage");
	v[5] = ls_val_int(d->a, d->stage < 0 ? 0 : d->stage);
	for (int i = 0; i < 6; i++)
		if (k[i] == NULL || v[i] == NULL)
			return LS_ENOMEM;
	return confin_push(&d->cmds, ls_val_object(d->a, k, v, 6, NULL));
}

static int
flush_comments(struct df *d)
{
	struct ls_vlist none, one;
	size_t i;
	int rc = 0;

	ls_vlist_init(&none, d->a);
	for (i = 0; i < d->comments.n && rc == 0; i++) {
		ls_vlist_init(&one, d->a);
		rc = confin_push(&one, d->comments.v[i]);
		if (rc == 0)
			rc = emit(d, "comment", "", 0, &none, &one);
	}
	ls_vlist_init(&d->comments, d->a);
	return rc;
}

/* One logical line: INSTRUCTION [--flag...] ARGS. */
static int
instruction(struct df *d, const char *s, const char *e)
{
	char cmd[16], sub[16] = "";
	struct ls_vlist flags, vals;
	const char *w, *we;
	int k, json = 0, rc;

	w = next_word(s, e, d->esc, &we);
	if ((k = find_instr(w, (size_t)(we - w))) < 0)
		return df_err(d, "unknown instruction");
	snprintf(cmd, sizeof(cmd), "%s", instrs[k].name);
	ls_vlist_init(&flags, d->a);
	ls_vlist_init(&vals, d->a);
	s = skip_ws(we, e);
	if (instrs[k].form == F_SUB) {
		w = next_word(s, e, d->esc, &we);
		if ((k = find_instr(w, (size_t)(we - w))) < 0 ||
		    instrs[k].form == F_SUB)
			return df_err(d, "ONBUILD needs an instruction");
		snprintf(sub, sizeof(sub), "%s", instrs[k].name);
		s = skip_ws(we, e);
	}
	while (s + 2 <= e && s[0] == '-' && s[1] == '-') {
		w = next_word(s, e, d->esc, &we);
		if ((rc = push_str(d, &flags, w, we)) != 0)
			return rc;
		s = skip_ws(we, e);
	}
	if ((rc = values(d, k, &vals, &json, s, e)) != 0)
		return rc;
	if (strcmp(cmd, "from") == 0)
		d->stage++;
	if ((rc = flush_comments(d)) != 0)
		return rc;
	return emit(d, cmd, sub, json, &flags, &vals);
}

/* "# escape=`" and friends, only before anything else. */
static int
directive(struct df *d, const char *s, const char *e)
{
	const char *k, *ke, *v;

	s = skip_ws(s + 1, e);
	for (k = s; s < e && isalpha((unsigned char)*s); s++)
		;
	ke = s;
	s = skip_ws(s, e);
	if (k == ke || s == e || *s != '=')
		return 0;
	v = skip_ws(s + 1, e);
	e = rtrim(v, e);
	if ((size_t)(ke - k) == 6 && strncasecmp(k, "escape", 6) == 0) {
		if (e - v != 1 || (*v != '\\' && *v != '`'))
			return df_err(d, "escape must be \\ or `");
		d->esc = *v;
	}
	return 1;
}

static int
parse_lines(struct df *d, const char *text, size_t len)
{
	const char *p = text, *end = text + len, *nl, *s, *e;
	struct ls_buf logical;
	int lineno = 0, in_directives = 1, rc = 0;

	ls_buf_init(&logical, LS_CONFIN_MAX_BYTES);
	for (; p < end && rc == 0; p = nl + (nl < end)) {
		nl = memchr(p, '\n', (size_t)(end - p));
		nl = nl ? nl : end;
		lineno++;
		s = skip_ws(p, nl);
		e = rtrim(s, nl);
		if (in_directives && s < e && *s == '#' && directive(d, s, e))
			continue;
		in_directives = 0;
		if (s == e)
			continue;
		if (*s == '#') {
			if (logical.len == 0)
				rc = push_str(d, &d->comments,
				    skip_ws(s + 1, e), e);
			continue;
		}
		if (logical.len == 0)
			d->line = lineno;
		else
			s = p; /* BuildKit keeps a continued line's indent */
		if (e[-1] == d->esc) {
			rc = ls_buf_add(&logical, s, (size_t)(e - 1 - s));
			continue;
		}
		if ((rc = ls_buf_add(&logical, s, (size_t)(e - s))) == 0)
			rc = instruction(d, logical.data,
			    logical.data + logical.len);
		logical.len = 0;
	}
	if (rc == 0 && logical.len > 0)
		rc = instruction(d, logical.data, logical.data + logical.len);
	ls_buf_cleanup(&logical);
	return rc;
}

int
ls_confin_dockerfile(const struct ls_val **out, struct ls_arena *a,
    const char *text, size_t len, const char *name)
{
	struct df d;
	const struct ls_val *inner;
	int rc;

	*out = NULL;
	memset(&d, 0, sizeof(d));
	d.a = a;
	d.name = name;
	d.esc = '\\';
	d.stage = -1;
	ls_vlist_init(&d.cmds, a);
	ls_vlist_init(&d.comments, a);
	if (memchr(text, '\0', len) != NULL)
		return ls_error_set(LS_EFORMAT, "%s: NUL byte in a Dockerfile",
		    name);
	if ((rc = parse_lines(&d, text, len)) != 0)
		return rc == LS_ENOMEM
		    ? ls_error_set(rc, "%s: out of memory", name)
		    : rc;
	if (d.cmds.n == 0)
		return ls_error_set(LS_EFORMAT,
		    "%s: file with no instructions", name);
	inner = ls_val_array(a, d.cmds.v, d.cmds.n);
	*out = inner ? ls_val_array(a, &inner, 1) : NULL;
	return *out ? 0 : ls_error_set(LS_ENOMEM, "%s: out of memory", name);
}
