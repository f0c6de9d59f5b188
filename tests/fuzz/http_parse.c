/*
 * http_parse.c - libFuzzer harness: the HTTP request parsing of both
 * programs that is ours rather than libmicrohttpd's.
 *
 * Server (server/httpd_parse.c): If-None-Match, Prefer: wait=N, the URL
 * layout (channel names, seq notes, bundle names) and the evidence query
 * arguments since, until and index.  Agent (agent/api_parse.c and
 * agent/engine.c): the decision URL's data path and the request body
 * {"input": ...}, answered by a small compiled policy.
 *
 * The input is lines: URL, If-None-Match, Prefer, since, until, index,
 * then the rest is the decision body.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api_parse.h"
#include "engine.h"
#include "httpd.h"
#include "httpd_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NFIELDS 6

static const char policy[] = "package x\n"
			     "default allow := false\n"
			     "allow if input.user == \"alice\"\n"
			     "deny contains msg if {\n"
			     "\tsome c in input.containers\n"
			     "\tc.privileged\n"
			     "\tmsg := sprintf(\"%s is privileged\", [c.name])\n"
			     "}\n";

static struct ls_engine engine;
static int engine_ready;

static void
engine_once(void)
{
	struct ls_rego_builder *b;
	struct ls_rego_policy *p = NULL;

	if (engine_ready)
		return;
	if (ls_engine_init(&engine) != 0 || (b = ls_rego_builder_new()) == NULL ||
	    ls_rego_builder_add_module(b, "x.rego", policy, strlen(policy), 1,
		NULL) != 0 ||
	    ls_rego_compile(&p, b, NULL) != 0)
		abort();
	ls_rego_builder_free(b);
	ls_engine_swap(&engine, p);
	engine_ready = 1;
}

static void
server(char *const f[NFIELDS])
{
	static const char etag[] = "\"0123456789abcdef\"";
	char ch[LS_NAME_MAX + 1], hex[65];
	const char *url = f[0], *rest;
	uint64_t u = 0;
	time_t t;

	(void)httpd_inm_matches(f[1], etag);
	(void)httpd_inm_matches(f[1], f[2]);
	if (httpd_prefer_wait(f[2]) > LS_HTTPD_WAIT_MAX)
		abort();
	if (httpd_channel_path(url, "/v1/channels/", ch, &rest)) {
		if (!ls_name_valid(ch) || rest < url || rest > url + strlen(url))
			abort();
		if (strncmp(rest, "/releases/", 10) == 0)
			(void)httpd_is_seq_note(rest + 10);
	}
	if (strncmp(url, "/v1/root/", 9) == 0)
		(void)httpd_is_seq_note(url + 9);
	if (strncmp(url, "/v1/bundles/", 12) == 0 &&
	    httpd_is_bundle_name(url + 12, hex) && strlen(hex) != 64)
		abort();
	(void)httpd_channel_path(url, "/bundles/", ch, &rest);
	(void)httpd_time_value(&t, f[3], 0);
	(void)httpd_time_value(&t, f[4], 1);
	(void)httpd_u64_value(&u, f[5]);
}

static void
agent(const char *url, const char *body, size_t len)
{
	const char *path = ls_api_data_path(url);
	char *out = NULL;
	int code = 0;

	if (path == NULL)
		path = url; /* the engine's own path check still runs */
	if (ls_engine_decide(&out, &code, &engine, path, body, len) == 0 &&
	    (out == NULL || code < 200 || code > 599))
		abort();
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), *f[NFIELDS], *p, *nl;
	size_t i;

	if (s == NULL)
		return 0;
	engine_once();
	memcpy(s, data, size);
	s[size] = '\0';
	p = s;
	for (i = 0; i < NFIELDS; i++) {
		f[i] = p;
		if ((nl = strchr(p, '\n')) != NULL) {
			*nl = '\0';
			p = nl + 1;
		} else {
			p += strlen(p);
		}
	}
	server(f);
	agent(f[0], p, size - (size_t)(p - s));
	free(s);
	return 0;
}
