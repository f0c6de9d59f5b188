/*
 * bi_gql.h - GraphQL for the graphql.* builtins: a bounded
 * recursive-descent parser of query and schema documents (the grammar
 * and error messages of gqlparser, which OPA uses) whose result is the
 * AST as OPA returns it, as Rego values (gqlparser's field names; null,
 * empty lists and empty objects left out); and the validation OPA runs
 * (schema loading, query rules) over those values.  Internal to
 * common/rego.
 *
 * Parsed nodes carry a "Position" object {"Line", "Column"} for error
 * locations; bi_gql_prune() drops them before a value is returned to a
 * policy, as OPA does.
 */
#ifndef LS_REGO_BI_GQL_H
#define LS_REGO_BI_GQL_H

#include <stddef.h>

#include "rego/arena.h"
#include "rego/value.h"

#define BI_GQL_MAX_INPUT (1u * 1024 * 1024) /* bytes of one document */
#define BI_GQL_MAX_DEPTH 128		    /* nesting of any kind */
#define BI_GQL_MAX_TOKENS 200000	    /* tokens of one document */

/* An error with the location gqlparser reports. */
struct bi_gql_err {
	char msg[256];
	int line, col;
};

/* Parse a query (schema 0) or schema (BI_GQL_SCHEMA) document into
 * *out; BI_GQL_V0 leaves out the fields OPA 1.x's parser added.
 * LS_EFORMAT with err filled on a syntax error or a cap. */
#define BI_GQL_SCHEMA 1
#define BI_GQL_V0 2
int bi_gql_parse(const struct ls_val **out, struct bi_gql_err *err,
    struct ls_arena *a, const char *src, size_t len, int schema);

/* Copy of v without "Position" keys. NULL on ENOMEM. */
const struct ls_val *bi_gql_prune(struct ls_arena *a, const struct ls_val *v);

/* Validate a parsed schema document (with the built-in types added):
 * 0 valid, LS_EFORMAT with err filled otherwise. */
int bi_gql_schema_check(struct bi_gql_err *err, struct ls_arena *a,
    const struct ls_val *schema);

/* Validate a parsed query against a parsed schema (which must have
 * passed bi_gql_schema_check). */
int bi_gql_query_check(struct bi_gql_err *err, struct ls_arena *a,
    const struct ls_val *schema, const struct ls_val *query);

#endif
