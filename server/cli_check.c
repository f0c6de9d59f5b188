/*
 * cli_check.c - `lockstep check`: configuration files against a policy,
 * with Conftest's conventions (rules, namespaces, exceptions, outputs,
 * exit codes), the policy taken from a directory or from a server's
 * signed channel (ls_check_remote, check_remote.c).
 */

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "cli.h"
#include "confin.h"
#include "../agent/decrec.h"
#include "lockstep/error.h"
#include "lockstep/file.h"
#include "lockstep/hash.h"

/* Set by the programs that link the agent's update code. */
ls_check_remote_fn *ls_check_remote;
const struct ls_check_report_ops *ls_check_report;

#define CHECK_MAX_FILES 100000 /* inputs, directories walked included */
#define CHECK_MAX_NS 64	       /* --namespace flags */
#define CHECK_WALK_DEPTH 32
#define CHECK_RECORD_JSON_MAX (256u << 20) /* a file as JSON, --report */

struct check_args {
	const char *policy, *server, *root, *channel, *cache, *cacert;
	const char *output, *parser;
	const char *state, *report_to, *door; /* --report */
	int report;
	size_t input_max;
	const char *ns[CHECK_MAX_NS + 1];
	size_t nns;
	int all_ns, combine, fail_on_warn, no_fail, color, stats;
	unsigned timeout_ms;
	char **files;
	size_t nfiles;
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: lockstep check [--policy DIR | --server URL --root "
	    "ROOT.note\n"
	    "           --channel NAME [--cache DIR] [--cacert F]] [-n NAMESPACE]... "
	    "[--all-namespaces]\n"
	    "           [--combine] [--parser FMT] [-o FORMAT] "
	    "[--fail-on-warn] [--no-fail]\n"
	    "           [--no-color] [--timeout-ms N] [--stats]\n"
	    "           [--report --state DIR [--report-to URL] [--door D]\n"
	    "            [--decision-input-max BYTES]] FILE|DIR|- ...\n"
	    "  Check configuration files as `conftest test` does: the rules\n"
	    "  deny, violation and warn (with optional _suffix) of each\n"
	    "  namespace (default main) give failures and warnings; an\n"
	    "  `exception` rule naming a suffix excepts that rule.\n"
	    "  --policy DIR     policy directory, loaded as the server loads "
	    "a\n"
	    "                   repository (default ./policy)\n"
	    "  --server URL ... the channel's signed bundle, verified as "
	    "the agent\n"
	    "                   verifies it and kept under --cache\n"
	    "  --parser FMT     yaml, json, dockerfile, toml, ini (default: "
	    "by name)\n"
	    "  -o FORMAT        stdout, json, tap, junit, sarif, github\n"
	    "  --stats          time spent loading, parsing, evaluating and\n"
	    "                   writing, as one JSON line on stderr\n"
	    "  --report         every file checked becomes a decision record\n"
	    "                   of the enrolled identity in --state, durable\n"
	    "                   before exit and uploaded to --report-to\n"
	    "                   (default --server); what cannot be uploaded\n"
	    "                   stays queued in --state for the next run\n"
	    "  --door D         ci or precommit (default: ci when $CI is set)\n"
	    "  exit: 0 clean, 1 failures; with --fail-on-warn 1 warnings, 2 "
	    "failures;\n"
	    "        1 on any error (bad input, policy that does not load)\n");
}

/* The --report options: 1 when argv[*i] was one, <0 on a bad value. */
static int
report_opt(struct check_args *a, int argc, char **argv, int *i)
{
	const char *o = argv[*i];
	int has = *i + 1 < argc;
	char *end;
	long long v;

	if (strcmp(o, "--report") == 0)
		return a->report = 1;
	if (!has)
		return 0;
	if (strcmp(o, "--state") == 0)
		a->state = argv[++*i];
	else if (strcmp(o, "--report-to") == 0)
		a->report_to = argv[++*i];
	else if (strcmp(o, "--door") == 0)
		a->door = argv[++*i];
	else if (strcmp(o, "--decision-input-max") == 0) {
		v = strtoll(argv[++*i], &end, 10);
		if (*end != '\0' || v < 0 || v > (1LL << 30))
			return ls_error_set(LS_EINVAL,
			    "--decision-input-max: 0 to 1073741824");
		a->input_max = (size_t)v;
	} else
		return 0;
	return 1;
}

/* --report needs an identity and a server; the door defaults to ci
 * under a CI system ($CI set, as GitHub Actions and GitLab CI do). */
static int
report_args(struct check_args *a)
{
	const char *ci = getenv("CI");

	if (!a->report)
		return a->state || a->report_to || a->door
		    ? ls_error_set(LS_EINVAL,
			  "--state, --report-to and --door go with --report")
		    : 0;
	if (a->state == NULL)
		return ls_error_set(LS_EINVAL,
		    "--report needs --state DIR (an enrolled identity)");
	if (a->report_to == NULL)
		a->report_to = a->server;
	if (a->report_to == NULL)
		return ls_error_set(LS_EINVAL,
		    "--report with --policy needs --report-to URL");
	if (a->door == NULL)
		a->door = ci != NULL && ci[0] != '\0' && strcmp(ci, "false") &&
			strcmp(ci, "0")
		    ? "ci"
		    : "precommit";
	if (strcmp(a->door, "ci") != 0 && strcmp(a->door, "precommit") != 0)
		return ls_error_set(LS_EINVAL,
		    "--door: ci or precommit, not '%s'", a->door);
	return 0;
}

static int
parse_args(struct check_args *a, int argc, char **argv)
{
	int i, rc;

	memset(a, 0, sizeof(*a));
	a->output = "stdout";
	a->color = isatty(STDOUT_FILENO);
	a->timeout_ms = 5000;
	a->input_max = LS_DECREC_INPUT_MAX;
	a->files = calloc((size_t)argc, sizeof(*a->files));
	if (a->files == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	for (i = 1; i < argc; i++) {
		const char *o = argv[i];
		int has = i + 1 < argc;

#define OPT(s, l) (strcmp(o, s) == 0 || strcmp(o, l) == 0)
		if (OPT("-h", "--help"))
			return 1;
		else if (OPT("-p", "--policy") && has)
			a->policy = argv[++i];
		else if (strcmp(o, "--server") == 0 && has)
			a->server = argv[++i];
		else if (strcmp(o, "--root") == 0 && has)
			a->root = argv[++i];
		else if (strcmp(o, "--channel") == 0 && has)
			a->channel = argv[++i];
		else if (strcmp(o, "--cache") == 0 && has)
			a->cache = argv[++i];
		else if (strcmp(o, "--cacert") == 0 && has)
			a->cacert = argv[++i];
		else if (OPT("-n", "--namespace") && has) {
			if (a->nns == CHECK_MAX_NS)
				return ls_error_set(LS_EINVAL,
				    "at most %d --namespace", CHECK_MAX_NS);
			a->ns[a->nns++] = argv[++i];
		} else if (strcmp(o, "--all-namespaces") == 0)
			a->all_ns = 1;
		else if (strcmp(o, "--combine") == 0)
			a->combine = 1;
		else if (strcmp(o, "--parser") == 0 && has)
			a->parser = argv[++i];
		else if (OPT("-o", "--output") && has)
			a->output = argv[++i];
		else if (strcmp(o, "--fail-on-warn") == 0)
			a->fail_on_warn = 1;
		else if (strcmp(o, "--no-fail") == 0)
			a->no_fail = 1;
		else if (strcmp(o, "--no-color") == 0)
			a->color = 0;
		else if (strcmp(o, "--stats") == 0)
			a->stats = 1;
		else if ((rc = report_opt(a, argc, argv, &i)) != 0) {
			if (rc < 0)
				return rc;
		} else if (strcmp(o, "--timeout-ms") == 0 && has) {
			char *end;
			long v = strtol(argv[++i], &end, 10);

			if (*end != '\0' || v < 1 || v > 3600000)
				return ls_error_set(LS_EINVAL,
				    "--timeout-ms: 1 to 3600000");
			a->timeout_ms = (unsigned)v;
		} else if (o[0] == '-' && o[1] != '\0')
			return ls_error_set(LS_EINVAL,
			    "unknown option or missing value: %s", o);
		else if (o[0] != '\0') /* Conftest ignores "" */
			a->files[a->nfiles++] = argv[i];
#undef OPT
	}
	if (a->nns == 0)
		a->ns[a->nns++] = "main";
	if (a->server && (a->root == NULL || a->channel == NULL))
		return ls_error_set(LS_EINVAL,
		    "--server needs --root and --channel");
	if (a->server && a->policy)
		return ls_error_set(LS_EINVAL,
		    "--policy and --server exclude each other");
	if (a->nfiles == 0)
		return ls_error_set(LS_EINVAL, "no input files");
	if (strcmp(a->output, "stdout") != 0 && strcmp(a->output, "json") &&
	    strcmp(a->output, "tap") && strcmp(a->output, "junit") &&
	    strcmp(a->output, "sarif") && strcmp(a->output, "github"))
		return ls_error_set(LS_EINVAL,
		    "unknown output '%s' (stdout, json, tap, junit, sarif, "
		    "github)",
		    a->output);
	return report_args(a);
}

/* ---- the policy ---------------------------------------------------- */

static int
load_policy(struct ls_rego_policy **out, struct ls_check_bundle *info,
    const struct check_args *a)
{
	const char *dir = a->policy ? a->policy : "policy";
	char *err = NULL;
	int rc;

	if (a->server != NULL && ls_check_remote == NULL)
		return ls_error_set(LS_EINVAL,
		    "--server: this program cannot fetch bundles");
	if (a->server != NULL)
		return ls_check_remote(out, info, a->server, a->root,
		    a->channel, a->cache, a->cacert);
	if ((rc = ls_rego_load_dir(out, dir, 0, &err)) != 0) {
		rc = ls_error_set(rc, "%s: %s", dir,
		    err ? err : ls_error_last());
		free(err);
	}
	return rc;
}

/* ---- inputs -------------------------------------------------------- */

struct inputs {
	char **paths;
	size_t n, cap;
};

static int
add_path(struct inputs *in, const char *p)
{
	if (in->n == CHECK_MAX_FILES)
		return ls_error_set(LS_ETOOBIG, "more than %d input files",
		    CHECK_MAX_FILES);
	if (in->n == in->cap) {
		size_t cap = in->cap ? in->cap * 2 : 64;
		char **v = realloc(in->paths, cap * sizeof(*v));

		if (v == NULL)
			return ls_error_set(LS_ENOMEM, "out of memory");
		in->paths = v;
		in->cap = cap;
	}
	if ((in->paths[in->n] = strdup(p)) == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	in->n++;
	return 0;
}

static int
cmp_path(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/* A directory gives every file under it that a parser claims, sorted. */
static int
walk(struct inputs *in, const char *dir, int depth, int forced)
{
	struct dirent *d;
	enum ls_confin_fmt f;
	char path[PATH_MAX];
	struct stat st;
	size_t first = in->n;
	DIR *dh;
	int rc = 0;

	if (depth > CHECK_WALK_DEPTH)
		return ls_error_set(LS_ETOOBIG, "%s: nested too deeply", dir);
	if ((dh = opendir(dir)) == NULL)
		return ls_error_set(LS_EIO, "%s: %s", dir, strerror(errno));
	while (rc == 0 && (d = readdir(dh)) != NULL) {
		if (d->d_name[0] == '.' && (d->d_name[1] == '\0' ||
					       strcmp(d->d_name, "..") == 0))
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
			d->d_name) >= sizeof(path))
			continue;
		if (lstat(path, &st) != 0 || S_ISLNK(st.st_mode))
			continue;
		if (S_ISDIR(st.st_mode))
			rc = walk(in, path, depth + 1, forced);
		else if (S_ISREG(st.st_mode) &&
		    (forced || ls_confin_format_for(&f, path) == 0))
			rc = add_path(in, path);
	}
	closedir(dh);
	ls_error_clear();
	if (rc == 0 && in->n > first)
		qsort(in->paths + first, in->n - first, sizeof(*in->paths),
		    cmp_path);
	return rc;
}

static int
expand(struct inputs *in, const struct check_args *a)
{
	struct stat st;
	size_t i;
	int rc = 0;

	for (i = 0; i < a->nfiles && rc == 0; i++) {
		if (strcmp(a->files[i], "-") != 0 &&
		    stat(a->files[i], &st) == 0 && S_ISDIR(st.st_mode))
			rc = walk(in, a->files[i], 0, a->parser != NULL);
		else
			rc = add_path(in, a->files[i]);
	}
	return rc;
}

static int
read_stdin(char **out, size_t *len)
{
	struct ls_buf b;
	char chunk[65536];
	size_t n;
	int rc = 0;

	ls_buf_init(&b, LS_CONFIN_MAX_BYTES);
	while (rc == 0 && (n = fread(chunk, 1, sizeof(chunk), stdin)) > 0)
		rc = ls_buf_add(&b, chunk, n);
	if (rc != 0) {
		ls_buf_cleanup(&b);
		return ls_error_set(rc, "-: larger than %u bytes",
		    LS_CONFIN_MAX_BYTES);
	}
	*out = ls_buf_take(&b, len);
	return *out ? 0 : ls_error_set(LS_ENOMEM, "out of memory");
}

/* Read and parse one input into the arena; sha (may be NULL) gets the
 * hex SHA-256 of its bytes. */
static int
parse_input(const struct ls_val **out, struct ls_arena *ar,
    const struct check_args *a, const char *path, char *sha)
{
	enum ls_confin_fmt fmt;
	char *text = NULL;
	size_t len = 0;
	int rc;

	if (a->parser != NULL)
		rc = ls_confin_format_parse(&fmt, a->parser);
	else
		rc = ls_confin_format_for(&fmt, path);
	if (rc != 0)
		return rc;
	rc = strcmp(path, "-") == 0
	    ? read_stdin(&text, &len)
	    : ls_file_read(&text, &len, path, LS_CONFIN_MAX_BYTES);
	if (rc == 0 && sha != NULL)
		ls_sha256_hex(sha, text ? text : "", len);
	if (rc == 0)
		rc = ls_confin_parse(out, ar, fmt, text ? text : "", len, path);
	free(text);
	return rc;
}

/* --combine: [{"path", "contents"}] sorted by path, documents of a
 * multi-document file each under their file's path. */
static int
combine(const struct ls_val **out, struct ls_arena *ar,
    const struct check_args *a, const struct inputs *in)
{
	struct ls_vlist items;
	const struct ls_val *k[2], *v[2], *cfg, *one;
	size_t i, j, n;
	int rc = 0;

	ls_vlist_init(&items, ar);
	k[0] = ls_val_cstring(ar, "contents");
	k[1] = ls_val_cstring(ar, "path");
	for (i = 0; i < in->n && rc == 0; i++) {
		if ((rc = parse_input(&cfg, ar, a, in->paths[i], NULL)) != 0)
			break;
		n = cfg->type == LS_VAL_ARRAY ? cfg->u.arr.n : 1;
		for (j = 0; j < n && rc == 0; j++) {
			one = cfg->type == LS_VAL_ARRAY ? cfg->u.arr.v[j] : cfg;
			v[0] = one;
			v[1] = ls_val_cstring(ar, in->paths[i]);
			one = v[1] ? ls_val_object(ar, k, v, 2, NULL) : NULL;
			rc = one ? ls_vlist_push(&items, one) : LS_ENOMEM;
		}
	}
	if (rc != 0)
		return rc == LS_ENOMEM ? ls_error_set(rc, "out of memory") : rc;
	/* wrapped once more: the checker treats a top-level array as a
	 * list of configurations, and combined is one */
	cfg = ls_val_array(ar, items.v, items.n);
	*out = cfg ? ls_val_array(ar, &cfg, 1) : NULL;
	return *out ? 0 : ls_error_set(LS_ENOMEM, "out of memory");
}

/* Where the time of one run went, for --stats (milliseconds). */
struct check_stats {
	double load, parse, eval, output;
};

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/*
 * --report: the record of one evaluated file (rc its check's result),
 * its results those appended from index `from`.  The check's error
 * stays the error returned; a record that cannot be written is one.
 */
static int
record(struct ls_check_reporter *rep, int rc, json_t *results, size_t from,
    const char *name, const struct ls_val *cfg, int one, const char *sha,
    double ms)
{
	struct ls_check_file f;
	struct ls_buf in;
	char err[1024];
	json_t *mine;
	size_t i;
	int wrc;

	if (rep == NULL)
		return rc;
	mine = json_array();
	snprintf(err, sizeof(err), "%s", rc != 0 ? ls_error_last() : "");
	memset(&f, 0, sizeof(f));
	ls_buf_init(&in, CHECK_RECORD_JSON_MAX);
	if (cfg != NULL && ls_val_to_json(&in, cfg) == 0) {
		f.input = in.data;
		f.input_len = in.len;
	}
	for (i = from; i < json_array_size(results); i++)
		json_array_append(mine, json_array_get(results, i));
	f.filename = name;
	f.one_config = one;
	f.input_sha256 = sha;
	f.results = mine;
	f.error = rc != 0 ? err : NULL;
	f.latency_us = (long long)(ms * 1000);
	wrc = mine ? ls_check_report->file(rep, &f)
		   : ls_error_set(LS_ENOMEM, "out of memory");
	if (wrc != 0)
		wrc = ls_error_wrap(wrc, "decision record of %s", name);
	ls_buf_cleanup(&in);
	json_decref(mine);
	if (rc != 0) /* the check's own error is the one to tell */
		return ls_error_set(rc, "%s", err);
	return wrc;
}

static int
check_combined(json_t *results, const struct ls_rego_policy *p,
    const struct ls_check_opts *o, const struct check_args *a,
    const struct inputs *in, struct ls_check_reporter *rep)
{
	const struct ls_val *cfg = NULL;
	struct ls_arena *ar;
	double t0 = now_ms();
	int rc;

	if ((ar = ls_arena_new(0)) == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	rc = combine(&cfg, ar, a, in);
	if (rc == 0)
		rc = ls_check_config(results, p, o, "Combined", cfg);
	/* the record holds what the policy saw: the array inside */
	if (cfg != NULL && cfg->type == LS_VAL_ARRAY && cfg->u.arr.n == 1)
		cfg = cfg->u.arr.v[0];
	rc = record(rep, rc, results, 0, "Combined", cfg, 1, NULL,
	    now_ms() - t0);
	ls_arena_free(ar);
	return rc;
}

static int
check_all(json_t *results, const struct ls_rego_policy *p,
    const struct check_args *a, const struct inputs *in, struct check_stats *st,
    struct ls_check_reporter *rep)
{
	struct ls_check_opts o = { a->ns, a->all_ns, a->timeout_ms };
	const struct ls_val *cfg;
	struct ls_arena *ar;
	char sha[LS_SHA256_HEX_LEN + 1];
	double t0, t1;
	size_t i, from;
	int rc = 0;

	if (a->combine)
		return check_combined(results, p, &o, a, in, rep);
	for (i = 0; i < in->n && rc == 0; i++) {
		if ((ar = ls_arena_new(0)) == NULL)
			return ls_error_set(LS_ENOMEM, "out of memory");
		t0 = now_ms();
		cfg = NULL;
		sha[0] = '\0'; /* set once the file is read */
		rc = parse_input(&cfg, ar, a, in->paths[i],
		    rep != NULL ? sha : NULL);
		t1 = now_ms();
		from = json_array_size(results);
		if (rc == 0)
			rc = ls_check_config(results, p, &o, in->paths[i], cfg);
		st->parse += t1 - t0;
		st->eval += now_ms() - t1;
		rc = record(rep, rc, results, from, in->paths[i],
		    rc == 0 ? cfg : NULL, 0, sha[0] != '\0' ? sha : NULL,
		    now_ms() - t0);
		ls_arena_free(ar);
	}
	return rc;
}

static int
open_report(struct ls_check_reporter **rep, const struct check_args *a,
    struct ls_rego_policy *p, const struct ls_check_bundle *info)
{
	struct ls_check_report_opts o;

	*rep = NULL;
	if (!a->report)
		return 0;
	if (ls_check_report == NULL)
		return ls_error_set(LS_EINVAL,
		    "--report: this program cannot write decision records");
	memset(&o, 0, sizeof(o));
	o.state = a->state;
	o.report_to = a->report_to;
	o.cacert = a->cacert;
	o.door = a->door;
	o.input_max = a->input_max;
	o.timeout_ms = a->timeout_ms;
	o.policy = p;
	o.bundle = a->server != NULL ? info : NULL;
	o.policy_dir = a->policy ? a->policy : "policy";
	return ls_check_report->open(rep, &o);
}

/* Durable, uploaded or queued: a queue left behind is said on stderr
 * (the exit code stays the policy's). */
static void
close_report(struct ls_check_reporter *rep, const struct check_args *a)
{
	struct ls_check_report_sum s;

	if (rep == NULL)
		return;
	ls_check_report->close(rep, &s);
	if (s.queued > 0)
		fprintf(stderr,
		    "lockstep check: %llu decision record(s) stay queued in "
		    "%s/decisions (upload to %s: %s); the next --report run "
		    "uploads them\n",
		    (unsigned long long)s.queued, a->state, a->report_to,
		    s.upload_rc != 0 ? s.upload_error : "not done");
}

int
cli_check(int argc, char **argv)
{
	struct check_args a;
	struct inputs in = { NULL, 0, 0 };
	struct ls_rego_policy *p = NULL;
	struct ls_check_reporter *rep = NULL;
	struct ls_check_bundle info;
	struct check_stats st = { 0, 0, 0, 0 };
	json_t *results = json_array();
	double t0 = now_ms();
	int rc, code = 1;
	size_t i;

	/* every error exits 1, as Conftest's do: 2 means failures under
	 * --fail-on-warn */
	if ((rc = parse_args(&a, argc, argv)) != 0) {
		if (rc == 1)
			usage(stdout);
		else
			fprintf(stderr, "lockstep check: %s (see --help)\n",
			    ls_error_last());
		code = rc == 1 ? 0 : 1;
		goto out;
	}
	if (results == NULL || (rc = expand(&in, &a)) != 0 ||
	    (rc = load_policy(&p, &info, &a)) != 0 ||
	    (rc = open_report(&rep, &a, p, &info)) != 0 ||
	    ((st.load = now_ms() - t0),
		(rc = check_all(results, p, &a, &in, &st, rep)) != 0)) {
		fprintf(stderr, "lockstep check: %s\n",
		    results ? ls_error_last() : "out of memory");
		goto out;
	}
	code = ls_check_exit_code(results, a.fail_on_warn);
	t0 = now_ms();
	if (ls_check_output(stdout, a.output, results, a.color, code) != 0) {
		cli_fail("check", "output");
		code = 1;
	}
	st.output = now_ms() - t0;
	if (a.stats)
		fprintf(stderr,
		    "{\"files\": %zu, \"load_ms\": %.3f, \"parse_ms\": %.3f, "
		    "\"eval_ms\": %.3f, \"output_ms\": %.3f}\n",
		    in.n, st.load, st.parse, st.eval, st.output);
	if (a.no_fail)
		code = 0;
out:
	fflush(stdout);
	close_report(rep, &a);
	for (i = 0; i < in.n; i++)
		free(in.paths[i]);
	free(in.paths);
	free(a.files);
	json_decref(results);
	ls_rego_policy_unref(p);
	fflush(stdout);
	return code;
}
