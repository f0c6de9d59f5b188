/*
 * store_impl.h - private to store.c, operator.c and reports.c: the
 * in-memory state of the data folder.  Callers hold s->mu.
 */
#ifndef LOCKSTEP_SERVER_STORE_IMPL_H
#define LOCKSTEP_SERVER_STORE_IMPL_H

#include <limits.h>
#include <pthread.h>

#include "agents.h"
#include "tokens.h"
#include "lockstep/doc.h"
#include "lockstep/key.h"
#include "store.h"

#define LS_STORE_MAX_TAGS 100000

struct channel {
	char name[LS_NAME_MAX + 1];
	uint64_t max_seq; /* highest release seq on disk */
	uint64_t ts_seq;  /* seq of the timestamp on disk */
	time_t ts_expires;
	int has_cur;
	struct ls_release cur; /* what the timestamp names */
	char **tags;	       /* owned: tags built (any result) */
	size_t ntags, captags;
	int has_pending;
	struct ls_release pending; /* a build held back by a pin */
	int changed;		   /* notify on_change after unlock */
};

struct ls_store {
	pthread_mutex_t mu;	   /* channels, publishing */
	pthread_mutex_t report_mu; /* check seq, log, set seq */
	char data[PATH_MAX];
	int lockfd;
	struct ls_key *release_key, *timestamp_key, *log_key;
	char origin[LS_NAME_MAX + 1];
	uint64_t root_version; /* newest root in --keys, 0: none loaded */
	time_t root_expires;   /* its expiry: nothing is signed past it */
	int root_expiry_told;  /* the tick reported the expiry once */
	unsigned ttl;
	struct channel *ch[LS_STORE_MAX_CHANNELS];
	size_t nch;
	struct ls_evidence *ev;
	struct ls_agents *agents;
	struct ls_tokens *tokens; /* single-use enrolment tokens */
	pthread_mutex_t ckpt_mu; /* one checkpoint writer at a time */
	uint64_t ckpt_size;	 /* entries in the last checkpoint */
	int ckpt_written;	 /* at least one this run */
	void (*on_change)(void *arg, const char *channel);
	void *arg;
};

/* LS_EEXPIRED (naming the version) once the newest root has expired. */
int store_root_fresh(const struct ls_store *s, time_t now);
struct channel *store_channel(struct ls_store *s, const char *name, int create);
int store_tag_add(struct channel *c, const char *tag);
int store_release_copy(struct ls_release *dst, const struct ls_release *src);
/* Sign and write release r (r->seq set by the caller), then a new
 * timestamp naming it; updates c. */
int store_publish(struct ls_store *s, struct channel *c,
    const struct ls_release *r);
/* Read and verify DATA/v1/channels/CH/releases/SEQ.note. */
int store_release_load(struct ls_store *s, const char *channel, uint64_t seq,
    struct ls_release *out);
/* A new timestamp naming release seq (freshness or roll forward). */
int store_resign(struct ls_store *s, struct channel *c, uint64_t seq);
/* End c's pin: publish the held build or the newest tag (operator.c). */
int store_unpin(struct ls_store *s, struct channel *c, const char *owner,
    const char *reason);
int store_pending_write(struct ls_store *s, struct channel *c);
void store_notify(struct ls_store *s);
json_t *store_release_json(const struct ls_release *r);
/* One verifier key line (trailing newline allowed).  LS_EFORMAT. */
int store_vkey_parse(struct ls_vkey *vk, const char *vkey_text, size_t len);
/* Enrol vk and log it as an operator action (reports.c): as
 * ls_store_enroll. */
int store_enroll_key(struct ls_store *s, const struct ls_vkey *vk,
    const char *source);
/* Sign a checkpoint of the materialised tree if it grew (no wait). */
int store_checkpoint_sign(struct ls_store *s);

#endif
