/* test_base.c - errors, bounded buffers, files, hashes and times. */
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

#include "lockstep/buf.h"
#include "lockstep/error.h"
#include "lockstep/file.h"
#include "lockstep/hash.h"
#include "lockstep/timefmt.h"

static void
test_base__error_message_is_one_line(void **state)
{
	(void)state;
	assert_int_equal(ls_error_set(LS_EFORMAT, "a\nb %d", 7), LS_EFORMAT);
	assert_string_equal(ls_error_last(), "a b 7");
	ls_error_wrap(LS_EFORMAT, "file.note");
	assert_string_equal(ls_error_last(), "file.note: a b 7");
	assert_string_equal(ls_err_name(LS_EBADSIG), "LS_EBADSIG");
	ls_error_clear();
	assert_string_equal(ls_error_last(), "");
}

static void
test_base__buf_refuses_past_max(void **state)
{
	struct ls_buf b;
	char *p;
	size_t n;

	(void)state;
	ls_buf_init(&b, 8);
	assert_int_equal(ls_buf_adds(&b, "12345"), 0);
	assert_int_equal(ls_buf_addf(&b, "%d", 678), 0);
	assert_int_equal(ls_buf_addc(&b, '9'), LS_ETOOBIG);
	assert_int_equal(b.len, 8);
	assert_string_equal(b.data, "12345678");
	p = ls_buf_take(&b, &n);
	assert_int_equal(n, 8);
	assert_null(b.data);
	free(p);
	ls_buf_cleanup(&b);
}

static void
test_base__file_atomic_roundtrip_and_cap(void **state)
{
	char dir[] = "/tmp/ls-test-XXXXXX", path[256];
	struct stat st;
	char *data = NULL;
	size_t n = 0;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/sub/dir/f", dir);
	assert_int_equal(ls_file_mkdirs(path, 0755), 0); /* makes f as dir */
	assert_int_equal(ls_file_remove_tree(path), 0);
	assert_int_equal(ls_file_write_atomic(path, "hello", 5, 0600), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(ls_file_read(&data, &n, path, 5), 0);
	assert_string_equal(data, "hello");
	free(data);
	assert_int_equal(ls_file_read(&data, &n, path, 4), LS_ETOOBIG);
	assert_null(data);
	snprintf(path, sizeof(path), "%s/absent", dir);
	assert_int_equal(ls_file_read(&data, &n, path, 4), LS_ENOTFOUND);
	assert_int_equal(ls_file_remove_tree(dir), 0);
	assert_false(ls_file_exists(dir));
}

static void
test_base__sha256_and_encodings(void **state)
{
	char hex[65], b64[16];
	uint8_t raw[8];
	size_t n;

	(void)state;
	ls_sha256_hex(hex, "abc", 3);
	assert_string_equal(hex,
	    "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad");
	assert_int_equal(ls_hex_decode(raw, 2, "0aFf", 4), 0);
	assert_int_equal(raw[0], 0x0a);
	assert_int_equal(raw[1], 0xff);
	assert_int_equal(ls_hex_decode(raw, 2, "0aFg", 4), LS_EFORMAT);
	ls_base64_encode(b64, sizeof(b64), (const uint8_t *)"hi!", 3);
	assert_string_equal(b64, "aGkh");
	assert_int_equal(ls_base64_decode(raw, sizeof(raw), &n, "aGkh", 4), 0);
	assert_int_equal(n, 3);
	assert_int_equal(ls_base64_decode(raw, sizeof(raw), &n, "aGk*", 4),
	    LS_EFORMAT);
}

static void
test_base__time_roundtrip_and_bad_dates(void **state)
{
	char s[LS_TIME_LEN];
	time_t t;

	(void)state;
	assert_int_equal(ls_time_parse(&t, "2026-11-24T03:46:49Z", 20), 0);
	ls_time_format(s, t);
	assert_string_equal(s, "2026-11-24T03:46:49Z");
	assert_int_equal(ls_time_parse(&t, "2024-02-29", 10), 0);
	assert_int_equal(ls_time_parse(&t, "2023-02-29", 10), LS_EFORMAT);
	assert_int_equal(ls_time_parse(&t, "2026-13-01", 10), LS_EFORMAT);
	assert_int_equal(ls_time_parse(&t, "2026-11-24 03:46:49", 19),
	    LS_EFORMAT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base__error_message_is_one_line),
		cmocka_unit_test(test_base__buf_refuses_past_max),
		cmocka_unit_test(test_base__file_atomic_roundtrip_and_cap),
		cmocka_unit_test(test_base__sha256_and_encodings),
		cmocka_unit_test(test_base__time_roundtrip_and_bad_dates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
