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

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "lockstep/doc.h"
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
struct ls_check_bundle {
	char channel[LS_NAME_MAX + 1];
	char version[LS_NAME_MAX + 1]; /* tag */
	uint64_t seq;		       /* release */
	char sha256[65];	       /* bundle, hex */
};
typedef int ls_check_remote_fn(struct ls_rego_policy **out,
    struct ls_check_bundle *info, const char *server, const char *root,
    const char *channel, const char *cache_dir, const char *cacert);
int ls_check_fetch(struct ls_rego_policy **out, struct ls_check_bundle *info,
    const char *server, const char *root, const char *channel,
    const char *cache_dir, const char *cacert);
/* NULL in a program without the network stack. */
extern ls_check_remote_fn *ls_check_remote;

/* 1 for a deny/violation rule name (optional _suffixes), 2 for warn, 0
 * for any other. */
int ls_check_rule_kind(const char *name);

/*
 * --report (check_report.c, in lockstep-ops only): every evaluated file
 * becomes a decision record of the enrolled identity in state, with the
 * agent's record, segment and signed-batch code, so the records join
 * the identity's one seq chain.
 */
struct ls_check_report_opts {
	const char *state;     /* the identity: STATE/state.json, NAME.key */
	const char *report_to; /* its server (POST /v1/decisions) */
	const char *cacert;    /* for an https report_to, or NULL */
	const char *door;      /* "ci" or "precommit" */
	size_t input_max;      /* input bytes kept in a record */
	struct ls_rego_policy *policy;
	const struct ls_check_bundle *bundle; /* --server, or NULL: */
	const char *policy_dir;		      /* --policy DIR */
	unsigned timeout_ms; /* per attribution query, as per check query */
};

/* One evaluated file. */
struct ls_check_file {
	const char *filename;
	const char *input; /* the parsed file as JSON, or NULL */
	size_t input_len;
	int one_config; /* input is one configuration even as an array
			 * (--combine); else an array is one per element */
	const char *input_sha256; /* hex, of the file's bytes, or NULL */
	const json_t *results;	  /* its results (one per namespace) */
	const char *error;	  /* or why it could not be checked */
	long long latency_us;	  /* parse and evaluation */
};

struct ls_check_report_sum {
	unsigned records; /* written (and durable) this run */
	unsigned batches; /* uploaded this run */
	uint64_t queued;  /* records left in STATE/decisions */
	int upload_rc;	  /* 0, or why the upload stopped */
	char upload_error[512];
};

struct ls_check_reporter;
struct ls_check_report_ops {
	/* Lock and open the identity.  LS_ENOTFOUND without one. */
	int (*open)(struct ls_check_reporter **out,
	    const struct ls_check_report_opts *o);
	/* Write f's record (write(2)n before it returns).  LS_EIO ... */
	int (*file)(struct ls_check_reporter *r, const struct ls_check_file *f);
	/* Make every record durable, upload, free; NULL ok. */
	void (*close)(struct ls_check_reporter *r,
	    struct ls_check_report_sum *out);
};
extern const struct ls_check_report_ops ls_check_report_impl;
/* NULL in a program without the network stack. */
extern const struct ls_check_report_ops *ls_check_report;

/* Conftest's exit code for results: 1 on a failure; with fail_on_warn,
 * 2 on a failure and 1 on a warning. */
int ls_check_exit_code(const json_t *results, int fail_on_warn);

/* Output formats (check_out.c).  LS_EINVAL for an unknown name. */
int ls_check_output(FILE *f, const char *format, const json_t *results,
    int color, int exit_code);

/* SARIF 2.1.0, one run (check_sarif.c). */
int ls_check_sarif(FILE *f, const json_t *results, int exit_code);

#endif
