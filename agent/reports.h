/*
 * reports.h - the agent's signed reports and their on-disk queue.
 *
 * Each report is a lockstep/report/v1 note signed by the agent key and
 * written to STATE/reports/SEQ.note (20-digit seq, so names sort in
 * order) before anything tries to send it.  The queue holds at most max
 * reports; when a new one would pass the bound, the oldest is removed and
 * counted in *dropped so the next report and the log say so.
 */
#ifndef LOCKSTEP_AGENT_REPORTS_H
#define LOCKSTEP_AGENT_REPORTS_H

#include <stddef.h>
#include <stdint.h>

#include "lockstep/doc.h"
#include "lockstep/key.h"

#define LS_REPORTS_DEFAULT_MAX 1000
#define LS_REPORTS_LIST_MAX 100000 /* entries read from the directory */

/* Create STATE/reports (0700). */
int ls_reports_init(const char *state_dir);

/* Sign r with key into note text (*out, caller frees). */
int ls_reports_sign(char **out, size_t *out_len, const struct ls_report *r,
    struct ls_key *key);

/*
 * Queue a signed report under seq.  If the queue already holds max
 * reports, the oldest are removed first and *dropped grows by their
 * number (returned in *now_dropped too).  LS_EIO.
 */
int ls_reports_enqueue(const char *state_dir, uint64_t seq, const char *note,
    size_t len, size_t max, uint64_t *now_dropped);

/*
 * The queued seqs in increasing order (*out: caller frees, *n entries).
 */
int ls_reports_list(uint64_t **out, size_t *n, const char *state_dir);

/* Read queued report seq (*out: caller frees) / remove it once sent. */
int
ls_reports_read(char **out, size_t *len, const char *state_dir, uint64_t seq);
int ls_reports_remove(const char *state_dir, uint64_t seq);

#endif
