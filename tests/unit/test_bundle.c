/* test_bundle.c - reproducible bundles: build, write, read back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>

#include "lockstep/bundle.h"
#include "lockstep/error.h"
#include "lockstep/file.h"
#include "lockstep/hash.h"

static const char *
root_dir(void)
{
	const char *r = getenv("LOCKSTEP_ROOT");

	return r != NULL ? r : ".";
}

static void
put(const char *dir, const char *rel, const char *text)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	assert_int_equal(ls_file_mkdirs(path, 0755), 0);
	assert_int_equal(ls_file_remove_tree(path), 0);
	assert_int_equal(ls_file_write_atomic(path, text, strlen(text), 0600),
	    0);
}

static void
make_tree(char *dir)
{
	assert_non_null(mkdtemp(dir));
	put(dir, "b.rego", "package b\n");
	put(dir, "a/z.rego", "package a.z\n");
	put(dir, "a/data.json", "{\"x\": 1}\n");
	put(dir, "B/upper.rego", "package upper\n");
	put(dir, ".manifest", "{\"roots\": [\"a\", \"b\"]}\n");
	put(dir, ".git/HEAD", "ref: refs/heads/main\n");
}

static void
set_times(const char *dir, const char *rel, time_t t)
{
	struct timeval tv[2] = { { t, 0 }, { t, 0 } };
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	assert_int_equal(utimes(path, tv), 0);
}

static void
test_bundle__same_content_same_bytes(void **state)
{
	char dir[] = "/tmp/ls-bundle-XXXXXX", out1[600], out2[600];
	char h1[65], h2[65], *d1 = NULL, *d2 = NULL;
	uint64_t l1 = 0, l2 = 0;
	size_t n1, n2;

	(void)state;
	make_tree(dir);
	snprintf(out1, sizeof(out1), "%s.1.tar.gz", dir);
	snprintf(out2, sizeof(out2), "%s.2.tar.gz", dir);
	assert_int_equal(ls_bundle_build(dir, out1, h1, &l1), 0);
	set_times(dir, "b.rego", 1000000000);
	set_times(dir, "a/z.rego", 2000000000);
	chmod(dir, 0700);
	assert_int_equal(ls_bundle_build(dir, out2, h2, &l2), 0);
	assert_string_equal(h1, h2);
	assert_int_equal(l1, l2);
	assert_int_equal(ls_file_read(&d1, &n1, out1, 1 << 20), 0);
	assert_int_equal(ls_file_read(&d2, &n2, out2, 1 << 20), 0);
	assert_int_equal(n1, n2);
	assert_memory_equal(d1, d2, n1);
	/* gzip header: no FNAME flag, mtime 0. */
	assert_int_equal((unsigned char)d1[0], 0x1f);
	assert_int_equal((unsigned char)d1[1], 0x8b);
	assert_int_equal(d1[3] & 0x08, 0);
	assert_int_equal(d1[4] | d1[5] | d1[6] | d1[7], 0);
	/* different content gives different bytes */
	put(dir, "b.rego", "package b2\n");
	assert_int_equal(ls_bundle_build(dir, out2, h2, &l2), 0);
	assert_string_not_equal(h1, h2);
	free(d1);
	free(d2);
	unlink(out1);
	unlink(out2);
	assert_int_equal(ls_file_remove_tree(dir), 0);
}

/* Building into the source directory must not swallow the last output. */
static void
test_bundle__output_inside_source_left_out(void **state)
{
	char dir[] = "/tmp/ls-bundle-XXXXXX", out[600], h1[65], h2[65];

	(void)state;
	make_tree(dir);
	snprintf(out, sizeof(out), "%s/bundle.tar.gz", dir);
	assert_int_equal(ls_bundle_build(dir, out, h1, NULL), 0);
	assert_int_equal(ls_bundle_build(dir, out, h2, NULL), 0);
	assert_string_equal(h1, h2);
	assert_int_equal(ls_file_remove_tree(dir), 0);
}

static void
test_bundle__entries_sorted_with_fixed_metadata(void **state)
{
	static const char *want[] = { ".manifest", "B/upper.rego",
		"a/data.json", "a/z.rego", "b.rego" };
	struct ls_bundle_files f;
	struct archive_entry *e;
	struct archive *a;
	struct ls_buf out;
	char dir[] = "/tmp/ls-bundle-XXXXXX";
	size_t i = 0;

	(void)state;
	make_tree(dir);
	ls_bundle_files_init(&f);
	ls_buf_init(&out, 1 << 20);
	assert_int_equal(ls_bundle_files_from_dir(&f, dir), 0);
	assert_int_equal(f.n, 5); /* .git skipped */
	assert_int_equal(ls_bundle_write(&out, &f), 0);
	assert_non_null(a = archive_read_new());
	archive_read_support_filter_gzip(a);
	archive_read_support_format_tar(a);
	assert_int_equal(archive_read_open_memory(a, out.data, out.len),
	    ARCHIVE_OK);
	while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
		assert_true(i < 5);
		assert_string_equal(archive_entry_pathname(e), want[i]);
		assert_int_equal(archive_entry_filetype(e), AE_IFREG);
		assert_int_equal(archive_entry_perm(e), 0644);
		assert_int_equal(archive_entry_uid(e), 0);
		assert_int_equal(archive_entry_gid(e), 0);
		assert_string_equal(archive_entry_uname(e), "root");
		assert_string_equal(archive_entry_gname(e), "root");
		assert_int_equal(archive_entry_mtime(e), 0);
		i++;
	}
	assert_int_equal(i, 5);
	archive_read_free(a);
	ls_buf_cleanup(&out);
	ls_bundle_files_cleanup(&f);
	assert_int_equal(ls_file_remove_tree(dir), 0);
}

static void
test_bundle__read_roundtrip(void **state)
{
	struct ls_bundle_files f, g;
	struct ls_buf out;
	size_t i, j;

	(void)state;
	ls_bundle_files_init(&f);
	ls_bundle_files_init(&g);
	ls_buf_init(&out, 1 << 20);
	assert_int_equal(ls_bundle_files_add(&f, "z/empty.json", "", 0), 0);
	assert_int_equal(ls_bundle_files_add(&f, "policy.rego", "package p\n",
			     10),
	    0);
	assert_int_equal(ls_bundle_files_add(&f, "data.json", "{}", 2), 0);
	assert_int_equal(ls_bundle_write(&out, &f), 0);
	assert_int_equal(ls_bundle_read(&g, out.data, out.len), 0);
	assert_int_equal(g.n, 3);
	assert_int_equal(g.total, 12);
	for (i = 0; i < f.n; i++) {
		for (j = 0; j < g.n; j++)
			if (strcmp(f.v[i].path, g.v[j].path) == 0)
				break;
		assert_true(j < g.n);
		assert_int_equal(f.v[i].len, g.v[j].len);
		assert_memory_equal(f.v[i].data, g.v[j].data, f.v[i].len);
	}
	/* an output buffer too small for the bundle */
	ls_buf_cleanup(&out);
	ls_buf_init(&out, 64);
	assert_int_equal(ls_bundle_write(&out, &f), LS_ETOOBIG);
	/* in sorted order */
	assert_string_equal(g.v[0].path, "data.json");
	assert_string_equal(g.v[2].path, "z/empty.json");
	ls_buf_cleanup(&out);
	ls_bundle_files_cleanup(&f);
	ls_bundle_files_cleanup(&g);
}

static void
test_bundle__add_refuses_bad_paths(void **state)
{
	struct ls_bundle_files f;
	char deep[200];
	int i;

	(void)state;
	ls_bundle_files_init(&f);
	assert_int_equal(ls_bundle_files_add(&f, "../x", "", 0), LS_EUNSAFE);
	assert_non_null(strstr(ls_error_last(), "../x"));
	assert_int_equal(ls_bundle_files_add(&f, "/etc/x", "", 0), LS_EUNSAFE);
	assert_int_equal(ls_bundle_files_add(&f, "a//b", "", 0), LS_EUNSAFE);
	assert_int_equal(ls_bundle_files_add(&f, "a/./b", "", 0), LS_EUNSAFE);
	assert_int_equal(ls_bundle_files_add(&f, "", "", 0), LS_EUNSAFE);
	assert_int_equal(ls_bundle_files_add(&f, "a\nb", "", 0), LS_EUNSAFE);
	for (i = 0; i < 40; i++)
		memcpy(deep + 2 * i, "d/", 2);
	deep[80] = 'x';
	deep[81] = '\0';
	assert_int_equal(ls_bundle_files_add(&f, deep, "", 0), LS_ETOOBIG);
	assert_int_equal(ls_bundle_files_add(&f, "a", "1", 1), 0);
	assert_int_equal(ls_bundle_files_add(&f, "a", "2", 1), LS_EEXISTS);
	assert_int_equal(ls_bundle_files_add(&f, "a/b", "2", 1), LS_ECONFLICT);
	assert_int_equal(ls_bundle_files_add(&f, "c/d", "2", 1), 0);
	assert_int_equal(ls_bundle_files_add(&f, "c", "2", 1), LS_ECONFLICT);
	assert_int_equal(f.n, 2);
	assert_int_equal(f.total, 2);
	ls_bundle_files_cleanup(&f);
}

static void
test_bundle__from_dir_refuses_links_and_fifos(void **state)
{
	struct ls_bundle_files f;
	char dir[] = "/tmp/ls-bundle-XXXXXX", p[600];

	(void)state;
	make_tree(dir);
	snprintf(p, sizeof(p), "%s/a/link.rego", dir);
	assert_int_equal(symlink("/etc/passwd", p), 0);
	ls_bundle_files_init(&f);
	assert_int_equal(ls_bundle_files_from_dir(&f, dir), LS_EUNSAFE);
	assert_non_null(strstr(ls_error_last(), "a/link.rego"));
	ls_bundle_files_cleanup(&f);
	unlink(p);
	snprintf(p, sizeof(p), "%s/pipe", dir);
	assert_int_equal(mkfifo(p, 0600), 0);
	ls_bundle_files_init(&f);
	assert_int_equal(ls_bundle_files_from_dir(&f, dir), LS_EUNSAFE);
	ls_bundle_files_cleanup(&f);
	unlink(p);
	ls_bundle_files_init(&f);
	assert_int_equal(ls_bundle_files_from_dir(&f, "/nonexistent/dir"),
	    LS_ENOTFOUND);
	ls_bundle_files_cleanup(&f);
	assert_int_equal(ls_file_remove_tree(dir), 0);
}

/* ls_bundle_read applies extraction's checks to every hostile fixture. */
static void
test_bundle__read_refuses_hostile_archives(void **state)
{
	static const struct {
		const char *file;
		int rc;
	} cases[] = {
		{ "dotdot.tar.gz", LS_EUNSAFE },
		{ "dotdot-nested.tar.gz", LS_EUNSAFE },
		{ "absolute.tar.gz", LS_EUNSAFE },
		{ "symlink.tar.gz", LS_EUNSAFE },
		{ "hardlink.tar.gz", LS_EUNSAFE },
		{ "device.tar.gz", LS_EUNSAFE },
		{ "fifo.tar.gz", LS_EUNSAFE },
		{ "duplicate.tar.gz", LS_EEXISTS },
		{ "file-dir-clash.tar.gz", LS_ECONFLICT },
		{ "too-deep.tar.gz", LS_ETOOBIG },
		{ "long-name.tar.gz", LS_ETOOBIG },
		{ "too-many.tar.gz", LS_ETOOBIG },
		{ "control-char.tar.gz", LS_EUNSAFE },
	};
	struct ls_bundle_files f;
	char path[600], *data = NULL;
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(path, sizeof(path), "%s/tests/data/archives/%s",
		    root_dir(), cases[i].file);
		assert_int_equal(ls_file_read(&data, &n, path, 1 << 20), 0);
		ls_bundle_files_init(&f);
		if (ls_bundle_read(&f, data, n) != cases[i].rc)
			fail_msg("%s: %s", cases[i].file, ls_error_last());
		ls_bundle_files_cleanup(&f);
		free(data);
	}
	ls_bundle_files_init(&f);
	assert_int_equal(ls_bundle_read(&f, "not a tar.gz at all", 19),
	    LS_EFORMAT);
	ls_bundle_files_cleanup(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bundle__same_content_same_bytes),
		cmocka_unit_test(test_bundle__output_inside_source_left_out),
		cmocka_unit_test(
		    test_bundle__entries_sorted_with_fixed_metadata),
		cmocka_unit_test(test_bundle__read_roundtrip),
		cmocka_unit_test(test_bundle__add_refuses_bad_paths),
		cmocka_unit_test(test_bundle__from_dir_refuses_links_and_fifos),
		cmocka_unit_test(test_bundle__read_refuses_hostile_archives),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
