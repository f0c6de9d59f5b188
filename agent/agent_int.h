/*
 * agent_int.h - the agent's internals shared by agent.c (setup, loop),
 * update.c (the update workflow) and deliver.c (reports, enrolment).
 */
#ifndef LOCKSTEP_AGENT_AGENT_INT_H
#define LOCKSTEP_AGENT_AGENT_INT_H

#include <limits.h>
#include <signal.h>
#include <time.h>

#include "agent.h"
#include "fetch.h"
#include "lockstep/doc.h"
#include "lockstep/extract.h"
#include "lockstep/key.h"
#include "state.h"

#define LS_AGENT_REPORT_EVERY 3600 /* s between unprompted reports */
#define LS_AGENT_HOOK_TIMEOUT 60   /* s an --on-activate command may run */

enum ls_agent_outcome {
	LS_AGENT_NOTHING, /* nothing new */
	LS_AGENT_CHANGED, /* a new timestamp or release was applied */
};

struct ls_agent {
	const struct ls_config *cfg;
	struct ls_engine *engine;
	ls_agent_log_fn *log;
	void *log_ctx;
	volatile sig_atomic_t *stop;
	struct ls_state st;  /* mirrors state.json */
	struct ls_root root; /* trusted root, owned */
	struct ls_key *key;  /* agent key, owned */
	struct ls_fetch *fetch;
	struct ls_extract_limits lim;
	size_t mirror;			  /* index into cfg->servers */
	char etag[LS_FETCH_ETAG_MAX + 1]; /* of the last applied ts */
	long backoff;			  /* s, 0 after a success */
	time_t next_report;		  /* the hourly report */
	time_t next_delivery;		  /* retry of the report queue */
	long delivery_backoff;		  /* s */
	int held;			  /* last poll was held by the server */
	char *enroll_token; /* sodium memory; NULL: do not enrol */
	int enrol_rc;	    /* refusal of the last enrolment */
	char enrol_error[LS_TEXT_MAX + 1]; /* its message, "" when none */
	time_t enrol_logged; /* when that message was last logged */
};

/* Log a formatted message through the callback. */
void ls_agent_logf(struct ls_agent *a, const char *level, const char *event,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Save st as state.json and only then make it the agent's state. */
int ls_agent_commit(struct ls_agent *a, const struct ls_state *st);

/* Publish the status JSON of a->st to the engine (for GET /v1/status). */
void ls_agent_publish_status(struct ls_agent *a);

/* One pass of the workflow against the current mirror (update.c). */
int ls_agent_update(struct ls_agent *a, long wait_s,
    enum ls_agent_outcome *outcome);

/* Sign and queue a report of a->st (deliver.c). */
int ls_agent_report(struct ls_agent *a, const char *why);

/* Read the enrolment token into a->enroll_token (agent.c): from
 * --enroll-token-file, again on every call, or from --enroll-token. */
int ls_agent_load_token(struct ls_agent *a);

/* Enrol at --report-to if not enrolled yet (deliver.c).  0 when enrolled
 * or nothing to do; LS_ECONFLICT (name taken, 409) or LS_EBADSIG (token
 * refused, 403) are refusals, kept in enrol_rc/enrol_error; LS_ENET. */
int ls_agent_enrol(struct ls_agent *a);

/* Enrol if needed, then send queued reports in order (deliver.c).
 * 0 when the queue is empty afterwards. */
int ls_agent_deliver(struct ls_agent *a);

#endif
