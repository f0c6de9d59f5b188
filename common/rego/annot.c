/* annot.c - METADATA comment blocks above packages and rules. */
#include <stdio.h>
#include <string.h>

#include "lockstep/error.h"
#include "rego/annot.h"

/* Start of the line before the one starting at line (NULL: none). */
static const char *
prev_line(const char *src, const char *line)
{
	const char *s;

	if (line <= src)
		return NULL;
	s = line - 1; /* the '\n' ending the previous line */
	while (s > src && s[-1] != '\n')
		s--;
	return s;
}

/* The comment text of a line ("# x" -> "x"), or NULL if not a comment. */
static const char *
comment_text(const char *line, size_t *len)
{
	const char *s = line, *e;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s != '#')
		return NULL;
	s++;
	if (*s == ' ')
		s++;
	for (e = s; *e && *e != '\n'; e++)
		;
	if (e > s && e[-1] == '\r')
		e--;
	*len = (size_t)(e - s);
	return s;
}

/* authors: "Name <mail>" strings become {"name", "email"} objects. */
static const struct ls_val *
author(struct ls_arena *a, const struct ls_val *v)
{
	const struct ls_val *k[2], *x[2];
	const char *s, *lt, *gt, *end;
	size_t n = 0;

	if (v->type != LS_VAL_STRING)
		return v;
	s = v->u.str.p;
	lt = strrchr(s, '<');
	gt = lt ? strchr(lt, '>') : NULL;
	end = lt && gt ? lt : s + v->u.str.len;
	while (end > s && end[-1] == ' ')
		end--;
	if (lt && gt && gt > lt + 1) {
		k[n] = ls_val_cstring(a, "email");
		x[n++] = ls_val_string(a, lt + 1, (size_t)(gt - lt - 1));
	}
	if (end > s) {
		k[n] = ls_val_cstring(a, "name");
		x[n++] = ls_val_string(a, s, (size_t)(end - s));
	}
	return ls_val_object(a, k, x, n, NULL);
}

static const struct ls_val *
normalise(struct ls_arena *a, const struct ls_val *o, const char *dflt)
{
	const struct ls_val **k, **v, *au;
	size_t i, n = o->u.obj.n;

	k = ls_arena_alloc(a, (n + 1) * sizeof(*k));
	v = ls_arena_alloc(a, (n + 1) * sizeof(*v));
	if (k == NULL || v == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		k[i] = o->u.obj.k[i];
		v[i] = o->u.obj.v[i];
		if (k[i]->type == LS_VAL_STRING &&
		    strcmp(k[i]->u.str.p, "authors") == 0 &&
		    v[i]->type == LS_VAL_ARRAY) {
			const struct ls_val **l =
			    ls_arena_alloc(a, (v[i]->u.arr.n + 1) * sizeof(*l));
			size_t j;

			if (l == NULL)
				return NULL;
			for (j = 0; j < v[i]->u.arr.n; j++)
				if ((l[j] = author(a, v[i]->u.arr.v[j])) ==
				    NULL)
					return NULL;
			if ((au = ls_val_array(a, l, v[i]->u.arr.n)) == NULL)
				return NULL;
			v[i] = au;
		}
	}
	if (ls_val_object_gets(o, "scope", 5) == NULL) {
		k[n] = ls_val_cstring(a, "scope");
		v[n++] = ls_val_cstring(a, dflt);
	}
	return ls_val_object(a, k, v, n, NULL);
}

int
ls_annot_before(const struct ls_val **out, struct ls_arena *a, const char *src,
    const char *at, const char *dflt_scope, char *err, size_t errlen)
{
	const char *line = at, *start = NULL, *t, *l;
	const struct ls_val *v = NULL;
	char *text;
	size_t len, n = 0, nlines = 0;

	*out = NULL;
	while (line > src && line[-1] != '\n')
		line--;
	/* Walk up the comment block right above; it must open with
	 * "# METADATA". */
	for (l = prev_line(src, line); l != NULL && nlines < LS_ANNOT_MAX_LINES;
	     l = prev_line(src, l), nlines++) {
		if ((t = comment_text(l, &len)) == NULL)
			break;
		if (len == 8 && memcmp(t, "METADATA", 8) == 0) {
			start = l;
			break;
		}
	}
	if (start == NULL)
		return 0;
	/* The text is no longer than the lines it comes from. */
	if ((text = ls_arena_alloc(a, (size_t)(line - start) + 1)) == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	for (l = strchr(start, '\n'); l != NULL && l + 1 < line;
	     l = strchr(l + 1, '\n')) {
		if ((t = comment_text(l + 1, &len)) == NULL)
			break;
		memcpy(text + n, t, len);
		n += len;
		text[n++] = '\n';
	}
	text[n] = '\0';
	if (ls_yaml_parse(&v, a, text, n, err, errlen) != 0)
		return LS_EREGO;
	if (v == NULL || v->type == LS_VAL_NULL)
		v = ls_val_empty_object();
	if (v->type != LS_VAL_OBJECT) {
		snprintf(err, errlen, "METADATA must be a YAML mapping");
		return LS_EREGO;
	}
	if ((*out = normalise(a, v, dflt_scope)) == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	return 0;
}
