/* declog.c - decision records: append, group commit, rotation, queue. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "declog_int.h"
#include "lockstep/hash.h"
#include "lockstep/buf.h"
#include "lockstep/error.h"
#include "lockstep/timefmt.h"
#include "lockstep/file.h"

const double ls_declog_fsync_bounds[LS_DECLOG_FSYNC_BUCKETS] = { 0.0005, 0.001,
	0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5 };

void
ls_dl_time(char out[32])
{
	struct timespec ts;
	struct tm tm;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, 32 - n, ".%06dZ", (int)(ts.tv_nsec / 1000) % 1000000);
}

int
ls_dl_vec_push(struct dl_vec *v, const struct dl_seg *s)
{
	struct dl_seg *nv;

	if (v->n == v->cap) {
		size_t nc = v->cap ? v->cap * 2 : 16;

		if ((nv = realloc(v->v, nc * sizeof(*nv))) == NULL)
			return ls_error_set(LS_ENOMEM, "decisions: no memory");
		v->v = nv;
		v->cap = nc;
	}
	v->v[v->n++] = *s;
	return 0;
}

void
ls_dl_vec_remove(struct dl_vec *v, size_t i)
{
	memmove(&v->v[i], &v->v[i + 1], (v->n - i - 1) * sizeof(*v->v));
	v->n--;
}

void
ls_dl_seg_path(char *out, size_t sz, const struct ls_declog *l,
    const struct dl_seg *s, int open)
{
	int n;

	if (open)
		n = snprintf(out, sz, "%s/%020llu.open", l->dir,
		    (unsigned long long)s->first);
	else
		n = snprintf(out, sz, "%s/%020llu-%llu.seg", l->dir,
		    (unsigned long long)s->first, (unsigned long long)s->drops);
	if (n < 0 || (size_t)n >= sz)
		out[0] = '\0'; /* ls_declog_open refuses such long dirs */
}

int
ls_dl_dropped_line(char *buf, size_t sz, const struct ls_declog *l,
    uint64_t seq, uint64_t first, uint64_t last, const char *reason)
{
	char now[32];
	int n;

	ls_dl_time(now);
	n = snprintf(buf, sz,
	    "{\"id\":\"%s-%llu\",\"seq\":%llu,\"time\":\"%s\",\"agent\":"
	    "\"%s\",\"type\":\"dropped\",\"first\":%llu,\"last\":%llu,"
	    "\"reason\":\"%s\"}\n",
	    l->agent, (unsigned long long)seq, (unsigned long long)seq, now,
	    l->agent, (unsigned long long)first, (unsigned long long)last,
	    reason);
	return n > 0 && (size_t)n < sz ? n : -1;
}

static uint64_t
queue_bytes(const struct ls_declog *l)
{
	uint64_t b = l->open.bytes;
	size_t i;

	for (i = 0; i < l->closing.n; i++)
		b += l->closing.v[i].bytes;
	for (i = 0; i < l->closed.n; i++)
		b += l->closed.v[i].bytes;
	return b;
}

/* Hand the open segment to the thread for fsync + rename. */
static int
rotate_locked(struct ls_declog *l)
{
	int rc;

	if (l->fd < 0)
		return 0;
	l->open.fd = l->fd;
	l->open.drops = l->drops_open;
	if ((rc = ls_dl_vec_push(&l->closing, &l->open)) != 0)
		return rc;
	l->drops_open = 0;
	l->fd = -1;
	memset(&l->open, 0, sizeof(l->open));
	l->open_synced = 0;
	pthread_cond_signal(&l->cv);
	return 0;
}

static int
open_segment(struct ls_declog *l, uint64_t first)
{
	char path[PATH_MAX + 64];

	memset(&l->open, 0, sizeof(l->open));
	l->open.first = first;
	ls_dl_seg_path(path, sizeof(path), l, &l->open, 1);
	l->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC,
	    0600);
	if (l->fd < 0)
		return ls_error_set(LS_EIO, "%s: %s", path, strerror(errno));
	l->open_synced = 0;
	l->open_since = ls_mono_ms();
	l->open_dir_synced = 0;
	return 0;
}

/* Write a one-line segment over closed.v[i]: the "dropped" record that
 * takes the seq of its newest line and announces the others. */
static int
replace_by_drop(struct ls_declog *l, size_t i)
{
	struct dl_seg *s = &l->closed.v[i];
	char path[PATH_MAX + 64], line[512];
	int n, rc;

	n = ls_dl_dropped_line(line, sizeof(line), l, s->last, s->first,
	    s->last - 1, "queue full");
	if (n < 0)
		return ls_error_set(LS_ERROR, "decisions: drop line");
	ls_dl_seg_path(path, sizeof(path), l, s, 0);
	if ((rc = ls_file_write_atomic(path, line, (size_t)n, 0600)) != 0)
		return rc;
	l->st.dropped_queue += s->lines - 1;
	l->st.queued_records -= s->lines - 1;
	s->bytes = (uint64_t)n;
	s->lines = 1;
	return 0;
}

/* Make room for need bytes: 0 when there is room (or nothing left to
 * drop in drop mode), LS_ETOOBIG in required mode. */
#define ROOM_WAITS 100 /* of 10 ms each */

static int
make_room(struct ls_declog *l, uint64_t need)
{
	struct timespec ts;
	size_t i;
	int rc, tries;

	if (queue_bytes(l) + need <= l->o.queue_max)
		return 0;
	if (l->o.required) {
		l->st.refused_full++;
		return ls_error_set(LS_ETOOBIG,
		    "decision queue full (%llu bytes): evidence required",
		    (unsigned long long)l->o.queue_max);
	}
	for (tries = 0; tries < ROOM_WAITS; tries++) {
		/* closed.v[0] is the next upload: the server may hold it. */
		for (i = 1; i < l->closed.n; i++) {
			if (l->closed.v[i].lines < 2)
				continue;
			if ((rc = replace_by_drop(l, i)) != 0)
				return rc;
			if (queue_bytes(l) + need <= l->o.queue_max)
				return 0;
		}
		if (l->closing.n == 0)
			break;
		/* The rest is still being closed: wait for the thread, so
		 * the bound holds even when the disk is slower than the
		 * decisions (back-pressure, bounded). */
		pthread_cond_signal(&l->cv);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 10 * 1000000L;
		ts.tv_sec += ts.tv_nsec / 1000000000L;
		ts.tv_nsec %= 1000000000L;
		pthread_cond_timedwait(&l->closed_cv, &l->mu, &ts);
	}
	return 0;
}

static int
writev_all(int fd, struct iovec *iov, int n)
{
	ssize_t w;

	while (n > 0) {
		w = writev(fd, iov, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		while (n > 0 && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}

static int
write_line(struct ls_declog *l, const char *head, size_t hlen,
    const char *fields, size_t len)
{
	struct iovec iov[3];
	char nl = '\n';

	iov[0].iov_base = (void *)(uintptr_t)head;
	iov[0].iov_len = hlen;
	iov[1].iov_base = (void *)(uintptr_t)(fields + 1);
	iov[1].iov_len = len - 1;
	iov[2].iov_base = &nl;
	iov[2].iov_len = 1;
	if (writev_all(l->fd, iov, 3) == 0)
		return 0;
	/* Cut a partial line so the segment never holds a torn record. */
	int e = errno;

	/* If this fails too, the recovery at start cuts the line. */
	(void)!ftruncate(l->fd, (off_t)l->open.bytes);
	errno = e;
	return ls_error_set(LS_EIO, "%s/%020llu.open: %s", l->dir,
	    (unsigned long long)l->open.first, strerror(errno));
}

/* Append s (n bytes) at *w. */
static void
put(char **w, const char *s, size_t n)
{
	memcpy(*w, s, n);
	*w += n;
}

/* Append v in decimal at *w. */
static void
put_u64(char **w, uint64_t v)
{
	char t[LS_U64_DEC_MAX];

	put(w, t, ls_u64_dec(t, v));
}

/* The record time (RFC 3339 UTC, microseconds) at *w: the seconds are
 * formatted once a second (lock held), the rest by hand. */
static void
put_time(struct ls_declog *l, char **w)
{
	struct timespec ts;
	struct tm tm;
	long us;
	int i;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (ts.tv_sec != l->time_sec || l->time_text[0] == '\0') {
		gmtime_r(&ts.tv_sec, &tm);
		if (strftime(l->time_text, sizeof(l->time_text),
			"%Y-%m-%dT%H:%M:%S", &tm) == 0)
			l->time_text[0] = '\0';
		l->time_sec = ts.tv_sec;
	}
	put(w, l->time_text, strlen(l->time_text));
	put(w, ".", 1);
	us = ts.tv_nsec / 1000 % 1000000;
	for (i = 5; i >= 0; i--) {
		(*w)[i] = (char)('0' + us % 10);
		us /= 10;
	}
	*w += 6;
	put(w, "Z", 1);
}

static int
append_locked(struct ls_declog *l, char *id, const char *fields, size_t len)
{
	char head[512], *w = head, *idp;
	size_t total, alen = strlen(l->agent), hlen, idlen;
	uint64_t seq;
	int rc;

	if (len + sizeof(head) > LS_DECLOG_LINE_MAX)
		return ls_error_set(LS_ETOOBIG, "decision record of %zu bytes",
		    len);
	/* First: make_room may wait (and release the lock), so the seq is
	 * taken only afterwards.  The head fits: the agent name is under
	 * 128 bytes, the rest under 160. */
	if ((rc = make_room(l, len + sizeof(head))) != 0)
		return rc;
	seq = l->next;
	put(&w, "{\"id\":\"", 7);
	idp = w;
	put(&w, l->agent, alen);
	put(&w, "-", 1);
	put_u64(&w, seq);
	idlen = (size_t)(w - idp);
	put(&w, "\",\"seq\":", 8);
	put_u64(&w, seq);
	put(&w, ",\"time\":\"", 9);
	put_time(l, &w);
	put(&w, "\",\"agent\":\"", 11);
	put(&w, l->agent, alen);
	put(&w, len > 2 ? "\"," : "\"", len > 2 ? 2 : 1);
	hlen = (size_t)(w - head);
	total = hlen + len;
	if (seq > l->reserved) {
		if ((rc = ls_dl_write_state(l, seq + DL_RESERVE_BLOCK, 0)) != 0)
			return rc;
		l->reserved = seq + DL_RESERVE_BLOCK;
	}
	if (l->fd < 0 && (rc = open_segment(l, seq)) != 0)
		return rc;
	if ((rc = write_line(l, head, hlen, fields, len)) != 0)
		return rc;
	l->open.bytes += total;
	l->open.lines++;
	l->open.last = seq;
	l->next = seq + 1;
	l->st.records++;
	l->st.queued_records++;
	if (idlen < LS_DECLOG_ID_MAX) {
		memcpy(id, idp, idlen);
		id[idlen] = '\0';
	}
	if (l->open.bytes >= l->o.segment_max)
		return rotate_locked(l);
	return 0;
}

int
ls_declog_append(struct ls_declog *l, char *id, const char *fields, size_t len)
{
	int rc;

	id[0] = '\0';
	if (len < 2 || fields[0] != '{' || fields[len - 1] != '}')
		return ls_error_set(LS_EINVAL,
		    "decisions: record not an "
		    "object");
	pthread_mutex_lock(&l->mu);
	rc = append_locked(l, id, fields, len);
	pthread_mutex_unlock(&l->mu);
	return rc;
}

void
ls_declog_count_drop(struct ls_declog *l)
{
	pthread_mutex_lock(&l->mu);
	l->drops_open++;
	l->st.dropped_policy++;
	pthread_mutex_unlock(&l->mu);
}

int
ls_declog_rotate(struct ls_declog *l)
{
	int rc;

	pthread_mutex_lock(&l->mu);
	rc = rotate_locked(l);
	pthread_mutex_unlock(&l->mu);
	return rc;
}

/* Nettle's SHA-256 (ls_sha256): the CPU's SHA extensions where present,
 * as fast here as GnuTLS's on a record's input (2.4-2.6 us for 3.3 KB),
 * and without OpenSSL's providers in an agent that never starts it. */
void
ls_declog_sha256_hex(char out[65], const void *data, size_t len)
{
	uint8_t d[LS_SHA256_LEN];

	ls_sha256(d, data, len);
	ls_hex_encode(out, d, LS_SHA256_LEN);
}

void
ls_declog_flush(struct ls_declog *l, long bound_ms)
{
	long long until = ls_mono_ms() + bound_ms;

	pthread_mutex_lock(&l->mu);
	rotate_locked(l);
	while (l->closing.n > 0 && ls_mono_ms() < until) {
		pthread_mutex_unlock(&l->mu);
		poll(NULL, 0, 5);
		pthread_mutex_lock(&l->mu);
	}
	pthread_mutex_unlock(&l->mu);
}

static void
note_fsync(struct ls_declog *l, long long t0_ns, long long t1_ns)
{
	double s = (double)(t1_ns - t0_ns) / 1e9;
	size_t i;

	l->st.fsyncs++;
	l->st.fsync_seconds += s;
	for (i = 0; i < LS_DECLOG_FSYNC_BUCKETS; i++)
		if (s <= ls_declog_fsync_bounds[i])
			l->st.fsync_le[i]++;
}

static long long
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* fsync what was written to the open segment (lock held on entry/exit). */
static void
sync_open(struct ls_declog *l)
{
	uint64_t target = l->open.bytes, first = l->open.first;
	int fd, dir = !l->open_dir_synced;
	long long t0, t1;

	if (l->fd < 0 || target <= l->open_synced)
		return;
	if ((fd = dup(l->fd)) < 0)
		return;
	pthread_mutex_unlock(&l->mu);
	t0 = now_ns();
	fdatasync(fd);
	if (dir)
		ls_file_fsync_dir(l->dir);
	t1 = now_ns();
	close(fd);
	pthread_mutex_lock(&l->mu);
	note_fsync(l, t0, t1);
	if (l->fd >= 0 && l->open.first == first) {
		if (target > l->open_synced)
			l->open_synced = target;
		l->open_dir_synced = 1;
	}
}

/* Close the oldest handed-over segment (lock held on entry/exit). */
static void
close_one(struct ls_declog *l)
{
	struct dl_seg s = l->closing.v[0];
	char from[PATH_MAX + 64], to[PATH_MAX + 64];
	long long t0, t1;
	int ok;

	pthread_mutex_unlock(&l->mu);
	ls_dl_seg_path(from, sizeof(from), l, &s, 1);
	ls_dl_seg_path(to, sizeof(to), l, &s, 0);
	t0 = now_ns();
	ok = fsync(s.fd) == 0;
	t1 = now_ns();
	close(s.fd);
	ok = ok && rename(from, to) == 0 && ls_file_fsync_dir(l->dir) == 0;
	pthread_mutex_lock(&l->mu);
	note_fsync(l, t0, t1);
	ls_dl_vec_remove(&l->closing, 0);
	s.fd = -1;
	/* On failure the .open file stays; the next start recovers it. */
	if (ok)
		ls_dl_vec_push(&l->closed, &s);
	pthread_cond_broadcast(&l->closed_cv);
}

static void
top_up(struct ls_declog *l)
{
	uint64_t want = l->next + DL_RESERVE_BLOCK;

	if (l->next + DL_RESERVE_BLOCK / 2 <= l->reserved)
		return;
	pthread_mutex_unlock(&l->mu);
	if (ls_dl_write_state(l, want, 0) != 0)
		want = 0;
	pthread_mutex_lock(&l->mu);
	if (want > l->reserved)
		l->reserved = want;
}

static void
work(struct ls_declog *l)
{
	sync_open(l);
	if (l->fd >= 0 && l->open.lines > 0 &&
	    ls_mono_ms() - l->open_since >= l->o.segment_age_ms)
		rotate_locked(l);
	while (l->closing.n > 0)
		close_one(l);
	top_up(l);
}

static void *
thread_main(void *arg)
{
	struct ls_declog *l = arg;
	struct timespec ts;

	pthread_mutex_lock(&l->mu);
	while (!l->stopping) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += (l->o.fsync_ms % 1000) * 1000000L;
		ts.tv_sec += l->o.fsync_ms / 1000 + ts.tv_nsec / 1000000000L;
		ts.tv_nsec %= 1000000000L;
		pthread_cond_timedwait(&l->cv, &l->mu, &ts);
		work(l);
	}
	work(l);
	pthread_mutex_unlock(&l->mu);
	return NULL;
}

static void
free_log(struct ls_declog *l)
{
	size_t i;

	if (l->fd >= 0)
		close(l->fd);
	if (l->lockfd >= 0)
		close(l->lockfd);
	for (i = 0; i < l->closing.n; i++)
		close(l->closing.v[i].fd);
	free(l->closing.v);
	free(l->closed.v);
	pthread_mutex_destroy(&l->mu);
	pthread_mutex_destroy(&l->state_mu);
	pthread_cond_destroy(&l->cv);
	pthread_cond_destroy(&l->closed_cv);
	free(l);
}

/* One process writes a seq chain: a second (an agent and a lockstep
 * check --report on one state) would hand out the same seqs. */
static int
lock_dir(struct ls_declog *l)
{
	char path[PATH_MAX + 8];

	snprintf(path, sizeof(path), "%s.lock", l->dir); /* beside it */
	l->lockfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (l->lockfd < 0)
		return ls_error_set(LS_EIO, "%s: %s", path, strerror(errno));
	if (flock(l->lockfd, LOCK_EX | LOCK_NB) != 0)
		return ls_error_set(LS_EIO, "%s: %s", l->dir,
		    errno == EWOULDBLOCK
			? "in use by another process (a running agent or "
			  "lockstep check --report on the same state)"
			: strerror(errno));
	return 0;
}

int
ls_declog_open(struct ls_declog **out, const struct ls_declog_opts *o)
{
	struct ls_declog *l;
	int rc;

	*out = NULL;
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return ls_error_set(LS_ENOMEM, "decisions: no memory");
	l->o = *o;
	l->fd = -1;
	l->lockfd = -1;
	pthread_mutex_init(&l->mu, NULL);
	pthread_mutex_init(&l->state_mu, NULL);
	pthread_cond_init(&l->cv, NULL);
	pthread_cond_init(&l->closed_cv, NULL);
	snprintf(l->agent, sizeof(l->agent), "%s", o->agent);
	if (snprintf(l->dir, sizeof(l->dir), "%s/%s", o->state_dir,
		LS_DECLOG_DIR) >= (int)sizeof(l->dir) - 64) {
		rc = ls_error_set(LS_EINVAL, "decisions: path too long");
		goto out;
	}
	if ((rc = ls_file_mkdirs(l->dir, 0700)) != 0 ||
	    (rc = lock_dir(l)) != 0 || (rc = ls_dl_recover(l)) != 0)
		goto out;
	if (pthread_create(&l->thr, NULL, thread_main, l) != 0) {
		rc = ls_error_set(LS_ERROR, "decisions: cannot start thread");
		goto out;
	}
	l->thr_started = 1;
	*out = l;
	return 0;
out:
	free_log(l);
	return rc;
}

void
ls_declog_close(struct ls_declog *l)
{
	if (l == NULL)
		return;
	pthread_mutex_lock(&l->mu);
	rotate_locked(l);
	l->stopping = 1;
	pthread_cond_signal(&l->cv);
	pthread_mutex_unlock(&l->mu);
	if (l->thr_started)
		pthread_join(l->thr, NULL);
	if (l->closing.n == 0)
		ls_dl_write_state(l, l->next - 1, 1);
	free_log(l);
}

int
ls_declog_next(struct ls_declog *l, struct ls_declog_batch *out)
{
	int rc = LS_ENOTFOUND;

	pthread_mutex_lock(&l->mu);
	if (l->closed.n > 0) {
		ls_dl_seg_path(out->path, sizeof(out->path), l, &l->closed.v[0],
		    0);
		out->name_first = l->closed.v[0].first;
		out->dropped = l->closed.v[0].drops;
		l->pinned = 1;
		rc = 0;
	}
	pthread_mutex_unlock(&l->mu);
	return rc;
}

void
ls_declog_unpin(struct ls_declog *l)
{
	pthread_mutex_lock(&l->mu);
	l->pinned = 0;
	pthread_mutex_unlock(&l->mu);
}

void
ls_declog_prev(struct ls_declog *l, char out[65])
{
	pthread_mutex_lock(&l->mu);
	memcpy(out, l->prev, 65);
	pthread_mutex_unlock(&l->mu);
}

int
ls_declog_acked(struct ls_declog *l, const struct ls_declog_batch *b,
    const char *sha_hex, uint64_t last)
{
	char path[PATH_MAX + 16], text[128];
	int n, rc = 0;

	snprintf(path, sizeof(path), "%s/acked", l->dir);
	n = snprintf(text, sizeof(text), "sha256 %s\nlast %llu\n", sha_hex,
	    (unsigned long long)last);
	/* Durable before the segment goes: prev must survive a crash. */
	if ((rc = ls_file_write_atomic(path, text, (size_t)n, 0600)) != 0)
		return rc;
	pthread_mutex_lock(&l->mu);
	snprintf(l->prev, sizeof(l->prev), "%s", sha_hex);
	l->acked_last = last;
	l->pinned = 0;
	if (l->closed.n > 0 && l->closed.v[0].first == b->name_first) {
		l->st.queued_records -= l->closed.v[0].lines;
		ls_dl_vec_remove(&l->closed, 0);
	}
	pthread_mutex_unlock(&l->mu);
	if (unlink(b->path) != 0 && errno != ENOENT)
		rc = ls_error_set(LS_EIO, "%s: %s", b->path, strerror(errno));
	return rc;
}

void
ls_declog_stats(struct ls_declog *l, struct ls_declog_stats *out)
{
	pthread_mutex_lock(&l->mu);
	*out = l->st;
	out->queue_bytes = queue_bytes(l);
	pthread_mutex_unlock(&l->mu);
}
