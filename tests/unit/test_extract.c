/* test_extract.c - safe extraction: hostile archives, caps, the bomb. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>

#include "lockstep/bundle.h"
#include "lockstep/error.h"
#include "lockstep/extract.h"
#include "lockstep/file.h"

static const char *
root_dir(void)
{
	const char *r = getenv("LOCKSTEP_ROOT");

	return r != NULL ? r : ".";
}

/* Names in dir, sorted and joined, so a change shows as a difference. */
static char *
listing(const char *dir)
{
	struct dirent **v = NULL;
	struct ls_buf b;
	int n, i;

	ls_buf_init(&b, 1 << 20);
	n = scandir(dir, &v, NULL, alphasort);
	assert_true(n >= 0);
	for (i = 0; i < n; i++) {
		assert_int_equal(ls_buf_addf(&b, "%s\n", v[i]->d_name), 0);
		free(v[i]);
	}
	free(v);
	return ls_buf_take(&b, NULL);
}

static void
make_bundle(struct ls_buf *out)
{
	struct ls_bundle_files f;

	ls_bundle_files_init(&f);
	ls_buf_init(out, 1 << 20);
	assert_int_equal(ls_bundle_files_add(&f, "policy.rego", "package p\n",
			     10),
	    0);
	assert_int_equal(ls_bundle_files_add(&f, "a/b/data.json",
			     "{\"k\": 1}\n", 9),
	    0);
	assert_int_equal(ls_bundle_files_add(&f, ".manifest", "{}", 2), 0);
	assert_int_equal(ls_bundle_write(out, &f), 0);
	ls_bundle_files_cleanup(&f);
}

static void
test_extract__valid_bundle(void **state)
{
	char top[] = "/tmp/ls-extract-XXXXXX", dest[600], p[700], *d = NULL;
	struct ls_buf b;
	size_t n;
	struct stat st;

	(void)state;
	assert_non_null(mkdtemp(top));
	make_bundle(&b);
	snprintf(dest, sizeof(dest), "%s/out", top);
	assert_int_equal(ls_extract_mem(b.data, b.len, dest, NULL), 0);
	snprintf(p, sizeof(p), "%s/a/b/data.json", dest);
	assert_int_equal(ls_file_read(&d, &n, p, 100), 0);
	assert_string_equal(d, "{\"k\": 1}\n");
	free(d);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	/* the destination must be fresh: an existing one is left alone */
	assert_int_equal(ls_extract_mem(b.data, b.len, dest, NULL), LS_EEXISTS);
	assert_true(ls_file_exists(p));
	/* the same through a file */
	snprintf(p, sizeof(p), "%s/b.tar.gz", top);
	assert_int_equal(ls_file_write_atomic(p, b.data, b.len, 0644), 0);
	snprintf(dest, sizeof(dest), "%s/out2", top);
	assert_int_equal(ls_extract_file(p, dest, NULL), 0);
	snprintf(p, sizeof(p), "%s/policy.rego", dest);
	assert_true(ls_file_exists(p));
	ls_buf_cleanup(&b);
	assert_int_equal(ls_file_remove_tree(top), 0);
}

static void
expect_refused(const char *tgz, int want, const char *what)
{
	char top[] = "/tmp/ls-extract-XXXXXX", dest[600];
	char *before, *after, *tmp_before, *tmp_after;
	int rc;

	assert_non_null(mkdtemp(top));
	snprintf(dest, sizeof(dest), "%s/out", top);
	before = listing(top);
	tmp_before = listing("/tmp");
	rc = ls_extract_file(tgz, dest, NULL);
	if (rc != want)
		fail_msg("%s: got %s (%s)", tgz, ls_err_name(rc),
		    ls_error_last());
	if (strstr(ls_error_last(), what) == NULL)
		fail_msg("%s: message '%s' lacks '%s'", tgz, ls_error_last(),
		    what);
	assert_false(ls_file_exists(dest));
	after = listing(top);
	assert_string_equal(before, after);
	tmp_after = listing("/tmp");
	/* Other tests may create files in /tmp, but never this one. */
	assert_null(strstr(tmp_after, "lockstep-escape.txt") != NULL &&
		    strstr(tmp_before, "lockstep-escape.txt") == NULL
		? "x"
		: NULL);
	free(before);
	free(after);
	free(tmp_before);
	free(tmp_after);
	assert_int_equal(ls_file_remove_tree(top), 0);
}

static void
test_extract__hostile_fixtures_refused(void **state)
{
	static const struct {
		const char *file;
		int rc;
		const char *msg;
	} cases[] = {
		{ "dotdot.tar.gz", LS_EUNSAFE, "'..'" },
		{ "dotdot-nested.tar.gz", LS_EUNSAFE, "'..'" },
		{ "absolute.tar.gz", LS_EUNSAFE, "absolute path" },
		{ "symlink.tar.gz", LS_EUNSAFE, "symbolic link" },
		{ "hardlink.tar.gz", LS_EUNSAFE, "hard link" },
		{ "device.tar.gz", LS_EUNSAFE, "device" },
		{ "fifo.tar.gz", LS_EUNSAFE, "FIFO" },
		{ "duplicate.tar.gz", LS_EEXISTS, "duplicate" },
		{ "file-dir-clash.tar.gz", LS_ECONFLICT, "file and a dir" },
		{ "too-deep.tar.gz", LS_ETOOBIG, "deeper than 32" },
		{ "long-name.tar.gz", LS_ETOOBIG, "limit 1024" },
		{ "too-many.tar.gz", LS_ETOOBIG, "more than 10000 entries" },
		{ "control-char.tar.gz", LS_EUNSAFE, "'evil?]0;owned??.rego'" },
	};
	char path[600];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(path, sizeof(path), "%s/tests/data/archives/%s",
		    root_dir(), cases[i].file);
		expect_refused(path, cases[i].rc, cases[i].msg);
		/* every message names the archive */
		assert_non_null(strstr(ls_error_last(), cases[i].file));
	}
}

static void
test_extract__caps_from_limits(void **state)
{
	char top[] = "/tmp/ls-extract-XXXXXX", dest[600];
	struct ls_extract_limits lim;
	struct ls_buf b;

	(void)state;
	assert_non_null(mkdtemp(top));
	make_bundle(&b);
	snprintf(dest, sizeof(dest), "%s/out", top);
	ls_extract_limits_default(&lim);
	lim.max_entries = 2;
	assert_int_equal(ls_extract_mem(b.data, b.len, dest, &lim), LS_ETOOBIG);
	assert_false(ls_file_exists(dest));
	ls_extract_limits_default(&lim);
	lim.max_total = 20; /* 2 + 9 + 10 = 21 bytes of content */
	assert_int_equal(ls_extract_mem(b.data, b.len, dest, &lim), LS_ETOOBIG);
	assert_non_null(strstr(ls_error_last(), "cap"));
	ls_extract_limits_default(&lim);
	lim.max_depth = 2;
	assert_int_equal(ls_extract_mem(b.data, b.len, dest, &lim), LS_ETOOBIG);
	ls_extract_limits_default(&lim);
	lim.max_name = 10;
	assert_int_equal(ls_extract_mem(b.data, b.len, dest, &lim), LS_ETOOBIG);
	assert_false(ls_file_exists(dest));
	lim.max_total = 21;
	lim.max_name = 13;
	lim.max_depth = 3;
	lim.max_entries = 3;
	assert_int_equal(ls_extract_mem(b.data, b.len, dest, &lim), 0);
	ls_buf_cleanup(&b);
	assert_int_equal(ls_file_remove_tree(top), 0);
}

static void
test_extract__corrupt_archives_leave_nothing(void **state)
{
	char top[] = "/tmp/ls-extract-XXXXXX", dest[600];
	struct ls_buf b;

	(void)state;
	assert_non_null(mkdtemp(top));
	make_bundle(&b);
	snprintf(dest, sizeof(dest), "%s/out", top);
	assert_int_equal(ls_extract_mem(b.data, b.len / 2, dest, NULL),
	    LS_EFORMAT);
	assert_false(ls_file_exists(dest));
	b.data[b.len / 2] ^= 0x55;
	assert_true(ls_extract_mem(b.data, b.len, dest, NULL) < 0);
	assert_false(ls_file_exists(dest));
	assert_int_equal(ls_extract_mem("garbage", 7, dest, NULL), LS_EFORMAT);
	assert_false(ls_file_exists(dest));
	assert_int_equal(ls_extract_file("/nonexistent.tar.gz", dest, NULL),
	    LS_ENOTFOUND);
	ls_buf_cleanup(&b);
	assert_int_equal(ls_file_remove_tree(top), 0);
}

/*
 * The expansion bomb is generated here rather than committed: 2 GiB of
 * zeros in 8 files of 256 MiB, streamed through libarchive's gzip at
 * level 1 into a temporary file (about 9 MB).  Extraction must stop at
 * the 256 MiB cap and leave nothing behind.
 */
static void
write_bomb(const char *path)
{
	struct archive_entry *e = archive_entry_new();
	struct archive *a = archive_write_new();
	static char zeros[1 << 20];
	char name[32];
	int i, j;

	assert_non_null(a);
	assert_non_null(e);
	assert_int_equal(archive_write_set_format_pax_restricted(a), 0);
	assert_int_equal(archive_write_add_filter_gzip(a), 0);
	assert_int_equal(archive_write_set_filter_option(a, "gzip",
			     "compression-level", "1"),
	    0);
	assert_int_equal(archive_write_open_filename(a, path), 0);
	for (i = 0; i < 8; i++) {
		archive_entry_clear(e);
		snprintf(name, sizeof(name), "zeros%d", i);
		archive_entry_set_pathname(e, name);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_size(e, 256LL << 20);
		assert_int_equal(archive_write_header(a, e), 0);
		for (j = 0; j < 256; j++)
			assert_int_equal(archive_write_data(a, zeros,
					     sizeof(zeros)),
			    (la_ssize_t)sizeof(zeros));
	}
	assert_int_equal(archive_write_close(a), 0);
	archive_write_free(a);
	archive_entry_free(e);
}

static void
test_extract__bomb_stopped_at_cap(void **state)
{
	char top[] = "/tmp/ls-extract-XXXXXX", bomb[600];
	struct stat st;

	(void)state;
	assert_non_null(mkdtemp(top));
	snprintf(bomb, sizeof(bomb), "%s/bomb.tar.gz", top);
	write_bomb(bomb);
	assert_int_equal(stat(bomb, &st), 0);
	assert_true(st.st_size < 16 << 20);
	expect_refused(bomb, LS_ETOOBIG, "268435456");
	assert_int_equal(ls_file_remove_tree(top), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_extract__valid_bundle),
		cmocka_unit_test(test_extract__hostile_fixtures_refused),
		cmocka_unit_test(test_extract__caps_from_limits),
		cmocka_unit_test(test_extract__corrupt_archives_leave_nothing),
		cmocka_unit_test(test_extract__bomb_stopped_at_cap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
