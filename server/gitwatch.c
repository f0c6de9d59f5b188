/* gitwatch.c - fetch tags with libgit2, build the new ones. */
#include <fnmatch.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <git2.h>

#include "attempts.h"
#include "gitwatch.h"
#include "lockstep/error.h"
#include "metrics.h"
#include "pipeline.h"

#define MAX_TAGS 100000

struct ls_gitwatch {
	struct ls_gitwatch_opts o;
	struct ls_gitwatch_channel ch[LS_GITWATCH_MAX_CHANNELS];
	char *url, *mirror; /* owned copies */
	git_repository *repo;
	pthread_t thread, ticker;
	int started, ticking;
	pthread_cond_t tick_cond; /* wakes the ticker to stop */
	pthread_mutex_t mu;
	pthread_cond_t cond;
	int stop, refresh; /* under mu */
};

struct tag {
	char *name;
	git_oid commit;	   /* or the object the tag ends in */
	git_object_t type; /* GIT_OBJECT_COMMIT unless the tag is bad */
};

struct taglist {
	struct tag *v;
	size_t n, cap;
};

static void logf_(struct ls_gitwatch *w, const char *level, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));

static void
logf_(struct ls_gitwatch *w, const char *level, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (w->o.log == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	w->o.log(w->o.log_arg, level, msg);
}

static const char *
git_msg(void)
{
	const git_error *e = git_error_last();

	return e != NULL && e->message != NULL ? e->message : "unknown error";
}

struct deadline {
	time_t end;
};

static int
progress_cb(const git_indexer_progress *stats, void *payload)
{
	struct deadline *d = payload;

	(void)stats;
	return time(NULL) > d->end ? -1 : 0; /* abort a fetch that drags */
}

/*
 * Drop every tag of the mirror that does not end in a commit.  libgit2
 * refuses to fetch into a repository holding one ("object is not a
 * committish"), and one may be left there: each fetch brings the bad
 * tags back and list_tags drops them, but a server stopped (or killed)
 * between the two leaves them for its next start, whose first fetch
 * would then fail and hide new tags until the poll after.
 */
static void
drop_bad_tags(struct ls_gitwatch *w)
{
	git_reference_iterator *it = NULL;
	git_reference *ref = NULL;
	git_object *obj = NULL;

	if (git_reference_iterator_glob_new(&it, w->repo, "refs/tags/*") != 0)
		return; /* the fetch reports what is wrong */
	while (git_reference_next(&ref, it) == 0) {
		if (git_reference_peel(&obj, ref, GIT_OBJECT_COMMIT) == 0)
			git_object_free(obj);
		else if (git_reference_delete(ref) != 0)
			logf_(w, "warn", "%s: %s", git_reference_name(ref),
			    git_msg());
		obj = NULL;
		git_reference_free(ref);
		ref = NULL;
	}
	git_reference_iterator_free(it);
}

static int
fetch(struct ls_gitwatch *w)
{
	git_fetch_options fo;
	char spec[] = "+refs/tags/*:refs/tags/*";
	char *specv[] = { spec };
	git_strarray specs = { specv, 1 };
	struct deadline d = { time(NULL) + LS_GITWATCH_FETCH_TIMEOUT };
	git_remote_create_options ro;
	git_remote *remote = NULL;
	int rc = 0;

	git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION);
	fo.callbacks.transfer_progress = progress_cb;
	fo.callbacks.payload = &d;
	fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
	/* Skipping url.*.insteadOf also skips libgit2 1.5's config regex
	 * walk, which leaks PCRE2 match data on every non-matching entry
	 * (fixed upstream in libgit2 PR #6382). */
	drop_bad_tags(w);
	git_remote_create_options_init(&ro, GIT_REMOTE_CREATE_OPTIONS_VERSION);
	ro.repository = w->repo;
	ro.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF |
	    GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
	if (git_remote_create_with_opts(&remote, w->url, &ro) != 0 ||
	    git_remote_fetch(remote, &specs, &fo, "lockstep fetch") != 0) {
		rc = ls_error_set(LS_ENET, "%s: fetch: %s", w->url, git_msg());
		ls_metrics_add(LS_M_FETCHES_FAILED, 1);
	} else {
		ls_metrics_add(LS_M_FETCHES_OK, 1);
	}
	git_remote_free(remote);
	return rc;
}

static int
tag_add(struct taglist *l, const char *name, const git_oid *id,
    git_object_t type)
{
	struct tag *v;

	if (l->n >= MAX_TAGS)
		return ls_error_set(LS_ETOOBIG, "more than %d tags", MAX_TAGS);
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 32;

		if ((v = realloc(l->v, cap * sizeof(*v))) == NULL)
			return ls_error_set(LS_ENOMEM, "out of memory");
		l->v = v;
		l->cap = cap;
	}
	if ((l->v[l->n].name = strdup(name)) == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	l->v[l->n].type = type;
	l->v[l->n++].commit = *id;
	return 0;
}

static void
taglist_cleanup(struct taglist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i].name);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static int
tag_cmp(const void *a, const void *b)
{
	return strverscmp(((const struct tag *)a)->name,
	    ((const struct tag *)b)->name);
}

/*
 * A tag that does not end in a commit (a tag on a blob or a tree, or an
 * annotated-tag chain ending in one) is listed with the type it ends in,
 * so it is recorded once as a failed build, and its ref is dropped from
 * the mirror: libgit2 refuses to fetch into a repository holding one
 * ("object is not a committish"), which would stop every later tag (and
 * drop_bad_tags sweeps again before each fetch).  The next fetch brings
 * it back; it is known by then.
 */
static int
bad_tag(struct ls_gitwatch *w, struct taglist *out, git_reference *ref,
    const char *name)
{
	git_object *obj = NULL;
	git_oid none;
	int rc = 0;

	memset(&none, 0, sizeof(none));
	if (git_reference_peel(&obj, ref, GIT_OBJECT_ANY) != 0)
		obj = NULL;
	if (ls_name_valid(name))
		rc = tag_add(out, name, obj ? git_object_id(obj) : &none,
		    obj ? git_object_type(obj) : GIT_OBJECT_INVALID);
	git_object_free(obj);
	if (git_reference_delete(ref) != 0)
		logf_(w, "warn", "tag %s: %s", name, git_msg());
	return rc;
}

/* Every tag of the mirror peeled to its commit (bad ones: bad_tag). */
static int
list_tags(struct ls_gitwatch *w, struct taglist *out)
{
	git_reference_iterator *it = NULL;
	git_reference *ref = NULL;
	git_object *obj = NULL;
	const char *name;
	int rc = 0;

	if (git_reference_iterator_glob_new(&it, w->repo, "refs/tags/*") != 0)
		return ls_error_set(LS_EIO, "%s: %s", w->mirror, git_msg());
	while (rc == 0 && git_reference_next(&ref, it) == 0) {
		name = git_reference_name(ref) + strlen("refs/tags/");
		if (git_reference_peel(&obj, ref, GIT_OBJECT_COMMIT) != 0)
			rc = bad_tag(w, out, ref, name);
		else if (!ls_name_valid(name))
			logf_(w, "warn",
			    "tag %s: not a valid version name, "
			    "ignored",
			    name);
		else
			rc = tag_add(out, name, git_object_id(obj),
			    GIT_OBJECT_COMMIT);
		git_object_free(obj);
		obj = NULL;
		git_reference_free(ref);
		ref = NULL;
	}
	git_reference_iterator_free(it);
	if (rc == 0 && out->n > 1) /* out->v is NULL when there are none */
		qsort(out->v, out->n, sizeof(*out->v), tag_cmp);
	return rc;
}

/*
 * Run the build of t unless it cannot run: a tag that is not on a commit,
 * or a build started LS_ATTEMPTS_MAX times without a verdict (it crashed
 * the server, or its record could not be written), is recorded as failed.
 */
static int
build_run(struct ls_gitwatch *w, struct ls_build *b, const struct tag *t)
{
	const char *data = ls_store_data_dir(w->o.store);
	unsigned n = ls_attempts_count(data, b->channel, t->name);
	char reason[256];
	int rc;

	if (t->type != GIT_OBJECT_COMMIT) {
		git_oid_tostr(b->commit, sizeof(b->commit), &t->commit);
		snprintf(reason, sizeof(reason),
		    "tag %s names a %s, not a commit", t->name,
		    git_object_type2string(t->type));
		return ls_pipeline_refuse(b, "checkout", reason);
	}
	if (n >= LS_ATTEMPTS_MAX) {
		git_oid_tostr(b->commit, sizeof(b->commit), &t->commit);
		snprintf(reason, sizeof(reason),
		    "the build started %u times (attempts) without reaching "
		    "a verdict",
		    n);
		return ls_pipeline_refuse(b, "build", reason);
	}
	if ((rc = ls_attempts_begin(data, b->channel, t->name, n + 1)) != 0)
		return rc;
	logf_(w, n > 0 ? "warn" : "info",
	    "channel %s tag %s: build attempt %u of %d", b->channel, t->name,
	    n + 1, LS_ATTEMPTS_MAX);
	return ls_pipeline_run(b, w->repo, &t->commit);
}

static int
build_one(struct ls_gitwatch *w, const char *channel, const struct tag *t)
{
	struct ls_build b;
	int rc;

	ls_build_init(&b, channel, t->name);
	if ((rc = build_run(w, &b, t)) == 0 &&
	    (rc = ls_store_build_done(w->o.store, &b)) == 0)
		ls_attempts_end(ls_store_data_dir(w->o.store), channel,
		    t->name);
	if (rc != 0)
		logf_(w, "error", "channel %s tag %s: %s", channel, t->name,
		    ls_error_last());
	else if (b.ok)
		logf_(w, "info", "channel %s tag %s: built %s", channel,
		    t->name, b.sha256);
	else
		logf_(w, "warn", "channel %s tag %s: %s stage failed: %s",
		    channel, t->name, b.failed_stage, b.reason);
	ls_build_cleanup(&b);
	return rc;
}

int
ls_gitwatch_poll(struct ls_gitwatch *w)
{
	struct taglist tags = { NULL, 0, 0 };
	size_t i, j;
	int rc;

	if (fetch(w) != 0) {
		logf_(w, "warn", "%s", ls_error_last());
		/* Tags fetched earlier are still worth building. */
	}
	pthread_mutex_lock(&w->mu);
	rc = w->stop;
	pthread_mutex_unlock(&w->mu);
	if (rc != 0) { /* stopping: nothing more touches the store */
		rc = 0;
		goto out;
	}
	if ((rc = list_tags(w, &tags)) != 0)
		goto out;
	for (i = 0; i < w->o.nchannels; i++)
		for (j = 0; j < tags.n; j++) {
			if (fnmatch(w->ch[i].glob, tags.v[j].name, 0) != 0 ||
			    ls_store_tag_known(w->o.store, w->ch[i].name,
				tags.v[j].name))
				continue;
			(void)build_one(w, w->ch[i].name, &tags.v[j]);
		}
out:
	taglist_cleanup(&tags);
	return rc;
}

/* Sleep until the next fetch is due, or a refresh may run (at most one
 * fetch a second), or stop.  Returns with w->mu held. */
static void
wait_due(struct ls_gitwatch *w, time_t next_fetch, time_t last_fetch)
{
	struct timespec ts;
	time_t target;

	pthread_mutex_lock(&w->mu);
	while (!w->stop) {
		target = next_fetch;
		if (w->refresh && last_fetch + 1 < target)
			target = last_fetch + 1;
		if (time(NULL) >= target)
			break;
		ts.tv_sec = target;
		ts.tv_nsec = 0;
		pthread_cond_timedwait(&w->cond, &w->mu, &ts);
	}
}

/* Fetch and build, every interval or when asked. */
static void *
run(void *arg)
{
	struct ls_gitwatch *w = arg;
	time_t next_fetch = 0, last_fetch = 0;
	int stop;

	for (;;) {
		wait_due(w, next_fetch, last_fetch);
		stop = w->stop;
		w->refresh = 0;
		pthread_mutex_unlock(&w->mu);
		if (stop)
			break;
		(void)ls_gitwatch_poll(w);
		last_fetch = time(NULL);
		next_fetch = last_fetch + (time_t)w->o.interval;
	}
	return NULL;
}

/*
 * Keep timestamps fresh, end pins at their sunset, sign checkpoints: on a
 * thread of its own, so a fetch that hangs on the network (libgit2 1.5
 * has no connect timeout) never lets a timestamp expire.  A tick is
 * cheap, so it runs every second.
 */
static void *
tick(void *arg)
{
	struct ls_gitwatch *w = arg;
	struct timespec ts;
	time_t next;

	pthread_mutex_lock(&w->mu);
	while (!w->stop) {
		pthread_mutex_unlock(&w->mu);
		if (ls_store_tick(w->o.store, time(NULL), &next) != 0)
			logf_(w, "error", "timestamp: %s", ls_error_last());
		pthread_mutex_lock(&w->mu);
		ts.tv_sec = time(NULL) + 1;
		ts.tv_nsec = 0;
		while (!w->stop && time(NULL) < ts.tv_sec)
			if (pthread_cond_timedwait(&w->tick_cond, &w->mu,
				&ts) != 0)
				break;
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

static int
open_mirror(struct ls_gitwatch *w)
{
	if (git_repository_open_bare(&w->repo, w->mirror) == 0)
		return 0;
	if (git_repository_init(&w->repo, w->mirror, 1) != 0)
		return ls_error_set(LS_EIO, "%s: %s", w->mirror, git_msg());
	return 0;
}

int
ls_gitwatch_start(struct ls_gitwatch **out, const struct ls_gitwatch_opts *o)
{
	struct ls_gitwatch *w;
	size_t i;
	int rc = 0;

	*out = NULL;
	if (o->nchannels > LS_GITWATCH_MAX_CHANNELS)
		return ls_error_set(LS_EINVAL, "more than %d channels",
		    LS_GITWATCH_MAX_CHANNELS);
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	w->o = *o;
	for (i = 0; i < o->nchannels; i++)
		w->ch[i] = o->channels[i];
	w->o.channels = w->ch;
	if (w->o.interval == 0)
		w->o.interval = 1;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cond, NULL);
	pthread_cond_init(&w->tick_cond, NULL);
	if ((w->url = strdup(o->url)) == NULL ||
	    (w->mirror = strdup(o->mirror)) == NULL) {
		rc = ls_error_set(LS_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = open_mirror(w)) != 0)
		goto out;
	for (i = 0; i < o->nchannels && rc == 0; i++)
		rc = ls_store_channel_add(o->store, w->ch[i].name);
	if (rc != 0)
		goto out;
	if (pthread_create(&w->thread, NULL, run, w) != 0) {
		rc = ls_error_set(LS_ERROR, "cannot start the watcher thread");
		goto out;
	}
	w->started = 1;
	if (pthread_create(&w->ticker, NULL, tick, w) != 0) {
		rc = ls_error_set(LS_ERROR, "cannot start the ticker thread");
		goto out;
	}
	w->ticking = 1;
	*out = w;
	w = NULL;
out:
	ls_gitwatch_stop(w);
	return rc;
}

void
ls_gitwatch_refresh(struct ls_gitwatch *w)
{
	pthread_mutex_lock(&w->mu);
	w->refresh = 1;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->mu);
}

void
ls_gitwatch_stop(struct ls_gitwatch *w)
{
	struct timespec ts;

	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = 1;
	pthread_cond_signal(&w->cond);
	pthread_cond_signal(&w->tick_cond);
	pthread_mutex_unlock(&w->mu);
	if (w->ticking)
		pthread_join(w->ticker, NULL);
	if (w->started) {
		/* A build finishes in seconds; a fetch stuck on a silent
		 * remote never returns (libgit2 1.5 has no network
		 * timeouts), so stopping does not wait for it forever: the
		 * thread is left behind, it touches nothing once stop is
		 * set, and the process is about to exit. */
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += LS_GITWATCH_STOP_WAIT;
		if (pthread_timedjoin_np(w->thread, NULL, &ts) != 0) {
			logf_(w, "warn",
			    "%s: fetch still hanging after %d s; "
			    "not waiting for it",
			    w->url, LS_GITWATCH_STOP_WAIT);
			pthread_detach(w->thread);
			return;
		}
	}
	git_repository_free(w->repo);
	pthread_cond_destroy(&w->cond);
	pthread_cond_destroy(&w->tick_cond);
	pthread_mutex_destroy(&w->mu);
	free(w->url);
	free(w->mirror);
	free(w);
}
