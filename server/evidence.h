/*
 * evidence.h - the server's evidence store: one append-only RFC 6962 log
 * kept as C2SP tlog-tiles under DATA/evidence/ (see evidence_impl.h for
 * the files).
 *
 * An entry is one JSON object {"n", "time", "kind", "channel", "agent",
 * "details"}; n counts from 0 and the entry's bytes are its Merkle leaf.
 * Appends are group-committed: concurrent callers share one write and
 * one fdatasync, and each returns only once its entries are durable.
 * kill -9 at any moment reopens to at least every acknowledged entry.
 * Tiles, Hive partitions and the SQLite index follow in the background
 * ("materialised", usually within a second); checkpoints, proofs and
 * queries answer for the materialised tree.  Opening reads only the WAL
 * beyond it.  Thread-safe.
 */
#ifndef LOCKSTEP_SERVER_EVIDENCE_H
#define LOCKSTEP_SERVER_EVIDENCE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "lockstep/buf.h"
#include "merkle.h"

#define LS_EVIDENCE_LINE_MAX (512 * 1024)	 /* one entry */
#define LS_EVIDENCE_QUERY_MAX (64 * 1024 * 1024) /* one answer */

struct ls_evidence;

/* Called while opening for each entry of the WAL that was not yet
 * materialised (not for the whole log).  Non-zero stops with that code. */
typedef int (*ls_evidence_visit_fn)(void *arg, json_t *entry);

/*
 * Open (create) DATA/evidence/, recover the WAL tail (an append cut short
 * by a crash is cut off whole: appends are all or nothing) and
 * materialise it.  An old DATA/evidence/log.jsonl (the
 * hash-chained log of earlier versions) is migrated: its entries are
 * re-appended in order with their times, then it is renamed
 * log.jsonl.migrated.  LS_EFORMAT for a damaged store, LS_EIO.
 */
int ls_evidence_open(struct ls_evidence **out, const char *data_dir,
    ls_evidence_visit_fn visit, void *arg);
void ls_evidence_free(struct ls_evidence *ev);

/*
 * Append one entry; details is borrowed (NULL gives {}), channel and agent
 * may be NULL.  Returns after fsync.  LS_EIO, LS_ETOOBIG, LS_ENOMEM.
 */
int ls_evidence_append(struct ls_evidence *ev, const char *kind,
    const char *channel, const char *agent, json_t *details);

struct ls_evidence_item {
	const char *kind;    /* "decision", "batch", "refused", "build", ... */
	const char *channel; /* may be NULL */
	const char *agent;   /* may be NULL */
	json_t *details;     /* borrowed; for "decision" the record itself */
};

/* Append n entries as one group, in order, and return only when all are
 * durable (group commit: concurrent callers share one fsync).  *first_out
 * (may be NULL) gets the log index of the first.  LS_ETOOBIG, LS_EIO,
 * LS_ENOMEM; on failure none of them is acknowledged.  A crash at any
 * moment leaves all of them in the log or none. */
int ls_evidence_append_many(struct ls_evidence *ev,
    const struct ls_evidence_item *items, size_t n, uint64_t *first_out);

/* details of item i as JSON text, when the caller has it (e.g. a line
 * as received): stored as is, instead of serialising details again.  It
 * must be the text details was parsed from; data NULL serialises. */
struct ls_evidence_text {
	const char *data;
	size_t len;
};

/* ls_evidence_append_many with texts (NULL: serialise every details). */
int ls_evidence_append_texts(struct ls_evidence *ev,
    const struct ls_evidence_item *items, const struct ls_evidence_text *texts,
    size_t n, uint64_t *first_out);

/* A decision record's index fields as the caller read them from its
 * text, so that no details tree is needed.  time NULL: none given. */
struct ls_evidence_dec {
	const char *time;	     /* the record's own time, RFC 3339 */
	const char *outcome;	     /* NULL when absent or not a string */
	const char *const *controls; /* its non-empty control strings */
	size_t ncontrols;
};

/* ls_evidence_append_texts where item i, a "decision" with its text, may
 * come with decs[i] (decs may be NULL) instead of details (then NULL). */
int ls_evidence_append_decs(struct ls_evidence *ev,
    const struct ls_evidence_item *items, const struct ls_evidence_text *texts,
    const struct ls_evidence_dec *decs, size_t n, uint64_t *first_out);

/* The entry at index as stored (a JSON object with at least "n", "time",
 * "kind", "channel", "agent", "details"); caller frees.  LS_ENOTFOUND past
 * the end.  Does not take the write lock. */
int ls_evidence_get(struct ls_evidence *ev, uint64_t index, json_t **out);

/* Every entry from index from to the count now, in order, to fn (the
 * entry is borrowed); reads each entry bundle once, not once an entry.
 * Non-zero from fn stops with that code.  Does not take the write lock. */
int ls_evidence_scan(struct ls_evidence *ev, uint64_t from,
    int (*fn)(void *arg, json_t *entry, uint64_t index), void *arg);

/* Number of entries acknowledged so far. */
uint64_t ls_evidence_count(struct ls_evidence *ev);

/* Called by the materialiser (its own thread, no lock held) after each
 * batch with the new materialised size, e.g. to sign a checkpoint. */
void ls_evidence_on_commit(struct ls_evidence *ev,
    void (*fn)(void *arg, uint64_t size), void *arg);

/* Wait (at most ms) until everything acknowledged now is materialised.
 * LS_ETIMEOUT. */
int ls_evidence_sync(struct ls_evidence *ev, unsigned ms);

/* Start-up state kept in the index instead of a replay: each build tag
 * that failed or was held by a pin, and each agent's highest report seq.
 * Non-zero from fn stops with that code. */
int ls_evidence_builds_known(struct ls_evidence *ev,
    int (*fn)(void *arg, const char *channel, const char *tag), void *arg);
int ls_evidence_report_seqs(struct ls_evidence *ev,
    int (*fn)(void *arg, const char *agent, uint64_t seq), void *arg);

struct ls_evidence_filter {
	time_t since, until;		    /* inclusive bounds; 0 = open */
	const char *agent, *channel, *kind; /* NULL = any */
	const char *outcome;		    /* decisions; NULL = any */
	/* A control id ("soc2:CC6.1"): builds and publishes whose release
	 * covers it, and every entry naming such a bundle (operator
	 * actions, reports of agents running it).  NULL = any. */
	const char *control;
	/* With kind (not "decision") and no control: read the kind's Hive
	 * partitions (kind=K/framework=none/control=none) day by day over
	 * [since, until or now] instead of the index; e.g. one kind's
	 * entries spread thinly over a long log.  0 = the index. */
	int by_partition;
};

/*
 * A query over the first size entries (size: the materialised tree, e.g.
 * a signed checkpoint's).  Queries by control use the partitions, the
 * others the SQLite index; neither takes the write lock.  Lines come in
 * chunks so an HTTP answer can stream them.
 */
struct ls_evidence_query;
int ls_evidence_query_open(struct ls_evidence_query **out,
    struct ls_evidence *ev, const struct ls_evidence_filter *f, uint64_t size);
/* Append the next matching lines (each ending in "\n") to out until it
 * grew by about want bytes or a few thousand candidates were looked at
 * (so it may add nothing).  1 when there are no more, 0 when there may
 * be more, or an ls_err. */
int ls_evidence_query_next(struct ls_evidence_query *q, struct ls_buf *out,
    size_t want);
void ls_evidence_query_free(struct ls_evidence_query *q);

/* Every matching line into out (tests, small answers).  LS_ETOOBIG past
 * LS_EVIDENCE_QUERY_MAX. */
int ls_evidence_query(struct ls_evidence *ev, struct ls_buf *out,
    const struct ls_evidence_filter *f);

/*
 * Merge the partition files of days that are over (two days before now,
 * 0 = the clock), as the store does by itself every minute it is idle
 * when compaction is on:
 * one pass of the materialiser, waited for at most ms.  out (may be
 * NULL): what compaction did since open.  LS_ETIMEOUT.
 */
struct ls_evidence_compacted {
	uint64_t days, files; /* day folders compacted, files merged away */
	uint64_t busy;	      /* days left for later: a reader held them */
	uint64_t failed;
	char error[256]; /* the last failure, "" if none */
};
int ls_evidence_compact(struct ls_evidence *ev, time_t now, unsigned ms,
    struct ls_evidence_compacted *out);
/* Whether the store compacts by itself when idle (off by default: it
 * deletes the files it merges, which a copy that only adds files must
 * know of; see the server's --compact-partitions). */
void ls_evidence_set_compaction(struct ls_evidence *ev, int on);

/*
 * Check a store without the server: every entry bundle against the
 * level-0 tiles, every tile against the tiles above it, every partition
 * line against the entry it names, the partition count against the
 * entries.  *count_out gets the number of materialised entries.
 * LS_EFORMAT / LS_EMISMATCH naming the first bad file, LS_EIO.
 */
int ls_evidence_verify(const char *data_dir, uint64_t *count_out);

/* Every acknowledged entry of DATA's store, one line each, to fd
 * (entry bundles, then the WAL beyond them); safe while the server
 * runs.  LS_ENOTFOUND without a store, LS_EIO. */
int ls_evidence_dump(const char *data_dir, int fd);

/* Size and root of the materialised tree (what a checkpoint signs). */
void ls_evidence_root(struct ls_evidence *ev, uint64_t *size_out,
    uint8_t root[LS_SHA256_LEN]);

/* Leaf hash and inclusion proof of entry index in the tree of the first
 * size entries, from the tiles (O(log n) reads; waits up to 5 s for the
 * materialiser when size is past it).  LS_ENOTFOUND when index >= size or
 * size > entries. */
int ls_evidence_proof(struct ls_evidence *ev, uint64_t index, uint64_t size,
    uint8_t leaf[LS_SHA256_LEN],
    uint8_t proof[LS_MERKLE_MAX_PROOF][LS_SHA256_LEN], size_t *len_out);

/* Many inclusion proofs in the tree of the first size entries (size at
 * most the materialised tree): each tile read once while the indexes stay
 * near each other, then a few lookups per proof; bounded memory (evprove.c).
 * The same leaf and proof as ls_evidence_proof. */
struct ls_evidence_prover;
int ls_evidence_prover_open(struct ls_evidence_prover **out,
    struct ls_evidence *ev, uint64_t size);
int ls_evidence_prover_proof(struct ls_evidence_prover *p, uint64_t index,
    uint8_t leaf[LS_SHA256_LEN],
    uint8_t proof[LS_MERKLE_MAX_PROOF][LS_SHA256_LEN], size_t *len_out);
void ls_evidence_prover_free(struct ls_evidence_prover *p);

/* Every control "FRAMEWORK:ID" of the framework that a decision partition
 * names, in no order.  Non-zero from fn stops with that code. */
int ls_evidence_controls(struct ls_evidence *ev, const char *framework,
    int (*fn)(void *arg, const char *control), void *arg);

/* Consistency proof from tree size m to n (m <= n), from the tiles. */
int ls_evidence_consistency(struct ls_evidence *ev, uint64_t m, uint64_t n,
    uint8_t proof[LS_MERKLE_MAX_PROOF][LS_SHA256_LEN], size_t *len_out);

/* Offline: the materialised size and root of DATA's store from its
 * tiles (no server).  LS_ENOTFOUND without a store. */
int ls_evidence_tree_root(const char *data_dir, uint64_t size, uint64_t *h_out,
    uint8_t root[LS_SHA256_LEN]);

#endif
