/*
 * admq.h - the admission door's queries, prepared once per compiled
 * policy and rule path (held by the active policy, engine.h).
 *
 * For rule path P the query is one array
 *   [[x | x := data.P.deny], [... violation], [... warn], [... allow],
 *    [leaf 0 of P/deny], ...]
 * so one evaluation answers the review and attributes its messages for
 * the decision record (ls_rego_eval_docs, nattr 2: deny and violation);
 * the leaves are those of the dectab for P/deny, in its order, so leaf j
 * here is leaf j of ls_dectab_leaves(tab, "P/deny").
 */
#ifndef LOCKSTEP_AGENT_ADMQ_H
#define LOCKSTEP_AGENT_ADMQ_H

#include "lockstep/buf.h"
#include "lockstep/dectab.h"
#include "lockstep/rego_deps.h"

#define LS_ADMQ_DOCS 4	     /* deny, violation, warn, allow */
#define LS_ADMQ_PATHS_MAX 16 /* rule paths cached per policy */
#define LS_ADMQ_PATH_MAX 256 /* bytes of a rule path */

struct ls_admq_entry {
	char *path;			   /* rule path, slash form */
	struct ls_rego_prepared *plain;	   /* the four rules only */
	struct ls_rego_prepared *leaves;   /* with P/deny's leaves, or NULL */
	const struct ls_dectab_leaves *lv; /* of P/deny (borrowed), or NULL */
};

struct ls_admq;
struct ls_engine_active;

int ls_admq_new(struct ls_admq **out); /* LS_ENOMEM */
void ls_admq_free(struct ls_admq *q);  /* NULL is a no-op */

/*
 * *out: the queries of rule path on a's policy, prepared on first use
 * (borrowed, valid while a is).  Past LS_ADMQ_PATHS_MAX paths, *tmp gets
 * a fresh entry (also *out) the caller releases with ls_admq_entry_free.
 * LS_EINVAL for a path no rule can have; the query's LS_EREGO; LS_ENOMEM.
 */
int ls_admq_get(const struct ls_admq_entry **out, struct ls_admq_entry **tmp,
    struct ls_engine_active *a, const char *path);
void ls_admq_entry_free(struct ls_admq_entry *e); /* NULL is a no-op */

/* "data.a.b" from "a/b", quoting segments that are not identifiers;
 * 0, or -1 for a path with characters no rule name has. */
int ls_admq_rule_ref(struct ls_buf *b, const char *path);

#endif
