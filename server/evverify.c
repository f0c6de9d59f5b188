/*
 * evverify.c - offline checks of an evidence store (lockstep evidence
 * verify), without the server: entry bundles against level-0 tiles,
 * tiles against the tiles above them, partition files against the
 * entries they copy and the index's file list.
 */
#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "evidence_impl.h"
#include "lockstep/error.h"
#include "lockstep/file.h"

static int
stored_h(const char *dir, uint64_t *h)
{
	sqlite3 *db;
	sqlite3_stmt *st = NULL;

	*h = 0;
	if (ev_index_reader(dir, &db) != 0)
		return LS_ENOTFOUND;
	if (sqlite3_prepare_v2(db, "SELECT v FROM meta WHERE k='h'", -1, &st,
		NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		*h = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return 0;
}

int
ls_evidence_tree_root(const char *data_dir, uint64_t size, uint64_t *h_out,
    uint8_t root[LS_SHA256_LEN])
{
	char dir[PATH_MAX];
	struct ev_reader r;
	int rc;

	if ((rc = ev_path(dir, sizeof(dir), "%s/evidence", data_dir)) != 0)
		return rc;
	if (stored_h(dir, h_out) != 0)
		return ls_error_set(LS_ENOTFOUND, "%s: no evidence store", dir);
	if (size > *h_out)
		return ls_error_set(LS_EMISMATCH,
		    "%s: size %" PRIu64 " past the %" PRIu64
		    " entries in tiles",
		    dir, size, *h_out);
	if (size == 0) {
		crypto_hash_sha256(root, (const uint8_t *)"", 0);
		return 0;
	}
	ev_reader_init(&r, dir, size, *h_out);
	rc = ls_merkle_range_fn(root, ev_reader_node, &r, 0, size);
	ev_reader_cleanup(&r);
	return rc;
}

/* Partitions of one entry line (it must be entry n); with want, 0 only
 * when want is one of them. */
static int
count_parts(const char *dir, uint64_t n, const char *line, size_t len,
    uint64_t *total, const char *want)
{
	struct ev_ent e;
	json_t *j = json_loadb(line, len, 0, NULL);
	size_t i;
	int rc, found = want == NULL;

	memset(&e, 0, sizeof(e));
	if (j == NULL ||
	    json_integer_value(json_object_get(j, "n")) != (json_int_t)n) {
		json_decref(j);
		return ls_error_set(LS_EFORMAT,
		    "%s: entry %" PRIu64 " is not a JSON entry with its n", dir,
		    n);
	}
	rc = ev_ent_meta(&e, j);
	for (i = 0; i < e.nparts; i++)
		if (want != NULL && strcmp(e.parts[i], want) == 0)
			found = 1;
	if (total != NULL)
		*total += e.nparts;
	ev_ent_clear(&e);
	json_decref(j);
	if (rc == 0 && !found)
		rc = ls_error_set(LS_EMISMATCH,
		    "%s: entry %" PRIu64 " does not belong in partition %s",
		    dir, n, want);
	return rc;
}

/* Every entry hashes to its level-0 tile slot; every full tile hashes to
 * its slot one level up (the partial tiles of the edge likewise). */
static int
check_tiles(const char *dir, uint64_t h, uint64_t *parts_out)
{
	struct ev_reader ents, tiles;
	uint8_t leaf[LS_SHA256_LEN], want[LS_SHA256_LEN];
	const char *line;
	uint64_t i, stored;
	size_t len;
	unsigned L;
	int rc = 0;

	ev_reader_init(&ents, dir, h, h);
	ev_reader_init(&tiles, dir, h, h);
	for (i = 0; i < h && rc == 0; i++) {
		if ((rc = ev_reader_entry(&ents, i, &line, &len)) != 0 ||
		    (rc = ev_reader_node(&tiles, 0, i, want)) != 0)
			break;
		ls_merkle_leaf(leaf, line, len);
		if (sodium_memcmp(leaf, want, LS_SHA256_LEN) != 0)
			rc = ls_error_set(LS_EMISMATCH,
			    "%s: entry %" PRIu64
			    " does not hash to its level-0 tile",
			    dir, i);
		else
			rc = count_parts(dir, i, line, len, parts_out, NULL);
	}
	for (L = 1; L < EV_LEVELS && rc == 0; L++) {
		struct ev_reader lo;
		uint8_t l[LS_SHA256_LEN], r[LS_SHA256_LEN];

		ev_reader_init(&lo, dir, h, h);
		stored = h >> (EV_TILE_H * L);
		for (i = 0; i < stored && rc == 0; i++) {
			if ((rc = ev_reader_node(&lo, EV_TILE_H * L - 1, 2 * i,
				 l)) != 0 ||
			    (rc = ev_reader_node(&lo, EV_TILE_H * L - 1,
				 2 * i + 1, r)) != 0 ||
			    (rc = ev_reader_node(&tiles, EV_TILE_H * L, i,
				 want)) != 0)
				break;
			ls_merkle_node(leaf, l, r);
			if (sodium_memcmp(leaf, want, LS_SHA256_LEN) != 0)
				rc = ls_error_set(LS_EMISMATCH,
				    "%s: tile level %u slot %" PRIu64
				    " does not match the tile below",
				    dir, L, i);
		}
		ev_reader_cleanup(&lo);
	}
	ev_reader_cleanup(&ents);
	ev_reader_cleanup(&tiles);
	return rc;
}

/* One partition file: each line is the entry it names, in order. */
static int
check_file(const char *dir, struct ev_reader *r, const char *part,
    uint64_t first, uint64_t merged, uint64_t lines)
{
	char path[PATH_MAX];
	const char *entry;
	char *data = NULL, *p, *nl, *end;
	uint64_t n, got = 0, last = 0;
	size_t len = 0, elen;
	int rc;

	if ((rc = ev_part_file(path, sizeof(path), dir, part, first,
		 merged)) != 0)
		return rc;
	if ((rc = ev_read_file(&data, &len, path, (size_t)1 << 31)) != 0)
		return rc;
	for (p = data; rc == 0 && p < data + len; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(data + len - p))) == NULL ||
		    strncmp(p, "{\"n\":", 5) != 0) {
			rc = ls_error_set(LS_EFORMAT, "%s: torn or bad line",
			    path);
			break;
		}
		n = strtoull(p + 5, &end, 10);
		if (n < first || (got > 0 && n <= last) || n >= r->size ||
		    (rc = ev_reader_entry(r, n, &entry, &elen)) != 0)
			rc = rc ? rc
				: ls_error_set(LS_EMISMATCH,
				      "%s: entry %" PRIu64 " out of place",
				      path, n);
		else if (elen != (size_t)(nl - p) || memcmp(entry, p, elen))
			rc = ls_error_set(LS_EMISMATCH,
			    "%s: entry %" PRIu64 " differs from the log", path,
			    n);
		else
			rc = count_parts(dir, n, p, elen, NULL, part);
		last = n;
		got++;
	}
	if (rc == 0 && got != lines)
		rc = ls_error_set(LS_EMISMATCH,
		    "%s: %" PRIu64 " lines, the index says %" PRIu64, path, got,
		    lines);
	free(data);
	return rc;
}

static int
check_parts(const char *dir, uint64_t h, uint64_t want_total)
{
	sqlite3 *db;
	sqlite3_stmt *st = NULL;
	struct ev_reader r;
	uint64_t total = 0;
	int rc;

	int parts_fd;

	if ((rc = ev_index_reader(dir, &db)) != 0)
		return rc;
	/* The rows and the files they name, as one state (evcompact.c) */
	parts_fd = ev_parts_share(dir);
	ev_reader_init(&r, dir, h, h);
	if (sqlite3_prepare_v2(db,
		"SELECT path, first, lines, merged FROM files WHERE first < ? "
		"ORDER BY first",
		-1, &st, NULL) != SQLITE_OK)
		rc = ls_error_set(LS_EIO, "%s: index: %s", dir,
		    sqlite3_errmsg(db));
	else
		sqlite3_bind_int64(st, 1, (sqlite3_int64)h);
	while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
		uint64_t lines = (uint64_t)sqlite3_column_int64(st, 2);

		rc = check_file(dir, &r,
		    (const char *)sqlite3_column_text(st, 0),
		    (uint64_t)sqlite3_column_int64(st, 1),
		    (uint64_t)sqlite3_column_int64(st, 3), lines);
		total += lines;
	}
	if (rc == 0 && total != want_total)
		rc = ls_error_set(LS_EMISMATCH,
		    "%s/partitions: %" PRIu64 " lines for %" PRIu64
		    " partition entries of the log",
		    dir, total, want_total);
	sqlite3_finalize(st);
	sqlite3_close(db);
	ev_parts_unshare(parts_fd);
	ev_reader_cleanup(&r);
	return rc;
}

int
ls_evidence_verify(const char *data_dir, uint64_t *count_out)
{
	char dir[PATH_MAX];
	uint64_t h = 0, parts = 0;
	int rc;

	*count_out = 0;
	if ((rc = ev_path(dir, sizeof(dir), "%s/evidence", data_dir)) != 0)
		return rc;
	if (!ls_file_exists(dir) || stored_h(dir, &h) != 0)
		return ls_error_set(LS_ENOTFOUND, "%s: no evidence store", dir);
	if ((rc = check_tiles(dir, h, &parts)) != 0 ||
	    (rc = check_parts(dir, h, parts)) != 0)
		return rc;
	*count_out = h;
	return 0;
}

static int
dump_line(int fd, const char *line, size_t len)
{
	int rc = ls_file_write_all(fd, line, len);

	return rc == 0 ? ls_file_write_all(fd, "\n", 1) : rc;
}

/* WAL records from entry from on (whole appends only: the server may be
 * appending, or was killed in the middle of one). */
static int
dump_segment(const char *dir, uint64_t first, uint64_t from, int fd)
{
	char path[PATH_MAX], *data = NULL;
	uint64_t idx = first;
	size_t len = 0, off = 0, rl, whole;
	int rc;

	if ((rc = ev_path(path, sizeof(path), "%s/wal/%020" PRIu64 ".wal", dir,
		 first)) != 0 ||
	    (rc = ev_read_file(&data, &len, path, (size_t)1 << 32)) != 0)
		return rc;
	whole = ev_wal_whole(data, len);
	while (rc == 0 && off < whole) {
		rl = ev_wal_len(data + off);
		if (idx++ >= from)
			rc = dump_line(fd, data + off + 4, rl);
		off += 4 + rl;
	}
	free(data);
	return rc;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int
dump_wal(const char *dir, uint64_t from, int fd)
{
	char wal[PATH_MAX];
	uint64_t v[4096];
	struct dirent *de;
	size_t n = 0, i;
	DIR *d;
	int rc = 0;

	if ((rc = ev_path(wal, sizeof(wal), "%s/wal", dir)) != 0)
		return rc;
	if ((d = opendir(wal)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL && n < 4096)
		if (strlen(de->d_name) == 24 &&
		    strcmp(de->d_name + 20, ".wal") == 0)
			v[n++] = strtoull(de->d_name, NULL, 10);
	closedir(d);
	qsort(v, n, sizeof(*v), cmp_u64);
	for (i = 0; i < n && rc == 0; i++)
		if (i + 1 == n || v[i + 1] > from)
			rc = dump_segment(dir, v[i], from, fd);
	return rc;
}

int
ls_evidence_dump(const char *data_dir, int fd)
{
	char dir[PATH_MAX];
	struct ev_reader r;
	const char *line;
	uint64_t h = 0, i;
	size_t len;
	int rc;

	if ((rc = ev_path(dir, sizeof(dir), "%s/evidence", data_dir)) != 0)
		return rc;
	if (!ls_file_exists(dir) || stored_h(dir, &h) != 0)
		return ls_error_set(LS_ENOTFOUND, "%s: no evidence store", dir);
	ev_reader_init(&r, dir, h, h);
	for (i = 0; i < h && rc == 0; i++)
		if ((rc = ev_reader_entry(&r, i, &line, &len)) == 0)
			rc = dump_line(fd, line, len);
	ev_reader_cleanup(&r);
	return rc == 0 ? dump_wal(dir, h, fd) : rc;
}
