/* audit_fetch.c - `lockstep audit --server`: the package built and
 * signed by the server (GET /v1/audit/package with the auditor token),
 * streamed into an unlinked temporary file beside the output directory,
 * then unpacked into it (audit_tar.c): memory does not grow with the
 * package, and a failed download leaves nothing at the output. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <sodium.h>

#include "audit.h"
#include "lockstep/error.h"
#include "lockstep/file.h"
#include "lockstep/secret.h"
#include "lockstep/timefmt.h"

/* The download: at most LS_AUDIT_TAR_MAX bytes into fd. */
struct sink {
	int fd;
	uint64_t len;
	int toobig;
};

static size_t
to_file(char *p, size_t size, size_t n, void *arg)
{
	struct sink *s = arg;

	if (s->len + size * n > LS_AUDIT_TAR_MAX) {
		s->toobig = 1;
		return 0;
	}
	if (ls_file_write_all(s->fd, p, size * n) != 0)
		return 0;
	s->len += size * n;
	return size * n;
}

/* An unlinked file in dir's parent, named after dir while it lives (so
 * the disk it needs is the output's). */
static int
download_file(int *fd_out, const char *dir)
{
	char path[PATH_MAX], parent[PATH_MAX], tmp[PATH_MAX + 20], *slash;
	int n = snprintf(path, sizeof(path), "%s", dir);

	if (n < 0 || (size_t)n >= sizeof(path))
		return ls_error_set(LS_EINVAL, "%s: path too long", dir);
	while (n > 1 && path[n - 1] == '/')
		path[--n] = '\0';
	if (ls_file_exists(path))
		return ls_error_set(LS_EEXISTS, "%s: already there", path);
	snprintf(parent, sizeof(parent), "%s", path);
	if ((slash = strrchr(parent, '/')) != NULL && slash != parent) {
		*slash = '\0';
		if (ls_file_mkdirs(parent, 0755) != 0)
			return LS_EIO;
	}
	snprintf(tmp, sizeof(tmp), "%s.download-XXXXXX", path);
	if ((*fd_out = mkostemp(tmp, O_CLOEXEC)) < 0)
		return ls_error_set(LS_EIO, "%s: %s", tmp, strerror(errno));
	(void)unlink(tmp);
	return 0;
}

/* After a refusal: the start of the server's answer, as text. */
static void
answer_text(char *out, size_t n, int fd)
{
	ssize_t got = pread(fd, out, n - 1, 0);
	size_t i;

	out[got > 0 ? got : 0] = '\0';
	for (i = 0; out[i] != '\0'; i++)
		if (out[i] == '\n' || out[i] == '\r')
			out[i] = ' ';
}

static int
package_url(struct ls_buf *url, CURL *c, const char *server,
    const struct ls_audit_opts *o)
{
	char since[LS_TIME_LEN], until[LS_TIME_LEN];
	const char *what = o->control ? o->control : o->framework;
	char *esc = curl_easy_escape(c, what, 0);
	int rc;

	if (esc == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	ls_time_format(since, o->since);
	ls_time_format(until, o->until);
	rc = ls_buf_addf(url,
	    "%s/v1/audit/package?%s=%s&since=%s&until=%s&silent_hours=%u",
	    server, o->control ? "control" : "framework", esc, since, until,
	    o->silent_hours);
	curl_free(esc);
	return rc;
}

static int
perform(CURL *c, struct sink *s, const char *server)
{
	char msg[201];
	CURLcode cc;
	long code = 0;

	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 600L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE,
	    (curl_off_t)LS_AUDIT_TAR_MAX);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, to_file);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, s);
	cc = curl_easy_perform(c);
	if (s->toobig || cc == CURLE_FILESIZE_EXCEEDED)
		return ls_error_set(LS_ETOOBIG,
		    "%s: package over %" PRIu64 " bytes", server,
		    LS_AUDIT_TAR_MAX);
	if (cc != CURLE_OK)
		return ls_error_set(LS_ENET, "%s: %s", server,
		    curl_easy_strerror(cc));
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	if (code != 200) {
		answer_text(msg, sizeof(msg), s->fd);
		return ls_error_set(LS_ENET, "%s: HTTP %ld: %s", server, code,
		    msg);
	}
	if (lseek(s->fd, 0, SEEK_SET) != 0)
		return ls_error_set(LS_EIO, "download: %s", strerror(errno));
	return 0;
}

int
ls_audit_fetch(const char *dir, const char *server, const char *token_file,
    const char *cacert, const struct ls_audit_opts *o)
{
	struct ls_buf url, auth;
	struct curl_slist *hdr = NULL;
	struct sink s = { -1, 0, 0 };
	char *token = NULL;
	CURL *c = NULL;
	int rc;

	ls_buf_init(&url, 4096);
	ls_buf_init(&auth, LS_SECRET_TOKEN_MAX + 64);
	if ((rc = ls_secret_read_token(&token, token_file)) != 0 ||
	    (rc = download_file(&s.fd, dir)) != 0)
		goto out;
	if ((c = curl_easy_init()) == NULL) {
		rc = ls_error_set(LS_ENOMEM, "curl: cannot initialise");
		goto out;
	}
	if ((rc = package_url(&url, c, server, o)) != 0 ||
	    (rc = ls_buf_addf(&auth, "Authorization: Bearer %s", token)) != 0)
		goto out;
	hdr = curl_slist_append(hdr, auth.data);
	curl_easy_setopt(c, CURLOPT_URL, url.data);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	if (cacert != NULL)
		curl_easy_setopt(c, CURLOPT_CAINFO, cacert);
	if ((rc = perform(c, &s, server)) == 0)
		rc = ls_audit_untar_fd(dir, s.fd);
out:
	curl_slist_free_all(hdr);
	curl_easy_cleanup(c);
	if (auth.data != NULL)
		sodium_memzero(auth.data, auth.len);
	ls_buf_cleanup(&auth);
	ls_buf_cleanup(&url);
	if (s.fd >= 0)
		close(s.fd);
	ls_secret_free(token);
	return rc;
}
