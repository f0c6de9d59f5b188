/*
 * evquery.c - evidence queries over the first `size` entries, streamed in
 * chunks, never under the write lock.
 *
 * Decisions by control and period are read from their Hive partitions
 * (kind=decision/framework=F/control=C/year/month/day, only the days in
 * the period).  Everything else goes through the SQLite index (by kind,
 * agent and time) and reads the entries from their bundles.  With a
 * control, the other kinds match as before: builds and publishes whose
 * release covers the control, and entries naming such a bundle.
 */
#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evidence_impl.h"
#include "lockstep/error.h"
#include "lockstep/file.h"
#include "lockstep/timefmt.h"

#define MAX_FILES_DAY 1000000
#define PART_FILE_MAX ((size_t)1 << 30)
#define QUERY_SCAN_STEP 4096 /* candidate lines per next() call */

struct ls_evidence_query {
	struct ls_evidence *ev;
	struct ls_evidence_filter f;
	char *agent, *channel, *kind, *control, *outcome;
	uint64_t size;
	/* phase 0: partitions, phase 1: index, 2: done */
	int phase;
	int fast;	     /* partition lines match without parsing */
	char base[PATH_MAX]; /* the control's partition folder */
	time_t day;	     /* next day to open */
	time_t last_day;
	char **files; /* of the open day, sorted */
	size_t nfiles, fi;
	char *data; /* the open file */
	size_t dlen, off;
	sqlite3 *db;
	sqlite3_stmt *st;
	struct ev_reader r;
	char (*bundles)[65];
	size_t nbundles;
	int parts_fd; /* compaction's lock, held shared while it reads */
};

static int
str_is(json_t *e, const char *key, const char *want)
{
	const char *v;

	if (want == NULL)
		return 1;
	v = json_string_value(json_object_get(e, key));
	return v != NULL && strcmp(v, want) == 0;
}

static int
covers(json_t *e, const char *control)
{
	json_t *c,
	    *a = json_object_get(json_object_get(e, "details"), "controls");
	size_t i;

	json_array_foreach(a, i, c)
	{
		if (json_is_string(c) &&
		    strcmp(json_string_value(c), control) == 0)
			return 1;
	}
	return 0;
}

static int
names_bundle(const struct ls_evidence_query *q, json_t *e)
{
	const char *sha = json_string_value(
	    json_object_get(json_object_get(e, "details"), "bundle"));
	size_t i;

	for (i = 0; sha != NULL && i < q->nbundles; i++)
		if (strcmp(q->bundles[i], sha) == 0)
			return 1;
	return 0;
}

/* The time an entry is filed under (the record's own for decisions). */
static time_t
entry_time(json_t *e)
{
	const char *s = json_string_value(json_object_get(e, "time"));
	json_t *d = json_object_get(e, "details");
	time_t t = 0;

	if (str_is(e, "kind", "decision") &&
	    json_is_string(json_object_get(d, "time")))
		s = json_string_value(json_object_get(d, "time"));
	(void)ev_parse_time(&t, s);
	return t;
}

static int
matches(const struct ls_evidence_query *q, json_t *e)
{
	const struct ls_evidence_filter *f = &q->f;
	time_t t;

	if (!str_is(e, "kind", f->kind) || !str_is(e, "agent", f->agent) ||
	    !str_is(e, "channel", f->channel))
		return 0;
	if (f->outcome != NULL &&
	    !str_is(json_object_get(e, "details"), "outcome", f->outcome))
		return 0;
	if (f->control != NULL && !str_is(e, "kind", "decision") &&
	    !covers(e, f->control) && !names_bundle(q, e))
		return 0;
	if (f->since == 0 && f->until == 0)
		return 1;
	t = entry_time(e);
	return (f->since == 0 || t >= f->since) &&
	    (f->until == 0 || t <= f->until);
}

/* A partition line needs no parsing when its folder already answers
 * the filter: no agent, channel or outcome, and whole days. */
static int
whole_days(const struct ls_evidence_query *q)
{
	const struct ls_evidence_filter *f = &q->f;

	return f->agent == NULL && f->channel == NULL && f->outcome == NULL &&
	    f->since % 86400 == 0 &&
	    (f->until == 0 || f->until % 86400 == 86399);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
files_free(struct ls_evidence_query *q)
{
	size_t i;

	for (i = 0; i < q->nfiles; i++)
		free(q->files[i]);
	free(q->files);
	q->files = NULL;
	q->nfiles = q->fi = 0;
}

/* The sorted partition files of one day folder. */
static int
day_open(struct ls_evidence_query *q, time_t day)
{
	char dir[PATH_MAX + 64], **v;
	struct dirent *de;
	struct tm tm;
	size_t cap = 0;
	DIR *d;

	files_free(q);
	gmtime_r(&day, &tm);
	if (ev_path(dir, sizeof(dir), "%s/year=%04d/month=%02d/day=%02d",
		q->base, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday) != 0 ||
	    (d = opendir(dir)) == NULL) {
		ls_error_clear();
		return 0;
	}
	while ((de = readdir(d)) != NULL && q->nfiles < MAX_FILES_DAY) {
		size_t n = strlen(de->d_name);

		/* <first>.jsonl, or <first>-<last>.jsonl once compacted */
		if ((n != 26 && (n != 47 || de->d_name[20] != '-')) ||
		    strcmp(de->d_name + n - 6, ".jsonl") != 0 ||
		    strtoull(de->d_name, NULL, 10) >= q->size)
			continue;
		if (q->nfiles == cap) {
			cap = cap ? cap * 2 : 64;
			if ((v = realloc(q->files, cap * sizeof(*v))) == NULL)
				break;
			q->files = v;
		}
		if ((q->files[q->nfiles] = malloc(strlen(dir) + n + 2)) == NULL)
			break;
		sprintf(q->files[q->nfiles++], "%s/%s", dir, de->d_name);
	}
	closedir(d);
	qsort(q->files, q->nfiles, sizeof(*q->files), cmp_str);
	return 0;
}

/* Next line of the partitions; 1 at their end. */
static int
part_line(struct ls_evidence_query *q, const char **line, size_t *len)
{
	char *nl;
	int rc;

	while (q->data == NULL || q->off >= q->dlen) {
		free(q->data);
		q->data = NULL;
		if (q->fi < q->nfiles) {
			if ((rc = ev_read_file(&q->data, &q->dlen,
				 q->files[q->fi++], PART_FILE_MAX)) != 0)
				return rc;
			q->off = 0;
			continue;
		}
		if (q->day > q->last_day)
			return 1;
		(void)day_open(q, q->day);
		q->day += 86400;
	}
	*line = q->data + q->off;
	nl = memchr(*line, '\n', q->dlen - q->off);
	*len = nl ? (size_t)(nl - *line) : q->dlen - q->off;
	q->off += *len + 1;
	return 0;
}

/* The bundles whose build or publish covers the control. */
static int
collect_bundles(struct ls_evidence_query *q)
{
	sqlite3_stmt *st = NULL;
	const char *line;
	size_t len;
	json_t *e;
	int rc = 0;
	char(*v)[65];

	if (sqlite3_prepare_v2(q->db,
		"SELECT n FROM entries WHERE kind IN ('build','publish') AND "
		"n < ?",
		-1, &st, NULL) != SQLITE_OK)
		return ls_error_set(LS_EIO, "evidence index: %s",
		    sqlite3_errmsg(q->db));
	sqlite3_bind_int64(st, 1, (sqlite3_int64)q->size);
	while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
		const char *sha;

		if ((rc = ev_reader_entry(&q->r,
			 (uint64_t)sqlite3_column_int64(st, 0), &line, &len)) !=
		    0)
			break;
		if ((e = json_loadb(line, len, 0, NULL)) == NULL)
			continue;
		sha = json_string_value(
		    json_object_get(json_object_get(e, "details"), "bundle"));
		if (covers(e, q->f.control) && sha != NULL &&
		    strlen(sha) == 64 &&
		    (v = realloc(q->bundles, (q->nbundles + 1) * sizeof(*v))) !=
			NULL) {
			q->bundles = v;
			memcpy(v[q->nbundles++], sha, 65);
		}
		json_decref(e);
	}
	sqlite3_finalize(st);
	return rc;
}

static int
prepare_index(struct ls_evidence_query *q)
{
	char sql[512];
	const struct ls_evidence_filter *f = &q->f;
	int i = 1;

	snprintf(sql, sizeof(sql),
	    "SELECT n FROM entries WHERE n < ?%s%s%s%s%s%s ORDER BY n",
	    f->kind ? " AND kind = ?" : "",
	    f->control && !f->kind ? " AND kind != 'decision'" : "",
	    f->agent ? " AND agent = ?" : "",
	    f->channel ? " AND channel = ?" : "", f->since ? " AND t >= ?" : "",
	    f->until ? " AND t <= ?" : "");
	if (sqlite3_prepare_v2(q->db, sql, -1, &q->st, NULL) != SQLITE_OK)
		return ls_error_set(LS_EIO, "evidence index: %s",
		    sqlite3_errmsg(q->db));
	sqlite3_bind_int64(q->st, i++, (sqlite3_int64)q->size);
	if (f->kind)
		sqlite3_bind_text(q->st, i++, f->kind, -1, SQLITE_STATIC);
	if (f->agent)
		sqlite3_bind_text(q->st, i++, f->agent, -1, SQLITE_STATIC);
	if (f->channel)
		sqlite3_bind_text(q->st, i++, f->channel, -1, SQLITE_STATIC);
	if (f->since)
		sqlite3_bind_int64(q->st, i++, (sqlite3_int64)f->since);
	if (f->until)
		sqlite3_bind_int64(q->st, i++, (sqlite3_int64)f->until);
	return 0;
}

static char *
dup_or_null(const char *s)
{
	return s != NULL && s[0] != '\0' ? strdup(s) : NULL;
}

static int
part_base(struct ls_evidence_query *q)
{
	char rel[EV_PART_PATH], *y;
	int rc;

	if ((rc = ev_part_rel(rel, sizeof(rel),
		 q->f.control ? "decision" : q->f.kind, q->f.control, 0)) != 0)
		return rc;
	if ((y = strstr(rel, "/year=")) != NULL)
		*y = '\0';
	q->day = q->f.since ? q->f.since - q->f.since % 86400 : 0;
	q->last_day = q->f.until ? q->f.until : time(NULL) + 86400;
	if (q->day == 0) {	    /* no start: from the first day on disk */
		q->day = 946684800; /* 2000-01-01 */
	}
	return ev_path(q->base, sizeof(q->base), "%s/partitions/%s", q->ev->dir,
	    rel);
}

int
ls_evidence_query_open(struct ls_evidence_query **out, struct ls_evidence *ev,
    const struct ls_evidence_filter *f, uint64_t size)
{
	struct ls_evidence_query *q;
	uint64_t h;
	uint8_t root[LS_SHA256_LEN];
	int rc;

	*out = NULL;
	ls_evidence_root(ev, &h, root);
	if (size > h)
		size = h;
	if ((q = calloc(1, sizeof(*q))) == NULL)
		return ls_error_set(LS_ENOMEM, "evidence: out of memory");
	q->ev = ev;
	q->parts_fd = ev_parts_share(ev->dir);
	q->size = size;
	q->f = *f;
	q->f.agent = q->agent = dup_or_null(f->agent);
	q->f.channel = q->channel = dup_or_null(f->channel);
	q->f.kind = q->kind = dup_or_null(f->kind);
	q->f.control = q->control = dup_or_null(f->control);
	q->f.outcome = q->outcome = dup_or_null(f->outcome);
	ev_reader_init(&q->r, ev->dir, size, h);
	q->phase = (q->f.control != NULL &&
		       (q->f.kind == NULL ||
			   strcmp(q->f.kind, "decision") == 0)) ||
		(q->f.by_partition && q->f.kind != NULL &&
		    q->f.control == NULL &&
		    strcmp(q->f.kind, "decision") != 0)
	    ? 0
	    : 1;
	q->fast = whole_days(q);
	if ((rc = ev_index_reader(ev->dir, &q->db)) != 0 ||
	    (q->phase == 0 && (rc = part_base(q)) != 0) ||
	    (q->f.control != NULL && (rc = collect_bundles(q)) != 0) ||
	    (rc = prepare_index(q)) != 0) {
		ls_evidence_query_free(q);
		return rc;
	}
	*out = q;
	return 0;
}

void
ls_evidence_query_free(struct ls_evidence_query *q)
{
	if (q == NULL)
		return;
	files_free(q);
	free(q->data);
	ev_parts_unshare(q->parts_fd);
	sqlite3_finalize(q->st);
	if (q->db != NULL)
		sqlite3_close(q->db);
	ev_reader_cleanup(&q->r);
	free(q->bundles);
	free(q->agent);
	free(q->channel);
	free(q->kind);
	free(q->control);
	free(q->outcome);
	free(q);
}

/* One candidate line: into out when it matches. */
static int
consider(struct ls_evidence_query *q, struct ls_buf *out, const char *line,
    size_t len)
{
	json_t *e;
	int rc = 0;

	if (q->phase == 0 && q->fast) {
		if (len < 6 || strncmp(line, "{\"n\":", 5) != 0 ||
		    strtoull(line + 5, NULL, 10) >= q->size)
			return 0;
		if ((rc = ls_buf_add(out, line, len)) == 0)
			rc = ls_buf_addc(out, '\n');
		return rc;
	}
	if ((e = json_loadb(line, len, 0, NULL)) == NULL)
		return 0;
	if (json_integer_value(json_object_get(e, "n")) < (json_int_t)q->size &&
	    matches(q, e) && (rc = ls_buf_add(out, line, len)) == 0)
		rc = ls_buf_addc(out, '\n');
	json_decref(e);
	return rc;
}

int
ls_evidence_query_next(struct ls_evidence_query *q, struct ls_buf *out,
    size_t want)
{
	const char *line;
	size_t len, start = out->len, scanned = 0;
	int rc = 0, s;

	/* Bounded work per call, so a caller can interleave other work. */
	while (
	    rc == 0 && out->len - start < want && scanned++ < QUERY_SCAN_STEP) {
		if (q->phase == 0) {
			if ((rc = part_line(q, &line, &len)) == 1) {
				rc = 0;
				q->phase = q->f.kind != NULL ? 2 : 1;
				continue;
			}
		} else if (q->phase == 1) {
			if ((s = sqlite3_step(q->st)) != SQLITE_ROW) {
				if (s != SQLITE_DONE)
					return ls_error_set(LS_EIO,
					    "evidence index: %s",
					    sqlite3_errmsg(q->db));
				q->phase = 2;
				continue;
			}
			rc = ev_reader_entry(&q->r,
			    (uint64_t)sqlite3_column_int64(q->st, 0), &line,
			    &len);
		} else {
			return 1;
		}
		if (rc == 0)
			rc = consider(q, out, line, len);
	}
	return rc;
}

int
ls_evidence_query(struct ls_evidence *ev, struct ls_buf *out,
    const struct ls_evidence_filter *f)
{
	struct ls_evidence_query *q;
	int rc;

	(void)ls_evidence_sync(ev, 10000);
	if ((rc = ls_evidence_query_open(&q, ev, f, UINT64_MAX)) != 0)
		return rc;
	while ((rc = ls_evidence_query_next(q, out, 1 << 16)) == 0)
		;
	ls_evidence_query_free(q);
	return rc == 1 ? 0 : rc;
}
