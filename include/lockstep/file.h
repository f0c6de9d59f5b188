/*
 * file.h - bounded file reading and crash-safe file writing.
 *
 * Anything Lockstep acknowledges is on disk first: ls_file_write_atomic
 * writes a temporary file in the same directory, fsyncs it, renames it over
 * the target and fsyncs the directory, so after kill -9 or power loss the
 * path holds either the old or the new content, never a mix.
 */
#ifndef LOCKSTEP_FILE_H
#define LOCKSTEP_FILE_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Read a whole regular file of at most max bytes into *out (NUL-terminated,
 * caller frees).  LS_ENOTFOUND if absent, LS_ETOOBIG if larger than max,
 * LS_EIO otherwise.  *out_len may be NULL.
 */
int ls_file_read(char **out, size_t *out_len, const char *path, size_t max);

/* Atomically replace path with data (mode for a new file).  LS_EIO. */
int ls_file_write_atomic(const char *path, const void *data, size_t len,
    mode_t mode);

/*
 * Write all of data to fd, retrying short writes and EINTR.  LS_EIO on
 * failure with errno left as write(2) set it (callers name the file).
 */
int ls_file_write_all(int fd, const void *data, size_t len);

/* fsync a directory so renames and creations in it are durable. LS_EIO. */
int ls_file_fsync_dir(const char *dir);

/* fsync the directory that contains path. */
int ls_file_fsync_parent(const char *path);

/* mkdir -p with mode for the directories it creates. LS_EIO. */
int ls_file_mkdirs(const char *path, mode_t mode);

/* rm -rf that never follows symbolic links. LS_EIO; absent path is ok. */
int ls_file_remove_tree(const char *path);

/* 1 if path exists (lstat), 0 if not. */
int ls_file_exists(const char *path);

#endif
