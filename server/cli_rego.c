/* cli_rego.c - `lockstep eval` and `lockstep test`: the Rego engine on
 * the command line, shaped like `opa eval --format=json` and `opa test`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "lockstep/buf.h"
#include "lockstep/error.h"
#include "lockstep/file.h"
#include "lockstep/hash.h"
#include "lockstep/rego.h"
#include "rego/value.h"

#define MAX_INPUT (64u << 20)

static void
usage_eval(FILE *f)
{
	fprintf(f,
	    "usage: lockstep eval -d DIR [-i INPUT.json] "
	    "[--strict-builtin-errors] [--bench N] QUERY\n"
	    "  Evaluate QUERY against the policies and data under DIR and\n"
	    "  print the result as `opa eval --format=json` does.  With\n"
	    "  --bench, evaluate it N times and print load/compile time,\n"
	    "  latency percentiles and memory per evaluation instead.\n");
}

static void
usage_test(FILE *f)
{
	fprintf(f,
	    "usage: lockstep test DIR [-v] [--format=json] "
	    "[--coverage [--threshold F]]\n"
	    "  Run every test_ rule of the policies under DIR like `opa test`;\n"
	    "  exit 2 if any test fails or errors.  --coverage prints the\n"
	    "  coverage report as `opa test --coverage` does instead; exit 2\n"
	    "  if it is below --threshold percent.\n");
}

/* Compact JSON text -> indented, as opa prints it. */
static int
print_pretty(const char *json)
{
	struct ls_arena *a = ls_arena_new(0);
	const struct ls_val *v;
	struct ls_buf b;
	int rc;

	ls_buf_init(&b, 1u << 30);
	rc = a ? ls_val_from_json(&v, a, json, strlen(json), 0) : LS_ENOMEM;
	if (rc == 0)
		rc = ls_val_to_json_pretty(&b, v);
	if (rc == 0)
		printf("%s\n", b.data);
	ls_buf_cleanup(&b);
	ls_arena_free(a);
	return rc;
}

/* print() output of policies goes to stderr, like opa eval. */
static void
print_line(void *arg, const char *line, size_t len)
{
	(void)arg;
	fprintf(stderr, "%.*s\n", (int)(len > 1u << 20 ? 1u << 20 : len), line);
}

static double
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Evaluate n times; print figures as one JSON object. */
static int
bench(const struct ls_rego_policy *p, const char *query, const char *in,
    size_t len, long n, double load_ms)
{
	struct ls_rego_eval_stats st;
	struct ls_rego_eval_opts o;
	double *lat = calloc((size_t)n, sizeof(*lat)), sum = 0;
	size_t bytes = 0, allocs = 0;
	char *out = NULL, *err = NULL;
	long i;
	int rc = 0;

	memset(&o, 0, sizeof(o));
	o.stats = &st;
	for (i = 0; lat != NULL && i < n && rc == 0; i++) {
		double t0 = mono_ms();

		rc = ls_rego_eval_query(&out, p, query, in, len, &o, &err);
		lat[i] = (mono_ms() - t0) * 1e3;
		sum += lat[i];
		bytes += st.arena_bytes;
		allocs += st.allocations;
		free(out);
		out = NULL;
	}
	if (lat == NULL || rc != 0) {
		ls_error_clear();
		cli_fail("eval", "%s", err ? err : "out of memory");
		free(err);
		free(lat);
		return 1;
	}
	qsort(lat, (size_t)n, sizeof(*lat), cmp_double);
	printf("{\"load_compile_ms\": %.3f, \"evaluations\": %ld, "
	       "\"mean_us\": %.1f, \"p50_us\": %.1f, \"p99_us\": %.1f, "
	       "\"arena_bytes_per_eval\": %zu, \"allocations_per_eval\": "
	       "%.1f, \"steps_per_eval\": %llu}\n",
	    load_ms, n, sum / (double)n, lat[(size_t)(n - 1) / 2],
	    lat[(size_t)((double)(n - 1) * 0.99)], bytes / (size_t)n,
	    (double)allocs / (double)n, st.steps);
	free(lat);
	return 0;
}

int
cli_eval(int argc, char **argv)
{
	const char *dir = NULL, *input = NULL, *query = NULL;
	struct ls_rego_eval_opts o;
	struct ls_rego_policy *p = NULL;
	char *text = NULL, *out = NULL, *err = NULL, *end;
	size_t len = 0;
	long nbench = 0;
	double t0;
	int i, rc = 1;

	memset(&o, 0, sizeof(o));
	o.print = print_line;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0) {
			usage_eval(stdout);
			return 0;
		} else if ((strcmp(argv[i], "-d") == 0 ||
			       strcmp(argv[i], "--data") == 0) &&
		    i + 1 < argc)
			dir = argv[++i];
		else if ((strcmp(argv[i], "-i") == 0 ||
			     strcmp(argv[i], "--input") == 0) &&
		    i + 1 < argc)
			input = argv[++i];
		else if (strcmp(argv[i], "--strict-builtin-errors") == 0)
			o.strict_builtin_errors = 1;
		else if (strcmp(argv[i], "--bench") == 0 && i + 1 < argc) {
			nbench = strtol(argv[++i], &end, 10);
			if (*end != '\0' || nbench < 1 || nbench > 10000000) {
				usage_eval(stderr);
				return 2;
			}
		} else if (argv[i][0] == '-' || query != NULL) {
			usage_eval(stderr);
			return 2;
		} else
			query = argv[i];
	}
	if (dir == NULL || query == NULL) {
		usage_eval(stderr);
		return 2;
	}
	if (input != NULL && ls_file_read(&text, &len, input, MAX_INPUT) != 0) {
		cli_fail(argv[0], "%s", input);
		goto out;
	}
	t0 = mono_ms();
	if (ls_rego_load_dir(&p, dir, 0, &err) == 0 && nbench > 0) {
		rc = bench(p, query, text, len, nbench, mono_ms() - t0);
		goto out;
	}
	if (p == NULL ||
	    ls_rego_eval_query(&out, p, query, text, len, &o, &err) != 0) {
		ls_error_clear();
		cli_fail(argv[0], "%s", err ? err : "failed");
		goto out;
	}
	rc = print_pretty(out) == 0 ? 0 : 1;
out:
	free(text);
	free(out);
	free(err);
	ls_rego_policy_unref(p);
	return rc;
}

static const char *
status_name(enum ls_rego_test_status s)
{
	static const char *const names[] = { "PASS", "FAIL", "ERROR",
		"SKIPPED" };

	return names[s];
}

static void
print_json_str(const char *s)
{
	struct ls_buf b;
	struct ls_val v;

	v.type = LS_VAL_STRING;
	v.u.str.p = s;
	v.u.str.len = strlen(s);
	ls_buf_init(&b, 1u << 20);
	if (ls_val_to_json(&b, &v) == 0)
		fputs(b.data, stdout);
	ls_buf_cleanup(&b);
}

/* "file.rego:12" -> {"file": "file.rego", "row": 12} */
static void
print_location(const char *where)
{
	const char *colon = strrchr(where, ':');
	char *file;

	if (colon == NULL ||
	    (file = strndup(where, (size_t)(colon - where))) == NULL) {
		print_json_str(where);
		return;
	}
	printf("{\"file\": ");
	print_json_str(file);
	printf(", \"row\": %ld}", strtol(colon + 1, NULL, 10));
	free(file);
}

/* opa test --format=json carries print() output base64-encoded. */
static void
print_output_b64(const char *out)
{
	size_t n = strlen(out), len = ls_base64_encoded_len(n);
	char *b = malloc(len);

	if (b == NULL)
		return;
	ls_base64_encode(b, len, (const uint8_t *)out, n);
	printf(", \"output\": \"%s\"", b);
	free(b);
}

static void
print_tests_json(const struct ls_rego_test_results *r)
{
	size_t i;

	printf("[");
	for (i = 0; i < r->n; i++) {
		const struct ls_rego_test_result *t = &r->v[i];

		printf("%s\n  {\"location\": ", i ? "," : "");
		print_location(t->file);
		printf(", \"package\": ");
		print_json_str(t->package);
		printf(", \"name\": ");
		print_json_str(t->name);
		if (t->status == LS_REGO_FAIL)
			printf(", \"fail\": true");
		if (t->status == LS_REGO_SKIP)
			printf(", \"skip\": true");
		if (t->status == LS_REGO_ERROR) {
			printf(", \"error\": {\"message\": ");
			print_json_str(t->message ? t->message : "");
			printf("}");
		}
		if (t->output != NULL)
			print_output_b64(t->output);
		printf(", \"duration\": %llu}", t->duration_ns);
	}
	printf("%s]\n", r->n ? "\n" : "");
}

/* A test's print() lines as opa test -v shows them: a blank line, the
 * lines indented by two spaces, a blank line. */
static void
print_output(const char *out)
{
	const char *s = out, *nl;

	printf("\n");
	while (*s != '\0') {
		nl = strchr(s, '\n');
		if (nl == NULL)
			nl = s + strlen(s);
		printf("  %.*s\n", (int)(nl - s), s);
		s = *nl ? nl + 1 : nl;
	}
	printf("\n");
}

static void
print_tests_text(const struct ls_rego_test_results *r, int verbose)
{
	const char *file = NULL;
	int lastlen = 0;
	size_t i;

	for (i = 0; i < r->n; i++) {
		const struct ls_rego_test_result *t = &r->v[i];

		const char *colon = strrchr(t->file, ':');
		int flen =
		    colon ? (int)(colon - t->file) : (int)strlen(t->file);

		if (!verbose &&
		    (t->status == LS_REGO_PASS || t->status == LS_REGO_SKIP))
			continue;
		if (verbose &&
		    (file == NULL || flen != lastlen ||
			strncmp(file, t->file, (size_t)flen) != 0))
			printf("%s%.*s:\n", file ? "\n" : "", flen, t->file);
		file = t->file;
		lastlen = flen;
		printf("%s.%s: %s (%.6fms)\n", t->package, t->name,
		    status_name(t->status), (double)t->duration_ns / 1e6);
		if (t->output != NULL)
			print_output(t->output);
		if (t->status == LS_REGO_ERROR && t->message)
			printf("  %s: %s\n", t->file, t->message);
	}
	printf("%s\n",
	    "--------------------------------------------------"
	    "------------------------------");
	if (r->passed)
		printf("PASS: %zu/%zu\n", r->passed, r->n);
	if (r->failed)
		printf("FAIL: %zu/%zu\n", r->failed, r->n);
	if (r->errored)
		printf("ERROR: %zu/%zu\n", r->errored, r->n);
	if (r->skipped)
		printf("SKIPPED: %zu/%zu\n", r->skipped, r->n);
}

int
cli_test(int argc, char **argv)
{
	struct ls_rego_test_results r;
	struct ls_rego_policy *p = NULL;
	struct cli_cover cover = { 0, 0 };
	const char *dir = NULL;
	char *err = NULL;
	int i, n, verbose = 0, json = 0, rc = 1;

	memset(&r, 0, sizeof(r));
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0) {
			usage_test(stdout);
			return 0;
		} else if (strcmp(argv[i], "-v") == 0)
			verbose = 1;
		else if (strcmp(argv[i], "--format=json") == 0)
			json = 1;
		else if (strcmp(argv[i], "--format=pretty") == 0)
			json = 0;
		else if ((n = cli_cover_flag(&cover, argc, argv, &i)) != 0) {
			if (n < 0)
				return 2;
		} else if (argv[i][0] == '-' || dir != NULL) {
			usage_test(stderr);
			return 2;
		} else
			dir = argv[i];
	}
	if (dir == NULL) {
		usage_test(stderr);
		return 2;
	}
	if (ls_rego_load_dir(&p, dir, 1, &err) == 0 && cover.on) {
		rc = cli_cover_test(argv[0], p, NULL, &cover, verbose);
		goto out;
	}
	if (p == NULL || ls_rego_run_tests(&r, p, &err) != 0) {
		ls_error_clear();
		cli_fail(argv[0], "%s", err ? err : "failed");
		goto out;
	}
	if (r.n == 0) {
		ls_error_clear();
		cli_fail(argv[0], "%s: no test_ rules found", dir);
		goto out;
	}
	if (json)
		print_tests_json(&r);
	else
		print_tests_text(&r, verbose);
	rc = r.failed || r.errored ? 2 : 0;
out:
	ls_rego_test_results_cleanup(&r);
	free(err);
	ls_rego_policy_unref(p);
	return rc;
}
