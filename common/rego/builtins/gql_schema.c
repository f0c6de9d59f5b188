/*
 * gql_schema.c - the schema-document half of the GraphQL parser
 * (type, interface, union, enum, input, scalar, schema and directive
 * definitions and extensions), on the primitives of gql_parse.c.
 */
#include <string.h>

#include "rego/builtins/gql_int.h"

/* ---- schema documents ---- */

static const struct ls_val *
description(struct gp *p)
{
	const struct tok *t = gqp_peek(p);

	if (!p->err && (t->kind == T_STRING || t->kind == T_BLOCK_STRING)) {
		struct tok d = gqp_next(p);
		return ls_val_string(p->a, d.val, d.vlen);
	}
	return ls_val_empty_string();
}

/* An argument or input field definition. */
static const struct ls_val *
input_value_def(struct gp *p)
{
	struct node nd = { .n = 0 };
	struct tok at;

	gqp_put(p, &nd, "Description", description(p));
	at = *gqp_peek(p);
	gqp_put(p, &nd, "Name", gqp_name(p));
	gqp_expect(p, T_COLON);
	gqp_put(p, &nd, "Type", gqp_type_ref(p));
	if (gqp_skip(p, T_EQUALS))
		gqp_put(p, &nd, "DefaultValue", gqp_value_literal(p, 1));
	gqp_directives(p, &nd, 1);
	gqp_put_pos(p, &nd, &at);
	return gqp_done(p, &nd);
}

static void
argument_defs(struct gp *p, struct node *nd)
{
	struct ls_vlist l;

	ls_vlist_init(&l, p->a);
	if (gqp_skip(p, T_PAREN_L)) {
		while (!p->err && gqp_peek(p)->kind != T_PAREN_R)
			gqp_push(p, &l, input_value_def(p));
		gqp_next(p);
	}
	gqp_put_list(p, nd, "Arguments", &l);
}

static const struct ls_val *
field_def(struct gp *p)
{
	struct node nd = { .n = 0 };
	struct tok at;

	gqp_put(p, &nd, "Description", description(p));
	at = *gqp_peek(p);
	gqp_put(p, &nd, "Name", gqp_name(p));
	argument_defs(p, &nd);
	gqp_expect(p, T_COLON);
	gqp_put(p, &nd, "Type", gqp_type_ref(p));
	gqp_directives(p, &nd, 1);
	gqp_put_pos(p, &nd, &at);
	return gqp_done(p, &nd);
}

static const struct ls_val *
enum_value_def(struct gp *p)
{
	struct node nd = { .n = 0 };
	struct tok at;

	gqp_put(p, &nd, "Description", description(p));
	at = *gqp_peek(p);
	gqp_put(p, &nd, "Name", gqp_name(p));
	gqp_directives(p, &nd, 1);
	gqp_put_pos(p, &nd, &at);
	return gqp_done(p, &nd);
}

/* gqlparser's some(): braces optional, but not empty when present. */
static void
some(struct gp *p, struct node *nd, const char *key,
    const struct ls_val *(*item)(struct gp *))
{
	struct ls_vlist l;
	int called = 0;

	ls_vlist_init(&l, p->a);
	if (gqp_skip(p, T_BRACE_L)) {
		while (!p->err && gqp_peek(p)->kind != T_BRACE_R) {
			called = 1;
			gqp_push(p, &l, item(p));
		}
		if (!called && !p->err)
			gqp_fail_at(p, gqp_peek(p)->line, gqp_peek(p)->col,
			    "expected at "
			    "least one definition, found %s",
			    gqp_tk_name[gqp_peek(p)->kind]);
		gqp_next(p);
	}
	gqp_put_list(p, nd, key, &l);
}

/* Names separated by sep ('&' or '|'), a leading one allowed. */
static void
name_list(struct gp *p, struct node *nd, const char *key, enum tk sep)
{
	struct ls_vlist l;

	ls_vlist_init(&l, p->a);
	gqp_skip(p, sep);
	do {
		gqp_push(p, &l, gqp_name(p));
	} while (!p->err && gqp_skip(p, sep));
	gqp_put_list(p, nd, key, &l);
}

static const struct ls_val *
op_type_def(struct gp *p)
{
	struct node nd = { .n = 0 };
	struct tok at = gqp_next(p);

	if (at.kind != T_NAME ||
	    (strcmp(at.val, "query") != 0 && strcmp(at.val, "mutation") != 0 &&
		strcmp(at.val, "subscription") != 0))
		gqp_unexpected_tok(p, &at);
	gqp_put(p, &nd, "Operation", ls_val_string(p->a, at.val, at.vlen));
	gqp_expect(p, T_COLON);
	gqp_put(p, &nd, "Type", gqp_name(p));
	gqp_put_pos(p, &nd, &at);
	return gqp_done(p, &nd);
}

/* type/scalar/interface/union/enum/input definition or extension. */
static const struct ls_val *
type_def(struct gp *p, const struct ls_val *desc, int ext)
{
	static const char *kw[] = { "scalar", "type", "interface", "union",
		"enum", "input" };
	static const char *kind[] = { "SCALAR", "OBJECT", "INTERFACE", "UNION",
		"ENUM", "INPUT_OBJECT" };
	struct node nd = { .n = 0 };
	struct tok at = *gqp_peek(p);
	size_t k, before;

	for (k = 0; k < 6 && !gqp_peek_kw(p, kw[k]); k++)
		;
	if (k == 6) {
		gqp_unexpected(p);
		return ls_val_empty_object();
	}
	gqp_next(p);
	gqp_put_str(p, &nd, "Kind", kind[k]);
	gqp_put(p, &nd, "Description", desc);
	gqp_put(p, &nd, "Name", gqp_name(p));
	gqp_put(p, &nd, "BuiltIn", ls_val_bool(0));
	before = nd.n;
	if (k == 1 || k == 2) {
		if (gqp_peek_kw(p, "implements")) {
			gqp_next(p);
			name_list(p, &nd, "Interfaces", T_AMP);
		}
	}
	gqp_directives(p, &nd, 1);
	if (k == 1 || k == 2)
		some(p, &nd, "Fields", field_def);
	else if (k == 3 && gqp_skip(p, T_EQUALS))
		name_list(p, &nd, "Types", T_PIPE);
	else if (k == 4)
		some(p, &nd, "EnumValues", enum_value_def);
	else if (k == 5)
		some(p, &nd, "Fields", input_value_def);
	if (ext && nd.n == before && !p->err)
		gqp_unexpected(p);
	gqp_put_pos(p, &nd, &at);
	return gqp_done(p, &nd);
}

static const struct ls_val *
schema_def(struct gp *p, const struct ls_val *desc, int ext)
{
	struct node nd = { .n = 0 };
	struct tok at = *gqp_peek(p);

	gqp_expect_kw(p, "schema");
	gqp_put(p, &nd, "Description", desc);
	gqp_directives(p, &nd, 1);
	some(p, &nd, "OperationTypes", op_type_def);
	if (ext && nd.n == 1 && !p->err)
		gqp_unexpected(p);
	gqp_put_pos(p, &nd, &at);
	return gqp_done(p, &nd);
}

static int
directive_location(const char *s)
{
	static const char *loc[] = { "QUERY", "MUTATION", "SUBSCRIPTION",
		"FIELD", "FRAGMENT_DEFINITION", "FRAGMENT_SPREAD",
		"INLINE_FRAGMENT", "VARIABLE_DEFINITION", "SCHEMA", "SCALAR",
		"OBJECT", "FIELD_DEFINITION", "ARGUMENT_DEFINITION",
		"INTERFACE", "UNION", "ENUM", "ENUM_VALUE", "INPUT_OBJECT",
		"INPUT_FIELD_DEFINITION" };
	size_t i;

	for (i = 0; i < sizeof loc / sizeof loc[0]; i++)
		if (strcmp(s, loc[i]) == 0)
			return 1;
	return 0;
}

static const struct ls_val *
directive_def(struct gp *p, const struct ls_val *desc)
{
	struct node nd = { .n = 0 };
	struct ls_vlist l;
	struct tok at = *gqp_peek(p);

	ls_vlist_init(&l, p->a);
	gqp_expect_kw(p, "directive");
	gqp_expect(p, T_AT);
	gqp_put(p, &nd, "Description", desc);
	gqp_put(p, &nd, "Name", gqp_name(p));
	argument_defs(p, &nd);
	gqp_put(p, &nd, "IsRepeatable",
	    ls_val_bool(gqp_peek_kw(p, "repeatable")));
	if (gqp_peek_kw(p, "repeatable"))
		gqp_next(p);
	gqp_expect_kw(p, "on");
	gqp_skip(p, T_PIPE);
	do {
		struct tok t = gqp_expect(p, T_NAME);
		if (!p->err && !directive_location(t.val))
			gqp_unexpected_tok(p, &t);
		gqp_push(p, &l, ls_val_string(p->a, t.val, t.vlen));
	} while (!p->err && gqp_skip(p, T_PIPE));
	gqp_put_list(p, &nd, "Locations", &l);
	gqp_put_pos(p, &nd, &at);
	return gqp_done(p, &nd);
}

const struct ls_val *
gqp_schema_doc(struct gp *p)
{
	struct ls_vlist l[5];
	static const char *key[5] = { "Schema", "SchemaExtension", "Directives",
		"Definitions", "Extensions" };
	struct node nd = { .n = 0 };
	int i;

	for (i = 0; i < 5; i++)
		ls_vlist_init(&l[i], p->a);
	while (!p->err && gqp_peek(p)->kind != T_EOF) {
		const struct ls_val *desc = description(p);
		if (gqp_peek(p)->kind != T_NAME) {
			gqp_unexpected(p);
			break;
		}
		if (gqp_peek_kw(p, "schema")) {
			gqp_push(p, &l[0], schema_def(p, desc, 0));
		} else if (gqp_peek_kw(p, "directive")) {
			gqp_push(p, &l[2], directive_def(p, desc));
		} else if (gqp_peek_kw(p, "extend")) {
			if (desc->u.str.len > 0) {
				gqp_unexpected_tok(p, &p->prev);
				break;
			}
			gqp_next(p);
			if (gqp_peek_kw(p, "schema"))
				gqp_push(p, &l[1], schema_def(p, desc, 1));
			else
				gqp_push(p, &l[4], type_def(p, desc, 1));
		} else {
			gqp_push(p, &l[3], type_def(p, desc, 0));
		}
	}
	for (i = 0; i < 5; i++)
		gqp_put_list(p, &nd, key[i], &l[i]);
	return gqp_done(p, &nd);
}
