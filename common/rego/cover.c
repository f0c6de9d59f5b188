/* cover.c - coverage collector (a row bitmap per module) and its report,
 * computed as OPA's cover package does: covered = rows hit; not covered
 * = rule heads and expressions (not `some` declarations) whose row was
 * never hit. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lockstep/error.h"
#include "rego/compile.h"
#include "rego/cover.h"

struct cmod {
	const struct ls_module *m;
	unsigned char *bits; /* owned; bit r: row r was hit */
	int maxrow;	     /* last row of a rule head or expression */
};

struct ls_rego_cover {
	struct ls_rego_policy *p; /* reference held */
	struct cmod *mods;	  /* owned; sorted by module address */
	size_t n;
	const struct cmod *last; /* module of the previous hit */
};

/* Walking a module's rule heads and expressions -------------------------- */

/* counted: 0 for rows that are never reported as not covered. */
typedef void (*row_fn)(void *arg, int row, int counted);

static void walk_body(const struct ls_body *b, row_fn fn, void *arg);

static void
walk_term(const struct ls_term *t, row_fn fn, void *arg)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++)
		walk_term(t->a[i], fn, arg);
	walk_term(t->key, fn, arg);
	walk_term(t->val, fn, arg);
	walk_body(t->body, fn, arg);
}

static void
walk_body(const struct ls_body *b, row_fn fn, void *arg)
{
	size_t i, j;

	for (i = 0; b != NULL && i < b->n; i++) {
		const struct ls_expr *e = b->e[i];

		/* OPA leaves `some` declarations (with or without `in`)
		 * out of what can be not covered. */
		fn(arg, e->line, e->k != LS_E_SOME && e->k != LS_E_SOMEIN);
		for (j = 0; j < 3; j++)
			walk_term(e->t[j], fn, arg);
		for (j = 0; j < e->nwith; j++) {
			walk_term(e->with[j].target, fn, arg);
			walk_term(e->with[j].value, fn, arg);
		}
		walk_body(e->body, fn, arg);
	}
}

static void
walk_module(const struct ls_module *m, row_fn fn, void *arg)
{
	const struct ls_rule *r;
	size_t i, j;

	for (i = 0; i < m->nrules; i++)
		for (r = m->rules[i]; r != NULL; r = r->els) {
			fn(arg, r->line, 1);
			walk_term(r->head, fn, arg);
			for (j = 0; j < r->nargs; j++)
				walk_term(r->args[j], fn, arg);
			walk_term(r->key, fn, arg);
			for (j = 0; j < r->nkeys; j++)
				walk_term(r->keys[j], fn, arg);
			walk_term(r->value, fn, arg);
			walk_body(r->body, fn, arg);
		}
}

static void
max_row(void *arg, int row, int counted)
{
	int *max = arg;

	(void)counted;
	if (row > *max)
		*max = row;
}

/* The collector ---------------------------------------------------------- */

static int
cmp_cmod(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)((const struct cmod *)a)->m;
	uintptr_t y = (uintptr_t)((const struct cmod *)b)->m;

	return x < y ? -1 : x > y;
}

int
ls_rego_cover_new(struct ls_rego_cover **out, struct ls_rego_policy *p)
{
	struct ls_rego_cover *c = calloc(1, sizeof(*c));
	size_t i;

	*out = NULL;
	if (c == NULL ||
	    (c->mods = calloc(p->nmods + 1, sizeof(*c->mods))) == NULL) {
		free(c);
		return ls_error_set(LS_ENOMEM, "out of memory");
	}
	c->p = ls_rego_policy_ref(p);
	for (i = 0; i < p->nmods; i++, c->n++) {
		struct cmod *cm = &c->mods[i];

		cm->m = p->mods[i];
		walk_module(cm->m, max_row, &cm->maxrow);
		if ((cm->bits = calloc((size_t)cm->maxrow / 8 + 1, 1)) ==
		    NULL) {
			ls_rego_cover_free(c);
			return ls_error_set(LS_ENOMEM, "out of memory");
		}
	}
	qsort(c->mods, c->n, sizeof(*c->mods), cmp_cmod);
	*out = c;
	return 0;
}

void
ls_rego_cover_free(struct ls_rego_cover *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->n; i++)
		free(c->mods[i].bits);
	free(c->mods);
	ls_rego_policy_unref(c->p);
	free(c);
}

int
ls_rego_cover_check(const struct ls_rego_cover *c,
    const struct ls_rego_policy *p)
{
	if (c->p != p)
		return ls_error_set(LS_EINVAL,
		    "coverage collector was made for another policy");
	return 0;
}

void
ls_rego_cover_hit(struct ls_rego_cover *c, const struct ls_module *m, int row)
{
	const struct cmod *cm = c->last;
	struct cmod key = { m, NULL, 0 };

	if (cm == NULL || cm->m != m) {
		cm = bsearch(&key, c->mods, c->n, sizeof(*c->mods), cmp_cmod);
		if (cm == NULL)
			return;
		c->last = cm;
	}
	if (row > 0 && row <= cm->maxrow)
		cm->bits[row / 8] |= (unsigned char)(1u << (row % 8));
}

/* The report -------------------------------------------------------------- */

static int
bit(const unsigned char *bits, int row)
{
	return (bits[row / 8] >> (row % 8)) & 1;
}

/* Rows of one file: hit, and those reported when not hit. */
struct rows {
	unsigned char *hit, *want;
	int max;
};

static void
want_row(void *arg, int row, int counted)
{
	struct rows *r = arg;

	if (counted && row > 0 && row <= r->max)
		r->want[row / 8] |= (unsigned char)(1u << (row % 8));
}

/* Ranges of consecutive rows r (1..max) with hit(r) == h and, unless h,
 * want(r); *lines gets how many rows they hold. */
static int
ranges(struct ls_rego_cover_range **out, size_t *n, size_t *lines,
    const struct rows *r, int h)
{
	struct ls_rego_cover_range *v = NULL, *nv;
	size_t cap = 0;
	int row;

	*out = NULL;
	*n = *lines = 0;
	for (row = 1; row <= r->max; row++) {
		if (bit(r->hit, row) != h || (!h && !bit(r->want, row)))
			continue;
		(*lines)++;
		if (*n > 0 && v[*n - 1].end == row - 1) {
			v[*n - 1].end = row;
			continue;
		}
		if (*n == cap) {
			cap = cap ? cap * 2 : 8;
			if ((nv = realloc(v, cap * sizeof(*v))) == NULL) {
				free(v);
				*n = 0;
				return ls_error_set(LS_ENOMEM, "out of memory");
			}
			v = nv;
		}
		v[(*n)++] = (struct ls_rego_cover_range){ row, row };
	}
	*out = v;
	return 0;
}

static double
percent(size_t covered, size_t not_covered)
{
	size_t total = covered + not_covered;

	return total ? 100.0 * (double)covered / (double)total : 0.0;
}

/* Every module loaded under this name (normally one) adds to its file. */
static int
file_report(struct ls_rego_cover_file *f, const struct ls_rego_cover *c,
    const char *name)
{
	struct rows r = { NULL, NULL, 0 };
	size_t i, j, nbytes;
	int rc;

	for (i = 0; i < c->n; i++)
		if (strcmp(c->mods[i].m->file, name) == 0 &&
		    c->mods[i].maxrow > r.max)
			r.max = c->mods[i].maxrow;
	nbytes = (size_t)r.max / 8 + 1;
	if ((f->file = strdup(name)) == NULL ||
	    (r.hit = calloc(nbytes, 1)) == NULL ||
	    (r.want = calloc(nbytes, 1)) == NULL) {
		rc = ls_error_set(LS_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < c->n; i++) {
		const struct cmod *cm = &c->mods[i];

		if (strcmp(cm->m->file, name) != 0)
			continue;
		for (j = 0; j < (size_t)cm->maxrow / 8 + 1; j++)
			r.hit[j] |= cm->bits[j];
		walk_module(cm->m, want_row, &r);
	}
	rc = ranges(&f->covered, &f->ncovered, &f->covered_lines, &r, 1);
	if (rc == 0)
		rc = ranges(&f->not_covered, &f->nnot_covered,
		    &f->not_covered_lines, &r, 0);
	f->coverage = percent(f->covered_lines, f->not_covered_lines);
out:
	free(r.hit);
	free(r.want);
	return rc;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The policy's distinct module file names, sorted (OPA: map keys). */
static int
file_names(const char ***out, size_t *n, const struct ls_rego_policy *p)
{
	const char **v = calloc(p->nmods + 1, sizeof(*v));
	size_t i;

	*n = 0;
	*out = NULL;
	if (v == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	*out = v;
	for (i = 0; i < p->nmods; i++)
		if (p->mods[i]->file != NULL && p->mods[i]->file[0] != '\0')
			v[(*n)++] = p->mods[i]->file;
	qsort(v, *n, sizeof(*v), cmp_str);
	for (i = 1; *n > 0 && i < *n;)
		if (strcmp(v[i], v[i - 1]) == 0)
			memmove(&v[i], &v[i + 1], (--*n - i) * sizeof(*v));
		else
			i++;
	return 0;
}

int
ls_rego_cover_report(struct ls_rego_cover_report *out,
    const struct ls_rego_cover *c)
{
	const char **names = NULL;
	size_t i, n;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = file_names(&names, &n, c->p)) != 0)
		return rc;
	if ((out->v = calloc(n + 1, sizeof(*out->v))) == NULL)
		rc = ls_error_set(LS_ENOMEM, "out of memory");
	for (i = 0; rc == 0 && i < n; i++, out->n++) {
		rc = file_report(&out->v[i], c, names[i]);
		out->covered_lines += out->v[i].covered_lines;
		out->not_covered_lines += out->v[i].not_covered_lines;
	}
	out->coverage = percent(out->covered_lines, out->not_covered_lines);
	free(names);
	if (rc != 0)
		ls_rego_cover_report_cleanup(out);
	return rc;
}

void
ls_rego_cover_report_cleanup(struct ls_rego_cover_report *r)
{
	size_t i;

	for (i = 0; r->v != NULL && i < r->n; i++) {
		free(r->v[i].file);
		free(r->v[i].covered);
		free(r->v[i].not_covered);
	}
	free(r->v);
	memset(r, 0, sizeof(*r));
}
