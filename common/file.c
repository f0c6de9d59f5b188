/* file.c - bounded file reading and crash-safe file writing. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lockstep/error.h"
#include "lockstep/file.h"

int
ls_file_read(char **out, size_t *out_len, const char *path, size_t max)
{
	struct stat st;
	char *data = NULL;
	size_t got = 0;
	ssize_t n;
	int fd, rc = 0;

	*out = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		if (errno == ENOENT)
			return ls_error_set(LS_ENOTFOUND, "%s: no such file",
			    path);
		return ls_error_set(LS_EIO, "%s: %s", path, strerror(errno));
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		rc = ls_error_set(LS_EIO, "%s: not a regular file", path);
		goto out;
	}
	if ((unsigned long long)st.st_size > max) {
		rc = ls_error_set(LS_ETOOBIG, "%s: %lld bytes, limit %zu", path,
		    (long long)st.st_size, max);
		goto out;
	}
	/* One spare byte detects a file that grew past max while reading. */
	if ((data = malloc(max + 2)) == NULL) {
		rc = ls_error_set(LS_ENOMEM, "%s: out of memory", path);
		goto out;
	}
	while (got <= max) {
		n = read(fd, data + got, max + 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = ls_error_set(LS_EIO, "%s: %s", path,
			    strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	if (got > max) {
		rc = ls_error_set(LS_ETOOBIG, "%s: larger than %zu bytes", path,
		    max);
		goto out;
	}
	data[got] = '\0';
	*out = data;
	data = NULL;
	if (out_len != NULL)
		*out_len = got;
out:
	free(data);
	close(fd);
	return rc;
}

int
ls_file_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return LS_EIO;
		if (n == 0) /* no progress (a full device may say so) */
			return LS_EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
ls_file_fsync_dir(const char *dir)
{
	int fd, rc = 0;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return ls_error_set(LS_EIO, "%s: %s", dir, strerror(errno));
	if (fsync(fd) < 0)
		rc =
		    ls_error_set(LS_EIO, "%s: fsync: %s", dir, strerror(errno));
	close(fd);
	return rc;
}

int
ls_file_fsync_parent(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	size_t n;

	if (slash == NULL)
		return ls_file_fsync_dir(".");
	n = (size_t)(slash - path);
	if (n == 0)
		return ls_file_fsync_dir("/");
	if (n >= sizeof(dir))
		return ls_error_set(LS_EINVAL, "%s: path too long", path);
	memcpy(dir, path, n);
	dir[n] = '\0';
	return ls_file_fsync_dir(dir);
}

int
ls_file_write_atomic(const char *path, const void *data, size_t len,
    mode_t mode)
{
	char tmp[PATH_MAX];
	int fd = -1, rc = 0, n;

	n = snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return ls_error_set(LS_EINVAL, "%s: path too long", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
	    mode);
	if (fd < 0)
		return ls_error_set(LS_EIO, "%s: %s", tmp, strerror(errno));
	if (ls_file_write_all(fd, data, len) < 0 || fsync(fd) < 0) {
		rc = ls_error_set(LS_EIO, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	if (close(fd) < 0) {
		fd = -1;
		rc =
		    ls_error_set(LS_EIO, "%s: close: %s", tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		rc = ls_error_set(LS_EIO, "%s: rename: %s", path,
		    strerror(errno));
		goto out;
	}
	rc = ls_file_fsync_parent(path);
out:
	if (fd >= 0)
		close(fd);
	if (rc < 0)
		unlink(tmp);
	return rc;
}

int
ls_file_mkdirs(const char *path, mode_t mode)
{
	char p[PATH_MAX];
	size_t i, n = strlen(path);

	if (n == 0 || n >= sizeof(p))
		return ls_error_set(LS_EINVAL, "bad directory path '%s'", path);
	memcpy(p, path, n + 1);
	for (i = 1; i <= n; i++) {
		if (p[i] != '/' && p[i] != '\0')
			continue;
		p[i] = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST)
			return ls_error_set(LS_EIO, "%s: mkdir: %s", p,
			    strerror(errno));
		p[i] = i == n ? '\0' : '/';
	}
	return 0;
}

static int remove_at(int dirfd, const char *name, int depth);

static int
remove_dir_contents(int fd, int depth)
{
	struct dirent *de;
	DIR *d;
	int rc = 0;

	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return ls_error_set(LS_EIO, "opendir: %s", strerror(errno));
	}
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		rc = remove_at(dirfd(d), de->d_name, depth + 1);
	}
	closedir(d);
	return rc;
}

static int
remove_at(int dirfd, const char *name, int depth)
{
	struct stat st;
	int fd;

	if (depth > 256)
		return ls_error_set(LS_ETOOBIG, "%s: tree too deep", name);
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT
		    ? 0
		    : ls_error_set(LS_EIO, "%s: %s", name, strerror(errno));
	if (S_ISDIR(st.st_mode)) {
		fd = openat(dirfd, name,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return ls_error_set(LS_EIO, "%s: %s", name,
			    strerror(errno));
		if (remove_dir_contents(fd, depth) < 0)
			return LS_EIO;
		if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0)
			return ls_error_set(LS_EIO, "%s: rmdir: %s", name,
			    strerror(errno));
		return 0;
	}
	if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
		return ls_error_set(LS_EIO, "%s: unlink: %s", name,
		    strerror(errno));
	return 0;
}

int
ls_file_remove_tree(const char *path)
{
	int rc = remove_at(AT_FDCWD, path, 0);

	return rc < 0 ? ls_error_wrap(rc, "%s", path) : 0;
}

int
ls_file_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}
