/* test_agent_dectext.c - decision record lines written directly
 * (agent/dectext.h): JSON strings escaped (invalid UTF-8 replaced), input
 * compacted without touching strings, every line parses to the fields
 * the record had when jansson built it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "../../agent/dectext.h"
#include "lockstep/buf.h"

/* ls_dectext_line with the members of rest. */
static int
line_of(char **text, size_t *len, const struct ls_decision *d,
    enum ls_outcome oc, const json_t *rest, int splice)
{
	struct ls_buf m;
	int rc;

	ls_buf_init(&m, 1 << 20);
	rc = ls_dectext_members(&m, rest);
	if (rc == 0)
		rc = ls_dectext_line(text, len, d, oc, m.data ? m.data : "",
		    m.len, splice);
	ls_buf_cleanup(&m);
	return rc;
}

static char *
compact(const char *s)
{
	struct ls_buf b;
	char *out;

	ls_buf_init(&b, 1 << 20);
	assert_int_equal(ls_dectext_compact(&b, s, strlen(s)), 0);
	out = ls_buf_take(&b, NULL);
	return out != NULL ? out : strdup("");
}

static void
test_dectext__compact_keeps_strings(void **st)
{
	static const char *const cases[][2] = {
		{ "{ \"a\" : [1, 2,\n 3 ] }", "{\"a\":[1,2,3]}" },
		{ "\"a b\"", "\"a b\"" },
		{ "[\"x\\\" y\", \" z \"]", "[\"x\\\" y\",\" z \"]" },
		{ "[\"end\\\\\" , \"q\\\\\\\" r\" ]",
		    "[\"end\\\\\",\"q\\\\\\\" r\"]" },
		{ "{\"k\":\"\\\"\"\t,\r\n\"l\" :null}",
		    "{\"k\":\"\\\"\",\"l\":null}" },
		{ "  \"\\u00e9 \u00e9\"  ", "\"\\u00e9 \u00e9\"" },
	};
	size_t i;

	(void)st;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = compact(cases[i][0]);
		json_t *a = json_loads(cases[i][0], JSON_DECODE_ANY, NULL),
		       *b = json_loads(got, JSON_DECODE_ANY, NULL);

		assert_string_equal(got, cases[i][1]);
		assert_non_null(a);
		assert_true(json_equal(a, b)); /* the same value */
		json_decref(a);
		json_decref(b);
		free(got);
	}
}

/* The byte-at-a-time compaction ls_dectext_compact had before its
 * eight-byte steps: the reference it must agree with. */
static size_t
compact_ref(char *o, const char *s, size_t n)
{
	size_t i = 0, k = 0;
	char c;

	while (i < n) {
		c = s[i++];
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
			continue;
		o[k++] = c;
		if (c != '"')
			continue;
		while (i < n) {
			c = s[i++];
			o[k++] = c;
			if (c == '"')
				break;
			if (c == '\\' && i < n)
				o[k++] = s[i++];
		}
	}
	return k;
}

/* 20,000 seeded strings over the bytes that matter (blanks, quotes,
 * backslashes, runs of spaces, long plain runs), at every length up to
 * 80: the same bytes as the reference, whatever the alignment of a quote
 * or a backslash within the eight-byte steps. */
static void
test_dectext__compact_matches_reference(void **st)
{
	static const char *const atoms[] = { " ", "  ", "   ", "        ", "\n",
		"\n      ", "\t", "\r", "\"", "\\", "a", "abcdefgh", "xy", ",",
		":", "{", "]", "\xc3\xa9" };
	char in[400], want[400];
	struct ls_buf b;
	unsigned long x = 12345;
	size_t n, k, j;
	int r;

	(void)st;
	ls_buf_init(&b, 1 << 20);
	for (r = 0; r < 20000; r++) {
		n = 0;
		for (j = 0; j < (size_t)(r % 80); j++) {
			const char *a;

			x = x * 6364136223846793005ul + 1442695040888963407ul;
			a = atoms[(x >> 33) %
			    (sizeof(atoms) / sizeof(atoms[0]))];
			if (n + strlen(a) >= sizeof(in))
				break;
			memcpy(in + n, a, strlen(a) + 1); /* its NUL fits */
			n += strlen(a);
		}
		k = compact_ref(want, in, n);
		ls_buf_reset(&b);
		assert_int_equal(ls_dectext_compact(&b, in, n), 0);
		assert_int_equal(b.len, k);
		assert_memory_equal(b.data, want, k);
	}
	ls_buf_cleanup(&b);
}

static void
test_dectext__strings_escaped(void **st)
{
	static const char *const in[] = { "plain", "q\"b\\s/", "nl\n\ttab\x01",
		"\xc3\xa9t\xc3\xa9 \xf0\x9f\x94\x92",
		"bad\xff\xc3(\xed\xa0\x80x" };
	static const char *const want[] = {
		"plain", "q\"b\\s/", "nl\n\ttab\x01",
		"\xc3\xa9t\xc3\xa9 \xf0\x9f\x94\x92",
		"bad\xef\xbf\xbd\xef\xbf\xbd(\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdx"
	};
	struct ls_buf b;
	json_t *v;
	size_t i;

	(void)st;
	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		ls_buf_init(&b, 1024);
		assert_int_equal(ls_dectext_string(&b, in[i]), 0);
		v = json_loadb(b.data, b.len, JSON_DECODE_ANY, NULL);
		assert_non_null(v);
		assert_string_equal(json_string_value(v), want[i]);
		json_decref(v);
		ls_buf_cleanup(&b);
	}
}

static void
test_dectext__line_fields_in_order(void **st)
{
	static const char input[] =
	    "{\n  \"user\": \"a b\",\n  \"n\": [1, 2]\n}";
	struct ls_engine_active act;
	struct ls_decision d;
	json_t *rest = json_pack("{s:[{s:s}], s:[], s:[s]}", "violations",
		   "msg", "m\"1", "waived", "controls", "soc2:CC6.8"),
	       *line;
	const char *keys[] = { "door", "channel", "release", "bundle",
		"version", "path", "input_sha256", "outcome", "violations",
		"waived", "controls", "latency_us", "error", "input" };
	char *text = NULL;
	size_t len = 0, i;
	void *it;

	(void)st;
	memset(&act, 0, sizeof(act));
	snprintf(act.channel, sizeof(act.channel), "stable");
	snprintf(act.version, sizeof(act.version), "v1.2.0");
	snprintf(act.sha256, sizeof(act.sha256), "%064d", 0);
	act.seq = 7;
	memset(&d, 0, sizeof(d));
	d.door = LS_DOOR_ADMISSION;
	d.path = "k8s/admission/deny";
	d.input = input;
	d.input_len = strlen(input);
	d.error = "bad \"thing\"\n";
	d.latency_us = 42;
	d.act = &act;
	assert_int_equal(line_of(&text, &len, &d, LS_OUT_ERROR, rest, 1), 0);
	assert_non_null(text);
	assert_int_equal(strlen(text ? text : ""), len);
	assert_null(strchr(text ? text : "", '\n'));
	line = json_loads(text, 0, NULL);
	assert_non_null(line);
	for (i = 0, it = json_object_iter(line); it != NULL;
	     i++, it = json_object_iter_next(line, it))
		assert_string_equal(json_object_iter_key(it), keys[i]);
	assert_int_equal(i, sizeof(keys) / sizeof(keys[0]));
	assert_string_equal(json_string_value(json_object_get(line, "door")),
	    "admission");
	assert_int_equal(json_integer_value(json_object_get(line, "release")),
	    7);
	assert_string_equal(json_string_value(json_object_get(line, "outcome")),
	    "error");
	assert_string_equal(json_string_value(json_object_get(line, "error")),
	    "bad \"thing\"\n");
	assert_string_equal(json_string_value(
				json_object_get(json_object_get(line, "input"),
				    "user")),
	    "a b");
	assert_true(json_equal(json_object_get(line, "violations"),
	    json_object_get(rest, "violations")));
	assert_string_equal(json_string_value(
				json_object_get(line, "input_sha256")),
	    /* sha256 of the input bytes as received */
	    "81a90e7fecbfa4850639b1192474096ef132ed020c4ac1c90628b2658b3c3078");
	json_decref(line);
	json_decref(rest);
	free(text);
}

/* A parsed (masked) input goes through the writer: every JSON type. */
static void
test_dectext__tree_members_every_type(void **st)
{
	static const char tree[] =
	    "{\"input\": {\"z\": 1, \"a\": [true, false, "
	    "null, -7, 2.5, 1e300, \"\\u00e9\\n\"], "
	    "\"o\": {\"k\": {}}, \"e\": []}}";
	json_t *rest = json_loads(tree, 0, NULL), *line;
	struct ls_decision d;
	char *text = NULL;
	size_t len = 0;

	(void)st;
	assert_non_null(rest);
	memset(&d, 0, sizeof(d));
	d.path = "p";
	assert_int_equal(line_of(&text, &len, &d, LS_OUT_ALLOW, rest, 0), 0);
	assert_non_null(text);
	assert_non_null(strstr(text ? text : "",
	    "\"input\":{\"z\":1,\"a\":[true,false,"
	    "null,-7,2.5,"));
	line = json_loads(text, 0, NULL);
	assert_non_null(line);
	assert_true(json_equal(json_object_get(line, "input"),
	    json_object_get(rest, "input")));
	json_decref(line);
	json_decref(rest);
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dectext__compact_keeps_strings),
		cmocka_unit_test(test_dectext__compact_matches_reference),
		cmocka_unit_test(test_dectext__strings_escaped),
		cmocka_unit_test(test_dectext__line_fields_in_order),
		cmocka_unit_test(test_dectext__tree_members_every_type),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
