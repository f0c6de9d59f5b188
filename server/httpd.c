/* httpd.c - libmicrohttpd daemon: static layout, ETags, long polls. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "httpd_impl.h"
#include "httpd_parse.h"
#include "lockstep/error.h"
#include "lockstep/hash.h"
#include "lockstep/file.h"
#include "lockstep/note.h"
#include "metrics.h"

static const char cc_immutable[] = "public, max-age=31536000, immutable";
static const char ct_note[] = "text/plain; charset=utf-8";
static const char ct_gzip[] = "application/gzip";

enum MHD_Result
httpd_answer(struct MHD_Connection *c, unsigned code, struct MHD_Response *r)
{
	ls_metrics_status(code);
	return MHD_queue_response(c, code, r);
}

/* text (copied) as code, not cached, with the header hname: hval when
 * hname is not NULL. */
static enum MHD_Result
answer_text_hdr(struct MHD_Connection *c, unsigned code, const char *ctype,
    const char *text, size_t len, const char *hname, const char *hval)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, (void *)(uintptr_t)text,
	    MHD_RESPMEM_MUST_COPY);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (hname != NULL)
		MHD_add_response_header(r, hname, hval);
	ret = httpd_answer(c, code, r);
	MHD_destroy_response(r);
	return ret;
}

enum MHD_Result
httpd_answer_text(struct MHD_Connection *c, unsigned code, const char *ctype,
    const char *text, size_t len)
{
	return answer_text_hdr(c, code, ctype, text, len, NULL, NULL);
}

/* {"error": msg} as code, with the header hname: hval when hname is not
 * NULL. */
static enum MHD_Result
answer_error_hdr(struct MHD_Connection *c, unsigned code, const char *msg,
    const char *hname, const char *hval)
{
	json_t *j = json_pack("{s:s}", "error", msg);
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
	enum MHD_Result ret;
	struct ls_buf b;

	ls_buf_init(&b, 4096);
	if (s == NULL || ls_buf_addf(&b, "%s\n", s) != 0)
		ret = answer_text_hdr(c, code, "text/plain", "error\n", 6, hname,
		    hval);
	else
		ret = answer_text_hdr(c, code, "application/json", b.data,
		    b.len, hname, hval);
	ls_buf_cleanup(&b);
	free(s);
	json_decref(j);
	return ret;
}

enum MHD_Result
httpd_answer_error(struct MHD_Connection *c, unsigned code, const char *msg)
{
	return answer_error_hdr(c, code, msg, NULL, NULL);
}

enum MHD_Result
httpd_answer_busy(struct MHD_Connection *c, const char *msg,
    const char *retry_after)
{
	return answer_error_hdr(c, 503, msg, MHD_HTTP_HEADER_RETRY_AFTER,
	    retry_after);
}

/* ---- timestamp.note from memory -------------------------------------- */

static struct tsent *
ts_find(struct ls_httpd *h, const char *name)
{
	size_t i;

	for (i = 0; i < h->nts; i++)
		if (strcmp(h->ts[i].name, name) == 0)
			return &h->ts[i];
	return NULL;
}

static struct MHD_Response *
make_response(const void *data, size_t len, enum MHD_ResponseMemoryMode mode,
    const char *etag, const char *ctype, const char *cc)
{
	struct MHD_Response *r;

	r = MHD_create_response_from_buffer(len, (void *)(uintptr_t)data, mode);
	if (r == NULL)
		return NULL;
	MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, etag);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, cc);
	if (ctype != NULL)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	return r;
}

static void
etag_of(char out[ETAG_LEN], const void *data, size_t len)
{
	char hex[LS_SHA256_HEX_LEN + 1];

	ls_sha256_hex(hex, data, len);
	snprintf(out, ETAG_LEN, "\"%s\"", hex);
}

/* Reload a channel's timestamp from disk into the cache. */
static void
ts_reload(struct ls_httpd *h, const char *channel)
{
	struct MHD_Response *ok = NULL, *nm = NULL, *old_ok, *old_nm;
	char path[PATH_MAX], etag[ETAG_LEN] = "", *text = NULL, *old;
	struct tsent *e;
	size_t len = 0;
	int n;

	n = snprintf(path, sizeof(path), "%s/v1/channels/%s/timestamp.note",
	    h->data, channel);
	if (n < 0 || (size_t)n >= sizeof(path) ||
	    ls_file_read(&text, &len, path, LS_NOTE_MAX) != 0)
		text = NULL;
	if (text != NULL) {
		etag_of(etag, text, len);
		ok = make_response(text, len, MHD_RESPMEM_MUST_COPY, etag,
		    ct_note, "no-cache");
		nm = make_response("", 0, MHD_RESPMEM_PERSISTENT, etag, NULL,
		    "no-cache");
	}
	pthread_rwlock_wrlock(&h->lock);
	if ((e = ts_find(h, channel)) == NULL &&
	    h->nts < LS_STORE_MAX_CHANNELS) {
		e = &h->ts[h->nts++];
		memset(e, 0, sizeof(*e));
		snprintf(e->name, sizeof(e->name), "%s", channel);
	}
	if (e == NULL) {
		pthread_rwlock_unlock(&h->lock);
		free(text);
		return;
	}
	old_ok = e->ok;
	old_nm = e->nm;
	old = e->body;
	e->ok = ok;
	e->nm = nm;
	e->body = text;
	e->len = len;
	memcpy(e->etag, etag, sizeof(etag));
	pthread_rwlock_unlock(&h->lock);
	/* Answers in flight hold their own reference to the old ones. */
	if (old_ok != NULL)
		MHD_destroy_response(old_ok);
	if (old_nm != NULL)
		MHD_destroy_response(old_nm);
	free(old);
}

/* ---- long polls ------------------------------------------------------ */

static void
waiter_unlink(struct ls_httpd *h, struct req *r)
{
	if (r->prev != NULL)
		r->prev->next = r->next;
	else
		h->waiters = r->next;
	if (r->next != NULL)
		r->next->prev = r->prev;
	r->prev = r->next = NULL;
}

void
httpd_waiter_resume(struct ls_httpd *h, struct req *r)
{
	waiter_unlink(h, r);
	httpd_hold_release(h, r);
	r->resumed = 1;
	ls_metrics_add(LS_M_LONGPOLLS_HELD, -1);
	MHD_resume_connection(r->conn);
}

/* Wall-clock milliseconds (pthread_cond_timedwait's clock). */
static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void *
waker(void *arg)
{
	struct ls_httpd *h = arg;
	struct req *r, *next;
	struct timespec ts;
	int64_t now, soonest;

	pthread_mutex_lock(&h->wmu);
	while (!h->stopping) {
		now = now_ms();
		soonest = now + 60000;
		for (r = h->waiters; r != NULL; r = next) {
			next = r->next;
			if (r->deadline <= now)
				httpd_waiter_resume(h, r);
			else if (r->deadline < soonest)
				soonest = r->deadline;
		}
		h->next_wake = soonest;
		ts.tv_sec = (time_t)(soonest / 1000);
		ts.tv_nsec = (long)(soonest % 1000) * 1000000;
		pthread_cond_timedwait(&h->wcond, &h->wmu, &ts);
	}
	while (h->waiters != NULL)
		httpd_waiter_resume(h, h->waiters);
	pthread_mutex_unlock(&h->wmu);
	return NULL;
}

void
ls_httpd_changed(struct ls_httpd *h, const char *channel)
{
	struct req *r, *next;

	ts_reload(h, channel);
	pthread_mutex_lock(&h->wmu);
	for (r = h->waiters; r != NULL; r = next) {
		next = r->next;
		if (strcmp(r->channel, channel) == 0)
			httpd_waiter_resume(h, r);
	}
	pthread_mutex_unlock(&h->wmu);
}

/* Answer a woken long poll: the new body, or 304 when the wait ran out. */
static enum MHD_Result
answer_held(struct ls_httpd *h, struct MHD_Connection *c, struct req *r,
    const char *inm)
{
	struct MHD_Response *resp = NULL;
	struct tsent *e;
	char pref[32];
	unsigned code = 304;
	enum MHD_Result ret;

	pthread_rwlock_rdlock(&h->lock);
	e = ts_find(h, r->channel);
	if (e != NULL && e->ok != NULL) {
		if (httpd_inm_matches(inm, e->etag)) {
			resp = make_response("", 0, MHD_RESPMEM_PERSISTENT,
			    e->etag, NULL, "no-cache");
		} else {
			resp = make_response(e->body, e->len,
			    MHD_RESPMEM_MUST_COPY, e->etag, ct_note,
			    "no-cache");
			code = 200;
		}
	}
	pthread_rwlock_unlock(&h->lock);
	if (resp == NULL)
		return httpd_answer_error(c, 404, "no timestamp");
	snprintf(pref, sizeof(pref), "wait=%u", r->wait);
	MHD_add_response_header(resp, "Preference-Applied", pref);
	ret = httpd_answer(c, code, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* con_cls of a GET that needs no state of its own (the hot path
 * allocates nothing). */
static char get_marker;

struct req *
httpd_req_of(void **con_cls)
{
	struct req *r = *con_cls;

	if (r == (void *)&get_marker) {
		if ((r = calloc(1, sizeof(*r))) == NULL)
			return NULL;
		ls_buf_init(&r->body, 0);
		r->fd = MHD_INVALID_SOCKET;
		*con_cls = r;
	}
	return r;
}

/* Under wmu and the read lock: hold the request until channel changes or
 * the wait ends.  0; 1 when its address holds too many already (answer
 * now); -1 when out of memory. */
static int
hold(struct ls_httpd *h, struct MHD_Connection *c, void **con_cls,
    const char *channel, unsigned wait)
{
	struct req *r = httpd_req_of(con_cls);

	if (r == NULL)
		return -1;
	if (httpd_hold_admit(h, r, c) != 0)
		return 1;
	r->held = 1;
	r->wait = wait;
	r->deadline = now_ms() + (int64_t)wait * 1000;
	r->conn = c;
	snprintf(r->channel, sizeof(r->channel), "%s", channel);
	r->next = h->waiters;
	if (h->waiters != NULL)
		h->waiters->prev = r;
	h->waiters = r;
	MHD_suspend_connection(c);
	ls_metrics_add(LS_M_LONGPOLLS_TOTAL, 1);
	ls_metrics_add(LS_M_LONGPOLLS_HELD, 1);
	if (r->deadline < h->next_wake)
		pthread_cond_signal(&h->wcond);
	return 0;
}

/*
 * 200 with the body, 304, or hold the request.  The hot path (a plain
 * 304) takes only the read lock; holding also takes wmu first so a change
 * after our check is sure to find us in the list: without may_hold,
 * *retry is set instead.
 */
static enum MHD_Result
ts_try(struct ls_httpd *h, struct MHD_Connection *c, void **con_cls,
    const char *channel, const char *inm, unsigned wait, int may_hold,
    int *retry)
{
	struct tsent *e;
	enum MHD_Result ret = MHD_YES;
	int held;

	pthread_rwlock_rdlock(&h->lock);
	e = ts_find(h, channel);
	if (e == NULL || e->ok == NULL) {
		pthread_rwlock_unlock(&h->lock);
		return httpd_answer_error(c, 404, "no such channel");
	}
	if (!httpd_inm_matches(inm, e->etag))
		ret = httpd_answer(c, 200, e->ok);
	else if (wait == 0 || h->stopping)
		ret = httpd_answer(c, 304, e->nm);
	else if (!may_hold)
		*retry = 1;
	else if ((held = hold(h, c, con_cls, channel, wait)) == 1)
		ret = httpd_answer(c, 304, e->nm);
	else if (held != 0)
		ret = MHD_NO;
	pthread_rwlock_unlock(&h->lock);
	return ret;
}

static enum MHD_Result
serve_timestamp(struct ls_httpd *h, struct MHD_Connection *c, void **con_cls,
    const char *channel)
{
	const char *inm = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_IF_NONE_MATCH);
	struct req *r = *con_cls;
	enum MHD_Result ret;
	unsigned wait;
	int retry = 0;

	if (r != (void *)&get_marker && r->resumed)
		return r->gone ? MHD_NO : answer_held(h, c, r, inm);
	wait = httpd_prefer_wait(
	    MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Prefer"));
	ret = ts_try(h, c, con_cls, channel, inm, wait, 0, &retry);
	if (!retry)
		return ret;
	pthread_mutex_lock(&h->wmu);
	ret = ts_try(h, c, con_cls, channel, inm, wait, 1, &retry);
	pthread_mutex_unlock(&h->wmu);
	return ret;
}

/* ---- immutable files -------------------------------------------------- */

static unsigned
url_hash(const char *s)
{
	return (unsigned)(ls_fnv1a_str(s) % FILE_BUCKETS);
}

static struct fent *
file_find(struct ls_httpd *h, const char *url)
{
	struct fent *e;

	for (e = h->files[url_hash(url)]; e != NULL; e = e->next)
		if (strcmp(e->url, url) == 0)
			return e;
	return NULL;
}

static void
file_free(struct fent *e)
{
	if (e == NULL)
		return;
	if (e->ok != NULL)
		MHD_destroy_response(e->ok);
	if (e->nm != NULL)
		MHD_destroy_response(e->nm);
	free(e->url);
	free(e);
}

/* Load url's file into a new entry (memory, or fd for big bundles). */
static struct fent *
file_load(struct ls_httpd *h, const char *url, const char *etag_hint)
{
	char path[PATH_MAX], *data = NULL;
	const char *ctype = strstr(url, ".tar.gz") ? ct_gzip : ct_note;
	struct fent *e = NULL;
	struct stat st;
	size_t len = 0;
	int n, fd = -1;

	n = snprintf(path, sizeof(path), "%s%s", h->data, url);
	if (n < 0 || (size_t)n >= sizeof(path))
		return NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0 ||
	    fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		goto fail;
	if ((e = calloc(1, sizeof(*e))) == NULL ||
	    (e->url = strdup(url)) == NULL)
		goto fail;
	if ((size_t)st.st_size > FILE_MEM_MAX && etag_hint != NULL) {
		snprintf(e->etag, sizeof(e->etag), "\"%s\"", etag_hint);
		e->ok = MHD_create_response_from_fd((uint64_t)st.st_size, fd);
		fd = -1; /* owned by the response now (or closed) */
		if (e->ok == NULL)
			goto fail;
		MHD_add_response_header(e->ok, MHD_HTTP_HEADER_ETAG, e->etag);
		MHD_add_response_header(e->ok, MHD_HTTP_HEADER_CACHE_CONTROL,
		    cc_immutable);
		MHD_add_response_header(e->ok, MHD_HTTP_HEADER_CONTENT_TYPE,
		    ctype);
	} else {
		close(fd);
		fd = -1;
		if (ls_file_read(&data, &len, path, FILE_MEM_MAX) != 0)
			goto fail;
		etag_of(e->etag, data, len);
		e->bytes = len;
		e->ok = make_response(data, len, MHD_RESPMEM_MUST_FREE, e->etag,
		    ctype, cc_immutable);
		if (e->ok == NULL)
			goto fail;
		data = NULL;
	}
	e->nm = make_response("", 0, MHD_RESPMEM_PERSISTENT, e->etag, NULL,
	    cc_immutable);
	if (e->nm == NULL)
		goto fail;
	return e;
fail:
	free(data);
	if (fd >= 0)
		close(fd);
	file_free(e);
	return NULL;
}

static enum MHD_Result
answer_file(struct MHD_Connection *c, const struct fent *e)
{
	const char *inm = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_IF_NONE_MATCH);

	if (httpd_inm_matches(inm, e->etag))
		return httpd_answer(c, 304, e->nm);
	return httpd_answer(c, 200, e->ok);
}

static enum MHD_Result
serve_file(struct ls_httpd *h, struct MHD_Connection *c, const char *url,
    const char *etag_hint)
{
	struct fent *e, *other;
	enum MHD_Result ret;

	pthread_rwlock_rdlock(&h->lock);
	if ((e = file_find(h, url)) != NULL) {
		ret = answer_file(c, e);
		pthread_rwlock_unlock(&h->lock);
		return ret;
	}
	pthread_rwlock_unlock(&h->lock);
	if ((e = file_load(h, url, etag_hint)) == NULL)
		return httpd_answer_error(c, 404, "not found");
	pthread_rwlock_wrlock(&h->lock);
	if ((other = file_find(h, url)) != NULL) {
		file_free(e);
		e = other;
	} else if (h->nfiles < FILE_CACHE_MAX &&
	    h->file_bytes + e->bytes <= FILE_CACHE_BYTES) {
		unsigned b = url_hash(url);

		e->next = h->files[b];
		h->files[b] = e;
		h->nfiles++;
		h->file_bytes += e->bytes;
	} else {
		ret = answer_file(c, e); /* too many to keep */
		pthread_rwlock_unlock(&h->lock);
		file_free(e);
		return ret;
	}
	ret = answer_file(c, e);
	pthread_rwlock_unlock(&h->lock);
	return ret;
}

/* ---- routing ---------------------------------------------------------- */

static enum MHD_Result
serve_opa_bundle(struct ls_httpd *h, struct MHD_Connection *c,
    const char *channel)
{
	char url[PATH_MAX], sha[65];

	if (ls_store_current(h->o.store, channel, sha) != 0)
		return httpd_answer_error(c, 404, "no such channel");
	snprintf(url, sizeof(url), "/v1/bundles/%s.tar.gz", sha);
	/* The content-addressed bytes with their own ETag; OPA sends it back
	 * in If-None-Match and gets a 304 until the channel moves. */
	return serve_file(h, c, url, sha);
}

static enum MHD_Result
route_get(struct ls_httpd *h, struct MHD_Connection *c, const char *url,
    void **con_cls)
{
	char ch[LS_NAME_MAX + 1], hex[65];
	const char *rest;
	enum MHD_Result ret;
	int handled = 0;

	if (httpd_channel_path(url, "/v1/channels/", ch, &rest)) {
		if (strcmp(rest, "/timestamp.note") == 0)
			return serve_timestamp(h, c, con_cls, ch);
		if (strncmp(rest, "/releases/", 10) == 0 &&
		    httpd_is_seq_note(rest + 10))
			return serve_file(h, c, url, NULL);
		return httpd_answer_error(c, 404, "not found");
	}
	if (strncmp(url, "/v1/root/", 9) == 0 && httpd_is_seq_note(url + 9))
		return serve_file(h, c, url, NULL);
	if (strncmp(url, "/v1/bundles/", 12) == 0 &&
	    httpd_is_bundle_name(url + 12, hex))
		return serve_file(h, c, url, hex);
	if (httpd_channel_path(url, "/bundles/", ch, &rest) && rest[0] == '\0')
		return serve_opa_bundle(h, c, ch);
	ret = httpd_api_get(h, c, url, con_cls, &handled);
	if (handled)
		return ret;
	return httpd_answer_error(c, 404, "not found");
}

/* Did c come in on the TLS listener? */
static int
conn_tls(struct ls_httpd *h, struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci;

	if (h->o.tls_cert == NULL)
		return 0;
	/* (Not the daemon: with a thread pool that is a worker's.) */
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	return ci != NULL && ci->tls_session != NULL;
}

static enum MHD_Result
handler(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct ls_httpd *h = cls;
	struct req *r = *con_cls;
	int get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;

	(void)version;
	if (h->o.https_only && httpd_https_only(url) && !conn_tls(h, c))
		return httpd_answer_error(c, 403,
		    "this endpoint needs HTTPS (the server runs with "
		    "--admin-https-only): use the https:// address");
	if (r == NULL) {
		/* Answering on the first call makes MHD close the
		 * connection; the second call keeps it alive. */
		if (get) {
			*con_cls = &get_marker;
			return MHD_YES;
		}
		if ((r = calloc(1, sizeof(*r))) == NULL)
			return MHD_NO;
		ls_buf_init(&r->body, httpd_body_cap(url));
		r->fd = MHD_INVALID_SOCKET;
		r->started = now_ms();
		*con_cls = r;
		return MHD_YES;
	}
	if (get && r != (void *)&get_marker && r->job != NULL)
		return httpd_job_resumed(c, r); /* routed and gated before */
	if (get)
		return route_get(h, c, url, con_cls);
	if (strcmp(method, "POST") != 0)
		return httpd_answer_error(c, 405, "method not allowed");
	if (*upload_data_size > 0) {
		/* A body trickled in past the deadline holds memory for
		 * nothing: drop the connection (a stalled one meets the idle
		 * timeout). */
		if (now_ms() - r->started > (int64_t)h->o.timeout * 1000)
			return MHD_NO;
		if (!r->toobig &&
		    ls_buf_add(&r->body, upload_data, *upload_data_size) != 0)
			r->toobig = 1; /* keep reading, answer 413 */
		*upload_data_size = 0;
		return MHD_YES;
	}
	return httpd_api_post(h, c, url, r);
}

static void
completed(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct req *r = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (r == NULL || r == (void *)&get_marker)
		return;
	ls_buf_cleanup(&r->body);
	/* A job is never in flight here: its connection is suspended. */
	if (r->job_free != NULL)
		r->job_free(r->job);
	else
		free(r->job);
	free(r);
	*con_cls = NULL;
}

/* ---- start and stop --------------------------------------------------- */

static int
parse_listen(struct sockaddr_in *sa, const char *listen)
{
	char host[64];
	const char *colon = strrchr(listen, ':');
	unsigned long port = 0;
	const char *p;

	memset(sa, 0, sizeof(*sa));
	if (colon == NULL || (size_t)(colon - listen) >= sizeof(host) ||
	    colon[1] == '\0')
		return ls_error_set(LS_EINVAL,
		    "--listen %s: expected "
		    "ADDRESS:PORT",
		    listen);
	memcpy(host, listen, (size_t)(colon - listen));
	host[colon - listen] = '\0';
	for (p = colon + 1; *p != '\0'; p++) {
		if (*p < '0' || *p > '9' ||
		    (port = port * 10 + (unsigned long)(*p - '0')) > 65535)
			return ls_error_set(LS_EINVAL, "--listen %s: bad port",
			    listen);
	}
	sa->sin_family = AF_INET;
	sa->sin_port = htons((unsigned short)port);
	if (inet_pton(AF_INET, host, &sa->sin_addr) != 1)
		return ls_error_set(LS_EINVAL,
		    "--listen %s: expected an IPv4 "
		    "address",
		    listen);
	return 0;
}

/* Timestamps of every channel on disk, before the first request. */
static void
load_channels(struct ls_httpd *h)
{
	char dir[PATH_MAX];
	struct dirent *de;
	DIR *d;

	int n = snprintf(dir, sizeof(dir), "%s/v1/channels", h->data);

	if (n < 0 || (size_t)n >= sizeof(dir) || (d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.' && ls_name_valid(de->d_name))
			ts_reload(h, de->d_name);
	closedir(d);
}

/* TLS 1.2 and 1.3 only, GnuTLS's defaults otherwise. */
#define TLS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"

static struct MHD_Daemon *
start_daemon(struct ls_httpd *h, struct sockaddr_in *sa, unsigned threads,
    int tls)
{
	struct MHD_OptionItem tlsopts[] = {
		{ MHD_OPTION_HTTPS_MEM_CERT, 0,
		    (void *)(uintptr_t)h->o.tls_cert },
		{ MHD_OPTION_HTTPS_MEM_KEY, 0,
		    (void *)(uintptr_t)h->o.tls_key },
		{ MHD_OPTION_HTTPS_PRIORITIES, 0,
		    (void *)(uintptr_t)TLS_PRIORITIES },
		{ MHD_OPTION_END, 0, NULL },
	};
	struct MHD_OptionItem none[] = { { MHD_OPTION_END, 0, NULL } };

	return MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD |
		MHD_ALLOW_SUSPEND_RESUME | MHD_USE_TURBO | MHD_USE_ERROR_LOG |
		(tls ? MHD_USE_TLS : 0),
	    0, NULL, NULL, handler, h, MHD_OPTION_SOCK_ADDR,
	    (struct sockaddr *)sa, MHD_OPTION_THREAD_POOL_SIZE,
	    threads > 1 ? threads : 0u, /* 1: the daemon's own thread */
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)LS_HTTPD_CONN_MAX,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)LS_HTTPD_CONN_MEMORY,
	    MHD_OPTION_CONNECTION_TIMEOUT, h->o.timeout,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, h->o.per_ip_conns,
	    MHD_OPTION_LISTEN_BACKLOG_SIZE, 4096u, MHD_OPTION_NOTIFY_COMPLETED,
	    completed, h, MHD_OPTION_ARRAY, tls ? tlsopts : none,
	    MHD_OPTION_END);
}

/* The extra plain HTTP listener next to an HTTPS one. */
static int
start_plain(struct ls_httpd *h, unsigned threads)
{
	const union MHD_DaemonInfo *info;
	struct sockaddr_in sa;
	int rc;

	if ((rc = parse_listen(&sa, h->o.listen_http)) != 0)
		return ls_error_wrap(rc, "--listen-http");
	if ((h->d_plain = start_daemon(h, &sa, threads, 0)) == NULL)
		return ls_error_set(LS_ENET,
		    "--listen-http %s: cannot listen (address in use?)",
		    h->o.listen_http);
	info = MHD_get_daemon_info(h->d_plain, MHD_DAEMON_INFO_BIND_PORT);
	h->http_port = info != NULL ? info->port : ntohs(sa.sin_port);
	return 0;
}

int
ls_httpd_start(struct ls_httpd **out, const struct ls_httpd_opts *o)
{
	struct ls_httpd *h;
	struct sockaddr_in sa;
	const union MHD_DaemonInfo *info;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	/* Two threads a CPU measured best against nginx (bench/server.sh). */
	unsigned threads =
	    o->threads ? o->threads : (unsigned)(ncpu > 0 ? 2 * ncpu : 2);
	int rc;

	*out = NULL;
	if ((rc = parse_listen(&sa, o->listen)) != 0)
		return rc;
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	h->o = *o;
	if (h->o.timeout == 0)
		h->o.timeout = LS_HTTPD_TIMEOUT;
	snprintf(h->data, sizeof(h->data), "%s", ls_store_data_dir(o->store));
	pthread_rwlock_init(&h->lock, NULL);
	pthread_mutex_init(&h->wmu, NULL);
	pthread_cond_init(&h->wcond, NULL);
	load_channels(h);
	httpd_job_init();
	if ((rc = httpd_audit_pkg_init(h)) != 0) {
		ls_httpd_stop(h);
		return rc;
	}
	if (httpd_hold_init(h) != 0) {
		ls_httpd_stop(h);
		return ls_error_set(LS_ERROR,
		    "cannot start the hang-up watcher");
	}
	if (pthread_create(&h->waker, NULL, waker, h) != 0) {
		ls_httpd_stop(h);
		return ls_error_set(LS_ERROR, "cannot start the waker thread");
	}
	h->waker_started = 1;
	h->d = start_daemon(h, &sa, threads, o->tls_cert != NULL);
	if (h->d == NULL) {
		ls_httpd_stop(h);
		return ls_error_set(LS_ENET,
		    "--listen %s: cannot listen "
		    "(address in use%s?)",
		    o->listen,
		    o->tls_cert ? ", or a bad certificate or key" : "");
	}
	info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
	h->port = info != NULL ? info->port : ntohs(sa.sin_port);
	if (o->listen_http != NULL && (rc = start_plain(h, threads)) != 0) {
		ls_httpd_stop(h);
		return rc;
	}
	*out = h;
	return 0;
}

void
ls_httpd_set_watch(struct ls_httpd *h, struct ls_gitwatch *w)
{
	__atomic_store_n(&h->o.watch, w, __ATOMIC_SEQ_CST);
}

unsigned
ls_httpd_port(const struct ls_httpd *h)
{
	return h->port;
}

unsigned
ls_httpd_http_port(const struct ls_httpd *h)
{
	return h->http_port;
}

static void
stop_daemon(struct MHD_Daemon *d)
{
	MHD_socket ls;

	if (d == NULL)
		return;
	if ((ls = MHD_quiesce_daemon(d)) != MHD_INVALID_SOCKET)
		close(ls);
	usleep(100 * 1000); /* let the woken ones answer */
	MHD_stop_daemon(d);
}

void
ls_httpd_stop(struct ls_httpd *h)
{
	struct fent *e, *next;
	size_t i;

	if (h == NULL)
		return;
	/* Held connections must be resumed before the daemon stops. */
	pthread_mutex_lock(&h->wmu);
	h->stopping = 1;
	pthread_cond_signal(&h->wcond);
	pthread_mutex_unlock(&h->wmu);
	if (h->waker_started)
		pthread_join(h->waker, NULL);
	httpd_hold_stop(h);
	httpd_evidence_stop();
	httpd_job_stop(h);
	httpd_decisions_stop();
	stop_daemon(h->d_plain);
	stop_daemon(h->d);
	for (i = 0; i < FILE_BUCKETS; i++)
		for (e = h->files[i]; e != NULL; e = next) {
			next = e->next;
			file_free(e);
		}
	for (i = 0; i < h->nts; i++) {
		if (h->ts[i].ok != NULL)
			MHD_destroy_response(h->ts[i].ok);
		if (h->ts[i].nm != NULL)
			MHD_destroy_response(h->ts[i].nm);
		free(h->ts[i].body);
	}
	pthread_cond_destroy(&h->wcond);
	pthread_mutex_destroy(&h->wmu);
	pthread_rwlock_destroy(&h->lock);
	free(h);
}
