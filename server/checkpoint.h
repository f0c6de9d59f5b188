/*
 * checkpoint.h - signed checkpoints of the evidence log's Merkle tree, in
 * the C2SP tlog-checkpoint format, signed by the log key:
 *
 *   ORIGIN/evidence
 *   SIZE
 *   BASE64(root hash)
 *
 *   — log BASE64(keyid || signature)
 *
 * kept at DATA/evidence/checkpoint.note.  With a checkpoint and the
 * inclusion proofs of GET /v1/evidence/proof an auditor checks offline
 * that the entries handed over are in the log the server signed.
 */
#ifndef LOCKSTEP_SERVER_CHECKPOINT_H
#define LOCKSTEP_SERVER_CHECKPOINT_H

#include <stdint.h>

#include "evidence.h"
#include "lockstep/key.h"

/* Sign the tree of ev as it is now and write the checkpoint file.
 * *size_out gets its size.  LS_EIO, LS_ENOMEM. */
int ls_checkpoint_write(struct ls_evidence *ev, const char *data_dir,
    const char *origin, struct ls_key *log_key, uint64_t *size_out);

/*
 * Offline check of DATA/evidence/checkpoint.note: signed by the log key
 * of the newest DATA/v1/root/N.note (with its threshold), and its root is
 * the tree of the first SIZE entries of the log.  *size_out gets SIZE.
 * LS_ENOTFOUND when there is no checkpoint, LS_EBADSIG, LS_EMISMATCH.
 */
int ls_checkpoint_verify(const char *data_dir, uint64_t *size_out);

#endif
