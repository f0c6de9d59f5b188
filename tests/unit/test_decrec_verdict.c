/* test_decrec_verdict.c - a door that judges its decision itself
 * (lockstep check --report) gives the record's outcome, violations and
 * controls and the input's sha256 (agent/decrec.h ls_decision.verdict,
 * input_sha256); without them the record derives them as before. */
#include <glob.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "../../agent/declog.h"
#include "../../agent/decrec.h"
#include "lockstep/file.h"

#define SHA_X "1111111111111111111111111111111111111111111111111111111111111111"

/* Write the decisions through a fresh log in state, return the lines. */
static json_t *
written(const char *state, const struct ls_decision *d, size_t n)
{
	struct ls_declog_opts o;
	struct ls_declog *l = NULL;
	struct ls_decrec *r = NULL;
	char id[LS_DECLOG_ID_MAX], pat[128], *text = NULL, *p, *nl;
	json_t *out = json_array();
	glob_t g;
	size_t i, len = 0;

	memset(&o, 0, sizeof(o));
	o.state_dir = state;
	o.agent = "ci-runner";
	o.fsync_ms = 5;
	o.queue_max = 1 << 20;
	o.segment_max = 1 << 20;
	o.segment_age_ms = 60000;
	assert_int_equal(ls_declog_open(&l, &o), 0);
	assert_int_equal(ls_decrec_new(&r, l, 64), 0);
	for (i = 0; i < n; i++) {
		assert_int_equal(ls_decrec_record(r, id, &d[i]), 0);
		assert_true(id[0] != '\0');
	}
	ls_decrec_free(r);
	ls_declog_close(l);
	snprintf(pat, sizeof(pat), "%s/decisions/*.seg", state);
	assert_int_equal(glob(pat, 0, NULL, &g), 0);
	assert_int_equal(g.gl_pathc, 1);
	assert_int_equal(ls_file_read(&text, &len, g.gl_pathv[0], 1 << 20), 0);
	globfree(&g);
	for (p = text; (nl = strchr(p, '\n')) != NULL; p = nl + 1)
		json_array_append_new(out,
		    json_loadb(p, (size_t)(nl - p), 0, NULL));
	free(text);
	return out;
}

static void
test_decrec_verdict__door_judgement_taken(void **st)
{
	char state[64] = "/tmp/ls-decrec-v.XXXXXX";
	struct ls_decision_verdict v;
	struct ls_decision d[2];
	json_t *vs, *ctl, *lines, *a, *b;
	const char *input = "{\"kind\": \"Pod\"}";

	(void)st;
	assert_non_null(mkdtemp(state));
	vs = json_loads("[{\"msg\":\"w1\",\"rule\":\"data.main.warn\","
			"\"controls\":[\"soc2:CC8.1\"]}]",
	    0, NULL);
	ctl = json_loads("[\"soc2:CC8.1\"]", 0, NULL);
	v.outcome = LS_OUT_WARN; /* the path alone would say allow */
	v.violations = vs;
	v.controls = ctl;
	memset(d, 0, sizeof(d));
	d[0].door = LS_DOOR_CI;
	d[0].path = "main";
	d[0].input = input;
	d[0].input_len = strlen(input);
	d[0].input_sha256 = SHA_X;
	d[0].verdict = &v;
	d[1] = d[0];
	d[1].door = LS_DOOR_PRECOMMIT;
	d[1].verdict = NULL;
	d[1].input_sha256 = NULL;
	lines = written(state, d, 2);
	a = json_array_get(lines, 0);
	b = json_array_get(lines, 1);
	assert_non_null(a);
	assert_non_null(b);
	assert_string_equal(json_string_value(json_object_get(a, "door")),
	    "ci");
	assert_string_equal(json_string_value(json_object_get(a, "outcome")),
	    "warn");
	assert_true(json_equal(json_object_get(a, "violations"), vs));
	assert_true(json_equal(json_object_get(a, "controls"), ctl));
	assert_string_equal(json_string_value(
				json_object_get(a, "input_sha256")),
	    SHA_X);
	assert_string_equal(json_string_value(
				json_object_get(json_object_get(a, "input"),
				    "kind")),
	    "Pod");
	/* no verdict: derived from the path, sha256 of the input bytes */
	assert_string_equal(json_string_value(json_object_get(b, "door")),
	    "precommit");
	assert_string_equal(json_string_value(json_object_get(b, "outcome")),
	    "allow");
	assert_int_equal(json_array_size(json_object_get(b, "violations")), 0);
	assert_string_not_equal(json_string_value(
				    json_object_get(b, "input_sha256")),
	    SHA_X);
	assert_int_equal(json_integer_value(json_object_get(b, "seq")), 2);
	json_decref(lines);
	json_decref(vs);
	json_decref(ctl);
	ls_file_remove_tree(state);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decrec_verdict__door_judgement_taken),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
