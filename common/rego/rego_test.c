/* rego_test.c - run a policy's test_ rules like `opa test`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "lockstep/buf.h"
#include "lockstep/error.h"
#include "lockstep/rego.h"
#include "rego/compile.h"
#include "rego/test_rule.h"

/* What one run of the tests was asked for. */
struct trun {
	const struct ls_rego_test_opts *o; /* never NULL */
	pcre2_code *re;			   /* --run, NULL = all */
	size_t cap;			   /* of the results array */
};

static unsigned long long
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ULL +
	    (unsigned long long)ts.tv_nsec;
}

static int
is_test(const char *name)
{
	return strncmp(name, "test_", 5) == 0 ||
	    strncmp(name, "todo_test_", 10) == 0;
}

/* "a/b/c" path (for eval_path) and "data.a.b" package of node n. */
static int
node_paths(const struct ls_node *n, struct ls_buf *path, struct ls_buf *pkg)
{
	const struct ls_node *chain[256];
	int depth = 0, i, rc = 0;

	for (; n->parent != NULL && depth < 256; n = n->parent)
		chain[depth++] = n;
	rc = ls_buf_adds(pkg, "data");
	for (i = depth - 1; i >= 0 && rc == 0; i--) {
		rc = ls_buf_addf(path, "%s%s", i == depth - 1 ? "" : "/",
		    chain[i]->name);
		if (rc == 0)
			rc = ls_buf_addf(pkg, ".%s", chain[i]->name);
	}
	return rc;
}

static int
push(struct ls_rego_test_results *r, size_t *cap)
{
	struct ls_rego_test_result *v;

	if (r->n < *cap)
		return 0;
	*cap = *cap ? *cap * 2 : 16;
	v = realloc(r->v, *cap * sizeof(*v));
	if (v == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	r->v = v;
	return 0;
}

/* Each test's print() output, kept for the report as opa test does;
 * capped so a print in a loop cannot exhaust memory. */
#define MAX_TEST_OUTPUT (1u << 20)

static void
collect_print(void *arg, const char *line, size_t len)
{
	struct ls_buf *b = arg;

	/* Past the cap the rest is dropped; the test itself still runs. */
	if (ls_buf_add(b, line, len) == 0)
		(void)ls_buf_add(b, "\n", 1);
}

/* The evaluator's timeout as opa test reports it: an ERROR naming the
 * limit. */
static void
timeout_message(struct ls_rego_test_result *t, unsigned timeout_ms)
{
	char *m;

	if (timeout_ms == 0 || t->status != LS_REGO_ERROR ||
	    t->message == NULL || strstr(t->message, "timed out") == NULL ||
	    t->duration_ns < (unsigned long long)timeout_ms * 1000000ULL)
		return;
	if ((m = malloc(96)) == NULL)
		return;
	snprintf(m, 96,
	    "eval_cancel_error: test timed out after %u.%03us (--timeout)",
	    timeout_ms / 1000, timeout_ms % 1000);
	free(t->message);
	t->message = m;
}

/* The test at node n evaluated as a whole document, at path. */
static void
run_doc(const struct ls_rego_policy *p, const char *path,
    struct ls_rego_test_result *t, const struct trun *run,
    struct ls_buf *printed)
{
	struct ls_rego_eval_opts o;
	char *out = NULL, *err = NULL;
	int rc;

	memset(&o, 0, sizeof(o));
	o.print = collect_print;
	o.print_arg = printed;
	o.timeout_ms = run->o->timeout_ms;
	o.cover = run->o->cover;
	rc = ls_rego_eval_path_opts(&out, p, path, NULL, 0, &o, &err);
	if (rc == 0)
		t->status =
		    strcmp(out, "true") == 0 ? LS_REGO_PASS : LS_REGO_FAIL;
	else if (rc == LS_ENOTFOUND)
		t->status = LS_REGO_FAIL;
	else {
		t->status = LS_REGO_ERROR;
		t->message = err;
		err = NULL;
	}
	free(out);
	free(err);
}

/*
 * Run one test: a single complete rule (or a partial set, which opa
 * fails) as its document, else rule `rule` on its own: a table-driven
 * test, or one of several rules of that name.
 */
static int
run_one(const struct ls_rego_policy *p, const struct ls_node *n,
    const struct ls_rule *rule, const char *path, struct ls_rego_test_result *t,
    const struct trun *run)
{
	struct ls_test_run tr;
	struct ls_buf printed;
	unsigned long long start = mono_ns();
	int rc = 0;

	if (strncmp(n->name, "todo_", 5) == 0) {
		t->status = LS_REGO_SKIP;
		return 0;
	}
	ls_buf_init(&printed, MAX_TEST_OUTPUT);
	if (rule == NULL)
		run_doc(p, path, t, run, &printed);
	else {
		memset(&tr, 0, sizeof(tr));
		tr.timeout_ms = run->o->timeout_ms;
		tr.cover = run->o->cover;
		tr.print = collect_print;
		tr.print_arg = &printed;
		rc = ls_test_run_rule(t, p, rule, &tr);
	}
	t->duration_ns = mono_ns() - start;
	if (printed.len > 0)
		t->output = ls_buf_take(&printed, NULL);
	ls_buf_cleanup(&printed);
	timeout_message(t, run->o->timeout_ms);
	return rc;
}

/* --run: does "data.pkg.name" match?  1 without a pattern. */
static int
selected(const struct trun *run, const char *pkg, const char *name)
{
	pcre2_match_data *md;
	struct ls_buf full;
	int rc = 1;

	if (run->re == NULL)
		return 1;
	ls_buf_init(&full, 1u << 16);
	md = pcre2_match_data_create_from_pattern(run->re, NULL);
	if (md != NULL && ls_buf_addf(&full, "%s.%s", pkg, name) == 0)
		rc = pcre2_match(run->re, (PCRE2_SPTR)full.data, full.len, 0, 0,
			 md, NULL) >= 0;
	pcre2_match_data_free(md);
	ls_buf_cleanup(&full);
	return rc;
}

/* A test evaluated as its whole document: one complete rule (with its
 * else and default), or a partial set (which opa fails). */
static int
whole_doc(const struct ls_node *n)
{
	return n->k == LS_R_SET || (n->k == LS_R_COMPLETE && n->nrules == 1);
}

/* Rule i of n's test as one result: named n->name, then n->name#01, ...
 * as opa renames a test defined more than once. */
static int
add_test(const struct ls_rego_policy *p, const struct ls_node *n, size_t i,
    struct ls_rego_test_results *r, struct trun *run)
{
	struct ls_rego_test_result *t;
	const struct ls_rule *rule = n->rules[i];
	struct ls_buf path, pkg, file, name;
	int rc;

	if ((rc = push(r, &run->cap)) != 0)
		return rc;
	t = &r->v[r->n];
	memset(t, 0, sizeof(*t));
	ls_buf_init(&path, 1u << 16);
	ls_buf_init(&pkg, 1u << 16);
	ls_buf_init(&file, 1u << 16);
	ls_buf_init(&name, 1u << 16);
	rc = node_paths(n->parent, &path, &pkg);
	if (rc == 0)
		rc = ls_buf_addf(&path, "%s%s", path.len ? "/" : "", n->name);
	if (rc == 0)
		rc = ls_buf_addf(&file, "%s:%d", rule->mod->file, rule->line);
	if (rc == 0)
		rc = i == 0 ? ls_buf_adds(&name, n->name)
			    : ls_buf_addf(&name, "%s#%02zu", n->name, i);
	if (rc == 0 && selected(run, pkg.data, name.data)) {
		t->package = ls_buf_take(&pkg, NULL);
		t->name = ls_buf_take(&name, NULL);
		t->file = ls_buf_take(&file, NULL);
		r->n++;
		if (t->package == NULL || t->name == NULL || t->file == NULL)
			rc = ls_error_set(LS_ENOMEM, "out of memory");
		else
			rc = run_one(p, n, whole_doc(n) ? NULL : rule,
			    path.data, t, run);
	}
	ls_buf_cleanup(&path);
	ls_buf_cleanup(&pkg);
	ls_buf_cleanup(&file);
	ls_buf_cleanup(&name);
	return rc;
}

static int
walk(const struct ls_rego_policy *p, const struct ls_node *n,
    struct ls_rego_test_results *r, struct trun *run)
{
	size_t i;
	int rc = 0;

	if (!n->has_rules)
		return 0;
	if (n->nrules && n->k != LS_R_FUNC && is_test(n->name)) {
		for (i = 0; i < n->nrules && rc == 0; i++)
			if (i == 0 || !whole_doc(n))
				rc = add_test(p, n, i, r, run);
		return rc;
	}
	for (i = 0; i < n->nkids; i++)
		if ((rc = walk(p, n->kids[i], r, run)) != 0)
			return rc;
	return 0;
}

/* opa test's totals: a table-driven test counts its leaf cases. */
static void
count(struct ls_rego_test_results *r)
{
	size_t i, j;

	for (i = 0; i < r->n; i++) {
		const struct ls_rego_test_result *t = &r->v[i];

		if (t->status == LS_REGO_SKIP)
			r->skipped++;
		else if (t->status == LS_REGO_ERROR)
			r->errored++;
		else if (t->ncases == 0) {
			r->passed += t->status == LS_REGO_PASS;
			r->failed += t->status == LS_REGO_FAIL;
		}
		for (j = 0; t->status != LS_REGO_ERROR && j < t->ncases; j++)
			if (t->cases[j].leaf) {
				r->passed += !t->cases[j].fail;
				r->failed += t->cases[j].fail;
			}
	}
	r->total = r->passed + r->failed + r->errored + r->skipped;
}

static int
compile_run(struct trun *run)
{
	PCRE2_UCHAR msg[160];
	PCRE2_SIZE off;
	int code;

	if (run->o->run == NULL)
		return 0;
	run->re = pcre2_compile((PCRE2_SPTR)run->o->run, PCRE2_ZERO_TERMINATED,
	    PCRE2_UTF, &code, &off, NULL);
	if (run->re != NULL)
		return 0;
	pcre2_get_error_message(code, msg, sizeof(msg));
	return ls_error_set(LS_EINVAL, "--run %s: %s at offset %zu",
	    run->o->run, (const char *)msg, (size_t)off);
}

/* Order of opa test: by file, then by line. */
static int
cmp_result(const void *a, const void *b)
{
	const char *x = ((const struct ls_rego_test_result *)a)->file;
	const char *y = ((const struct ls_rego_test_result *)b)->file;
	const char *cx = strrchr(x, ':'), *cy = strrchr(y, ':');
	size_t lx = cx ? (size_t)(cx - x) : strlen(x);
	size_t ly = cy ? (size_t)(cy - y) : strlen(y);
	int c = strncmp(x, y, lx < ly ? lx : ly);
	long nx, ny;

	if (c != 0 || lx != ly)
		return c != 0 ? c : lx < ly ? -1 : 1;
	nx = cx ? strtol(cx + 1, NULL, 10) : 0;
	ny = cy ? strtol(cy + 1, NULL, 10) : 0;
	return nx < ny ? -1 : nx > ny;
}

int
ls_rego_run_tests(struct ls_rego_test_results *out,
    const struct ls_rego_policy *p, char **err_out)
{
	return ls_rego_run_tests_opts(out, p, NULL, err_out);
}

int
ls_rego_run_tests_opts(struct ls_rego_test_results *out,
    const struct ls_rego_policy *p, const struct ls_rego_test_opts *o,
    char **err_out)
{
	static const struct ls_rego_test_opts none;
	struct trun run;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&run, 0, sizeof(run));
	run.o = o ? o : &none;
	rc = compile_run(&run);
	if (rc == 0)
		rc = walk(p, p->root, out, &run);
	pcre2_code_free(run.re);
	if (rc == 0 && out->n > 1)
		qsort(out->v, out->n, sizeof(*out->v), cmp_result);
	if (rc == 0)
		count(out);
	if (rc != 0) {
		if (err_out != NULL)
			*err_out = strdup(ls_error_last());
		ls_rego_test_results_cleanup(out);
	}
	return rc;
}

void
ls_rego_test_results_cleanup(struct ls_rego_test_results *r)
{
	size_t i, j;

	for (i = 0; i < r->n; i++) {
		free(r->v[i].package);
		free(r->v[i].name);
		free(r->v[i].file);
		free(r->v[i].message);
		free(r->v[i].output);
		for (j = 0; j < r->v[i].ncases; j++)
			free(r->v[i].cases[j].name);
		free(r->v[i].cases);
	}
	free(r->v);
	memset(r, 0, sizeof(*r));
}
