/* tokens.c - single-use enrolment tokens, kept as hashes on disk. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "lockstep/doc.h"
#include "lockstep/error.h"
#include "lockstep/file.h"
#include "lockstep/hash.h"
#include "lockstep/timefmt.h"
#include "tokens.h"

#define TOKEN_FILE_MAX 1024

struct ls_tokens {
	pthread_mutex_t mu;
	char dir[PATH_MAX]; /* DATA/enroll-tokens */
};

/* DIR/HASH.json of a token; id gets the hash's first digits. */
static int
token_path(struct ls_tokens *t, char path[PATH_MAX], const char *token,
    size_t len, char id[LS_TOKEN_ID_LEN + 1])
{
	char hex[LS_SHA256_HEX_LEN + 1];
	int n;

	ls_sha256_hex(hex, token, len);
	if (id != NULL) {
		memcpy(id, hex, LS_TOKEN_ID_LEN);
		id[LS_TOKEN_ID_LEN] = '\0';
	}
	n = snprintf(path, PATH_MAX, "%s/%s.json", t->dir, hex);
	sodium_memzero(hex, sizeof(hex));
	if (n < 0 || n >= PATH_MAX)
		return ls_error_set(LS_EINVAL, "%s: path too long", t->dir);
	return 0;
}

/* Remove expired tokens; a damaged file is left for the operator. */
static void
sweep(struct ls_tokens *t, time_t now)
{
	char path[PATH_MAX], *text = NULL;
	struct dirent *de;
	json_t *j;
	time_t exp;
	DIR *d;
	const char *e;

	if ((d = opendir(t->dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' ||
		    snprintf(path, sizeof(path), "%s/%s", t->dir, de->d_name) >=
			(int)sizeof(path) ||
		    ls_file_read(&text, NULL, path, TOKEN_FILE_MAX) != 0)
			continue;
		j = json_loads(text, 0, NULL);
		e = json_string_value(json_object_get(j, "expires"));
		if (e != NULL && ls_time_parse(&exp, e, strlen(e)) == 0 &&
		    exp <= now)
			unlink(path);
		json_decref(j);
		free(text);
		text = NULL;
	}
	closedir(d);
	(void)ls_file_fsync_dir(t->dir);
}

int
ls_tokens_open(struct ls_tokens **out, const char *data_dir)
{
	struct ls_tokens *t;
	int rc, n;

	*out = NULL;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return ls_error_set(LS_ENOMEM, "tokens: out of memory");
	pthread_mutex_init(&t->mu, NULL);
	n = snprintf(t->dir, sizeof(t->dir), "%s/enroll-tokens", data_dir);
	if (n < 0 || (size_t)n >= sizeof(t->dir))
		rc = ls_error_set(LS_EINVAL, "%s: path too long", data_dir);
	else
		rc = ls_file_mkdirs(t->dir, 0700);
	if (rc != 0) {
		ls_tokens_free(t);
		return rc;
	}
	sweep(t, time(NULL));
	*out = t;
	return 0;
}

void
ls_tokens_free(struct ls_tokens *t)
{
	if (t == NULL)
		return;
	pthread_mutex_destroy(&t->mu);
	free(t);
}

/* Write the token's record (name, expiry, the key that used it). */
static int
write_record(const char *path, const char *name, time_t expires,
    const struct ls_vkey *used_by)
{
	char exp[LS_TIME_LEN], key[LS_VKEY_TEXT_MAX];
	json_t *j;
	char *s;
	int rc;

	ls_time_format(exp, expires);
	j = json_pack("{s:s, s:s}", "name", name, "expires", exp);
	if (j != NULL && used_by != NULL) {
		ls_vkey_format(key, used_by);
		json_object_set_new(j, "used_by", json_string(key));
	}
	s = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (s == NULL)
		return ls_error_set(LS_ENOMEM, "tokens: out of memory");
	rc = ls_file_write_atomic(path, s, strlen(s), 0600);
	free(s);
	return rc;
}

int
ls_tokens_create(struct ls_tokens *t, char out[LS_TOKEN_LEN + 1],
    char id[LS_TOKEN_ID_LEN + 1], time_t *expires, const char *name,
    unsigned ttl)
{
	unsigned char raw[32];
	char path[PATH_MAX];
	int rc;

	if (!ls_name_valid(name))
		return ls_error_set(LS_EINVAL, "agent name '%s' is invalid",
		    name);
	if (ttl == 0 || ttl > LS_TOKEN_TTL_MAX)
		return ls_error_set(LS_EINVAL,
		    "ttl %u s: expected 1 s to %d days", ttl,
		    LS_TOKEN_TTL_MAX / 86400);
	randombytes_buf(raw, sizeof(raw));
	memcpy(out, LS_TOKEN_PREFIX, 4);
	ls_hex_encode(out + 4, raw, sizeof(raw));
	sodium_memzero(raw, sizeof(raw));
	*expires = time(NULL) + (time_t)ttl;
	pthread_mutex_lock(&t->mu);
	if ((rc = token_path(t, path, out, LS_TOKEN_LEN, id)) == 0)
		rc = write_record(path, name, *expires, NULL);
	pthread_mutex_unlock(&t->mu);
	if (rc != 0)
		sodium_memzero(out, LS_TOKEN_LEN + 1);
	return rc;
}

/* Check the record at path against vk; *used: already spent by vk. */
static int
check_record(const char *path, const struct ls_vkey *vk, time_t *expires,
    int *used)
{
	char *text = NULL, key[LS_VKEY_TEXT_MAX];
	const char *name, *exp, *by;
	json_t *j = NULL;
	int rc = 0;

	*used = 0;
	if ((rc = ls_file_read(&text, NULL, path, TOKEN_FILE_MAX)) != 0)
		return rc == LS_ENOTFOUND
		    ? ls_error_set(LS_ENOTFOUND, "unknown enrolment token")
		    : rc;
	j = json_loads(text, 0, NULL);
	name = json_string_value(json_object_get(j, "name"));
	exp = json_string_value(json_object_get(j, "expires"));
	by = json_string_value(json_object_get(j, "used_by"));
	ls_vkey_format(key, vk);
	if (name == NULL || exp == NULL ||
	    ls_time_parse(expires, exp, strlen(exp)) != 0)
		rc = ls_error_set(LS_EFORMAT, "%s: damaged token record", path);
	else if (strcmp(name, vk->name) != 0)
		rc = ls_error_set(LS_EBADSIG,
		    "the enrolment token is for agent %s, not %s", name,
		    vk->name);
	else if (by != NULL && strcmp(by, key) != 0)
		rc = ls_error_set(LS_EBADSIG,
		    "the enrolment token for %s was used already", name);
	else if (by == NULL && *expires <= time(NULL))
		rc = ls_error_set(LS_EEXPIRED,
		    "the enrolment token for %s expired at %s", name, exp);
	else
		*used = by != NULL;
	json_decref(j);
	free(text);
	return rc;
}

int
ls_tokens_spend(struct ls_tokens *t, const char *token, size_t len,
    const struct ls_vkey *vk, int (*enrol)(void *arg), void *arg,
    char id[LS_TOKEN_ID_LEN + 1])
{
	char path[PATH_MAX];
	time_t expires = 0;
	int rc, erc, used = 0;

	if ((rc = token_path(t, path, token, len, id)) != 0)
		return rc;
	pthread_mutex_lock(&t->mu);
	if ((rc = check_record(path, vk, &expires, &used)) != 0)
		goto out;
	/* Enrolled first: a crash before the token is marked leaves it
	 * usable only by this key, whose name is now taken anyway. */
	if ((erc = enrol(arg)) < 0 || used) {
		rc = erc;
		goto out;
	}
	rc = write_record(path, vk->name, expires, vk);
	if (rc == 0)
		rc = erc;
out:
	pthread_mutex_unlock(&t->mu);
	return rc;
}
