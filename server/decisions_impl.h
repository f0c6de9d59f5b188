/*
 * decisions_impl.h - private to decisions.c, decisions_state.c and
 * overrides.c: the per-agent chains and the exception counts.
 */
#ifndef LOCKSTEP_SERVER_DECISIONS_IMPL_H
#define LOCKSTEP_SERVER_DECISIONS_IMPL_H

#include <limits.h>
#include <pthread.h>
#include <stdint.h>

#include "decisions.h"
#include "evidence.h"
#include "lockstep/doc.h"
#include "lockstep/hash.h"
#include "lockstep/key.h"
#include "rego/arena.h"

#define DEC_KEY_HEX (2 * LS_KEY_PUB_LEN + 1) /* an agent key, hex */
#define DEC_RECENT 16		   /* accepted batches remembered per agent */
#define DEC_BUCKETS 4096	   /* chain hash table */
#define DEC_KEYS_MAX 200000	   /* exception count keys kept */
#define DEC_STATE_MAX (256u << 20) /* bytes of state.json */
#define DEC_MEM_MAX (96u << 20)	   /* uncompressed bytes read at once */
#define DEC_MEM_WAIT_MS 5000	   /* for room among them */

struct dec_batch {
	uint64_t first, last, count; /* seqs and lines */
	uint64_t index;		     /* log index of its "batch" entry */
	char sha[LS_SHA256_HEX_LEN + 1];
};

struct dec_chain {
	struct dec_chain *next;
	pthread_mutex_t mu; /* held from the chain check to the update */
	char agent[LS_NAME_MAX + 1];
	/* Below: written under mu and d->mu, read under either. */
	char key[DEC_KEY_HEX]; /* public key of the batches, "" = unknown */
	uint64_t last_seq;     /* last seq accepted, 0 = none */
	char last_sha[LS_SHA256_HEX_LEN + 1];
	struct dec_batch recent[DEC_RECENT]; /* ring, newest at head-1 */
	size_t nrecent, head;
};

/* What one accepted batch adds: counted under d->mu with the chain. */
struct dec_tally {
	json_t *uses; /* {"EXC\x1fRULE\x1fDAY": n} record uses */
	json_t *ctl;  /* {"EXC\x1fRULE\x1fCONTROL": n} for /metrics */
	json_t *info; /* {"EXC": {"owners": [], "tickets": [], "expires"}} */
};

struct ls_decisions {
	struct ls_decisions_opts o;
	struct ls_evidence *ev;
	char state_path[PATH_MAX];
	pthread_mutex_t mu; /* table, tallies, inflight, dirty */
	struct dec_chain *bucket[DEC_BUCKETS];
	size_t nchains;
	struct dec_tally t;	 /* owned */
	uint64_t untracked;	 /* uses not counted past DEC_KEYS_MAX */
	uint64_t inflight[1024]; /* log count when each group started */
	size_t ninflight;
	int dirty;		 /* memory differs from the file */
	int64_t written_ms;	 /* when the file was last written */
	pthread_mutex_t file_mu; /* one writer of state.json */
	double refuse_tokens;	 /* refused entries recorded, per second */
	int64_t refuse_ms;
	uint64_t refuse_suppressed; /* refusals not recorded (flood) */
	size_t mem_used;	    /* uncompressed bytes reserved */
	pthread_cond_t mem_cv;	    /* signalled when mem_used drops */
};

/* The signed note's fields (protocol section 2). */
struct bnote {
	char agent[LS_NAME_MAX + 1];
	uint64_t first, last, count, dropped;
	char sha[LS_SHA256_HEX_LEN + 1], prev[LS_SHA256_HEX_LEN + 1];
	char time[40];
	int parsed; /* the fields above are set */
};


/* One record line of an upload: its jansson tree (the strict path), or
 * the fields the fast path read (decrecord.c). */
struct dec_line {
	json_t *j;		    /* owned, or NULL: read by the fast path */
	uint64_t seq;		    /* the record's seq */
	const char *channel;	    /* fast path: NULL when absent or null */
	struct ls_evidence_dec dec; /* fast path: time, outcome, controls */
};

/* A member name of an object the fast path is reading. */
struct dec_key {
	const char *p;
	size_t n;
};

/* The fast path's memory: the names of the objects open in the line
 * being read (to find a duplicate), and keep, an arena for the fields of
 * every line of the upload. */
struct dec_reader {
	struct dec_key *keys;
	size_t nkeys, capkeys;
	struct ls_arena *keep;
};

int dec_reader_init(struct dec_reader *r); /* LS_ENOMEM */
void dec_reader_cleanup(struct dec_reader *r);

/*
 * Read a plain record line of agent (see decrecord.c) into *out (strings
 * in r->keep): 0 when it passes every check of the jansson path, 1 when
 * that path must read it (nothing is set), LS_ENOMEM.
 */
int dec_line_fast(struct dec_line *out, struct dec_reader *r, const char *agent,
    const char *p, size_t len);

/* "YYYY-MM-DDTHH:MM:SS[.ffffff]Z" of len bytes: 1 if so. */
int dec_rfc3339_ok(const char *s, size_t len);

/* Find (create) agent's chain under d->mu.  NULL on ENOMEM. */
struct dec_chain *dec_chain_get(struct ls_decisions *d, const char *agent);

/* Apply an accepted batch signed by key (hex, "" = unknown) to c and the
 * tallies (caller holds c->mu, takes d->mu here); a key other than the
 * chain's starts the chain anew (the name was enrolled again).  tally is
 * merged (may be NULL). */
void dec_chain_accept(struct ls_decisions *d, struct dec_chain *c,
    const struct dec_batch *b, const char *key, const struct dec_tally *tally);

/* Whether key (hex) starts c anew: c has batches of another key. */
int dec_chain_rekeyed(const struct dec_chain *c, const char *key);

/* A remembered batch of c with this sha256 and seqs, or NULL. */
const struct dec_batch *dec_chain_find(const struct dec_chain *c,
    const char *sha, uint64_t first, uint64_t last);

/* Charge bytes to agent's write budget without refusing (it may go below
 * zero, so the next batches wait). */
void dec_budget_charge(struct ls_decisions *d, const char *agent, size_t bytes);

/* Tally: init/cleanup and counting one record's "waived". */
int dec_tally_init(struct dec_tally *t);
void dec_tally_cleanup(struct dec_tally *t);
int dec_tally_record(struct dec_tally *t, json_t *record);

/* Merge src into dst (under d->mu). */
void dec_tally_merge(struct ls_decisions *d, const struct dec_tally *src);

/* Group start/end: add registers the log count now (a lower bound of the
 * group's index) into *count_out (LS_ERROR when every slot is taken); del
 * forgets it (after the chain update). */
int dec_inflight_add(struct ls_decisions *d, uint64_t *count_out);
void dec_inflight_del(struct ls_decisions *d, uint64_t count);

/* Write state.json when dirty and a second has passed (force: now). */
int dec_state_maybe_write(struct ls_decisions *d, int force);

/* decisions_state.c: load the file and replay the log after it. */
int dec_state_load(struct ls_decisions *d);

/* A waived entry's field fit for a key and a label: 1..256 bytes, no
 * control characters. */
int dec_label_ok(const char *s);

/*
 * decisions.c: the stateless checks of POST /v1/decisions, the very code
 * the upload runs, for unit tests and tests/fuzz/doc_batch.c.
 *
 * note_parse: the body of the Lockstep-Batch note (ls_note_body), the
 * protocol's eight lines in this order and nothing else; first, last and
 * count agree.  LS_EFORMAT.
 *
 * gunzip: inflate gzip (one member or several) into out, whose maximum
 * is the cap.  LS_EFORMAT, LS_ETOOBIG.
 *
 * lines_check: the uncompressed JSON Lines raw against the parsed note n,
 * as the upload checks them once their sha256 matched (not checked here):
 * n's count of records of n's agent, seqs ascending from n's first to its
 * last, each record valid; then the gap rule from seq next (the chain's
 * last accepted seq + 1).  LS_EFORMAT, LS_ETOOBIG, LS_ECONFLICT,
 * LS_ENOMEM.
 */
int ls_decisions_note_parse(struct bnote *n, const char *body, size_t len);
int ls_decisions_gunzip(struct ls_buf *out, const void *in, size_t len);
int ls_decisions_lines_check(const struct bnote *n, const char *raw,
    size_t len, uint64_t next);

#endif
