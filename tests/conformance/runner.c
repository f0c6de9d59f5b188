/*
 * runner.c - Rego conformance runner.
 *
 *   conformance-runner [--expect LIST] [--passing-out FILE] [--v1] [-v]
 *                      PATH...
 *
 * Runs every case of every *.json file found under each PATH (schema in
 * ../shared/rego-conformance/README.md).  Each case runs in a child
 * process with a time limit, so a crash or a hang is reported as that
 * case's failure.  Prints each failing note with its reason and ends with
 * "N passed, M failed".  With --expect, exits 1 if a listed note does not
 * pass; --passing-out writes the notes whose cases all passed, sorted.
 * Modules are Rego v0 (keywords such as `if` are understood anyway);
 * --v1 parses them strictly as v1 (OPA 1.x suites); --messages also
 * requires want_error to appear in the error text.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lockstep/buf.h"
#include "lockstep/error.h"
#include "lockstep/file.h"
#include "lockstep/rego.h"
#include "rego/value.h"

#define MAX_CASE_FILE (64u << 20)
#define CASE_SECONDS 20
#define CASE_STEPS 20000000
#define MAX_FILES 100000

struct note {
	char *name;
	int failed;
};

struct run {
	int verbose;
	int version; /* rego version of the cases' modules (0) */
	size_t passed, failed;
	struct note *notes;
	size_t nnotes, capnotes;
};

static const struct ls_val *
get(const struct ls_val *obj, const char *key)
{
	return ls_val_object_gets(obj, key, strlen(key));
}

static int
add_note(struct run *r, const char *name, int failed)
{
	size_t i;

	for (i = 0; i < r->nnotes; i++)
		if (strcmp(r->notes[i].name, name) == 0) {
			r->notes[i].failed |= failed;
			return 0;
		}
	if (r->nnotes == r->capnotes) {
		size_t cap = r->capnotes ? r->capnotes * 2 : 256;
		struct note *n = realloc(r->notes, cap * sizeof(*n));

		if (n == NULL)
			return -1;
		r->notes = n;
		r->capnotes = cap;
	}
	r->notes[r->nnotes].name = strdup(name);
	r->notes[r->nnotes++].failed = failed;
	return 0;
}

static int
cmp_val_ptr(const void *a, const void *b)
{
	return ls_val_compare(*(const struct ls_val *const *)a,
	    *(const struct ls_val *const *)b);
}

/* Copy of v with arrays sorted (sets in want_result are arrays). */
static const struct ls_val *
sort_arrays(struct ls_arena *a, const struct ls_val *v)
{
	const struct ls_val **items;
	size_t i, n = ls_val_len(v);

	if (v->type == LS_VAL_OBJECT) {
		items = ls_arena_alloc(a, (n + 1) * sizeof(*items));
		if (items == NULL)
			return NULL;
		for (i = 0; i < n; i++)
			items[i] = sort_arrays(a, v->u.obj.v[i]);
		return ls_val_object(a, v->u.obj.k, items, n, NULL);
	}
	if (v->type != LS_VAL_ARRAY && v->type != LS_VAL_SET)
		return v;
	items = ls_arena_alloc(a, (n + 1) * sizeof(*items));
	if (items == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		items[i] = sort_arrays(a,
		    v->type == LS_VAL_ARRAY ? v->u.arr.v[i] : v->u.set.v[i]);
	qsort(items, n, sizeof(*items), cmp_val_ptr);
	return ls_val_array(a, items, n);
}

/* Binding objects without "__" vars, as a set of values. */
static const struct ls_val *
binding_set(struct ls_arena *a, const struct ls_val *list, int is_result,
    int sort)
{
	struct ls_vlist out, k, v;
	size_t i, j, n = list ? ls_val_len(list) : 0;

	ls_vlist_init(&out, a);
	for (i = 0; i < n; i++) {
		const struct ls_val *b = list->u.arr.v[i], *o;

		if (is_result)
			b = get(b, "bindings");
		ls_vlist_init(&k, a);
		ls_vlist_init(&v, a);
		for (j = 0; b != NULL && j < ls_val_len(b); j++) {
			const struct ls_val *key = b->u.obj.k[j];

			if (key->u.str.len >= 2 && key->u.str.p[0] == '_' &&
			    key->u.str.p[1] == '_')
				continue;
			if (ls_vlist_push(&k, key) ||
			    ls_vlist_push(&v,
				sort ? sort_arrays(a, b->u.obj.v[j])
				     : b->u.obj.v[j]))
				return NULL;
		}
		o = ls_val_object(a, k.v, v.v, k.n, NULL);
		if (o == NULL || ls_vlist_push(&out, o))
			return NULL;
	}
	return ls_val_set(a, out.v, out.n);
}

/* --messages: a case's want_error must also appear in the error text
 * (OPA's own harness checks it as a substring). */
static int check_messages;

/* The error code a case wants, or NULL when it wants results. */
static const char *
want_code(struct ls_arena *a, const struct ls_val *c)
{
	const struct ls_val *code = get(c, "want_error_code");
	const struct ls_val *msg = get(c, "want_error");
	const char *p, *e;

	if (code != NULL && code->type == LS_VAL_STRING)
		return code->u.str.p;
	if (msg == NULL || msg->type != LS_VAL_STRING)
		return NULL;
	p = strstr(msg->u.str.p, "eval_");
	if (p == NULL)
		p = strstr(msg->u.str.p, "rego_");
	if (p == NULL)
		return msg->u.str.p;
	for (e = p; *e && *e != ':' && *e != ' '; e++)
		;
	return ls_arena_strndup(a, p, (size_t)(e - p));
}

static int fail(struct ls_buf *why, const char *fmt, const char *arg)
    __attribute__((format(printf, 2, 0)));

static int
fail(struct ls_buf *why, const char *fmt, const char *arg)
{
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	ls_buf_addf(why, fmt, arg);
#pragma GCC diagnostic pop
	return 1;
}

static int
build_policy(struct ls_arena *a, const struct ls_val *c, int version,
    struct ls_rego_policy **out, char **err)
{
	struct ls_rego_builder *b = ls_rego_builder_new();
	const struct ls_val *mods = get(c, "modules"), *data = get(c, "data");
	struct ls_buf d;
	size_t i;
	int rc = 0;
	char file[32];

	(void)a;
	if (b == NULL)
		return LS_ENOMEM;
	for (i = 0; mods != NULL && i < ls_val_len(mods) && rc == 0; i++) {
		const struct ls_val *m = mods->u.arr.v[i];

		snprintf(file, sizeof(file), "test-%zu.rego", i);
		if (m->type == LS_VAL_STRING)
			rc = ls_rego_builder_add_module(b, file, m->u.str.p,
			    m->u.str.len, version, err);
	}
	if (rc == 0 && data != NULL) {
		ls_buf_init(&d, MAX_CASE_FILE);
		rc = ls_val_to_json(&d, data);
		if (rc == 0)
			rc =
			    ls_rego_builder_add_data(b, "", d.data, d.len, err);
		ls_buf_cleanup(&d);
	}
	if (rc == 0)
		rc = ls_rego_compile(out, b, err);
	ls_rego_builder_free(b);
	return rc;
}

static int
input_text(const struct ls_val *c, struct ls_buf *in, int *is_rego)
{
	const struct ls_val *term = get(c, "input_term"), *js = get(c, "input");

	*is_rego = 0;
	if (term != NULL && term->type == LS_VAL_STRING) {
		*is_rego = 1;
		return ls_buf_add(in, term->u.str.p, term->u.str.len);
	}
	if (js != NULL)
		return ls_val_to_json(in, js);
	return 1; /* no input */
}

static int
compare(struct ls_arena *a, const struct ls_val *c, const char *json,
    struct ls_buf *why)
{
	const struct ls_val *got, *sb = get(c, "sort_bindings"), *gs, *ws;
	int sort = sb != NULL && sb->type == LS_VAL_BOOL && sb->u.b;

	if (ls_val_from_json(&got, a, json, strlen(json), 0) != 0)
		return fail(why, "unparsable result: %s", ls_error_last());
	gs = binding_set(a, get(got, "result"), 1, sort);
	ws = binding_set(a, get(c, "want_result"), 0, sort);
	if (gs == NULL || ws == NULL)
		return fail(why, "%s", "out of memory");
	if (ls_val_equal(gs, ws))
		return 0;
	ls_buf_adds(why, "got ");
	ls_val_to_json(why, gs);
	ls_buf_adds(why, " want ");
	ls_val_to_json(why, ws);
	return 1;
}

static int
message_ok(const struct ls_val *c, const char *err)
{
	const struct ls_val *msg = get(c, "want_error");

	if (!check_messages || msg == NULL || msg->type != LS_VAL_STRING ||
	    get(c, "want_error_code") == NULL)
		return 1;
	return strstr(err, msg->u.str.p) != NULL;
}

/* 0 pass, 1 fail (reason in why). */
static int
run_case(struct ls_arena *a, const struct ls_val *c, int version,
    struct ls_buf *why)
{
	struct ls_rego_policy *p = NULL;
	struct ls_rego_eval_opts o;
	const struct ls_val *q = get(c, "query"),
			    *strict = get(c, "strict_error");
	const char *code = want_code(a, c);
	char *err = NULL, *out = NULL;
	struct ls_buf in;
	int rc, is_rego, res, has_in;

	memset(&o, 0, sizeof(o));
	ls_buf_init(&in, MAX_CASE_FILE);
	rc = build_policy(a, c, version, &p, &err);
	if (rc == 0 && (q == NULL || q->type != LS_VAL_STRING))
		rc = ls_error_set(LS_EFORMAT, "case has no query");
	has_in = input_text(c, &in, &is_rego) == 0;
	o.strict_builtin_errors =
	    strict && strict->type == LS_VAL_BOOL && strict->u.b;
	o.max_steps = CASE_STEPS;
	o.timeout_ms = (CASE_SECONDS - 5) * 1000;
	o.input_is_rego = is_rego;
	o.max_memory = 512u << 20;
	if (rc == 0 && q != NULL)
		rc = ls_rego_eval_query(&out, p, q->u.str.p,
		    has_in ? in.data : NULL, in.len, &o, &err);
	if (rc != 0 && code != NULL)
		res = err && strstr(err, code) && message_ok(c, err)
		    ? 0
		    : fail(why, "wrong error: %s", err ? err : ls_error_last());
	else if (rc != 0)
		res = fail(why, "error: %s", err ? err : ls_error_last());
	else if (code != NULL)
		res = fail(why, "want error %s, got a result", code);
	else
		res = compare(a, c, out, why);
	free(out);
	free(err);
	ls_buf_cleanup(&in);
	ls_rego_policy_unref(p);
	return res;
}

/* Run one case in a child; 0 pass, 1 fail with the reason in why. */
static int
run_isolated(struct ls_arena *a, const struct ls_val *c, int version,
    struct ls_buf *why)
{
	int fds[2], status, res;
	char buf[4096];
	ssize_t n;
	pid_t pid;

	if (pipe(fds) != 0)
		return fail(why, "pipe: %s", strerror(errno));
	fflush(NULL);
	if ((pid = fork()) < 0) {
		close(fds[0]);
		close(fds[1]);
		return fail(why, "fork: %s", strerror(errno));
	}
	if (pid == 0) {
		close(fds[0]);
		alarm(CASE_SECONDS);
		res = run_case(a, c, version, why);
		if (why->len > 0 &&
		    write(fds[1], why->data,
			why->len > 3000 ? 3000 : why->len) < 0)
			res = 1;
		close(fds[1]);
		_exit(res);
	}
	close(fds[1]);
	while ((n = read(fds[0], buf, sizeof(buf))) > 0)
		ls_buf_add(why, buf, (size_t)n);
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFSIGNALED(status)) {
		ls_buf_reset(why);
		ls_buf_addf(why, "crashed: signal %d%s", WTERMSIG(status),
		    WTERMSIG(status) == SIGALRM ? " (timeout)" : "");
		return 1;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		if (why->len == 0)
			ls_buf_addf(why, "exit status %d",
			    WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		return 1;
	}
	return 0;
}

static void
run_file(struct run *r, const char *path)
{
	struct ls_arena *a = ls_arena_new(0);
	const struct ls_val *doc, *cases;
	char *text = NULL;
	size_t len, i;
	struct ls_buf why;

	ls_buf_init(&why, 1u << 20);
	if (a == NULL || ls_file_read(&text, &len, path, MAX_CASE_FILE) != 0 ||
	    ls_val_from_json(&doc, a, text, len, 0) != 0 ||
	    (cases = get(doc, "cases")) == NULL ||
	    cases->type != LS_VAL_ARRAY) {
		printf("FAIL %s: unreadable case file: %s\n", path,
		    ls_error_last());
		r->failed++;
		goto out;
	}
	for (i = 0; i < cases->u.arr.n; i++) {
		const struct ls_val *c = cases->u.arr.v[i];
		const struct ls_val *note = get(c, "note");
		const char *name =
		    note && note->type == LS_VAL_STRING ? note->u.str.p : path;
		int bad;

		ls_buf_reset(&why);
		bad = run_isolated(a, c, r->version, &why);
		if (bad) {
			r->failed++;
			printf("FAIL %s: %s\n", name, why.data ? why.data : "");
		} else {
			r->passed++;
			if (r->verbose)
				printf("PASS %s\n", name);
		}
		add_note(r, name, bad);
	}
out:
	ls_buf_cleanup(&why);
	free(text);
	ls_arena_free(a);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
run_path(struct run *r, const char *path, int depth)
{
	struct stat st;
	struct dirent **ents = NULL;
	int n, i;
	char sub[4096];

	if (depth > 32 || stat(path, &st) != 0)
		return;
	if (!S_ISDIR(st.st_mode)) {
		size_t l = strlen(path);

		if (l > 5 && strcmp(path + l - 5, ".json") == 0)
			run_file(r, path);
		return;
	}
	n = scandir(path, &ents, NULL, alphasort);
	for (i = 0; i < n; i++) {
		if (ents[i]->d_name[0] != '.' &&
		    (size_t)snprintf(sub, sizeof(sub), "%s/%s", path,
			ents[i]->d_name) < sizeof(sub))
			run_path(r, sub, depth + 1);
		free(ents[i]);
	}
	free(ents);
}

static int
write_passing(const struct run *r, const char *file)
{
	char **v = calloc(r->nnotes + 1, sizeof(*v));
	struct ls_buf b;
	size_t i, n = 0;
	int rc;

	if (v == NULL)
		return -1;
	for (i = 0; i < r->nnotes; i++)
		if (!r->notes[i].failed)
			v[n++] = r->notes[i].name;
	qsort(v, n, sizeof(*v), cmp_str);
	ls_buf_init(&b, 64u << 20);
	for (i = 0; i < n; i++)
		ls_buf_addf(&b, "%s\n", v[i]);
	rc = ls_file_write_atomic(file, b.data ? b.data : "", b.len, 0644);
	ls_buf_cleanup(&b);
	free(v);
	return rc;
}

static int
check_expect(const struct run *r, const char *file)
{
	char *text = NULL, *line, *save = NULL;
	size_t len, i;
	int bad = 0;

	if (ls_file_read(&text, &len, file, 64u << 20) != 0) {
		fprintf(stderr, "conformance-runner: %s: %s\n", file,
		    ls_error_last());
		return 1;
	}
	for (line = strtok_r(text, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		for (i = 0; i < r->nnotes; i++)
			if (strcmp(r->notes[i].name, line) == 0)
				break;
		if (i == r->nnotes || r->notes[i].failed) {
			printf("REGRESSION %s: listed in %s but %s\n", line,
			    file, i == r->nnotes ? "not found" : "failed");
			bad = 1;
		}
	}
	free(text);
	return bad;
}

int
main(int argc, char **argv)
{
	struct run r;
	const char *expect = NULL, *passing = NULL;
	int i, bad = 0, npaths = 0;
	size_t k;

	memset(&r, 0, sizeof(r));
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-v") == 0)
			r.verbose = 1;
		else if (strcmp(argv[i], "--expect") == 0 && i + 1 < argc)
			expect = argv[++i];
		else if (strcmp(argv[i], "--passing-out") == 0 && i + 1 < argc)
			passing = argv[++i];
		else if (strcmp(argv[i], "--v1") == 0)
			r.version = 1;
		else if (strcmp(argv[i], "--messages") == 0)
			check_messages = 1;
		else if (argv[i][0] == '-') {
			fprintf(stderr,
			    "usage: conformance-runner [--expect "
			    "LIST] [--passing-out FILE] [--v1] [--messages] "
			    "[-v] PATH...\n");
			bad = 2;
			break;
		} else {
			run_path(&r, argv[i], 0);
			npaths++;
		}
	}
	if (npaths == 0 && bad == 0) {
		fprintf(stderr, "conformance-runner: no case path given\n");
		bad = 2;
	}
	if (bad != 0)
		expect = passing = NULL;
	else if (expect != NULL)
		bad = check_expect(&r, expect);
	if (passing != NULL && write_passing(&r, passing) != 0) {
		fprintf(stderr, "conformance-runner: %s: %s\n", passing,
		    ls_error_last());
		bad = 1;
	}
	printf("%zu passed, %zu failed\n", r.passed, r.failed);
	for (k = 0; k < r.nnotes; k++)
		free(r.notes[k].name);
	free(r.notes);
	return bad;
}
