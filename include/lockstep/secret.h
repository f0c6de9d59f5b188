/*
 * secret.h - files that hold secrets (secret keys, tokens) and the
 * comparison of tokens.
 *
 * A secret file that group or others may access is refused, naming the
 * file and its mode, as ssh refuses such private keys: whoever can read
 * the file can sign or enrol as its owner.  Secrets are read into
 * sodium_malloc memory only.  Tokens are compared in constant time over
 * fixed-size hashes of both sides, so neither their content nor their
 * length leaks through timing.
 */
#ifndef LOCKSTEP_SECRET_H
#define LOCKSTEP_SECRET_H

#include <stddef.h>

#define LS_SECRET_TOKEN_MAX 4096 /* bytes of a token file */

/* 0 when the open file fd grants nothing to group and others, else
 * LS_EUNSAFE naming path and the mode; LS_EIO when fstat fails. */
int ls_secret_check_mode(int fd, const char *path);

/*
 * Read a secret file of less than max bytes into sodium_malloc memory
 * (*out is NUL-terminated; free it with ls_secret_free).  The mode is
 * checked first.  LS_ENOTFOUND, LS_EUNSAFE, LS_ETOOBIG, LS_EIO.
 */
int ls_secret_read(char **out, size_t *out_len, const char *path, size_t max);

/* A token file: one line, trailing newline and spaces dropped.  As
 * ls_secret_read, plus LS_EFORMAT for an empty file or several lines. */
int ls_secret_read_token(char **out, const char *path);

/* Wipe and free what ls_secret_read returned; NULL is a no-op. */
void ls_secret_free(char *s);

/* 1 when a[0..alen) equals b[0..blen), else 0, in time that depends on
 * neither content nor where or whether the lengths differ. */
int ls_secret_equal(const void *a, size_t alen, const void *b, size_t blen);

#endif
