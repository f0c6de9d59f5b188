/* verify.c - the checks of the agent update workflow, rules 2 to 5. */
#include <string.h>

#include "lockstep/error.h"
#include "lockstep/hash.h"
#include "lockstep/note.h"
#include "lockstep/root.h"
#include "verify.h"

/* Parse + threshold-verify a note; *body points into *note. */
static int
open_note(struct ls_note **note, const char **body, size_t *blen,
    const char *what, const char *text, size_t len, const struct ls_keyset *ks,
    unsigned threshold)
{
	int rc;

	*note = NULL;
	if (len > LS_NOTE_MAX)
		return ls_error_set(LS_ETOOBIG, "%s: %zu bytes, limit %d", what,
		    len, LS_NOTE_MAX);
	if (threshold == 0 || ks->n == 0)
		return ls_error_set(LS_EBADSIG, "%s: no trusted keys", what);
	if ((rc = ls_note_open(note, text, len, ks, threshold)) < 0)
		return ls_error_wrap(rc, "%s", what);
	*body = ls_note_body(*note, blen);
	return 0;
}

/* The root chain rules live in common/root.c (shared with the CLI and
 * the server); the agent only names the document in its errors. */
int
ls_verify_root_anchor(struct ls_root *out, const char *text, size_t len)
{
	int rc;

	if ((rc = ls_root_open(out, text, len)) < 0)
		return ls_error_wrap(rc, "root");
	return 0;
}

int
ls_verify_root_next(struct ls_root *out, const struct ls_root *cur,
    const char *text, size_t len)
{
	int rc;

	if ((rc = ls_root_next(out, cur, text, len)) < 0)
		return ls_error_wrap(rc, "root");
	return 0;
}

int
ls_verify_role_changed(const struct ls_root *a, const struct ls_root *b,
    int role)
{
	const struct ls_keyset *ka = &a->keys[role], *kb = &b->keys[role];
	size_t i, j;

	if (a->threshold[role] != b->threshold[role] || ka->n != kb->n)
		return 1;
	for (i = 0; i < ka->n; i++) {
		for (j = 0; j < kb->n; j++)
			if (memcmp(ka->keys[i].pub, kb->keys[j].pub,
				LS_KEY_PUB_LEN) == 0)
				break;
		if (j == kb->n)
			return 1;
	}
	return 0;
}

int
ls_verify_timestamp(struct ls_timestamp *out, enum ls_verify_ts *verdict,
    const struct ls_root *root, const char *text, size_t len,
    const char *channel, uint64_t stored_seq, time_t t)
{
	struct ls_note *note = NULL;
	const char *body;
	size_t blen;
	int rc;

	memset(out, 0, sizeof(*out));
	*verdict = LS_VERIFY_TS_NEW;
	if ((rc = open_note(&note, &body, &blen, "timestamp", text, len,
		 &root->keys[LS_ROLE_TIMESTAMP],
		 root->threshold[LS_ROLE_TIMESTAMP])) < 0)
		return rc;
	if ((rc = ls_timestamp_parse(out, body, blen)) < 0) {
		ls_error_wrap(rc, "timestamp");
		goto out;
	}
	if (strcmp(out->origin, root->origin) != 0) {
		rc = ls_error_set(LS_EMISMATCH,
		    "timestamp: origin %s, expected "
		    "%s",
		    out->origin, root->origin);
		goto out;
	}
	if (strcmp(out->channel, channel) != 0) {
		rc = ls_error_set(LS_EMISMATCH,
		    "timestamp: channel %s, "
		    "expected %s",
		    out->channel, channel);
		goto out;
	}
	if (out->seq < stored_seq) {
		rc = ls_error_set(LS_EROLLBACK,
		    "timestamp: seq %llu is lower "
		    "than %llu already seen (rollback)",
		    (unsigned long long)out->seq,
		    (unsigned long long)stored_seq);
		goto out;
	}
	if (out->seq == stored_seq) {
		*verdict = LS_VERIFY_TS_SAME;
		goto out;
	}
	if (t >= out->expires)
		rc = ls_error_set(LS_EEXPIRED,
		    "timestamp: seq %llu expired "
		    "(freeze)",
		    (unsigned long long)out->seq);
out:
	ls_note_free(note);
	return rc;
}

int
ls_verify_release(struct ls_release *out, const struct ls_root *root,
    const struct ls_timestamp *ts, const char *text, size_t len,
    const char *channel, uint64_t stored_seq, uint64_t floor, time_t t)
{
	struct ls_note *note = NULL;
	char hex[LS_SHA256_HEX_LEN + 1];
	const char *body;
	size_t blen;
	int rc;

	memset(out, 0, sizeof(*out));
	if (len != ts->release_length)
		return ls_error_set(LS_EMISMATCH,
		    "release %llu: %zu bytes, "
		    "timestamp says %llu",
		    (unsigned long long)ts->release_seq, len,
		    (unsigned long long)ts->release_length);
	ls_sha256_hex(hex, text, len);
	if (strcmp(hex, ts->release_sha256) != 0)
		return ls_error_set(LS_EMISMATCH,
		    "release %llu: sha256 %s, "
		    "timestamp says %s",
		    (unsigned long long)ts->release_seq, hex,
		    ts->release_sha256);
	if ((rc = open_note(&note, &body, &blen, "release", text, len,
		 &root->keys[LS_ROLE_RELEASE],
		 root->threshold[LS_ROLE_RELEASE])) < 0)
		return rc;
	if ((rc = ls_release_parse(out, body, blen)) < 0) {
		ls_error_wrap(rc, "release");
		goto out;
	}
	if (strcmp(out->origin, root->origin) != 0)
		rc = ls_error_set(LS_EMISMATCH,
		    "release: origin %s, expected "
		    "%s",
		    out->origin, root->origin);
	else if (strcmp(out->channel, channel) != 0)
		rc = ls_error_set(LS_EMISMATCH,
		    "release: channel %s, expected "
		    "%s",
		    out->channel, channel);
	else if (out->seq != ts->release_seq)
		rc = ls_error_set(LS_EMISMATCH,
		    "release: seq %llu, timestamp "
		    "names %llu",
		    (unsigned long long)out->seq,
		    (unsigned long long)ts->release_seq);
	else if (out->seq < stored_seq)
		rc = ls_error_set(LS_EROLLBACK,
		    "release: seq %llu is lower "
		    "than %llu already applied (rollback)",
		    (unsigned long long)out->seq,
		    (unsigned long long)stored_seq);
	else if (out->seq < floor)
		rc = ls_error_set(LS_EROLLBACK,
		    "release: seq %llu is below "
		    "floor %llu",
		    (unsigned long long)out->seq, (unsigned long long)floor);
	else if (out->floor > out->seq)
		rc = ls_error_set(LS_EFORMAT,
		    "release: floor %llu above its "
		    "own seq %llu",
		    (unsigned long long)out->floor,
		    (unsigned long long)out->seq);
	else if (t >= out->expires)
		rc = ls_error_set(LS_EEXPIRED, "release: seq %llu expired",
		    (unsigned long long)out->seq);
out:
	if (rc < 0)
		ls_release_cleanup(out);
	ls_note_free(note);
	return rc;
}

int
ls_verify_bundle(const struct ls_release *rel, const uint8_t sha[LS_SHA256_LEN],
    uint64_t len)
{
	char hex[LS_SHA256_HEX_LEN + 1];

	if (len != rel->bundle_length)
		return ls_error_set(LS_EMISMATCH,
		    "bundle: %llu bytes, release "
		    "says %llu",
		    (unsigned long long)len,
		    (unsigned long long)rel->bundle_length);
	ls_hex_encode(hex, sha, LS_SHA256_LEN);
	if (strcmp(hex, rel->bundle_sha256) != 0)
		return ls_error_set(LS_EMISMATCH,
		    "bundle: sha256 %s, release "
		    "says %s",
		    hex, rel->bundle_sha256);
	return 0;
}
