/* root.c - open the root of trust and rotate it one version at a time. */
#include <string.h>

#include "lockstep/doc.h"
#include "lockstep/error.h"
#include "lockstep/note.h"
#include "lockstep/root.h"
#include "lockstep/timefmt.h"

/* Verify n against the root keys and threshold of r, naming which. */
static int
check_root_sigs(const struct ls_note *n, const struct ls_root *r,
    const char *which)
{
	int rc;

	rc = ls_note_verify(n, &r->keys[LS_ROLE_ROOT],
	    r->threshold[LS_ROLE_ROOT]);
	if (rc < 0)
		return ls_error_wrap(rc, "root version %llu: %s root keys",
		    (unsigned long long)r->version, which);
	return 0;
}

int
ls_root_open(struct ls_root *out, const char *text, size_t len)
{
	struct ls_note *n = NULL;
	const char *body;
	size_t blen = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = ls_note_parse(&n, text, len)) < 0)
		return rc;
	body = ls_note_body(n, &blen);
	/* Self-signed: the body names the keys, so parse, then verify. */
	if ((rc = ls_root_parse(out, body, blen)) < 0)
		goto out;
	rc = check_root_sigs(n, out, "its own");
out:
	if (rc < 0) {
		ls_root_cleanup(out);
		memset(out, 0, sizeof(*out));
	}
	ls_note_free(n);
	return rc;
}

static int
check_step(const struct ls_root *cur, const struct ls_root *next)
{
	if (strcmp(cur->origin, next->origin) != 0)
		return ls_error_set(LS_EMISMATCH,
		    "root version %llu is for "
		    "origin %s, not %s",
		    (unsigned long long)next->version, next->origin,
		    cur->origin);
	if (next->version <= cur->version)
		return ls_error_set(LS_EROLLBACK,
		    "root version %llu is not "
		    "above the trusted version %llu",
		    (unsigned long long)next->version,
		    (unsigned long long)cur->version);
	if (next->version != cur->version + 1)
		return ls_error_set(LS_EMISMATCH,
		    "root version %llu skips "
		    "from trusted version %llu",
		    (unsigned long long)next->version,
		    (unsigned long long)cur->version);
	return 0;
}

int
ls_root_next(struct ls_root *out, const struct ls_root *cur, const char *text,
    size_t len)
{
	struct ls_note *n = NULL;
	const char *body;
	size_t blen = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = ls_note_parse(&n, text, len)) < 0)
		return rc;
	/* The old keys vouch for the body before it is read, so the error
	 * names the version this document must be: the next one. */
	rc = ls_note_verify(n, &cur->keys[LS_ROLE_ROOT],
	    cur->threshold[LS_ROLE_ROOT]);
	if (rc < 0) {
		ls_error_wrap(rc,
		    "root version %llu: not signed by the keys of trusted "
		    "root version %llu",
		    (unsigned long long)cur->version + 1,
		    (unsigned long long)cur->version);
		goto out;
	}
	body = ls_note_body(n, &blen);
	if ((rc = ls_root_parse(out, body, blen)) < 0 ||
	    (rc = check_step(cur, out)) < 0)
		goto out;
	rc = check_root_sigs(n, out, "its own");
out:
	if (rc < 0) {
		ls_root_cleanup(out);
		memset(out, 0, sizeof(*out));
	}
	ls_note_free(n);
	return rc;
}

int
ls_root_check_expiry(const struct ls_root *r, time_t t)
{
	char when[LS_TIME_LEN];

	if (t < r->expires)
		return 0;
	ls_time_format(when, r->expires);
	return ls_error_set(LS_EEXPIRED,
	    "root version %llu expired at %s; a newer root version must be "
	    "published",
	    (unsigned long long)r->version, when);
}

int
ls_root_advance(struct ls_root *cur, const char *text, size_t len)
{
	struct ls_root next;
	int rc;

	rc = cur->version == 0 ? ls_root_open(&next, text, len)
			       : ls_root_next(&next, cur, text, len);
	if (rc < 0)
		return rc;
	ls_root_cleanup(cur);
	*cur = next;
	return 0;
}
