/*
 * httpd_evidence.c - the evidence read API: streamed queries, consistency
 * proofs and the tlog tiles.
 *
 * GET /v1/evidence?kind=&control=&agent=&channel=&outcome=&since=&until=
 *   JSON Lines: first {"checkpoint": TEXT, "size": N} (the signed
 *   checkpoint the answer is against; TEXT null without a log key), then
 *   every matching entry of the first N as stored (its "n" is the index
 *   for /v1/evidence/proof).  Each answer is made by a worker thread of
 *   its own at a lower CPU priority and streamed by a libmicrohttpd
 *   callback that only copies (suspending the connection while the
 *   worker is behind), so queries never run on the request threads that
 *   timestamps and ingest need; at most QUERY_SECONDS and
 *   LS_EVIDENCE_QUERY_MAX bytes; past either the last line is
 *   {"truncated": true, "reason": ...}.  At most QUERY_STREAMS at once
 *   (503), and QUERY_RATE per second per client address (burst
 *   QUERY_BURST; 429).
 * GET /v1/evidence/consistency?from=M[&to=N]  (N: the checkpoint's size)
 * GET /v1/evidence/tile/...  C2SP tlog-tiles, immutable.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "httpd_impl.h"
#include "httpd_parse.h"
#include "lockstep/error.h"
#include "lockstep/file.h"
#include "lockstep/note.h"
#include "lockstep/timefmt.h"

#define QUERY_SECONDS 30
#define QUERY_STREAMS 8
#define QUERY_RATE 10.0
#define QUERY_BURST 40.0
#define STREAM_BUF (256 * 1024) /* made ahead of the client */
#define RATE_SLOTS 1024

static pthread_mutex_t qmu = PTHREAD_MUTEX_INITIALIZER;
static unsigned streams;
static struct {
	uint32_t addr;
	double tokens;
	double at;
} rate[RATE_SLOTS];

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Token bucket per client IPv4 address (hash slots; a collision only
 * shares a bucket). */
static int
rate_ok(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	uint32_t a = 0;
	unsigned k;
	double t = now_s();
	int ok;

	if (ci != NULL && ci->client_addr != NULL &&
	    ci->client_addr->sa_family == AF_INET)
		a = ((const struct sockaddr_in *)(const void *)ci->client_addr)
			->sin_addr.s_addr;
	k = (a * 2654435761u) % RATE_SLOTS;
	pthread_mutex_lock(&qmu);
	if (rate[k].addr != a || rate[k].at == 0) {
		rate[k].addr = a;
		rate[k].tokens = QUERY_BURST;
		rate[k].at = t;
	}
	rate[k].tokens += (t - rate[k].at) * QUERY_RATE;
	if (rate[k].tokens > QUERY_BURST)
		rate[k].tokens = QUERY_BURST;
	rate[k].at = t;
	ok = rate[k].tokens >= 1.0;
	if (ok)
		rate[k].tokens -= 1.0;
	pthread_mutex_unlock(&qmu);
	return ok;
}

/*
 * A stream: a worker thread of its own (at a lower CPU priority) runs the
 * query into buf; the libmicrohttpd callback only copies out of buf, and
 * suspends the connection while buf is empty (the worker resumes it).
 * So a query never runs on the request threads timestamps need.
 */
struct stream {
	struct stream *next; /* in the streams list */
	pthread_mutex_t mu;
	pthread_cond_t cond;
	struct MHD_Connection *conn;
	struct ls_evidence_query *q;
	struct ls_buf buf; /* made, not yet sent */
	size_t off, made;
	double deadline;
	int done, cancel, suspended, started;
	pthread_t th;
};

static struct stream *all_streams;

static void
stream_end(struct stream *s, const char *reason)
{
	if (reason != NULL)
		(void)ls_buf_addf(&s->buf,
		    "{\"truncated\":true,\"reason\":\"%s\"}\n", reason);
	s->done = 1;
}

static void
stream_wake(struct stream *s)
{
	if (s->suspended) {
		s->suspended = 0;
		MHD_resume_connection(s->conn);
	}
}

/* Called with s->mu held: one step of the query into buf. */
static void
stream_step(struct stream *s, struct ls_buf *chunk)
{
	int rc;

	pthread_mutex_unlock(&s->mu);
	ls_buf_reset(chunk);
	rc = ls_evidence_query_next(s->q, chunk, 64 * 1024);
	pthread_mutex_lock(&s->mu);
	if (s->off > 0) { /* keep buf small: drop what was sent */
		memmove(s->buf.data, s->buf.data + s->off, s->buf.len - s->off);
		s->buf.len -= s->off;
		s->off = 0;
	}
	if (chunk->len > 0 && ls_buf_add(&s->buf, chunk->data, chunk->len) != 0)
		rc = LS_ENOMEM;
	s->made += chunk->len;
	if (rc == 1)
		stream_end(s, NULL);
	else if (rc < 0)
		stream_end(s, "read error");
	else if (now_s() > s->deadline)
		stream_end(s, "time limit: narrow the query");
	else if (s->made >= LS_EVIDENCE_QUERY_MAX)
		stream_end(s, "size limit: narrow the query");
}

static void *
stream_main(void *arg)
{
	struct stream *s = arg;
	struct ls_buf chunk;

	ls_buf_init(&chunk, 4 * LS_EVIDENCE_LINE_MAX);
	(void)setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 10);
	pthread_mutex_lock(&s->mu);
	while (!s->done && !s->cancel) {
		if (s->buf.len - s->off >= STREAM_BUF) {
			pthread_cond_wait(&s->cond, &s->mu);
			continue;
		}
		stream_step(s, &chunk);
		if (s->buf.len > s->off || s->done)
			stream_wake(s);
	}
	if (s->cancel && !s->done)
		stream_end(s, "server stopping");
	stream_wake(s);
	pthread_mutex_unlock(&s->mu);
	ls_buf_cleanup(&chunk);
	return NULL;
}

static void
stream_free(void *cls)
{
	struct stream *s = cls, **p;

	pthread_mutex_lock(&qmu);
	for (p = &all_streams; *p != NULL; p = &(*p)->next)
		if (*p == s) {
			*p = s->next;
			break;
		}
	streams--;
	pthread_mutex_unlock(&qmu);
	pthread_mutex_lock(&s->mu);
	s->cancel = 1;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->mu);
	if (s->started)
		pthread_join(s->th, NULL);
	ls_evidence_query_free(s->q);
	ls_buf_cleanup(&s->buf);
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

static ssize_t
stream_read(void *cls, uint64_t pos, char *out, size_t max)
{
	struct stream *s = cls;
	size_t n;

	(void)pos;
	pthread_mutex_lock(&s->mu);
	if (s->off < s->buf.len) {
		n = s->buf.len - s->off;
		if (n > max)
			n = max;
		memcpy(out, s->buf.data + s->off, n);
		s->off += n;
		pthread_cond_signal(&s->cond);
		pthread_mutex_unlock(&s->mu);
		return (ssize_t)n;
	}
	if (s->done) {
		pthread_mutex_unlock(&s->mu);
		return MHD_CONTENT_READER_END_OF_STREAM;
	}
	s->suspended = 1; /* the worker resumes it */
	MHD_suspend_connection(s->conn);
	pthread_mutex_unlock(&s->mu);
	return 0;
}

/* Streams whose connection is suspended or may still be (a worker not
 * finished yet can suspend it again), cancelling each. */
static unsigned
streams_cancel(void)
{
	struct stream *s;
	unsigned busy = 0;

	pthread_mutex_lock(&qmu);
	for (s = all_streams; s != NULL; s = s->next) {
		pthread_mutex_lock(&s->mu);
		s->cancel = 1;
		pthread_cond_signal(&s->cond);
		if (s->suspended || (s->started && !s->done))
			busy++;
		pthread_mutex_unlock(&s->mu);
	}
	pthread_mutex_unlock(&qmu);
	return busy;
}

/* libmicrohttpd aborts if it is stopped with a connection suspended: wait
 * (at most 5 s) for the workers to end and resume theirs. */
void
httpd_evidence_stop(void)
{
	struct timespec pause = { 0, 10 * 1000 * 1000 };
	int i;

	for (i = 0; i < 500 && streams_cancel() > 0; i++)
		nanosleep(&pause, NULL);
}

static int
time_arg(struct MHD_Connection *c, const char *name, time_t *out, int end)
{
	return httpd_time_value(out,
	    MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name), end);
}

/* The checkpoint note and its size; text NULL when there is none. */
static uint64_t
checkpoint_of(struct ls_httpd *h, char **text)
{
	char path[PATH_MAX], *nl;
	size_t len = 0;
	uint64_t size = 0;

	*text = NULL;
	if (snprintf(path, sizeof(path), "%s/evidence/checkpoint.note",
		h->data) >= (int)sizeof(path) ||
	    ls_file_read(text, &len, path, LS_NOTE_MAX) != 0) {
		ls_error_clear();
		return 0;
	}
	if ((nl = strchr(*text, '\n')) != NULL)
		size = strtoull(nl + 1, NULL, 10);
	return size;
}

enum MHD_Result
httpd_evidence_query(struct ls_httpd *h, struct MHD_Connection *c)
{
	struct ls_evidence *ev = ls_store_evidence(h->o.store);
	struct ls_evidence_filter f;
	struct MHD_Response *r;
	struct stream *s;
	enum MHD_Result ret;
	uint8_t root[LS_SHA256_LEN];
	char *ckpt = NULL;
	uint64_t size;
	json_t *first;
	char *line;
	int rc;

	memset(&f, 0, sizeof(f));
	if (time_arg(c, "since", &f.since, 0) != 0 ||
	    time_arg(c, "until", &f.until, 1) != 0)
		return httpd_answer_error(c, 400,
		    "since/until: expected YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ");
	f.agent =
	    MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "agent");
	f.channel =
	    MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "channel");
	f.kind = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "kind");
	f.control =
	    MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "control");
	f.outcome =
	    MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "outcome");
	if (!rate_ok(c))
		return httpd_answer_error(c, 429,
		    "too many queries: slow down");
	pthread_mutex_lock(&qmu);
	if (streams >= QUERY_STREAMS) {
		pthread_mutex_unlock(&qmu);
		return httpd_answer_error(c, 503, "too many queries at once");
	}
	streams++;
	pthread_mutex_unlock(&qmu);
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		pthread_mutex_lock(&qmu);
		streams--;
		pthread_mutex_unlock(&qmu);
		return httpd_answer_error(c, 500, "out of memory");
	}
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cond, NULL);
	pthread_mutex_lock(&qmu);
	s->next = all_streams;
	all_streams = s;
	pthread_mutex_unlock(&qmu);
	s->conn = c;
	ls_buf_init(&s->buf, 2 * STREAM_BUF + 4 * LS_EVIDENCE_LINE_MAX);
	s->deadline = now_s() + QUERY_SECONDS;
	size = checkpoint_of(h, &ckpt);
	if (ckpt == NULL) /* no log key: the materialised tree */
		ls_evidence_root(ev, &size, root);
	first = json_pack("{s:s?, s:I}", "checkpoint", ckpt, "size",
	    (json_int_t)size);
	free(ckpt);
	line = first ? json_dumps(first, JSON_COMPACT) : NULL;
	json_decref(first);
	rc = line == NULL ? LS_ENOMEM
			  : ls_evidence_query_open(&s->q, ev, &f, size);
	if (rc == 0 && (rc = ls_buf_adds(&s->buf, line)) == 0)
		rc = ls_buf_addc(&s->buf, '\n');
	free(line);
	if (rc == 0 && pthread_create(&s->th, NULL, stream_main, s) != 0)
		rc = ls_error_set(LS_ERROR, "evidence: cannot start a thread");
	if (rc != 0) {
		stream_free(s);
		return httpd_answer_error(c, 500, ls_error_last());
	}
	s->started = 1;
	r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024,
	    stream_read, s, stream_free);
	if (r == NULL) {
		stream_free(s);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
	    "application/x-ndjson");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	ret = httpd_answer(c, 200, r);
	MHD_destroy_response(r);
	return ret;
}

enum MHD_Result
httpd_evidence_consistency(struct ls_httpd *h, struct MHD_Connection *c)
{
	uint8_t proof[LS_MERKLE_MAX_PROOF][LS_SHA256_LEN];
	uint64_t from = 0, to = ls_store_checkpoint_size(h->o.store);
	char *s;
	json_t *j, *arr;
	enum MHD_Result ret;
	size_t len = 0;

	if (httpd_u64_arg(c, "from", &from) != 1 ||
	    httpd_u64_arg(c, "to", &to) < 0)
		return httpd_answer_error(c, 400, "expected from=N[&to=N]");
	if (ls_evidence_consistency(ls_store_evidence(h->o.store), from, to,
		proof, &len) != 0)
		return httpd_answer_error(c, 404, ls_error_last());
	if ((arr = httpd_hashes_json((const uint8_t(*)[LS_SHA256_LEN])proof,
		 len)) == NULL)
		return httpd_answer_error(c, 500, "out of memory");
	j = json_pack("{s:I, s:I, s:o}", "from", (json_int_t)from, "to",
	    (json_int_t)to, "proof", arr);
	s = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (s == NULL)
		return httpd_answer_error(c, 500, "out of memory");
	ret = httpd_answer_text(c, 200, "application/json", s, strlen(s));
	free(s);
	return ret;
}

/* "tile/<L>/<N...>[.p/<W>]" or "tile/entries/...": digits, x, '/', '.p'
 * only. */
static int
tile_path_ok(const char *p)
{
	size_t i;

	if (strncmp(p, "tile/", 5) != 0 || strstr(p, "..") != NULL ||
	    strstr(p, "//") != NULL || p[strlen(p) - 1] == '/')
		return 0;
	p += 5;
	if (strncmp(p, "entries/", 8) == 0)
		p += 8;
	for (i = 0; p[i] != '\0'; i++)
		if (!((p[i] >= '0' && p[i] <= '9') || p[i] == 'x' ||
			p[i] == '/' || p[i] == '.' || p[i] == 'p'))
			return 0;
	return i > 0;
}

enum MHD_Result
httpd_evidence_tile(struct ls_httpd *h, struct MHD_Connection *c,
    const char *rest)
{
	char path[PATH_MAX];
	struct MHD_Response *r;
	struct stat st;
	enum MHD_Result ret;
	int fd, n;

	if (!tile_path_ok(rest))
		return httpd_answer_error(c, 404, "not found");
	n = snprintf(path, sizeof(path), "%s/evidence/%s", h->data, rest);
	if (n < 0 || (size_t)n >= sizeof(path) ||
	    (fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return httpd_answer_error(c, 404, "not found");
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (r = MHD_create_response_from_fd((uint64_t)st.st_size, fd)) ==
		NULL) {
		close(fd);
		return httpd_answer_error(c, 404, "not found");
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
	    "application/octet-stream");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL,
	    "public, max-age=31536000, immutable");
	ret = httpd_answer(c, 200, r);
	MHD_destroy_response(r);
	return ret;
}
