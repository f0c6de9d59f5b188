/* fetch.c - the agent's HTTP client over one reused libcurl handle. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <curl/curl.h>
#include <sodium.h>

#include "fetch.h"
#include "lockstep/error.h"

#define ERRBODY_MAX 4096 /* body of a non-200 answer we read and drop */

struct ls_fetch {
	CURL *curl;
	struct ls_fetch_opts o;
};

/* Per-request sink: either a bounded buffer or a file with a hash. */
struct sink {
	struct ls_fetch *f;
	struct ls_buf *buf; /* for documents, NULL for files */
	int fd;		    /* for files, -1 otherwise */
	uint64_t max, got;
	crypto_hash_sha256_state sha;
	int toobig, ioerr, not200;
	int keep_errors; /* a POST's caller reads the error body too */
	size_t dropped;	 /* bytes of a non-200 body */
	struct ls_fetch_result *res;
};

static int curl_global_done;

void
ls_fetch_opts_default(struct ls_fetch_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->connect_timeout = 10;
	o->doc_timeout = 20;
	o->bundle_timeout = 300;
	o->low_speed_limit = 1024;
	o->low_speed_time = 10;
}

int
ls_fetch_new(struct ls_fetch **out, const struct ls_fetch_opts *o)
{
	struct ls_fetch *f;

	*out = NULL;
	if (!curl_global_done) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return ls_error_set(LS_ENET, "libcurl: init failed");
		curl_global_done = 1;
	}
	if ((f = calloc(1, sizeof(*f))) == NULL)
		return ls_error_set(LS_ENOMEM, "fetch: out of memory");
	if ((f->curl = curl_easy_init()) == NULL) {
		free(f);
		return ls_error_set(LS_ENET, "libcurl: no handle");
	}
	f->o = *o;
	*out = f;
	return 0;
}

void
ls_fetch_free(struct ls_fetch *f)
{
	if (f == NULL)
		return;
	curl_easy_cleanup(f->curl);
	free(f);
}

static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
	struct sink *s = arg;
	size_t len = size * n, vlen;
	const char *v;

	if (len > 5 && strncasecmp(p, "ETag:", 5) == 0) {
		v = p + 5;
		vlen = len - 5;
		while (vlen > 0 && (*v == ' ' || *v == '\t'))
			v++, vlen--;
		while (vlen > 0 &&
		    (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' ||
			v[vlen - 1] == ' '))
			vlen--;
		if (vlen <= LS_FETCH_ETAG_MAX) {
			memcpy(s->res->etag, v, vlen);
			s->res->etag[vlen] = '\0';
		}
	} else if (len > 18 && strncasecmp(p, "Preference-Applied:", 19) == 0 &&
	    memmem(p, len, "wait=", 5) != NULL) {
		s->res->held = 1;
	} else if (len >= 5 && strncmp(p, "HTTP/", 5) == 0) {
		/* A new response (after 100 Continue): forget older headers. */
		s->res->etag[0] = '\0';
		s->res->held = 0;
	}
	return len;
}

static int
write_fd(int fd, const char *p, size_t len)
{
	ssize_t w;

	while (len > 0) {
		w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct sink *s = arg;
	size_t len = size * n;
	long code = 0;

	curl_easy_getinfo(s->f->curl, CURLINFO_RESPONSE_CODE, &code);
	if (code != 200 && s->keep_errors && s->buf != NULL) {
		s->not200 = 1;
		if (ls_buf_add(s->buf, p, len) != 0)
			return 0; /* past the cap: keep what fitted */
		return len;
	}
	if (code != 200) {
		s->not200 = 1;
		s->dropped += len;
		return s->dropped > ERRBODY_MAX ? 0 : len;
	}
	if (s->got + len > s->max || s->got + len < s->got) {
		s->toobig = 1;
		return 0;
	}
	s->got += len;
	if (s->buf != NULL) {
		if (ls_buf_add(s->buf, p, len) != 0) {
			s->toobig = 1;
			return 0;
		}
		return len;
	}
	crypto_hash_sha256_update(&s->sha, (const unsigned char *)p, len);
	if (write_fd(s->fd, p, len) != 0) {
		s->ioerr = errno;
		return 0;
	}
	return len;
}

static int
on_progress(void *arg, curl_off_t dlt, curl_off_t dln, curl_off_t ult,
    curl_off_t uln)
{
	struct sink *s = arg;

	(void)dlt, (void)dln, (void)ult, (void)uln;
	return s->f->o.stop != NULL && *s->f->o.stop ? 1 : 0;
}

/* Common options for every request; total is the overall timeout. */
static void
setup(struct ls_fetch *f, struct sink *s, const char *url, long total,
    int low_speed)
{
	CURL *c = f->curl;

	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, f->o.connect_timeout);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, total);
	if (low_speed && f->o.low_speed_time > 0) {
		curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT,
		    f->o.low_speed_limit);
		curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME,
		    f->o.low_speed_time);
	}
	curl_easy_setopt(c, CURLOPT_USERAGENT, "lockstep-agent/1");
	if (f->o.cacert != NULL)
		curl_easy_setopt(c, CURLOPT_CAINFO, f->o.cacert);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, s);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, s);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, s);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	/* Identity only: a compressed answer could expand past our caps
	 * before we see it, and bundles are gzip already. */
	curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, NULL);
}

static int
perform(struct sink *s, const char *url)
{
	CURLcode cc;

	cc = curl_easy_perform(s->f->curl);
	curl_easy_getinfo(s->f->curl, CURLINFO_RESPONSE_CODE, &s->res->status);
	if (s->toobig)
		return ls_error_set(LS_ETOOBIG,
		    "%s: body larger than %llu "
		    "bytes",
		    url, (unsigned long long)s->max);
	if (s->ioerr)
		return ls_error_set(LS_EIO, "%s: write: %s", url,
		    strerror(s->ioerr));
	if (cc == CURLE_OK || (cc == CURLE_WRITE_ERROR && s->not200))
		return 0;
	if (cc == CURLE_FILESIZE_EXCEEDED)
		return ls_error_set(LS_ETOOBIG,
		    "%s: announced length above "
		    "%llu bytes",
		    url, (unsigned long long)s->max);
	if (cc == CURLE_OPERATION_TIMEDOUT)
		return ls_error_set(LS_ETIMEOUT, "%s: %s", url,
		    curl_easy_strerror(cc));
	return ls_error_set(LS_ENET, "%s: %s", url, curl_easy_strerror(cc));
}

static void
sink_init(struct sink *s, struct ls_fetch *f, struct ls_fetch_result *res)
{
	memset(s, 0, sizeof(*s));
	memset(res, 0, sizeof(*res));
	s->f = f;
	s->fd = -1;
	s->res = res;
}

int
ls_fetch_get(struct ls_fetch *f, struct ls_fetch_result *res,
    struct ls_buf *out, const char *url, const char *etag, long wait_s)
{
	struct curl_slist *hdrs = NULL, *tmp;
	struct sink s;
	char line[LS_FETCH_ETAG_MAX + 32];
	int rc = 0;

	sink_init(&s, f, res);
	s.buf = out;
	s.max = out->max;
	ls_buf_reset(out);
	/* A held long poll sends nothing for wait_s: no low-speed check. */
	setup(f, &s, url, f->o.doc_timeout + (wait_s > 0 ? wait_s : 0),
	    wait_s <= 0);
	if (etag != NULL && etag[0] != '\0') {
		snprintf(line, sizeof(line), "If-None-Match: %s", etag);
		if ((tmp = curl_slist_append(hdrs, line)) == NULL)
			goto nomem;
		hdrs = tmp;
	}
	if (wait_s > 0) {
		snprintf(line, sizeof(line), "Prefer: wait=%ld", wait_s);
		if ((tmp = curl_slist_append(hdrs, line)) == NULL)
			goto nomem;
		hdrs = tmp;
	}
	curl_easy_setopt(f->curl, CURLOPT_HTTPHEADER, hdrs);
	rc = perform(&s, url);
	if (rc == 0 && res->status != 200)
		ls_buf_reset(out);
	goto out;
nomem:
	rc = ls_error_set(LS_ENOMEM, "%s: out of memory", url);
out:
	curl_easy_setopt(f->curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(hdrs);
	return rc;
}

int
ls_fetch_file(struct ls_fetch *f, struct ls_fetch_result *res, const char *url,
    int fd, uint64_t max, uint8_t sha_out[LS_SHA256_LEN], uint64_t *len_out)
{
	struct sink s;
	int rc;

	sink_init(&s, f, res);
	s.fd = fd;
	s.max = max;
	crypto_hash_sha256_init(&s.sha);
	setup(f, &s, url, f->o.bundle_timeout, 1);
	/* Refuse at once when the server announces more than was signed. */
	curl_easy_setopt(f->curl, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)max);
	rc = perform(&s, url);
	if (rc == 0 && res->status != 200)
		rc = ls_error_set(LS_ENET, "%s: HTTP %ld", url, res->status);
	crypto_hash_sha256_final(&s.sha, sha_out);
	*len_out = s.got;
	return rc;
}

/* Each "\n"-separated line of header as its own header. */
static int
add_headers(struct curl_slist **hdrs, const char *header)
{
	struct curl_slist *tmp;
	char line[1024];
	const char *nl;
	size_t n;

	for (; *header != '\0'; header = nl ? nl + 1 : header + n) {
		nl = strchr(header, '\n');
		n = nl ? (size_t)(nl - header) : strlen(header);
		if (n >= sizeof(line))
			return ls_error_set(LS_ETOOBIG, "header too long");
		memcpy(line, header, n);
		line[n] = '\0';
		if (n > 0 && (tmp = curl_slist_append(*hdrs, line)) == NULL)
			return ls_error_set(LS_ENOMEM, "out of memory");
		if (n > 0)
			*hdrs = tmp;
	}
	return 0;
}

int
ls_fetch_post(struct ls_fetch *f, struct ls_fetch_result *res, const char *url,
    const char *header, const void *body, size_t len, struct ls_buf *resp)
{
	struct curl_slist *hdrs = NULL;
	struct ls_buf scratch;
	struct sink s;
	int rc = 0;

	ls_buf_init(&scratch, ERRBODY_MAX);
	sink_init(&s, f, res);
	s.buf = resp != NULL ? resp : &scratch;
	s.max = s.buf->max;
	s.keep_errors = resp != NULL;
	setup(f, &s, url, f->o.doc_timeout, 1);
	if ((header == NULL || strncmp(header, "Content-Type:", 13) != 0) &&
	    (hdrs = curl_slist_append(hdrs, "Content-Type: text/plain")) ==
		NULL)
		goto nomem;
	if (header != NULL && (rc = add_headers(&hdrs, header)) != 0)
		goto out;
	curl_easy_setopt(f->curl, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(f->curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(f->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	rc = perform(&s, url);
	goto out;
nomem:
	rc = ls_error_set(LS_ENOMEM, "%s: out of memory", url);
out:
	curl_easy_setopt(f->curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(hdrs);
	ls_buf_cleanup(&scratch);
	return rc;
}
