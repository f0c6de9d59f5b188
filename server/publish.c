/* publish.c - a finished build: evidence, bundle, release, timestamp. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lockstep/error.h"
#include "lockstep/file.h"
#include "metrics.h"
#include "store_impl.h"

static int
write_bundle(struct ls_store *s, const struct ls_build *b)
{
	char dir[PATH_MAX], path[PATH_MAX];
	int n, rc;

	n = snprintf(dir, sizeof(dir), "%s/v1/bundles", s->data);
	if (n < 0 || (size_t)n >= sizeof(dir))
		return ls_error_set(LS_EINVAL, "%s: path too long", s->data);
	n = snprintf(path, sizeof(path), "%s/%s.tar.gz", dir, b->sha256);
	if (n < 0 || (size_t)n >= sizeof(path))
		return ls_error_set(LS_EINVAL, "%s: path too long", s->data);
	if ((rc = ls_file_mkdirs(dir, 0755)) != 0)
		return rc;
	if (ls_file_exists(path)) /* content-addressed: same bytes */
		return 0;
	return ls_file_write_atomic(path, b->tgz.data, b->tgz.len, 0644);
}

int
store_pending_write(struct ls_store *s, struct channel *c)
{
	char dir[PATH_MAX], path[PATH_MAX], *body = NULL;
	size_t len = 0;
	int n, rc;

	n = snprintf(dir, sizeof(dir), "%s/state", s->data);
	if (n < 0 || (size_t)n >= sizeof(dir))
		return ls_error_set(LS_EINVAL, "%s: path too long", s->data);
	n = snprintf(path, sizeof(path), "%s/%s.pending", dir, c->name);
	if (n < 0 || (size_t)n >= sizeof(path))
		return ls_error_set(LS_EINVAL, "%s: path too long", s->data);
	if ((rc = ls_file_mkdirs(dir, 0755)) != 0)
		return rc;
	/* An empty file means "nothing held". */
	if (c->has_pending &&
	    (rc = ls_release_body(&body, &len, &c->pending)) != 0)
		return rc;
	rc = ls_file_write_atomic(path, body ? body : "", len, 0644);
	free(body);
	return rc;
}

static int
release_from_build(struct ls_release *r, const struct ls_store *s,
    const struct channel *c, const struct ls_build *b)
{
	time_t now = time(NULL);

	memset(r, 0, sizeof(*r));
	snprintf(r->origin, sizeof(r->origin), "%s", s->origin);
	snprintf(r->channel, sizeof(r->channel), "%s", c->name);
	snprintf(r->version, sizeof(r->version), "%s", b->tag);
	memcpy(r->commit, b->commit, sizeof(r->commit));
	memcpy(r->bundle_sha256, b->sha256, sizeof(r->bundle_sha256));
	r->bundle_length = b->tgz.len;
	r->built = now;
	r->expires = now + LS_RELEASE_LIFETIME;
	r->floor = c->has_cur && c->cur.floor > 0 ? c->cur.floor : 1;
	r->tests_passed = b->tests_passed;
	r->tests_failed = b->tests_failed;
	r->controls = b->controls; /* borrowed: never freed through r */
	r->ncontrols = b->ncontrols;
	return 0;
}

static json_t *
build_details(const struct ls_build *b, int held)
{
	json_t *d, *ctl = json_array();
	size_t i;

	for (i = 0; ctl != NULL && i < b->ncontrols; i++)
		json_array_append_new(ctl, json_string(b->controls[i]));
	d = json_pack("{s:s, s:s, s:s, s:O?, s:{s:i, s:i}, s:o}", "tag", b->tag,
	    "commit", b->commit, "result", b->ok ? "passed" : "failed",
	    "stages", b->stages, "tests", "passed", (int)b->tests_passed,
	    "failed", (int)b->tests_failed, "controls", ctl);
	if (d == NULL)
		return NULL;
	if (!b->ok) {
		json_object_set_new(d, "stage", json_string(b->failed_stage));
		json_object_set_new(d, "reason", json_string(b->reason));
	} else {
		json_object_set_new(d, "bundle", json_string(b->sha256));
		json_object_set_new(d, "length",
		    json_integer((json_int_t)b->tgz.len));
	}
	if (held)
		json_object_set_new(d, "held_by_pin", json_true());
	return d;
}

static int
pinned(const struct channel *c)
{
	return c->has_cur && strcmp(c->cur.action, "pin") == 0 &&
	    c->cur.until > time(NULL);
}

static int
publish_locked(struct ls_store *s, struct channel *c, const struct ls_build *b)
{
	struct ls_release r;
	json_t *d = NULL;
	int held = b->ok && pinned(c), rc = 0;

	if (b->ok) {
		release_from_build(&r, s, c, b);
		/* A held build gets its real seq when the pin ends. */
		r.seq = c->max_seq + 1;
		if ((rc = write_bundle(s, b)) != 0)
			return rc;
	}
	if (held) {
		if (c->has_pending)
			ls_release_cleanup(&c->pending);
		c->has_pending = 0;
		if ((rc = store_release_copy(&c->pending, &r)) != 0)
			return rc;
		c->has_pending = 1;
		if ((rc = store_pending_write(s, c)) != 0)
			return rc;
	}
	if ((d = build_details(b, held)) == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	rc = ls_evidence_append(s->ev, "build", c->name, NULL, d);
	json_decref(d);
	if (rc != 0)
		return rc;
	ls_metrics_add(b->ok ? LS_M_BUILDS_OK : LS_M_BUILDS_FAILED, 1);
	if (!b->ok || held)
		return store_tag_add(c, b->tag);
	r.seq = c->max_seq + 1;
	if ((rc = store_publish(s, c, &r)) != 0)
		return rc;
	if ((rc = store_tag_add(c, b->tag)) != 0)
		return rc;
	if ((d = store_release_json(&c->cur)) == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	rc = ls_evidence_append(s->ev, "publish", c->name, NULL, d);
	json_decref(d);
	return rc;
}

int
ls_store_build_done(struct ls_store *s, const struct ls_build *b)
{
	struct channel *c;
	int rc;

	pthread_mutex_lock(&s->mu);
	if ((c = store_channel(s, b->channel, 1)) == NULL)
		rc = ls_error_set(LS_EINVAL,
		    "channel '%s': invalid or too "
		    "many",
		    b->channel);
	else
		rc = publish_locked(s, c, b);
	pthread_mutex_unlock(&s->mu);
	store_notify(s);
	return rc;
}
