/*
 * attempts.h - builds that were started but never reached a verdict.
 *
 * A build is noted on disk (DATA/attempts/CHANNEL/TAG, fsynced) before it
 * runs and forgotten once its verdict is recorded, so a build that kills
 * the server is seen on the next start; after LS_ATTEMPTS_MAX such starts
 * the watcher records the tag as failed instead of crash-looping on it.
 */
#ifndef LOCKSTEP_SERVER_ATTEMPTS_H
#define LOCKSTEP_SERVER_ATTEMPTS_H

#define LS_ATTEMPTS_MAX 3 /* starts of one build before it counts as failed */

/* How many attempts at channel/tag started and did not finish (0 when
 * none; an unreadable count reads as LS_ATTEMPTS_MAX). */
unsigned
ls_attempts_count(const char *data, const char *channel, const char *tag);

/* Note attempt n (1-based) on disk before the build runs.  LS_EIO. */
int ls_attempts_begin(const char *data, const char *channel, const char *tag,
    unsigned n);

/* The build reached a verdict: forget its attempts (best effort). */
void ls_attempts_end(const char *data, const char *channel, const char *tag);

#endif
