/* reports.c - agent enrolment and signed agent reports. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lockstep/error.h"
#include "lockstep/note.h"
#include "lockstep/timefmt.h"
#include "metrics.h"
#include "store_impl.h"

int
store_vkey_parse(struct ls_vkey *vk, const char *vkey_text, size_t len)
{
	int rc;

	while (len > 0 &&
	    (vkey_text[len - 1] == '\n' || vkey_text[len - 1] == '\r' ||
		vkey_text[len - 1] == ' '))
		len--;
	if (len == 0 || len >= LS_VKEY_TEXT_MAX ||
	    memchr(vkey_text, '\n', len) != NULL)
		return ls_error_set(LS_EFORMAT,
		    "enrolment: expected one "
		    "verifier key line");
	if ((rc = ls_vkey_parse(vk, vkey_text, len)) != 0)
		return ls_error_wrap(rc, "enrolment");
	return 0;
}

int
store_enroll_key(struct ls_store *s, const struct ls_vkey *vk,
    const char *source)
{
	char text[LS_VKEY_TEXT_MAX];
	json_t *d;
	int rc, erc;

	rc = ls_agents_enroll(s->agents, vk->name, vk);
	if (rc != 0) /* refused or already there: nothing new to log */
		return rc;
	ls_vkey_format(text, vk);
	d = json_pack("{s:s, s:s, s:s}", "action", "enroll", "key", text,
	    "source", source ? source : "");
	erc = ls_evidence_append(s->ev, "operator", NULL, vk->name, d);
	json_decref(d);
	return erc;
}

int
ls_store_enroll(struct ls_store *s, const char *vkey_text, size_t len,
    const char *source)
{
	struct ls_vkey vk;
	int rc;

	if ((rc = store_vkey_parse(&vk, vkey_text, len)) != 0)
		return rc;
	return store_enroll_key(s, &vk, source);
}

static json_t *
report_details(const struct ls_report *r, const char *note, size_t len)
{
	char t[LS_TIME_LEN];
	json_t *d;

	ls_time_format(t, r->time);
	d = json_pack("{s:I, s:I, s:I, s:I, s:s, s:s, s:s, s:s, s:s%}", "seq",
	    (json_int_t)r->seq, "root", (json_int_t)r->root_version,
	    "timestamp", (json_int_t)r->timestamp_seq, "release",
	    (json_int_t)r->release_seq, "bundle", r->bundle_sha256, "version",
	    r->version, "time", t, "state", r->state, "note", note, len);
	if (d != NULL && r->error[0] != '\0')
		json_object_set_new(d, "error", json_string(r->error));
	if (d != NULL && r->dropped != 0)
		json_object_set_new(d, "dropped",
		    json_integer((json_int_t)r->dropped));
	return d;
}

/* Parse the note and its body; the signature is checked by the caller. */
static int
open_report(struct ls_note **note, struct ls_report *r, const char *text,
    size_t len)
{
	const char *body;
	size_t blen;
	int rc;

	if (len > LS_NOTE_MAX)
		return ls_error_set(LS_ETOOBIG, "report: %zu bytes, limit %d",
		    len, LS_NOTE_MAX);
	if ((rc = ls_note_parse(note, text, len)) != 0)
		return ls_error_wrap(rc, "report");
	body = ls_note_body(*note, &blen);
	if ((rc = ls_report_parse(r, body, blen)) != 0)
		return ls_error_wrap(rc, "report");
	return 0;
}

int
ls_store_report(struct ls_store *s, const char *text, size_t len)
{
	struct ls_note *note = NULL;
	struct ls_report r;
	json_t *d = NULL;
	int rc;

	memset(&r, 0, sizeof(r));
	if ((rc = open_report(&note, &r, text, len)) != 0)
		goto out;
	if ((rc = ls_store_agent_verify(s, note, r.agent, NULL)) != 0) {
		rc = ls_error_wrap(rc, "report");
		goto out;
	}
	pthread_mutex_lock(&s->report_mu);
	/* Only what would be written is charged: a replay spends nothing
	 * of the agent's budget. */
	if ((rc = ls_agents_check_seq(s->agents, r.agent, r.seq)) == 0 &&
	    (rc = ls_agents_charge(s->agents, r.agent, len)) == 0 &&
	    (d = report_details(&r, text, len)) == NULL)
		rc = ls_error_set(LS_ENOMEM, "out of memory");
	if (rc == 0 &&
	    (rc = ls_evidence_append(s->ev, "report", r.channel, r.agent, d)) ==
		0)
		rc = ls_agents_set_seq(s->agents, r.agent, r.seq);
	pthread_mutex_unlock(&s->report_mu);
out:
	json_decref(d);
	ls_note_free(note);
	return rc;
}

int
ls_store_agent_verify(struct ls_store *s, const struct ls_note *note,
    const char *agent, struct ls_vkey *vk_out)
{
	struct ls_keyset ks = { NULL, 0 };
	struct ls_vkey vk;
	int rc;

	if ((rc = ls_agents_key(s->agents, agent, &vk)) != 0)
		return rc;
	ks.keys = &vk;
	ks.n = 1;
	if ((rc = ls_note_verify(note, &ks, 1)) < 1)
		return ls_error_wrap(rc < 0 ? rc : LS_EBADSIG, "from %s",
		    agent);
	if (vk_out != NULL)
		*vk_out = vk;
	return 0;
}
