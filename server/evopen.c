/*
 * evopen.c - opening the evidence store (the WAL beyond what is
 * materialised, nothing else) and the materialiser thread.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "evidence_impl.h"
#include "lockstep/error.h"
#include "lockstep/timefmt.h"
#include "lockstep/file.h"

#define MAX_SEGMENTS 100000

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* First entries of the WAL segments, sorted. */
static int
wal_list(struct ls_evidence *ev, uint64_t **out, size_t *n_out)
{
	char dir[PATH_MAX];
	struct dirent *de;
	uint64_t *v = NULL, *nv;
	size_t n = 0, cap = 0;
	char *end;
	DIR *d;
	int rc;

	*out = NULL;
	*n_out = 0;
	if ((rc = ev_path(dir, sizeof(dir), "%s/wal", ev->dir)) != 0 ||
	    (rc = ls_file_mkdirs(dir, 0755)) != 0)
		return rc;
	if ((d = opendir(dir)) == NULL)
		return ls_error_set(LS_EIO, "%s: %s", dir, strerror(errno));
	while ((de = readdir(d)) != NULL) {
		if (strlen(de->d_name) != 24 ||
		    strcmp(de->d_name + 20, ".wal") != 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			if (cap > MAX_SEGMENTS ||
			    (nv = realloc(v, cap * sizeof(*v))) == NULL) {
				closedir(d);
				free(v);
				return ls_error_set(LS_ETOOBIG,
				    "%s: too many segments", dir);
			}
			v = nv;
		}
		v[n++] = strtoull(de->d_name, &end, 10);
	}
	closedir(d);
	if (n > 0)
		qsort(v, n, sizeof(*v), cmp_u64);
	*out = v;
	*n_out = n;
	return 0;
}

/* One WAL record at idx into the tail; 1 when it is not a whole, valid
 * record (a torn tail). */
static int
wal_record(struct ls_evidence *ev, const char *p, size_t len, uint64_t idx)
{
	char want[32];
	struct ev_ent *e = NULL;
	json_t *j = NULL;
	int k, rc = 0;

	k = snprintf(want, sizeof(want), "{\"n\":%" PRIu64 ",", idx);
	if (len < (size_t)k || memcmp(p, want, (size_t)k) != 0 ||
	    (j = json_loadb(p, len, 0, NULL)) == NULL)
		return 1;
	if ((e = calloc(1, sizeof(*e))) == NULL ||
	    (e->line = malloc(len + 1)) == NULL) {
		rc = ls_error_set(LS_ENOMEM, "evidence: out of memory");
		goto out;
	}
	memcpy(e->line, p, len);
	e->line[len] = '\0';
	e->len = len;
	e->n = idx;
	if (ev_ent_meta(e, j) != 0) {
		rc = 1;
		ls_error_clear();
		goto out;
	}
	ev->tail[ev->ntail++] = e;
	ev->tail_bytes += len;
	e = NULL;
out:
	ev_ent_free(e);
	json_decref(j);
	return rc;
}

static int
tail_reserve(struct ls_evidence *ev, size_t more)
{
	struct ev_ent **v;
	size_t cap = ev->captail ? ev->captail : 4096;

	while (cap < ev->ntail + more)
		cap *= 2;
	if (cap == ev->captail)
		return 0;
	if ((v = realloc(ev->tail, cap * sizeof(*v))) == NULL)
		return ls_error_set(LS_ENOMEM, "evidence: out of memory");
	ev->tail = v;
	ev->captail = cap;
	return 0;
}

/* Tail entries from..ntail (one whole append) to visit. */
static int
visit_group(struct ls_evidence *ev, size_t from, ls_evidence_visit_fn visit,
    void *arg)
{
	json_t *j;
	int rc = 0;

	for (; visit != NULL && from < ev->ntail && rc == 0; from++) {
		if ((j = json_loadb(ev->tail[from]->line, ev->tail[from]->len,
			 0, NULL)) == NULL)
			return ls_error_set(LS_ENOMEM,
			    "evidence: out of memory");
		rc = visit(arg, j);
		json_decref(j);
	}
	return rc;
}

/* Drop tail entries from..ntail (an append cut short). */
static void
tail_cut(struct ls_evidence *ev, size_t from)
{
	while (ev->ntail > from) {
		struct ev_ent *e = ev->tail[--ev->ntail];

		ev->tail_bytes -= e->len;
		ev_ent_free(e);
	}
}

/* Read segment first from entry h on, whole appends only; *next gets the
 * index after the last one, *good the bytes up to there. */
static int
wal_read(struct ls_evidence *ev, uint64_t first, uint64_t *next, off_t *good,
    int *torn, ls_evidence_visit_fn visit, void *arg)
{
	char path[PATH_MAX], *data = NULL;
	size_t len = 0, off = 0, whole, rl, gtail = ev->ntail, goff = 0;
	uint64_t idx = first, gidx = first;
	int rc;

	*torn = 0;
	if ((rc = ev_path(path, sizeof(path), "%s/wal/%020" PRIu64 ".wal",
		 ev->dir, first)) != 0 ||
	    (rc = ev_read_file(&data, &len, path, (size_t)1 << 34)) != 0)
		return rc;
	whole = ev_wal_whole(data, len);
	*torn = whole < len;
	while (off < whole) {
		rl = ev_wal_len(data + off);
		if (idx >= ev->h) {
			if ((rc = tail_reserve(ev, 1)) != 0)
				goto out;
			rc = wal_record(ev, data + off + 4, rl, idx);
			if (rc == 1) {
				*torn = 1;
				rc = 0;
				break;
			}
			if (rc != 0)
				goto out;
		}
		idx++;
		if (ev_wal_ends(data + off)) { /* an append is whole */
			if ((rc = visit_group(ev, gtail, visit, arg)) != 0)
				goto out;
			gtail = ev->ntail;
			goff = off + 4 + rl;
			gidx = idx;
		}
		off += 4 + rl;
	}
	/* Whatever follows the last whole append was never acknowledged. */
	tail_cut(ev, gtail);
	idx = gidx;
	off = goff;
out:
	*next = idx;
	*good = (off_t)off;
	free(data);
	return rc;
}

/* Load the WAL beyond H into the tail; cut a torn end of the last
 * segment; open it for appending. */
static int
wal_recover(struct ls_evidence *ev, ls_evidence_visit_fn visit, void *arg)
{
	uint64_t *segs = NULL, next = 0;
	size_t n = 0, i;
	off_t good = 0;
	int torn = 0, rc;

	if ((rc = wal_list(ev, &segs, &n)) != 0)
		return rc;
	for (i = 0; i < n; i++) {
		if (i + 1 < n && segs[i + 1] <= ev->h)
			continue;		    /* all materialised */
		if (next == 0 && segs[i] > ev->h) { /* a gap before the WAL */
			rc = ls_error_set(LS_EFORMAT,
			    "%s: the index says %" PRIu64
			    " entries are in tiles but the WAL starts at %" PRIu64
			    " (index.sqlite lost or old?); refusing to continue",
			    ev->dir, ev->h, segs[i]);
			goto out;
		}
		if (i > 0 && segs[i] != next && next != 0) {
			rc = ls_error_set(LS_EFORMAT,
			    "%s/wal: segment %020" PRIu64
			    " does not follow entry %" PRIu64,
			    ev->dir, segs[i], next);
			goto out;
		}
		if ((rc = wal_read(ev, segs[i], &next, &good, &torn, visit,
			 arg)) != 0)
			goto out;
		if (torn && i + 1 < n) {
			rc = ls_error_set(LS_EFORMAT,
			    "%s/wal/%020" PRIu64 ".wal: damaged record before "
			    "the last segment",
			    ev->dir, segs[i]);
			goto out;
		}
	}
	if (n > 0 && next < ev->h) {
		rc = ls_error_set(LS_EFORMAT,
		    "%s/wal: ends at entry %" PRIu64 " but %" PRIu64
		    " are materialised",
		    ev->dir, next, ev->h);
		goto out;
	}
	ev->next_n = n > 0 ? next : ev->h;
	if ((rc = ev_wal_open(ev, n > 0 ? segs[n - 1] : ev->h)) != 0)
		goto out;
	if (torn &&
	    (ftruncate(ev->wal_fd, good) < 0 || fsync(ev->wal_fd) < 0 ||
		lseek(ev->wal_fd, good, SEEK_SET) < 0)) {
		rc = ls_error_set(LS_EIO, "evidence: cutting a torn WAL: %s",
		    strerror(errno));
		goto out;
	}
	if (torn)
		ev->wal_off = good;
out:
	free(segs);
	return rc;
}

/* Delete segments whose every entry is materialised. */
static void
wal_trim(struct ls_evidence *ev, uint64_t h)
{
	char path[PATH_MAX];
	uint64_t *segs = NULL;
	size_t n = 0, i;

	if (wal_list(ev, &segs, &n) != 0) {
		ls_error_clear();
		return;
	}
	for (i = 0; i + 1 < n; i++)
		if (segs[i + 1] <= h &&
		    ev_path(path, sizeof(path), "%s/wal/%020" PRIu64 ".wal",
			ev->dir, segs[i]) == 0)
			(void)unlink(path);
	free(segs);
}

/* ---- the materialiser ------------------------------------------------- */

/* Tiles, partitions and index rows for ents (the next n after ev->h),
 * made durable with one syncfs, then H committed. */
static int
materialise(struct ls_evidence *ev, struct ev_ent **ents, size_t n,
    uint64_t from, struct ls_merkle_frontier *front)
{
	uint8_t leaf[LS_SHA256_LEN];
	size_t i;
	int rc = 0;

	for (i = 0; i < n && rc == 0; i++)
		if ((rc = ev_edge_add(ev, ents[i], leaf)) == 0)
			ls_merkle_frontier_add(front, leaf);
	if (rc == 0)
		rc = ev_edge_flush(ev, from + n);
	if (rc == 0)
		rc = ev_index_batch(ev, ents, n, from);
	if (rc == 0 && syncfs(ev->dirfd) < 0)
		rc = ls_error_set(LS_EIO, "%s: syncfs: %s", ev->dir,
		    strerror(errno));
	if (rc == 0)
		rc = ev_index_commit(ev, from + n);
	if (rc != 0) { /* back to what is committed */
		ev_index_abort(ev);
		if (ev_edge_load(ev, from) != 0)
			ls_error_clear();
	}
	return rc;
}

/* One batch from the tail; 1 when there was nothing to do. */
static int
mat_step(struct ls_evidence *ev)
{
	struct ls_merkle_frontier front;
	struct ev_ent **ents;
	uint64_t from;
	size_t n, i;
	int rc;

	void (*on_commit)(void *, uint64_t);
	void *carg;

	pthread_mutex_lock(&ev->t_mu);
	n = ev->ntail < EV_BATCH_MAX ? ev->ntail : EV_BATCH_MAX;
	from = ev->h;
	front = ev->front;
	on_commit = ev->on_commit;
	carg = ev->commit_arg;
	pthread_mutex_unlock(&ev->t_mu);
	if (n == 0)
		return 1;
	if ((ents = malloc(n * sizeof(*ents))) == NULL)
		return ls_error_set(LS_ENOMEM, "evidence: out of memory");
	pthread_mutex_lock(&ev->t_mu);
	memcpy(ents, ev->tail, n * sizeof(*ents));
	pthread_mutex_unlock(&ev->t_mu);
	rc = materialise(ev, ents, n, from, &front);
	pthread_mutex_lock(&ev->t_mu);
	if (rc == 0) {
		memmove(ev->tail, ev->tail + n,
		    (ev->ntail - n) * sizeof(*ev->tail));
		ev->ntail -= n;
		for (i = 0; i < n; i++)
			ev->tail_bytes -= ents[i]->len;
		ev->h = from + n;
		ev->front = front;
	}
	pthread_cond_broadcast(&ev->t_cond);
	pthread_mutex_unlock(&ev->t_mu);
	if (rc == 0) {
		for (i = 0; i < n; i++)
			ev_ent_free(ents[i]);
		wal_trim(ev, from + n);
		if (on_commit != NULL)
			on_commit(carg, from + n);
	}
	free(ents);
	return rc;
}

static void
deadline_in(struct timespec *ts, unsigned ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* One compaction pass, t_mu held (dropped while it runs). */
static void
compact(struct ls_evidence *ev)
{
	unsigned req = ev->compact_req;
	time_t now = ev->compact_now != 0 ? ev->compact_now : time(NULL);

	ev->mat_busy = 1;
	pthread_mutex_unlock(&ev->t_mu);
	if (!ev->compact_off &&
	    ev_compact_pass(ev, now, EV_COMPACT_BUDGET_MS, &ev->compact) != 0)
		ls_error_clear(); /* counted, with its message, in compact */
	pthread_mutex_lock(&ev->t_mu);
	ev->mat_busy = 0;
	ev->compact_next = ls_mono_ms() + EV_COMPACT_EVERY_MS;
	ev->compact_done = req;
	pthread_cond_broadcast(&ev->t_cond);
}

static void *
mat_main(void *arg)
{
	struct ls_evidence *ev = arg;
	struct timespec ts;
	int rc;

	pthread_mutex_lock(&ev->t_mu);
	while (!ev->stop) {
		if (ev->ntail == 0) {
			/* Idle: compact the days that are over, now and then
			 * or when asked. */
			if (ev->compact_req != ev->compact_done ||
			    (ev->compact_on &&
				ls_mono_ms() >= ev->compact_next)) {
				compact(ev);
				continue;
			}
			if (!ev->compact_on) {
				pthread_cond_wait(&ev->t_cond, &ev->t_mu);
				continue;
			}
			deadline_in(&ts,
			    (unsigned)(ev->compact_next - ls_mono_ms()));
			(void)pthread_cond_timedwait(&ev->t_cond, &ev->t_mu,
			    &ts);
			continue;
		}
		/* Let a batch gather unless someone waits for it. */
		if (ev->ntail < EV_BATCH_MAX && ev->sync_waiters == 0 &&
		    ev->tail_bytes < EV_TAIL_MAX / 4) {
			deadline_in(&ts, EV_BATCH_MS);
			(void)pthread_cond_timedwait(&ev->t_cond, &ev->t_mu,
			    &ts);
		}
		ev->mat_busy = 1;
		pthread_mutex_unlock(&ev->t_mu);
		rc = mat_step(ev);
		pthread_mutex_lock(&ev->t_mu);
		ev->mat_busy = 0;
		if (rc < 0) { /* keep the entries; try again in a second */
			ev->mat_error = 1;
			deadline_in(&ts, 1000);
			(void)pthread_cond_timedwait(&ev->t_cond, &ev->t_mu,
			    &ts);
		} else {
			ev->mat_error = 0;
		}
	}
	pthread_mutex_unlock(&ev->t_mu);
	return NULL;
}

int
ev_sync(struct ls_evidence *ev, unsigned ms)
{
	struct timespec ts;
	uint64_t want = ls_evidence_count(ev);
	int rc = 0;

	deadline_in(&ts, ms);
	pthread_mutex_lock(&ev->t_mu);
	ev->sync_waiters++;
	pthread_cond_broadcast(&ev->t_cond);
	while (ev->h < want && rc == 0 && !ev->stop)
		if (pthread_cond_timedwait(&ev->t_cond, &ev->t_mu, &ts) ==
		    ETIMEDOUT)
			rc = ls_error_set(LS_ETIMEOUT,
			    "evidence: tiles not written within %u ms", ms);
	ev->sync_waiters--;
	pthread_mutex_unlock(&ev->t_mu);
	return rc;
}

void
ls_evidence_set_compaction(struct ls_evidence *ev, int on)
{
	pthread_mutex_lock(&ev->t_mu);
	ev->compact_on = on;
	ev->compact_next = ls_mono_ms() + EV_COMPACT_EVERY_MS / 4;
	pthread_cond_broadcast(&ev->t_cond);
	pthread_mutex_unlock(&ev->t_mu);
}

int
ls_evidence_compact(struct ls_evidence *ev, time_t now, unsigned ms,
    struct ls_evidence_compacted *out)
{
	struct timespec ts;
	unsigned want;
	int rc = 0;

	deadline_in(&ts, ms);
	pthread_mutex_lock(&ev->t_mu);
	want = ++ev->compact_req;
	ev->compact_now = now;
	pthread_cond_broadcast(&ev->t_cond);
	while (rc == 0 && (int)(ev->compact_done - want) < 0 && !ev->stop)
		if (pthread_cond_timedwait(&ev->t_cond, &ev->t_mu, &ts) ==
		    ETIMEDOUT)
			rc = ls_error_set(LS_ETIMEOUT,
			    "evidence: no compaction pass within %u ms", ms);
	if (rc == 0 && out != NULL) {
		out->days = ev->compact.days;
		out->files = ev->compact.files;
		out->busy = ev->compact.busy;
		out->failed = ev->compact.failed;
		snprintf(out->error, sizeof(out->error), "%s",
		    ev->compact_off ? "the file system cannot exchange "
				      "folders (renameat2 RENAME_EXCHANGE)"
				    : ev->compact.error);
	}
	ev->compact_now = 0;
	pthread_mutex_unlock(&ev->t_mu);
	return rc;
}

/* Root of the tree of h from its tiles (no stored frontier). */
static int
front_load(struct ls_evidence *ev)
{
	struct ev_reader r;
	uint8_t hash[LS_SHA256_LEN];
	uint64_t done = 0;
	int bit, rc = 0;

	ls_merkle_frontier_init(&ev->front);
	ev_reader_init(&r, ev->dir, ev->h, ev->h);
	for (bit = 63; bit >= 0 && rc == 0; bit--) {
		if (!(ev->h & (1ull << bit)))
			continue;
		if ((rc = ev_reader_node(&r, (unsigned)bit, done >> bit,
			 hash)) != 0)
			break;
		memcpy(ev->front.h[ev->front.n], hash, LS_SHA256_LEN);
		ev->front.height[ev->front.n++] = (unsigned)bit;
		done += 1ull << bit;
	}
	ev->front.size = done;
	ev_reader_cleanup(&r);
	return rc;
}

int
ls_evidence_open(struct ls_evidence **out, const char *data_dir,
    ls_evidence_visit_fn visit, void *arg)
{
	struct ls_evidence *ev;
	int rc;

	*out = NULL;
	if ((ev = calloc(1, sizeof(*ev))) == NULL ||
	    (ev->edge = calloc(1, sizeof(*ev->edge))) == NULL) {
		free(ev);
		return ls_error_set(LS_ENOMEM, "evidence: out of memory");
	}
	ev->dirfd = ev->wal_fd = -1;
	pthread_mutex_init(&ev->q_mu, NULL);
	pthread_cond_init(&ev->q_cond, NULL);
	pthread_mutex_init(&ev->t_mu, NULL);
	pthread_cond_init(&ev->t_cond, NULL);
	if ((rc = ev_path(ev->data, sizeof(ev->data), "%s", data_dir)) != 0 ||
	    (rc = ev_path(ev->dir, sizeof(ev->dir), "%s/evidence", data_dir)) !=
		0 ||
	    (rc = ls_file_mkdirs(ev->dir, 0755)) != 0)
		goto out;
	if ((ev->dirfd = open(ev->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) <
	    0) {
		rc = ls_error_set(LS_EIO, "%s: %s", ev->dir, strerror(errno));
		goto out;
	}
	if ((rc = ev_index_open(ev, &ev->h)) != 0 ||
	    (rc = ev_compact_recover(ev)) != 0 ||
	    (rc = ev_edge_load(ev, ev->h)) != 0 || (rc = front_load(ev)) != 0 ||
	    (rc = wal_recover(ev, visit, arg)) != 0)
		goto out;
	if (pthread_create(&ev->mat, NULL, mat_main, ev) != 0) {
		rc = ls_error_set(LS_ERROR, "evidence: cannot start a thread");
		goto out;
	}
	ev->compact_next = ls_mono_ms() + EV_COMPACT_EVERY_MS / 4;
	ev->mat_started = 1;
	if ((rc = ev_sync(ev, 600000)) != 0 || (rc = ev_migrate(ev)) != 0)
		goto out;
	*out = ev;
	ev = NULL;
out:
	ls_evidence_free(ev);
	return rc;
}

void
ls_evidence_free(struct ls_evidence *ev)
{
	size_t i;

	if (ev == NULL)
		return;
	if (ev->mat_started) {
		/* A clean stop leaves nothing for the next open to redo. */
		if (ev_sync(ev, 30000) != 0)
			ls_error_clear();
		pthread_mutex_lock(&ev->t_mu);
		ev->stop = 1;
		pthread_cond_broadcast(&ev->t_cond);
		pthread_mutex_unlock(&ev->t_mu);
		pthread_join(ev->mat, NULL);
	}
	for (i = 0; i < ev->ntail; i++)
		ev_ent_free(ev->tail[i]);
	free(ev->tail);
	ev_index_close(ev);
	if (ev->edge != NULL)
		free(ev->edge->bundle);
	free(ev->edge);
	if (ev->wal_fd >= 0)
		close(ev->wal_fd);
	if (ev->dirfd >= 0)
		close(ev->dirfd);
	pthread_mutex_destroy(&ev->q_mu);
	pthread_cond_destroy(&ev->q_cond);
	pthread_mutex_destroy(&ev->t_mu);
	pthread_cond_destroy(&ev->t_cond);
	free(ev);
}

void
ls_evidence_on_commit(struct ls_evidence *ev,
    void (*fn)(void *arg, uint64_t size), void *arg)
{
	pthread_mutex_lock(&ev->t_mu);
	ev->on_commit = fn;
	ev->commit_arg = arg;
	pthread_mutex_unlock(&ev->t_mu);
}
