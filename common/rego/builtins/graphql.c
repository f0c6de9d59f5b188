/*
 * graphql.c - the graphql.* builtins: parse_query, parse_schema,
 * parse, parse_and_verify, is_valid and schema_is_valid, with OPA's
 * results and error wording.  Documents may be given as GraphQL text or,
 * where OPA accepts it, as an AST object from parse_query/parse_schema.
 */
#include <string.h>

#include "lockstep/error.h"
#include "rego/builtins/crypto.h"
#include "rego/builtins/gql.h"

/* "MSG in GraphQL <what>string at location L:C", '.' trimmed for
 * validation messages as OPA trims them. */
static int
gql_error(struct ls_bi_ctx *ctx, const struct bi_gql_err *e, const char *what,
    int trim)
{
	size_t n = strlen(e->msg);

	if (trim && n > 0 && e->msg[n - 1] == '.')
		n--;
	if (!ctx->v0 && strcmp(what, "query ") == 0)
		what = ""; /* OPA 1.x: "in GraphQL string" */
	return ls_bi_error(ctx, "%.*s in GraphQL %sstring at location %d:%d",
	    (int)n, e->msg, what, e->line, e->col);
}

/* A document operand: text is parsed, an object is taken as an AST.
 * 0, LS_BI_ETYPE for other types, or the parse error code. */
static int
doc(struct ls_bi_ctx *ctx, const struct ls_val **out, struct bi_gql_err *e,
    const struct ls_val *arg, int schema)
{
	memset(e, 0, sizeof *e);
	if (arg->type == LS_VAL_OBJECT) {
		*out = arg;
		return 0;
	}
	if (arg->type != LS_VAL_STRING)
		return LS_BI_ETYPE;
	return bi_gql_parse(out, e, ctx->arena, arg->u.str.p, arg->u.str.len,
	    (schema ? BI_GQL_SCHEMA : 0) | (ctx->v0 ? BI_GQL_V0 : 0));
}

static int
parse_one(BI_ARGS, int schema)
{
	const struct ls_val *v = NULL;
	struct bi_gql_err e;
	int rc;

	(void)nargs;
	if ((rc = bi_arg_type(ctx, args, 0, LS_VAL_STRING, "string")) != 0)
		return rc;
	if ((rc = doc(ctx, &v, &e, args[0], schema)) == LS_ENOMEM)
		return LS_BI_ENOMEM;
	if (rc != 0)
		return gql_error(ctx, &e, "", 0);
	return bi_ret(out, bi_gql_prune(ctx->arena, v));
}

int
ls_bi_graphql_parse_query(BI_ARGS)
{
	return parse_one(ctx, args, nargs, out, 0);
}

int
ls_bi_graphql_parse_schema(BI_ARGS)
{
	return parse_one(ctx, args, nargs, out, 1);
}

/* Parse and validate both documents: 0 valid; otherwise a builtin error
 * recorded in ctx (type errors as type errors). */
static int
verify(struct ls_bi_ctx *ctx, const struct ls_val *const *args,
    const struct ls_val **q, const struct ls_val **s)
{
	struct bi_gql_err e;
	int rc;

	if ((rc = doc(ctx, q, &e, args[0], 0)) == LS_BI_ETYPE)
		return ls_bi_type_error(ctx, 1, "string", args[0]);
	if (rc == LS_ENOMEM)
		return LS_BI_ENOMEM;
	if (rc != 0)
		return gql_error(ctx, &e, "", 0);
	if ((rc = doc(ctx, s, &e, args[1], 1)) == LS_BI_ETYPE)
		return ls_bi_type_error(ctx, 2, "string", args[1]);
	if (rc == LS_ENOMEM)
		return LS_BI_ENOMEM;
	if (rc != 0)
		return gql_error(ctx, &e, "schema ", 0);
	if ((rc = bi_gql_schema_check(&e, ctx->arena, *s)) == LS_ENOMEM)
		return LS_BI_ENOMEM;
	if (rc != 0)
		return gql_error(ctx, &e, "schema ", 0);
	if ((rc = bi_gql_query_check(&e, ctx->arena, *s, *q)) == LS_ENOMEM)
		return LS_BI_ENOMEM;
	if (rc != 0)
		return gql_error(ctx, &e, "query ", 1);
	return 0;
}

int
ls_bi_graphql_parse(BI_ARGS)
{
	const struct ls_val *q = NULL, *s = NULL, *items[2];
	int rc;

	(void)nargs;
	if ((rc = verify(ctx, args, &q, &s)) != 0)
		return rc;
	items[0] = bi_gql_prune(ctx->arena, q);
	items[1] = bi_gql_prune(ctx->arena, s);
	if (items[0] == NULL || items[1] == NULL)
		return LS_BI_ENOMEM;
	return bi_ret(out, ls_val_array(ctx->arena, items, 2));
}

int
ls_bi_graphql_parse_and_verify(BI_ARGS)
{
	const struct ls_val *q = NULL, *s = NULL, *items[3];
	int rc;

	(void)nargs;
	rc = verify(ctx, args, &q, &s);
	if (rc == LS_BI_ENOMEM || rc == LS_BI_ETYPE)
		return rc;
	items[0] = ls_val_bool(rc == 0);
	items[1] =
	    rc == 0 ? bi_gql_prune(ctx->arena, q) : ls_val_empty_object();
	items[2] =
	    rc == 0 ? bi_gql_prune(ctx->arena, s) : ls_val_empty_object();
	if (items[1] == NULL || items[2] == NULL)
		return LS_BI_ENOMEM;
	return bi_ret(out, ls_val_array(ctx->arena, items, 3));
}

int
ls_bi_graphql_is_valid(BI_ARGS)
{
	const struct ls_val *q = NULL, *s = NULL;
	int rc;

	(void)nargs;
	rc = verify(ctx, args, &q, &s);
	if (rc == LS_BI_ENOMEM)
		return rc;
	return bi_ret(out, ls_val_bool(rc == 0));
}

int
ls_bi_graphql_schema_is_valid(BI_ARGS)
{
	const struct ls_val *s = NULL;
	struct bi_gql_err e;
	int rc;

	(void)nargs;
	rc = doc(ctx, &s, &e, args[0], 1);
	if (rc == LS_ENOMEM)
		return LS_BI_ENOMEM;
	if (rc == 0)
		rc = bi_gql_schema_check(&e, ctx->arena, s);
	if (rc == LS_ENOMEM)
		return LS_BI_ENOMEM;
	return bi_ret(out, ls_val_bool(rc == 0));
}
