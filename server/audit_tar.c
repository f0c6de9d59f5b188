/* audit_tar.c - the audit package as one tar (served by the server,
 * downloaded by `lockstep audit --server` and by the auditor page) and
 * back into a directory, accepting only the package's own file names. */
#include <stdlib.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>

#include "audit.h"
#include "lockstep/error.h"

static la_ssize_t
tar_write(struct archive *a, void *arg, const void *p, size_t n)
{
	(void)a;
	return ls_buf_add(arg, p, n) == 0 ? (la_ssize_t)n : -1;
}

static int
tar_entry(struct archive *a, const struct ls_audit_file *f)
{
	struct archive_entry *e = archive_entry_new();
	int rc = 0;

	if (e == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	archive_entry_set_pathname(e, f->name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, (la_int64_t)f->data.len);
	archive_entry_set_mtime(e, 0, 0);
	if (archive_write_header(a, e) != ARCHIVE_OK ||
	    (f->data.len > 0 &&
		archive_write_data(a, f->data.data, f->data.len) !=
		    (la_ssize_t)f->data.len))
		rc =
		    ls_error_set(LS_ENOMEM, "tar: %s", archive_error_string(a));
	archive_entry_free(e);
	return rc;
}

int
ls_audit_tar(struct ls_buf *out, const struct ls_audit_pkg *p)
{
	struct archive *a = archive_write_new();
	size_t i;
	int rc = 0;

	if (a == NULL ||
	    archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
	    archive_write_open(a, out, NULL, tar_write, NULL) != ARCHIVE_OK)
		rc = ls_error_set(LS_ENOMEM, "tar: cannot start");
	for (i = 0; rc == 0 && i < p->n; i++)
		rc = tar_entry(a, &p->files[i]);
	if (rc == 0 && archive_write_close(a) != ARCHIVE_OK)
		rc =
		    ls_error_set(LS_ENOMEM, "tar: %s", archive_error_string(a));
	archive_write_free(a);
	return rc;
}

/* Read the current entry (a regular file of a known name) into f. */
static int
untar_entry(struct archive *a, struct archive_entry *e, struct ls_audit_file *f,
    const char *const *names, size_t nnames)
{
	const char *name = archive_entry_pathname(e);
	la_int64_t size = archive_entry_size(e);
	char buf[65536];
	la_ssize_t got;
	size_t i;

	for (i = 0; name != NULL && i < nnames; i++)
		if (strcmp(name, names[i]) == 0)
			break;
	if (name == NULL || i == nnames ||
	    archive_entry_filetype(e) != AE_IFREG || size < 0 ||
	    (uint64_t)size > LS_AUDIT_RECORDS_MAX)
		return ls_error_set(LS_EUNSAFE,
		    "tar: entry '%.80s' is not "
		    "a package file",
		    name ? name : "");
	f->name = names[i];
	ls_buf_init(&f->data, (size_t)size + 1);
	while ((got = archive_read_data(a, buf, sizeof(buf))) > 0)
		if (ls_buf_add(&f->data, buf, (size_t)got) != 0)
			return ls_error_set(LS_ETOOBIG, "tar: %s too big",
			    name);
	if (got < 0 || f->data.len != (size_t)size)
		return ls_error_set(LS_EFORMAT, "tar: %s truncated", name);
	return 0;
}

int
ls_audit_untar(const char *dir, const void *tar, size_t len)
{
	static const char *const names[] = { "records.jsonl", "proofs.jsonl",
		"checkpoint.note", "log.pub", "summary.json", "summary.md",
		"summary.html", "oscal/assessment-results.json",
		"manifest.note" };
	struct ls_audit_pkg p;
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	int rc = 0, r = ARCHIVE_EOF;

	memset(&p, 0, sizeof(p));
	if (a == NULL || archive_read_support_format_tar(a) != ARCHIVE_OK ||
	    archive_read_open_memory(a, tar, len) != ARCHIVE_OK)
		rc = ls_error_set(LS_EFORMAT, "not a tar archive");
	while (rc == 0 && (r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		if (p.n == LS_AUDIT_MAX_FILES)
			rc = ls_error_set(LS_ETOOBIG, "tar: too many entries");
		else
			rc = untar_entry(a, e, &p.files[p.n++], names,
			    sizeof(names) / sizeof(names[0]));
	}
	if (rc == 0 && r != ARCHIVE_EOF)
		rc = ls_error_set(LS_EFORMAT, "tar: %s",
		    archive_error_string(a));
	if (rc == 0)
		rc = ls_audit_write_dir(&p, dir);
	ls_audit_pkg_cleanup(&p);
	archive_read_free(a);
	return rc;
}
