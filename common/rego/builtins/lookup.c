/*
 * lookup.c - net.lookup_ip_addr(name): the set of the name's IPv4
 * and IPv6 addresses, through getaddrinfo with a timeout (as every
 * network call here has one).  An IP literal is its own answer without
 * a lookup.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "rego/builtins/internal.h"

#define LOOKUP_TIMEOUT_S 5
#define LOOKUP_MAX_NAME 253 /* bytes of a DNS name */
#define LOOKUP_MAX_ADDRS 256

/* A request outlives a timed-out lookup until the resolver lets go of
 * it; it is then deliberately left behind (bounded by the timeout). */
struct req {
	struct gaicb cb;
	struct addrinfo hints;
	char name[LOOKUP_MAX_NAME + 1];
};

static int
resolve(struct ls_bi_ctx *ctx, struct req *r, struct addrinfo **res)
{
	struct gaicb *list[1] = { &r->cb };
	const struct gaicb *wait[1] = { &r->cb };
	struct timespec ts = { LOOKUP_TIMEOUT_S, 0 };
	int rc;

	r->hints.ai_family = AF_UNSPEC;
	r->hints.ai_socktype = SOCK_STREAM;
	r->cb.ar_name = r->name;
	r->cb.ar_request = &r->hints;
	if ((rc = getaddrinfo_a(GAI_NOWAIT, list, 1, NULL)) != 0)
		return ls_bi_error(ctx, "%s", gai_strerror(rc));
	while ((rc = gai_suspend(wait, 1, &ts)) == EAI_INTR)
		;
	if (rc == EAI_AGAIN && gai_error(&r->cb) == EAI_INPROGRESS) {
		if (gai_cancel(&r->cb) != EAI_CANCELED)
			return 1; /* still in flight: r stays with it */
		return ls_bi_error(ctx, "lookup of %s timed out", r->name);
	}
	if ((rc = gai_error(&r->cb)) != 0)
		return ls_bi_error(ctx, "%s", gai_strerror(rc));
	*res = r->cb.ar_result;
	return 0;
}

static int
add_addr(struct ls_bi_ctx *ctx, struct ls_vlist *l, const struct addrinfo *ai)
{
	char buf[INET6_ADDRSTRLEN];
	const void *p;

	if (ai->ai_family == AF_INET)
		p = &((const struct sockaddr_in *)(const void *)ai->ai_addr)
			 ->sin_addr;
	else if (ai->ai_family == AF_INET6)
		p = &((const struct sockaddr_in6 *)(const void *)ai->ai_addr)
			 ->sin6_addr;
	else
		return 0;
	if (inet_ntop(ai->ai_family, p, buf, sizeof(buf)) == NULL)
		return 0;
	return ls_vlist_push(l, ls_val_cstring(ctx->arena, buf)) ? LS_BI_ENOMEM
								 : 0;
}

int
ls_bi_net_lookup_ip_addr(BI_ARGS)
{
	const struct addrinfo *ai;
	struct addrinfo *res = NULL;
	unsigned char bin[16];
	struct ls_vlist l;
	struct req *r;
	const char *name;
	size_t len, n = 0;
	int rc;

	(void)nargs;
	if ((rc = bi_arg_str(ctx, args, 0, &name, &len)) != 0)
		return rc;
	if (len > LOOKUP_MAX_NAME || memchr(name, '\0', len) != NULL)
		return ls_bi_error(ctx, "invalid host name");
	if (inet_pton(AF_INET, name, bin) == 1 ||
	    inet_pton(AF_INET6, name, bin) == 1)
		return bi_ret(out, ls_val_set(ctx->arena, &args[0], 1));
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return LS_BI_ENOMEM;
	memcpy(r->name, name, len);
	if ((rc = resolve(ctx, r, &res)) != 0) {
		if (rc == 1)
			return ls_bi_error(ctx, "lookup of %s timed out",
			    r->name);
		free(r);
		return rc;
	}
	ls_vlist_init(&l, ctx->arena);
	for (ai = res; ai != NULL && n < LOOKUP_MAX_ADDRS && rc == 0;
	     ai = ai->ai_next, n++)
		rc = add_addr(ctx, &l, ai);
	freeaddrinfo(res);
	free(r);
	if (rc != 0)
		return rc;
	return bi_ret(out, ls_val_set(ctx->arena, l.v, l.n));
}
