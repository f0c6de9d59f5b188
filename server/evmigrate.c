/*
 * evmigrate.c - moving an old DATA/evidence/log.jsonl (the hash-chained
 * log of earlier versions) into the tiled store on first start.
 *
 * Each old line is checked (JSON object, n counting from 0, prev the
 * SHA-256 of the line before) and re-appended in order with its kind,
 * channel, agent, details and original time, so entry n keeps its n.
 * A crash part-way resumes at the first entry the new store lacks.  At
 * the end the old file is renamed log.jsonl.migrated (kept, never read
 * again).  The leaves are not the old lines (prev is gone), so the old
 * checkpoint does not sign the new tree: it is kept aside as
 * checkpoint.note.migrated, next to the old log it signed.  A broken old
 * chain is refused: the server does not start and the message names the
 * line.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evidence_impl.h"
#include "lockstep/error.h"
#include "lockstep/file.h"
#include "lockstep/hash.h"

#define MIGRATE_BATCH 4096

static const char zero_hash[] =
    "0000000000000000000000000000000000000000000000000000000000000000";

static int
old_line(const char *path, const char *line, size_t len, uint64_t n,
    char prev[LS_SHA256_HEX_LEN + 1], json_t **out)
{
	json_t *e = json_loadb(line, len, JSON_REJECT_DUPLICATES, NULL), *v;

	*out = NULL;
	if (e == NULL || !json_is_object(e) ||
	    !json_is_integer(v = json_object_get(e, "n")) ||
	    (uint64_t)json_integer_value(v) != n ||
	    !json_is_string(v = json_object_get(e, "prev")) ||
	    strcmp(json_string_value(v), prev) != 0) {
		json_decref(e);
		return ls_error_set(LS_EFORMAT,
		    "%s: entry %" PRIu64 ": not an entry of an unbroken chain; "
		    "fix or move the file away to start with an empty log",
		    path, n);
	}
	ls_sha256_hex(prev, line, len);
	*out = e;
	return 0;
}

static int
keep_old_checkpoint(struct ls_evidence *ev)
{
	char from[PATH_MAX], to[PATH_MAX + 16];
	int rc;

	if ((rc = ev_path(from, sizeof(from), "%s/checkpoint.note", ev->dir)) !=
		0 ||
	    (rc = ev_path(to, sizeof(to), "%s.migrated", from)) != 0)
		return rc;
	if (!ls_file_exists(from) || ls_file_exists(to))
		return 0;
	if (rename(from, to) < 0 || ls_file_fsync_dir(ev->dir) != 0)
		return ls_error_set(LS_EIO, "%s: cannot rename: %s", from,
		    strerror(errno));
	return 0;
}

int
ev_migrate(struct ls_evidence *ev)
{
	char path[PATH_MAX], done[PATH_MAX + 16], prev[LS_SHA256_HEX_LEN + 1];
	uint64_t n = 0, have = ls_evidence_count(ev);
	char *line = NULL;
	size_t cap = 0;
	ssize_t got;
	json_t *e = NULL, *batch[MIGRATE_BATCH];
	size_t nb = 0, i;
	FILE *f;
	int rc = 0;

	if ((rc = ev_path(path, sizeof(path), "%s/log.jsonl", ev->dir)) != 0 ||
	    (rc = ev_path(done, sizeof(done), "%s.migrated", path)) != 0)
		return rc;
	if ((f = fopen(path, "re")) == NULL)
		return errno == ENOENT
		    ? 0
		    : ls_error_set(LS_EIO, "%s: %s", path, strerror(errno));
	memcpy(prev, zero_hash, sizeof(zero_hash));
	if ((rc = keep_old_checkpoint(ev)) != 0) {
		fclose(f);
		return rc;
	}
	while (rc == 0 && (got = getline(&line, &cap, f)) > 0) {
		if (line[got - 1] != '\n')
			break; /* torn: never acknowledged */
		if ((rc = old_line(path, line, (size_t)got - 1, n, prev, &e)) !=
		    0)
			break;
		if (n++ < have) {
			json_decref(e);
			continue;
		}
		batch[nb++] = e;
		if (nb == MIGRATE_BATCH) {
			rc = ev_append_at(ev, batch, nb);
			for (i = 0; i < nb; i++)
				json_decref(batch[i]);
			nb = 0;
		}
	}
	if (rc == 0 && nb > 0)
		rc = ev_append_at(ev, batch, nb);
	for (i = 0; i < nb; i++)
		json_decref(batch[i]);
	free(line);
	fclose(f);
	if (rc == 0 && n < have)
		rc = ls_error_set(LS_EFORMAT,
		    "%s: %" PRIu64 " entries but the store already has %" PRIu64
		    "; move it away",
		    path, n, have);
	if (rc == 0 &&
	    (rename(path, done) < 0 || ls_file_fsync_dir(ev->dir) != 0))
		rc = ls_error_set(LS_EIO, "%s: cannot rename: %s", path,
		    strerror(errno));
	if (rc == 0)
		rc = ev_sync(ev, 600000);
	return rc;
}
