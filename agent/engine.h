/*
 * engine.h - the policy the agent enforces right now, and its status.
 *
 * The decision API reads the policy pointer while the update loop swaps
 * it: a reader takes a reference under a short lock and evaluates without
 * it, the writer publishes the new pointer and drops its own reference to
 * the old one, so evaluations in flight finish on the policy they
 * started with and no decision is dropped or sees a half state.
 */
#ifndef LOCKSTEP_AGENT_ENGINE_H
#define LOCKSTEP_AGENT_ENGINE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "lockstep/dectab.h"
#include "lockstep/rego.h"
#include "state.h"

#define LS_ENGINE_INPUT_MAX (1024 * 1024) /* decision request body */

/* What one decision runs on, swapped as a whole: the policy, its
 * controls table (computed once here, at activation) and the release it
 * came from. */
struct ls_admq;
struct ls_engine_active {
	int refs;		       /* atomic */
	struct ls_rego_policy *policy; /* owned reference */
	struct ls_dectab *tab;	       /* owned, NULL if it failed */
	char channel[LS_NAME_MAX + 1];
	char version[LS_NAME_MAX + 1];
	uint64_t seq;	 /* release seq */
	char sha256[65]; /* bundle sha256 hex */
	struct ls_admq *admq; /* admission queries (admq.h), or NULL */
};

struct ls_decrec;
struct ls_decmetrics;

struct ls_engine {
	pthread_mutex_t mu;
	struct ls_rego_policy *policy;	     /* owned reference, NULL if none */
	struct ls_engine_active *act;	     /* owned reference, NULL if none */
	struct ls_decrec *rec;		     /* decision records, NULL: none */
	const struct ls_decmetrics *metrics; /* for GET /metrics, or NULL */
	struct ls_state state;		     /* copy of the persisted state */
	int has_state;
	unsigned long long decisions; /* answered, for logs */
	unsigned timeout_ms;	      /* budget of one decision, 0 = none */
	size_t max_memory;	      /* bytes of one decision, 0 = default */
};

int ls_engine_init(struct ls_engine *e);
void ls_engine_cleanup(struct ls_engine *e);

/* Publish p (the engine takes over the caller's reference), with its
 * controls table and the release of the state published last
 * (ls_engine_set_state): publish the state first. */
void ls_engine_swap(struct ls_engine *e, struct ls_rego_policy *p);

/* A reference to what decisions run on now (NULL when none) / drop it. */
struct ls_engine_active *ls_engine_active(struct ls_engine *e);
void ls_engine_active_unref(struct ls_engine_active *a); /* NULL ok */

/* A new reference to the current policy (unref it), NULL when none. */
struct ls_rego_policy *ls_engine_policy(struct ls_engine *e);

/* Publish a copy of the agent state / build the status JSON from it at
 * this moment (so "stale" shows on time even while the loop waits).
 * LS_ENOMEM; *out NULL when no state was published yet. */
void ls_engine_set_state(struct ls_engine *e, const struct ls_state *st);
int ls_engine_status(char **out, struct ls_engine *e);

/*
 * Answer a decision like OPA's data API: body is {"input": ...} (or
 * empty), path the data path ("a/b"); *out gets {"result": ...} or {}
 * when undefined, *http the status (200, 400 for a bad request, 503
 * without a policy, 500 for an evaluation error with an OPA-style
 * {"code","message"} body).  LS_ENOMEM only.
 */
int ls_engine_decide(char **out, int *http, struct ls_engine *e,
    const char *path, const char *body, size_t len);

/* A decision request refused before evaluation (e.g. 413, body too
 * large): answered with {"code": kind, "message": msg} and code, and
 * recorded as an error like any other answer.  LS_ENOMEM only. */
int ls_engine_refuse(char **out, int *http, struct ls_engine *e,
    const char *path, int code, const char *kind, const char *msg);

struct ls_decision;
/*
 * The hook of the other doors (admission, check): record d, made by the
 * door itself; id (LS_DECLOG_ID_MAX bytes) gets the record id, "" when
 * records are off or the bundle's drop policy dropped it.  0;
 * LS_ETOOBIG when evidence is required and cannot be written (the door
 * must then refuse), LS_EIO, LS_ENOMEM.
 */
int ls_engine_record(struct ls_engine *e, char *id, const struct ls_decision *d);

/* With records on (e->rec), each decision is recorded before its answer
 * is built and the answer carries "decision_id"; a full queue in
 * --evidence=required mode answers 503 {"code":"evidence_unavailable"}. */

#endif
