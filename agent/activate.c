/* activate.c - extract, compile, fsync and swap a verified bundle. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "activate.h"
#include "lockstep/error.h"
#include "lockstep/file.h"

#define FSYNC_MAX_DEPTH 40 /* extraction caps depth at 32 */

static int
path_join(char *out, size_t sz, const char *a, const char *b)
{
	if (snprintf(out, sz, "%s/%s", a, b) >= (int)sz)
		return ls_error_set(LS_EINVAL, "%s/%s: path too long", a, b);
	return 0;
}

int
ls_activate_init(const char *state_dir)
{
	char p[PATH_MAX];
	int rc;

	if ((rc = path_join(p, sizeof(p), state_dir, "bundles")) != 0 ||
	    (rc = ls_file_mkdirs(p, 0700)) != 0 ||
	    (rc = path_join(p, sizeof(p), state_dir, "tmp")) != 0 ||
	    (rc = ls_file_mkdirs(p, 0700)) != 0)
		return rc;
	return 0;
}

/* fsync every regular file and directory below dirfd, then dirfd. */
static int
fsync_tree(int dirfd, const char *name, int depth)
{
	DIR *d = NULL;
	struct dirent *e;
	int fd, rc = 0;

	if (depth > FSYNC_MAX_DEPTH)
		return ls_error_set(LS_ETOOBIG, "%s: too deep", name);
	if ((fd = dup(dirfd)) < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return ls_error_set(LS_EIO, "%s: %s", name, strerror(errno));
	}
	while (rc == 0 && (e = readdir(d)) != NULL) {
		int cfd;
		struct stat st;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
			rc = ls_error_set(LS_EIO, "%s/%s: %s", name, e->d_name,
			    strerror(errno));
		else if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
			rc = ls_error_set(LS_EUNSAFE, "%s/%s: not a file", name,
			    e->d_name);
		else if ((cfd = openat(dirfd, e->d_name,
			      O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
			rc = ls_error_set(LS_EIO, "%s/%s: %s", name, e->d_name,
			    strerror(errno));
		else {
			if (S_ISDIR(st.st_mode))
				rc = fsync_tree(cfd, name, depth + 1);
			else if (fsync(cfd) != 0)
				rc = ls_error_set(LS_EIO, "%s/%s: fsync: %s",
				    name, e->d_name, strerror(errno));
			close(cfd);
		}
	}
	closedir(d);
	if (rc == 0 && fsync(dirfd) != 0)
		rc = ls_error_set(LS_EIO, "%s: fsync: %s", name,
		    strerror(errno));
	return rc;
}

int
ls_activate_load(struct ls_rego_policy **out, const char *state_dir,
    const char *rel_dir)
{
	char p[PATH_MAX], *err = NULL;
	int rc;

	*out = NULL;
	if ((rc = path_join(p, sizeof(p), state_dir, rel_dir)) != 0)
		return rc;
	if ((rc = ls_rego_load_dir(out, p, 0, &err)) < 0) {
		rc = ls_error_set(rc, "%s: policy: %s", rel_dir,
		    err != NULL ? err : ls_error_last());
		free(err);
	}
	return rc;
}

int
ls_activate_prepare(char *out_dir, size_t dirsz,
    struct ls_rego_policy **out_policy, const char *state_dir,
    const char *tgz_path, const char *sha_hex, uint64_t seq,
    const struct ls_extract_limits *lim)
{
	char rel[96], abs[PATH_MAX];
	int fd = -1, rc;

	*out_policy = NULL;
	/* A random suffix: a leftover of a killed attempt never collides. */
	if (snprintf(rel, sizeof(rel), "bundles/%.16s-%llu-%08x", sha_hex,
		(unsigned long long)seq,
		randombytes_random()) >= (int)sizeof(rel) ||
	    strlen(rel) >= dirsz)
		return ls_error_set(LS_EINVAL,
		    "bundle directory name too long");
	if ((rc = path_join(abs, sizeof(abs), state_dir, rel)) != 0)
		return rc;
	if ((rc = ls_extract_file(tgz_path, abs, lim)) < 0)
		return ls_error_wrap(rc, "bundle %.16s", sha_hex);
	if ((fd = open(abs, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		rc = ls_error_set(LS_EIO, "%s: %s", abs, strerror(errno));
		goto out;
	}
	if ((rc = fsync_tree(fd, rel, 0)) != 0 ||
	    (rc = ls_file_fsync_parent(abs)) != 0)
		goto out;
	if ((rc = ls_activate_load(out_policy, state_dir, rel)) < 0)
		goto out;
	memcpy(out_dir, rel, strlen(rel) + 1);
out:
	if (fd >= 0)
		close(fd);
	if (rc < 0)
		ls_file_remove_tree(abs);
	return rc;
}

int
ls_activate_swap(const char *state_dir, const char *rel_dir)
{
	char tmp[PATH_MAX], cur[PATH_MAX];
	int rc;

	if ((rc = path_join(tmp, sizeof(tmp), state_dir, "current.new")) != 0 ||
	    (rc = path_join(cur, sizeof(cur), state_dir, "current")) != 0)
		return rc;
	if (unlink(tmp) != 0 && errno != ENOENT)
		return ls_error_set(LS_EIO, "%s: %s", tmp, strerror(errno));
	if (symlink(rel_dir, tmp) != 0)
		return ls_error_set(LS_EIO, "%s: %s", tmp, strerror(errno));
	if (rename(tmp, cur) != 0) {
		rc = ls_error_set(LS_EIO, "%s: %s", cur, strerror(errno));
		unlink(tmp);
		return rc;
	}
	return ls_file_fsync_dir(state_dir);
}

static int
link_points_to(const char *link, const char *target)
{
	char buf[PATH_MAX];
	ssize_t n = readlink(link, buf, sizeof(buf) - 1);

	if (n < 0)
		return 0;
	buf[n] = '\0';
	return strcmp(buf, target) == 0;
}

static int
prune_dir(const char *state_dir, const char *sub, const char *keep)
{
	char dir[PATH_MAX], p[PATH_MAX];
	struct dirent *e;
	DIR *d;
	int rc = 0;

	if ((rc = path_join(dir, sizeof(dir), state_dir, sub)) != 0)
		return rc;
	if ((d = opendir(dir)) == NULL)
		return errno == ENOENT
		    ? 0
		    : ls_error_set(LS_EIO, "%s: %s", dir, strerror(errno));
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (keep != NULL && strcmp(e->d_name, keep) == 0)
			continue;
		if (path_join(p, sizeof(p), dir, e->d_name) == 0 &&
		    ls_file_remove_tree(p) != 0 && rc == 0)
			rc = LS_EIO;
	}
	closedir(d);
	return rc;
}

int
ls_activate_prune(const char *state_dir, const char *rel_dir)
{
	char cur[PATH_MAX];
	const char *keep = NULL;
	int rc;

	if ((rc = path_join(cur, sizeof(cur), state_dir, "current")) != 0)
		return rc;
	if (rel_dir != NULL) {
		keep = rel_dir + strlen("bundles/");
		if (!link_points_to(cur, rel_dir) &&
		    (rc = ls_activate_swap(state_dir, rel_dir)) != 0)
			return rc;
	} else if (unlink(cur) != 0 && errno != ENOENT) {
		return ls_error_set(LS_EIO, "%s: %s", cur, strerror(errno));
	}
	if ((rc = prune_dir(state_dir, "bundles", keep)) != 0 ||
	    (rc = prune_dir(state_dir, "tmp", NULL)) != 0)
		return ls_error_wrap(rc, "%s: prune", state_dir);
	return 0;
}
