/*
 * check.h - `lockstep check`: configuration files against the policy's
 * deny/violation/warn rules, as `conftest test` checks them.
 *
 * For each input (a YAML stream's documents, a JSON file's top-level
 * array elements, checked one by one and counted together) and each
 * namespace, every rule named deny, violation or warn with an optional
 * _suffix is queried; its messages (strings, or objects with a string
 * "msg") are failures or warnings, and an `exception` rule listing the
 * suffix turns the whole rule into an exception.  Rules that produce
 * nothing count as successes.
 *
 * Results are kept in Conftest's JSON shape (json_t, owned by the
 * caller) so that every output format reads the same thing:
 *   [{"filename", "namespace", "successes",
 *     "warnings": [{"msg", "metadata": {...}}], "failures": [...],
 *     "exceptions": [...]}]
 */
#ifndef LOCKSTEP_SERVER_CHECK_H
#define LOCKSTEP_SERVER_CHECK_H

#include <stdio.h>

#include <jansson.h>

#include "lockstep/rego.h"
#include "rego/value.h"

struct ls_check_opts {
	const char *const *namespaces; /* globs; NULL-terminated */
	int all_namespaces;
	unsigned timeout_ms; /* per query, 0 = none */
};

/*
 * Check one configuration (a file's parsed value, or the combined array
 * of --combine) against p; append one result object per namespace
 * checked to results (a JSON array).  LS_EREGO with the query's error
 * in ls_error_last() when a rule fails to evaluate or returns an object
 * without a string msg; LS_ENOMEM.
 */
int ls_check_config(json_t *results, const struct ls_rego_policy *p,
    const struct ls_check_opts *o, const char *filename,
    const struct ls_val *config);

/*
 * The policy of a server's channel (check_remote.c): the agent's update
 * workflow run once with cache_dir (NULL: ~/.cache/lockstep/CHANNEL) as
 * its state, so the bytes checked are the bytes agents enforce; cacert
 * (may be NULL) as the agent's --cacert for https:// servers.  Every
 * verification failure is returned as the agent would log it.
 */
typedef int ls_check_remote_fn(struct ls_rego_policy **out, const char *server,
    const char *root, const char *channel, const char *cache_dir,
    const char *cacert);
int ls_check_fetch(struct ls_rego_policy **out, const char *server,
    const char *root, const char *channel, const char *cache_dir,
    const char *cacert);
/* NULL in a program without the network stack. */
extern ls_check_remote_fn *ls_check_remote;

/* Conftest's exit code for results: 1 on a failure; with fail_on_warn,
 * 2 on a failure and 1 on a warning. */
int ls_check_exit_code(const json_t *results, int fail_on_warn);

/* Output formats (check_out.c).  LS_EINVAL for an unknown name. */
int ls_check_output(FILE *f, const char *format, const json_t *results,
    int color, int exit_code);

/* SARIF 2.1.0, one run (check_sarif.c). */
int ls_check_sarif(FILE *f, const json_t *results, int exit_code);

#endif
