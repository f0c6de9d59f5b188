/* cover_json.c - a coverage report as `opa test --coverage` prints it:
 * Go's encoding/json with SetIndent("", "  "), so keys come in the order
 * of OPA's structs, empty per-file fields are left out, strings escape
 * <, > and & as \u003c..., and floats take their shortest exact form. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lockstep/buf.h"
#include "lockstep/error.h"
#include "lockstep/rego_cover.h"

#define MAX_REPORT_JSON (1u << 30)

struct jw {
	struct ls_buf b;
	int rc; /* first error */
};

static void
put(struct jw *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
put(struct jw *w, const char *fmt, ...)
{
	va_list ap;

	if (w->rc != 0)
		return;
	va_start(ap, fmt);
	w->rc = ls_buf_vaddf(&w->b, fmt, ap);
	va_end(ap);
}

/* A newline and depth levels of two spaces. */
static void
nl(struct jw *w, int depth)
{
	put(w, "\n%*s", depth * 2, "");
}

/* Go's strconv.FormatFloat(v, 'f', -1, 64): the fewest digits that read
 * back as v, never in exponent form (percentages are never that small). */
static void
put_float(struct jw *w, double v)
{
	char buf[64];
	int prec, exp10, dec;
	const char *e;

	for (prec = 1; prec < 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*e", prec - 1, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	snprintf(buf, sizeof(buf), "%.*e", prec - 1, v);
	e = strchr(buf, 'e');
	exp10 = e ? (int)strtol(e + 1, NULL, 10) : 0;
	dec = prec - 1 - exp10;
	put(w, "%.*f", dec > 0 ? dec : 0, v);
}

static void
put_str(struct jw *w, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	put(w, "\"");
	for (; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			put(w, "\\%c", *p);
		else if (*p == '\n')
			put(w, "\\n");
		else if (*p == '\r')
			put(w, "\\r");
		else if (*p == '\t')
			put(w, "\\t");
		else if (*p < 0x20 || *p == '<' || *p == '>' || *p == '&')
			put(w, "\\u%04x", *p);
		else
			put(w, "%c", *p);
	}
	put(w, "\"");
}

/* "key": {"row": N} at depth (OPA's Position). */
static void
put_pos(struct jw *w, const char *key, int row, int depth)
{
	nl(w, depth);
	put(w, "\"%s\": {", key);
	nl(w, depth + 1);
	put(w, "\"row\": %d", row);
	nl(w, depth);
	put(w, "}");
}

static void
put_ranges(struct jw *w, const char *key, const struct ls_rego_cover_range *v,
    size_t n, int depth, int *first)
{
	size_t i;

	if (n == 0)
		return;
	put(w, "%s", *first ? "" : ",");
	*first = 0;
	nl(w, depth);
	put(w, "\"%s\": [", key);
	for (i = 0; i < n; i++) {
		put(w, "%s", i ? "," : "");
		nl(w, depth + 1);
		put(w, "{");
		put_pos(w, "start", v[i].start, depth + 2);
		put(w, ",");
		put_pos(w, "end", v[i].end, depth + 2);
		nl(w, depth + 1);
		put(w, "}");
	}
	nl(w, depth);
	put(w, "]");
}

/* An omitempty integer or float field of a file's object. */
static void
put_field(struct jw *w, const char *key, size_t n, const double *f, int depth,
    int *first)
{
	if (f != NULL ? *f == 0 : n == 0)
		return;
	put(w, "%s", *first ? "" : ",");
	*first = 0;
	nl(w, depth);
	put(w, "\"%s\": ", key);
	if (f != NULL)
		put_float(w, *f);
	else
		put(w, "%zu", n);
}

static void
put_file(struct jw *w, const struct ls_rego_cover_file *f)
{
	int first = 1;

	put_str(w, f->file);
	put(w, ": {");
	put_ranges(w, "covered", f->covered, f->ncovered, 3, &first);
	put_ranges(w, "not_covered", f->not_covered, f->nnot_covered, 3,
	    &first);
	put_field(w, "covered_lines", f->covered_lines, NULL, 3, &first);
	put_field(w, "not_covered_lines", f->not_covered_lines, NULL, 3,
	    &first);
	put_field(w, "coverage", 0, &f->coverage, 3, &first);
	if (!first)
		nl(w, 2);
	put(w, "}");
}

int
ls_rego_cover_report_json(char **out, const struct ls_rego_cover_report *r)
{
	struct jw w;
	size_t i;

	*out = NULL;
	memset(&w, 0, sizeof(w));
	ls_buf_init(&w.b, MAX_REPORT_JSON);
	put(&w, "{");
	nl(&w, 1);
	put(&w, "\"files\": {");
	for (i = 0; i < r->n; i++) {
		put(&w, "%s", i ? "," : "");
		nl(&w, 2);
		put_file(&w, &r->v[i]);
	}
	if (r->n > 0)
		nl(&w, 1);
	put(&w, "},");
	nl(&w, 1);
	put(&w, "\"covered_lines\": %zu,", r->covered_lines);
	nl(&w, 1);
	put(&w, "\"not_covered_lines\": %zu,", r->not_covered_lines);
	nl(&w, 1);
	put(&w, "\"coverage\": ");
	put_float(&w, r->coverage);
	put(&w, "\n}\n");
	if (w.rc == 0 && (*out = ls_buf_take(&w.b, NULL)) == NULL)
		w.rc = ls_error_set(LS_ENOMEM, "out of memory");
	ls_buf_cleanup(&w.b);
	return w.rc;
}
