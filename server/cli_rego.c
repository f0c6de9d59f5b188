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
	    "usage: lockstep eval [-d PATH]... [-b DIR]... [-i INPUT.json]\n"
	    "                     [--format=json|raw|pretty] "
	    "[--v0-compatible]\n"
	    "                     [--ignore GLOB]... [--strict-builtin-errors]"
	    "\n"
	    "                     [--bench N] QUERY\n"
	    "  Evaluate QUERY against the policies and data loaded as\n"
	    "  `opa eval` loads them and print the result.\n"
	    "  -d PATH          a file or directory: every *.rego, and every\n"
	    "                   *.json/*.yaml/*.yml as data at its\n"
	    "                   directory's path (repeatable)\n"
	    "  -b DIR           a bundle directory: *.rego, data.json and\n"
	    "                   data.yaml, .manifest rego_version\n"
	    "                   (repeatable)\n"
	    "  --format=json    opa eval's result document (the default);\n"
	    "         =raw      each expression's value, strings unquoted;\n"
	    "         =pretty   one value as indented JSON, else a table\n"
	    "  --v0-compatible  parse modules as Rego v0 (a bundle's\n"
	    "                   .manifest rego_version still applies)\n"
	    "  --bench N        evaluate N times and print load/compile\n"
	    "                   time, latency percentiles and memory per\n"
	    "                   evaluation instead\n");
}

static void
usage_test(FILE *f)
{
	fprintf(f,
	    "usage: lockstep test [-v] [--format=pretty|json] "
	    "[--v0-compatible]\n"
	    "                     [--ignore GLOB]... [-r REGEX] [--timeout D]\n"
	    "                     [--explain=fails] [-b]\n"
	    "                     [--coverage [--threshold F]] PATH...\n"
	    "  Run every test_ rule of the policies under the PATHs (files or\n"
	    "  directories) like `opa test`; exit 2 if any test fails or\n"
	    "  errors.  Every *.rego is a module; every *.json, *.yaml and\n"
	    "  *.yml is data at its directory's path under the PATH (a data\n"
	    "  file given as PATH at the root).  A .manifest in a directory\n"
	    "  PATH sets rego_version and file_rego_versions.\n"
	    "  --v0-compatible  parse every module as Rego v0 (OPA 0.x)\n"
	    "  --ignore GLOB    skip files and directories whose base name\n"
	    "                   matches GLOB (repeatable)\n"
	    "  -b, --bundle     each PATH is a bundle directory (data.json\n"
	    "                   and data.yaml only, .manifest honoured)\n"
	    "  --allow-undefined-functions  a call to a function that is\n"
	    "                   neither a builtin nor a rule compiles, and\n"
	    "                   ERRORs the tests that reach it (a library\n"
	    "                   whose own tool registers custom builtins)\n"
	    "  -r, --run REGEX  only tests whose name data.PKG.test_x\n"
	    "                   matches REGEX (PCRE2)\n"
	    "  --timeout D      per test, a Go duration (500ms, 30s, 1m;\n"
	    "                   default 5s): past it the test is an ERROR\n"
	    "  --explain=fails|notes|full|debug  accepted for opa's command\n"
	    "                   lines; lockstep prints no traces\n"
	    "  -v               list passing tests and table cases too\n"
	    "  --format=json    opa test's JSON report\n"
	    "  --coverage, -c   print opa's coverage report (JSON) instead,\n"
	    "                   when every test passes\n"
	    "  --threshold F    with --coverage: exit 2 when coverage is\n"
	    "                   below F percent\n"
	    "  A table-driven test (test_x[name] if {...}) reports each name\n"
	    "  as a case; a name whose body fails after it is bound FAILs.\n");
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

/* What to load, as opa test and opa eval take it. */
struct load_args {
	const char **paths; /* -d / PATH arguments (argv entries) */
	size_t npaths;
	const char **bundles; /* -b directories */
	size_t nbundles;
	const char **ignore; /* --ignore globs */
	size_t nignore;
	int v0;	   /* --v0-compatible */
	int tests; /* load *_test.rego too */
	int undef; /* --allow-undefined-functions */
};

static int
load_args_init(struct load_args *la, int argc)
{
	memset(la, 0, sizeof(*la));
	la->paths = calloc((size_t)argc + 1, sizeof(*la->paths));
	la->bundles = calloc((size_t)argc + 1, sizeof(*la->bundles));
	la->ignore = calloc((size_t)argc + 1, sizeof(*la->ignore));
	return la->paths && la->bundles && la->ignore ? 0 : LS_ENOMEM;
}

static void
load_args_cleanup(struct load_args *la)
{
	free(la->paths);
	free(la->bundles);
	free(la->ignore);
}

/* Load and compile: paths as opa loads files, then each bundle as opa
 * -b loads a bundle directory (data.json/data.yaml, .manifest). */
static int
load_policy(struct ls_rego_policy **out, const struct load_args *la, char **err)
{
	struct ls_rego_load_opts o;
	struct ls_rego_builder *b = ls_rego_builder_new();
	int rc;

	memset(&o, 0, sizeof(o));
	o.data = LS_REGO_DATA_ALL;
	o.with_tests = la->tests;
	o.v0_compatible = la->v0;
	o.ignore = la->ignore;
	o.nignore = la->nignore;
	if (b == NULL)
		return LS_ENOMEM;
	ls_rego_builder_allow_undefined_functions(b, la->undef);
	rc = ls_rego_load_paths(b, la->paths, la->npaths, &o, err);
	o.data = LS_REGO_DATA_BUNDLE;
	if (rc == 0)
		rc = ls_rego_load_paths(b, la->bundles, la->nbundles, &o, err);
	if (rc == 0)
		rc = ls_rego_compile(out, b, err);
	ls_rego_builder_free(b);
	return rc;
}

/* -d/-b/--v0-compatible/--ignore, shared by eval and test: 1 when
 * argv[*i] was one (taken), 0 when not, -1 on a missing value. */
static int
load_opt(struct load_args *la, int argc, char **argv, int *i)
{
	const char *val;
	int r;

	if (strcmp(argv[*i], "--v0-compatible") == 0) {
		la->v0 = 1;
		return 1;
	}
	if (strcmp(argv[*i], "--allow-undefined-functions") == 0) {
		la->undef = 1;
		return 1;
	}
	if ((r = cli_opt_value(argc, argv, i, "--ignore", &val)) > 0)
		la->ignore[la->nignore++] = val;
	return r;
}

/* What `lockstep eval` was asked to do. */
struct eval_args {
	struct load_args load; /* -d, -b, --v0-compatible, --ignore */
	const char *input, *query;
	const char *format; /* json (default), raw, pretty */
	long nbench;	    /* --bench N, 0 = off */
	int strict;	    /* --strict-builtin-errors */
};

/* opt_value for a short and a long spelling. */
static int
opt_either(int argc, char **argv, int *i, const char *s, const char *l,
    const char **val)
{
	int r = cli_opt_value(argc, argv, i, s, val);

	return r != 0 ? r : cli_opt_value(argc, argv, i, l, val);
}

/* One option at argv[*i]: 1 taken, 0 not an option, -1 a bad one. */
static int
eval_opt(struct eval_args *e, int argc, char **argv, int *i)
{
	const char *val;
	char *end;
	int r;

	if ((r = load_opt(&e->load, argc, argv, i)) != 0)
		return r;
	if ((r = opt_either(argc, argv, i, "-d", "--data", &val)) != 0) {
		if (r > 0)
			e->load.paths[e->load.npaths++] = val;
	} else if ((r = opt_either(argc, argv, i, "-b", "--bundle", &val))) {
		if (r > 0)
			e->load.bundles[e->load.nbundles++] = val;
	} else if ((r = opt_either(argc, argv, i, "-i", "--input", &val))) {
		e->input = val;
	} else if ((r = cli_opt_value(argc, argv, i, "--format", &val)) > 0) {
		if (strcmp(val, "json") != 0 && strcmp(val, "raw") != 0 &&
		    strcmp(val, "pretty") != 0)
			return -1;
		e->format = val;
	} else if (r == 0 &&
	    (r = cli_opt_value(argc, argv, i, "--bench", &val)) > 0) {
		e->nbench = strtol(val, &end, 10);
		if (*end != '\0' || e->nbench < 1 || e->nbench > 10000000)
			return -1;
	} else if (r == 0 && strcmp(argv[*i], "--strict-builtin-errors") == 0)
		e->strict = r = 1;
	return r;
}

/* Why the arguments stopped at argv[i] (r: the option reader's answer
 * there, -1 for a missing or bad value), or that WHAT is missing, as one
 * line before the usage. */
static void
usage_error(const char *cmd, int argc, char **argv, int i, int r,
    const char *have, const char *what)
{
	if (i >= argc)
		cli_fail(cmd, "%s is required", what);
	else if (r < 0)
		cli_fail(cmd, "%s: a missing or bad option value", argv[i]);
	else if (argv[i][0] == '-' && argv[i][1] != '\0')
		cli_fail(cmd, "%s: unknown option", argv[i]);
	else
		cli_fail(cmd, "%s: one %s only (%s was given first)",
		    argv[i], what, have);
}

/* 0, or the exit status (0 for --help, 2 for a usage error). */
static int
parse_eval_args(struct eval_args *e, int argc, char **argv, int *done)
{
	int i, r = 0;

	*done = 1;
	e->format = "json";
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0) {
			usage_eval(stdout);
			return 0;
		}
		if ((r = eval_opt(e, argc, argv, &i)) < 0)
			break;
		if (r > 0)
			continue;
		if ((argv[i][0] == '-' && argv[i][1] != '\0') ||
		    e->query != NULL)
			break;
		e->query = argv[i];
	}
	/* With no -d or -b the query runs on no policy, as opa eval's. */
	if (i < argc || e->query == NULL) {
		usage_error("eval", argc, argv, i, r, e->query, "QUERY");
		usage_eval(stderr);
		return 2;
	}
	*done = 0;
	return 0;
}

int
cli_eval(int argc, char **argv)
{
	struct eval_args e;
	struct ls_rego_eval_opts o;
	struct ls_rego_policy *p = NULL;
	char *text = NULL, *out = NULL, *err = NULL;
	size_t len = 0;
	double t0;
	int done, rc = 1;

	memset(&e, 0, sizeof(e));
	memset(&o, 0, sizeof(o));
	o.print = print_line;
	if (load_args_init(&e.load, argc) != 0) {
		cli_fail(argv[0], "out of memory");
		goto out;
	}
	/* opa eval -d loads every module, tests included */
	e.load.tests = 1;
	if ((rc = parse_eval_args(&e, argc, argv, &done)) != 0 || done)
		goto out;
	rc = 1;
	o.strict_builtin_errors = e.strict;
	if (e.input != NULL &&
	    ls_file_read(&text, &len, e.input, MAX_INPUT) != 0) {
		cli_fail(argv[0], "%s", e.input);
		goto out;
	}
	t0 = mono_ms();
	if (load_policy(&p, &e.load, &err) == 0 && e.nbench > 0) {
		rc = bench(p, e.query, text, len, e.nbench, mono_ms() - t0);
		goto out;
	}
	if (p == NULL ||
	    ls_rego_eval_query(&out, p, e.query, text, len, &o, &err) != 0) {
		ls_error_clear();
		cli_fail(argv[0], "%s", err ? err : "failed");
		goto out;
	}
	rc = cli_eval_print(out, e.format) == 0 ? 0 : 1;
out:
	free(text);
	free(out);
	free(err);
	load_args_cleanup(&e.load);
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

/* A table-driven test's cases from *i on, at depth, as opa's nested
 * "sub_results" map. */
static void
print_cases_json(const struct ls_rego_test_result *t, size_t *i, int depth)
{
	int first = 1;

	printf("{");
	while (*i < t->ncases && t->cases[*i].depth == depth) {
		const struct ls_rego_test_case *c = &t->cases[(*i)++];

		printf("%s", first ? "" : ", ");
		first = 0;
		print_json_str(c->name);
		printf(": {\"name\": ");
		print_json_str(c->name);
		if (c->fail)
			printf(", \"fail\": true");
		if (*i < t->ncases && t->cases[*i].depth > depth) {
			printf(", \"sub_results\": ");
			print_cases_json(t, i, depth + 1);
		}
		printf("}");
	}
	printf("}");
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
		if (t->ncases > 0 && t->status != LS_REGO_ERROR) {
			size_t at = 0;

			printf(", \"sub_results\": ");
			print_cases_json(t, &at, 0);
		}
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

/* A table-driven test's cases under its line: the failed ones (all with
 * -v), two spaces more per level, as opa test prints them. */
static void
print_cases_text(const struct ls_rego_test_result *t, int verbose)
{
	size_t i;

	for (i = 0; t->status != LS_REGO_ERROR && i < t->ncases; i++)
		if (verbose || t->cases[i].fail)
			printf("%*s%s: %s\n", 2 * (t->cases[i].depth + 1), "",
			    t->cases[i].name,
			    t->cases[i].fail ? "FAIL" : "PASS");
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
		print_cases_text(t, verbose);
		if (t->output != NULL)
			print_output(t->output);
		if (t->status == LS_REGO_ERROR && t->message)
			printf("  %s: %s\n", t->file, t->message);
	}
	printf("%s\n",
	    "--------------------------------------------------"
	    "------------------------------");
	if (r->passed)
		printf("PASS: %zu/%zu\n", r->passed, r->total);
	if (r->failed)
		printf("FAIL: %zu/%zu\n", r->failed, r->total);
	if (r->skipped)
		printf("SKIPPED: %zu/%zu\n", r->skipped, r->total);
	if (r->errored)
		printf("ERROR: %zu/%zu\n", r->errored, r->total);
}

/* What `lockstep test` was asked to do. */
struct test_args {
	struct load_args load; /* PATHs, --ignore, --v0-compatible */
	int verbose, json;
	struct ls_rego_test_opts topts; /* --run, --timeout */
	struct cli_cover cover;		/* --coverage, --threshold */
};

/*
 * A Go duration ("500ms", "30s", "1m30s", "1.5h"; "0") in milliseconds,
 * rounded up; -1 when malformed or past a day.
 */
static long long
parse_duration_ms(const char *s)
{
	static const struct {
		const char *unit;
		double ms;
	} units[] = { { "ns", 1e-6 }, { "us", 1e-3 }, { "\xc2\xb5s", 1e-3 },
		{ "ms", 1 }, { "s", 1e3 }, { "m", 6e4 }, { "h", 3.6e6 } };
	double total = 0, v;
	char *end;
	size_t i, n;

	if (strcmp(s, "0") == 0)
		return 0;
	while (*s != '\0') {
		if (!(*s >= '0' && *s <= '9') && *s != '.')
			return -1;
		v = strtod(s, &end);
		if (end == s)
			return -1;
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			n = strlen(units[i].unit);
			/* "m" must not take the "m" of "ms" */
			if (strncmp(end, units[i].unit, n) == 0 &&
			    !(n == 1 && end[0] == 'm' && end[1] == 's'))
				break;
		}
		if (i == sizeof(units) / sizeof(units[0]))
			return -1;
		total += v * units[i].ms;
		s = end + strlen(units[i].unit);
	}
	if (total > 864e5)
		return -1;
	return (long long)total + (total > (double)(long long)total);
}

/* opa's --explain values; they only change the traces opa prints,
 * and lockstep prints none. */
static int
known_explain(const char *v)
{
	return strcmp(v, "fails") == 0 || strcmp(v, "notes") == 0 ||
	    strcmp(v, "full") == 0 || strcmp(v, "debug") == 0;
}

/* 0, or the exit status (0 for --help, 2 for a usage error). */
static int
parse_test_args(struct test_args *t, int argc, char **argv, int *done)
{
	const char *val;
	long long ms;
	int i, r = 0, bundle = 0;

	*done = 1;
	t->topts.timeout_ms = 5000; /* opa test's default */
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0) {
			usage_test(stdout);
			return 0;
		} else if (strcmp(argv[i], "-v") == 0 ||
		    strcmp(argv[i], "--verbose") == 0)
			t->verbose = 1;
		else if (strcmp(argv[i], "-b") == 0 ||
		    strcmp(argv[i], "--bundle") == 0)
			bundle = 1;
		else if ((r = load_opt(&t->load, argc, argv, &i)) != 0) {
			if (r < 0)
				break;
		} else if ((r = opt_either(argc, argv, &i, "-r", "--run",
				&val))) {
			if (r < 0)
				break;
			t->topts.run = val;
		} else if ((r = cli_opt_value(argc, argv, &i, "--timeout",
				&val))) {
			if (r < 0 || (ms = parse_duration_ms(val)) < 0) {
				r = -1;
				break;
			}
			/* opa: 0 means the default */
			t->topts.timeout_ms = ms ? (unsigned)ms : 5000;
		} else if ((r = cli_opt_value(argc, argv, &i, "--explain",
				&val))) {
			if (r < 0 || !known_explain(val)) {
				r = -1;
				break;
			}
		} else if ((r = cli_cover_flag(&t->cover, argc, argv, &i))) {
			if (r < 0)
				return 2; /* said why */
		} else if ((r = cli_opt_value(argc, argv, &i, "--format",
				&val))) {
			if (r < 0 ||
			    (strcmp(val, "json") != 0 &&
				strcmp(val, "pretty") != 0)) {
				r = -1;
				break;
			}
			t->json = strcmp(val, "json") == 0;
		} else if (argv[i][0] == '-' && argv[i][1] != '\0')
			break;
		else
			t->load.paths[t->load.npaths++] = argv[i];
	}
	if (i < argc || t->load.npaths == 0) {
		usage_error("test", argc, argv, i, r, NULL, "a PATH");
		usage_test(stderr);
		return 2;
	}
	if (bundle) { /* opa test -b: every PATH is a bundle directory */
		memcpy(t->load.bundles, t->load.paths,
		    t->load.npaths * sizeof(*t->load.paths));
		t->load.nbundles = t->load.npaths;
		t->load.npaths = 0;
	}
	*done = 0;
	return 0;
}

int
cli_test(int argc, char **argv)
{
	struct ls_rego_test_results r;
	struct ls_rego_policy *p = NULL;
	struct test_args t;
	char *err = NULL;
	int done, rc = 1;

	memset(&r, 0, sizeof(r));
	memset(&t, 0, sizeof(t));
	if (load_args_init(&t.load, argc) != 0) {
		cli_fail(argv[0], "out of memory");
		goto out;
	}
	t.load.tests = 1;
	if ((rc = parse_test_args(&t, argc, argv, &done)) != 0 || done)
		goto out;
	rc = 1;
	if (load_policy(&p, &t.load, &err) == 0 && t.cover.on) {
		rc = cli_cover_test(argv[0], p, &t.topts, &t.cover, t.verbose);
		goto out;
	}
	if (p == NULL || ls_rego_run_tests_opts(&r, p, &t.topts, &err) != 0) {
		ls_error_clear();
		cli_fail(argv[0], "%s", err ? err : "out of memory");
		goto out;
	}
	if (r.n == 0 && t.topts.run == NULL) {
		ls_error_clear();
		cli_fail(argv[0], "%s: no test_ rules found", t.load.paths[0]);
		goto out;
	}
	if (t.json)
		print_tests_json(&r);
	else
		print_tests_text(&r, t.verbose);
	rc = r.failed || r.errored ? 2 : 0;
out:
	ls_rego_test_results_cleanup(&r);
	free(err);
	load_args_cleanup(&t.load);
	ls_rego_policy_unref(p);
	return rc;
}
