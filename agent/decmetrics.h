/*
 * decmetrics.h - the agent's /metrics (Prometheus text format 0.0.4):
 * decisions by door and outcome, records queued and their bytes, batches
 * uploaded and failed, drops (queue bound and system.log.drop), appends
 * refused in --evidence=required mode, and the fsync latency histogram.
 */
#ifndef LOCKSTEP_AGENT_DECMETRICS_H
#define LOCKSTEP_AGENT_DECMETRICS_H

#include "declog.h"
#include "decrec.h"
#include "decupload.h"
#include "lockstep/buf.h"

struct ls_decmetrics {
	struct ls_decrec *rec; /* may be NULL */
	struct ls_declog *log; /* NULL with --decision-log=off */
	struct ls_decup *up;   /* may be NULL */
};

/* Append the metrics text to out.  LS_ETOOBIG / LS_ENOMEM. */
int ls_decmetrics_render(struct ls_buf *out, const struct ls_decmetrics *m);

#endif
