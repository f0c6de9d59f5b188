/*
 * state.h - the agent's persisted state (STATE/state.json).
 *
 * state.json is the commit point of an activation: whatever it names is
 * what the agent enforces after a restart, so it is written with
 * ls_file_write_atomic only after the bundle directory and the `current`
 * link are durable.  It is parsed with caps (size, depth) like any other
 * input because a damaged disk is outside input too.
 */
#ifndef LOCKSTEP_AGENT_STATE_H
#define LOCKSTEP_AGENT_STATE_H

#include <stdint.h>
#include <time.h>

#include "lockstep/doc.h"

#define LS_STATE_FILE "state.json"
#define LS_STATE_MAX (64 * 1024)

struct ls_state_active {
	char version[LS_NAME_MAX + 1]; /* git tag, "" when none */
	uint64_t seq;		       /* release seq */
	char sha256[65];	       /* bundle sha256 hex */
	time_t activated_at;
	char dir[96]; /* "bundles/NAME" relative to STATE */
};

struct ls_state {
	char agent[LS_NAME_MAX + 1]; /* agent id, fixed at first start */
	char channel[LS_NAME_MAX + 1];
	int has_active;
	struct ls_state_active active;
	char state[8];			  /* active, stale, error, none */
	char last_error[LS_TEXT_MAX + 1]; /* "" when none */
	uint64_t root_version;
	uint64_t timestamp_seq;	  /* last applied timestamp */
	time_t timestamp_expires; /* of that timestamp, 0 if none */
	uint64_t release_seq;	  /* last applied release */
	char release_sha256[65];  /* sha256 of that release note */
	uint64_t floor;		  /* highest floor seen */
	uint64_t report_seq;	  /* last report seq handed out */
	uint64_t dropped;	  /* reports lost to the queue bound */
	int enrolled;		  /* server accepted our key */
};

void ls_state_init(struct ls_state *s);

/* Load DIR/state.json.  LS_ENOTFOUND when absent, LS_EFORMAT naming the
 * field, LS_ETOOBIG. */
int ls_state_load(struct ls_state *out, const char *dir);

/* Write DIR/state.json atomically (temp, fsync, rename, fsync dir). */
int ls_state_save(const struct ls_state *s, const char *dir);

/*
 * The status JSON of the issue (channel, active, state, last_error,
 * timestamp_seq, root_version) on one line, no newline.  now decides whether
 * an active state has gone stale on this clock.  *out: caller frees.
 */
int ls_state_status_json(char **out, const struct ls_state *s, time_t now);

/* The effective state word at now ("stale" once the timestamp expired). */
const char *ls_state_word(const struct ls_state *s, time_t now);

#endif
