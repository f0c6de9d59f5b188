/*
 * tarsafe.h - internal to common/: the one place that decides whether an
 * entry of an untrusted tar(.gz) is acceptable.  bundle.c (ls_bundle_read)
 * and extract.c (ls_extract_*) both walk archives through tarsafe_walk, so
 * reading a bundle in memory and extracting it apply exactly the same
 * caps and checks.
 */
#ifndef LOCKSTEP_TARSAFE_H
#define LOCKSTEP_TARSAFE_H

#include <stddef.h>
#include <stdint.h>

#include "lockstep/extract.h"

struct tarread;

#define TARSAFE_MAX_COMPONENT 255 /* bytes of one path component */

/*
 * Check one relative path: not empty, not absolute, no "", "." or ".."
 * component, no control character or backslash, at most max_depth
 * components, max_name bytes in all and TARSAFE_MAX_COMPONENT per
 * component.  LS_EUNSAFE or LS_ETOOBIG with a message naming the reason
 * (the caller adds the file name).
 */
int tarsafe_check_path(const char *path, size_t max_depth, size_t max_name);

/*
 * A set of paths that remembers whether each is a file or a directory, so
 * that duplicates ("a" twice) and file/directory clashes ("a" then "a/b")
 * are caught however the entries are ordered.
 */
struct pathset;

struct pathset *pathset_new(void);    /* NULL on ENOMEM */
void pathset_free(struct pathset *s); /* NULL ok */

/* Record a regular file (and its parents as directories).  LS_EEXISTS for
 * a duplicate, LS_ECONFLICT for a file/directory clash, LS_ENOMEM. */
int pathset_add_file(struct pathset *s, const char *path);

/* Record a directory (and its parents).  LS_ECONFLICT if it is a file. */
int pathset_add_dir(struct pathset *s, const char *path);

/* What to do with each accepted entry.  Any member may be NULL; a callback
 * returning non-zero stops the walk with that code. */
struct tarsafe_ops {
	int (*dir)(void *ctx, const char *path);
	int (*file_begin)(void *ctx, const char *path, uint64_t size);
	int (*file_data)(void *ctx, const void *p, size_t n);
	int (*file_end)(void *ctx);
};

/*
 * Read every entry of the opened archive t (tarread.h).  Refuses links, devices,
 * FIFOs, sockets, unsafe paths, duplicates, and stops with LS_ETOOBIG as
 * soon as the content read passes lim->max_total (while streaming, not
 * after) or the entry count passes lim->max_entries.  src names the
 * archive in messages.  ops may be NULL to validate only.
 */
int tarsafe_walk(struct tarread *t, const char *src,
    const struct ls_extract_limits *lim, const struct tarsafe_ops *ops,
    void *ctx);

#endif
