/*
 * httpd_hold.c - bookkeeping for held long polls: a per-address limit,
 * and a thread that notices when a held client goes away.
 *
 * libmicrohttpd does not watch a suspended connection's socket, so a long
 * poll whose client has closed would sit in CLOSE_WAIT until its deadline.
 * Each held socket is also registered (EPOLLRDHUP) in an epoll set of our
 * own; when the peer hangs up, the request is resumed with r->gone set and
 * its handler returns MHD_NO, which closes the connection at once.
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "httpd_impl.h"

#define HUP_EVENTS 64
#define HUP_TICK_MS 250 /* how often the thread looks at h->stopping */

struct ipcount {
	struct ipcount *next;
	uint32_t ip; /* network order; 0: not IPv4 */
	unsigned n;  /* polls held from ip */
};

static unsigned
ip_bucket(uint32_t ip)
{
	return (ip * 2654435761u) % HTTPD_IP_BUCKETS;
}

static uint32_t
client_ip(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr_in *sin;

	if (ci == NULL || ci->client_addr == NULL ||
	    ci->client_addr->sa_family != AF_INET)
		return 0;
	sin = (const struct sockaddr_in *)(const void *)ci->client_addr;
	return sin->sin_addr.s_addr;
}

static MHD_socket
client_fd(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);

	return ci != NULL ? ci->connect_fd : MHD_INVALID_SOCKET;
}

/* Under wmu: the count for ip, created when add is set; NULL when out of
 * memory or absent. */
static struct ipcount *
ip_find(struct ls_httpd *h, uint32_t ip, int add)
{
	struct ipcount **b = &h->ips[ip_bucket(ip)], *e;

	for (e = *b; e != NULL; e = e->next)
		if (e->ip == ip)
			return e;
	if (!add || (e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	e->ip = ip;
	e->next = *b;
	*b = e;
	return e;
}

static void
ip_drop(struct ls_httpd *h, uint32_t ip)
{
	struct ipcount **p = &h->ips[ip_bucket(ip)], *e;

	for (; (e = *p) != NULL; p = &e->next) {
		if (e->ip != ip)
			continue;
		if (--e->n == 0) {
			*p = e->next;
			free(e);
		}
		return;
	}
}

int
httpd_hold_admit(struct ls_httpd *h, struct req *r, struct MHD_Connection *c)
{
	struct epoll_event ev;
	struct ipcount *e;

	r->ip = client_ip(c);
	if ((e = ip_find(h, r->ip, 1)) == NULL)
		return -1;
	if (h->o.per_ip_polls != 0 && e->n >= h->o.per_ip_polls) {
		if (e->n == 0)
			ip_drop(h, r->ip);
		return -1;
	}
	e->n++;
	r->fd = client_fd(c);
	if (r->fd != MHD_INVALID_SOCKET) {
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLRDHUP;
		ev.data.fd = r->fd;
		/* Not watched: the deadline still ends it. */
		if (epoll_ctl(h->hup_fd, EPOLL_CTL_ADD, r->fd, &ev) != 0)
			r->fd = MHD_INVALID_SOCKET;
	}
	return 0;
}

void
httpd_hold_release(struct ls_httpd *h, struct req *r)
{
	if (r->fd != MHD_INVALID_SOCKET)
		epoll_ctl(h->hup_fd, EPOLL_CTL_DEL, r->fd, NULL);
	r->fd = MHD_INVALID_SOCKET;
	ip_drop(h, r->ip);
}

/* Has the peer of fd hung up?  Checked again because an event may be
 * for an earlier socket that had the same number. */
static int
peer_gone(int fd)
{
	struct pollfd p = { fd, POLLRDHUP, 0 };

	return poll(&p, 1, 0) == 1 &&
	    (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
}

static void
hangup(struct ls_httpd *h, int fd)
{
	struct req *r;

	for (r = h->waiters; r != NULL; r = r->next) {
		if (r->fd != fd)
			continue;
		if (peer_gone(fd)) {
			r->gone = 1;
			httpd_waiter_resume(h, r);
		}
		return;
	}
}

static void *
hup_thread(void *arg)
{
	struct epoll_event ev[HUP_EVENTS];
	struct ls_httpd *h = arg;
	int i, n, stop = 0;

	while (!stop) {
		n = epoll_wait(h->hup_fd, ev, HUP_EVENTS, HUP_TICK_MS);
		pthread_mutex_lock(&h->wmu);
		for (i = 0; i < n; i++)
			hangup(h, ev[i].data.fd);
		stop = h->stopping;
		pthread_mutex_unlock(&h->wmu);
		if (n < 0 && errno != EINTR)
			break;
	}
	return NULL;
}

int
httpd_hold_init(struct ls_httpd *h)
{
	h->hup_fd = epoll_create1(EPOLL_CLOEXEC);
	if (h->hup_fd < 0)
		return -1;
	if (pthread_create(&h->hup, NULL, hup_thread, h) != 0)
		return -1;
	h->hup_started = 1;
	return 0;
}

void
httpd_hold_stop(struct ls_httpd *h)
{
	struct ipcount *e, *next;
	size_t i;

	if (h->hup_started)
		pthread_join(h->hup, NULL);
	h->hup_started = 0;
	if (h->hup_fd >= 0)
		close(h->hup_fd);
	h->hup_fd = -1;
	for (i = 0; i < HTTPD_IP_BUCKETS; i++) {
		for (e = h->ips[i]; e != NULL; e = next) {
			next = e->next;
			free(e);
		}
		h->ips[i] = NULL;
	}
}
