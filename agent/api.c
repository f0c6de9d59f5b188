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
#include "lockstep/timefmt.h"
#include "lockstep/tlscred.h"

#define CONN_LIMIT 1024
#define CONN_MEMORY (64 * 1024)
#define CONN_TIMEOUT 10 /* s of idleness */
#define THREADS 4
/* Decisions one client may have in flight: one thread of the pool stays
 * free for other clients however slow one client's inputs are, and a
 * single busy client (an API server) still gets most of the pool.  Its
 * further decisions wait, suspended (no thread held), in arrival order,
 * for at most WAIT_BUDGETS decision budgets (--decision-timeout-ms; 5 s
 * by default, under Kubernetes' default webhook timeout of 10 s): an API
 * server sends admission reviews in bursts and must not meet a 429. */
#define INFLIGHT_PER_CLIENT (THREADS - 1)
#define WAIT_BUDGETS 5
#define CLIENTS_TRACKED 1024
#define TLS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"

struct req;

struct inflight {
	struct in_addr addr;
	unsigned n;		 /* decisions running or handed a slot */
	struct req *head, *tail; /* waiting for a slot, oldest first */
};

struct ls_api {
	struct MHD_Daemon *d;
	struct ls_engine *e;
	struct ls_admission_opts adm;
	int tls, client_ca; /* serving TLS; Data API wants client certs */
	char *trust_pem;    /* --tls-client-ca contents, for MHD */
	pthread_mutex_t mu; /* guards busy, stopping and every req's slot */
	struct inflight busy[CLIENTS_TRACKED];
	int stopping; /* no more waiting */
};

/* A request's place in its client's decision slots. */
enum slot { SLOT_NONE, SLOT_WAITING, SLOT_GRANTED, SLOT_STOPPED };

struct req {
	struct ls_buf body;
	int toobig;
	enum slot slot;
	struct in_addr addr;	    /* the client counted (INADDR_ANY: none) */
	struct MHD_Connection *conn; /* suspended while SLOT_WAITING */
	struct req *next;	    /* in the client's queue */
	struct inflight *in;	    /* that queue's entry, while waiting (an
				     * entry with waiters is never reused) */
	long long wait_until;	    /* ms, monotonic */
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

/* The client's entry, or a free one taken for it (NULL: table full;
 * the client is then not counted). h->mu held. */
static struct inflight *
entry_of(struct ls_api *h, const struct in_addr *a)
{
	struct inflight *free_slot = NULL;
	size_t i;

	for (i = 0; i < CLIENTS_TRACKED; i++) {
		struct inflight *f = &h->busy[i];
		int idle = f->n == 0 && f->head == NULL;

		if (!idle && f->addr.s_addr == a->s_addr)
			return f;
		if (idle && free_slot == NULL)
			free_slot = f;
	}
	if (free_slot != NULL)
		free_slot->addr = *a;
	return free_slot;
}

/* Give back a slot of client a: handed to its oldest waiter, resumed,
 * if it has one. */
static void
give_slot_of(struct ls_api *h, const struct in_addr *a)
{
	struct inflight *f = NULL;
	struct req *w;
	size_t i;

	if (a->s_addr == INADDR_ANY)
		return;
	pthread_mutex_lock(&h->mu);
	for (i = 0; i < CLIENTS_TRACKED && f == NULL; i++)
		if ((h->busy[i].n > 0 || h->busy[i].head != NULL) &&
		    h->busy[i].addr.s_addr == a->s_addr)
			f = &h->busy[i];
	if (f != NULL && (w = f->head) != NULL) {
		if ((f->head = w->next) == NULL)
			f->tail = NULL;
		w->next = NULL;
		w->slot = SLOT_GRANTED;
		MHD_resume_connection(w->conn);
	} else if (f != NULL && f->n > 0) {
		f->n--;
	}
	pthread_mutex_unlock(&h->mu);
}

enum take { TAKE_RUN, TAKE_WAIT, TAKE_REFUSE, TAKE_LATE, TAKE_STOPPED };

/*
 * A decision slot for q: TAKE_RUN (it holds one now; give_slot after the
 * decision), TAKE_WAIT (c is suspended until a slot is handed over;
 * return MHD_YES), TAKE_LATE (handed one after waiting past its budget:
 * it was passed on; refuse), TAKE_STOPPED (the API is stopping).
 */
static enum take
take_slot(struct ls_api *h, struct MHD_Connection *c, struct req *q,
    long wait_ms)
{
	struct inflight *f;
	enum take t = TAKE_RUN;

	if (q->slot == SLOT_NONE && client_addr(c, &q->addr) != 0)
		q->addr.s_addr = INADDR_ANY;
	if (q->addr.s_addr == INADDR_ANY) /* no client address: not counted */
		return TAKE_RUN;
	pthread_mutex_lock(&h->mu);
	if (q->slot == SLOT_STOPPED) {
		t = TAKE_STOPPED;
	} else if (q->slot == SLOT_GRANTED) {
		q->slot = SLOT_NONE;
		t = ls_mono_ms() > q->wait_until ? TAKE_LATE : TAKE_RUN;
	} else if ((f = entry_of(h, &q->addr)) == NULL) {
		q->addr.s_addr = INADDR_ANY; /* table full: not counted */
	} else if (f->n < INFLIGHT_PER_CLIENT) {
		f->n++;
	} else if (h->stopping) {
		t = TAKE_STOPPED;
	} else {
		/* suspended before it is queued: nobody resumes it first */
		MHD_suspend_connection(c);
		q->slot = SLOT_WAITING;
		q->conn = c;
		q->next = NULL;
		q->wait_until = ls_mono_ms() + wait_ms;
		q->in = f;
		if (f->tail != NULL)
			f->tail->next = q;
		else
			f->head = q;
		f->tail = q;
		t = TAKE_WAIT;
	}
	pthread_mutex_unlock(&h->mu);
	if (t == TAKE_LATE)
		give_slot_of(h, &q->addr);
	return t;
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

/* The answer to a decision that gets no slot. */
static int
refusal(const char **kind, const char **msg, enum take t)
{
	*kind = t == TAKE_STOPPED ? "unavailable" : "too_many_requests";
	*msg = t == TAKE_STOPPED ? "the agent is stopping"
	    : t == TAKE_LATE     ? "too many decisions in flight from this "
				   "client: waited five decision budgets"
				 : "too many decisions in flight from this client";
	return t == TAKE_STOPPED ? 503 : 429;
}

static enum MHD_Result
decide(struct ls_api *h, struct MHD_Connection *c, const char *url,
    const char *method, struct req *q)
{
	enum MHD_Result ret;
	const char *kind, *msg;
	char *out = NULL, buf[256];
	int code = 500, status;
	enum take t;

	const char *path = ls_api_data_path(url);
	int rc;

	if ((t = take_slot(h, c, q, (long)h->adm.timeout_ms * WAIT_BUDGETS)) ==
	    TAKE_WAIT)
		return MHD_YES; /* called again when resumed */
	if (strncmp(url, "/v1/admission", 13) == 0) {
		if (t != TAKE_RUN) {
			status = refusal(&kind, &msg, t);
			snprintf(buf, sizeof(buf),
			    "{\"code\":\"%s\",\"message\":\"%s\"}", kind, msg);
			return reply(c, (unsigned)status, buf);
		}
		ret = strcmp(method, "POST") == 0
		    ? admission(h, c, url[13] == '/' ? url + 14 : NULL, q)
		    : reply(c, 405, "{\"code\":\"method_not_allowed\"}");
		give_slot_of(h, &q->addr);
		return ret;
	}
	/* Data API: every answer, refusals included, is a decision record */
	if (t != TAKE_RUN) {
		status = refusal(&kind, &msg, t);
		rc = ls_engine_refuse(&out, &code, h->e, path, status, kind,
		    msg);
	} else {
		rc = q->toobig ? ls_engine_refuse(&out, &code, h->e, path, 413,
				     "invalid_parameter",
				     "request body too large")
			       : ls_engine_decide(&out, &code, h->e, path,
				     q->body.data != NULL ? q->body.data : "",
				     q->body.len);
		give_slot_of(h, &q->addr);
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

/* Take q out of f's queue, if it is there. */
static void
unqueue(struct inflight *f, struct req *q)
{
	struct req **pp, *prev = NULL;

	for (pp = &f->head; *pp != NULL; prev = *pp, pp = &(*pp)->next) {
		if (*pp != q)
			continue;
		*pp = q->next;
		if (f->tail == q)
			f->tail = prev;
		q->next = NULL;
		return;
	}
}

static void
on_done(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct ls_api *h = cls;
	struct req *q = *con_cls;
	int pass = 0;

	(void)c, (void)toe;
	if (q == NULL)
		return;
	/* gone while it waited for a slot, or before it used the one
	 * handed to it: the queue forgets it, the slot passes on */
	pthread_mutex_lock(&h->mu);
	if (q->slot == SLOT_GRANTED)
		pass = 1;
	if (q->slot == SLOT_WAITING)
		unqueue(q->in, q);
	q->slot = SLOT_NONE;
	pthread_mutex_unlock(&h->mu);
	if (pass)
		give_slot_of(h, &q->addr);
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
	    MHD_USE_TURBO | MHD_ALLOW_SUSPEND_RESUME |
	    (h->tls ? MHD_USE_TLS : 0);
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

/* Resume every waiting decision with a refusal: MHD cannot stop with
 * suspended connections. */
static void
stop_waiting(struct ls_api *h)
{
	struct req *w;
	size_t i;

	pthread_mutex_lock(&h->mu);
	h->stopping = 1;
	for (i = 0; i < CLIENTS_TRACKED; i++) {
		while ((w = h->busy[i].head) != NULL) {
			h->busy[i].head = w->next;
			w->next = NULL;
			w->slot = SLOT_STOPPED;
			MHD_resume_connection(w->conn);
		}
		h->busy[i].tail = NULL;
	}
	pthread_mutex_unlock(&h->mu);
}

void
ls_api_stop(struct ls_api *h)
{
	if (h == NULL)
		return;
	stop_waiting(h);
	MHD_stop_daemon(h->d);
	if (h->tls)
		ls_tlscred_cleanup();
	pthread_mutex_destroy(&h->mu);
	free(h->trust_pem);
	free(h);
}
