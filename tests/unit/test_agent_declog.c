/* test_agent_declog.c - the agent's decision log (agent/declog.h): seqs
 * across restarts, torn tails, the power-cut rule, the queue bound, and
 * the record helpers of agent/decrec.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../agent/declog.h"
#include "../../agent/decrec.h"
#include "lockstep/error.h"
#include "lockstep/file.h"

struct fx {
	char state[64];
	char dir[128];
	struct ls_declog_opts o;
};

static int
setup(void **st)
{
	struct fx *f = calloc(1, sizeof(*f));

	snprintf(f->state, sizeof(f->state), "/tmp/ls-declog.XXXXXX");
	assert_non_null(mkdtemp(f->state));
	snprintf(f->dir, sizeof(f->dir), "%s/decisions", f->state);
	f->o.state_dir = f->state;
	f->o.agent = "a1";
	f->o.fsync_ms = 5;
	f->o.queue_max = 1 << 20;
	f->o.segment_max = 1 << 20;
	f->o.segment_age_ms = 60000;
	*st = f;
	return 0;
}

static int
teardown(void **st)
{
	struct fx *f = *st;

	ls_file_remove_tree(f->state);
	free(f);
	return 0;
}

static void
append(struct ls_declog *l, const char *want_id)
{
	char id[LS_DECLOG_ID_MAX];
	const char *rec = "{\"door\":\"api\",\"outcome\":\"allow\"}";

	assert_int_equal(ls_declog_append(l, id, rec, strlen(rec)), 0);
	assert_string_equal(id, want_id);
}

/* Every record line of the directory, concatenated in name order. */
static char *
all_lines(const struct fx *f)
{
	char cmd[300], *out = malloc(1 << 16);
	FILE *p;
	size_t n;

	snprintf(cmd, sizeof(cmd), "cat %s/*.seg %s/*.open 2>/dev/null", f->dir,
	    f->dir);
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(out, 1, (1 << 16) - 1, p);
	out[n] = '\0';
	pclose(p);
	return out;
}

static void
write_file(const struct fx *f, const char *name, const char *text)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", f->dir, name);
	assert_int_equal(ls_file_write_atomic(path, text, strlen(text), 0600),
	    0);
}

static void
test_agent_declog__seq_survives_restart(void **st)
{
	struct fx *f = *st;
	struct ls_declog *l = NULL;
	char *lines;

	assert_int_equal(ls_declog_open(&l, &f->o), 0);
	append(l, "a1-1");
	append(l, "a1-2");
	ls_declog_close(l);
	assert_int_equal(ls_declog_open(&l, &f->o), 0);
	append(l, "a1-3");
	ls_declog_close(l);
	lines = all_lines(f);
	assert_non_null(strstr(lines, "{\"id\":\"a1-1\",\"seq\":1,\"time\":"));
	assert_non_null(strstr(lines, "\"seq\":3,"));
	assert_non_null(strstr(lines, "\"agent\":\"a1\",\"door\":\"api\""));
	free(lines);
}

static void
boot_id(char *out, size_t sz)
{
	char *t = NULL;
	size_t n = 0;

	assert_int_equal(ls_file_read(&t, &n, "/proc/sys/kernel/random/boot_id",
			     256),
	    0);
	while (n > 0 && t[n - 1] == '\n')
		t[--n] = '\0';
	snprintf(out, sz, "%s", t);
	free(t);
}

/* kill -9 during write(2): a torn line was never answered; its seq is
 * reused and the segment is cut at the last whole line. */
static void
test_agent_declog__torn_tail_cut_and_reused(void **st)
{
	struct fx *f = *st;
	struct ls_declog *l = NULL;
	char boot[128], state[256], *lines;

	assert_int_equal(ls_file_mkdirs(f->dir, 0700), 0);
	boot_id(boot, sizeof(boot));
	snprintf(state, sizeof(state), "boot %s\nreserved 100\nclean 0\n",
	    boot);
	write_file(f, "seq.state", state);
	write_file(f, "00000000000000000001.open",
	    "{\"id\":\"a1-1\",\"seq\":1}\n{\"id\":\"a1-2\",\"seq\":2}\n"
	    "{\"id\":\"a1-3\",\"se");
	assert_int_equal(ls_declog_open(&l, &f->o), 0);
	append(l, "a1-3");
	ls_declog_close(l);
	lines = all_lines(f);
	assert_null(strstr(lines, "\"se{"));
	assert_null(strstr(lines, "\"type\":\"dropped\""));
	free(lines);
}

/* A power cut (another boot, no clean stop): every reserved seq may have
 * been answered; a "dropped" line announces them and none is reused. */
static void
test_agent_declog__power_cut_announced(void **st)
{
	struct fx *f = *st;
	struct ls_declog *l = NULL;
	char *lines;

	assert_int_equal(ls_file_mkdirs(f->dir, 0700), 0);
	write_file(f, "seq.state",
	    "boot another-boot\nreserved 100\nclean 0\n");
	write_file(f, "00000000000000000001.open",
	    "{\"id\":\"a1-1\",\"seq\":1}\n");
	assert_int_equal(ls_declog_open(&l, &f->o), 0);
	append(l, "a1-102");
	ls_declog_close(l);
	lines = all_lines(f);
	assert_non_null(strstr(lines, "\"seq\":101,\"time\":"));
	assert_non_null(strstr(lines,
	    "\"type\":\"dropped\",\"first\":2,"
	    "\"last\":100,\"reason\":\"crash\""));
	free(lines);
}

static void
test_agent_declog__required_mode_refuses(void **st)
{
	struct fx *f = *st;
	struct ls_declog *l = NULL;
	char id[LS_DECLOG_ID_MAX];
	const char *rec = "{\"door\":\"api\"}";
	int i, rc = 0;

	f->o.queue_max = 1000;
	f->o.required = 1;
	assert_int_equal(ls_declog_open(&l, &f->o), 0);
	for (i = 0; i < 100 && rc == 0; i++)
		rc = ls_declog_append(l, id, rec, strlen(rec));
	assert_int_equal(rc, LS_ETOOBIG);
	assert_true(i > 5);
	ls_declog_close(l);
}

static void
test_agent_declog__input_span(void **st)
{
	const char *b =
	    "{ \"x\": {\"input\": 1}, \"input\" :{\"a\": \"}\\\"\"} }";
	size_t off = 0, n = 0;

	(void)st;
	assert_int_equal(ls_decrec_input_span(&off, &n, b, strlen(b)), 0);
	assert_int_equal(n, strlen("{\"a\": \"}\\\"\"}"));
	assert_memory_equal(b + off, "{\"a\": \"}\\\"\"}", n);
	assert_int_equal(ls_decrec_input_span(&off, &n, "{\"y\":2}", 7), -1);
}

static void
test_agent_declog__outcome(void **st)
{
	(void)st;
	assert_int_equal(ls_decrec_outcome("k/deny", "[\"m\"]", 0),
	    LS_OUT_DENY);
	assert_int_equal(ls_decrec_outcome("k/deny", "[]", 0), LS_OUT_ALLOW);
	assert_int_equal(ls_decrec_outcome("k/warn", "[\"w\"]", 0),
	    LS_OUT_WARN);
	assert_int_equal(ls_decrec_outcome("k/allow", "false", 0), LS_OUT_DENY);
	assert_int_equal(ls_decrec_outcome("k/allow", "true", 0), LS_OUT_ALLOW);
	assert_int_equal(ls_decrec_outcome("k/x", "{\"allowed\":false}", 0),
	    LS_OUT_DENY);
	assert_int_equal(ls_decrec_outcome("k/deny", NULL, 1), LS_OUT_ERROR);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_agent_declog__seq_survives_restart,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_agent_declog__torn_tail_cut_and_reused,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_agent_declog__power_cut_announced,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_agent_declog__required_mode_refuses,
		    setup, teardown),
		cmocka_unit_test(test_agent_declog__input_span),
		cmocka_unit_test(test_agent_declog__outcome),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
