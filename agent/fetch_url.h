/*
 * fetch_url.h - internal to agent/fetch*.c: http(s) URLs, and the proxy
 * the environment names for one (http_proxy, https_proxy, all_proxy,
 * no_proxy, read as libcurl reads them; HTTP proxies only).
 */
#ifndef LOCKSTEP_AGENT_FETCH_URL_H
#define LOCKSTEP_AGENT_FETCH_URL_H

#include "fetch_conn.h"

struct fetch_url {
	int https, port_given;
	char host[FCONN_HOST_MAX + 1], port[8];
	char authority[FCONN_HOST_MAX + 16]; /* host[:port], for Host */
	const char *path;		     /* "" means "/" */
	int path_len;			     /* up to any '#' */
};

/* LS_ENET naming what is wrong: only http and https, no credentials. */
int fetch_url_parse(struct fetch_url *u, const char *url);

/* 1 with the proxy for u in *p, 0 for a direct connection, LS_ENET for
 * a proxy we cannot speak (not http://, or with credentials). */
int fetch_url_proxy(struct fetch_url *p, const struct fetch_url *u);

#endif
