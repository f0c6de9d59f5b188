/* export.c - copy the evidence partitions out (see export.h). */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "evidence_impl.h"
#include "export.h"
#include "lockstep/error.h"
#include "lockstep/file.h"
#include "lockstep/note.h"

#define PART_FILE_MAX ((size_t)1 << 31)

static int
copy_file(const char *from, const char *to)
{
	char dir[PATH_MAX], *data = NULL, *slash;
	struct stat a, b;
	size_t len = 0;
	int rc;

	if (stat(from, &a) == 0 && stat(to, &b) == 0 && a.st_size == b.st_size)
		return 0;
	snprintf(dir, sizeof(dir), "%s", to);
	if ((slash = strrchr(dir, '/')) != NULL) {
		*slash = '\0';
		if ((rc = ls_file_mkdirs(dir, 0755)) != 0)
			return rc;
	}
	if ((rc = ev_read_file(&data, &len, from, PART_FILE_MAX)) == 0)
		rc = ls_file_write_atomic(to, data, len, 0644);
	free(data);
	return rc;
}

/* The file names of one partition folder's rows, in order. */
struct kept {
	char path[EV_PART_PATH];
	char (*name)[48];
	size_t n, cap;
};

static int
cmp_name(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* A partition file's name: <first:020>.jsonl or <first:020>-<last:020>.jsonl */
static int
part_name(const char *s)
{
	size_t n = strlen(s), i;

	if ((n != 26 && (n != 47 || s[20] != '-')) ||
	    strcmp(s + n - 6, ".jsonl") != 0)
		return 0;
	for (i = 0; i < n - 6; i++)
		if (i != 20 && (s[i] < '0' || s[i] > '9'))
			return 0;
	return 1;
}

/* Remove from OUT_DIR/k->path the partition files the store no longer
 * has (merged by compaction since an earlier export). */
static int
prune(const char *out_dir, const struct kept *k)
{
	char dir[PATH_MAX], path[PATH_MAX + 64];
	struct dirent *de;
	DIR *d;
	int rc = 0;

	if (k->path[0] == '\0' ||
	    ev_path(dir, sizeof(dir), "%s/%s", out_dir, k->path) != 0 ||
	    (d = opendir(dir)) == NULL) {
		ls_error_clear();
		return 0;
	}
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (!part_name(de->d_name) ||
		    bsearch(de->d_name, k->name, k->n, sizeof(*k->name),
			cmp_name) != NULL)
			continue;
		if ((rc = ev_path(path, sizeof(path), "%s/%s", dir,
			 de->d_name)) == 0 &&
		    unlink(path) < 0)
			rc = ls_error_set(LS_EIO, "%s: %s", path,
			    strerror(errno));
	}
	closedir(d);
	return rc;
}

static int
keep(struct kept *k, const char *from)
{
	const char *base = strrchr(from, '/');
	char(*v)[48];

	if (k->n == k->cap) {
		k->cap = k->cap ? k->cap * 2 : 64;
		if ((v = realloc(k->name, k->cap * sizeof(*v))) == NULL)
			return ls_error_set(LS_ENOMEM, "export: out of memory");
		k->name = v;
	}
	base = base != NULL ? base + 1 : from;
	if (strlen(base) >= sizeof(*k->name))
		return ls_error_set(LS_EINVAL, "export: %s: not a partition "
					       "file name",
		    from);
	memcpy(k->name[k->n++], base, strlen(base) + 1);
	return 0;
}

int
ls_evidence_export(const char *data_dir, const char *out_dir, size_t *files_out)
{
	struct kept k;
	char dir[PATH_MAX], from[PATH_MAX], to[PATH_MAX];
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	uint64_t count = 0;
	int parts_fd = -1, rc;

	*files_out = 0;
	memset(&k, 0, sizeof(k));
	if ((rc = ev_path(dir, sizeof(dir), "%s/evidence", data_dir)) != 0 ||
	    (rc = ls_evidence_verify(data_dir, &count)) != 0 ||
	    (rc = ls_file_mkdirs(out_dir, 0755)) != 0 ||
	    (rc = ev_index_reader(dir, &db)) != 0)
		goto out;
	if (sqlite3_prepare_v2(db,
		"SELECT path, first, merged FROM files WHERE first < ? "
		"ORDER BY path, first",
		-1, &st, NULL) != SQLITE_OK) {
		rc = ls_error_set(LS_EIO, "%s: index: %s", dir,
		    sqlite3_errmsg(db));
		goto out;
	}
	sqlite3_bind_int64(st, 1, (sqlite3_int64)count);
	parts_fd = ev_parts_share(dir); /* rows and files as one state */
	while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
		const char *p = (const char *)sqlite3_column_text(st, 0);
		uint64_t first = (uint64_t)sqlite3_column_int64(st, 1);
		uint64_t merged = (uint64_t)sqlite3_column_int64(st, 2);

		if (strcmp(p, k.path) != 0) { /* the folder before is done */
			if ((rc = prune(out_dir, &k)) != 0)
				break;
			snprintf(k.path, sizeof(k.path), "%s", p);
			k.n = 0;
		}
		if ((rc = ev_part_file(from, sizeof(from), dir, p, first,
			 merged)) != 0 ||
		    (rc = keep(&k, from)) != 0 ||
		    (rc = ev_path(to, sizeof(to), "%s/%s%s", out_dir, p,
			 strrchr(from, '/'))) != 0 ||
		    (rc = copy_file(from, to)) != 0)
			break;
		(*files_out)++;
	}
	if (rc == 0)
		rc = prune(out_dir, &k);
	if (rc == 0 &&
	    (rc = ev_path(from, sizeof(from), "%s/checkpoint.note", dir)) ==
		0 &&
	    ls_file_exists(from) &&
	    (rc = ev_path(to, sizeof(to), "%s/checkpoint.note", out_dir)) == 0)
		rc = copy_file(from, to);
out:
	sqlite3_finalize(st);
	if (db != NULL)
		sqlite3_close(db);
	ev_parts_unshare(parts_fd);
	free(k.name);
	return rc;
}
