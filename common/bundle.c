/* bundle.c - reproducible policy bundles (tar.gz) with libarchive. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "lockstep/bundle.h"
#include "lockstep/error.h"
#include "lockstep/extract.h"
#include "lockstep/file.h"
#include "lockstep/hash.h"
#include "tarread.h"
#include "tarsafe.h"

/* Bytes of a written tar.gz: content plus headers and gzip overhead. */
#define BUNDLE_OUT_MAX (LS_BUNDLE_MAX_BYTES + 64ULL * 1024 * 1024)

void
ls_bundle_files_init(struct ls_bundle_files *f)
{
	memset(f, 0, sizeof(*f));
}

void
ls_bundle_files_cleanup(struct ls_bundle_files *f)
{
	size_t i;

	for (i = 0; i < f->n; i++) {
		free(f->v[i].path);
		free(f->v[i].data);
	}
	free(f->v);
	pathset_free(f->index);
	memset(f, 0, sizeof(*f));
}

/* Take ownership of path and data (both freed on failure). */
static int
files_push(struct ls_bundle_files *f, char *path, uint8_t *data, size_t len)
{
	struct ls_bundle_file *v;
	size_t cap;
	int rc = 0;

	if (f->index == NULL && (f->index = pathset_new()) == NULL) {
		rc = ls_error_set(LS_ENOMEM, "out of memory");
		goto fail;
	}
	if (f->n >= LS_BUNDLE_MAX_FILES) {
		rc = ls_error_set(LS_ETOOBIG, "%s: more than %d files", path,
		    LS_BUNDLE_MAX_FILES);
		goto fail;
	}
	if (len > LS_BUNDLE_MAX_BYTES - f->total) {
		rc = ls_error_set(LS_ETOOBIG,
		    "%s: bundle content over %llu bytes", path,
		    (unsigned long long)LS_BUNDLE_MAX_BYTES);
		goto fail;
	}
	if (f->n == f->cap) {
		cap = f->cap ? f->cap * 2 : 16;
		if ((v = realloc(f->v, cap * sizeof(*v))) == NULL) {
			rc = ls_error_set(LS_ENOMEM, "out of memory");
			goto fail;
		}
		f->v = v;
		f->cap = cap;
	}
	if ((rc = pathset_add_file(f->index, path)) < 0) {
		rc = ls_error_wrap(rc, "%s", path);
		goto fail;
	}
	f->v[f->n].path = path;
	f->v[f->n].data = data;
	f->v[f->n].len = len;
	f->n++;
	f->total += len;
	return 0;
fail:
	free(path);
	free(data);
	return rc;
}

int
ls_bundle_files_add(struct ls_bundle_files *f, const char *path,
    const void *data, size_t len)
{
	struct ls_extract_limits lim;
	char *p = NULL;
	uint8_t *d = NULL;
	int rc;

	ls_extract_limits_default(&lim);
	if ((rc = tarsafe_check_path(path, lim.max_depth, lim.max_name)) < 0)
		return ls_error_wrap(rc, "%.200s", path);
	if (len > LS_BUNDLE_MAX_BYTES)
		return ls_error_set(LS_ETOOBIG, "%s: %zu bytes", path, len);
	p = strdup(path);
	d = malloc(len ? len : 1);
	if (p == NULL || d == NULL) {
		free(p);
		free(d);
		return ls_error_set(LS_ENOMEM, "out of memory");
	}
	if (len > 0)
		memcpy(d, data, len);
	return files_push(f, p, d, len);
}

/* ---- collecting a directory ---- */

/* A directory walk: its top for messages, and one file to leave out (the
 * bundle being written, when it lies inside the source directory, so a
 * second build does not swallow the first one's output). */
struct walk {
	const char *top;
	int skip; /* 1 if skip_dev/skip_ino are set */
	dev_t skip_dev;
	ino_t skip_ino;
};

static int collect_dir(struct ls_bundle_files *f, int fd, const char *rel,
    const struct walk *w, size_t depth);

static int
read_fd(uint8_t **out, size_t *out_len, int fd, size_t max)
{
	struct ls_buf b;
	char chunk[16384];
	ssize_t n;
	int rc = 0;

	ls_buf_init(&b, max);
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = ls_error_set(LS_EIO, "%s", strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		if ((rc = ls_buf_add(&b, chunk, (size_t)n)) < 0)
			goto out;
	}
	*out = (uint8_t *)ls_buf_take(&b, out_len);
	if (*out == NULL)
		rc = ls_error_set(LS_ENOMEM, "out of memory");
out:
	ls_buf_cleanup(&b);
	return rc;
}

static int
collect_file(struct ls_bundle_files *f, int dfd, const char *name,
    const char *rel)
{
	uint8_t *data = NULL;
	size_t len = 0;
	char *path = NULL;
	struct stat st;
	int fd, rc;

	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return ls_error_set(LS_EIO, "%s: %s", rel, strerror(errno));
	/* It may have been swapped since fstatat: check what we opened. */
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return ls_error_set(LS_EUNSAFE, "%s: not a regular file", rel);
	}
	rc = read_fd(&data, &len, fd, LS_BUNDLE_MAX_BYTES - f->total);
	close(fd);
	if (rc < 0)
		return ls_error_wrap(rc, "%s", rel);
	if ((path = strdup(rel)) == NULL) {
		free(data);
		return ls_error_set(LS_ENOMEM, "out of memory");
	}
	return files_push(f, path, data, len);
}

/* One directory entry: recurse, read, skip or refuse. */
static int
collect_entry(struct ls_bundle_files *f, int dfd, const char *name,
    const char *rel, const struct walk *w, size_t depth)
{
	struct ls_extract_limits lim;
	struct stat st;
	int fd, rc;

	ls_extract_limits_default(&lim);
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return ls_error_set(LS_EIO, "%s/%s: %s", w->top, rel,
		    strerror(errno));
	if (w->skip && st.st_dev == w->skip_dev && st.st_ino == w->skip_ino)
		return 0;
	if (S_ISDIR(st.st_mode)) {
		fd = openat(dfd, name,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return ls_error_set(LS_EIO, "%s/%s: %s", w->top, rel,
			    strerror(errno));
		return collect_dir(f, fd, rel, w, depth + 1);
	}
	if (!S_ISREG(st.st_mode))
		return ls_error_set(LS_EUNSAFE,
		    "%s/%s: not a regular file (links, devices and FIFOs are "
		    "refused)",
		    w->top, rel);
	if ((rc = tarsafe_check_path(rel, lim.max_depth, lim.max_name)) < 0)
		return ls_error_wrap(rc, "%s/%s", w->top, rel);
	if ((rc = collect_file(f, dfd, name, rel)) < 0)
		return ls_error_wrap(rc, "%s", w->top);
	return 0;
}

/* Walk the directory open at fd (taken: closed here). */
static int
collect_dir(struct ls_bundle_files *f, int fd, const char *rel,
    const struct walk *w, size_t depth)
{
	char sub[4096];
	struct dirent *de;
	DIR *d = NULL;
	int rc = 0, n;

	if (depth > 32) {
		close(fd);
		return ls_error_set(LS_ETOOBIG, "%s/%s: deeper than 32 levels",
		    w->top, rel);
	}
	if ((d = fdopendir(fd)) == NULL) {
		rc = ls_error_set(LS_EIO, "%s/%s: %s", w->top, rel,
		    strerror(errno));
		close(fd);
		return rc;
	}
	while (rc == 0 && (errno = 0, de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0 ||
		    strcmp(de->d_name, ".git") == 0)
			continue;
		n = snprintf(sub, sizeof(sub), "%s%s%s", rel, rel[0] ? "/" : "",
		    de->d_name);
		if (n < 0 || (size_t)n >= sizeof(sub))
			rc = ls_error_set(LS_ETOOBIG, "%s/%s: path too long",
			    w->top, rel);
		else
			rc = collect_entry(f, dirfd(d), de->d_name, sub, w,
			    depth);
	}
	if (rc == 0 && errno != 0)
		rc = ls_error_set(LS_EIO, "%s/%s: %s", w->top, rel,
		    strerror(errno));
	closedir(d);
	return rc;
}

static int
collect_top(struct ls_bundle_files *f, const char *dir, const char *skip)
{
	struct walk w = { dir, 0, 0, 0 };
	struct stat st;
	int fd;

	if (skip != NULL && stat(skip, &st) == 0) {
		w.skip = 1;
		w.skip_dev = st.st_dev;
		w.skip_ino = st.st_ino;
	}
	if (lstat(dir, &st) < 0)
		return ls_error_set(errno == ENOENT ? LS_ENOTFOUND : LS_EIO,
		    "%s: %s", dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return ls_error_set(LS_EINVAL, "%s: not a directory", dir);
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return ls_error_set(LS_EIO, "%s: %s", dir, strerror(errno));
	return collect_dir(f, fd, "", &w, 0);
}

int
ls_bundle_files_from_dir(struct ls_bundle_files *f, const char *dir)
{
	return collect_top(f, dir, NULL);
}

/* ---- writing ---- */

static la_ssize_t
buf_write_cb(struct archive *a, void *ctx, const void *p, size_t n)
{
	struct ls_buf *out = ctx;

	if (ls_buf_add(out, p, n) < 0) {
		archive_set_error(a, EFBIG, "bundle larger than %zu bytes",
		    out->max);
		return -1;
	}
	return (la_ssize_t)n;
}

static int
cmp_path(const void *a, const void *b)
{
	const struct ls_bundle_file *const *x = a, *const *y = b;

	return strcmp((*x)->path, (*y)->path); /* bytewise: unsigned */
}

/* The writer: pax-restricted tar, gzip without name or timestamp. */
static struct archive *
writer_new(struct ls_buf *out)
{
	struct archive *a = archive_write_new();

	if (a == NULL)
		return NULL;
	if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
	    archive_write_add_filter_gzip(a) != ARCHIVE_OK ||
	    archive_write_set_filter_option(a, "gzip", "timestamp", NULL) !=
		ARCHIVE_OK ||
	    archive_write_set_filter_option(a, "gzip", "compression-level",
		"9") != ARCHIVE_OK ||
	    /* No zero padding after the gzip stream. */
	    archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
	    archive_write_open2(a, out, NULL, buf_write_cb, NULL, NULL) !=
		ARCHIVE_OK) {
		archive_write_free(a);
		return NULL;
	}
	return a;
}

/* LS_ETOOBIG when the output buffer's max was hit, else LS_EIO. */
static int
writer_error(struct archive *a, const char *what)
{
	const char *msg = archive_error_string(a);

	return ls_error_set(archive_errno(a) == EFBIG ? LS_ETOOBIG : LS_EIO,
	    "%s: %s", what, msg ? msg : "write failed");
}

static int
write_entry(struct archive *a, struct archive_entry *e,
    const struct ls_bundle_file *file)
{
	archive_entry_clear(e);
	archive_entry_set_pathname(e, file->path);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, (la_int64_t)file->len);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	archive_entry_set_uname(e, "root");
	archive_entry_set_gname(e, "root");
	archive_entry_set_mtime(e, 0, 0);
	if (archive_write_header(a, e) != ARCHIVE_OK ||
	    (file->len > 0 &&
		archive_write_data(a, file->data, file->len) !=
		    (la_ssize_t)file->len))
		return writer_error(a, file->path);
	return 0;
}

int
ls_bundle_write(struct ls_buf *out, const struct ls_bundle_files *f)
{
	const struct ls_bundle_file **order = NULL;
	struct archive_entry *e = NULL;
	struct archive *a = NULL;
	size_t i;
	int rc = 0;

	if ((order = calloc(f->n ? f->n : 1, sizeof(*order))) == NULL ||
	    (e = archive_entry_new()) == NULL ||
	    (a = writer_new(out)) == NULL) {
		rc = ls_error_set(LS_ENOMEM, "bundle writer: out of memory");
		goto out;
	}
	for (i = 0; i < f->n; i++)
		order[i] = &f->v[i];
	qsort(order, f->n, sizeof(*order), cmp_path);
	for (i = 0; i < f->n; i++)
		if ((rc = write_entry(a, e, order[i])) < 0)
			goto out;
	if (archive_write_close(a) != ARCHIVE_OK)
		rc = writer_error(a, "bundle writer");
out:
	if (a != NULL)
		archive_write_free(a);
	archive_entry_free(e);
	free(order);
	return rc;
}

int
ls_bundle_build(const char *src_dir, const char *out_path, char *sha256_hex_out,
    uint64_t *len_out)
{
	struct ls_bundle_files f;
	struct ls_buf out;
	int rc;

	ls_bundle_files_init(&f);
	ls_buf_init(&out, BUNDLE_OUT_MAX);
	if ((rc = collect_top(&f, src_dir, out_path)) < 0)
		goto out;
	if ((rc = ls_bundle_write(&out, &f)) < 0) {
		rc = ls_error_wrap(rc, "%s", out_path);
		goto out;
	}
	if ((rc = ls_file_write_atomic(out_path, out.data ? out.data : "",
		 out.len, 0644)) < 0)
		goto out;
	if (sha256_hex_out != NULL)
		ls_sha256_hex(sha256_hex_out, out.data ? out.data : "",
		    out.len);
	if (len_out != NULL)
		*len_out = out.len;
out:
	ls_buf_cleanup(&out);
	ls_bundle_files_cleanup(&f);
	return rc;
}

/* ---- reading in memory ---- */

struct read_ctx {
	struct ls_bundle_files *f;
	struct ls_buf cur; /* content of the entry being read */
	char *path;	   /* owned; the entry being read */
};

static int
read_begin(void *vctx, const char *path, uint64_t size)
{
	struct read_ctx *c = vctx;

	ls_buf_cleanup(&c->cur);
	ls_buf_init(&c->cur, (size_t)size); /* tarsafe checked the cap */
	free(c->path);
	if ((c->path = strdup(path)) == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	return 0;
}

static int
read_data(void *vctx, const void *p, size_t n)
{
	struct read_ctx *c = vctx;

	return ls_buf_add(&c->cur, p, n);
}

static int
read_end(void *vctx)
{
	struct read_ctx *c = vctx;
	char *path = c->path;
	size_t len = 0;
	uint8_t *data = (uint8_t *)ls_buf_take(&c->cur, &len);

	c->path = NULL;
	if (data == NULL) {
		free(path);
		return ls_error_set(LS_ENOMEM, "out of memory");
	}
	return files_push(c->f, path, data, len);
}

int
ls_bundle_read(struct ls_bundle_files *f, const void *tgz, size_t len)
{
	static const struct tarsafe_ops ops = { NULL, read_begin, read_data,
		read_end };
	struct ls_extract_limits lim;
	struct read_ctx c = { f, { NULL, 0, 0, 0 }, NULL };
	struct tarread *t = NULL;
	int rc;

	ls_extract_limits_default(&lim);
	if ((rc = tarread_open_mem(&t, tgz, len)) < 0) {
		rc = ls_error_wrap(rc, "bundle");
		goto out;
	}
	rc = tarsafe_walk(t, "bundle", &lim, &ops, &c);
out:
	tarread_free(t);
	ls_buf_cleanup(&c.cur);
	free(c.path);
	return rc;
}
