/*
 * evtiles.c - the evidence tree as C2SP tlog-tiles: paths, the growing
 * right edge (materialiser), and reading tiles and entry bundles back
 * (proofs, ls_evidence_get) without any lock: full tiles never change
 * and a partial tile of width W never changes either.
 *
 * Entry bundles are big-endian uint16 length-prefixed entries as
 * tlog-tiles says; an entry of 65535 bytes or more (rare: a decision
 * with a large input) is written as 0xFFFF and a big-endian uint32
 * length, a Lockstep extension.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "evidence_impl.h"
#include "lockstep/error.h"
#include "lockstep/file.h"

#define BUNDLE_MAX (EV_TILE_W * (size_t)(LS_EVIDENCE_LINE_MAX + 6))

int
ev_tile_path(char *out, size_t n, const char *dir, int level, uint64_t index,
    unsigned width)
{
	char enc[64], lv[16];
	char part[8][4];
	size_t np = 0, i, off = 0;
	int k;

	do {
		snprintf(part[np++], sizeof(part[0]), "%03u",
		    (unsigned)(index % 1000));
		index /= 1000;
	} while (index > 0 && np < 8);
	for (i = np; i-- > 0;)
		off += (size_t)snprintf(enc + off, sizeof(enc) - off, "%s%s%s",
		    i + 1 < np ? "/" : "", i > 0 ? "x" : "", part[i]);
	if (level < 0)
		snprintf(lv, sizeof(lv), "entries");
	else
		snprintf(lv, sizeof(lv), "%d", level);
	if (width > 0 && width < EV_TILE_W)
		k = snprintf(out, n, "%s%stile/%s/%s.p/%u", dir,
		    dir[0] ? "/" : "", lv, enc, width);
	else
		k = snprintf(out, n, "%s%stile/%s/%s", dir, dir[0] ? "/" : "",
		    lv, enc);
	if (k < 0 || (size_t)k >= n)
		return ls_error_set(LS_EINVAL, "%s: tile path too long", dir);
	return 0;
}

/* Every byte of iov[0..n) to fd, through partial writes (iov is used
 * up).  LS_EIO with errno set. */
static int
writev_all(int fd, struct iovec *iov, int n)
{
	ssize_t w;

	while (n > 0) {
		w = writev(fd, iov, n > IOV_MAX ? IOV_MAX : n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return LS_EIO;
		if (w == 0 && iov->iov_len > 0) { /* no progress: give up */
			errno = EIO;
			return LS_EIO;
		}
		for (; n > 0 && (size_t)w >= iov->iov_len; iov++, n--)
			w -= (ssize_t)iov->iov_len;
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}

int
ev_write_file(struct ls_evidence *ev, const char *rel, const void *data,
    size_t len)
{
	struct iovec one = { (void *)(uintptr_t)data, len };

	return ev_write_filev(ev, rel, &one, 1);
}

int
ev_write_filev(struct ls_evidence *ev, const char *rel, struct iovec *iov,
    int n)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8], *slash;
	int fd, rc;

	if ((rc = ev_path(path, sizeof(path), "%s/%s", ev->dir, rel)) != 0 ||
	    (rc = ev_path(tmp, sizeof(tmp), "%s.tmp", path)) != 0)
		return rc;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	/* Most files go where one went before: make the folders only
	 * when they are missing, not with a mkdir(2) per level per file. */
	if (fd < 0 && errno == ENOENT && (slash = strrchr(path, '/')) != NULL) {
		*slash = '\0';
		rc = ls_file_mkdirs(path, 0755);
		*slash = '/';
		if (rc != 0)
			return rc;
		fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	}
	if (fd < 0)
		return ls_error_set(LS_EIO, "%s: %s", tmp, strerror(errno));
	if ((rc = writev_all(fd, iov, n)) != 0)
		rc = ls_error_set(LS_EIO, "%s: %s", tmp, strerror(errno));
	if (close(fd) < 0 && rc == 0)
		rc = ls_error_set(LS_EIO, "%s: %s", tmp, strerror(errno));
	if (rc == 0 && rename(tmp, path) < 0)
		rc = ls_error_set(LS_EIO, "%s: %s", path, strerror(errno));
	if (rc != 0)
		(void)unlink(tmp);
	return rc;
}

int
ev_read_file(char **out, size_t *len_out, const char *path, size_t max)
{
	struct stat st;
	char *data = NULL;
	size_t got = 0;
	ssize_t n;
	int fd, rc = 0;

	*out = NULL;
	*len_out = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return errno == ENOENT
		    ? ls_error_set(LS_ENOTFOUND, "%s: no such file", path)
		    : ls_error_set(LS_EIO, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (size_t)st.st_size > max) {
		rc = ls_error_set(LS_ETOOBIG,
		    "%s: not a file of at most %zu "
		    "bytes",
		    path, max);
		goto out;
	}
	if ((data = malloc((size_t)st.st_size + 1)) == NULL) {
		rc = ls_error_set(LS_ENOMEM, "%s: out of memory", path);
		goto out;
	}
	while (got < (size_t)st.st_size) {
		n = read(fd, data + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	data[got] = '\0';
	*out = data;
	*len_out = got;
	data = NULL;
out:
	free(data);
	close(fd);
	return rc;
}

static int
write_tile(struct ls_evidence *ev, int level, uint64_t index, unsigned width,
    const void *data, size_t len, int had_partial)
{
	char rel[PATH_MAX];
	int rc;

	if ((rc = ev_tile_path(rel, sizeof(rel), "", level, index, width)) != 0)
		return rc;
	if ((rc = ev_write_file(ev, rel, data, len)) != 0)
		return rc;
	if (width == 0 && had_partial) { /* its partials are not needed now */
		char p[PATH_MAX];

		if (ev_path(p, sizeof(p), "%s/%s.p", ev->dir, rel) == 0 &&
		    ls_file_exists(p))
			(void)ls_file_remove_tree(p);
	}
	return 0;
}

static int
bundle_add(struct ev_edge *g, const char *line, size_t len)
{
	size_t need = g->blen + len + 6;
	char *p;

	if (need > g->bcap) {
		size_t cap = g->bcap ? g->bcap : 1 << 16;

		while (cap < need)
			cap *= 2;
		if ((p = realloc(g->bundle, cap)) == NULL)
			return ls_error_set(LS_ENOMEM,
			    "evidence: out of memory");
		g->bundle = p;
		g->bcap = cap;
	}
	p = g->bundle + g->blen;
	if (len < 0xFFFF) {
		*p++ = (char)(len >> 8);
		*p++ = (char)(len & 0xFF);
	} else {
		*p++ = (char)0xFF;
		*p++ = (char)0xFF;
		*p++ = (char)(len >> 24);
		*p++ = (char)((len >> 16) & 0xFF);
		*p++ = (char)((len >> 8) & 0xFF);
		*p++ = (char)(len & 0xFF);
	}
	memcpy(p, line, len);
	g->blen = (size_t)(p + len - g->bundle);
	g->bcount++;
	return 0;
}

int
ev_edge_add(struct ls_evidence *ev, const struct ev_ent *e,
    uint8_t leaf[LS_SHA256_LEN])
{
	struct ev_edge *g = ev->edge;
	uint64_t size = e->n + 1, stored;
	unsigned L;
	int rc;

	ls_merkle_leaf(leaf, e->line, e->len);
	if ((rc = bundle_add(g, e->line, e->len)) != 0)
		return rc;
	if (g->bcount == EV_TILE_W) {
		if ((rc = write_tile(ev, -1, e->n / EV_TILE_W, 0, g->bundle,
			 g->blen, g->bwritten > 0 || g->bpartial)) != 0)
			return rc;
		g->blen = 0;
		g->bcount = g->bwritten = 0;
		g->bpartial = 0;
	}
	memcpy(g->tile[0][g->count[0]++], leaf, LS_SHA256_LEN);
	for (L = 0; L < EV_LEVELS && g->count[L] == EV_TILE_W; L++) {
		stored = size >> (EV_TILE_H * L);
		if ((rc = write_tile(ev, (int)L, stored / EV_TILE_W - 1, 0,
			 g->tile[L], sizeof(g->tile[L]),
			 g->written[L] > 0 || g->partial[L])) != 0)
			return rc;
		g->partial[L] = 0;
		if (L + 1 < EV_LEVELS)
			ls_merkle_root(g->tile[L + 1][g->count[L + 1]++],
			    (const uint8_t(*)[LS_SHA256_LEN])g->tile[L],
			    EV_TILE_W);
		g->count[L] = g->written[L] = 0;
	}
	return 0;
}

int
ev_edge_flush(struct ls_evidence *ev, uint64_t size)
{
	struct ev_edge *g = ev->edge;
	unsigned L;
	int rc;

	if (g->bcount > 0 && g->bcount != g->bwritten) {
		if ((rc = write_tile(ev, -1, size / EV_TILE_W, g->bcount,
			 g->bundle, g->blen, 0)) != 0)
			return rc;
		g->bwritten = g->bcount;
		g->bpartial = 1;
	}
	for (L = 0; L < EV_LEVELS; L++) {
		if (g->count[L] == 0 || g->count[L] == g->written[L])
			continue;
		if ((rc = write_tile(ev, (int)L,
			 (size >> (EV_TILE_H * L)) / EV_TILE_W, g->count[L],
			 g->tile[L], (size_t)g->count[L] * LS_SHA256_LEN, 0)) !=
		    0)
			return rc;
		g->written[L] = g->count[L];
		g->partial[L] = 1;
	}
	return 0;
}

/* ---- reading ---------------------------------------------------------- */

void
ev_reader_init(struct ev_reader *r, const char *dir, uint64_t size, uint64_t h)
{
	memset(r, 0, sizeof(*r));
	r->dir = dir;
	r->size = size;
	r->h = h;
	r->level = -2;
}

void
ev_reader_cleanup(struct ev_reader *r)
{
	free(r->buf);
	r->buf = NULL;
	r->level = -2;
}

/* Width of tile (level, index) in the tree of size h; 0 when full. */
static unsigned
width_at(uint64_t h, int level, uint64_t index)
{
	uint64_t stored = level < 0 ? h : h >> (EV_TILE_H * level);

	if (stored <= index * EV_TILE_W ||
	    stored - index * EV_TILE_W >= EV_TILE_W)
		return 0;
	return (unsigned)(stored - index * EV_TILE_W);
}

/* Load tile (level, index) holding at least want items; level -1 is an
 * entry bundle.  Tries the partial of the width the tree of r->size has,
 * then the full tile (a superset, once written). */
static int
reader_load(struct ev_reader *r, int level, uint64_t index, unsigned want)
{
	char path[PATH_MAX];
	uint64_t stored = level < 0 ? r->size : r->size >> (EV_TILE_H * level);
	unsigned avail;
	size_t len = 0, max;
	char *data = NULL;
	int rc, i;

	if (r->level == level && r->index == index && r->count >= want)
		return 0;
	if (stored <= index * EV_TILE_W)
		return ls_error_set(LS_ENOTFOUND,
		    "evidence: tile %d/%" PRIu64 " is past size %" PRIu64,
		    level, index, r->size);
	avail = stored - index * EV_TILE_W >= EV_TILE_W
	    ? EV_TILE_W
	    : (unsigned)(stored - index * EV_TILE_W);
	if (avail < want)
		return ls_error_set(LS_ENOTFOUND, "evidence: node past size");
	max = level < 0 ? BUNDLE_MAX : EV_TILE_W * LS_SHA256_LEN;
	/* The partial of this size, the full tile, or the partial of the
	 * committed size (a superset for a size between two commits). */
	rc = LS_ENOTFOUND;
	for (i = avail == EV_TILE_W ? 1 : 0; i < 3 && rc == LS_ENOTFOUND; i++) {
		unsigned w = i == 0 ? avail
		    : i == 1	    ? 0
				    : width_at(r->h, level, index);

		if (i == 2 && (w == 0 || w == avail))
			break;
		if ((rc = ev_tile_path(path, sizeof(path), r->dir, level, index,
			 w)) != 0)
			return rc;
		rc = ev_read_file(&data, &len, path, max);
	}
	if (rc != 0)
		return rc;
	if (level >= 0 && len < (size_t)avail * LS_SHA256_LEN) {
		free(data);
		return ls_error_set(LS_EFORMAT, "%s: short tile", path);
	}
	free(r->buf);
	r->buf = (uint8_t *)data;
	r->blen = len;
	r->level = level;
	r->index = index;
	r->count = avail;
	return 0;
}

int
ev_reader_node(void *arg, unsigned level, uint64_t index,
    uint8_t out[LS_SHA256_LEN])
{
	struct ev_reader *r = arg;
	unsigned L = level / EV_TILE_H, sub = level % EV_TILE_H;
	uint64_t first = index << sub, cnt = 1ull << sub;
	unsigned off = (unsigned)(first % EV_TILE_W);
	int rc;

	if ((rc = reader_load(r, (int)L, first / EV_TILE_W,
		 off + (unsigned)cnt)) != 0)
		return rc;
	ls_merkle_root(out,
	    (const uint8_t(*)[LS_SHA256_LEN])(r->buf + off * LS_SHA256_LEN),
	    cnt);
	return 0;
}

int
ev_reader_entry(struct ev_reader *r, uint64_t index, const char **line,
    size_t *len)
{
	unsigned want = (unsigned)(index % EV_TILE_W), k;
	const uint8_t *p, *end;
	size_t n = 0;
	int rc;

	if (index >= r->size)
		return ls_error_set(LS_ENOTFOUND, "evidence: no entry %" PRIu64,
		    index);
	if ((rc = reader_load(r, -1, index / EV_TILE_W, want + 1)) != 0)
		return rc;
	p = r->buf;
	end = r->buf + r->blen;
	for (k = 0; k <= want; k++) {
		if (end - p < 2)
			goto bad;
		n = ((size_t)p[0] << 8) | p[1];
		p += 2;
		if (n == 0xFFFF) {
			if (end - p < 4)
				goto bad;
			n = ((size_t)p[0] << 24) | ((size_t)p[1] << 16) |
			    ((size_t)p[2] << 8) | p[3];
			p += 4;
		}
		if ((size_t)(end - p) < n)
			goto bad;
		if (k < want)
			p += n;
	}
	*line = (const char *)p;
	*len = n;
	return 0;
bad:
	r->level = -2;
	return ls_error_set(LS_EFORMAT,
	    "evidence: entry bundle %" PRIu64 " is malformed",
	    index / EV_TILE_W);
}

/* The right edge of the tree of h entries, from its partial tiles. */
int
ev_edge_load(struct ls_evidence *ev, uint64_t h)
{
	struct ev_edge *g = ev->edge;
	struct ev_reader r;
	const char *line;
	uint64_t stored;
	size_t len;
	unsigned L, i;
	int rc = 0;

	ev_reader_init(&r, ev->dir, h, h);
	for (L = 0; L < EV_LEVELS && rc == 0; L++) {
		stored = h >> (EV_TILE_H * L);
		g->count[L] = g->written[L] = (unsigned)(stored % EV_TILE_W);
		g->partial[L] = g->count[L] > 0;
		if (g->count[L] == 0)
			continue;
		if ((rc = reader_load(&r, (int)L, stored / EV_TILE_W,
			 g->count[L])) == 0)
			memcpy(g->tile[L], r.buf,
			    (size_t)g->count[L] * LS_SHA256_LEN);
	}
	g->blen = 0;
	g->bcount = g->bwritten = 0;
	for (i = 0; rc == 0 && i < h % EV_TILE_W; i++) {
		uint64_t n = h - h % EV_TILE_W + i;

		if ((rc = ev_reader_entry(&r, n, &line, &len)) == 0)
			rc = bundle_add(g, line, len);
	}
	g->bwritten = g->bcount;
	g->bpartial = g->bcount > 0;
	ev_reader_cleanup(&r);
	return rc;
}
