/*
 * gitwatch.h - the watcher: one thread fetches the policy repository's
 * tags into a bare mirror under DATA/git every interval (or at once when
 * asked) and builds each new tag that matches a channel's glob exactly
 * once; a second thread ticks the store every second (timestamps fresh,
 * pin sunsets, evidence checkpoints), so a hung fetch cannot freeze them.  Tags are built in version order
 * (strverscmp), so v1.10 gets a higher seq than v1.9.
 */
#ifndef LOCKSTEP_SERVER_GITWATCH_H
#define LOCKSTEP_SERVER_GITWATCH_H

#include "lockstep/doc.h"
#include "store.h"

#define LS_GITWATCH_MAX_CHANNELS 32
#define LS_GITWATCH_FETCH_TIMEOUT 120 /* seconds with no end in sight */
#define LS_GITWATCH_STOP_WAIT 10      /* seconds stop waits for a build */

struct ls_gitwatch_channel {
	char name[LS_NAME_MAX + 1];
	char glob[LS_NAME_MAX + 1]; /* fnmatch() pattern for tags */
};

/* Logging hook: level is "info", "warn" or "error"; msg is one line. */
typedef void (*ls_log_fn)(void *arg, const char *level, const char *msg);

struct ls_gitwatch_opts {
	const char *url;    /* path or URL of the policy repo */
	const char *mirror; /* bare mirror path (created) */
	const struct ls_gitwatch_channel *channels;
	size_t nchannels;
	unsigned interval; /* seconds between fetches */
	struct ls_store *store;
	ls_log_fn log;
	void *log_arg;
};

struct ls_gitwatch;

/* Open or create the mirror and start the thread.  LS_EIO, LS_ENOMEM. */
int
ls_gitwatch_start(struct ls_gitwatch **out, const struct ls_gitwatch_opts *o);

/* Ask for a fetch now (coalesced: at most one fetch per second). */
void ls_gitwatch_refresh(struct ls_gitwatch *w);

/* Stop the threads (waits up to LS_GITWATCH_STOP_WAIT for a build in
 * progress; a fetch hanging on the network is left behind) and free;
 * NULL ok. */
void ls_gitwatch_stop(struct ls_gitwatch *w);

/* One fetch-and-build pass on the calling thread (tests, --once). */
int ls_gitwatch_poll(struct ls_gitwatch *w);

#endif
