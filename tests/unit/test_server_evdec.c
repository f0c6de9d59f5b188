/*
 * test_server_evdec.c - decision entries appended with the fields the
 * caller read (ls_evidence_append_decs, the upload's fast path) land in
 * the same partitions, index rows and log lines as the same records
 * appended with a details tree.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "../../server/evidence.h"
#include "lockstep/error.h"
#include "lockstep/file.h"

#define DAY "year=2026/month=06/day=22"

static char dir[64];

/* Lines of every file of partition rel (kind=decision/...). */
static int
part_lines(const char *rel)
{
	char path[1024], file[1400], *text = NULL;
	struct dirent *de;
	size_t len, i;
	int n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "%s/evidence/partitions/%s/" DAY, dir,
	    rel);
	if ((d = opendir(path)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(file, sizeof(file), "%s/%s", path, de->d_name);
		assert_int_equal(ls_file_read(&text, &len, file, 1 << 20), 0);
		for (i = 0; i < len; i++)
			n += text[i] == '\n';
		free(text);
	}
	closedir(d);
	return n;
}

/* Lines under framework=fw: its one control folder (the long control,
 * cut as the partition path cuts it). */
static int
long_part_lines(void)
{
	char path[1024], rel[1024];
	struct dirent *de;
	DIR *d;
	int n = -1;

	snprintf(path, sizeof(path),
	    "%s/evidence/partitions/kind=decision/framework=fw", dir);
	if ((d = opendir(path)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.') {
			snprintf(rel, sizeof(rel),
			    "kind=decision/framework=fw/%s", de->d_name);
			n = part_lines(rel);
		}
	closedir(d);
	return n;
}

/* Record text with controls (JSON array text) and its fields. */
static void
record(char *out, size_t cap, const char *controls)
{
	snprintf(out, cap,
	    "{\"id\":\"a1-1\",\"seq\":1,\"agent\":\"a1\",\"time\":"
	    "\"2026-06-22T10:00:00.000001Z\",\"outcome\":\"deny\","
	    "\"controls\":%s}",
	    controls);
}

static void
test_server_evdec__same_as_tree(void **state)
{
	static const char *const nine[] = { "f:1", "f:2", "f:3", "f:4", "f:5",
		"f:6", "f:7", "f:8", "f:9" };
	static const char *const two[] = { "soc2:CC6.1", "soc2:CC6.8" };
	static const char *const dup[] = { "soc2:CC6.1", "soc2:CC6.1" };
	const char *const *ctl[5] = { two, dup, NULL, nine, NULL };
	size_t nctl[5] = { 2, 2, 0, 9, 1 };
	const char *longc[1];
	char text[6][1024], lc[220], lcj[240];
	struct ls_evidence_item it[6];
	struct ls_evidence_text tx[6];
	struct ls_evidence_dec dec[6];
	struct ls_evidence *ev = NULL;
	json_t *tree, *a, *b;
	uint64_t n;
	size_t i;

	(void)state;
	memset(lc, 'x', sizeof(lc) - 1);
	memcpy(lc, "fw:", 3);
	lc[sizeof(lc) - 1] = '\0';
	longc[0] = lc;
	ctl[4] = longc;
	record(text[0], sizeof(text[0]), "[\"soc2:CC6.1\",\"soc2:CC6.8\"]");
	record(text[1], sizeof(text[1]), "[\"soc2:CC6.1\",\"soc2:CC6.1\"]");
	record(text[2], sizeof(text[2]), "[]");
	record(text[3], sizeof(text[3]),
	    "[\"f:1\",\"f:2\",\"f:3\",\"f:4\",\"f:5\",\"f:6\",\"f:7\",\"f:8\","
	    "\"f:9\"]");
	snprintf(lcj, sizeof(lcj), "[\"%s\"]", lc);
	record(text[4], sizeof(text[4]), lcj);
	memcpy(text[5], text[0], sizeof(text[0]));
	memset(dec, 0, sizeof(dec));
	for (i = 0; i < 6; i++) {
		it[i] = (struct ls_evidence_item){ "decision", "stable", "a1",
			NULL };
		tx[i] = (struct ls_evidence_text){ text[i], strlen(text[i]) };
		if (i == 5)
			break; /* the last one with a details tree */
		dec[i].time = "2026-06-22T10:00:00.000001Z";
		dec[i].outcome = "deny";
		dec[i].controls = ctl[i];
		dec[i].ncontrols = nctl[i];
	}
	tree = json_loads(text[5], 0, NULL);
	assert_non_null(tree);
	it[5].details = tree;
	assert_int_equal(ls_evidence_open(&ev, dir, NULL, NULL), 0);
	assert_int_equal(ls_evidence_append_decs(ev, it, tx, dec, 6, &n), 0);
	assert_int_equal(n, 0);
	json_decref(tree);
	ls_evidence_free(ev); /* materialises what is left */
	assert_int_equal(part_lines(
			     "kind=decision/framework=soc2/control=CC6.1"),
	    3);
	assert_int_equal(part_lines(
			     "kind=decision/framework=soc2/control=CC6.8"),
	    2);
	assert_int_equal(part_lines(
			     "kind=decision/framework=none/control=none"),
	    1);
	assert_int_equal(part_lines("kind=decision/framework=f/control=9"), 1);
	assert_int_equal(long_part_lines(), 1); /* a long control */
	assert_int_equal(ls_evidence_open(&ev, dir, NULL, NULL), 0);
	assert_int_equal(ls_evidence_get(ev, 0, &a), 0);
	assert_int_equal(ls_evidence_get(ev, 5, &b), 0);
	json_object_del(a, "n");
	json_object_del(b, "n");
	assert_true(json_equal(a, b)); /* same time: one for the group */
	json_decref(a);
	json_decref(b);
	ls_evidence_free(ev);
	assert_int_equal(ls_evidence_verify(dir, &n), 0);
	assert_int_equal(n, 6);
}

/* A row of the index past the materialised size (left by a batch cut
 * short, or by anything else) is replaced by the entry materialised at
 * that index, never kept beside it. */
static void
test_server_evdec__index_rows_past_h_replaced(void **state)
{
	struct ls_evidence *ev = NULL;
	struct ls_evidence_filter flt;
	char path[128];
	struct ls_buf b;
	sqlite3 *db = NULL;
	json_t *d;

	(void)state;
	assert_int_equal(ls_evidence_open(&ev, dir, NULL, NULL), 0);
	d = json_pack("{s:i}", "seq", 1);
	assert_int_equal(ls_evidence_append(ev, "report", NULL, "a1", d), 0);
	ls_evidence_free(ev);
	snprintf(path, sizeof(path), "%s/evidence/index.sqlite", dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
			     "INSERT INTO entries VALUES(1, 'stale', NULL, "
			     "'zz', NULL, 0);"
			     "INSERT INTO entries VALUES(7, 'stale', NULL, "
			     "'zz', NULL, 0)",
			     NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(ls_evidence_open(&ev, dir, NULL, NULL), 0);
	assert_int_equal(ls_evidence_append(ev, "report", NULL, "a2", d), 0);
	json_decref(d);
	memset(&flt, 0, sizeof(flt));
	flt.kind = "stale";
	ls_buf_init(&b, 1 << 20);
	assert_int_equal(ls_evidence_query(ev, &b, &flt), 0);
	assert_int_equal(b.len, 0);
	flt.kind = NULL;
	flt.agent = "a2";
	assert_int_equal(ls_evidence_query(ev, &b, &flt), 0);
	assert_non_null(strstr(b.data ? b.data : "", "\"n\":1,"));
	ls_buf_cleanup(&b);
	ls_evidence_free(ev);
}

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/ls-test-evdec-XXXXXX");
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	ls_file_remove_tree(dir);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_server_evdec__same_as_tree,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_server_evdec__index_rows_past_h_replaced,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
