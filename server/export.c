/* export.c - copy the evidence partitions out (see export.h). */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

int
ls_evidence_export(const char *data_dir, const char *out_dir, size_t *files_out)
{
	char dir[PATH_MAX], from[PATH_MAX], to[PATH_MAX];
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	uint64_t count = 0;
	int parts_fd = -1, rc;

	*files_out = 0;
	if ((rc = ev_path(dir, sizeof(dir), "%s/evidence", data_dir)) != 0 ||
	    (rc = ls_evidence_verify(data_dir, &count)) != 0 ||
	    (rc = ls_file_mkdirs(out_dir, 0755)) != 0 ||
	    (rc = ev_index_reader(dir, &db)) != 0)
		goto out;
	if (sqlite3_prepare_v2(db,
		"SELECT path, first, merged FROM files WHERE first < ? "
		"ORDER BY first",
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

		if ((rc = ev_part_file(from, sizeof(from), dir, p, first,
			 merged)) != 0 ||
		    (rc = ev_path(to, sizeof(to), "%s/%s%s", out_dir, p,
			 strrchr(from, '/'))) != 0 ||
		    (rc = copy_file(from, to)) != 0)
			break;
		(*files_out)++;
	}
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
	return rc;
}
