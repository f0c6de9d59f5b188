/*
 * test_agent_http.c - the agent's HTTP/1.1 client (agent/fetch.c) against
 * a scripted server on 127.0.0.1 that answers byte for byte what each
 * case needs: chunked bodies with extensions and trailers, keep-alive
 * reuse, a kept connection the server closed (retried once on a fresh
 * one), 100 Continue, a bad chunk size, a body read to the close, a body
 * cut short, a status line that is not HTTP, and a host name resolved by
 * the lookup thread.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../agent/fetch.h"
#include "lockstep/buf.h"
#include "lockstep/error.h"

/* Answers, connection by connection; each closes after its last. */
static const char *const conn1[] = {
	"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nETag: \"e1\"\r\n\r\n"
	"5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n",
	"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc",
	NULL,
};
static const char *const conn2[] = {
	"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfresh",
	"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 2\r\n"
	"\r\nok",
	"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
	NULL,
};
static const char *const conn3[] = {
	"HTTP/1.0 200 OK\r\n\r\nuntil the close",
	NULL,
};
static const char *const conn4[] = {
	"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc",
	NULL,
};
static const char *const conn5[] = {
	"SSH-2.0-OpenSSH\r\n\r\n",
	NULL,
};
static const char *const conn6[] = {
	"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nname",
	NULL,
};
static const char *const *const script[] = { conn1, conn2, conn3, conn4, conn5,
	conn6 };

static pid_t server = -1;
static char base[64], named[64];
static struct ls_fetch *f;

/* Read one request head (GET only: no body). */
static int
read_request(int c)
{
	char buf[4096];
	size_t n = 0;
	ssize_t k;

	while (n < sizeof(buf) - 1) {
		if ((k = read(c, buf + n, sizeof(buf) - 1 - n)) <= 0)
			return -1;
		n += (size_t)k;
		buf[n] = '\0';
		if (strstr(buf, "\r\n\r\n") != NULL)
			return 0;
	}
	return -1;
}

static void
serve(int s)
{
	size_t i, j;
	int c;

	for (i = 0; i < sizeof(script) / sizeof(script[0]); i++) {
		if ((c = accept(s, NULL, NULL)) < 0)
			_exit(1);
		for (j = 0; script[i][j] != NULL; j++) {
			if (read_request(c) != 0)
				break;
			if (write(c, script[i][j], strlen(script[i][j])) < 0)
				break;
		}
		close(c);
	}
	_exit(0);
}

static int
start(void **state)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	struct ls_fetch_opts o;
	int s;

	(void)state;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((s = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    bind(s, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    listen(s, 8) != 0 ||
	    getsockname(s, (struct sockaddr *)&a, &len) != 0)
		return -1;
	snprintf(base, sizeof(base), "http://127.0.0.1:%d/x",
	    ntohs(a.sin_port));
	snprintf(named, sizeof(named), "http://localhost:%d/x",
	    ntohs(a.sin_port));
	if ((server = fork()) == 0) {
		alarm(60);
		serve(s);
	}
	close(s);
	ls_fetch_opts_default(&o);
	o.doc_timeout = 10;
	return ls_fetch_new(&f, &o);
}

static int
stop(void **state)
{
	(void)state;
	ls_fetch_free(f);
	if (server > 0) {
		kill(server, SIGKILL);
		waitpid(server, NULL, 0);
	}
	return 0;
}

/* GET base into b; its result. */
static int
get(struct ls_buf *b, struct ls_fetch_result *res)
{
	return ls_fetch_get(f, res, b, base, NULL, 0);
}

static void
test_agent_http__script(void **state)
{
	struct ls_fetch_result res;
	struct ls_buf b;

	(void)state;
	ls_buf_init(&b, 1024);
	/* Chunks with an extension and a trailer; the ETag kept. */
	assert_int_equal(get(&b, &res), 0);
	assert_int_equal(res.status, 200);
	assert_int_equal(b.len, 11);
	assert_memory_equal(b.data, "hello world", 11);
	assert_string_equal(res.etag, "\"e1\"");
	/* The same connection again (a new one would answer "fresh"). */
	assert_int_equal(get(&b, &res), 0);
	assert_int_equal(b.len, 3);
	assert_memory_equal(b.data, "abc", 3);
	/* The server closed it: one retry on a fresh connection. */
	assert_int_equal(get(&b, &res), 0);
	assert_int_equal(b.len, 5);
	assert_memory_equal(b.data, "fresh", 5);
	/* 100 Continue is skipped; header names in any case. */
	assert_int_equal(get(&b, &res), 0);
	assert_int_equal(res.status, 200);
	assert_memory_equal(b.data, "ok", 2);
	/* A chunk size that is not hex. */
	assert_int_equal(get(&b, &res), LS_ENET);
	assert_non_null(strstr(ls_error_last(), "chunk"));
	/* HTTP/1.0 without a length: the body runs to the close. */
	assert_int_equal(get(&b, &res), 0);
	assert_int_equal(b.len, 15);
	assert_memory_equal(b.data, "until the close", 15);
	/* A body cut short of its Content-Length. */
	assert_int_equal(get(&b, &res), LS_ENET);
	assert_non_null(strstr(ls_error_last(), "short"));
	/* Not HTTP at all. */
	assert_int_equal(get(&b, &res), LS_ENET);
	assert_non_null(strstr(ls_error_last(), "not an HTTP/1 answer"));
	ls_buf_cleanup(&b);
}

static void
test_agent_http__bad_urls(void **state)
{
	struct ls_fetch_result res;
	struct ls_buf b;
	static const char *const bad[] = {
		"ftp://127.0.0.1/x",
		"http://user:pw@127.0.0.1/x",
		"http://127.0.0.1:99999999/x",
		"http://127.0.0.1/a b",
		"http://[::1/x",
		"http:///x",
	};
	size_t i;

	(void)state;
	ls_buf_init(&b, 64);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(ls_fetch_get(f, &res, &b, bad[i], NULL, 0),
		    LS_ENET);
	ls_buf_cleanup(&b);
}

/* A name, not an address: resolved by fetch_dns.c's lookup thread. */
static void
test_agent_http__named_host(void **state)
{
	struct ls_fetch_result res;
	struct ls_buf b;
	int rc;

	(void)state;
	ls_buf_init(&b, 64);
	assert_int_equal(ls_fetch_get(f, &res, &b, named, NULL, 0), 0);
	assert_int_equal(b.len, 4);
	assert_memory_equal(b.data, "name", 4);
	/* No such name (or no DNS here: the bounded wait ends it then). */
	rc = ls_fetch_get(f, &res, &b, "http://no-such-host.invalid/", NULL, 0);
	assert_true(rc == LS_ENET || rc == LS_ETIMEOUT);
	assert_non_null(strstr(ls_error_last(), "resolv"));
	ls_buf_cleanup(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_agent_http__script),
		cmocka_unit_test(test_agent_http__bad_urls),
		cmocka_unit_test(test_agent_http__named_host),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, start, stop);
}
