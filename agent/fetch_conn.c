/* fetch_conn.c - the agent's client connections: TCP, or TLS over GnuTLS. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/x509.h>

#include "fetch_conn.h"
#include "lockstep/error.h"
#include "lockstep/timefmt.h"

#define SLICE_MS 200 /* the stop flag is looked at this often */
#define TLS_PRIORITY "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"

void
fconn_init(struct fconn *c)
{
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

void
fconn_close(struct fconn *c)
{
	if (c->tls != NULL)
		gnutls_deinit(c->tls);
	c->tls = NULL;
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->rpos = c->rlen = 0;
}

void
fconn_cleanup(struct fconn *c)
{
	fconn_close(c);
	if (c->cred != NULL)
		gnutls_certificate_free_credentials(c->cred);
	c->cred = NULL;
}

/*
 * Wait for fd to be readable (events POLLIN) or writable (POLLOUT) until
 * until_ms: 1 ready, 2 until_ms passed; LS_ETIMEOUT past the request's
 * deadline, LS_ENET when stopped.
 */
static int
wait_fd(int fd, short events, long long until_ms, const struct fconn_wait *w)
{
	struct pollfd p = { fd, events, 0 };
	long long now, left;
	int r;

	for (;;) {
		if (w->stop != NULL && *w->stop)
			return ls_error_set(LS_ENET, "stopped");
		now = ls_mono_ms();
		if (now >= w->end_ms)
			return ls_error_set(LS_ETIMEOUT, "timed out");
		if (now >= until_ms)
			return 2;
		left = (until_ms < w->end_ms ? until_ms : w->end_ms) - now;
		r = poll(&p, 1, (int)(left < SLICE_MS ? left : SLICE_MS));
		if (r > 0)
			return 1;
		if (r < 0 && errno != EINTR)
			return ls_error_set(LS_ENET, "poll: %s",
			    strerror(errno));
	}
}

/* One non-blocking connect to ai, within until_ms. */
static int
connect_one(const struct addrinfo *ai, long long until_ms,
    const struct fconn_wait *w, int *fd_out)
{
	int fd, err = 0, one = 1, r;
	socklen_t len = sizeof(err);

	fd = socket(ai->ai_family,
	    ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
	if (fd < 0)
		return ls_error_set(LS_ENET, "socket: %s", strerror(errno));
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		if (errno != EINPROGRESS) {
			err = errno;
			goto fail;
		}
		if ((r = wait_fd(fd, POLLOUT, until_ms, w)) != 1) {
			close(fd);
			return r == 2
			    ? ls_error_set(LS_ETIMEOUT, "connect timed out")
			    : r;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = errno;
		if (err != 0)
			goto fail;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	*fd_out = fd;
	return 0;
fail:
	close(fd);
	return ls_error_set(LS_ENET, "connect: %s", strerror(err));
}

static int
connect_tcp(struct fconn *c, const char *host, const char *port,
    long connect_ms, const struct fconn_wait *w)
{
	struct addrinfo *res = NULL, *ai;
	long long until = ls_mono_ms() + connect_ms;
	int rc;

	if ((rc = fconn_resolve(&res, host, port, until, w)) < 0)
		return rc;
	rc = LS_ENET;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if ((rc = connect_one(ai, until, w, &c->fd)) == 0)
			break;
		if (rc == LS_ETIMEOUT || (w->stop != NULL && *w->stop))
			break;
	}
	freeaddrinfo(res);
	return rc;
}

static int
tls_cred(struct fconn *c, const char *cacert)
{
	int r;

	if (c->cred != NULL)
		return 0;
	if (gnutls_certificate_allocate_credentials(&c->cred) < 0)
		return ls_error_set(LS_ENOMEM, "TLS: out of memory");
	r = cacert != NULL ? gnutls_certificate_set_x509_trust_file(c->cred,
				 cacert, GNUTLS_X509_FMT_PEM)
			   : gnutls_certificate_set_x509_system_trust(c->cred);
	if (r <= 0) {
		gnutls_certificate_free_credentials(c->cred);
		c->cred = NULL;
		return ls_error_set(LS_ENET, "TLS: no CA certificates in %s%s",
		    cacert ? cacert : "the system trust store",
		    r < 0 ? " (unreadable)" : "");
	}
	return 0;
}

static int
tls_verify_error(struct fconn *c)
{
	gnutls_datum_t out = { NULL, 0 };
	unsigned status = gnutls_session_get_verify_cert_status(c->tls);
	int rc;

	if (gnutls_certificate_verification_status_print(status,
		GNUTLS_CRT_X509, &out, 0) < 0)
		return ls_error_set(LS_ENET,
		    "TLS: server certificate not trusted");
	rc = ls_error_set(LS_ENET, "TLS: server certificate not trusted: %s",
	    (const char *)out.data);
	gnutls_free(out.data);
	return rc;
}

static int
tls_start(struct fconn *c, const char *host, const char *cacert,
    const struct fconn_wait *w)
{
	unsigned char ip[16];
	int r;

	if ((r = tls_cred(c, cacert)) < 0)
		return r;
	if (gnutls_init(&c->tls, GNUTLS_CLIENT | GNUTLS_NONBLOCK) < 0)
		return ls_error_set(LS_ENOMEM, "TLS: out of memory");
	if (gnutls_priority_set_direct(c->tls, TLS_PRIORITY, NULL) < 0 ||
	    gnutls_credentials_set(c->tls, GNUTLS_CRD_CERTIFICATE, c->cred) < 0)
		return ls_error_set(LS_ENET, "TLS: cannot set up a session");
	if (inet_pton(AF_INET, host, ip) != 1 &&
	    inet_pton(AF_INET6, host, ip) != 1)
		gnutls_server_name_set(c->tls, GNUTLS_NAME_DNS, host,
		    strlen(host));
	gnutls_session_set_verify_cert(c->tls, host, 0);
	gnutls_transport_set_int(c->tls, c->fd);
	while ((r = gnutls_handshake(c->tls)) < 0) {
		if (r == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR)
			return tls_verify_error(c);
		if (gnutls_error_is_fatal(r))
			return ls_error_set(LS_ENET, "TLS: %s",
			    gnutls_strerror(r));
		r = wait_fd(c->fd,
		    gnutls_record_get_direction(c->tls) ? POLLOUT : POLLIN,
		    w->end_ms, w);
		if (r < 0)
			return r;
	}
	return 0;
}

int
fconn_connect(struct fconn *c, const char *host, const char *port,
    long connect_ms, const struct fconn_wait *w)
{
	fconn_close(c);
	return connect_tcp(c, host, port, connect_ms, w);
}

int
fconn_tls(struct fconn *c, const char *host, const char *cacert,
    const struct fconn_wait *w)
{
	int rc;

	if ((rc = tls_start(c, host, cacert, w)) < 0)
		fconn_close(c);
	return rc;
}

int
fconn_write(struct fconn *c, const void *p, size_t n,
    const struct fconn_wait *w)
{
	const char *q = p;
	ssize_t k;
	int r;

	while (n > 0) {
		if (c->tls != NULL) {
			k = gnutls_record_send(c->tls, q, n);
			if (k == GNUTLS_E_AGAIN || k == GNUTLS_E_INTERRUPTED)
				k = -1, errno = EAGAIN;
			else if (k < 0)
				return ls_error_set(LS_ENET, "TLS: %s",
				    gnutls_strerror((int)k));
		} else {
			k = send(c->fd, q, n, MSG_NOSIGNAL);
		}
		if (k < 0 && errno != EAGAIN && errno != EINTR)
			return ls_error_set(LS_ENET, "send: %s",
			    strerror(errno));
		if (k < 0) {
			if ((r = wait_fd(c->fd, POLLOUT, w->end_ms, w)) < 0)
				return r;
			continue;
		}
		q += k;
		n -= (size_t)k;
	}
	return 0;
}

/* One read attempt: bytes, 0 at the end, -EAGAIN-like 2, or an error. */
static int
read_some(struct fconn *c, size_t *got)
{
	unsigned char *dst = c->rbuf + c->rlen;
	size_t room = sizeof(c->rbuf) - c->rlen;
	ssize_t k;

	if (c->tls != NULL) {
		k = gnutls_record_recv(c->tls, dst, room);
		if (k == GNUTLS_E_AGAIN || k == GNUTLS_E_INTERRUPTED)
			return 2;
		/* No close_notify: the framing (length, chunks) tells a
		 * cut body, as it does on plain TCP. */
		if (k == GNUTLS_E_PREMATURE_TERMINATION)
			return 0;
		if (k < 0)
			return ls_error_set(LS_ENET, "TLS: %s",
			    gnutls_strerror((int)k));
	} else {
		k = recv(c->fd, dst, room, 0);
		if (k < 0 && (errno == EAGAIN || errno == EINTR))
			return 2;
		if (k < 0)
			return ls_error_set(LS_ENET, "recv: %s",
			    strerror(errno));
	}
	*got = (size_t)k;
	return k > 0 ? 1 : 0;
}

int
fconn_fill(struct fconn *c, long long until_ms, const struct fconn_wait *w)
{
	size_t got = 0;
	int r;

	if (c->rpos > 0) {
		memmove(c->rbuf, c->rbuf + c->rpos, c->rlen - c->rpos);
		c->rlen -= c->rpos;
		c->rpos = 0;
	}
	if (c->rlen == sizeof(c->rbuf))
		return 1; /* full: the caller consumes first */
	for (;;) {
		if ((r = read_some(c, &got)) != 2) {
			if (r == 1)
				c->rlen += got;
			return r;
		}
		if ((r = wait_fd(c->fd, POLLIN, until_ms, w)) != 1)
			return r;
	}
}
