/* dectab.c - controls per document of a compiled policy (dectab.h). */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lockstep/buf.h"
#include "lockstep/dectab.h"
#include "lockstep/error.h"
#include "lockstep/rego.h"
#include "lockstep/rego_deps.h"

#define QUERY_MAX (1u << 20)

struct ninfo {
	uint64_t *own, *all; /* bitsets over t->names */
	const char **ctl;    /* closure controls, NULL-terminated */
	const char **ownl;   /* own controls, NULL-terminated */
	int reads_exc;	     /* closure reads data.lockstep.exceptions */
	int state;	     /* DFS: 0 new, 1 running, 2 done */
	struct ls_dectab_leaves *leaves;
};

struct bypath {
	char *path; /* slash form, "" for data */
	size_t idx;
};

struct ls_dectab {
	struct ls_rego_graph g;
	struct ls_controls map;
	char **names; /* interned controls, sorted, unique */
	size_t nnames, nw;
	struct ninfo *ni;
	struct bypath *byp;
	size_t nbyp;
	pthread_mutex_t mu;		     /* leaves cache */
	const struct ls_rego_policy *policy; /* borrowed: held with it */
	int has_mask, has_drop;
	const char *empty[1];
};

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static long
name_index(const struct ls_dectab *t, const char *s)
{
	char *const *hit =
	    bsearch(&s, t->names, t->nnames, sizeof(char *), cmp_str);

	return hit ? (long)(hit - t->names) : -1;
}

static int
push_name(struct ls_dectab *t, size_t *cap, const char *s)
{
	char **nv;

	if (t->nnames == *cap) {
		*cap = *cap ? *cap * 2 : 32;
		if ((nv = realloc(t->names, *cap * sizeof(*nv))) == NULL)
			return LS_ENOMEM;
		t->names = nv;
	}
	if ((t->names[t->nnames] = strdup(s)) == NULL)
		return LS_ENOMEM;
	t->nnames++;
	return 0;
}

/* Every control string of the graph and the map, sorted and unique. */
static int
intern(struct ls_dectab *t)
{
	size_t cap = 0, i, j, k = 0;
	int rc = 0;

	for (i = 0; i < t->g.n && rc == 0; i++)
		for (j = 0; j < t->g.v[i].ncontrols && rc == 0; j++)
			rc = push_name(t, &cap, t->g.v[i].controls[j]);
	for (i = 0; i < t->map.ntargets && rc == 0; i++)
		for (j = 0; j < t->map.targets[i].ncontrols && rc == 0; j++)
			rc = push_name(t, &cap, t->map.targets[i].controls[j]);
	if (rc != 0)
		return rc;
	if (t->nnames > 0)
		qsort(t->names, t->nnames, sizeof(char *), cmp_str);
	for (i = 0; i < t->nnames; i++) {
		if (k > 0 && strcmp(t->names[k - 1], t->names[i]) == 0) {
			free(t->names[i]);
			continue;
		}
		t->names[k++] = t->names[i];
	}
	t->nnames = k;
	t->nw = (k + 63) / 64;
	return 0;
}

static void
set_bit(uint64_t *b, long i)
{
	if (i >= 0)
		b[i / 64] |= (uint64_t)1 << (i % 64);
}

/* Map entries whose target is path or a package above it. */
static void
own_bits(struct ls_dectab *t, size_t idx)
{
	const struct ls_rego_dep_node *d = &t->g.v[idx];
	uint64_t *b = t->ni[idx].own;
	size_t i, j, n;

	for (j = 0; j < d->ncontrols; j++)
		set_bit(b, name_index(t, d->controls[j]));
	for (i = 0; i < t->map.ntargets; i++) {
		const struct ls_control_target *c = &t->map.targets[i];

		n = strlen(c->target);
		if (strncmp(d->path, c->target, n) != 0 ||
		    (d->path[n] != '\0' && d->path[n] != '.'))
			continue;
		for (j = 0; j < c->ncontrols; j++)
			set_bit(b, name_index(t, c->controls[j]));
	}
}

static void
closure(struct ls_dectab *t, size_t idx)
{
	struct ninfo *x = &t->ni[idx];
	size_t i, w;

	if (x->state != 0)
		return; /* done, or a cycle: its own bits are in already */
	x->state = 1;
	memcpy(x->all, x->own, t->nw * sizeof(uint64_t));
	x->reads_exc = t->g.v[idx].reads_watch;
	for (i = 0; i < t->g.v[idx].ndeps; i++) {
		size_t d = t->g.v[idx].deps[i];

		if (d >= t->g.n)
			continue;
		closure(t, d);
		for (w = 0; w < t->nw; w++)
			x->all[w] |= t->ni[d].all[w];
		x->reads_exc |= t->ni[d].reads_exc;
	}
	x->state = 2;
}

static const char **
bits_list(const struct ls_dectab *t, const uint64_t *b)
{
	const char **v = calloc(t->nnames + 1, sizeof(*v));
	size_t i, n = 0;

	if (v == NULL)
		return NULL;
	for (i = 0; i < t->nnames; i++)
		if (b[i / 64] & ((uint64_t)1 << (i % 64)))
			v[n++] = t->names[i];
	return v;
}

static int
cmp_byp(const void *a, const void *b)
{
	return strcmp(((const struct bypath *)a)->path,
	    ((const struct bypath *)b)->path);
}

static int
index_paths(struct ls_dectab *t)
{
	size_t i;
	char *s, *p;

	if ((t->byp = calloc(t->g.n + 1, sizeof(*t->byp))) == NULL)
		return LS_ENOMEM;
	for (i = 0; i < t->g.n; i++) {
		if (t->g.v[i].path == NULL)
			continue;
		s = t->g.v[i].path;
		if ((p = strdup(strlen(s) > 4 ? s + 5 : "")) == NULL)
			return LS_ENOMEM;
		for (s = p; *s; s++)
			if (*s == '.')
				*s = '/';
		t->byp[t->nbyp].path = p;
		t->byp[t->nbyp++].idx = i;
	}
	qsort(t->byp, t->nbyp, sizeof(*t->byp), cmp_byp);
	return 0;
}

static int
compute(struct ls_dectab *t)
{
	size_t i;

	if ((t->ni = calloc(t->g.n, sizeof(*t->ni))) == NULL)
		return LS_ENOMEM;
	for (i = 0; i < t->g.n; i++) {
		t->ni[i].own = calloc(t->nw + 1, sizeof(uint64_t));
		t->ni[i].all = calloc(t->nw + 1, sizeof(uint64_t));
		if (t->ni[i].own == NULL || t->ni[i].all == NULL)
			return LS_ENOMEM;
		if (t->g.v[i].path != NULL)
			own_bits(t, i);
	}
	for (i = 0; i < t->g.n; i++) {
		if (t->g.v[i].path == NULL)
			continue;
		closure(t, i);
		t->ni[i].ctl = bits_list(t, t->ni[i].all);
		t->ni[i].ownl = bits_list(t, t->ni[i].own);
		if (t->ni[i].ctl == NULL || t->ni[i].ownl == NULL)
			return LS_ENOMEM;
	}
	return index_paths(t);
}

/* Control map and exceptions from data.lockstep of the policy. */
static void
load_map(struct ls_dectab *t, const struct ls_rego_policy *p, char **warn)
{
	char *json = NULL, *err = NULL;

	if (ls_rego_eval_path(&json, p, "lockstep", NULL, 0, &err) == 0 &&
	    ls_controls_parse(&t->map, json, strlen(json), LS_CONTROLS_FILE) !=
		0 &&
	    warn != NULL)
		*warn = strdup(ls_error_last());
	free(json);
	free(err);
}

int
ls_dectab_build(struct ls_dectab **out, const struct ls_rego_policy *p,
    char **warn)
{
	struct ls_dectab *t = calloc(1, sizeof(*t));
	int rc;

	*out = NULL;
	if (warn != NULL)
		*warn = NULL;
	if (t == NULL)
		return ls_error_set(LS_ENOMEM, "dectab: out of memory");
	pthread_mutex_init(&t->mu, NULL);
	ls_controls_init(&t->map);
	t->policy = p;
	if ((rc = ls_rego_graph_build(&t->g, p, "lockstep.exceptions")) != 0)
		goto out;
	load_map(t, p, warn);
	if ((rc = intern(t)) != 0 || (rc = compute(t)) != 0)
		goto out;
	t->has_mask = ls_rego_graph_find(&t->g, "system/log/mask") >= 0;
	t->has_drop = ls_rego_graph_find(&t->g, "system/log/drop") >= 0;
	*out = t;
	return 0;
out:
	ls_dectab_free(t);
	return rc == LS_ENOMEM ? ls_error_set(rc, "dectab: out of memory") : rc;
}

static void
free_leaves(struct ls_dectab_leaves *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->n; i++)
		free((void *)(uintptr_t)l->controls[i]);
	free(l->paths);
	free(l->controls);
	free((char *)(uintptr_t)l->query);
	ls_rego_prepared_free(l->prepared);
	free(l);
}

void
ls_dectab_free(struct ls_dectab *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; t->ni != NULL && i < t->g.n; i++) {
		free(t->ni[i].own);
		free(t->ni[i].all);
		free(t->ni[i].ctl);
		free(t->ni[i].ownl);
		free_leaves(t->ni[i].leaves);
	}
	free(t->ni);
	for (i = 0; i < t->nbyp; i++)
		free(t->byp[i].path);
	free(t->byp);
	for (i = 0; i < t->nnames; i++)
		free(t->names[i]);
	free(t->names);
	ls_rego_graph_cleanup(&t->g);
	ls_controls_cleanup(&t->map);
	pthread_mutex_destroy(&t->mu);
	free(t);
}

/* The node of path or of its longest prefix that is one; -1 if none. */
static long
find(const struct ls_dectab *t, const char *path)
{
	char buf[1024], *slash;
	struct bypath key, *hit;

	if (t == NULL || strlen(path) >= sizeof(buf))
		return -1;
	memcpy(buf, path, strlen(path) + 1);
	key.path = buf;
	key.idx = 0;
	for (;;) {
		hit = bsearch(&key, t->byp, t->nbyp, sizeof(*t->byp), cmp_byp);
		if (hit != NULL)
			return (long)hit->idx;
		if ((slash = strrchr(buf, '/')) == NULL)
			return -1;
		*slash = '\0';
	}
}

const char *const *
ls_dectab_controls(const struct ls_dectab *t, const char *path)
{
	long i = find(t, path);

	return i >= 0 ? t->ni[i].ctl : t->empty;
}

const char *const *
ls_dectab_own(const struct ls_dectab *t, const char *path)
{
	long i = find(t, path);

	return i >= 0 ? t->ni[i].ownl : t->empty;
}

int
ls_dectab_reads_exceptions(const struct ls_dectab *t, const char *path)
{
	long i = find(t, path);

	return i >= 0 && t->ni[i].reads_exc;
}

const struct ls_controls *
ls_dectab_exceptions(const struct ls_dectab *t)
{
	return &t->map;
}

int
ls_dectab_has_mask(const struct ls_dectab *t)
{
	return t != NULL && t->has_mask;
}

int
ls_dectab_has_drop(const struct ls_dectab *t)
{
	return t != NULL && t->has_drop;
}

static int
any_bit(const struct ls_dectab *t, const uint64_t *b)
{
	size_t w;

	for (w = 0; w < t->nw; w++)
		if (b[w])
			return 1;
	return 0;
}

/* Set rules with own controls reachable from idx (not idx itself). */
static void
collect(struct ls_dectab *t, size_t idx, char *seen, size_t *v, size_t *n)
{
	size_t i;

	for (i = 0; i < t->g.v[idx].ndeps; i++) {
		size_t d = t->g.v[idx].deps[i];

		if (d >= t->g.n || seen[d])
			continue;
		seen[d] = 1;
		if (t->g.v[d].set_rule && any_bit(t, t->ni[d].own))
			v[(*n)++] = d;
		collect(t, d, seen, v, n);
	}
}

/* data["a"]["b"] of a dotted node path. */
static int
add_ref(struct ls_buf *b, const char *dotted)
{
	const char *s = dotted + 4, *e;
	int rc = ls_buf_adds(b, "data");

	while (rc == 0 && *s == '.') {
		s++;
		e = strchr(s, '.');
		if (e == NULL)
			e = s + strlen(s);
		rc = ls_buf_addf(b, "[\"%.*s\"]", (int)(e - s), s);
		s = e;
	}
	return rc;
}

static struct ls_dectab_leaves *
make_leaves(struct ls_dectab *t, size_t idx)
{
	struct ls_dectab_leaves *l = calloc(1, sizeof(*l));
	char *seen = calloc(t->g.n, 1);
	size_t *v = calloc(t->g.n + 1, sizeof(*v)), n = 0, i;
	struct ls_buf q;
	int rc = 0;

	ls_buf_init(&q, QUERY_MAX);
	if (l == NULL || seen == NULL || v == NULL)
		goto fail;
	seen[idx] = 1;
	collect(t, idx, seen, v, &n);
	l->paths = calloc(n + 1, sizeof(*l->paths));
	l->controls = calloc(n + 1, sizeof(*l->controls));
	if (l->paths == NULL || l->controls == NULL)
		goto fail;
	rc = ls_buf_adds(&q, "[[__v | __v := ");
	rc = rc ? rc : add_ref(&q, t->g.v[idx].path);
	for (i = 0; i < n && rc == 0; i++) {
		l->paths[i] = t->g.v[v[i]].path;
		if ((l->controls[i] = bits_list(t, t->ni[v[i]].all)) == NULL)
			goto fail;
		l->n = i + 1;
		rc = ls_buf_adds(&q, "], [__v | __v := ");
		rc = rc ? rc : add_ref(&q, t->g.v[v[i]].path);
	}
	if (rc != 0 || ls_buf_adds(&q, "]]") != 0 ||
	    (l->query = ls_buf_take(&q, NULL)) == NULL ||
	    ls_rego_prepare(&l->prepared, t->policy, l->query) != 0)
		goto fail;
	free(seen);
	free(v);
	return l;
fail:
	ls_buf_cleanup(&q);
	free_leaves(l);
	free(seen);
	free(v);
	return NULL;
}

const struct ls_dectab_leaves *
ls_dectab_leaves(struct ls_dectab *t, const char *path)
{
	long i = find(t, path);
	struct ls_dectab_leaves *l = NULL;
	struct bypath key, *hit;

	/* Only for a path that is a node itself: the query's first element
	 * must be the very document asked for. */
	key.path = (char *)(uintptr_t)path;
	key.idx = 0;
	hit = t != NULL
	    ? bsearch(&key, t->byp, t->nbyp, sizeof(*t->byp), cmp_byp)
	    : NULL;
	if (i < 0 || hit == NULL)
		return NULL;
	/* Built once; afterwards every decision reads it without the lock. */
	if ((l = __atomic_load_n(&t->ni[i].leaves, __ATOMIC_ACQUIRE)) != NULL)
		return l;
	pthread_mutex_lock(&t->mu);
	if ((l = t->ni[i].leaves) == NULL) {
		l = make_leaves(t, (size_t)i);
		__atomic_store_n(&t->ni[i].leaves, l, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&t->mu);
	return l;
}
