/* cli_cover.c - `lockstep test --coverage [--threshold F]`: run the
 * tests with a coverage collector and print the report as `opa test
 * --coverage` does (JSON on stdout); failures and an unmet threshold go
 * to stderr instead, with exit 2. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "lockstep/error.h"
#include "lockstep/rego.h"
#include "lockstep/rego_cover.h"

static int
parse_threshold(struct cli_cover *c, const char *s)
{
	char *end;
	double v = strtod(s, &end);

	if (*s == '\0' || *end != '\0' || !isfinite(v) || v < 0 || v > 100) {
		fprintf(stderr,
		    "Code coverage threshold must be between 0 and 100\n");
		return -1;
	}
	c->threshold = v;
	if (v > 0) /* as in opa: a threshold turns coverage on */
		c->on = 1;
	return 1;
}

int
cli_cover_flag(struct cli_cover *c, int argc, char **argv, int *i)
{
	const char *a = argv[*i];

	if (strcmp(a, "--coverage") == 0 || strcmp(a, "-c") == 0) {
		c->on = 1;
		return 1;
	}
	if (strncmp(a, "--threshold=", 12) == 0)
		return parse_threshold(c, a + 12);
	if (strcmp(a, "--threshold") != 0)
		return 0;
	if (*i + 1 >= argc) {
		fprintf(stderr, "--threshold needs a percentage\n");
		return -1;
	}
	return parse_threshold(c, argv[++*i]);
}

/* Failing and erroring tests, one line each (as opa prints them when
 * coverage is on), with an error's message below it. */
static void
print_failures(const struct ls_rego_test_results *r)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		const struct ls_rego_test_result *t = &r->v[i];

		if (t->status != LS_REGO_FAIL && t->status != LS_REGO_ERROR)
			continue;
		fprintf(stderr, "%s.%s: %s (%.6fms)\n", t->package, t->name,
		    t->status == LS_REGO_FAIL ? "FAIL" : "ERROR",
		    (double)t->duration_ns / 1e6);
		if (t->status == LS_REGO_ERROR && t->message != NULL)
			fprintf(stderr, "  %s: %s\n", t->file, t->message);
	}
}

/* opa's CoverageThresholdError; with -v, the rows not covered. */
static void
print_threshold(const struct ls_rego_cover_report *rep, double threshold,
    int verbose)
{
	size_t i, j;

	fprintf(stderr,
	    "Code coverage threshold not met: got %.2f instead of %.2f",
	    rep->coverage, threshold);
	if (verbose && rep->n > 0)
		fprintf(stderr, "\nLines not covered:");
	for (i = 0; verbose && i < rep->n; i++)
		for (j = 0; j < rep->v[i].nnot_covered; j++) {
			const struct ls_rego_cover_range *g =
			    &rep->v[i].not_covered[j];

			if (g->start == g->end)
				fprintf(stderr, "\n\t%s:%d", rep->v[i].file,
				    g->start);
			else
				fprintf(stderr, "\n\t%s:%d-%d", rep->v[i].file,
				    g->start, g->end);
		}
	fprintf(stderr, "\n");
}

static int
report(const char *cmd, const struct ls_rego_cover *cov,
    const struct cli_cover *c, int verbose)
{
	struct ls_rego_cover_report rep;
	char *json = NULL;
	int rc = 1;

	if (ls_rego_cover_report(&rep, cov) != 0 ||
	    ls_rego_cover_report_json(&json, &rep) != 0) {
		cli_fail(cmd, "coverage report");
		goto out;
	}
	if (rep.coverage < c->threshold) {
		print_threshold(&rep, c->threshold, verbose);
		rc = 2;
		goto out;
	}
	fputs(json, stdout);
	rc = 0;
out:
	free(json);
	ls_rego_cover_report_cleanup(&rep);
	return rc;
}

int
cli_cover_test(const char *cmd, struct ls_rego_policy *p,
    const struct ls_rego_test_opts *base, const struct cli_cover *c,
    int verbose)
{
	struct ls_rego_test_results r;
	struct ls_rego_test_opts o;
	struct ls_rego_cover *cov = NULL;
	char *err = NULL;
	int rc = 1;

	memset(&r, 0, sizeof(r));
	if (base != NULL)
		o = *base;
	else
		memset(&o, 0, sizeof(o));
	if (ls_rego_cover_new(&cov, p) != 0) {
		cli_fail(cmd, "coverage");
		return 1;
	}
	o.cover = cov;
	if (ls_rego_run_tests_opts(&r, p, &o, &err) != 0) {
		ls_error_clear();
		cli_fail(cmd, "%s", err ? err : "failed");
	} else if (r.n == 0) {
		ls_error_clear();
		cli_fail(cmd, "no test_ rules found");
	} else if (r.failed || r.errored) {
		print_failures(&r);
		rc = 2;
	} else
		rc = report(cmd, cov, c, verbose);
	ls_rego_test_results_cleanup(&r);
	ls_rego_cover_free(cov);
	free(err);
	return rc;
}
