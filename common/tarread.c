/* tarread.c - a streaming tar / tar.gz reader over zlib (see tarread.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "lockstep/error.h"
#include "tarread.h"

#define BLOCK 512
#define IN_CAP (64 * 1024)
#define META_MAX 16 /* extended headers in a row before an entry */

struct tarread {
	int fd; /* -1: memory */
	const unsigned char *mem;
	size_t mem_len, mem_off;
	int raw_eof;
	unsigned char in[IN_CAP]; /* raw bytes read ahead */
	size_t in_pos, in_len;
	int gz, z_live, z_end; /* gzip; zlib initialised; stream over */
	z_stream z;
	uint64_t remain, pad; /* of the current entry */
	int done;
	/* From extended headers, for the next entry. */
	char ext_path[TARREAD_NAME_MAX + 1];
	int has_ext_path, ext_link, ext_sparse, has_ext_size;
	uint64_t ext_size;
	char path[TARREAD_NAME_MAX + 1];
};

/* ---- bytes in: raw, then inflated ---- */

static int
refill(struct tarread *t)
{
	ssize_t n;

	t->in_pos = t->in_len = 0;
	if (t->fd < 0) {
		n = (ssize_t)(t->mem_len - t->mem_off < IN_CAP
			? t->mem_len - t->mem_off
			: IN_CAP);
		memcpy(t->in, t->mem + t->mem_off, (size_t)n);
		t->mem_off += (size_t)n;
	} else {
		do
			n = read(t->fd, t->in, IN_CAP);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			return ls_error_set(LS_EIO, "read: %s",
			    strerror(errno));
	}
	t->in_len = (size_t)n;
	t->raw_eof = n == 0;
	return 0;
}

/* After a gzip member: another member follows, or the stream is over
 * (trailing bytes that are not gzip are ignored, as gzip -d does). */
static int
next_member(struct tarread *t)
{
	int rc;

	if (t->in_pos == t->in_len && (rc = refill(t)) < 0)
		return rc;
	if (t->in_len - t->in_pos >= 2 && t->in[t->in_pos] == 0x1f &&
	    t->in[t->in_pos + 1] == 0x8b && inflateReset(&t->z) == Z_OK)
		return 0;
	t->z_end = 1;
	return 0;
}

static ssize_t
pull_gz(struct tarread *t, unsigned char *buf, size_t n)
{
	int zr, rc;

	t->z.next_out = buf;
	t->z.avail_out = (uInt)n;
	while (t->z.avail_out > 0 && !t->z_end) {
		if (t->in_pos == t->in_len) {
			if ((rc = refill(t)) < 0)
				return rc;
			if (t->raw_eof)
				return ls_error_set(LS_EFORMAT,
				    "truncated gzip stream");
		}
		t->z.next_in = t->in + t->in_pos;
		t->z.avail_in = (uInt)(t->in_len - t->in_pos);
		zr = inflate(&t->z, Z_NO_FLUSH);
		t->in_pos = t->in_len - t->z.avail_in;
		if (zr == Z_STREAM_END) {
			if ((rc = next_member(t)) < 0)
				return rc;
		} else if (zr != Z_OK && zr != Z_BUF_ERROR) {
			return ls_error_set(LS_EFORMAT, "gzip: %s",
			    t->z.msg ? t->z.msg : "corrupt stream");
		}
	}
	return (ssize_t)(n - t->z.avail_out);
}

static ssize_t
pull_raw(struct tarread *t, unsigned char *buf, size_t n)
{
	size_t got = 0, k;
	int rc;

	while (got < n) {
		if (t->in_pos == t->in_len) {
			if ((rc = refill(t)) < 0)
				return rc;
			if (t->raw_eof)
				break;
		}
		k = t->in_len - t->in_pos < n - got ? t->in_len - t->in_pos
						    : n - got;
		memcpy(buf + got, t->in + t->in_pos, k);
		t->in_pos += k;
		got += k;
	}
	return (ssize_t)got;
}

/* Up to n bytes of the tar stream; fewer only at its end. */
static ssize_t
pull(struct tarread *t, void *buf, size_t n)
{
	return t->gz ? pull_gz(t, buf, n) : pull_raw(t, buf, n);
}

/* Exactly n bytes, else LS_EFORMAT. */
static int
pull_all(struct tarread *t, void *buf, size_t n)
{
	ssize_t got = pull(t, buf, n);

	if (got < 0)
		return (int)got;
	if ((size_t)got != n)
		return ls_error_set(LS_EFORMAT, "truncated archive");
	return 0;
}

static int
skip(struct tarread *t, uint64_t n)
{
	unsigned char scratch[4096];
	size_t k;
	int rc;

	while (n > 0) {
		k = n < sizeof(scratch) ? (size_t)n : sizeof(scratch);
		if ((rc = pull_all(t, scratch, k)) < 0)
			return rc;
		n -= k;
	}
	return 0;
}

/* ---- opening ---- */

static int
open_common(struct tarread **out, struct tarread *t)
{
	int rc;

	if ((rc = refill(t)) < 0) {
		tarread_free(t);
		return rc;
	}
	if (t->in_len >= 2 && t->in[0] == 0x1f && t->in[1] == 0x8b) {
		t->gz = 1;
		if (inflateInit2(&t->z, 15 + 16) != Z_OK) {
			tarread_free(t);
			return ls_error_set(LS_ENOMEM, "zlib: cannot start");
		}
		t->z_live = 1;
	}
	*out = t;
	return 0;
}

int
tarread_open_fd(struct tarread **out, int fd)
{
	struct tarread *t;

	*out = NULL;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	t->fd = fd;
	return open_common(out, t);
}

int
tarread_open_mem(struct tarread **out, const void *p, size_t len)
{
	struct tarread *t;

	*out = NULL;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	t->fd = -1;
	t->mem = p;
	t->mem_len = len;
	return open_common(out, t);
}

void
tarread_free(struct tarread *t)
{
	if (t == NULL)
		return;
	if (t->z_live)
		inflateEnd(&t->z);
	free(t);
}

/* ---- headers ---- */

/* A numeric field: octal (spaces and NULs around it), or base-256 when
 * its first byte has the high bit (GNU, for sizes past 8 GiB). */
static int
number(const unsigned char *f, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	size_t i = 0;

	if (f[0] & 0x80) {
		if (f[0] & 0x40)
			return -1; /* negative */
		v = f[0] & 0x3f;
		for (i = 1; i < n; i++) {
			if (v >> 55)
				return -1;
			v = (v << 8) | f[i];
		}
		*out = v;
		return 0;
	}
	while (i < n && (f[i] == ' ' || f[i] == '\0'))
		i++;
	for (; i < n && f[i] >= '0' && f[i] <= '7'; i++) {
		if (v >> 60)
			return -1;
		v = v * 8 + (uint64_t)(f[i] - '0');
	}
	for (; i < n; i++)
		if (f[i] != ' ' && f[i] != '\0')
			return -1;
	*out = v;
	return 0;
}

static int
checksum_ok(const unsigned char *h)
{
	uint64_t want;
	unsigned long u = 0;
	long s = 0;
	size_t i;

	if (number(h + 148, 8, &want) != 0)
		return 0;
	for (i = 0; i < BLOCK; i++) {
		unsigned char c = (i >= 148 && i < 156) ? ' ' : h[i];

		u += c;
		s += (signed char)c;
	}
	return want == u || (long)want == s;
}

static int
all_zero(const unsigned char *h)
{
	size_t i;

	for (i = 0; i < BLOCK; i++)
		if (h[i] != 0)
			return 0;
	return 1;
}

/* One "LEN KEY=VALUE\n" record set of a pax header. */
static int
pax_parse(struct tarread *t, const char *p, size_t n)
{
	const char *rec, *eq, *val;
	size_t len, klen, vlen;
	char *end;

	while (n > 0) {
		errno = 0;
		len = (size_t)strtoull(p, &end, 10);
		if (errno != 0 || end == p || *end != ' ' || len > n ||
		    len <= (size_t)(end - p) + 1 || p[len - 1] != '\n')
			return ls_error_set(LS_EFORMAT, "bad pax header");
		rec = end + 1;
		eq = memchr(rec, '=', (size_t)(p + len - 1 - rec));
		if (eq == NULL)
			return ls_error_set(LS_EFORMAT, "bad pax record");
		klen = (size_t)(eq - rec);
		val = eq + 1;
		vlen = (size_t)(p + len - 1 - val);
		if (klen == 4 && memcmp(rec, "path", 4) == 0) {
			if (vlen > TARREAD_NAME_MAX)
				return ls_error_set(LS_ETOOBIG,
				    "entry name of %zu bytes, limit %d", vlen,
				    TARREAD_NAME_MAX);
			if (memchr(val, '\0', vlen) != NULL)
				return ls_error_set(LS_EFORMAT,
				    "NUL in a pax path");
			memcpy(t->ext_path, val, vlen);
			t->ext_path[vlen] = '\0';
			t->has_ext_path = 1;
		} else if (klen == 8 && memcmp(rec, "linkpath", 8) == 0) {
			t->ext_link = vlen > 0;
		} else if (klen == 4 && memcmp(rec, "size", 4) == 0) {
			char num[24];

			if (vlen == 0 || vlen >= sizeof(num))
				return ls_error_set(LS_EFORMAT, "bad pax size");
			memcpy(num, val, vlen);
			num[vlen] = '\0';
			errno = 0;
			t->ext_size = strtoull(num, &end, 10);
			if (errno != 0 || *end != '\0' || num[0] == '-')
				return ls_error_set(LS_EFORMAT, "bad pax size");
			t->has_ext_size = 1;
		} else if (klen > 11 && memcmp(rec, "GNU.sparse.", 11) == 0) {
			t->ext_sparse = 1;
		}
		p += len;
		n -= len;
	}
	return 0;
}

/* A pax ('x', 'g') or GNU long-name ('L', 'K') header's content. */
static int
read_ext(struct tarread *t, unsigned char type, uint64_t size)
{
	char *buf;
	int rc;

	if (size > TARREAD_EXT_MAX)
		return ls_error_set(LS_ETOOBIG,
		    "extended header of %llu bytes, limit %d",
		    (unsigned long long)size, TARREAD_EXT_MAX);
	if ((buf = malloc((size_t)size + 1)) == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	if ((rc = pull_all(t, buf, (size_t)size)) < 0 ||
	    (rc = skip(t, (BLOCK - size % BLOCK) % BLOCK)) < 0)
		goto out;
	buf[size] = '\0';
	if (type == 'x') {
		rc = pax_parse(t, buf, (size_t)size);
	} else if (type == 'L') {
		if (strlen(buf) > TARREAD_NAME_MAX) {
			rc = ls_error_set(LS_ETOOBIG,
			    "entry name of %zu bytes, limit %d", strlen(buf),
			    TARREAD_NAME_MAX);
			goto out;
		}
		memcpy(t->ext_path, buf, strlen(buf) + 1);
		t->has_ext_path = 1;
	} else if (type == 'K') {
		t->ext_link = buf[0] != '\0';
	} /* 'g': global pax values name no entry; read past them. */
out:
	free(buf);
	return rc;
}

static enum tarread_type
entry_type(unsigned char flag, const char *path)
{
	size_t n = strlen(path);

	switch (flag) {
	case '\0':
	case '0':
	case '7': /* contiguous: a regular file everywhere */
		/* Old tar wrote directories as files named "d/". */
		return n > 0 && path[n - 1] == '/' ? TARREAD_DIR : TARREAD_FILE;
	case '5': return TARREAD_DIR;
	case '1': return TARREAD_HARDLINK;
	case '2': return TARREAD_SYMLINK;
	case '3': return TARREAD_CHR;
	case '4': return TARREAD_BLK;
	case '6': return TARREAD_FIFO;
	default: return TARREAD_OTHER;
	}
}

/* The name of header h: pax or GNU name, else ustar prefix/name. */
static void
entry_name(struct tarread *t, const unsigned char *h)
{
	size_t nlen = strnlen((const char *)h, 100), plen = 0;

	if (t->has_ext_path) {
		memcpy(t->path, t->ext_path, strlen(t->ext_path) + 1);
		return;
	}
	/* POSIX ustar only: GNU's "ustar  " keeps other fields there. */
	if (memcmp(h + 257, "ustar\0", 6) == 0)
		plen = strnlen((const char *)h + 345, 155);
	if (plen > 0) {
		memcpy(t->path, h + 345, plen);
		t->path[plen] = '/';
		plen++;
	}
	memcpy(t->path + plen, h, nlen);
	t->path[plen + nlen] = '\0';
}

static void
entry_fill(struct tarread *t, const unsigned char *h, uint64_t size,
    struct tarread_entry *e)
{
	e->path = t->path;
	e->type = t->ext_sparse ? TARREAD_OTHER : entry_type(h[156], t->path);
	e->has_link = t->ext_link || h[157] != '\0';
	e->size = e->type == TARREAD_FILE ? size : 0;
	t->remain = e->size;
	t->pad = (BLOCK - e->size % BLOCK) % BLOCK;
	t->has_ext_path = t->ext_link = t->ext_sparse = 0;
	t->has_ext_size = 0;
}

int
tarread_next(struct tarread *t, struct tarread_entry *e)
{
	unsigned char h[BLOCK];
	uint64_t size;
	ssize_t got;
	int rc, meta;

	if (t->done)
		return 0;
	if ((rc = skip(t, t->remain + t->pad)) < 0)
		return rc;
	t->remain = t->pad = 0;
	for (meta = 0; meta <= META_MAX; meta++) {
		if ((got = pull(t, h, BLOCK)) < 0)
			return (int)got;
		if (got == 0 || all_zero(h)) {
			t->done = 1; /* the end, with or without its marker */
			return 0;
		}
		if (got != BLOCK)
			return ls_error_set(LS_EFORMAT, "truncated archive");
		if (!checksum_ok(h))
			return ls_error_set(LS_EFORMAT, "bad header checksum");
		if (number(h + 124, 12, &size) != 0)
			return ls_error_set(LS_EFORMAT, "bad size field");
		if (strchr("xgLK", h[156]) == NULL || h[156] == '\0')
			break;
		if ((rc = read_ext(t, h[156], size)) < 0)
			return rc;
	}
	if (meta > META_MAX)
		return ls_error_set(LS_EFORMAT,
		    "more than %d extended headers in a row", META_MAX);
	if (t->has_ext_size)
		size = t->ext_size;
	entry_name(t, h);
	entry_fill(t, h, size, e);
	return 1;
}

ssize_t
tarread_data(struct tarread *t, void *buf, size_t cap)
{
	size_t n = t->remain < cap ? (size_t)t->remain : cap;
	int rc;

	if (n == 0)
		return 0;
	if ((rc = pull_all(t, buf, n)) < 0)
		return rc;
	t->remain -= n;
	return (ssize_t)n;
}
