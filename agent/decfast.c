/* decfast.c - a record's attribution members as text (decfast.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decfast.h"
#include "dectext.h"
#include "lockstep/dectab.h"
#include "lockstep/error.h"

struct ctl_list {
	const char **v;
	size_t n, cap;
};

static int
push(struct ctl_list *l, const char *c)
{
	const char **nv;

	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		if ((nv = realloc(l->v, l->cap * sizeof(*nv))) == NULL)
			return LS_ENOMEM;
		l->v = nv;
	}
	l->v[l->n++] = c;
	return 0;
}

/* Add the controls of c not in l[from..] yet (insertion order kept). */
static int
add_new(struct ctl_list *l, size_t from, const char *const *c)
{
	size_t i;
	int rc = 0;

	for (; rc == 0 && c != NULL && *c != NULL; c++) {
		for (i = from; i < l->n && strcmp(l->v[i], *c) != 0; i++)
			;
		if (i == l->n)
			rc = push(l, *c);
	}
	return rc;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* "controls":[...] of l[from..], as JSON strings. */
static int
put_list(struct ls_buf *b, const struct ctl_list *l, size_t from, int sorted)
{
	size_t i;
	int rc = ls_buf_adds(b, "\"controls\":[");

	for (i = from; rc == 0 && i < l->n; i++) {
		if (sorted && i > from && strcmp(l->v[i - 1], l->v[i]) == 0)
			continue;
		if (i > from)
			rc = ls_buf_addc(b, ',');
		rc = rc ? rc : ls_dectext_string(b, l->v[i]);
	}
	return rc ? rc : ls_buf_addc(b, ']');
}

/* One violation: msg, rule (its first leaf, else the document), and the
 * controls of its leaves (else the document's own), appended to all. */
static int
violation(struct ls_buf *b, struct ctl_list *all, const struct ls_decision *d,
    const struct ls_dectab_leaves *lv, size_t i, const char *msg,
    const char *doc_rule)
{
	const char *rule = NULL;
	size_t j, from = all->n;
	int rc = 0;

	for (j = 0; rc == 0 && lv != NULL && j < lv->n && j < 64; j++) {
		if (i >= d->attr->n || !(d->attr->holders[i] & (1ull << j)))
			continue;
		if (rule == NULL)
			rule = lv->paths[j];
		rc = add_new(all, from, lv->controls[j]);
	}
	if (rc == 0 && rule == NULL)
		rc = add_new(all, from, ls_dectab_own(d->act->tab, d->path));
	rc = rc ? rc : ls_buf_adds(b, "{\"msg\":");
	rc = rc ? rc : ls_dectext_string(b, msg);
	rc = rc ? rc : ls_buf_adds(b, ",\"rule\":");
	rc = rc ? rc : ls_dectext_string(b, rule ? rule : doc_rule);
	rc = rc ? rc : ls_buf_addc(b, ',');
	rc = rc ? rc : put_list(b, all, from, 0);
	return rc ? rc : ls_buf_addc(b, '}');
}

static int
members(struct ls_buf *b, struct ctl_list *all, const struct ls_decision *d,
    enum ls_outcome oc, const json_t *res)
{
	const struct ls_dectab_leaves *lv =
	    ls_dectab_leaves(d->act->tab, d->path);
	char rule[600];
	size_t i;
	int rc = ls_buf_adds(b, ",\"violations\":[");

	snprintf(rule, sizeof(rule), "data.%s", d->path);
	for (i = 0; rule[i] != '\0'; i++)
		if (rule[i] == '/')
			rule[i] = '.';
	if ((oc == LS_OUT_DENY || oc == LS_OUT_WARN) && json_is_array(res))
		for (i = 0; rc == 0 && i < json_array_size(res); i++) {
			rc = i > 0 ? ls_buf_addc(b, ',') : 0;
			rc = rc ? rc
				: violation(b, all, d, lv, i,
				      ls_decrec_msg_of(json_array_get(res, i)),
				      rule);
		}
	rc = rc ? rc : ls_buf_adds(b, "],\"waived\":[],");
	if (rc == 0 && all->n == 0)
		rc = add_new(all, 0, ls_dectab_controls(d->act->tab, d->path));
	if (rc == 0 && all->n > 1)
		qsort(all->v, all->n, sizeof(*all->v), cmp_str);
	return rc ? rc : put_list(b, all, 0, 1);
}

int
ls_decfast_members(struct ls_buf *b, const struct ls_decision *d,
    enum ls_outcome oc, const json_t *res)
{
	struct ctl_list all = { NULL, 0, 0 };
	size_t i, at = b->len;
	int rc;

	if (d->attr == NULL || d->act == NULL || d->act->tab == NULL ||
	    (d->attr->stray &&
		ls_dectab_reads_exceptions(d->act->tab, d->path)))
		return 1;
	for (i = 0; json_is_array(res) && i < json_array_size(res); i++)
		if (ls_decrec_msg_of(json_array_get(res, i)) == NULL)
			return 1;
	rc = members(b, &all, d, oc, res);
	free(all.v);
	if (rc != 0) {
		b->len = at; /* unchanged */
		if (b->data != NULL)
			b->data[at] = '\0';
	}
	return rc;
}
