/*
 * fetch.h - the agent's HTTP/1.1 client (fetch.c, over fetch_conn.c).
 *
 * Everything the agent downloads comes from an untrusted mirror, so every
 * request has a connect timeout and an overall timeout, bodies are capped
 * while they stream (documents by the buffer's max, bundles by the signed
 * length), redirects are not followed and only http/https are spoken.
 * One connection is reused for every request so the long poll, the
 * documents and the bundle share one kept-alive connection.
 */
#ifndef LOCKSTEP_AGENT_FETCH_H
#define LOCKSTEP_AGENT_FETCH_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "lockstep/buf.h"
#include "lockstep/hash.h"

#define LS_FETCH_ETAG_MAX 128

struct ls_fetch_opts {
	long connect_timeout; /* s */
	long doc_timeout;     /* s, a whole document request (+ the wait) */
	long bundle_timeout;  /* s, a whole bundle download */
	long low_speed_limit; /* bytes/s averaged over low_speed_time */
	long low_speed_time;  /* s; 0 turns the low-speed check off */
	volatile sig_atomic_t *stop; /* abort transfers when it turns 1 */
	const char *cacert;	     /* CA file for https, NULL: system */
};

struct ls_fetch_result {
	long status;			  /* HTTP status, 0 if none */
	char etag[LS_FETCH_ETAG_MAX + 1]; /* ETag answered, "" if none */
	int held; /* answered Preference-Applied: wait= */
};

struct ls_fetch;

void ls_fetch_opts_default(struct ls_fetch_opts *o);

/* LS_ENOMEM. */
int ls_fetch_new(struct ls_fetch **out, const struct ls_fetch_opts *o);
void ls_fetch_free(struct ls_fetch *f); /* NULL is a no-op */

/*
 * GET url into out (its max is the cap; a longer body is LS_ETOOBIG).
 * etag, when not NULL or "", is sent as If-None-Match; wait_s > 0 asks
 * for a long poll (Prefer: wait=N) and extends the overall timeout by it.
 * Any HTTP answer returns 0 with its status in res; the body is kept only
 * for 200.  LS_ENET, LS_ETIMEOUT, LS_ETOOBIG on transfer failures.
 */
int ls_fetch_get(struct ls_fetch *f, struct ls_fetch_result *res,
    struct ls_buf *out, const char *url, const char *etag, long wait_s);

/*
 * GET url and stream a 200 body into fd, refusing more than max bytes
 * (LS_ETOOBIG as soon as the stream passes it).  sha_out gets the SHA-256
 * of what was written and len_out its length.  A status other than 200 is
 * LS_ENET naming it.  Low-speed window and bundle_timeout apply.
 */
int
ls_fetch_file(struct ls_fetch *f, struct ls_fetch_result *res, const char *url,
    int fd, uint64_t max, uint8_t sha_out[LS_SHA256_LEN], uint64_t *len_out);

/* POST body with extra header lines (or NULL; "\n" separates lines, one
 * starting "Content-Type:" replaces text/plain); the answer body goes
 * to resp (capped by its max, may be NULL).  Errors as ls_fetch_get. */
int
ls_fetch_post(struct ls_fetch *f, struct ls_fetch_result *res, const char *url,
    const char *header, const void *body, size_t len, struct ls_buf *resp);

#endif
