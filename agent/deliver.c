/* deliver.c - sign, queue and deliver reports; enrol the agent key. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent_int.h"
#include "lockstep/error.h"
#include "reports.h"

static void
report_of(struct ls_report *r, const struct ls_agent *a, uint64_t seq)
{
	const struct ls_state *st = &a->st;

	memset(r, 0, sizeof(*r));
	snprintf(r->agent, sizeof(r->agent), "%s", st->agent);
	snprintf(r->channel, sizeof(r->channel), "%s", st->channel);
	r->seq = seq;
	r->root_version = a->root.version;
	r->timestamp_seq = st->timestamp_seq;
	r->release_seq = st->has_active ? st->active.seq : 0;
	/* No bundle yet: an all-zero digest and "none" say so explicitly. */
	snprintf(r->bundle_sha256, sizeof(r->bundle_sha256), "%s",
	    st->has_active
		? st->active.sha256
		: "0000000000000000000000000000000000000000000000000000000000000000");
	snprintf(r->version, sizeof(r->version), "%s",
	    st->has_active ? st->active.version : "none");
	r->time = time(NULL);
	snprintf(r->state, sizeof(r->state), "%s", ls_state_word(st, r->time));
	snprintf(r->error, sizeof(r->error), "%s", st->last_error);
	r->dropped = st->dropped;
}

int
ls_agent_report(struct ls_agent *a, const char *why)
{
	struct ls_report r;
	struct ls_state st = a->st;
	uint64_t dropped = 0;
	char *note = NULL;
	size_t len = 0;
	int rc;

	/* The seq is durable before the report exists, so a crash can never
	 * hand out the same seq twice (the server refuses replays). */
	st.report_seq = a->st.report_seq + 1;
	if ((rc = ls_agent_commit(a, &st)) != 0)
		goto out;
	report_of(&r, a, st.report_seq);
	if ((rc = ls_reports_sign(&note, &len, &r, a->key)) != 0 ||
	    (rc = ls_reports_enqueue(a->cfg->state, r.seq, note, len,
		 (size_t)a->cfg->queue_max, &dropped)) != 0)
		goto out;
	if (dropped > 0) {
		st = a->st;
		st.dropped += dropped;
		ls_agent_logf(a, "error", "queue",
		    "report queue full (%ld): "
		    "dropped %llu oldest report(s), %llu in total",
		    a->cfg->queue_max, (unsigned long long)dropped,
		    (unsigned long long)st.dropped);
		if ((rc = ls_agent_commit(a, &st)) != 0)
			goto out;
	}
	ls_agent_logf(a, "info", "report", "queued report %llu (%s, %s)",
	    (unsigned long long)r.seq, why, r.state);
	a->next_delivery = 0;
out:
	if (rc != 0)
		ls_agent_logf(a, "error", "report", "cannot queue report: %s",
		    ls_error_last());
	free(note);
	return rc;
}

static int
server_url(char *out, size_t sz, const char *base, const char *path)
{
	size_t blen = strlen(base);

	while (blen > 0 && base[blen - 1] == '/')
		blen--;
	if (snprintf(out, sz, "%.*s%s", (int)blen, base, path) >= (int)sz)
		return ls_error_set(LS_EINVAL, "URL too long");
	return 0;
}

/* POST to --report-to only (by default the first --server): reports and
 * enrolment never go to a mirror (DESIGN.md, Enrolment). */
static int
post_any(struct ls_agent *a, long *status, const char *path, const char *header,
    const char *body, size_t len)
{
	struct ls_fetch_result res;
	char url[LS_CONFIG_URL_MAX];
	int rc;

	*status = 0;
	if ((rc = server_url(url, sizeof(url), a->cfg->report_to, path)) != 0)
		return rc;
	rc = ls_fetch_post(a->fetch, &res, url, header, body, len, NULL);
	if (rc == 0 && res.status != 404 && res.status != 405) {
		*status = res.status;
		return 0;
	}
	return rc != 0 ? rc
		       : ls_error_set(LS_ENET, "%s: HTTP %ld", url, res.status);
}

static int
enrol(struct ls_agent *a)
{
	struct ls_vkey vk;
	struct ls_state st;
	char text[LS_VKEY_TEXT_MAX], hdr[512];
	long status;
	int rc;

	if (a->cfg->enroll_token == NULL || a->st.enrolled)
		return 0;
	ls_key_vkey(&vk, a->key);
	ls_vkey_format(text, &vk);
	if (snprintf(hdr, sizeof(hdr), "X-Lockstep-Enroll-Token: %s",
		a->cfg->enroll_token) >= (int)sizeof(hdr) ||
	    strpbrk(a->cfg->enroll_token, "\r\n") != NULL)
		return ls_error_set(LS_EINVAL, "--enroll-token: bad token");
	if ((rc = post_any(a, &status, "/v1/enroll", hdr, text,
		 strlen(text))) != 0)
		return rc;
	if (status != 200 && status != 201)
		return ls_error_set(status == 409 ? LS_ECONFLICT : LS_EBADSIG,
		    "enrolment refused: HTTP %ld", status);
	st = a->st;
	st.enrolled = 1;
	ls_agent_logf(a, "info", "enrol", "enrolled as %s", st.agent);
	return ls_agent_commit(a, &st);
}

/* Send one queued report: 1 delivered, 2 refused for good (logged), both
 * leave the queue; <0 stops delivery (it stays queued). */
static int
send_one(struct ls_agent *a, uint64_t seq)
{
	char *note = NULL;
	size_t len = 0;
	long status;
	int rc;

	if ((rc = ls_reports_read(&note, &len, a->cfg->state, seq)) != 0)
		return rc;
	rc = post_any(a, &status, "/v1/reports", NULL, note, len);
	free(note);
	if (rc != 0)
		return rc;
	if (status == 200 || status == 201 || status == 202) {
		rc = 1;
	} else if (status == 409) {
		/* Already delivered before a crash: the server has it. */
		ls_agent_logf(a, "warn", "report",
		    "report %llu: server has "
		    "it already (409)",
		    (unsigned long long)seq);
		rc = 1;
	} else if (status == 400 || status == 413) {
		ls_agent_logf(a, "error", "report",
		    "report %llu refused for "
		    "good (HTTP %ld): removed from the queue",
		    (unsigned long long)seq, status);
		rc = 2;
	} else {
		return ls_error_set(LS_ENET, "report %llu: HTTP %ld",
		    (unsigned long long)seq, status);
	}
	if (ls_reports_remove(a->cfg->state, seq) != 0)
		return LS_EIO;
	return rc;
}

int
ls_agent_deliver(struct ls_agent *a)
{
	uint64_t *v = NULL;
	size_t n = 0, i;
	int rc;

	if ((rc = ls_reports_list(&v, &n, a->cfg->state)) != 0 || n == 0)
		goto out;
	if ((rc = enrol(a)) != 0)
		goto out;
	for (i = 0; i < n; i++) {
		if ((rc = send_one(a, v[i])) < 0)
			goto out;
		if (rc == 1)
			ls_agent_logf(a, "info", "delivered",
			    "report %llu "
			    "delivered",
			    (unsigned long long)v[i]);
	}
	rc = 0;
out:
	free(v);
	return rc;
}
