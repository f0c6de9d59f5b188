/*
 * agent_http.c - libFuzzer harness: the agent's own HTTP/1.1 client
 * (agent/fetch.c over fetch_conn.c) reading a hostile mirror's answer.
 *
 * The input is the bytes a server on 127.0.0.1 sends back, whole, to one
 * GET: status line, headers, Content-Length / chunked / read-to-close
 * bodies, trailers, 100 Continue, garbage.  The first byte picks the
 * request: a document GET into a capped buffer (with or without a long
 * poll and an ETag) or a bundle GET streamed into a file with a length
 * cap.  A server thread accepts the one connection, reads the request
 * head (bounded) and writes the input, then closes.
 *
 * Checked beyond memory safety: a document body never exceeds its cap
 * and is kept only for 200; a streamed body never exceeds its cap and
 * its length and SHA-256 are those of what reached the file; an ETag
 * fits its field.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fetch.h"
#include "lockstep/buf.h"
#include "lockstep/hash.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define DOC_CAP 4096
#define FILE_CAP 8192

static int lfd = -1;
static char url[64];
static pthread_t server;

struct serve {
	const uint8_t *data;
	size_t size;
};

/* Accept one connection, read its request head, answer data, close. */
static void *
serve_one(void *arg)
{
	const struct serve *s = arg;
	char head[8192];
	size_t got = 0;
	ssize_t n;
	int fd = accept(lfd, NULL, NULL);

	if (fd < 0)
		return NULL;
	while (got < sizeof(head) - 1 &&
	    (n = read(fd, head + got, sizeof(head) - 1 - got)) > 0) {
		got += (size_t)n;
		head[got] = '\0';
		if (strstr(head, "\r\n\r\n") != NULL)
			break;
	}
	if (s->size > 0)
		(void)!send(fd, s->data, s->size, MSG_NOSIGNAL);
	shutdown(fd, SHUT_WR);
	close(fd);
	return NULL;
}

/*
 * One server thread for the whole run, handed each input in turn: a
 * thread per input made the sanitizers' bookkeeping of finished threads
 * grow by about 190 bytes an input, which libFuzzer's RSS limit read as
 * an out-of-memory after 10 M inputs (the same loop without sanitizers
 * stays at 4.7 MB).
 */
static pthread_mutex_t job_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t job_cv = PTHREAD_COND_INITIALIZER;
static const struct serve *job; /* the input to answer; NULL when done */

static void *
serve_loop(void *arg)
{
	const struct serve *s;

	(void)arg;
	for (;;) {
		pthread_mutex_lock(&job_mu);
		while (job == NULL)
			pthread_cond_wait(&job_cv, &job_mu);
		s = job;
		pthread_mutex_unlock(&job_mu);
		serve_one((void *)(uintptr_t)s);
		pthread_mutex_lock(&job_mu);
		job = NULL;
		pthread_cond_broadcast(&job_cv);
		pthread_mutex_unlock(&job_mu);
	}
	return NULL;
}

static int
listen_once(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((lfd = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    bind(lfd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    listen(lfd, 4) != 0 ||
	    getsockname(lfd, (struct sockaddr *)&a, &len) != 0)
		return -1;
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/d",
	    (unsigned)ntohs(a.sin_port));
	if (pthread_create(&server, NULL, serve_loop, NULL) != 0) {
		close(lfd);
		lfd = -1;
		return -1;
	}
	return 0;
}

static void
get_document(struct ls_fetch *f, unsigned mode)
{
	struct ls_fetch_result res;
	struct ls_buf out;
	int rc;

	ls_buf_init(&out, DOC_CAP);
	memset(&res, 0, sizeof(res));
	rc = ls_fetch_get(f, &res, &out, url, mode & 2 ? "\"e1\"" : NULL,
	    mode & 4 ? 1 : 0);
	if (out.len > DOC_CAP)
		abort(); /* past the cap */
	if (rc == 0 && res.status != 200 && out.len != 0)
		abort(); /* a body kept for another status */
	if (strlen(res.etag) > LS_FETCH_ETAG_MAX)
		abort();
	ls_buf_cleanup(&out);
}

static void
get_file(struct ls_fetch *f)
{
	struct ls_fetch_result res;
	uint8_t sha[LS_SHA256_LEN], want[LS_SHA256_LEN];
	char path[] = "/dev/shm/ls-fuzz-http-XXXXXX";
	uint64_t len = 0;
	int fd = mkstemp(path), rc;

	if (fd < 0)
		return;
	unlink(path);
	memset(&res, 0, sizeof(res));
	rc = ls_fetch_file(f, &res, url, fd, FILE_CAP, sha, &len);
	if (rc == 0) {
		off_t end = lseek(fd, 0, SEEK_END);
		uint8_t *buf;

		if (len > FILE_CAP || end < 0 || (uint64_t)end != len)
			abort(); /* the cap, or a length that is not the file's */
		if ((buf = malloc(len ? len : 1)) != NULL &&
		    pread(fd, buf, len, 0) == (ssize_t)len) {
			ls_sha256(want, buf, len);
			if (memcmp(want, sha, sizeof(sha)) != 0)
				abort(); /* a hash of other bytes */
		}
		free(buf);
	}
	close(fd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ls_fetch_opts o;
	struct ls_fetch *f = NULL;
	struct serve s;
	unsigned mode;

	if (size < 1 || (lfd < 0 && listen_once() != 0))
		return 0;
	mode = data[0];
	s.data = data + 1;
	s.size = size - 1;
	ls_fetch_opts_default(&o);
	o.connect_timeout = 2;
	o.doc_timeout = 2;
	o.bundle_timeout = 2;
	o.low_speed_time = 0;
	if (ls_fetch_new(&f, &o) != 0)
		return 0;
	pthread_mutex_lock(&job_mu);
	job = &s;
	pthread_cond_broadcast(&job_cv);
	pthread_mutex_unlock(&job_mu);
	if (mode & 1)
		get_file(f);
	else
		get_document(f, mode);
	pthread_mutex_lock(&job_mu); /* until the server has closed */
	while (job != NULL)
		pthread_cond_wait(&job_cv, &job_mu);
	pthread_mutex_unlock(&job_mu);
	ls_fetch_free(f);
	return 0;
}
