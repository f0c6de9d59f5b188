/*
 * tokens.h - single-use enrolment tokens, each bound to one agent name
 * and expiring.
 *
 * An operator makes one with `lockstep agent token NAME --ttl 1h`; the
 * agent presents it once to enrol its key under NAME.  The server keeps
 * only the token's SHA-256: DATA/enroll-tokens/HASH.json holds the name,
 * the expiry and, once used, the key it enrolled (written atomically
 * before the enrolment is acknowledged).  A used token is refused for
 * any other key; presenting it again with the same key is idempotent, so
 * an agent that crashed before it saw the answer can retry.  Thread-safe:
 * the check, the enrolment and the spending happen under one lock.
 */
#ifndef LOCKSTEP_SERVER_TOKENS_H
#define LOCKSTEP_SERVER_TOKENS_H

#include <stddef.h>
#include <time.h>

#include "lockstep/key.h"

#define LS_TOKEN_PREFIX "lse_"
#define LS_TOKEN_LEN (4 + 64)	      /* prefix and 32 random bytes in hex */
#define LS_TOKEN_ID_LEN 16	      /* hex digits of the hash in logs */
#define LS_TOKEN_TTL_MAX (30 * 86400) /* s */

struct ls_tokens;

/* Open DATA/enroll-tokens/ (created 0700); expired tokens are removed.
 * LS_EIO. */
int ls_tokens_open(struct ls_tokens **out, const char *data_dir);
void ls_tokens_free(struct ls_tokens *t); /* NULL is a no-op */

/*
 * A new token for name valid for ttl seconds (1..LS_TOKEN_TTL_MAX), on
 * disk before it is returned in out; id gets the first LS_TOKEN_ID_LEN hex
 * digits of its hash (for evidence).  LS_EINVAL, LS_EIO.
 */
int ls_tokens_create(struct ls_tokens *t, char out[LS_TOKEN_LEN + 1],
    char id[LS_TOKEN_ID_LEN + 1], time_t *expires, const char *name,
    unsigned ttl);

/*
 * Spend token (len bytes) on enrolling vk: under the lock, check that the
 * token is known, not expired, bound to vk->name and unused (or used by
 * this very key), then call enrol(arg); when it returns >= 0 the token is
 * marked used by vk before this returns.  Returns enrol's result, or
 * LS_ENOTFOUND (unknown token), LS_EEXPIRED, LS_EBADSIG (bound to another
 * name, or already used by another key), LS_EIO.  id as above.
 */
int ls_tokens_spend(struct ls_tokens *t, const char *token, size_t len,
    const struct ls_vkey *vk, int (*enrol)(void *arg), void *arg,
    char id[LS_TOKEN_ID_LEN + 1]);

#endif
