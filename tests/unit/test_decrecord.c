/*
 * test_decrecord.c - the fast reading of decision record lines
 * (server/decrecord.c): plain lines are read without jansson, and every
 * line is accepted or refused exactly as the jansson path decides it
 * (ls_decisions_lines_check runs both, as an upload does).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../../server/decisions_impl.h"
#include "lockstep/error.h"

#define HEAD "{\"id\":\"a1-1\",\"seq\":1,\"agent\":\"a1\","
#define TIME "\"time\":\"2026-12-03T09:14:58.000001Z\""

/* One line through the upload's checks: 0 or the refusal's code. */
static int
check(const char *line)
{
	char body[512], raw[4096];
	struct bnote n;

	snprintf(body, sizeof(body),
	    "lockstep/decisions/v1\nagent a1\nfirst 1\nlast 1\ncount 1\n"
	    "sha256 %064d\nprev %064d\ndropped 0\ntime "
	    "2026-12-03T09:14:58Z\n",
	    0, 0);
	assert_int_equal(ls_decisions_note_parse(&n, body, strlen(body)), 0);
	assert_true(strlen(line) + 2 < sizeof(raw));
	snprintf(raw, sizeof(raw), "%s\n", line);
	return ls_decisions_lines_check(&n, raw, strlen(raw), 1);
}

static void
test_decrecord__same_verdicts(void **state)
{
	static const char *const ok[] = {
		HEAD TIME "}",
		HEAD TIME ",\"outcome\":\"deny\",\"channel\":null}",
		HEAD TIME
		",\"input\":{\"name\":\"caf\xc3\xa9\"},\"waived\":[]}",
		/* the jansson path: tab, \u escape, fraction, waived */
		HEAD "\t" TIME "}",
		HEAD TIME ",\"input\":{\"name\":\"caf\\u00e9\"}}",
		HEAD TIME ",\"input\":{\"cpu\":0.5,\"mem\":1e3}}",
		HEAD TIME ",\"waived\":[{\"id\":\"x1\",\"rule\":\"r\"}]}",
		HEAD TIME ",\"type\":\"decision\"}",
		HEAD TIME ",\"type\":7}", /* not a string: a decision */
	};
	static const char *const bad[] = {
		"{\"id\":\"a1-1\",\"seq\":1.0,\"agent\":\"a1\"," TIME "}",
		"{\"id\":\"a1-1\",\"seq\":1e0,\"agent\":\"a1\"," TIME "}",
		"{\"id\":\"a1-1\",\"seq\":\"1\",\"agent\":\"a1\"," TIME "}",
		"{\"id\":\"a1-1\",\"seq\":1,\"seq\":1,\"agent\":\"a1\"," TIME
		"}",
		"{\"id\":\"a1-1\",\"seq\":01,\"agent\":\"a1\"," TIME "}",
		HEAD TIME ",\"input\":{\"a\":1,\"a\":2}}",
		HEAD TIME ",\"input\":[{\"b\":{\"c\":1,\"d\":[],\"c\":1}}]}",
		HEAD TIME ",\"input\":{\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":5,"
			  "\"f\":6,\"g\":7,\"h\":8,\"i\":9,\"e\":10}}",
		HEAD TIME ",\"input\":{\"a/b\":1,\"a\\/b\":2}}",
		HEAD TIME ",\"outcome\":\"deny\",\"outcome\":\"deny\"}",
		HEAD TIME ",\"input\":\"\xff\"}",
		HEAD TIME ",\"input\":\"\xc0\xaf\"}",
		HEAD TIME ",\"input\":\"\xed\xa0\x80\"}", /* a surrogate */
		HEAD TIME ",\"input\":\"a\x01\"}",
		HEAD TIME ",\"input\":\"\\u0000\"}",
		HEAD TIME ",\"input\":\"\\ud800\"}",
		HEAD TIME ",\"input\":\"\\x\"}",
		HEAD TIME ",\"input\":99999999999999999999}",
		HEAD TIME ",\"input\":1e400}",
		HEAD TIME ",\"input\":-}",
		HEAD TIME ",\"input\":tru}",
		HEAD TIME "} x",
		HEAD TIME ",}",
		HEAD "\"time\":\"2026-12-03 09:14:58Z\"}",
		HEAD TIME ",\"channel\":5}",
		HEAD TIME ",\"waived\":\"x\"}",
		HEAD TIME ",\"waived\":[{\"rule\":\"r\"}]}",
		HEAD TIME ",\"type\":\"bogus\"}",
		"{\"id\":\"a1-1\",\"seq\":1,\"agent\":\"a2\"," TIME "}",
		"{\"id\":\"a1-2\",\"seq\":1,\"agent\":\"a1\"," TIME "}",
		"{\"id\":\"a1-01\",\"seq\":1,\"agent\":\"a1\"," TIME "}",
		"{\"id\":\"a1-1x\",\"seq\":1,\"agent\":\"a1\"," TIME "}",
		"{\"id\":\"a11\",\"seq\":1,\"agent\":\"a1\"," TIME "}",
		"{\"id\":\"a1-1\",\"seq\":0,\"agent\":\"a1\"," TIME "}",
		"{\"id\":\"a1-1\",\"seq\":-1,\"agent\":\"a1\"," TIME "}",
		HEAD TIME ",\"input\":\"\xc3\xa9\x01\"}",
		HEAD TIME ",\"input\":\"\\\xc3\xa9\"}",
		"[1]",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (check(ok[i]) != 0)
			fail_msg("refused: %s (%s)", ok[i], ls_error_last());
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (check(bad[i]) == 0)
			fail_msg("accepted: %s", bad[i]);
}

static void
test_decrecord__depth(void **state)
{
	char line[512];
	int i, n = 0;

	(void)state;
	n = snprintf(line, sizeof(line), HEAD TIME ",\"input\":");
	for (i = 0; i < LS_DECISIONS_DEPTH_MAX; i++)
		line[n++] = '[';
	for (i = 0; i < LS_DECISIONS_DEPTH_MAX; i++)
		line[n++] = ']';
	snprintf(line + n, sizeof(line) - (size_t)n, "}");
	assert_int_equal(check(line), LS_ETOOBIG); /* 33 levels */
}

/* A plain line is read by the fast path, with the fields the log's
 * index and partitions need; others are left to jansson. */
static void
test_decrecord__fast_fields(void **state)
{
	static const char plain[] = HEAD TIME
	    ",\"outcome\":\"deny\",\"channel\":\"stable\",\"controls\":"
	    "[\"soc2:CC6.1\",\"\",7,\"pci:2.2\"],\"latency_us\":40}";
	static const char *const slow[] = {
		HEAD TIME ",\"x\":0.5}",
		HEAD TIME ",\"x\":\"\\u00e9\"}",
		HEAD TIME ",\"waived\":[{\"id\":\"x1\"}]}",
		HEAD "\t" TIME "}",
		HEAD TIME
		",\"outcome\":\"de\\/ny\"}", /* an escape in a field */
		HEAD TIME ",\"controls\":[\"soc2:CC6\\/1\"]}",
		HEAD TIME ",\"input\":{\"a\\/b\":1}}", /* an escape in a name */
		HEAD TIME ",\"input\":{\"k\":[{\"x\":1,\"x\":1}]}}",
	};
	static const char many[] = HEAD TIME
	    ",\"input\":{\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":5,\"f\":6,"
	    "\"g\":7,\"h\":8,\"i\":{\"a\":[true,false,null,-0,\"\\n\"]}},"
	    "\"controls\":[{\"a\":1},\"x:1\",[],\"y:2\"],\"outcome\":7}";
	struct dec_reader r;
	struct dec_line l;
	size_t i;

	(void)state;
	assert_int_equal(dec_reader_init(&r), 0);
	assert_int_equal(dec_line_fast(&l, &r, "a1", plain, strlen(plain)), 0);
	assert_null(l.j);
	assert_true(l.seq == 1);
	assert_string_equal(l.channel, "stable");
	assert_string_equal(l.dec.outcome, "deny");
	assert_string_equal(l.dec.time, "2026-12-03T09:14:58.000001Z");
	assert_int_equal(l.dec.ncontrols, 2);
	assert_string_equal(l.dec.controls[0], "soc2:CC6.1");
	assert_string_equal(l.dec.controls[1], "pci:2.2");
	for (i = 0; i < sizeof(slow) / sizeof(slow[0]); i++)
		if (dec_line_fast(&l, &r, "a1", slow[i], strlen(slow[i])) != 1)
			fail_msg("read by the fast path: %s", slow[i]);
	assert_int_equal(dec_line_fast(&l, &r, "a1", many, strlen(many)), 0);
	assert_null(l.dec.outcome); /* not a string */
	assert_null(l.channel);
	assert_int_equal(l.dec.ncontrols, 2);
	assert_string_equal(l.dec.controls[0], "x:1");
	assert_string_equal(l.dec.controls[1], "y:2");
	dec_reader_cleanup(&r);
}

/* A byte of each class at every position of a string, across the
 * eight-byte steps of the scanner: valid ones are read by the fast path,
 * the others left to jansson. */
static void
test_decrecord__string_bytes(void **state)
{
	static const struct {
		const char *b;
		int fast;
	} cases[] = { { "\xc3\xa9", 1 }, { "\\n", 1 }, { "\\/", 1 },
		{ "\x01", 0 }, { "\x1f", 0 }, { "\xff", 0 }, { "\xc3", 0 },
		{ "\\u0041", 0 }, { "\\x", 0 }, { "\x7f", 1 } };
	struct dec_reader r;
	struct dec_line l;
	char line[256], str[64];
	size_t c, pos;
	int rc;

	(void)state;
	assert_int_equal(dec_reader_init(&r), 0);
	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++)
		for (pos = 0; pos < 20; pos++) {
			snprintf(str, sizeof(str), "%.*s%s%.*s", (int)pos,
			    "abcdefghijklmnopqrst", cases[c].b, (int)(20 - pos),
			    "ABCDEFGHIJKLMNOPQRST");
			snprintf(line, sizeof(line),
			    HEAD TIME ",\"input\":{\"s\":\"%s\"}}", str);
			rc = dec_line_fast(&l, &r, "a1", line, strlen(line));
			if (rc != (cases[c].fast ? 0 : 1))
				fail_msg("%d for %s", rc, line);
		}
	dec_reader_cleanup(&r);
}

/* Duplicate names in an object of more than 32 members (sorted, not
 * compared pair by pair). */
static void
test_decrecord__many_members(void **state)
{
	struct dec_reader r;
	struct dec_line l;
	char line[2048];
	int n, i, dup;

	(void)state;
	assert_int_equal(dec_reader_init(&r), 0);
	for (dup = 0; dup < 2; dup++) {
		n = snprintf(line, sizeof(line), HEAD TIME ",\"input\":{");
		for (i = 0; i < 40; i++)
			n += snprintf(line + n, sizeof(line) - (size_t)n,
			    "%s\"k%d\":%d", i ? "," : "",
			    dup && i == 39 ? 7 : i, i);
		snprintf(line + n, sizeof(line) - (size_t)n, "}}");
		assert_int_equal(dec_line_fast(&l, &r, "a1", line,
				     strlen(line)),
		    dup ? 1 : 0);
		assert_int_equal(check(line) == 0, !dup);
	}
	dec_reader_cleanup(&r);
}

/* The controls the fast path read are the array's non-empty strings. */
static void
same_controls(json_t *ctl, const struct dec_line *l)
{
	size_t i, n = 0;
	json_t *c;

	json_array_foreach(ctl, i, c)
	{
		if (!json_is_string(c) || json_string_length(c) == 0)
			continue;
		assert_true(n < l->dec.ncontrols);
		assert_string_equal(json_string_value(c), l->dec.controls[n]);
		n++;
	}
	assert_int_equal(n, l->dec.ncontrols);
}

/* The fast path accepts nothing jansson refuses: mutations of a plain
 * record (bytes replaced, inserted, removed; fixed seed, bounded) that it
 * reads must parse with jansson (duplicates refused) to the same seq,
 * agent, id, time, outcome, channel and controls. */
static void
test_decrecord__mutations_jansson_agrees(void **state)
{
	static const char base[] = HEAD TIME
	    ",\"outcome\":\"deny\",\"channel\":\"stable\",\"input\":{\"a\":"
	    "[1,-2,{\"b\":null}],\"c\":\"x\\\"y\\\\z\"},\"waived\":[],"
	    "\"controls\":[\"soc2:CC6.1\",\"c:2\"],\"latency_us\":40}";
	static const char alphabet[] =
	    "{}[]:,\"\\0123456789.eE-+ tfnulrsa\xc3\xa9\x01";
	unsigned seed = 12345;
	struct dec_reader r;
	struct dec_line l;
	char line[sizeof(base) + 8];
	size_t len, pos, i, fast = 0;
	json_error_t jerr;
	json_t *j;
	int round;

	(void)state;
	assert_int_equal(dec_reader_init(&r), 0);
	for (round = 0; round < 20000; round++) {
		memcpy(line, base, sizeof(base));
		len = sizeof(base) - 1;
		for (i = 0; i < 1 + (size_t)round % 3; i++) {
			seed = seed * 1103515245u + 12345u;
			pos = (seed >> 8) % len;
			seed = seed * 1103515245u + 12345u;
			char c = alphabet[(seed >> 8) % (sizeof(alphabet) - 1)];
			if (round % 5 == 0 && len < sizeof(line) - 2) {
				memmove(line + pos + 1, line + pos, len - pos);
				line[pos] = c;
				len++;
			} else if (round % 5 == 1 && len > 1) {
				memmove(line + pos, line + pos + 1,
				    len - pos - 1);
				len--;
			} else {
				line[pos] = c;
			}
		}
		if (dec_line_fast(&l, &r, "a1", line, len) != 0)
			continue;
		fast++;
		j = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
		if (j == NULL)
			fail_msg("fast path read what jansson refuses: %.*s (%s)",
			    (int)len, line, jerr.text);
		assert_true(json_is_integer(json_object_get(j, "seq")));
		assert_true((uint64_t)json_integer_value(
				json_object_get(j, "seq")) == l.seq);
		assert_string_equal(json_string_value(
					json_object_get(j, "agent")),
		    "a1");
		assert_string_equal(json_string_value(
					json_object_get(j, "time")),
		    l.dec.time);
		if (l.dec.outcome != NULL)
			assert_string_equal(json_string_value(
						json_object_get(j, "outcome")),
			    l.dec.outcome);
		else
			assert_null(
			    json_string_value(json_object_get(j, "outcome")));
		if (l.channel != NULL)
			assert_string_equal(json_string_value(
						json_object_get(j, "channel")),
			    l.channel);
		else
			assert_null(
			    json_string_value(json_object_get(j, "channel")));
		same_controls(json_object_get(j, "controls"), &l);
		json_decref(j);
	}
	print_message("%zu of 20000 mutations read by the fast path\n", fast);
	assert_true(fast > 100); /* the mutations do reach the fast path */
	dec_reader_cleanup(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decrecord__same_verdicts),
		cmocka_unit_test(test_decrecord__depth),
		cmocka_unit_test(test_decrecord__string_bytes),
		cmocka_unit_test(test_decrecord__many_members),
		cmocka_unit_test(test_decrecord__fast_fields),
		cmocka_unit_test(test_decrecord__mutations_jansson_agrees),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
