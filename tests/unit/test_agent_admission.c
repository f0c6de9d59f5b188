/* test_agent_admission.c - the admission door: AdmissionReview answers
 * field by field for pods, deployments, DELETE with oldObject, dryRun,
 * malformed reviews, no active bundle, warnings cut at 120 bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "../../agent/admission.h"
#include "../../agent/engine.h"
#include "lockstep/error.h"

static const char policy_src[] =
    "package k8s.admission\n"
    "\n"
    "deny contains msg if {\n"
    "\tinput.request.kind.kind == \"Pod\"\n"
    "\tsome c in input.request.object.spec.containers\n"
    "\tc.securityContext.privileged\n"
    "\tmsg := sprintf(\"privileged: container '%s' runs privileged\", "
    "[c.name])\n"
    "}\n"
    "\n"
    "violation contains {\"msg\": msg, \"check\": \"owner\"} if {\n"
    "\tinput.request.operation != \"DELETE\"\n"
    "\tnot input.request.object.metadata.labels.owner\n"
    "\tmsg := \"owner label missing\"\n"
    "}\n"
    "\n"
    "warn contains msg if {\n"
    "\tinput.request.operation == \"DELETE\"\n"
    "\tmsg := sprintf(\"deleting %s\", [input.request.oldObject.metadata.name])\n"
    "}\n"
    "\n"
    "warn contains msg if {\n"
    "\tinput.request.object.metadata.annotations.long\n"
    "\tmsg := concat(\"\", [\"x\" | some i in numbers.range(1, 200)])\n"
    "}\n"
    "\n"
    "package_only := true\n";

static const char gate_src[] = "package gate\n"
			       "\n"
			       "default allow := false\n"
			       "\n"
			       "allow if input.request.namespace == \"open\"\n";

static struct ls_engine eng;
static struct ls_admission_opts opts = { "k8s/admission", 0, 1000, 0 };

static int
setup(void **state)
{
	struct ls_rego_builder *b = ls_rego_builder_new();
	struct ls_rego_policy *p = NULL;
	struct ls_state st;
	char *err = NULL;

	(void)state;
	if (b == NULL || ls_engine_init(&eng) != 0)
		return -1;
	if (ls_rego_builder_add_module(b, "k8s.rego", policy_src,
		strlen(policy_src), 1, &err) != 0 ||
	    ls_rego_builder_add_module(b, "gate.rego", gate_src,
		strlen(gate_src), 1, &err) != 0 ||
	    ls_rego_compile(&p, b, &err) != 0) {
		fprintf(stderr, "%s\n", err ? err : "?");
		return -1;
	}
	ls_rego_builder_free(b);
	/* as the agent does: the state first, then the policy it names */
	ls_state_init(&st);
	st.has_active = 1;
	snprintf(st.active.version, sizeof(st.active.version), "v1.2.0");
	memset(st.active.sha256, 'a', 64);
	st.active.sha256[64] = '\0';
	ls_engine_set_state(&eng, &st);
	ls_engine_swap(&eng, p);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	ls_engine_cleanup(&eng);
	return 0;
}

/* Decide body at path and return the parsed answer's "response". */
static json_t *
ask(struct ls_engine *e, const struct ls_admission_opts *o, const char *path,
    const char *body, json_t **whole)
{
	struct ls_admission_decision d;
	char *out = NULL;
	json_t *doc;

	assert_int_equal(ls_admission_decide(&d, e, o, path, body,
			     strlen(body)),
	    0);
	assert_int_equal(ls_admission_answer(&out, &d, "agent-1-7"), 0);
	ls_admission_decision_cleanup(&d);
	doc = json_loads(out, 0, NULL);
	free(out);
	assert_non_null(doc);
	*whole = doc;
	return json_object_get(doc, "response");
}

static const char *
str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "(none)";
}

static void
test_agent_admission__privileged_pod_denied(void **state)
{
	json_t *doc, *r = ask(&eng, &opts, NULL,
			  "{\"apiVersion\":\"admission.k8s.io/v1\","
			  "\"kind\":\"AdmissionReview\",\"request\":{\"uid\":"
			  "\"705ab4f5-6393-11e8-b7cc-42010a800002\","
			  "\"kind\":{\"kind\":\"Pod\"},\"operation\":\"CREATE\","
			  "\"object\":{\"metadata\":{\"name\":\"p\"},\"spec\":{"
			  "\"containers\":[{\"name\":\"debug\","
			  "\"securityContext\":{\"privileged\":true}}]}}}}",
			  &doc);
	json_t *st = json_object_get(r, "status"), *ann;

	(void)state;
	assert_string_equal(str(doc, "apiVersion"), "admission.k8s.io/v1");
	assert_string_equal(str(doc, "kind"), "AdmissionReview");
	assert_string_equal(str(r, "uid"),
	    "705ab4f5-6393-11e8-b7cc-42010a800002");
	assert_true(json_is_false(json_object_get(r, "allowed")));
	assert_int_equal(json_integer_value(json_object_get(st, "code")), 403);
	/* both rules' messages, sorted as sets are */
	assert_string_equal(str(st, "message"),
	    "privileged: container 'debug' runs privileged; owner label "
	    "missing");
	ann = json_object_get(r, "auditAnnotations");
	assert_string_equal(str(ann, "bundle-version"), "v1.2.0");
	assert_int_equal(strlen(str(ann, "bundle-sha256")), 64);
	assert_string_equal(str(ann, "decision-id"), "agent-1-7");
	assert_null(json_object_get(r, "warnings"));
	json_decref(doc);
}

static void
test_agent_admission__labelled_deployment_allowed(void **state)
{
	json_t *doc, *r = ask(&eng, &opts, NULL,
			  "{\"apiVersion\":\"admission.k8s.io/v1beta1\","
			  "\"kind\":\"AdmissionReview\",\"request\":{\"uid\":"
			  "\"u2\",\"kind\":{\"kind\":\"Deployment\"},"
			  "\"operation\":\"CREATE\",\"object\":{\"metadata\":{"
			  "\"name\":\"d\",\"labels\":{\"owner\":\"t\"}}}}}",
			  &doc);

	(void)state;
	assert_string_equal(str(doc, "apiVersion"), "admission.k8s.io/v1beta1");
	assert_true(json_is_true(json_object_get(r, "allowed")));
	assert_null(json_object_get(r, "status"));
	json_decref(doc);
}

static void
test_agent_admission__delete_with_old_object_warns(void **state)
{
	json_t *doc, *r = ask(&eng, &opts, NULL,
			  "{\"apiVersion\":\"admission.k8s.io/v1\","
			  "\"kind\":\"AdmissionReview\",\"request\":{\"uid\":"
			  "\"u3\",\"kind\":{\"kind\":\"Deployment\"},"
			  "\"operation\":\"DELETE\",\"object\":null,"
			  "\"oldObject\":{\"metadata\":{\"name\":\"web\"}}}}",
			  &doc);
	json_t *w = json_object_get(r, "warnings");

	(void)state;
	assert_true(json_is_true(json_object_get(r, "allowed")));
	assert_int_equal(json_array_size(w), 1);
	assert_string_equal(json_string_value(json_array_get(w, 0)),
	    "deleting web");
	json_decref(doc);
}

static void
test_agent_admission__dry_run_is_decided_the_same(void **state)
{
	struct ls_admission_decision d;
	static const char body[] =
	    "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":"
	    "\"AdmissionReview\",\"request\":{\"uid\":\"u4\",\"dryRun\":true,"
	    "\"kind\":{\"kind\":\"Pod\"},\"operation\":\"CREATE\","
	    "\"object\":{\"metadata\":{\"name\":\"p\"},\"spec\":{}}}}";

	(void)state;
	assert_int_equal(ls_admission_decide(&d, &eng, &opts, NULL, body,
			     strlen(body)),
	    0);
	assert_true(d.dry_run);
	assert_false(d.allowed);
	assert_string_equal(d.outcome, "deny");
	ls_admission_decision_cleanup(&d);
}

static void
test_agent_admission__long_warning_cut_to_120(void **state)
{
	json_t *doc, *r = ask(&eng, &opts, NULL,
			  "{\"apiVersion\":\"admission.k8s.io/v1\","
			  "\"kind\":\"AdmissionReview\",\"request\":{\"uid\":"
			  "\"u5\",\"kind\":{\"kind\":\"Deployment\"},"
			  "\"operation\":\"CREATE\",\"object\":{\"metadata\":{"
			  "\"labels\":{\"owner\":\"t\"},\"annotations\":{"
			  "\"long\":\"1\"}}}}}",
			  &doc);
	const char *w = json_string_value(
	    json_array_get(json_object_get(r, "warnings"), 0));

	(void)state;
	assert_non_null(w);
	assert_int_equal(strlen(w), 120);
	assert_string_equal(w + 117, "...");
	json_decref(doc);
}

static void
test_agent_admission__malformed_reviews(void **state)
{
	static const char *const bad[] = {
		"not json",
		"[1, 2]",
		"{\"kind\":\"Pod\",\"request\":{\"uid\":\"x\"}}",
		"{\"kind\":\"AdmissionReview\"}",
		"{\"kind\":\"AdmissionReview\",\"request\":{}}",
		"{\"kind\":\"AdmissionReview\",\"request\":{\"uid\":5}}",
		/* what the server's jansson would refuse in the record */
		"{\"kind\":\"AdmissionReview\",\"kind\":\"AdmissionReview\","
		"\"request\":{\"uid\":\"d\"}}",
		"{\"kind\":\"AdmissionReview\",\"request\":{\"uid\":\"u\","
		"\"x\":\"\xff\"}}",
		"{\"kind\":\"AdmissionReview\",\"request\":{\"uid\":\"u\","
		"\"x\":\"\\u0000\"}}",
		"{\"kind\":\"AdmissionReview\",\"request\":{\"uid\":\"u\","
		"\"x\":\"\\udc00\"}}",
		"{\"kind\":\"AdmissionReview\",\"request\":{\"uid\":\"u\","
		"\"x\":1e999}}",
		"{\"kind\":\"AdmissionReview\",\"request\":{\"uid\":\"u\","
		"\"x\":18446744073709551616}}",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *doc, *r = ask(&eng, &opts, NULL, bad[i], &doc);
		json_t *st = json_object_get(r, "status");

		assert_string_equal(str(doc, "kind"), "AdmissionReview");
		if (!json_is_false(json_object_get(r, "allowed")))
			fail_msg("admitted: %s", bad[i]);
		assert_int_equal(json_integer_value(json_object_get(st,
				     "code")),
		    400);
		assert_non_null(strstr(str(st, "message"), "malformed"));
		json_decref(doc);
	}
}

static void
test_agent_admission__path_allow_rule(void **state)
{
	json_t *doc, *r;

	(void)state;
	r = ask(&eng, &opts, "gate",
	    "{\"kind\":\"AdmissionReview\",\"request\":{\"uid\":\"g1\","
	    "\"namespace\":\"closed\"}}",
	    &doc);
	assert_true(json_is_false(json_object_get(r, "allowed")));
	assert_string_equal(str(json_object_get(r, "status"), "message"),
	    "denied by data.gate.allow");
	json_decref(doc);
	r = ask(&eng, &opts, "gate",
	    "{\"kind\":\"AdmissionReview\",\"request\":{\"uid\":\"g2\","
	    "\"namespace\":\"open\"}}",
	    &doc);
	assert_true(json_is_true(json_object_get(r, "allowed")));
	json_decref(doc);
	/* a path with no admission rules fails closed */
	r = ask(&eng, &opts, "nothing/here",
	    "{\"kind\":\"AdmissionReview\",\"request\":{\"uid\":\"g3\"}}",
	    &doc);
	assert_true(json_is_false(json_object_get(r, "allowed")));
	assert_non_null(strstr(str(json_object_get(r, "status"), "message"),
	    "no deny, violation, warn or allow rule at data.nothing.here"));
	json_decref(doc);
	r = ask(&eng, &opts, "../etc",
	    "{\"kind\":\"AdmissionReview\",\"request\":{\"uid\":\"g4\"}}",
	    &doc);
	assert_true(json_is_false(json_object_get(r, "allowed")));
	json_decref(doc);
}

static void
test_agent_admission__no_bundle_yet(void **state)
{
	struct ls_engine empty;
	struct ls_admission_opts open = opts;
	static const char body[] =
	    "{\"kind\":\"AdmissionReview\",\"request\":{\"uid\":\"n1\"}}";
	json_t *doc, *r;

	(void)state;
	assert_int_equal(ls_engine_init(&empty), 0);
	r = ask(&empty, &opts, NULL, body, &doc);
	assert_true(json_is_false(json_object_get(r, "allowed")));
	assert_int_equal(json_integer_value(json_object_get(
			     json_object_get(r, "status"), "code")),
	    503);
	assert_non_null(strstr(str(json_object_get(r, "status"), "message"),
	    "no policy bundle is active"));
	json_decref(doc);
	open.fail_open = 1;
	r = ask(&empty, &open, NULL, body, &doc);
	assert_true(json_is_true(json_object_get(r, "allowed")));
	assert_non_null(strstr(json_string_value(json_array_get(
				   json_object_get(r, "warnings"), 0)),
	    "admitted by --admission-failure=allow"));
	json_decref(doc);
	ls_engine_cleanup(&empty);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_agent_admission__privileged_pod_denied),
		cmocka_unit_test(
		    test_agent_admission__labelled_deployment_allowed),
		cmocka_unit_test(
		    test_agent_admission__delete_with_old_object_warns),
		cmocka_unit_test(
		    test_agent_admission__dry_run_is_decided_the_same),
		cmocka_unit_test(test_agent_admission__long_warning_cut_to_120),
		cmocka_unit_test(test_agent_admission__malformed_reviews),
		cmocka_unit_test(test_agent_admission__path_allow_rule),
		cmocka_unit_test(test_agent_admission__no_bundle_yet),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
