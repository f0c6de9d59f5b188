/*
 * http_parse.c - libFuzzer harness: the HTTP request parsing of both
 * programs that is ours rather than libmicrohttpd's.
 *
 * Server (server/httpd_parse.c): If-None-Match, Prefer: wait=N, the URL
 * layout (channel names, seq notes, bundle names) and the evidence query
 * arguments since, until and index; the tokens: the Authorization header
 * (httpd_bearer) compared with the admin/auditor token (httpd_token_equal
 * over ls_secret_equal), and an X-Lockstep-Enroll-Token spent on a
 * single-use token of server/tokens.c or compared with the shared one.
 * Agent (agent/api_parse.c and agent/engine.c): the decision URL's data
 * path and the request body {"input": ...}, answered by a small compiled
 * policy.
 *
 * The input is lines: URL, If-None-Match, Prefer, since, until, index,
 * Authorization, a configured token ("" = none), X-Lockstep-Enroll-Token
 * ("@token@" stands for the single-use token made at start-up, random
 * each run), then the rest is the decision body.  Checked: only the exact
 * token is accepted, by every check.
 */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <sodium.h>

#include "api_parse.h"
#include "engine.h"
#include "httpd.h"
#include "httpd_parse.h"
#include "lockstep/key.h"
#include "lockstep/secret.h"
#include "tokens.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NFIELDS 9

/* The admin token the seeds present (a server's --admin-token-file). */
static const char admin[] = "lse_fuzz-admin-token-6b1d0c";

static const char policy[] =
    "package x\n"
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
	if (ls_engine_init(&engine) != 0 ||
	    (b = ls_rego_builder_new()) == NULL ||
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
		if (!ls_name_valid(ch) || rest < url ||
		    rest > url + strlen(url))
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

/* The single-use enrolment token, in DIR/enroll-tokens of a temporary
 * DIR (in /dev/shm when there is one), bound to the name of key fz. */
static char tdir[64];
static struct ls_tokens *toks;
static char tok[LS_TOKEN_LEN + 1];
static struct ls_vkey fz, other;

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(path) == 0 ? 0 : -1;
}

static void
tokens_cleanup(void)
{
	ls_tokens_free(toks);
	(void)nftw(tdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void
tokens_once(void)
{
	const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	char id[LS_TOKEN_ID_LEN + 1];
	struct ls_key *k = NULL;
	time_t exp;

	if (toks != NULL)
		return;
	if (sodium_init() < 0)
		abort();
	snprintf(tdir, sizeof(tdir), "%s/lockstep-fuzz-tok.XXXXXX", base);
	if (mkdtemp(tdir) == NULL || ls_tokens_open(&toks, tdir) != 0)
		abort();
	atexit(tokens_cleanup);
	if (ls_tokens_create(toks, tok, id, &exp, "fz", LS_TOKEN_TTL_MAX) !=
		0 ||
	    ls_key_generate(&k, "fz") != 0)
		abort();
	ls_key_vkey(&fz, k);
	ls_key_free(k);
	if (ls_key_generate(&k, "other") != 0)
		abort();
	ls_key_vkey(&other, k);
	ls_key_free(k);
}

static int
enrol_cb(void *arg)
{
	*(int *)arg += 1;
	return 0;
}

/* The enrolment header: the single-use token, then the shared one. */
static void
enrol(const char *got, const char *shared)
{
	char id[LS_TOKEN_ID_LEN + 1];
	int called = 0, rc;

	if (strcmp(got, "@token@") == 0)
		got = tok;
	if (got[0] == '\0') /* refused before, as the server does */
		return;
	rc =
	    ls_tokens_spend(toks, got, strlen(got), &fz, enrol_cb, &called, id);
	if ((rc == 0) != (strcmp(got, tok) == 0) || called != (rc == 0))
		abort();
	if (rc == 0 &&
	    ls_tokens_spend(toks, got, strlen(got), &other, enrol_cb, &called,
		id) == 0)
		abort(); /* bound to fz, used by fz's key */
	if (httpd_token_equal(got, shared) !=
	    (shared != NULL && strcmp(got, shared) == 0))
		abort();
}

/* Only the exact token is accepted; the length counts. */
static void
tokens(char *const f[NFIELDS])
{
	const char *auth = f[6], *want = f[7][0] ? f[7] : NULL;
	const char *b = httpd_bearer(auth);
	size_t alen = strlen(auth);

	if (b != (strncasecmp(auth, "Bearer ", 7) == 0 ? auth + 7 : NULL))
		abort();
	if (httpd_token_equal(b, admin) != (b && strcmp(b, admin) == 0) ||
	    httpd_token_equal(b, want) != (b && want && !strcmp(b, want)) ||
	    httpd_token_equal(b, NULL) || httpd_token_equal(NULL, want))
		abort();
	if (!ls_secret_equal(auth, alen, auth, alen) ||
	    (alen > 0 && ls_secret_equal(auth, alen, auth, alen - 1)) ||
	    (want &&
		ls_secret_equal(auth, alen, want, strlen(want)) !=
		    (strcmp(auth, want) == 0)))
		abort();
	enrol(f[8], want);
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
	tokens_once();
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
	tokens(f);
	agent(f[0], p, size - (size_t)(p - s));
	free(s);
	return 0;
}
