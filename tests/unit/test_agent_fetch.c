/* test_agent_fetch.c - the agent's HTTP client against a real HTTP server
 * on 127.0.0.1 (tests/tools/hostile_mirror.py): ETag/304, caps on
 * documents and bundles, endless and stalled bodies, errors. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "../../agent/fetch.h"
#include "lockstep/buf.h"
#include "lockstep/error.h"
#include "lockstep/file.h"
#include "lockstep/hash.h"

#define BUNDLE_LEN 100000

static char dir[64], base[128], control[128];
static pid_t mirror = -1;
static uint8_t bundle[BUNDLE_LEN];
static struct ls_fetch *f;

static void
put(const char *rel, const void *data, size_t len)
{
	char p[256], d[256];

	snprintf(p, sizeof(p), "%s/data/%s", dir, rel);
	snprintf(d, sizeof(d), "%s", p);
	*strrchr(d, '/') = '\0';
	assert_int_equal(ls_file_mkdirs(d, 0755), 0);
	assert_int_equal(ls_file_write_atomic(p, data, len, 0644), 0);
}

static void
rule(const char *line)
{
	assert_int_equal(ls_file_write_atomic(control, line, strlen(line),
			     0644),
	    0);
}

static int
start(void **state)
{
	struct ls_fetch_opts o;
	char portfile[128], data[128], *port = NULL, *root;
	int i;

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/ls-agent-fetch.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	randombytes_buf(bundle, sizeof(bundle));
	put("v1/channels/stable/timestamp.note", "hello\n", 6);
	put("v1/bundles/b.tar.gz", bundle, sizeof(bundle));
	snprintf(control, sizeof(control), "%s/control", dir);
	snprintf(portfile, sizeof(portfile), "%s/port", dir);
	snprintf(data, sizeof(data), "%s/data", dir);
	rule("");
	root = getenv("LOCKSTEP_ROOT");
	if ((mirror = fork()) == 0) {
		char script[512];

		snprintf(script, sizeof(script),
		    "%s/tests/tools/"
		    "hostile_mirror.py",
		    root != NULL ? root : ".");
		execlp("python3", "python3", script, "--data", data,
		    "--control", control, "--port-file", portfile,
		    (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 200 && ls_file_read(&port, NULL, portfile, 64) != 0;
	     i++)
		poll(NULL, 0, 50);
	if (port == NULL)
		return -1;
	port[strcspn(port, "\n")] = '\0';
	snprintf(base, sizeof(base), "http://%s", port);
	free(port);
	ls_fetch_opts_default(&o);
	o.low_speed_time = 1;
	o.doc_timeout = 10;
	o.bundle_timeout = 20;
	return ls_fetch_new(&f, &o);
}

static int
stop(void **state)
{
	(void)state;
	ls_fetch_free(f);
	if (mirror > 0) {
		kill(mirror, SIGKILL);
		waitpid(mirror, NULL, 0);
	}
	ls_file_remove_tree(dir);
	return 0;
}

static const char *
url(const char *path)
{
	static char u[256];

	snprintf(u, sizeof(u), "%s%s", base, path);
	return u;
}

static void
test_agent_fetch__etag_and_304(void **state)
{
	struct ls_fetch_result res;
	struct ls_buf b;
	char etag[LS_FETCH_ETAG_MAX + 1];

	(void)state;
	rule("");
	ls_buf_init(&b, 1024);
	assert_int_equal(ls_fetch_get(f, &res, &b,
			     url("/v1/channels/stable/timestamp.note"), NULL,
			     0),
	    0);
	assert_int_equal(res.status, 200);
	assert_string_equal(b.data, "hello\n");
	assert_true(res.etag[0] == '"');
	snprintf(etag, sizeof(etag), "%s", res.etag);
	assert_int_equal(ls_fetch_get(f, &res, &b,
			     url("/v1/channels/stable/timestamp.note"), etag,
			     2),
	    0);
	assert_int_equal(res.status, 304);
	assert_int_equal(res.held, 0); /* this server never holds */
	assert_int_equal(b.len, 0);
	assert_int_equal(ls_fetch_get(f, &res, &b, url("/v1/nothing"), NULL, 0),
	    0);
	assert_int_equal(res.status, 404);
	assert_int_equal(b.len, 0);
	ls_buf_cleanup(&b);
}

static void
test_agent_fetch__document_capped(void **state)
{
	struct ls_fetch_result res;
	struct ls_buf b;

	(void)state;
	rule("");
	ls_buf_init(&b, 4);
	assert_int_equal(ls_fetch_get(f, &res, &b,
			     url("/v1/channels/stable/timestamp.note"), NULL,
			     0),
	    LS_ETOOBIG);
	ls_buf_cleanup(&b);
	rule("timestamp endless\n");
	ls_buf_init(&b, 65536);
	assert_int_equal(ls_fetch_get(f, &res, &b,
			     url("/v1/channels/stable/timestamp.note"), NULL,
			     0),
	    LS_ETOOBIG);
	ls_buf_cleanup(&b);
}

static int
tmpfd(void)
{
	char p[128];
	int fd;

	snprintf(p, sizeof(p), "%s/dl", dir);
	fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	return fd;
}

static void
test_agent_fetch__bundle_hashed_while_streaming(void **state)
{
	struct ls_fetch_result res;
	uint8_t sha[LS_SHA256_LEN], want[LS_SHA256_LEN];
	uint64_t got = 0;
	int fd = tmpfd();

	(void)state;
	rule("");
	ls_sha256(want, bundle, sizeof(bundle));
	assert_int_equal(ls_fetch_file(f, &res, url("/v1/bundles/b.tar.gz"), fd,
			     BUNDLE_LEN, sha, &got),
	    0);
	assert_int_equal(got, BUNDLE_LEN);
	assert_memory_equal(sha, want, sizeof(sha));
	close(fd);
	fd = tmpfd();
	rule("bundle flip\n");
	assert_int_equal(ls_fetch_file(f, &res, url("/v1/bundles/b.tar.gz"), fd,
			     BUNDLE_LEN, sha, &got),
	    0);
	assert_memory_not_equal(sha, want, sizeof(sha));
	close(fd);
}

static void
test_agent_fetch__bundle_past_signed_length(void **state)
{
	struct ls_fetch_result res;
	uint8_t sha[LS_SHA256_LEN];
	uint64_t got = 0;
	int fd = tmpfd();

	(void)state;
	rule("bundle append 10\n");
	assert_int_equal(ls_fetch_file(f, &res, url("/v1/bundles/b.tar.gz"), fd,
			     BUNDLE_LEN, sha, &got),
	    LS_ETOOBIG);
	rule("bundle endless\n");
	assert_int_equal(ls_fetch_file(f, &res, url("/v1/bundles/b.tar.gz"), fd,
			     BUNDLE_LEN, sha, &got),
	    LS_ETOOBIG);
	assert_true(got <= BUNDLE_LEN);
	close(fd);
}

static void
test_agent_fetch__stalled_body_aborted(void **state)
{
	struct ls_fetch_result res;
	uint8_t sha[LS_SHA256_LEN];
	uint64_t got = 0;
	int fd = tmpfd();

	(void)state;
	rule("bundle slow 10\n");
	assert_int_equal(ls_fetch_file(f, &res, url("/v1/bundles/b.tar.gz"), fd,
			     BUNDLE_LEN, sha, &got),
	    LS_ETIMEOUT);
	assert_true(got < 16);
	close(fd);
}

static void
test_agent_fetch__http_errors(void **state)
{
	struct ls_fetch_result res;
	uint8_t sha[LS_SHA256_LEN];
	uint64_t got = 0;
	int fd = tmpfd();

	(void)state;
	rule("bundle status 500\n");
	assert_int_equal(ls_fetch_file(f, &res, url("/v1/bundles/b.tar.gz"), fd,
			     BUNDLE_LEN, sha, &got),
	    LS_ENET);
	assert_int_equal(res.status, 500);
	close(fd);
	assert_int_equal(ls_fetch_post(f, &res, url("/v1/reports"), NULL, "x",
			     1, NULL),
	    0);
	assert_int_equal(res.status, 405); /* no upstream */
	assert_int_equal(ls_fetch_get(f, &res, &(struct ls_buf){ 0 },
			     "http://127.0.0.1:9/x", NULL, 0),
	    LS_ENET);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_agent_fetch__etag_and_304),
		cmocka_unit_test(test_agent_fetch__document_capped),
		cmocka_unit_test(
		    test_agent_fetch__bundle_hashed_while_streaming),
		cmocka_unit_test(test_agent_fetch__bundle_past_signed_length),
		cmocka_unit_test(test_agent_fetch__stalled_body_aborted),
		cmocka_unit_test(test_agent_fetch__http_errors),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, start, stop);
}
