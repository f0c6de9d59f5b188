/*
 * test_tarread.c - the tar reader against libarchive's writers: every
 * tar flavour libarchive writes (ustar, pax, restricted pax, GNU, v7),
 * plain and gzip, with long names, directories, an empty and a large
 * file, reads back to the same entries and bytes; a multi-member gzip
 * reads as one stream; a bad checksum, a truncated archive, a bad size
 * field, an oversized extended header and corrupt gzip are refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>
#include <zlib.h>

#include "lockstep/error.h"
#include "tarread.h"

#define OUT_CAP (4 << 20)
#define BIG 300001 /* crosses the reader's 64 KiB chunks, not block-aligned */

struct sample {
	const char *path; /* as written */
	int dir;
	size_t size;
};

static char long_path[300];   /* > 255 bytes: pax or GNU long name */
static char prefix_path[200]; /* > 100 bytes: ustar prefix */

static void
init_paths(void)
{
	size_t i;

	for (i = 0; i + 1 < sizeof(long_path); i++)
		long_path[i] = (i % 50 == 49) ? '/' : (char)('a' + i % 26);
	long_path[sizeof(long_path) - 1] = '\0';
	memset(prefix_path, 'p', sizeof(prefix_path) - 1);
	prefix_path[120] = '/';
	prefix_path[sizeof(prefix_path) - 1] = '\0';
}

/* The entries: long_names 1 adds a path for ustar's prefix field, 2 one
 * only pax or GNU can name. */
static const struct sample *
samples(size_t *n, int long_names)
{
	static struct sample s[6];
	size_t k = 0;

	s[k++] = (struct sample){ "policy/", 1, 0 };
	s[k++] = (struct sample){ "policy/a.rego", 0, 33 };
	s[k++] = (struct sample){ "policy/empty.json", 0, 0 };
	s[k++] = (struct sample){ "policy/big.json", 0, BIG };
	if (long_names >= 1)
		s[k++] = (struct sample){ prefix_path, 0, 700 };
	if (long_names >= 2)
		s[k++] = (struct sample){ long_path, 0, 5 };
	*n = k;
	return s;
}

static unsigned char
byte_at(const char *path, size_t i)
{
	return (unsigned char)(path[i % strlen(path)] + i % 7);
}

struct mem {
	unsigned char *p;
	size_t n;
};

static la_ssize_t
mem_write(struct archive *a, void *arg, const void *p, size_t n)
{
	struct mem *m = arg;

	(void)a;
	assert_true(m->n + n <= OUT_CAP);
	memcpy(m->p + m->n, p, n);
	m->n += n;
	return (la_ssize_t)n;
}

/* An archive of the samples in format fmt, gzip or plain, into m. */
static void
write_archive(struct mem *m, int fmt, int gz, int long_names)
{
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();
	const struct sample *s;
	unsigned char *data = malloc(BIG);
	size_t n, i, j;

	assert_non_null(a);
	assert_non_null(data);
	m->n = 0;
	assert_int_equal(archive_write_set_format(a, fmt), 0);
	if (gz)
		assert_int_equal(archive_write_add_filter_gzip(a), 0);
	assert_int_equal(archive_write_set_bytes_in_last_block(a, 1), 0);
	assert_int_equal(archive_write_open2(a, m, NULL, mem_write, NULL, NULL),
	    0);
	s = samples(&n, long_names);
	for (i = 0; i < n; i++) {
		archive_entry_clear(e);
		archive_entry_set_pathname(e, s[i].path);
		archive_entry_set_filetype(e, s[i].dir ? AE_IFDIR : AE_IFREG);
		archive_entry_set_perm(e, s[i].dir ? 0755 : 0644);
		archive_entry_set_size(e, (la_int64_t)s[i].size);
		assert_int_equal(archive_write_header(a, e), 0);
		for (j = 0; j < s[i].size; j++)
			data[j] = byte_at(s[i].path, j);
		if (s[i].size > 0)
			assert_int_equal(archive_write_data(a, data, s[i].size),
			    (la_ssize_t)s[i].size);
	}
	assert_int_equal(archive_write_close(a), 0);
	archive_write_free(a);
	archive_entry_free(e);
	free(data);
}

/* Read m back and compare with the samples; 0 or the reader's error. */
static int
read_back(const struct mem *m, int long_names)
{
	struct tarread *t = NULL;
	struct tarread_entry e;
	const struct sample *s;
	unsigned char buf[70000];
	size_t n, i = 0, got, j;
	ssize_t k;
	int rc;

	assert_int_equal(tarread_open_mem(&t, m->p, m->n), 0);
	s = samples(&n, long_names);
	while ((rc = tarread_next(t, &e)) == 1) {
		assert_true(i < n);
		assert_string_equal(e.path, s[i].path);
		assert_int_equal(e.type, s[i].dir ? TARREAD_DIR : TARREAD_FILE);
		assert_int_equal(e.has_link, 0);
		assert_int_equal(e.size, s[i].size);
		got = 0;
		while ((k = tarread_data(t, buf, sizeof(buf))) > 0) {
			for (j = 0; j < (size_t)k; j++)
				assert_int_equal(buf[j],
				    byte_at(s[i].path, got + j));
			got += (size_t)k;
		}
		if (k < 0) {
			rc = (int)k;
			break;
		}
		assert_int_equal(got, s[i].size);
		i++;
	}
	tarread_free(t);
	if (rc == 0)
		assert_int_equal(i, n);
	return rc;
}

static void
test_tarread__every_libarchive_flavour(void **state)
{
	static const struct {
		int fmt, long_names;
	} f[] = {
		{ ARCHIVE_FORMAT_TAR_USTAR, 1 },
		{ ARCHIVE_FORMAT_TAR_PAX_INTERCHANGE, 2 },
		{ ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, 2 },
		{ ARCHIVE_FORMAT_TAR_GNUTAR, 2 },
		{ ARCHIVE_FORMAT_TAR, 0 }, /* v7 */
	};
	struct mem m = { malloc(OUT_CAP), 0 };
	size_t i;
	int gz;

	(void)state;
	init_paths();
	assert_non_null(m.p);
	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		for (gz = 0; gz <= 1; gz++) {
			write_archive(&m, f[i].fmt, gz, f[i].long_names);
			assert_int_equal(read_back(&m, f[i].long_names), 0);
		}
	free(m.p);
}

/* gzip of n bytes at p as one member, appended to out. */
static void
gzip_member(struct mem *out, const unsigned char *p, size_t n)
{
	z_stream z;

	memset(&z, 0, sizeof(z));
	assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8,
			     Z_DEFAULT_STRATEGY),
	    Z_OK);
	z.next_in = (unsigned char *)(uintptr_t)p;
	z.avail_in = (uInt)n;
	z.next_out = out->p + out->n;
	z.avail_out = (uInt)(OUT_CAP - out->n);
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	out->n = OUT_CAP - z.avail_out;
	deflateEnd(&z);
}

static void
test_tarread__gzip_members_read_as_one_stream(void **state)
{
	struct mem raw = { malloc(OUT_CAP), 0 }, gz = { malloc(OUT_CAP), 0 };
	size_t cut = 3 * 512;

	(void)state;
	init_paths();
	write_archive(&raw, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, 0, 2);
	gzip_member(&gz, raw.p, cut);
	gzip_member(&gz, raw.p + cut, raw.n - cut);
	assert_int_equal(read_back(&gz, 2), 0);
	free(raw.p);
	free(gz.p);
}

/* The first entry of m: tarread_next's result (1, 0 or an error). */
static int
first_entry(const struct mem *m)
{
	struct tarread *t = NULL;
	struct tarread_entry e;
	unsigned char buf[4096];
	ssize_t k;
	int rc;

	assert_int_equal(tarread_open_mem(&t, m->p, m->n), 0);
	while ((rc = tarread_next(t, &e)) == 1) {
		while ((k = tarread_data(t, buf, sizeof(buf))) > 0)
			;
		if (k < 0) {
			rc = (int)k;
			break;
		}
	}
	tarread_free(t);
	return rc;
}

static void
test_tarread__damage_refused(void **state)
{
	struct mem m = { malloc(OUT_CAP), 0 };
	size_t full;

	(void)state;
	init_paths();
	/* A flipped byte in the first header's name: bad checksum. */
	write_archive(&m, ARCHIVE_FORMAT_TAR_USTAR, 0, 0);
	m.p[3] ^= 0x20;
	assert_int_equal(first_entry(&m), LS_EFORMAT);
	assert_non_null(strstr(ls_error_last(), "checksum"));
	/* Cut inside big.json's data. */
	write_archive(&m, ARCHIVE_FORMAT_TAR_USTAR, 0, 0);
	m.n = 4 * 512 + 1000;
	assert_int_equal(first_entry(&m), LS_EFORMAT);
	assert_non_null(strstr(ls_error_last(), "truncated"));
	/* Cut inside a header. */
	m.n = 512 + 100;
	assert_int_equal(first_entry(&m), LS_EFORMAT);
	/* A gzip stream cut short, and one with a corrupt body. */
	write_archive(&m, ARCHIVE_FORMAT_TAR_USTAR, 1, 0);
	full = m.n;
	m.n = full / 2;
	assert_int_equal(first_entry(&m), LS_EFORMAT);
	m.n = full;
	memset(m.p + 20, 0xff, 40);
	assert_int_equal(first_entry(&m), LS_EFORMAT);
	free(m.p);
}

/* n bytes of s into a header field (tar fields need no NUL). */
static void
field(unsigned char *h, size_t off, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		h[off + i] = (unsigned char)s[i];
}

/* A ustar header block with a valid checksum. */
static void
header(unsigned char *h, const char *name, char type, const char *size)
{
	unsigned sum = 0;
	size_t i;

	memset(h, 0, 512);
	field(h, 0, name, strlen(name));
	field(h, 100, "0000644", 7);
	field(h, 124, size, strlen(size));
	h[156] = (unsigned char)type;
	field(h, 257,
	    "ustar\0"
	    "00",
	    8);
	memset(h + 148, ' ', 8);
	for (i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
}

static void
test_tarread__bad_fields_and_caps(void **state)
{
	struct mem m = { calloc(1, OUT_CAP), 0 };
	char size[16];

	(void)state;
	/* A size field with a non-octal digit. */
	header(m.p, "a", '0', "00000000009");
	m.n = 3 * 512;
	assert_int_equal(first_entry(&m), LS_EFORMAT);
	assert_non_null(strstr(ls_error_last(), "size"));
	/* A pax header over its cap is refused before it is read. */
	snprintf(size, sizeof(size), "%011o", TARREAD_EXT_MAX + 1);
	header(m.p, "pax", 'x', size);
	assert_int_equal(first_entry(&m), LS_ETOOBIG);
	/* A malformed pax record. */
	header(m.p, "pax", 'x', "00000000010");
	memcpy(m.p + 512, "99 path=x\n", 10);
	memset(m.p + 1024, 0, 1024);
	m.n = 4 * 512;
	assert_int_equal(first_entry(&m), LS_EFORMAT);
	assert_non_null(strstr(ls_error_last(), "pax"));
	/* Endless extended headers. */
	memset(m.p, 0, OUT_CAP);
	for (m.n = 0; m.n < 40 * 1024; m.n += 1024) {
		header(m.p + m.n, "g", 'g', "00000000012");
		memcpy(m.p + m.n + 512, "10 a=bcd\n", 10);
	}
	assert_int_equal(first_entry(&m), LS_EFORMAT);
	assert_non_null(strstr(ls_error_last(), "extended headers"));
	free(m.p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tarread__every_libarchive_flavour),
		cmocka_unit_test(test_tarread__gzip_members_read_as_one_stream),
		cmocka_unit_test(test_tarread__damage_refused),
		cmocka_unit_test(test_tarread__bad_fields_and_caps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
