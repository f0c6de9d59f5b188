/*
 * gitwatch.h - the watcher thread: fetch the policy repository's tags into
 * a bare mirror under DATA/git every interval (or at once when asked),
 * build each new tag that matches a channel's glob exactly once, and keep
 * the store's timestamps fresh.  Tags are built in version order
 * (strverscmp), so v1.10 gets a higher seq than v1.9.
 */
#ifndef LOCKSTEP_SERVER_GITWATCH_H
#define LOCKSTEP_SERVER_GITWATCH_H

#include "lockstep/doc.h"
#include "store.h"

#define LS_GITWATCH_MAX_CHANNELS 32
#define LS_GITWATCH_FETCH_TIMEOUT 120	/* seconds with no end in sight */

struct ls_gitwatch_channel {
	char name[LS_NAME_MAX + 1];
	char glob[LS_NAME_MAX + 1];	/* fnmatch() pattern for tags */
};

/* Logging hook: level is "info", "warn" or "error"; msg is one line. */
typedef void (*ls_log_fn)(void *arg, const char *level, const char *msg);

struct ls_gitwatch_opts {
	const char *url;		/* path or URL of the policy repo */
	const char *mirror;		/* bare mirror path (created) */
	const struct ls_gitwatch_channel *channels;
	size_t nchannels;
	unsigned interval;		/* seconds between fetches */
	struct ls_store *store;
	ls_log_fn log;
	void *log_arg;
};

struct ls_gitwatch;

/* Open or create the mirror and start the thread.  LS_EIO, LS_ENOMEM. */
int ls_gitwatch_start(struct ls_gitwatch **out,
    const struct ls_gitwatch_opts *o);

/* Ask for a fetch now (coalesced: at most one fetch per second). */
void ls_gitwatch_refresh(struct ls_gitwatch *w);

/* Stop the thread (waits for a build in progress) and free; NULL ok. */
void ls_gitwatch_stop(struct ls_gitwatch *w);

/* One fetch-and-build pass on the calling thread (tests, --once). */
int ls_gitwatch_poll(struct ls_gitwatch *w);

#endif
