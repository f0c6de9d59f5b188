/*
 * buf.h - growable byte buffers with a hard maximum (curl's dynbuf).
 *
 * Every buffer that grows from outside input is given its maximum when it
 * is initialised; an append past it fails with LS_ETOOBIG and leaves the
 * buffer unchanged.  The data is always NUL-terminated (the NUL is not
 * counted in len), so text can be handed to string functions directly.
 */
#ifndef LOCKSTEP_BUF_H
#define LOCKSTEP_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

struct ls_buf {
	char *data; /* owned; NULL until the first append */
	size_t len; /* bytes used, excluding the trailing NUL */
	size_t cap; /* bytes allocated */
	size_t max; /* largest len allowed */
};

void ls_buf_init(struct ls_buf *b, size_t max);
void ls_buf_cleanup(struct ls_buf *b); /* frees data; safe to repeat */
void ls_buf_reset(struct ls_buf *b);   /* len = 0, keeps the memory */

/* Room for n more bytes without another allocation (a hint: what is
 * appended may still grow it).  LS_ETOOBIG past max, LS_ENOMEM. */
int ls_buf_reserve(struct ls_buf *b, size_t n);

/* Append bytes. LS_ETOOBIG past max, LS_ENOMEM; buffer unchanged on error. */
int ls_buf_add(struct ls_buf *b, const void *p, size_t n);
int ls_buf_adds(struct ls_buf *b, const char *s);
int ls_buf_addc(struct ls_buf *b, char c);
int ls_buf_addf(struct ls_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int ls_buf_vaddf(struct ls_buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/*
 * Hand the data to the caller (free() it) and reset the buffer.  Never
 * returns NULL for an empty buffer: it returns an allocated "" then, or
 * NULL only if that allocation fails.  *len_out may be NULL.
 */
char *ls_buf_take(struct ls_buf *b, size_t *len_out);

/* v in decimal at out, NUL-terminated; returns the digits' count. */
#define LS_U64_DEC_MAX 21 /* the digits of UINT64_MAX and the NUL */
size_t ls_u64_dec(char out[LS_U64_DEC_MAX], uint64_t v);

#endif
