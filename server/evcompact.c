/*
 * evcompact.c - compaction of the Hive partitions.
 *
 * Every materialised batch writes one file per partition it touches, so a
 * busy control's day folder ends with thousands of small files, which
 * file systems and the auditors' SQL engines (one open per file) pay
 * for.  Once a day is over (EV_COMPACT_DAYS old, which leaves room for
 * late records), the materialiser, when it has nothing else to do,
 * merges runs of consecutive files of one day folder into files of at
 * most EV_COMPACT_FILE_MAX bytes, each named <first>-<last>.jsonl after
 * the first and the last file of its run: names still sort in log order,
 * and the lines and their order are unchanged.  Only the server's
 * --compact-partitions turns it on: the merged files are deleted, which a
 * copy that only adds files (rclone --immutable to a bucket under Object
 * Lock) must allow for.  No file is ever changed, a merged file is never
 * merged again, and no file over EV_COMPACT_FRESH old is merged, so such
 * a copy of files over four days old never meets a file that is merged
 * later; late records of a day make new files, merged among themselves
 * while they are fresh.  No file is ever changed: the new folder is built beside
 * (compact/new, the files that stay hard-linked) and exchanged with the
 * day's folder in one renameat2(RENAME_EXCHANGE), so whoever lists the
 * folder sees all the old files or all the new ones, never both.
 *
 * DATA/evidence/compact/
 *   lock      flock(2)ed shared by every reader of partition files by
 *             name (queries, verify, export) while it reads, and
 *             exclusively by the compactor from the journal to the new
 *             rows; a day whose lock is busy is left for a later pass
 *   new/      the folder being built (after the exchange: the old one)
 *   journal   the day folder and its rows once compacted
 *
 * A crash after each step leaves:
 *   new/ built             removed on open
 *   journal written        on open the day's path is not the new
 *                          folder (inode in the journal): undone
 *   exchanged              on open it is: the rows are written
 *   rows written           the same (idempotent)
 *   journal removed        new/ (the old folder) removed on open
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "evidence_impl.h"
#include "metrics.h"
#include "lockstep/error.h"
#include "lockstep/buf.h"
#include "lockstep/file.h"
#include "lockstep/timefmt.h"

#define EV_COMPACT_DAYS 2		       /* a day folder this old */
#define EV_COMPACT_FRESH (3 * 86400)  /* files older are never merged */
#define EV_COMPACT_FILE_MAX ((off_t)64 << 20) /* bytes of a merged file */
#define EV_COMPACT_STEP ((off_t)256 << 20)    /* bytes merged per day step */
#define EV_COMPACT_FILES 10000000	       /* files of one day folder */
#define EV_COMPACT_SCAN 64		       /* candidates per SQLite read */
#define JOURNAL_MAX ((size_t)8 << 20)

int ev_compact_stop_at; /* tests: stop (as a crash would) after step N */

struct cfile {
	uint64_t first, lines, merged; /* merged: 0, or as in the row */
	int frozen; /* never merged: merged already, or over EV_COMPACT_FRESH */
	off_t size;
	size_t run; /* index of the run it belongs to */
};

struct cday {
	char rel[EV_PART_PATH]; /* partition path, as in the files table */
	char dir[PATH_MAX];	/* its folder */
	struct cfile *f;
	size_t n;
};

static int
sys_error(const char *what)
{
	return ls_error_set(LS_EIO, "evidence compaction: %s: %s", what,
	    strerror(errno));
}

static int
compact_path(char *out, size_t n, const struct ls_evidence *ev,
    const char *name)
{
	return ev_path(out, n, "%s/compact/%s", ev->dir, name);
}

/* ---- the readers' lock ------------------------------------------------ */

int
ev_parts_share(const char *evdir)
{
	char path[PATH_MAX];
	int fd;

	if (ev_path(path, sizeof(path), "%s/compact/lock", evdir) != 0) {
		ls_error_clear();
		return -1;
	}
	/* No lock file: no server has compacted this store. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	while (flock(fd, LOCK_SH) < 0 && errno == EINTR)
		;
	return fd;
}

void
ev_parts_unshare(int fd)
{
	if (fd >= 0)
		close(fd); /* drops the lock */
}

/* ---- the day's folder ------------------------------------------------- */

/* "...year=2026/month=06/day=22" -> that day's 00:00 UTC; -1 if not. */
static time_t
day_of(const char *rel)
{
	const char *y = strstr(rel, "/year=");
	struct tm tm;
	int yy, mm, dd, k = 0;

	if (y == NULL ||
	    sscanf(y, "/year=%4d/month=%2d/day=%2d%n", &yy, &mm, &dd, &k) !=
		3 ||
	    y[k] != '\0' || mm < 1 || mm > 12 || dd < 1 || dd > 31)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = yy - 1900;
	tm.tm_mon = mm - 1;
	tm.tm_mday = dd;
	return timegm(&tm);
}

/* A partition file's name (ev_part_file's last part). */
static void
file_name(char *out, size_t n, uint64_t first, uint64_t merged)
{
	if (merged == 0)
		snprintf(out, n, "%020" PRIu64 ".jsonl", first);
	else
		snprintf(out, n, "%020" PRIu64 "-%020" PRIu64 ".jsonl", first,
		    merged);
}

/* The run of d->f[i]: its last file's first (0 for a run of one). */
static uint64_t
run_last(const struct cday *d, size_t i)
{
	size_t k = i;

	while (k + 1 < d->n && d->f[k + 1].run == d->f[i].run)
		k++;
	return k == i ? d->f[i].merged : d->f[k].first;
}

static void
cday_free(struct cday *d)
{
	free(d->f);
	d->f = NULL;
	d->n = 0;
}

/* The rows of d->rel and the sizes of their files; runs of consecutive
 * files within EV_COMPACT_FILE_MAX.  *worth 1 when some run has two. */
static int
cday_load(struct ls_evidence *ev, struct cday *d, time_t now, int *worth)
{
	sqlite3_stmt *st = NULL;
	struct stat sb;
	char name[48];
	off_t run_bytes = 0, step_bytes = 0;
	size_t cap = 0, run_len = 0;
	struct cfile *v;
	int dfd = -1, rc = 0;

	*worth = 0;
	if ((rc = ev_path(d->dir, sizeof(d->dir), "%s/partitions/%s", ev->dir,
		 d->rel)) != 0)
		return rc;
	if (sqlite3_prepare_v2(ev->db,
		"SELECT first, lines, merged FROM files WHERE path = ? "
		"ORDER BY first",
		-1, &st, NULL) != SQLITE_OK)
		return ev_db_error(ev->db, "files of a day");
	sqlite3_bind_text(st, 1, d->rel, -1, SQLITE_STATIC);
	if ((dfd = open(d->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		rc = sys_error(d->dir);
	while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
		/* Every file of the folder must be in the new one. */
		if (d->n == EV_COMPACT_FILES) {
			rc = ls_error_set(LS_ETOOBIG,
			    "%s: over %d files, not compacted", d->dir,
			    EV_COMPACT_FILES);
			break;
		}
		if (d->n == cap) {
			cap = cap ? cap * 2 : 64;
			if ((v = realloc(d->f, cap * sizeof(*v))) == NULL) {
				rc = ls_error_set(LS_ENOMEM,
				    "evidence compaction: out of memory");
				break;
			}
			d->f = v;
		}
		v = &d->f[d->n];
		v->first = (uint64_t)sqlite3_column_int64(st, 0);
		v->lines = (uint64_t)sqlite3_column_int64(st, 1);
		v->merged = (uint64_t)sqlite3_column_int64(st, 2);
		file_name(name, sizeof(name), v->first, v->merged);
		if (fstatat(dfd, name, &sb, 0) < 0) {
			rc = ls_error_set(LS_EIO, "%s/%s: %s", d->dir, name,
			    strerror(errno));
			break;
		}
		v->size = sb.st_size;
		v->frozen = v->merged != 0 || sb.st_mtime < now - EV_COMPACT_FRESH;
		/* Past EV_COMPACT_STEP merged bytes the rest stay as they
		 * are (hard-linked) until the next pass: a step stays short
		 * and the materialiser is not held up. */
		if (run_len > 0 && !v->frozen && !d->f[d->n - 1].frozen &&
		    run_bytes + v->size <= EV_COMPACT_FILE_MAX &&
		    step_bytes + v->size <= EV_COMPACT_STEP) {
			if (run_len == 1)
				step_bytes += d->f[d->n - 1].size;
			step_bytes += v->size;
			run_bytes += v->size;
			run_len++;
			*worth = 1;
			v->run = d->f[d->n - 1].run;
		} else {
			run_bytes = v->size;
			run_len = 1;
			v->run = d->n;
		}
		d->n++;
	}
	if (dfd >= 0)
		close(dfd);
	sqlite3_finalize(st);
	return rc;
}

/* Append the whole file src (which must end a line) to fd. */
static int
append_file(int fd, const char *src, off_t size)
{
	char buf[1 << 16];
	off_t done = 0;
	ssize_t k;
	int in, rc = 0;

	if ((in = open(src, O_RDONLY | O_CLOEXEC)) < 0)
		return sys_error(src);
	while (rc == 0 && done < size) {
		k = read(in, buf,
		    size - done < (off_t)sizeof(buf) ? (size_t)(size - done)
						     : sizeof(buf));
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			rc = k < 0 ? sys_error(src)
				   : ls_error_set(LS_EIO,
					 "%s: shorter than when listed", src);
		else if ((rc = ls_file_write_all(fd, buf, (size_t)k)) == 0)
			done += k;
		if (rc == 0 && done == size && buf[k - 1] != '\n')
			rc = ls_error_set(LS_EFORMAT,
			    "%s: does not end with a whole line", src);
	}
	close(in);
	return rc;
}

/* compact/new: one merged file per run, the others hard-linked; fsynced. */
static int
build_new(const struct cday *d, const char *newdir)
{
	char src[PATH_MAX + 48], dst[PATH_MAX + 48], name[48];
	size_t i;
	int fd = -1, rc = 0;

	if (mkdir(newdir, 0755) < 0)
		return sys_error(newdir);
	for (i = 0; i < d->n && rc == 0; i++) {
		const struct cfile *c = &d->f[i];
		int last = i + 1 == d->n || d->f[i + 1].run != c->run;

		file_name(name, sizeof(name), c->first, c->merged);
		if ((rc = ev_path(src, sizeof(src), "%s/%s", d->dir, name)) !=
		    0)
			break;
		if (c->run == i)
			file_name(name, sizeof(name), c->first,
			    run_last(d, i));
		if ((rc = ev_path(dst, sizeof(dst), "%s/%s", newdir, name)) !=
		    0)
			break;
		if (c->run == i && last) { /* a run of one stays as it is */
			if (link(src, dst) < 0)
				rc = sys_error(dst);
			continue;
		}
		if (c->run == i &&
		    (fd = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
			 0644)) < 0) {
			rc = sys_error(dst);
			break;
		}
		rc = append_file(fd, src, c->size);
		if (last) {
			if (rc == 0 && fsync(fd) < 0)
				rc = sys_error(dst);
			if (close(fd) < 0 && rc == 0)
				rc = sys_error(dst);
			fd = -1;
		}
	}
	if (fd >= 0)
		close(fd);
	return rc != 0 ? rc : ls_file_fsync_dir(newdir);
}

/* The journal: the partition path, the new folder's inode (after the
 * exchange the day's path names it: that is how a restart tells whether
 * the exchange happened) and the rows once compacted. */
static int
journal_write(const struct ls_evidence *ev, const struct cday *d,
    uint64_t ino)
{
	char path[PATH_MAX];
	struct ls_buf b;
	uint64_t lines = 0;
	size_t i;
	int rc;

	if ((rc = compact_path(path, sizeof(path), ev, "journal")) != 0)
		return rc;
	ls_buf_init(&b, JOURNAL_MAX);
	rc = ls_buf_addf(&b, "lockstep/compact/v1\n%s\nino %" PRIu64 "\n",
	    d->rel, ino);
	for (i = 0; i < d->n && rc == 0; i++) {
		lines += d->f[i].lines;
		if (i + 1 == d->n || d->f[i + 1].run != d->f[i].run) {
			size_t r = d->f[i].run;

			rc = ls_buf_addf(&b,
			    "%" PRIu64 " %" PRIu64 " %" PRIu64 "\n",
			    d->f[r].first, lines, run_last(d, r));
			lines = 0;
		}
	}
	if (rc == 0)
		rc = ls_file_write_atomic(path, b.data, b.len, 0644);
	ls_buf_cleanup(&b);
	return rc;
}

/* Rows read back from a journal: rel, and n (first, lines, merged). */
struct jrows {
	char rel[EV_PART_PATH];
	uint64_t ino;
	uint64_t (*row)[3];
	size_t n;
};

static int
journal_read(const char *path, struct jrows *j)
{
	char *data = NULL, *p, *nl, *end;
	size_t len = 0, cap = 0;
	uint64_t(*v)[3];
	int k;
	int rc;

	memset(j, 0, sizeof(*j));
	if ((rc = ls_file_read(&data, &len, path, JOURNAL_MAX)) != 0)
		return rc;
	rc = ls_error_set(LS_EFORMAT, "%s: not a compaction journal", path);
	if (len == 0 || data[len - 1] != '\n' ||
	    strncmp(data, "lockstep/compact/v1\n", 20) != 0 ||
	    (nl = strchr(data + 20, '\n')) == NULL ||
	    (size_t)(nl - (data + 20)) >= sizeof(j->rel))
		goto out;
	memcpy(j->rel, data + 20, (size_t)(nl - (data + 20)));
	if (j->rel[0] == '\0' || strstr(j->rel, "..") != NULL)
		goto out;
	p = nl + 1;
	errno = 0;
	if (strncmp(p, "ino ", 4) != 0 ||
	    (j->ino = strtoull(p + 4, &end, 10)) == 0 || *end != '\n' ||
	    errno != 0)
		goto out;
	nl = end;
	for (p = nl + 1; p < data + len; p = nl + 1) {
		nl = strchr(p, '\n');
		if (j->n == cap) {
			cap = cap ? cap * 2 : 64;
			if ((v = realloc(j->row, cap * sizeof(*v))) == NULL) {
				rc = ls_error_set(LS_ENOMEM,
				    "evidence compaction: out of memory");
				goto out;
			}
			j->row = v;
		}
		for (k = 0; k < 3; k++) {
			errno = 0;
			j->row[j->n][k] = strtoull(p, &end, 10);
			if (end == p || errno != 0 ||
			    *end != (k < 2 ? ' ' : '\n'))
				goto out;
			p = end + 1;
		}
		j->n++;
	}
	if (j->n > 0) {
		ls_error_clear();
		rc = 0;
	}
out:
	free(data);
	if (rc != 0) {
		free(j->row);
		j->row = NULL;
	}
	return rc;
}

/* The files table's rows of j->rel that the journal covers (up to its
 * last file; a late batch's row after it stays) become j's. */
static int
rows_write(struct ls_evidence *ev, const struct jrows *j)
{
	sqlite3_stmt *del = NULL, *ins = NULL;
	uint64_t last = 0;
	size_t i;
	int rc = 0;

	if (sqlite3_exec(ev->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(ev->db,
		"DELETE FROM files WHERE path = ? AND first <= ?", -1, &del,
		NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(ev->db, "INSERT INTO files VALUES(?, ?, ?, ?)",
		-1, &ins, NULL) != SQLITE_OK) {
		rc = ev_db_error(ev->db, "compacted rows");
		goto out;
	}
	for (i = 0; i < j->n; i++)
		if ((j->row[i][2] ? j->row[i][2] : j->row[i][0]) > last)
			last = j->row[i][2] ? j->row[i][2] : j->row[i][0];
	sqlite3_bind_text(del, 1, j->rel, -1, SQLITE_STATIC);
	sqlite3_bind_int64(del, 2, (sqlite3_int64)last);
	if (sqlite3_step(del) != SQLITE_DONE)
		rc = ev_db_error(ev->db, "compacted rows");
	for (i = 0; i < j->n && rc == 0; i++) {
		sqlite3_reset(ins);
		sqlite3_bind_text(ins, 1, j->rel, -1, SQLITE_STATIC);
		sqlite3_bind_int64(ins, 2, (sqlite3_int64)j->row[i][0]);
		sqlite3_bind_int64(ins, 3, (sqlite3_int64)j->row[i][1]);
		if (j->row[i][2] != 0)
			sqlite3_bind_int64(ins, 4, (sqlite3_int64)j->row[i][2]);
		else
			sqlite3_bind_null(ins, 4);
		if (sqlite3_step(ins) != SQLITE_DONE)
			rc = ev_db_error(ev->db, "compacted rows");
	}
	if (rc == 0 &&
	    sqlite3_exec(ev->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		rc = ev_db_error(ev->db, "commit");
out:
	sqlite3_finalize(del);
	sqlite3_finalize(ins);
	if (rc != 0)
		ev_index_abort(ev);
	return rc;
}

/* Whether the day's folder is the one the journal's exchange put there. */
static int
exchanged(const char *dir, const struct jrows *j)
{
	struct stat sb;

	return stat(dir, &sb) == 0 && (uint64_t)sb.st_ino == j->ino;
}

/* ---- one day, a pass -------------------------------------------------- */

#define STOPPED (-1000) /* stop_here: leave everything as a crash would */

static int
stop_here(int step)
{
	if (ev_compact_stop_at != step)
		return 0;
	ls_error_set(LS_EIO, "evidence compaction: stopped after step %d "
			     "(test)",
	    step);
	return STOPPED;
}

static void
remove_new(const struct ls_evidence *ev)
{
	char path[PATH_MAX];

	if (compact_path(path, sizeof(path), ev, "new") == 0 &&
	    ls_file_exists(path))
		(void)ls_file_remove_tree(path);
	ls_error_clear();
}

/* Compact one day folder; *merged gets the files it removed. */
static int
compact_day(struct ls_evidence *ev, struct cday *d, time_t now,
    size_t *merged)
{
	char newdir[PATH_MAX], lock[PATH_MAX], journal[PATH_MAX],
	    parent[PATH_MAX], *slash;
	struct jrows j;
	struct stat sb;
	size_t i;
	int lfd = -1, worth, rc;

	memset(&j, 0, sizeof(j));
	if ((rc = cday_load(ev, d, now, &worth)) != 0 || !worth)
		return rc;
	if ((rc = compact_path(newdir, sizeof(newdir), ev, "new")) != 0 ||
	    (rc = compact_path(lock, sizeof(lock), ev, "lock")) != 0 ||
	    (rc = compact_path(journal, sizeof(journal), ev, "journal")) != 0 ||
	    (rc = ev_path(parent, sizeof(parent), "%s", d->dir)) != 0)
		return rc;
	if ((slash = strrchr(parent, '/')) != NULL)
		*slash = '\0';
	remove_new(ev);
	if ((rc = build_new(d, newdir)) != 0 || (rc = stop_here(1)) != 0)
		goto out;
	if ((lfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) < 0) {
		rc = sys_error(lock);
		goto out;
	}
	if (flock(lfd, LOCK_EX | LOCK_NB) < 0) {
		rc = errno == EWOULDBLOCK ? 1 : sys_error(lock);
		goto out; /* a reader: another pass */
	}
	if (stat(newdir, &sb) < 0) {
		rc = sys_error(newdir);
		goto out;
	}
	if ((rc = journal_write(ev, d, (uint64_t)sb.st_ino)) != 0 ||
	    (rc = stop_here(2)) != 0)
		goto out;
	if (renameat2(AT_FDCWD, newdir, AT_FDCWD, d->dir, RENAME_EXCHANGE) <
	    0) {
		if (errno == EINVAL || errno == ENOSYS || errno == ENOTSUP)
			ev->compact_off = 1;
		rc = sys_error("exchanging a day folder (renameat2 "
			       "RENAME_EXCHANGE)");
		(void)unlink(journal);
		goto out;
	}
	if ((rc = ls_file_fsync_dir(parent)) != 0 || (rc = stop_here(3)) != 0)
		goto out;
	if ((rc = journal_read(journal, &j)) != 0 ||
	    (rc = rows_write(ev, &j)) != 0 || (rc = stop_here(4)) != 0)
		goto out;
	if (unlink(journal) < 0)
		rc = sys_error(journal);
	for (i = 0; i < d->n; i++)
		if (d->f[i].run != i)
			(*merged)++;
out:
	if (lfd >= 0)
		close(lfd);
	free(j.row);
	if (rc == STOPPED)
		return LS_EIO;
	if (!ls_file_exists(journal))
		remove_new(ev); /* built only, or now the old folder */
	return rc;
}

/* A journal left by a crash or a failed step: finish the exchange it
 * records, or drop it when the exchange did not happen. */
static int
finish_journal(struct ls_evidence *ev)
{
	char dir[PATH_MAX], journal[PATH_MAX], day[PATH_MAX];
	struct jrows j;
	int rc;

	if ((rc = compact_path(dir, sizeof(dir), ev, "")) != 0 ||
	    (rc = compact_path(journal, sizeof(journal), ev, "journal")) != 0)
		return rc;
	if (!ls_file_exists(journal))
		return 0;
	if ((rc = journal_read(journal, &j)) != 0)
		return rc;
	if ((rc = ev_path(day, sizeof(day), "%s/partitions/%s", ev->dir,
		 j.rel)) == 0 &&
	    exchanged(day, &j))
		rc = rows_write(ev, &j); /* exchanged: finish it */
	free(j.row);
	if (rc != 0)
		return rc;
	if (unlink(journal) < 0)
		return sys_error(journal);
	return ls_file_fsync_dir(dir);
}

int
ev_compact_pass(struct ls_evidence *ev, time_t now, long budget_ms,
    struct ev_compact_stats *stats)
{
	char rel[EV_PART_PATH];
	sqlite3_stmt *st = NULL;
	struct cday d;
	long long until = ls_mono_ms() + budget_ms;
	time_t cutoff = now - now % 86400 - (EV_COMPACT_DAYS - 1) * 86400;
	time_t day;
	size_t rows = 0, merged;
	int rc = 0, one;

	stats->passes++;
	if ((rc = finish_journal(ev)) != 0)
		return rc;
	remove_new(ev);
	if (sqlite3_prepare_v2(ev->db,
		"SELECT path FROM files WHERE path > ? GROUP BY path "
		"HAVING COUNT(*) > 1 ORDER BY path LIMIT ?",
		-1, &st, NULL) != SQLITE_OK)
		return ev_db_error(ev->db, "compaction candidates");
	sqlite3_bind_text(st, 1, ev->compact_after, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 2, EV_COMPACT_SCAN);
	memset(&d, 0, sizeof(d));
	while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
		rows++;
		snprintf(rel, sizeof(rel), "%s", sqlite3_column_text(st, 0));
		snprintf(ev->compact_after, sizeof(ev->compact_after), "%s",
		    rel);
		if ((day = day_of(rel)) < 0 || day >= cutoff)
			continue; /* not over yet */
		merged = 0;
		memcpy(d.rel, rel, sizeof(rel));
		one = compact_day(ev, &d, now, &merged);
		cday_free(&d);
		if (one == 1) {
			stats->busy++;
		} else if (one != 0) {
			stats->failed++;
			ls_metrics_add(LS_M_COMPACT_FAILED, 1);
			snprintf(stats->error, sizeof(stats->error), "%s",
			    ls_error_last());
			rc = one;
		} else if (merged > 0) {
			stats->days++;
			stats->files += merged;
			ls_metrics_add(LS_M_COMPACT_FILES, (long)merged);
		}
		if (ls_mono_ms() >= until)
			break;
	}
	sqlite3_finalize(st);
	/* The end of the table: the next pass starts over. */
	if (rows < EV_COMPACT_SCAN && ls_mono_ms() < until)
		ev->compact_after[0] = '\0';
	return rc;
}

int
ev_compact_recover(struct ls_evidence *ev)
{
	char dir[PATH_MAX], lock[PATH_MAX];
	int fd, rc;

	if ((rc = compact_path(dir, sizeof(dir), ev, "")) != 0 ||
	    (rc = compact_path(lock, sizeof(lock), ev, "lock")) != 0 ||
	    (rc = ls_file_mkdirs(dir, 0755)) != 0)
		return rc;
	/* Readers find the lock before any compaction can start. */
	if ((fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) < 0)
		return sys_error(lock);
	close(fd);
	if ((rc = finish_journal(ev)) != 0)
		return rc;
	remove_new(ev);
	return 0;
}
