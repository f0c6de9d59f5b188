/*
 * rego_bench.c - figures for the embedded Rego engine (issue 5, item 9).
 *
 *   rego-bench [-n MAX] [-t SECONDS] [-e EXPECTED.json] BUNDLE_DIR INPUT...
 *
 * For each AdmissionReview INPUT: latency p50/p99 of one decision, the
 * document data.kubernetes.admission through ls_rego_eval_path on one
 * compiled policy, over at most MAX decisions or SECONDS, whichever comes
 * first; allocations per decision; the same for jansson's json_loads of
 * the same bytes as an in-run reference.  Then ls_rego_load_dir time,
 * decisions/s with 1 and 2 threads sharing one compiled policy, the time
 * and peak evaluation memory of a nested loop that yields nothing (some a
 * in xs; some b in xs over 2,000 elements), and the compile time of a
 * generated 1,000-rule policy.
 *
 * Allocation counts: this program defines malloc, calloc, realloc and free
 * itself (glibc lets a program replace its allocator) and forwards them to
 * glibc's __libc_* functions, so every call is counted, including those
 * made inside libc and shared libraries (jansson, pcre2), which -Wl,--wrap
 * would miss.  The Rego arena's own figures (chunks it takes from malloc,
 * bytes it hands out) come from wrapping ls_arena_alloc, ls_arena_strndup
 * and ls_arena_free with -Wl,--wrap in this program's link line only; the
 * engine exposes no statistics of its own through rego.h.  Under ASan the
 * allocator belongs to the sanitizer, so counts are reported as absent.
 *
 * With -e, every decision's allow and deny are checked against the file's
 * "cases" entry for the input's file name, so a wrong answer fails the run.
 */
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lockstep/error.h"
#include "lockstep/file.h"
#include "lockstep/rego.h"
#include "rego/arena.h"

#define DECISION_PATH "kubernetes/admission"
#define DECISION_QUERY "data.kubernetes.admission"
#define INPUT_CAP (4u << 20)
#define WARMUP 200
#define MT_SECONDS 3.0
#define LOAD_RUNS 50

#if defined(__SANITIZE_ADDRESS__)
#define COUNT_ALLOCS 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define COUNT_ALLOCS 0
#endif
#endif
#ifndef COUNT_ALLOCS
#define COUNT_ALLOCS 1
#endif

/* Per-thread counters: plain thread-locals, no locking in the allocator. */
struct counts {
	unsigned long long allocs; /* malloc + calloc + realloc calls */
	unsigned long long frees;  /* free calls with a non-NULL pointer */
	unsigned long long arena_chunks; /* mallocs made inside the arena */
	unsigned long long arena_bytes;	 /* bytes handed out by freed arenas */
};
static _Thread_local struct counts tc;
static _Thread_local int in_arena; /* inside ls_arena_alloc/strndup */

#if COUNT_ALLOCS
extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t n);
extern void __libc_free(void *p);

void *
malloc(size_t n)
{
	tc.allocs++;
	tc.arena_chunks += (unsigned long long)in_arena;
	return __libc_malloc(n);
}

void *
calloc(size_t n, size_t size)
{
	tc.allocs++;
	return __libc_calloc(n, size);
}

void *
realloc(void *p, size_t n)
{
	tc.allocs++;
	return __libc_realloc(p, n);
}

void
free(void *p)
{
	tc.frees += p != NULL;
	__libc_free(p);
}
#endif

void *__real_ls_arena_alloc(struct ls_arena *a, size_t n);
void *__wrap_ls_arena_alloc(struct ls_arena *a, size_t n);
char *__real_ls_arena_strndup(struct ls_arena *a, const char *p, size_t n);
char *__wrap_ls_arena_strndup(struct ls_arena *a, const char *p, size_t n);
void __real_ls_arena_free(struct ls_arena *a);
void __wrap_ls_arena_free(struct ls_arena *a);

void *
__wrap_ls_arena_alloc(struct ls_arena *a, size_t n)
{
	void *p;

	in_arena = 1;
	p = __real_ls_arena_alloc(a, n);
	in_arena = 0;
	return p;
}

char *
__wrap_ls_arena_strndup(struct ls_arena *a, const char *p, size_t n)
{
	char *s;

	in_arena = 1;
	s = __real_ls_arena_strndup(a, p, n);
	in_arena = 0;
	return s;
}

void
__wrap_ls_arena_free(struct ls_arena *a)
{
	if (a != NULL)
		tc.arena_bytes += ls_arena_peak(a);
	__real_ls_arena_free(a);
}

/* One measured operation; returns 0 or prints why it failed. */
struct op {
	const char *what;
	int (*fn)(struct op *);
	const struct ls_rego_policy *policy;
	const char *dir;   /* bundle directory (load) */
	const char *input; /* input bytes, NUL-terminated */
	size_t input_len;
	const json_t *want; /* expected {"allow","deny"} or NULL */
	int check;	    /* compare with want (warm-up runs only) */
};

/* What one series of runs measured. */
struct series {
	size_t n;
	unsigned long long p50_ns, p99_ns;
	double allocs, arena_chunks, arena_kib; /* per run */
};

static unsigned long long
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ull +
	    (unsigned long long)ts.tv_nsec;
}

static int
check_decision(const struct op *o, const char *out)
{
	json_t *got = json_loads(out, 0, NULL);
	int ok = got != NULL &&
	    json_equal(json_object_get(got, "allow"),
		json_object_get(o->want, "allow")) &&
	    json_equal(json_object_get(got, "deny"),
		json_object_get(o->want, "deny"));

	if (!ok)
		fprintf(stderr,
		    "rego-bench: %s: decision differs from the "
		    "expected one: %.300s\n",
		    o->what, out);
	json_decref(got);
	return ok ? 0 : -1;
}

static int
op_decision(struct op *o)
{
	char *out = NULL, *err = NULL;
	int rc;

	rc = ls_rego_eval_path(&out, o->policy, DECISION_PATH, o->input,
	    o->input_len, &err);
	if (rc != 0)
		fprintf(stderr, "rego-bench: %s: %s\n", o->what,
		    err ? err : ls_error_last());
	else if (o->check && o->want != NULL)
		rc = check_decision(o, out);
	free(out);
	free(err);
	return rc;
}

static int
op_json(struct op *o)
{
	json_error_t jerr;
	json_t *j = json_loadb(o->input, o->input_len, 0, &jerr);

	if (j == NULL) {
		fprintf(stderr, "rego-bench: %s: %s\n", o->what, jerr.text);
		return -1;
	}
	json_decref(j);
	return 0;
}

static int
op_load(struct op *o)
{
	struct ls_rego_policy *p = NULL;
	char *err = NULL;
	int rc = ls_rego_load_dir(&p, o->dir, 0, &err);

	if (rc != 0)
		fprintf(stderr, "rego-bench: %s: %s\n", o->dir,
		    err ? err : ls_error_last());
	ls_rego_policy_unref(p);
	free(err);
	return rc;
}

static int
cmp_ull(const void *a, const void *b)
{
	unsigned long long x = *(const unsigned long long *)a;
	unsigned long long y = *(const unsigned long long *)b;

	return (x > y) - (x < y);
}

/*
 * Run o after a warm-up, at most max times and for at most secs seconds
 * (and at least once); fill *s.  -1 when an iteration failed.
 */
static int
measure(struct series *s, struct op *o, size_t max, double secs, size_t warmup)
{
	unsigned long long *ns = NULL, start, t0, t1;
	unsigned long long limit = (unsigned long long)(secs * 1e9);
	struct counts c0;
	size_t i, n = 0;
	int rc = -1;

	memset(s, 0, sizeof(*s));
	if ((ns = calloc(max, sizeof(*ns))) == NULL)
		goto out;
	/* Answers are checked while warming up, not while measured. */
	o->check = 1;
	for (i = 0; i < warmup; i++)
		if (o->fn(o) != 0)
			goto out;
	o->check = 0;
	c0 = tc;
	start = now_ns();
	for (t1 = start; n < max && (n == 0 || t1 - start < limit); n++) {
		t0 = now_ns();
		if (o->fn(o) != 0)
			goto out;
		t1 = now_ns();
		ns[n] = t1 - t0;
	}
	s->n = n;
	s->allocs = (double)(tc.allocs - c0.allocs) / (double)n;
	s->arena_chunks =
	    (double)(tc.arena_chunks - c0.arena_chunks) / (double)n;
	s->arena_kib =
	    (double)(tc.arena_bytes - c0.arena_bytes) / 1024.0 / (double)n;
	qsort(ns, n, sizeof(*ns), cmp_ull);
	s->p50_ns = ns[n / 2];
	s->p99_ns = ns[n * 99 / 100];
	rc = 0;
out:
	free(ns);
	return rc;
}

#define ROW "%-26s %-22s %6s %6s %11s %11s %8s %7s %9s\n"

static void
print_header(void)
{
	printf(ROW, "figure", "input", "bytes", "runs", "p50", "p99", "allocs",
	    "chunks", "arena KiB");
}

static void
print_row(const char *what, const char *input, size_t bytes,
    const struct series *s, int arena)
{
	char by[32] = "-", runs[32], p50[32], p99[32];
	char al[32] = "n/a", ch[32] = "-", kib[32] = "-";

	if (bytes > 0)
		snprintf(by, sizeof(by), "%zu", bytes);
	snprintf(runs, sizeof(runs), "%zu", s->n);
	snprintf(p50, sizeof(p50), "%.1f us", (double)s->p50_ns / 1e3);
	snprintf(p99, sizeof(p99), "%.1f us", (double)s->p99_ns / 1e3);
	if (COUNT_ALLOCS) {
		snprintf(al, sizeof(al), "%.1f", s->allocs);
		if (arena)
			snprintf(ch, sizeof(ch), "%.1f", s->arena_chunks);
	}
	if (arena)
		snprintf(kib, sizeof(kib), "%.1f", s->arena_kib);
	printf(ROW, what, input, by, runs, p50, p99, al, ch, kib);
}

static void
print_ratio(const char *input, const struct series *a, const struct series *b)
{
	char p50[32], p99[32], al[32] = "n/a";

	snprintf(p50, sizeof(p50), "%.2fx",
	    (double)a->p50_ns / (double)(b->p50_ns ? b->p50_ns : 1));
	snprintf(p99, sizeof(p99), "%.2fx",
	    (double)a->p99_ns / (double)(b->p99_ns ? b->p99_ns : 1));
	if (COUNT_ALLOCS && b->allocs > 0)
		snprintf(al, sizeof(al), "%.3gx", a->allocs / b->allocs);
	printf("%-26s %-22s %6s %6s %11s %11s %8s\n",
	    "ratio decision/json_loads", input, "", "", p50, p99, al);
}

/* Threads share the policy read-only; each counts its own decisions. */
struct worker {
	pthread_t tid;
	struct op op;
	unsigned long long stop_ns;
	unsigned long long done;
	unsigned long long cpu_ns; /* this thread's CPU time */
	int failed;
};

static unsigned long long
thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ull +
	    (unsigned long long)ts.tv_nsec;
}

static void *
worker_run(void *arg)
{
	struct worker *w = arg;
	unsigned long long cpu0 = thread_cpu_ns();

	w->op.check = 1; /* the first answer of each thread */
	if (w->op.fn(&w->op) != 0)
		w->failed = 1;
	w->op.check = 0;
	while (!w->failed && now_ns() < w->stop_ns) {
		if (w->op.fn(&w->op) != 0) {
			w->failed = 1;
			break;
		}
		w->done++;
	}
	w->cpu_ns = thread_cpu_ns() - cpu0;
	return NULL;
}

/* What nthreads sharing one policy achieved. */
struct rate {
	double per_s;  /* decisions per wall-clock second */
	double cpu_us; /* CPU microseconds per decision */
	double share;  /* CPU time / (wall time x threads) */
};

/* Run nthreads (<= 8) for secs on one policy; -1 when a decision failed. */
static int
throughput(struct rate *r, const struct op *o, int nthreads, double secs)
{
	struct worker w[8];
	unsigned long long start, wall, total = 0, cpu = 0;
	int i, started = 0, failed = 0;

	start = now_ns();
	for (i = 0; i < nthreads; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].op = *o;
		w[i].stop_ns = start + (unsigned long long)(secs * 1e9);
		if (pthread_create(&w[i].tid, NULL, worker_run, &w[i]) != 0)
			break;
		started++;
	}
	for (i = 0; i < started; i++) {
		pthread_join(w[i].tid, NULL);
		total += w[i].done;
		cpu += w[i].cpu_ns;
		failed |= w[i].failed;
	}
	if (failed || started != nthreads || total == 0)
		return -1;
	wall = now_ns() - start;
	r->per_s = (double)total / ((double)wall / 1e9);
	r->cpu_us = (double)cpu / 1e3 / (double)total;
	r->share = (double)cpu / ((double)wall * nthreads);
	return 0;
}

static const char *
base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

struct cfg {
	size_t max;	  /* runs per series */
	double secs;	  /* seconds per series */
	json_t *expected; /* expected.json or NULL */
	const char *dir;
	struct ls_rego_policy *policy;
	char *mt_input; /* largest input: the threaded figure */
	size_t mt_len;
	const json_t *mt_want;
};

static int
bench_input(struct cfg *c, const char *path)
{
	struct op o;
	struct series dec, js;
	char *input = NULL, label[64], *dot;
	size_t len = 0;
	int rc;

	if ((rc = ls_file_read(&input, &len, path, INPUT_CAP)) != 0) {
		fprintf(stderr, "rego-bench: %s\n", ls_error_last());
		return rc;
	}
	memset(&o, 0, sizeof(o));
	o.what = base_name(path);
	o.policy = c->policy;
	o.input = input;
	o.input_len = len;
	o.want = json_object_get(json_object_get(c->expected, "cases"), o.what);
	if (c->expected != NULL && o.want == NULL)
		fprintf(stderr,
		    "rego-bench: %s: no expected decision, not "
		    "checked\n",
		    o.what);
	snprintf(label, sizeof(label), "%s", o.what);
	if ((dot = strstr(label, ".json")) != NULL)
		*dot = '\0';
	o.fn = op_decision;
	rc = measure(&dec, &o, c->max, c->secs, WARMUP);
	o.fn = op_json;
	if (rc == 0)
		rc = measure(&js, &o, c->max, c->secs, WARMUP);
	if (rc == 0) {
		print_row("decision (eval_path)", label, len, &dec, 1);
		print_row("jansson json_loads", label, len, &js, 0);
		print_ratio(label, &dec, &js);
	}
	if (c->mt_input == NULL || len > c->mt_len) {
		free(c->mt_input);
		c->mt_input = input;
		c->mt_len = len;
		c->mt_want = o.want;
		input = NULL;
	}
	free(input);
	return rc;
}

static int
bench_load(struct cfg *c)
{
	struct op o;
	struct series s;
	int rc;

	memset(&o, 0, sizeof(o));
	o.what = "load";
	o.dir = c->dir;
	o.fn = op_load;
	rc = measure(&s, &o, LOAD_RUNS, c->secs, 3);
	if (rc == 0)
		print_row("load+compile (load_dir)", base_name(c->dir), 0, &s,
		    1);
	return rc;
}

static int
bench_threads(struct cfg *c)
{
	struct op o;
	struct rate one, two;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	char label[64];

	memset(&o, 0, sizeof(o));
	o.what = "threads";
	o.policy = c->policy;
	o.input = c->mt_input;
	o.input_len = c->mt_len;
	o.want = c->mt_want;
	o.fn = op_decision;
	if (throughput(&one, &o, 1, MT_SECONDS) != 0 ||
	    throughput(&two, &o, 2, MT_SECONDS) != 0)
		return -1;
	snprintf(label, sizeof(label), "%zu B input, %ld CPUs", c->mt_len,
	    cpus);
	printf("\n%-26s %-30s %12s %16s %10s\n", "throughput", "input",
	    "decisions/s", "CPU us/decision", "CPU share");
	printf("%-26s %-30s %12.0f %16.1f %9.0f%%\n", "1 thread, one policy",
	    label, one.per_s, one.cpu_us, one.share * 100);
	printf("%-26s %-30s %12.0f %16.1f %9.0f%%\n", "2 threads, one policy",
	    label, two.per_s, two.cpu_us, two.share * 100);
	printf("%-26s %-30s %11.2fx %15.2fx\n", "ratio 2 threads/1 thread", "",
	    two.per_s / one.per_s, two.cpu_us / one.cpu_us);
	if (one.share < 0.8 || two.share < 0.8)
		printf("note: the threads got less than 80%% of their CPUs "
		       "(busy machine): decisions/s\n  understates; CPU "
		       "us/decision is the figure to compare\n");
	return 0;
}

#define NESTED_N 2000
#define GEN_RULES 1000
#define GEN_RUNS 10

/* One query on a one-module policy: elapsed ns, and peak arena bytes. */
static int
run_query(unsigned long long *ns, size_t *peak, const char *src,
    const char *query)
{
	struct ls_rego_builder *b = ls_rego_builder_new();
	struct ls_rego_policy *p = NULL;
	struct ls_rego_eval_stats st = { 0, 0, 0 };
	struct ls_rego_eval_opts o;
	char *out = NULL, *err = NULL;
	unsigned long long t0;
	int rc = -1;

	memset(&o, 0, sizeof(o));
	o.stats = &st;
	if (b == NULL ||
	    ls_rego_builder_add_module(b, "gen.rego", src, strlen(src), 1,
		&err) != 0 ||
	    ls_rego_compile(&p, b, &err) != 0)
		goto out;
	t0 = now_ns();
	if (ls_rego_eval_query(&out, p, query, NULL, 0, &o, &err) != 0)
		goto out;
	*ns = now_ns() - t0;
	*peak = st.arena_bytes;
	rc = strcmp(out, "{}") == 0 ? 0 : -1; /* the loop yields nothing */
out:
	if (rc != 0)
		fprintf(stderr, "rego-bench: nested loop: %s\n",
		    err ? err : "unexpected result");
	free(out);
	free(err);
	ls_rego_builder_free(b);
	ls_rego_policy_unref(p);
	return rc;
}

/* Memory bounded by live data: a 4-million-step loop keeps nothing. */
static int
bench_nested(void)
{
	char src[128];
	unsigned long long ns;
	size_t peak;

	snprintf(src, sizeof(src), "package nl\n\nxs := numbers.range(1, %d)\n",
	    NESTED_N);
	if (run_query(&ns, &peak, src,
		"some a in data.nl.xs; some b in data.nl.xs; a == b + 1e8") !=
	    0)
		return -1;
	printf("\n%-26s %-30s %12s %16s\n", "nested loop", "query", "time",
	    "peak arena MiB");
	printf("%-26s %-30s %9.0f ms %16.1f\n", "2,000 x 2,000, no result",
	    "some a in xs; some b in xs", (double)ns / 1e6,
	    (double)peak / (1024.0 * 1024.0));
	return 0;
}

/* A policy of GEN_RULES partial-set rules of a typical shape. */
static char *
gen_policy(void)
{
	size_t cap = 256 * GEN_RULES, n = 0;
	char *s = malloc(cap);
	int i;

	if (s == NULL)
		return NULL;
	n += (size_t)snprintf(s, cap, "package gen\n\n");
	for (i = 0; i < GEN_RULES && n < cap; i++)
		n += (size_t)snprintf(s + n, cap - n,
		    "deny contains msg if {\n\tsome c in input.items\n"
		    "\tc.kind == \"k%d\"\n\tnot c.labels.owner\n"
		    "\tmsg := sprintf(\"%%s breaks r%d\", [c.name])\n}\n\n",
		    i, i);
	return s;
}

static int
bench_compile(void)
{
	unsigned long long t[GEN_RUNS], t0;
	char *src = gen_policy(), *err = NULL;
	int i, rc = 0;

	for (i = 0; src != NULL && rc == 0 && i < GEN_RUNS; i++) {
		struct ls_rego_builder *b = ls_rego_builder_new();
		struct ls_rego_policy *p = NULL;

		t0 = now_ns();
		rc = b == NULL ||
		    ls_rego_builder_add_module(b, "gen.rego", src, strlen(src),
			1, &err) != 0 ||
		    ls_rego_compile(&p, b, &err) != 0;
		t[i] = now_ns() - t0;
		ls_rego_builder_free(b);
		ls_rego_policy_unref(p);
	}
	if (src == NULL || rc != 0) {
		fprintf(stderr, "rego-bench: generated policy: %s\n",
		    err ? err : "out of memory");
		free(err);
		free(src);
		return -1;
	}
	qsort(t, GEN_RUNS, sizeof(t[0]), cmp_ull);
	printf("\n%-26s %-30s %12s %16s\n", "compile", "policy", "runs", "p50");
	printf("%-26s %-30s %12d %13.1f ms\n", "parse+compile (generated)",
	    "1,000 rules, 1 module", GEN_RUNS, (double)t[GEN_RUNS / 2] / 1e6);
	free(src);
	return 0;
}

static void
print_legend(const struct cfg *c)
{
	char load[128] = "unknown\n";
	FILE *f = fopen("/proc/loadavg", "r");

	if (f == NULL || fgets(load, sizeof(load), f) == NULL)
		snprintf(load, sizeof(load), "unknown\n");
	if (f != NULL)
		fclose(f);
	printf("decision: %s (allow, deny, waived) via ls_rego_eval_path on "
	       "one policy\n  compiled from %s%s\n",
	    DECISION_QUERY, c->dir,
	    c->expected ? "; every answer checked against the expected one"
			: "");
	printf("series: after %d warm-up runs, at most %zu runs or %.0f s; "
	       "p50/p99 of single runs\n",
	    WARMUP, c->max, c->secs);
	printf("allocs: malloc+calloc+realloc calls per run, %s\n",
	    COUNT_ALLOCS ? "libc and libraries included (allocator replaced "
			   "in this program)"
			 : "not counted under ASan");
	printf("chunks: of those, blocks the Rego arena took; arena KiB: "
	       "bytes it handed out\n");
	printf("load average at start: %s\n", load);
}

static int
parse_args(struct cfg *c, int argc, char **argv)
{
	json_error_t jerr;
	char *end;
	int ch;

	while ((ch = getopt(argc, argv, "n:t:e:")) != -1) {
		errno = 0;
		if (ch == 'n') {
			unsigned long v = strtoul(optarg, &end, 10);
			if (errno || *end || v == 0 || v > 10000000)
				return -1;
			c->max = v;
		} else if (ch == 't') {
			c->secs = strtod(optarg, &end);
			if (errno || *end || !(c->secs > 0 && c->secs < 3600))
				return -1;
		} else if (ch == 'e') {
			c->expected = json_load_file(optarg, 0, &jerr);
			if (c->expected == NULL) {
				fprintf(stderr, "rego-bench: %s: %s\n", optarg,
				    jerr.text);
				return -1;
			}
		} else
			return -1;
	}
	if (argc - optind < 2)
		return -1;
	c->dir = argv[optind];
	return 0;
}

int
main(int argc, char **argv)
{
	struct cfg c;
	char *err = NULL;
	int i, rc = 1;

	memset(&c, 0, sizeof(c));
	c.max = 20000;
	c.secs = 10;
	if (parse_args(&c, argc, argv) != 0) {
		fprintf(stderr,
		    "usage: rego-bench [-n MAX] [-t SECONDS] "
		    "[-e EXPECTED.json] BUNDLE_DIR INPUT...\n");
		goto out;
	}
	if (ls_rego_load_dir(&c.policy, c.dir, 0, &err) != 0) {
		fprintf(stderr, "rego-bench: %s: %s\n", c.dir, err);
		goto out;
	}
	print_legend(&c);
	print_header();
	for (i = optind + 1; i < argc; i++)
		if (bench_input(&c, argv[i]) != 0)
			goto out;
	if (bench_load(&c) != 0 || bench_threads(&c) != 0 ||
	    bench_nested() != 0 || bench_compile() != 0)
		goto out;
	rc = 0;
out:
	free(err);
	free(c.mt_input);
	ls_rego_policy_unref(c.policy);
	json_decref(c.expected);
	return rc;
}
