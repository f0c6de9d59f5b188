/*
 * gql_valid.c - GraphQL validation as OPA runs it through gqlparser:
 * loading a schema (built-in scalars and directives added, extensions
 * merged, type references, interfaces, unions, enums, directive
 * locations and root operation types checked) and validating a query
 * against it (known fields, arguments and fragments, required
 * arguments, leaf selections, variables defined and used).  Works on the
 * AST values bi_gql_parse() builds, or on the same shapes given by a
 * policy.  Messages are gqlparser's.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lockstep/error.h"
#include "rego/builtins/gql.h"

#define MAX_TYPES 4096 /* types in one schema */
#define MAX_WALK 10000 /* selections visited in one query */
#define MAX_LIST                                                               \
	2000 /* fields, values, operations, fragments:
				   their checks are quadratic */

struct gtype {
	const char *name;
	const char *kind;	/* "OBJECT", "SCALAR", ... */
	struct ls_vlist fields; /* FieldDefinition values, merged */
	struct ls_vlist ifaces; /* interface names (string values) */
	struct ls_vlist types;	/* union members */
	struct ls_vlist values; /* enum values */
	struct ls_vlist dirs;	/* directives applied */
};

struct schema {
	struct ls_arena *a;
	struct gtype *t;
	size_t n;
	const struct ls_val *dirdefs[256];
	size_t ndir;
	const char *root[3]; /* query, mutation, subscription types */
	struct bi_gql_err *e;
	int failed;
	size_t walked;
};

/* Field of an AST node; NULL when absent or the node is not an object
 * (policies may hand in AST objects of any shape). */
static const struct ls_val *
get(const struct ls_val *o, const char *key)
{
	if (o == NULL || o->type != LS_VAL_OBJECT)
		return NULL;
	return ls_val_object_gets(o, key, strlen(key));
}

static const char *const builtin_scalars[] = { "Int", "Float", "String",
	"Boolean", "ID" };

/* Built-in directives: name and the locations they apply to. */
static const struct {
	const char *name, *locs;
} builtin_dirs[] = {
	{ "include", " FIELD FRAGMENT_SPREAD INLINE_FRAGMENT " },
	{ "skip", " FIELD FRAGMENT_SPREAD INLINE_FRAGMENT " },
	{ "deprecated",
	    " FIELD_DEFINITION ARGUMENT_DEFINITION "
	    "INPUT_FIELD_DEFINITION ENUM_VALUE " },
	{ "specifiedBy", " SCALAR " },
	{ "defer", " FRAGMENT_SPREAD INLINE_FRAGMENT " },
};

static int
fail(struct schema *s, const struct ls_val *at, const char *fmt, ...)
{
	const struct ls_val *pos, *l, *c;
	va_list ap;

	if (s->failed)
		return LS_EFORMAT;
	s->failed = 1;
	va_start(ap, fmt);
	vsnprintf(s->e->msg, sizeof s->e->msg, fmt, ap);
	va_end(ap);
	s->e->line = s->e->col = 0;
	pos = at ? get(at, "Position") : NULL;
	if (pos != NULL && (l = get(pos, "Line")) != NULL &&
	    (c = get(pos, "Column")) != NULL && l->type == LS_VAL_NUMBER &&
	    c->type == LS_VAL_NUMBER) {
		int ovf = 0;
		s->e->line = (int)ls_num_to_int64(&l->u.num, &ovf);
		s->e->col = (int)ls_num_to_int64(&c->u.num, &ovf);
	}
	return ls_error_set(LS_EFORMAT, "%s", s->e->msg);
}

/* String field of an AST node ("" when absent or not a string). */
static const char *
str(const struct ls_val *o, const char *key)
{
	const struct ls_val *v;

	if (o == NULL || o->type != LS_VAL_OBJECT)
		return "";
	v = ls_val_object_gets(o, key, strlen(key));
	return v != NULL && v->type == LS_VAL_STRING ? v->u.str.p : "";
}

/* Array field of an AST node (n 0 when absent). */
static const struct ls_val *const *
list(const struct ls_val *o, const char *key, size_t *n)
{
	const struct ls_val *v = o && o->type == LS_VAL_OBJECT
	    ? ls_val_object_gets(o, key, strlen(key))
	    : NULL;

	*n = 0;
	if (v == NULL || v->type != LS_VAL_ARRAY)
		return NULL;
	*n = v->u.arr.n;
	return v->u.arr.v;
}

static struct gtype *
find_type(struct schema *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->t[i].name, name) == 0)
			return &s->t[i];
	return NULL;
}

static struct gtype *
add_type(struct schema *s, const char *name, const char *kind)
{
	struct gtype *t;

	if (s->n >= MAX_TYPES)
		return NULL;
	t = &s->t[s->n++];
	memset(t, 0, sizeof *t);
	t->name = name;
	t->kind = kind;
	ls_vlist_init(&t->fields, s->a);
	ls_vlist_init(&t->ifaces, s->a);
	ls_vlist_init(&t->types, s->a);
	ls_vlist_init(&t->values, s->a);
	ls_vlist_init(&t->dirs, s->a);
	return t;
}

static int
merge(struct schema *s, struct gtype *t, const struct ls_val *def)
{
	static const char *keys[5] = { "Fields", "Interfaces", "Types",
		"EnumValues", "Directives" };
	struct ls_vlist *dst[5] = { &t->fields, &t->ifaces, &t->types,
		&t->values, &t->dirs };
	size_t k, i, n;

	for (k = 0; k < 5; k++) {
		const struct ls_val *const *v = list(def, keys[k], &n);
		for (i = 0; i < n; i++)
			if (ls_vlist_push(dst[k], v[i]) != 0)
				return LS_ENOMEM;
	}
	(void)s;
	return 0;
}

/* The named type at the bottom of a type reference. */
static const char *
named(const struct ls_val *type)
{
	int guard = 0;

	while (type != NULL && type->type == LS_VAL_OBJECT && guard++ < 64) {
		const struct ls_val *e = get(type, "Elem");
		if (e == NULL)
			return str(type, "NamedType");
		type = e;
	}
	return "";
}

/* gqlparser's Type.String(): "[Foo!]!". */
static void
type_text(char *out, size_t cap, const struct ls_val *type)
{
	const struct ls_val *e = get(type, "Elem");
	const struct ls_val *nn = get(type, "NonNull");
	char inner[200];

	if (e != NULL) {
		type_text(inner, sizeof inner, e);
		snprintf(out, cap, "[%s]%s", inner,
		    nn && nn->type == LS_VAL_BOOL && nn->u.b ? "!" : "");
	} else {
		snprintf(out, cap, "%s%s", str(type, "NamedType"),
		    nn && nn->type == LS_VAL_BOOL && nn->u.b ? "!" : "");
	}
}

static int
is_input(const struct gtype *t)
{
	return strcmp(t->kind, "SCALAR") == 0 || strcmp(t->kind, "ENUM") == 0 ||
	    strcmp(t->kind, "INPUT_OBJECT") == 0;
}

/* Locations string of a directive, or NULL when unknown. */
static int
directive_allowed(struct schema *s, const char *name, const char *loc,
    int *known)
{
	char pat[64];
	size_t i, j, n;

	*known = 0;
	snprintf(pat, sizeof pat, " %s ", loc);
	for (i = 0; i < sizeof builtin_dirs / sizeof builtin_dirs[0]; i++)
		if (strcmp(builtin_dirs[i].name, name) == 0) {
			*known = 1;
			return strstr(builtin_dirs[i].locs, pat) != NULL;
		}
	for (i = 0; i < s->ndir; i++) {
		const struct ls_val *const *l;
		if (strcmp(str(s->dirdefs[i], "Name"), name) != 0)
			continue;
		*known = 1;
		l = list(s->dirdefs[i], "Locations", &n);
		for (j = 0; j < n; j++)
			if (ls_val_is_string(l[j], loc))
				return 1;
		return 0;
	}
	return 0;
}

static int
check_dirs(struct schema *s, const struct ls_val *const *d, size_t n,
    const char *loc)
{
	size_t i;
	int known;

	for (i = 0; i < n; i++) {
		const char *nm = str(d[i], "Name");
		if (!directive_allowed(s, nm, loc, &known))
			return known
			    ? fail(s, d[i],
				  "Directive %s is not "
				  "applicable on %s.",
				  nm, loc)
			    : fail(s, d[i], "Undefined directive %s.", nm);
	}
	return 0;
}

/* Fields (or arguments, input=1) refer to existing types of the right
 * sort, and carry valid directives. */
static int
check_fields(struct schema *s, const struct gtype *t,
    const struct ls_val *const *f, size_t n, int input, const char *loc)
{
	size_t i, j, na, nd;
	int rc;

	for (i = 0; i < n; i++) {
		const struct ls_val *ty = get(f[i], "Type");
		const struct gtype *ft = find_type(s, named(ty));
		const struct ls_val *const *args = list(f[i], "Arguments", &na);
		const struct ls_val *const *d = list(f[i], "Directives", &nd);

		if (na > MAX_LIST)
			return fail(s, f[i], "too many arguments");
		for (j = 0; j < i; j++)
			if (strcmp(str(f[i], "Name"), str(f[j], "Name")) == 0)
				return fail(s, f[i],
				    "Field %s.%s can only be "
				    "defined once.",
				    t->name, str(f[i], "Name"));
		if (ft == NULL)
			return fail(s, f[i], "Undefined type %s.", named(ty));
		if (input && !is_input(ft))
			return fail(s, f[i],
			    "%s %s: field must be an input "
			    "type",
			    t->kind, t->name);
		if (!input && strcmp(ft->kind, "INPUT_OBJECT") == 0)
			return fail(s, f[i],
			    "%s %s: field must be an output "
			    "type",
			    t->kind, t->name);
		if ((rc = check_dirs(s, d, nd, loc)) != 0)
			return rc;
		if (na > 0 &&
		    (rc = check_fields(s, t, args, na, 1,
			 "ARGUMENT_DEFINITION")) != 0)
			return rc;
	}
	return 0;
}

static const struct ls_val *
field_of(const struct gtype *t, const char *name)
{
	size_t i;

	for (i = 0; i < t->fields.n; i++)
		if (strcmp(str(t->fields.v[i], "Name"), name) == 0)
			return t->fields.v[i];
	return NULL;
}

static int
implements(const struct gtype *t, const char *iface)
{
	size_t i;

	for (i = 0; i < t->ifaces.n; i++)
		if (ls_val_is_string(t->ifaces.v[i], iface))
			return 1;
	return 0;
}

static int
check_ifaces(struct schema *s, const struct gtype *t)
{
	size_t i, j;

	for (i = 0; i < t->ifaces.n; i++) {
		const struct ls_val *iv = t->ifaces.v[i];
		const char *in = iv->type == LS_VAL_STRING ? iv->u.str.p : "";
		const struct gtype *it = find_type(s, in);

		if (it == NULL)
			return fail(s, NULL, "Undefined type %s.", in);
		if (strcmp(it->kind, "INTERFACE") != 0)
			return fail(s, NULL, "%s is a non interface type %s.",
			    in, it->kind);
		for (j = 0; j < it->fields.n; j++) {
			const char *fn = str(it->fields.v[j], "Name");
			if (field_of(t, fn) == NULL)
				return fail(s, NULL,
				    "For %s to implement %s "
				    "it must have a field called %s.",
				    t->name, in, fn);
		}
		for (j = 0; j < it->ifaces.n; j++) {
			const struct ls_val *tv = it->ifaces.v[j];
			if (tv->type == LS_VAL_STRING &&
			    !implements(t, tv->u.str.p))
				return fail(s, NULL,
				    "%s must implement %s "
				    "because it is implemented by %s.",
				    t->name, tv->u.str.p, in);
		}
	}
	return 0;
}

static const char *
dir_loc(const char *kind)
{
	return strcmp(kind, "INPUT_OBJECT") == 0 ? "INPUT_OBJECT" : kind;
}

static int
check_type(struct schema *s, const struct gtype *t)
{
	size_t i;
	int rc,
	    obj = strcmp(t->kind, "OBJECT") == 0 ||
	    strcmp(t->kind, "INTERFACE") == 0;

	if (t->fields.n > MAX_LIST || t->values.n > MAX_LIST ||
	    t->types.n > MAX_LIST || t->ifaces.n > MAX_LIST)
		return fail(s, NULL, "%s %s: too many members (more than %d)",
		    t->kind, t->name, MAX_LIST);

	if (strncmp(t->name, "__", 2) == 0)
		return fail(s, NULL,
		    "Name \"%s\" must not begin with \"__\", "
		    "which is reserved by GraphQL introspection.",
		    t->name);
	if ((rc = check_dirs(s, t->dirs.v, t->dirs.n, dir_loc(t->kind))) != 0)
		return rc;
	if ((obj || strcmp(t->kind, "INPUT_OBJECT") == 0) && t->fields.n == 0)
		return fail(s, NULL, "%s %s: must define one or more fields.",
		    t->kind, t->name);
	if (obj &&
	    (rc = check_fields(s, t, t->fields.v, t->fields.n, 0,
		 "FIELD_DEFINITION")) != 0)
		return rc;
	if (strcmp(t->kind, "INPUT_OBJECT") == 0 &&
	    (rc = check_fields(s, t, t->fields.v, t->fields.n, 1,
		 "INPUT_FIELD_DEFINITION")) != 0)
		return rc;
	if (obj && (rc = check_ifaces(s, t)) != 0)
		return rc;
	if (strcmp(t->kind, "ENUM") == 0) {
		if (t->values.n == 0)
			return fail(s, NULL,
			    "%s %s: must define one or more "
			    "unique enum values.",
			    t->kind, t->name);
		for (i = 0; i < t->values.n; i++) {
			size_t nd;
			const struct ls_val *const *d =
			    list(t->values.v[i], "Directives", &nd);
			if ((rc = check_dirs(s, d, nd, "ENUM_VALUE")) != 0)
				return rc;
		}
	}
	for (i = 0; strcmp(t->kind, "UNION") == 0 && i < t->types.n; i++) {
		const struct ls_val *m = t->types.v[i];
		const struct gtype *mt =
		    find_type(s, m->type == LS_VAL_STRING ? m->u.str.p : "");
		if (mt == NULL)
			return fail(s, NULL, "Undefined type %s.",
			    m->type == LS_VAL_STRING ? m->u.str.p : "");
		if (strcmp(mt->kind, "OBJECT") != 0)
			return fail(s, NULL,
			    "UNION type \"%s\" must be OBJECT.", mt->name);
	}
	return 0;
}

/* Root operation types from schema definitions, else by name. */
static int
roots(struct schema *s, const struct ls_val *doc)
{
	static const char *ops[3] = { "query", "mutation", "subscription" };
	static const char *dflt[3] = { "Query", "Mutation", "Subscription" };
	const char *keys[2] = { "Schema", "SchemaExtension" };
	size_t k, i, j, n, no;
	int have = 0;

	for (k = 0; k < 2; k++) {
		const struct ls_val *const *d = list(doc, keys[k], &n);
		for (i = 0; i < n; i++) {
			const struct ls_val *const *o =
			    list(d[i], "OperationTypes", &no);
			have |= k == 0;
			for (j = 0; j < no; j++) {
				const char *op = str(o[j], "Operation");
				const char *ty = str(o[j], "Type");
				size_t x;
				if (find_type(s, ty) == NULL)
					return fail(s, o[j],
					    "Schema root %s "
					    "refers to a type %s that does not "
					    "exist.",
					    op, ty);
				for (x = 0; x < 3; x++)
					if (strcmp(op, ops[x]) == 0)
						s->root[x] = ty;
			}
			if (k == 1 && !have && no > 0)
				return fail(s, d[i],
				    "Cannot extend schema "
				    "without a schema definition.");
		}
	}
	for (k = 0; !have && k < 3; k++)
		if (find_type(s, dflt[k]) != NULL)
			s->root[k] = dflt[k];
	return 0;
}

static int
load(struct schema *s, const struct ls_val *doc)
{
	const struct ls_val *const *d;
	size_t i, n;
	int rc;

	for (i = 0; i < 5; i++)
		if (add_type(s, builtin_scalars[i], "SCALAR") == NULL)
			return LS_ENOMEM;
	d = list(doc, "Directives", &n);
	for (i = 0; i < n && i < 256; i++)
		s->dirdefs[s->ndir++] = d[i];
	d = list(doc, "Definitions", &n);
	for (i = 0; i < n; i++) {
		const char *nm = str(d[i], "Name");
		struct gtype *t = find_type(s, nm);
		if (t != NULL)
			return fail(s, d[i], "Cannot redeclare type %s.", nm);
		if ((t = add_type(s, nm, str(d[i], "Kind"))) == NULL)
			return fail(s, d[i], "too many types");
		if ((rc = merge(s, t, d[i])) != 0)
			return rc;
	}
	d = list(doc, "Extensions", &n);
	for (i = 0; i < n; i++) {
		const char *nm = str(d[i], "Name");
		struct gtype *t = find_type(s, nm);
		if (t == NULL &&
		    (t = add_type(s, nm, str(d[i], "Kind"))) == NULL)
			return fail(s, d[i], "too many types");
		if (strcmp(t->kind, str(d[i], "Kind")) != 0)
			return fail(s, d[i],
			    "Cannot extend type %s because "
			    "the base type is a %s, not %s.",
			    nm, t->kind, str(d[i], "Kind"));
		if ((rc = merge(s, t, d[i])) != 0)
			return rc;
	}
	for (i = 5; i < s->n; i++)
		if ((rc = check_type(s, &s->t[i])) != 0)
			return rc;
	return roots(s, doc);
}

static int
schema_init(struct schema *s, struct bi_gql_err *err, struct ls_arena *a,
    const struct ls_val *doc)
{
	memset(s, 0, sizeof *s);
	memset(err, 0, sizeof *err);
	s->a = a;
	s->e = err;
	s->t = ls_arena_alloc(a, MAX_TYPES * sizeof *s->t);
	if (s->t == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	if (doc->type != LS_VAL_OBJECT)
		return fail(s, NULL, "schema is not an object");
	return load(s, doc);
}

int
bi_gql_schema_check(struct bi_gql_err *err, struct ls_arena *a,
    const struct ls_val *schema)
{
	struct schema s;

	return schema_init(&s, err, a, schema);
}

/* ---- queries ---- */

struct qctx {
	struct schema *s;
	const struct ls_val *doc;
	struct ls_vlist used_vars;  /* variable names (strings) */
	struct ls_vlist used_frags; /* fragment names */
	int depth;
};

static int
leaf(const struct gtype *t)
{
	return strcmp(t->kind, "SCALAR") == 0 || strcmp(t->kind, "ENUM") == 0;
}

/* Variables referred to by a value, recorded as used. */
static int
value_vars(struct qctx *q, const struct ls_val *v, int depth)
{
	const struct ls_val *k = get(v, "Kind");
	const struct ls_val *const *ch;
	size_t i, n;
	int rc;

	if (depth > BI_GQL_MAX_DEPTH)
		return fail(q->s, v, "value nested too deeply");
	if (k != NULL && k->type == LS_VAL_NUMBER &&
	    ls_num_sign(&k->u.num) == 0) {
		const struct ls_val *raw = get(v, "Raw");
		if (q->used_vars.n >= MAX_WALK)
			return fail(q->s, v, "too many variable references");
		if (raw != NULL && ls_vlist_push(&q->used_vars, raw) != 0)
			return LS_ENOMEM;
		return 0;
	}
	ch = list(v, "Children", &n);
	for (i = 0; i < n; i++)
		if ((rc = value_vars(q, get(ch[i], "Value"), depth + 1)) != 0)
			return rc;
	return 0;
}

static int
query_dirs(struct qctx *q, const struct ls_val *node, const char *loc)
{
	const struct ls_val *const *d;
	size_t i, n, j, na;
	int known, rc;

	d = list(node, "Directives", &n);
	for (i = 0; i < n; i++) {
		const char *nm = str(d[i], "Name");
		const struct ls_val *const *a = list(d[i], "Arguments", &na);
		if (!directive_allowed(q->s, nm, loc, &known))
			return known ? fail(q->s, d[i],
					   "Directive \"@%s\" may "
					   "not be used on %s.",
					   nm, loc)
				     : fail(q->s, d[i],
					   "Unknown directive \"@%s\".", nm);
		for (j = 0; j < na; j++)
			if ((rc = value_vars(q,
				 ls_val_object_gets(a[j], "Value", 5), 0)) != 0)
				return rc;
	}
	return 0;
}

/* gqlparser's value kinds, as parse_query reports them. */
enum {
	V_VARIABLE,
	V_INT,
	V_FLOAT,
	V_STRING,
	V_BLOCK,
	V_BOOLEAN,
	V_NULL,
	V_ENUM,
	V_LIST,
	V_OBJECT
};

static int
value_kind(const struct ls_val *v)
{
	const struct ls_val *k = get(v, "Kind");
	int ovf = 0;

	if (k == NULL || k->type != LS_VAL_NUMBER)
		return -1;
	return (int)ls_num_to_int64(&k->u.num, &ovf);
}

static int
non_null(const struct ls_val *type)
{
	const struct ls_val *nn = get(type, "NonNull");

	return nn != NULL && nn->type == LS_VAL_BOOL && nn->u.b;
}

/* A scalar literal fits a built-in scalar (custom scalars take any). */
static int
scalar_ok(const char *name, int kind)
{
	if (strcmp(name, "Int") == 0)
		return kind == V_INT;
	if (strcmp(name, "Float") == 0)
		return kind == V_INT || kind == V_FLOAT;
	if (strcmp(name, "String") == 0)
		return kind == V_STRING || kind == V_BLOCK;
	if (strcmp(name, "Boolean") == 0)
		return kind == V_BOOLEAN;
	if (strcmp(name, "ID") == 0)
		return kind == V_INT || kind == V_STRING || kind == V_BLOCK;
	return kind != V_LIST && kind != V_OBJECT;
}

static int value_ok(struct qctx *q, const struct ls_val *v,
    const struct ls_val *type, int depth);

static int
input_object_ok(struct qctx *q, const struct ls_val *v, const struct gtype *t,
    int depth)
{
	size_t i, j, n;
	const struct ls_val *const *ch = list(v, "Children", &n);
	char tt[256];
	int rc;

	if (n > MAX_LIST)
		return fail(q->s, v, "too many fields in an input object");
	for (i = 0; i < n; i++) {
		const struct ls_val *fd = field_of(t, str(ch[i], "Name"));
		for (j = 0; j < i; j++)
			if (strcmp(str(ch[i], "Name"), str(ch[j], "Name")) == 0)
				return fail(q->s, ch[i],
				    "There can be only one "
				    "input field named \"%s\".",
				    str(ch[i], "Name"));
		if (fd == NULL)
			return fail(q->s, ch[i],
			    "Field \"%s\" is not defined "
			    "by type \"%s\".",
			    str(ch[i], "Name"), t->name);
		if ((rc = value_ok(q, get(ch[i], "Value"), get(fd, "Type"),
			 depth + 1)) != 0)
			return rc;
	}
	for (j = 0; j < t->fields.n; j++) {
		const struct ls_val *fd = t->fields.v[j];
		const struct ls_val *ty = get(fd, "Type");
		if (!non_null(ty) ||
		    ls_val_object_gets(fd, "DefaultValue", 12) != NULL)
			continue;
		for (i = 0; i < n; i++)
			if (strcmp(str(ch[i], "Name"), str(fd, "Name")) == 0)
				break;
		if (i == n) {
			type_text(tt, sizeof tt, ty);
			return fail(q->s, v,
			    "Field \"%s.%s\" of required type "
			    "\"%s\" was not provided.",
			    t->name, str(fd, "Name"), tt);
		}
	}
	return 0;
}

/* ValuesOfCorrectType: a literal fits the type it is given for. */
static int
value_ok(struct qctx *q, const struct ls_val *v, const struct ls_val *type,
    int depth)
{
	const struct ls_val *elem, *const *ch;
	const struct gtype *t;
	int kind, rc;
	char tt[256];
	size_t i, n;

	if (v == NULL || type == NULL || v->type != LS_VAL_OBJECT ||
	    type->type != LS_VAL_OBJECT)
		return 0;
	elem = get(type, "Elem");
	if ((kind = value_kind(v)) == V_VARIABLE)
		return 0;
	if (depth > BI_GQL_MAX_DEPTH)
		return fail(q->s, v, "value nested too deeply");
	type_text(tt, sizeof tt, type);
	if (kind == V_NULL)
		return non_null(type) ? fail(q->s, v,
					    "Expected value of type "
					    "\"%s\", found null.",
					    tt)
				      : 0;
	if (elem != NULL) {
		if (kind != V_LIST)
			return value_ok(q, v, elem, depth + 1);
		ch = list(v, "Children", &n);
		for (i = 0; i < n; i++)
			if ((rc = value_ok(q,
				 ls_val_object_gets(ch[i], "Value", 5), elem,
				 depth + 1)) != 0)
				return rc;
		return 0;
	}
	if ((t = find_type(q->s, str(type, "NamedType"))) == NULL)
		return 0;
	if (strcmp(t->kind, "INPUT_OBJECT") == 0 && kind == V_OBJECT)
		return input_object_ok(q, v, t, depth);
	if (strcmp(t->kind, "ENUM") == 0 && kind == V_ENUM) {
		for (i = 0; i < t->values.n; i++)
			if (strcmp(str(t->values.v[i], "Name"),
				str(v, "Raw")) == 0)
				return 0;
		return fail(q->s, v,
		    "Value \"%s\" does not exist in \"%s\" "
		    "enum.",
		    str(v, "Raw"), t->name);
	}
	if (strcmp(t->kind, "SCALAR") == 0 && scalar_ok(t->name, kind))
		return 0;
	return fail(q->s, v,
	    kind == V_STRING || kind == V_BLOCK
		? "Expected value of type \"%s\", found \"%s\"."
		: "Expected value of type \"%s\", found %s.",
	    tt,
	    kind == V_LIST	   ? "a list"
		: kind == V_OBJECT ? "an object"
				   : str(v, "Raw"));
}

static int
field_args(struct qctx *q, const struct gtype *parent, const struct ls_val *def,
    const struct ls_val *f)
{
	size_t i, j, k, na, nd;
	const struct ls_val *const *a = list(f, "Arguments", &na);
	const struct ls_val *const *d = list(def, "Arguments", &nd);
	const char *fname = str(f, "Name");
	char tt[256];
	int rc;

	if (na > MAX_LIST || nd > MAX_LIST)
		return fail(q->s, f, "too many arguments");
	for (i = 0; i < na; i++) {
		for (j = 0; j < nd; j++)
			if (strcmp(str(a[i], "Name"), str(d[j], "Name")) == 0)
				break;
		if (j == nd)
			return fail(q->s, a[i],
			    "Unknown argument \"%s\" on "
			    "field \"%s.%s\".",
			    str(a[i], "Name"), parent->name, fname);
		for (k = 0; k < i; k++)
			if (strcmp(str(a[i], "Name"), str(a[k], "Name")) == 0)
				return fail(q->s, a[i],
				    "There can be only one "
				    "argument named \"%s\".",
				    str(a[i], "Name"));
		if ((rc = value_vars(q, get(a[i], "Value"), 0)) != 0 ||
		    (rc = value_ok(q, get(a[i], "Value"), get(d[j], "Type"),
			 0)) != 0)
			return rc;
	}
	for (j = 0; j < nd; j++) {
		const struct ls_val *ty = get(d[j], "Type");
		const struct ls_val *nn =
		    ty ? ls_val_object_gets(ty, "NonNull", 7) : NULL;
		if (nn == NULL || nn->type != LS_VAL_BOOL || !nn->u.b ||
		    get(d[j], "DefaultValue") != NULL)
			continue;
		for (i = 0; i < na; i++)
			if (strcmp(str(a[i], "Name"), str(d[j], "Name")) == 0)
				break;
		if (i == na) {
			type_text(tt, sizeof tt, ty);
			return fail(q->s, f,
			    "Field \"%s\" argument \"%s\" of "
			    "type \"%s\" is required, but it was not provided.",
			    fname, str(d[j], "Name"), tt);
		}
	}
	return 0;
}

static int selections(struct qctx *q, const struct gtype *parent,
    const struct ls_val *node);

static const struct ls_val *
fragment_named(struct qctx *q, const char *name)
{
	size_t i, n;
	const struct ls_val *const *f = list(q->doc, "Fragments", &n);

	for (i = 0; i < n; i++)
		if (strcmp(str(f[i], "Name"), name) == 0)
			return f[i];
	return NULL;
}

static int
field_sel(struct qctx *q, const struct gtype *parent, const struct ls_val *f)
{
	const char *fname = str(f, "Name");
	const struct ls_val *def,
	    *ss = ls_val_object_gets(f, "SelectionSet", 12);
	const struct gtype *ft;
	char tt[256];
	int rc;

	if ((rc = query_dirs(q, f, "FIELD")) != 0)
		return rc;
	if (strcmp(fname, "__typename") == 0)
		return ss
		    ? fail(q->s, f,
			  "Field \"__typename\" must not have "
			  "a selection since type \"String!\" has no subfields.")
		    : 0;
	if (strcmp(fname, "__schema") == 0 || strcmp(fname, "__type") == 0)
		return 0; /* introspection: not modelled further */
	if (strcmp(parent->kind, "UNION") == 0 ||
	    (def = field_of(parent, fname)) == NULL)
		return fail(q->s, f,
		    "Cannot query field \"%s\" on type "
		    "\"%s\".",
		    fname, parent->name);
	if ((rc = field_args(q, parent, def, f)) != 0)
		return rc;
	ft = find_type(q->s, named(get(def, "Type")));
	if (ft == NULL)
		return 0;
	type_text(tt, sizeof tt, get(def, "Type"));
	if (leaf(ft) && ss != NULL)
		return fail(q->s, f,
		    "Field \"%s\" must not have a selection "
		    "since type \"%s\" has no subfields.",
		    fname, tt);
	if (!leaf(ft) && ss == NULL)
		return fail(q->s, f,
		    "Field \"%s\" of type \"%s\" must have a "
		    "selection of subfields. Did you mean \"%s { ... }\"?",
		    fname, tt, fname);
	return ss ? selections(q, ft, f) : 0;
}

static int
fragment_sel(struct qctx *q, const struct gtype *parent,
    const struct ls_val *sel)
{
	const struct ls_val *fd;
	const struct gtype *t = parent;
	const char *tc;
	int rc;

	if (get(sel, "SelectionSet") != NULL) {
		if ((rc = query_dirs(q, sel, "INLINE_FRAGMENT")) != 0)
			return rc;
		tc = str(sel, "TypeCondition");
		if (*tc != '\0' && (t = find_type(q->s, tc)) == NULL)
			return fail(q->s, sel, "Unknown type \"%s\".", tc);
		return selections(q, t, sel);
	}
	if ((rc = query_dirs(q, sel, "FRAGMENT_SPREAD")) != 0)
		return rc;
	if ((fd = fragment_named(q, str(sel, "Name"))) == NULL)
		return fail(q->s, sel, "Unknown fragment \"%s\".",
		    str(sel, "Name"));
	if (ls_vlist_push(&q->used_frags, ls_val_object_gets(sel, "Name", 4)) !=
	    0)
		return LS_ENOMEM;
	tc = str(fd, "TypeCondition");
	if ((t = find_type(q->s, tc)) == NULL)
		return fail(q->s, fd, "Unknown type \"%s\".", tc);
	return selections(q, t, fd);
}

static int
selections(struct qctx *q, const struct gtype *parent,
    const struct ls_val *node)
{
	size_t i, n;
	const struct ls_val *const *sel = list(node, "SelectionSet", &n);
	int rc = 0;

	if (++q->depth > BI_GQL_MAX_DEPTH || q->s->walked > MAX_WALK)
		return fail(q->s, node,
		    "query nested too deeply (fragment "
		    "cycle?)");
	for (i = 0; i < n && rc == 0; i++) {
		q->s->walked++;
		if (get(sel[i], "Alias") != NULL)
			rc = field_sel(q, parent, sel[i]);
		else
			rc = fragment_sel(q, parent, sel[i]);
	}
	q->depth--;
	return rc;
}

static int
has_name(const struct ls_vlist *l, const char *name)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (l->v[i] != NULL && ls_val_is_string(l->v[i], name))
			return 1;
	return 0;
}

static int
operation_check(struct qctx *q, const struct ls_val *op)
{
	static const char *ops[3] = { "query", "mutation", "subscription" };
	const char *kind = str(op, "Operation");
	const struct ls_val *const *vd;
	const struct gtype *root = NULL;
	size_t i, j, nv;
	int rc;

	for (i = 0; i < 3; i++)
		if (strcmp(kind, ops[i]) == 0 && q->s->root[i] != NULL)
			root = find_type(q->s, q->s->root[i]);
	if (root == NULL)
		return fail(q->s, op,
		    "Schema does not support operation type "
		    "\"%s\"",
		    kind);
	q->used_vars.n = 0;
	if ((rc = query_dirs(q, op,
		 strcmp(kind, "query") == 0	     ? "QUERY"
		     : strcmp(kind, "mutation") == 0 ? "MUTATION"
						     : "SUBSCRIPTION")) != 0 ||
	    (rc = selections(q, root, op)) != 0)
		return rc;
	vd = list(op, "VariableDefinitions", &nv);
	if (nv > MAX_LIST)
		return fail(q->s, op, "too many variables");
	for (i = 0; i < nv; i++) {
		const char *vn = str(vd[i], "Variable");
		const struct ls_val *ty = get(vd[i], "Type");
		const struct gtype *t = find_type(q->s, named(ty));
		char tt[256];
		for (j = 0; j < i; j++)
			if (strcmp(vn, str(vd[j], "Variable")) == 0)
				return fail(q->s, vd[i],
				    "Variable \"$%s\" is "
				    "defined more than once.",
				    vn);
		type_text(tt, sizeof tt, ty);
		if (t == NULL)
			return fail(q->s, vd[i], "Unknown type \"%s\".",
			    named(ty));
		if (!is_input(t))
			return fail(q->s, vd[i],
			    "Variable \"$%s\" cannot be "
			    "non-input type \"%s\".",
			    vn, tt);
		if ((rc = value_ok(q,
			 ls_val_object_gets(vd[i], "DefaultValue", 12), ty,
			 0)) != 0)
			return rc;
		if (!has_name(&q->used_vars, vn))
			return fail(q->s, vd[i],
			    "Variable \"$%s\" is never "
			    "used in operation \"%s\".",
			    vn, str(op, "Name"));
	}
	for (i = 0; i < q->used_vars.n; i++) {
		const char *un = q->used_vars.v[i]->u.str.p;
		for (j = 0; j < nv; j++)
			if (strcmp(un, str(vd[j], "Variable")) == 0)
				break;
		if (j == nv)
			return fail(q->s, op,
			    "Variable \"$%s\" is not "
			    "defined.",
			    un);
	}
	return 0;
}

int
bi_gql_query_check(struct bi_gql_err *err, struct ls_arena *a,
    const struct ls_val *schema, const struct ls_val *query)
{
	struct schema s;
	struct qctx q;
	const struct ls_val *const *ops, *const *fr;
	size_t i, j, n, nf;
	int rc;

	if ((rc = schema_init(&s, err, a, schema)) != 0)
		return rc;
	memset(&q, 0, sizeof q);
	q.s = &s;
	q.doc = query;
	ls_vlist_init(&q.used_vars, a);
	ls_vlist_init(&q.used_frags, a);
	ops = list(query, "Operations", &n);
	fr = list(query, "Fragments", &nf);
	if (n > MAX_LIST || nf > MAX_LIST)
		return fail(&s, NULL,
		    "too many operations or fragments (more "
		    "than %d)",
		    MAX_LIST);
	for (i = 0; i < n; i++) {
		const char *on = str(ops[i], "Name");
		if (*on == '\0' && n > 1)
			return fail(&s, ops[i],
			    "This anonymous operation must "
			    "be the only defined operation.");
		for (j = 0; j < i; j++)
			if (*on != '\0' && strcmp(on, str(ops[j], "Name")) == 0)
				return fail(&s, ops[i],
				    "There can be only one "
				    "operation named \"%s\".",
				    on);
		if ((rc = operation_check(&q, ops[i])) != 0)
			return rc;
	}
	for (i = 0; i < nf; i++) {
		for (j = 0; j < i; j++)
			if (strcmp(str(fr[i], "Name"), str(fr[j], "Name")) == 0)
				return fail(&s, fr[i],
				    "There can be only one "
				    "fragment named \"%s\".",
				    str(fr[i], "Name"));
		if (!has_name(&q.used_frags, str(fr[i], "Name")))
			return fail(&s, fr[i], "Fragment \"%s\" is never used.",
			    str(fr[i], "Name"));
	}
	return 0;
}
