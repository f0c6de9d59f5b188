/*
 * export.h - a copy of the evidence store's Hive partitions (see
 * evindex.c for the layout) that Athena, Trino or DuckDB read directly:
 *
 *   OUT/kind=K/framework=F/control=C/year=Y/month=MM/day=DD/<first>.jsonl
 *
 * Only files of the materialised tree are copied (each by temp file,
 * fsync, rename; a file already there with the same size is kept, so a
 * re-run adds what is new), and OUT/checkpoint.note is a copy of the
 * signed checkpoint.  Every line is an entry as logged, so it still
 * hashes to its Merkle leaf.
 */
#ifndef LOCKSTEP_SERVER_EXPORT_H
#define LOCKSTEP_SERVER_EXPORT_H

#include <stddef.h>

/* Copy the partitions.  *files_out gets how many files were copied.
 * LS_ENOTFOUND (no store), LS_EIO. */
int ls_evidence_export(const char *data_dir, const char *out_dir,
    size_t *files_out);

#endif
