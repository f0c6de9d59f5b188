/* attempts.c - builds started but not finished, on disk (attempts.h). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attempts.h"
#include "lockstep/error.h"
#include "lockstep/file.h"

#define COUNT_TEXT_MAX 32

static int
path_of(char *out, size_t sz, const char *data, const char *channel,
    const char *tag)
{
	int n = snprintf(out, sz, "%s/attempts/%s/%s", data, channel, tag);

	if (n < 0 || (size_t)n >= sz)
		return ls_error_set(LS_EINVAL, "%s/attempts: path too long",
		    data);
	return 0;
}

unsigned
ls_attempts_count(const char *data, const char *channel, const char *tag)
{
	char path[PATH_MAX], *text = NULL, *end = NULL;
	unsigned long n;
	int rc;

	if (path_of(path, sizeof(path), data, channel, tag) != 0)
		return LS_ATTEMPTS_MAX;
	rc = ls_file_read(&text, NULL, path, COUNT_TEXT_MAX);
	if (rc == LS_ENOTFOUND)
		return 0;
	if (rc != 0)
		return LS_ATTEMPTS_MAX;
	errno = 0;
	n = strtoul(text, &end, 10);
	if (errno != 0 || end == text || n > LS_ATTEMPTS_MAX)
		n = LS_ATTEMPTS_MAX;
	free(text);
	return (unsigned)n;
}

int
ls_attempts_begin(const char *data, const char *channel, const char *tag,
    unsigned n)
{
	char path[PATH_MAX], text[COUNT_TEXT_MAX];
	char *slash;
	int rc, len;

	if ((rc = path_of(path, sizeof(path), data, channel, tag)) != 0)
		return rc;
	slash = strrchr(path, '/');
	*slash = '\0';
	rc = ls_file_mkdirs(path, 0755);
	*slash = '/';
	if (rc != 0)
		return rc;
	len = snprintf(text, sizeof(text), "%u\n", n);
	return ls_file_write_atomic(path, text, (size_t)len, 0644);
}

void
ls_attempts_end(const char *data, const char *channel, const char *tag)
{
	char path[PATH_MAX];

	if (path_of(path, sizeof(path), data, channel, tag) != 0)
		return;
	if (unlink(path) == 0)
		(void)ls_file_fsync_parent(path);
}
