/* compile.c - build the virtual document tree from parsed modules,
 * resolve every rule and reject recursion and conflicting kinds. */
#include <stdio.h>
#include <string.h>

#include "lockstep/error.h"
#include "rego/compile.h"

struct ls_node *
ls_node_child(const struct ls_node *n, const char *name, size_t len)
{
	size_t lo = 0, hi = n->nkids;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const char *k = n->kids[mid]->name;
		size_t kl = strlen(k);
		int c = memcmp(k, name, kl < len ? kl : len);

		if (c == 0)
			c = kl < len ? -1 : kl > len;
		if (c == 0)
			return n->kids[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

struct ls_node *
ls_node_find(struct ls_node *root, const char *const *path, size_t n)
{
	size_t i;

	for (i = 0; root != NULL && i < n; i++)
		root = ls_node_child(root, path[i], strlen(path[i]));
	return root;
}

static struct ls_node *
node_new(struct ls_rego_policy *p, struct ls_node *parent, const char *name)
{
	struct ls_node *n = ls_arena_alloc(p->arena, sizeof(*n));

	if (n == NULL)
		return NULL;
	n->name = name;
	n->parent = parent;
	n->id = p->nnodes++;
	n->key = ls_val_string_ref(p->arena, name, strlen(name));
	return n->key ? n : NULL;
}

static int
grow(struct ls_arena *a, void ***v, size_t n, size_t *cap)
{
	void **nv;

	if (n < *cap)
		return 0;
	*cap = *cap ? *cap * 2 : 4;
	nv = ls_arena_alloc(a, *cap * sizeof(*nv));
	if (nv == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	if (n)
		memcpy(nv, *v, n * sizeof(*nv));
	*v = nv;
	return 0;
}

struct ls_node *
ls_node_ensure(struct ls_rego_policy *p, struct ls_node *n, const char *name)
{
	struct ls_node *c = ls_node_child(n, name, strlen(name));
	size_t i;

	if (c != NULL)
		return c;
	if ((c = node_new(p, n, name)) == NULL)
		return NULL;
	if (grow(p->arena, (void ***)&n->kids, n->nkids, &n->capkids) != 0)
		return NULL;
	for (i = n->nkids; i > 0 && strcmp(n->kids[i - 1]->name, name) > 0; i--)
		n->kids[i] = n->kids[i - 1];
	n->kids[i] = c;
	n->nkids++;
	return c;
}

static int
rule_fail(const struct ls_rule *r, const char *code, const char *what)
{
	return ls_error_set(LS_EREGO, "%s:%d:%d: %s: %s", r->mod->file, r->line,
	    r->col, code, what);
}

static int
add_rule(struct ls_rego_policy *p, struct ls_rule *r)
{
	struct ls_node *n = p->root;
	size_t i;

	/* v1 (OPA's strict checks): a rule named input or data would hide
	 * the root document inside its package. */
	if (r->mod->version == 1 && r->npath > r->mod->npkg &&
	    (strcmp(r->path[r->mod->npkg], "input") == 0 ||
		strcmp(r->path[r->mod->npkg], "data") == 0))
		return ls_error_set(LS_EREGO,
		    "%s:%d:%d: rego_compile_error: "
		    "rules must not shadow %s (use a different rule name)",
		    r->mod->file, r->line, r->col, r->path[r->mod->npkg]);
	for (i = 0; i < r->npath; i++)
		if ((n = ls_node_ensure(p, n, r->path[i])) == NULL)
			return ls_error_set(LS_ENOMEM, "out of memory");
	if (n->nrules > 0 || n->dflt != NULL) {
		if (n->k != r->k)
			return rule_fail(r, "rego_type_error",
			    "conflicting rules found (different kinds)");
		if (r->k == LS_R_FUNC && n->nargs != (int)r->nargs)
			return rule_fail(r, "rego_type_error",
			    "conflicting function arity");
	}
	n->k = r->k;
	n->nargs = (int)r->nargs;
	n->general |= r->nkeys > 0;
	if (r->is_default) {
		if (n->dflt != NULL)
			return rule_fail(r, "rego_type_error",
			    "multiple default rules found");
		n->dflt = r;
	} else {
		if (grow(p->arena, (void ***)&n->rules, n->nrules,
			&n->caprules) != 0)
			return LS_ENOMEM;
		n->rules[n->nrules++] = r;
	}
	for (; n != NULL; n = n->parent)
		n->has_rules = 1;
	return 0;
}

/* Dependencies ---------------------------------------------------------- */

static int visit(struct ls_rego_policy *p, struct ls_node *n,
    struct ls_node **stack, int depth);

static int
dep_all(struct ls_rego_policy *p, struct ls_node *n, struct ls_node **stack,
    int depth)
{
	size_t i;
	int rc;

	if (!n->has_rules)
		return 0;
	if (n->nrules || n->dflt)
		return visit(p, n, stack, depth);
	for (i = 0; i < n->nkids; i++)
		if ((rc = dep_all(p, n->kids[i], stack, depth)) != 0)
			return rc;
	return 0;
}

static int dep_body(struct ls_rego_policy *p, const struct ls_body *b,
    struct ls_node **stack, int depth);

/* The rules a data ref may reach from node n at operand i: constant
 * keys follow one child, others every child, so that data[x].allow
 * does not depend on data.test.p (as in OPA's rule tree lookup). */
static int
dep_ref(struct ls_rego_policy *p, struct ls_node *n, const struct ls_term *t,
    size_t i, struct ls_node **stack, int depth)
{
	const struct ls_term *o;
	struct ls_node *c;
	size_t k;
	int rc;

	if (n->nrules || n->dflt || i >= t->n)
		return dep_all(p, n, stack, depth);
	if (!n->has_rules)
		return 0;
	o = t->a[i];
	if (o->k == LS_T_VAL) {
		if (o->v->type != LS_VAL_STRING)
			return 0;
		c = ls_node_child(n, o->v->u.str.p, o->v->u.str.len);
		return c ? dep_ref(p, c, t, i + 1, stack, depth) : 0;
	}
	for (k = 0; k < n->nkids; k++)
		if ((rc = dep_ref(p, n->kids[k], t, i + 1, stack, depth)) != 0)
			return rc;
	return 0;
}

static int
dep_term(struct ls_rego_policy *p, const struct ls_term *t,
    struct ls_node **stack, int depth)
{
	size_t i;
	int rc;

	if (t->k == LS_T_REF && t->a[0]->k == LS_T_DATA &&
	    (rc = dep_ref(p, p->root, t, 1, stack, depth)) != 0)
		return rc;
	if (t->k == LS_T_CALL && t->fn != NULL &&
	    (rc = visit(p, t->fn, stack, depth)) != 0)
		return rc;
	for (i = 0; i < t->n; i++)
		if ((rc = dep_term(p, t->a[i], stack, depth)) != 0)
			return rc;
	if (t->body && (rc = dep_body(p, t->body, stack, depth)) != 0)
		return rc;
	if (t->key && (rc = dep_term(p, t->key, stack, depth)) != 0)
		return rc;
	if (t->val && (rc = dep_term(p, t->val, stack, depth)) != 0)
		return rc;
	return 0;
}

static int
dep_body(struct ls_rego_policy *p, const struct ls_body *b,
    struct ls_node **stack, int depth)
{
	size_t i, j;
	int rc;

	for (i = 0; i < b->n; i++) {
		const struct ls_expr *e = b->e[i];

		for (j = 0; j < 3; j++)
			if (e->t[j] &&
			    (rc = dep_term(p, e->t[j], stack, depth)) != 0)
				return rc;
		for (j = 0; j < e->nwith; j++)
			if ((rc = dep_term(p, e->with[j].value, stack,
				 depth)) != 0)
				return rc;
		if (e->body && (rc = dep_body(p, e->body, stack, depth)) != 0)
			return rc;
	}
	return 0;
}

static int
dep_rule(struct ls_rego_policy *p, const struct ls_rule *r,
    struct ls_node **stack, int depth)
{
	size_t i;
	int rc;

	for (; r != NULL; r = r->els) {
		if ((rc = dep_body(p, r->body, stack, depth)) != 0)
			return rc;
		if (r->key && (rc = dep_term(p, r->key, stack, depth)) != 0)
			return rc;
		for (i = 0; i < r->nkeys; i++)
			if ((rc = dep_term(p, r->keys[i], stack, depth)) != 0)
				return rc;
		if (r->value && (rc = dep_term(p, r->value, stack, depth)) != 0)
			return rc;
		for (i = 0; i < r->nargs; i++)
			if ((rc = dep_term(p, r->args[i], stack, depth)) != 0)
				return rc;
	}
	return 0;
}

static int
recursion_error(struct ls_node *n, struct ls_node **stack, int depth)
{
	const struct ls_rule *r = n->nrules ? n->rules[0] : n->dflt;
	char path[256];
	size_t len = 0;
	int i;

	path[0] = '\0';
	for (i = 0; i < depth && len < sizeof(path) - 80; i++)
		if (stack[i] == n || len > 0)
			len += (size_t)snprintf(path + len, sizeof(path) - len,
			    "%s -> ", stack[i]->name);
	snprintf(path + len, sizeof(path) - len, "%s", n->name);
	return ls_error_set(LS_EREGO,
	    "%s:%d:%d: rego_recursion_error: rule "
	    "%s is recursive: %s",
	    r->mod->file, r->line, r->col, n->name, path);
}

static int
visit(struct ls_rego_policy *p, struct ls_node *n, struct ls_node **stack,
    int depth)
{
	size_t i;
	int rc;

	if (n->done)
		return 0;
	if (n->visiting)
		return recursion_error(n, stack, depth);
	if (depth >= 4096)
		return ls_error_set(LS_EREGO,
		    "rego_recursion_error: rule "
		    "dependencies nested too deeply");
	n->visiting = 1;
	stack[depth] = n;
	for (i = 0; i < n->nrules; i++)
		if ((rc = dep_rule(p, n->rules[i], stack, depth + 1)) != 0)
			return rc;
	if (n->dflt && (rc = dep_rule(p, n->dflt, stack, depth + 1)) != 0)
		return rc;
	n->visiting = 0;
	n->done = 1;
	return 0;
}

static int
check_recursion(struct ls_rego_policy *p, struct ls_node *n,
    struct ls_node **stack)
{
	size_t i;
	int rc;

	if (!n->has_rules)
		return 0;
	if ((n->nrules || n->dflt) && (rc = visit(p, n, stack, 0)) != 0)
		return rc;
	for (i = 0; i < n->nkids; i++)
		if ((rc = check_recursion(p, n->kids[i], stack)) != 0)
			return rc;
	return 0;
}

static int
resolve_all(struct ls_rego_policy *p, struct ls_rule *r)
{
	struct ls_rule *e;
	int rc;

	for (e = r; e != NULL; e = e->els) {
		if ((rc = ls_rego_resolve_rule(p, p->arena, e)) != 0)
			return rc;
		if (e->k != LS_R_FUNC)
			ls_rego_index_rule(e);
	}
	return 0;
}

int
ls_rego_compile_modules(struct ls_rego_policy *p)
{
	struct ls_node **stack;
	size_t i, j;
	int rc;

	if (p->root == NULL && (p->root = node_new(p, NULL, "data")) == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	for (i = 0; i < p->nmods; i++) {
		struct ls_node *n = p->root;

		for (j = 0; j < p->mods[i]->npkg && n != NULL; j++)
			n = ls_node_ensure(p, n, p->mods[i]->pkg[j]);
		if (n == NULL)
			return ls_error_set(LS_ENOMEM, "out of memory");
		n->is_pkg = 1;
		for (j = 0; j < p->mods[i]->nrules; j++)
			if ((rc = add_rule(p, p->mods[i]->rules[j])) != 0)
				return rc;
	}
	for (i = 0; i < p->nmods; i++)
		for (j = 0; j < p->mods[i]->nrules; j++)
			if ((rc = resolve_all(p, p->mods[i]->rules[j])) != 0)
				return rc;
	stack = ls_arena_alloc(p->arena, 4097 * sizeof(*stack));
	if (stack == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	return check_recursion(p, p->root, stack);
}
