/* httpd_parse.c - the server's parsing of request headers, URL layout and
 * query arguments (moved out of httpd.c and httpd_api.c unchanged, so the
 * fuzz harness tests/fuzz/http_parse.c can call it). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "httpd.h"
#include "httpd_parse.h"
#include "lockstep/secret.h"
#include "lockstep/timefmt.h"

/* Does the If-None-Match list contain etag (weak comparison, RFC 9110)? */
int
httpd_inm_matches(const char *inm, const char *etag)
{
	size_t elen = strlen(etag), n;
	const char *p = inm;

	if (inm == NULL)
		return 0;
	while (*p != '\0') {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '*')
			return 1;
		if (strncmp(p, "W/", 2) == 0)
			p += 2;
		n = strcspn(p, ",");
		while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (n == elen && memcmp(p, etag, n) == 0)
			return 1;
		p += strcspn(p, ",");
	}
	return 0;
}

/* The wait=N preference in seconds (capped), 0 when absent. */
unsigned
httpd_prefer_wait(const char *prefer)
{
	const char *p = prefer;
	unsigned v = 0;

	if (p == NULL)
		return 0;
	for (; *p != '\0'; p++) {
		if ((p == prefer || p[-1] == ' ' || p[-1] == ',' ||
			p[-1] == ';') &&
		    strncasecmp(p, "wait=", 5) == 0) {
			for (p += 5; *p >= '0' && *p <= '9'; p++) {
				v = v * 10 + (unsigned)(*p - '0');
				if (v > LS_HTTPD_WAIT_MAX)
					v = LS_HTTPD_WAIT_MAX;
			}
			return v;
		}
	}
	return 0;
}

static int
all_digits(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > 19 || s[0] == '0')
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* "<digits>.note" exactly. */
int
httpd_is_seq_note(const char *s)
{
	size_t n = strlen(s);

	return n > 5 && strcmp(s + n - 5, ".note") == 0 && all_digits(s, n - 5);
}

int
httpd_is_bundle_name(const char *s, char hex[65])
{
	size_t i;

	if (strlen(s) != 64 + 7 || strcmp(s + 64, ".tar.gz") != 0)
		return 0;
	for (i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
			(s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	memcpy(hex, s, 64);
	hex[64] = '\0';
	return 1;
}

/* Split "/v1/channels/CH/rest" into CH and rest. */
int
httpd_channel_path(const char *url, const char *prefix, char ch[LS_NAME_MAX + 1],
    const char **rest)
{
	size_t plen = strlen(prefix), n;
	const char *p;

	if (strncmp(url, prefix, plen) != 0)
		return 0;
	p = url + plen;
	n = strcspn(p, "/");
	if (n == 0 || n > LS_NAME_MAX)
		return 0;
	memcpy(ch, p, n);
	ch[n] = '\0';
	*rest = p + n;
	return ls_name_valid(ch);
}

int
httpd_time_value(time_t *out, const char *v, int end)
{
	size_t n;

	*out = 0;
	if (v == NULL || v[0] == '\0')
		return 0;
	n = strlen(v);
	if (ls_time_parse(out, v, n) != 0)
		return -1;
	if (end && n == 10) /* a bare date includes its whole day */
		*out += 86399;
	return 0;
}

int
httpd_u64_value(uint64_t *out, const char *v)
{
	char *end;

	if (v == NULL || v[0] < '0' || v[0] > '9')
		return v == NULL ? 0 : -1;
	*out = strtoull(v, &end, 10);
	return *end == '\0' ? 1 : -1;
}

/* The scheme is case-insensitive (RFC 9110, 11.1): "bearer x" too. */
const char *
httpd_bearer(const char *authorization)
{
	static const char scheme[] = "Bearer ";

	if (authorization == NULL ||
	    strncasecmp(authorization, scheme, sizeof(scheme) - 1) != 0)
		return NULL;
	return authorization + sizeof(scheme) - 1;
}

int
httpd_token_equal(const char *got, const char *want)
{
	return got != NULL && want != NULL &&
	    ls_secret_equal(got, strlen(got), want, strlen(want));
}
