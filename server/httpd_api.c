/* httpd_api.c - health, metrics, evidence, enrolment, reports, admin. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "decisions.h"
#include "httpd_impl.h"
#include "httpd_parse.h"
#include "lockstep/error.h"
#include "lockstep/note.h"
#include "lockstep/timefmt.h"
#include "lockstep/file.h"
#include "lockstep/hash.h"
#include "lockstep/secret.h"
#include "metrics.h"

/*
 * Routes that --admin-https-only keeps off plain HTTP, first match of the
 * prefix wins: whatever carries a bearer or enrolment token.  Routes an
 * auditor token opens (read-only; httpd_audit.c) carry the auditor flag;
 * evidence is public unless the server has --auditor-token-file.
 */
static const struct {
	const char *prefix;
	int https_only;
	int auditor;
} route_flags[] = {
	{ "/v1/admin/refresh", 0, 0 }, /* a webhook's poke, no token */
	{ "/v1/admin/", 1, 0 },	       /* bearer token */
	{ "/v1/enroll", 1, 0 },	       /* enrolment token */
	{ "/v1/evidence", 0, 1 },      /* auditor token when configured */
	{ "/v1/audit/", 1, 1 },	       /* auditor or admin token */
	{ "/audit/login", 0, 1 },      /* the token form, no data */
	{ "/audit", 1, 1 },	       /* the auditor page */
};

static int
route_flag(const char *url, int auditor)
{
	size_t i;

	for (i = 0; i < sizeof(route_flags) / sizeof(route_flags[0]); i++)
		if (strncmp(url, route_flags[i].prefix,
			strlen(route_flags[i].prefix)) == 0)
			return auditor ? route_flags[i].auditor
				       : route_flags[i].https_only;
	return 0;
}

int
httpd_https_only(const char *url)
{
	return route_flag(url, 0);
}

int
httpd_route_auditor(const char *url)
{
	return route_flag(url, 1);
}

size_t
httpd_body_cap(const char *url)
{
	if (strcmp(url, "/v1/decisions") == 0)
		return LS_DECISIONS_BODY_MAX;
	return strcmp(url, "/v1/reports") == 0 ? LS_HTTPD_REPORT_MAX
					       : LS_HTTPD_BODY_MAX;
}

static enum MHD_Result
answer_json(struct MHD_Connection *c, unsigned code, json_t *j)
{
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
	struct ls_buf b;
	enum MHD_Result ret;

	if (s == NULL)
		return httpd_answer_error(c, 500, "out of memory");
	ls_buf_init(&b, strlen(s) + 2);
	if (ls_buf_addf(&b, "%s\n", s) != 0)
		ret = httpd_answer_error(c, 500, "out of memory");
	else
		ret = httpd_answer_text(c, code, "application/json", b.data,
		    b.len);
	ls_buf_cleanup(&b);
	free(s);
	return ret;
}

/* "Authorization: Bearer TOKEN" equals the admin token, compared in
 * constant time, length included (httpd_parse.c). */
static int
admin_ok(struct ls_httpd *h, struct MHD_Connection *c)
{
	const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_AUTHORIZATION);

	return httpd_token_equal(httpd_bearer(v), h->o.admin_token);
}

static enum MHD_Result
admin_refused(struct ls_httpd *h, struct MHD_Connection *c)
{
	if (h->o.admin_token == NULL)
		return httpd_answer_error(c, 403,
		    "admin API is off (no "
		    "--admin-token-file)");
	return httpd_answer_error(c, 401, "admin token required");
}

/* Map a store error to an HTTP status. */
static unsigned
status_of(int rc)
{
	switch (rc) {
	case LS_EINVAL:
	case LS_EFORMAT: return 400;
	case LS_ENOTFOUND: return 404;
	case LS_ECONFLICT:
	case LS_EROLLBACK: return 409;
	case LS_ETOOBIG: return 413;
	default: return 500;
	}
}

static enum MHD_Result
serve_metrics(struct MHD_Connection *c)
{
	struct ls_buf b;
	enum MHD_Result ret;

	ls_buf_init(&b, 16 << 20);
	if (ls_metrics_render(&b) != 0)
		ret = httpd_answer_error(c, 500, ls_error_last());
	else
		ret = httpd_answer_text(c, 200, "text/plain; version=0.0.4",
		    b.data, b.len);
	ls_buf_cleanup(&b);
	return ret;
}

static enum MHD_Result
serve_checkpoint(struct ls_httpd *h, struct MHD_Connection *c)
{
	char path[PATH_MAX], *text = NULL;
	enum MHD_Result ret;
	size_t len = 0;
	int n;

	n = snprintf(path, sizeof(path), "%s/evidence/checkpoint.note",
	    h->data);
	if (n < 0 || (size_t)n >= sizeof(path) ||
	    ls_file_read(&text, &len, path, LS_NOTE_MAX) != 0)
		return httpd_answer_error(c, 404, "no checkpoint yet");
	ret = httpd_answer_text(c, 200, "text/plain; charset=utf-8", text, len);
	free(text);
	return ret;
}

int
httpd_u64_arg(struct MHD_Connection *c, const char *name, uint64_t *out)
{
	return httpd_u64_value(out,
	    MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name));
}

/* GET /v1/evidence/proof?index=I[&size=N]: the inclusion proof of entry I
 * in the tree of the first N entries (default: the last checkpoint). */
json_t *
httpd_hashes_json(const uint8_t (*h)[LS_SHA256_LEN], size_t n)
{
	json_t *arr = json_array();
	char b64[64];
	size_t i;

	for (i = 0; arr != NULL && i < n; i++) {
		ls_base64_encode(b64, sizeof(b64), h[i], LS_SHA256_LEN);
		json_array_append_new(arr, json_string(b64));
	}
	return arr;
}

static enum MHD_Result
serve_proof(struct ls_httpd *h, struct MHD_Connection *c)
{
	uint8_t leaf[LS_SHA256_LEN], proof[LS_MERKLE_MAX_PROOF][LS_SHA256_LEN];
	uint64_t index = 0, size = ls_store_checkpoint_size(h->o.store);
	char b64[64];
	json_t *j, *arr;
	enum MHD_Result ret;
	size_t len = 0;

	if (httpd_u64_arg(c, "index", &index) != 1 ||
	    httpd_u64_arg(c, "size", &size) < 0)
		return httpd_answer_error(c, 400, "expected index=N[&size=N]");
	if (ls_evidence_proof(ls_store_evidence(h->o.store), index, size, leaf,
		proof, &len) != 0)
		return httpd_answer_error(c, 404, ls_error_last());
	if ((arr = httpd_hashes_json((const uint8_t(*)[LS_SHA256_LEN])proof,
		 len)) == NULL)
		return httpd_answer_error(c, 500, "out of memory");
	ls_base64_encode(b64, sizeof(b64), leaf, LS_SHA256_LEN);
	j = json_pack("{s:I, s:I, s:s, s:o}", "index", (json_int_t)index,
	    "size", (json_int_t)size, "leaf", b64, "proof", arr);
	ret = answer_json(c, 200, j);
	json_decref(j);
	return ret;
}

enum MHD_Result
httpd_api_get(struct ls_httpd *h, struct MHD_Connection *c, const char *url,
    void **con_cls, int *handled)
{
	json_t *j = NULL;
	enum MHD_Result ret;

	*handled = 1;
	if (strcmp(url, "/health") == 0)
		return httpd_answer_text(c, 200, "text/plain", "ok\n", 3);
	if (strcmp(url, "/metrics") == 0)
		return serve_metrics(c);
	if (httpd_audit_gate(h, c, url, &ret))
		return ret;
	ret = httpd_audit_get(h, c, url, con_cls, handled);
	if (*handled)
		return ret;
	*handled = 1;
	if (strcmp(url, "/v1/evidence") == 0)
		return httpd_evidence_query(h, c);
	if (strcmp(url, "/v1/evidence/consistency") == 0)
		return httpd_evidence_consistency(h, c);
	if (strncmp(url, "/v1/evidence/tile/", 18) == 0)
		return httpd_evidence_tile(h, c, url + 13);
	if (strcmp(url, "/v1/evidence/checkpoint") == 0)
		return serve_checkpoint(h, c);
	if (strcmp(url, "/v1/evidence/proof") == 0)
		return serve_proof(h, c);
	if (strcmp(url, "/v1/admin/overrides") == 0) {
		if (!admin_ok(h, c))
			return admin_refused(h, c);
		return httpd_overrides_get(h, c);
	}
	if (strcmp(url, "/v1/admin/status") == 0) {
		if (!admin_ok(h, c))
			return admin_refused(h, c);
		if (ls_store_status(h->o.store, &j) != 0)
			return httpd_answer_error(c, 500, ls_error_last());
		ret = answer_json(c, 200, j);
		json_decref(j);
		return ret;
	}
	*handled = 0;
	return MHD_NO;
}

/* Enrol with a single-use token; the shared token (only when the server
 * was started with --allow-shared-enroll-token) is tried after it. */
static int
enroll_with_token(struct ls_httpd *h, struct MHD_Connection *c, struct req *r)
{
	const char *tok = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    "X-Lockstep-Enroll-Token");
	int rc;

	if (tok == NULL || tok[0] == '\0')
		return ls_error_set(LS_EBADSIG,
		    "enrolment token required (X-Lockstep-Enroll-Token)");
	rc = ls_store_enroll_token(h->o.store, tok, strlen(tok), r->body.data,
	    r->body.len);
	if (rc == LS_ENOTFOUND && h->o.enroll_token != NULL) {
		if (!httpd_token_equal(tok, h->o.enroll_token))
			return ls_error_set(LS_EBADSIG,
			    "wrong enrolment token");
		rc = ls_store_enroll(h->o.store, r->body.data, r->body.len,
		    "shared enrolment token");
	}
	return rc;
}

static unsigned
enroll_status(int rc)
{
	switch (rc) {
	case LS_ENOTFOUND:
	case LS_EEXPIRED:
	case LS_EBADSIG: return 403;
	default: return status_of(rc);
	}
}

static enum MHD_Result
post_enroll(struct ls_httpd *h, struct MHD_Connection *c, struct req *r,
    int admin)
{
	int rc;

	if (r->toobig || r->body.len == 0) {
		ls_metrics_add(LS_M_ENROLL_REFUSED, 1);
		return httpd_answer_error(c, r->toobig ? 413 : 400,
		    "expected one verifier key line");
	}
	rc = admin ? ls_store_enroll(h->o.store, r->body.data, r->body.len,
			 "admin API")
		   : enroll_with_token(h, c, r);
	if (rc < 0) {
		ls_metrics_add(LS_M_ENROLL_REFUSED, 1);
		return httpd_answer_error(c, enroll_status(rc),
		    ls_error_last());
	}
	if (rc == 0)
		ls_metrics_add(LS_M_ENROLLED, 1);
	return httpd_answer_text(c, rc == 0 ? 201 : 200, "application/json",
	    rc == 0 ? "{\"enrolled\":true}\n" : "{\"enrolled\":false}\n",
	    rc == 0 ? 17 : 18);
}

static json_t *
body_json(struct req *r)
{
	json_t *j;

	if (r->toobig)
		return NULL;
	j = json_loadb(r->body.data ? r->body.data : "", r->body.len,
	    JSON_REJECT_DUPLICATES, NULL);
	if (j != NULL && !json_is_object(j)) {
		json_decref(j);
		j = NULL;
	}
	return j;
}

/* POST /v1/admin/tokens {"name", "ttl"}: a single-use enrolment token. */
static enum MHD_Result
post_token(struct ls_httpd *h, struct MHD_Connection *c, struct req *r)
{
	char tok[LS_TOKEN_LEN + 1], exp[LS_TIME_LEN];
	json_t *j = body_json(r), *res;
	json_int_t ttl = json_integer_value(json_object_get(j, "ttl"));
	const char *name = json_string_value(json_object_get(j, "name"));
	enum MHD_Result ret;
	time_t expires;
	int rc;

	if (name == NULL || ttl <= 0 || ttl > LS_TOKEN_TTL_MAX) {
		json_decref(j);
		return httpd_answer_error(c, 400,
		    "expected {\"name\": AGENT, \"ttl\": SECONDS} with ttl "
		    "up to 30 days");
	}
	if ((rc = ls_store_token_create(h->o.store, tok, &expires, name,
		 (unsigned)ttl, "admin API")) != 0) {
		json_decref(j);
		return httpd_answer_error(c, status_of(rc), ls_error_last());
	}
	ls_time_format(exp, expires);
	res = json_pack("{s:s, s:s, s:s}", "token", tok, "name", name,
	    "expires", exp);
	sodium_memzero(tok, sizeof(tok));
	ret = answer_json(c, 201, res);
	json_decref(res);
	json_decref(j);
	return ret;
}

/* POST /v1/admin/agents/remove {"name"}. */
static enum MHD_Result
post_remove(struct ls_httpd *h, struct MHD_Connection *c, struct req *r)
{
	json_t *j = body_json(r);
	const char *name = json_string_value(json_object_get(j, "name"));
	enum MHD_Result ret;
	int rc;

	if (name == NULL) {
		json_decref(j);
		return httpd_answer_error(c, 400, "expected {\"name\": AGENT}");
	}
	rc = ls_store_agent_remove(h->o.store, name, "admin API");
	if (rc != 0)
		ret = httpd_answer_error(c, status_of(rc), ls_error_last());
	else
		ret = httpd_answer_text(c, 200, "application/json",
		    "{\"removed\":true}\n", 16);
	json_decref(j);
	return ret;
}

static enum MHD_Result
post_report(struct ls_httpd *h, struct MHD_Connection *c, struct req *r)
{
	int rc;

	if (r->toobig) {
		ls_metrics_add(LS_M_REPORTS_TOOBIG, 1);
		return httpd_answer_error(c, 413, "report over 64 KiB");
	}
	rc = ls_store_report(h->o.store, r->body.data ? r->body.data : "",
	    r->body.len);
	switch (rc) {
	case 0:
		ls_metrics_add(LS_M_REPORTS_ACCEPTED, 1);
		return httpd_answer_text(c, 202, "application/json",
		    "{\"accepted\":true}\n", 18);
	case LS_ETOOBIG:
		ls_metrics_add(LS_M_REPORTS_TOOBIG, 1);
		return httpd_answer_error(c, 413, ls_error_last());
	case LS_ENOTFOUND:
	case LS_EBADSIG:
		ls_metrics_add(LS_M_REPORTS_FORBIDDEN, 1);
		return httpd_answer_error(c, 403, ls_error_last());
	case LS_EROLLBACK:
		ls_metrics_add(LS_M_REPORTS_REPLAYED, 1);
		return httpd_answer_error(c, 409, ls_error_last());
	case LS_EFORMAT:
		ls_metrics_add(LS_M_REPORTS_MALFORMED, 1);
		return httpd_answer_error(c, 400, ls_error_last());
	case LS_ELIMIT: return httpd_answer_error(c, 429, ls_error_last());
	default: return httpd_answer_error(c, 500, ls_error_last());
	}
}

static const char *
jstr(json_t *j, const char *key)
{
	return json_string_value(json_object_get(j, key));
}

static enum MHD_Result
post_operator(struct ls_httpd *h, struct MHD_Connection *c, struct req *r,
    const char *action)
{
	json_t *j = NULL, *res = NULL, *fl;
	struct ls_op op;
	const char *until;
	enum MHD_Result ret;
	int rc;

	memset(&op, 0, sizeof(op));
	if (r->toobig ||
	    (j = json_loadb(r->body.data ? r->body.data : "", r->body.len,
		 JSON_REJECT_DUPLICATES, NULL)) == NULL ||
	    !json_is_object(j)) {
		json_decref(j);
		return httpd_answer_error(c, 400, "expected a JSON object");
	}
	op.action = action;
	op.channel = jstr(j, "channel");
	op.version = jstr(j, "version");
	op.owner = jstr(j, "owner");
	op.reason = jstr(j, "reason");
	until = jstr(j, "until");
	fl = json_object_get(j, "floor");
	if (json_is_integer(fl) && json_integer_value(fl) > 0)
		op.floor = (uint64_t)json_integer_value(fl);
	if (until != NULL &&
	    ls_time_parse(&op.until, until, strlen(until)) != 0) {
		json_decref(j);
		return httpd_answer_error(c, 400,
		    "until: expected YYYY-MM-DD "
		    "or YYYY-MM-DDTHH:MM:SSZ");
	}
	rc = ls_store_operate(h->o.store, &op, &res);
	if (rc != 0)
		ret = httpd_answer_error(c, status_of(rc), ls_error_last());
	else
		ret = answer_json(c, 200, res);
	json_decref(res);
	json_decref(j);
	return ret;
}

enum MHD_Result
httpd_api_post(struct ls_httpd *h, struct MHD_Connection *c, const char *url,
    struct req *r)
{
	if (strcmp(url, "/v1/reports") == 0)
		return post_report(h, c, r);
	if (strcmp(url, "/v1/decisions") == 0)
		return httpd_decisions_post(h, c, r);
	if (strcmp(url, "/v1/enroll") == 0)
		return post_enroll(h, c, r, 0);
	if (strcmp(url, "/v1/admin/refresh") == 0) {
		/* Only triggers a fetch (coalesced): no token needed. */
		struct ls_gitwatch *w =
		    __atomic_load_n(&h->o.watch, __ATOMIC_SEQ_CST);

		if (w == NULL)
			return httpd_answer_error(c, 503, "no watcher");
		ls_gitwatch_refresh(w);
		return httpd_answer_text(c, 202, "application/json",
		    "{\"refresh\":true}\n", 17);
	}
	if (strncmp(url, "/v1/admin/", 10) != 0)
		return httpd_answer_error(c, 404, "not found");
	if (!admin_ok(h, c))
		return admin_refused(h, c);
	if (strcmp(url, "/v1/admin/agents") == 0)
		return post_enroll(h, c, r, 1);
	if (strcmp(url, "/v1/admin/agents/remove") == 0)
		return post_remove(h, c, r);
	if (strcmp(url, "/v1/admin/tokens") == 0)
		return post_token(h, c, r);
	if (strcmp(url, "/v1/admin/pin") == 0)
		return post_operator(h, c, r, "pin");
	if (strcmp(url, "/v1/admin/rollback") == 0)
		return post_operator(h, c, r, "rollback");
	if (strcmp(url, "/v1/admin/unpin") == 0)
		return post_operator(h, c, r, "unpin");
	return httpd_answer_error(c, 404, "not found");
}

enum MHD_Result
httpd_answer_json(struct MHD_Connection *c, unsigned code, json_t *j)
{
	return answer_json(c, code, j);
}
