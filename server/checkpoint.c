/* checkpoint.c - signed checkpoints of the evidence tree. */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "checkpoint.h"
#include "lockstep/doc.h"
#include "lockstep/error.h"
#include "lockstep/file.h"
#include "lockstep/note.h"
#include "merkle.h"

#define MAX_ROOTS 1000

static int
ckpt_path(char *out, size_t n, const char *data_dir)
{
	int k = snprintf(out, n, "%s/evidence/checkpoint.note", data_dir);

	if (k < 0 || (size_t)k >= n)
		return ls_error_set(LS_EINVAL, "%s: path too long", data_dir);
	return 0;
}

int
ls_checkpoint_write(struct ls_evidence *ev, const char *data_dir,
    const char *origin, struct ls_key *log_key, uint64_t *size_out)
{
	char path[PATH_MAX], b64[64], body[LS_NAME_MAX + 128], *note = NULL;
	uint8_t root[LS_SHA256_LEN];
	size_t nlen;
	uint64_t size;
	int n, rc;

	ls_evidence_root(ev, &size, root);
	ls_base64_encode(b64, sizeof(b64), root, sizeof(root));
	n = snprintf(body, sizeof(body), "%s/evidence\n%" PRIu64 "\n%s\n",
	    origin, size, b64);
	if (n < 0 || (size_t)n >= sizeof(body))
		return ls_error_set(LS_EINVAL, "checkpoint: origin too long");
	if ((rc = ckpt_path(path, sizeof(path), data_dir)) != 0 ||
	    (rc = ls_note_sign(&note, &nlen, body, (size_t)n, &log_key, 1)) !=
		0)
		return rc;
	rc = ls_file_write_atomic(path, note, nlen, 0644);
	free(note);
	if (rc == 0)
		*size_out = size;
	return rc;
}

/* The newest root note under DATA/v1/root. */
static int
load_root(struct ls_root *out, const char *data_dir)
{
	char path[PATH_MAX], *text = NULL, *best = NULL;
	struct ls_note *note = NULL;
	const char *body;
	size_t len = 0, best_len = 0, blen;
	unsigned v;
	int rc;

	for (v = 1; v <= MAX_ROOTS; v++) {
		snprintf(path, sizeof(path), "%s/v1/root/%u.note", data_dir, v);
		if (ls_file_read(&text, &len, path, LS_NOTE_MAX) != 0)
			break;
		free(best);
		best = text;
		best_len = len;
		text = NULL;
	}
	ls_error_clear();
	if (best == NULL)
		return ls_error_set(LS_ENOTFOUND, "%s/v1/root: no root note",
		    data_dir);
	if ((rc = ls_note_parse(&note, best, best_len)) == 0) {
		body = ls_note_body(note, &blen);
		rc = ls_root_parse(out, body, blen);
	}
	ls_note_free(note);
	free(best);
	return rc;
}

/* Parse "ORIGIN\nSIZE\nB64ROOT\n". */
static int
parse_body(const char *body, uint64_t *size, uint8_t root[LS_SHA256_LEN])
{
	const char *p = strchr(body, '\n'), *q;
	size_t got = 0;
	char *end;

	if (p == NULL || (q = strchr(p + 1, '\n')) == NULL)
		return ls_error_set(LS_EFORMAT, "checkpoint: malformed body");
	*size = strtoull(p + 1, &end, 10);
	if (end != q || p[1] < '0' || p[1] > '9')
		return ls_error_set(LS_EFORMAT, "checkpoint: bad size");
	p = q + 1;
	if ((q = strchr(p, '\n')) == NULL ||
	    ls_base64_decode(root, LS_SHA256_LEN, &got, p, (size_t)(q - p)) !=
		0 ||
	    got != LS_SHA256_LEN)
		return ls_error_set(LS_EFORMAT, "checkpoint: bad root hash");
	return 0;
}

int
ls_checkpoint_verify(const char *data_dir, uint64_t *size_out)
{
	char path[PATH_MAX], *text = NULL;
	uint8_t want[LS_SHA256_LEN], got[LS_SHA256_LEN];
	struct ls_note *note = NULL;
	struct ls_root root;
	uint64_t size = 0, count = 0;
	size_t len;
	int rc;

	memset(&root, 0, sizeof(root));
	if ((rc = ckpt_path(path, sizeof(path), data_dir)) != 0 ||
	    (rc = ls_file_read(&text, &len, path, LS_NOTE_MAX)) != 0)
		return rc;
	if ((rc = load_root(&root, data_dir)) != 0)
		goto out;
	if ((rc = ls_note_open(&note, text, len, &root.keys[LS_ROLE_LOG],
		 root.threshold[LS_ROLE_LOG])) != 0) {
		rc = ls_error_wrap(rc, "%s", path);
		goto out;
	}
	if ((rc = parse_body(ls_note_body(note, NULL), &size, want)) != 0)
		goto out;
	rc = ls_evidence_tree_root(data_dir, size, &count, got);
	if (rc != 0 && rc != LS_ENOTFOUND)
		goto out;
	if (rc != 0 || size > count) {
		rc = ls_error_set(LS_EMISMATCH,
		    "%s: signed size %" PRIu64 " but the log has %" PRIu64
		    " entries (truncated?)",
		    path, size, count);
		goto out;
	}
	if (sodium_memcmp(got, want, LS_SHA256_LEN) != 0) {
		rc = ls_error_set(LS_EMISMATCH,
		    "%s: the first %" PRIu64
		    " entries do not hash to the signed root",
		    path, size);
		goto out;
	}
	*size_out = size;
out:
	ls_note_free(note);
	ls_root_cleanup(&root);
	free(text);
	return rc;
}
