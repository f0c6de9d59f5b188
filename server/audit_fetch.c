/* audit_fetch.c - `lockstep audit --server`: the package built and
 * signed by the server (GET /v1/audit/package with the auditor token),
 * unpacked into the output directory. */
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>
#include <sodium.h>

#include "audit.h"
#include "lockstep/error.h"
#include "lockstep/secret.h"
#include "lockstep/timefmt.h"

static size_t
collect(char *p, size_t size, size_t n, void *arg)
{
	return ls_buf_add(arg, p, size * n) == 0 ? size * n : 0;
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

int
ls_audit_fetch(const char *dir, const char *server, const char *token_file,
    const char *cacert, const struct ls_audit_opts *o)
{
	struct ls_buf url, auth, tar;
	struct curl_slist *hdr = NULL;
	char *token = NULL;
	CURL *c = NULL;
	CURLcode cc;
	long code = 0;
	int rc;

	ls_buf_init(&url, 4096);
	ls_buf_init(&auth, LS_SECRET_TOKEN_MAX + 64);
	ls_buf_init(&tar, LS_AUDIT_RECORDS_MAX);
	if ((rc = ls_secret_read_token(&token, token_file)) != 0)
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
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 600L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	if (cacert != NULL)
		curl_easy_setopt(c, CURLOPT_CAINFO, cacert);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &tar);
	if ((cc = curl_easy_perform(c)) != CURLE_OK) {
		rc = ls_error_set(LS_ENET, "%s: %s", server,
		    curl_easy_strerror(cc));
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	if (code != 200)
		rc = ls_error_set(LS_ENET, "%s: HTTP %ld: %.200s", server, code,
		    tar.data ? tar.data : "");
	else
		rc = ls_audit_untar(dir, tar.data, tar.len);
out:
	curl_slist_free_all(hdr);
	curl_easy_cleanup(c);
	if (auth.data != NULL)
		sodium_memzero(auth.data, auth.len);
	ls_buf_cleanup(&auth);
	ls_buf_cleanup(&url);
	ls_buf_cleanup(&tar);
	ls_secret_free(token);
	return rc;
}
