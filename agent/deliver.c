/* deliver.c - sign, queue and deliver reports; enrol the agent key. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <sodium.h>

#include "agent_int.h"
#include "lockstep/error.h"
#include "reports.h"

#define LS_TOKEN_HDR_MAX 4200 /* X-Lockstep-Enroll-Token: and the token */

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

	if (a->cfg->no_reports)
		return 0;

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

/* POST to --report-to (default the first --server): enrolment and
 * reports never go to a mirror, which could keep or replay them.  The
 * answer body goes to resp (may be NULL). */
static int
post_report_to(struct ls_agent *a, long *status, const char *path,
    const char *header, const char *body, size_t len, struct ls_buf *resp)
{
	struct ls_fetch_result res;
	char url[LS_CONFIG_URL_MAX];
	int rc;

	*status = 0;
	if ((rc = server_url(url, sizeof(url), a->cfg->report_to, path)) != 0)
		return rc;
	if ((rc = ls_fetch_post(a->fetch, &res, url, header, body, len,
		 resp)) != 0)
		return rc;
	*status = res.status;
	return 0;
}

/* The server's {"error": "..."} of a refusal, or "". */
static void
answer_error(char *out, size_t sz, const struct ls_buf *b)
{
	json_t *j = json_loadb(b->data ? b->data : "", b->len, 0, NULL);
	const char *e = json_string_value(json_object_get(j, "error"));

	snprintf(out, sz, "%s", e != NULL ? e : "");
	json_decref(j);
}

/* A refusal is tried again every pass (a 409 ends once an operator has
 * removed the other key, a 403 once a new token is in the file), but the
 * same refusal is logged once an hour, not once a pass. */
#define ENROL_RELOG_S 3600

static int
enrol_refused(struct ls_agent *a, long status, const struct ls_buf *answer)
{
	char why[512], msg[sizeof(a->enrol_error)];
	time_t now = time(NULL);

	answer_error(why, sizeof(why), answer);
	a->enrol_rc = status == 409 ? LS_ECONFLICT : LS_EBADSIG;
	snprintf(msg, sizeof(msg), "enrolment refused by %s: HTTP %ld: %s%s",
	    a->cfg->report_to, status, why[0] ? why : "no reason given",
	    status == 409
		? " (the name is taken by another key: once an operator has "
		  "removed it, lockstep agent remove NAME, the next try "
		  "enrols with the same token, until it expires)"
		: a->cfg->enroll_token_file != NULL
		? " (ask an operator for a new token, lockstep agent token "
		  "NAME, and put it in the token file: it is read again "
		  "before each try)"
		: " (ask an operator for a new token: lockstep agent token "
		  "NAME)");
	if (strcmp(msg, a->enrol_error) != 0 ||
	    now - a->enrol_logged >= ENROL_RELOG_S) {
		ls_agent_logf(a, "error", "enrol", "%s", msg);
		a->enrol_logged = now;
	}
	snprintf(a->enrol_error, sizeof(a->enrol_error), "%s", msg);
	return ls_error_set(a->enrol_rc, "%s", a->enrol_error);
}

int
ls_agent_enrol(struct ls_agent *a)
{
	struct ls_buf answer;
	struct ls_vkey vk;
	struct ls_state st;
	char text[LS_VKEY_TEXT_MAX], hdr[LS_TOKEN_HDR_MAX];
	long status;
	int rc;

	if (a->st.enrolled)
		return 0;
	/* After a refusal, the token file may hold a new token. */
	if (a->enrol_rc != 0 && (rc = ls_agent_load_token(a)) != 0)
		return ls_error_wrap(rc, "enrolment token");
	if (a->enroll_token == NULL)
		return 0;
	ls_key_vkey(&vk, a->key);
	ls_vkey_format(text, &vk);
	if (strpbrk(a->enroll_token, "\r\n") != NULL ||
	    snprintf(hdr, sizeof(hdr), "X-Lockstep-Enroll-Token: %s",
		a->enroll_token) >= (int)sizeof(hdr))
		return ls_error_set(LS_EINVAL, "enrolment token: bad token");
	ls_buf_init(&answer, 4096);
	rc = post_report_to(a, &status, "/v1/enroll", hdr, text, strlen(text),
	    &answer);
	sodium_memzero(hdr, sizeof(hdr));
	if (rc == 0 && (status == 403 || status == 409))
		rc = enrol_refused(a, status, &answer);
	else if (rc == 0 && status != 200 && status != 201)
		rc = ls_error_set(LS_ENET, "enrolment at %s: HTTP %ld",
		    a->cfg->report_to, status);
	ls_buf_cleanup(&answer);
	if (rc != 0)
		return rc;
	a->enrol_rc = 0;
	a->enrol_error[0] = '\0';
	st = a->st;
	st.enrolled = 1;
	ls_agent_logf(a, "info", "enrol", "enrolled as %s at %s", st.agent,
	    a->cfg->report_to);
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
	rc = post_report_to(a, &status, "/v1/reports", NULL, note, len, NULL);
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

	if (a->cfg->no_reports)
		return 0;
	if ((rc = ls_agent_enrol(a)) != 0)
		goto out;
	if ((rc = ls_reports_list(&v, &n, a->cfg->state)) != 0 || n == 0)
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
