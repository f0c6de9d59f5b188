/* audit_tar.c - the audit package as one tar (served by the server,
 * downloaded by `lockstep audit --server` and by the auditor page) and
 * back into a directory, accepting only the package's own file names.
 * Both ways go through files a block at a time: a package of any size
 * costs the same memory. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "audit.h"
#include "audit_impl.h"
#include "lockstep/error.h"

#define TAR_BLOCK 65536

/* Append dir/name to a (same header as the in-memory tar had: mode
 * 0644, mtime 0), then remove the file. */
static int
tar_file(struct archive *a, const char *dir, const char *name, char *buf)
{
	struct archive_entry *e = NULL;
	char path[PATH_MAX];
	struct stat st;
	uint64_t done = 0;
	ssize_t got = 0;
	int fd, rc = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0 ||
	    fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		rc = ls_error_set(errno == ENOENT ? LS_ENOTFOUND : LS_EIO,
		    "%s: %s", path, strerror(errno));
		goto out;
	}
	if ((e = archive_entry_new()) == NULL) {
		rc = ls_error_set(LS_ENOMEM, "out of memory");
		goto out;
	}
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, (la_int64_t)st.st_size);
	archive_entry_set_mtime(e, 0, 0);
	if (archive_write_header(a, e) != ARCHIVE_OK)
		rc = ls_error_set(LS_EIO, "tar: %s", archive_error_string(a));
	while (rc == 0 && done < (uint64_t)st.st_size &&
	    (got = read(fd, buf, TAR_BLOCK)) > 0) {
		if (archive_write_data(a, buf, (size_t)got) != got)
			rc = ls_error_set(LS_EIO, "tar: %s",
			    archive_error_string(a));
		done += (uint64_t)got;
	}
	if (rc == 0 && done != (uint64_t)st.st_size)
		rc = ls_error_set(LS_EIO, "%s: changed while read", path);
	if (rc == 0 && unlink(path) != 0)
		rc = ls_error_set(LS_EIO, "%s: %s", path, strerror(errno));
out:
	archive_entry_free(e);
	if (fd >= 0)
		close(fd);
	return rc;
}

int
ls_audit_tar_dir(int fd, const char *dir)
{
	struct archive *a = archive_write_new();
	char *buf = malloc(TAR_BLOCK);
	size_t i;
	int rc = 0;

	if (a == NULL || buf == NULL ||
	    archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
	    archive_write_open_fd(a, fd) != ARCHIVE_OK)
		rc = ls_error_set(LS_EIO, "tar: cannot start");
	for (i = 0; rc == 0 && i < AUDIT_PKG_NFILES; i++)
		rc = tar_file(a, dir, audit_pkg_names[i], buf);
	if (rc == 0 && archive_write_close(a) != ARCHIVE_OK)
		rc = ls_error_set(LS_EIO, "tar: %s", archive_error_string(a));
	archive_write_free(a);
	free(buf);
	return rc;
}

/* The package name an entry may have, or NULL (foreign, or twice). */
static const char *
known_name(const char *name, const struct audit_out *w)
{
	size_t i;

	for (i = 0; name != NULL && i < w->n; i++)
		if (strcmp(name, w->f[i].name) == 0)
			return NULL;
	for (i = 0; name != NULL && i < AUDIT_PKG_NFILES; i++)
		if (strcmp(name, audit_pkg_names[i]) == 0)
			return audit_pkg_names[i];
	return NULL;
}

/* Copy the current entry (a regular file of a known name) into w. */
static int
untar_entry(struct archive *a, struct archive_entry *e, struct audit_out *w,
    char *buf)
{
	const char *ename = archive_entry_pathname(e);
	const char *name = known_name(ename, w);
	la_int64_t size = archive_entry_size(e);
	struct audit_pfile *f;
	uint64_t done = 0;
	la_ssize_t got;
	int rc = 0;

	if (name == NULL || archive_entry_filetype(e) != AE_IFREG || size < 0 ||
	    (uint64_t)size > LS_AUDIT_TAR_MAX)
		return ls_error_set(LS_EUNSAFE,
		    "tar: entry '%.80s' is not a package file (or twice)",
		    ename ? ename : "");
	if ((f = audit_out_file(w, name)) == NULL)
		return LS_EIO;
	while (rc == 0 && (got = archive_read_data(a, buf, TAR_BLOCK)) > 0) {
		done += (uint64_t)got;
		rc = audit_pfile_write(f, buf, (size_t)got);
	}
	if (rc == 0 && (got < 0 || done != (uint64_t)size))
		rc = ls_error_set(LS_EFORMAT, "tar: %s truncated", name);
	return rc;
}

int
ls_audit_untar_fd(const char *dir, int fd)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	struct audit_out w;
	char *buf = malloc(TAR_BLOCK);
	int rc, r = ARCHIVE_EOF;

	if ((rc = audit_out_open(&w, dir)) != 0)
		goto out;
	if (a == NULL || buf == NULL ||
	    archive_read_support_format_tar(a) != ARCHIVE_OK ||
	    archive_read_open_fd(a, fd, TAR_BLOCK) != ARCHIVE_OK) {
		rc = ls_error_set(LS_EFORMAT, "not a tar archive");
		goto out;
	}
	while (rc == 0 && (r = archive_read_next_header(a, &e)) == ARCHIVE_OK)
		rc = untar_entry(a, e, &w, buf);
	if (rc == 0 && r != ARCHIVE_EOF)
		rc = ls_error_set(LS_EFORMAT, "tar: %s",
		    archive_error_string(a));
	if (rc == 0 && w.n != AUDIT_PKG_NFILES)
		rc = ls_error_set(LS_EFORMAT,
		    "tar: %zu of the %d package files", w.n, AUDIT_PKG_NFILES);
	if (rc == 0)
		rc = audit_out_commit(&w);
out:
	audit_out_cleanup(&w);
	archive_read_free(a);
	free(buf);
	return rc;
}
