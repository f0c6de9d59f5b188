/*
 * evread.c - reading the evidence store without the write lock: counts,
 * roots, entries and proofs from tiles (the materialised part) or the
 * in-memory tail (acknowledged, not yet materialised).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "evidence_impl.h"
#include "lockstep/error.h"

#define PROOF_WAIT_MS 5000

uint64_t
ls_evidence_count(struct ls_evidence *ev)
{
	uint64_t n;

	pthread_mutex_lock(&ev->q_mu);
	n = ev->next_n;
	pthread_mutex_unlock(&ev->q_mu);
	return n;
}

int
ls_evidence_sync(struct ls_evidence *ev, unsigned ms)
{
	return ev_sync(ev, ms);
}

void
ls_evidence_root(struct ls_evidence *ev, uint64_t *size_out,
    uint8_t root[LS_SHA256_LEN])
{
	pthread_mutex_lock(&ev->t_mu);
	*size_out = ev->h;
	ls_merkle_frontier_root(&ev->front, root);
	pthread_mutex_unlock(&ev->t_mu);
}

static uint64_t
materialised(struct ls_evidence *ev)
{
	uint64_t h;

	pthread_mutex_lock(&ev->t_mu);
	h = ev->h;
	pthread_mutex_unlock(&ev->t_mu);
	return h;
}

/* The materialised size once it reaches size (waits a little). */
static int
reach(struct ls_evidence *ev, uint64_t size, uint64_t *h_out)
{
	uint64_t h = materialised(ev);

	if (size > h) {
		if (size > ls_evidence_count(ev))
			return ls_error_set(LS_ENOTFOUND,
			    "evidence: the log has fewer than %" PRIu64
			    " entries",
			    size);
		(void)ev_sync(ev, PROOF_WAIT_MS);
		if (size > (h = materialised(ev)))
			return ls_error_set(LS_ENOTFOUND,
			    "evidence: size %" PRIu64
			    " is not in the tiles yet",
			    size);
	}
	*h_out = h;
	return 0;
}

int
ls_evidence_proof(struct ls_evidence *ev, uint64_t index, uint64_t size,
    uint8_t leaf[LS_SHA256_LEN],
    uint8_t proof[LS_MERKLE_MAX_PROOF][LS_SHA256_LEN], size_t *len_out)
{
	struct ev_reader r;
	uint64_t h;
	int rc;

	*len_out = 0;
	if (index >= size)
		return ls_error_set(LS_ENOTFOUND,
		    "entry %" PRIu64 " is not in a tree of %" PRIu64, index,
		    size);
	if ((rc = reach(ev, size, &h)) != 0)
		return rc;
	ev_reader_init(&r, ev->dir, size, h);
	if ((rc = ev_reader_node(&r, 0, index, leaf)) == 0)
		rc = ls_merkle_inclusion_fn(proof, len_out, ev_reader_node, &r,
		    index, size);
	ev_reader_cleanup(&r);
	return rc;
}

int
ls_evidence_consistency(struct ls_evidence *ev, uint64_t m, uint64_t n,
    uint8_t proof[LS_MERKLE_MAX_PROOF][LS_SHA256_LEN], size_t *len_out)
{
	struct ev_reader r;
	uint64_t h;
	int rc;

	*len_out = 0;
	if (m > n)
		return ls_error_set(LS_EINVAL,
		    "consistency: from %" PRIu64 " is past to %" PRIu64, m, n);
	if ((rc = reach(ev, n, &h)) != 0)
		return rc;
	ev_reader_init(&r, ev->dir, n, h);
	rc = ls_merkle_consistency_fn(proof, len_out, ev_reader_node, &r, m, n);
	ev_reader_cleanup(&r);
	return rc;
}

/* Entry index from the in-memory tail: 1 found, 0 past the end, -1 in
 * the tiles of the materialised size *h_out. */
static int
get_tail(struct ls_evidence *ev, uint64_t index, json_t **out, uint64_t *h_out)
{
	struct ev_ent *e;
	char *copy = NULL;
	size_t len = 0;
	int in_tail;

	pthread_mutex_lock(&ev->t_mu);
	*h_out = ev->h;
	in_tail = index >= ev->h && index - ev->h < ev->ntail;
	if (in_tail) {
		e = ev->tail[index - ev->h];
		if ((copy = malloc(e->len + 1)) != NULL) {
			memcpy(copy, e->line, e->len);
			len = e->len;
		}
	}
	pthread_mutex_unlock(&ev->t_mu);
	if (index < *h_out)
		return -1;
	if (copy == NULL)
		return 0;
	*out = json_loadb(copy, len, 0, NULL);
	free(copy);
	return 1;
}

int
ls_evidence_get(struct ls_evidence *ev, uint64_t index, json_t **out)
{
	struct ev_reader r;
	const char *line;
	uint64_t h;
	size_t len = 0;
	int rc = 0, where;

	*out = NULL;
	where = get_tail(ev, index, out, &h);
	if (where == 0)
		return ls_error_set(LS_ENOTFOUND, "evidence: no entry %" PRIu64,
		    index);
	if (where < 0) {
		ev_reader_init(&r, ev->dir, h, h);
		if ((rc = ev_reader_entry(&r, index, &line, &len)) == 0)
			*out = json_loadb(line, len, 0, NULL);
		ev_reader_cleanup(&r);
		if (rc != 0)
			return rc;
	}
	if (*out == NULL)
		return ls_error_set(LS_EFORMAT,
		    "evidence: entry %" PRIu64 " is not JSON", index);
	return 0;
}

int
ls_evidence_scan(struct ls_evidence *ev, uint64_t from,
    int (*fn)(void *arg, json_t *entry, uint64_t index), void *arg)
{
	struct ev_reader r;
	uint64_t i, h, count = ls_evidence_count(ev);
	const char *line;
	size_t len = 0;
	json_t *e;
	int rc = 0;

	pthread_mutex_lock(&ev->t_mu);
	h = ev->h;
	pthread_mutex_unlock(&ev->t_mu);
	ev_reader_init(&r, ev->dir, h, h);
	for (i = from; i < count && rc == 0; i++) {
		e = NULL;
		if (i < h) { /* one bundle read for its 256 entries */
			if ((rc = ev_reader_entry(&r, i, &line, &len)) != 0)
				break;
			if ((e = json_loadb(line, len, 0, NULL)) == NULL)
				rc = ls_error_set(LS_EFORMAT,
				    "evidence: entry %" PRIu64 " is not JSON",
				    i);
		} else {
			rc = ls_evidence_get(ev, i, &e);
		}
		if (rc == 0)
			rc = fn(arg, e, i);
		json_decref(e);
	}
	ev_reader_cleanup(&r);
	return rc;
}
