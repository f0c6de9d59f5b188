/*
 * verify.h - the checks of the agent update workflow (DESIGN.md rules
 * 2 to 5), as pure functions over bytes already downloaded.
 *
 * Nothing here touches the network or the disk, so each rule has a unit
 * test with documents signed in the test.  Order inside each function is
 * the order of the rules: size, then signatures, then the signed fields;
 * a body is parsed only after a threshold of trusted keys signed it.
 */
#ifndef LOCKSTEP_AGENT_VERIFY_H
#define LOCKSTEP_AGENT_VERIFY_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "lockstep/doc.h"
#include "lockstep/hash.h"

#define LS_VERIFY_MAX_ROOT_STEPS 32 /* root versions fetched per update */

/*
 * The trust anchor: root note text signed by a threshold of the root keys
 * it lists.  *out is filled (ls_root_cleanup it) only on success.
 * LS_ETOOBIG, LS_EFORMAT, LS_EBADSIG.
 */
int ls_verify_root_anchor(struct ls_root *out, const char *text, size_t len);

/*
 * Root cur->version + 1: signed by a threshold of cur's root keys and of
 * its own, same origin, version exactly one higher (LS_EROLLBACK when
 * lower or equal, LS_EMISMATCH when it skips).
 */
int ls_verify_root_next(struct ls_root *out, const struct ls_root *cur,
    const char *text, size_t len);

/* 1 if the two roots list different keys or thresholds for role. */
int ls_verify_role_changed(const struct ls_root *a, const struct ls_root *b,
    int role);

enum ls_verify_ts { LS_VERIFY_TS_NEW, LS_VERIFY_TS_SAME };

/*
 * Timestamp: size cap, threshold of the root's timestamp keys, origin and
 * channel, then seq against stored_seq (equal: *verdict = SAME and 0;
 * lower: LS_EROLLBACK), then expiry at t (LS_EEXPIRED, *out filled so the
 * caller can report what it saw).
 */
int ls_verify_timestamp(struct ls_timestamp *out, enum ls_verify_ts *verdict,
    const struct ls_root *root, const char *text, size_t len,
    const char *channel, uint64_t stored_seq, time_t t);

/*
 * Release named by ts: length and sha256 of the note bytes equal the
 * timestamp's (before parsing), threshold of release keys, origin,
 * channel, seq equal to the timestamp's, seq >= stored_seq and >= floor,
 * not expired at t.  *out: ls_release_cleanup it on success.
 */
int ls_verify_release(struct ls_release *out, const struct ls_root *root,
    const struct ls_timestamp *ts, const char *text, size_t len,
    const char *channel, uint64_t stored_seq, uint64_t floor, time_t t);

/* The downloaded bundle's length and sha256 equal the release's. */
int ls_verify_bundle(const struct ls_release *rel,
    const uint8_t sha[LS_SHA256_LEN], uint64_t len);

#endif
