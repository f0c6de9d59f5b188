/*
 * httpd_job.c - GET answers too slow for a request thread (the audit
 * package and its summary, the fleet status).  Each runs on a thread of
 * its own at a lower CPU priority while its connection is suspended; the
 * request thread only queues the answer the job made.  A request thread
 * serves many connections (timestamps, reports, uploads), so a build of
 * minutes on it would hold every one of them until it ended.
 *
 * At most JOBS_MAX run at once (503 with Retry-After past it).  A stop
 * cancels them (their work reads *cancel and gives up; the client gets
 * 503) and waits for each to resume its connection: libmicrohttpd must
 * not stop with a connection suspended.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "httpd_impl.h"
#include "lockstep/error.h"

#define JOBS_MAX 8
#define JOBS_RETRY "30"	 /* seconds, for the 503 */
#define STOP_WAIT_S 60	 /* a cancelled job ends within a chunk */

struct job {
	struct job *next;
	const struct httpd_job_ops *ops;
	void *arg;
	struct MHD_Connection *c;
	int cancel; /* atomic: the stop asks the work to give up */
	int done;   /* rc and msg are set (under mu) */
	int unstarted; /* no thread could be started for it */
	int rc;
	char msg[512];
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static struct job *running; /* not yet done */
static unsigned njobs;	    /* started, connection not yet resumed */
static int stopping;

static void
unlink_job(struct job *j)
{
	struct job **p;

	for (p = &running; *p != NULL; p = &(*p)->next)
		if (*p == j) {
			*p = j->next;
			break;
		}
}

/* The end of a job's work: done, then its connection resumed (after
 * which j may be freed by the request's end at any moment). */
static void
job_finish(struct job *j, int rc, const char *msg)
{
	struct MHD_Connection *c = j->c;

	pthread_mutex_lock(&mu);
	j->rc = rc;
	if (rc != 0)
		snprintf(j->msg, sizeof(j->msg), "%s", msg);
	j->done = 1;
	unlink_job(j);
	pthread_mutex_unlock(&mu);
	MHD_resume_connection(c);
	pthread_mutex_lock(&mu);
	njobs--; /* the stop waits for 0: every connection resumed */
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
}

static void *
job_main(void *arg)
{
	struct job *j = arg;
	int rc;

	(void)setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 10);
	rc = j->ops->run(j->arg, &j->cancel);
	job_finish(j, rc, rc != 0 ? ls_error_last() : NULL);
	return NULL;
}

static void
job_free(void *cls)
{
	struct job *j = cls;

	j->ops->free(j->arg);
	free(j);
}

enum MHD_Result
httpd_job_start(struct MHD_Connection *c, void **con_cls,
    const struct httpd_job_ops *ops, void *arg)
{
	struct req *r = httpd_req_of(con_cls);
	pthread_attr_t attr;
	pthread_t th;
	struct job *j = NULL;
	int refused, stopped, started;

	if (r == NULL || (j = calloc(1, sizeof(*j))) == NULL) {
		ops->free(arg);
		return httpd_answer_error(c, 500, "out of memory");
	}
	j->ops = ops;
	j->arg = arg;
	j->c = c;
	pthread_mutex_lock(&mu);
	stopped = stopping;
	refused = stopped || njobs >= JOBS_MAX;
	if (!refused) {
		njobs++;
		j->next = running;
		running = j;
	}
	pthread_mutex_unlock(&mu);
	if (refused) {
		job_free(j);
		return httpd_answer_busy(c,
		    stopped ? "the server is stopping"
			    : "too many slow requests at once: retry later",
		    JOBS_RETRY);
	}
	r->job = j;
	r->job_free = job_free;
	/* Suspended first, so the job's resume comes after. */
	MHD_suspend_connection(c);
	started = pthread_attr_init(&attr) == 0;
	if (started) {
		started = pthread_attr_setdetachstate(&attr,
			      PTHREAD_CREATE_DETACHED) == 0 &&
		    pthread_create(&th, &attr, job_main, j) == 0;
		pthread_attr_destroy(&attr);
	}
	if (!started) {
		j->unstarted = 1;
		job_finish(j, LS_ENOMEM, "cannot start a thread");
	}
	return MHD_YES;
}

enum MHD_Result
httpd_job_resumed(struct MHD_Connection *c, struct req *r)
{
	struct job *j = r->job;
	int done, cancelled;

	pthread_mutex_lock(&mu);
	done = j->done;
	pthread_mutex_unlock(&mu);
	if (!done) /* not resumed by the job: nothing to say yet */
		return MHD_YES;
	cancelled = __atomic_load_n(&j->cancel, __ATOMIC_RELAXED);
	if (j->rc != 0 && cancelled)
		return httpd_answer_busy(c, "the server is stopping", JOBS_RETRY);
	if (j->unstarted)
		return httpd_answer_busy(c, j->msg, JOBS_RETRY);
	return j->ops->answer(j->arg, j->rc, j->msg, c);
}

void
httpd_job_init(void)
{
	pthread_mutex_lock(&mu);
	stopping = 0;
	pthread_mutex_unlock(&mu);
}

void
httpd_job_stop(struct ls_httpd *h)
{
	struct timespec until;
	struct job *j;
	char msg[128];
	unsigned left;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += STOP_WAIT_S;
	pthread_mutex_lock(&mu);
	stopping = 1;
	for (j = running; j != NULL; j = j->next)
		__atomic_store_n(&j->cancel, 1, __ATOMIC_RELAXED);
	while (njobs > 0 && pthread_cond_timedwait(&cv, &mu, &until) == 0)
		;
	left = njobs;
	pthread_mutex_unlock(&mu);
	snprintf(msg, sizeof(msg),
	    "%u slow request(s) still running %d s after the stop", left,
	    STOP_WAIT_S);
	if (left > 0 && h->o.log != NULL)
		h->o.log(h->o.log_arg, "warn", msg);
}
