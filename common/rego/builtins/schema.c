/*
 * schema.c - json.match_schema and json.verify_schema: JSON Schema
 * (drafts 4 to 7) validation with the error objects OPA builds from
 * gojsonschema: {"error", "type", "field", "desc"} with gojsonschema's
 * wording and its order of checks.  $ref may point into the schema
 * itself ("#", "#/definitions/x", any JSON pointer); remote references
 * are refused, so validation never touches the network.  Depth and work
 * are capped.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lockstep/error.h"
#include "rego/builtins/internal.h"
#include "rego/builtins/lib.h"

#define SCHEMA_MAX_DEPTH 128
#define SCHEMA_MAX_STEPS 2000000L
#define SCHEMA_PATH_MAX 1024

struct sv {
	struct ls_bi_ctx *ctx;
	const struct ls_val *root;
	struct ls_vlist errors; /* error objects */
	long steps;
	int fatal; /* schema problem: message in ctx->msg */
};

static const struct ls_val *
get(const struct ls_val *s, const char *key)
{
	return s->type == LS_VAL_OBJECT
	    ? ls_val_object_gets(s, key, strlen(key))
	    : NULL;
}

static int add_error(struct sv *v, const char *path, const char *type,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* The document's root as OPA 1.x names it in paths and fields. */
#define ROOT "(Root)"

/* One gojsonschema error: field is the path without "(Root)."; error is
 * "field: desc". */
static int
add_error(struct sv *v, const char *path, const char *type, const char *fmt,
    ...)
{
	char desc[512], err[1200];
	const char *field = strncmp(path, ROOT ".", sizeof(ROOT)) == 0
	    ? path + sizeof(ROOT)
	    : path;
	const struct ls_val *k[4], *val[4], *o;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(desc, sizeof desc, fmt, ap);
	va_end(ap);
	snprintf(err, sizeof err, "%s: %s", field, desc);
	k[0] = ls_val_cstring(v->ctx->arena, "desc");
	val[0] = ls_val_cstring(v->ctx->arena, desc);
	k[1] = ls_val_cstring(v->ctx->arena, "error");
	val[1] = ls_val_cstring(v->ctx->arena, err);
	k[2] = ls_val_cstring(v->ctx->arena, "field");
	val[2] = ls_val_cstring(v->ctx->arena, field);
	k[3] = ls_val_cstring(v->ctx->arena, "type");
	val[3] = ls_val_cstring(v->ctx->arena, type);
	if ((o = ls_val_object(v->ctx->arena, k, val, 4, NULL)) == NULL ||
	    ls_vlist_push(&v->errors, o) != 0)
		return -1;
	return 0;
}

static int
fatal(struct sv *v, const char *msg, const char *arg)
{
	snprintf(v->ctx->msg, sizeof v->ctx->msg, "%s: %s%s", v->ctx->name, msg,
	    arg);
	v->fatal = 1;
	return -1;
}

/* gojsonschema's type of a JSON value. */
static const char *
json_type(const struct ls_val *x)
{
	switch (x->type) {
	case LS_VAL_NULL: return "null";
	case LS_VAL_BOOL: return "boolean";
	case LS_VAL_NUMBER:
		return ls_num_is_int(&x->u.num) ? "integer" : "number";
	case LS_VAL_STRING: return "string";
	case LS_VAL_ARRAY:
	case LS_VAL_SET: return "array";
	default: return "object";
	}
}

static int
valid_type_name(const struct ls_val *t)
{
	static const char *const names[] = { "array", "boolean", "integer",
		"number", "null", "object", "string", NULL };
	int i;

	for (i = 0; names[i] != NULL; i++)
		if (ls_val_is_string(t, names[i]))
			return 1;
	return 0;
}

/* Does the "type" keyword admit x?  *expected gets its text. */
static int
type_ok(struct sv *v, const struct ls_val *t, const struct ls_val *x,
    char *expected, size_t elen)
{
	const char *have = json_type(x);
	const struct ls_val *const *el = &t;
	size_t n = 1, i, off = 0;
	int ok = 0;

	if (t->type == LS_VAL_ARRAY)
		el = bi_elems(t, &n);
	if (n > 1)
		off += (size_t)snprintf(expected, elen, "[");
	for (i = 0; i < n; i++) {
		if (el[i]->type != LS_VAL_STRING || !valid_type_name(el[i])) {
			struct ls_buf b;
			ls_buf_init(&b, 256);
			if (el[i]->type == LS_VAL_STRING)
				ls_buf_add(&b, el[i]->u.str.p,
				    el[i]->u.str.len);
			fatal(v,
			    "has a primitive type that is NOT VALID -- "
			    "given: /",
			    b.data ? b.data : "");
			snprintf(v->ctx->msg + strlen(v->ctx->msg),
			    sizeof v->ctx->msg - strlen(v->ctx->msg),
			    "/ Expected valid values are:[array boolean integer "
			    "number null object string]");
			ls_buf_cleanup(&b);
			return -1;
		}
		if (off < elen)
			off += (size_t)snprintf(expected + off, elen - off,
			    "%s%s", i > 0 ? "," : "", el[i]->u.str.p);
		if (ls_val_is_string(el[i], have) ||
		    (strcmp(have, "integer") == 0 &&
			ls_val_is_string(el[i], "number")))
			ok = 1;
	}
	if (n > 1 && off < elen)
		snprintf(expected + off, elen - off, "]");
	return ok;
}

static int validate(struct sv *v, const struct ls_val *s,
    const struct ls_val *x, const char *path, int depth);

/* Run s on x into a scratch error list; returns its error count. */
static int
try_schema(struct sv *v, const struct ls_val *s, const struct ls_val *x,
    const char *path, int depth, struct ls_vlist *errs)
{
	struct ls_vlist saved = v->errors;
	int rc;

	ls_vlist_init(&v->errors, v->ctx->arena);
	rc = validate(v, s, x, path, depth);
	*errs = v->errors;
	v->errors = saved;
	return rc < 0 ? -1 : (int)errs->n;
}

static int
merge(struct sv *v, const struct ls_vlist *errs)
{
	size_t i;

	for (i = 0; i < errs->n; i++)
		if (ls_vlist_push(&v->errors, errs->v[i]) != 0)
			return -1;
	return 0;
}

/* anyOf, oneOf, allOf, not, if/then/else, dependencies. */
static int
combinators(struct sv *v, const struct ls_val *s, const struct ls_val *x,
    const char *path, int depth)
{
	const struct ls_val *k, *const *el;
	struct ls_vlist errs, best;
	size_t n, i;
	int e, passed = 0, best_n = -1;

	ls_vlist_init(&best, v->ctx->arena);

	if ((k = get(s, "anyOf")) != NULL && k->type == LS_VAL_ARRAY) {
		el = bi_elems(k, &n);
		for (i = 0; i < n && !passed; i++) {
			if ((e = try_schema(v, el[i], x, path, depth, &errs)) <
			    0)
				return -1;
			if (e == 0)
				passed = 1;
			else if (best_n < 0 || e < best_n)
				best_n = e, best = errs;
		}
		if (!passed &&
		    (add_error(v, path, "number_any_of",
			 "Must "
			 "validate at least one schema (anyOf)") != 0 ||
			(best_n > 0 && merge(v, &best) != 0)))
			return -1;
	}
	if ((k = get(s, "oneOf")) != NULL && k->type == LS_VAL_ARRAY) {
		el = bi_elems(k, &n);
		best_n = -1;
		for (i = 0, passed = 0; i < n; i++) {
			if ((e = try_schema(v, el[i], x, path, depth, &errs)) <
			    0)
				return -1;
			if (e == 0)
				passed++;
			else if (best_n < 0 || e < best_n)
				best_n = e, best = errs;
		}
		if (passed != 1 &&
		    (add_error(v, path, "number_one_of",
			 "Must "
			 "validate one and only one schema (oneOf)") != 0 ||
			(passed == 0 && best_n > 0 && merge(v, &best) != 0)))
			return -1;
	}
	if ((k = get(s, "allOf")) != NULL && k->type == LS_VAL_ARRAY) {
		el = bi_elems(k, &n);
		for (i = 0, passed = 1; i < n; i++) {
			if ((e = try_schema(v, el[i], x, path, depth, &errs)) <
			    0)
				return -1;
			if (e > 0 && (merge(v, &errs) != 0))
				return -1;
			passed &= e == 0;
		}
		if (!passed &&
		    add_error(v, path, "number_all_of",
			"Must "
			"validate all the schemas (allOf)") != 0)
			return -1;
	}
	if ((k = get(s, "not")) != NULL) {
		if ((e = try_schema(v, k, x, path, depth, &errs)) < 0)
			return -1;
		if (e == 0 &&
		    add_error(v, path, "number_not",
			"Must not "
			"validate the schema (not)") != 0)
			return -1;
	}
	if ((k = get(s, "if")) != NULL) {
		const struct ls_val *br;
		int then;
		if ((e = try_schema(v, k, x, path, depth, &errs)) < 0)
			return -1;
		then = e == 0;
		if ((br = get(s, then ? "then" : "else")) == NULL)
			return 0;
		if ((e = try_schema(v, br, x, path, depth, &best)) < 0)
			return -1;
		if (e > 0 &&
		    (add_error(v, path,
			 then ? "condition_then" : "condition_else",
			 then ? "Must validate \"then\" as \"if\" "
				"was valid"
			      : "Must validate \"else\" as \"if\" was not "
				"valid") != 0 ||
			merge(v, &best) != 0))
			return -1;
	}
	return 0;
}

/* enum and const, with the allowed values as JSON. */
static int
common(struct sv *v, const struct ls_val *s, const struct ls_val *x,
    const char *path)
{
	const struct ls_val *k, *const *el;
	const char *field = strncmp(path, ROOT ".", sizeof(ROOT)) == 0
	    ? path + sizeof(ROOT)
	    : path;
	struct ls_buf b;
	size_t n, i;
	int found = 0, rc = 0;

	if ((k = get(s, "const")) != NULL && !ls_val_equal(k, x)) {
		ls_buf_init(&b, 400);
		ls_val_to_json(&b, k);
		rc = add_error(v, path, "const", "%s does not match: %s", field,
		    b.data ? b.data : "");
		ls_buf_cleanup(&b);
		if (rc != 0)
			return rc;
	}
	if ((k = get(s, "enum")) != NULL && k->type == LS_VAL_ARRAY) {
		el = bi_elems(k, &n);
		for (i = 0; i < n && !found; i++)
			found = ls_val_equal(el[i], x);
		if (!found) {
			ls_buf_init(&b, 400);
			for (i = 0; i < n; i++) {
				if (i > 0)
					ls_buf_adds(&b, ", ");
				ls_val_to_json(&b, el[i]);
			}
			rc = add_error(v, path, "enum",
			    "%s must be one of the "
			    "following: %s",
			    field, b.data ? b.data : "");
			ls_buf_cleanup(&b);
		}
	}
	return rc;
}

static int
num_kw(const struct ls_val *s, const char *key, double *out)
{
	const struct ls_val *k = get(s, key);

	if (k == NULL || k->type != LS_VAL_NUMBER)
		return 0;
	*out = ls_num_to_double(&k->u.num);
	return 1;
}

static void
num_text(char out[48], double d)
{
	bi_fmt_go_float(out, d, 0);
}

static int
numbers(struct sv *v, const struct ls_val *s, const struct ls_val *x,
    const char *path)
{
	const struct ls_val *ex;
	double d = ls_num_to_double(&x->u.num), lim, q;
	char t[48];

	if (num_kw(s, "multipleOf", &lim) && lim > 0) {
		q = d / lim;
		if (q != (double)(long long)q) {
			num_text(t, lim);
			if (add_error(v, path, "multiple_of",
				"Must be a multiple "
				"of %s",
				t) != 0)
				return -1;
		}
	}
	if (num_kw(s, "maximum", &lim)) {
		ex = get(s, "exclusiveMaximum");
		num_text(t, lim);
		if (ex != NULL && ex->type == LS_VAL_BOOL && ex->u.b
			? d >= lim
			: d > lim) {
			if (add_error(v, path,
				ex != NULL && ex->type == LS_VAL_BOOL && ex->u.b
				    ? "number_lt"
				    : "number_lte",
				ex != NULL && ex->type == LS_VAL_BOOL && ex->u.b
				    ? "Must be less than %s"
				    : "Must be less than or equal to %s",
				t) != 0)
				return -1;
		}
	}
	if (num_kw(s, "exclusiveMaximum", &lim) && d >= lim) {
		num_text(t, lim);
		if (add_error(v, path, "number_lt", "Must be less than %s", t))
			return -1;
	}
	if (num_kw(s, "minimum", &lim)) {
		ex = get(s, "exclusiveMinimum");
		num_text(t, lim);
		if (ex != NULL && ex->type == LS_VAL_BOOL && ex->u.b
			? d <= lim
			: d < lim) {
			if (add_error(v, path,
				ex != NULL && ex->type == LS_VAL_BOOL && ex->u.b
				    ? "number_gt"
				    : "number_gte",
				ex != NULL && ex->type == LS_VAL_BOOL && ex->u.b
				    ? "Must be greater than %s"
				    : "Must be greater than or equal to %s",
				t) != 0)
				return -1;
		}
	}
	if (num_kw(s, "exclusiveMinimum", &lim) && d <= lim) {
		num_text(t, lim);
		if (add_error(v, path, "number_gt", "Must be greater than %s",
			t))
			return -1;
	}
	return 0;
}

static int
strings(struct sv *v, const struct ls_val *s, const struct ls_val *x,
    const char *path)
{
	size_t runes = bi_utf8_count(x->u.str.p, x->u.str.len);
	const struct ls_val *k;
	double lim;
	char t[48];
	int rc;

	if (num_kw(s, "minLength", &lim) && (double)runes < lim) {
		num_text(t, lim);
		if (add_error(v, path, "string_gte",
			"String length must be "
			"greater than or equal to %s",
			t) != 0)
			return -1;
	}
	if (num_kw(s, "maxLength", &lim) && (double)runes > lim) {
		num_text(t, lim);
		if (add_error(v, path, "string_lte",
			"String length must be "
			"less than or equal to %s",
			t) != 0)
			return -1;
	}
	if ((k = get(s, "pattern")) != NULL && k->type == LS_VAL_STRING) {
		struct bi_regex *re = NULL;
		if (bi_regex_get(&re, k->u.str.p, k->u.str.len) != 0)
			return fatal(v, "invalid pattern: ", k->u.str.p);
		rc = bi_regex_match(re, x->u.str.p, x->u.str.len);
		bi_regex_release(re);
		if (rc < 0)
			return fatal(v, "pattern match failed: ", k->u.str.p);
		if (rc == 0 &&
		    add_error(v, path, "pattern",
			"Does not match "
			"pattern '%s'",
			k->u.str.p) != 0)
			return -1;
	}
	return 0;
}

static int
sub_path(char *out, size_t cap, const char *path, const char *key, size_t klen)
{
	int n = snprintf(out, cap, "%s.%.*s", path, (int)klen, key);

	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

static int
arrays(struct sv *v, const struct ls_val *s, const struct ls_val *x,
    const char *path, int depth)
{
	const struct ls_val *items = get(s, "items"), *add, *con;
	const struct ls_val *const *el;
	char sub[SCHEMA_PATH_MAX], idx[24], t[48];
	size_t n, i, j;
	double lim;

	el = bi_elems(x, &n);
	for (i = 0; items != NULL && i < n; i++) {
		const struct ls_val *is = items;
		if (items->type == LS_VAL_ARRAY) {
			if (i >= items->u.arr.n) {
				add = get(s, "additionalItems");
				if (add != NULL && add->type == LS_VAL_BOOL &&
				    !add->u.b) {
					if (add_error(v, path,
						"array_no_additional_items",
						"No "
						"additional items allowed on array"))
						return -1;
					break;
				}
				if (add == NULL || add->type != LS_VAL_OBJECT)
					break;
				is = add;
			} else {
				is = items->u.arr.v[i];
			}
		}
		snprintf(idx, sizeof idx, "%zu", i);
		if (sub_path(sub, sizeof sub, path, idx, strlen(idx)) != 0 ||
		    validate(v, is, el[i], sub, depth + 1) != 0)
			return -1;
	}
	if (num_kw(s, "minItems", &lim) && (double)n < lim) {
		num_text(t, lim);
		if (add_error(v, path, "array_min_items",
			"Array must have at "
			"least %s items",
			t))
			return -1;
	}
	if (num_kw(s, "maxItems", &lim) && (double)n > lim) {
		num_text(t, lim);
		if (add_error(v, path, "array_max_items",
			"Array must have at "
			"most %s items",
			t))
			return -1;
	}
	if ((add = get(s, "uniqueItems")) != NULL && add->type == LS_VAL_BOOL &&
	    add->u.b) {
		for (i = 0; i < n; i++)
			for (j = i + 1; j < n; j++)
				if (ls_val_equal(el[i], el[j]) &&
				    add_error(v, path, "unique",
					"array items[%zu,%zu] must "
					"be unique",
					i, j))
					return -1;
	}
	if ((con = get(s, "contains")) != NULL) {
		struct ls_vlist errs;
		int any = 0, e;
		for (i = 0; i < n && !any; i++) {
			if ((e = try_schema(v, con, el[i], path, depth + 1,
				 &errs)) < 0)
				return -1;
			any = e == 0;
		}
		if (!any &&
		    add_error(v, path, "contains",
			"At least one of the "
			"items must match"))
			return -1;
	}
	return 0;
}

static int
pattern_match(struct sv *v, const struct ls_val *pat, const struct ls_val *k,
    int *out)
{
	struct bi_regex *re = NULL;
	int rc;

	if (k->type != LS_VAL_STRING || pat->type != LS_VAL_STRING)
		return *out = 0, 0;
	if (bi_regex_get(&re, pat->u.str.p, pat->u.str.len) != 0)
		return fatal(v, "invalid pattern: ", pat->u.str.p);
	rc = bi_regex_match(re, k->u.str.p, k->u.str.len);
	bi_regex_release(re);
	if (rc < 0)
		return fatal(v, "pattern match failed: ", pat->u.str.p);
	*out = rc;
	return 0;
}

static int
objects(struct sv *v, const struct ls_val *s, const struct ls_val *x,
    const char *path, int depth)
{
	const struct ls_val *req = get(s, "required"), *props, *pp, *add;
	const struct ls_val *const *el;
	char sub[SCHEMA_PATH_MAX], t[48];
	size_t n, i, j;
	double lim;
	int m;

	if (num_kw(s, "maxProperties", &lim) && (double)x->u.obj.n > lim) {
		num_text(t, lim);
		if (add_error(v, path, "array_max_properties",
			"Must have at "
			"most %s properties",
			t))
			return -1;
	}
	if (num_kw(s, "minProperties", &lim) && (double)x->u.obj.n < lim) {
		num_text(t, lim);
		if (add_error(v, path, "array_min_properties",
			"Must have at "
			"least %s properties",
			t))
			return -1;
	}
	if (req != NULL && req->type == LS_VAL_ARRAY) {
		el = bi_elems(req, &n);
		for (i = 0; i < n; i++)
			if (el[i]->type == LS_VAL_STRING &&
			    ls_val_object_get(x, el[i]) == NULL &&
			    add_error(v, path, "required", "%s is required",
				el[i]->u.str.p))
				return -1;
	}
	props = get(s, "properties");
	pp = get(s, "patternProperties");
	add = get(s, "additionalProperties");
	for (i = 0; i < x->u.obj.n; i++) {
		const struct ls_val *k = x->u.obj.k[i];
		int matched = 0;

		if (k->type != LS_VAL_STRING)
			continue;
		if (props != NULL && get(props, k->u.str.p) != NULL)
			matched = 1;
		for (j = 0;
		     pp != NULL && pp->type == LS_VAL_OBJECT && j < pp->u.obj.n;
		     j++) {
			if (pattern_match(v, pp->u.obj.k[j], k, &m) != 0)
				return -1;
			if (!m)
				continue;
			matched = 1;
			if (sub_path(sub, sizeof sub, path, k->u.str.p,
				k->u.str.len) != 0 ||
			    validate(v, pp->u.obj.v[j], x->u.obj.v[i], sub,
				depth + 1) != 0)
				return -1;
		}
		if (!matched && add != NULL) {
			if (add->type == LS_VAL_BOOL && !add->u.b) {
				if (add_error(v, path,
					"additional_property_not_allowed",
					"Additional property %s is not allowed",
					k->u.str.p))
					return -1;
			} else if (add->type == LS_VAL_OBJECT &&
			    (sub_path(sub, sizeof sub, path, k->u.str.p,
				 k->u.str.len) != 0 ||
				validate(v, add, x->u.obj.v[i], sub,
				    depth + 1) != 0)) {
				return -1;
			}
		}
	}
	return 0;
}

/* Declared properties, in the schema's order of keys. */
static int
object_props(struct sv *v, const struct ls_val *s, const struct ls_val *x,
    const char *path, int depth)
{
	const struct ls_val *props = get(s, "properties");
	char sub[SCHEMA_PATH_MAX];
	size_t i;

	for (i = 0; props != NULL && props->type == LS_VAL_OBJECT &&
	     i < props->u.obj.n;
	     i++) {
		const struct ls_val *pk = props->u.obj.k[i], *xv;
		if (pk->type != LS_VAL_STRING ||
		    (xv = ls_val_object_get(x, pk)) == NULL)
			continue;
		if (sub_path(sub, sizeof sub, path, pk->u.str.p,
			pk->u.str.len) != 0 ||
		    validate(v, props->u.obj.v[i], xv, sub, depth + 1) != 0)
			return -1;
	}
	return 0;
}

/* Resolve a local $ref ("#", "#/a/b", "#/definitions/x"). */
static const struct ls_val *
resolve_ref(struct sv *v, const struct ls_val *ref)
{
	const struct ls_val *cur = v->root;
	const char *p, *e, *end;

	if (ref->type != LS_VAL_STRING || ref->u.str.len == 0 ||
	    ref->u.str.p[0] != '#') {
		fatal(v, "remote $ref is not supported: ",
		    ref->type == LS_VAL_STRING ? ref->u.str.p : "?");
		return NULL;
	}
	p = ref->u.str.p + 1;
	end = ref->u.str.p + ref->u.str.len;
	if (p < end && *p == '/')
		p++;
	while (p < end && cur != NULL) {
		char key[256];
		size_t kl = 0;
		e = memchr(p, '/', (size_t)(end - p));
		if (e == NULL)
			e = end;
		for (; p < e && kl < sizeof key - 1; p++) {
			if (*p == '~' && p + 1 < e &&
			    (p[1] == '0' || p[1] == '1'))
				key[kl++] = *++p == '0' ? '~' : '/';
			else
				key[kl++] = *p;
		}
		key[kl] = '\0';
		if (cur->type == LS_VAL_ARRAY) {
			char *ep;
			unsigned long ix = strtoul(key, &ep, 10);
			cur = *ep == '\0' && ix < cur->u.arr.n
			    ? cur->u.arr.v[ix]
			    : NULL;
		} else {
			cur = get(cur, key);
		}
		p = e < end ? e + 1 : e;
	}
	if (cur == NULL)
		fatal(v, "$ref not found: ", ref->u.str.p);
	return cur;
}

static int
validate(struct sv *v, const struct ls_val *s, const struct ls_val *x,
    const char *path, int depth)
{
	const struct ls_val *t, *ref;
	char expected[256];
	int ok;

	if (depth > SCHEMA_MAX_DEPTH || --v->steps < 0)
		return fatal(v, "schema validation too deep or too long", "");
	if (s->type == LS_VAL_BOOL)
		return s->u.b ? 0
			      : add_error(v, path, "false",
				    "False always fails validation");
	if (s->type != LS_VAL_OBJECT)
		return fatal(v, "schema must be an object or a boolean", "");
	if ((ref = get(s, "$ref")) != NULL) {
		if ((s = resolve_ref(v, ref)) == NULL)
			return -1;
		return validate(v, s, x, path, depth + 1);
	}
	if ((t = get(s, "type")) != NULL) {
		if ((ok = type_ok(v, t, x, expected, sizeof expected)) < 0)
			return -1;
		if (!ok)
			return add_error(v, path, "invalid_type",
			    "Invalid type. "
			    "Expected: %s, given: %s",
			    expected, json_type(x));
	}
	if (combinators(v, s, x, path, depth + 1) != 0)
		return -1;
	/* gojsonschema's order: kind checks, enum/const, then children */
	switch (x->type) {
	case LS_VAL_ARRAY:
	case LS_VAL_SET:
		if (arrays(v, s, x, path, depth) != 0)
			return -1;
		return common(v, s, x, path);
	case LS_VAL_OBJECT:
		if (objects(v, s, x, path, depth) != 0 ||
		    common(v, s, x, path) != 0)
			return -1;
		return object_props(v, s, x, path, depth);
	case LS_VAL_NUMBER:
		if (numbers(v, s, x, path) != 0)
			return -1;
		return common(v, s, x, path);
	case LS_VAL_STRING:
		if (common(v, s, x, path) != 0)
			return -1;
		return strings(v, s, x, path);
	default: return common(v, s, x, path);
	}
}

/* A document or schema operand: JSON text, or a value as it is. */
static int
json_operand(struct ls_bi_ctx *ctx, const struct ls_val *const *args, int i,
    const struct ls_val **out)
{
	const struct ls_val *a = args[i];

	if (a->type == LS_VAL_STRING) {
		if (ls_val_from_json(out, ctx->arena, a->u.str.p, a->u.str.len,
			256) != 0)
			return ls_bi_error(ctx, "%s", ls_error_last());
		return 0;
	}
	if (a->type != LS_VAL_OBJECT && (i == 1 || a->type != LS_VAL_ARRAY))
		return ls_bi_type_error(ctx, i + 1,
		    i == 1 ? "one of {string, object}"
			   : "one of {string, object, array}",
		    a);
	*out = a;
	return 0;
}

/* Keywords whose value is data (not checked), and keywords whose value
 * maps names to schemas (a property may be called "type"). */
static const char *const data_keywords[] = { "enum", "const", "default",
	"examples", "required", NULL };
static const char *const schema_maps[] = { "properties", "patternProperties",
	"definitions", "$defs", "dependentSchemas", "dependencies", NULL };

static int
keyword_in(const struct ls_val *k, const char *const *names)
{
	size_t i;

	for (i = 0; names[i] != NULL; i++)
		if (ls_val_is_string(k, names[i]))
			return 1;
	return 0;
}

static int check_schema(struct sv *v, const struct ls_val *s, int depth);

static int
check_schema_map(struct sv *v, const struct ls_val *m, int depth)
{
	size_t i;

	for (i = 0; i < m->u.obj.n; i++)
		if (check_schema(v, m->u.obj.v[i], depth) != 0)
			return -1;
	return 0;
}

/* Check the schema itself: types must be known names. */
static int
check_schema(struct sv *v, const struct ls_val *s, int depth)
{
	const struct ls_val *t;
	size_t i;
	char expected[256];

	if (depth > SCHEMA_MAX_DEPTH)
		return fatal(v, "schema nested too deeply", "");
	if (s->type == LS_VAL_OBJECT) {
		if ((t = get(s, "type")) != NULL &&
		    type_ok(v, t, ls_val_null(), expected, sizeof expected) < 0)
			return -1;
		for (i = 0; i < s->u.obj.n; i++) {
			const struct ls_val *k = s->u.obj.k[i], *x;

			if (keyword_in(k, data_keywords))
				continue; /* values, not schemas */
			x = s->u.obj.v[i];
			if (keyword_in(k, schema_maps) &&
			    x->type == LS_VAL_OBJECT) {
				if (check_schema_map(v, x, depth + 1) != 0)
					return -1;
			} else if (check_schema(v, x, depth + 1) != 0)
				return -1;
		}
	} else if (s->type == LS_VAL_ARRAY) {
		for (i = 0; i < s->u.arr.n; i++)
			if (check_schema(v, s->u.arr.v[i], depth + 1) != 0)
				return -1;
	}
	return 0;
}

int
ls_bi_json_match_schema(BI_ARGS)
{
	const struct ls_val *doc = NULL, *schema = NULL, *res[2];
	struct sv v;
	int rc;

	(void)nargs;
	if ((rc = json_operand(ctx, args, 0, &doc)) != 0 ||
	    (rc = json_operand(ctx, args, 1, &schema)) != 0)
		return rc;
	memset(&v, 0, sizeof v);
	v.ctx = ctx;
	v.root = schema;
	v.steps = SCHEMA_MAX_STEPS;
	ls_vlist_init(&v.errors, ctx->arena);
	if (check_schema(&v, schema, 0) != 0 ||
	    validate(&v, schema, doc, ROOT, 0) != 0)
		return v.fatal ? LS_BI_EBUILTIN : LS_BI_ENOMEM;
	res[0] = ls_val_bool(v.errors.n == 0);
	res[1] = ls_val_array(ctx->arena, v.errors.v, v.errors.n);
	if (res[1] == NULL)
		return LS_BI_ENOMEM;
	return bi_ret(out, ls_val_array(ctx->arena, res, 2));
}

int
ls_bi_json_verify_schema(BI_ARGS)
{
	const struct ls_val *schema = NULL, *res[2];
	struct sv v;
	const char *msg;
	int rc;

	(void)nargs;
	if ((rc = json_operand(ctx, args, 0, &schema)) != 0) {
		if (rc != LS_BI_EBUILTIN)
			return rc;
		msg = strchr(ctx->msg, ':') ? strchr(ctx->msg, ':') + 2
					    : ctx->msg;
		res[0] = ls_val_bool(0);
		res[1] = ls_val_cstring(ctx->arena, msg);
		return bi_ret(out, ls_val_array(ctx->arena, res, 2));
	}
	memset(&v, 0, sizeof v);
	v.ctx = ctx;
	v.root = schema;
	if (schema->type != LS_VAL_OBJECT && schema->type != LS_VAL_BOOL)
		return ls_bi_type_error(ctx, 1, "one of {string, object}",
		    schema);
	if (check_schema(&v, schema, 0) != 0) {
		struct ls_buf b;

		/* OPA 1.x words it "jsonschema: has a primitive type..." */
		msg = strchr(ctx->msg, ':') ? strchr(ctx->msg, ':') + 2
					    : ctx->msg;
		ls_buf_init(&b, sizeof(ctx->msg) + 16);
		if (ls_buf_addf(&b, "jsonschema: %s", msg) != 0)
			res[1] = NULL;
		else
			res[1] = ls_val_string(ctx->arena, b.data, b.len);
		ls_buf_cleanup(&b);
		res[0] = ls_val_bool(0);
	} else {
		res[0] = ls_val_bool(1);
		res[1] = ls_val_null();
	}
	if (res[1] == NULL)
		return LS_BI_ENOMEM;
	return bi_ret(out, ls_val_array(ctx->arena, res, 2));
}
