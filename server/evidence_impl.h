/*
 * evidence_impl.h - private to the evidence store (evidence.c, evtiles.c,
 * evindex.c, evquery.c, evmigrate.c).
 *
 * DATA/evidence/
 *   wal/<first:020>.wal   the write-ahead log: what an acknowledgement
 *                         means.  Records are a 4-byte big-endian length
 *                         and the entry; the length's top bit
 *                         (EV_WAL_MORE) is set on every record of one
 *                         append but its last, so that an append cut
 *                         short by kill -9 (a write(2) interrupted
 *                         between pages leaves whole records of it) is
 *                         cut off whole on open.  Group commit = one
 *                         write, one fdatasync.  Segments roll at 64 MiB
 *                         and are deleted once everything in them is
 *                         materialised.
 *   tile/<L>/<N>[.p/<W>]  C2SP tlog-tiles hash tiles, height 8
 *   tile/entries/<N>[.p/<W>]  entry bundles
 *   partitions/kind=K/framework=F/control=C/year=Y/month=M/day=D/
 *                         <first:020>.jsonl, one file per partition per
 *                         materialised batch (first = the batch's first
 *                         log index, so names sort in log order); once
 *                         the day is over, merged into
 *                         <first:020>-<last:020>.jsonl (evcompact.c)
 *   compact/              compaction's lock, journal and scratch folder
 *   index.sqlite          SQLite: how far tiles and partitions are
 *                         complete ("materialised", H), the right edge,
 *                         and the per-kind / per-agent index
 *   checkpoint.note       the signed checkpoint (tlog-checkpoint)
 *
 * Appends go to the WAL (acknowledged), then to an in-memory tail; one
 * materialiser thread turns the tail into tiles, partitions and index
 * rows, syncfs()es, commits H in SQLite, then signs a checkpoint of size
 * H.  On open only the WAL beyond H is read, so restart does not grow
 * with the log.
 */
#ifndef LOCKSTEP_SERVER_EVIDENCE_IMPL_H
#define LOCKSTEP_SERVER_EVIDENCE_IMPL_H

#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>
#include <sqlite3.h>

#include "evidence.h"
#include "merkle.h"

#define EV_TILE_H 8
#define EV_TILE_W 256
#define EV_LEVELS 8		/* tile levels for 2^64 leaves */
#define EV_WAL_ROLL (64u << 20) /* bytes per WAL segment */
#define EV_TAIL_MAX (64u << 20) /* unmaterialised bytes in memory */
#define EV_BATCH_MAX 65536	/* entries per materialised batch */
#define EV_APPEND_MAX                                                          \
	1000000		 /* entries of one append_many (a decision
				 batch is up to 200,000 lines and more) */
#define EV_BATCH_MS 500	 /* longest wait before materialising */
#define EV_PART_PATH 512 /* one partition's relative path */
#define EV_MAX_PARTS 64	 /* partitions of one entry */

/* One entry: its line (the leaf data) and what the index needs. */
struct ev_ent {
	uint64_t n;
	char *line; /* {"n":N,...} without newline, owned */
	size_t len;
	char *body; /* before n is known: {"time",...}, owned */
	size_t blen;
	char kind[32];
	char *channel, *agent, *outcome, *tag; /* owned or NULL */
	int build_known;		       /* failed or held build */
	int64_t report_seq;		       /* report: seq, else -1 */
	int enroll;			       /* an enrolment: seqs start over */
	time_t t;			       /* index and partition time */
	char **parts;			       /* partition paths */
	size_t nparts;
	int packed; /* channel, agent, outcome and parts live in e's own
		     * allocation (a decision's fast path) */
};

/* What compaction did since open (evcompact.c). */
struct ev_compact_stats {
	uint64_t passes, days, files, busy, failed;
	char error[256]; /* the last failure */
};

/* The growing right edge of the tiles (materialiser only). */
struct ev_edge {
	uint8_t tile[EV_LEVELS][EV_TILE_W][LS_SHA256_LEN];
	unsigned count[EV_LEVELS]; /* hashes in tile[L] */
	unsigned written[EV_LEVELS];
	int partial[EV_LEVELS]; /* some .p/ of the current tile is on disk */
	char *bundle;		/* entry bundle bytes so far */
	size_t blen, bcap;
	unsigned bcount, bwritten;
	int bpartial;
};

struct ls_evidence {
	char data[PATH_MAX]; /* DATA */
	char dir[PATH_MAX];  /* DATA/evidence */
	int dirfd;

	/* write side: q_mu */
	pthread_mutex_t q_mu;
	pthread_cond_t q_cond;
	struct ev_req *q_head, *q_tail;
	int writing, failed;
	uint64_t next_n;    /* entries acknowledged */
	int wal_fd;	    /* current segment */
	uint64_t wal_first; /* its first entry */
	off_t wal_off;	    /* its size */

	/* tail: t_mu */
	pthread_mutex_t t_mu;
	pthread_cond_t t_cond; /* tail grew, or H moved */
	struct ev_ent **tail;  /* entries [h, next_n) */
	size_t ntail, captail;
	size_t tail_bytes;
	uint64_t h;			 /* materialised (tiles, partitions) */
	struct ls_merkle_frontier front; /* tree of the first h */
	int stop, mat_started, mat_busy, mat_error;
	int sync_waiters;
	pthread_t mat;
	void (*on_commit)(void *arg, uint64_t size);
	void *commit_arg;

	/* compaction (evcompact.c): requests under t_mu */
	unsigned compact_req, compact_done;
	time_t compact_now; /* the clock a request judges days by, 0 = now */
	/* materialiser only */
	struct ev_compact_stats compact;
	char compact_after[EV_PART_PATH]; /* where the next pass goes on */
	long long compact_next;		  /* ls_mono_ms of the next pass */
	int compact_off; /* the file system cannot exchange folders */
	int compact_on;	 /* passes by itself when idle (t_mu) */
	struct ev_edge *edge;
	sqlite3 *db;
};

/* evidence.c */
int ev_wal_open(struct ls_evidence *ev, uint64_t first);
#define EV_WAL_MORE 0x80000000u /* in a record's length: the append goes on */
/* The entry length of the WAL record at p (4 bytes there). */
size_t ev_wal_len(const char *p);
/* Bytes of WAL data[0, len) that hold whole appends: records cut short
 * and the records of an append whose last record is missing excluded. */
size_t ev_wal_whole(const char *data, size_t len);
/* Whether the WAL record at p ends its append. */
int ev_wal_ends(const char *p);
void ev_ent_free(struct ev_ent *e);
void ev_ent_clear(struct ev_ent *e); /* frees what e holds, not e */
/* RFC 3339 UTC with or without a fraction, to seconds.  -1 if not. */
int ev_parse_time(time_t *out, const char *s);
int ev_ent_meta(struct ev_ent *e, json_t *entry);
/* evtext.c: the stored text {"time","kind","channel","agent","details"}
 * with details (dlen bytes of JSON, outer blanks dropped) copied as is.
 * LS_ETOOBIG, LS_ENOMEM. */
int ev_entry_text(char **out, size_t *len_out, const char *when,
    const char *kind, const char *channel, const char *agent,
    const char *details, size_t dlen);
int ev_path(char *out, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* evtiles.c: tile paths, the right edge, reading tiles and bundles. */
int ev_tile_path(char *out, size_t n, const char *dir, int level,
    uint64_t index, unsigned width);
int ev_edge_load(struct ls_evidence *ev, uint64_t h);
/* Add e (n == the tree size so far) to the edge; writes full tiles. */
int ev_edge_add(struct ls_evidence *ev, const struct ev_ent *e,
    uint8_t leaf[LS_SHA256_LEN]);
/* Write the partial tiles and bundle of the edge now. */
int ev_edge_flush(struct ls_evidence *ev, uint64_t size);
/* Read a whole file of at most max bytes (allocates its size only). */
int ev_read_file(char **out, size_t *len_out, const char *path, size_t max);
/* Write len bytes to dir-relative path by temp file and rename (no
 * fsync: the batch ends with syncfs). */
int ev_write_file(struct ls_evidence *ev, const char *rel, const void *data,
    size_t len);
/* The same with the bytes of iov[0..n), which it uses up. */
struct iovec;
int ev_write_filev(struct ls_evidence *ev, const char *rel, struct iovec *iov,
    int n);

struct ev_reader {
	const char *dir;
	uint64_t size; /* tree size the reads answer for */
	uint64_t h;    /* materialised size when made (>= size) */
	int level;     /* cached tile, -2 none */
	uint64_t index;
	unsigned count;
	uint8_t *buf; /* EV_TILE_W hashes or a bundle */
	size_t blen;
};
void
ev_reader_init(struct ev_reader *r, const char *dir, uint64_t size, uint64_t h);
void ev_reader_cleanup(struct ev_reader *r);
/* ls_merkle_node_fn over the tiles of r->size. */
int ev_reader_node(void *arg, unsigned level, uint64_t index,
    uint8_t out[LS_SHA256_LEN]);
/* Entry index (< r->size) from its bundle: *line points into r's
 * buffer, valid until the next read. */
int ev_reader_entry(struct ev_reader *r, uint64_t index, const char **line,
    size_t *len);

/* evindex.c: SQLite and partitions. */
int ev_index_open(struct ls_evidence *ev, uint64_t *h_out);
void ev_index_close(struct ls_evidence *ev);
/* Partitions, index rows and the new H for entries [from, from+n). */
int ev_index_batch(struct ls_evidence *ev, struct ev_ent **ents, size_t n,
    uint64_t from);
int ev_index_commit(struct ls_evidence *ev, uint64_t h);
void ev_index_abort(struct ls_evidence *ev);
int ev_index_reader(const char *dir, sqlite3 **out);
/* LS_EIO "evidence index: WHAT: sqlite's message". */
int ev_db_error(sqlite3 *db, const char *what);
/* DIR/partitions/PART/<first>.jsonl, or <first>-<merged>.jsonl for a
 * compacted file (merged: the files row's merged, 0 when NULL). */
int ev_part_file(char *out, size_t n, const char *dir, const char *part,
    uint64_t first, uint64_t merged);

/* evcompact.c: day folders over merged (see there). */
#define EV_COMPACT_EVERY_MS 60000 /* between passes of an idle store */
#define EV_COMPACT_BUDGET_MS 2000 /* of one pass */
extern int ev_compact_stop_at;	  /* tests: stop after step N, as a crash */
/* Finish or undo what a crash left; makes compact/lock.  At open. */
int ev_compact_recover(struct ls_evidence *ev);
/* Merge the day folders older than EV_COMPACT_DAYS before now, for at
 * most budget_ms; materialiser thread only.  An ls_err of the first
 * day that failed (the pass stops there). */
int ev_compact_pass(struct ls_evidence *ev, time_t now, long budget_ms,
    struct ev_compact_stats *stats);
/* Readers of partition files by name hold this (shared) while they
 * read: fd, or -1 where the store has no lock file (never compacted). */
int ev_parts_share(const char *evdir);
void ev_parts_unshare(int fd);
int ev_part_rel(char *out, size_t n, const char *kind, const char *control,
    time_t t);

/* Re-append an old entry keeping its time (migration). */
int ev_append_at(struct ls_evidence *ev, json_t **old, size_t n);
/* Wait until the materialiser has done every entry acknowledged now (at
 * most ms milliseconds).  LS_ETIMEOUT. */
int ev_sync(struct ls_evidence *ev, unsigned ms);

/* evmigrate.c */
int ev_migrate(struct ls_evidence *ev);

#endif
