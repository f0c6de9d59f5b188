/* httpd_decisions.c - the HTTP side of decisions.h. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "decisions.h"
#include "httpd_impl.h"
#include "lockstep/error.h"
#include "lockstep/timefmt.h"

/* ---- the upload workers -------------------------------------------- */

#define WORKERS 8 /* uploads in flight at once (they share fsyncs) */

struct job {
	struct job *next;
	struct ls_httpd *h;
	struct MHD_Connection *c;
	struct req *r;
	char *header; /* copied before the connection is suspended */
	int done;     /* res is set (under mu) */
	struct ls_decisions_result res;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static struct job *q_head, **q_tail = &q_head;
static pthread_t workers[WORKERS];
static unsigned nworkers, inflight;
static int stopping;

static void
job_run(struct job *j)
{
	ls_decisions_post(j->h->o.decisions, &j->res, j->header,
	    j->r->body.data ? j->r->body.data : "", j->r->body.len,
	    j->r->toobig);
	free(j->header);
	j->header = NULL;
}

static void *
worker_main(void *arg)
{
	struct job *j;

	(void)arg;
	pthread_mutex_lock(&mu);
	for (;;) {
		if ((j = q_head) == NULL) {
			if (stopping)
				break;
			pthread_cond_wait(&cv, &mu);
			continue;
		}
		if ((q_head = j->next) == NULL)
			q_tail = &q_head;
		pthread_mutex_unlock(&mu);
		job_run(j);
		pthread_mutex_lock(&mu);
		j->done = 1;
		pthread_mutex_unlock(&mu);
		MHD_resume_connection(j->c);
		pthread_mutex_lock(&mu);
		inflight--; /* the stop waits for 0: every one resumed */
		pthread_cond_broadcast(&cv);
	}
	pthread_mutex_unlock(&mu);
	return NULL;
}

/* Under mu: 1 when a worker will take a job (inflight counts it), 0 to
 * run it on this thread. */
static int
job_reserve(void)
{
	if (stopping)
		return 0;
	while (nworkers < WORKERS && nworkers <= inflight) {
		if (pthread_create(&workers[nworkers], NULL, worker_main,
			NULL) != 0)
			break;
		nworkers++;
	}
	if (nworkers == 0)
		return 0;
	inflight++;
	return 1;
}

void
httpd_decisions_stop(void)
{
	struct timespec until;
	unsigned i, n;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 60; /* a batch waits at most 30 s for the store */
	pthread_mutex_lock(&mu);
	stopping = 1;
	pthread_cond_broadcast(&cv);
	while (inflight > 0 &&
	    pthread_cond_timedwait(&cv, &mu, &until) == 0)
		;
	n = inflight == 0 ? nworkers : 0; /* else leave them (exiting) */
	nworkers = 0;
	pthread_mutex_unlock(&mu);
	for (i = 0; i < n; i++)
		pthread_join(workers[i], NULL);
}

static enum MHD_Result
answer(struct MHD_Connection *c, struct ls_decisions_result *res)
{
	enum MHD_Result ret;

	if (res->status == 200)
		ret = httpd_answer_json(c, 200, res->answer);
	else
		ret = httpd_answer_error(c, res->status, res->msg);
	json_decref(res->answer);
	res->answer = NULL;
	return ret;
}

enum MHD_Result
httpd_decisions_post(struct ls_httpd *h, struct MHD_Connection *c,
    struct req *r)
{
	const char *hdr;
	struct job *j = r->job;
	int queued;

	if (h->o.decisions == NULL)
		return httpd_answer_error(c, 404, "decision upload is off");
	if (j != NULL) { /* resumed: the worker is done */
		pthread_mutex_lock(&mu);
		queued = !j->done;
		pthread_mutex_unlock(&mu);
		return queued ? MHD_YES : answer(c, &j->res);
	}
	hdr = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    "Lockstep-Batch");
	if ((j = calloc(1, sizeof(*j))) == NULL ||
	    (hdr != NULL && (j->header = strdup(hdr)) == NULL)) {
		free(j);
		return httpd_answer_error(c, 500, "out of memory");
	}
	j->h = h;
	j->c = c;
	j->r = r;
	r->job = j;
	pthread_mutex_lock(&mu);
	queued = job_reserve();
	pthread_mutex_unlock(&mu);
	if (queued) { /* suspended first, so the resume comes after */
		MHD_suspend_connection(c);
		pthread_mutex_lock(&mu);
		*q_tail = j;
		q_tail = &j->next;
		pthread_cond_signal(&cv);
		pthread_mutex_unlock(&mu);
		return MHD_YES;
	}
	job_run(j);
	j->done = 1;
	return answer(c, &j->res);
}

/* GET /v1/admin/overrides?since=DATE */
enum MHD_Result
httpd_overrides_get(struct ls_httpd *h, struct MHD_Connection *c)
{
	const char *v =
	    MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "since");
	time_t since = 0, now = time(NULL);
	char t[LS_TIME_LEN];
	json_t *list = NULL, *j;
	enum MHD_Result ret;

	if (h->o.decisions == NULL)
		return httpd_answer_error(c, 404, "decision upload is off");
	if (v != NULL && v[0] != '\0' && ls_time_parse(&since, v, strlen(v)))
		return httpd_answer_error(c, 400,
		    "since: expected YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ");
	if (ls_decisions_overrides(h->o.decisions, &list, since, now) != 0)
		return httpd_answer_error(c, 500, ls_error_last());
	ls_time_format(t, now);
	j = json_pack("{s:s, s:o}", "now", t, "overrides", list);
	ret = httpd_answer_json(c, 200, j);
	json_decref(j);
	return ret;
}
