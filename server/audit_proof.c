/* audit_proof.c - inclusion proofs of many entries at once: every level
 * of the RFC 6962 tree kept in memory (about two hashes per leaf), so each
 * proof costs O(log^2 n) lookups instead of rehashing the leaves; the
 * same tree and the same proofs as ls_merkle_inclusion. */
#include <stdlib.h>
#include <string.h>

#include "audit_proof.h"
#include "lockstep/error.h"

static uint64_t
split(uint64_t n) /* largest power of two smaller than n (n >= 2) */
{
	uint64_t k = 1;

	while (k << 1 < n)
		k <<= 1;
	return k;
}

void
audit_tree_free(struct audit_tree *t)
{
	size_t l;

	for (l = 1; l < t->nlevels; l++)
		free(t->level[l]);
	memset(t, 0, sizeof(*t));
}

int
audit_tree_build(struct audit_tree *t, const uint8_t (*leaves)[LS_SHA256_LEN],
    uint64_t n)
{
	uint64_t i, w;

	memset(t, 0, sizeof(*t));
	t->n = n;
	t->level[0] = (uint8_t(*)[LS_SHA256_LEN])(uintptr_t)leaves;
	t->nlevels = 1;
	for (w = n / 2; w > 0; w /= 2) {
		uint8_t(*up)[LS_SHA256_LEN] = malloc(w * LS_SHA256_LEN);
		uint8_t(*down)[LS_SHA256_LEN] = t->level[t->nlevels - 1];

		if (up == NULL) {
			audit_tree_free(t);
			return ls_error_set(LS_ENOMEM, "out of memory");
		}
		for (i = 0; i < w; i++)
			ls_merkle_node(up[i], down[2 * i], down[2 * i + 1]);
		t->level[t->nlevels++] = up;
	}
	return 0;
}

/* MTH of leaves [lo, hi): a perfect aligned subtree is one lookup. */
static void
mth(const struct audit_tree *t, uint8_t out[LS_SHA256_LEN], uint64_t lo,
    uint64_t hi)
{
	uint8_t l[LS_SHA256_LEN], r[LS_SHA256_LEN];
	uint64_t n = hi - lo, k;
	size_t lv = 0;

	if ((n & (n - 1)) == 0 && lo % n == 0) {
		while (((uint64_t)1 << lv) < n)
			lv++;
		memcpy(out, t->level[lv][lo >> lv], LS_SHA256_LEN);
		return;
	}
	k = split(n);
	mth(t, l, lo, lo + k);
	mth(t, r, lo + k, hi);
	ls_merkle_node(out, l, r);
}

void
audit_tree_root(const struct audit_tree *t, uint8_t out[LS_SHA256_LEN])
{
	if (t->n == 0)
		ls_merkle_root(out, NULL, 0);
	else
		mth(t, out, 0, t->n);
}

static void
path(const struct audit_tree *t,
    uint8_t proof[LS_MERKLE_MAX_PROOF][LS_SHA256_LEN], size_t *len, uint64_t m,
    uint64_t lo, uint64_t hi)
{
	uint64_t k;

	if (hi - lo <= 1)
		return;
	k = split(hi - lo);
	if (m < lo + k) {
		path(t, proof, len, m, lo, lo + k);
		mth(t, proof[(*len)++], lo + k, hi);
	} else {
		path(t, proof, len, m, lo + k, hi);
		mth(t, proof[(*len)++], lo, lo + k);
	}
}

int
audit_tree_path(const struct audit_tree *t,
    uint8_t proof[LS_MERKLE_MAX_PROOF][LS_SHA256_LEN], size_t *len_out,
    uint64_t m)
{
	*len_out = 0;
	if (m >= t->n)
		return ls_error_set(LS_ENOTFOUND,
		    "entry %llu is not in a tree "
		    "of %llu",
		    (unsigned long long)m, (unsigned long long)t->n);
	path(t, proof, len_out, m, 0, t->n);
	return 0;
}
