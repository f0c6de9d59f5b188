/*
 * decisions.h - POST /v1/decisions: signed batches of decision records
 * from enrolled agents (notes/decisions-protocol.md section 2), the chain
 * of batches of each agent, and the counts of exception uses.
 *
 * A batch is verified (the note's signature with the agent's enrolled
 * key, then the gzip body against the note's sha256, count, first and
 * last, then every JSON line), checked against the agent's chain (next
 * seq, prev hash, gaps only where a dropped line covers them) and then
 * appended as one "batch" entry plus one "decision" entry per line in one
 * group; it is acknowledged only after that group is durable.  Every
 * refusal is recorded as a "refused" entry and stores none of the lines;
 * so that junk cannot flood the log, at most 20 refusals a second (bursts
 * of 200) are recorded, the others counted in /metrics and in the next one
 * recorded ("suppressed_before").  A byte-identical resend of one of the
 * agent's last 16 accepted batches is answered as a duplicate; an older
 * one is a replay (409).  A chain belongs to the key that signs it: after
 * a name is removed and enrolled again with a new key (a rebuilt host),
 * that key's batches start a new chain from seq 1 (batch entries name the
 * key).  Uploads being parsed hold at most 96 MiB of
 * uncompressed bytes at once (others wait up to 5 s, then 503).
 *
 * The chain state and the exception counts are kept in memory and in
 * DATA/decisions/state.json (written atomically, at most once a second
 * and when closing), which names the log index from which the log may
 * hold batches the file does not know; opening replays only the entries
 * from there (ls_evidence_get), so restart time does not grow with the
 * log and a kill -9 at any moment leaves a consistent state.  Thread-safe;
 * uploads of different agents run in parallel.
 */
#ifndef LOCKSTEP_SERVER_DECISIONS_H
#define LOCKSTEP_SERVER_DECISIONS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "lockstep/buf.h"
#include "store.h"

#define LS_DECISIONS_BODY_MAX (8u << 20)   /* gzip bytes of one batch */
#define LS_DECISIONS_RAW_MAX (32u << 20)   /* uncompressed bytes */
#define LS_DECISIONS_LINES_MAX 200000	   /* records of one batch */
#define LS_DECISIONS_LINE_MAX (256 * 1024) /* bytes of one record line */
#define LS_DECISIONS_DEPTH_MAX 32	   /* JSON nesting of a record */
#define LS_DECISIONS_WARN_DAYS 14	   /* exception sunset warning */

struct ls_decisions;

struct ls_decisions_opts {
	struct ls_store *store; /* borrowed: evidence log, agent keys and
				 * their write budgets */
	/* Told before a long replay at open (may be NULL). */
	void (*log)(void *arg, const char *level, const char *msg);
	void *log_arg;
};

/*
 * Load DATA/decisions/state.json (absent: empty) and replay the log from
 * the index it names.  LS_EFORMAT naming the file when it is corrupt,
 * LS_EIO, LS_ENOMEM.
 */
int
ls_decisions_open(struct ls_decisions **out, const struct ls_decisions_opts *o);

/* Write the state file (if anything changed) and free; NULL ok. */
void ls_decisions_free(struct ls_decisions *d);

struct ls_decisions_result {
	unsigned status; /* HTTP status: 200, 400, 403, 409, 413, 429, 500, 503 */
	char msg[512];	 /* why, when status != 200 */
	json_t *answer; /* owned: the 200 answer; NULL otherwise */
};

/*
 * One upload: header is the Lockstep-Batch header (base64 of the signed
 * note; NULL when absent), body the gzip bytes, toobig set when the body
 * passed LS_DECISIONS_BODY_MAX.  Fills *res; free res->answer.
 */
void ls_decisions_post(struct ls_decisions *d, struct ls_decisions_result *res,
    const char *header, const void *body, size_t len, int toobig);

/*
 * The write budget, the enrolled key's (ls_agents_charge: writes and
 * bytes a minute, shared with its reports).  0, or LS_ETOOBIG when over
 * it (nothing charged).  An upload is checked with its gzip size before
 * it is inflated, then charged the rest of its uncompressed size.
 */
int ls_decisions_budget_check(struct ls_decisions *d, const char *agent,
    size_t bytes);

/* lockstep_exception_uses_total{exception,rule,control}, Prometheus text
 * appended to out (d is a struct ls_decisions *: the signature of
 * ls_metrics_set_extra).  LS_ETOOBIG, LS_ENOMEM. */
int ls_decisions_metrics(void *d, struct ls_buf *out);

/*
 * Exception uses since (0: all), one object per exception and rule, most
 * used first: {"exception", "rule", "count", "controls": [..], "owners":
 * [..], "tickets": [..], "expires", "days_left"}, days counted from now.
 */
int ls_decisions_overrides(struct ls_decisions *d, json_t **out, time_t since,
    time_t now);

/* Write the state file now.  LS_EIO. */
int ls_decisions_sync(struct ls_decisions *d);

struct ls_controls;

/*
 * Exceptions of c that hold at now but end within LS_DECISIONS_WARN_DAYS
 * days: a JSON array of {"exception", "owner", "ticket", "expires",
 * "days_left", "warning"} into *out (empty array when none).  LS_ENOMEM.
 */
int
ls_decisions_expiring(json_t **out, const struct ls_controls *c, time_t now);

#endif
