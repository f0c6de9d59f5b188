/*
 * builtins.h - the registry of Rego builtin functions and how the
 * evaluator calls them.
 *
 * A builtin receives its already-evaluated operands (immutable values)
 * and a call context; it returns one of:
 *   LS_BI_OK      *out holds the result (allocated in ctx->arena or shared)
 *   LS_BI_UNDEF   the call is undefined (no result, no error)
 *   LS_BI_ETYPE   an operand has the wrong type: set with ls_bi_type_error
 *   LS_BI_EBUILTIN any other failure: set with ls_bi_error
 *   LS_BI_ENOMEM  the arena is exhausted
 * On LS_BI_ETYPE / LS_BI_EBUILTIN the evaluator makes the expression
 * undefined, or halts the query with eval_type_error / eval_builtin_error
 * when strict builtin errors were asked for (ctx->strict).  A builtin
 * never prints and never keeps state between calls.
 *
 * Builtins flagged LS_BI_F_MULTI (e.g. walk) return an array whose
 * elements are each one separate result: the evaluator iterates them.
 *
 * Ownership: the table (builtins/table.c) and almost all builtins belong to the
 * "rego-builtins" helper; the comparison builtins (equal, neq, lt, gt,
 * lte, gte; builtins/compare.c) and this interface belong to "rego-core".
 */
#ifndef LS_REGO_BUILTINS_H
#define LS_REGO_BUILTINS_H

#include <stddef.h>
#include <stdint.h>

#include "rego/arena.h"
#include "rego/value.h"

enum {
	LS_BI_OK = 0,
	LS_BI_UNDEF = 1,
	LS_BI_ETYPE = -1,
	LS_BI_EBUILTIN = -2,
	LS_BI_ENOMEM = -3,
};

#define LS_BI_VARIADIC (-1) /* arity of print and the like */
#define LS_BI_F_MULTI 0x1   /* result array = several results */
#define LS_BI_F_NONDET 0x2  /* result may differ between calls */

struct ls_bi_ctx {
	struct ls_arena *arena; /* the evaluation's arena: put results here */
	const char *name;	/* OPA name of the builtin being called */
	int strict;		/* strict builtin errors (informational) */
	int64_t now_ns;		/* fixed "now" of this evaluation (UTC ns) */
	/* Sink for print(): one line without the newline.  May be NULL. */
	void (*print)(void *arg, const char *line, size_t len);
	void *print_arg;
	char msg[512]; /* error text set by ls_bi_*error */
	void *eval;    /* evaluator-private, builtins ignore it */
	/* The caller is a Rego v0 module: give OPA 0.x's output where
	 * OPA 1.x changed a builtin's (GraphQL AST flags, JWT signing
	 * input), as v0 policies and their tests were written for 0.x. */
	int v0;
};

/* args[0..nargs) are the operands; nargs == arity unless variadic. */
typedef int (*ls_bi_fn)(struct ls_bi_ctx *ctx, const struct ls_val *const *args,
    size_t nargs, const struct ls_val **out);

struct ls_bi {
	const char *name; /* "count", "strings.replace_n", "object.get" */
	int arity;	  /* operands (outputs excluded), or VARIADIC */
	unsigned flags;	  /* LS_BI_F_* */
	ls_bi_fn fn;
};

/* The table, in builtins/table.c: ls_bi_table[0..ls_bi_table_len). */
extern const struct ls_bi ls_bi_table[];
extern const size_t ls_bi_table_len;

/* Find a builtin by its full dotted name; NULL when unknown. */
const struct ls_bi *ls_bi_lookup(const char *name, size_t len);

/*
 * Record "NAME: operand N must be WANT but got GOT" (N counted from 1,
 * GOT the OPA type name of the operand) and return LS_BI_ETYPE:
 *     return ls_bi_type_error(ctx, 1, "string", args[0]);
 */
int ls_bi_type_error(struct ls_bi_ctx *ctx, int operand, const char *want,
    const struct ls_val *got);

/* Record "NAME: " + message and return LS_BI_EBUILTIN. */
int ls_bi_error(struct ls_bi_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Analyzer only: it cannot see builtins/registry.c (see lockstep/error.h). */
#if defined(__clang_analyzer__) && !defined(LS_BUILTINS_IMPL)
#define ls_bi_type_error(ctx, ...)                                             \
	(ls_bi_type_error((ctx), __VA_ARGS__), LS_BI_ETYPE)
#define ls_bi_error(ctx, ...) (ls_bi_error((ctx), __VA_ARGS__), LS_BI_EBUILTIN)
#endif

/* Comparison builtins (builtins/compare.c), listed in the table. */
int ls_bi_equal(struct ls_bi_ctx *ctx, const struct ls_val *const *args,
    size_t nargs, const struct ls_val **out);
int ls_bi_neq(struct ls_bi_ctx *ctx, const struct ls_val *const *args,
    size_t nargs, const struct ls_val **out);
int ls_bi_lt(struct ls_bi_ctx *ctx, const struct ls_val *const *args,
    size_t nargs, const struct ls_val **out);
int ls_bi_gt(struct ls_bi_ctx *ctx, const struct ls_val *const *args,
    size_t nargs, const struct ls_val **out);
int ls_bi_lte(struct ls_bi_ctx *ctx, const struct ls_val *const *args,
    size_t nargs, const struct ls_val **out);
int ls_bi_gte(struct ls_bi_ctx *ctx, const struct ls_val *const *args,
    size_t nargs, const struct ls_val **out);

#endif
