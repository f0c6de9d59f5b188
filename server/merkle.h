/*
 * merkle.h - RFC 6962 Merkle tree hashing for the evidence log.
 *
 * Leaf hash = SHA-256(0x00 || entry), node hash = SHA-256(0x01 || left ||
 * right); the tree of n leaves splits at the largest power of two below
 * n.  The log keeps the right edge ("frontier": roots of the perfect
 * subtrees making up n) so the root after each append costs O(log n);
 * inclusion proofs are computed from the stored leaf hashes.
 */
#ifndef LOCKSTEP_SERVER_MERKLE_H
#define LOCKSTEP_SERVER_MERKLE_H

#include <stddef.h>
#include <stdint.h>

#include "lockstep/hash.h"

#define LS_MERKLE_MAX_PROOF 64

void ls_merkle_leaf(uint8_t out[LS_SHA256_LEN], const void *data, size_t len);
void ls_merkle_node(uint8_t out[LS_SHA256_LEN], const uint8_t l[LS_SHA256_LEN],
    const uint8_t r[LS_SHA256_LEN]);

/* The growing right edge of a tree. */
struct ls_merkle_frontier {
	uint8_t h[LS_MERKLE_MAX_PROOF][LS_SHA256_LEN]; /* subtree roots */
	unsigned height[LS_MERKLE_MAX_PROOF];	       /* log2 of sizes */
	size_t n;				       /* in h */
	uint64_t size;				       /* leaves */
};

void ls_merkle_frontier_init(struct ls_merkle_frontier *f);
void ls_merkle_frontier_add(struct ls_merkle_frontier *f,
    const uint8_t leaf[LS_SHA256_LEN]);
/* Root of the tree so far (SHA-256 of "" for an empty tree). */
void ls_merkle_frontier_root(const struct ls_merkle_frontier *f,
    uint8_t out[LS_SHA256_LEN]);

/* Root of leaves[0..n). */
void ls_merkle_root(uint8_t out[LS_SHA256_LEN],
    const uint8_t (*leaves)[LS_SHA256_LEN], uint64_t n);

/* Inclusion proof of leaf m in the tree of n leaves (RFC 6962 PATH).
 * *len_out hashes into proof.  LS_EINVAL for m >= n. */
int ls_merkle_inclusion(uint8_t proof[LS_MERKLE_MAX_PROOF][LS_SHA256_LEN],
    size_t *len_out, const uint8_t (*leaves)[LS_SHA256_LEN], uint64_t m,
    uint64_t n);

/* Check a proof (RFC 9162 2.1.3.2).  0 or LS_EMISMATCH. */
int ls_merkle_verify_inclusion(const uint8_t leaf[LS_SHA256_LEN], uint64_t m,
    uint64_t n, const uint8_t (*proof)[LS_SHA256_LEN], size_t len,
    const uint8_t root[LS_SHA256_LEN]);

/* RFC 6962 consistency proof (SUBPROOF) from tree size m to n computed
 * from all leaf hashes: the reference the tile reader is tested against.
 * Empty for m == n or m == 0.  LS_EINVAL for m > n. */
int ls_merkle_consistency(uint8_t proof[LS_MERKLE_MAX_PROOF][LS_SHA256_LEN],
    size_t *len_out, const uint8_t (*leaves)[LS_SHA256_LEN], uint64_t m,
    uint64_t n);

/* Check a consistency proof (RFC 9162 2.1.4.2).  0 or LS_EMISMATCH. */
int ls_merkle_verify_consistency(uint64_t m, uint64_t n,
    const uint8_t (*proof)[LS_SHA256_LEN], size_t len,
    const uint8_t root1[LS_SHA256_LEN], const uint8_t root2[LS_SHA256_LEN]);

/*
 * The same proofs from a source of complete subtree hashes: fn gives the
 * hash of the perfect subtree at height level whose leftmost leaf is
 * index << level (the tile reader answers it from tlog tiles in O(1)
 * reads).  fn returns 0 or a negative ls_err, passed on.
 */
typedef int (*ls_merkle_node_fn)(void *arg, unsigned level, uint64_t index,
    uint8_t out[LS_SHA256_LEN]);

/* Hash of leaves [a, b) (RFC 6962 MTH of that range), b > a. */
int ls_merkle_range_fn(uint8_t out[LS_SHA256_LEN], ls_merkle_node_fn fn,
    void *arg, uint64_t a, uint64_t b);
int ls_merkle_inclusion_fn(uint8_t proof[LS_MERKLE_MAX_PROOF][LS_SHA256_LEN],
    size_t *len_out, ls_merkle_node_fn fn, void *arg, uint64_t m, uint64_t n);
int ls_merkle_consistency_fn(uint8_t proof[LS_MERKLE_MAX_PROOF][LS_SHA256_LEN],
    size_t *len_out, ls_merkle_node_fn fn, void *arg, uint64_t m, uint64_t n);

#endif
