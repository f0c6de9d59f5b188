/* api.c - health, status, decisions and admission over libmicrohttpd,
 * in plain HTTP or TLS. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <gnutls/gnutls.h>
#include <microhttpd.h>

#include "admission.h"
#include "decrec.h"
#include "api.h"
#include "decmetrics.h"
#include "api_parse.h"
#include "lockstep/buf.h"
#include "lockstep/error.h"
#include "lockstep/file.h"
#include "lockstep/tlscred.h"

#define CONN_LIMIT 1024
#define CONN_MEMORY (64 * 1024)
#define CONN_TIMEOUT 10 /* s of idleness */
#define THREADS 4
/* Decisions one client may have in flight: one thread of the pool stays
 * free for other clients however slow one client's inputs are, and a
 * single busy client (an API server) still gets most of the pool. */
#define INFLIGHT_PER_CLIENT (THREADS - 1)
#define CLIENTS_TRACKED 1024
#define TLS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"

struct inflight {
	struct in_addr addr;
	unsigned n; /* 0: free slot */
};

struct ls_api {
	struct MHD_Daemon *d;
	struct ls_engine *e;
	struct ls_admission_opts adm;
	int tls, client_ca; /* serving TLS; Data API wants client certs */
	char *trust_pem;    /* --tls-client-ca contents, for MHD */
	pthread_mutex_t mu; /* guards busy */
	struct inflight busy[CLIENTS_TRACKED];
};

struct req {
	struct ls_buf body;
	int toobig;
};

static enum MHD_Result
reply(struct MHD_Connection *c, unsigned code, const char *json)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(strlen(json),
	    (void *)(uintptr_t)json, MHD_RESPMEM_MUST_COPY);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", "application/json");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	ret = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return ret;
}

static int
client_addr(struct MHD_Connection *c, struct in_addr *out)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);

	if (ci == NULL || ci->client_addr == NULL ||
	    ci->client_addr->sa_family != AF_INET)
		return -1;
	*out = ((const struct sockaddr_in *)(const void *)ci->client_addr)
		   ->sin_addr;
	return 0;
}

/* Take one of the client's decision slots; 0 when it has none left. */
static int
take_slot(struct ls_api *h, struct MHD_Connection *c, struct in_addr *a)
{
	struct inflight *free_slot = NULL;
	size_t i;
	int ok = 1;

	a->s_addr = INADDR_ANY; /* no client address: not counted */
	if (client_addr(c, a) != 0) {
		a->s_addr = INADDR_ANY;
		return 1;
	}
	pthread_mutex_lock(&h->mu);
	for (i = 0; i < CLIENTS_TRACKED; i++) {
		struct inflight *f = &h->busy[i];

		if (f->n > 0 && f->addr.s_addr == a->s_addr) {
			ok = f->n < INFLIGHT_PER_CLIENT;
			f->n += (unsigned)ok;
			break;
		}
		if (f->n == 0 && free_slot == NULL)
			free_slot = f;
	}
	if (i == CLIENTS_TRACKED && free_slot != NULL) {
		free_slot->addr = *a;
		free_slot->n = 1;
	}
	pthread_mutex_unlock(&h->mu);
	return ok;
}

static void
give_slot(struct ls_api *h, struct MHD_Connection *c, const struct in_addr *a)
{
	size_t i;

	(void)c;
	if (a->s_addr == INADDR_ANY)
		return;
	pthread_mutex_lock(&h->mu);
	for (i = 0; i < CLIENTS_TRACKED; i++)
		if (h->busy[i].n > 0 && h->busy[i].addr.s_addr == a->s_addr) {
			h->busy[i].n--;
			break;
		}
	pthread_mutex_unlock(&h->mu);
}

/* With --tls-client-ca: a client certificate that verifies. */
static int
client_verified(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	unsigned status = 1, n = 0;
	gnutls_session_t s;

	if (ci == NULL || ci->tls_session == NULL)
		return 0;
	s = (gnutls_session_t)ci->tls_session;
	if (gnutls_certificate_get_peers(s, &n) == NULL || n == 0)
		return 0;
	return gnutls_certificate_verify_peers2(s, &status) == 0 &&
	    status == 0;
}

/* The admission decision's record: the deny messages as the result of
 * PATH/deny, so its violations carry that rule's controls; errors as
 * errors. */
static int
admission_record(struct ls_api *h, char *id,
    const struct ls_admission_decision *ad, const struct req *q)
{
	struct ls_decision d;
	char path[LS_ADMISSION_PATH_MAX + 8];
	char *res = NULL;
	int rc;

	memset(&d, 0, sizeof(d));
	d.door = LS_DOOR_ADMISSION;
	snprintf(path, sizeof(path), "%s/deny", ad->path[0] ? ad->path : "-");
	d.path = path;
	d.input = q->body.data;
	d.input_len = q->body.len;
	d.latency_us = ad->latency_us;
	d.act = ad->act;
	d.attr = ad->has_attr ? &ad->attr : NULL;
	if (ad->code == 200 || ad->code == 403) {
		if ((res = json_dumps(ad->messages, JSON_COMPACT)) == NULL)
			return ls_error_set(LS_ENOMEM, "out of memory");
		d.result = res;
		d.result_json = ad->messages; /* not parsed again */
	} else {
		d.error = ad->error[0] ? ad->error : "no decision";
	}
	rc = ls_engine_record(h->e, id, &d);
	free(res);
	return rc;
}

static enum MHD_Result
admission(struct ls_api *h, struct MHD_Connection *c, const char *path,
    struct req *q)
{
	struct ls_admission_decision d;
	char id[LS_DECLOG_ID_MAX];
	enum MHD_Result ret;
	char *out = NULL;
	int rc;

	if (q->toobig)
		return reply(c, 413,
		    "{\"code\":\"invalid_parameter\","
		    "\"message\":\"request body too large\"}");
	if (ls_admission_decide(&d, h->e, &h->adm, path,
		q->body.data != NULL ? q->body.data : "", q->body.len) != 0)
		return reply(c, 500, "{\"code\":\"internal_error\"}");
	/* the record is written before the answer leaves; evidence that
	 * cannot be written refuses the request (--evidence=required) */
	if ((rc = admission_record(h, id, &d, q)) == LS_ENOMEM) {
		ls_admission_decision_cleanup(&d);
		return reply(c, 500, "{\"code\":\"internal_error\"}");
	} else if (rc != 0) {
		d.allowed = 0;
		d.code = 503;
		json_array_clear(d.messages);
		snprintf(d.error, sizeof(d.error),
		    "decision evidence cannot be written: %s", ls_error_last());
	}
	rc = ls_admission_answer(&out, &d, id[0] != '\0' ? id : NULL);
	ls_admission_decision_cleanup(&d);
	if (rc != 0)
		return reply(c, 500, "{\"code\":\"internal_error\"}");
	ret = reply(c, 200, out);
	free(out);
	return ret;
}

static enum MHD_Result
decide(struct ls_api *h, struct MHD_Connection *c, const char *url,
    const char *method, struct req *q)
{
	enum MHD_Result ret;
	struct in_addr a;
	char *out = NULL;
	int code = 500;

	const char *path = ls_api_data_path(url);
	int rc;

	if (strncmp(url, "/v1/admission", 13) == 0) {
		if (!take_slot(h, c, &a))
			return reply(c, 429,
			    "{\"code\":\"too_many_requests\",\"message\":"
			    "\"too many decisions in flight from this "
			    "client\"}");
		ret = strcmp(method, "POST") == 0
		    ? admission(h, c, url[13] == '/' ? url + 14 : NULL, q)
		    : reply(c, 405, "{\"code\":\"method_not_allowed\"}");
		give_slot(h, c, &a);
		return ret;
	}
	/* Data API: every answer, refusals included, is a decision record */
	if (!take_slot(h, c, &a))
		rc = ls_engine_refuse(&out, &code, h->e, path, 429,
		    "too_many_requests",
		    "too many decisions in flight from this client");
	else {
		rc = q->toobig ? ls_engine_refuse(&out, &code, h->e, path, 413,
				     "invalid_parameter",
				     "request body too large")
			       : ls_engine_decide(&out, &code, h->e, path,
				     q->body.data != NULL ? q->body.data : "",
				     q->body.len);
		give_slot(h, c, &a);
	}
	ret = rc != 0 ? reply(c, 500, "{\"code\":\"internal_error\"}")
		      : reply(c, (unsigned)code, out);
	free(out);
	return ret;
}

static enum MHD_Result
metrics(struct MHD_Connection *c, struct ls_engine *e)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	struct ls_buf b;

	ls_buf_init(&b, 1u << 20);
	if (e->metrics == NULL || ls_decmetrics_render(&b, e->metrics) != 0) {
		ls_buf_cleanup(&b);
		return reply(c, 503, "{\"code\":\"unavailable\"}\n");
	}
	r = MHD_create_response_from_buffer(b.len, b.data,
	    MHD_RESPMEM_MUST_COPY);
	ls_buf_cleanup(&b);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", "text/plain; version=0.0.4");
	ret = MHD_queue_response(c, 200, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
handle(struct ls_api *h, struct MHD_Connection *c, const char *url,
    const char *method, struct req *q)
{
	enum MHD_Result ret;
	char *out = NULL;

	if (strcmp(url, "/health") == 0 && strcmp(method, "GET") == 0)
		return reply(c, 200, "{\"status\":\"ok\"}\n");
	if (strcmp(url, "/metrics") == 0 && strcmp(method, "GET") == 0)
		return metrics(c, h->e);
	if (strcmp(url, "/v1/status") == 0 && strcmp(method, "GET") == 0) {
		if (ls_engine_status(&out, h->e) != 0 || out == NULL)
			return reply(c, 503, "{\"code\":\"unavailable\"}\n");
		ret = reply(c, 200, out);
		free(out);
		return ret;
	}
	if (strncmp(url, "/v1/admission", 13) == 0 &&
	    (url[13] == '\0' || url[13] == '/'))
		return decide(h, c, url, method, q);
	if (ls_api_data_path(url) != NULL &&
	    (strcmp(method, "POST") == 0 || strcmp(method, "GET") == 0)) {
		if (h->client_ca && !client_verified(c))
			return reply(c, 403,
			    "{\"code\":\"unauthorized\",\"message\":"
			    "\"the Data API needs a client certificate "
			    "signed by --tls-client-ca\"}");
		return decide(h, c, url, method, q);
	}
	return reply(c, 404, "{\"code\":\"resource_not_found\"}");
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *data,
    size_t *data_size, void **con_cls)
{
	struct req *q = *con_cls;

	(void)version;
	if (q == NULL) {
		if ((q = calloc(1, sizeof(*q))) == NULL)
			return MHD_NO;
		ls_buf_init(&q->body, LS_ENGINE_INPUT_MAX);
		*con_cls = q;
		return MHD_YES;
	}
	if (*data_size > 0) {
		if (!q->toobig && ls_buf_add(&q->body, data, *data_size) != 0)
			q->toobig = 1;
		*data_size = 0;
		return MHD_YES;
	}
	return handle(cls, c, url, method, q);
}

static void
on_done(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct req *q = *con_cls;

	(void)cls, (void)c, (void)toe;
	if (q == NULL)
		return;
	ls_buf_cleanup(&q->body);
	free(q);
	*con_cls = NULL;
}

/* "A.B.C.D:PORT" -> sockaddr; only IPv4 literals (the API is local). */
static int
parse_listen(struct sockaddr_in *sa, const char *s)
{
	const char *colon = strrchr(s, ':');
	char host[INET_ADDRSTRLEN];
	unsigned long port = 0;
	const char *p;

	memset(sa, 0, sizeof(*sa));
	if (colon == NULL || (size_t)(colon - s) >= sizeof(host) ||
	    colon[1] == '\0' || strlen(colon + 1) > 5)
		return ls_error_set(LS_EINVAL, "--listen %s: want HOST:PORT",
		    s);
	for (p = colon + 1; *p; p++) {
		if (*p < '0' || *p > '9')
			return ls_error_set(LS_EINVAL, "--listen %s: bad port",
			    s);
		port = port * 10 + (unsigned long)(*p - '0');
	}
	if (port > 65535)
		return ls_error_set(LS_EINVAL, "--listen %s: bad port", s);
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &sa->sin_addr) != 1)
		return ls_error_set(LS_EINVAL,
		    "--listen %s: not an IPv4 "
		    "address",
		    s);
	return 0;
}

static int
tls_setup(struct ls_api *h, const struct ls_config *cfg)
{
	size_t len = 0;
	int rc;

	if (cfg->tls_cert == NULL)
		return 0;
	if ((rc = ls_tlscred_init(cfg->tls_cert, cfg->tls_key)) != 0)
		return rc;
	h->tls = 1;
	if (cfg->tls_client_ca == NULL)
		return 0;
	if ((rc = ls_file_read(&h->trust_pem, &len, cfg->tls_client_ca,
		 LS_TLSCRED_MAX_FILE)) != 0)
		return rc;
	h->client_ca = 1;
	return 0;
}

static struct MHD_Daemon *
start(struct ls_api *h, const struct ls_config *cfg, struct sockaddr_in *sa)
{
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
	    MHD_USE_TURBO | (h->tls ? MHD_USE_TLS : 0);
	/* the TLS options are only passed when serving TLS: MHD refuses
	 * them on a plain daemon */
	struct MHD_OptionItem tls[] = {
		{ MHD_OPTION_HTTPS_CERT_CALLBACK, 0,
		    (void *)(uintptr_t)ls_tlscred_retrieve },
		{ MHD_OPTION_HTTPS_PRIORITIES, 0,
		    (void *)(uintptr_t)TLS_PRIORITIES },
		{ h->trust_pem ? MHD_OPTION_HTTPS_MEM_TRUST : MHD_OPTION_END,
		    0, h->trust_pem },
		{ MHD_OPTION_END, 0, NULL },
	};

	return MHD_start_daemon(flags, 0, NULL, NULL, on_request, h,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)sa,
	    MHD_OPTION_THREAD_POOL_SIZE, (unsigned)THREADS,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONN_LIMIT,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)cfg->conns_per_ip,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONN_MEMORY,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CONN_TIMEOUT,
	    MHD_OPTION_NOTIFY_COMPLETED, on_done, h, MHD_OPTION_ARRAY,
	    h->tls ? tls : &tls[3], MHD_OPTION_END);
}

int
ls_api_start(struct ls_api **out, const struct ls_config *cfg,
    struct ls_engine *e, char *bound, size_t boundsz)
{
	struct sockaddr_in sa;
	const union MHD_DaemonInfo *info;
	struct ls_api *h;
	char host[INET_ADDRSTRLEN];
	int rc;

	*out = NULL;
	if ((rc = parse_listen(&sa, cfg->listen)) != 0)
		return rc;
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return ls_error_set(LS_ENOMEM, "httpd: out of memory");
	h->e = e;
	h->adm.default_path = cfg->admission_path;
	h->adm.fail_open = cfg->admission_fail_open;
	h->adm.timeout_ms = (unsigned)cfg->decision_timeout_ms;
	h->adm.max_memory = (size_t)cfg->decision_memory_max;
	e->timeout_ms = h->adm.timeout_ms;
	e->max_memory = h->adm.max_memory;
	pthread_mutex_init(&h->mu, NULL);
	if ((rc = tls_setup(h, cfg)) != 0 ||
	    (h->d = start(h, cfg, &sa)) == NULL) {
		if (rc == 0)
			rc = ls_error_set(LS_ENET, "--listen %s: cannot listen",
			    cfg->listen);
		if (h->tls)
			ls_tlscred_cleanup();
		pthread_mutex_destroy(&h->mu);
		free(h->trust_pem);
		free(h);
		return rc;
	}
	info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
	inet_ntop(AF_INET, &sa.sin_addr, host, sizeof(host));
	snprintf(bound, boundsz, "%s:%u", host,
	    info != NULL ? (unsigned)info->port : (unsigned)ntohs(sa.sin_port));
	*out = h;
	return 0;
}

void
ls_api_stop(struct ls_api *h)
{
	if (h == NULL)
		return;
	MHD_stop_daemon(h->d);
	if (h->tls)
		ls_tlscred_cleanup();
	pthread_mutex_destroy(&h->mu);
	free(h->trust_pem);
	free(h);
}
