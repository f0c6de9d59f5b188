/* admission.c - AdmissionReview v1 in, AdmissionReview v1 out. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admission.h"
#include "admq.h"
#include "decrec.h"
#include "lockstep/buf.h"
#include "lockstep/error.h"

static void refuse(struct ls_admission_decision *d, int code,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
refuse(struct ls_admission_decision *d, int code, const char *fmt, ...)
{
	va_list ap;

	d->allowed = 0;
	d->code = code;
	d->outcome = code == 403 ? "deny" : "error";
	va_start(ap, fmt);
	vsnprintf(d->error, sizeof(d->error), fmt, ap);
	va_end(ap);
}

/* The review's envelope, read from the engine's parse of it. */
struct review {
	struct ls_admission_decision *d;
	int seen; /* the review parsed, its fields read */
	int bad;  /* refused as malformed */
};

static int
malformed(struct review *rv, const char *why)
{
	rv->bad = 1;
	refuse(rv->d, 400, "malformed review: %s", why);
	return ls_error_set(LS_EINVAL, "malformed review: %s", why);
}

/* uid, apiVersion and dryRun of the review (an on_input hook, so the
 * parse the evaluation makes serves); LS_EINVAL with d refused when it
 * is not an AdmissionReview with a request. */
static int
review_fields(void *arg, const struct ls_rego_view *r)
{
	struct review *rv = arg;
	struct ls_admission_decision *d = rv->d;
	const struct ls_rego_view *req = ls_rego_view_get(r, "request");
	const char *av = ls_rego_view_string(ls_rego_view_get(r, "apiVersion"),
	    NULL);
	const char *kind = ls_rego_view_string(ls_rego_view_get(r, "kind"),
	    NULL);
	size_t n = 0;
	const char *uid = ls_rego_view_string(ls_rego_view_get(req, "uid"), &n);

	rv->seen = 1;
	if (av != NULL && strcmp(av, "admission.k8s.io/v1beta1") == 0)
		snprintf(d->api_version, sizeof(d->api_version), "%s", av);
	if (uid != NULL && n < sizeof(d->uid) && strlen(uid) == n)
		memcpy(d->uid, uid, n + 1);
	d->dry_run = ls_rego_view_is_true(ls_rego_view_get(req, "dryRun"));
	if (kind == NULL || strcmp(kind, "AdmissionReview") != 0)
		return malformed(rv, "not an AdmissionReview");
	if (!ls_rego_view_is_object(req))
		return malformed(rv, "no request");
	if (d->uid[0] == '\0')
		return malformed(rv, "request.uid missing");
	return 0;
}

/* After a parse or evaluation that failed with rc: a review that did
 * not parse is malformed (400); one refused by review_fields already
 * is.  1 when d is refused so, 0 when the failure lies elsewhere. */
static int
review_failed(struct review *rv, int rc)
{
	char why[sizeof(rv->d->error)];

	if (rv->seen)
		return rv->bad;
	if (rc != LS_EFORMAT && rc != LS_ETOOBIG)
		return 0;
	snprintf(why, sizeof(why), "%s", ls_error_last());
	malformed(rv, why);
	return 1;
}

/* The review read alone, where nothing is evaluated: 0 when it is
 * well formed, else d refused (400) or LS_ENOMEM. */
static int
review_alone(struct review *rv, const struct ls_admission_opts *o,
    const char *body, size_t len)
{
	int rc = ls_rego_view_json(body, len, o->max_memory, review_fields,
	    rv);

	if (rc == 0 || review_failed(rv, rc))
		return rc == 0 ? 0 : -1;
	if (rc != LS_ENOMEM)
		refuse(rv->d, 500, "%s", ls_error_last());
	return rc == LS_ENOMEM ? rc : -1;
}

/* No query for d->path (rc from ls_admq_get): the review's own faults
 * come first, then the path's. */
static int
no_query(struct review *rv, const struct ls_admission_opts *o, int rc,
    const char *input, size_t len)
{
	char why[sizeof(rv->d->error)];
	int r;

	if (rc == LS_ENOMEM)
		return rc;
	snprintf(why, sizeof(why), "%s", ls_error_last());
	if ((r = review_alone(rv, o, input, len)) != 0)
		return r;
	if (rc == LS_EINVAL)
		refuse(rv->d, 400, "bad rule path '%s'", rv->d->path);
	else
		refuse(rv->d, 500, "policy error: %s", why);
	return rc;
}

/*
 * The four rules (deny, violation, warn, allow) in one evaluation of the
 * query prepared for d->path (admq.h), so what they share is evaluated
 * once; with want_attr, the same evaluation also gives the attribution
 * of the deny and violation elements to P/deny's leaves for the record.
 * v[k] gets rule k's value or NULL; LS_EREGO / LS_EINVAL with d->error.
 */
static int
rule_values(json_t *v[LS_ADMQ_DOCS], struct ls_rego_attr *attr,
    struct review *rv, const struct ls_admission_opts *o, int want_attr,
    const char *input, size_t len)
{
	struct ls_admission_decision *d = rv->d;
	const struct ls_admq_entry *q = NULL;
	struct ls_admq_entry *tmp = NULL;
	struct ls_rego_eval_opts eo;
	char *docs[LS_ADMQ_DOCS], *err = NULL;
	size_t k;
	int rc;

	memset(&eo, 0, sizeof(eo));
	eo.timeout_ms = o->timeout_ms;
	eo.max_memory = o->max_memory;
	eo.strict_input = 1; /* its bytes go into the record as they are */
	eo.on_input = review_fields;
	eo.on_input_arg = rv;
	if ((rc = ls_admq_get(&q, &tmp, d->act, d->path)) != 0)
		return no_query(rv, o, rc, input, len);
	d->has_attr = want_attr && (q->lv == NULL || q->leaves != NULL);
	rc = ls_rego_eval_docs(docs, LS_ADMQ_DOCS, 2, attr, d->act->policy,
	    want_attr && q->leaves != NULL ? q->leaves : q->plain, input, len,
	    &eo, &err);
	ls_admq_entry_free(tmp);
	if (rc != 0) {
		d->has_attr = 0;
		if (!review_failed(rv, rc))
			refuse(d, 500, "policy error: %s",
			    err ? err : ls_error_last());
		free(err);
		return rc;
	}
	for (k = 0; k < LS_ADMQ_DOCS; k++) {
		v[k] = docs[k] ? json_loads(docs[k], JSON_DECODE_ANY, NULL)
			       : NULL;
		if (docs[k] != NULL && v[k] == NULL)
			rc = ls_error_set(LS_ENOMEM, "admission: out of memory");
		free(docs[k]);
	}
	return rc;
}

/* Append the messages of a deny/violation/warn value to dst.  With
 * attr (elements numbered from *el on), a message's leaves go to
 * d->attr.holders at the message's index in dst. */
static int
messages(json_t *dst, const json_t *v, struct ls_admission_decision *d,
    const struct ls_rego_attr *attr, size_t *el)
{
	size_t i;
	json_t *m;

	json_array_foreach(v, i, m)
	{
		const json_t *s = json_is_object(m) ? json_object_get(m, "msg")
						     : m;
		size_t at = json_array_size(dst), from = (*el)++;

		if (!json_is_string(s))
			continue;
		if (json_array_append(dst, (json_t *)(uintptr_t)s) != 0)
			return LS_ENOMEM;
		if (attr != NULL && d->attr.holders != NULL && from < attr->n)
			d->attr.holders[at] = attr->holders[from];
	}
	return 0;
}

/* d->attr, indexed by d->messages, from attr over the deny and
 * violation elements. */
static int
message_attr(struct ls_admission_decision *d, const struct ls_rego_attr *attr,
    json_t *v[LS_ADMQ_DOCS])
{
	size_t el = 0, n = json_array_size(v[0]) + json_array_size(v[1]);
	int rc;

	d->attr.stray = attr->stray;
	if (n > 0 &&
	    (d->attr.holders = calloc(n, sizeof(*d->attr.holders))) == NULL)
		return LS_ENOMEM;
	rc = messages(d->messages, v[0], d, attr, &el);
	if (rc == 0)
		rc = messages(d->messages, v[1], d, attr, &el);
	d->attr.n = json_array_size(d->messages);
	return rc;
}

/* Cut at 120 bytes without splitting a UTF-8 sequence, ending in "...". */
static json_t *
warning(const char *s)
{
	char buf[LS_ADMISSION_WARNING_MAX + 1];
	size_t n = strlen(s);

	if (n <= LS_ADMISSION_WARNING_MAX)
		return json_string(s);
	n = LS_ADMISSION_WARNING_MAX - 3;
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	memcpy(buf, s, n);
	memcpy(buf + n, "...", 4);
	return json_string(buf);
}

/* a/b -> a.b, for messages */
static const char *
dotted(const char *path, char *buf, size_t cap)
{
	size_t i;

	snprintf(buf, cap, "%s", path);
	for (i = 0; buf[i] != '\0'; i++)
		if (buf[i] == '/')
			buf[i] = '.';
	return buf;
}

static int
evaluate(struct review *rv, const struct ls_admission_opts *o, int want_attr,
    const char *input, size_t len)
{
	struct ls_admission_decision *d = rv->d;
	json_t *v[LS_ADMQ_DOCS] = { NULL, NULL, NULL, NULL }, *w = json_array();
	char ref[LS_ADMISSION_PATH_MAX + 1];
	struct ls_rego_attr attr;
	size_t i, k, el = 0;
	int rc = w ? 0 : LS_ENOMEM, defined = 0;

	memset(&attr, 0, sizeof(attr));
	if (rc == 0)
		rc = rule_values(v, &attr, rv, o, want_attr, input, len);
	for (k = 0; k < LS_ADMQ_DOCS; k++)
		defined |= v[k] != NULL;
	if (rc == 0 && !defined)
		refuse(d, o->fail_open ? 200 : 500,
		    "no deny, violation, warn or allow rule at data.%s",
		    dotted(d->path, ref, sizeof(ref)));
	if (rc == 0)
		rc = message_attr(d, &attr, v);
	ls_rego_attr_cleanup(&attr);
	if (rc == 0)
		rc = messages(w, v[2], d, NULL, &el);
	for (i = 0; rc == 0 && i < json_array_size(w); i++)
		if (json_array_append_new(d->warnings,
			warning(json_string_value(json_array_get(w, i)))) != 0)
			rc = LS_ENOMEM;
	if (rc == 0 && defined) {
		d->allowed = json_array_size(d->messages) == 0 &&
		    !json_is_false(v[3]);
		d->code = d->allowed ? 200 : 403;
		d->outcome = !d->allowed		      ? "deny"
		    : json_array_size(d->warnings) > 0 ? "warn"
						       : "allow";
		if (!d->allowed && json_array_size(d->messages) == 0)
			snprintf(d->error, sizeof(d->error),
			    "denied by data.%s.allow",
			    dotted(d->path, ref, sizeof(ref)));
	}
	for (k = 0; k < LS_ADMQ_DOCS; k++)
		json_decref(v[k]);
	json_decref(w);
	return rc == LS_ENOMEM ? rc : 0;
}

/* d->path from path or the default; -1 when there is none or it is
 * too long. */
static int
path_of(struct ls_admission_decision *d, const struct ls_admission_opts *o,
    const char *path)
{
	const char *p = path != NULL && path[0] != '\0' ? path
							: o->default_path;

	if (p == NULL || strlen(p) > LS_ADMISSION_PATH_MAX)
		return -1;
	snprintf(d->path, sizeof(d->path), "%s", p);
	return 0;
}

int
ls_admission_decide(struct ls_admission_decision *d, struct ls_engine *e,
    const struct ls_admission_opts *o, const char *path, const char *body,
    size_t len)
{
	struct review rv = { d, 0, 0 };
	struct timespec t0, t1;
	int rc = 0, bad_path;

	memset(d, 0, sizeof(*d));
	snprintf(d->api_version, sizeof(d->api_version),
	    "admission.k8s.io/v1");
	d->messages = json_array();
	d->warnings = json_array();
	if (d->messages == NULL || d->warnings == NULL)
		return ls_error_set(LS_ENOMEM, "admission: out of memory");
	bad_path = path_of(d, o, path) != 0;
	/* one reference for the policy, its version and its hash, so the
	 * record names exactly what decided */
	if (!bad_path)
		d->act = ls_engine_active(e);
	if (bad_path || d->act == NULL) {
		/* nothing to evaluate: the review's faults come first */
		rc = review_alone(&rv, o, body, len);
		if (rc == 0 && bad_path)
			refuse(d, 400, "%s", "no or too long rule path");
		else if (rc == 0)
			refuse(d, 503, "%s",
			    "no policy bundle is active yet on this agent");
	} else {
		snprintf(d->version, sizeof(d->version), "%s",
		    d->act->version);
		snprintf(d->sha256, sizeof(d->sha256), "%s", d->act->sha256);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		rc = evaluate(&rv, o, e->rec != NULL && ls_decrec_enabled(e->rec),
		    body, len);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		d->latency_us = (long long)(t1.tv_sec - t0.tv_sec) * 1000000 +
		    (t1.tv_nsec - t0.tv_nsec) / 1000;
	}
	if (rv.bad) {
		/* no policy decided a review that is not one */
		ls_engine_active_unref(d->act);
		d->act = NULL;
		d->version[0] = d->sha256[0] = '\0';
		d->latency_us = 0;
	}
	rc = rc == LS_ENOMEM ? rc : 0;
	/* --admission-failure=allow admits what could not be decided */
	if (rc == 0 && !d->allowed && d->code != 403 && d->code != 400 &&
	    o->fail_open) {
		char w[sizeof(d->error) + 64];

		snprintf(w, sizeof(w), "admitted by --admission-failure=allow: %s",
		    d->error);
		d->allowed = 1;
		json_array_append_new(d->warnings, warning(w));
	}
	return rc;
}

int
ls_admission_answer(char **out, const struct ls_admission_decision *d,
    const char *decision_id)
{
	json_t *resp, *ann, *review;
	struct ls_buf msg;
	size_t i;

	*out = NULL;
	resp = json_pack("{s:s, s:b}", "uid", d->uid, "allowed", d->allowed);
	ann = json_object();
	ls_buf_init(&msg, 64 * 1024);
	for (i = 0; i < json_array_size(d->messages); i++)
		(void)ls_buf_addf(&msg, "%s%s", i ? "; " : "",
		    json_string_value(json_array_get(d->messages, i)));
	if (msg.len == 0 && d->error[0] != '\0')
		(void)ls_buf_adds(&msg, d->error);
	if (resp != NULL && (!d->allowed || msg.len > 0))
		json_object_set_new(resp, "status",
		    json_pack("{s:i, s:s}", "code", d->code, "message",
			msg.data ? msg.data : ""));
	if (resp != NULL && json_array_size(d->warnings) > 0)
		json_object_set(resp, "warnings", d->warnings);
	if (ann != NULL && d->version[0] != '\0')
		json_object_set_new(ann, "bundle-version",
		    json_string(d->version));
	if (ann != NULL && d->sha256[0] != '\0')
		json_object_set_new(ann, "bundle-sha256",
		    json_string(d->sha256));
	if (ann != NULL && decision_id != NULL)
		json_object_set_new(ann, "decision-id",
		    json_string(decision_id));
	if (resp != NULL && json_object_size(ann) > 0)
		json_object_set(resp, "auditAnnotations", ann);
	json_decref(ann);
	ls_buf_cleanup(&msg);
	review = resp ? json_pack("{s:s, s:s, s:o}", "apiVersion",
			    d->api_version, "kind", "AdmissionReview",
			    "response", resp)
		      : NULL;
	*out = review ? json_dumps(review, JSON_COMPACT) : NULL;
	json_decref(review);
	return *out ? 0 : ls_error_set(LS_ENOMEM, "admission: out of memory");
}

void
ls_admission_decision_cleanup(struct ls_admission_decision *d)
{
	json_decref(d->messages);
	json_decref(d->warnings);
	ls_engine_active_unref(d->act);
	ls_rego_attr_cleanup(&d->attr);
	d->messages = d->warnings = NULL;
	d->act = NULL;
}
