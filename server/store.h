/*
 * store.h - the server's data folder: the published static layout, the
 * evidence log, enrolled agents and channel state, behind one lock.
 *
 *   DATA/lock                           flock()ed by whoever writes DATA
 *   DATA/v1/root/N.note                 copied from --keys
 *   DATA/v1/channels/CH/timestamp.note  the only mutable public file
 *   DATA/v1/channels/CH/releases/N.note
 *   DATA/v1/bundles/SHA256.tar.gz
 *   DATA/evidence/                      see evidence.h, evidence_impl.h
 *   DATA/agents/NAME.pub                see agents.h
 *   DATA/state/CH.pending               a build held back by a pin
 *
 * Publishing writes the immutable files first and the timestamp last, each
 * with temp file, fsync, rename, so a reader (or a restart after kill -9)
 * sees either the old release or the new one.  On open, a release written
 * but not yet named by the timestamp is rolled forward.  The server and
 * the `lockstep` CLI both use this module; the lock keeps them from
 * writing the same folder at once.  Every entry point is thread-safe.
 */
#ifndef LOCKSTEP_SERVER_STORE_H
#define LOCKSTEP_SERVER_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "evidence.h"
#include "tokens.h"
#include "pipeline.h"

#define LS_STORE_MAX_CHANNELS 64
#define LS_RELEASE_LIFETIME (365L * 24 * 3600) /* release expires */

struct ls_store;

struct ls_store_opts {
	const char *data_dir;
	const char *keys_dir; /* release.key, timestamp.key, log.key,
				   N.root.note; NULL: no signing (status,
				   agent add), notes read unverified */
	unsigned ttl;	      /* timestamp lifetime, seconds (>= 2) */
	/* Called (outside the store lock) after a channel's timestamp
	 * changed on disk. */
	void (*on_change)(void *arg, const char *channel);
	void *arg;
};

/*
 * Lock DATA (LS_ECONFLICT naming the holder's pid when another process
 * has it), load the keys and the newest root note (the release and
 * timestamp keys must be listed in it), open the evidence store (its
 * index gives failed builds and report seqs: no replay), scan the
 * channels and roll forward an interrupted publish.
 */
int ls_store_open(struct ls_store **out, const struct ls_store_opts *o);
void ls_store_free(struct ls_store *s);

const char *ls_store_data_dir(const struct ls_store *s);
const char *ls_store_origin(const struct ls_store *s);
struct ls_evidence *ls_store_evidence(struct ls_store *s);
/* The log key (signs checkpoints and audit manifests), or NULL when
 * KEYS/log.key is absent.  Owned by the store. */
struct ls_key *ls_store_log_key(struct ls_store *s);

struct ls_note;
struct ls_vkey;

/* Check note's signature with the key agent enrolled (reports.c: what
 * reports and decision batches get); vk_out (may be NULL) gets that key.
 * LS_ENOTFOUND when agent is not (or no longer) enrolled, LS_EBADSIG. */
int ls_store_agent_verify(struct ls_store *s, const struct ls_note *note,
    const char *agent, struct ls_vkey *vk_out);

/* Make channel known (no files until its first release).  LS_EINVAL. */
int ls_store_channel_add(struct ls_store *s, const char *channel);

/* The sha256 of the bundle channel serves now.  LS_ENOTFOUND. */
int
ls_store_current(struct ls_store *s, const char *channel, char sha256_out[65]);

/* 1 if tag was already built for channel (published, held or failed). */
int
ls_store_tag_known(struct ls_store *s, const char *channel, const char *tag);

/*
 * Record a finished build (evidence kind "build", pass or fail) and, when
 * it passed, publish it (or hold it while the channel is pinned).  The
 * build keeps its ownership.
 */
int ls_store_build_done(struct ls_store *s, const struct ls_build *b);

/* Re-sign timestamps that are past half their lifetime, end pins whose
 * sunset has passed and sign an evidence checkpoint when the log grew.
 * *next_out gets when to call again. */
int ls_store_tick(struct ls_store *s, time_t now, time_t *next_out);

/* Sign DATA/evidence/checkpoint.note when the log grew since the last
 * one (needs log.key; without it a no-op).  LS_EIO. */
int ls_store_checkpoint(struct ls_store *s);

/* Size of the tree in DATA/evidence/checkpoint.note as signed by this
 * process (ls_store_tick signs a new one when the log grew), 0 before. */
uint64_t ls_store_checkpoint_size(struct ls_store *s);

struct ls_op {
	const char *action; /* "pin", "rollback", "unpin" */
	const char *channel;
	const char *version; /* target tag; NULL for unpin */
	const char *owner;
	const char *reason;
	time_t until;	/* sunset; required for pin and rollback */
	uint64_t floor; /* raise the channel floor to this; 0 keeps */
};

/*
 * An operator action: a new release seq pointing at the bundle of an
 * existing release, then a new timestamp, then an "operator" evidence
 * entry.  *result_out (may be NULL) gets {"channel","seq","version",
 * "bundle"}.  LS_EINVAL for bad arguments, LS_ENOTFOUND for an unknown
 * channel or version, LS_ECONFLICT when unpinning an unpinned channel.
 */
int ls_store_operate(struct ls_store *s, const struct ls_op *op,
    json_t **result_out);

/* {"origin", "channels": [{"name", "seq", "version", "bundle", "floor",
 * "timestamp_seq", "timestamp_expires", "pin": {...}|null, "held"}]} */
int ls_store_status(struct ls_store *s, json_t **out);

/*
 * Enrol an agent from its verifier-key line.  0 created, 1 already
 * enrolled with this key, LS_ECONFLICT name taken, LS_EFORMAT bad key.
 * Writes an "operator" evidence entry (source names who asked).
 */
int ls_store_enroll(struct ls_store *s, const char *vkey_text, size_t len,
    const char *source);

/*
 * Accept a signed report note: LS_ETOOBIG (> LS_NOTE_MAX), LS_EFORMAT
 * (not a report note), LS_ENOTFOUND (agent not enrolled), LS_EBADSIG,
 * LS_EROLLBACK (seq not above the last accepted).  0 once the evidence
 * entry is on disk.
 */
int ls_store_report(struct ls_store *s, const char *note, size_t len);

/* enrol.c: single-use tokens (tokens.h) and removal. */

/* The enrolled agents (their keys and write budgets, agents.h). */
struct ls_agents *ls_store_agents(struct ls_store *s);

/*
 * Enrol the key of vkey_text with a single-use token bound to its name:
 * 0 created, 1 already enrolled by this token and key.  LS_ENOTFOUND
 * unknown token, LS_EEXPIRED, LS_EBADSIG (token of another name or used
 * by another key), LS_ECONFLICT (name taken: the token stays unused),
 * LS_EFORMAT.  Logged as an operator action naming the token's id.
 */
int ls_store_enroll_token(struct ls_store *s, const char *token, size_t tlen,
    const char *vkey_text, size_t len);

/* A new token for agent name, valid ttl seconds (tokens.h); logged with
 * its id (never the token) and source.  LS_EINVAL, LS_EIO. */
int ls_store_token_create(struct ls_store *s, char out[LS_TOKEN_LEN + 1],
    time_t *expires, const char *name, unsigned ttl, const char *source);

/* Remove agent name's key (it can write nothing more) and log it.
 * LS_ENOTFOUND, LS_EINVAL, LS_EIO. */
int
ls_store_agent_remove(struct ls_store *s, const char *name, const char *source);

#endif
