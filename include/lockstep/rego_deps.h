/*
 * rego_deps.h - the dependency graph of a compiled policy: which rules,
 * functions and packages each document of data references, and the
 * METADATA custom.controls written above rules and packages.  Decision
 * records use it to attribute controls (dectab.h); it is computed once
 * per compiled policy.
 *
 * One node per document of the policy's rule tree (packages, rules,
 * functions and the folders between them).  A rule depends on every node
 * its body, head, arguments and else branches reference (a ref into a
 * package or through a dynamic key depends on that whole subtree); a
 * package or folder depends on everything below it.
 */
#ifndef LOCKSTEP_REGO_DEPS_H
#define LOCKSTEP_REGO_DEPS_H

#include <stddef.h>

#include "lockstep/rego.h"

struct ls_rego_policy;

struct ls_rego_dep_node {
	char *path;    /* owned; "data.kubernetes.checks.images.violation" */
	int has_rules; /* rules defined at this node */
	int set_rule;  /* a partial set rule ("contains") */
	size_t *deps;  /* owned; indexes of nodes referenced directly */
	size_t ndeps;
	char **controls; /* owned; METADATA custom.controls of its rules
			    * and of their modules' package annotations */
	size_t ncontrols;
	int reads_watch; /* references base data under the watched path */
};

struct ls_rego_graph {
	struct ls_rego_dep_node *v; /* owned; v[i].path NULL if unused */
	size_t n;
};

/*
 * Build the graph of p.  watch is a dotted base-data path below data
 * ("lockstep.exceptions") whose readers get reads_watch, or NULL.
 * LS_ENOMEM, LS_ETOOBIG (more than 64 controls in one annotation).
 */
int ls_rego_graph_build(struct ls_rego_graph *out,
    const struct ls_rego_policy *p, const char *watch);
void ls_rego_graph_cleanup(struct ls_rego_graph *g); /* safe to repeat */

/* Index of the node at a slash path ("a/b", "" = data), -1 if none. */
long ls_rego_graph_find(const struct ls_rego_graph *g, const char *path);

/*
 * Attribution of one decision in one evaluation (rego/attr.c): query is
 * a dectab leaves query ([[doc], [leaf 0], ...], each [] when undefined).
 * doc gets the document's JSON (as ls_rego_eval_path prints it, NULL
 * when undefined); for a set or array document, holders[i] has bit j set
 * when leaf j (j < 64) holds element i, equal to it or with the same
 * "msg" string; stray is 1 when some leaf holds an element the document
 * lacks (something, e.g. an exception, filtered it).  No JSON is printed
 * or parsed for the leaves.  LS_EREGO / LS_ENOMEM with *err_out.
 */
struct ls_rego_attr {
	char *doc;		     /* owned */
	size_t n;		     /* elements of doc when a set or array */
	unsigned long long *holders; /* owned, n entries */
	int stray;
};

/* The query parsed and resolved once against p (read-only afterwards,
 * shared by concurrent evaluations).  LS_EREGO / LS_ENOMEM. */
struct ls_rego_prepared;
int ls_rego_prepare(struct ls_rego_prepared **out,
    const struct ls_rego_policy *p, const char *query);
void ls_rego_prepared_free(struct ls_rego_prepared *q); /* NULL ok */

/* opts (may be NULL): its time, step and memory budget apply. */
int ls_rego_eval_attr(struct ls_rego_attr *out, const struct ls_rego_policy *p,
    const struct ls_rego_prepared *q, const char *input, size_t input_len,
    const struct ls_rego_eval_opts *opts, char **err_out);
void ls_rego_attr_cleanup(struct ls_rego_attr *a); /* safe to repeat */

/*
 * One evaluation of a query with ndocs documents before the leaves:
 * [[doc 0], ..., [doc ndocs-1], [leaf 0], ...].  docs[k] gets document
 * k's JSON (owned, NULL when undefined); out->doc stays NULL, and out's
 * elements are those of documents 0..nattr-1 (nattr <= ndocs) taken in
 * order as one list, leaf j being part ndocs + j.  So a door that
 * answers from several rules (the admission door: deny, violation, warn,
 * allow) attributes its messages without a second evaluation.
 */
int ls_rego_eval_docs(char **docs, size_t ndocs, size_t nattr,
    struct ls_rego_attr *out, const struct ls_rego_policy *p,
    const struct ls_rego_prepared *q, const char *input, size_t input_len,
    const struct ls_rego_eval_opts *opts, char **err_out);

#endif
