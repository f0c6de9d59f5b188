/* eval_meta.c - rego.metadata.rule() and rego.metadata.chain(). */
#include <string.h>

#include "lockstep/error.h"
#include "rego/compile.h"
#include "rego/eval.h"

/* {"path": [..path..], "annotations": annot} (no annotations: path only). */
static const struct ls_val *
chain_entry(struct ev *ev, const char *const *path, size_t npath,
    const struct ls_val *annot)
{
	const struct ls_val *k[2], *v[2], **items;
	size_t i, n = 0;

	if ((items = ls_arena_alloc(ev->a, (npath + 1) * sizeof(*items))) ==
	    NULL)
		return NULL;
	for (i = 0; i < npath; i++)
		if ((items[i] = ls_val_cstring(ev->a, path[i])) == NULL)
			return NULL;
	if (annot != NULL) {
		k[n] = ls_val_cstring(ev->a, "annotations");
		v[n++] = annot;
	}
	k[n] = ls_val_cstring(ev->a, "path");
	v[n++] = ls_val_array(ev->a, items, npath);
	return v[n - 1] ? ls_val_object(ev->a, k, v, n, NULL) : NULL;
}

static int
scope_is(const struct ls_val *annot, const char *scope)
{
	const struct ls_val *s = ls_val_object_gets(annot, "scope", 5);

	return s && s->type == LS_VAL_STRING && strcmp(s->u.str.p, scope) == 0;
}

static int
same_package(const struct ls_module *a, const struct ls_module *b)
{
	size_t i;

	if (a->npkg != b->npkg)
		return 0;
	for (i = 0; i < a->npkg; i++)
		if (strcmp(a->pkg[i], b->pkg[i]) != 0)
			return 0;
	return 1;
}

/* The package's annotation, from whichever module of the package has
 * one (its own first); NULL when none. */
static const struct ls_val *
package_annot(struct ev *ev, const struct ls_module *m)
{
	const struct ls_val *annot = m->pkg_annot;
	size_t i;

	for (i = 0; annot == NULL && i < ev->p->nmods; i++)
		if (ev->p->mods[i]->pkg_annot != NULL &&
		    same_package(ev->p->mods[i], m))
			annot = ev->p->mods[i]->pkg_annot;
	return annot;
}

/* The rule's own entry, document-scope annotations of other rules at
 * the same path, then the package's. */
static int
chain(struct ev *ev, const struct ls_rule *r, const struct ls_val **out)
{
	struct ls_vlist l;
	const struct ls_node *n;
	const struct ls_val *e, *pa;
	size_t i;

	ls_vlist_init(&l, ev->a);
	e = chain_entry(ev, r->path, r->npath, r->annot);
	if (e == NULL || ls_vlist_push(&l, e))
		return ev_nomem(ev);
	n = ls_node_find(ev->p->root, r->path, r->npath);
	for (i = 0; n != NULL && i < n->nrules; i++) {
		const struct ls_rule *o = n->rules[i];

		if (o == r || o->annot == NULL ||
		    !scope_is(o->annot, "document"))
			continue;
		e = chain_entry(ev, r->path, r->npath, o->annot);
		if (e == NULL || ls_vlist_push(&l, e))
			return ev_nomem(ev);
	}
	if ((pa = package_annot(ev, r->mod)) != NULL) {
		e = chain_entry(ev, r->mod->pkg, r->mod->npkg, pa);
		if (e == NULL || ls_vlist_push(&l, e))
			return ev_nomem(ev);
	}
	*out = ls_val_array(ev->a, l.v, l.n);
	return *out ? 0 : ev_nomem(ev);
}

int
ev_metadata(struct ev *ev, int want_chain, const struct ls_val **out)
{
	const struct ls_rule *r = ev->rule;

	if (r == NULL) {
		*out = want_chain ? ls_val_array(ev->a, NULL, 0)
				  : ls_val_empty_object();
		return *out ? 0 : ev_nomem(ev);
	}
	if (want_chain)
		return chain(ev, r, out);
	*out = r->annot && scope_is(r->annot, "rule") ? r->annot
						      : ls_val_empty_object();
	return 0;
}
