/* decupload.c - signed decision batches to --report-to (decupload.h). */
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <sodium.h>
#include <libdeflate.h>

#include "decupload.h"
#include "fetch.h"
#include "lockstep/error.h"
#include "lockstep/hash.h"
#include "lockstep/note.h"
#include "lockstep/timefmt.h"

#define UPLOAD_NICE 10

struct ls_decup {
	struct ls_decup_opts o;
	struct ls_fetch *fetch;
	pthread_t thr;
	pthread_mutex_t mu;
	volatile sig_atomic_t abort; /* aborts a transfer in flight */
	int stopping;
	volatile sig_atomic_t finished; /* the thread returned */
	long long drain_until;		/* ms, monotonic; 0 while running */
	struct ls_decup_stats st;
};

static uint64_t
seq_of_line(const char *p, size_t n)
{
	json_t *o = json_loadb(p, n, 0, NULL);
	json_t *s = json_object_get(o, "seq");
	uint64_t v = json_is_integer(s) && json_integer_value(s) > 0
	    ? (uint64_t)json_integer_value(s)
	    : 0;

	json_decref(o);
	return v;
}

int
ls_decup_note(char **out, size_t *out_len, const char *agent,
    struct ls_key *key, const char *b, size_t len, const char *prev,
    uint64_t dropped, uint64_t *last_out, char sha_out[65])
{
	const char *lastl, *firstnl, *p;
	uint64_t first, last, count = 0;
	char body[1024], now[LS_TIME_LEN];
	int n;

	*out = NULL;
	if (len == 0 || b[len - 1] != '\n' ||
	    (firstnl = memchr(b, '\n', len)) == NULL)
		return ls_error_set(LS_EFORMAT, "batch: not JSON Lines");
	/* memchr: a byte loop was a third of the note's CPU */
	for (p = b; (p = memchr(p, '\n', len - (size_t)(p - b))) != NULL; p++)
		count++;
	for (lastl = b + len - 1; lastl > b && lastl[-1] != '\n'; lastl--)
		;
	first = seq_of_line(b, (size_t)(firstnl - b));
	last = seq_of_line(lastl, (size_t)(b + len - 1 - lastl));
	if (first == 0 || last < first)
		return ls_error_set(LS_EFORMAT, "batch: bad seqs");
	ls_declog_sha256_hex(sha_out, b, len);
	ls_time_format(now, time(NULL));
	n = snprintf(body, sizeof(body),
	    "lockstep/decisions/v1\nagent %s\nfirst %llu\nlast %llu\n"
	    "count %llu\nsha256 %s\nprev %s\ndropped %llu\ntime %s\n",
	    agent, (unsigned long long)first, (unsigned long long)last,
	    (unsigned long long)count, sha_out, prev,
	    (unsigned long long)dropped, now);
	if (n < 0 || (size_t)n >= sizeof(body))
		return ls_error_set(LS_EINVAL, "batch: note too long");
	*last_out = last;
	return ls_note_sign(out, out_len, body, (size_t)n, &key, 1);
}

/* The batch body as gzip (RFC 1952, mtime 0: the same bytes each time),
 * whole-buffer through libdeflate at its fastest level.  JSON Lines
 * still shrink ~60x, and libdeflate takes about two thirds of zlib's
 * time for it (bench/decisions.sh: the uploader's share of a decision). */
static int
gzip_bytes(unsigned char **out, size_t *out_len, const char *in, size_t len)
{
	struct libdeflate_compressor *c = libdeflate_alloc_compressor(1);
	size_t cap;

	*out = NULL;
	*out_len = 0;
	if (c == NULL)
		return ls_error_set(LS_ENOMEM, "gzip: out of memory");
	cap = libdeflate_gzip_compress_bound(c, len);
	if ((*out = malloc(cap)) != NULL)
		*out_len = libdeflate_gzip_compress(c, in, len, *out, cap);
	libdeflate_free_compressor(c);
	if (*out == NULL)
		return ls_error_set(LS_ENOMEM, "gzip: out of memory");
	if (*out_len == 0) { /* cannot happen with cap from the bound */
		free(*out);
		*out = NULL;
		return ls_error_set(LS_ERROR, "gzip: compression failed");
	}
	return 0;
}

static int
post(struct ls_decup *u, long *status, const unsigned char *gz, size_t gzlen,
    const char *note, size_t nlen)
{
	struct ls_fetch_result res;
	char url[1024], *hdr = NULL, *b64 = NULL;
	size_t blen = ls_base64_encoded_len(nlen), ulen;
	int rc;

	ulen = strlen(u->o.report_to);
	while (ulen > 0 && u->o.report_to[ulen - 1] == '/')
		ulen--;
	snprintf(url, sizeof(url), "%.*s/v1/decisions", (int)ulen,
	    u->o.report_to);
	if ((b64 = malloc(blen)) == NULL || (hdr = malloc(blen + 64)) == NULL) {
		free(b64);
		return ls_error_set(LS_ENOMEM, "batch: out of memory");
	}
	ls_base64_encode(b64, blen, (const uint8_t *)note, nlen);
	snprintf(hdr, blen + 64,
	    "Content-Type: application/gzip\nLockstep-Batch: %s", b64);
	rc = ls_fetch_post(u->fetch, &res, url, hdr, gz, gzlen, NULL);
	*status = rc == 0 ? res.status : 0;
	free(b64);
	free(hdr);
	return rc;
}

/* Upload the oldest closed segment: 0 done, LS_ENOTFOUND none, else
 * the error (it stays queued). */
static int
upload_one(struct ls_decup *u)
{
	struct ls_declog_batch b;
	char *bytes = NULL, *note = NULL, prev[65], sha[65];
	unsigned char *gz = NULL;
	size_t len = 0, nlen = 0, gzlen = 0;
	uint64_t last = 0;
	long status = 0;
	int rc;

	if ((rc = ls_declog_next(u->o.log, &b)) != 0)
		return rc;
	ls_declog_prev(u->o.log, prev);
	if ((rc = ls_declog_read(&bytes, &len, b.path, LS_DECUP_BODY_MAX)) !=
		0 ||
	    (rc = ls_decup_note(&note, &nlen, u->o.agent, u->o.key, bytes, len,
		 prev, b.dropped, &last, sha)) != 0 ||
	    (rc = gzip_bytes(&gz, &gzlen, bytes, len)) != 0 ||
	    (rc = post(u, &status, gz, gzlen, note, nlen)) != 0)
		goto out;
	if (status != 200) {
		rc = ls_error_set(LS_ENET, "POST /v1/decisions: HTTP %ld",
		    status);
		goto out;
	}
	rc = ls_declog_acked(u->o.log, &b, sha, last);
out:
	if (rc != 0)
		ls_declog_unpin(u->o.log);
	pthread_mutex_lock(&u->mu);
	if (rc == 0)
		u->st.uploaded++;
	else if (rc != LS_ENOTFOUND)
		u->st.failed++;
	pthread_mutex_unlock(&u->mu);
	free(bytes);
	free(note);
	free(gz);
	return rc;
}

static int
done(struct ls_decup *u)
{
	int s;

	pthread_mutex_lock(&u->mu);
	s = u->stopping && (u->drain_until == 0 || ls_mono_ms() >= u->drain_until);
	pthread_mutex_unlock(&u->mu);
	return s;
}

/* Sleep ms in short steps, waking for a stop. */
static void
nap(struct ls_decup *u, long long ms)
{
	long long until = ls_mono_ms() + ms;

	while (!done(u) && ls_mono_ms() < until)
		poll(NULL, 0, 50);
}

static void say(struct ls_decup *u, const char *level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
say(struct ls_decup *u, const char *level, const char *fmt, ...)
{
	char msg[600];
	va_list ap;

	if (u->o.log_fn == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	u->o.log_fn(u->o.log_ctx, level, "decisions", msg);
}

static void *
thread_main(void *arg)
{
	struct ls_decup *u = arg;
	unsigned long fails = 0;
	long backoff = 0;
	int rc;

	/* Compressing and signing batches yields to answering decisions:
	 * under a CPU shortage the queue (bounded, durable) absorbs it. */
	if (setpriority(PRIO_PROCESS, (id_t)gettid(), UPLOAD_NICE) != 0)
		say(u, "warn", "upload thread: cannot lower its priority");

	while (!done(u)) {
		rc = upload_one(u);
		if (rc == 0) {
			if (fails > 0)
				say(u, "info",
				    "decision batches upload again after %lu "
				    "failure(s)",
				    fails);
			fails = 0;
			backoff = 0;
			continue;
		}
		if (rc != LS_ENOTFOUND) {
			fails++;
			if ((fails & (fails - 1)) == 0)
				say(u, "warn",
				    "decision batch stays queued: %s (failure "
				    "%lu, retrying)",
				    ls_error_last(), fails);
		}
		if (rc == LS_ENOTFOUND) {
			pthread_mutex_lock(&u->mu);
			rc = u->stopping; /* drained: nothing left to send */
			pthread_mutex_unlock(&u->mu);
			if (rc)
				break;
			nap(u, 200);
			continue;
		}
		if (done(u))
			break;
		backoff = backoff == 0 ? 1 : backoff * 2;
		if (backoff > u->o.max_backoff)
			backoff = u->o.max_backoff;
		/* Half fixed, half jitter: no herd after a server outage. */
		nap(u,
		    backoff * 500 +
			(long long)randombytes_uniform(
			    (uint32_t)(backoff * 500 + 1)));
	}
	u->finished = 1;
	return NULL;
}

int
ls_decup_start(struct ls_decup **out, const struct ls_decup_opts *o)
{
	struct ls_fetch_opts fo;
	struct ls_decup *u;
	int rc;

	*out = NULL;
	if ((u = calloc(1, sizeof(*u))) == NULL)
		return ls_error_set(LS_ENOMEM, "upload: out of memory");
	u->o = *o;
	pthread_mutex_init(&u->mu, NULL);
	ls_fetch_opts_default(&fo);
	fo.stop = &u->abort;
	fo.cacert = o->cacert;
	if ((rc = ls_fetch_new(&u->fetch, &fo)) != 0) {
		free(u);
		return rc;
	}
	if (pthread_create(&u->thr, NULL, thread_main, u) != 0) {
		ls_fetch_free(u->fetch);
		free(u);
		return ls_error_set(LS_ERROR, "upload: cannot start thread");
	}
	*out = u;
	return 0;
}

void
ls_decup_stop(struct ls_decup *u, long bound_ms)
{
	long long until;

	if (u == NULL)
		return;
	until = ls_mono_ms() + bound_ms;
	ls_declog_flush(u->o.log, bound_ms);
	pthread_mutex_lock(&u->mu);
	u->stopping = 1;
	u->drain_until = until;
	pthread_mutex_unlock(&u->mu);
	while (!u->finished && ls_mono_ms() < until)
		poll(NULL, 0, 20);
	u->abort = 1;
	pthread_join(u->thr, NULL);
	ls_fetch_free(u->fetch);
	pthread_mutex_destroy(&u->mu);
	free(u);
}

void
ls_decup_stats(struct ls_decup *u, struct ls_decup_stats *out)
{
	pthread_mutex_lock(&u->mu);
	*out = u->st;
	pthread_mutex_unlock(&u->mu);
}

int
ls_decup_drain(const struct ls_decup_opts *o, unsigned *sent)
{
	struct ls_fetch_opts fo;
	struct ls_decup u;
	int rc;

	*sent = 0;
	memset(&u, 0, sizeof(u));
	u.o = *o;
	pthread_mutex_init(&u.mu, NULL);
	ls_fetch_opts_default(&fo);
	fo.stop = &u.abort;
	fo.cacert = o->cacert;
	if ((rc = ls_fetch_new(&u.fetch, &fo)) == 0) {
		while ((rc = upload_one(&u)) == 0)
			(*sent)++;
		if (rc == LS_ENOTFOUND)
			rc = 0;
	}
	ls_fetch_free(u.fetch);
	pthread_mutex_destroy(&u.mu);
	return rc;
}
