/*
 * httpd.h - the HTTP side of lockstep-server (libmicrohttpd, epoll, a
 * thread pool): the static layout with strong ETags and 304s, long polls
 * on timestamp.note, OPA-compatible /bundles/CHANNEL, /health, /metrics,
 * enrolment, reports, evidence queries and the admin API.
 */
#ifndef LOCKSTEP_SERVER_HTTPD_H
#define LOCKSTEP_SERVER_HTTPD_H

#include "gitwatch.h"
#include "store.h"

#define LS_HTTPD_WAIT_MAX 300		 /* seconds a long poll may be held */
#define LS_HTTPD_REPORT_MAX (64 * 1024)	 /* bytes of a report body */
#define LS_HTTPD_BODY_MAX (16 * 1024)	 /* other request bodies */
#define LS_HTTPD_CONN_MAX 16000		 /* connections at once */
#define LS_HTTPD_CONN_MEMORY (16 * 1024) /* headers and buffers */
#define LS_HTTPD_PER_IP_CONNS 1024	 /* default connections an address */
#define LS_HTTPD_PER_IP_POLLS 512	 /* default held polls an address */
#define LS_HTTPD_TIMEOUT 10 /* default s: idle connection, whole body */

struct ls_decisions;

struct ls_httpd_opts {
	const char *listen; /* "127.0.0.1:PORT", PORT may be 0 */
	struct ls_store *store;
	/* POST /v1/decisions and the overrides; NULL: off */
	struct ls_decisions *decisions;
	struct ls_gitwatch *watch; /* for POST /v1/admin/refresh */
	const char *admin_token;   /* NULL: admin endpoints are off */
	const char *auditor_token; /* read-only evidence, audit routes;
				      NULL: evidence public, audit off */
	const char *enroll_token;  /* shared token, or NULL (only with
				      --allow-shared-enroll-token) */
	const char *tls_cert;	   /* PEM: --listen serves HTTPS; or NULL */
	const char *tls_key;	   /* PEM, with tls_cert */
	const char *listen_http;   /* extra plain listener, or NULL */
	int https_only;		   /* routes marked so refuse plain HTTP */
	unsigned threads;	   /* 0: two per CPU */
	unsigned per_ip_conns;	   /* connections an address; 0: no limit */
	unsigned per_ip_polls;	   /* held polls an address; 0: no limit */
	unsigned timeout;	   /* s: idle, and a whole request body */
	ls_log_fn log;
	void *log_arg;
};

struct ls_httpd;

/* Bind and start serving.  LS_EINVAL for a bad address, LS_ENET when the
 * address cannot be bound. */
int ls_httpd_start(struct ls_httpd **out, const struct ls_httpd_opts *o);

/* Set (or clear) the watcher that POST /v1/admin/refresh wakes. */
void ls_httpd_set_watch(struct ls_httpd *h, struct ls_gitwatch *w);

/* The bound port (useful with port 0). */
unsigned ls_httpd_port(const struct ls_httpd *h);

/* The port of the plain listener (listen_http), 0 when none. */
unsigned ls_httpd_http_port(const struct ls_httpd *h);

/* Reload channel's timestamp.note and answer its held long polls. */
void ls_httpd_changed(struct ls_httpd *h, const char *channel);

/* Answer every held long poll, stop and free; NULL ok. */
void ls_httpd_stop(struct ls_httpd *h);

#endif
