/* rego_test.c - run a policy's test_ rules like `opa test`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lockstep/buf.h"
#include "lockstep/error.h"
#include "lockstep/rego.h"
#include "rego/compile.h"

/* What one run of the tests was asked for. */
struct trun {
	const struct ls_rego_test_opts *o; /* never NULL */
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

static void
run_one(const struct ls_rego_policy *p, const struct ls_node *n,
    const char *path, struct ls_rego_test_result *t, const struct trun *run)
{
	struct ls_rego_eval_opts o;
	struct ls_buf printed;
	char *out = NULL, *err = NULL;
	unsigned long long start = mono_ns();
	int rc;

	if (strncmp(n->name, "todo_", 5) == 0) {
		t->status = LS_REGO_SKIP;
		return;
	}
	memset(&o, 0, sizeof(o));
	ls_buf_init(&printed, MAX_TEST_OUTPUT);
	o.print = collect_print;
	o.print_arg = &printed;
	o.cover = run->o->cover;
	rc = ls_rego_eval_path_opts(&out, p, path, NULL, 0, &o, &err);
	t->duration_ns = mono_ns() - start;
	if (printed.len > 0)
		t->output = ls_buf_take(&printed, NULL);
	ls_buf_cleanup(&printed);
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

static int
add_test(const struct ls_rego_policy *p, const struct ls_node *n,
    struct ls_rego_test_results *r, struct trun *run)
{
	struct ls_rego_test_result *t;
	const struct ls_rule *rule = n->nrules ? n->rules[0] : n->dflt;
	struct ls_buf path, pkg, file;
	int rc;

	if ((rc = push(r, &run->cap)) != 0)
		return rc;
	t = &r->v[r->n];
	memset(t, 0, sizeof(*t));
	ls_buf_init(&path, 1u << 16);
	ls_buf_init(&pkg, 1u << 16);
	ls_buf_init(&file, 1u << 16);
	rc = node_paths(n->parent, &path, &pkg);
	if (rc == 0)
		rc = ls_buf_addf(&path, "%s%s", path.len ? "/" : "", n->name);
	if (rc == 0)
		rc = ls_buf_addf(&file, "%s:%d", rule->mod->file, rule->line);
	if (rc == 0) {
		t->package = ls_buf_take(&pkg, NULL);
		t->name = strdup(n->name);
		t->file = ls_buf_take(&file, NULL);
		r->n++;
		run_one(p, n, path.data, t, run);
		r->passed += t->status == LS_REGO_PASS;
		r->failed += t->status == LS_REGO_FAIL;
		r->errored += t->status == LS_REGO_ERROR;
		r->skipped += t->status == LS_REGO_SKIP;
		if (t->package == NULL || t->name == NULL || t->file == NULL)
			rc = ls_error_set(LS_ENOMEM, "out of memory");
	}
	ls_buf_cleanup(&path);
	ls_buf_cleanup(&pkg);
	ls_buf_cleanup(&file);
	return rc;
}

static int
walk(const struct ls_rego_policy *p, const struct ls_node *n,
    struct ls_rego_test_results *r, struct trun *run)
{
	size_t i;
	int rc;

	if (!n->has_rules)
		return 0;
	if (n->nrules && n->k == LS_R_COMPLETE && is_test(n->name))
		return add_test(p, n, r, run);
	for (i = 0; i < n->nkids; i++)
		if ((rc = walk(p, n->kids[i], r, run)) != 0)
			return rc;
	return 0;
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
	rc = walk(p, p->root, out, &run);
	if (rc == 0 && out->n > 1)
		qsort(out->v, out->n, sizeof(*out->v), cmp_result);
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
	size_t i;

	for (i = 0; i < r->n; i++) {
		free(r->v[i].package);
		free(r->v[i].name);
		free(r->v[i].file);
		free(r->v[i].message);
		free(r->v[i].output);
	}
	free(r->v);
	memset(r, 0, sizeof(*r));
}
