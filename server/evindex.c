/*
 * evindex.c - the Hive partitions and the SQLite index of the evidence
 * store, written by the materialiser one batch at a time.
 *
 * Partitions (DATA/evidence/partitions/):
 *   kind=decision/framework=F/control=C/year=Y/month=MM/day=DD/
 *     a decision once per control "F:C" it names (a control without a
 *     framework prefix under framework=none; no controls at all under
 *     framework=none/control=none), the day from the record's own time;
 *   kind=K/framework=none/control=none/year=Y/month=MM/day=DD/
 *     every other kind (build, publish, operator, report, batch,
 *     refused, ...), the day from the entry's time.
 * Every key set is the same so one hive_partitioning scan reads them all.
 * Files are named <first:020>.jsonl after the first log index of the
 * batch that wrote them (names sort in log order) and hold that batch's
 * entries of the partition, as stored, in log order; a file is never
 * changed once its batch is committed.  Compaction (evcompact.c) merges
 * the files of a day that is over into <first:020>-<last:020>.jsonl,
 * first and last the first and the last batch merged (files table:
 * merged = last), which are never merged again.  Values outside [A-Za-z0-9._-]
 * are %XX-encoded.
 *
 * SQLite (DATA/evidence/index.sqlite): meta (materialised size h),
 * entries (n, kind, channel, agent, outcome, t) indexed by kind and by
 * agent, files (every partition file and its line count), builds and
 * reports (start-up state).
 */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/uio.h>

#include "evidence_impl.h"
#include "lockstep/error.h"
#include "lockstep/hash.h"

static const char schema[] =
    "PRAGMA journal_mode=WAL;"
    "PRAGMA synchronous=FULL;"
    "CREATE TABLE IF NOT EXISTS meta(k TEXT PRIMARY KEY, v INTEGER);"
    "CREATE TABLE IF NOT EXISTS entries(n INTEGER PRIMARY KEY,"
    " kind TEXT NOT NULL, channel TEXT, agent TEXT, outcome TEXT,"
    " t INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS entries_kind ON entries(kind, t);"
    "CREATE INDEX IF NOT EXISTS entries_agent ON entries(agent, t);"
    "CREATE TABLE IF NOT EXISTS files(path TEXT NOT NULL,"
    " first INTEGER NOT NULL, lines INTEGER NOT NULL, merged INTEGER,"
    " PRIMARY KEY(path, first));"
    "CREATE TABLE IF NOT EXISTS builds(channel TEXT, tag TEXT,"
    " PRIMARY KEY(channel, tag));"
    "CREATE TABLE IF NOT EXISTS reports(agent TEXT PRIMARY KEY,"
    " seq INTEGER);";

int
ev_part_file(char *out, size_t n, const char *dir, const char *part,
    uint64_t first, uint64_t merged)
{
	if (merged == 0)
		return ev_path(out, n, "%s/partitions/%s/%020" PRIu64 ".jsonl",
		    dir, part, first);
	return ev_path(out, n,
	    "%s/partitions/%s/%020" PRIu64 "-%020" PRIu64 ".jsonl", dir, part,
	    first, merged);
}

int
ev_db_error(sqlite3 *db, const char *what)
{
	return ls_error_set(LS_EIO, "evidence index: %s: %s", what,
	    db ? sqlite3_errmsg(db) : "cannot open");
}

int
ev_index_open(struct ls_evidence *ev, uint64_t *h_out)
{
	char path[PATH_MAX];
	sqlite3_stmt *st = NULL;
	int rc;

	*h_out = 0;
	if ((rc = ev_path(path, sizeof(path), "%s/index.sqlite", ev->dir)) != 0)
		return rc;
	if (sqlite3_open_v2(path, &ev->db,
		SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
		    SQLITE_OPEN_NOMUTEX,
		NULL) != SQLITE_OK ||
	    sqlite3_exec(ev->db, schema, NULL, NULL, NULL) != SQLITE_OK)
		return ev_db_error(ev->db, path);
	/* merged: a compacted file's last merged batch (evcompact.c); a
	 * store of an earlier version gets the column on open */
	if (sqlite3_prepare_v2(ev->db, "SELECT merged FROM files LIMIT 0", -1,
		&st, NULL) != SQLITE_OK &&
	    sqlite3_exec(ev->db, "ALTER TABLE files ADD COLUMN merged INTEGER",
		NULL, NULL, NULL) != SQLITE_OK)
		return ev_db_error(ev->db, "files: adding merged");
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_prepare_v2(ev->db, "SELECT v FROM meta WHERE k='h'", -1,
		&st, NULL) != SQLITE_OK)
		return ev_db_error(ev->db, "meta");
	if (sqlite3_step(st) == SQLITE_ROW)
		*h_out = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return 0;
}

void
ev_index_close(struct ls_evidence *ev)
{
	if (ev->db != NULL)
		sqlite3_close(ev->db);
	ev->db = NULL;
}

static void
enc(char *out, size_t n, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (; *s != '\0' && o + 4 < n; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '-' ||
		    (c == '.' && o > 0)) {
			out[o++] = (char)c;
		} else {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
}

int
ev_part_rel(char *out, size_t n, const char *kind, const char *control,
    time_t t)
{
	char k[96], fw[96], ct[192], tmp[192];
	const char *colon = control ? strchr(control, ':') : NULL;
	struct tm tm;
	int w;

	enc(k, sizeof(k), kind);
	if (control == NULL) {
		strcpy(fw, "none");
		strcpy(ct, "none");
	} else if (colon == NULL || colon == control || colon[1] == '\0') {
		strcpy(fw, "none");
		enc(ct, sizeof(ct), control);
	} else {
		snprintf(tmp, sizeof(tmp), "%.*s", (int)(colon - control),
		    control);
		enc(fw, sizeof(fw), tmp);
		enc(ct, sizeof(ct), colon + 1);
	}
	gmtime_r(&t, &tm);
	w = snprintf(out, n,
	    "kind=%s/framework=%s/control=%s/year=%04d/month=%02d/day=%02d", k,
	    fw, ct, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
	if (w < 0 || (size_t)w >= n)
		return ls_error_set(LS_EINVAL, "evidence: partition too long");
	return 0;
}

/* The entries of one partition file: a chain through next[]. */
struct pgroup {
	const char *path;
	size_t head, tail, count; /* parts, in log order */
};

struct pgroups {
	struct pgroup *g;
	size_t ng;
	size_t *next; /* part -> next part of its partition */
	size_t *ent;  /* part -> its entry */
	size_t *slot; /* open addressing: group, or SIZE_MAX */
	size_t mask;
};

/* Group the np parts of ents[0..n) by partition, in log order (a hash
 * table: sorting the paths cost more than writing them). */
static int
pgroups_build(struct pgroups *pg, struct ev_ent **ents, size_t n, size_t np)
{
	size_t cap = 2, i, j, k = 0, h;
	struct pgroup *g;

	while (cap < 2 * np)
		cap *= 2;
	pg->g = malloc(np * sizeof(*pg->g));
	pg->next = malloc(np * sizeof(*pg->next));
	pg->ent = malloc(np * sizeof(*pg->ent));
	pg->slot = malloc(cap * sizeof(*pg->slot));
	if (pg->g == NULL || pg->next == NULL || pg->ent == NULL ||
	    pg->slot == NULL)
		return ls_error_set(LS_ENOMEM, "evidence: out of memory");
	memset(pg->slot, 0xff, cap * sizeof(*pg->slot));
	pg->mask = cap - 1;
	for (i = 0; i < n; i++)
		for (j = 0; j < ents[i]->nparts; j++, k++) {
			const char *path = ents[i]->parts[j];

			h = (size_t)ls_fnv1a_str(path) & pg->mask;
			while (pg->slot[h] != SIZE_MAX &&
			    strcmp(pg->g[pg->slot[h]].path, path) != 0)
				h = (h + 1) & pg->mask;
			pg->ent[k] = i;
			pg->next[k] = SIZE_MAX;
			if (pg->slot[h] == SIZE_MAX) {
				pg->slot[h] = pg->ng;
				g = &pg->g[pg->ng++];
				g->path = path;
				g->head = g->tail = k;
				g->count = 1;
				continue;
			}
			g = &pg->g[pg->slot[h]];
			pg->next[g->tail] = k;
			g->tail = k;
			g->count++;
		}
	return 0;
}

static void
pgroups_cleanup(struct pgroups *pg)
{
	free(pg->g);
	free(pg->next);
	free(pg->ent);
	free(pg->slot);
}

/* One partition file: its entries' lines, each with a newline, written
 * straight from the lines (iov room for 2 * g->count). */
static int
write_part(struct ls_evidence *ev, struct ev_ent **ents,
    const struct pgroups *pg, const struct pgroup *g, uint64_t from,
    struct iovec *iov)
{
	static char nl[] = "\n";
	char rel[EV_PART_PATH + 64];
	size_t k;
	int n = 0, rc;

	for (k = g->head; k != SIZE_MAX; k = pg->next[k]) {
		iov[n].iov_base = ents[pg->ent[k]]->line;
		iov[n++].iov_len = ents[pg->ent[k]]->len;
		iov[n].iov_base = nl;
		iov[n++].iov_len = 1;
	}
	if ((rc = ev_path(rel, sizeof(rel),
		 "partitions/%s/%020" PRIu64 ".jsonl", g->path, from)) != 0)
		return rc;
	return ev_write_filev(ev, rel, iov, n);
}

static int
write_parts(struct ls_evidence *ev, struct ev_ent **ents, size_t n,
    uint64_t from, sqlite3_stmt *fst)
{
	struct pgroups pg;
	struct iovec *iov = NULL;
	size_t np = 0, i;
	int rc;

	memset(&pg, 0, sizeof(pg));
	for (i = 0; i < n; i++)
		np += ents[i]->nparts;
	if (np == 0)
		return 0;
	if (np > INT_MAX / 2)
		return ls_error_set(LS_ETOOBIG, "evidence: batch too large");
	if ((rc = pgroups_build(&pg, ents, n, np)) != 0)
		goto out;
	if ((iov = malloc(2 * np * sizeof(*iov))) == NULL) {
		rc = ls_error_set(LS_ENOMEM, "evidence: out of memory");
		goto out;
	}
	for (i = 0; i < pg.ng && rc == 0; i++) {
		if ((rc = write_part(ev, ents, &pg, &pg.g[i], from, iov)) != 0)
			break;
		sqlite3_reset(fst);
		sqlite3_bind_text(fst, 1, pg.g[i].path, -1, SQLITE_STATIC);
		sqlite3_bind_int64(fst, 2, (sqlite3_int64)from);
		sqlite3_bind_int64(fst, 3, (sqlite3_int64)pg.g[i].count);
		if (sqlite3_step(fst) != SQLITE_DONE)
			rc = ev_db_error(ev->db, "files");
	}
out:
	free(iov);
	pgroups_cleanup(&pg);
	return rc;
}

static void
bind_opt(sqlite3_stmt *st, int i, const char *s)
{
	if (s != NULL)
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

static int
index_rows(struct ls_evidence *ev, struct ev_ent **ents, size_t n,
    sqlite3_stmt *est, sqlite3_stmt *bst, sqlite3_stmt *rst)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct ev_ent *e = ents[i];

		sqlite3_reset(est);
		sqlite3_bind_int64(est, 1, (sqlite3_int64)e->n);
		sqlite3_bind_text(est, 2, e->kind, -1, SQLITE_STATIC);
		bind_opt(est, 3, e->channel);
		bind_opt(est, 4, e->agent);
		bind_opt(est, 5, e->outcome);
		sqlite3_bind_int64(est, 6, (sqlite3_int64)e->t);
		if (sqlite3_step(est) != SQLITE_DONE)
			return ev_db_error(ev->db, "entries");
		if (e->build_known && e->channel && e->tag) {
			sqlite3_reset(bst);
			sqlite3_bind_text(bst, 1, e->channel, -1,
			    SQLITE_STATIC);
			sqlite3_bind_text(bst, 2, e->tag, -1, SQLITE_STATIC);
			if (sqlite3_step(bst) != SQLITE_DONE)
				return ev_db_error(ev->db, "builds");
		}
		if (e->enroll) { /* rare: prepared when needed */
			sqlite3_stmt *del = NULL;
			int ok = sqlite3_prepare_v2(ev->db,
				     "DELETE FROM reports WHERE agent=?", -1,
				     &del, NULL) == SQLITE_OK;

			if (ok) {
				sqlite3_bind_text(del, 1, e->agent, -1,
				    SQLITE_STATIC);
				ok = sqlite3_step(del) == SQLITE_DONE;
			}
			sqlite3_finalize(del);
			if (!ok)
				return ev_db_error(ev->db, "reports");
		}
		if (e->report_seq >= 0 && e->agent != NULL) {
			sqlite3_reset(rst);
			sqlite3_bind_text(rst, 1, e->agent, -1, SQLITE_STATIC);
			sqlite3_bind_int64(rst, 2, e->report_seq);
			if (sqlite3_step(rst) != SQLITE_DONE)
				return ev_db_error(ev->db, "reports");
		}
	}
	return 0;
}

/* Rows of entries from index from on (none unless a batch was cut). */
static int
drop_from(struct ls_evidence *ev, uint64_t from)
{
	sqlite3_stmt *st = NULL;
	int ok;

	ok = sqlite3_prepare_v2(ev->db, "DELETE FROM entries WHERE n >= ?", -1,
		 &st, NULL) == SQLITE_OK;
	if (ok) {
		sqlite3_bind_int64(st, 1, (sqlite3_int64)from);
		ok = sqlite3_step(st) == SQLITE_DONE;
	}
	sqlite3_finalize(st);
	return ok ? 0 : ev_db_error(ev->db, "entries");
}

int
ev_index_batch(struct ls_evidence *ev, struct ev_ent **ents, size_t n,
    uint64_t from)
{
	sqlite3_stmt *est = NULL, *bst = NULL, *rst = NULL, *fst = NULL;
	int rc = 0;

	if (sqlite3_exec(ev->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		return ev_db_error(ev->db, "begin");
	/* A batch cut short before its commit left rows of its own: they
	 * go first, in one statement (INSERT OR REPLACE for each row cost
	 * a fifth more than the insert). */
	if ((rc = drop_from(ev, from)) != 0)
		goto out;
	if (sqlite3_prepare_v2(ev->db,
		"INSERT INTO entries VALUES(?,?,?,?,?,?)", -1, &est,
		NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(ev->db,
		"INSERT OR IGNORE INTO builds VALUES(?,?)", -1, &bst,
		NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(ev->db,
		"INSERT INTO reports VALUES(?,?) ON CONFLICT(agent) DO "
		"UPDATE SET seq=max(seq, excluded.seq)",
		-1, &rst, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(ev->db,
		"INSERT OR REPLACE INTO files(path, first, lines) VALUES(?,?,?)", -1, &fst,
		NULL) != SQLITE_OK) {
		rc = ev_db_error(ev->db, "prepare");
		goto out;
	}
	if ((rc = index_rows(ev, ents, n, est, bst, rst)) == 0)
		rc = write_parts(ev, ents, n, from, fst);
out:
	sqlite3_finalize(est);
	sqlite3_finalize(bst);
	sqlite3_finalize(rst);
	sqlite3_finalize(fst);
	if (rc != 0)
		ev_index_abort(ev);
	return rc;
}

void
ev_index_abort(struct ls_evidence *ev)
{
	if (ev->db != NULL && !sqlite3_get_autocommit(ev->db))
		(void)sqlite3_exec(ev->db, "ROLLBACK", NULL, NULL, NULL);
}

int
ev_index_commit(struct ls_evidence *ev, uint64_t h)
{
	char sql[96];

	snprintf(sql, sizeof(sql),
	    "INSERT OR REPLACE INTO meta VALUES('h', %" PRIu64 ");COMMIT", h);
	if (sqlite3_exec(ev->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		int rc = ev_db_error(ev->db, "commit");

		ev_index_abort(ev);
		return rc;
	}
	return 0;
}

/* A read-only connection of its own (queries, start-up state). */
int
ev_index_reader(const char *dir, sqlite3 **out)
{
	char path[PATH_MAX];
	int rc;

	*out = NULL;
	if ((rc = ev_path(path, sizeof(path), "%s/index.sqlite", dir)) != 0)
		return rc;
	if (sqlite3_open_v2(path, out, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK) {
		rc = ev_db_error(*out, path);
		sqlite3_close(*out);
		*out = NULL;
		return rc;
	}
	sqlite3_busy_timeout(*out, 5000);
	return 0;
}

int
ls_evidence_builds_known(struct ls_evidence *ev,
    int (*fn)(void *arg, const char *channel, const char *tag), void *arg)
{
	sqlite3 *db;
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = ev_index_reader(ev->dir, &db)) != 0)
		return rc;
	if (sqlite3_prepare_v2(db, "SELECT channel, tag FROM builds", -1, &st,
		NULL) != SQLITE_OK)
		rc = ev_db_error(db, "builds");
	while (rc == 0 && sqlite3_step(st) == SQLITE_ROW)
		rc = fn(arg, (const char *)sqlite3_column_text(st, 0),
		    (const char *)sqlite3_column_text(st, 1));
	sqlite3_finalize(st);
	sqlite3_close(db);
	return rc;
}

int
ls_evidence_report_seqs(struct ls_evidence *ev,
    int (*fn)(void *arg, const char *agent, uint64_t seq), void *arg)
{
	sqlite3 *db;
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = ev_index_reader(ev->dir, &db)) != 0)
		return rc;
	if (sqlite3_prepare_v2(db, "SELECT agent, seq FROM reports", -1, &st,
		NULL) != SQLITE_OK)
		rc = ev_db_error(db, "reports");
	while (rc == 0 && sqlite3_step(st) == SQLITE_ROW)
		rc = fn(arg, (const char *)sqlite3_column_text(st, 0),
		    (uint64_t)sqlite3_column_int64(st, 1));
	sqlite3_finalize(st);
	sqlite3_close(db);
	return rc;
}
