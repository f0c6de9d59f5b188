/*
 * test_server_decisions.c - decision batches straight through
 * ls_decisions_post: the gap rule, and the chain state rebuilt from the
 * log after a crash (a group cut short is ignored, a whole group the state
 * file missed is applied once, with its exception uses), and which
 * exceptions the build warns about (ending within 14 days).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>
#include <zlib.h>

#include "../../server/decisions.h"
#include "../../server/store.h"
#include "lockstep/buf.h"
#include "lockstep/controls.h"
#include "lockstep/file.h"
#include "lockstep/hash.h"
#include "lockstep/key.h"
#include "lockstep/note.h"
#include "lockstep/timefmt.h"

static const char zeros[] =
    "0000000000000000000000000000000000000000000000000000000000000000";

struct fx {
	char dir[64], state[128];
	struct ls_store *s;
	struct ls_decisions *d;
	struct ls_key *k;
	char prev[65];
};

static void
open_all(struct fx *f)
{
	struct ls_store_opts so;
	struct ls_decisions_opts dopts;

	memset(&so, 0, sizeof(so));
	so.data_dir = f->dir;
	so.ttl = 3600;
	assert_int_equal(ls_store_open(&f->s, &so), 0);
	memset(&dopts, 0, sizeof(dopts));
	dopts.store = f->s;
	assert_int_equal(ls_decisions_open(&f->d, &dopts), 0);
}

static void
close_all(struct fx *f)
{
	ls_decisions_free(f->d);
	ls_store_free(f->s);
	f->d = NULL;
	f->s = NULL;
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct ls_vkey vk;
	char text[LS_VKEY_TEXT_MAX];

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/ls-dec-test.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->state, sizeof(f->state), "%s/decisions/state.json", f->dir);
	open_all(f);
	assert_int_equal(ls_key_generate(&f->k, "a1"), 0);
	ls_key_vkey(&vk, f->k);
	ls_vkey_format(text, &vk);
	assert_int_equal(ls_store_enroll(f->s, text, strlen(text), "test"), 0);
	memcpy(f->prev, zeros, sizeof(zeros));
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	close_all(f);
	ls_key_free(f->k);
	ls_file_remove_tree(f->dir);
	free(f);
	return 0;
}

static void
gzip_bytes(struct ls_buf *out, const char *in, size_t len)
{
	unsigned char tmp[1 << 16];
	z_stream zs;

	memset(&zs, 0, sizeof(zs));
	assert_int_equal(deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8,
			     Z_DEFAULT_STRATEGY),
	    Z_OK);
	zs.next_in = (unsigned char *)(uintptr_t)in;
	zs.avail_in = (uInt)len;
	zs.next_out = tmp;
	zs.avail_out = sizeof(tmp);
	assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
	assert_int_equal(ls_buf_add(out, tmp, sizeof(tmp) - zs.avail_out), 0);
	deflateEnd(&zs);
}

/* Lines for seqs first..last (seq == drop_at is a drop announcement of
 * drop_first..drop_last, which are left out); waived on each record. */
static void
lines(struct ls_buf *b, uint64_t first, uint64_t last, uint64_t drop_at,
    uint64_t drop_first, uint64_t drop_last, const char *waived)
{
	uint64_t s;

	for (s = first; s <= last; s++) {
		if (s == drop_at)
			assert_int_equal(ls_buf_addf(b,
					     "{\"id\":\"a1-%llu\",\"seq\":%llu,"
					     "\"agent\":\"a1\",\"type\":"
					     "\"dropped\",\"first\":%llu,"
					     "\"last\":%llu}\n",
					     (unsigned long long)s,
					     (unsigned long long)s,
					     (unsigned long long)drop_first,
					     (unsigned long long)drop_last),
			    0);
		else if (s < drop_first || s > drop_last)
			assert_int_equal(ls_buf_addf(b,
					     "{\"id\":\"a1-%llu\",\"seq\":%llu,"
					     "\"agent\":\"a1\",\"time\":"
					     "\"2026-12-03T07:01:02.123456Z\","
					     "\"channel\":\"stable\","
					     "\"waived\":%s}\n",
					     (unsigned long long)s,
					     (unsigned long long)s, waived),
			    0);
	}
}

/* Post the batch of lines (first/last/count as given) signed by a1;
 * returns the HTTP status, sets sha_out. */
static unsigned
post(struct fx *f, const struct ls_buf *l, uint64_t first, uint64_t last,
    size_t count, char sha_out[65], int *dup)
{
	struct ls_decisions_result res;
	struct ls_buf body, gz;
	char *note = NULL, *hdr;
	size_t nlen, hlen;

	ls_sha256_hex(sha_out, l->data, l->len);
	ls_buf_init(&body, 4096);
	ls_buf_init(&gz, 1 << 20);
	assert_int_equal(ls_buf_addf(&body,
			     "lockstep/decisions/v1\nagent a1\nfirst %llu\n"
			     "last %llu\ncount %zu\nsha256 %s\nprev %s\n"
			     "dropped 0\ntime 2026-12-03T07:01:03Z\n",
			     (unsigned long long)first,
			     (unsigned long long)last, count, sha_out, f->prev),
	    0);
	assert_int_equal(ls_note_sign(&note, &nlen, body.data, body.len, &f->k,
			     1),
	    0);
	hlen = ls_base64_encoded_len(nlen);
	hdr = malloc(hlen);
	assert_non_null(hdr);
	ls_base64_encode(hdr, hlen, (const uint8_t *)note, nlen);
	gzip_bytes(&gz, l->data, l->len);
	ls_decisions_post(f->d, &res, hdr, gz.data, gz.len, 0);
	*dup = res.answer != NULL &&
	    json_is_true(json_object_get(res.answer, "duplicate"));
	json_decref(res.answer);
	free(hdr);
	free(note);
	ls_buf_cleanup(&body);
	ls_buf_cleanup(&gz);
	return res.status;
}

static void
test_server_decisions__gap_rule(void **state)
{
	struct fx *f = *state;
	struct ls_buf l;
	char sha[65];
	int dup;

	ls_buf_init(&l, 1 << 20);
	lines(&l, 1, 3, 0, 0, 0, "[]");
	assert_int_equal(post(f, &l, 1, 3, 3, sha, &dup), 200);
	memcpy(f->prev, sha, sizeof(sha));
	/* 4..6 lost, announced by seq 7 */
	ls_buf_reset(&l);
	lines(&l, 7, 9, 7, 4, 6, "[]");
	assert_int_equal(post(f, &l, 7, 9, 3, sha, &dup), 200);
	memcpy(f->prev, sha, sizeof(sha));
	/* 10 missing, no announcement */
	ls_buf_reset(&l);
	lines(&l, 11, 12, 0, 0, 0, "[]");
	assert_int_equal(post(f, &l, 11, 12, 2, sha, &dup), 409);
	/* a drop announcement covering one of the batch's own lines */
	ls_buf_reset(&l);
	lines(&l, 10, 10, 10, 11, 11, "[]");
	lines(&l, 11, 12, 0, 0, 0, "[]");
	assert_int_equal(post(f, &l, 10, 12, 3, sha, &dup), 400);
	/* note count disagreeing with the lines */
	ls_buf_reset(&l);
	lines(&l, 10, 12, 0, 0, 0, "[]");
	assert_int_equal(post(f, &l, 10, 12, 2, sha, &dup), 400);
	assert_int_equal(post(f, &l, 10, 12, 3, sha, &dup), 200);
	assert_false(dup);
	ls_buf_cleanup(&l);
}

static void
test_server_decisions__crash_replay(void **state)
{
	static const char w[] = "[{\"id\":\"EXC-1\",\"owner\":\"o\",\"ticket\":"
				"\"T-1\",\"expires\":\"2099-01-01\",\"rule\":"
				"\"r\",\"controls\":[\"soc2:CC6.1\"]}]";
	struct fx *f = *state;
	struct ls_buf l, m;
	char sha[65], shb[65], *saved = NULL;
	size_t slen = 0;
	json_t *det, *list = NULL;
	int dup;

	ls_buf_init(&l, 1 << 20);
	ls_buf_init(&m, 1 << 20);
	lines(&l, 1, 3, 0, 0, 0, w);
	assert_int_equal(post(f, &l, 1, 3, 3, sha, &dup), 200);
	assert_int_equal(ls_decisions_sync(f->d), 0);
	close_all(f);
	/* A group cut short by a crash: its batch entry and one line. */
	open_all(f);
	det = json_pack("{s:s, s:i, s:i, s:i, s:s, s:s}", "agent", "a1",
	    "first", 4, "last", 6, "count", 3, "sha256", zeros, "prev", sha);
	assert_int_equal(ls_evidence_append(ls_store_evidence(f->s), "batch",
			     NULL, "a1", det),
	    0);
	json_decref(det);
	det =
	    json_pack("{s:s, s:i, s:s}", "id", "a1-4", "seq", 4, "agent", "a1");
	assert_int_equal(ls_evidence_append(ls_store_evidence(f->s), "decision",
			     "stable", "a1", det),
	    0);
	json_decref(det);
	assert_int_equal(ls_file_read(&saved, &slen, f->state, 1 << 20), 0);
	/* The real batch 4..6 goes in; then the state file is set back, as
	 * if the process died before writing it. */
	memcpy(f->prev, sha, sizeof(sha));
	lines(&m, 4, 6, 0, 0, 0, w);
	assert_int_equal(post(f, &m, 4, 6, 3, shb, &dup), 200);
	assert_false(dup);
	close_all(f);
	assert_int_equal(ls_file_write_atomic(f->state, saved, slen, 0644), 0);
	open_all(f);
	assert_int_equal(post(f, &m, 4, 6, 3, shb, &dup), 200);
	assert_true(dup);
	assert_int_equal(ls_decisions_overrides(f->d, &list, 0, 0), 0);
	assert_int_equal(json_integer_value(
			     json_object_get(json_array_get(list, 0), "count")),
	    6);
	json_decref(list);
	free(saved);
	ls_buf_cleanup(&l);
	ls_buf_cleanup(&m);
}

static void
test_server_decisions__expiring(void **state)
{
	static const char text[] =
	    "{\"exceptions\": ["
	    "{\"id\": \"A\", \"owner\": \"o\", \"ticket\": \"T-1\", "
	    "\"reason\": \"r\", \"expires\": \"2026-12-10\", "
	    "\"exempts\": {\"x\": 1}},"
	    "{\"id\": \"B\", \"owner\": \"o\", \"ticket\": \"T-2\", "
	    "\"reason\": \"r\", \"expires\": \"2026-12-17\", "
	    "\"exempts\": {\"x\": 1}},"
	    "{\"id\": \"C\", \"owner\": \"o\", \"ticket\": \"T-3\", "
	    "\"reason\": \"r\", \"expires\": \"2026-12-16\", "
	    "\"exempts\": {\"x\": 1}},"
	    "{\"id\": \"D\", \"owner\": \"o\", \"ticket\": \"T-4\", "
	    "\"reason\": \"r\", \"expires\": \"2026-12-01\", "
	    "\"exempts\": {\"x\": 1}}]}";
	struct ls_controls c;
	json_t *w = NULL;
	time_t now;

	(void)state;
	assert_int_equal(ls_time_parse(&now, "2026-12-03T00:00:00Z", 20), 0);
	ls_controls_init(&c);
	assert_int_equal(ls_controls_parse(&c, text, strlen(text), "t.json"),
	    0);
	assert_int_equal(ls_decisions_expiring(&w, &c, now), 0);
	/* A ends with 2026-12-10 (8 days), C with 12-16 (14 days: still
	 * warned); B has 15 days; D has expired (the build fails on it). */
	assert_int_equal(json_array_size(w), 2);
	assert_string_equal(json_string_value(
				json_object_get(json_array_get(w, 0),
				    "exception")),
	    "A");
	assert_int_equal(json_integer_value(
			     json_object_get(json_array_get(w, 0),
				 "days_left")),
	    8);
	assert_string_equal(json_string_value(
				json_object_get(json_array_get(w, 1),
				    "exception")),
	    "C");
	assert_int_equal(json_integer_value(
			     json_object_get(json_array_get(w, 1),
				 "days_left")),
	    14);
	json_decref(w);
	ls_controls_cleanup(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_server_decisions__gap_rule,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_server_decisions__crash_replay,
		    setup, teardown),
		cmocka_unit_test(test_server_decisions__expiring),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
