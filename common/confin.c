/* confin.c - format detection and dispatch for configuration inputs, and
 * the INI parser (go-ini as Conftest uses it). */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "confin.h"
#include "confin_int.h"
#include "lockstep/error.h"

static const struct {
	const char *name;
	enum ls_confin_fmt fmt;
} formats[] = {
	{ "yaml", LS_CONFIN_YAML },
	{ "json", LS_CONFIN_JSON },
	{ "dockerfile", LS_CONFIN_DOCKERFILE },
	{ "toml", LS_CONFIN_TOML },
	{ "ini", LS_CONFIN_INI },
	{ "hcl2", LS_CONFIN_HCL2 },
};

int
ls_confin_format_parse(enum ls_confin_fmt *out, const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		if (strcasecmp(name, formats[i].name) == 0) {
			*out = formats[i].fmt;
			return 0;
		}
	if (strcasecmp(name, "yml") == 0) {
		*out = LS_CONFIN_YAML;
		return 0;
	}
	return ls_error_set(LS_EINVAL,
	    "unknown parser '%s' (yaml, json, dockerfile, toml, ini)", name);
}

const char *
ls_confin_format_name(enum ls_confin_fmt f)
{
	size_t i;

	for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		if (formats[i].fmt == f)
			return formats[i].name;
	return "auto";
}

int
ls_confin_format_for(enum ls_confin_fmt *out, const char *path)
{
	const char *base = strrchr(path, '/'), *ext;

	base = base ? base + 1 : path;
	ext = strrchr(base, '.');
	ext = ext ? ext + 1 : "";
	if (strcmp(path, "-") == 0)
		*out = LS_CONFIN_YAML;
	else if (strcasecmp(base, "dockerfile") == 0 ||
	    strncasecmp(base, "dockerfile.", 11) == 0 ||
	    strcasecmp(ext, "dockerfile") == 0)
		*out = LS_CONFIN_DOCKERFILE;
	else if (strcasecmp(ext, "yaml") == 0 || strcasecmp(ext, "yml") == 0)
		*out = LS_CONFIN_YAML;
	else if (strcasecmp(ext, "json") == 0)
		*out = LS_CONFIN_JSON;
	else if (strcasecmp(ext, "toml") == 0)
		*out = LS_CONFIN_TOML;
	else if (strcasecmp(ext, "ini") == 0)
		*out = LS_CONFIN_INI;
	else if (strcasecmp(ext, "tf") == 0 || strcasecmp(ext, "hcl") == 0 ||
	    strcasecmp(ext, "tfvars") == 0)
		*out = LS_CONFIN_HCL2;
	else
		return ls_error_set(LS_ENOTFOUND,
		    "%s: no parser for this file name (use --parser)", path);
	return 0;
}

int
ls_confin_parse(const struct ls_val **out, struct ls_arena *a,
    enum ls_confin_fmt fmt, const char *text, size_t len, const char *name)
{
	int rc;

	*out = NULL;
	if (len > LS_CONFIN_MAX_BYTES)
		return ls_error_set(LS_ETOOBIG, "%s: larger than %u bytes",
		    name, LS_CONFIN_MAX_BYTES);
	switch (fmt) {
	case LS_CONFIN_YAML:
		return ls_confin_yaml(out, a, text, len, name);
	case LS_CONFIN_JSON:
		rc = ls_val_from_json(out, a, text, len, LS_CONFIN_MAX_DEPTH);
		return rc == 0 ? 0 : ls_error_wrap(rc, "%s", name);
	case LS_CONFIN_DOCKERFILE:
		return ls_confin_dockerfile(out, a, text, len, name);
	case LS_CONFIN_TOML:
		return ls_confin_toml(out, a, text, len, name);
	case LS_CONFIN_INI:
		return ls_confin_ini(out, a, text, len, name);
	case LS_CONFIN_HCL2:
		return ls_error_set(LS_EINVAL,
		    "%s: HCL2 is not supported: Debian packages no maintained "
		    "C library for it; convert with `terraform show -json` and "
		    "check the plan JSON",
		    name);
	case LS_CONFIN_AUTO:
		break;
	}
	return ls_error_set(LS_EINVAL, "%s: no format given", name);
}

/* ---- INI ------------------------------------------------------------ */

/* One section being filled: keys and values in order; a later key
 * replaces an earlier one (go-ini without shadows). */
struct ini_sec {
	const char *name;
	struct ls_vlist keys, vals;
};

struct ini {
	struct ls_arena *a;
	const char *name;
	struct ini_sec *secs;
	size_t n, cap;
};

static const char *
trim(const char *s, const char *e, const char **end)
{
	while (s < e && isspace((unsigned char)*s))
		s++;
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	*end = e;
	return s;
}

/* Go's strconv.ParseFloat accepts more than JSON numbers; the forms that
 * appear in real INI files are decimal ones, taken exactly here. */
static const struct ls_val *
ini_number(struct ls_arena *a, const char *s, size_t len)
{
	char buf[128];
	char *end;
	double d;

	if (len == 0 || len >= sizeof(buf))
		return NULL;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (!isdigit((unsigned char)buf[buf[0] == '-' || buf[0] == '+']) &&
	    buf[buf[0] == '-' || buf[0] == '+'] != '.')
		return NULL; /* inf, nan, hex: leave as strings */
	errno = 0;
	d = strtod(buf, &end);
	if (*end != '\0' || errno != 0 || !isfinite(d))
		return NULL;
	return ls_val_double(a, d);
}

/* strconv.ParseBool, less "1"/"0" which are numbers first. */
static const struct ls_val *
ini_bool(const char *s, size_t len)
{
	static const char *const t[] = { "t", "T", "TRUE", "true", "True" };
	static const char *const f[] = { "f", "F", "FALSE", "false", "False" };
	size_t i;

	for (i = 0; i < 5; i++) {
		if (strlen(t[i]) == len && memcmp(s, t[i], len) == 0)
			return ls_val_bool(1);
		if (strlen(f[i]) == len && memcmp(s, f[i], len) == 0)
			return ls_val_bool(0);
	}
	return NULL;
}

static const struct ls_val *
ini_value(struct ls_arena *a, const char *s, size_t len)
{
	const struct ls_val *v;

	if (len >= 2 && ((s[0] == '"' && s[len - 1] == '"') ||
			    (s[0] == '`' && s[len - 1] == '`') ||
			    (s[0] == '\'' && s[len - 1] == '\'')))
		return ls_val_string(a, s + 1, len - 2);
	if ((v = ini_number(a, s, len)) != NULL || (v = ini_bool(s, len)))
		return v;
	return ls_val_string(a, s, len);
}

static struct ini_sec *
ini_section(struct ini *in, const char *s, size_t len)
{
	struct ini_sec *sec;
	size_t i;

	for (i = 0; i < in->n; i++)
		if (strlen(in->secs[i].name) == len &&
		    memcmp(in->secs[i].name, s, len) == 0)
			return &in->secs[i];
	if (in->n == in->cap) {
		size_t cap = in->cap ? in->cap * 2 : 8;
		struct ini_sec *v = ls_arena_alloc(in->a, cap * sizeof(*v));

		if (v == NULL)
			return NULL;
		if (in->n)
			memcpy(v, in->secs, in->n * sizeof(*v));
		in->secs = v;
		in->cap = cap;
	}
	sec = &in->secs[in->n];
	sec->name = ls_arena_strndup(in->a, s, len);
	if (sec->name == NULL)
		return NULL;
	ls_vlist_init(&sec->keys, in->a);
	ls_vlist_init(&sec->vals, in->a);
	in->n++;
	return sec;
}

/* A value's inline comment starts at the first '#' or ';' (go-ini's
 * default); quoted values keep theirs. */
static const char *
ini_cut_comment(const char *s, const char *e)
{
	const char *p;

	if (s < e && (*s == '"' || *s == '`' || *s == '\''))
		return e;
	for (p = s; p < e; p++)
		if (*p == '#' || *p == ';')
			return p;
	return e;
}

static int
ini_line(struct ini *in, struct ini_sec **cur, const char *s, const char *e,
    int lineno)
{
	const char *k, *ke, *v, *ve, *sep;

	s = trim(s, e, &e);
	if (s == e || *s == '#' || *s == ';')
		return 0;
	if (*s == '[') {
		if (e[-1] != ']')
			return ls_error_set(LS_EFORMAT,
			    "%s: line %d: unclosed section header", in->name,
			    lineno);
		k = trim(s + 1, e - 1, &ke);
		*cur = ini_section(in, k, (size_t)(ke - k));
		return *cur ? 0 : LS_ENOMEM;
	}
	for (sep = s; sep < e && *sep != '=' && *sep != ':'; sep++)
		;
	k = trim(s, sep, &ke);
	if (k == ke)
		return ls_error_set(LS_EFORMAT, "%s: line %d: key is empty",
		    in->name, lineno);
	v = sep < e ? sep + 1 : e;
	v = trim(v, e, &ve);
	v = trim(v, ini_cut_comment(v, ve), &ve);
	if (*cur == NULL && (*cur = ini_section(in, "DEFAULT", 7)) == NULL)
		return LS_ENOMEM;
	if (confin_push(&(*cur)->keys, ls_val_string(in->a, k,
					     (size_t)(ke - k))) != 0 ||
	    confin_push(&(*cur)->vals,
		ini_value(in->a, v, (size_t)(ve - v))) != 0)
		return LS_ENOMEM;
	return 0;
}

static int
ini_build(const struct ls_val **out, struct ini *in)
{
	struct ls_vlist keys, vals;
	size_t i;

	ls_vlist_init(&keys, in->a);
	ls_vlist_init(&vals, in->a);
	for (i = 0; i < in->n; i++) {
		const struct ini_sec *s = &in->secs[i];

		if (strcmp(s->name, "DEFAULT") == 0)
			continue; /* Conftest leaves the default section out */
		if (confin_push(&keys, ls_val_cstring(in->a, s->name)) != 0 ||
		    confin_push(&vals, ls_val_object_last(in->a, s->keys.v,
					     s->vals.v, s->keys.n)) != 0)
			return LS_ENOMEM;
	}
	*out = ls_val_object_last(in->a, keys.v, vals.v, keys.n);
	return *out ? 0 : LS_ENOMEM;
}

int
ls_confin_ini(const struct ls_val **out, struct ls_arena *a, const char *text,
    size_t len, const char *name)
{
	struct ini in = { a, name, NULL, 0, 0 };
	struct ini_sec *cur = NULL;
	const char *p = text, *end = text + len, *nl;
	int lineno = 0, rc;

	*out = NULL;
	if (memchr(text, '\0', len) != NULL)
		return ls_error_set(LS_EFORMAT, "%s: NUL byte in INI text",
		    name);
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		nl = nl ? nl : end;
		lineno++;
		if ((rc = ini_line(&in, &cur, p, nl, lineno)) != 0)
			return rc == LS_ENOMEM
			    ? ls_error_set(rc, "%s: out of memory", name)
			    : rc;
		p = nl + (nl < end);
	}
	rc = ini_build(out, &in);
	return rc == 0 ? 0 : ls_error_set(rc, "%s: out of memory", name);
}
