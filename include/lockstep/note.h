/*
 * note.h - C2SP signed notes: sign, parse and verify with a threshold.
 *
 * A note is a UTF-8 text body of lines ending in "\n", a blank line, then
 * signature lines "\u2014 NAME BASE64(keyid[4] || sig[64])\n".  The
 * signature covers the body bytes exactly.  Lockstep bodies are "key value"
 * lines whose first line names the document type ("lockstep/release/v1").
 *
 * Verification: signatures from keys not in the set are ignored (so others
 * may co-sign); a signature from a key in the set that does not verify is
 * LS_EBADSIG; two signatures from the same key (name and key id, known or
 * not) are LS_EFORMAT, refused already by ls_note_parse; fewer than threshold valid signatures from distinct keys is
 * LS_EBADSIG.  A threshold of 0 counts as 1: a note that no known key
 * vouches for is never accepted.  Keys of the set that share one public key
 * under different names count once.
 */
#ifndef LOCKSTEP_NOTE_H
#define LOCKSTEP_NOTE_H

#include <stddef.h>

#include "lockstep/key.h"

#define LS_NOTE_MAX (64 * 1024) /* whole note, body and signatures */
#define LS_NOTE_MAX_SIGS 32

struct ls_note; /* a parsed note: body plus signature lines */

/* 1 if s[0..len) is well-formed UTF-8 (no overlong forms, surrogates or
 * values past U+10FFFF) with no ASCII control character other than "\n",
 * the rule for note text; else 0. */
int ls_utf8_valid(const char *s, size_t len);

/* Bytes of the well-formed UTF-8 sequence at s (at most n), 0 if none. */
size_t ls_utf8_seq(const char *s, size_t n);

/*
 * Sign body (must end in "\n", no blank line, valid UTF-8, <= LS_NOTE_MAX)
 * with every key.  *out gets the note text (NUL-terminated, caller frees).
 * LS_EFORMAT for a bad body, LS_ETOOBIG.
 */
int ls_note_sign(char **out, size_t *out_len, const char *body, size_t body_len,
    struct ls_key *const *keys, size_t nkeys);

/*
 * Parse note text without checking signatures.  LS_ETOOBIG past
 * LS_NOTE_MAX, LS_EFORMAT for anything malformed (no blank line, missing
 * final newline, bad base64, bad signature line, more than
 * LS_NOTE_MAX_SIGS signatures).
 */
int ls_note_parse(struct ls_note **out, const char *text, size_t len);
void ls_note_free(struct ls_note *n);

/* Number of signatures from distinct keys in ks that verify (> 0, at least
 * threshold), or LS_EBADSIG / LS_ENOMEM; see above. */
int ls_note_verify(const struct ls_note *n, const struct ls_keyset *ks,
    unsigned threshold);

/* Parse + verify in one step; 0 on success.  out may be NULL when only
 * checking. */
int ls_note_open(struct ls_note **out, const char *text, size_t len,
    const struct ls_keyset *ks, unsigned threshold);

/* The body (NUL-terminated copy owned by n). */
const char *ls_note_body(const struct ls_note *n, size_t *len);

/* Signature lines of the parsed note, in order: how many, and the key
 * name of the i-th (NULL past the end).  Unverified by themselves. */
size_t ls_note_nsigs(const struct ls_note *n);
const char *ls_note_sig_name(const struct ls_note *n, size_t i);

/* Append one more set of signatures to an existing note text (which is
 * parsed, not verified).  LS_EEXISTS if a key already signed it,
 * LS_ETOOBIG, LS_EFORMAT. */
int ls_note_cosign(char **out, size_t *out_len, const char *text, size_t len,
    struct ls_key *const *keys, size_t nkeys);

#endif
