/*
 * fetch_dns.c - name resolution bounded like every other wait of a
 * request: getaddrinfo runs in a detached thread and the caller waits
 * for it at most until its deadline, looking at the stop flag; a lookup
 * given up on frees itself when it ends.  (libcurl's threaded resolver
 * did the same; a blocking getaddrinfo could hold an agent's shutdown for
 * the resolver's timeouts times its search domains.)  Numeric addresses
 * need no thread.
 */
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fetch_conn.h"
#include "lockstep/error.h"
#include "lockstep/timefmt.h"

#define SLICE_MS 200

struct lookup {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int done, abandoned, rc;
	struct addrinfo *res;
	char host[FCONN_HOST_MAX + 1], port[8];
};

static void
hints_init(struct addrinfo *h, int flags)
{
	memset(h, 0, sizeof(*h));
	h->ai_family = AF_UNSPEC;
	h->ai_socktype = SOCK_STREAM;
	h->ai_flags = flags;
}

static void
lookup_free(struct lookup *l)
{
	if (l->res != NULL)
		freeaddrinfo(l->res);
	pthread_cond_destroy(&l->cv);
	pthread_mutex_destroy(&l->mu);
	free(l);
}

static void *
run(void *arg)
{
	struct lookup *l = arg;
	struct addrinfo hints, *res = NULL;
	int rc, gone;

	hints_init(&hints, 0);
	rc = getaddrinfo(l->host, l->port, &hints, &res);
	pthread_mutex_lock(&l->mu);
	l->rc = rc;
	l->res = res;
	l->done = 1;
	gone = l->abandoned;
	pthread_cond_signal(&l->cv);
	pthread_mutex_unlock(&l->mu);
	if (gone)
		lookup_free(l);
	return NULL;
}

static struct lookup *
lookup_start(const char *host, const char *port)
{
	struct lookup *l = calloc(1, sizeof(*l));
	pthread_condattr_t ca;
	pthread_attr_t ta;
	pthread_t t;
	int ok;

	if (l == NULL)
		return NULL;
	snprintf(l->host, sizeof(l->host), "%s", host);
	snprintf(l->port, sizeof(l->port), "%s", port);
	pthread_mutex_init(&l->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&l->cv, &ca);
	pthread_condattr_destroy(&ca);
	pthread_attr_init(&ta);
	pthread_attr_setdetachstate(&ta, PTHREAD_CREATE_DETACHED);
	ok = pthread_create(&t, &ta, run, l) == 0;
	pthread_attr_destroy(&ta);
	if (!ok) {
		lookup_free(l);
		return NULL;
	}
	return l;
}

/* Wait for l until until_ms: 0 when it ended, else an error (and l is
 * left to free itself). */
static int
lookup_wait(struct lookup *l, long long until_ms, const struct fconn_wait *w)
{
	struct timespec ts;
	long long now, next;
	int rc = 0;

	pthread_mutex_lock(&l->mu);
	while (!l->done) {
		now = ls_mono_ms();
		if (w->stop != NULL && *w->stop)
			rc = ls_error_set(LS_ENET, "stopped");
		else if (now >= until_ms || now >= w->end_ms)
			rc = ls_error_set(LS_ETIMEOUT, "resolving %s timed out",
			    l->host);
		if (rc != 0) {
			l->abandoned = 1;
			break;
		}
		next = now + SLICE_MS;
		ts.tv_sec = (time_t)(next / 1000);
		ts.tv_nsec = (long)(next % 1000) * 1000000;
		pthread_cond_timedwait(&l->cv, &l->mu, &ts);
	}
	pthread_mutex_unlock(&l->mu);
	return rc;
}

int
fconn_resolve(struct addrinfo **out, const char *host, const char *port,
    long long until_ms, const struct fconn_wait *w)
{
	struct addrinfo hints;
	struct lookup *l;
	int rc;

	*out = NULL;
	hints_init(&hints, AI_NUMERICHOST);
	if (getaddrinfo(host, port, &hints, out) == 0)
		return 0;
	if ((l = lookup_start(host, port)) == NULL)
		return ls_error_set(LS_ENOMEM, "cannot start a lookup");
	if ((rc = lookup_wait(l, until_ms, w)) < 0)
		return rc; /* l frees itself */
	if (l->rc != 0)
		rc = ls_error_set(LS_ENET, "cannot resolve %s: %s", host,
		    gai_strerror(l->rc));
	*out = l->res;
	l->res = NULL;
	lookup_free(l);
	return rc;
}
