/*
 * export.h - the evidence log as Hive-style partitions that Athena, Trino
 * or DuckDB read directly:
 *
 *   OUT/kind=report/year=2026/month=11/day=24/part-0.jsonl
 *
 * Each file holds that day's entries of that kind, in log order, as the
 * log has them (so every line still hashes to its Merkle leaf), and
 * OUT/checkpoint.note is a copy of the signed checkpoint.  Re-running
 * rewrites every partition (temp file, fsync, rename).
 */
#ifndef LOCKSTEP_SERVER_EXPORT_H
#define LOCKSTEP_SERVER_EXPORT_H

#include <stddef.h>

#define LS_EXPORT_MAX_PARTITIONS 100000

/* Check the chain, then write the partitions.  *files_out gets how many.
 * LS_EFORMAT (broken chain), LS_ETOOBIG, LS_EIO. */
int ls_evidence_export(const char *data_dir, const char *out_dir,
    size_t *files_out);

#endif
