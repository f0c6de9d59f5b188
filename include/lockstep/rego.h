/*
 * rego.h - the embedded Rego engine: load modules and data, compile into an
 * immutable policy, evaluate queries, run tests.
 *
 * A compiled struct ls_rego_policy is immutable and reference counted: any
 * number of threads may evaluate it at once, each evaluation using its own
 * arena freed in one step.  The agent swaps policies under load by
 * publishing a new pointer and dropping its reference to the old one;
 * evaluations in flight keep theirs.  No global mutable state.
 *
 * Errors: functions return 0 or a negative enum ls_err (LS_EREGO for
 * policy errors) and fill *err_out, when given, with a message such as
 * "policy.rego:12:5: rego_parse_error: unexpected '}'"; the caller frees it.
 * Compile errors are rego_parse_error, rego_unsafe_var_error,
 * rego_recursion_error, rego_type_error (unknown function, arity,
 * conflicting rule kinds) and rego_compile_error; evaluation errors are
 * "FILE:LINE: eval_conflict_error: ..." and, with strict builtin errors,
 * eval_type_error / eval_builtin_error; eval_cancel_error when a step,
 * time or stack limit stops a query, eval_memory_error for the memory cap.
 *
 * Language: Rego v1 and v0 (v0 modules also understand in, every, if and
 * contains), general ref heads (p[x].y := v), with on input, data and
 * functions, every, comprehensions; builtins are listed in
 * common/rego/builtins/table.c.
 */
#ifndef LOCKSTEP_REGO_H
#define LOCKSTEP_REGO_H

#include <stddef.h>

struct ls_rego_builder;
struct ls_rego_policy;
struct ls_rego_cover;
struct ls_rego_view;

struct ls_rego_builder *ls_rego_builder_new(void); /* NULL on ENOMEM */
void ls_rego_builder_free(struct ls_rego_builder *b);

/* rego_version: 0 (v0 syntax) or 1 (v1, the default). */
int ls_rego_builder_add_module(struct ls_rego_builder *b, const char *file,
    const char *src, size_t len, int rego_version, char **err_out);

/* Merge a JSON document at a slash path ("" = root, "a/b" = data.a.b). */
int ls_rego_builder_add_data(struct ls_rego_builder *b, const char *path,
    const char *json, size_t len, char **err_out);

/*
 * Let calls to functions that are neither builtins nor rules compile; such
 * a call fails its evaluation with "eval_builtin_error: undefined function
 * NAME" (OPA's compiler option WithAllowUndefinedFunctionCalls).  For
 * libraries whose own tool registers custom builtins: their other rules
 * and tests still run.
 */
void ls_rego_builder_allow_undefined_functions(struct ls_rego_builder *b,
    int yes);

/* ls_rego_builder_add_data naming origin (the file the document came
 * from) in parse and merge errors; origin may be NULL. */
int ls_rego_builder_add_data_file(struct ls_rego_builder *b, const char *path,
    const char *origin, const char *json, size_t len, char **err_out);

/* Compile (checks safety, recursion, conflicts, arity).  The builder is
 * not consumed. */
int ls_rego_compile(struct ls_rego_policy **out, struct ls_rego_builder *b,
    char **err_out);

/*
 * Load an OPA bundle directory: .manifest (rego_version), every *.rego,
 * every data.json (no other data file) at its directory path.  With
 * with_tests == 0, *_test.rego files are skipped.
 */
int ls_rego_load_dir(struct ls_rego_policy **out, const char *dir,
    int with_tests, char **err_out);

/* Which files of a directory tree are data documents. */
enum ls_rego_data_files {
	LS_REGO_DATA_ALL,    /* every *.json, *.yaml, *.yml (opa test, -d) */
	LS_REGO_DATA_BUNDLE, /* data.json, data.yaml, data.yml (opa -b) */
	LS_REGO_DATA_JSON    /* data.json only (ls_rego_load_dir) */
};

#define LS_REGO_LOAD_MAX_BYTES ((size_t)256 << 20) /* default total cap */

struct ls_rego_load_opts {
	enum ls_rego_data_files data;
	int with_tests;		   /* 0 = skip *_test.rego */
	int v0_compatible;	   /* every module is Rego v0 */
	const char *const *ignore; /* fnmatch globs on base names */
	size_t nignore;
	size_t max_bytes; /* bytes read in all, 0 = LS_REGO_LOAD_MAX_BYTES */
};

/*
 * Add the modules and data under paths (each a file or a directory) to
 * b, as opa test and opa eval -d load them: a data file's document goes
 * at its directory's path relative to the path argument (a data file
 * given directly at the root); YAML data holds one document.  A
 * .manifest at a directory argument sets rego_version, and
 * file_rego_versions (globs on paths under that directory) per file,
 * unless o->v0_compatible.  Names starting with '.', symlinks and base
 * names matching an ignore glob are skipped.  Limits: 16 MiB a file,
 * 10,000 files, depth 32, o->max_bytes in all.  Returns LS_EREGO,
 * LS_ETOOBIG, LS_EFORMAT, LS_EIO or LS_ENOTFOUND with *err_out naming
 * the file.  Merge conflicts show at ls_rego_compile, naming the file.
 */
int ls_rego_load_paths(struct ls_rego_builder *b, const char *const *paths,
    size_t npaths, const struct ls_rego_load_opts *o, char **err_out);

struct ls_rego_policy *ls_rego_policy_ref(struct ls_rego_policy *p);
void ls_rego_policy_unref(struct ls_rego_policy *p); /* NULL ok */

/* What one evaluation cost (for benchmarks and decision logs). */
struct ls_rego_eval_stats {
	unsigned long long steps; /* expressions and bindings tried */
	size_t arena_bytes;	  /* most evaluation memory in use at once */
	size_t allocations;	  /* malloc calls behind the arena */
};

struct ls_rego_eval_opts {
	int strict_builtin_errors; /* builtin errors halt the query */
	size_t max_steps;	   /* 0 = default cap on evaluation work */
	unsigned timeout_ms;	   /* 0 = no wall-clock limit */
	int input_is_rego;	   /* input text is a Rego term (sets ok) */
	int strict_input; /* JSON input refused where jansson refuses it */
	size_t max_memory;	   /* 0 = default arena cap (1 GiB) */
	/* print() output, one line per call; NULL = discarded. */
	void (*print)(void *arg, const char *line, size_t len);
	void *print_arg;
	struct ls_rego_eval_stats *stats; /* filled in when not NULL */
	/* Coverage hits go here when not NULL (lockstep/rego_cover.h);
	 * it must have been made for the policy evaluated. */
	struct ls_rego_cover *cover;
	/* Called once with the parsed input before evaluation starts (not
	 * when there is no input); a nonzero return ends the evaluation
	 * with that code, the callback having set the error.  The view is
	 * valid during the call only.  So a door reads its envelope from
	 * the parse the evaluation makes anyway. */
	int (*on_input)(void *arg, const struct ls_rego_view *input);
	void *on_input_arg;
};

/*
 * A read-only view of one value the engine parsed (rego/view.c).
 * ls_rego_view_get gives an object's member (NULL when v is NULL, not
 * an object, or has no such key); ls_rego_view_string a string's bytes
 * (NUL-terminated, *len without it; NULL unless a string).
 */
const struct ls_rego_view *ls_rego_view_get(const struct ls_rego_view *v,
    const char *key);
const char *ls_rego_view_string(const struct ls_rego_view *v, size_t *len);
int ls_rego_view_is_object(const struct ls_rego_view *v);
int ls_rego_view_is_true(const struct ls_rego_view *v);

/*
 * Parse JSON text with the engine's parser (duplicate keys refused, and
 * what jansson refuses, as strict_input; depth and max_memory bytes
 * capped, 0 = 64 MiB) and call fn with its
 * view, for a caller that needs some fields and no evaluation.  fn's
 * nonzero return is returned; LS_EFORMAT / LS_ETOOBIG for bad text.
 */
int ls_rego_view_json(const char *json, size_t len, size_t max_memory,
    int (*fn)(void *arg, const struct ls_rego_view *v), void *arg);

/*
 * Evaluate query with input (JSON text or NULL).  *out_json gets
 * {"result":[{"expressions":[...],"bindings":{...}}]} as opa eval
 * --format=json prints it, or {} when undefined.  LS_EREGO with
 * *err_out for parse, compile or evaluation errors.
 */
int ls_rego_eval_query(char **out_json, const struct ls_rego_policy *p,
    const char *query, const char *input_json, size_t input_len,
    const struct ls_rego_eval_opts *opts, char **err_out);

/* Evaluate the document at a data path ("kubernetes/admission/deny") and
 * return its JSON value, LS_ENOTFOUND when undefined. */
int ls_rego_eval_path(char **out_json, const struct ls_rego_policy *p,
    const char *path, const char *input_json, size_t input_len, char **err_out);

/* ls_rego_eval_path with evaluation options (budgets, print() capture);
 * opts may be NULL. */
int ls_rego_eval_path_opts(char **out_json, const struct ls_rego_policy *p,
    const char *path, const char *input_json, size_t input_len,
    const struct ls_rego_eval_opts *opts, char **err_out);

enum ls_rego_test_status {
	LS_REGO_PASS,
	LS_REGO_FAIL,
	LS_REGO_ERROR,
	LS_REGO_SKIP
};

/* One case of a table-driven test (test_x[name] if {...}): each key
 * of the rule's object, nested keys one level deeper, in opa's order
 * (depth first, keys sorted). */
struct ls_rego_test_case {
	char *name; /* the key: a string as is, else its JSON */
	int depth;  /* 0 = directly under the test */
	int fail;   /* 1 = FAIL, 0 = PASS */
	int leaf;   /* no cases below: counted in the totals */
};

struct ls_rego_test_result {
	char *package; /* "data.k8s.admission" */
	char *name;    /* "test_deny_privileged", "test_x#01" for the
			* second rule of that name, as opa names it */
	char *file;    /* file:line of the rule */
	enum ls_rego_test_status status;
	char *message; /* error text for LS_REGO_ERROR, else NULL */
	char *output;  /* print() lines, each ending in '\n'; NULL
				 * when the test printed nothing */
	unsigned long long duration_ns;
	struct ls_rego_test_case *cases; /* owned; NULL when none */
	size_t ncases;
};

struct ls_rego_test_results {
	struct ls_rego_test_result *v; /* owned */
	size_t n;
	/* opa test's counts: a table-driven test that ran counts each
	 * leaf case instead of itself; total is their sum. */
	size_t passed, failed, errored, skipped, total;
};

struct ls_rego_test_opts {
	const char *run;     /* PCRE2 on "data.pkg.test_x"; NULL = all */
	unsigned timeout_ms; /* per test, 0 = none; past it: ERROR */
	struct ls_rego_cover *cover; /* coverage hits of every test, or
					NULL (lockstep/rego_cover.h) */
};

/* Run every test_ rule (todo_test_ rules are SKIP) like opa test. */
int ls_rego_run_tests(struct ls_rego_test_results *out,
    const struct ls_rego_policy *p, char **err_out);

/* The same with options (o may be NULL).  LS_EINVAL for a bad run
 * pattern, with *err_out saying why. */
int ls_rego_run_tests_opts(struct ls_rego_test_results *out,
    const struct ls_rego_policy *p, const struct ls_rego_test_opts *o,
    char **err_out);
void ls_rego_test_results_cleanup(struct ls_rego_test_results *r);

/*
 * Call fn(arg, package, rule) once per rule definition of the policy's
 * modules, in module order: package as "a.b" (no "data."), rule the first
 * name after the package ("deny" for deny contains msg if ...).  Stops
 * with fn's non-zero return, which it returns.
 */
int ls_rego_policy_rules(const struct ls_rego_policy *p,
    int (*fn)(void *arg, const char *package, const char *rule), void *arg);

#endif
