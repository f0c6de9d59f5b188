/*
 * extract.h - safe extraction of untrusted tar.gz bundles.
 *
 * Extraction writes only into a directory it creates itself (it must not
 * exist), through openat() with O_NOFOLLOW|O_EXCL beneath it.  It refuses
 * absolute paths, "..", ".", empty components, symbolic and hard links,
 * devices, FIFOs, duplicate names and anything past the caps, with
 * LS_EUNSAFE or LS_ETOOBIG naming the entry.  On any failure the new
 * directory is removed again, so nothing remains.
 *
 * The archive is checked completely before anything is created (a hostile
 * one leaves no trace), then extracted with every check applied again.
 * The size cap counts content while it streams, so an expansion bomb stops
 * at the cap.  Files are created 0644 and directories 0755 whatever the
 * archive says; owners and times are not restored.  Files and new
 * directories are fsynced, and so is dest_dir's parent.
 */
#ifndef LOCKSTEP_EXTRACT_H
#define LOCKSTEP_EXTRACT_H

#include <stddef.h>
#include <stdint.h>

struct ls_extract_limits {
	uint64_t max_total; /* bytes of file content; default 256 MiB */
	size_t max_entries; /* default 10,000 */
	size_t max_depth;   /* path components; default 32 */
	size_t max_name;    /* bytes of a whole path; default 1,024 */
};

void ls_extract_limits_default(struct ls_extract_limits *l);

/* Extract into dest_dir, which must not exist (LS_EEXISTS) and whose
 * parent must.  lim may be NULL for the defaults.  LS_EUNSAFE, LS_ETOOBIG,
 * LS_EEXISTS (duplicate entry), LS_ECONFLICT (a path both file and
 * directory), LS_EFORMAT (not a tar.gz), LS_ENOTFOUND, LS_EIO. */
int ls_extract_file(const char *tgz_path, const char *dest_dir,
    const struct ls_extract_limits *lim);
int ls_extract_mem(const void *tgz, size_t len, const char *dest_dir,
    const struct ls_extract_limits *lim);

#endif
