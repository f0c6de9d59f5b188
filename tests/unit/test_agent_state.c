/* test_agent_state.c - persisted state, status JSON, report queue and
 * command line of the agent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <sodium.h>

#include "../../agent/config.h"
#include "../../agent/reports.h"
#include "../../agent/state.h"
#include "lockstep/doc.h"
#include "lockstep/error.h"
#include "lockstep/file.h"
#include "lockstep/key.h"
#include "lockstep/note.h"

static char dir[64];

static int
mkdir_tmp(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/ls-agent-state.XXXXXX");
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int
rm_tmp(void **state)
{
	(void)state;
	return ls_file_remove_tree(dir);
}

static void
sample(struct ls_state *s)
{
	ls_state_init(s);
	snprintf(s->agent, sizeof(s->agent), "host-1");
	snprintf(s->channel, sizeof(s->channel), "stable");
	s->has_active = 1;
	snprintf(s->active.version, sizeof(s->active.version), "v1.2.0");
	s->active.seq = 4;
	memset(s->active.sha256, 'c', 64);
	s->active.activated_at = 1800000000;
	snprintf(s->active.dir, sizeof(s->active.dir), "bundles/abc-4-0001");
	snprintf(s->state, sizeof(s->state), "active");
	s->root_version = 2;
	s->timestamp_seq = 9;
	s->timestamp_expires = 1800003600;
	s->release_seq = 4;
	s->floor = 3;
	s->report_seq = 17;
	s->dropped = 2;
	s->enrolled = 1;
}

static void
test_agent_state__roundtrip(void **state)
{
	struct ls_state a, b;

	(void)state;
	sample(&a);
	assert_int_equal(ls_state_save(&a, dir), 0);
	assert_int_equal(ls_state_load(&b, dir), 0);
	assert_string_equal(b.agent, "host-1");
	assert_string_equal(b.active.version, "v1.2.0");
	assert_string_equal(b.active.dir, "bundles/abc-4-0001");
	assert_int_equal(b.active.activated_at, 1800000000);
	assert_int_equal(b.timestamp_seq, 9);
	assert_int_equal(b.timestamp_expires, 1800003600);
	assert_int_equal(b.report_seq, 17);
	assert_int_equal(b.dropped, 2);
	assert_int_equal(b.enrolled, 1);
	assert_int_equal(b.has_active, 1);
}

static void
test_agent_state__missing_is_notfound(void **state)
{
	struct ls_state b;
	char sub[128];

	(void)state;
	snprintf(sub, sizeof(sub), "%s/none", dir);
	assert_int_equal(ls_state_load(&b, sub), LS_ENOTFOUND);
}

static void
write_state(const char *text)
{
	char p[128];

	snprintf(p, sizeof(p), "%s/state.json", dir);
	assert_int_equal(ls_file_write_atomic(p, text, strlen(text), 0644), 0);
}

static void
test_agent_state__hostile_file_refused(void **state)
{
	struct ls_state b;

	(void)state;
	write_state("{\"channel\":\"stable\",\"state\":\"bogus\"}");
	assert_int_equal(ls_state_load(&b, dir), LS_EFORMAT);
	write_state("{\"active\":{\"dir\":\"bundles/../../etc\"}}");
	assert_int_equal(ls_state_load(&b, dir), LS_EFORMAT);
	write_state("{\"channel\":7}");
	assert_int_equal(ls_state_load(&b, dir), LS_EFORMAT);
	write_state("[1,2");
	assert_int_equal(ls_state_load(&b, dir), LS_EFORMAT);
	write_state("{\"report_seq\":-3}");
	assert_int_equal(ls_state_load(&b, dir), LS_EFORMAT);
}

static void
test_agent_state__status_has_exactly_the_fields(void **state)
{
	static const char *want[] = { "channel", "active", "state",
		"last_error", "timestamp_seq", "root_version" };
	struct ls_state a;
	json_t *o, *act;
	char *json;
	size_t i;

	(void)state;
	sample(&a);
	assert_int_equal(ls_state_status_json(&json, &a, 1800000100), 0);
	o = json_loads(json, 0, NULL);
	assert_non_null(o);
	assert_int_equal(json_object_size(o), 6);
	for (i = 0; i < 6; i++)
		assert_non_null(json_object_get(o, want[i]));
	act = json_object_get(o, "active");
	assert_int_equal(json_object_size(act), 4);
	assert_string_equal(json_string_value(
				json_object_get(act, "activated_at")),
	    "2027-01-15T08:00:00Z");
	assert_int_equal(json_integer_value(json_object_get(act, "seq")), 4);
	assert_string_equal(json_string_value(json_object_get(o, "state")),
	    "active");
	assert_true(json_is_null(json_object_get(o, "last_error")));
	json_decref(o);
	free(json);
}

static void
test_agent_state__stale_on_own_clock(void **state)
{
	struct ls_state a;

	(void)state;
	sample(&a);
	assert_string_equal(ls_state_word(&a, 1800003599), "active");
	assert_string_equal(ls_state_word(&a, 1800003600), "stale");
	ls_state_init(&a);
	assert_string_equal(ls_state_word(&a, 1800003600), "none");
}

static void
test_agent_state__queue_in_order_and_bounded(void **state)
{
	uint64_t *v = NULL, dropped = 0;
	size_t n = 0;
	char *text = NULL;
	size_t len = 0;
	uint64_t s;

	(void)state;
	assert_int_equal(ls_reports_init(dir), 0);
	for (s = 1; s <= 3; s++)
		assert_int_equal(ls_reports_enqueue(dir, s, "r\n", 2, 5,
				     &dropped),
		    0);
	assert_int_equal(dropped, 0);
	assert_int_equal(ls_reports_enqueue(dir, 10, "ten\n", 4, 5, &dropped),
	    0);
	assert_int_equal(ls_reports_list(&v, &n, dir), 0);
	assert_int_equal(n, 4);
	assert_int_equal(v[0], 1);
	assert_int_equal(v[3], 10);
	free(v);
	/* the bound: a sixth report drops the oldest, and says so */
	assert_int_equal(ls_reports_enqueue(dir, 11, "x\n", 2, 5, &dropped), 0);
	assert_int_equal(dropped, 0);
	assert_int_equal(ls_reports_enqueue(dir, 12, "y\n", 2, 5, &dropped), 0);
	assert_int_equal(dropped, 1);
	assert_int_equal(ls_reports_list(&v, &n, dir), 0);
	assert_int_equal(n, 5);
	assert_int_equal(v[0], 2);
	assert_int_equal(v[4], 12);
	free(v);
	assert_int_equal(ls_reports_read(&text, &len, dir, 10), 0);
	assert_string_equal(text, "ten\n");
	free(text);
	assert_int_equal(ls_reports_remove(dir, 10), 0);
	assert_int_equal(ls_reports_read(&text, &len, dir, 10), LS_ENOTFOUND);
}

static void
test_agent_state__report_signed_by_agent_key(void **state)
{
	struct ls_key *k = NULL;
	struct ls_keyset ks = { NULL, 0 };
	struct ls_vkey vk;
	struct ls_report r, back;
	struct ls_note *note = NULL;
	const char *body;
	char *text = NULL;
	size_t len = 0, blen;

	(void)state;
	assert_int_equal(ls_key_generate(&k, "host-1"), 0);
	memset(&r, 0, sizeof(r));
	snprintf(r.agent, sizeof(r.agent), "host-1");
	snprintf(r.channel, sizeof(r.channel), "stable");
	r.seq = 3;
	r.root_version = 1;
	r.timestamp_seq = 2;
	r.release_seq = 1;
	memset(r.bundle_sha256, 'd', 64);
	snprintf(r.version, sizeof(r.version), "v1");
	r.time = 1800000000;
	snprintf(r.state, sizeof(r.state), "stale");
	snprintf(r.error, sizeof(r.error), "timestamp expired");
	r.dropped = 4;
	assert_int_equal(ls_reports_sign(&text, &len, &r, k), 0);
	ls_key_vkey(&vk, k);
	assert_int_equal(ls_keyset_add(&ks, &vk), 0);
	assert_true(ls_note_open(&note, text, len, &ks, 1) >= 0);
	body = ls_note_body(note, &blen);
	assert_int_equal(ls_report_parse(&back, body, blen), 0);
	assert_int_equal(back.dropped, 4);
	assert_string_equal(back.state, "stale");
	ls_note_free(note);
	ls_keyset_cleanup(&ks);
	ls_key_free(k);
	free(text);
}

/* ls_config_parse on a copy of args (argv strings are writable). */
static int
parse(struct ls_config *c, int n, const char *const *args)
{
	static char store[16][64];
	static char *argv[17];
	int i;

	for (i = 0; i < n; i++) {
		snprintf(store[i], sizeof(store[i]), "%s", args[i]);
		argv[i] = store[i];
	}
	argv[n] = NULL;
	return ls_config_parse(c, n, argv);
}

static void
test_agent_state__command_line(void **state)
{
	struct ls_config c;
	const char *ok[] = { "a", "--server", "http://127.0.0.1:1", "--server",
		"http://127.0.0.1:2/", "--root", "r", "--state", "s",
		"--channel", "stable", "--interval", "5", "--once", NULL };
	const char *bad_num[] = { "a", "--state", "s", "--interval", "5x",
		NULL };
	const char *bad_url[] = { "a", "--server", "file:///etc", NULL };
	const char *status[] = { "a", "--state", "s", "status", "--json",
		NULL };
	const char *missing[] = { "a", "--state", "s", NULL };

	(void)state;
	assert_int_equal(parse(&c, 14, ok), 0);
	assert_int_equal(c.nservers, 2);
	assert_int_equal(c.interval, 5);
	assert_int_equal(c.once, 1);
	assert_int_equal(c.max_backoff, 60);
	assert_string_equal(c.listen, "127.0.0.1:8182");
	assert_true(ls_name_valid(c.name));
	assert_int_equal(parse(&c, 5, bad_num), LS_EINVAL);
	assert_non_null(strstr(ls_error_last(), "--interval"));
	assert_int_equal(parse(&c, 3, bad_url), LS_EINVAL);
	assert_int_equal(parse(&c, 5, status), 0);
	assert_int_equal(c.cmd, LS_CMD_STATUS);
	assert_int_equal(c.json, 1);
	assert_int_equal(parse(&c, 3, missing), LS_EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_agent_state__roundtrip,
		    mkdir_tmp, rm_tmp),
		cmocka_unit_test_setup_teardown(test_agent_state__missing_is_notfound,
		    mkdir_tmp, rm_tmp),
		cmocka_unit_test_setup_teardown(test_agent_state__hostile_file_refused,
		    mkdir_tmp, rm_tmp),
		cmocka_unit_test(
		    test_agent_state__status_has_exactly_the_fields),
		cmocka_unit_test(test_agent_state__stale_on_own_clock),
		cmocka_unit_test_setup_teardown(test_agent_state__queue_in_order_and_bounded,
		    mkdir_tmp, rm_tmp),
		cmocka_unit_test(test_agent_state__report_signed_by_agent_key),
		cmocka_unit_test(test_agent_state__command_line),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
