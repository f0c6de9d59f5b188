/* controls.c - control map and exceptions of a policy repository. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "jsoncap.h"
#include "lockstep/bundle.h"
#include "lockstep/controls.h"
#include "lockstep/error.h"
#include "lockstep/file.h"
#include "lockstep/timefmt.h"

void
ls_controls_init(struct ls_controls *c)
{
	memset(c, 0, sizeof(*c));
}

static void
free_strv(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void
ls_controls_cleanup(struct ls_controls *c)
{
	struct ls_exception *e;
	size_t i;

	for (i = 0; i < c->ntargets; i++) {
		free(c->targets[i].target);
		free_strv(c->targets[i].controls, c->targets[i].ncontrols);
	}
	free(c->targets);
	for (i = 0; i < c->nexceptions; i++) {
		e = &c->exceptions[i];
		free(e->id);
		free(e->owner);
		free(e->ticket);
		free(e->reason);
		free(e->expires_text);
		free(e->exempts_json);
	}
	free(c->exceptions);
	ls_controls_init(c);
}

/* ---- syntax of the small strings ---- */

static int
is_ident(const char *s, size_t n)
{
	size_t i;

	if (n == 0 ||
	    !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') ||
		s[0] == '_'))
		return 0;
	for (i = 1; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
			(s[i] >= 'A' && s[i] <= 'Z') ||
			(s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return 0;
	return 1;
}

/* "data.a.b": "data" and at least one more identifier. */
static int
valid_target(const char *s)
{
	const char *p, *dot;

	if (strncmp(s, "data.", 5) != 0)
		return 0;
	for (p = s + 5;; p = dot + 1) {
		dot = strchr(p, '.');
		if (!is_ident(p, dot ? (size_t)(dot - p) : strlen(p)))
			return 0;
		if (dot == NULL)
			return 1;
	}
}

/* Every byte of s is in [A-Za-z0-9._-] (or also [a-z0-9-] only). */
static int
valid_chars(const char *s, size_t n, int lower_only)
{
	size_t i;
	char c;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++) {
		c = s[i];
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-')
			continue;
		if (!lower_only &&
		    ((c >= 'A' && c <= 'Z') || c == '.' || c == '_'))
			continue;
		return 0;
	}
	return 1;
}

/* "framework:id", e.g. "soc2:CC6.1", "pci-dss:2.2.1". */
static int
valid_control(const char *s)
{
	const char *colon = strchr(s, ':');

	return colon != NULL && valid_chars(s, (size_t)(colon - s), 1) &&
	    valid_chars(colon + 1, strlen(colon + 1), 0);
}

/* ---- the control map ---- */

static int
cmp_target(const void *a, const void *b)
{
	const struct ls_control_target *x = a, *y = b;

	return strcmp(x->target, y->target);
}

static int
parse_target(struct ls_control_target *t, const char *key, json_t *list,
    const char *file)
{
	json_t *v;
	size_t i;

	if (!valid_target(key))
		return ls_error_set(LS_EFORMAT,
		    "%s: controls: key '%.200s' is not a data path such as "
		    "data.pkg.rule",
		    file, key);
	if (!json_is_array(list) || json_array_size(list) == 0)
		return ls_error_set(LS_EFORMAT,
		    "%s: controls.%s: must be a non-empty array of control ids",
		    file, key);
	if (json_array_size(list) > LS_CONTROLS_MAX_PER_TARGET)
		return ls_error_set(LS_ETOOBIG,
		    "%s: controls.%s: more than %d controls", file, key,
		    LS_CONTROLS_MAX_PER_TARGET);
	if ((t->target = strdup(key)) == NULL ||
	    (t->controls = calloc(json_array_size(list), sizeof(char *))) ==
		NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	for (i = 0; i < json_array_size(list); i++) {
		v = json_array_get(list, i);
		if (!json_is_string(v) || !valid_control(json_string_value(v)))
			return ls_error_set(LS_EFORMAT,
			    "%s: controls.%s[%zu]: must be a control id such "
			    "as soc2:CC6.1",
			    file, key, i);
		if ((t->controls[i] = strdup(json_string_value(v))) == NULL)
			return ls_error_set(LS_ENOMEM, "out of memory");
		t->ncontrols++;
	}
	return 0;
}

static int
parse_map(struct ls_controls *out, json_t *map, const char *file)
{
	const char *key;
	void *it;
	json_t *v;
	int rc;

	if (!json_is_object(map))
		return ls_error_set(LS_EFORMAT,
		    "%s: controls: must be an object mapping data paths to "
		    "control ids",
		    file);
	if (json_object_size(map) > LS_CONTROLS_MAX_TARGETS)
		return ls_error_set(LS_ETOOBIG,
		    "%s: controls: more than %d entries", file,
		    LS_CONTROLS_MAX_TARGETS);
	out->targets = calloc(json_object_size(map) + 1, sizeof(*out->targets));
	if (out->targets == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	for (it = json_object_iter(map); it != NULL;
	     it = json_object_iter_next(map, it)) {
		key = json_object_iter_key(it);
		v = json_object_iter_value(it);
		rc = parse_target(&out->targets[out->ntargets++], key, v, file);
		if (rc < 0)
			return rc;
	}
	qsort(out->targets, out->ntargets, sizeof(*out->targets), cmp_target);
	return 0;
}

/* ---- exceptions ---- */

/* A required non-empty string field of at most LS_CONTROLS_MAX_FIELD. */
static int
get_str(char **dst, json_t *o, const char *field, size_t idx, const char *file)
{
	json_t *v = json_object_get(o, field);
	const char *s;

	if (v == NULL)
		return ls_error_set(LS_EFORMAT,
		    "%s: exceptions[%zu].%s: missing (id, owner, ticket, "
		    "reason, expires and exempts are required)",
		    file, idx, field);
	if (!json_is_string(v) || (s = json_string_value(v))[0] == '\0')
		return ls_error_set(LS_EFORMAT,
		    "%s: exceptions[%zu].%s: must be a non-empty string", file,
		    idx, field);
	if (strlen(s) > LS_CONTROLS_MAX_FIELD)
		return ls_error_set(LS_ETOOBIG,
		    "%s: exceptions[%zu].%s: over %d bytes", file, idx, field,
		    LS_CONTROLS_MAX_FIELD);
	if ((*dst = strdup(s)) == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	return 0;
}

static int
check_keys(json_t *o, const char *const *allowed, const char *where,
    const char *file)
{
	const char *key;
	void *it;
	size_t i;

	for (it = json_object_iter(o); it != NULL;
	     it = json_object_iter_next(o, it)) {
		key = json_object_iter_key(it);
		for (i = 0; allowed[i] != NULL; i++)
			if (strcmp(key, allowed[i]) == 0)
				break;
		if (allowed[i] == NULL)
			return ls_error_set(LS_EFORMAT,
			    "%s: %s: unknown key '%.100s'", file, where, key);
	}
	return 0;
}

static int
parse_expiry(struct ls_exception *e, size_t idx, const char *file)
{
	size_t n = strlen(e->expires_text);

	if (ls_time_parse(&e->expires, e->expires_text, n) < 0)
		return ls_error_set(LS_EFORMAT,
		    "%s: exceptions[%zu].expires: '%.40s' is not YYYY-MM-DD or "
		    "YYYY-MM-DDTHH:MM:SSZ",
		    file, idx, e->expires_text);
	if (n == 10) /* a bare date holds through that whole day */
		e->expires += 86400;
	return 0;
}

static int
parse_exception(struct ls_exception *e, json_t *o, size_t idx, const char *file)
{
	static const char *const keys[] = { "id", "owner", "ticket", "reason",
		"expires", "exempts", NULL };
	char where[64];
	json_t *ex;
	int rc;

	snprintf(where, sizeof(where), "exceptions[%zu]", idx);
	if (!json_is_object(o))
		return ls_error_set(LS_EFORMAT, "%s: %s: must be an object",
		    file, where);
	if ((rc = check_keys(o, keys, where, file)) < 0 ||
	    (rc = get_str(&e->id, o, "id", idx, file)) < 0 ||
	    (rc = get_str(&e->owner, o, "owner", idx, file)) < 0 ||
	    (rc = get_str(&e->ticket, o, "ticket", idx, file)) < 0 ||
	    (rc = get_str(&e->reason, o, "reason", idx, file)) < 0 ||
	    (rc = get_str(&e->expires_text, o, "expires", idx, file)) < 0)
		return rc;
	if (!valid_chars(e->id, strlen(e->id), 0) || strlen(e->id) > 64)
		return ls_error_set(LS_EFORMAT,
		    "%s: %s.id: use 1 to 64 of A-Z a-z 0-9 . _ -", file, where);
	if ((rc = parse_expiry(e, idx, file)) < 0)
		return rc;
	ex = json_object_get(o, "exempts");
	if (!json_is_object(ex) || json_object_size(ex) == 0)
		return ls_error_set(LS_EFORMAT,
		    "%s: %s.exempts: must be a non-empty object saying what is "
		    "exempted",
		    file, where);
	if ((e->exempts_json = json_dumps(ex, JSON_COMPACT | JSON_SORT_KEYS)) ==
	    NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	return 0;
}

static int
parse_exceptions(struct ls_controls *out, json_t *list, const char *file)
{
	json_t *v;
	size_t i, j;
	int rc;

	if (!json_is_array(list))
		return ls_error_set(LS_EFORMAT,
		    "%s: exceptions: must be an array", file);
	if (json_array_size(list) > LS_CONTROLS_MAX_EXCEPTIONS)
		return ls_error_set(LS_ETOOBIG, "%s: exceptions: more than %d",
		    file, LS_CONTROLS_MAX_EXCEPTIONS);
	out->exceptions =
	    calloc(json_array_size(list) + 1, sizeof(*out->exceptions));
	if (out->exceptions == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	for (i = 0; i < json_array_size(list); i++) {
		v = json_array_get(list, i);
		out->nexceptions++;
		if ((rc = parse_exception(&out->exceptions[i], v, i, file)) < 0)
			return rc;
		for (j = 0; j < i; j++)
			if (strcmp(out->exceptions[j].id,
				out->exceptions[i].id) == 0)
				return ls_error_set(LS_ECONFLICT,
				    "%s: exceptions[%zu].id: '%s' used twice",
				    file, i, out->exceptions[i].id);
	}
	return 0;
}

static int
parse_root(struct ls_controls *out, json_t *root, const char *file)
{
	static const char *const keys[] = { "controls", "exceptions", NULL };
	json_t *v;
	int rc;

	if (!json_is_object(root))
		return ls_error_set(LS_EFORMAT, "%s: must be a JSON object",
		    file);
	if ((rc = check_keys(root, keys, "top level", file)) < 0)
		return rc;
	if ((v = json_object_get(root, "controls")) != NULL &&
	    (rc = parse_map(out, v, file)) < 0)
		return rc;
	if ((v = json_object_get(root, "exceptions")) != NULL &&
	    (rc = parse_exceptions(out, v, file)) < 0)
		return rc;
	return 0;
}

int
ls_controls_parse(struct ls_controls *out, const char *json, size_t len,
    const char *file)
{
	json_error_t jerr;
	json_t *root;
	int rc;

	ls_controls_init(out);
	if (len > LS_CONTROLS_MAX)
		return ls_error_set(LS_ETOOBIG, "%s: %zu bytes, limit %d", file,
		    len, LS_CONTROLS_MAX);
	if (jsoncap_depth(json, len) > LS_CONTROLS_MAX_DEPTH)
		return ls_error_set(LS_ETOOBIG,
		    "%s: nested deeper than %d levels", file,
		    LS_CONTROLS_MAX_DEPTH);
	if ((root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr)) ==
	    NULL)
		return ls_error_set(LS_EFORMAT, "%s: line %d column %d: %s",
		    file, jerr.line, jerr.column, jerr.text);
	rc = parse_root(out, root, file);
	json_decref(root);
	if (rc < 0)
		ls_controls_cleanup(out);
	return rc;
}

int
ls_controls_load_dir(struct ls_controls *out, const char *dir)
{
	char path[4096], *data = NULL;
	size_t len = 0;
	int rc, n;

	ls_controls_init(out);
	n = snprintf(path, sizeof(path), "%s/%s", dir, LS_CONTROLS_FILE);
	if (n < 0 || (size_t)n >= sizeof(path))
		return ls_error_set(LS_EINVAL, "%s: path too long", dir);
	rc = ls_file_read(&data, &len, path, LS_CONTROLS_MAX);
	if (rc == LS_ENOTFOUND) {
		ls_error_clear();
		return 0;
	}
	if (rc < 0)
		return rc;
	rc = ls_controls_parse(out, data, len, path);
	free(data);
	return rc;
}

int
ls_controls_from_files(struct ls_controls *out, const struct ls_bundle_files *f)
{
	size_t i;

	ls_controls_init(out);
	for (i = 0; i < f->n; i++)
		if (strcmp(f->v[i].path, LS_CONTROLS_FILE) == 0)
			return ls_controls_parse(out,
			    (const char *)f->v[i].data, f->v[i].len,
			    LS_CONTROLS_FILE);
	return 0;
}

/* ---- queries ---- */

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
ls_controls_list(char ***out, size_t *n, const struct ls_controls *c)
{
	char **v;
	size_t total = 0, i, j, k = 0;

	*out = NULL;
	for (i = 0; i < c->ntargets; i++)
		total += c->targets[i].ncontrols;
	if ((v = calloc(total + 1, sizeof(char *))) == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	for (i = 0; i < c->ntargets; i++)
		for (j = 0; j < c->targets[i].ncontrols; j++)
			v[k++] = c->targets[i].controls[j];
	qsort(v, total, sizeof(char *), cmp_str);
	/* Drop duplicates, then own copies of what is left. */
	for (i = 0, k = 0; i < total; i++)
		if (k == 0 || strcmp(v[k - 1], v[i]) != 0)
			v[k++] = v[i];
	for (i = 0; i < k; i++)
		if ((v[i] = strdup(v[i])) == NULL) {
			v[i] = NULL;
			ls_controls_list_free(v);
			return ls_error_set(LS_ENOMEM, "out of memory");
		}
	v[k] = NULL;
	*out = v;
	if (n != NULL)
		*n = k;
	return 0;
}

void
ls_controls_list_free(char **list)
{
	size_t i;

	if (list == NULL)
		return;
	for (i = 0; list[i] != NULL; i++)
		free(list[i]);
	free(list);
}

int
ls_controls_check_exceptions(const struct ls_controls *c, time_t now)
{
	const struct ls_exception *e;
	char msg[400];
	size_t i, off = 0, bad = 0;
	int w;

	msg[0] = '\0';
	for (i = 0; i < c->nexceptions; i++) {
		e = &c->exceptions[i];
		if (now < e->expires)
			continue;
		/* Truncation is fine: the message is one line anyway. */
		w = snprintf(msg + off, sizeof(msg) - off,
		    "%sexception %s (owner %s, ticket %s) expired %s",
		    bad++ ? "; " : "", e->id, e->owner, e->ticket,
		    e->expires_text);
		if (w > 0)
			off += (size_t)w < sizeof(msg) - off
			    ? (size_t)w
			    : sizeof(msg) - off - 1;
	}
	if (bad == 0)
		return 0;
	return ls_error_set(LS_EEXPIRED, "%zu expired exception%s: %s", bad,
	    bad > 1 ? "s" : "", msg);
}
