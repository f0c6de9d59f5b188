/* buf.c - growable byte buffers with a hard maximum. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lockstep/buf.h"
#include "lockstep/error.h"

void
ls_buf_init(struct ls_buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

void
ls_buf_cleanup(struct ls_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

void
ls_buf_reset(struct ls_buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

/* Make room for n more bytes plus the NUL. */
static int
reserve(struct ls_buf *b, size_t n)
{
	size_t need, cap;
	char *p;

	if (n > b->max || b->len > b->max - n)
		return ls_error_set(LS_ETOOBIG, "buffer would exceed %zu bytes",
		    b->max);
	need = b->len + n + 1;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > ((size_t)-1) / 2 ? need : cap * 2;
	if (cap > b->max + 1)
		cap = b->max + 1;
	if ((p = realloc(b->data, cap)) == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory (%zu bytes)",
		    cap);
	b->data = p;
	b->cap = cap;
	return 0;
}

int
ls_buf_reserve(struct ls_buf *b, size_t n)
{
	return reserve(b, n);
}

int
ls_buf_add(struct ls_buf *b, const void *p, size_t n)
{
	int rc;

	if ((rc = reserve(b, n)) < 0)
		return rc;
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int
ls_buf_adds(struct ls_buf *b, const char *s)
{
	return ls_buf_add(b, s, strlen(s));
}

int
ls_buf_addc(struct ls_buf *b, char c)
{
	return ls_buf_add(b, &c, 1);
}

int
ls_buf_vaddf(struct ls_buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	int n, rc;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return ls_error_set(LS_EINVAL, "bad format string");
	if ((rc = reserve(b, (size_t)n)) < 0)
		return rc;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int
ls_buf_addf(struct ls_buf *b, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = ls_buf_vaddf(b, fmt, ap);
	va_end(ap);
	return rc;
}

char *
ls_buf_take(struct ls_buf *b, size_t *len_out)
{
	char *p = b->data;

	if (len_out != NULL)
		*len_out = b->len;
	if (p == NULL)
		p = calloc(1, 1);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	return p;
}

size_t
ls_u64_dec(char out[LS_U64_DEC_MAX], uint64_t v)
{
	char t[LS_U64_DEC_MAX];
	size_t i = sizeof(t), n;

	do
		t[--i] = (char)('0' + v % 10);
	while ((v /= 10) > 0);
	n = sizeof(t) - i;
	memcpy(out, t + i, n);
	out[n] = '\0';
	return n;
}
