/*
 * audit_acc.h - per-agent state of the streamed audit summary (private
 * to audit_sum.c and audit_acc.c).  What it keeps does not grow with the
 * number of records:
 *   - version points: the agent's activity (reports, decisions) sorted by
 *     time, keeping only the first and last point of each run of one
 *     version once the decisions have passed them (reports wait aside
 *     until then), so the intervals are those of every point sorted by
 *     (time, order of arrival) when an agent's decisions arrive in time
 *     order, as the package writes them;
 *   - activity buckets of silent-hours width: the earliest and latest
 *     time in each, which gives exactly the silences longer than that;
 *   - the last batch, the candidate seq gaps and the announced drops.
 */
#ifndef LOCKSTEP_SERVER_AUDIT_ACC_H
#define LOCKSTEP_SERVER_AUDIT_ACC_H

#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "audit.h"

struct audit_vpt {
	time_t t;
	uint32_t version, bundle; /* interned; AUDIT_NONE for none */
};

#define AUDIT_NONE UINT32_MAX

struct audit_bucket {
	int64_t k;
	time_t min, max;
};

struct audit_range {
	json_int_t first, last;
};

struct audit_agent {
	char *name;
	struct audit_vpt *fin; /* sorted, runs pruned to their ends */
	size_t nfin, capfin;
	struct audit_vpt *pend; /* reports not yet passed: sorted */
	size_t npend, cappend, head;
	struct audit_bucket *bk; /* sorted by k */
	size_t nbk, capbk;
	int have_batch;
	struct audit_range last; /* the last batch */
	struct audit_range *gap; /* candidate seq gaps, in order */
	size_t ngap, capgap;
	struct audit_range *drop; /* announced drops */
	size_t ndrop, capdrop;
};

struct audit_agents {
	json_t *idx;	 /* name -> index in v */
	json_t *intern;	 /* string -> index in strs */
	json_t *strs;	 /* array of the interned strings */
	struct audit_agent *v;
	size_t n, cap;
};

int audit_agents_init(struct audit_agents *as);
void audit_agents_cleanup(struct audit_agents *as);
/* The agent's state (made on first use).  NULL when out of memory. */
struct audit_agent *audit_agent_get(struct audit_agents *as, const char *name);

/* A point of activity with a version: a report (report = 1) or a
 * decision.  version NULL: activity only. */
int audit_agent_point(struct audit_agents *as, struct audit_agent *a,
    time_t t, const char *version, const char *bundle, int report,
    const struct ls_audit_opts *o);
int audit_agent_batch(struct audit_agent *a, json_int_t first,
    json_int_t last);
int audit_agent_drop(struct audit_agent *a, json_int_t first,
    json_int_t last);

/* The results into the agent's summary object (versions, gaps.silent,
 * gaps.seq_gaps). */
void audit_agent_finish(json_t *agent_obj, struct audit_agents *as,
    struct audit_agent *a, const struct ls_audit_opts *o);

#endif
