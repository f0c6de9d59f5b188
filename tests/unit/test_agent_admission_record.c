/* test_agent_admission_record.c - the admission door with records on:
 * one evaluation answers the review and attributes its messages
 * (ls_admission_decide's attr), and the record built from that equals
 * the record built by evaluating the leaves again (the door's old way). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "../../agent/admission.h"
#include "../../agent/declog.h"
#include "../../agent/decrec.h"
#include "../../agent/engine.h"
#include "lockstep/error.h"
#include "lockstep/file.h"

static const char checks_src[] =
    "package k8s.admission.checks\n"
    "\n"
    "# METADATA\n"
    "# custom:\n"
    "#   controls: [\"soc2:CC6.8\"]\n"
    "image contains {\"check\": \"image\", \"msg\": msg} if {\n"
    "\tsome c in input.request.object.spec.containers\n"
    "\tnot startswith(c.image, \"registry.example.com/\")\n"
    "\tmsg := sprintf(\"image: %s is not from the registry\", [c.image])\n"
    "}\n"
    "\n"
    "# METADATA\n"
    "# custom:\n"
    "#   controls: [\"soc2:CC8.1\"]\n"
    "owner contains \"owner: label missing\" if {\n"
    "\tnot input.request.object.metadata.labels.owner\n"
    "}\n";

static const char policy_src[] =
    "package k8s.admission\n"
    "\n"
    "import data.k8s.admission.checks\n"
    "\n"
    "deny contains v.msg if some v in checks.image\n"
    "\n"
    "deny contains m if some m in checks.owner\n"
    "\n"
    "violation contains {\"msg\": \"replicas: more than 10\"} if {\n"
    "\tinput.request.object.spec.replicas > 10\n"
    "}\n"
    "\n"
    "warn contains \"no probes\" if not "
    "input.request.object.spec.containers[0].readinessProbe\n";

static const char review[] =
    "{\"apiVersion\": \"admission.k8s.io/v1\", \"kind\": \"AdmissionReview\","
    " \"request\": {\"uid\": \"u-1\", \"operation\": \"CREATE\","
    " \"kind\": {\"kind\": \"Pod\"}, \"object\": {\"metadata\": "
    "{\"name\": \"p\"}, \"spec\": {\"replicas\": 12, \"containers\": "
    "[{\"name\": \"a\", \"image\": \"docker.io/evil:1\"}]}}}}";

struct fx {
	char state[64];
	struct ls_engine eng;
	struct ls_declog *log;
	struct ls_decrec *rec;
	struct ls_admission_opts o;
};

static int
setup(void **st)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct ls_rego_builder *b = ls_rego_builder_new();
	struct ls_rego_policy *p = NULL;
	struct ls_declog_opts lo;
	char *err = NULL;

	assert_non_null(f);
	assert_non_null(b);
	assert_int_equal(ls_engine_init(&f->eng), 0);
	snprintf(f->state, sizeof(f->state), "/tmp/ls-admrec.XXXXXX");
	assert_non_null(mkdtemp(f->state));
	memset(&lo, 0, sizeof(lo));
	lo.state_dir = f->state;
	lo.agent = "a1";
	lo.fsync_ms = 5;
	lo.queue_max = 1 << 20;
	lo.segment_max = 1 << 20;
	lo.segment_age_ms = 60000;
	assert_int_equal(ls_declog_open(&f->log, &lo), 0);
	assert_int_equal(ls_decrec_new(&f->rec, f->log, LS_DECREC_INPUT_MAX),
	    0);
	f->eng.rec = f->rec;
	if (ls_rego_builder_add_module(b, "checks.rego", checks_src,
		strlen(checks_src), 1, &err) != 0 ||
	    ls_rego_builder_add_module(b, "policy.rego", policy_src,
		strlen(policy_src), 1, &err) != 0 ||
	    ls_rego_compile(&p, b, &err) != 0)
		fail_msg("%s", err ? err : "?");
	ls_rego_builder_free(b);
	ls_engine_swap(&f->eng, p);
	f->o.default_path = "k8s/admission";
	f->o.timeout_ms = 1000;
	*st = f;
	return 0;
}

static int
teardown(void **st)
{
	struct fx *f = *st;

	f->eng.rec = NULL;
	ls_engine_cleanup(&f->eng);
	ls_decrec_free(f->rec);
	ls_declog_close(f->log);
	ls_file_remove_tree(f->state);
	free(f);
	return 0;
}

static unsigned
leaf(const struct ls_admission_decision *d, const char *path)
{
	const struct ls_dectab_leaves *lv =
	    ls_dectab_leaves(d->act->tab, "k8s/admission/deny");
	size_t j;

	assert_non_null(lv);
	for (j = 0; j < lv->n && j < 64; j++)
		if (strcmp(lv->paths[j], path) == 0)
			return (unsigned)j;
	fail_msg("no leaf %s", path);
	return 0;
}

static void
test_admission_record__messages_attributed_in_the_deciding_evaluation(void **st)
{
	struct fx *f = *st;
	struct ls_admission_decision d;
	unsigned img, own;
	size_t i;

	assert_int_equal(ls_admission_decide(&d, &f->eng, &f->o, NULL, review,
			     strlen(review)),
	    0);
	assert_int_equal(d.code, 403);
	assert_int_equal(d.has_attr, 1);
	assert_int_equal(json_array_size(d.messages), 3);
	assert_int_equal(d.attr.n, 3);
	img = leaf(&d, "data.k8s.admission.checks.image");
	own = leaf(&d, "data.k8s.admission.checks.owner");
	for (i = 0; i < 3; i++) {
		const char *m =
		    json_string_value(json_array_get(d.messages, i));

		if (strncmp(m, "image:", 6) == 0)
			assert_true(d.attr.holders[i] == 1ull << img);
		else if (strncmp(m, "owner:", 6) == 0)
			assert_true(d.attr.holders[i] == 1ull << own);
		else /* the violation rule is no leaf of deny */
			assert_true(d.attr.holders[i] == 0);
	}
	assert_int_equal(d.attr.stray, 0);
	ls_admission_decision_cleanup(&d);
}

/* The record of d, with or without the door's attribution. */
static void
record(const struct fx *f, const struct ls_admission_decision *ad,
    int with_attr)
{
	struct ls_decision d;
	char id[LS_DECLOG_ID_MAX],
	    *res = json_dumps(ad->messages, JSON_COMPACT);

	memset(&d, 0, sizeof(d));
	d.door = LS_DOOR_ADMISSION;
	d.path = "k8s/admission/deny";
	d.input = review;
	d.input_len = strlen(review);
	d.act = ad->act;
	d.result = res;
	d.attr = with_attr ? &ad->attr : NULL;
	assert_int_equal(ls_decrec_record(f->rec, id, &d), 0);
	free(res);
}

/* The last n record lines of the open segment, parsed. */
static json_t *
line(const struct fx *f, int from_end)
{
	char cmd[300], buf[1 << 16];
	FILE *p;
	size_t n;
	json_t *lines = json_array(), *v;
	char *s, *nl;

	snprintf(cmd, sizeof(cmd), "cat %s/decisions/*.open", f->state);
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(buf, 1, sizeof(buf) - 1, p);
	buf[n] = '\0';
	pclose(p);
	for (s = buf; (nl = strchr(s, '\n')) != NULL; s = nl + 1) {
		*nl = '\0';
		json_array_append_new(lines, json_loads(s, 0, NULL));
	}
	v = json_incref(
	    json_array_get(lines, json_array_size(lines) - (size_t)from_end));
	json_decref(lines);
	assert_non_null(v);
	return v;
}

static void
test_admission_record__same_record_as_a_second_evaluation(void **st)
{
	struct fx *f = *st;
	struct ls_admission_decision d;
	json_t *one, *two;
	char *s;

	assert_int_equal(ls_admission_decide(&d, &f->eng, &f->o, NULL, review,
			     strlen(review)),
	    0);
	record(f, &d, 1);
	record(f, &d, 0);
	one = line(f, 2);
	two = line(f, 1);
	/* the whole record but what differs per line */
	assert_string_not_equal(json_string_value(json_object_get(one, "id")),
	    json_string_value(json_object_get(two, "id")));
	json_object_del(one, "id");
	json_object_del(two, "id");
	json_object_del(one, "seq");
	json_object_del(two, "seq");
	json_object_del(one, "time");
	json_object_del(two, "time");
	assert_true(json_equal(one, two));
	assert_int_equal(json_array_size(json_object_get(one, "violations")),
	    3);
	/* each check's message carries its own rule and control only */
	s = json_dumps(json_object_get(one, "violations"), JSON_COMPACT);
	assert_non_null(strstr(s,
	    "\"rule\":\"data.k8s.admission.checks.image\","
	    "\"controls\":[\"soc2:CC6.8\"]"));
	assert_non_null(strstr(s,
	    "\"rule\":\"data.k8s.admission.checks.owner\","
	    "\"controls\":[\"soc2:CC8.1\"]"));
	free(s);
	assert_string_equal(json_string_value(json_object_get(one, "outcome")),
	    "deny");
	json_decref(one);
	json_decref(two);
	ls_admission_decision_cleanup(&d);
}

/* Past LS_ADMQ_PATHS_MAX rule paths the queries are prepared per review
 * and freed (ASan: no leak), and the answers stay the same. */
static void
test_admission_record__paths_past_the_cache(void **st)
{
	struct fx *f = *st;
	struct ls_admission_decision d;
	char path[64];
	int i;

	for (i = 0; i < 20; i++) {
		snprintf(path, sizeof(path), "k8s/other%d", i);
		assert_int_equal(ls_admission_decide(&d, &f->eng, &f->o, path,
				     review, strlen(review)),
		    0);
		assert_int_equal(d.code, 500);
		assert_non_null(strstr(d.error, "no deny, violation, warn"));
		ls_admission_decision_cleanup(&d);
	}
	/* the cache is full: the rule path is prepared for this review only */
	assert_int_equal(ls_admission_decide(&d, &f->eng, &f->o, NULL, review,
			     strlen(review)),
	    0);
	assert_int_equal(d.code, 403);
	assert_int_equal(d.has_attr, 1);
	assert_int_equal(json_array_size(d.messages), 3);
	ls_admission_decision_cleanup(&d);
	assert_int_equal(ls_admission_decide(&d, &f->eng, &f->o, "k8s/bad path",
			     review, strlen(review)),
	    0);
	assert_int_equal(d.code, 400);
	ls_admission_decision_cleanup(&d);
}

/* The answer, written as text, is the review jansson would build. */
static void
test_admission_record__answer_text(void **st)
{
	struct ls_admission_decision d;
	json_t *got, *want;
	char *out = NULL;

	(void)st;
	memset(&d, 0, sizeof(d));
	snprintf(d.api_version, sizeof(d.api_version), "admission.k8s.io/v1");
	snprintf(d.uid, sizeof(d.uid), "u-\"1\"");
	snprintf(d.version, sizeof(d.version), "v1.2.0");
	snprintf(d.sha256, sizeof(d.sha256), "%064d", 7);
	d.code = 403;
	d.messages = json_pack("[s, s]", "a \"quoted\" msg", "line\nbreak \u00e9");
	d.warnings = json_pack("[s]", "w\\1");
	assert_int_equal(ls_admission_answer(&out, &d, "a1-9"), 0);
	got = json_loads(out, 0, NULL);
	want = json_pack("{s:s, s:s, s:{s:s, s:b, s:{s:i, s:s}, s:[s], "
			 "s:{s:s, s:s, s:s}}}",
	    "apiVersion", "admission.k8s.io/v1", "kind", "AdmissionReview",
	    "response", "uid", "u-\"1\"", "allowed", 0, "status", "code", 403,
	    "message", "a \"quoted\" msg; line\nbreak \u00e9", "warnings",
	    "w\\1", "auditAnnotations", "bundle-version", "v1.2.0",
	    "bundle-sha256", d.sha256, "decision-id", "a1-9");
	assert_non_null(got);
	assert_true(json_equal(got, want));
	json_decref(got);
	json_decref(want);
	free(out);
	/* allowed, nothing to say, no bundle: no status, no annotations */
	d.allowed = 1;
	d.code = 200;
	d.version[0] = d.sha256[0] = '\0';
	json_array_clear(d.messages);
	json_array_clear(d.warnings);
	assert_int_equal(ls_admission_answer(&out, &d, NULL), 0);
	assert_string_equal(out, "{\"apiVersion\":\"admission.k8s.io/v1\","
				 "\"kind\":\"AdmissionReview\",\"response\":"
				 "{\"uid\":\"u-\\\"1\\\"\",\"allowed\":true}}");
	free(out);
	json_decref(d.messages);
	json_decref(d.warnings);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_admission_record__messages_attributed_in_the_deciding_evaluation,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_admission_record__same_record_as_a_second_evaluation,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_admission_record__paths_past_the_cache, setup, teardown),
		cmocka_unit_test(test_admission_record__answer_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
