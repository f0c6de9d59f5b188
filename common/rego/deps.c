/* deps.c - dependency graph of a compiled policy (rego_deps.h). */
#include <stdlib.h>
#include <string.h>

#include "lockstep/error.h"
#include "lockstep/rego_deps.h"
#include "rego/compile.h"

#define MAX_WATCH 8
#define MAX_ANNOT_CONTROLS 64

struct gb {
	struct ls_rego_graph *g;
	const char *watch[MAX_WATCH];
	size_t nwatch;
	char wbuf[256];
};

static int
add_dep(struct ls_rego_dep_node *d, size_t to)
{
	size_t *nv, i;

	for (i = 0; i < d->ndeps; i++)
		if (d->deps[i] == to)
			return 0;
	if ((nv = realloc(d->deps, (d->ndeps + 1) * sizeof(*nv))) == NULL)
		return LS_ENOMEM;
	d->deps = nv;
	d->deps[d->ndeps++] = to;
	return 0;
}

/* Does a base-data ref t (operands from i) reach under the watch path? */
static int
ref_watches(const struct gb *b, const struct ls_term *t, size_t i, size_t depth)
{
	const struct ls_term *o;

	for (; depth < b->nwatch; i++, depth++) {
		if (i >= t->n)
			return 1;
		o = t->a[i];
		if (o->k != LS_T_VAL)
			return 1;
		if (o->v->type != LS_VAL_STRING ||
		    strcmp(o->v->u.str.p, b->watch[depth]) != 0)
			return 0;
	}
	return 1;
}

/* Walk a data ref from node n at operand i. */
static int
dep_ref(struct gb *b, struct ls_rego_dep_node *d, const struct ls_node *n,
    const struct ls_term *t, size_t i, size_t depth)
{
	const struct ls_term *o;
	const struct ls_node *c;

	for (;;) {
		if (n->nrules || n->dflt || i >= t->n)
			return add_dep(d, (size_t)n->id);
		o = t->a[i];
		if (o->k != LS_T_VAL) {
			if (b->nwatch && ref_watches(b, t, i, depth))
				d->reads_watch = 1;
			return add_dep(d, (size_t)n->id);
		}
		if (o->v->type != LS_VAL_STRING)
			return 0;
		c = ls_node_child(n, o->v->u.str.p, o->v->u.str.len);
		if (c == NULL) {
			if (b->nwatch && ref_watches(b, t, i, depth))
				d->reads_watch = 1;
			return 0;
		}
		n = c;
		i++;
		depth++;
	}
}

static int dep_body(struct gb *b, struct ls_rego_dep_node *d,
    const struct ls_rego_policy *p, const struct ls_body *body);

static int
dep_term(struct gb *b, struct ls_rego_dep_node *d,
    const struct ls_rego_policy *p, const struct ls_term *t)
{
	size_t i;
	int rc;

	if (t == NULL)
		return 0;
	if (t->k == LS_T_REF && t->n > 0 && t->a[0]->k == LS_T_DATA &&
	    (rc = dep_ref(b, d, p->root, t, 1, 0)) != 0)
		return rc;
	if (t->k == LS_T_CALL && t->fn != NULL &&
	    (rc = add_dep(d, (size_t)t->fn->id)) != 0)
		return rc;
	for (i = 0; i < t->n; i++)
		if ((rc = dep_term(b, d, p, t->a[i])) != 0)
			return rc;
	if (t->body && (rc = dep_body(b, d, p, t->body)) != 0)
		return rc;
	if ((rc = dep_term(b, d, p, t->key)) != 0)
		return rc;
	return dep_term(b, d, p, t->val);
}

static int
dep_body(struct gb *b, struct ls_rego_dep_node *d,
    const struct ls_rego_policy *p, const struct ls_body *body)
{
	size_t i, j;
	int rc;

	for (i = 0; body != NULL && i < body->n; i++) {
		const struct ls_expr *e = body->e[i];

		for (j = 0; j < 3; j++)
			if ((rc = dep_term(b, d, p, e->t[j])) != 0)
				return rc;
		for (j = 0; j < e->nvars; j++)
			if ((rc = dep_term(b, d, p, e->vars[j])) != 0)
				return rc;
		for (j = 0; j < e->nwith; j++)
			if ((rc = dep_term(b, d, p, e->with[j].value)) != 0)
				return rc;
		if ((rc = dep_body(b, d, p, e->body)) != 0)
			return rc;
	}
	return 0;
}

static int
dep_rule(struct gb *b, struct ls_rego_dep_node *d,
    const struct ls_rego_policy *p, const struct ls_rule *r)
{
	size_t i;
	int rc;

	for (; r != NULL; r = r->els) {
		if ((rc = dep_body(b, d, p, r->body)) != 0 ||
		    (rc = dep_term(b, d, p, r->key)) != 0 ||
		    (rc = dep_term(b, d, p, r->value)) != 0)
			return rc;
		for (i = 0; i < r->nkeys; i++)
			if ((rc = dep_term(b, d, p, r->keys[i])) != 0)
				return rc;
		for (i = 0; i < r->nargs; i++)
			if ((rc = dep_term(b, d, p, r->args[i])) != 0)
				return rc;
	}
	return 0;
}

/* "data.a.b" of node n. */
static char *
node_path(const struct ls_node *n)
{
	const struct ls_node *x;
	size_t len = 4;
	char *s, *w;

	for (x = n; x->parent != NULL; x = x->parent)
		len += 1 + strlen(x->name);
	if ((s = malloc(len + 1)) == NULL)
		return NULL;
	s[len] = '\0';
	w = s + len;
	for (x = n; x->parent != NULL; x = x->parent) {
		size_t k = strlen(x->name);

		w -= k;
		memcpy(w, x->name, k);
		*--w = '.';
	}
	memcpy(s, "data", 4);
	return s;
}

static int
visit(struct gb *b, const struct ls_rego_policy *p, const struct ls_node *n)
{
	struct ls_rego_dep_node *d = &b->g->v[n->id];
	size_t i;
	int rc;

	if ((d->path = node_path(n)) == NULL)
		return LS_ENOMEM;
	d->has_rules = n->nrules > 0 || n->dflt != NULL;
	d->set_rule = d->has_rules && n->k == LS_R_SET;
	for (i = 0; i < n->nrules; i++)
		if ((rc = dep_rule(b, d, p, n->rules[i])) != 0)
			return rc;
	if (n->dflt != NULL && (rc = dep_rule(b, d, p, n->dflt)) != 0)
		return rc;
	for (i = 0; i < n->nkids; i++) {
		if (!d->has_rules && (rc = add_dep(d, (size_t)n->kids[i]->id)))
			return rc;
		if ((rc = visit(b, p, n->kids[i])) != 0)
			return rc;
	}
	return 0;
}

static int
add_control(struct ls_rego_dep_node *d, const struct ls_val *s)
{
	char **nv;
	size_t i;

	if (s->type != LS_VAL_STRING)
		return 0;
	for (i = 0; i < d->ncontrols; i++)
		if (strcmp(d->controls[i], s->u.str.p) == 0)
			return 0;
	if (d->ncontrols >= MAX_ANNOT_CONTROLS)
		return ls_error_set(LS_ETOOBIG, "%s: too many controls",
		    d->path);
	if ((nv = realloc(d->controls, (d->ncontrols + 1) * sizeof(*nv))) ==
	    NULL)
		return LS_ENOMEM;
	d->controls = nv;
	if ((d->controls[d->ncontrols] = strdup(s->u.str.p)) == NULL)
		return LS_ENOMEM;
	d->ncontrols++;
	return 0;
}

/* custom.controls of an annotation: a string or an array of strings. */
static int
annot_controls(struct ls_rego_dep_node *d, const struct ls_val *annot)
{
	const struct ls_val *c;
	size_t i;
	int rc;

	if (annot == NULL || annot->type != LS_VAL_OBJECT ||
	    (c = ls_val_object_gets(annot, "custom", 6)) == NULL ||
	    c->type != LS_VAL_OBJECT ||
	    (c = ls_val_object_gets(c, "controls", 8)) == NULL)
		return 0;
	if (c->type == LS_VAL_STRING)
		return add_control(d, c);
	if (c->type != LS_VAL_ARRAY)
		return 0;
	for (i = 0; i < c->u.arr.n; i++)
		if ((rc = add_control(d, c->u.arr.v[i])) != 0)
			return rc;
	return 0;
}

static int
annotations(struct ls_rego_graph *g, const struct ls_rego_policy *p)
{
	const struct ls_module *m;
	const struct ls_node *n;
	size_t i, j;
	int rc;

	for (i = 0; i < p->nmods; i++) {
		m = p->mods[i];
		for (j = 0; j < m->nrules; j++) {
			n = ls_node_find(p->root, m->rules[j]->path,
			    m->rules[j]->npath);
			if (n == NULL)
				continue;
			if ((rc = annot_controls(&g->v[n->id],
				 m->rules[j]->annot)) != 0 ||
			    (rc = annot_controls(&g->v[n->id], m->pkg_annot)))
				return rc;
		}
	}
	return 0;
}

static void
split_watch(struct gb *b, const char *watch)
{
	char *s, *dot;

	b->nwatch = 0;
	if (watch == NULL || strlen(watch) >= sizeof(b->wbuf))
		return;
	memcpy(b->wbuf, watch, strlen(watch) + 1);
	for (s = b->wbuf; s != NULL && b->nwatch < MAX_WATCH; s = dot) {
		if ((dot = strchr(s, '.')) != NULL)
			*dot++ = '\0';
		b->watch[b->nwatch++] = s;
	}
}

int
ls_rego_graph_build(struct ls_rego_graph *out, const struct ls_rego_policy *p,
    const char *watch)
{
	struct gb b;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&b, 0, sizeof(b));
	b.g = out;
	split_watch(&b, watch);
	out->n = (size_t)p->nnodes + 1;
	if ((out->v = calloc(out->n, sizeof(*out->v))) == NULL)
		return ls_error_set(LS_ENOMEM, "graph: out of memory");
	if ((rc = visit(&b, p, p->root)) == 0)
		rc = annotations(out, p);
	if (rc != 0) {
		ls_rego_graph_cleanup(out);
		if (rc == LS_ENOMEM)
			ls_error_set(LS_ENOMEM, "graph: out of memory");
	}
	return rc;
}

void
ls_rego_graph_cleanup(struct ls_rego_graph *g)
{
	size_t i, j;

	for (i = 0; i < g->n; i++) {
		free(g->v[i].path);
		free(g->v[i].deps);
		for (j = 0; j < g->v[i].ncontrols; j++)
			free(g->v[i].controls[j]);
		free(g->v[i].controls);
	}
	free(g->v);
	memset(g, 0, sizeof(*g));
}

long
ls_rego_graph_find(const struct ls_rego_graph *g, const char *path)
{
	size_t i, plen = strlen(path);

	for (i = 0; i < g->n; i++) {
		const char *s = g->v[i].path;
		size_t k;

		if (s == NULL)
			continue;
		if (plen == 0) {
			if (strcmp(s, "data") == 0)
				return (long)i;
			continue;
		}
		if (strncmp(s, "data.", 5) != 0 || strlen(s + 5) != plen)
			continue;
		for (k = 0; k < plen; k++)
			if (s[5 + k] != (path[k] == '/' ? '.' : path[k]))
				break;
		if (k == plen)
			return (long)i;
	}
	return -1;
}
