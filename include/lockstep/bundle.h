/*
 * bundle.h - reproducible policy bundles (OPA-compatible tar.gz).
 *
 * The same file set always gives the same bytes: regular files only,
 * entries sorted by path (bytewise), owner 0/0 "root", mode 0644, mtime 0,
 * pax-restricted tar, gzip header with no name and mtime 0.  So an auditor
 * can rebuild a tag from git and compare sha256.
 */
#ifndef LOCKSTEP_BUNDLE_H
#define LOCKSTEP_BUNDLE_H

#include <stddef.h>
#include <stdint.h>

#include "lockstep/buf.h"

#define LS_BUNDLE_MAX_FILES 10000
#define LS_BUNDLE_MAX_BYTES (256ULL * 1024 * 1024)

struct pathset;

struct ls_bundle_file {
	char *path;    /* owned; relative, '/'-separated, no "." or ".." */
	uint8_t *data; /* owned */
	size_t len;
};

/* A list of files, in any order; the writer sorts. */
struct ls_bundle_files {
	struct ls_bundle_file *v; /* owned */
	size_t n, cap;
	uint64_t total;	       /* sum of len */
	struct pathset *index; /* private: catches duplicates */
};

void ls_bundle_files_init(struct ls_bundle_files *f);
void ls_bundle_files_cleanup(struct ls_bundle_files *f);

/* Add a copy.  LS_EUNSAFE for a bad path, LS_EEXISTS for a duplicate,
 * LS_ECONFLICT for a path that is also a directory ("a" and "a/b"),
 * LS_ETOOBIG past the caps.  f is unchanged on error. */
int ls_bundle_files_add(struct ls_bundle_files *f, const char *path,
    const void *data, size_t len);

/* Collect the regular files under dir, hidden ones (.manifest) included
 * and any directory named .git skipped; refuses symbolic links, devices,
 * FIFOs and sockets with LS_EUNSAFE naming the file, LS_ENOTFOUND if dir
 * is absent.  File modes and times are not recorded. */
int ls_bundle_files_from_dir(struct ls_bundle_files *f, const char *dir);

/* Write the reproducible tar.gz of f into out (f's order does not
 * matter).  LS_ETOOBIG if out's max is too small. */
int ls_bundle_write(struct ls_buf *out, const struct ls_bundle_files *f);

/* Directory -> tar.gz file at out_path (atomic, mode 0644).  When out_path
 * lies inside src_dir, the existing output is left out of the bundle, so
 * building twice gives the same bytes.  sha256_hex_out (65 bytes) and
 * len_out may be NULL. */
int ls_bundle_build(const char *src_dir, const char *out_path,
    char *sha256_hex_out, uint64_t *len_out);

/* Read a bundle from memory into f, with the same caps and checks as
 * extraction (ls_extract_*, default limits); nothing touches disk.
 * LS_EUNSAFE, LS_ETOOBIG, LS_EEXISTS, LS_ECONFLICT or LS_EFORMAT naming
 * the entry; on failure f may hold the files read so far (clean it up). */
int ls_bundle_read(struct ls_bundle_files *f, const void *tgz, size_t len);

#endif
