/*
 * evidence.h - the append-only evidence log under DATA/evidence/log.jsonl.
 *
 * One JSON object per line: {"n", "time", "kind", "channel", "agent",
 * "details", "prev"} where prev is the hex SHA-256 of the previous line's
 * bytes (without its newline; 64 zeros for the first line) and n counts
 * lines from 0.  An append is written and fsynced before it returns, so a
 * caller may acknowledge it.  A torn last line (no newline: the process
 * died while writing it, nobody was told it was written) is cut off when
 * the log is opened.  Thread-safe.
 */
#ifndef LOCKSTEP_SERVER_EVIDENCE_H
#define LOCKSTEP_SERVER_EVIDENCE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "lockstep/buf.h"
#include "merkle.h"

#define LS_EVIDENCE_LINE_MAX (256 * 1024)	 /* one entry */
#define LS_EVIDENCE_QUERY_MAX (64 * 1024 * 1024) /* one answer */

struct ls_evidence;

/* Called for every entry while opening (the log is replayed so the caller
 * can rebuild in-memory state).  Return non-zero to stop with that code. */
typedef int (*ls_evidence_visit_fn)(void *arg, json_t *entry);

/*
 * Open (create) DATA/evidence/log.jsonl, check the whole chain and call
 * visit (may be NULL) for each entry.  LS_EFORMAT naming the line on a
 * broken chain (the server refuses to append to a log it cannot extend
 * honestly), LS_EIO.
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

/* Number of entries so far. */
uint64_t ls_evidence_count(struct ls_evidence *ev);

struct ls_evidence_filter {
	time_t since, until;		    /* inclusive bounds; 0 = open */
	const char *agent, *channel, *kind; /* NULL = any */
	/* A control id ("soc2:CC6.1"): builds and publishes whose release
	 * covers it, and every entry naming such a bundle (operator
	 * actions, reports of agents running it).  NULL = any. */
	const char *control;
};

/* Matching lines (each ending in "\n") into out.  LS_ETOOBIG past
 * LS_EVIDENCE_QUERY_MAX. */
int ls_evidence_query(struct ls_evidence *ev, struct ls_buf *out,
    const struct ls_evidence_filter *f);

/*
 * Check the chain of DATA/evidence/log.jsonl without the server: every
 * line is a JSON object with the fields above, n counts up from 0, prev
 * matches.  *count_out gets the number of entries.  LS_EFORMAT naming
 * the first bad line, LS_ENOTFOUND, LS_EIO.
 */
int ls_evidence_verify(const char *data_dir, uint64_t *count_out);

/*
 * The log is also an RFC 6962 Merkle tree whose leaves are the entry lines
 * (without newline).  Size and root of the tree now:
 */
void ls_evidence_root(struct ls_evidence *ev, uint64_t *size_out,
    uint8_t root[LS_SHA256_LEN]);

/* Leaf hash and inclusion proof of entry index in the tree of the first
 * size entries.  LS_ENOTFOUND when index >= size or size > entries. */
int ls_evidence_proof(struct ls_evidence *ev, uint64_t index, uint64_t size,
    uint8_t leaf[LS_SHA256_LEN],
    uint8_t proof[LS_MERKLE_MAX_PROOF][LS_SHA256_LEN], size_t *len_out);

/* Leaf hashes of DATA/evidence/log.jsonl (whole lines, chain checked) for
 * offline checks; *leaves_out is the caller's to free. */
int ls_evidence_tree(const char *data_dir,
    uint8_t (**leaves_out)[LS_SHA256_LEN], uint64_t *count_out);

struct ls_evidence_item {
	const char *kind;    /* "decision", "batch", "refused", "build", ... */
	const char *channel; /* may be NULL */
	const char *agent;   /* may be NULL */
	json_t *details;     /* borrowed; for "decision" the record itself */
};

/* Append n entries as one group, in order, and return only when all are
 * durable (group commit: concurrent callers share one fsync).  *first_out
 * (may be NULL) gets the log index of the first.  LS_ETOOBIG, LS_EIO,
 * LS_ENOMEM; on failure none of them is acknowledged. */
int ls_evidence_append_many(struct ls_evidence *ev,
    const struct ls_evidence_item *items, size_t n, uint64_t *first_out);

/* The entry at index as stored (a JSON object with at least "n", "time",
 * "kind", "channel", "agent", "details"); caller frees.  LS_ENOTFOUND past
 * the end.  Does not take the write lock. */
int ls_evidence_get(struct ls_evidence *ev, uint64_t index, json_t **out);

#endif
