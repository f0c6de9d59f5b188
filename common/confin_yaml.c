/*
 * confin_yaml.c - YAML to Rego values through libyaml's event parser,
 * resolving plain scalars as Conftest's parser (sigs.k8s.io/yaml over
 * go-yaml v2) does: YAML 1.1 booleans (yes/no/on/off), base-prefixed and
 * underscored integers, timestamps kept as strings, `<<` merge keys, and
 * a stream of several documents as an array of them.
 *
 * Values are immutable, so an alias shares its anchor's value; what an
 * alias could still blow up is the input as a policy sees it, so every
 * anchor carries its expanded node count and the total is capped
 * (LS_CONFIN_MAX_NODES: no "billion laughs").
 */
#include <ctype.h>
#include <stdio.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "confin.h"
#include "confin_int.h"

struct yanchor {
	const char *name;
	const struct ls_val *v;
	size_t nodes; /* expanded size of v */
};

struct yframe {
	int map;		   /* mapping (else sequence) */
	const char *anchor;	   /* to record at the end, or NULL */
	size_t nodes;		   /* expanded nodes inside, so far */
	struct ls_vlist items;	   /* sequence items / mapping values */
	struct ls_vlist keys;	   /* mapping keys */
	struct ls_vlist merges;	   /* `<<` sources, in order */
	const struct ls_val *key;  /* pending key, NULL when none */
	int merge_key;		   /* the pending key is `<<` */
};

struct ybuild {
	struct ls_arena *a;
	const char *name;
	struct yframe st[LS_CONFIN_MAX_DEPTH + 1];
	int depth;		/* frames in use */
	struct ls_vlist docs;	/* finished documents */
	struct yanchor *anchors;
	size_t nanchors, capanchors;
	size_t nodes; /* expanded nodes in the whole stream */
	const yaml_parser_t *p;
	int first_only; /* stop after the first document */
	int go;		/* messages as go-yaml words them */
};

static int
yerr(struct ybuild *b, int code, const char *what)
{
	if (b->go)
		return ls_error_set(code, "yaml: line %zu: %s",
		    (size_t)b->p->mark.line + 1, what);
	return ls_error_set(code, "%s: line %zu: %s", b->name,
	    (size_t)b->p->mark.line + 1, what);
}

/* A libyaml error as go-yaml v2 (a port of libyaml) reports it: scanner
 * errors name the line after the 0-based mark, parser errors the mark's
 * own number, else the context's; no line when both are 0. */
static int
parse_error(struct ybuild *b, const yaml_parser_t *p)
{
	const char *what = p->problem ? p->problem : "malformed YAML";
	size_t line = 0;

	if (!b->go)
		return ls_error_set(LS_EFORMAT, "%s: line %zu: %s", b->name,
		    (size_t)p->problem_mark.line + 1, what);
	if (p->problem_mark.line != 0)
		line = p->problem_mark.line + (p->error == YAML_SCANNER_ERROR);
	else if (p->context_mark.line != 0)
		line = p->context_mark.line;
	if (line == 0)
		return ls_error_set(LS_EFORMAT, "yaml: %s", what);
	return ls_error_set(LS_EFORMAT, "yaml: line %zu: %s", line, what);
}

static int
add_anchor(struct ybuild *b, const char *name, const struct ls_val *v,
    size_t nodes)
{
	struct yanchor *n;
	size_t cap;

	if (b->nanchors == b->capanchors) {
		cap = b->capanchors ? b->capanchors * 2 : 16;
		n = ls_arena_alloc(b->a, cap * sizeof(*n));
		if (n == NULL)
			return LS_ENOMEM;
		if (b->nanchors)
			memcpy(n, b->anchors, b->nanchors * sizeof(*n));
		b->anchors = n;
		b->capanchors = cap;
	}
	/* a later anchor of the same name hides the earlier one */
	b->anchors[b->nanchors].name = name;
	b->anchors[b->nanchors].v = v;
	b->anchors[b->nanchors].nodes = nodes;
	b->nanchors++;
	return 0;
}

static const struct yanchor *
find_anchor(const struct ybuild *b, const char *name)
{
	size_t i;

	for (i = b->nanchors; i-- > 0;)
		if (strcmp(b->anchors[i].name, name) == 0)
			return &b->anchors[i];
	return NULL;
}

/* ---- scalars ------------------------------------------------------- */

static int
is_one_of(const char *s, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strcmp(s, *list) == 0)
			return 1;
	return 0;
}

static const char *const y_null[] = { "", "~", "null", "Null", "NULL", NULL };
static const char *const y_true[] = { "y", "Y", "yes", "Yes", "YES", "true",
	"True", "TRUE", "on", "On", "ON", NULL };
static const char *const y_false[] = { "n", "N", "no", "No", "NO", "false",
	"False", "FALSE", "off", "Off", "OFF", NULL };

/* An integer as strconv.ParseInt(s without '_', 0, 64) reads it; then
 * ParseUint; NULL when neither takes it. */
static const struct ls_val *
y_int(struct ls_arena *a, const char *s)
{
	char buf[80], *end;
	size_t i, n = 0;
	int base = 10, neg = 0;
	const char *p = s;
	unsigned long long u;

	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		base = 16, p += 2;
	else if (p[0] == '0' && (p[1] == 'b' || p[1] == 'B'))
		base = 2, p += 2;
	else if (p[0] == '0' && (p[1] == 'o' || p[1] == 'O'))
		base = 8, p += 2;
	else if (p[0] == '0' && p[1] != '\0')
		base = 8, p += 1;
	if (*p == '\0' || *p == '_')
		return NULL;
	for (i = 0; p[i] != '\0'; i++) {
		if (p[i] == '_')
			continue;
		if (n + 1 >= sizeof(buf) || !isxdigit((unsigned char)p[i]))
			return NULL;
		buf[n++] = p[i];
	}
	buf[n] = '\0';
	errno = 0;
	u = strtoull(buf, &end, base);
	if (*end != '\0' || errno != 0)
		return NULL;
	if (!neg && u <= INT64_MAX)
		return ls_val_int(a, (int64_t)u);
	if (neg && u <= (unsigned long long)INT64_MAX + 1)
		return ls_val_int(a, u == (unsigned long long)INT64_MAX + 1
			? INT64_MIN
			: -(int64_t)u);
	if (!neg) {
		n = (size_t)snprintf(buf, sizeof(buf), "%llu", u);
		return ls_val_number_text(a, buf, n);
	}
	return NULL;
}

/* go-yaml v2's float form: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? */
static int
y_float_form(const char *s)
{
	const char *p = s;
	int digits = 0;

	if (*p == '-' || *p == '+')
		p++;
	while (isdigit((unsigned char)*p))
		p++, digits++;
	if (*p == '.') {
		p++;
		if (!digits && !isdigit((unsigned char)*p))
			return 0;
		while (isdigit((unsigned char)*p))
			p++, digits++;
	}
	if (!digits)
		return 0;
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '-' || *p == '+')
			p++;
		if (!isdigit((unsigned char)*p))
			return 0;
		while (isdigit((unsigned char)*p))
			p++;
	}
	return *p == '\0';
}

static const struct ls_val *
y_float(struct ls_arena *a, const char *s)
{
	char buf[128];
	size_t i, n = 0;
	double d;

	for (i = 0; s[i] != '\0'; i++)
		if (s[i] != '_') {
			if (n + 1 >= sizeof(buf))
				return NULL;
			buf[n++] = s[i];
		}
	buf[n] = '\0';
	if (!y_float_form(buf))
		return NULL;
	d = strtod(buf, NULL);
	return isfinite(d) ? ls_val_double(a, d) : NULL;
}

enum ytag { T_NONE, T_STR, T_INT, T_FLOAT, T_BOOL, T_NULL, T_OTHER };

static enum ytag
tag_kind(const char *tag)
{
	static const char pre[] = "tag:yaml.org,2002:";

	if (tag == NULL)
		return T_NONE;
	if (strncmp(tag, pre, sizeof(pre) - 1) != 0)
		return strcmp(tag, "!") == 0 ? T_STR : T_OTHER;
	tag += sizeof(pre) - 1;
	if (strcmp(tag, "int") == 0)
		return T_INT;
	if (strcmp(tag, "float") == 0)
		return T_FLOAT;
	if (strcmp(tag, "bool") == 0)
		return T_BOOL;
	if (strcmp(tag, "null") == 0)
		return T_NULL;
	return T_STR; /* str, binary, timestamp: their text */
}

/* Resolve a scalar.  Quoted and custom-tagged scalars are strings, as
 * go-yaml leaves an unknown tag's value as its text. */
static const struct ls_val *
scalar_value(struct ls_arena *a, const char *s, size_t len, int plain,
    const char *tag)
{
	enum ytag t = tag_kind(tag);
	const struct ls_val *v = NULL;

	if (t == T_STR || t == T_OTHER || (!plain && t == T_NONE))
		return ls_val_string(a, s, len);
	if (strlen(s) != len) /* a NUL inside: text only */
		return ls_val_string(a, s, len);
	if ((t == T_NONE || t == T_NULL) && is_one_of(s, y_null))
		return ls_val_null();
	if (t == T_NONE || t == T_BOOL) {
		if (is_one_of(s, y_true))
			return ls_val_bool(1);
		if (is_one_of(s, y_false))
			return ls_val_bool(0);
	}
	if ((t == T_NONE || t == T_INT || t == T_FLOAT) && len > 0 &&
	    (isdigit((unsigned char)s[0]) || strchr("+-.", s[0]) != NULL)) {
		if (t != T_FLOAT && (v = y_int(a, s)) != NULL)
			return v;
		if ((v = y_float(a, s)) != NULL)
			return v;
	}
	return ls_val_string(a, s, len);
}

/* A mapping key as sigs.k8s.io/yaml writes it into JSON: strings as they
 * are, other scalars as their text. */
static const struct ls_val *
key_value(struct ybuild *b, const struct ls_val *k)
{
	struct ls_buf t;
	const struct ls_val *s;

	if (k->type == LS_VAL_STRING)
		return k;
	if (k->type == LS_VAL_ARRAY || k->type == LS_VAL_OBJECT ||
	    k->type == LS_VAL_SET)
		return NULL;
	ls_buf_init(&t, 4096);
	if (ls_val_to_json(&t, k) != 0) {
		ls_buf_cleanup(&t);
		return NULL;
	}
	s = ls_val_string(b->a, t.data, t.len);
	ls_buf_cleanup(&t);
	return s;
}

/* ---- building ------------------------------------------------------ */

/* Hand a finished value to the frame below (or the document list). */
static int
deliver(struct ybuild *b, const struct ls_val *v, size_t nodes, int merge_ok)
{
	struct yframe *f;

	if (v == NULL)
		return LS_ENOMEM;
	if (b->depth == 0)
		return confin_push(&b->docs, v);
	f = &b->st[b->depth - 1];
	f->nodes += nodes;
	if (!f->map)
		return confin_push(&f->items, v);
	if (f->key == NULL) {
		if ((f->key = key_value(b, v)) == NULL)
			return yerr(b, LS_EFORMAT,
			    "a mapping key must be a scalar");
		return 0;
	}
	if (f->merge_key && merge_ok) {
		f->key = NULL;
		f->merge_key = 0;
		if (v->type == LS_VAL_OBJECT)
			return confin_push(&f->merges, v);
		if (v->type == LS_VAL_ARRAY) {
			size_t i;
			int rc = 0;

			for (i = 0; i < v->u.arr.n && rc == 0; i++)
				rc = v->u.arr.v[i]->type == LS_VAL_OBJECT
				    ? confin_push(&f->merges, v->u.arr.v[i])
				    : yerr(b, LS_EFORMAT,
					  "<< takes mappings only");
			return rc;
		}
		return yerr(b, LS_EFORMAT, "<< takes mappings only");
	}
	if (confin_push(&f->keys, f->key) != 0 ||
	    confin_push(&f->items, v) != 0)
		return LS_ENOMEM;
	f->key = NULL;
	f->merge_key = 0;
	return 0;
}

/* Explicit keys win over merged ones, and earlier merge sources over
 * later ones; ls_val_object_last keeps the last of duplicates, so the
 * pairs go in from the weakest to the strongest. */
static const struct ls_val *
build_map(struct ybuild *b, struct yframe *f)
{
	struct ls_vlist k, v;
	size_t i, j;

	if (f->merges.n == 0)
		return ls_val_object_last(b->a, f->keys.v, f->items.v,
		    f->keys.n);
	ls_vlist_init(&k, b->a);
	ls_vlist_init(&v, b->a);
	for (i = f->merges.n; i-- > 0;) {
		const struct ls_val *m = f->merges.v[i];

		for (j = 0; j < m->u.obj.n; j++)
			if (confin_push(&k, m->u.obj.k[j]) != 0 ||
			    confin_push(&v, m->u.obj.v[j]) != 0)
				return NULL;
	}
	for (i = 0; i < f->keys.n; i++)
		if (confin_push(&k, f->keys.v[i]) != 0 ||
		    confin_push(&v, f->items.v[i]) != 0)
			return NULL;
	return ls_val_object_last(b->a, k.v, v.v, k.n);
}

static int
open_frame(struct ybuild *b, int map, const yaml_char_t *anchor)
{
	struct yframe *f;

	if (b->depth >= LS_CONFIN_MAX_DEPTH)
		return yerr(b, LS_ETOOBIG, "nested too deeply");
	f = &b->st[b->depth++];
	memset(f, 0, sizeof(*f));
	f->map = map;
	ls_vlist_init(&f->items, b->a);
	ls_vlist_init(&f->keys, b->a);
	ls_vlist_init(&f->merges, b->a);
	if (anchor != NULL && (f->anchor = ls_arena_strndup(b->a,
				   (const char *)anchor,
				   strlen((const char *)anchor))) == NULL)
		return LS_ENOMEM;
	return 0;
}

static int
close_frame(struct ybuild *b)
{
	struct yframe *f = &b->st[b->depth - 1];
	const struct ls_val *v;
	size_t nodes = f->nodes + 1;
	int rc;

	if (f->map && f->key != NULL)
		return yerr(b, LS_EFORMAT, "mapping key without a value");
	v = f->map ? build_map(b, f)
		   : ls_val_array(b->a, f->items.v, f->items.n);
	if (v == NULL)
		return LS_ENOMEM;
	if (f->anchor != NULL &&
	    (rc = add_anchor(b, f->anchor, v, nodes)) != 0)
		return rc;
	b->depth--;
	return deliver(b, v, nodes, 1);
}

static int
on_scalar(struct ybuild *b, const yaml_event_t *e)
{
	const char *s = (const char *)e->data.scalar.value;
	size_t len = e->data.scalar.length;
	int plain = e->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	const struct ls_val *v;
	struct yframe *f = b->depth ? &b->st[b->depth - 1] : NULL;
	int rc;

	v = scalar_value(b->a, s, len, plain, (const char *)e->data.scalar.tag);
	if (v == NULL)
		return LS_ENOMEM;
	if (f != NULL && f->map && f->key == NULL && plain &&
	    e->data.scalar.tag == NULL && len == 2 && memcmp(s, "<<", 2) == 0)
		f->merge_key = 1;
	if (e->data.scalar.anchor != NULL &&
	    (rc = add_anchor(b,
		 ls_arena_strndup(b->a, (const char *)e->data.scalar.anchor,
		     strlen((const char *)e->data.scalar.anchor)),
		 v, 1)) != 0)
		return rc;
	b->nodes++;
	return deliver(b, v, 1, 0);
}

static int
on_alias(struct ybuild *b, const yaml_event_t *e)
{
	const struct yanchor *an =
	    find_anchor(b, (const char *)e->data.alias.anchor);

	if (an == NULL && b->go)
		return ls_error_set(LS_EFORMAT,
		    "yaml: unknown anchor '%s' referenced",
		    (const char *)e->data.alias.anchor);
	if (an == NULL)
		return yerr(b, LS_EFORMAT, "alias to an unknown anchor");
	if (an->nodes > LS_CONFIN_MAX_NODES - b->nodes)
		return yerr(b, LS_ETOOBIG,
		    "aliases expand past the node cap");
	b->nodes += an->nodes;
	return deliver(b, an->v, an->nodes, 1);
}

static int
on_event(struct ybuild *b, const yaml_event_t *e)
{
	switch (e->type) {
	case YAML_SCALAR_EVENT:
		if (b->nodes >= LS_CONFIN_MAX_NODES)
			return yerr(b, LS_ETOOBIG, "too many nodes");
		return on_scalar(b, e);
	case YAML_ALIAS_EVENT:
		return on_alias(b, e);
	case YAML_SEQUENCE_START_EVENT:
		b->nodes++;
		return open_frame(b, 0, e->data.sequence_start.anchor);
	case YAML_MAPPING_START_EVENT:
		b->nodes++;
		return open_frame(b, 1, e->data.mapping_start.anchor);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		return close_frame(b);
	case YAML_DOCUMENT_START_EVENT:
		b->nanchors = 0; /* anchors do not cross documents */
		return 0;
	default:
		return 0;
	}
}

static int
parse_stream(struct ybuild *b, const char *text, size_t len)
{
	yaml_parser_t p;
	yaml_event_t e;
	int rc = 0, done = 0;

	b->p = &p;
	ls_vlist_init(&b->docs, b->a);
	if (!yaml_parser_initialize(&p))
		return ls_error_set(LS_ENOMEM, "%s: out of memory", b->name);
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	while (!done && rc == 0) {
		if (!yaml_parser_parse(&p, &e)) {
			rc = parse_error(b, &p);
			break;
		}
		done = e.type == YAML_STREAM_END_EVENT ||
		    (b->first_only && e.type == YAML_DOCUMENT_END_EVENT);
		rc = on_event(b, &e);
		yaml_event_delete(&e);
	}
	if (rc == LS_ENOMEM)
		rc = ls_error_set(rc, "%s: out of memory (or over the "
				      "input memory cap)",
		    b->name);
	yaml_parser_delete(&p);
	return rc;
}

int
ls_confin_yaml(const struct ls_val **out, struct ls_arena *a,
    const char *text, size_t len, const char *name)
{
	struct ybuild *b = calloc(1, sizeof(*b));
	int rc;

	*out = NULL;
	if (b == NULL)
		return ls_error_set(LS_ENOMEM, "%s: out of memory", name);
	b->a = a;
	b->name = name;
	rc = parse_stream(b, text, len);
	if (rc == 0)
		*out = b->docs.n == 0 ? ls_val_null()
		    : b->docs.n == 1  ? b->docs.v[0]
				      : ls_val_array(a, b->docs.v, b->docs.n);
	if (rc == 0 && *out == NULL)
		rc = ls_error_set(LS_ENOMEM, "%s: out of memory", name);
	free(b);
	return rc;
}

/* go-yaml's reading: the first document (null when none) in *out, the
 * number of documents read in *ndocs. */
static int
go_parse(const struct ls_val **out, size_t *ndocs, struct ls_arena *a,
    const char *text, size_t len, int first_only)
{
	struct ybuild *b = calloc(1, sizeof(*b));
	int rc;

	*out = NULL;
	if (b == NULL)
		return ls_error_set(LS_ENOMEM, "yaml: out of memory");
	b->a = a;
	b->name = "yaml";
	b->first_only = first_only;
	b->go = 1;
	rc = parse_stream(b, text, len);
	if (rc == 0) {
		*out = b->docs.n == 0 ? ls_val_null() : b->docs.v[0];
		*ndocs = b->docs.n;
	}
	free(b);
	return rc;
}

int
ls_confin_yaml_first(const struct ls_val **out, struct ls_arena *a,
    const char *text, size_t len)
{
	size_t n;

	return go_parse(out, &n, a, text, len, 1);
}

const struct ls_val *
ls_confin_yaml_plain(struct ls_arena *a, const char *s, size_t len)
{
	return scalar_value(a, s, len, 1, NULL);
}
