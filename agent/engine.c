/* engine.c - the enforced policy pointer, status text and decisions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "admq.h"
#include "decrec.h"
#include "engine.h"
#include "lockstep/error.h"
#include "lockstep/rego.h"

#define PATH_MAX_LEN 512

int
ls_engine_init(struct ls_engine *e)
{
	memset(e, 0, sizeof(*e));
	if (pthread_mutex_init(&e->mu, NULL) != 0)
		return ls_error_set(LS_ENOMEM, "engine: mutex");
	return 0;
}

void
ls_engine_cleanup(struct ls_engine *e)
{
	ls_rego_policy_unref(e->policy);
	e->policy = NULL;
	ls_engine_active_unref(e->act);
	e->act = NULL;
	pthread_mutex_destroy(&e->mu);
}

void
ls_engine_active_unref(struct ls_engine_active *a)
{
	if (a == NULL || __atomic_sub_fetch(&a->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	ls_admq_free(a->admq);
	ls_rego_policy_unref(a->policy);
	ls_dectab_free(a->tab);
	free(a);
}

struct ls_engine_active *
ls_engine_active(struct ls_engine *e)
{
	struct ls_engine_active *a;

	pthread_mutex_lock(&e->mu);
	if ((a = e->act) != NULL)
		__atomic_add_fetch(&a->refs, 1, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&e->mu);
	return a;
}

/* The controls table is built here, once per compiled policy. */
static struct ls_engine_active *
active_new(struct ls_engine *e, struct ls_rego_policy *p)
{
	struct ls_engine_active *a;
	char *warn = NULL;

	if (p == NULL || (a = calloc(1, sizeof(*a))) == NULL)
		return NULL;
	a->refs = 1;
	a->policy = ls_rego_policy_ref(p);
	if (ls_dectab_build(&a->tab, p, &warn) != 0)
		a->tab = NULL;
	free(warn);
	if (ls_admq_new(&a->admq) != 0)
		a->admq = NULL; /* each review then prepares its own query */
	pthread_mutex_lock(&e->mu);
	snprintf(a->channel, sizeof(a->channel), "%s", e->state.channel);
	if (e->has_state && e->state.has_active) {
		snprintf(a->version, sizeof(a->version), "%s",
		    e->state.active.version);
		a->seq = e->state.active.seq;
		snprintf(a->sha256, sizeof(a->sha256), "%s",
		    e->state.active.sha256);
	}
	pthread_mutex_unlock(&e->mu);
	return a;
}

void
ls_engine_swap(struct ls_engine *e, struct ls_rego_policy *p)
{
	struct ls_engine_active *act = active_new(e, p), *olda;
	struct ls_rego_policy *old;

	pthread_mutex_lock(&e->mu);
	old = e->policy;
	e->policy = p;
	olda = e->act;
	e->act = act;
	pthread_mutex_unlock(&e->mu);
	ls_rego_policy_unref(old);
	ls_engine_active_unref(olda);
}

struct ls_rego_policy *
ls_engine_policy(struct ls_engine *e)
{
	struct ls_rego_policy *p = NULL;

	pthread_mutex_lock(&e->mu);
	if (e->policy != NULL)
		p = ls_rego_policy_ref(e->policy);
	pthread_mutex_unlock(&e->mu);
	return p;
}

void
ls_engine_set_state(struct ls_engine *e, const struct ls_state *st)
{
	pthread_mutex_lock(&e->mu);
	e->state = *st;
	e->has_state = 1;
	pthread_mutex_unlock(&e->mu);
}

int
ls_engine_status(char **out, struct ls_engine *e)
{
	struct ls_state st;
	int has;

	*out = NULL;
	pthread_mutex_lock(&e->mu);
	st = e->state;
	has = e->has_state;
	pthread_mutex_unlock(&e->mu);
	return has ? ls_state_status_json(out, &st, time(NULL)) : 0;
}

static int
path_ok(const char *p)
{
	size_t n = strlen(p);

	if (n > PATH_MAX_LEN)
		return 0;
	for (; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			(*p >= '0' && *p <= '9') || *p == '_' || *p == '/' ||
			*p == '-'))
			return 0;
	return 1;
}

static int
answer(char **out, int *http, int code, json_t *obj)
{
	*http = code;
	*out = obj != NULL ? json_dumps(obj, JSON_COMPACT) : NULL;
	json_decref(obj);
	return *out != NULL ? 0
			    : ls_error_set(LS_ENOMEM,
				  "decision: out of "
				  "memory");
}

static int
fail(char **out, int *http, int code, const char *kind, const char *msg)
{
	return answer(out, http, code,
	    json_pack("{s:s, s:s}", "code", kind, "message", msg));
}

/* What input_of needs of a body: an object, with or without "input". */
struct body_shape {
	int object, input;
};

static int
body_shape_of(void *arg, const struct ls_rego_view *v)
{
	struct body_shape *b = arg;

	b->object = ls_rego_view_is_object(v);
	b->input = ls_rego_view_get(v, "input") != NULL;
	return 0;
}

/*
 * The "input" member of body: *input and *n its bytes as received (in
 * body), or, where they cannot be told apart, in *in as JSON text the
 * caller frees; *input NULL when absent.  -1 with why for a bad body.
 * The body is checked by the engine's own parser in its strict mode,
 * which refuses what jansson refuses (a quarter of a decision's CPU went
 * to parsing it with jansson); jansson prints the input only when its
 * bytes cannot be found.
 */
static int
input_of(const char **input, size_t *n, char **in, const char *body,
    size_t len, size_t max_memory, char *why, size_t whysz)
{
	struct body_shape shape = { 0, 0 };
	json_error_t jerr;
	json_t *doc, *v;
	size_t off = 0;

	*input = *in = NULL;
	*n = 0;
	if (len == 0)
		return 0;
	if (ls_rego_view_json(body, len, max_memory, body_shape_of, &shape) !=
		0 ||
	    !shape.object) {
		snprintf(why, whysz, "body: %s",
		    shape.object ? ls_error_last() : "not an object");
		ls_error_clear();
		return -1;
	}
	if (!shape.input)
		return 0;
	if (ls_decrec_input_span(&off, n, body, len) == 0) {
		*input = body + off;
		return 0;
	}
	/* jansson caps nesting depth (JSON_PARSER_MAX_DEPTH, 2048). */
	doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if ((v = json_object_get(doc, "input")) != NULL &&
	    (*in = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY)) != NULL) {
		*input = *in;
		*n = strlen(*in);
	}
	json_decref(doc);
	return *input == NULL ? -2 : 0;
}

static long long
since_us(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (long long)(t1.tv_sec - t0->tv_sec) * 1000000 +
	    (t1.tv_nsec - t0->tv_nsec) / 1000;
}

/* The answer text *out ({...}) with "decision_id" first, as OPA prints
 * it: {"decision_id": ..., "result": ...}.  The id is the agent's own
 * (letters, digits, '-'), so it is printed as it is. */
static int
with_id(char **out, const char *id)
{
	size_t cap = strlen(*out) + strlen(id) + 20;
	int empty = strcmp(*out, "{}") == 0;
	char *t = malloc(cap);

	if (t == NULL) {
		free(*out);
		*out = NULL;
		return ls_error_set(LS_ENOMEM, "decision: out of memory");
	}
	snprintf(t, cap, "{\"decision_id\":\"%s\"%s%s", id, empty ? "}" : ",",
	    empty ? "" : *out + 1);
	free(*out);
	*out = t;
	return 0;
}

/* Record the decision; then the answer: {"decision_id", ...} merged in,
 * or 503 when evidence is required and cannot be written. */
static int
record(char **out, int *http, struct ls_engine *e, struct ls_decision *d,
    json_t *ans, const struct timespec *t0)
{
	char id[LS_DECLOG_ID_MAX];
	int rc;

	d->latency_us = since_us(t0);
	if (e->rec == NULL)
		return answer(out, http, *http, ans);
	rc = ls_decrec_record(e->rec, id, d);
	if (rc == LS_ENOMEM) {
		json_decref(ans);
		return rc;
	}
	if (rc != 0) {
		json_decref(ans);
		return fail(out, http, 503, "evidence_unavailable",
		    ls_error_last());
	}
	if ((rc = answer(out, http, *http, ans)) != 0 || id[0] == '\0' ||
	    (*out)[0] != '{')
		return rc;
	return with_id(out, id);
}

int
ls_engine_record(struct ls_engine *e, char *id, const struct ls_decision *d)
{
	id[0] = '\0';
	return e->rec != NULL ? ls_decrec_record(e->rec, id, d) : 0;
}

/*
 * With records on, one evaluation gives the answer and the record's
 * attribution (the dectab leaves query, whose first element is the
 * document asked for): 0 with *res (NULL = undefined) and d->attr set,
 * or -1 to evaluate the plain way (also on any error, so the answer's
 * error is the plain one).
 */
static int
combined(char **res, struct ls_decision *d, struct ls_rego_attr *attr,
    const struct ls_rego_eval_opts *eo)
{
	const struct ls_dectab_leaves *lv;

	*res = NULL;
	if (d->act->tab == NULL ||
	    (lv = ls_dectab_leaves(d->act->tab, d->path)) == NULL ||
	    lv->n == 0 ||
	    ls_rego_eval_attr(attr, d->act->policy, lv->prepared, d->input,
		d->input_len, eo, NULL) != 0)
		return -1;
	*res = attr->doc;
	attr->doc = NULL;
	d->attr = attr;
	return 0;
}

/* Evaluate: *ans the answer object, *http its status, d->result /
 * d->error what the record says. */
static int
evaluate(json_t **ans, int *http, char **res, char **err, struct ls_decision *d,
    struct ls_rego_attr *attr, const struct ls_rego_eval_opts *eo)
{
	json_t *val;
	json_error_t jerr;
	int rc;

	if (attr != NULL && combined(res, d, attr, eo) == 0)
		rc = *res != NULL ? 0 : LS_ENOTFOUND;
	else
		rc = ls_rego_eval_path_opts(res, d->act->policy, d->path,
		    d->input, d->input_len, eo, err);
	if (rc == LS_ENOTFOUND) {
		*http = 200;
		*ans = json_object();
		return 0;
	}
	if (rc < 0) {
		d->error = *err != NULL ? *err : ls_error_last();
		*http = 500;
		*ans = json_pack("{s:s, s:s}", "code", "internal_error",
		    "message", d->error);
	} else if ((val = json_loads(*res, JSON_DECODE_ANY, &jerr)) == NULL) {
		d->error = "bad result JSON";
		*http = 500;
		*ans = json_pack("{s:s, s:s}", "code", "internal_error",
		    "message", d->error);
	} else {
		d->result = *res;
		d->result_json = val; /* held by *ans until the record is written */
		*http = 200;
		*ans = json_pack("{s:o}", "result", val);
	}
	return *ans != NULL ? 0 : ls_error_set(LS_ENOMEM, "out of memory");
}

int
ls_engine_refuse(char **out, int *http, struct ls_engine *e, const char *path,
    int code, const char *kind, const char *msg)
{
	struct ls_decision d;
	struct timespec t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	memset(&d, 0, sizeof(d));
	d.door = LS_DOOR_API;
	d.path = path_ok(path) ? path : "";
	d.error = msg;
	*out = NULL;
	*http = code;
	return record(out, http, e, &d,
	    json_pack("{s:s, s:s}", "code", kind, "message", msg), &t0);
}

int
ls_engine_decide(char **out, int *http, struct ls_engine *e, const char *path,
    const char *body, size_t len)
{
	struct ls_engine_active *act = NULL;
	struct ls_rego_eval_opts eo;
	struct ls_rego_attr attr;
	struct ls_decision d;
	struct timespec t0;
	char why[256], *in = NULL, *res = NULL, *err = NULL;
	json_t *ans = NULL;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	memset(&d, 0, sizeof(d));
	memset(&attr, 0, sizeof(attr));
	d.door = LS_DOOR_API;
	d.path = path;
	*out = NULL;
	if (!path_ok(path)) {
		d.path = "";
		d.error = "bad data path";
		*http = 400;
		return record(out, http, e, &d,
		    json_pack("{s:s, s:s}", "code", "invalid_parameter",
			"message", d.error),
		    &t0);
	}
	if ((rc = input_of(&d.input, &d.input_len, &in, body, len,
		 e->max_memory, why, sizeof(why))) == -1) {
		d.error = why;
		*http = 400;
		return record(out, http, e, &d,
		    json_pack("{s:s, s:s}", "code", "invalid_parameter",
			"message", why),
		    &t0);
	}
	if (rc == -2)
		return ls_error_set(LS_ENOMEM, "decision: out of memory");
	if ((d.act = act = ls_engine_active(e)) == NULL) {
		d.error = "no active policy";
		*http = 503;
		rc = record(out, http, e, &d,
		    json_pack("{s:s, s:s}", "code", "unavailable", "message",
			d.error),
		    &t0);
		goto out;
	}
	memset(&eo, 0, sizeof(eo));
	eo.timeout_ms = e->timeout_ms;
	eo.max_memory = e->max_memory;
	if ((rc = evaluate(&ans, http, &res, &err, &d,
		 e->rec != NULL && ls_decrec_enabled(e->rec) ? &attr : NULL,
		 &eo)) == 0)
		rc = record(out, http, e, &d, ans, &t0);
	ls_rego_attr_cleanup(&attr);
	pthread_mutex_lock(&e->mu);
	e->decisions++;
	pthread_mutex_unlock(&e->mu);
out:
	ls_engine_active_unref(act);
	free(in);
	free(res);
	free(err);
	return rc;
}
