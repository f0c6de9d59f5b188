/*
 * fetch_conn.h - internal to agent/fetch*.c: one client connection, TCP
 * or TLS (GnuTLS, which the agent's listener already carries), with every
 * wait bounded by a deadline and a stop flag.
 *
 * The agent spoke HTTP through libcurl until Debian's build of it turned
 * out to cost 4 MB of an idle agent's 12 MB: Kerberos, LDAP, SSH, RTMP,
 * HTTP/2 and a second TLS stack (OpenSSL, initialised at start) for five
 * kinds of request to one server.
 */
#ifndef LOCKSTEP_AGENT_FETCH_CONN_H
#define LOCKSTEP_AGENT_FETCH_CONN_H

#include <signal.h>
#include <stddef.h>

#include <gnutls/gnutls.h>

#define FCONN_HOST_MAX 255
#define FCONN_RBUF (16 * 1024)

struct fconn {
	int fd;				       /* -1: not connected */
	gnutls_session_t tls;		       /* NULL for http */
	gnutls_certificate_credentials_t cred; /* made on the first https */
	int https;
	char host[FCONN_HOST_MAX + 1], port[8];
	unsigned char rbuf[FCONN_RBUF];
	size_t rpos, rlen; /* unread bytes are rbuf[rpos..rlen) */
};

/* Bounds of one request's waits. */
struct fconn_wait {
	long long end_ms;	     /* overall deadline, monotonic ms */
	volatile sig_atomic_t *stop; /* abort when it turns 1; may be NULL */
};


void fconn_init(struct fconn *c);
void fconn_close(struct fconn *c);   /* the connection; keeps cred */
void fconn_cleanup(struct fconn *c); /* everything */

/* The addresses of host:port into *out (freeaddrinfo), waiting at most
 * until until_ms and the request's deadline, stopping with w->stop
 * (fetch_dns.c).  LS_ENET, LS_ETIMEOUT, LS_ENOMEM. */
struct addrinfo;
int fconn_resolve(struct addrinfo **out, const char *host, const char *port,
    long long until_ms, const struct fconn_wait *w);

/* A TCP connection to host:port within connect_ms and w.  LS_ENET,
 * LS_ETIMEOUT with a message. */
int fconn_connect(struct fconn *c, const char *host, const char *port,
    long connect_ms, const struct fconn_wait *w);

/* TLS over the connection, verified against cacert (or the system's
 * trust store) for host, which names the server in messages too. */
int fconn_tls(struct fconn *c, const char *host, const char *cacert,
    const struct fconn_wait *w);

int fconn_write(struct fconn *c, const void *p, size_t n,
    const struct fconn_wait *w);

/*
 * Read what is available into rbuf (after compacting it), waiting at
 * most until until_ms: 1 when bytes arrived, 2 when until_ms passed with
 * none, 0 at the end of the stream, or LS_ENET / LS_ETIMEOUT (past
 * w->end_ms, or stopped).
 */
int fconn_fill(struct fconn *c, long long until_ms, const struct fconn_wait *w);

#endif
