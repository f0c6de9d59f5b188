/* operator.c - pin, rollback, unpin and status of the channels. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lockstep/error.h"
#include "lockstep/timefmt.h"
#include "metrics.h"
#include "store_impl.h"

/*
 * The newest release of version (any release naming it has the same
 * bundle), or when version is NULL the newest release that brought a
 * tag: a build ("") or a held build released by "unpin".
 */
static int
find_release(struct ls_store *s, struct channel *c, const char *version,
    struct ls_release *out)
{
	uint64_t seq;
	int rc;

	for (seq = c->max_seq; seq > 0; seq--) {
		rc = store_release_load(s, c->name, seq, out);
		if (rc == LS_ENOTFOUND)
			continue;
		if (rc != 0)
			return rc;
		if (version != NULL ? strcmp(out->version, version) == 0
				    : (out->action[0] == '\0' ||
					  strcmp(out->action, "unpin") == 0))
			return 0;
		ls_release_cleanup(out);
	}
	return ls_error_set(LS_ENOTFOUND, "channel %s: no release of %s",
	    c->name, version ? version : "any tag");
}

static int
text_ok(const char *what, const char *s)
{
	if (s == NULL || s[0] == '\0')
		return ls_error_set(LS_EINVAL, "%s is required", what);
	if (strlen(s) > LS_TEXT_MAX || strpbrk(s, "\r\n") != NULL)
		return ls_error_set(LS_EINVAL,
		    "%s: one line of at most %d "
		    "bytes",
		    what, LS_TEXT_MAX);
	return 0;
}

static json_t *
op_details(const struct ls_release *r)
{
	char until[LS_TIME_LEN];

	ls_time_format(until, r->until);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:I, s:I}",
	    "action", r->action, "version", r->version, "owner", r->owner,
	    "reason", r->reason, "until", until, "seq", (json_int_t)r->seq,
	    "bundle", r->bundle_sha256, "length", (json_int_t)r->bundle_length,
	    "floor", (json_int_t)r->floor);
}

/* Publish target as a new seq carrying the action, then log it. */
static int
publish_action(struct ls_store *s, struct channel *c, struct ls_release *t,
    const char *action, const char *owner, const char *reason, time_t until,
    uint64_t floor)
{
	time_t now = time(NULL);
	json_t *d;
	int rc;

	t->seq = c->max_seq + 1;
	t->built = now;
	t->expires = now + LS_RELEASE_LIFETIME;
	/* The floor never goes down; an operator may raise it. */
	t->floor = c->has_cur && c->cur.floor > 0 ? c->cur.floor : 1;
	if (floor > t->floor)
		t->floor = floor;
	snprintf(t->action, sizeof(t->action), "%s", action);
	snprintf(t->owner, sizeof(t->owner), "%s", owner);
	snprintf(t->reason, sizeof(t->reason), "%s", reason);
	t->until = until;
	if ((rc = store_publish(s, c, t)) != 0)
		return rc;
	ls_metrics_add(LS_M_OPERATOR_ACTIONS, 1);
	if ((d = op_details(t)) == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	rc = ls_evidence_append(s->ev, "operator", c->name, NULL, d);
	json_decref(d);
	return rc;
}

static int
clear_pending(struct ls_store *s, struct channel *c)
{
	if (!c->has_pending)
		return 0;
	ls_release_cleanup(&c->pending);
	c->has_pending = 0;
	return store_pending_write(s, c);
}

int
store_unpin(struct ls_store *s, struct channel *c, const char *owner,
    const char *reason)
{
	struct ls_release t;
	int rc;

	memset(&t, 0, sizeof(t));
	if (c->has_pending)
		rc = store_release_copy(&t, &c->pending);
	else if ((rc = find_release(s, c, NULL, &t)) == LS_ENOTFOUND)
		rc = store_release_copy(&t, &c->cur);
	if (rc != 0)
		return rc;
	rc = publish_action(s, c, &t, "unpin", owner, reason, time(NULL), 0);
	ls_release_cleanup(&t);
	if (rc == 0)
		rc = clear_pending(s, c);
	return rc;
}

static int
check_op(const struct ls_op *op, int *is_unpin)
{
	int rc;

	*is_unpin = op->action != NULL && strcmp(op->action, "unpin") == 0;
	if (op->action == NULL ||
	    (!*is_unpin && strcmp(op->action, "pin") &&
		strcmp(op->action, "rollback")))
		return ls_error_set(LS_EINVAL,
		    "action must be pin, rollback "
		    "or unpin");
	if (op->channel == NULL || !ls_name_valid(op->channel))
		return ls_error_set(LS_EINVAL, "bad channel name");
	if ((rc = text_ok("owner", op->owner)) != 0 ||
	    (rc = text_ok("reason", op->reason)) != 0)
		return rc;
	if (*is_unpin)
		return 0;
	if (op->version == NULL || !ls_name_valid(op->version))
		return ls_error_set(LS_EINVAL, "bad or missing version");
	if (op->until <= time(NULL))
		return ls_error_set(LS_EINVAL,
		    "until (the sunset date) must "
		    "be in the future");
	return 0;
}

static int
operate_locked(struct ls_store *s, const struct ls_op *op, json_t **res)
{
	struct ls_release t;
	struct channel *c;
	int unpin, rc;

	memset(&t, 0, sizeof(t));
	if ((rc = check_op(op, &unpin)) != 0)
		return rc;
	if ((c = store_channel(s, op->channel, 0)) == NULL || !c->has_cur)
		return ls_error_set(LS_ENOTFOUND, "channel %s has no release",
		    op->channel);
	if (op->floor != 0 &&
	    (op->floor < c->cur.floor || op->floor > c->max_seq + 1))
		return ls_error_set(LS_EINVAL,
		    "floor %" PRIu64 " must lie "
		    "between the current floor %" PRIu64
		    " and the new seq %" PRIu64,
		    op->floor, c->cur.floor, c->max_seq + 1);
	if (unpin) {
		if (strcmp(c->cur.action, "pin") != 0)
			return ls_error_set(LS_ECONFLICT,
			    "channel %s is not "
			    "pinned",
			    c->name);
		rc = store_unpin(s, c, op->owner, op->reason);
	} else {
		if ((rc = find_release(s, c, op->version, &t)) != 0)
			return rc;
		rc = publish_action(s, c, &t, op->action, op->owner, op->reason,
		    op->until, op->floor);
		ls_release_cleanup(&t);
		if (rc == 0 && strcmp(op->action, "rollback") == 0)
			rc = clear_pending(s, c);
	}
	if (rc == 0 && res != NULL)
		*res = json_pack("{s:s, s:I, s:s, s:s}", "channel", c->name,
		    "seq", (json_int_t)c->cur.seq, "version", c->cur.version,
		    "bundle", c->cur.bundle_sha256);
	return rc;
}

int
ls_store_operate(struct ls_store *s, const struct ls_op *op,
    json_t **result_out)
{
	int rc;

	if (result_out != NULL)
		*result_out = NULL;
	pthread_mutex_lock(&s->mu);
	rc = operate_locked(s, op, result_out);
	pthread_mutex_unlock(&s->mu);
	store_notify(s);
	return rc;
}

static json_t *
channel_json(const struct channel *c)
{
	char exp[LS_TIME_LEN], until[LS_TIME_LEN];
	json_t *j, *pin = json_null();

	if (!c->has_cur)
		return json_pack("{s:s, s:n}", "name", c->name, "release");
	ls_time_format(exp, c->ts_expires);
	if (c->cur.action[0] != '\0' && strcmp(c->cur.action, "unpin") != 0) {
		ls_time_format(until, c->cur.until);
		pin = json_pack("{s:s, s:s, s:s, s:s, s:b}", "action",
		    c->cur.action, "owner", c->cur.owner, "reason",
		    c->cur.reason, "until", until, "active",
		    c->cur.until > time(NULL));
	}
	j = json_pack("{s:s, s:I, s:s, s:s, s:s, s:I, s:I, s:s, s:o, s:s?}",
	    "name", c->name, "seq", (json_int_t)c->cur.seq, "version",
	    c->cur.version, "commit", c->cur.commit, "bundle",
	    c->cur.bundle_sha256, "floor", (json_int_t)c->cur.floor,
	    "timestamp_seq", (json_int_t)c->ts_seq, "timestamp_expires", exp,
	    "pin", pin, "held", c->has_pending ? c->pending.version : NULL);
	return j;
}

int
ls_store_status(struct ls_store *s, json_t **out)
{
	json_t *arr = json_array(), *j;
	size_t i;

	pthread_mutex_lock(&s->mu);
	for (i = 0; arr != NULL && i < s->nch; i++)
		if ((j = channel_json(s->ch[i])) != NULL)
			json_array_append_new(arr, j);
	pthread_mutex_unlock(&s->mu);
	*out = json_pack("{s:s, s:o, s:I}", "origin", s->origin, "channels",
	    arr, "agents", (json_int_t)ls_agents_count(s->agents));
	return *out == NULL ? ls_error_set(LS_ENOMEM, "out of memory") : 0;
}
