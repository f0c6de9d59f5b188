/*
 * audit_proof.h - RFC 6962 inclusion proofs for many entries of one tree:
 * the levels are hashed once, then each proof is a few lookups.  The
 * audit package needs one proof per record.
 */
#ifndef LOCKSTEP_SERVER_AUDIT_PROOF_H
#define LOCKSTEP_SERVER_AUDIT_PROOF_H

#include <stddef.h>
#include <stdint.h>

#include "merkle.h"

struct audit_tree {
	uint64_t n;			     /* leaves */
	uint8_t (*level[65])[LS_SHA256_LEN]; /* level[0]: the leaves,
						     borrowed; others owned */
	size_t nlevels;
};

/* Hash every level above the n leaves (borrowed; they must outlive t).
 * LS_ENOMEM. */
int audit_tree_build(struct audit_tree *t,
    const uint8_t (*leaves)[LS_SHA256_LEN], uint64_t n);
void audit_tree_free(struct audit_tree *t);
void audit_tree_root(const struct audit_tree *t, uint8_t out[LS_SHA256_LEN]);
/* The inclusion proof of leaf m.  LS_ENOTFOUND past the end. */
int audit_tree_path(const struct audit_tree *t,
    uint8_t proof[LS_MERKLE_MAX_PROOF][LS_SHA256_LEN], size_t *len_out,
    uint64_t m);

#endif
