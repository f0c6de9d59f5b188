/* test_doc.c - root, release, timestamp and report bodies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "lockstep/doc.h"
#include "lockstep/error.h"
#include "lockstep/key.h"
#include "lockstep/timefmt.h"

#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SHA_B "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define COMMIT "0123456789abcdef0123456789abcdef01234567"

#define VK_GO                                                                  \
	"PeterNeumann+c74f20a3+"                                               \
	"ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
#define VK_SPEC                                                                \
	"example.com/foo+530d903a+"                                            \
	"AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"

#define ROOT_BODY                                                              \
	"lockstep/root/v1\n"                                                   \
	"origin acme\n"                                                        \
	"version 3\n"                                                          \
	"expires 2030-01-02T03:04:05Z\n"                                       \
	"key root " VK_GO "\n"                                                 \
	"key root " VK_SPEC "\n"                                               \
	"key release " VK_GO "\n"                                              \
	"key timestamp " VK_SPEC "\n"                                          \
	"key log " VK_SPEC "\n"                                                \
	"threshold root 2\n"                                                   \
	"threshold release 1\n"                                                \
	"threshold timestamp 1\n"                                              \
	"threshold log 1\n"

#define RELEASE_BODY                                                           \
	"lockstep/release/v1\n"                                                \
	"origin acme\n"                                                        \
	"channel stable\n"                                                     \
	"seq 12\n"                                                             \
	"version v1.4.0\n"                                                     \
	"commit " COMMIT "\n"                                                  \
	"bundle sha256:" SHA_B " length 20480\n"                               \
	"built 2026-11-24T03:00:00Z\n"                                         \
	"expires 2027-11-24T03:00:00Z\n"                                       \
	"floor 10\n"                                                           \
	"tests passed 41 failed 0\n"                                           \
	"control pci-dss:2.2.1\n"                                              \
	"control soc2:CC6.1\n"                                                 \
	"control soc2:CC6.8\n"                                                 \
	"action rollback\n"                                                    \
	"owner Jane Doe <jane@example.com>\n"                                  \
	"reason INC-42: v1.5.0 blocks deploys \xe2\x80\x94 roll back\n"        \
	"until 2026-12-01T00:00:00Z\n"

#define TIMESTAMP_BODY                                                         \
	"lockstep/timestamp/v1\n"                                              \
	"origin acme\n"                                                        \
	"channel stable\n"                                                     \
	"seq 99\n"                                                             \
	"expires 2026-11-24T04:00:00Z\n"                                       \
	"release 12 sha256:" SHA_A " length 731\n"

#define REPORT_BODY                                                            \
	"lockstep/report/v1\n"                                                 \
	"agent host-17.admission\n"                                            \
	"channel stable\n"                                                     \
	"seq 5\n"                                                              \
	"root 1\n"                                                             \
	"timestamp 99\n"                                                       \
	"release 12\n"                                                         \
	"bundle sha256:" SHA_B "\n"                                            \
	"version v1.4.0\n"                                                     \
	"time 2026-11-24T03:30:00Z\n"                                          \
	"state stale\n"                                                        \
	"error timestamp expired at 2026-11-24T03:00:00Z\n"                    \
	"dropped 3\n"

/*
 * Replace the first occurrence of from with to in body.  The result lives
 * in one of 32 static buffers used in turn, so a test can hold that many.
 */
static const char *
edit(const char *body, const char *from, const char *to)
{
	static char ring[32][8192];
	static unsigned next;
	char *out = ring[next++ % 32];
	const char *p = strstr(body, from);
	size_t pre;

	assert_non_null(p);
	pre = (size_t)(p - body);
	assert_true(strlen(body) - strlen(from) + strlen(to) < sizeof(ring[0]));
	memcpy(out, body, pre);
	snprintf(out + pre, sizeof(ring[0]) - pre, "%s%s", to,
	    p + strlen(from));
	return out;
}

static void
test_doc__root_roundtrip(void **state)
{
	struct ls_root r;
	char *body = NULL;
	size_t len = 0;
	time_t t;

	(void)state;
	assert_int_equal(ls_root_parse(&r, ROOT_BODY, strlen(ROOT_BODY)), 0);
	assert_string_equal(r.origin, "acme");
	assert_int_equal(r.version, 3);
	assert_int_equal(ls_time_parse(&t, "2030-01-02T03:04:05Z", 20), 0);
	assert_int_equal(r.expires, t);
	assert_int_equal(r.keys[LS_ROLE_ROOT].n, 2);
	assert_string_equal(r.keys[LS_ROLE_ROOT].keys[1].name,
	    "example.com/foo");
	assert_int_equal(r.keys[LS_ROLE_RELEASE].n, 1);
	assert_int_equal(r.threshold[LS_ROLE_ROOT], 2);
	assert_int_equal(r.threshold[LS_ROLE_LOG], 1);
	assert_int_equal(ls_root_body(&body, &len, &r), 0);
	assert_string_equal(body, ROOT_BODY);
	assert_int_equal(len, strlen(ROOT_BODY));
	free(body);
	ls_root_cleanup(&r);
	ls_root_cleanup(&r); /* safe to repeat */
}

static void
test_doc__root_refuses_bad_bodies(void **state)
{
	const char *bad[16];
	struct ls_root r;
	size_t i, n = 0;

	(void)state;
	bad[n++] = edit(ROOT_BODY, "threshold root 2", "threshold root 3");
	bad[n++] = edit(ROOT_BODY, "threshold log 1\n", "");
	bad[n++] = edit(ROOT_BODY, "threshold log 1", "threshold log 0");
	bad[n++] = edit(ROOT_BODY, "threshold log 1",
	    "threshold log 1\n"
	    "threshold log 1");
	bad[n++] = edit(ROOT_BODY, "key log", "key admin");
	bad[n++] = edit(ROOT_BODY, "key log " VK_SPEC,
	    "key log " VK_GO "\n"
	    "key log " VK_GO);
	bad[n++] = edit(ROOT_BODY, "+c74f20a3+", "+c74f20a4+");
	bad[n++] = edit(ROOT_BODY, "lockstep/root/v1", "lockstep/release/v1");
	bad[n++] = edit(ROOT_BODY, "version 3", "version 0");
	bad[n++] = edit(ROOT_BODY, "version 3", "version 3\nversion 4");
	bad[n++] = edit(ROOT_BODY, "origin acme\n", "");
	bad[n++] = edit(ROOT_BODY, "origin acme", "origin ../acme");
	bad[n++] = edit(ROOT_BODY, "T03:04:05Z", ""); /* date only */
	bad[n++] = edit(ROOT_BODY, "version 3\n", "version 3\nextra x\n");
	bad[n++] = edit(ROOT_BODY, "version 3\n", "version 3\n\n");
	bad[n++] = edit(ROOT_BODY, "version 3", "version  3");
	for (i = 0; i < n; i++) {
		print_message("case %zu\n", i);
		ls_error_clear();
		assert_int_equal(ls_root_parse(&r, bad[i], strlen(bad[i])),
		    LS_EFORMAT);
		assert_true(strlen(ls_error_last()) > 0);
		assert_null(r.keys[LS_ROLE_ROOT].keys); /* cleaned up */
	}
}

static void
test_doc__release_roundtrip(void **state)
{
	struct ls_release r;
	char *body = NULL;
	size_t len = 0;

	(void)state;
	assert_int_equal(ls_release_parse(&r, RELEASE_BODY,
			     strlen(RELEASE_BODY)),
	    0);
	assert_string_equal(r.channel, "stable");
	assert_int_equal(r.seq, 12);
	assert_string_equal(r.version, "v1.4.0");
	assert_string_equal(r.commit, COMMIT);
	assert_string_equal(r.bundle_sha256, SHA_B);
	assert_int_equal(r.bundle_length, 20480);
	assert_int_equal(r.floor, 10);
	assert_int_equal(r.tests_passed, 41);
	assert_int_equal(r.ncontrols, 3);
	assert_string_equal(r.controls[1], "soc2:CC6.1");
	assert_string_equal(r.action, "rollback");
	assert_string_equal(r.owner, "Jane Doe <jane@example.com>");
	assert_non_null(strstr(r.reason, "\xe2\x80\x94"));
	assert_true(r.until > r.built);
	assert_int_equal(ls_release_body(&body, &len, &r), 0);
	assert_string_equal(body, RELEASE_BODY);
	free(body);
	ls_release_cleanup(&r);
}

static void
test_doc__release_plain_and_unpin(void **state)
{
	struct ls_release r;
	const char *plain;
	char *body = NULL;
	size_t len = 0;

	(void)state;
	plain = edit(RELEASE_BODY, "action rollback\n", "");
	plain = edit(plain, "owner Jane Doe <jane@example.com>\n", "");
	plain = edit(plain, strstr(plain, "reason "), "");
	assert_int_equal(ls_release_parse(&r, plain, strlen(plain)), 0);
	assert_string_equal(r.action, "");
	assert_int_equal(ls_release_body(&body, &len, &r), 0);
	assert_string_equal(body, plain);
	free(body);
	ls_release_cleanup(&r);
	/* unpin needs no sunset */
	plain = edit(RELEASE_BODY, "until 2026-12-01T00:00:00Z\n", "");
	plain = edit(plain, "action rollback", "action unpin");
	assert_int_equal(ls_release_parse(&r, plain, strlen(plain)), 0);
	assert_int_equal(r.until, 0);
	assert_int_equal(ls_release_body(&body, &len, &r), 0);
	assert_string_equal(body, plain);
	free(body);
	ls_release_cleanup(&r);
}

static void
test_doc__release_refuses_bad_bodies(void **state)
{
	const char *bad[24], *two;
	struct ls_release r;
	size_t i, n = 0;

	(void)state;
	two = edit(RELEASE_BODY, "control soc2:CC6.1\n", "");
	bad[n++] = edit(two, "control soc2:CC6.8",
	    "control soc2:CC6.8\n"
	    "control soc2:CC6.1"); /* unsorted */
	bad[n++] = edit(RELEASE_BODY, "control soc2:CC6.8",
	    "control "
	    "soc2:CC6.1"); /* repeated */
	bad[n++] = edit(RELEASE_BODY, "floor 10", "floor 13");
	bad[n++] = edit(RELEASE_BODY, "until 2026-12-01T00:00:00Z\n", "");
	bad[n++] = edit(RELEASE_BODY, "action rollback\n", "");
	bad[n++] = edit(RELEASE_BODY, "action rollback", "action revert");
	bad[n++] = edit(RELEASE_BODY, "commit 0123", "commit 0I23");
	bad[n++] = edit(RELEASE_BODY, "commit 0123456789abcdef",
	    "commit 0123456789ABCDEF");
	bad[n++] = edit(RELEASE_BODY, "sha256:0123", "sha256:123");
	bad[n++] = edit(RELEASE_BODY, "sha256:", "sha512:");
	bad[n++] = edit(RELEASE_BODY, " length 20480", " size 20480");
	bad[n++] = edit(RELEASE_BODY, " length 20480", " length -1");
	bad[n++] = edit(RELEASE_BODY, " length 20480", " length 20480 x");
	bad[n++] = edit(RELEASE_BODY, "seq 12", "seq 012");
	bad[n++] = edit(RELEASE_BODY, "seq 12", "seq 18446744073709551616");
	bad[n++] = edit(RELEASE_BODY, "seq 12", "seq 0x0c");
	bad[n++] =
	    edit(RELEASE_BODY, "tests passed 41 failed 0", "tests passed 41");
	bad[n++] = edit(RELEASE_BODY, "expires 2027", "expires 2025");
	bad[n++] = edit(RELEASE_BODY, "version v1.4.0", "version v1/4");
	bad[n++] = edit(RELEASE_BODY, "channel stable", "channel .hidden");
	bad[n++] = edit(RELEASE_BODY, "owner Jane", "owner  Jane");
	bad[n++] = edit(RELEASE_BODY, "owner Jane", "owner \x01Jane");
	for (i = 0; i < n; i++) {
		print_message("case %zu\n", i);
		assert_int_equal(ls_release_parse(&r, bad[i], strlen(bad[i])),
		    LS_EFORMAT);
		assert_null(r.controls);
	}
}

static void
test_doc__types_cannot_be_swapped(void **state)
{
	struct ls_timestamp t;
	struct ls_release rl;
	struct ls_report rp;
	struct ls_root rt;

	(void)state;
	assert_int_equal(ls_timestamp_parse(&t, RELEASE_BODY,
			     strlen(RELEASE_BODY)),
	    LS_EFORMAT);
	assert_non_null(strstr(ls_error_last(), "not a lockstep/timestamp/v1"));
	assert_int_equal(ls_release_parse(&rl, TIMESTAMP_BODY,
			     strlen(TIMESTAMP_BODY)),
	    LS_EFORMAT);
	assert_int_equal(ls_report_parse(&rp, ROOT_BODY, strlen(ROOT_BODY)),
	    LS_EFORMAT);
	assert_int_equal(ls_root_parse(&rt, REPORT_BODY, strlen(REPORT_BODY)),
	    LS_EFORMAT);
}

static void
test_doc__timestamp_roundtrip_and_refusals(void **state)
{
	struct ls_timestamp t;
	const char *bad[6];
	char *body = NULL;
	size_t len = 0, i, n = 0;

	(void)state;
	assert_int_equal(ls_timestamp_parse(&t, TIMESTAMP_BODY,
			     strlen(TIMESTAMP_BODY)),
	    0);
	assert_int_equal(t.seq, 99);
	assert_int_equal(t.release_seq, 12);
	assert_string_equal(t.release_sha256, SHA_A);
	assert_int_equal(t.release_length, 731);
	assert_int_equal(ls_timestamp_body(&body, &len, &t), 0);
	assert_string_equal(body, TIMESTAMP_BODY);
	free(body);
	bad[n++] = edit(TIMESTAMP_BODY, "release 12", "release 0");
	bad[n++] = edit(TIMESTAMP_BODY, "release 12 ", "release ");
	bad[n++] = edit(TIMESTAMP_BODY, "seq 99\n", "");
	bad[n++] = edit(TIMESTAMP_BODY, "seq 99", "seq 99\nseq 100");
	bad[n++] = edit(TIMESTAMP_BODY, "length 731\n", "length 731");
	bad[n++] = edit(TIMESTAMP_BODY, "channel stable", "channel st\xc3");
	for (i = 0; i < n; i++) {
		print_message("case %zu\n", i);
		assert_int_equal(ls_timestamp_parse(&t, bad[i], strlen(bad[i])),
		    LS_EFORMAT);
	}
}

static void
test_doc__report_roundtrip_and_none_state(void **state)
{
	struct ls_report r;
	const char *none;
	char *body = NULL;
	size_t len = 0;

	(void)state;
	assert_int_equal(ls_report_parse(&r, REPORT_BODY, strlen(REPORT_BODY)),
	    0);
	assert_string_equal(r.agent, "host-17.admission");
	assert_string_equal(r.state, "stale");
	assert_int_equal(r.dropped, 3);
	assert_int_equal(ls_report_body(&body, &len, &r), 0);
	assert_string_equal(body, REPORT_BODY);
	free(body);
	/* Before any activation: no bundle, no version. */
	none = edit(REPORT_BODY, "bundle sha256:" SHA_B "\n", "");
	none = edit(none, "version v1.4.0\n", "");
	assert_int_equal(ls_report_parse(&r, none, strlen(none)), LS_EFORMAT);
	none = edit(none, "state stale", "state none");
	assert_int_equal(ls_report_parse(&r, none, strlen(none)), 0);
	assert_string_equal(r.bundle_sha256, "");
	assert_int_equal(ls_report_body(&body, &len, &r), 0);
	assert_string_equal(body, none);
	free(body);
	none = edit(REPORT_BODY, "state stale", "state sleeping");
	assert_int_equal(ls_report_parse(&r, none, strlen(none)), LS_EFORMAT);
}

static void
test_doc__builders_refuse_bad_values(void **state)
{
	struct ls_timestamp t;
	struct ls_release rl;
	struct ls_report rp;
	struct ls_root rt;
	char *body = NULL;
	size_t len = 0;

	(void)state;
	assert_int_equal(ls_timestamp_parse(&t, TIMESTAMP_BODY,
			     strlen(TIMESTAMP_BODY)),
	    0);
	t.expires = (time_t)300000000000LL; /* year 11476 */
	assert_int_equal(ls_timestamp_body(&body, &len, &t), LS_EINVAL);
	assert_non_null(strstr(ls_error_last(), "expires"));
	t.expires = -1;
	assert_int_equal(ls_timestamp_body(&body, &len, &t), LS_EINVAL);
	t.expires = 0;
	snprintf(t.channel, sizeof(t.channel), "bad channel");
	assert_int_equal(ls_timestamp_body(&body, &len, &t), LS_EINVAL);
	assert_non_null(strstr(ls_error_last(), "channel"));
	assert_null(body);

	assert_int_equal(ls_release_parse(&rl, RELEASE_BODY,
			     strlen(RELEASE_BODY)),
	    0);
	snprintf(rl.reason, sizeof(rl.reason), "two\nlines");
	assert_int_equal(ls_release_body(&body, &len, &rl), LS_EINVAL);
	snprintf(rl.reason, sizeof(rl.reason), "ok");
	rl.until = 0;
	assert_int_equal(ls_release_body(&body, &len, &rl), LS_EINVAL);
	ls_release_cleanup(&rl);

	assert_int_equal(ls_report_parse(&rp, REPORT_BODY, strlen(REPORT_BODY)),
	    0);
	rp.bundle_sha256[0] = '\0';
	assert_int_equal(ls_report_body(&body, &len, &rp), LS_EINVAL);

	assert_int_equal(ls_root_parse(&rt, ROOT_BODY, strlen(ROOT_BODY)), 0);
	rt.threshold[LS_ROLE_LOG] = 2;
	assert_int_equal(ls_root_body(&body, &len, &rt), LS_EINVAL);
	ls_root_cleanup(&rt);
	assert_null(body);
}

static void
test_doc__limits(void **state)
{
	struct ls_timestamp t;
	struct ls_release r;
	char *big;
	const char *max;

	(void)state;
	max = edit(TIMESTAMP_BODY, "seq 99", "seq 18446744073709551615");
	assert_int_equal(ls_timestamp_parse(&t, max, strlen(max)), 0);
	assert_true(t.seq == UINT64_MAX);
	big = malloc(70000);
	assert_non_null(big);
	memset(big, 'x', 70000);
	memcpy(big, "lockstep/release/v1\n", 20);
	big[69999] = '\n';
	assert_int_equal(ls_release_parse(&r, big, 70000), LS_ETOOBIG);
	free(big);
	assert_int_equal(ls_timestamp_parse(&t, TIMESTAMP_BODY,
			     strlen(TIMESTAMP_BODY) - 1),
	    LS_EFORMAT);
}

static void
test_doc__name_valid(void **state)
{
	char longest[LS_NAME_MAX + 2];

	(void)state;
	assert_true(ls_name_valid("stable"));
	assert_true(ls_name_valid("v1.2.3-rc_1"));
	assert_false(ls_name_valid(""));
	assert_false(ls_name_valid(".git"));
	assert_false(ls_name_valid("a/b"));
	assert_false(ls_name_valid("a b"));
	assert_false(ls_name_valid("caf\xc3\xa9"));
	assert_false(ls_name_valid(NULL));
	memset(longest, 'a', sizeof(longest));
	longest[LS_NAME_MAX] = '\0';
	assert_true(ls_name_valid(longest));
	longest[LS_NAME_MAX] = 'a';
	longest[LS_NAME_MAX + 1] = '\0';
	assert_false(ls_name_valid(longest));
}

/* Parse must answer 0 or LS_EFORMAT, and leave nothing allocated on error. */
static void
test_doc__mutated_bodies_never_crash(void **state)
{
	static const char *const bodies[] = { ROOT_BODY, RELEASE_BODY,
		TIMESTAMP_BODY, REPORT_BODY };
	char buf[4096];
	struct ls_release rl;
	struct ls_root rt;
	struct ls_timestamp ts;
	struct ls_report rp;
	size_t b, i, len;
	int rc;

	(void)state;
	for (b = 0; b < 4; b++) {
		len = strlen(bodies[b]);
		assert_true(len < sizeof(buf));
		for (i = 0; i < len * 4; i++) {
			memcpy(buf, bodies[b], len);
			/* deterministic: each position, four byte values */
			buf[i / 4] = "\n 0\xff"[i % 4];
			rc = ls_root_parse(&rt, buf, len);
			assert_true(rc == 0 || rc == LS_EFORMAT);
			ls_root_cleanup(&rt);
			rc = ls_release_parse(&rl, buf, len);
			assert_true(rc == 0 || rc == LS_EFORMAT);
			ls_release_cleanup(&rl);
			rc = ls_timestamp_parse(&ts, buf, len);
			assert_true(rc == 0 || rc == LS_EFORMAT);
			rc = ls_report_parse(&rp, buf, len);
			assert_true(rc == 0 || rc == LS_EFORMAT);
		}
	}
}

static void
test_doc__count_caps(void **state)
{
	struct ls_release rl;
	struct ls_root rt;
	char *body;
	size_t cap = 64 * 1024, n = 0;
	int i;

	(void)state;
	body = malloc(cap);
	assert_non_null(body);
	n = (size_t)snprintf(body, cap, "%s",
	    edit(RELEASE_BODY,
		"control pci-dss:2.2.1\ncontrol soc2:CC6.1\ncontrol soc2:CC6.8\n",
		""));
	for (i = 0; i <= LS_DOC_MAX_CONTROLS; i++)
		n += (size_t)snprintf(body + n, cap - n, "control c%04d\n", i);
	assert_int_equal(ls_release_parse(&rl, body, n), LS_EFORMAT);
	assert_non_null(strstr(ls_error_last(), "too many controls"));
	/* 5 keys already, plus 60 distinct new ones: one past the cap. */
	n = (size_t)snprintf(body, cap, "%s", ROOT_BODY);
	for (i = 0; i <= LS_DOC_MAX_KEYS - 5; i++) {
		struct ls_key *k = NULL;
		struct ls_vkey vk;
		char name[16], text[LS_VKEY_TEXT_MAX];

		snprintf(name, sizeof(name), "k%d", i);
		assert_int_equal(ls_key_generate(&k, name), 0);
		ls_key_vkey(&vk, k);
		ls_vkey_format(text, &vk);
		ls_key_free(k);
		n += (size_t)snprintf(body + n, cap - n, "key log %s\n", text);
	}
	assert_int_equal(ls_root_parse(&rt, body, n), LS_EFORMAT);
	assert_non_null(strstr(ls_error_last(), "too many keys"));
	assert_null(rt.keys[LS_ROLE_LOG].keys);
	free(body);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_doc__root_roundtrip),
		cmocka_unit_test(test_doc__root_refuses_bad_bodies),
		cmocka_unit_test(test_doc__release_roundtrip),
		cmocka_unit_test(test_doc__release_plain_and_unpin),
		cmocka_unit_test(test_doc__release_refuses_bad_bodies),
		cmocka_unit_test(test_doc__types_cannot_be_swapped),
		cmocka_unit_test(test_doc__timestamp_roundtrip_and_refusals),
		cmocka_unit_test(test_doc__report_roundtrip_and_none_state),
		cmocka_unit_test(test_doc__builders_refuse_bad_values),
		cmocka_unit_test(test_doc__limits),
		cmocka_unit_test(test_doc__name_valid),
		cmocka_unit_test(test_doc__mutated_bodies_never_crash),
		cmocka_unit_test(test_doc__count_caps),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
