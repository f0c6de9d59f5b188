/* httpd_audit.c - the auditor role: who may read the evidence and audit
 * routes, the record of each auditor query, and the audit routes
 * themselves (fleet status, summary, package, the page at /audit/). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "httpd_impl.h"
#include "httpd_parse.h"
#include "metrics.h"
#include "lockstep/error.h"
#include "lockstep/hash.h"
#include "lockstep/secret.h"
#include "lockstep/timefmt.h"

#define AUDIT_COOKIE "lockstep_auditor="

extern const char *const httpd_audit_page[]; /* httpd_audit_page.c */
extern const char httpd_audit_login_page[];  /* httpd_audit_page.c */

/* The bearer token, or the auditor cookie set by /audit/login. */
static const char *
presented(struct MHD_Connection *c)
{
	const char *v = httpd_bearer(MHD_lookup_connection_value(c,
	    MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION));

	if (v != NULL)
		return v;
	return MHD_lookup_connection_value(c, MHD_COOKIE_KIND,
	    "lockstep_auditor");
}

static enum MHD_Result
collect_arg(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	(void)kind;
	if (json_object_size(cls) < 32 && strlen(key) < 64)
		json_object_set_new(cls, key,
		    json_stringn(value ? value : "",
			value ? strnlen(value, 256) : 0));
	return MHD_YES;
}

/* kind "audit_query": who (the token's id, never the token), what (path
 * and arguments); when is the entry's time.  Durable before the answer.
 * hourly: the first read of the log's structure this hour (below). */
static int
record_query(struct ls_httpd *h, struct MHD_Connection *c, const char *url,
    const char *who, int hourly)
{
	json_t *args = json_object(), *d;
	int rc;

	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, collect_arg, args);
	d = json_pack("{s:s, s:s%, s:o}", "who", who, "path", url,
	    strnlen(url, 256), "query", args);
	if (d != NULL && hourly &&
	    json_object_set_new(d, "first_of_hour", json_true()) != 0) {
		json_decref(d);
		d = NULL;
	}
	if (d == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	rc = ls_evidence_append(ls_store_evidence(h->o.store), "audit_query",
	    NULL, NULL, d);
	json_decref(d);
	return rc;
}

/*
 * The log's own structure: what a tlog-tiles client or a monitor polls.
 * Recorded one by one, each read would grow the log it reads and the
 * next poll would find new tiles to read, for ever.  So the first such
 * read of each hour by each role is recorded (durable before its answer,
 * as any query) and the others of that hour are counted in /metrics.
 */
static int
log_structure(const char *url)
{
	return strcmp(url, "/v1/evidence/checkpoint") == 0 ||
	    strcmp(url, "/v1/evidence/consistency") == 0 ||
	    strncmp(url, "/v1/evidence/tile/", 18) == 0;
}

int
httpd_audit_gate(struct ls_httpd *h, struct MHD_Connection *c, const char *url,
    enum MHD_Result *ret)
{
	const char *tok;
	char id[LS_SHA256_HEX_LEN + 1], who[40];
	int evidence = strncmp(url, "/v1/evidence", 12) == 0, role = 1;
	int hourly;
	int64_t hour;

	if (!httpd_route_auditor(url) || strcmp(url, "/audit/login") == 0)
		return 0;
	hourly = log_structure(url);
	hour = (int64_t)(time(NULL) / 3600);
	tok = presented(c);
	if (httpd_token_equal(tok, h->o.admin_token)) {
		snprintf(who, sizeof(who), "admin");
		role = 0;
	} else if (httpd_token_equal(tok, h->o.auditor_token)) {
		ls_sha256_hex(id, tok, strlen(tok));
		snprintf(who, sizeof(who), "auditor:%.16s", id);
	} else if (h->o.auditor_token == NULL && evidence)
		return 0; /* no auditor role: evidence stays public */
	else {
		*ret = h->o.auditor_token == NULL && h->o.admin_token == NULL
		    ? httpd_answer_error(c, 403,
			  "audit API is off (no --auditor-token-file)")
		    : httpd_answer_error(c, 401, "auditor token required");
		return 1;
	}
	if (hourly &&
	    __atomic_load_n(&h->logread_hour[role], __ATOMIC_ACQUIRE) == hour) {
		ls_metrics_add(LS_M_AUDIT_COUNTED, 1);
		return 0;
	}
	if (record_query(h, c, url, who, hourly) != 0) {
		*ret = httpd_answer_error(c, 500, ls_error_last());
		return 1;
	}
	/* Set once durable: two first reads at once may both be recorded. */
	if (hourly)
		__atomic_store_n(&h->logread_hour[role], hour,
		    __ATOMIC_RELEASE);
	ls_metrics_add(LS_M_AUDIT_RECORDED, 1);
	return 0;
}

static int
opts_from_args(struct ls_audit_opts *o, struct MHD_Connection *c)
{
	const char *since =
	    MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "since");
	const char *until =
	    MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "until");
	const char *hours = MHD_lookup_connection_value(c,
	    MHD_GET_ARGUMENT_KIND, "silent_hours");
	char *end = NULL;

	memset(o, 0, sizeof(*o));
	o->control =
	    MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "control");
	o->framework =
	    MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "framework");
	o->silent_hours = LS_AUDIT_SILENT_DEFAULT;
	o->generated = time(NULL);
	if (hours != NULL) {
		o->silent_hours = (unsigned)strtoul(hours, &end, 10);
		if (*end != '\0' || o->silent_hours == 0 ||
		    o->silent_hours > 8784)
			return ls_error_set(LS_EINVAL,
			    "silent_hours: 1 to 8784");
	}
	if (since == NULL || until == NULL ||
	    ls_audit_time(&o->since, since, 0) != 0 ||
	    ls_audit_time(&o->until, until, 1) != 0)
		return ls_error_set(LS_EINVAL,
		    "expected control= or framework=, since= and until= "
		    "(YYYY-MM-DD)");
	return 0;
}

static enum MHD_Result
answer_owned(struct MHD_Connection *c, struct ls_buf *b, const char *ctype,
    const char *disposition)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	size_t len;
	char *data = ls_buf_take(b, &len);

	if (data == NULL)
		return httpd_answer_error(c, 500, "out of memory");
	r = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		free(data);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (disposition != NULL)
		MHD_add_response_header(r, "Content-Disposition", disposition);
	ret = httpd_answer(c, 200, r);
	MHD_destroy_response(r);
	return ret;
}

/* GET /v1/audit/package (a tar) or /v1/audit/summary (its summary.json):
 * httpd_audit_pkg.c. */
static enum MHD_Result
serve_package(struct ls_httpd *h, struct MHD_Connection *c, void **con_cls,
    int summary)
{
	struct ls_audit_opts o;

	if (opts_from_args(&o, c) != 0)
		return httpd_answer_error(c, 400, ls_error_last());
	return httpd_audit_pkg_serve(h, c, con_cls, &o, summary);
}

/* The fleet now: each agent's last report (version, state, when). */
static json_t *
fleet(struct ls_httpd *h)
{
	struct ls_evidence_filter f;
	struct ls_buf b;
	json_t *agents = json_object(), *e, *d;
	const char *a;
	char *p, *nl;

	memset(&f, 0, sizeof(f));
	f.kind = "report";
	ls_buf_init(&b, LS_EVIDENCE_QUERY_MAX);
	if (ls_evidence_query(ls_store_evidence(h->o.store), &b, &f) != 0) {
		ls_buf_cleanup(&b);
		json_decref(agents);
		return NULL;
	}
	for (p = b.data; p != NULL && p < b.data + b.len; p = nl + 1) {
		if ((nl = memchr(p, '\n', b.len - (size_t)(p - b.data))) ==
		    NULL)
			break;
		e = json_loadb(p, (size_t)(nl - p), 0, NULL);
		d = json_object_get(e, "details");
		a = json_string_value(json_object_get(e, "agent"));
		if (a != NULL && json_is_object(d))
			json_object_set_new(agents, a,
			    json_pack("{s:O?, s:O?, s:O?, s:O?, s:O?, s:O?}",
				"channel", json_object_get(e, "channel"),
				"version", json_object_get(d, "version"),
				"state", json_object_get(d, "state"), "error",
				json_object_get(d, "error"), "last_report",
				json_object_get(e, "time"), "bundle",
				json_object_get(d, "bundle")));
		json_decref(e);
	}
	ls_buf_cleanup(&b);
	return agents;
}

/* The fleet status reads every report in the log: a job of its own
 * (httpd_job.c), off the request threads. */
struct status_job {
	struct ls_httpd *h;
	char *text; /* the answer */
};

static int
status_run(void *arg, const int *cancel)
{
	struct status_job *sj = arg;
	json_t *st = NULL, *ag;
	char now[LS_TIME_LEN];

	(void)cancel; /* one query, bounded by LS_EVIDENCE_QUERY_MAX */
	if ((ag = fleet(sj->h)) == NULL ||
	    ls_store_status(sj->h->o.store, &st) != 0) {
		json_decref(ag);
		return LS_ERROR;
	}
	ls_time_format(now, time(NULL));
	json_object_set_new(st, "fleet", ag);
	json_object_set_new(st, "now", json_string(now));
	sj->text = json_dumps(st, JSON_COMPACT);
	json_decref(st);
	return sj->text != NULL ? 0 : ls_error_set(LS_ENOMEM, "out of memory");
}

static enum MHD_Result
status_answer(void *arg, int rc, const char *msg, struct MHD_Connection *c)
{
	struct status_job *sj = arg;

	if (rc != 0)
		return httpd_answer_error(c, 500, msg);
	return httpd_answer_text(c, 200, "application/json", sj->text,
	    strlen(sj->text));
}

static void
status_free(void *arg)
{
	struct status_job *sj = arg;

	free(sj->text);
	free(sj);
}

static const struct httpd_job_ops status_ops = { status_run, status_answer,
	status_free };

static enum MHD_Result
serve_status(struct ls_httpd *h, struct MHD_Connection *c, void **con_cls)
{
	struct status_job *sj = calloc(1, sizeof(*sj));

	if (sj == NULL)
		return httpd_answer_error(c, 500, "out of memory");
	sj->h = h;
	return httpd_job_start(c, con_cls, &status_ops, sj);
}

static enum MHD_Result
serve_page(struct MHD_Connection *c)
{
	struct ls_buf b;
	size_t i;
	int rc = 0;

	ls_buf_init(&b, 1 << 20);
	for (i = 0; rc == 0 && httpd_audit_page[i] != NULL; i++)
		rc = ls_buf_adds(&b, httpd_audit_page[i]);
	if (rc != 0) {
		ls_buf_cleanup(&b);
		return httpd_answer_error(c, 500, "out of memory");
	}
	return answer_owned(c, &b, "text/html; charset=utf-8", NULL);
}

enum MHD_Result
httpd_audit_get(struct ls_httpd *h, struct MHD_Connection *c, const char *url,
    void **con_cls, int *handled)
{
	*handled = 1;
	if (strcmp(url, "/v1/audit/status") == 0)
		return serve_status(h, c, con_cls);
	if (strcmp(url, "/v1/audit/package") == 0)
		return serve_package(h, c, con_cls, 0);
	if (strcmp(url, "/v1/audit/summary") == 0)
		return serve_package(h, c, con_cls, 1);
	if (strcmp(url, "/audit/") == 0 || strcmp(url, "/audit") == 0)
		return serve_page(c);
	if (strcmp(url, "/audit/login") == 0)
		return httpd_answer_text(c, 200, "text/html; charset=utf-8",
		    httpd_audit_login_page, strlen(httpd_audit_login_page));
	*handled = 0;
	return MHD_NO;
}
