/* decmetrics.c - the agent's /metrics text (decmetrics.h). */
#include <string.h>

#include "decmetrics.h"

static int
decisions(struct ls_buf *b, struct ls_decrec *rec)
{
	struct ls_decrec_counts c;
	int d, o, rc;

	memset(&c, 0, sizeof(c));
	if (rec != NULL)
		ls_decrec_counts(rec, &c);
	rc = ls_buf_adds(b,
	    "# HELP lockstep_agent_decisions_total Decisions "
	    "answered, by door and outcome.\n"
	    "# TYPE lockstep_agent_decisions_total counter\n");
	for (d = 0; d < LS_NDOORS && rc == 0; d++)
		for (o = 0; o < LS_NOUTCOMES && rc == 0; o++)
			rc = ls_buf_addf(b,
			    "lockstep_agent_decisions_total{door=\"%s\","
			    "outcome=\"%s\"} %llu\n",
			    ls_door_names[d], ls_outcome_names[o],
			    (unsigned long long)c.by[d][o]);
	return rc;
}

static int
one(struct ls_buf *b, const char *name, const char *type, const char *help,
    unsigned long long v)
{
	return ls_buf_addf(b, "# HELP %s %s\n# TYPE %s %s\n%s %llu\n", name,
	    help, name, type, name, v);
}

static int
fsync_hist(struct ls_buf *b, const struct ls_declog_stats *s)
{
	int i, rc;

	rc = ls_buf_adds(b,
	    "# HELP lockstep_agent_decision_fsync_seconds Latency of the "
	    "decision log's fsyncs.\n"
	    "# TYPE lockstep_agent_decision_fsync_seconds histogram\n");
	for (i = 0; i < LS_DECLOG_FSYNC_BUCKETS && rc == 0; i++)
		rc = ls_buf_addf(b,
		    "lockstep_agent_decision_fsync_seconds_bucket{le=\"%g\"} "
		    "%llu\n",
		    ls_declog_fsync_bounds[i],
		    (unsigned long long)s->fsync_le[i]);
	if (rc == 0)
		rc = ls_buf_addf(b,
		    "lockstep_agent_decision_fsync_seconds_bucket{le=\"+Inf\"}"
		    " %llu\nlockstep_agent_decision_fsync_seconds_sum %.6f\n"
		    "lockstep_agent_decision_fsync_seconds_count %llu\n",
		    (unsigned long long)s->fsyncs, s->fsync_seconds,
		    (unsigned long long)s->fsyncs);
	return rc;
}

int
ls_decmetrics_render(struct ls_buf *b, const struct ls_decmetrics *m)
{
	struct ls_declog_stats s;
	struct ls_decup_stats u;
	int rc;

	memset(&s, 0, sizeof(s));
	memset(&u, 0, sizeof(u));
	if (m->log != NULL)
		ls_declog_stats(m->log, &s);
	if (m->up != NULL)
		ls_decup_stats(m->up, &u);
	if ((rc = decisions(b, m->rec)) != 0 ||
	    (rc = one(b, "lockstep_agent_decision_records_queued", "gauge",
		 "Records written and not yet acknowledged by the server.",
		 s.queued_records)) != 0 ||
	    (rc = one(b, "lockstep_agent_decision_queue_bytes", "gauge",
		 "Bytes of decision segments not yet acknowledged.",
		 s.queue_bytes)) != 0 ||
	    (rc = one(b, "lockstep_agent_decision_records_total", "counter",
		 "Records written since start.", s.records)) != 0 ||
	    (rc = one(b, "lockstep_agent_decision_batches_uploaded_total",
		 "counter", "Batches the server acknowledged.", u.uploaded)) !=
		0 ||
	    (rc = one(b, "lockstep_agent_decision_batches_failed_total",
		 "counter", "Batch uploads that failed (retried).",
		 u.failed)) != 0 ||
	    (rc = ls_buf_addf(b,
		 "# HELP lockstep_agent_decision_drops_total Records dropped, "
		 "by reason.\n# TYPE lockstep_agent_decision_drops_total "
		 "counter\nlockstep_agent_decision_drops_total{reason=\"queue"
		 "\"} %llu\nlockstep_agent_decision_drops_total{reason=\""
		 "policy\"} %llu\n",
		 (unsigned long long)s.dropped_queue,
		 (unsigned long long)s.dropped_policy)) != 0 ||
	    (rc = one(b, "lockstep_agent_decision_refused_total", "counter",
		 "Decisions answered 503: queue full with --evidence=required.",
		 s.refused_full)) != 0)
		return rc;
	return fsync_hist(b, &s);
}
