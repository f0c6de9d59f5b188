/*
 * extract.h - safe extraction of untrusted tar.gz bundles.
 *
 * Extraction writes only into a directory it creates itself (it must not
 * exist), through openat() with O_NOFOLLOW|O_EXCL beneath it.  It refuses
 * absolute paths, "..", ".", empty components, symbolic and hard links,
 * devices, FIFOs, duplicate names and anything past the caps, with
 * LS_EUNSAFE or LS_ETOOBIG naming the entry.  On any failure the new
 * directory is removed again, so nothing remains.
 */
#ifndef LOCKSTEP_EXTRACT_H
#define LOCKSTEP_EXTRACT_H

#include <stddef.h>
#include <stdint.h>

struct ls_extract_limits {
	uint64_t max_total;	/* bytes of file content; default 256 MiB */
	size_t max_entries;	/* default 10,000 */
	size_t max_depth;	/* path components; default 32 */
	size_t max_name;	/* bytes of a whole path; default 1,024 */
};

void ls_extract_limits_default(struct ls_extract_limits *l);

/* lim may be NULL for the defaults. */
int ls_extract_file(const char *tgz_path, const char *dest_dir,
    const struct ls_extract_limits *lim);
int ls_extract_mem(const void *tgz, size_t len, const char *dest_dir,
    const struct ls_extract_limits *lim);

#endif
