/* engine.c - the enforced policy pointer, status text and decisions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "engine.h"
#include "lockstep/error.h"

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
	pthread_mutex_destroy(&e->mu);
}

void
ls_engine_swap(struct ls_engine *e, struct ls_rego_policy *p)
{
	struct ls_rego_policy *old;

	pthread_mutex_lock(&e->mu);
	old = e->policy;
	e->policy = p;
	pthread_mutex_unlock(&e->mu);
	ls_rego_policy_unref(old);
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

/* The "input" member of body as JSON text (*in NULL when absent). */
static int
input_of(char **in, const char *body, size_t len, char *why, size_t whysz)
{
	json_error_t jerr;
	json_t *doc, *input;

	*in = NULL;
	if (len == 0)
		return 0;
	/* jansson caps nesting depth (JSON_PARSER_MAX_DEPTH, 2048). */
	doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (doc == NULL || !json_is_object(doc)) {
		snprintf(why, whysz, "body: %s",
		    doc == NULL ? jerr.text : "not an object");
		json_decref(doc);
		return -1;
	}
	if ((input = json_object_get(doc, "input")) != NULL)
		*in = json_dumps(input, JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(doc);
	return input != NULL && *in == NULL ? -2 : 0;
}

int
ls_engine_decide(char **out, int *http, struct ls_engine *e, const char *path,
    const char *body, size_t len)
{
	struct ls_rego_policy *p = NULL;
	struct ls_rego_eval_opts eo;
	char why[256], *in = NULL, *res = NULL, *err = NULL;
	json_t *val;
	json_error_t jerr;
	int rc;

	*out = NULL;
	if (!path_ok(path))
		return fail(out, http, 400, "invalid_parameter",
		    "bad data path");
	if ((rc = input_of(&in, body, len, why, sizeof(why))) == -1)
		return fail(out, http, 400, "invalid_parameter", why);
	if (rc == -2)
		return ls_error_set(LS_ENOMEM, "decision: out of memory");
	if ((p = ls_engine_policy(e)) == NULL) {
		rc = fail(out, http, 503, "unavailable", "no active policy");
		goto out;
	}
	memset(&eo, 0, sizeof(eo));
	eo.timeout_ms = e->timeout_ms;
	eo.max_memory = e->max_memory;
	rc = ls_rego_eval_path_opts(&res, p, path, in,
	    in != NULL ? strlen(in) : 0, &eo, &err);
	if (rc == LS_ENOTFOUND) {
		rc = answer(out, http, 200, json_object());
	} else if (rc < 0) {
		rc = fail(out, http, 500, "internal_error",
		    err != NULL ? err : ls_error_last());
	} else if ((val = json_loads(res, JSON_DECODE_ANY, &jerr)) == NULL) {
		rc = fail(out, http, 500, "internal_error", "bad result JSON");
	} else {
		rc = answer(out, http, 200, json_pack("{s:o}", "result", val));
	}
	pthread_mutex_lock(&e->mu);
	e->decisions++;
	pthread_mutex_unlock(&e->mu);
out:
	ls_rego_policy_unref(p);
	free(in);
	free(res);
	free(err);
	return rc;
}
