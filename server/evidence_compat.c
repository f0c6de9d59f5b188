/*
 * evidence_compat.c - INTERIM ls_evidence_append_many and ls_evidence_get
 * (notes/decisions-protocol.md section 3) over the present evidence.c,
 * until the `store` branch implements them for real.  The lead deletes this
 * file at merge; nothing else lives here.
 *
 * append_many is a loop over ls_evidence_append (one fsync per entry, and
 * a kill -9 in the middle leaves a partial group, never acknowledged);
 * get is a forward scan of log.jsonl that remembers where it stopped.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "evidence.h"
#include "lockstep/error.h"

/* Must match struct ls_evidence in evidence.c (interim only). */
struct ls_evidence {
	pthread_mutex_t mu;
	int fd;
	char path[PATH_MAX];
	char last[LS_SHA256_HEX_LEN + 1];
	uint64_t count;
	off_t size;
	uint8_t (*leaves)[LS_SHA256_LEN];
	size_t cap;
	struct ls_merkle_frontier tree;
};

/* Groups do not interleave with each other (other appends still may). */
static pthread_mutex_t group_mu = PTHREAD_MUTEX_INITIALIZER;

int
ls_evidence_append_many(struct ls_evidence *ev,
    const struct ls_evidence_item *items, size_t n, uint64_t *first_out)
{
	size_t i;
	int rc = 0;

	pthread_mutex_lock(&group_mu);
	if (first_out != NULL)
		*first_out = ls_evidence_count(ev);
	for (i = 0; i < n && rc == 0; i++)
		rc = ls_evidence_append(ev, items[i].kind, items[i].channel,
		    items[i].agent, items[i].details);
	pthread_mutex_unlock(&group_mu);
	return rc;
}

static pthread_mutex_t scan_mu = PTHREAD_MUTEX_INITIALIZER;
static struct {
	const struct ls_evidence *ev;
	uint64_t index; /* entry that starts at off */
	off_t off;
} scan;

int
ls_evidence_get(struct ls_evidence *ev, uint64_t index, json_t **out)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t got = 0;
	uint64_t at = 0, count;
	off_t off = 0, size;
	FILE *f;
	int rc = 0;

	*out = NULL;
	pthread_mutex_lock(&ev->mu);
	count = ev->count;
	size = ev->size;
	pthread_mutex_unlock(&ev->mu);
	if (index >= count)
		return ls_error_set(LS_ENOTFOUND, "no evidence entry %llu",
		    (unsigned long long)index);
	if ((f = fopen(ev->path, "re")) == NULL)
		return ls_error_set(LS_EIO, "%s: %s", ev->path,
		    strerror(errno));
	pthread_mutex_lock(&scan_mu);
	if (scan.ev == ev && scan.index <= index) {
		at = scan.index;
		off = scan.off;
	}
	if (fseeko(f, off, SEEK_SET) != 0)
		rc = ls_error_set(LS_EIO, "%s: seek", ev->path);
	while (rc == 0 && off < size && (got = getline(&line, &cap, f)) > 0 &&
	    at < index) {
		off += got;
		at++;
	}
	if (rc == 0 && (at != index || got <= 0 || line[got - 1] != '\n'))
		rc = ls_error_set(LS_EIO, "%s: entry %llu not found", ev->path,
		    (unsigned long long)index);
	if (rc == 0 &&
	    (*out = json_loadb(line, (size_t)got - 1, 0, NULL)) == NULL)
		rc = ls_error_set(LS_EFORMAT, "%s: entry %llu: bad JSON",
		    ev->path, (unsigned long long)index);
	if (rc == 0) {
		scan.ev = ev;
		scan.index = index + 1;
		scan.off = off + got;
	}
	pthread_mutex_unlock(&scan_mu);
	free(line);
	fclose(f);
	return rc;
}
