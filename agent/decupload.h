/*
 * decupload.h - upload of closed decision segments as signed batches
 * (notes/decisions-protocol.md section 2): POST /v1/decisions to the
 * --report-to server, gzip JSON Lines body, header Lockstep-Batch with
 * the base64 of a lockstep/decisions/v1 note signed by the agent key.
 * One thread, in seq order; a segment is deleted only after a 200, and
 * the acknowledged sha256 is persisted first (the next batch's prev).
 * Failures back off exponentially (1 s up to max_backoff) with jitter.
 */
#ifndef LOCKSTEP_AGENT_DECUPLOAD_H
#define LOCKSTEP_AGENT_DECUPLOAD_H

#include <stdint.h>

#include "declog.h"
#include "lockstep/key.h"

#define LS_DECUP_BODY_MAX (32u << 20) /* uncompressed batch, as the server */

struct ls_decup_opts {
	const char *report_to; /* base URL */
	const char *agent;
	struct ls_key *key; /* borrowed */
	struct ls_declog *log;
	const char *cacert; /* CA file for an https report_to, NULL: system */
	long max_backoff;   /* s */
	/* Failures (the first, then every doubling) and the recovery;
	 * level "warn"/"info", event "decisions".  May be NULL. */
	void (*log_fn)(void *ctx, const char *level, const char *event,
	    const char *msg);
	void *log_ctx;
};

struct ls_decup_stats {
	uint64_t uploaded, failed;
};

struct ls_decup;

int ls_decup_start(struct ls_decup **out, const struct ls_decup_opts *o);

/* Close the open segment, upload what is closed for at most bound_ms,
 * then stop the thread and free.  NULL is a no-op. */
void ls_decup_stop(struct ls_decup *u, long bound_ms);

void ls_decup_stats(struct ls_decup *u, struct ls_decup_stats *out);

/*
 * For a program that runs once (lockstep check --report): upload the
 * closed segments in order in the calling thread, no retry, until none
 * is left (0) or one fails (its error; it and the later ones stay
 * queued for the next run).  *sent gets the batches acknowledged.
 */
int ls_decup_drain(const struct ls_decup_opts *o, unsigned *sent);

/* Build the signed note for the batch bytes (decupload.c; used by the
 * tests too).  *out: caller frees.  LS_EFORMAT for bytes that are not
 * JSON Lines with seqs. */
int ls_decup_note(char **out, size_t *out_len, const char *agent,
    struct ls_key *key, const char *bytes, size_t len, const char *prev,
    uint64_t dropped, uint64_t *last_out, char sha_out[65]);

#endif
