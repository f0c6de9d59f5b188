/*
 * agents.h - enrolled agent keys and the last report seq of each.
 *
 * An enrolled agent is DATA/agents/NAME.pub holding its verifier key line
 * (written atomically before the enrolment is acknowledged).  The last
 * accepted report seq is kept in memory and rebuilt from the evidence log
 * at start, so a replayed report is refused across restarts too.  Thread-
 * safe.
 */
#ifndef LOCKSTEP_SERVER_AGENTS_H
#define LOCKSTEP_SERVER_AGENTS_H

#include <stdint.h>

#include "lockstep/key.h"

#define LS_AGENTS_MAX 100000

struct ls_agents;

/* Load DATA/agents/ (created if absent).  LS_EIO, LS_EFORMAT naming the
 * file, LS_ETOOBIG past LS_AGENTS_MAX. */
int ls_agents_open(struct ls_agents **out, const char *data_dir);
void ls_agents_free(struct ls_agents *a);

/*
 * Enrol name with vk (vk->name must equal name).  Returns 0 when created,
 * 1 when this exact key was already enrolled, LS_ECONFLICT when the name
 * belongs to another key, LS_EINVAL for a bad name, LS_EIO.
 */
int ls_agents_enroll(struct ls_agents *a, const char *name,
    const struct ls_vkey *vk);

/* The key of name into *out.  LS_ENOTFOUND. */
int ls_agents_key(struct ls_agents *a, const char *name, struct ls_vkey *out);

/*
 * Accept report seq for name: LS_EROLLBACK when seq is not greater than
 * the last accepted, else records it (call only after the evidence is on
 * disk; use ls_agents_check first).  LS_ENOTFOUND for an unknown agent.
 */
int ls_agents_check_seq(struct ls_agents *a, const char *name, uint64_t seq);
int ls_agents_set_seq(struct ls_agents *a, const char *name, uint64_t seq);

/*
 * Remove name: its .pub file is unlinked (and the folder fsynced) before
 * this returns, so a removed key can write nothing more.  vk_out (may be
 * NULL) gets the key that was removed.  LS_ENOTFOUND, LS_EIO.
 */
int
ls_agents_remove(struct ls_agents *a, const char *name, struct ls_vkey *vk_out);

/* Forget name's last report seq (a new key was enrolled under it). */
void ls_agents_reset_seq(struct ls_agents *a, const char *name);

/*
 * Write budget of each enrolled key: writes (reports, decision batches)
 * and bytes per minute, refilled continuously; a burst may spend a whole
 * minute's worth at once.  0 leaves a limit off.
 */
#define LS_AGENTS_WRITES_PER_MIN 600
#define LS_AGENTS_BYTES_PER_MIN (64u << 20)
void ls_agents_set_budget(struct ls_agents *a, unsigned writes_per_min,
    size_t bytes_per_min);

/*
 * Charge one write of bytes to name's budget.  0 when it fits (and is
 * charged), LS_ELIMIT when it does not (nothing is charged; answer 429),
 * LS_ENOTFOUND for an unknown agent.  Call only after the writer proved
 * it holds the key, so nobody else can spend an agent's budget.
 */
int ls_agents_charge(struct ls_agents *a, const char *name, size_t bytes);

/* Charge bytes learnt after the check (a batch's uncompressed rest):
 * never refused, the budget may go below zero and refill from there. */
void ls_agents_debit(struct ls_agents *a, const char *name, size_t bytes);

size_t ls_agents_count(struct ls_agents *a);

#endif
