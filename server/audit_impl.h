/* audit_impl.h - private to the audit package's build (audit.c,
 * audit_write.c, audit_tar.c). */
#ifndef LOCKSTEP_SERVER_AUDIT_IMPL_H
#define LOCKSTEP_SERVER_AUDIT_IMPL_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

#include "audit.h"
#include "lockstep/key.h"

#define AUDIT_FILES_MAX 12
#define AUDIT_PKG_NFILES 9

/* The package's file names, in the order of its tar (audit.c). */
extern const char *const audit_pkg_names[AUDIT_PKG_NFILES];

/* One package file being written: buffered, hashed as it goes. */
struct audit_pfile {
	const char *name; /* static */
	int fd;
	char *buf;
	size_t len;
	struct ls_sha256_stream h;
	uint8_t sha[LS_SHA256_LEN]; /* once closed */
};

/* The package directory being written: DIR.partial-XXXXXX until the
 * manifest is signed, then renamed to DIR. */
struct audit_out {
	char dir[PATH_MAX - 32];
	char tmp[PATH_MAX];
	struct audit_pfile f[AUDIT_FILES_MAX];
	size_t n;
	int transient; /* read back and removed: no fsync */
	int lockfd;    /* tmp, flock()ed while this run writes it, */
	int locked;    /* when this is 1 */
};

/* LS_EEXISTS when dir is there, LS_EIO. */
int audit_out_open(struct audit_out *w, const char *dir);
/* A new file of the package (NULL with the error set). */
struct audit_pfile *audit_out_file(struct audit_out *w, const char *name);
int audit_pfile_write(struct audit_pfile *f, const void *p, size_t n);
/* A whole small file at once. */
int audit_out_add(struct audit_out *w, const char *name, const void *p,
    size_t n);
/* Close every file, sign the manifest of their hashes with key, make the
 * directory the package. */
int audit_out_finish(struct audit_out *w, const struct ls_audit_opts *o,
    struct ls_key *key);
/* Close every file and make the directory the package (durably unless
 * transient): what audit_out_finish does after the manifest, and all
 * that a package read from a tar needs. */
int audit_out_commit(struct audit_out *w);
/* Remove what is left of an unfinished package. */
void audit_out_cleanup(struct audit_out *w);

#endif
