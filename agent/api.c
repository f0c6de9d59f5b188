/* api.c - health, status and decisions over libmicrohttpd. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "api.h"
#include "api_parse.h"
#include "lockstep/buf.h"
#include "lockstep/error.h"

#define CONN_LIMIT 512
#define CONN_MEMORY (64 * 1024)
#define CONN_TIMEOUT 30 /* s of idleness */
#define THREADS 4

struct ls_api {
	struct MHD_Daemon *d;
	struct ls_engine *e;
};

struct req {
	struct ls_buf body;
	int toobig;
};

static enum MHD_Result
reply(struct MHD_Connection *c, unsigned code, const char *json)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(strlen(json),
	    (void *)(uintptr_t)json, MHD_RESPMEM_MUST_COPY);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", "application/json");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	ret = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
handle(struct ls_api *h, struct MHD_Connection *c, const char *url,
    const char *method, struct req *q)
{
	enum MHD_Result ret;
	const char *path;
	char *out = NULL;
	int code = 500;

	if (strcmp(url, "/health") == 0 && strcmp(method, "GET") == 0)
		return reply(c, 200, "{\"status\":\"ok\"}\n");
	if (strcmp(url, "/v1/status") == 0 && strcmp(method, "GET") == 0) {
		if (ls_engine_status(&out, h->e) != 0 || out == NULL)
			return reply(c, 503, "{\"code\":\"unavailable\"}\n");
		ret = reply(c, 200, out);
		free(out);
		return ret;
	}
	if ((path = ls_api_data_path(url)) != NULL &&
	    (strcmp(method, "POST") == 0 || strcmp(method, "GET") == 0)) {
		if (q->toobig)
			return reply(c, 413,
			    "{\"code\":\"invalid_parameter\","
			    "\"message\":\"request body too large\"}");
		if (ls_engine_decide(&out, &code, h->e, path,
			q->body.data != NULL ? q->body.data : "",
			q->body.len) != 0)
			return reply(c, 500, "{\"code\":\"internal_error\"}");
		ret = reply(c, (unsigned)code, out);
		free(out);
		return ret;
	}
	return reply(c, 404, "{\"code\":\"resource_not_found\"}");
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *data,
    size_t *data_size, void **con_cls)
{
	struct req *q = *con_cls;

	(void)version;
	if (q == NULL) {
		if ((q = calloc(1, sizeof(*q))) == NULL)
			return MHD_NO;
		ls_buf_init(&q->body, LS_ENGINE_INPUT_MAX);
		*con_cls = q;
		return MHD_YES;
	}
	if (*data_size > 0) {
		if (!q->toobig && ls_buf_add(&q->body, data, *data_size) != 0)
			q->toobig = 1;
		*data_size = 0;
		return MHD_YES;
	}
	return handle(cls, c, url, method, q);
}

static void
on_done(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct req *q = *con_cls;

	(void)cls, (void)c, (void)toe;
	if (q == NULL)
		return;
	ls_buf_cleanup(&q->body);
	free(q);
	*con_cls = NULL;
}

/* "A.B.C.D:PORT" -> sockaddr; only IPv4 literals (the API is local). */
static int
parse_listen(struct sockaddr_in *sa, const char *s)
{
	const char *colon = strrchr(s, ':');
	char host[INET_ADDRSTRLEN];
	unsigned long port = 0;
	const char *p;

	memset(sa, 0, sizeof(*sa));
	if (colon == NULL || (size_t)(colon - s) >= sizeof(host) ||
	    colon[1] == '\0' || strlen(colon + 1) > 5)
		return ls_error_set(LS_EINVAL, "--listen %s: want HOST:PORT",
		    s);
	for (p = colon + 1; *p; p++) {
		if (*p < '0' || *p > '9')
			return ls_error_set(LS_EINVAL, "--listen %s: bad port",
			    s);
		port = port * 10 + (unsigned long)(*p - '0');
	}
	if (port > 65535)
		return ls_error_set(LS_EINVAL, "--listen %s: bad port", s);
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &sa->sin_addr) != 1)
		return ls_error_set(LS_EINVAL,
		    "--listen %s: not an IPv4 "
		    "address",
		    s);
	return 0;
}

int
ls_api_start(struct ls_api **out, const char *listen_addr, struct ls_engine *e,
    char *bound, size_t boundsz)
{
	struct sockaddr_in sa;
	const union MHD_DaemonInfo *info;
	struct ls_api *h;
	char host[INET_ADDRSTRLEN];
	int rc;

	*out = NULL;
	if ((rc = parse_listen(&sa, listen_addr)) != 0)
		return rc;
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return ls_error_set(LS_ENOMEM, "httpd: out of memory");
	h->e = e;
	h->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
		MHD_USE_EPOLL | MHD_USE_TURBO,
	    0, NULL, NULL, on_request, h, MHD_OPTION_SOCK_ADDR,
	    (struct sockaddr *)&sa, MHD_OPTION_THREAD_POOL_SIZE,
	    (unsigned)THREADS, MHD_OPTION_CONNECTION_LIMIT,
	    (unsigned)CONN_LIMIT, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
	    (size_t)CONN_MEMORY, MHD_OPTION_CONNECTION_TIMEOUT,
	    (unsigned)CONN_TIMEOUT, MHD_OPTION_NOTIFY_COMPLETED, on_done, h,
	    MHD_OPTION_END);
	if (h->d == NULL) {
		free(h);
		return ls_error_set(LS_ENET, "--listen %s: cannot listen",
		    listen_addr);
	}
	info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
	inet_ntop(AF_INET, &sa.sin_addr, host, sizeof(host));
	snprintf(bound, boundsz, "%s:%u", host,
	    info != NULL ? (unsigned)info->port : (unsigned)ntohs(sa.sin_port));
	*out = h;
	return 0;
}

void
ls_api_stop(struct ls_api *h)
{
	if (h == NULL)
		return;
	MHD_stop_daemon(h->d);
	free(h);
}
