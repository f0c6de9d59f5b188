/* test_server_evidence.c - the tiled evidence store of the server. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <time.h>
#include <pthread.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../server/evidence.h"
#include "../../server/evidence_impl.h"
#include "../../server/export.h"
#include "lockstep/error.h"
#include "lockstep/file.h"

struct fx {
	char dir[64];
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/ls-test-ev-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	ls_file_remove_tree(f->dir);
	free(f);
	return 0;
}

/* Leaf hashes of entries [0, n) read back through ls_evidence_get. */
static uint8_t (*leaves_of(struct ls_evidence *ev, uint64_t n))[LS_SHA256_LEN]
{
	uint8_t(*v)[LS_SHA256_LEN] = calloc(n + 1, LS_SHA256_LEN);
	json_t *e;
	char *s;
	uint64_t i;

	assert_non_null(v);
	for (i = 0; i < n; i++) {
		assert_int_equal(ls_evidence_get(ev, i, &e), 0);
		assert_int_equal(json_integer_value(json_object_get(e, "n")),
		    i);
		s = json_dumps(e, JSON_COMPACT);
		ls_merkle_leaf(v[i], s, strlen(s));
		free(s);
		json_decref(e);
	}
	return v;
}

static void
append_n(struct ls_evidence *ev, unsigned n, const char *kind)
{
	json_t *d;
	unsigned i;

	for (i = 0; i < n; i++) {
		d = json_pack("{s:i, s:s}", "i", (int)i, "tag", "v1");
		assert_int_equal(ls_evidence_append(ev, kind, "stable",
				     i % 2 ? "a1" : NULL, d),
		    0);
		json_decref(d);
	}
}

/* Inclusion and consistency proofs from the tiles equal the reference
 * computation over all leaves, for every size up to 600 (more than two
 * tiles, partial tiles at every width) and across a reopen. */
static void
test_server_evidence__proofs_match_reference(void **state)
{
	struct fx *f = *state;
	struct ls_evidence *ev = NULL;
	uint8_t(*leaves)[LS_SHA256_LEN];
	uint8_t a[LS_MERKLE_MAX_PROOF][LS_SHA256_LEN],
	    b[LS_MERKLE_MAX_PROOF][LS_SHA256_LEN], leaf[LS_SHA256_LEN],
	    root[LS_SHA256_LEN], root2[LS_SHA256_LEN];
	size_t la, lb;
	uint64_t size, m, n, i;

	assert_int_equal(ls_evidence_open(&ev, f->dir, NULL, NULL), 0);
	for (i = 0; i < 6; i++) {
		struct ls_evidence_item it[100];
		json_t *d = json_object();

		for (m = 0; m < 100; m++)
			it[m] =
			    (struct ls_evidence_item){ "build", "c", NULL, d };
		assert_int_equal(ls_evidence_append_many(ev, it, 100, &m), 0);
		assert_int_equal(m, i * 100);
		json_decref(d);
		if (i == 2) { /* reopen in the middle */
			ls_evidence_free(ev);
			assert_int_equal(ls_evidence_open(&ev, f->dir, NULL,
					     NULL),
			    0);
		}
	}
	assert_int_equal(ls_evidence_sync(ev, 30000), 0);
	ls_evidence_root(ev, &size, root);
	assert_int_equal(size, 600);
	leaves = leaves_of(ev, 600);
	ls_merkle_root(root2, (const uint8_t(*)[LS_SHA256_LEN])leaves, 600);
	assert_memory_equal(root, root2, LS_SHA256_LEN);
	for (n = 1; n <= 600; n += n < 20 ? 1 : 37) {
		for (m = 0; m < n; m += 1 + n / 7) {
			assert_int_equal(ls_evidence_proof(ev, m, n, leaf, a,
					     &la),
			    0);
			assert_int_equal(ls_merkle_inclusion(b, &lb,
					     (const uint8_t(*)[LS_SHA256_LEN])
						 leaves,
					     m, n),
			    0);
			assert_int_equal(la, lb);
			assert_memory_equal(a, b, la * LS_SHA256_LEN);
			assert_memory_equal(leaf, leaves[m], LS_SHA256_LEN);
			assert_int_equal(ls_evidence_consistency(ev, m, n, a,
					     &la),
			    0);
			assert_int_equal(ls_merkle_consistency(b, &lb,
					     (const uint8_t(*)[LS_SHA256_LEN])
						 leaves,
					     m, n),
			    0);
			assert_int_equal(la, lb);
			assert_memory_equal(a, b, la * LS_SHA256_LEN);
			ls_merkle_root(root,
			    (const uint8_t(*)[LS_SHA256_LEN])leaves, m);
			ls_merkle_root(root2,
			    (const uint8_t(*)[LS_SHA256_LEN])leaves, n);
			assert_int_equal(ls_merkle_verify_consistency(m, n,
					     (const uint8_t(*)[LS_SHA256_LEN])a,
					     la, root, root2),
			    0);
		}
	}
	assert_int_not_equal(ls_evidence_proof(ev, 600, 600, leaf, a, &la), 0);
	assert_int_not_equal(ls_evidence_proof(ev, 0, 601, leaf, a, &la), 0);
	free(leaves);
	ls_evidence_free(ev);
	assert_int_equal(ls_evidence_verify(f->dir, &size), 0);
	assert_int_equal(size, 600);
}

struct worker {
	struct ls_evidence *ev;
	int id;
	uint64_t first[50];
};

static void *
work(void *arg)
{
	struct worker *w = arg;
	struct ls_evidence_item it[3];
	json_t *d;
	int i, k;

	for (i = 0; i < 50; i++) {
		d = json_pack("{s:i, s:i}", "w", w->id, "i", i);
		for (k = 0; k < 3; k++)
			it[k] =
			    (struct ls_evidence_item){ "batch", NULL, "x", d };
		if (ls_evidence_append_many(w->ev, it, 3, &w->first[i]) != 0)
			w->first[i] = UINT64_MAX;
		json_decref(d);
	}
	return NULL;
}

/* 8 threads append groups at once: every group gets consecutive,
 * distinct indexes and reads back as written. */
static void
test_server_evidence__group_commit(void **state)
{
	struct fx *f = *state;
	struct ls_evidence *ev = NULL;
	struct worker w[8];
	pthread_t t[8];
	unsigned char *seen;
	json_t *e;
	int i, j, k;

	assert_int_equal(ls_evidence_open(&ev, f->dir, NULL, NULL), 0);
	for (i = 0; i < 8; i++) {
		w[i].ev = ev;
		w[i].id = i;
		assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
	}
	for (i = 0; i < 8; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(ls_evidence_count(ev), 8 * 50 * 3);
	seen = calloc(8 * 50 * 3, 1);
	for (i = 0; i < 8; i++)
		for (j = 0; j < 50; j++) {
			assert_true(w[i].first[j] < 8 * 50 * 3);
			for (k = 0; k < 3; k++) {
				assert_false(seen[w[i].first[j] + (unsigned)k]);
				seen[w[i].first[j] + (unsigned)k] = 1;
				assert_int_equal(ls_evidence_get(ev,
						     w[i].first[j] +
							 (unsigned)k,
						     &e),
				    0);
				assert_int_equal(json_integer_value(
						     json_object_get(json_object_get(e,
									 "details"),
							 "w")),
				    i);
				json_decref(e);
			}
		}
	free(seen);
	ls_evidence_free(ev);
}

/* A torn record at the end of the WAL (a write cut by kill -9) is cut
 * off on open; everything acknowledged is there, and appends go on. */
static void
test_server_evidence__torn_wal_tail(void **state)
{
	struct fx *f = *state;
	struct ls_evidence *ev = NULL;
	char path[256];
	uint64_t n;
	int fd;

	assert_int_equal(ls_evidence_open(&ev, f->dir, NULL, NULL), 0);
	append_n(ev, 5, "report");
	ls_evidence_free(ev);
	snprintf(path, sizeof(path), "%s/evidence/wal/%020d.wal", f->dir, 0);
	fd = open(path, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "\0\0\1\0{\"n\":5,", 11), 11);
	close(fd);
	assert_int_equal(ls_evidence_open(&ev, f->dir, NULL, NULL), 0);
	assert_int_equal(ls_evidence_count(ev), 5);
	append_n(ev, 2, "report");
	assert_int_equal(ls_evidence_count(ev), 7);
	ls_evidence_free(ev);
	assert_int_equal(ls_evidence_verify(f->dir, &n), 0);
	assert_int_equal(n, 7);
}

/* One WAL record of entry n into out (more: the append goes on after
 * it); its size. */
static size_t
wal_rec(char *out, size_t cap, int n, int more)
{
	int k = snprintf(out + 4, cap - 4,
	    "{\"n\":%d,\"time\":\"2026-02-03T04:05:06Z\",\"kind\":"
	    "\"decision\",\"channel\":\"stable\",\"agent\":\"z\","
	    "\"details\":{\"seq\":%d}}",
	    n, n);

	out[0] = (char)(more ? 0x80 : 0);
	out[1] = 0;
	out[2] = (char)(k >> 8);
	out[3] = (char)(k & 0xFF);
	return (size_t)k + 4;
}

/* The top bits of the length prefixes of the last n (<= 8) WAL
 * records of path. */
static void
wal_more_bits(const char *path, size_t n, int *bits)
{
	char *data = NULL;
	size_t len = 0, off = 0, rl, i = 0, at[256] = { 0 };

	assert_int_equal(ev_read_file(&data, &len, path, 1 << 20), 0);
	while (off + 4 <= len && i < 256) {
		at[i++] = off;
		rl = ((size_t)(data[off] & 0x7F) << 24) |
		    ((size_t)(unsigned char)data[off + 1] << 16) |
		    ((size_t)(unsigned char)data[off + 2] << 8) |
		    (unsigned char)data[off + 3];
		off += 4 + rl;
	}
	assert_int_equal(off, len);
	assert_true(i >= n);
	for (off = 0; off < n; off++)
		bits[off] = (data[at[i - n + off]] & 0x80) != 0;
	free(data);
}

/* Lines ls_evidence_dump (lockstep evidence cat) writes for f->dir. */
static size_t
dump_lines(const char *dir)
{
	char path[256], *text = NULL;
	size_t len = 0, lines = 0, i;
	int fd;

	snprintf(path, sizeof(path), "%s/dump.jsonl", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ls_evidence_dump(dir, fd), 0);
	close(fd);
	assert_int_equal(ev_read_file(&text, &len, path, 1 << 20), 0);
	for (i = 0; i < len; i++)
		lines += text[i] == '\n';
	free(text);
	unlink(path);
	return lines;
}

/* An append is all or nothing across kill -9: every record of a group
 * but its last says the group goes on, and a group cut short at the end
 * of the WAL (a write(2) interrupted between pages leaves whole records
 * of it) is cut off whole on open, not only its torn last record;
 * evidence cat does not show it either. */
static void
test_server_evidence__torn_group_cut_whole(void **state)
{
	struct fx *f = *state;
	struct ls_evidence *ev = NULL;
	struct ls_evidence_item it[3] = { { "batch", NULL, "z", NULL },
		{ "decision", "stable", "z", NULL },
		{ "decision", "stable", "z", NULL } };
	char path[256], rec[512];
	int fd, bits[4];
	size_t k;
	uint64_t n;
	json_t *e;

	snprintf(path, sizeof(path), "%s/evidence/wal/%020d.wal", f->dir, 0);
	assert_int_equal(ls_evidence_open(&ev, f->dir, NULL, NULL), 0);
	append_n(ev, 3, "report");
	assert_int_equal(ls_evidence_append_many(ev, it, 3, NULL), 0);
	wal_more_bits(path, 4, bits);
	assert_int_equal(bits[0], 0); /* a single append */
	assert_int_equal(bits[1], 1); /* the group: goes on, goes on, ends */
	assert_int_equal(bits[2], 1);
	assert_int_equal(bits[3], 0);
	ls_evidence_free(ev);

	/* Unmaterialised: a whole group 6..7, then 8..9 of a group that
	 * never got its last record, then half a record. */
	fd = open(path, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	k = wal_rec(rec, sizeof(rec), 6, 1);
	assert_int_equal(write(fd, rec, k), (ssize_t)k);
	k = wal_rec(rec, sizeof(rec), 7, 0);
	assert_int_equal(write(fd, rec, k), (ssize_t)k);
	k = wal_rec(rec, sizeof(rec), 8, 1);
	assert_int_equal(write(fd, rec, k), (ssize_t)k);
	k = wal_rec(rec, sizeof(rec), 9, 1);
	assert_int_equal(write(fd, rec, k), (ssize_t)k);
	k = wal_rec(rec, sizeof(rec), 10, 0);
	assert_int_equal(write(fd, rec, k / 2), (ssize_t)(k / 2));
	close(fd);
	assert_int_equal(dump_lines(f->dir), 8);

	assert_int_equal(ls_evidence_open(&ev, f->dir, NULL, NULL), 0);
	assert_int_equal(ls_evidence_count(ev), 8);
	append_n(ev, 1, "report");
	assert_int_equal(ls_evidence_count(ev), 9);
	assert_int_equal(ls_evidence_get(ev, 8, &e), 0);
	assert_string_equal(json_string_value(json_object_get(e, "kind")),
	    "report");
	json_decref(e);
	ls_evidence_free(ev);
	assert_int_equal(ls_evidence_verify(f->dir, &n), 0);
	assert_int_equal(n, 9);
	assert_int_equal(dump_lines(f->dir), 9);
}

/* Died after the WAL write but before (or in the middle of) writing the
 * batch's tiles and partitions: the next open completes them from the
 * WAL, overwriting the half-written partition file of that batch. */
static void
test_server_evidence__partitions_completed_from_wal(void **state)
{
	struct fx *f = *state;
	struct ls_evidence *ev = NULL;
	char path[512], rec[256];
	uint64_t n;
	int fd, k, i;

	assert_int_equal(ls_evidence_open(&ev, f->dir, NULL, NULL), 0);
	append_n(ev, 3, "report");
	ls_evidence_free(ev);
	/* Two acknowledged entries the materialiser never saw. */
	snprintf(path, sizeof(path), "%s/evidence/wal/%020d.wal", f->dir, 0);
	fd = open(path, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	for (i = 3; i < 5; i++) {
		k = snprintf(rec + 4, sizeof(rec) - 4,
		    "{\"n\":%d,\"time\":\"2026-02-03T04:05:06Z\",\"kind\":"
		    "\"report\",\"channel\":null,\"agent\":\"z\","
		    "\"details\":{\"seq\":%d}}",
		    i, i);
		rec[0] = rec[1] = 0;
		rec[2] = (char)(k >> 8);
		rec[3] = (char)(k & 0xFF);
		assert_int_equal(write(fd, rec, (size_t)k + 4), k + 4);
	}
	close(fd);
	/* ...and half of that batch's partition file. */
	snprintf(path, sizeof(path),
	    "%s/evidence/partitions/kind=report/framework=none/control=none/"
	    "year=2026/month=02/day=03",
	    f->dir);
	assert_int_equal(ls_file_mkdirs(path, 0755), 0);
	snprintf(path + strlen(path), sizeof(path) - strlen(path),
	    "/%020d.jsonl", 3);
	assert_int_equal(ls_file_write_atomic(path, "{\"n\":3,", 7, 0644), 0);
	assert_int_equal(ls_evidence_verify(f->dir, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(ls_evidence_open(&ev, f->dir, NULL, NULL), 0);
	assert_int_equal(ls_evidence_count(ev), 5);
	ls_evidence_free(ev);
	assert_int_equal(ls_evidence_verify(f->dir, &n), 0);
	assert_int_equal(n, 5);
}

/* Start-up state comes from the index; queries by kind, agent and
 * control; decisions land in one partition per control. */
static void
test_server_evidence__index_partitions_query(void **state)
{
	struct fx *f = *state;
	struct ls_evidence *ev = NULL;
	struct ls_evidence_filter flt;
	struct ls_buf b;
	char path[512];
	json_t *d;
	uint64_t n;

	assert_int_equal(ls_evidence_open(&ev, f->dir, NULL, NULL), 0);
	append_n(ev, 4, "report");
	d = json_pack("{s:s, s:s, s:s, s:[s, s], s:s}", "time",
	    "2026-06-22T10:00:00.123456Z", "outcome", "deny", "agent", "a1",
	    "controls", "soc2:CC6.1", "soc2:CC6.8", "id", "a1-1");
	assert_int_equal(ls_evidence_append(ev, "decision", "stable", "a1", d),
	    0);
	json_decref(d);
	d = json_pack("{s:s, s:s}", "tag", "v9", "result", "failed");
	assert_int_equal(ls_evidence_append(ev, "build", "stable", NULL, d), 0);
	json_decref(d);
	ls_evidence_free(ev);
	assert_int_equal(ls_evidence_open(&ev, f->dir, NULL, NULL), 0);
	snprintf(path, sizeof(path),
	    "%s/evidence/partitions/kind=decision/framework=soc2/"
	    "control=CC6.8/year=2026/month=06/day=22",
	    f->dir);
	assert_true(ls_file_exists(path));
	memset(&flt, 0, sizeof(flt));
	ls_buf_init(&b, 1 << 20);
	flt.kind = "report";
	assert_int_equal(ls_evidence_query(ev, &b, &flt), 0);
	assert_non_null(strstr(b.data, "\"n\":3,"));
	ls_buf_reset(&b);
	memset(&flt, 0, sizeof(flt));
	flt.control = "soc2:CC6.8";
	assert_int_equal(ls_evidence_query(ev, &b, &flt), 0);
	assert_non_null(strstr(b.data, "\"n\":4,"));
	assert_null(strstr(b.data, "\"n\":3,"));
	ls_buf_reset(&b);
	flt.outcome = "allow";
	assert_int_equal(ls_evidence_query(ev, &b, &flt), 0);
	assert_int_equal(b.len, 0);
	ls_buf_cleanup(&b);
	ls_evidence_free(ev);
	assert_int_equal(ls_evidence_verify(f->dir, &n), 0);
	assert_int_equal(n, 6);
}

/* ---- compaction ------------------------------------------------------ */

#define OLD_DAY                                                                \
	"/evidence/partitions/kind=decision/framework=soc2/control=CC6.1/"     \
	"year=2026/month=06/day=22"

/* One decision of soc2:CC6.1 at when, materialised on its own (so it
 * gets its own partition file). */
static void
decide_one(struct ls_evidence *ev, const char *when, int i)
{
	char id[32];
	json_t *d;

	snprintf(id, sizeof(id), "a1-%d", i);
	d = json_pack("{s:s, s:s, s:s, s:[s], s:s}", "time", when, "outcome",
	    i % 3 ? "allow" : "deny", "agent", "a1", "controls", "soc2:CC6.1",
	    "id", id);
	assert_int_equal(ls_evidence_append(ev, "decision", "stable", "a1", d),
	    0);
	json_decref(d);
	assert_int_equal(ls_evidence_sync(ev, 10000), 0);
}

static size_t
jsonl_in(const char *dir)
{
	char cmd[PATH_MAX + 64], line[64];
	FILE *p;
	size_t n = 0;

	snprintf(cmd, sizeof(cmd), "ls %s | grep -c 'jsonl$'", dir);
	assert_non_null(p = popen(cmd, "r"));
	if (fgets(line, sizeof(line), p) != NULL)
		n = (size_t)strtoul(line, NULL, 10);
	pclose(p);
	return n;
}

static void
control_lines(struct ls_evidence *ev, struct ls_buf *b)
{
	struct ls_evidence_filter flt;

	memset(&flt, 0, sizeof(flt));
	flt.control = "soc2:CC6.1";
	ls_buf_reset(b);
	assert_int_equal(ls_evidence_query(ev, b, &flt), 0);
}

/* Files of a day that is over are merged into one, the rows follow, the
 * query and verify see the same entries; today's folder is left; a
 * reader's shared lock makes the pass leave the day; a stop (as a crash)
 * after each step is finished or undone on open, with every entry once. */
static void
test_server_evidence__compaction(void **state)
{
	struct fx *f = *state;
	struct ls_evidence *ev = NULL;
	struct ls_evidence_compacted c;
	struct ls_buf want, got;
	char old[PATH_MAX], today[64], now_dir[PATH_MAX], path[PATH_MAX + 64];
	char out[PATH_MAX], out_old[PATH_MAX];
	size_t nf;
	time_t now = time(NULL);
	struct tm tm;
	uint64_t n;
	int i, step, lk;

	gmtime_r(&now, &tm);
	strftime(today, sizeof(today), "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(old, sizeof(old), "%s" OLD_DAY, f->dir);
	snprintf(now_dir, sizeof(now_dir),
	    "%s/evidence/partitions/kind=decision/framework=soc2/"
	    "control=CC6.1/year=%04d/month=%02d/day=%02d",
	    f->dir, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
	ls_buf_init(&want, 1 << 22);
	ls_buf_init(&got, 1 << 22);
	assert_int_equal(ls_evidence_open(&ev, f->dir, NULL, NULL), 0);
	for (i = 0; i < 30; i++)
		decide_one(ev, i == 7 ? today : "2026-06-22T10:00:00Z", i);
	decide_one(ev, today, 30);
	assert_int_equal(jsonl_in(old), 29);
	assert_int_equal(jsonl_in(now_dir), 2);
	control_lines(ev, &want);
	snprintf(out, sizeof(out), "%s/out", f->dir);
	snprintf(out_old, sizeof(out_old), "%s/out%s", f->dir,
	    OLD_DAY + strlen("/evidence/partitions"));
	assert_int_equal(ls_evidence_export(f->dir, out, &nf), 0);
	assert_int_equal(jsonl_in(out_old), 29);

	assert_int_equal(ls_evidence_compact(ev, 0, 20000, &c), 0);
	assert_string_equal(c.error, "");
	assert_int_equal(c.files, 28);
	assert_int_equal(jsonl_in(old), 1);
	snprintf(path, sizeof(path), "%s/%020d-%020d.jsonl", old, 0, 29);
	assert_true(ls_file_exists(path));
	snprintf(path, sizeof(path), "%s/%020d-%020d.jsonl", out_old, 0, 29);
	assert_false(ls_file_exists(path)); /* not exported yet */
	assert_int_equal(jsonl_in(now_dir), 2); /* not over */
	control_lines(ev, &got);
	assert_int_equal(got.len, want.len);
	assert_memory_equal(got.data, want.data, want.len);
	ls_evidence_free(ev);
	assert_int_equal(ls_evidence_verify(f->dir, &n), 0);
	assert_int_equal(n, 31);
	/* a second export drops the files merged since the first */
	assert_int_equal(ls_evidence_export(f->dir, out, &nf), 0);
	assert_int_equal(jsonl_in(out_old), 1);
	assert_true(ls_file_exists(path));

	/* A reader holds the lock: the day waits. */
	assert_int_equal(ls_evidence_open(&ev, f->dir, NULL, NULL), 0);
	decide_one(ev, "2026-06-22T11:00:00Z", 31);
	decide_one(ev, "2026-06-22T11:00:01Z", 32);
	assert_true((lk = ev_parts_share(ev->dir)) >= 0);
	assert_int_equal(ls_evidence_compact(ev, 0, 20000, &c), 0);
	assert_true(c.busy >= 1);
	assert_int_equal(jsonl_in(old), 3);
	ev_parts_unshare(lk);
	assert_int_equal(ls_evidence_compact(ev, 0, 20000, &c), 0);
	/* the merged file stays as it is; the two late ones are merged */
	assert_int_equal(jsonl_in(old), 2);
	ls_evidence_free(ev);

	/* Stopped after each step, as by kill -9, then opened again. */
	for (step = 1; step <= 4; step++) {
		assert_int_equal(ls_evidence_open(&ev, f->dir, NULL, NULL), 0);
		for (i = 0; i < 3; i++)
			decide_one(ev, "2026-06-22T12:00:00Z", 100 + step * 10 + i);
		control_lines(ev, &want);
		assert_int_equal(jsonl_in(old), 2 + step + 2);
		ev_compact_stop_at = step;
		assert_int_equal(ls_evidence_compact(ev, 0, 20000, &c), 0);
		ev_compact_stop_at = 0;
		assert_true(c.failed >= 1);
		ls_evidence_free(ev);
		assert_int_equal(ls_evidence_open(&ev, f->dir, NULL, NULL), 0);
		/* before the exchange: undone; after it: finished */
		assert_int_equal(jsonl_in(old), step <= 2 ? 2 + step + 2 : 2 + step);
		control_lines(ev, &got);
		assert_int_equal(got.len, want.len);
		assert_memory_equal(got.data, want.data, want.len);
		assert_int_equal(ls_evidence_compact(ev, 0, 20000, &c), 0);
		assert_int_equal(jsonl_in(old), 2 + step);
		ls_evidence_free(ev);
		assert_int_equal(ls_evidence_verify(f->dir, &n), 0);
		assert_int_equal(n, 33 + 3 * step);
	}
	ls_buf_cleanup(&want);
	ls_buf_cleanup(&got);
}

/* Files over three days old are never merged (a copy that only adds
 * files may have taken them); the fresh ones beside them are. */
static void
test_server_evidence__compaction_leaves_old_files(void **state)
{
	struct fx *f = *state;
	struct ls_evidence *ev = NULL;
	struct ls_evidence_compacted c;
	struct timespec ts[2];
	char old[PATH_MAX], file[PATH_MAX + 64];
	uint64_t n;
	int i;

	snprintf(old, sizeof(old), "%s" OLD_DAY, f->dir);
	assert_int_equal(ls_evidence_open(&ev, f->dir, NULL, NULL), 0);
	for (i = 0; i < 5; i++)
		decide_one(ev, "2026-06-22T10:00:00Z", i);
	ts[0].tv_sec = ts[1].tv_sec = time(NULL) - 4 * 86400;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	for (i = 0; i < 2; i++) { /* the first two files: entries 0 and 1 */
		snprintf(file, sizeof(file), "%s/%020d.jsonl", old, i);
		assert_int_equal(utimensat(AT_FDCWD, file, ts, 0), 0);
	}
	assert_int_equal(ls_evidence_compact(ev, 0, 20000, &c), 0);
	assert_int_equal(c.files, 2);
	assert_int_equal(jsonl_in(old), 3);
	snprintf(file, sizeof(file), "%s/%020d.jsonl", old, 1);
	assert_true(ls_file_exists(file));
	snprintf(file, sizeof(file), "%s/%020d-%020d.jsonl", old, 2, 4);
	assert_true(ls_file_exists(file));
	ls_evidence_free(ev);
	assert_int_equal(ls_evidence_verify(f->dir, &n), 0);
	assert_int_equal(n, 5);
}

/* A batch of the day materialised after the exchange but before the
 * rows were written keeps its row when the journal is finished. */
static void
test_server_evidence__compaction_late_row(void **state)
{
	struct fx *f = *state;
	struct ls_evidence *ev = NULL;
	struct ls_evidence_compacted c;
	struct ls_buf want, got;
	char old[PATH_MAX];
	uint64_t n;
	int i;

	snprintf(old, sizeof(old), "%s" OLD_DAY, f->dir);
	ls_buf_init(&want, 1 << 20);
	ls_buf_init(&got, 1 << 20);
	assert_int_equal(ls_evidence_open(&ev, f->dir, NULL, NULL), 0);
	for (i = 0; i < 3; i++)
		decide_one(ev, "2026-06-22T10:00:00Z", i);
	ev_compact_stop_at = 3; /* exchanged, rows not written */
	assert_int_equal(ls_evidence_compact(ev, 0, 20000, &c), 0);
	ev_compact_stop_at = 0;
	assert_int_equal(c.failed, 1);
	decide_one(ev, "2026-06-22T11:00:00Z", 3);
	assert_int_equal(jsonl_in(old), 2);
	control_lines(ev, &want);
	assert_int_equal(ls_evidence_compact(ev, 0, 20000, &c), 0);
	ls_evidence_free(ev);
	assert_int_equal(ls_evidence_verify(f->dir, &n), 0);
	assert_int_equal(n, 4);
	assert_int_equal(ls_evidence_open(&ev, f->dir, NULL, NULL), 0);
	control_lines(ev, &got);
	assert_int_equal(got.len, want.len);
	assert_memory_equal(got.data, want.data, want.len);
	ls_evidence_free(ev);
	ls_buf_cleanup(&want);
	ls_buf_cleanup(&got);
}

/* A data folder of the old format (log.jsonl) is migrated in order. */
static void
test_server_evidence__migrates_old_log(void **state)
{
	struct fx *f = *state;
	static const char old[] =
	    "{\"n\":0,\"time\":\"2026-01-02T03:04:05Z\",\"kind\":\"build\","
	    "\"channel\":\"stable\",\"details\":{\"tag\":\"v1\"},\"prev\":"
	    "\"0000000000000000000000000000000000000000000000000000000000000000"
	    "\"}\n";
	struct ls_evidence *ev = NULL;
	char path[256];
	json_t *e;

	snprintf(path, sizeof(path), "%s/evidence", f->dir);
	assert_int_equal(ls_file_mkdirs(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/evidence/log.jsonl", f->dir);
	assert_int_equal(ls_file_write_atomic(path, old, strlen(old), 0644), 0);
	assert_int_equal(ls_evidence_open(&ev, f->dir, NULL, NULL), 0);
	assert_int_equal(ls_evidence_count(ev), 1);
	assert_int_equal(ls_evidence_get(ev, 0, &e), 0);
	assert_string_equal(json_string_value(json_object_get(e, "time")),
	    "2026-01-02T03:04:05Z");
	json_decref(e);
	assert_false(ls_file_exists(path));
	ls_evidence_free(ev);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_server_evidence__proofs_match_reference,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_server_evidence__group_commit,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_server_evidence__torn_wal_tail,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_server_evidence__torn_group_cut_whole,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_server_evidence__partitions_completed_from_wal,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_server_evidence__index_partitions_query,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_server_evidence__compaction,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_server_evidence__compaction_leaves_old_files,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_server_evidence__compaction_late_row,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_server_evidence__migrates_old_log,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
