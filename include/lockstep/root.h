/*
 * root.h - the root of trust: open the trust anchor and rotate it.
 *
 * Root documents (lockstep/root/v1, see doc.h) list every role's keys and
 * thresholds.  An agent ships with root version 1 and follows N+1, N+2, ...
 * in order; each step must be signed by a threshold of the current root's
 * root keys *and* by a threshold of the new root's own root keys (TUF), so
 * neither the old keys alone nor the new keys alone can move trust.  The
 * signatures are checked before the body is trusted.  Expiry is checked
 * apart (ls_root_check_expiry), by the caller, who fixes the time once
 * per update (DESIGN.md rule 1) and checks only the newest root of the
 * chain: intermediate versions may have expired (TUF 5.3.10).
 */
#ifndef LOCKSTEP_ROOT_H
#define LOCKSTEP_ROOT_H

#include <stddef.h>
#include <time.h>

#include "lockstep/doc.h"

/*
 * Parse a root note that is its own anchor: it must be signed by a
 * threshold of the root keys its body lists.  On success *out is filled
 * (ls_root_cleanup it); on failure it is zeroed.  LS_ETOOBIG, LS_EFORMAT,
 * LS_EBADSIG, LS_ENOMEM.
 */
int ls_root_open(struct ls_root *out, const char *text, size_t len);

/*
 * One rotation step from cur to the root note in text.  Refused with
 * LS_EBADSIG unless a threshold of cur's root keys and a threshold of the
 * new root's root keys signed it; LS_EROLLBACK if its version is not above
 * cur's; LS_EMISMATCH if it skips a version or names another origin;
 * LS_EFORMAT, LS_ETOOBIG.  On success *out is the new root (caller cleans
 * up; cur is untouched); on failure *out is zeroed.
 */
int ls_root_next(struct ls_root *out, const struct ls_root *cur,
    const char *text, size_t len);

/*
 * LS_EEXPIRED when r has expired at t (t >= r->expires), with a message
 * naming the version and the date; 0 otherwise.  A root past its expiry
 * must not be trusted for new documents.
 */
int ls_root_check_expiry(const struct ls_root *r, time_t t);

/*
 * One step along a chain of root notes, in place: when cur->version is 0
 * (a zeroed struct) text is opened as the anchor (ls_root_open), else it
 * must be the next version (ls_root_next).  On success *cur is the new
 * root (the old one cleaned up); on failure *cur is untouched.  Errors as
 * for ls_root_open / ls_root_next.  Expiry is not checked here.
 */
int ls_root_advance(struct ls_root *cur, const char *text, size_t len);

#endif
