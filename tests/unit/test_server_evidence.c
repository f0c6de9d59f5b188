/* test_server_evidence.c - the hash-chained evidence log of the server. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../server/evidence.h"
#include "lockstep/error.h"
#include "lockstep/file.h"

struct fx {
	char dir[64];
	char log[128];
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/ls-test-ev-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->log, sizeof(f->log), "%s/evidence/log.jsonl", f->dir);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	ls_file_remove_tree(f->dir);
	free(f);
	return 0;
}

static void
append3(const char *dir)
{
	struct ls_evidence *ev = NULL;
	json_t *d = json_pack("{s:s}", "tag", "v1");
	uint64_t before;

	assert_int_equal(ls_evidence_open(&ev, dir, NULL, NULL), 0);
	before = ls_evidence_count(ev);
	assert_int_equal(ls_evidence_append(ev, "build", "stable", NULL, d), 0);
	assert_int_equal(ls_evidence_append(ev, "report", "stable", "a1", NULL),
	    0);
	assert_int_equal(ls_evidence_append(ev, "operator", NULL, "a2", d), 0);
	assert_int_equal(ls_evidence_count(ev), before + 3);
	json_decref(d);
	ls_evidence_free(ev);
}

static void
test_server_evidence__chain_verifies_and_continues(void **state)
{
	struct fx *f = *state;
	uint64_t n = 0;

	append3(f->dir);
	assert_int_equal(ls_evidence_verify(f->dir, &n), 0);
	assert_int_equal(n, 3);
	append3(f->dir); /* reopen: the chain goes on */
	assert_int_equal(ls_evidence_verify(f->dir, &n), 0);
	assert_int_equal(n, 6);
}

static int
count_visit(void *arg, json_t *e)
{
	(void)e;
	(*(int *)arg)++;
	return 0;
}

static void
test_server_evidence__replay_and_query(void **state)
{
	struct fx *f = *state;
	struct ls_evidence *ev = NULL;
	struct ls_evidence_filter flt;
	struct ls_buf b;
	int seen = 0;

	append3(f->dir);
	assert_int_equal(ls_evidence_open(&ev, f->dir, count_visit, &seen), 0);
	assert_int_equal(seen, 3);
	memset(&flt, 0, sizeof(flt));
	ls_buf_init(&b, 1 << 20);
	flt.kind = "report";
	assert_int_equal(ls_evidence_query(ev, &b, &flt), 0);
	assert_non_null(strstr(b.data, "\"agent\":\"a1\""));
	assert_null(strstr(b.data, "\"kind\":\"build\""));
	ls_buf_reset(&b);
	flt.kind = NULL;
	flt.channel = "stable";
	assert_int_equal(ls_evidence_query(ev, &b, &flt), 0);
	assert_non_null(strstr(b.data, "\"kind\":\"build\""));
	assert_null(strstr(b.data, "\"kind\":\"operator\""));
	ls_buf_reset(&b);
	flt.channel = NULL;
	flt.until = 1000; /* 1970: nothing */
	assert_int_equal(ls_evidence_query(ev, &b, &flt), 0);
	assert_int_equal(b.len, 0);
	ls_buf_cleanup(&b);
	ls_evidence_free(ev);
}

static void
test_server_evidence__tampering_breaks_the_chain(void **state)
{
	struct fx *f = *state;
	struct ls_evidence *ev = NULL;
	char *text = NULL, *p;
	size_t len = 0;
	uint64_t n;

	append3(f->dir);
	assert_int_equal(ls_file_read(&text, &len, f->log, 1 << 20), 0);
	p = strstr(text, "\"v1\"");
	assert_non_null(p);
	p[2] = '2'; /* v1 -> v2 in the first entry */
	assert_int_equal(ls_file_write_atomic(f->log, text, len, 0644), 0);
	free(text);
	assert_int_equal(ls_evidence_verify(f->dir, &n), LS_EFORMAT);
	assert_non_null(strstr(ls_error_last(), "entry 1"));
	/* The server refuses to extend a broken log. */
	assert_int_equal(ls_evidence_open(&ev, f->dir, NULL, NULL), LS_EFORMAT);
	assert_null(ev);
}

static void
test_server_evidence__torn_last_line_is_cut(void **state)
{
	struct fx *f = *state;
	struct ls_evidence *ev = NULL;
	FILE *fp;
	uint64_t n;

	append3(f->dir);
	fp = fopen(f->log, "a");
	assert_non_null(fp);
	fputs("{\"n\":3,\"kind\":\"rep", fp); /* died mid-append */
	fclose(fp);
	assert_int_equal(ls_evidence_verify(f->dir, &n), LS_EFORMAT);
	assert_int_equal(ls_evidence_open(&ev, f->dir, NULL, NULL), 0);
	assert_int_equal(ls_evidence_count(ev), 3);
	assert_int_equal(ls_evidence_append(ev, "build", "x", NULL, NULL), 0);
	ls_evidence_free(ev);
	assert_int_equal(ls_evidence_verify(f->dir, &n), 0);
	assert_int_equal(n, 4);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_server_evidence__chain_verifies_and_continues,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_server_evidence__replay_and_query,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_server_evidence__tampering_breaks_the_chain,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_server_evidence__torn_last_line_is_cut,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
