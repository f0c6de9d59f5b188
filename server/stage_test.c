/*
 * stage_test.c - the pipeline's test stage: compile the tag's Rego and
 * data with the embedded engine (rego.h) and run every test_ rule, as
 * `opa test` would.  A compile error or any failing test fails the build.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lockstep/error.h"
#include "lockstep/manifest.h"
#include "lockstep/rego.h"
#include "pipeline.h"

/* The build record is one evidence entry (LS_EVIDENCE_LINE_MAX): per-test
 * entries are capped in number, text and bytes, failures first; the
 * counts always cover every test. */
#define MAX_TEST_RECORDS 500	 /* per-test entries kept in the evidence */
#define TEST_TEXT_MAX 160	 /* bytes of a name, package, file, message */
#define TEST_RECORDS_BYTES 65536 /* all per-test entries together */

static int
has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int
rego_version_of(const struct ls_bundle_files *f)
{
	struct ls_manifest m;
	size_t i;
	int v = 1;

	for (i = 0; i < f->n; i++) {
		if (strcmp(f->v[i].path, ".manifest") != 0)
			continue;
		ls_manifest_init(&m);
		if (ls_manifest_parse(&m, (const char *)f->v[i].data,
			f->v[i].len) == 0)
			v = m.rego_version;
		ls_manifest_cleanup(&m);
	}
	return v;
}

/* Load every module and data.json of the tree into a builder. */
static int
load_files(struct ls_rego_builder *rb, const struct ls_bundle_files *f,
    char **err)
{
	char dir[1024];
	const char *p, *slash;
	int version = rego_version_of(f), rc = 0;
	size_t i;

	for (i = 0; i < f->n && rc == 0; i++) {
		p = f->v[i].path;
		if (has_suffix(p, ".rego")) {
			rc = ls_rego_builder_add_module(rb, p,
			    (const char *)f->v[i].data, f->v[i].len, version,
			    err);
		} else if (strcmp(p, "data.json") == 0 ||
		    has_suffix(p, "/data.json")) {
			slash = strrchr(p, '/');
			snprintf(dir, sizeof(dir), "%.*s",
			    slash ? (int)(slash - p) : 0, p);
			rc = ls_rego_builder_add_data(rb, dir,
			    (const char *)f->v[i].data, f->v[i].len, err);
		}
	}
	return rc;
}

static const char *
status_name(enum ls_rego_test_status st)
{
	switch (st) {
	case LS_REGO_PASS: return "pass";
	case LS_REGO_FAIL: return "fail";
	case LS_REGO_ERROR: return "error";
	default: return "skip";
	}
}

/* s cut to at most TEST_TEXT_MAX bytes, not inside a UTF-8 sequence. */
static json_t *
text(const char *s)
{
	size_t n;

	if (s == NULL)
		return json_null();
	n = strnlen(s, TEST_TEXT_MAX + 1);
	if (n > TEST_TEXT_MAX) {
		n = TEST_TEXT_MAX;
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
	}
	return json_stringn(s, n);
}

static json_t *
result_json(const struct ls_rego_test_result *t, size_t *bytes)
{
	json_t *e = json_pack("{s:o, s:o, s:o, s:s, s:o}", "package",
	    text(t->package ? t->package : ""), "name",
	    text(t->name ? t->name : ""), "file", text(t->file), "result",
	    status_name(t->status), "message", text(t->message));

	*bytes = 64;
	if (t->package != NULL)
		*bytes += strnlen(t->package, TEST_TEXT_MAX);
	if (t->name != NULL)
		*bytes += strnlen(t->name, TEST_TEXT_MAX);
	if (t->file != NULL)
		*bytes += strnlen(t->file, TEST_TEXT_MAX);
	if (t->message != NULL)
		*bytes += strnlen(t->message, TEST_TEXT_MAX);
	return e;
}

static int
is_failure(enum ls_rego_test_status st)
{
	return st == LS_REGO_FAIL || st == LS_REGO_ERROR;
}

static json_t *
results_json(const struct ls_rego_test_results *r)
{
	json_t *arr = json_array(), *e;
	size_t i, kept = 0, bytes = 0, one;
	int pass;

	/* Failures first: they are what an auditor looks for. */
	for (pass = 0; pass < 2; pass++)
		for (i = 0; arr != NULL && i < r->n; i++) {
			if (is_failure(r->v[i].status) != (pass == 0))
				continue;
			if (kept >= MAX_TEST_RECORDS)
				break;
			if ((e = result_json(&r->v[i], &one)) == NULL)
				continue;
			if (bytes + one > TEST_RECORDS_BYTES) {
				json_decref(e);
				break;
			}
			json_array_append_new(arr, e);
			bytes += one;
			kept++;
		}
	return json_pack("{s:I, s:I, s:I, s:I, s:o, s:I, s:b}", "passed",
	    (json_int_t)r->passed, "failed", (json_int_t)r->failed, "errors",
	    (json_int_t)r->errored, "skipped", (json_int_t)r->skipped,
	    "results", arr, "recorded", (json_int_t)kept, "truncated",
	    kept < r->n);
}

static void
first_failure(const struct ls_rego_test_results *r, char *reason, size_t rsz)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (r->v[i].status == LS_REGO_FAIL ||
		    r->v[i].status == LS_REGO_ERROR) {
			snprintf(reason, rsz,
			    "%zu of %zu tests failed; first: "
			    "%s.%s %s%s%s",
			    r->failed + r->errored, r->total,
			    r->v[i].package ? r->v[i].package : "",
			    r->v[i].name ? r->v[i].name : "",
			    status_name(r->v[i].status),
			    r->v[i].message ? ": " : "",
			    r->v[i].message ? r->v[i].message : "");
			return;
		}
}

int
ls_pipeline_test(struct ls_build *b, json_t **detail_out, char *reason,
    size_t reasonsz)
{
	struct ls_rego_builder *rb = NULL;
	struct ls_rego_policy *p = NULL;
	struct ls_rego_test_results res;
	char *err = NULL;
	int rc = 0;

	memset(&res, 0, sizeof(res));
	*detail_out = NULL;
	if ((rb = ls_rego_builder_new()) == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	/* Any failure here is the stage's verdict (LS_EREGO + reason). */
	if (load_files(rb, &b->files, &err) != 0 ||
	    ls_rego_compile(&p, rb, &err) != 0 ||
	    ls_rego_run_tests(&res, p, &err) != 0) {
		snprintf(reason, reasonsz, "%s", err ? err : ls_error_last());
		rc = LS_EREGO;
		goto out;
	}
	b->tests_passed = (unsigned)res.passed;
	b->tests_failed = (unsigned)(res.failed + res.errored);
	*detail_out = results_json(&res);
	if (b->tests_failed > 0) {
		first_failure(&res, reason, reasonsz);
		rc = LS_EREGO;
	}
out:
	ls_rego_test_results_cleanup(&res);
	ls_rego_policy_unref(p);
	ls_rego_builder_free(rb);
	free(err);
	return rc;
}
