/*
 * ev_load.c - append synthetic decision records to a data folder's
 * evidence store through the real store code (ls_evidence_append_many),
 * from several threads at once.  Used by the tests (DuckDB, kill -9) and
 * the benchmark.
 *
 *   ev-load DATA COUNT [THREADS [GROUP [CONTROLS [DAYS]]]]
 *
 * Record k of thread t: id "agent-t-SEQ", agent "agent-t", outcome deny
 * when SEQ % 3 == 0, controls soc2:CC(k % CONTROLS) and, for even k, also
 * soc2:CC(k+1 % CONTROLS), time moving from DAYS-1 days ago to today
 * through the run (as a real log fills).
 * Prints "ack FIRST COUNT" per acknowledged group when LS_LOAD_ACKS is
 * set, and "records N bytes B seconds S" on stderr at the end.
 *
 * With LS_LOAD_STATE set it also writes DATA/decisions/state.json saying
 * the server's decision state is up to date with the log (scan_from = the
 * entry count, no chains): the seeded records are of agents never
 * enrolled, so there is nothing to learn from them, and a server started
 * on the folder then does not replay the whole log (which, without that
 * file, it does entry by entry: minutes at 10 M entries).  Benchmarks
 * only.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../server/evidence.h"
#include "lockstep/error.h"
#include "lockstep/file.h"
#include "lockstep/timefmt.h"

struct job {
	struct ls_evidence *ev;
	unsigned t, group, controls, days;
	unsigned long n;
	int acks, rc;
	unsigned long long bytes, rec_bytes;
};

static pthread_mutex_t out_mu = PTHREAD_MUTEX_INITIALIZER;

static json_t *
record(const struct job *j, unsigned long seq, time_t now)
{
	char id[64], agent[32], when[64], c1[32], c2[32];
	/* time moves forward through the run, days-1 days ago to now */
	time_t t = now -
	    (time_t)((j->days - 1) - (seq - 1) * j->days / (j->n ? j->n : 1)) *
		86400;
	struct tm tm;

	snprintf(agent, sizeof(agent), "agent-%u", j->t);
	snprintf(id, sizeof(id), "%s-%lu", agent, seq);
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(when + strlen(when), sizeof(when) - strlen(when), ".%06luZ",
	    seq % 1000000);
	snprintf(c1, sizeof(c1), "soc2:CC%lu", seq % j->controls);
	snprintf(c2, sizeof(c2), "soc2:CC%lu", (seq + 1) % j->controls);
	return json_pack("{s:s, s:I, s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:s, "
			 "s:s, s:[s, s*], s:I}",
	    "id", id, "seq", (json_int_t)seq, "time", when, "agent", agent,
	    "door", "api", "channel", "stable", "release", (json_int_t)1,
	    "bundle",
	    "0922e1c400a38fb9c0eeef0f09a6996e78a69063486f00f4ad062005e24f5304",
	    "version", "v1.0.0", "path", "kubernetes/admission/deny", "outcome",
	    seq % 3 == 0 ? "deny" : "allow", "controls", c1,
	    seq % 2 == 0 ? c2 : NULL, "latency_us", (json_int_t)(seq % 997));
}

static void *
run(void *arg)
{
	struct job *j = arg;
	struct ls_evidence_item *it = calloc(j->group, sizeof(*it));
	json_t **recs = calloc(j->group, sizeof(*recs));
	unsigned long seq = 1;
	time_t now = time(NULL);
	char agent[32];
	uint64_t first;
	unsigned k, g;

	snprintf(agent, sizeof(agent), "agent-%u", j->t);
	while (it != NULL && recs != NULL && seq <= j->n && j->rc == 0) {
		for (g = 0; g < j->group && seq <= j->n; g++, seq++) {
			recs[g] = record(j, seq, now);
			it[g] = (struct ls_evidence_item){ "decision", "stable",
				agent, recs[g] };
			if (j->bytes == 0) { /* one record's size, as logged */
				char *d = json_dumps(recs[g], JSON_COMPACT);

				j->rec_bytes = d ? strlen(d) + 100 : 500;
				free(d);
			}
			j->bytes += j->rec_bytes;
		}
		j->rc = ls_evidence_append_many(j->ev, it, g, &first);
		if (j->rc == 0 && j->acks) {
			pthread_mutex_lock(&out_mu);
			printf("ack %llu %u %s %lu\n",
			    (unsigned long long)first, g, agent, seq - 1);
			fflush(stdout);
			pthread_mutex_unlock(&out_mu);
		}
		for (k = 0; k < g; k++)
			json_decref(recs[k]);
	}
	free(it);
	free(recs);
	return NULL;
}

/* DATA/decisions/state.json: scanned up to count, nothing else known. */
static int
write_state(const char *data, uint64_t count)
{
	char dir[4096], path[4200], text[160];
	int n;

	snprintf(dir, sizeof(dir), "%s/decisions", data);
	snprintf(path, sizeof(path), "%s/state.json", dir);
	n = snprintf(text, sizeof(text),
	    "{\"version\":1,\"scan_from\":%llu,\"chains\":{},\"uses\":{},"
	    "\"ctl\":{},\"info\":{},\"untracked\":0}\n",
	    (unsigned long long)count);
	if (ls_file_mkdirs(dir, 0755) != 0)
		return -1;
	return ls_file_write_atomic(path, text, (size_t)n, 0644);
}

int
main(int argc, char **argv)
{
	struct ls_evidence *ev = NULL;
	struct job jobs[64];
	pthread_t th[64];
	struct timespec a, b;
	unsigned threads, i;
	unsigned long long records = 0, bytes = 0;
	uint64_t count;
	double s;
	int rc = 0;

	if (argc < 3) {
		fprintf(stderr,
		    "usage: ev-load DATA COUNT [THREADS [GROUP "
		    "[CONTROLS [DAYS]]]]\n");
		return 2;
	}
	threads = argc > 3 ? (unsigned)atoi(argv[3]) : 8;
	if (threads < 1 || threads > 64)
		threads = 8;
	if (ls_evidence_open(&ev, argv[1], NULL, NULL) != 0) {
		fprintf(stderr, "ev-load: %s\n", ls_error_last());
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (i = 0; i < threads; i++) {
		memset(&jobs[i], 0, sizeof(jobs[i]));
		jobs[i].ev = ev;
		jobs[i].t = i;
		jobs[i].n = strtoul(argv[2], NULL, 10) / threads;
		jobs[i].group = argc > 4 ? (unsigned)atoi(argv[4]) : 100;
		jobs[i].controls = argc > 5 ? (unsigned)atoi(argv[5]) : 10;
		jobs[i].days = argc > 6 ? (unsigned)atoi(argv[6]) : 1;
		if (jobs[i].days < 1)
			jobs[i].days = 1;
		jobs[i].acks = getenv("LS_LOAD_ACKS") != NULL;
		if (jobs[i].group < 1)
			jobs[i].group = 1;
		if (jobs[i].controls < 1)
			jobs[i].controls = 1;
		pthread_create(&th[i], NULL, run, &jobs[i]);
	}
	for (i = 0; i < threads; i++) {
		pthread_join(th[i], NULL);
		if (jobs[i].rc != 0)
			rc = 1;
		records += jobs[i].n;
		bytes += jobs[i].bytes;
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	s = (double)(b.tv_sec - a.tv_sec) +
	    (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	fprintf(stderr, "records %llu bytes %llu seconds %.3f\n", records,
	    bytes, s);
	if (rc != 0)
		fprintf(stderr, "ev-load: %s\n", ls_error_last());
	count = ls_evidence_count(ev);
	ls_evidence_free(ev); /* materialises what is left */
	if (rc == 0 && getenv("LS_LOAD_STATE") != NULL &&
	    write_state(argv[1], count) != 0) {
		fprintf(stderr, "ev-load: %s\n", ls_error_last());
		rc = 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	fprintf(stderr, "closed %.3f\n",
	    (double)(a.tv_sec - b.tv_sec) +
		(double)(a.tv_nsec - b.tv_nsec) / 1e9);
	return rc;
}
