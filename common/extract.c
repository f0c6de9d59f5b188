/*
 * extract.c - safe extraction of untrusted tar.gz bundles.
 *
 * One pass: every entry is checked (path, type, caps) before anything of
 * it is written, and on any failure the fresh destination is removed
 * again, so a refused archive leaves nothing behind.  (An earlier version
 * inflated everything twice, checking first; that doubled activation time
 * for every good bundle to spare a hostile one at most the size cap of
 * disk writes.)  Writes go through openat() beneath a directory descriptor of
 * the fresh destination, never through a path string, with O_NOFOLLOW and
 * O_EXCL, so nothing can land outside it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lockstep/error.h"
#include "lockstep/extract.h"
#include "lockstep/file.h"
#include "tarread.h"
#include "tarsafe.h"

#define PATH_BUF 4096

void
ls_extract_limits_default(struct ls_extract_limits *l)
{
	l->max_total = 256ULL * 1024 * 1024;
	l->max_entries = 10000;
	l->max_depth = 32;
	l->max_name = 1024;
}

/* Where the archive bytes come from: a file descriptor or memory. */
struct source {
	const char *name; /* for messages */
	int fd;		  /* -1 for memory */
	const void *mem;
	size_t len;
};

struct write_ctx {
	int root;	  /* descriptor of the destination directory */
	int fd;		  /* file being written, -1 between files */
	const char *dest; /* for messages */
};

/* Open (creating if absent) the directory name beneath dfd. */
static int
open_subdir(int dfd, const char *name)
{
	int fd;

	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0 || errno != ENOENT)
		return fd;
	if (mkdirat(dfd, name, 0755) < 0)
		return -1;
	/* Make the new name durable with the directory that holds it. */
	if (fsync(dfd) < 0)
		return -1;
	return openat(dfd, name,
	    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/*
 * Walk the parents of path from root, creating them; returns a descriptor
 * of the last parent and points *leaf at the last component.  With
 * whole != 0 the last component is a directory to create too.
 */
static int
open_parent(int root, char *path, const char **leaf, int whole)
{
	char *comp = path, *slash;
	int dfd = root, next;

	for (;;) {
		slash = strchr(comp, '/');
		if (slash == NULL && !whole)
			break;
		if (slash != NULL)
			*slash = '\0';
		next = open_subdir(dfd, comp);
		if (dfd != root)
			close(dfd);
		if (next < 0)
			return -1;
		dfd = next;
		if (slash == NULL)
			break;
		comp = slash + 1;
	}
	*leaf = comp;
	return dfd == root ? dup(root) : dfd;
}

static int
op_dir(void *vctx, const char *path)
{
	struct write_ctx *c = vctx;
	char buf[PATH_BUF];
	const char *leaf;
	int fd;

	if (strlen(path) >= sizeof(buf))
		return ls_error_set(LS_ETOOBIG, "path too long");
	memcpy(buf, path, strlen(path) + 1);
	if ((fd = open_parent(c->root, buf, &leaf, 1)) < 0)
		return ls_error_set(LS_EIO, "%s: %s", c->dest, strerror(errno));
	close(fd);
	return 0;
}

static int
op_begin(void *vctx, const char *path, uint64_t size)
{
	struct write_ctx *c = vctx;
	char buf[PATH_BUF];
	const char *leaf;
	int dfd;

	(void)size;
	if (strlen(path) >= sizeof(buf))
		return ls_error_set(LS_ETOOBIG, "path too long");
	memcpy(buf, path, strlen(path) + 1);
	if ((dfd = open_parent(c->root, buf, &leaf, 0)) < 0)
		return ls_error_set(LS_EIO, "%s: %s", c->dest, strerror(errno));
	c->fd = openat(dfd, leaf,
	    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (c->fd < 0) {
		int err = errno;

		close(dfd);
		return ls_error_set(err == EEXIST ? LS_EEXISTS : LS_EIO,
		    "%s: %s", c->dest, strerror(err));
	}
	close(dfd);
	return 0;
}

static int
op_data(void *vctx, const void *p, size_t n)
{
	struct write_ctx *c = vctx;

	if (ls_file_write_all(c->fd, p, n) < 0)
		return ls_error_set(LS_EIO, "%s: write: %s", c->dest,
		    strerror(errno));
	return 0;
}

static int
op_end(void *vctx)
{
	struct write_ctx *c = vctx;
	int rc = 0;

	if (fsync(c->fd) < 0)
		rc = ls_error_set(LS_EIO, "%s: fsync: %s", c->dest,
		    strerror(errno));
	if (close(c->fd) < 0 && rc == 0)
		rc = ls_error_set(LS_EIO, "%s: close: %s", c->dest,
		    strerror(errno));
	c->fd = -1;
	return rc;
}

/* One pass over src, handing every checked entry to ops. */
static int
walk_source(const struct source *src, const struct ls_extract_limits *lim,
    const struct tarsafe_ops *ops, void *ctx)
{
	struct tarread *t = NULL;
	int rc;

	if (src->fd >= 0 && lseek(src->fd, 0, SEEK_SET) < 0)
		return ls_error_set(LS_EIO, "%s: %s", src->name,
		    strerror(errno));
	rc = src->fd >= 0 ? tarread_open_fd(&t, src->fd)
			  : tarread_open_mem(&t, src->mem, src->len);
	if (rc < 0)
		return ls_error_wrap(rc, "%s", src->name);
	rc = tarsafe_walk(t, src->name, lim, ops, ctx);
	tarread_free(t);
	return rc;
}

static int
extract(const struct source *src, const char *dest,
    const struct ls_extract_limits *lim)
{
	static const struct tarsafe_ops ops = { op_dir, op_begin, op_data,
		op_end };
	struct ls_extract_limits def;
	struct write_ctx c = { -1, -1, dest };
	int rc, made = 0;

	if (lim == NULL) {
		ls_extract_limits_default(&def);
		lim = &def;
	}
	if (mkdir(dest, 0755) < 0) {
		rc = ls_error_set(errno == EEXIST ? LS_EEXISTS : LS_EIO,
		    "%s: %s", dest,
		    errno == EEXIST
			? "already exists (extraction needs a fresh directory)"
			: strerror(errno));
		goto out;
	}
	made = 1;
	c.root = open(dest, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (c.root < 0) {
		rc = ls_error_set(LS_EIO, "%s: %s", dest, strerror(errno));
		goto out;
	}
	if ((rc = walk_source(src, lim, &ops, &c)) < 0)
		goto out;
	if (fsync(c.root) < 0) {
		rc = ls_error_set(LS_EIO, "%s: fsync: %s", dest,
		    strerror(errno));
		goto out;
	}
	rc = ls_file_fsync_parent(dest);
out:
	if (c.fd >= 0)
		close(c.fd);
	if (c.root >= 0)
		close(c.root);
	if (rc < 0 && made) {
		int keep = rc;
		char msg[512];

		snprintf(msg, sizeof(msg), "%s", ls_error_last());
		ls_file_remove_tree(dest);
		rc = ls_error_set(keep, "%s", msg);
	}
	return rc;
}

int
ls_extract_file(const char *tgz_path, const char *dest_dir,
    const struct ls_extract_limits *lim)
{
	struct source src = { tgz_path, -1, NULL, 0 };
	struct stat st;
	int rc;

	src.fd = open(tgz_path, O_RDONLY | O_CLOEXEC);
	if (src.fd < 0)
		return ls_error_set(errno == ENOENT ? LS_ENOTFOUND : LS_EIO,
		    "%s: %s", tgz_path, strerror(errno));
	if (fstat(src.fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(src.fd);
		return ls_error_set(LS_EINVAL, "%s: not a regular file",
		    tgz_path);
	}
	rc = extract(&src, dest_dir, lim);
	close(src.fd);
	return rc;
}

int
ls_extract_mem(const void *tgz, size_t len, const char *dest_dir,
    const struct ls_extract_limits *lim)
{
	struct source src = { "bundle", -1, tgz, len };

	return extract(&src, dest_dir, lim);
}
