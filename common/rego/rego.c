/* rego.c - the public engine API: builder, compile, policy lifetime. */
#include <stdlib.h>
#include <string.h>

#include "lockstep/error.h"
#include "lockstep/rego.h"
#include "rego/compile.h"

#define MAX_MODULES 10000
#define MAX_DATA_DOCS 10000
#define MAX_TOTAL ((size_t)256 << 20) /* bytes of modules + data */

struct src {
	char *file;
	char *text;
	size_t len;
	int version;
	char *origin; /* data: the file it came from, NULL = unnamed */
};

struct ls_rego_builder {
	struct src *mods;
	size_t nmods, capmods;
	struct src *data; /* file = slash path */
	size_t ndata, capdata;
	size_t total; /* bytes added so far, capped */
	int allow_undef_funcs;
};

static int
set_err(char **err_out, int rc)
{
	if (err_out != NULL) {
		free(*err_out);
		*err_out = strdup(ls_error_last());
	}
	return rc;
}

struct ls_rego_builder *
ls_rego_builder_new(void)
{
	return calloc(1, sizeof(struct ls_rego_builder));
}

static void
free_srcs(struct src *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(s[i].file);
		free(s[i].text);
		free(s[i].origin);
	}
	free(s);
}

void
ls_rego_builder_free(struct ls_rego_builder *b)
{
	if (b == NULL)
		return;
	free_srcs(b->mods, b->nmods);
	free_srcs(b->data, b->ndata);
	free(b);
}

static int
add_src(struct src **v, size_t *n, size_t *cap, size_t max, const char *file,
    const char *text, size_t len, int version)
{
	struct src *s;

	if (len > ((size_t)1 << 30))
		return ls_error_set(LS_ETOOBIG, "%s: too large", file);
	if (*n >= max)
		return ls_error_set(LS_ETOOBIG, "%s: more than %zu inputs",
		    file, max);
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 8;

		if ((s = realloc(*v, nc * sizeof(*s))) == NULL)
			return ls_error_set(LS_ENOMEM, "out of memory");
		*v = s;
		*cap = nc;
	}
	s = &(*v)[*n];
	s->file = strdup(file);
	s->text = malloc(len + 1);
	if (s->file == NULL || s->text == NULL) {
		free(s->file);
		free(s->text);
		return ls_error_set(LS_ENOMEM, "out of memory");
	}
	memcpy(s->text, text, len);
	s->text[len] = '\0';
	s->len = len;
	s->version = version;
	s->origin = NULL;
	(*n)++;
	return 0;
}

int
ls_rego_builder_add_module(struct ls_rego_builder *b, const char *file,
    const char *src, size_t len, int rego_version, char **err_out)
{
	int rc;

	if (len > LS_REGO_MAX_SRC)
		return set_err(err_out,
		    ls_error_set(LS_ETOOBIG,
			"%s: module "
			"larger than %u bytes",
			file, LS_REGO_MAX_SRC));
	if (len > MAX_TOTAL - b->total)
		return set_err(err_out,
		    ls_error_set(LS_ETOOBIG,
			"%s: policy "
			"larger than %zu bytes in all",
			file, MAX_TOTAL));
	b->total += len;
	rc = add_src(&b->mods, &b->nmods, &b->capmods, MAX_MODULES, file, src,
	    len, rego_version ? 1 : 0);
	return rc ? set_err(err_out, rc) : 0;
}

int
ls_rego_builder_add_data(struct ls_rego_builder *b, const char *path,
    const char *json, size_t len, char **err_out)
{
	return ls_rego_builder_add_data_file(b, path, NULL, json, len, err_out);
}

int
ls_rego_builder_add_data_file(struct ls_rego_builder *b, const char *path,
    const char *origin, const char *json, size_t len, char **err_out)
{
	int rc;

	if (len > MAX_TOTAL - b->total)
		return set_err(err_out,
		    ls_error_set(LS_ETOOBIG,
			"data %s: "
			"policy larger than %zu bytes in all",
			path, MAX_TOTAL));
	b->total += len;
	rc = add_src(&b->data, &b->ndata, &b->capdata, MAX_DATA_DOCS, path,
	    json, len, 0);
	if (rc == 0 && origin != NULL &&
	    (b->data[b->ndata - 1].origin = strdup(origin)) == NULL)
		rc = ls_error_set(LS_ENOMEM, "out of memory");
	return rc ? set_err(err_out, rc) : 0;
}

/* Deep-merge doc into base at path; LS_ECONFLICT on a non-object clash. */
static int
merge(struct ls_arena *a, const struct ls_val *base, const struct ls_val *doc,
    const struct ls_val **out)
{
	struct ls_vlist k, v;
	size_t i;
	int rc;

	if (base == NULL) {
		*out = doc;
		return 0;
	}
	if (base->type != LS_VAL_OBJECT || doc->type != LS_VAL_OBJECT)
		return ls_error_set(LS_ECONFLICT, "data documents conflict");
	ls_vlist_init(&k, a);
	ls_vlist_init(&v, a);
	for (i = 0; i < base->u.obj.n; i++) {
		const struct ls_val *d = ls_val_object_get(doc,
					base->u.obj.k[i]),
				    *m = base->u.obj.v[i];

		if (d != NULL && (rc = merge(a, m, d, &m)) != 0)
			return rc;
		if (ls_vlist_push(&k, base->u.obj.k[i]) || ls_vlist_push(&v, m))
			return ls_error_set(LS_ENOMEM, "out of memory");
	}
	for (i = 0; i < doc->u.obj.n; i++)
		if (ls_val_object_get(base, doc->u.obj.k[i]) == NULL &&
		    (ls_vlist_push(&k, doc->u.obj.k[i]) ||
			ls_vlist_push(&v, doc->u.obj.v[i])))
			return ls_error_set(LS_ENOMEM, "out of memory");
	*out = ls_val_object(a, k.v, v.v, k.n, NULL);
	return *out ? 0 : ls_error_set(LS_ENOMEM, "out of memory");
}

/* Wrap doc in objects for each segment of the slash path. */
static const struct ls_val *
wrap(struct ls_arena *a, const char *path, const struct ls_val *doc)
{
	const char *slash = strrchr(path, '/'), *seg = slash ? slash + 1 : path;
	const struct ls_val *k;
	size_t plen = slash ? (size_t)(slash - path) : 0;
	char *parent;

	if (*path == '\0')
		return doc;
	if ((k = ls_val_cstring(a, seg)) == NULL ||
	    (doc = ls_val_object(a, &k, &doc, 1, NULL)) == NULL)
		return NULL;
	if (slash == NULL)
		return doc;
	if ((parent = ls_arena_strndup(a, path, plen)) == NULL)
		return NULL;
	return wrap(a, parent, doc);
}

static int
load_data(struct ls_rego_policy *p, const struct ls_rego_builder *b)
{
	const struct ls_val *doc, *merged = NULL;
	size_t i;
	int rc;

	for (i = 0; i < b->ndata; i++) {
		const char *path = b->data[i].file, *o = b->data[i].origin;

		while (*path == '/')
			path++;
		if ((rc = ls_val_from_json(&doc, p->arena, b->data[i].text,
			 b->data[i].len, 0)) != 0)
			return o
			    ? ls_error_wrap(rc, "%s", o)
			    : ls_error_wrap(rc, "data %s", *path ? path : "/");
		if (*path == '\0' && doc->type != LS_VAL_OBJECT)
			return ls_error_set(LS_EFORMAT,
			    "%s%sroot document must be an object",
			    o ? o : "data", ": ");
		if ((doc = wrap(p->arena, path, doc)) == NULL)
			return ls_error_set(LS_ENOMEM, "out of memory");
		if ((rc = merge(p->arena, merged, doc, &merged)) != 0)
			return o
			    ? ls_error_wrap(rc,
				  "%s: merge error at data path /%s", o, path)
			    : ls_error_wrap(rc, "data %s", path);
	}
	p->data = merged ? merged : ls_val_empty_object();
	return 0;
}

void
ls_rego_builder_allow_undefined_functions(struct ls_rego_builder *b, int yes)
{
	b->allow_undef_funcs = yes != 0;
}

int
ls_rego_compile(struct ls_rego_policy **out, struct ls_rego_builder *b,
    char **err_out)
{
	struct ls_rego_policy *p = calloc(1, sizeof(*p));
	size_t i;
	int rc = LS_ENOMEM;

	*out = NULL;
	if (p == NULL || (p->arena = ls_arena_new(0)) == NULL)
		goto out;
	p->refs = 1;
	p->allow_undef_funcs = b->allow_undef_funcs;
	p->mods = ls_arena_alloc(p->arena, (b->nmods + 1) * sizeof(*p->mods));
	if (p->mods == NULL)
		goto out;
	for (i = 0; i < b->nmods; i++) {
		rc =
		    ls_rego_parse_module(&p->mods[i], p->arena, b->mods[i].file,
			b->mods[i].text, b->mods[i].len, b->mods[i].version);
		if (rc != 0)
			goto out;
	}
	p->nmods = b->nmods;
	if ((rc = load_data(p, b)) != 0 ||
	    (rc = ls_rego_compile_modules(p)) != 0)
		goto out;
	*out = p;
	p = NULL;
out:
	if (rc == LS_ENOMEM && p != NULL && ls_error_last()[0] == '\0')
		ls_error_set(LS_ENOMEM, "out of memory");
	ls_rego_policy_unref(p);
	return rc ? set_err(err_out, rc) : 0;
}

struct ls_rego_policy *
ls_rego_policy_ref(struct ls_rego_policy *p)
{
	__atomic_add_fetch(&p->refs, 1, __ATOMIC_RELAXED);
	return p;
}

void
ls_rego_policy_unref(struct ls_rego_policy *p)
{
	if (p == NULL || __atomic_sub_fetch(&p->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	ls_arena_free(p->arena);
	free(p);
}
