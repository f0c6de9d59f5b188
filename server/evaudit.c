/*
 * evaudit.c - the evidence store's reads for audit packages.
 *
 * Many inclusion proofs in one tree (one per record): per tile level, the last tile read is kept with every
 * perfect subtree inside it hashed once, so a proof is a few lookups and
 * nearby entries share their tile reads.  Memory: a few hundred KiB,
 * whatever the number of proofs.
 */
#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evidence_impl.h"
#include "lockstep/error.h"

struct prove_tile {
	int loaded;
	uint64_t used; /* clock of the last use */
	uint64_t index;
	unsigned width;
	/* node[s][k]: subtree of height s starting at k << s in the tile */
	uint8_t node[EV_TILE_H][EV_TILE_W][LS_SHA256_LEN];
};

/* Tiles kept per level: the entry's own and the tree's right edge (every
 * proof in a tree that is not a power of two touches both), and more. */
#define PROVE_SLOTS 4

struct ls_evidence_prover {
	uint64_t size, clock;
	struct ev_reader r[EV_LEVELS];
	struct prove_tile t[EV_LEVELS][PROVE_SLOTS];
};

int
ls_evidence_prover_open(struct ls_evidence_prover **out,
    struct ls_evidence *ev, uint64_t size)
{
	struct ls_evidence_prover *p;
	uint8_t root[LS_SHA256_LEN];
	uint64_t h;
	unsigned L;

	*out = NULL;
	ls_evidence_root(ev, &h, root);
	if (size > h)
		return ls_error_set(LS_ENOTFOUND,
		    "evidence: size %" PRIu64 " is not in the tiles yet", size);
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return ls_error_set(LS_ENOMEM, "evidence: out of memory");
	p->size = size;
	for (L = 0; L < EV_LEVELS; L++)
		ev_reader_init(&p->r[L], ev->dir, size, h);
	*out = p;
	return 0;
}

void
ls_evidence_prover_free(struct ls_evidence_prover *p)
{
	unsigned L;

	if (p == NULL)
		return;
	for (L = 0; L < EV_LEVELS; L++)
		ev_reader_cleanup(&p->r[L]);
	free(p);
}

/* Tile (L, index) with every perfect subtree inside its width hashed:
 * kept, or loaded into the least recently used slot. */
static int
tile_load(struct prove_tile **out, struct ls_evidence_prover *p, unsigned L,
    uint64_t index)
{
	struct prove_tile *t = &p->t[L][0];
	uint64_t stored = p->size >> (EV_TILE_H * L), k;
	unsigned w, s, i;
	int rc;

	for (i = 0; i < PROVE_SLOTS; i++) {
		struct prove_tile *c = &p->t[L][i];

		if (c->loaded && c->index == index) {
			c->used = ++p->clock;
			*out = c;
			return 0;
		}
		if (!c->loaded || c->used < t->used)
			t = c;
	}
	if (stored <= index * EV_TILE_W)
		return ls_error_set(LS_ENOTFOUND,
		    "evidence: tile %u/%" PRIu64 " is past the tree", L, index);
	w = stored - index * EV_TILE_W >= EV_TILE_W
	    ? EV_TILE_W
	    : (unsigned)(stored - index * EV_TILE_W);
	t->loaded = 0;
	/* The last one first: the reader then holds the whole width. */
	if ((rc = ev_reader_node(&p->r[L], EV_TILE_H * L,
		 index * EV_TILE_W + w - 1, t->node[0][w - 1])) != 0)
		return rc;
	for (k = 0; k + 1 < w; k++)
		if ((rc = ev_reader_node(&p->r[L], EV_TILE_H * L,
			 index * EV_TILE_W + k, t->node[0][k])) != 0)
			return rc;
	for (s = 1; s < EV_TILE_H; s++)
		for (k = 0; (k + 1) << s <= w; k++)
			ls_merkle_node(t->node[s][k], t->node[s - 1][2 * k],
			    t->node[s - 1][2 * k + 1]);
	t->loaded = 1;
	t->index = index;
	t->width = w;
	t->used = ++p->clock;
	*out = t;
	return 0;
}

static int
prover_node(void *arg, unsigned level, uint64_t index,
    uint8_t out[LS_SHA256_LEN])
{
	struct ls_evidence_prover *p = arg;
	unsigned L = level / EV_TILE_H, s = level % EV_TILE_H;
	uint64_t first = index << s;
	unsigned off = (unsigned)(first % EV_TILE_W);
	struct prove_tile *t;
	int rc;

	if (L >= EV_LEVELS)
		return ls_error_set(LS_EINVAL, "evidence: level %u", level);
	if ((rc = tile_load(&t, p, L, first / EV_TILE_W)) != 0)
		return rc;
	if (off + (1u << s) > t->width)
		return ls_error_set(LS_ENOTFOUND, "evidence: node past size");
	memcpy(out, t->node[s][off >> s], LS_SHA256_LEN);
	return 0;
}

int
ls_evidence_prover_proof(struct ls_evidence_prover *p, uint64_t index,
    uint8_t leaf[LS_SHA256_LEN],
    uint8_t proof[LS_MERKLE_MAX_PROOF][LS_SHA256_LEN], size_t *len_out)
{
	int rc;

	*len_out = 0;
	if (index >= p->size)
		return ls_error_set(LS_ENOTFOUND,
		    "entry %" PRIu64 " is not in a tree of %" PRIu64, index,
		    p->size);
	if ((rc = prover_node(p, 0, index, leaf)) != 0)
		return rc;
	return ls_merkle_inclusion_fn(proof, len_out, prover_node, p, index,
	    p->size);
}

/* %XX-decoding of a partition value (evindex.c's enc). */
static int
dec(char *out, size_t n, const char *s)
{
	size_t o = 0;
	unsigned v;

	for (; *s != '\0'; s++) {
		if (o + 1 >= n)
			return -1;
		if (*s == '%') {
			if (sscanf(s + 1, "%2x", &v) != 1 || v == 0)
				return -1;
			out[o++] = (char)v;
			s += 2;
		} else
			out[o++] = *s;
	}
	out[o] = '\0';
	return 0;
}

int
ls_evidence_controls(struct ls_evidence *ev, const char *framework,
    int (*fn)(void *arg, const char *control), void *arg)
{
	char rel[EV_PART_PATH], dir[PATH_MAX], probe[256], id[256], ct[192];
	struct dirent *de;
	char *c;
	DIR *d;
	int rc = 0;

	snprintf(probe, sizeof(probe), "%s:x", framework);
	if ((rc = ev_part_rel(rel, sizeof(rel), "decision", probe, 0)) != 0)
		return rc;
	if ((c = strstr(rel, "/control=")) != NULL)
		*c = '\0';
	if ((rc = ev_path(dir, sizeof(dir), "%s/partitions/%s", ev->dir,
		 rel)) != 0)
		return rc;
	if ((d = opendir(dir)) == NULL)
		return 0; /* no decision names the framework */
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "control=", 8) != 0 ||
		    dec(ct, sizeof(ct), de->d_name + 8) != 0)
			continue;
		snprintf(id, sizeof(id), "%s:%s", framework, ct);
		rc = fn(arg, id);
	}
	closedir(d);
	return rc;
}
