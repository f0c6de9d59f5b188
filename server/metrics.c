/* metrics.c - counters and their Prometheus rendering. */
#include <stddef.h>
#include <string.h>

#include "metrics.h"

static long counters[LS_M_COUNT];
static const unsigned codes[] = { 200, 201, 202, 204, 304, 400, 401, 403, 404,
	405, 409, 413, 429, 500, 503 };
#define NCODES (sizeof(codes) / sizeof(codes[0]))
static long by_status[NCODES + 1]; /* last slot: any other code */

static const struct {
	const char *name, *type, *help, *label;
} info[LS_M_COUNT] = {
	[LS_M_BUILDS_OK] = { "lockstep_builds_total", "counter",
	    "Tag builds by result.", "result=\"ok\"" },
	[LS_M_BUILDS_FAILED] = { "lockstep_builds_total", "counter",
	    "Tag builds by result.", "result=\"failed\"" },
	[LS_M_PUBLISHES] = { "lockstep_publishes_total", "counter",
	    "Releases published (tags and operator actions).", NULL },
	[LS_M_TIMESTAMP_RESIGNS] = { "lockstep_timestamp_resigns_total",
	    "counter", "Timestamps re-signed for freshness.", NULL },
	[LS_M_NOT_MODIFIED] = { "lockstep_http_not_modified_total", "counter",
	    "304 answers.", NULL },
	[LS_M_LONGPOLLS_TOTAL] = { "lockstep_longpolls_total", "counter",
	    "Long polls held since start.", NULL },
	[LS_M_LONGPOLLS_HELD] = { "lockstep_longpolls_held", "gauge",
	    "Long polls held now.", NULL },
	[LS_M_REPORTS_ACCEPTED] = { "lockstep_reports_total", "counter",
	    "Agent reports by result.", "result=\"accepted\"" },
	[LS_M_REPORTS_MALFORMED] = { "lockstep_reports_total", "counter",
	    "Agent reports by result.", "result=\"malformed\"" },
	[LS_M_REPORTS_FORBIDDEN] = { "lockstep_reports_total", "counter",
	    "Agent reports by result.", "result=\"forbidden\"" },
	[LS_M_REPORTS_REPLAYED] = { "lockstep_reports_total", "counter",
	    "Agent reports by result.", "result=\"replayed\"" },
	[LS_M_REPORTS_TOOBIG] = { "lockstep_reports_total", "counter",
	    "Agent reports by result.", "result=\"too_big\"" },
	[LS_M_ENROLLED] = { "lockstep_enrolments_total", "counter",
	    "Agent enrolments by result.", "result=\"accepted\"" },
	[LS_M_ENROLL_REFUSED] = { "lockstep_enrolments_total", "counter",
	    "Agent enrolments by result.", "result=\"refused\"" },
	[LS_M_OPERATOR_ACTIONS] = { "lockstep_operator_actions_total",
	    "counter", "Pins, rollbacks and unpins.", NULL },
	[LS_M_FETCHES_OK] = { "lockstep_git_fetches_total", "counter",
	    "Git fetches by result.", "result=\"ok\"" },
	[LS_M_FETCHES_FAILED] = { "lockstep_git_fetches_total", "counter",
	    "Git fetches by result.", "result=\"failed\"" },
	[LS_M_BATCHES_ACCEPTED] = { "lockstep_decision_batches_total",
	    "counter", "Decision batches by result.", "result=\"accepted\"" },
	[LS_M_BATCHES_DUPLICATE] = { "lockstep_decision_batches_total",
	    "counter", "Decision batches by result.", "result=\"duplicate\"" },
	[LS_M_BATCHES_REFUSED] = { "lockstep_decision_batches_total", "counter",
	    "Decision batches by result.", "result=\"refused\"" },
	[LS_M_BATCHES_REFUSED_UNRECORDED] = { "lockstep_decision_refusals_unrecorded_total",
	    "counter",
	    "Refused batches not written to the log (refusal flood).", NULL },
	[LS_M_DECISIONS_ACCEPTED] = { "lockstep_decision_records_total",
	    "counter", "Decision records stored.", NULL },
	[LS_M_DECISIONS_DROPPED_POLICY] = { "lockstep_decision_records_dropped_total",
	    "counter",
	    "Decision records agents announced as dropped, by cause.",
	    "reason=\"policy\"" },
	[LS_M_DECISIONS_DROPPED_QUEUE] = { "lockstep_decision_records_dropped_total",
	    "counter",
	    "Decision records agents announced as dropped, by cause.",
	    "reason=\"queue\"" },
	[LS_M_COMPACT_FILES] = { "lockstep_evidence_compacted_files_total",
	    "counter",
	    "Partition files merged away by compaction of days that are over.",
	    NULL },
	[LS_M_COMPACT_FAILED] = { "lockstep_evidence_compaction_failures_total",
	    "counter", "Day folders whose compaction failed (tried again).",
	    NULL },
	[LS_M_AUDIT_RECORDED] = { "lockstep_auditor_requests_total", "counter",
	    "Requests made with the auditor or admin token to evidence and "
	    "audit routes: recorded as audit_query entries, or counted only "
	    "(reads of the checkpoint, tiles and consistency proofs after "
	    "the first of the hour).",
	    "result=\"recorded\"" },
	[LS_M_AUDIT_COUNTED] = { "lockstep_auditor_requests_total", "counter",
	    "Requests made with the auditor or admin token to evidence and "
	    "audit routes: recorded as audit_query entries, or counted only "
	    "(reads of the checkpoint, tiles and consistency proofs after "
	    "the first of the hour).",
	    "result=\"counted\"" },
};

static ls_metrics_extra_fn extra_fn;
static void *extra_arg;

void
ls_metrics_set_extra(ls_metrics_extra_fn fn, void *arg)
{
	extra_fn = fn;
	extra_arg = arg;
}

void
ls_metrics_add(enum ls_metric m, long delta)
{
	__atomic_add_fetch(&counters[m], delta, __ATOMIC_RELAXED);
}

long
ls_metrics_get(enum ls_metric m)
{
	return __atomic_load_n(&counters[m], __ATOMIC_RELAXED);
}

void
ls_metrics_status(unsigned code)
{
	size_t i;

	for (i = 0; i < NCODES && codes[i] != code; i++)
		;
	__atomic_add_fetch(&by_status[i], 1, __ATOMIC_RELAXED);
	if (code == 304)
		ls_metrics_add(LS_M_NOT_MODIFIED, 1);
}

int
ls_metrics_render(struct ls_buf *out)
{
	const char *last = "";
	size_t i;
	int rc = 0;

	for (i = 0; i < LS_M_COUNT && rc == 0; i++) {
		if (strcmp(info[i].name, last) != 0 &&
		    (rc = ls_buf_addf(out, "# HELP %s %s\n# TYPE %s %s\n",
			 info[i].name, info[i].help, info[i].name,
			 info[i].type)) != 0)
			break;
		last = info[i].name;
		rc = ls_buf_addf(out, "%s%s%s%s %ld\n", info[i].name,
		    info[i].label ? "{" : "",
		    info[i].label ? info[i].label : "",
		    info[i].label ? "}" : "", ls_metrics_get(i));
	}
	if (rc == 0)
		rc = ls_buf_adds(out,
		    "# HELP lockstep_http_responses_total "
		    "HTTP answers by status.\n# TYPE "
		    "lockstep_http_responses_total counter\n");
	for (i = 0; i <= NCODES && rc == 0; i++) {
		long v = __atomic_load_n(&by_status[i], __ATOMIC_RELAXED);

		if (i < NCODES)
			rc = ls_buf_addf(out,
			    "lockstep_http_responses_total"
			    "{code=\"%u\"} %ld\n",
			    codes[i], v);
		else
			rc = ls_buf_addf(out,
			    "lockstep_http_responses_total"
			    "{code=\"other\"} %ld\n",
			    v);
	}
	if (rc == 0 && extra_fn != NULL)
		rc = extra_fn(extra_arg, out);
	return rc;
}
