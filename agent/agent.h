/*
 * agent.h - the agent's update loop: poll, verify (verify.h), activate
 * (activate.h), persist (state.h) and report (reports.h).
 *
 * One thread runs the loop; the decision API reads the engine from its
 * own threads.  Nothing here prints: events go to the log callback that
 * main.c provides.
 */
#ifndef LOCKSTEP_AGENT_AGENT_H
#define LOCKSTEP_AGENT_AGENT_H

#include <signal.h>

#include "config.h"
#include "engine.h"

/* level: "info", "warn" or "error"; event: a short fixed word. */
typedef void ls_agent_log_fn(void *ctx, const char *level, const char *event,
    const char *msg);

struct ls_agent;

/*
 * Open (or create) the state directory, load or generate the agent key,
 * load the trusted root, and put back the last activated bundle into e
 * (so a restarted agent enforces it before any network traffic).
 * LS_EINVAL for a state directory that belongs to another channel,
 * LS_EBADSIG / LS_EFORMAT for a bad root file, LS_EIO.
 */
int ls_agent_new(struct ls_agent **out, const struct ls_config *cfg,
    struct ls_engine *e, ls_agent_log_fn *log, void *log_ctx,
    volatile sig_atomic_t *stop);
void ls_agent_free(struct ls_agent *a); /* NULL is a no-op */

/*
 * One update attempt without long polling, then one attempt to deliver
 * queued reports.  0 when the latest release of the channel is enforced
 * (state active), otherwise the error of the attempt (or LS_EEXPIRED).
 */
int ls_agent_once(struct ls_agent *a);

/* The agent id records and batches name, and its signing key. */
const char *ls_agent_name(const struct ls_agent *a);
struct ls_key *ls_agent_key(struct ls_agent *a);

/* Loop until *stop turns non-zero.  Returns 0. */
int ls_agent_run(struct ls_agent *a);

/* Print-free status JSON of the persisted state in dir (status command). */
int ls_agent_status(char **out, const char *state_dir);

#endif
