/* audit_write.c - the package's files written as they are produced: a
 * buffered writer with a running sha256 per file, into a temporary
 * directory beside the target that becomes the package only once every
 * file and the signed manifest are durable (fsync, rename, fsync). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "audit_impl.h"
#include "lockstep/error.h"
#include "lockstep/file.h"
#include "lockstep/note.h"
#include "lockstep/timefmt.h"

#define PFILE_BUF ((size_t)1 << 20)
#define STALE_AGE 60 /* s: a partial this old and unlocked is a dead run's */

static int
pfile_flush(struct audit_pfile *f)
{
	if (f->len == 0)
		return 0;
	if (ls_file_write_all(f->fd, f->buf, f->len) != 0)
		return ls_error_set(LS_EIO, "%s: write failed", f->name);
	f->len = 0;
	return 0;
}

/*
 * Remove what runs killed before their rename left: DIR.partial-XXXXXX
 * beside dir that no live run holds (each run flock()s its own) and that
 * is over STALE_AGE old (a run between mkdtemp and flock is younger).
 */
static void
sweep_stale(const char *dir)
{
	char parent[PATH_MAX], path[PATH_MAX + 300];
	const char *base;
	struct dirent *e;
	struct stat st;
	size_t blen;
	DIR *d;
	int fd;

	snprintf(parent, sizeof(parent), "%s", dir);
	if ((base = strrchr(dir, '/')) != NULL) {
		parent[base - dir > 0 ? base - dir : 1] = '\0';
		base++;
	} else {
		snprintf(parent, sizeof(parent), ".");
		base = dir;
	}
	blen = strlen(base);
	if ((d = opendir(parent)) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, base, blen) != 0 ||
		    strncmp(e->d_name + blen, ".partial-", 9) != 0 ||
		    strlen(e->d_name + blen + 9) != 6)
			continue;
		snprintf(path, sizeof(path), "%s/%s", parent, e->d_name);
		fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (fstat(fd, &st) == 0 && time(NULL) - st.st_mtime > STALE_AGE &&
		    flock(fd, LOCK_EX | LOCK_NB) == 0) {
			(void)ls_file_remove_tree(path);
			fprintf(stderr,
			    "lockstep audit: removed %s, left by a run that "
			    "did not finish\n",
			    path);
		}
		close(fd);
	}
	closedir(d);
}

int
audit_out_open(struct audit_out *w, const char *dir)
{
	char parent[PATH_MAX], *slash;
	int n;

	memset(w, 0, sizeof(*w));
	n = snprintf(w->dir, sizeof(w->dir), "%s", dir);
	if (n < 0 || (size_t)n >= sizeof(w->dir) - 16)
		return ls_error_set(LS_EINVAL, "%s: path too long", dir);
	while (n > 1 && w->dir[n - 1] == '/')
		w->dir[--n] = '\0';
	if (ls_file_exists(w->dir))
		return ls_error_set(LS_EEXISTS, "%s: already there", w->dir);
	snprintf(parent, sizeof(parent), "%s", w->dir);
	if ((slash = strrchr(parent, '/')) != NULL && slash != parent) {
		*slash = '\0';
		if (ls_file_mkdirs(parent, 0755) != 0)
			return LS_EIO;
	}
	sweep_stale(w->dir);
	snprintf(w->tmp, sizeof(w->tmp), "%s.partial-XXXXXX", w->dir);
	if (mkdtemp(w->tmp) == NULL) {
		w->tmp[0] = '\0';
		return ls_error_set(LS_EIO, "%s: cannot create: %s", w->dir,
		    strerror(errno));
	}
	/* held until the rename or the cleanup: a live run's partial */
	if ((w->lockfd = open(w->tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) <
	    0)
		return ls_error_set(LS_EIO, "%s: %s", w->tmp, strerror(errno));
	w->locked = 1;
	if (flock(w->lockfd, LOCK_EX | LOCK_NB) != 0)
		return ls_error_set(LS_EIO, "%s: cannot lock: %s", w->tmp,
		    strerror(errno));
	if (chmod(w->tmp, 0755) != 0)
		return ls_error_set(LS_EIO, "%s: %s", w->tmp, strerror(errno));
	return 0;
}

struct audit_pfile *
audit_out_file(struct audit_out *w, const char *name)
{
	struct audit_pfile *f;
	char path[PATH_MAX + 64];

	if (w->n == AUDIT_FILES_MAX) {
		ls_error_set(LS_EINVAL, "audit: too many files");
		return NULL;
	}
	f = &w->f[w->n];
	memset(f, 0, sizeof(*f));
	f->name = name;
	f->fd = -1;
	if (strchr(name, '/') != NULL) {
		snprintf(path, sizeof(path), "%s/oscal", w->tmp);
		if (mkdir(path, 0755) != 0 && errno != EEXIST) {
			ls_error_set(LS_EIO, "%s: %s", path, strerror(errno));
			return NULL;
		}
	}
	snprintf(path, sizeof(path), "%s/%s", w->tmp, name);
	if ((f->buf = malloc(PFILE_BUF)) == NULL ||
	    (f->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
		 0644)) < 0) {
		free(f->buf);
		ls_error_set(LS_EIO, "%s: %s", path, strerror(errno));
		return NULL;
	}
	ls_sha256_stream_init(&f->h);
	w->n++;
	return f;
}

int
audit_pfile_write(struct audit_pfile *f, const void *p, size_t n)
{
	int rc;

	ls_sha256_stream_update(&f->h, p, n);
	if (n >= PFILE_BUF) {
		if ((rc = pfile_flush(f)) != 0)
			return rc;
		return ls_file_write_all(f->fd, p, n) == 0
		    ? 0
		    : ls_error_set(LS_EIO, "%s: write failed", f->name);
	}
	if (f->len + n > PFILE_BUF && (rc = pfile_flush(f)) != 0)
		return rc;
	memcpy(f->buf + f->len, p, n);
	f->len += n;
	return 0;
}

/* Flush, fsync (unless transient), close; the file's hash is final. */
static int
pfile_close(struct audit_pfile *f, int transient)
{
	int rc = 0;

	if (f->fd < 0)
		return 0;
	if ((rc = pfile_flush(f)) == 0 && !transient && fsync(f->fd) != 0)
		rc = ls_error_set(LS_EIO, "%s: fsync failed", f->name);
	close(f->fd);
	f->fd = -1;
	free(f->buf);
	f->buf = NULL;
	ls_sha256_stream_final(&f->h, f->sha);
	return rc;
}

int
audit_out_add(struct audit_out *w, const char *name, const void *p, size_t n)
{
	struct audit_pfile *f = audit_out_file(w, name);

	if (f == NULL)
		return LS_EIO;
	return audit_pfile_write(f, p, n);
}

/* The manifest body: parameters, then every file's hash. */
static int
manifest_body(struct ls_buf *b, const struct audit_out *w,
    const struct ls_audit_opts *o)
{
	char since[LS_TIME_LEN], until[LS_TIME_LEN], gen[LS_TIME_LEN];
	char hex[LS_SHA256_HEX_LEN + 1];
	size_t i;
	int rc;

	ls_time_format(since, o->since);
	ls_time_format(until, o->until);
	ls_time_format(gen, o->generated);
	rc = ls_buf_addf(b,
	    "lockstep/audit/v1\nscope %s %s\nsince %s\nuntil %s\n"
	    "silent-hours %u\ngenerated %s\n",
	    o->control ? "control" : "framework",
	    o->control ? o->control : o->framework, since, until,
	    o->silent_hours, gen);
	for (i = 0; rc == 0 && i < w->n; i++) {
		ls_hex_encode(hex, w->f[i].sha, LS_SHA256_LEN);
		rc = ls_buf_addf(b, "file %s %s\n", hex, w->f[i].name);
	}
	return rc;
}

int
audit_out_finish(struct audit_out *w, const struct ls_audit_opts *o,
    struct ls_key *key)
{
	struct ls_buf body;
	char *note = NULL;
	size_t i, len, nfiles = w->n;
	int rc = 0;

	for (i = 0; rc == 0 && i < nfiles; i++)
		rc = pfile_close(&w->f[i], w->transient);
	ls_buf_init(&body, LS_NOTE_MAX);
	if (rc == 0 && (rc = manifest_body(&body, w, o)) == 0 &&
	    (rc = ls_note_sign(&note, &len, body.data, body.len, &key, 1)) == 0)
		rc = audit_out_add(w, "manifest.note", note, len);
	free(note);
	ls_buf_cleanup(&body);
	return rc == 0 ? audit_out_commit(w) : rc;
}

int
audit_out_commit(struct audit_out *w)
{
	size_t i;
	int rc = 0;

	for (i = 0; rc == 0 && i < w->n; i++)
		rc = pfile_close(&w->f[i], w->transient);
	if (rc == 0 && !w->transient) {
		char sub[PATH_MAX + 8];

		snprintf(sub, sizeof(sub), "%s/oscal", w->tmp);
		if ((rc = ls_file_fsync_dir(w->tmp)) == 0 &&
		    ls_file_exists(sub))
			rc = ls_file_fsync_dir(sub);
	}
	if (rc == 0 &&
	    renameat2(AT_FDCWD, w->tmp, AT_FDCWD, w->dir, RENAME_NOREPLACE) !=
		0)
		rc = ls_error_set(errno == EEXIST ? LS_EEXISTS : LS_EIO,
		    "%s: %s", w->dir, strerror(errno));
	if (rc == 0) {
		w->tmp[0] = '\0';
		if (!w->transient)
			rc = ls_file_fsync_parent(w->dir);
	}
	return rc;
}

void
audit_out_cleanup(struct audit_out *w)
{
	size_t i;

	for (i = 0; i < w->n; i++) {
		if (w->f[i].fd >= 0)
			close(w->f[i].fd);
		free(w->f[i].buf);
		w->f[i].fd = -1;
		w->f[i].buf = NULL;
	}
	w->n = 0;
	if (w->tmp[0] != '\0')
		(void)ls_file_remove_tree(w->tmp);
	w->tmp[0] = '\0';
	if (w->locked)
		close(w->lockfd);
	w->locked = 0;
}
