/*
 * cli_eval_fmt.c - `lockstep eval --format=json|raw|pretty`: the result
 * document of ls_rego_eval_query printed as opa eval prints it.
 *
 * raw: per result one line, its expressions' values separated by spaces,
 * strings unquoted, anything else compact JSON.  pretty: a single
 * expression (or only booleans) without bindings as indented JSON;
 * otherwise a table of the bindings (sorted by name) and the non-boolean
 * expressions, one row per result, like opa's tablewriter output;
 * "undefined" when there is no result.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "lockstep/buf.h"
#include "lockstep/error.h"
#include "rego/value.h"

#define MAX_CELL (1u << 20)
#define MAX_COLS 256

static const struct ls_val *
field(const struct ls_val *obj, const char *name)
{
	if (obj == NULL || obj->type != LS_VAL_OBJECT)
		return NULL;
	return ls_val_object_gets(obj, name, strlen(name));
}

/* Compact JSON of v, or v itself when a string and raw is set. */
static char *
cell_text(const struct ls_val *v, int raw)
{
	struct ls_buf b;
	char *s;

	if (v == NULL)
		return strdup("");
	if (raw && v->type == LS_VAL_STRING)
		return strndup(v->u.str.p, v->u.str.len);
	ls_buf_init(&b, MAX_CELL);
	s = ls_val_to_json(&b, v) == 0 ? ls_buf_take(&b, NULL) : NULL;
	ls_buf_cleanup(&b);
	return s;
}

static int
print_raw(const struct ls_val *results)
{
	size_t i, j;
	char *s;

	for (i = 0; i < results->u.arr.n; i++) {
		const struct ls_val *ex =
		    field(results->u.arr.v[i], "expressions");

		for (j = 0; ex != NULL && j < ex->u.arr.n; j++) {
			if ((s = cell_text(field(ex->u.arr.v[j], "value"),
				 1)) == NULL)
				return LS_ENOMEM;
			printf("%s%s", j ? " " : "", s);
			free(s);
		}
		printf("\n");
	}
	return 0;
}

/* One column of the pretty table: a binding or an expression. */
struct col {
	const char *var; /* binding name, or NULL */
	size_t expr;	 /* expression index when var is NULL */
	char *head;	 /* header text (owned) */
	size_t width;	 /* widest cell, header included */
};

static const struct ls_val *
col_value(const struct col *c, const struct ls_val *result)
{
	const struct ls_val *ex = field(result, "expressions");

	if (c->var != NULL)
		return field(field(result, "bindings"), c->var);
	if (ex == NULL || ex->type != LS_VAL_ARRAY || c->expr >= ex->u.arr.n)
		return NULL;
	return field(ex->u.arr.v[c->expr], "value");
}

/* opa's generateResultKeys: bindings by name, then the expressions
 * that are not booleans (all of them without bindings). */
static size_t
table_cols(struct col *cols, const struct ls_val *first)
{
	const struct ls_val *b = field(first, "bindings"),
			    *ex = field(first, "expressions"), *t, *v;
	size_t n = 0, i;

	for (i = 0; b != NULL && i < b->u.obj.n && n < MAX_COLS; i++) {
		cols[n].var = b->u.obj.k[i]->u.str.p;
		cols[n].head = strdup(cols[n].var);
		n++;
	}
	for (i = 0; ex != NULL && i < ex->u.arr.n && n < MAX_COLS; i++) {
		v = field(ex->u.arr.v[i], "value");
		if (v != NULL && v->type == LS_VAL_BOOL && b != NULL &&
		    b->u.obj.n > 0)
			continue;
		t = field(ex->u.arr.v[i], "text");
		cols[n].var = NULL;
		cols[n].expr = i;
		cols[n].head = t && t->type == LS_VAL_STRING
		    ? strndup(t->u.str.p, t->u.str.len)
		    : strdup("");
		n++;
	}
	return n;
}

static void
rule_line(const struct col *cols, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		printf("+");
		for (j = 0; j < cols[i].width + 2; j++)
			printf("-");
	}
	printf("+\n");
}

static void
row_line(const struct col *cols, char **cells, size_t n, int center)
{
	size_t i, gap;

	for (i = 0; i < n; i++) {
		gap = cols[i].width - strlen(cells[i]);
		if (center)
			printf("| %*s%s%*s ", (int)(gap / 2), "", cells[i],
			    (int)(gap - gap / 2), "");
		else
			printf("| %s%*s ", cells[i], (int)gap, "");
	}
	printf("|\n");
}

static int
print_table(const struct ls_val *results)
{
	struct col cols[MAX_COLS];
	size_t ncols, nrows = results->u.arr.n, i, j, len;
	char **cells = NULL, *heads[MAX_COLS];
	int rc = 0;

	memset(cols, 0, sizeof(cols));
	ncols = table_cols(cols, results->u.arr.v[0]);
	if (ncols == 0)
		return 0;
	cells = calloc(nrows * ncols + 1, sizeof(*cells));
	for (j = 0; j < ncols; j++)
		if (cols[j].head == NULL)
			rc = LS_ENOMEM;
		else
			cols[j].width = strlen(cols[j].head);
	for (i = 0; cells != NULL && rc == 0 && i < nrows; i++)
		for (j = 0; j < ncols && rc == 0; j++) {
			cells[i * ncols + j] =
			    cell_text(col_value(&cols[j], results->u.arr.v[i]),
				0);
			if (cells[i * ncols + j] == NULL)
				rc = LS_ENOMEM;
			else if ((len = strlen(cells[i * ncols + j])) >
			    cols[j].width)
				cols[j].width = len;
		}
	if (cells == NULL)
		rc = LS_ENOMEM;
	if (rc == 0) {
		for (j = 0; j < ncols; j++)
			heads[j] = cols[j].head;
		rule_line(cols, ncols);
		row_line(cols, heads, ncols, 1);
		rule_line(cols, ncols);
		for (i = 0; i < nrows; i++)
			row_line(cols, cells + i * ncols, ncols, 0);
		rule_line(cols, ncols);
	}
	for (i = 0; cells != NULL && i < nrows * ncols; i++)
		free(cells[i]);
	free(cells);
	for (j = 0; j < ncols; j++)
		free(cols[j].head);
	return rc;
}

static int
all_bool(const struct ls_val *ex)
{
	const struct ls_val *v;
	size_t i;

	for (i = 0; i < ex->u.arr.n; i++)
		if ((v = field(ex->u.arr.v[i], "value")) == NULL ||
		    v->type != LS_VAL_BOOL)
			return 0;
	return 1;
}

static int
print_pretty_result(const struct ls_val *results)
{
	const struct ls_val *r0, *b, *ex;
	struct ls_buf out;
	int rc;

	if (results->u.arr.n == 0) {
		printf("undefined\n");
		return 0;
	}
	r0 = results->u.arr.v[0];
	b = field(r0, "bindings");
	ex = field(r0, "expressions");
	if (results->u.arr.n > 1 || (b != NULL && b->u.obj.n > 0) ||
	    ex == NULL || ex->type != LS_VAL_ARRAY || ex->u.arr.n == 0 ||
	    !(ex->u.arr.n == 1 || all_bool(ex)))
		return print_table(results);
	ls_buf_init(&out, 1u << 30);
	rc = ls_val_to_json_pretty(&out, field(ex->u.arr.v[0], "value"));
	if (rc == 0)
		printf("%s\n", out.data);
	ls_buf_cleanup(&out);
	return rc;
}

int
cli_eval_print(const char *json, const char *format)
{
	struct ls_arena *a = ls_arena_new(0);
	const struct ls_val *doc, *results;
	struct ls_buf b;
	int rc;

	if (a == NULL)
		return LS_ENOMEM;
	rc = ls_val_from_json(&doc, a, json, strlen(json), 0);
	results = rc == 0 ? field(doc, "result") : NULL;
	if (rc == 0 && strcmp(format, "json") == 0) {
		ls_buf_init(&b, 1u << 30);
		if ((rc = ls_val_to_json_pretty(&b, doc)) == 0)
			printf("%s\n", b.data);
		ls_buf_cleanup(&b);
	} else if (rc == 0 && results != NULL && results->type != LS_VAL_ARRAY)
		rc = LS_EFORMAT;
	else if (rc == 0 && strcmp(format, "raw") == 0)
		rc = results ? print_raw(results) : 0;
	else if (rc == 0 && results == NULL)
		printf("undefined\n");
	else if (rc == 0)
		rc = print_pretty_result(results);
	ls_arena_free(a);
	return rc;
}
