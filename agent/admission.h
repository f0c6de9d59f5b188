/*
 * admission.h - the Kubernetes admission door: an AdmissionReview v1 in,
 * an AdmissionReview v1 out, decided by the active bundle.
 *
 * The policy contract, under the rule path (default from
 * --admission-path, e.g. kubernetes/admission), with the whole
 * AdmissionReview as input:
 *   deny, violation  sets of messages (strings, or objects with "msg");
 *                    any message refuses the request (403);
 *   warn             set of messages, sent back as warnings (each cut to
 *                    120 characters, as Kubernetes requires);
 *   allow            where defined, false refuses a request nothing
 *                    denied ("denied by PATH.allow").
 * A path that defines none of these, a malformed review, an evaluation
 * error and "no bundle active yet" are all answered with a well-formed
 * review: refused by default, admitted with a warning under
 * --admission-failure=allow.  Never a 500.
 *
 * Deciding and answering are separate so the caller can write the
 * decision record (and get its id) in between.
 */
#ifndef LOCKSTEP_AGENT_ADMISSION_H
#define LOCKSTEP_AGENT_ADMISSION_H

#include <stddef.h>

#include <jansson.h>

#include "engine.h"
#include "lockstep/rego_deps.h"

#define LS_ADMISSION_WARNING_MAX 120 /* bytes of one warning */
#define LS_ADMISSION_PATH_MAX 256

struct ls_admission_opts {
	const char *default_path; /* "kubernetes/admission" */
	int fail_open;		  /* --admission-failure=allow */
	unsigned timeout_ms;	  /* per rule query; 0 = none */
	size_t max_memory;	  /* per rule query; 0 = engine default */
};

/* What was decided, for the answer and the decision record. */
struct ls_admission_decision {
	char uid[128];		/* request.uid, "" when unreadable */
	char api_version[64];	/* echoed: admission.k8s.io/v1 or v1beta1 */
	char path[LS_ADMISSION_PATH_MAX + 1]; /* rule path evaluated */
	int allowed;
	int code;		/* status.code: 200, 400, 403, 500, 503 */
	int dry_run;
	const char *outcome;	/* "allow", "deny", "warn" or "error" */
	json_t *messages;	/* deny + violation messages (array) */
	json_t *warnings;	/* cut to 120 bytes (array) */
	char error[512];	/* why the review or the policy failed */
	char version[129];	/* bundle version, "" when none */
	char sha256[65];	/* bundle sha256, "" when none */
	struct ls_engine_active *act; /* what decided (a reference), or NULL */
	long long latency_us;	      /* of the evaluation */
	/* With records on: the leaves of PATH/deny holding each message
	 * (holders indexed as messages), from the evaluation that decided,
	 * so the record needs no second one; has_attr 0 when not known. */
	struct ls_rego_attr attr;
	int has_attr;
};

/*
 * Decide body (an AdmissionReview) at path (NULL = the default).  Fills
 * *d (release with ls_admission_decision_cleanup).  LS_ENOMEM only:
 * every other failure is a decision with allowed and code set.
 */
int ls_admission_decide(struct ls_admission_decision *d, struct ls_engine *e,
    const struct ls_admission_opts *o, const char *path, const char *body,
    size_t len);

/* The AdmissionReview answer for d; decision_id may be NULL.  *out is
 * the caller's to free.  LS_ENOMEM. */
int ls_admission_answer(char **out, const struct ls_admission_decision *d,
    const char *decision_id);

void ls_admission_decision_cleanup(struct ls_admission_decision *d);

#endif
