/*
 * httpd_impl.h - private to httpd.c and httpd_api.c.
 */
#ifndef LOCKSTEP_SERVER_HTTPD_IMPL_H
#define LOCKSTEP_SERVER_HTTPD_IMPL_H

#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include <microhttpd.h>

#include "httpd.h"
#include "lockstep/buf.h"
#include "lockstep/doc.h"
#include "lockstep/hash.h"

#define ETAG_LEN (LS_SHA256_HEX_LEN + 3) /* quotes and NUL */

/* One connection's request state (MHD's con_cls). */
struct req {
	struct req *prev, *next; /* in h->waiters while held */
	struct MHD_Connection *conn;
	int held;	  /* suspended as a long poll */
	int resumed;	  /* woken: answer now */
	int64_t deadline; /* wall-clock ms */
	unsigned wait;	  /* seconds asked for */
	char channel[LS_NAME_MAX + 1];
	struct ls_buf body; /* POST body, capped */
	int toobig;	    /* body passed its cap */
	int gone;	    /* resumed because the client hung up */
	MHD_socket fd;	    /* while held: in h->hup_fd, else invalid */
	uint32_t ip;	    /* while held: client IPv4, network order */
	int64_t started;    /* POST: first call, wall-clock ms */
	void *job;	    /* POST /v1/decisions, or a slow GET's job */
	void (*job_free)(void *job); /* NULL: free() */
};

/* A channel's timestamp.note, served from memory. */
struct tsent {
	char name[LS_NAME_MAX + 1];
	char etag[ETAG_LEN];
	struct MHD_Response *ok, *nm; /* 200 and 304; NULL: none yet */
	char *body;		      /* owned copy for held answers */
	size_t len;
};

struct fent {
	struct fent *next;
	char *url; /* owned */
	char etag[ETAG_LEN];
	struct MHD_Response *ok, *nm;
	size_t bytes;
};

#define FILE_BUCKETS 1024
#define FILE_CACHE_MAX 4096	      /* entries */
#define FILE_CACHE_BYTES (256u << 20) /* bytes kept in memory */
#define FILE_MEM_MAX (16u << 20)      /* larger files go by fd */
#define HTTPD_IP_BUCKETS 1024

struct ipcount;

struct ls_httpd {
	struct ls_httpd_opts o;
	struct MHD_Daemon *d;	    /* --listen: HTTPS when tls_cert */
	struct MHD_Daemon *d_plain; /* listen_http, or NULL */
	unsigned port, http_port;
	char data[PATH_MAX];
	pthread_rwlock_t lock; /* ts[] and files[] */
	struct tsent ts[LS_STORE_MAX_CHANNELS];
	size_t nts;
	struct fent *files[FILE_BUCKETS];
	size_t nfiles, file_bytes;
	pthread_mutex_t wmu; /* waiters, stopping */
	pthread_cond_t wcond;
	struct req *waiters;
	int64_t next_wake; /* when the waker looks next, ms */
	int stopping, waker_started;
	pthread_t waker;
	int hup_fd; /* epoll set of held sockets (httpd_hold.c) */
	int hup_started;
	pthread_t hup;
	struct ipcount *ips[HTTPD_IP_BUCKETS]; /* held polls per address */
	/* Hour (time / 3600) of the last recorded read of the log's own
	 * structure by the admin [0] and the auditor [1] (httpd_audit.c);
	 * __atomic access. */
	int64_t logread_hour[2];
};

/* Queue r with code and count it. */
enum MHD_Result
httpd_answer(struct MHD_Connection *c, unsigned code, struct MHD_Response *r);
/* A small text or JSON answer (copied). */
enum MHD_Result httpd_answer_text(struct MHD_Connection *c, unsigned code,
    const char *ctype, const char *text, size_t len);
enum MHD_Result
httpd_answer_error(struct MHD_Connection *c, unsigned code, const char *msg);
/* 503 {"error": msg} with Retry-After: retry_after (seconds). */
enum MHD_Result httpd_answer_busy(struct MHD_Connection *c, const char *msg,
    const char *retry_after);
/* j as one line of JSON (j may be NULL: 500). */
enum MHD_Result
httpd_answer_json(struct MHD_Connection *c, unsigned code, json_t *j);

/* The request state of a GET, made on first use (a plain GET has none):
 * NULL when out of memory. */
struct req *httpd_req_of(void **con_cls);

/* Under h->wmu: wake r (its handler runs again and answers). */
void httpd_waiter_resume(struct ls_httpd *h, struct req *r);

/* httpd_hold.c.  Start the hang-up watcher (h->hup_fd set first): 0, or -1
 * with errno. */
int httpd_hold_init(struct ls_httpd *h);
/* After h->stopping is set: join the watcher and free the counts. */
void httpd_hold_stop(struct ls_httpd *h);
/* Under wmu: count r against its address's limit and watch its socket; -1
 * when the address is at its limit (answer now instead of holding). */
int
httpd_hold_admit(struct ls_httpd *h, struct req *r, struct MHD_Connection *c);
/* Under wmu: undo httpd_hold_admit. */
void httpd_hold_release(struct ls_httpd *h, struct req *r);

/* httpd_api.c: POST endpoints, evidence, metrics, admin status. */
enum MHD_Result httpd_api_get(struct ls_httpd *h, struct MHD_Connection *c,
    const char *url, void **con_cls, int *handled);
enum MHD_Result httpd_api_post(struct ls_httpd *h, struct MHD_Connection *c,
    const char *url, struct req *r);
size_t httpd_body_cap(const char *url);
/* 1 when url is a route that https_only keeps off plain HTTP. */
int httpd_https_only(const char *url);
/* 1 when url is a route an auditor token opens. */
int httpd_route_auditor(const char *url);

/* httpd_audit.c.  The gate: 1 when it answered (refused) in *ret, 0 to
 * go on, after recording an auditor's query as evidence. */
int httpd_audit_gate(struct ls_httpd *h, struct MHD_Connection *c,
    const char *url, enum MHD_Result *ret);
/* /v1/audit/{status,summary,package}, /audit/; *handled = 0 otherwise. */
enum MHD_Result httpd_audit_get(struct ls_httpd *h, struct MHD_Connection *c,
    const char *url, void **con_cls, int *handled);

/* httpd_audit_pkg.c.  Empty DATA/audit-tmp (a crash's leftovers) at
 * start: 0, LS_EIO. */
int httpd_audit_pkg_init(struct ls_httpd *h);
struct ls_audit_opts;
/* The package for o as a tar (or its summary.json), built on disk by a
 * job (httpd_job.c) and sent from there; 503 with Retry-After past the
 * concurrent builds. */
enum MHD_Result httpd_audit_pkg_serve(struct ls_httpd *h,
    struct MHD_Connection *c, void **con_cls, const struct ls_audit_opts *o,
    int summary);

/* GET argument name as a decimal uint64: 1 set, 0 absent, -1 bad. */
int httpd_u64_arg(struct MHD_Connection *c, const char *name, uint64_t *out);

/* Hashes as a JSON array of base64 strings (proofs); NULL: no memory. */
json_t *httpd_hashes_json(const uint8_t (*h)[LS_SHA256_LEN], size_t n);

/* httpd_evidence.c: streamed queries, consistency proofs, tiles. */
enum MHD_Result
httpd_evidence_query(struct ls_httpd *h, struct MHD_Connection *c);
enum MHD_Result
httpd_evidence_consistency(struct ls_httpd *h, struct MHD_Connection *c);
/* End every query stream (before the daemon stops). */
void httpd_evidence_stop(void);
enum MHD_Result httpd_evidence_tile(struct ls_httpd *h,
    struct MHD_Connection *c, const char *rest);

/* httpd_job.c: a slow GET answered off the request threads. */
struct httpd_job_ops {
	/* On the job's own thread: 0, or an LS_E* code with the error set.
	 * Gives up (any code) once *cancel is set (read atomically). */
	int (*run)(void *arg, const int *cancel);
	/* On the request thread once run ended (not when it was cancelled:
	 * that is a 503): queue the answer for rc (msg: its error). */
	enum MHD_Result (*answer)(void *arg, int rc, const char *msg,
	    struct MHD_Connection *c);
	/* When the request ends, answered or not. */
	void (*free)(void *arg);
};
/* Run ops on arg (owned from here, even on failure) for the GET on c. */
enum MHD_Result httpd_job_start(struct MHD_Connection *c, void **con_cls,
    const struct httpd_job_ops *ops, void *arg);
/* The handler's call for a GET whose request has a job. */
enum MHD_Result httpd_job_resumed(struct MHD_Connection *c, struct req *r);
void httpd_job_init(void);
/* Cancel the jobs and wait for each to resume its connection; later
 * ones get 503.  Before the daemon stops. */
void httpd_job_stop(struct ls_httpd *h);

/* httpd_decisions.c: POST /v1/decisions, GET /v1/admin/overrides.  An
 * upload runs on a worker thread of its own pool with its connection
 * suspended, so a batch's parse and fsync never hold the request threads
 * that timestamps need. */
enum MHD_Result httpd_decisions_post(struct ls_httpd *h,
    struct MHD_Connection *c, struct req *r);
/* Finish the uploads in flight (their connections resumed) and end the
 * workers; later uploads run on the request thread.  Before the daemon
 * stops. */
void httpd_decisions_stop(void);
enum MHD_Result
httpd_overrides_get(struct ls_httpd *h, struct MHD_Connection *c);

#endif
