/* test_server_audit_tar.c - the audit package as a tar file and back
 * (audit_tar.c): a round trip through a file gives the same bytes and
 * consumes the source; a foreign name, a link, a file twice, a missing
 * file or a truncated tar is refused and leaves nothing at the target nor
 * a DIR.partial-* beside it. */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <cmocka.h>

#include "../../server/audit.h"
#include "lockstep/error.h"
#include "lockstep/file.h"

static const char *const names[] = { "records.jsonl", "proofs.jsonl",
	"checkpoint.note", "log.pub", "summary.json", "summary.md",
	"summary.html", "oscal/assessment-results.json", "manifest.note" };
#define NNAMES (sizeof(names) / sizeof(names[0]))

static char base[64];

static int
setup(void **state)
{
	(void)state;
	snprintf(base, sizeof(base), "/tmp/ls-audit-tar-XXXXXX");
	return mkdtemp(base) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	return ls_file_remove_tree(base);
}

/* base/src with every package file but skip (NNAMES: none skipped); file
 * i holds its name i + 1 times (records.jsonl: 200 KiB more). */
static void
make_src(size_t skip)
{
	char path[PATH_MAX];
	size_t i, k;
	FILE *f;

	snprintf(path, sizeof(path), "%s/src/oscal", base);
	assert_int_equal(ls_file_mkdirs(path, 0755), 0);
	for (i = 0; i < NNAMES; i++) {
		if (i == skip)
			continue;
		snprintf(path, sizeof(path), "%s/src/%s", base, names[i]);
		assert_non_null(f = fopen(path, "w"));
		for (k = 0; k <= i; k++)
			fprintf(f, "%s\n", names[i]);
		for (k = 0; i == 0 && k < 200 * 1024; k++)
			fputc('a' + (int)(k % 26), f);
		fclose(f);
	}
}

static int
tar_file(void)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/pkg.tar", base);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	return fd;
}

/* Nothing at base/dst, and no base/dst.partial-* either. */
static void
assert_nothing_left(void)
{
	char path[PATH_MAX];
	struct dirent *e;
	DIR *d;

	snprintf(path, sizeof(path), "%s/dst", base);
	assert_false(ls_file_exists(path));
	assert_non_null(d = opendir(base));
	while ((e = readdir(d)) != NULL)
		assert_null(strstr(e->d_name, "dst."));
	closedir(d);
}

/* A whole package at base/src, tarred into a new file (its fd); the
 * paths of src and of the target dst. */
static int
tar_whole(char *src, char *dst)
{
	int fd = tar_file();

	make_src(NNAMES);
	snprintf(src, PATH_MAX, "%s/src", base);
	snprintf(dst, PATH_MAX, "%s/dst", base);
	assert_int_equal(ls_audit_tar_dir(fd, src), 0);
	return fd;
}

static void
test_server_audit_tar__round_trip(void **state)
{
	char src[PATH_MAX], dst[PATH_MAX], *b = NULL;
	size_t i, blen;
	int fd = tar_whole(src, dst);

	(void)state;
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(ls_audit_untar_fd(dst, fd), 0);
	for (i = 0; i < NNAMES; i++) {
		char p[PATH_MAX + 64];

		snprintf(p, sizeof(p), "%s/%s", src, names[i]);
		assert_false(ls_file_exists(p)); /* consumed */
		snprintf(p, sizeof(p), "%s/%s", dst, names[i]);
		assert_int_equal(ls_file_read(&b, &blen, p, 1 << 20), 0);
		assert_true(blen >= strlen(names[i]) * (i + 1));
		assert_memory_equal(b, names[i], strlen(names[i]));
		free(b);
		b = NULL;
	}
	/* Into an existing directory: refused. */
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(ls_audit_untar_fd(dst, fd), LS_EEXISTS);
	close(fd);
}

static void
test_server_audit_tar__missing_file(void **state)
{
	char src[PATH_MAX];
	int fd = tar_file();

	(void)state;
	make_src(3);
	snprintf(src, sizeof(src), "%s/src", base);
	assert_int_equal(ls_audit_tar_dir(fd, src), LS_ENOTFOUND);
	close(fd);
}

enum kind { REG, LINK };
struct ent {
	const char *name;
	enum kind kind;
};

/* A tar of the given entries (each a small regular file or a link). */
static int
hostile_tar(const struct ent *e, size_t n)
{
	struct archive *a = archive_write_new();
	struct archive_entry *ae;
	int fd = tar_file();
	size_t i;

	assert_int_equal(archive_write_set_format_pax_restricted(a), 0);
	assert_int_equal(archive_write_open_fd(a, fd), 0);
	for (i = 0; i < n; i++) {
		ae = archive_entry_new();
		archive_entry_set_pathname(ae, e[i].name);
		archive_entry_set_perm(ae, 0644);
		if (e[i].kind == LINK) {
			archive_entry_set_filetype(ae, AE_IFLNK);
			archive_entry_set_symlink(ae, "/etc/passwd");
			archive_entry_set_size(ae, 0);
		} else {
			archive_entry_set_filetype(ae, AE_IFREG);
			archive_entry_set_size(ae, 3);
		}
		assert_int_equal(archive_write_header(a, ae), 0);
		if (e[i].kind == REG)
			assert_int_equal(archive_write_data(a, "ab\n", 3), 3);
		archive_entry_free(ae);
	}
	assert_int_equal(archive_write_close(a), 0);
	archive_write_free(a);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

static void
refused(const struct ent *e, size_t n, int want)
{
	char dst[PATH_MAX];
	int fd = hostile_tar(e, n);

	snprintf(dst, sizeof(dst), "%s/dst", base);
	assert_int_equal(ls_audit_untar_fd(dst, fd), want);
	assert_nothing_left();
	close(fd);
}

static void
test_server_audit_tar__hostile(void **state)
{
	const struct ent dotdot[] = { { "records.jsonl", REG },
		{ "../records.jsonl", REG } };
	const struct ent link[] = { { "log.pub", LINK } };
	const struct ent twice[] = { { "log.pub", REG }, { "log.pub", REG } };
	const struct ent dir[] = { { "oscal/", REG } };
	const struct ent few[] = { { "records.jsonl", REG },
		{ "manifest.note", REG } };

	(void)state;
	refused(dotdot, 2, LS_EUNSAFE);
	refused(link, 1, LS_EUNSAFE);
	refused(twice, 2, LS_EUNSAFE);
	refused(dir, 1, LS_EUNSAFE);
	refused(few, 2, LS_EFORMAT);
}

static void
test_server_audit_tar__truncated(void **state)
{
	char src[PATH_MAX], dst[PATH_MAX];
	struct stat st;
	int fd = tar_whole(src, dst);

	(void)state;
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(ftruncate(fd, st.st_size / 2), 0);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(ls_audit_untar_fd(dst, fd), LS_EFORMAT);
	assert_nothing_left();
	close(fd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_server_audit_tar__round_trip,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_server_audit_tar__missing_file,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_server_audit_tar__hostile,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_server_audit_tar__truncated,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
