/*
 * declog.h - the agent's decision log: every decision record goes to an
 * append-only segment under STATE/decisions/ before its answer leaves.
 *
 * Files in STATE/decisions/:
 *   FIRST.open        the segment being written (FIRST: 20-digit seq of
 *                     its first line); write(2) per record, O_APPEND
 *   FIRST-DROPS.seg   a closed segment: fsynced, renamed, never changed
 *                     again (except when the queue bound replaces it by
 *                     one "dropped" line, see below); one closed segment
 *                     is one upload batch; DROPS counts the records the
 *                     bundle's system.log.drop dropped while it was open
 *   acked             "sha256 HEX\nlast SEQ\n": the last batch the server
 *                     acknowledged (its sha256 is the next batch's prev)
 *   seq.state         "boot ID\nreserved SEQ\nclean 0|1\n" (below)
 *
 * STATE/decisions.lock is flock()ed while the log is open: one process
 * writes a seq chain (a second is refused, LS_EIO).
 *
 * Durability: a record is write(2)n before ls_declog_append returns, so
 * kill -9 loses nothing that was answered (the page cache survives the
 * process).  A thread fsyncs the open segment every fsync_ms (group
 * commit) and closes segments (fsync, rename, fsync the directory).
 *
 * Seq rule (no gaps, no reuse of an answered id):
 *   - At start the next seq is one past the newest line on disk (or the
 *     acked last seq when every segment was uploaded).  A torn last line
 *     (no "\n", bad JSON or wrong seq) is cut and its seq reused: the
 *     answer of a record leaves only after write(2) returned the whole
 *     line, so under kill -9 (same boot) a torn line was never answered.
 *   - After a power cut or OS crash (boot id changed and the last stop
 *     was not clean) answered records of the last fsync interval may be
 *     gone without a trace.  Seqs are therefore reserved ahead in
 *     seq.state (fsynced, in blocks); in that case the log continues at
 *     reserved+1 after a "dropped" line (reason "crash") covering every
 *     seq that may have been handed out, so the loss is announced and no
 *     id is ever given to two decisions.
 *
 * Queue bound: the bytes of all segments stay under queue_max.  In drop
 * mode a full queue replaces the oldest closed segments (never the next
 * one to upload, which the server may already hold) each by a segment of
 * a single "dropped" line: it takes the seq of the newest record lost and
 * announces first..last-1, so the chain of batches stays gapless.  In
 * required mode ls_declog_append refuses with LS_ETOOBIG instead.
 */
#ifndef LOCKSTEP_AGENT_DECLOG_H
#define LOCKSTEP_AGENT_DECLOG_H

#include <stddef.h>
#include <stdint.h>

#define LS_DECLOG_DIR "decisions"
#define LS_DECLOG_LINE_MAX (256 * 1024)	    /* one record, as the server */
#define LS_DECLOG_SEGMENT_MAX (1024 * 1024) /* default rotation size */
#define LS_DECLOG_SEGMENT_AGE_MS 5000	    /* default rotation age */
#define LS_DECLOG_QUEUE_MAX (256ull << 20)  /* default queue bound */
#define LS_DECLOG_ID_MAX 160		    /* "AGENT-SEQ" */
#define LS_DECLOG_FSYNC_BUCKETS 12	    /* latency histogram */

struct ls_declog_opts {
	const char *state_dir;
	const char *agent;
	long fsync_ms;	      /* group commit interval, >= 1 */
	uint64_t queue_max;   /* bytes of all segments */
	int required;	      /* 1: refuse records when full */
	uint64_t segment_max; /* bytes before a segment closes */
	long segment_age_ms;  /* age before a non-empty one closes */
};

/* Counters for /metrics; a consistent copy under the log's lock. */
struct ls_declog_stats {
	uint64_t records;	 /* written since start */
	uint64_t queued_records; /* lines in segments not yet acked */
	uint64_t queue_bytes;	 /* bytes of those segments */
	uint64_t dropped_queue;	 /* records lost to the queue bound */
	uint64_t dropped_policy; /* records system.log.drop dropped */
	uint64_t refused_full;	 /* appends refused (required mode) */
	uint64_t fsyncs;
	double fsync_seconds;			    /* sum of fsync latencies */
	uint64_t fsync_le[LS_DECLOG_FSYNC_BUCKETS]; /* cumulative counts */
};
extern const double ls_declog_fsync_bounds[LS_DECLOG_FSYNC_BUCKETS];

/* The oldest closed segment, as the uploader sees it. */
struct ls_declog_batch {
	char path[4096];     /* file to read */
	uint64_t name_first; /* first seq its name covers */
	uint64_t dropped;    /* system.log.drop count of its interval */
};

struct ls_declog;

/*
 * Create STATE/decisions if needed, recover segments left by a crash
 * (cut a torn tail, close every .open), find the next seq and start the
 * fsync thread.  LS_EIO, LS_EFORMAT for a damaged acked/seq.state file.
 */
int ls_declog_open(struct ls_declog **out, const struct ls_declog_opts *o);

/* Close the open segment (fsync, rename), mark the stop clean, stop the
 * thread.  NULL is a no-op. */
void ls_declog_close(struct ls_declog *l);

/*
 * Append one record.  fields is a compact JSON object ("{...}") without
 * id, seq, time and agent; the log puts those first, assigns the next
 * seq and write(2)s the line.  id (LS_DECLOG_ID_MAX bytes) gets
 * "AGENT-SEQ".  LS_ETOOBIG when the line is too long or, in required
 * mode, when the queue is full; LS_EIO when the write fails (nothing
 * acknowledged).
 */
int
ls_declog_append(struct ls_declog *l, char *id, const char *fields, size_t len);

/* Count one record dropped by the bundle's system.log.drop. */
void ls_declog_count_drop(struct ls_declog *l);

/* Close the open segment now if it holds records (clean stop, tests). */
int ls_declog_rotate(struct ls_declog *l);

/* Rotate and wait (at most bound_ms) until it is closed and durable. */
void ls_declog_flush(struct ls_declog *l, long bound_ms);

/*
 * The oldest closed segment to upload: 0 and *out filled, LS_ENOTFOUND
 * when none.  It stays pinned (never dropped) until ls_declog_acked or
 * ls_declog_unpin.
 */
int ls_declog_next(struct ls_declog *l, struct ls_declog_batch *out);
void ls_declog_unpin(struct ls_declog *l);

/* The previous acknowledged batch's sha256 hex (64 zeros at first). */
void ls_declog_prev(struct ls_declog *l, char out[65]);

/* The server acknowledged batch b whose bytes hash to sha_hex and end at
 * seq last: persist that (acked), then delete the segment.  LS_EIO. */
int ls_declog_acked(struct ls_declog *l, const struct ls_declog_batch *b,
    const char *sha_hex, uint64_t last);

void ls_declog_stats(struct ls_declog *l, struct ls_declog_stats *out);

/* SHA-256 hex of data with OpenSSL (several times faster than the
 * portable code behind ls_sha256 on CPUs with SHA extensions; records
 * and batches hash every byte they carry). */
void ls_declog_sha256_hex(char out[65], const void *data, size_t len);

/* Read a segment file of at most max bytes (*out: caller frees), with a
 * buffer sized to the file.  LS_ENOTFOUND, LS_ETOOBIG, LS_EIO. */
int ls_declog_read(char **out, size_t *len, const char *path, size_t max);

#endif
