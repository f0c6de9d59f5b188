/*
 * metrics.h - process-wide counters for GET /metrics (Prometheus text).
 * Counters are relaxed atomics: any thread may bump them.
 */
#ifndef LOCKSTEP_SERVER_METRICS_H
#define LOCKSTEP_SERVER_METRICS_H

#include "lockstep/buf.h"

enum ls_metric {
	LS_M_BUILDS_OK,
	LS_M_BUILDS_FAILED,
	LS_M_PUBLISHES,
	LS_M_TIMESTAMP_RESIGNS,
	LS_M_NOT_MODIFIED,
	LS_M_LONGPOLLS_TOTAL,
	LS_M_LONGPOLLS_HELD,
	LS_M_REPORTS_ACCEPTED,
	LS_M_REPORTS_MALFORMED,
	LS_M_REPORTS_FORBIDDEN,
	LS_M_REPORTS_REPLAYED,
	LS_M_REPORTS_TOOBIG,
	LS_M_ENROLLED,
	LS_M_ENROLL_REFUSED,
	LS_M_OPERATOR_ACTIONS,
	LS_M_FETCHES_OK,
	LS_M_FETCHES_FAILED,
	LS_M_BATCHES_ACCEPTED,
	LS_M_BATCHES_DUPLICATE,
	LS_M_BATCHES_REFUSED,
	LS_M_BATCHES_REFUSED_UNRECORDED,
	LS_M_DECISIONS_ACCEPTED,
	LS_M_DECISIONS_DROPPED_POLICY,
	LS_M_DECISIONS_DROPPED_QUEUE,
	LS_M_COMPACT_FILES,
	LS_M_COMPACT_FAILED,
	LS_M_AUDIT_RECORDED,
	LS_M_AUDIT_COUNTED,
	LS_M_COUNT
};

void ls_metrics_add(enum ls_metric m, long delta);
void ls_metrics_status(unsigned code); /* one HTTP answer */
long ls_metrics_get(enum ls_metric m);

/* The Prometheus exposition text.  LS_ETOOBIG, LS_ENOMEM. */
int ls_metrics_render(struct ls_buf *out);

/* More series, appended by fn(arg, out) to every rendering (fn returns 0
 * or a negative code); fn NULL removes it.  Set before serving starts,
 * cleared before arg is freed. */
typedef int (*ls_metrics_extra_fn)(void *arg, struct ls_buf *out);
void ls_metrics_set_extra(ls_metrics_extra_fn fn, void *arg);

#endif
