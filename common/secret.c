/* secret.c - secret files (mode checked, sodium memory) and tokens. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "lockstep/error.h"
#include "lockstep/secret.h"

int
ls_secret_check_mode(int fd, const char *path)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return ls_error_set(LS_EIO, "%s: %s", path, strerror(errno));
	if ((st.st_mode & 077) != 0)
		return ls_error_set(LS_EUNSAFE,
		    "%s: permissions %04o are too open: a secret file must "
		    "not be accessible by group or others (chmod 600 %s)",
		    path, (unsigned)(st.st_mode & 07777), path);
	return 0;
}

static int
read_all(int fd, char *buf, size_t max, size_t *got, const char *path)
{
	ssize_t n;

	*got = 0;
	while (*got < max) {
		n = read(fd, buf + *got, max - *got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return ls_error_set(LS_EIO, "%s: %s", path,
			    strerror(errno));
		if (n == 0)
			return 0;
		*got += (size_t)n;
	}
	return ls_error_set(LS_ETOOBIG, "%s: larger than %zu bytes", path,
	    max - 1);
}

int
ls_secret_read(char **out, size_t *out_len, const char *path, size_t max)
{
	char *buf = NULL;
	size_t got = 0;
	int fd, rc;

	*out = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return ls_error_set(errno == ENOENT ? LS_ENOTFOUND : LS_EIO,
		    "%s: %s", path, strerror(errno));
	if ((rc = ls_secret_check_mode(fd, path)) != 0)
		goto out;
	if ((buf = sodium_malloc(max + 1)) == NULL) {
		rc = ls_error_set(LS_ENOMEM, "%s: out of secure memory", path);
		goto out;
	}
	if ((rc = read_all(fd, buf, max, &got, path)) != 0)
		goto out;
	buf[got] = '\0';
	*out = buf;
	if (out_len != NULL)
		*out_len = got;
	buf = NULL;
out:
	ls_secret_free(buf);
	close(fd);
	return rc;
}

int
ls_secret_read_token(char **out, const char *path)
{
	char *text = NULL;
	size_t len = 0;
	int rc;

	*out = NULL;
	if ((rc = ls_secret_read(&text, &len, path, LS_SECRET_TOKEN_MAX)) != 0)
		return rc;
	while (len > 0 &&
	    (text[len - 1] == '\n' || text[len - 1] == '\r' ||
		text[len - 1] == ' '))
		text[--len] = '\0';
	if (len == 0 || memchr(text, '\n', len) != NULL) {
		ls_secret_free(text);
		return ls_error_set(LS_EFORMAT,
		    "%s: expected one line with the token", path);
	}
	*out = text;
	return 0;
}

void
ls_secret_free(char *s)
{
	if (s != NULL)
		sodium_free(s); /* wipes */
}

int
ls_secret_equal(const void *a, size_t alen, const void *b, size_t blen)
{
	unsigned char ha[crypto_hash_sha256_BYTES];
	unsigned char hb[crypto_hash_sha256_BYTES];
	int eq;

	crypto_hash_sha256(ha, a, alen);
	crypto_hash_sha256(hb, b, blen);
	eq = sodium_memcmp(ha, hb, sizeof(ha)) == 0;
	sodium_memzero(ha, sizeof(ha));
	sodium_memzero(hb, sizeof(hb));
	return eq;
}
