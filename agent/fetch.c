/*
 * fetch.c - the agent's HTTP/1.1 client: one kept-alive connection
 * (fetch_conn.c) reused for every request to the same server, answers
 * framed by Content-Length, chunks or the end of the connection, and
 * streamed into capped sinks.  Requests carry no Accept-Encoding: a
 * compressed answer could expand past our caps before we see it, and
 * bundles are gzip already.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <sodium.h>

#include "fetch.h"
#include "fetch_conn.h"
#include "fetch_url.h"
#include "lockstep/error.h"
#include "lockstep/timefmt.h"
#include "lockstep/file.h"

#define ERRBODY_MAX 4096     /* body of a non-200 answer we read and drop */
#define HEAD_MAX (64 * 1024) /* bytes of an answer's status and headers */
#define LINE_CAP 8192	     /* one header or chunk-size line */
#define REQ_CAP 8192	     /* the request line and headers */

struct ls_fetch {
	struct ls_fetch_opts o;
	struct fconn c;
};

/* Per-request sink: either a bounded buffer or a file with a hash. */
struct sink {
	struct ls_buf *buf; /* for documents, NULL for files */
	int fd;		    /* for files, -1 otherwise */
	uint64_t max, got;
	crypto_hash_sha256_state sha;
	int toobig, ioerr, not200;
	int keep_errors; /* a POST's caller reads the error body too */
	size_t dropped;	 /* bytes of a non-200 body */
	struct ls_fetch_result *res;
};

/* One request's transfer: its waits and the low-speed window. */
struct xfer {
	struct ls_fetch *f;
	struct fconn_wait w;
	int low_speed;
	long long win_ms;
	uint64_t got, win_got;
	int started; /* a byte of the answer arrived */
};

struct head {
	long status;
	int chunked, has_len, close;
	uint64_t len;
};

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
	if ((f = calloc(1, sizeof(*f))) == NULL)
		return ls_error_set(LS_ENOMEM, "fetch: out of memory");
	f->o = *o;
	fconn_init(&f->c);
	*out = f;
	return 0;
}

void
ls_fetch_free(struct ls_fetch *f)
{
	if (f == NULL)
		return;
	fconn_cleanup(&f->c);
	free(f);
}

/* ---- reading an answer ---- */

/* More bytes into the connection's buffer: 1, or 0 at its end. */
static int
xfer_fill(struct xfer *x)
{
	struct ls_fetch *f = x->f;
	long long until, now, win = (long long)f->o.low_speed_time * 1000;
	size_t before;
	int r;

	for (;;) {
		if (x->w.stop != NULL && *x->w.stop)
			return ls_error_set(LS_ENET, "stopped");
		until = x->low_speed ? x->win_ms + win : x->w.end_ms;
		before = f->c.rlen - f->c.rpos;
		if ((r = fconn_fill(&f->c, until, &x->w)) <= 0)
			return r;
		if (r == 1) {
			x->got += f->c.rlen - f->c.rpos - before;
			x->started = 1;
		}
		now = ls_mono_ms();
		if (x->low_speed && now - x->win_ms >= win) {
			if (x->got - x->win_got <
			    (uint64_t)(f->o.low_speed_limit *
				f->o.low_speed_time))
				return ls_error_set(LS_ETIMEOUT,
				    "too slow: under %ld bytes/s for %ld s",
				    f->o.low_speed_limit, f->o.low_speed_time);
			x->win_ms = now;
			x->win_got = x->got;
		}
		if (r == 1)
			return 1;
	}
}

/* The next line, CRLF or LF dropped, into line (cap bytes). */
static int
read_line(struct xfer *x, char *line, size_t cap)
{
	struct fconn *c = &x->f->c;
	const unsigned char *start, *nl;
	size_t n;
	int r;

	for (;;) {
		start = c->rbuf + c->rpos;
		if ((nl = memchr(start, '\n', c->rlen - c->rpos)) != NULL)
			break;
		if (c->rlen - c->rpos >= cap - 1)
			return ls_error_set(LS_ENET, "header line too long");
		if ((r = xfer_fill(x)) < 0)
			return r;
		if (r == 0)
			return ls_error_set(LS_ENET,
			    "connection closed before the answer ended");
	}
	n = (size_t)(nl - start);
	c->rpos += n + 1;
	if (n > 0 && start[n - 1] == '\r')
		n--;
	if (n >= cap)
		return ls_error_set(LS_ENET, "header line too long");
	memcpy(line, start, n);
	line[n] = '\0';
	return 0;
}

/* The value of header line if its name is name, else NULL. */
static const char *
header_value(const char *line, const char *name)
{
	size_t n = strlen(name);

	if (strncasecmp(line, name, n) != 0 || line[n] != ':')
		return NULL;
	line += n + 1;
	while (*line == ' ' || *line == '\t')
		line++;
	return line;
}

static int
header_line(struct head *h, struct ls_fetch_result *res, const char *line)
{
	const char *v;
	size_t n;
	char *end;

	if ((v = header_value(line, "Content-Length")) != NULL) {
		errno = 0;
		h->len = strtoull(v, &end, 10);
		if (errno != 0 || end == v || *v == '-' ||
		    end[strspn(end, " \t")] != '\0')
			return ls_error_set(LS_ENET, "bad Content-Length");
		h->has_len = 1;
	} else if ((v = header_value(line, "Transfer-Encoding")) != NULL) {
		if (strcasecmp(v, "chunked") != 0)
			return ls_error_set(LS_ENET,
			    "unsupported transfer coding '%.40s'", v);
		h->chunked = 1;
	} else if ((v = header_value(line, "Connection")) != NULL) {
		if (strcasestr(v, "close") != NULL)
			h->close = 1;
	} else if ((v = header_value(line, "ETag")) != NULL) {
		n = strlen(v);
		while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
			n--;
		if (n <= LS_FETCH_ETAG_MAX) {
			memcpy(res->etag, v, n);
			res->etag[n] = '\0';
		}
	} else if ((v = header_value(line, "Preference-Applied")) != NULL &&
	    strstr(v, "wait=") != NULL) {
		res->held = 1;
	}
	return 0;
}

/* Status line and headers, past any 1xx answer. */
static int
read_head(struct xfer *x, struct ls_fetch_result *res, struct head *h)
{
	char line[LINE_CAP];
	size_t total;
	int rc, minor;

	do {
		memset(h, 0, sizeof(*h));
		res->etag[0] = '\0';
		res->held = 0;
		if ((rc = read_line(x, line, sizeof(line))) < 0)
			return rc;
		if (sscanf(line, "HTTP/1.%d %3ld", &minor, &h->status) != 2 ||
		    h->status < 100)
			return ls_error_set(LS_ENET, "not an HTTP/1 answer");
		h->close = minor == 0;
		for (total = 0;;) {
			if ((rc = read_line(x, line, sizeof(line))) < 0)
				return rc;
			if (line[0] == '\0')
				break;
			if ((total += strlen(line)) > HEAD_MAX)
				return ls_error_set(LS_ENET,
				    "answer headers past %d bytes", HEAD_MAX);
			if ((rc = header_line(h, res, line)) < 0)
				return rc;
		}
	} while (h->status < 200);
	res->status = h->status;
	return 0;
}

/* Hand len bytes of the body to s; 1 when it wants no more. */
static int
sink_feed(struct sink *s, const unsigned char *p, size_t len)
{
	if (s->res->status != 200 && s->keep_errors && s->buf != NULL) {
		s->not200 = 1;
		return ls_buf_add(s->buf, p, len) != 0; /* keep what fitted */
	}
	if (s->res->status != 200) {
		s->not200 = 1;
		s->dropped += len;
		return s->dropped > ERRBODY_MAX;
	}
	if (s->got + len > s->max || s->got + len < s->got) {
		s->toobig = 1;
		return 1;
	}
	s->got += len;
	if (s->buf != NULL) {
		if (ls_buf_add(s->buf, p, len) != 0) {
			s->toobig = 1;
			return 1;
		}
		return 0;
	}
	crypto_hash_sha256_update(&s->sha, p, len);
	if (ls_file_write_all(s->fd, p, len) != 0) {
		s->ioerr = errno ? errno : EIO;
		return 1;
	}
	return 0;
}

/* n bytes of body (or up to the connection's end when to_eof) into s;
 * *cut is set when the sink stopped the transfer. */
static int
take(struct xfer *x, struct sink *s, uint64_t n, int to_eof, int *cut)
{
	struct fconn *c = &x->f->c;
	size_t k;
	int r;

	while (n > 0 || to_eof) {
		if (c->rpos == c->rlen) {
			if ((r = xfer_fill(x)) < 0)
				return r;
			if (r == 0 && to_eof)
				return 0;
			if (r == 0)
				return ls_error_set(LS_ENET,
				    "connection closed %llu bytes short",
				    (unsigned long long)n);
			continue;
		}
		k = c->rlen - c->rpos;
		if (!to_eof && k > n)
			k = (size_t)n;
		r = sink_feed(s, c->rbuf + c->rpos, k);
		c->rpos += k;
		n -= to_eof ? 0 : k;
		if (r) {
			*cut = 1;
			return 0;
		}
	}
	return 0;
}

static int
take_chunks(struct xfer *x, struct sink *s, int *cut)
{
	char line[LINE_CAP], *end;
	uint64_t n;
	int rc;

	for (;;) {
		if ((rc = read_line(x, line, sizeof(line))) < 0)
			return rc;
		errno = 0;
		n = strtoull(line, &end, 16);
		if (errno != 0 || end == line || line[0] == '-' ||
		    (*end != '\0' && *end != ';' && *end != ' '))
			return ls_error_set(LS_ENET, "bad chunk size");
		if (n == 0)
			break;
		if ((rc = take(x, s, n, 0, cut)) < 0 || *cut)
			return rc;
		if ((rc = read_line(x, line, sizeof(line))) < 0)
			return rc;
		if (line[0] != '\0')
			return ls_error_set(LS_ENET, "bad chunk end");
	}
	do /* trailers, up to the empty line */
		if ((rc = read_line(x, line, sizeof(line))) < 0)
			return rc;
	while (line[0] != '\0');
	return 0;
}

static int
read_body(struct xfer *x, struct sink *s, struct head *h, int *cut)
{
	if (h->status == 204 || h->status == 304)
		return 0;
	if (h->chunked)
		return take_chunks(x, s, cut);
	if (h->has_len)
		return take(x, s, h->len, 0, cut);
	h->close = 1;
	return take(x, s, 0, 1, cut);
}

/* ---- one exchange ---- */

struct req {
	const char *method, *url, *headers; /* headers: CRLF-ended lines */
	const void *body;
	size_t len;
	long total_s;
	int low_speed;
	uint64_t max_announced; /* 0: no check */
};

static int
send_request(struct fconn *c, const struct fetch_url *u, const struct req *q,
    int absolute, const struct fconn_wait *w)
{
	char head[REQ_CAP];
	int n, rc;

	/* Through an http proxy the target is the absolute URL. */
	n = snprintf(head, sizeof(head),
	    "%s %s%s%s%.*s HTTP/1.1\r\nHost: %s\r\n"
	    "User-Agent: lockstep-agent/1\r\nAccept: */*\r\n%s",
	    q->method, absolute ? "http://" : "", absolute ? u->authority : "",
	    u->path[0] == '/' ? "" : "/", u->path_len, u->path, u->authority,
	    q->headers);
	if (n > 0 && strcmp(q->method, "POST") == 0)
		n += snprintf(head + n, sizeof(head) - (size_t)n,
		    "Content-Length: %zu\r\n", q->len);
	if (n > 0 && (size_t)n < sizeof(head))
		n += snprintf(head + n, sizeof(head) - (size_t)n, "\r\n");
	if (n < 0 || (size_t)n >= sizeof(head))
		return ls_error_set(LS_ENET, "request too long");
	if ((rc = fconn_write(c, head, (size_t)n, w)) < 0)
		return rc;
	return q->len > 0 ? fconn_write(c, q->body, q->len, w) : 0;
}

static int
same_server(const struct fconn *c, const struct fetch_url *u)
{
	return c->fd >= 0 && c->https == u->https &&
	    strcmp(c->host, u->host) == 0 && strcmp(c->port, u->port) == 0;
}

/* A tunnel to u through the proxy just connected (CONNECT). */
static int
tunnel(struct xfer *x, const struct fetch_url *u)
{
	struct ls_fetch_result res;
	struct head h;
	char line[2 * FCONN_HOST_MAX + 128];
	const char *l = strchr(u->host, ':') ? "[" : "";
	const char *r = *l ? "]" : "";
	int rc;

	snprintf(line, sizeof(line),
	    "CONNECT %s%s%s:%s HTTP/1.1\r\nHost: %s%s%s:%s\r\n"
	    "User-Agent: lockstep-agent/1\r\n\r\n",
	    l, u->host, r, u->port, l, u->host, r, u->port);
	memset(&res, 0, sizeof(res));
	if ((rc = fconn_write(&x->f->c, line, strlen(line), &x->w)) < 0 ||
	    (rc = read_head(x, &res, &h)) < 0)
		return rc;
	if (h.status != 200 || x->f->c.rpos != x->f->c.rlen)
		return ls_error_set(LS_ENET,
		    "proxy refused the tunnel: HTTP %ld", h.status);
	return 0;
}

/* A fresh connection to u, through its proxy if it has one. */
static int
connect_to(struct xfer *x, const struct fetch_url *u,
    const struct fetch_url *proxy, int proxied)
{
	struct ls_fetch *f = x->f;
	const struct fetch_url *to = proxied ? proxy : u;
	int rc;

	if ((rc = fconn_connect(&f->c, to->host, to->port,
		 f->o.connect_timeout * 1000, &x->w)) < 0)
		return proxied ? ls_error_wrap(rc, "proxy %s", proxy->authority)
			       : rc;
	if (u->https &&
	    ((proxied && (rc = tunnel(x, u)) < 0) ||
		(rc = fconn_tls(&f->c, u->host, f->o.cacert, &x->w)) < 0)) {
		fconn_close(&f->c);
		return rc;
	}
	f->c.https = u->https;
	snprintf(f->c.host, sizeof(f->c.host), "%s", u->host);
	snprintf(f->c.port, sizeof(f->c.port), "%s", u->port);
	return 0;
}

/* Connect (or reuse), send, read the head: a reused connection the
 * server closed meanwhile is retried once on a fresh one. */
static int
exchange(struct xfer *x, const struct fetch_url *u, const struct req *q,
    struct ls_fetch_result *res, struct head *h)
{
	struct ls_fetch *f = x->f;
	struct fetch_url proxy;
	int attempt, reused, rc = 0, sent, proxied;

	if ((proxied = fetch_url_proxy(&proxy, u)) < 0)
		return proxied;
	for (attempt = 0;; attempt++) {
		reused = same_server(&f->c, u);
		if (!reused && (rc = connect_to(x, u, &proxy, proxied)) < 0)
			return rc;
		x->started = 0;
		sent = send_request(&f->c, u, q, proxied && !u->https, &x->w);
		/* A server may answer (413, say) and close before it read
		 * all of a body: its answer still counts. */
		if ((sent == 0 || (sent == LS_ENET && f->c.fd >= 0)) &&
		    (rc = read_head(x, res, h)) == 0) {
			h->close |= sent != 0;
			return 0;
		}
		if (sent != 0 && !x->started)
			rc = sent;
		fconn_close(&f->c);
		if (!reused || x->started || attempt > 0 || rc == LS_ETIMEOUT ||
		    (x->w.stop != NULL && *x->w.stop))
			return rc;
	}
}

static int
request(struct ls_fetch *f, struct sink *s, const struct req *q)
{
	struct xfer x = { f, { 0, f->o.stop }, q->low_speed, 0, 0, 0, 0 };
	struct fetch_url u;
	struct head h;
	int rc, cut = 0;

	memset(&h, 0, sizeof(h));
	x.w.end_ms = ls_mono_ms() + q->total_s * 1000;
	x.win_ms = ls_mono_ms();
	if ((rc = fetch_url_parse(&u, q->url)) < 0 ||
	    (rc = exchange(&x, &u, q, s->res, &h)) < 0)
		goto out;
	if (q->max_announced > 0 && h.status == 200 && h.has_len &&
	    h.len > q->max_announced) {
		fconn_close(&f->c);
		return ls_error_set(LS_ETOOBIG,
		    "%s: announced length above %llu bytes", q->url,
		    (unsigned long long)q->max_announced);
	}
	rc = read_body(&x, s, &h, &cut);
	if (rc < 0 || cut || h.close || f->c.rpos != f->c.rlen)
		fconn_close(&f->c);
out:
	if (s->toobig)
		return ls_error_set(LS_ETOOBIG,
		    "%s: body larger than %llu bytes", q->url,
		    (unsigned long long)s->max);
	if (s->ioerr)
		return ls_error_set(LS_EIO, "%s: write: %s", q->url,
		    strerror(s->ioerr));
	if (rc < 0) {
		fconn_close(&f->c);
		return ls_error_wrap(rc, "%s", q->url);
	}
	return 0;
}

static void
sink_init(struct sink *s, struct ls_fetch_result *res)
{
	memset(s, 0, sizeof(*s));
	memset(res, 0, sizeof(*res));
	s->fd = -1;
	s->res = res;
}

int
ls_fetch_get(struct ls_fetch *f, struct ls_fetch_result *res,
    struct ls_buf *out, const char *url, const char *etag, long wait_s)
{
	struct req q = { "GET", url, NULL, NULL, 0, 0, 0, 0 };
	char hdrs[LS_FETCH_ETAG_MAX + 64];
	struct sink s;
	int rc, n = 0;

	sink_init(&s, res);
	s.buf = out;
	s.max = out->max;
	ls_buf_reset(out);
	hdrs[0] = '\0';
	if (etag != NULL && etag[0] != '\0' &&
	    strlen(etag) <= LS_FETCH_ETAG_MAX && strpbrk(etag, "\r\n") == NULL)
		n = snprintf(hdrs, sizeof(hdrs), "If-None-Match: %s\r\n", etag);
	if (wait_s > 0)
		snprintf(hdrs + n, sizeof(hdrs) - (size_t)n,
		    "Prefer: wait=%ld\r\n", wait_s);
	q.headers = hdrs;
	/* A held long poll sends nothing for wait_s: no low-speed check. */
	q.total_s = f->o.doc_timeout + (wait_s > 0 ? wait_s : 0);
	q.low_speed = wait_s <= 0 && f->o.low_speed_time > 0;
	rc = request(f, &s, &q);
	if (rc == 0 && res->status != 200)
		ls_buf_reset(out);
	return rc;
}

int
ls_fetch_file(struct ls_fetch *f, struct ls_fetch_result *res, const char *url,
    int fd, uint64_t max, uint8_t sha_out[LS_SHA256_LEN], uint64_t *len_out)
{
	struct req q = { "GET", url, "", NULL, 0, 0, 0, max };
	struct sink s;
	int rc;

	sink_init(&s, res);
	s.fd = fd;
	s.max = max;
	crypto_hash_sha256_init(&s.sha);
	q.total_s = f->o.bundle_timeout;
	q.low_speed = f->o.low_speed_time > 0;
	rc = request(f, &s, &q);
	if (rc == 0 && res->status != 200)
		rc = ls_error_set(LS_ENET, "%s: HTTP %ld", url, res->status);
	crypto_hash_sha256_final(&s.sha, sha_out);
	*len_out = s.got;
	return rc;
}

/* Each "\n"-separated line of header as its own CRLF-ended line. */
static int
post_headers(char *out, size_t cap, const char *header)
{
	const char *nl;
	size_t n, used = 0;
	int w;

	out[0] = '\0';
	if (header == NULL || strncmp(header, "Content-Type:", 13) != 0) {
		w = snprintf(out, cap, "Content-Type: text/plain\r\n");
		used = (size_t)w;
	}
	for (; header != NULL && *header != '\0';
	     header = nl ? nl + 1 : header + n) {
		nl = strchr(header, '\n');
		n = nl ? (size_t)(nl - header) : strlen(header);
		if (n == 0)
			continue;
		if (memchr(header, '\r', n) != NULL || n + 3 > cap - used)
			return ls_error_set(LS_ETOOBIG, "header too long");
		memcpy(out + used, header, n);
		memcpy(out + used + n, "\r\n", 3);
		used += n + 2;
	}
	return 0;
}

int
ls_fetch_post(struct ls_fetch *f, struct ls_fetch_result *res, const char *url,
    const char *header, const void *body, size_t len, struct ls_buf *resp)
{
	struct req q = { "POST", url, NULL, body, len, 0, 0, 0 };
	char hdrs[REQ_CAP / 2];
	struct ls_buf scratch;
	struct sink s;
	int rc;

	ls_buf_init(&scratch, ERRBODY_MAX);
	sink_init(&s, res);
	s.buf = resp != NULL ? resp : &scratch;
	s.max = s.buf->max;
	s.keep_errors = resp != NULL;
	if ((rc = post_headers(hdrs, sizeof(hdrs), header)) == 0) {
		q.headers = hdrs;
		q.total_s = f->o.doc_timeout;
		q.low_speed = f->o.low_speed_time > 0;
		rc = request(f, &s, &q);
	}
	ls_buf_cleanup(&scratch);
	return rc;
}
