/*
 * audit.h - the audit package: everything an auditor needs to answer "did
 * control X hold, where, with which policy, over this period" and to check
 * the answer offline with nothing but the package.
 *
 * Files (every one listed with its sha256 in manifest.note, a signed note
 * by the log key):
 *   records.jsonl    the evidence entries, byte for byte as in the log:
 *                    the context (operator, build, publish, report,
 *                    batch, announced drops), then the decisions day by
 *                    day (see audit.c)
 *   proofs.jsonl     one line per record: {"index","size","leaf","proof"}
 *                    (base64 hashes, RFC 6962 inclusion in the tree of
 *                    checkpoint.note), the shape of GET /v1/evidence/proof
 *   checkpoint.note  a C2SP checkpoint of the log signed by the log key
 *   log.pub          the log key (verifier key line)
 *   summary.json     the numbers, computed from records.jsonl alone
 *   summary.md, summary.html   the same, for people
 *   oscal/assessment-results.json   OSCAL 1.1 assessment-results
 * summary.* and the OSCAL file are a pure function of records.jsonl and
 * the parameters in the manifest, so ls_audit_verify recomputes them.
 */
#ifndef LOCKSTEP_SERVER_AUDIT_H
#define LOCKSTEP_SERVER_AUDIT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "evidence.h"
#include "lockstep/buf.h"
#include "lockstep/key.h"

#define LS_AUDIT_MAX_FILES 12
#define LS_AUDIT_RECORDS_MAX ((size_t)4 << 30) /* bytes of records read */
#define LS_AUDIT_TAR_MAX ((uint64_t)4 << 30)	/* a package's tar, bytes */
#define LS_AUDIT_SILENT_DEFAULT 24	       /* hours */

struct ls_audit_opts {
	const char *control;   /* "soc2:CC6.1", or NULL with framework */
	const char *framework; /* "soc2", or NULL with control */
	time_t since, until;   /* inclusive */
	unsigned silent_hours; /* a gap longer than this is reported */
	time_t generated;      /* when the package is made */
	const int *cancel;     /* NULL, or the build gives up (LS_ERROR)
				* once *cancel is set (read atomically) */
};

struct ls_audit_file {
	const char *name;   /* static: one of the names above */
	struct ls_buf data; /* owned */
};

/* Package files in memory (audit_verify.c's recomputed ones). */
struct ls_audit_pkg {
	struct ls_audit_file files[LS_AUDIT_MAX_FILES];
	size_t n;
};

void ls_audit_pkg_cleanup(struct ls_audit_pkg *p);

/*
 * Build the package from the log ev (a checkpoint of its tree signed now
 * by log_key under origin "ORIGIN/evidence"; entries past it are left for
 * the next package) straight into the new directory dir (an existing dir
 * is refused: LS_EEXISTS), streamed: memory does not grow with the number
 * of records.  Only evidence.h's stable calls: query, root, proof.  dir
 * appears only once complete and durable; a failure or kill leaves at
 * most a DIR.partial-XXXXXX.  LS_EINVAL for bad options, LS_ETOOBIG,
 * LS_EIO, LS_ENOMEM.
 */
int ls_audit_build_dir(const char *dir, struct ls_evidence *ev,
    const char *origin, struct ls_key *log_key, const struct ls_audit_opts *o);
/* The same without fsync, for a package that is sent and removed (the
 * server's GET /v1/audit/package). */
int ls_audit_build_tmp(const char *dir, struct ls_evidence *ev,
    const char *origin, struct ls_key *log_key, const struct ls_audit_opts *o);

/* audit_tar.c.  The package directory dir as one POSIX tar written to
 * fd, a file at a time (memory does not grow with the package); each file
 * is removed from dir once in the tar, so the disk holds the package
 * about once.  LS_EIO, LS_ENOTFOUND for a missing file. */
int ls_audit_tar_dir(int fd, const char *dir);
/* The tar read from fd into the new directory dir: only the package's
 * own file names, once each, regular files of at most LS_AUDIT_TAR_MAX
 * bytes (LS_EUNSAFE otherwise; LS_EFORMAT for a truncated tar).  dir
 * appears only once every file is durable (DIR.partial-XXXXXX, renamed);
 * a failure leaves nothing at dir.  LS_EEXISTS when dir is there. */
int ls_audit_untar_fd(const char *dir, int fd);

/* audit_fetch.c: the package from a server (GET /v1/audit/package with
 * the token of token_file; cacert may be NULL) into a new directory dir,
 * downloaded into an unlinked temporary file beside dir (at most
 * LS_AUDIT_TAR_MAX bytes) and then extracted: nothing appears at dir
 * unless the whole package arrived.  LS_ENET naming the HTTP status,
 * LS_EUNSAFE for a foreign tar entry, LS_ETOOBIG. */
int ls_audit_fetch(const char *dir, const char *server, const char *token_file,
    const char *cacert, const struct ls_audit_opts *o);

/* audit_sum.c: the summary of records as JSON, and its renderings.
 * Streamed: one record at a time in the order of records.jsonl, in memory
 * that grows with agents, days, versions and rules, not with records
 * (see audit_acc.h).  ls_audit_summary does the same over an array.
 * LS_ENOMEM. */
struct ls_audit_acc;
int ls_audit_acc_new(struct ls_audit_acc **out, const struct ls_audit_opts *o);
int ls_audit_acc_add(struct ls_audit_acc *acc, json_t *entry);
int ls_audit_acc_finish(struct ls_audit_acc *acc, json_t **summary_out);
void ls_audit_acc_free(struct ls_audit_acc *acc);
int
ls_audit_summary(json_t **out, json_t *records, const struct ls_audit_opts *o);
int ls_audit_render_md(struct ls_buf *out, json_t *summary);
int ls_audit_render_html(struct ls_buf *out, json_t *summary);
int ls_audit_oscal(struct ls_buf *out, json_t *summary);

/* 1 when the array of control ids names the package's control (or one of
 * its framework's), else 0. */
int ls_audit_in_scope(json_t *controls, const struct ls_audit_opts *o);

/* The time of an entry: details.time for a decision (when the door made
 * it), else the entry's own time.  0 when absent or malformed. */
time_t ls_audit_entry_time(json_t *e);

/* Parse "since"/"until" style options: YYYY-MM-DD or RFC 3339; a bare
 * until date includes its whole day.  LS_EFORMAT. */
int ls_audit_time(time_t *out, const char *s, int end);

/*
 * audit_verify.c: check a package directory offline: manifest signature
 * (by log.pub) and every file's hash with no file unlisted, the
 * checkpoint's signature, every record's inclusion, the agents' batch and
 * report signatures where their enrolled key is among the records, and
 * the summary and OSCAL recomputed from the records.  *stats_out (may be
 * NULL) gets {"records", "batches_verified", ...}.  The first failure is
 * returned: LS_EBADSIG, LS_EMISMATCH, LS_EFORMAT, LS_ENOTFOUND.
 */
int ls_audit_verify(json_t **stats_out, const char *dir);

#endif
