/* manifest.c - the OPA bundle .manifest, parsed and written with jansson. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "lockstep/error.h"
#include "lockstep/manifest.h"
#include "jsoncap.h"

#define MANIFEST_MAX_DEPTH 32
#define MANIFEST_MAX_ROOTS 1024

void
ls_manifest_init(struct ls_manifest *m)
{
	memset(m, 0, sizeof(*m));
	m->rego_version = 1;
}

void
ls_manifest_cleanup(struct ls_manifest *m)
{
	size_t i;

	free(m->revision);
	for (i = 0; i < m->nroots; i++)
		free(m->roots[i]);
	free(m->roots);
	free(m->metadata_json);
	ls_manifest_init(m);
}

static int
parse_roots(struct ls_manifest *out, json_t *roots)
{
	json_t *r;
	size_t i;

	if (!json_is_array(roots))
		return ls_error_set(LS_EFORMAT,
		    ".manifest: field 'roots' must be an array of strings");
	if (json_array_size(roots) > MANIFEST_MAX_ROOTS)
		return ls_error_set(LS_ETOOBIG,
		    ".manifest: field 'roots' has more than %d entries",
		    MANIFEST_MAX_ROOTS);
	out->roots = calloc(json_array_size(roots) + 1, sizeof(char *));
	if (out->roots == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	for (i = 0; i < json_array_size(roots); i++) {
		r = json_array_get(roots, i);
		if (!json_is_string(r))
			return ls_error_set(LS_EFORMAT,
			    ".manifest: field 'roots[%zu]' must be a string",
			    i);
		if ((out->roots[i] = strdup(json_string_value(r))) == NULL)
			return ls_error_set(LS_ENOMEM, "out of memory");
		out->nroots++;
	}
	return 0;
}

static int
parse_fields(struct ls_manifest *out, json_t *root)
{
	json_t *v;
	int rc;

	if (!json_is_object(root))
		return ls_error_set(LS_EFORMAT,
		    ".manifest: must be a JSON object");
	v = json_object_get(root, "revision");
	if (v != NULL && !json_is_string(v))
		return ls_error_set(LS_EFORMAT,
		    ".manifest: field 'revision' must be a string");
	if ((out->revision = strdup(v ? json_string_value(v) : "")) == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	if ((v = json_object_get(root, "roots")) != NULL) {
		if ((rc = parse_roots(out, v)) < 0)
			return rc;
	} else {
		if ((out->roots = calloc(1, sizeof(char *))) == NULL ||
		    (out->roots[0] = strdup("")) == NULL)
			return ls_error_set(LS_ENOMEM, "out of memory");
		out->nroots = 1;
	}
	if ((v = json_object_get(root, "metadata")) != NULL) {
		if (!json_is_object(v))
			return ls_error_set(LS_EFORMAT,
			    ".manifest: field 'metadata' must be an object");
		out->metadata_json =
		    json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
		if (out->metadata_json == NULL)
			return ls_error_set(LS_ENOMEM, "out of memory");
	}
	if ((v = json_object_get(root, "rego_version")) != NULL) {
		if (!json_is_integer(v) ||
		    (json_integer_value(v) != 0 && json_integer_value(v) != 1))
			return ls_error_set(LS_EFORMAT,
			    ".manifest: field 'rego_version' must be 0 or 1");
		out->rego_version = (int)json_integer_value(v);
	}
	return 0;
}

int
ls_manifest_parse(struct ls_manifest *out, const char *json, size_t len)
{
	json_error_t jerr;
	json_t *root = NULL;
	int rc;

	ls_manifest_init(out);
	if (len > LS_MANIFEST_MAX)
		return ls_error_set(LS_ETOOBIG,
		    ".manifest: %zu bytes, limit %d", len, LS_MANIFEST_MAX);
	if (jsoncap_depth(json, len) > MANIFEST_MAX_DEPTH)
		return ls_error_set(LS_ETOOBIG,
		    ".manifest: nested deeper than %d levels",
		    MANIFEST_MAX_DEPTH);
	root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL)
		return ls_error_set(LS_EFORMAT,
		    ".manifest: line %d column %d: %s", jerr.line, jerr.column,
		    jerr.text);
	rc = parse_fields(out, root);
	json_decref(root);
	if (rc < 0)
		ls_manifest_cleanup(out);
	return rc;
}

static int
build_json(json_t **out, const struct ls_manifest *m)
{
	json_t *o = json_object(), *roots = json_array(), *meta = NULL;
	json_error_t jerr;
	size_t i;
	int bad = (o == NULL || roots == NULL);

	for (i = 0; !bad && i < m->nroots; i++)
		bad = json_array_append_new(roots, json_string(m->roots[i]));
	if (!bad && m->metadata_json != NULL) {
		meta = json_loads(m->metadata_json, 0, &jerr);
		if (!json_is_object(meta)) {
			json_decref(meta);
			json_decref(roots);
			json_decref(o);
			return ls_error_set(LS_EINVAL,
			    ".manifest: metadata is not a JSON object");
		}
		bad = json_object_set_new(o, "metadata", meta);
	}
	bad = bad ||
	    json_object_set_new(o, "revision",
		json_string(m->revision ? m->revision : "")) ||
	    json_object_set_new(o, "rego_version",
		json_integer(m->rego_version));
	if (bad || json_object_set(o, "roots", roots)) {
		json_decref(roots);
		json_decref(o);
		return ls_error_set(LS_EINVAL,
		    ".manifest: cannot encode (strings must be UTF-8)");
	}
	json_decref(roots);
	*out = o;
	return 0;
}

int
ls_manifest_write(char **out, size_t *out_len, const struct ls_manifest *m)
{
	json_t *o = NULL;
	char *s = NULL, *t;
	size_t n;
	int rc;

	*out = NULL;
	if ((rc = build_json(&o, m)) < 0)
		return rc;
	s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	if (s == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	n = strlen(s);
	if ((t = realloc(s, n + 2)) == NULL) {
		free(s);
		return ls_error_set(LS_ENOMEM, "out of memory");
	}
	t[n] = '\n';
	t[n + 1] = '\0';
	*out = t;
	if (out_len != NULL)
		*out_len = n + 1;
	return 0;
}

/* 1 if root a is b or an ancestor of b ("" is everything's ancestor). */
static int
root_covers(const char *a, const char *b)
{
	size_t n = strlen(a);

	if (n == 0)
		return 1;
	return strncmp(a, b, n) == 0 && (b[n] == '\0' || b[n] == '/');
}

int
ls_manifest_check_roots(const struct ls_manifest *m)
{
	size_t i, j;

	for (i = 0; i < m->nroots; i++)
		for (j = 0; j < m->nroots; j++)
			if (i != j && root_covers(m->roots[i], m->roots[j]))
				return ls_error_set(LS_ECONFLICT,
				    ".manifest: roots '%s' and '%s' overlap",
				    m->roots[i], m->roots[j]);
	return 0;
}
