/*
 * rego_load.c - load policy files from disk into a builder: an OPA bundle
 * directory (ls_rego_load_dir) or paths as opa test and opa eval -d take
 * them (ls_rego_load_paths).
 */
#include <dirent.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "confin.h"
#include "lockstep/buf.h"
#include "lockstep/error.h"
#include "lockstep/file.h"
#include "lockstep/rego.h"
#include "rego/value.h"

#define MAX_FILE (16u << 20)
#define MAX_FILES 10000
#define MAX_DEPTH 32
#define MAX_MANIFEST (1u << 20)

struct loader {
	struct ls_rego_builder *b;
	const struct ls_rego_load_opts *o;
	int version;		 /* the root's rego_version, -1 = unset */
	struct ls_arena *ma;	 /* holds fv; NULL without a manifest */
	const struct ls_val *fv; /* file_rego_versions, NULL = none */
	size_t nfiles;		 /* files and directories seen */
	size_t bytes;		 /* bytes read in all */
	char **err;
};

static int
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* 0 or 1 from a manifest number, -1 for anything else. */
static int
version_of(const struct ls_val *v)
{
	int64_t n;
	int overflow = 0;

	if (v->type != LS_VAL_NUMBER || !ls_num_is_int(&v->u.num))
		return -1;
	n = ls_num_to_int64(&v->u.num, &overflow);
	return !overflow && (n == 0 || n == 1) ? (int)n : -1;
}

static int
check_manifest(struct loader *l, const struct ls_val *doc, const char *path)
{
	const struct ls_val *v;
	size_t i;

	if (doc->type != LS_VAL_OBJECT)
		return ls_error_set(LS_EFORMAT, "%s: not a JSON object", path);
	if ((v = ls_val_object_gets(doc, "rego_version", 12)) != NULL) {
		if ((l->version = version_of(v)) < 0)
			return ls_error_set(LS_EFORMAT,
			    "%s: rego_version must be 0 or 1", path);
	}
	/* ls_rego_load_dir (agent, server, check) reads rego_version only,
	 * as it always did. */
	v = l->o->data == LS_REGO_DATA_JSON
	    ? NULL
	    : ls_val_object_gets(doc, "file_rego_versions", 18);
	if (v == NULL)
		return 0;
	if (v->type != LS_VAL_OBJECT)
		return ls_error_set(LS_EFORMAT,
		    "%s: file_rego_versions must be an object", path);
	for (i = 0; i < v->u.obj.n; i++)
		if (v->u.obj.k[i]->type != LS_VAL_STRING ||
		    version_of(v->u.obj.v[i]) < 0)
			return ls_error_set(LS_EFORMAT,
			    "%s: file_rego_versions values must be 0 or 1",
			    path);
	l->fv = v;
	return 0;
}

/* Read DIR/.manifest, when there is one, into l->version and l->fv. */
static int
read_manifest(struct loader *l, const char *dir)
{
	char path[4096], *text = NULL;
	const struct ls_val *doc;
	size_t len;
	int rc;

	l->version = -1;
	l->fv = NULL;
	ls_arena_free(l->ma);
	l->ma = NULL;
	if ((size_t)snprintf(path, sizeof(path), "%s/.manifest", dir) >=
	    sizeof(path))
		return ls_error_set(LS_EINVAL, "%s: path too long", dir);
	rc = ls_file_read(&text, &len, path, MAX_MANIFEST);
	if (rc == LS_ENOTFOUND)
		return 0;
	if (rc != 0)
		return rc;
	if ((l->ma = ls_arena_new(8u << 20)) == NULL)
		rc = ls_error_set(LS_ENOMEM, "out of memory");
	else if ((rc = ls_val_from_json(&doc, l->ma, text, len, 64)) != 0)
		ls_error_wrap(rc, "%s", path);
	else
		rc = check_manifest(l, doc, path);
	free(text);
	return rc;
}

/* rego_version of the module at rel (path under the root): the
 * manifest's file_rego_versions, its rego_version, then the default
 * (--v0-compatible or v1), as opa lets a bundle's manifest win. */
static int
module_version(const struct loader *l, const char *rel)
{
	size_t i;

	for (i = 0; l->fv != NULL && i < l->fv->u.obj.n; i++) {
		const struct ls_val *k = l->fv->u.obj.k[i];
		char pat[4096];

		if ((size_t)snprintf(pat, sizeof(pat), "%.*s",
			(int)k->u.str.len, k->u.str.p) >= sizeof(pat))
			continue;
		if (fnmatch(pat[0] == '/' ? pat + 1 : pat, rel, FNM_PATHNAME) ==
		    0)
			return version_of(l->fv->u.obj.v[i]);
	}
	if (l->version >= 0)
		return l->version;
	return l->o->v0_compatible ? 0 : 1;
}

static int
is_data(const struct loader *l, const char *name)
{
	switch (l->o->data) {
	case LS_REGO_DATA_JSON: return strcmp(name, "data.json") == 0;
	case LS_REGO_DATA_BUNDLE:
		return strcmp(name, "data.json") == 0 ||
		    strcmp(name, "data.yaml") == 0 ||
		    strcmp(name, "data.yml") == 0;
	default:
		return ends_with(name, ".json") || ends_with(name, ".yaml") ||
		    ends_with(name, ".yml");
	}
}

static int
read_capped(struct loader *l, char **text, size_t *len, const char *path)
{
	size_t cap = l->o->max_bytes ? l->o->max_bytes : LS_REGO_LOAD_MAX_BYTES;
	int rc;

	if ((rc = ls_file_read(text, len, path, MAX_FILE)) != 0)
		return rc;
	if (*len > cap - l->bytes) {
		free(*text);
		*text = NULL;
		return ls_error_set(LS_ETOOBIG,
		    "more than %zu bytes of policy and data in all", cap);
	}
	l->bytes += *len;
	return 0;
}

/* A YAML data file's one document as JSON text for the builder. */
static int
add_yaml(struct loader *l, const char *dir, const char *path, const char *text,
    size_t len)
{
	struct ls_arena *a = ls_arena_new(256u << 20);
	const struct ls_val *v;
	struct ls_buf json;
	int rc;

	ls_buf_init(&json, 256u << 20);
	if (a == NULL)
		rc = ls_error_set(LS_ENOMEM, "out of memory");
	else if ((rc = ls_confin_yaml_first(&v, a, text, len)) == 0 &&
	    (rc = ls_val_to_json(&json, v)) == 0)
		rc = ls_rego_builder_add_data_file(l->b, dir, path, json.data,
		    json.len, l->err);
	ls_buf_cleanup(&json);
	ls_arena_free(a);
	return rc;
}

/*
 * Bytes of text up to the end of its first JSON value: opa decodes a
 * data file's first value and ignores what follows (one library's
 * fixtures hold two objects).  All of text when it cannot tell, so the
 * parser reports the error; always all of it for ls_rego_load_dir.
 */
static size_t
json_first(const struct loader *l, const char *text, size_t len)
{
	size_t i = 0;
	int depth = 0, str = 0;

	if (l->o->data == LS_REGO_DATA_JSON)
		return len;
	while (i < len &&
	    (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' ||
		text[i] == '\r'))
		i++;
	if (i == len || (text[i] != '{' && text[i] != '['))
		return len; /* a scalar: the parser decides */
	for (; i < len; i++) {
		if (str) {
			if (text[i] == '\\')
				i++;
			else if (text[i] == '"')
				str = 0;
		} else if (text[i] == '"')
			str = 1;
		else if (text[i] == '{' || text[i] == '[')
			depth++;
		else if ((text[i] == '}' || text[i] == ']') && --depth == 0)
			return i + 1;
	}
	return len;
}

/* rel's directory part ("a/b/x.json" -> "a/b", "x.json" -> ""). */
static int
dir_of(char *dir, size_t size, const char *rel)
{
	const char *slash = strrchr(rel, '/');
	size_t n = slash ? (size_t)(slash - rel) : 0;

	if (n >= size)
		return ls_error_set(LS_EINVAL, "%s: path too long", rel);
	memcpy(dir, rel, n);
	dir[n] = '\0';
	return 0;
}

static int
load_file(struct loader *l, const char *path, const char *rel, const char *name,
    int given)
{
	char *text = NULL, dir[4096];
	size_t len;
	int rc = 0, yaml = ends_with(name, ".yaml") || ends_with(name, ".yml");

	if (ends_with(name, ".rego")) {
		if (!l->o->with_tests && ends_with(name, "_test.rego"))
			return 0;
		if ((rc = read_capped(l, &text, &len, path)) == 0)
			rc = ls_rego_builder_add_module(l->b, path, text, len,
			    module_version(l, rel), l->err);
	} else if (given ? l->o->data == LS_REGO_DATA_ALL &&
		    (yaml || ends_with(name, ".json"))
			 : is_data(l, name)) {
		if ((rc = dir_of(dir, sizeof(dir), rel)) == 0 &&
		    (rc = read_capped(l, &text, &len, path)) == 0)
			rc = yaml
			    ? add_yaml(l, dir, path, text, len)
			    : ls_rego_builder_add_data_file(l->b, dir, path,
				  text, json_first(l, text, len), l->err);
	} else if (given)
		rc = ls_error_set(LS_EINVAL,
		    "not a .rego, .json, .yaml or .yml file");
	free(text);
	return rc ? ls_error_wrap(rc, "%s", path) : 0;
}

static int
ignored(const struct loader *l, const char *name)
{
	size_t i;

	if (name[0] == '.')
		return 1;
	for (i = 0; i < l->o->nignore; i++)
		if (fnmatch(l->o->ignore[i], name, 0) == 0)
			return 1;
	return 0;
}

static int walk(struct loader *l, const char *path, const char *rel, int depth);

static int
walk_entry(struct loader *l, const char *path, const char *rel,
    const char *name, int depth)
{
	char sub[4096], subrel[4096];
	size_t plen = strlen(path);
	struct stat st;
	/* "lib/" + "x.rego" is "lib/x.rego", as opa names it (not for
	 * ls_rego_load_dir, whose names stay as they were) */
	const char *sep =
	    l->o->data != LS_REGO_DATA_JSON && plen > 0 && path[plen - 1] == '/'
	    ? ""
	    : "/";

	if (ignored(l, name))
		return 0;
	if ((size_t)snprintf(sub, sizeof(sub), "%s%s%s", path, sep, name) >=
		sizeof(sub) ||
	    (size_t)snprintf(subrel, sizeof(subrel), "%s%s%s", rel,
		*rel ? "/" : "", name) >= sizeof(subrel))
		return ls_error_set(LS_EINVAL, "%s: path too long", path);
	if (lstat(sub, &st) != 0 || S_ISLNK(st.st_mode))
		return 0;
	if (++l->nfiles > MAX_FILES)
		return ls_error_set(LS_ETOOBIG, "%s: more than %d files", path,
		    MAX_FILES);
	if (S_ISDIR(st.st_mode))
		return walk(l, sub, subrel, depth + 1);
	if (S_ISREG(st.st_mode))
		return load_file(l, sub, subrel, name, 0);
	return 0;
}

static int
walk(struct loader *l, const char *path, const char *rel, int depth)
{
	struct dirent **ents = NULL;
	int n, i, rc = 0;

	if (depth > MAX_DEPTH)
		return ls_error_set(LS_ETOOBIG, "%s: nested too deeply", path);
	if ((n = scandir(path, &ents, NULL, alphasort)) < 0)
		return ls_error_set(LS_EIO, "%s: cannot read directory", path);
	for (i = 0; i < n && rc == 0; i++)
		rc = walk_entry(l, path, rel, ents[i]->d_name, depth);
	for (i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
	return rc;
}

/* One path argument: a directory (with its .manifest) or one file. */
static int
load_path(struct loader *l, const char *path)
{
	const char *base = strrchr(path, '/');
	struct stat st;
	int rc;

	if (stat(path, &st) != 0)
		return ls_error_set(LS_ENOTFOUND,
		    "%s: no such file or directory", path);
	if (!S_ISDIR(st.st_mode)) {
		l->version = -1;
		l->fv = NULL;
		base = base ? base + 1 : path;
		return load_file(l, path, base, base, 1);
	}
	if ((rc = read_manifest(l, path)) != 0)
		return rc;
	return walk(l, path, "", 0);
}

static int
finish(struct loader *l, int rc)
{
	ls_arena_free(l->ma);
	l->ma = NULL;
	if (rc != 0 && l->err != NULL && *l->err == NULL)
		*l->err = strdup(ls_error_last());
	return rc;
}

int
ls_rego_load_paths(struct ls_rego_builder *b, const char *const *paths,
    size_t npaths, const struct ls_rego_load_opts *o, char **err_out)
{
	struct loader l;
	size_t i;
	int rc = 0;

	memset(&l, 0, sizeof(l));
	l.b = b;
	l.o = o;
	l.err = err_out;
	for (i = 0; i < npaths && rc == 0; i++)
		rc = load_path(&l, paths[i]);
	return finish(&l, rc);
}

int
ls_rego_load_dir(struct ls_rego_policy **out, const char *dir, int with_tests,
    char **err_out)
{
	struct ls_rego_load_opts o;
	struct loader l;
	int rc;

	*out = NULL;
	memset(&o, 0, sizeof(o));
	o.data = LS_REGO_DATA_JSON;
	o.with_tests = with_tests;
	memset(&l, 0, sizeof(l));
	l.o = &o;
	l.err = err_out;
	if ((l.b = ls_rego_builder_new()) == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	rc = read_manifest(&l, dir);
	if (rc == 0)
		rc = walk(&l, dir, "", 0);
	rc = finish(&l, rc);
	if (rc == 0)
		rc = ls_rego_compile(out, l.b, err_out);
	ls_rego_builder_free(l.b);
	return rc;
}
