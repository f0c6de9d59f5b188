/*
 * test_decisions_check.c - the stateless checks of POST /v1/decisions
 * that tests/fuzz/doc_batch.c feeds (server/decisions_impl.h): the batch
 * note's body, the gzip layer and its cap, the JSON Lines against the
 * note with the gap rule.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <zlib.h>

#include "../../server/decisions_impl.h"
#include "lockstep/error.h"

static const char sha[] =
    "9d72decb9ccab24b40215876b43cdbdf70019743b53460572c2435353dc75121";
static const char zeros[] =
    "0000000000000000000000000000000000000000000000000000000000000000";

static int
note(struct bnote *n, const char *first, const char *last, const char *count)
{
	char body[512];

	snprintf(body, sizeof(body),
	    "lockstep/decisions/v1\nagent a1\nfirst %s\nlast %s\ncount %s\n"
	    "sha256 %s\nprev %s\ndropped 0\ntime 2026-12-03T09:14:58Z\n",
	    first, last, count, sha, zeros);
	return ls_decisions_note_parse(n, body, strlen(body));
}

static void
test_note_parse(void **state)
{
	struct bnote n;

	(void)state;
	assert_int_equal(note(&n, "3", "9", "2"), 0);
	assert_true(n.parsed);
	assert_string_equal(n.agent, "a1");
	assert_true(n.first == 3 && n.last == 9 && n.count == 2);
	assert_string_equal(n.sha, sha);
	assert_int_equal(note(&n, "03", "9", "2"), LS_EFORMAT);
	assert_int_equal(note(&n, "3", "9", "8"), LS_EFORMAT); /* > 9-3+1 */
	assert_int_equal(note(&n, "9", "3", "1"), LS_EFORMAT);
	assert_int_equal(note(&n, "0", "3", "1"), LS_EFORMAT);
	assert_int_equal(note(&n, "1", "1", "0"), LS_EFORMAT);
	assert_int_equal(ls_decisions_note_parse(&n, "lockstep/report/v1\n",
			     19),
	    LS_EFORMAT);
}

#define REC(seq)                                                               \
	"{\"id\":\"a1-" #seq "\",\"seq\":" #seq                                \
	",\"agent\":\"a1\",\"time\":\"2026-12-03T09:14:58.1Z\"}\n"
#define DROP(seq, f, l)                                                        \
	"{\"id\":\"a1-" #seq "\",\"seq\":" #seq ",\"agent\":\"a1\","           \
	"\"type\":\"dropped\",\"first\":" #f ",\"last\":" #l "}\n"

static int
lines(const char *first, const char *last, const char *count, const char *raw,
    uint64_t next)
{
	struct bnote n;

	assert_int_equal(note(&n, first, last, count), 0);
	return ls_decisions_lines_check(&n, raw, strlen(raw), next);
}

static void
test_lines_check(void **state)
{
	(void)state;
	assert_int_equal(lines("1", "2", "2", REC(1) REC(2), 1), 0);
	assert_int_equal(lines("1", "3", "2", REC(1) REC(3), 1), LS_ECONFLICT);
	assert_int_equal(lines("4", "4", "1", DROP(4, 2, 3), 2), 0);
	assert_int_equal(lines("4", "4", "1", DROP(4, 2, 3), 1), LS_ECONFLICT);
	assert_int_equal(lines("1", "3", "2", REC(1) DROP(3, 1, 2), 1),
	    LS_EFORMAT); /* 1 both a line and dropped */
	assert_int_equal(lines("1", "2", "2", REC(2) REC(1), 1), LS_EFORMAT);
	assert_int_equal(lines("1", "2", "2", REC(1), 1), LS_EFORMAT);
	assert_int_equal(lines("1", "1", "1", REC(1) REC(2), 1), LS_EFORMAT);
	assert_int_equal(lines("1", "1", "1", "{\"seq\":1}\n", 1), LS_EFORMAT);
	assert_int_equal(lines("1", "1", "1", REC(1) "\n", 1), LS_EFORMAT);
	assert_int_equal(lines("1", "1", "1", "", 1), LS_EFORMAT);
	/* the line cap comes before any allocation for the lines */
	assert_int_equal(lines("1", "999999", "999999", REC(1), 1), LS_ETOOBIG);
}

static size_t
gzip_of(unsigned char *out, size_t cap, const char *in, size_t len)
{
	z_stream z;

	memset(&z, 0, sizeof(z));
	assert_int_equal(deflateInit2(&z, 1, Z_DEFLATED, 31, 8,
			     Z_DEFAULT_STRATEGY),
	    Z_OK);
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)len;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	deflateEnd(&z);
	return cap - z.avail_out;
}

static void
test_gunzip(void **state)
{
	static char big[200000];
	unsigned char gz[4096];
	struct ls_buf b;
	size_t n;

	(void)state;
	n = gzip_of(gz, sizeof(gz), REC(1), strlen(REC(1)));
	n += gzip_of(gz + n, sizeof(gz) - n, REC(2), strlen(REC(2)));
	ls_buf_init(&b, 1024);
	assert_int_equal(ls_decisions_gunzip(&b, gz, n), 0);
	assert_string_equal(b.data, REC(1) REC(2));
	ls_buf_reset(&b);
	assert_int_equal(ls_decisions_gunzip(&b, gz, n - 3), LS_EFORMAT);
	ls_buf_reset(&b);
	assert_int_equal(ls_decisions_gunzip(&b, "not gzip", 8), LS_EFORMAT);
	ls_buf_cleanup(&b);
	memset(big, 'x', sizeof(big));
	n = gzip_of(gz, sizeof(gz), big, sizeof(big));
	ls_buf_init(&b, sizeof(big) - 1);
	assert_int_equal(ls_decisions_gunzip(&b, gz, n), LS_ETOOBIG);
	ls_buf_cleanup(&b);
	/* one whole member (libdeflate), exactly at the cap */
	ls_buf_init(&b, sizeof(big));
	assert_int_equal(ls_decisions_gunzip(&b, gz, n), 0);
	assert_int_equal(b.len, sizeof(big));
	assert_memory_equal(b.data, big, sizeof(big));
	/* a trailer whose size is not the member's: refused, by zlib */
	gz[n - 1] ^= 0x01; /* 2^24 bytes more than it holds, past the cap */
	ls_buf_reset(&b);
	assert_int_equal(ls_decisions_gunzip(&b, gz, n), LS_EFORMAT);
	gz[n - 1] ^= 0x01;
	gz[n - 4] ^= 0x01; /* one byte more than it holds, within a cap */
	ls_buf_cleanup(&b);
	ls_buf_init(&b, sizeof(big) + 16);
	assert_int_equal(ls_decisions_gunzip(&b, gz, n), LS_EFORMAT);
	gz[n - 4] ^= 0x01;
	gz[n - 8] ^= 0x01; /* the CRC */
	ls_buf_reset(&b);
	assert_int_equal(ls_decisions_gunzip(&b, gz, n), LS_EFORMAT);
	ls_buf_cleanup(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_note_parse),
		cmocka_unit_test(test_lines_check),
		cmocka_unit_test(test_gunzip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
