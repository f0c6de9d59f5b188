/*
 * declog_int.h - internals of the decision log shared by declog.c
 * (append, group commit, queue bound) and declog_disk.c (files, recovery).
 */
#ifndef LOCKSTEP_AGENT_DECLOG_INT_H
#define LOCKSTEP_AGENT_DECLOG_INT_H

#include <limits.h>
#include <pthread.h>

#include "declog.h"

#define DL_RESERVE_BLOCK 65536 /* seqs reserved ahead in seq.state */
#define DL_BOOT_MAX 64
#define DL_READ_MAX ((size_t)1 << 30) /* a segment read at start */

struct dl_seg {
	uint64_t first; /* first seq its name covers */
	uint64_t drops; /* system.log.drop count of its interval */
	uint64_t bytes;
	uint64_t lines;
	uint64_t last; /* seq of its last line */
	int fd;	       /* closing: still open, else -1 */
};

struct dl_vec {
	struct dl_seg *v;
	size_t n, cap;
};

struct ls_declog {
	struct ls_declog_opts o;
	char dir[PATH_MAX];
	char agent[128];
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_cond_t closed_cv; /* a handed-over segment was closed */
	pthread_mutex_t state_mu; /* writes of seq.state */
	pthread_t thr;
	int thr_started, stopping;
	uint64_t next;	   /* next seq to hand out */
	uint64_t reserved; /* seq.state reservation (durable) */
	char boot[DL_BOOT_MAX];
	/* the open segment; fd -1 until the first record after a close */
	int fd;
	struct dl_seg open;
	uint64_t open_synced;  /* bytes of it known fsynced */
	long long open_since;  /* ms (monotonic) of its first record */
	int open_dir_synced;   /* its directory entry fsynced */
	uint64_t drops_open;   /* policy drops since the last close */
	struct dl_vec closing; /* handed to the thread, in order */
	struct dl_vec closed;  /* durable, in order */
	int pinned;	       /* closed.v[0] is being uploaded */
	int lockfd;	       /* flock()ed DIR.lock: one writer */
	char prev[65];	       /* last acked batch sha256 */
	uint64_t acked_last;   /* its last seq */
	struct ls_declog_stats st;
	time_t time_sec;     /* the second time_text holds (record times) */
	char time_text[24]; /* "YYYY-MM-DDTHH:MM:SS" of time_sec */
};

void ls_dl_time(char out[32]); /* RFC 3339 UTC with microseconds */

int ls_dl_vec_push(struct dl_vec *v, const struct dl_seg *s);
void ls_dl_vec_remove(struct dl_vec *v, size_t i);

/* Path of a segment: FIRST.open (open != 0) or FIRST-DROPS.seg. */
void ls_dl_seg_path(char *out, size_t sz, const struct ls_declog *l,
    const struct dl_seg *s, int open);

/* Recover the directory at open (declog_disk.c): fills closed, next,
 * prev, acked_last, and handles the crash rule with seq.state. */
int ls_dl_recover(struct ls_declog *l);

/* Write seq.state with reservation res and the clean flag. */
int ls_dl_write_state(struct ls_declog *l, uint64_t res, int clean);

/* Write one line of a "dropped" record (first..last) with seq into buf
 * (sz bytes); returns its length or -1. */
int ls_dl_dropped_line(char *buf, size_t sz, const struct ls_declog *l,
    uint64_t seq, uint64_t first, uint64_t last, const char *reason);

#endif
