/*
 * compile.h - compiled policies (rego-core internal): the tree of
 * virtual documents, name resolution and safety ordering, and the entry
 * points of the evaluator.
 */
#ifndef LS_REGO_COMPILE_H
#define LS_REGO_COMPILE_H

#include <stddef.h>

#include "lockstep/buf.h"
#include "rego/ast.h"

/* One path segment of data: its rules and children. */
struct ls_node {
	const char *name;
	const struct ls_val *key; /* name as a string value */
	struct ls_node *parent;
	struct ls_node **kids; /* sorted by name */
	size_t nkids, capkids;
	struct ls_rule **rules; /* non-default definitions */
	size_t nrules, caprules;
	struct ls_rule *dflt; /* default rule or NULL */
	enum ls_rk k;	      /* kind shared by all rules here */
	int nargs;	      /* functions: arity */
	int id;		      /* index for memoisation */
	int has_rules;	      /* rules here or below */
	int is_pkg;	      /* a package: {} even when empty */
	int general;	      /* some rule has a general ref head */
	int visiting, done;   /* recursion check */
};

struct ls_rego_policy {
	int refs;		   /* atomic reference count */
	struct ls_arena *arena;	   /* everything below lives here */
	struct ls_node *root;	   /* data */
	const struct ls_val *data; /* base documents */
	struct ls_module **mods;
	size_t nmods;
	int nnodes;
	int allow_undef_funcs; /* unknown calls fail at evaluation */
};

/* Child of n by name, NULL when absent. */
struct ls_node *
ls_node_child(const struct ls_node *n, const char *name, size_t len);
/* Node at a path of string segments, NULL when absent. */
struct ls_node *
ls_node_find(struct ls_node *root, const char *const *path, size_t n);

/* Child named name, created if absent; NULL on ENOMEM. */
struct ls_node *
ls_node_ensure(struct ls_rego_policy *p, struct ls_node *n, const char *name);

/* Record the input field a rule's body requires, if any (index.c). */
void ls_rego_index_rule(struct ls_rule *r);

/* Add p->mods' rules to the tree, resolve them, reject recursion. */
int ls_rego_compile_modules(struct ls_rego_policy *p);

/*
 * Resolve names in a rule (vars to slots, rule names and imports to data
 * refs, calls to builtins or functions) and order its body for safety.
 * LS_EREGO with "FILE:LINE:COL: rego_...: reason".
 */
int ls_rego_resolve_rule(struct ls_rego_policy *p, struct ls_arena *a,
    struct ls_rule *r);

/* Same for a query; *nslots_out gets its frame size, names_out (arena)
 * the name of each slot (NULL for generated ones). */
int ls_rego_resolve_query(const struct ls_rego_policy *p, struct ls_arena *a,
    struct ls_body *q, const char *pkg, int *nslots_out,
    const char ***names_out);

/* Evaluation ------------------------------------------------------------ */

struct ls_eval_cfg {
	const struct ls_val *input;   /* NULL: undefined */
	int strict;		      /* strict builtin errors */
	unsigned long long max_steps; /* 0: default */
	unsigned timeout_ms;	      /* 0: none */
	long long now_ns;	      /* 0: clock at start */
	void (*print)(void *arg, const char *line, size_t len);
	void *print_arg;
	unsigned long long *steps_out;	    /* steps taken, when not NULL */
	const struct ls_expr *const *exprs; /* query exprs, in order */
	size_t nexprs;			    /* their values go to sol() */
	struct ls_rego_cover *cover;	    /* coverage hits, or NULL */
};

/* Called once per solution of a query with the frame of slot values. */
typedef int (*ls_eval_sol_fn)(void *arg, const struct ls_val *const *slots,
    const struct ls_val *const *exprs, size_t nexprs);

/*
 * Run a resolved query; sol is called per solution.  Returns 0, or
 * LS_EREGO with ls_error_last() = "CODE: message" where CODE is
 * eval_conflict_error, eval_type_error, eval_builtin_error, ...
 */
int ls_eval_query(const struct ls_rego_policy *p, struct ls_arena *a,
    const struct ls_body *q, int nslots, const struct ls_eval_cfg *cfg,
    ls_eval_sol_fn sol, void *arg);

struct ls_rego_eval_opts;
/* o->on_input with the parsed input, when both are set (rego/view.c). */
int ls_rego_view_call(const struct ls_rego_eval_opts *o,
    const struct ls_val *in);

#endif
