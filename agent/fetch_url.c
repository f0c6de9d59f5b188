/* fetch_url.c - URLs and proxies for the agent's HTTP client. */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fetch_url.h"
#include "lockstep/error.h"

#define PROXY_PORT "1080" /* libcurl's default for a proxy without one */

static void
set_authority(struct fetch_url *u)
{
	int v6 = strchr(u->host, ':') != NULL;

	snprintf(u->authority, sizeof(u->authority), "%s%s%s%s%s",
	    v6 ? "[" : "", u->host, v6 ? "]" : "", u->port_given ? ":" : "",
	    u->port_given ? u->port : "");
}

/* host[:port] or [v6][:port] between p and end into u. */
static int
parse_authority(struct fetch_url *u, const char *p, const char *end)
{
	const char *colon, *rb;
	size_t n;

	if (memchr(p, '@', (size_t)(end - p)) != NULL)
		return ls_error_set(LS_ENET, "credentials in a URL refused");
	if (*p == '[') {
		if ((rb = memchr(p, ']', (size_t)(end - p))) == NULL)
			return ls_error_set(LS_ENET, "bad IPv6 address");
		n = (size_t)(rb - p - 1);
		colon = rb + 1 < end && rb[1] == ':' ? rb + 1 : NULL;
		p++;
	} else {
		colon = memchr(p, ':', (size_t)(end - p));
		n = (size_t)((colon ? colon : end) - p);
	}
	if (n == 0 || n > FCONN_HOST_MAX)
		return ls_error_set(LS_ENET, "bad host in URL");
	memcpy(u->host, p, n);
	u->host[n] = '\0';
	if (colon == NULL)
		return 0;
	n = (size_t)(end - colon - 1);
	if (n == 0 || n >= sizeof(u->port) ||
	    strspn(colon + 1, "0123456789") < n)
		return ls_error_set(LS_ENET, "bad port in URL");
	memcpy(u->port, colon + 1, n);
	u->port[n] = '\0';
	u->port_given = 1;
	return 0;
}

int
fetch_url_parse(struct fetch_url *u, const char *url)
{
	const char *p, *c, *end;
	int rc;

	memset(u, 0, sizeof(*u));
	if (strncasecmp(url, "http://", 7) == 0)
		p = url + 7;
	else if (strncasecmp(url, "https://", 8) == 0)
		p = url + 8, u->https = 1;
	else
		return ls_error_set(LS_ENET, "only http and https are spoken");
	for (c = url; *c != '\0'; c++)
		if ((unsigned char)*c <= 0x20 || *c == 0x7f)
			return ls_error_set(LS_ENET, "bad character in URL");
	end = p + strcspn(p, "/?#");
	if ((rc = parse_authority(u, p, end)) < 0)
		return rc;
	if (!u->port_given)
		snprintf(u->port, sizeof(u->port), "%s",
		    u->https ? "443" : "80");
	set_authority(u);
	u->path = end;
	u->path_len = (int)strcspn(end, "#");
	return 0;
}

static const char *
env2(const char *a, const char *b)
{
	const char *v = getenv(a);

	if ((v == NULL || *v == '\0') && b != NULL)
		v = getenv(b);
	return v != NULL && *v != '\0' ? v : NULL;
}

/* An IPv4 host inside the n-byte CIDR block t ("10.0.0.0/8"). */
static int
in_cidr(const char *host, const char *t, size_t n)
{
	char net[32];
	const char *slash = memchr(t, '/', n);
	struct in_addr h, a;
	uint32_t mask;
	long bits;

	if (slash == NULL || (size_t)(slash - t) >= sizeof(net) ||
	    inet_pton(AF_INET, host, &h) != 1)
		return 0;
	memcpy(net, t, (size_t)(slash - t));
	net[slash - t] = '\0';
	bits = strtol(slash + 1, NULL, 10);
	if (inet_pton(AF_INET, net, &a) != 1 || bits < 0 || bits > 32)
		return 0;
	mask = bits == 0 ? 0 : htonl(~(uint32_t)0 << (32 - bits));
	return (h.s_addr & mask) == (a.s_addr & mask);
}

/* no_proxy: "*", names matching host or a domain it is in, or IPv4
 * CIDR blocks holding it. */
static int
bypass(const char *host)
{
	const char *np = env2("no_proxy", "NO_PROXY"), *t, *e;
	size_t hl = strlen(host), n;

	for (t = np; t != NULL && *t != '\0'; t = *e ? e + 1 : e) {
		e = t + strcspn(t, ",");
		while (t < e && (*t == ' ' || *t == '.'))
			t++;
		n = (size_t)(e - t);
		while (n > 0 && t[n - 1] == ' ')
			n--;
		if ((n == 1 && *t == '*') || in_cidr(host, t, n))
			return 1;
		if (n > 0 && n <= hl && strncasecmp(host + hl - n, t, n) == 0 &&
		    (n == hl || host[hl - n - 1] == '.'))
			return 1;
	}
	return 0;
}

int
fetch_url_proxy(struct fetch_url *p, const struct fetch_url *u)
{
	/* http_proxy in lower case only, as libcurl: HTTP_PROXY is also
	 * how CGI passes a request's Proxy header (httpoxy). */
	const char *v = u->https ? env2("https_proxy", "HTTPS_PROXY")
				 : env2("http_proxy", NULL);
	char buf[FCONN_HOST_MAX + 64];
	int rc;

	if (v == NULL)
		v = env2("all_proxy", "ALL_PROXY");
	if (v == NULL || bypass(u->host))
		return 0;
	if (strstr(v, "://") == NULL) {
		snprintf(buf, sizeof(buf), "http://%s", v);
		v = buf;
	}
	if (strncasecmp(v, "http://", 7) != 0)
		return ls_error_set(LS_ENET,
		    "proxy %.64s: only http:// proxies are spoken", v);
	if ((rc = fetch_url_parse(p, v)) < 0)
		return ls_error_wrap(rc, "proxy %.64s", v);
	if (!p->port_given)
		snprintf(p->port, sizeof(p->port), "%s", PROXY_PORT);
	return 1;
}
