/*
 * dectab.h - the controls of every document of a compiled policy, held
 * with the policy and computed once when it is loaded (never per
 * decision), for decision records.
 *
 * A node's own controls are its METADATA custom.controls (rule or
 * package annotation) and every control map entry (controls.h) whose
 * target is the node's data path or a package above it.  Its controls
 * are its own plus those of everything it depends on, transitively
 * (rego_deps.h): the deny rule of the example covers the checks it
 * collects.
 *
 * Attribution of a violation: the "leaves" of an evaluated document are
 * the partial set rules it depends on that have own controls (the checks'
 * violation rules); an element of the result is attributed to the leaves
 * whose value holds it (equal, or equal to its "msg").  Leaves are
 * listed once per document on first use and cached.
 */
#ifndef LOCKSTEP_DECTAB_H
#define LOCKSTEP_DECTAB_H

#include <stddef.h>

#include "lockstep/controls.h"

struct ls_rego_policy;
struct ls_rego_prepared;
struct ls_dectab;

struct ls_dectab_leaves {
	size_t n;
	const char **paths;	      /* "data.a.b.violation" */
	const char *const **controls; /* per leaf, NULL-terminated, sorted */
	const char *query;	      /* evaluates [path, leaf 0, ...] as
					* one array of singleton arrays */
	struct ls_rego_prepared *prepared; /* query, parsed once */
};

/*
 * Build the table of p: reads the control map and exceptions from
 * data.lockstep (a map that does not parse counts as empty and *warn,
 * when not NULL, gets the reason; caller frees).  LS_ENOMEM.
 */
int ls_dectab_build(struct ls_dectab **out, const struct ls_rego_policy *p,
    char **warn);
void ls_dectab_free(struct ls_dectab *t); /* NULL is a no-op */

/* Controls of the document at slash path ("a/b"), NULL-terminated,
 * sorted, unique, borrowed; an empty list when unknown. */
const char *const *
ls_dectab_controls(const struct ls_dectab *t, const char *path);

/* Own controls of the node at path (same form). */
const char *const *ls_dectab_own(const struct ls_dectab *t, const char *path);

/* Leaves of path (cached; thread-safe), NULL on ENOMEM or when path is
 * not itself a document of the policy's rule tree. */
const struct ls_dectab_leaves *
ls_dectab_leaves(struct ls_dectab *t, const char *path);

/* 1 if the document at path reads data.lockstep.exceptions. */
int ls_dectab_reads_exceptions(const struct ls_dectab *t, const char *path);

/* The exceptions of the bundle (borrowed). */
const struct ls_controls *ls_dectab_exceptions(const struct ls_dectab *t);

/* 1 if the policy defines data.system.log.mask / .drop. */
int ls_dectab_has_mask(const struct ls_dectab *t);
int ls_dectab_has_drop(const struct ls_dectab *t);

#endif
