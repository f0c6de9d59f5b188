/* rego_load.c - load an OPA bundle directory into a compiled policy. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lockstep/error.h"
#include "lockstep/file.h"
#include "lockstep/rego.h"
#include "rego/value.h"

#define MAX_FILE (16u << 20)
#define MAX_FILES 10000
#define MAX_DEPTH 32

struct loader {
	struct ls_rego_builder *b;
	int version;
	int with_tests;
	size_t nfiles;
	char **err;
};

static int
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int
read_manifest(struct loader *l, const char *dir)
{
	char path[4096], *text = NULL;
	const struct ls_val *doc, *v;
	struct ls_arena *a = NULL;
	size_t len;
	int rc;

	l->version = 1;
	if ((size_t)snprintf(path, sizeof(path), "%s/.manifest", dir) >=
	    sizeof(path))
		return ls_error_set(LS_EINVAL, "%s: path too long", dir);
	rc = ls_file_read(&text, &len, path, 1u << 20);
	if (rc == LS_ENOTFOUND)
		return 0;
	if (rc != 0)
		return rc;
	if ((a = ls_arena_new(8u << 20)) == NULL)
		rc = ls_error_set(LS_ENOMEM, "out of memory");
	else if ((rc = ls_val_from_json(&doc, a, text, len, 64)) != 0)
		ls_error_wrap(rc, "%s", path);
	else if (doc->type != LS_VAL_OBJECT)
		rc = ls_error_set(LS_EFORMAT, "%s: not a JSON object", path);
	else if ((v = ls_val_object_gets(doc, "rego_version", 12)) != NULL) {
		if (v->type != LS_VAL_NUMBER || ls_num_sign(&v->u.num) < 0 ||
		    ls_num_cmp(&v->u.num, &ls_val_int(a, 1)->u.num) > 0)
			rc = ls_error_set(LS_EFORMAT,
			    "%s: rego_version must "
			    "be 0 or 1",
			    path);
		else
			l->version = ls_num_sign(&v->u.num);
	}
	ls_arena_free(a);
	free(text);
	return rc;
}

static int
load_file(struct loader *l, const char *path, const char *rel, const char *name)
{
	char *text = NULL, dir[4096];
	size_t len, n;
	int rc = 0;

	if (ends_with(name, ".rego")) {
		if (!l->with_tests && ends_with(name, "_test.rego"))
			return 0;
		if ((rc = ls_file_read(&text, &len, path, MAX_FILE)) == 0)
			rc = ls_rego_builder_add_module(l->b, path, text, len,
			    l->version, l->err);
	} else if (strcmp(name, "data.json") == 0) {
		n = strlen(rel) - strlen(name);
		if (n > 0)
			n--; /* the slash before data.json */
		if (n >= sizeof(dir))
			return ls_error_set(LS_EINVAL, "%s: path too long",
			    path);
		memcpy(dir, rel, n);
		dir[n] = '\0';
		if ((rc = ls_file_read(&text, &len, path, MAX_FILE)) == 0)
			rc = ls_rego_builder_add_data(l->b, dir, text, len,
			    l->err);
	}
	free(text);
	return rc ? ls_error_wrap(rc, "%s", path) : 0;
}

static int
walk(struct loader *l, const char *path, const char *rel, int depth)
{
	struct dirent **ents = NULL;
	char sub[4096], subrel[4096];
	struct stat st;
	int n, i, rc = 0;

	if (depth > MAX_DEPTH)
		return ls_error_set(LS_ETOOBIG, "%s: nested too deeply", path);
	if ((n = scandir(path, &ents, NULL, alphasort)) < 0)
		return ls_error_set(LS_EIO, "%s: cannot read directory", path);
	for (i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;

		if (rc != 0 || name[0] == '.')
			continue;
		if ((size_t)snprintf(sub, sizeof(sub), "%s/%s", path, name) >=
			sizeof(sub) ||
		    (size_t)snprintf(subrel, sizeof(subrel), "%s%s%s", rel,
			*rel ? "/" : "", name) >= sizeof(subrel)) {
			rc = ls_error_set(LS_EINVAL, "%s: path too long", path);
			continue;
		}
		if (lstat(sub, &st) != 0 || S_ISLNK(st.st_mode))
			continue;
		if (++l->nfiles > MAX_FILES)
			rc = ls_error_set(LS_ETOOBIG, "%s: more than %d files",
			    path, MAX_FILES);
		else if (S_ISDIR(st.st_mode))
			rc = walk(l, sub, subrel, depth + 1);
		else if (S_ISREG(st.st_mode))
			rc = load_file(l, sub, subrel, name);
	}
	for (i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
	return rc;
}

int
ls_rego_load_dir(struct ls_rego_policy **out, const char *dir, int with_tests,
    char **err_out)
{
	struct loader l;
	int rc;

	*out = NULL;
	memset(&l, 0, sizeof(l));
	l.with_tests = with_tests;
	l.err = err_out;
	if ((l.b = ls_rego_builder_new()) == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	rc = read_manifest(&l, dir);
	if (rc == 0)
		rc = walk(&l, dir, "", 0);
	if (rc != 0 && err_out != NULL && *err_out == NULL)
		*err_out = strdup(ls_error_last());
	if (rc == 0)
		rc = ls_rego_compile(out, l.b, err_out);
	ls_rego_builder_free(l.b);
	return rc;
}
