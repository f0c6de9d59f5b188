/*
 * test_rego_builtins.c - the builtin library: its helper layers (Go fmt,
 * RE2 regexes, globs, semver, CIDRs, time layouts, durations, exact
 * arithmetic) and builtins called through the registry with JSON
 * operands, compared with what opa v0.48 returns.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lockstep/error.h"
#include "rego/builtins/lib.h"
#include "rego/builtins.h"
#include "rego/number_arith.h"
#include "rego/value.h"

#include "bi_call.h"

static void
test_rego_builtins__sprintf_go_verbs(void **state)
{
	(void)state;
	CHECK("\"hi 05\"", "sprintf", 2, "\"hi %02d\"", "[5]");
	CHECK("\"hi 7F.01\"", "sprintf", 2, "\"hi %02X.%02X\"", "[127, 1]");
	CHECK("\"hi 3.14\"", "sprintf", 2, "\"hi %.2f\"", "[3.1415]");
	CHECK("\"hi 2e308\"", "sprintf", 2, "\"hi %v\"", "[2e308]");
	CHECK("\"123456789123456789123\"", "sprintf", 2, "\"%s\"",
	    "[123456789123456789123]");
	CHECK("\"%!d(string=x)\"", "sprintf", 2, "\"%d\"", "[\"x\"]");
	CHECK("\"a %!s(MISSING)\"", "sprintf", 2, "\"a %s\"", "[]");
	CHECK("\"1.0000005e+06 1.5 |  ab|ab  |\"", "sprintf", 2,
	    "\"%v %v |%4s|%-4s|\"", "[1000000.5e0, 1.5, \"ab\", \"ab\"]");
	CHECK("\"\\\"a\\\\n\\\" ff 0x10\"", "sprintf", 2, "\"%q %x %#x\"",
	    "[\"a\\n\", 255, 16]");
	CHECK("\"101 -17\"", "sprintf", 2, "\"%b %o\"", "[5, -15]");
	CHECK("\"b a b\"", "sprintf", 2, "\"%[2]s %[1]s %[2]s\"",
	    "[\"a\", \"b\"]");
	CHECK("\"%!s(BADINDEX)\"", "sprintf", 2, "\"%[3]s\"", "[\"a\"]");
	CHECK("\"int string float64\"", "sprintf", 2, "\"%T %T %T\"",
	    "[1, \"x\", 1.5]");
	CHECK("\"1%!(EXTRA string=x)\"", "sprintf", 2, "\"%d\"", "[1, \"x\"]");
}

static void
test_rego_builtins__regex_re2_semantics(void **state)
{
	struct bi_regex *re = NULL;
	long *m = NULL;
	size_t n = 0;

	(void)state;
	/* RE2 refuses lookaround and backreferences that PCRE2 accepts */
	assert_int_equal(bi_regex_get(&re, "(?=a)b", 6), LS_EFORMAT);
	assert_int_equal(bi_regex_get(&re, "(a)\\1", 5), LS_EFORMAT);
	assert_int_equal(bi_regex_get(&re, "a++", 3), LS_EFORMAT);
	assert_int_equal(bi_regex_get(&re, "a{1001}", 7), LS_EFORMAT);
	assert_int_equal(bi_regex_get(&re, "a{2}{3}", 7), LS_EFORMAT);
	assert_int_equal(bi_regex_get(&re, "a*{2}", 5), LS_EFORMAT);
	assert_int_equal(bi_regex_get(&re, "a{2}?b{,3}}", 11), 0);
	bi_regex_release(re);
	assert_int_equal(bi_regex_get(&re, "a{2,1000}", 9), 0);
	bi_regex_release(re);
	assert_int_equal(bi_regex_get(&re, "[", 1), LS_EFORMAT);
	assert_string_equal(ls_error_last(),
	    "error parsing regexp: missing closing ]: `[`");
	/* $ matches only at the very end, as in Go */
	assert_int_equal(bi_regex_get(&re, "a$", 2), 0);
	assert_int_equal(bi_regex_match(re, "a\n", 2), 0);
	assert_int_equal(bi_regex_match(re, "ba", 2), 1);
	bi_regex_release(re);
	/* empty matches next to a previous match are dropped, like Go */
	assert_int_equal(bi_regex_get(&re, "x*", 2), 0);
	assert_int_equal(bi_regex_find_all(&m, &n, re, "axxb", 4, -1), 0);
	assert_int_equal(n, 3);
	assert_int_equal(m[2], 1);
	assert_int_equal(m[3], 3);
	free(m);
	bi_regex_release(re);
	bi_regex_cache_clear();
	CHECK("[\"ar\",\"an\"]", "regex.find_n", 3, "\"a.\"", "\"paranormal\"",
	    "2");
	CHECK("[[\"som\",\"o\",\"m\"],[\"ri\",\"i\",\"\"]]",
	    "regex.find_all_string_submatch_n", 3,
	    "\"[^aouiye]([aouiye])([^aouiye])?\"", "\"somestri\"", "-1");
	CHECK("[\"b\",\"n\",\"n\",\"\"]", "regex.split", 2, "\"a\"",
	    "\"banana\"");
	CHECK("\"-0-0-\"", "regex.replace", 3, "\"-wy-wxxy-\"", "\"w(x*)y\"",
	    "\"0\"");
	CHECK("\"foofoo\"", "regex.replace", 3, "\"foo\"", "\"(foo)\"",
	    "\"$1$1\"");
	CHECK("true", "regex.template_match", 4, "\"urn:foo:{.*}\"",
	    "\"urn:foo:bar:baz\"", "\"{\"", "\"}\"");
	CHECK("false", "regex.is_valid", 1, "\"++\"");
	CHECK("ERR:re_match: error parsing regexp: missing closing ]: `[`",
	    "re_match", 2, "\"][\"", "\"x\"");
}

static int
glob(const char *pat, const char *delims, const char *s)
{
	uint32_t d[4];
	size_t i, n = strlen(delims);
	int m = -1;

	for (i = 0; i < n; i++)
		d[i] = (unsigned char)delims[i];
	assert_int_equal(bi_glob_match(&m, pat, strlen(pat), d, n, s,
			     strlen(s)),
	    0);
	return m;
}

static void
test_rego_builtins__glob_gobwas(void **state)
{
	int m = 0;

	(void)state;
	assert_int_equal(glob("*.github.com", ".", "api.github.com"), 1);
	assert_int_equal(glob("*.github.com", ".", "a.b.github.com"), 0);
	assert_int_equal(glob("api.**.com", ".", "api.cdn.github.com"), 1);
	assert_int_equal(glob("[!a-c]at", "", "fat"), 1);
	assert_int_equal(glob("{cat,bat,[fr]at}", "", "rat"), 1);
	assert_int_equal(glob("?at", "f", "fat"), 0);
	assert_int_equal(glob("*", "", "foo.bar"), 1);
	assert_int_equal(bi_glob_match(&m, "[abc", 4, NULL, 0, "a", 1),
	    LS_EFORMAT);
	/* pathological stars end with an error, not a hang */
	assert_int_equal(bi_glob_match(&m, "*a*a*a*a*a*a*a*a*a*a*a*b", 24, NULL,
			     0,
			     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
			     48),
	    LS_ETOOBIG);
	CHECK("true", "regex.globs_match", 2, "\"a.a.[0-9]+z\"",
	    "\".b.b2359825792*594823z\"");
	CHECK("false", "regex.globs_match", 2, "\"[a-z]+\"", "\"[0-9]*\"");
	CHECK("ERR:regex.globs_match: input:pqrs], pos:5, set-close ']' with no "
	      "preceding '[': the input provided is invalid",
	    "regex.globs_match", 2, "\"pqrs]\"", "\"[a-b]+\"");
	CHECK("false", "glob.match", 3, "\"*\"", "[]", "\"foo.bar\"");
}

static void
test_rego_builtins__semver(void **state)
{
	(void)state;
	assert_true(bi_semver_valid("1.0.0-alpha.1+build.5", 21));
	assert_false(bi_semver_valid("1.0", 3));
	assert_false(bi_semver_valid("01.0.0", 6));
	assert_true(
	    bi_semver_compare("1.0.0-alpha", 11, "1.0.0-alpha.1", 13) < 0);
	assert_true(bi_semver_compare("1.0.0-rc.1", 10, "1.0.0", 5) < 0);
	assert_true(bi_semver_compare("1.10.0", 6, "1.9.0", 5) > 0);
	CHECK("ERR:semver.compare: operand 1: string \"1\" is not a valid "
	      "SemVer",
	    "semver.compare", 2, "\"1\"", "\"1.0.0\"");
}

static void
test_rego_builtins__cidr(void **state)
{
	struct bi_net n[4];
	char txt[64];
	size_t k = 3;

	(void)state;
	assert_int_equal(bi_cidr_parse(&n[0], "2001:db8::1/64", 14), 0);
	bi_net_mask(&n[0]);
	bi_net_format(txt, &n[0], 1);
	assert_string_equal(txt, "2001:db8::/64");
	assert_int_equal(bi_cidr_parse(&n[0], "010.0.0.0/8", 11), LS_EFORMAT);
	assert_int_equal(bi_cidr_parse(&n[0], "192.0.2.112/30", 14), 0);
	assert_int_equal(bi_cidr_parse(&n[1], "192.0.2.116/31", 14), 0);
	assert_int_equal(bi_cidr_parse(&n[2], "192.0.2.118/31", 14), 0);
	bi_net_merge(n, &k);
	assert_int_equal(k, 1);
	bi_net_format(txt, &n[0], 1);
	assert_string_equal(txt, "192.0.2.112/29");
	CHECK("true", "net.cidr_contains", 2, "\"10.0.0.0/8\"", "\"10.1.2.3\"");
	CHECK("true", "net.cidr_contains", 2, "\"2001:4860:4860::8888/32\"",
	    "\"2001:4860:4860:1234::8888/40\"");
	CHECK("[\"192.168.1.0\",\"192.168.1.1\",\"192.168.1.2\","
	      "\"192.168.1.3\"]",
	    "net.cidr_expand", 1, "\"192.168.1.1/30\"");
	CHECK("[\"192.0.2.0/23\",\"192.0.4.0/24\",\"fe80::/120\"]",
	    "net.cidr_merge", 1,
	    "[\"fe80::/120\", \"192.0.2.0/24\", "
	    "\"192.0.3.0/24\", \"192.0.4.0/25\", \"192.0.4.128/25\"]");
}

static void
test_rego_builtins__time_layouts(void **state)
{
	struct bi_tz *tz = NULL;
	struct ls_buf b;
	int64_t sec = 0, ns = 0;
	int nsec = 0;

	(void)state;
	assert_int_equal(bi_time_parse(&sec, &nsec, "2006-01-02T15:04:05Z07:00",
			     25, "2017-06-02T19:00:00-07:00", 25),
	    0);
	assert_int_equal(sec, 1496455200);
	assert_int_equal(bi_time_parse(&sec, &nsec,
			     "01/02 03:04:05PM '06 -0700", 26,
			     "06/02 07:00:00PM '17 -0700", 26),
	    0);
	assert_int_equal(sec, 1496455200);
	assert_int_equal(bi_time_parse(&sec, &nsec, "2006-01-02", 10,
			     "2021-02-30", 10),
	    LS_EFORMAT);
	assert_int_equal(bi_tz_load(&tz, "Asia/Kolkata", 12), 0);
	ls_buf_init(&b, 256);
	assert_int_equal(bi_time_format(&b, "Mon Jan 02 15:04:05 -0700 2006",
			     30, 1670006453, 141828752, tz),
	    0);
	assert_string_equal(b.data, "Sat Dec 03 00:10:53 +0530 2022");
	bi_tz_free(tz);
	ls_buf_cleanup(&b);
	assert_int_equal(bi_tz_load(&tz, "../etc/passwd", 13), LS_ENOTFOUND);
	assert_int_equal(bi_duration_parse(&ns, "1h2m3.5s", 8), 0);
	assert_int_equal(ns, 3723500000000LL);
	assert_int_equal(bi_duration_parse(&ns, "5", 1), LS_EFORMAT);
	CHECK("\"2022-12-02T18:40:53.141828752Z\"", "time.format", 1,
	    "1670006453141828752");
	CHECK("[2018,2,4]", "time.date", 1,
	    "[1517814000000000000, \"America/Los_Angeles\"]");
	CHECK("[7,0,0]", "time.clock", 1,
	    "[1517832000000000000, \"America/New_York\"]");
	CHECK("\"Monday\"", "time.weekday", 1, "1517832000000000000");
	CHECK("1705257221593912000", "time.add_date", 4, "1585852421593912000",
	    "3", "9", "12");
	CHECK("-9223372036854775808", "time.parse_rfc3339_ns", 1,
	    "\"1677-09-21T00:12:43.145224192-00:00\"");
	CHECK("ERR:time.parse_rfc3339_ns: time outside of valid range",
	    "time.parse_rfc3339_ns", 1,
	    "\"2262-04-11T23:47:16.854775808-00:00\"");
	CHECK("ERR:time.parse_ns: parsing time \"2021-1-02\" as \"2006-01-02\": "
	      "cannot parse \"1-02\" as \"01\"",
	    "time.parse_ns", 2, "\"2006-01-02\"", "\"2021-1-02\"");
	CHECK("1496455200000000000", "time.parse_ns", 2, "\"RFC822Z\"",
	    "\"02 Jun 17 19:00 -0700\"");
	CHECK("1520294400000000000", "time.add_date", 4,
	    "[1517875200000000000, \"America/New_York\"]", "0", "1", "0");
	CHECK("[1,0,1,0,0,0]", "time.diff", 2, "1078012800000000000",
	    "1109635200000000000");
	CHECK("ERR:time.date: timestamp too big", "time.date", 1,
	    "1582977600000000000000");
}

static void
test_rego_builtins__units(void **state)
{
	(void)state;
	CHECK("1126.4", "units.parse", 1, "\"1.1Ki\"");
	CHECK("0.5", "units.parse", 1, "\"500m\"");
	CHECK("10240", "units.parse", 1, "\"10KI\"");
	CHECK("11529215046068469760", "units.parse", 1, "\"10Ei\"");
	CHECK("1000000000", "units.parse", 1, "\"1G\"");
	CHECK("4299161", "units.parse_bytes", 1, "\"4.1Mi\"");
	CHECK("ERR:units.parse_bytes: no byte amount provided",
	    "units.parse_bytes", 1, "\"GB\"");
	CHECK("ERR:units.parse: could not parse amount to a number",
	    "units.parse", 1, "\".5.2\"");
	CHECK("1500", "units.parse", 1, "\"1.5e3\"");
	CHECK("10000000000000000000", "units.parse", 1, "\"10e\"");
	CHECK("ERR:units.parse: exponent too large", "units.parse", 1,
	    "\"10e10000000Ei\"");
	CHECK("ERR:units.parse: spaces not allowed in resource strings",
	    "units.parse", 1, "\"100 k\"");
}

static void
test_rego_builtins__arithmetic_exact(void **state)
{
	(void)state;
	CHECK("49649733058", "plus", 2, "49649733057", "1");
	CHECK("18446744073709551614", "plus", 2, "9223372036854775807",
	    "9223372036854775807");
	CHECK("-9223372036854775809", "minus", 2, "-9223372036854775808", "1");
	CHECK("0.3", "plus", 2, "0.1", "0.2");
	CHECK("85070591730234615847396907784232501249", "mul", 2,
	    "9223372036854775807", "9223372036854775807");
	CHECK("0.33333333333333333334", "div", 2, "1", "3");
	CHECK("2", "div", 2, "6", "3");
	CHECK("ERR:div: divide by zero", "div", 2, "1", "0");
	CHECK("ERR:rem: modulo on floating-point number", "rem", 2, "1.1", "1");
	CHECK("-1", "rem", 2, "-7", "3");
	CHECK("3", "rem", 2, "100000000000000000000003", "10");
	CHECK("-2", "round", 1, "-1.5");
	CHECK("18446744073709551618", "sum", 1, "[18446744073709551617, 1]");
	CHECK("-9223372036854775809", "sum", 1, "[-9223372036854775808, -1]");
	CHECK("36893488147419103234", "product", 1,
	    "[18446744073709551617, 2]");
	CHECK("3.5", "sum", 1, "[1, 2.5]");
	CHECK("\"36893488147419103234\"", "sprintf", 2, "\"%v\"",
	    "[36893488147419103234]");
	CHECK("\"1000000000000000000000000000001\"", "sprintf", 2, "\"%v\"",
	    "[1000000000000000000000000000001]");
	CHECK("2223", "ceil", 1, "2222.2222222222");
	CHECK("-2", "floor", 1, "-1.001");
	CHECK("18446744073709551614", "bits.lsh", 2, "9223372036854775807",
	    "1");
	CHECK("1606938044258990275541962092341162602522202993782792835301376",
	    "bits.lsh", 2, "1", "200");
	CHECK("ERR:bits.and: operand 1 must be integer number but got "
	      "floating-point number",
	    "bits.and", 2, "7.2", "42");
	CHECK("[2,1,0,-1]", "numbers.range", 2, "2", "-1");
	CHECK("ERR:minus: operand 2 must be number but got object", "minus", 2,
	    "1", "{}");
}

static void
test_rego_builtins__strings_and_objects(void **state)
{
	(void)state;
	CHECK("\"cde\"", "substring", 3, "\"abcdefgh\"", "2", "3");
	CHECK("\"\xc3\xa4\xc3\xb6\"", "substring", 3,
	    "\"a\\u00e5\\u00e4\\u00f6\"", "2", "-1");
	CHECK("9", "indexof", 2, "\"sk\\u00f6n var v\\u00e5ren\"",
	    "\"v\\u00e5r\"");
	CHECK("\"xoobar\"", "strings.replace_n", 2,
	    "{\"f\": \"x\", \"foo\": \"xxx\"}", "\"foobar\"");
	CHECK("\"foo, bar\"", "trim_space", 1, "\" \\t\\n foo, bar \\n\\t\"");
	CHECK("\"oo.ba\"", "trim", 2, "\"...foo.bar...\"", "\".fr\"");
	CHECK("\"f\"", "format_int", 2, "15.5", "16");
	CHECK("\"[{\\\"foo\\\":[1,2,3]}]\"", "json.marshal", 1,
	    "[{\"foo\": [1, 2, 3]}]");
	CHECK("\"\\\"\\\\u003cb\\\\u003e\\\"\"", "json.marshal", 1, "\"<b>\"");
	CHECK("\"{\\n  \\\"a\\\": [\\n    1,\\n    {}\\n  ]\\n}\"",
	    "json.marshal_with_options", 2, "{\"a\": [1, {}]}",
	    "{\"indent\": \"  \", \"pretty\": true}");
	CHECK("\"[1]\"", "json.marshal_with_options", 2, "[1]",
	    "{\"indent\": \"  \", \"pretty\": false}");
	CHECK("\">[\\n>-1\\n>]\"", "json.marshal_with_options", 2, "[1]",
	    "{\"prefix\": \">\", \"indent\": \"-\"}");
	CHECK("ERR:json.marshal_with_options: operand 2 object contained "
	      "unknown key \"x\"",
	    "json.marshal_with_options", 2, "1", "{\"x\": 1}");
	CHECK("{\"a\":{\"b\":{\"c\":7}},\"e\":9}", "json.filter", 2,
	    "{\"a\": {\"b\": {\"c\": 7, \"d\": 8}}, \"e\": 9}",
	    "[\"a/b/c\", \"e\"]");
	CHECK("{\"a\":[{\"c\":8}]}", "json.remove", 2,
	    "{\"a\": [{\"b\": 7, \"c\": 8}, {\"d\": 9}]}",
	    "[\"a/0/b\", \"a/1\"]");
	CHECK("{\"a\":{\"b\":\"foo\",\"b1\":\"bar\"},\"d\":7,\"e\":17}",
	    "object.union", 2, "{\"a\": {\"b\": {\"c\": 1}}, \"e\": 1}",
	    "{\"a\": {\"b\": \"foo\", \"b1\": \"bar\"}, \"d\": 7, \"e\": 17}");
	CHECK("1", "object.get", 3, "{\"a\": {\"b\": [{\"c\": 1}]}}",
	    "[\"a\", \"b\", 0, \"c\"]", "2");
	CHECK("true", "object.subset", 2, "[1,2,3,4,5,6]", "[3,4,5]");
	CHECK("\"aGVsbG8\"", "base64url.encode_no_pad", 1, "\"hello\"");
	CHECK("\"hello\"", "base64url.decode", 1, "\"aGVsbG8\"");
	CHECK("ERR:hex.decode: encoding/hex: invalid byte: U+0067 'g'",
	    "hex.decode", 1, "\"fghijkl\"");
	CHECK("{\"a\":[\"1\",\"3\"],\"b\":[\"2\"]}", "urlquery.decode_object",
	    1, "\"a=1&b=2&a=3\"");
	CHECK("{\"a\":[\"value_a1\"],\"b\":[\"\"]}", "urlquery.decode_object",
	    1, "\"a=value_a1&b\"");
	CHECK("[[[],[1,2]],[[0],1],[[1],2]]", "walk", 1, "[1, 2]");
	CHECK("-42", "to_number", 1, "\"-42.0\"");
	CHECK("0.5", "to_number", 1, "\".5\"");
	CHECK("ERR:to_number: operand 1 must be valid number string but got "
	      "string",
	    "to_number", 1, "\"-Inf\"");
	CHECK("ERR:to_number: strconv.ParseFloat: parsing \"x1\": invalid "
	      "syntax",
	    "to_number", 1, "\"x1\"");
	CHECK("ERR:concat: operand 2 must be array of string but got array "
	      "containing number",
	    "concat", 2, "\",\"", "[\"a\", 1]");
	CHECK("ERR:http.send: invalid request parameters(s): {\"bad_key\"}",
	    "http.send", 1,
	    "{\"bad_key\": 1, \"method\": \"get\", \"url\": \"x\"}");
	CHECK("ERR:http.send: missing required request parameters(s): {\"url\"}",
	    "http.send", 1, "{\"method\": \"get\"}");
	CHECK("{}", "opa.runtime", 0);
	/* (sets cannot be written in JSON: arrays print as Rego text) */
	CHECK("\"foo 42 4.2 false null [] [\\\"x\\\"]\"",
	    "internal.template_string", 1,
	    "[\"foo \", 42, \" \", 4.2, \" \", false, \" \", null, \" \", [], \" \", "
	    "[\"x\"]]");
	CHECK("3", "count", 1, "\"\\u00e5\\u00e4\\u00f6\"");
	CHECK("[\"c\",\"d\"]", "strings.split_n", 3, "\"a.b.c.d\"", "\".\"",
	    "-2");
	CHECK("[\"a\",\"b\"]", "strings.split_n", 3, "\"abc\"", "\"\"", "2");
	CHECK("[[1],[2,3,[]],[4,5]]", "array.flatten", 1,
	    "[[[1], [2, 3, []]], [[4, 5]]]");
	CHECK("{\"clocksequence\":12800,\"domain\":\"Person\",\"id\":1000,"
	      "\"macvariables\":\"local:unicast\",\"nodeid\":"
	      "\"32-50-96-b3-9f-47\",\"time\":1693566990121469600,\"variant\":"
	      "\"RFC4122\",\"version\":2}",
	    "uuid.parse", 1,
	    "\"urn:uuid:000003e8-48b9-21ee-b200-325096b39f47\"");
	CHECK("{\"variant\":\"RFC4122\",\"version\":3}", "uuid.parse", 1,
	    "\"6bea8ef2d3d33cd184e09bab06a52ece\"");
	CHECK("UNDEF", "uuid.parse", 1, "\"123\"");
}

static void
test_rego_builtins__yaml(void **state)
{
	(void)state;
	CHECK("{\"foo\":[{\"qux\":\"bar\"},{\"baz\":2}]}", "yaml.unmarshal", 1,
	    "\"foo:\\n - qux: bar\\n - baz: 2\"");
	CHECK("\"- foo:\\n  - 1\\n  - 2\\n\"", "yaml.marshal", 1,
	    "[{\"foo\": [1, 2]}]");
	CHECK("\"- \\\"yes\\\"\\n- 'a: b'\\n- \\\"1\\\"\\n- \\\"x\\\\ny\\\"\\n- \\\"\\\"\\n\"",
	    "yaml.marshal", 1, "[\"yes\", \"a: b\", \"1\", \"x\\ny\", \"\"]");
	CHECK("[\"yes\",\"a: b\",\"1\",\"x\\ny\",\"\"]", "yaml.unmarshal", 1,
	    "\"- \\\"yes\\\"\\n- 'a: b'\\n- \\\"1\\\"\\n- \\\"x\\\\ny\\\"\\n- \\\"\\\"\\n\"");
	CHECK("[{\"foo\":[1,2]}]", "yaml.unmarshal", 1,
	    "\"- foo:\\n  - 1\\n  - 2\\n\"");
	CHECK("{\"a\":true,\"b\":\"yes\",\"c\":null,\"d\":1.5,\"e\":[1,\"x y\"],"
	      "\"f\":\"line1\\nline2\\n\",\"g\":{\"h\":\"it's\"}}",
	    "yaml.unmarshal", 1,
	    "\"# comment\\na: yes\\nb: 'yes'\\nc: ~\\nd: 1.5\\ne: [1, x y]\\n"
	    "f: |\\n  line1\\n  line2\\ng: {h: \\\"it's\\\"}\\n\"");
	CHECK("[{\"a\":1},{\"a\":1}]", "yaml.unmarshal", 1,
	    "\"- &x {a: 1}\\n- *x\"");
	CHECK("ERR:yaml.unmarshal: yaml: line 1: did not find expected ',' or "
	      "']'",
	    "yaml.unmarshal", 1, "\"[1,2,3\"");
	CHECK("false", "yaml.is_valid", 1,
	    "\"foo:\\n - qux: bar\\n - baz: {\"");
	CHECK("true", "yaml.is_valid", 1, "\"{\\\"json\\\": \\\"ok\\\"}\"");
}

/* Every prefix of a document that uses most of the syntax is either
 * valid or invalid YAML: no prefix may crash or trip a sanitizer. */
static void
test_rego_builtins__yaml_truncated_input(void **state)
{
	static const char doc[] =
	    "---\n# c\na: &x {b: [1, 'two', \"th\\u00e9\"]}\n"
	    "c:\n- d: |+\n    lit\n\n  e: >-\n    fold\n    ed\n- *x\n"
	    "- [x, {y: z}]\n'q': \"multi\n  line\"\n...\n";
	struct ls_arena *a = ls_arena_new(0);
	const struct ls_val *arg, *out;
	const struct ls_bi *bi = ls_bi_lookup("yaml.is_valid", 13);
	struct ls_bi_ctx ctx;
	size_t n;

	(void)state;
	memset(&ctx, 0, sizeof ctx);
	ctx.arena = a;
	ctx.name = bi->name;
	for (n = 0; n <= sizeof doc - 1; n++) {
		arg = ls_val_string(a, doc, n);
		out = NULL;
		assert_int_equal(bi->fn(&ctx, &arg, 1, &out), LS_BI_OK);
		assert_int_equal(out->type, LS_VAL_BOOL);
	}
	arg = ls_val_string(a, doc, sizeof doc - 1);
	assert_int_equal(bi->fn(&ctx, &arg, 1, &out), LS_BI_OK);
	assert_true(out->u.b);
	ls_arena_free(a);
}

static void
test_rego_builtins__render_template(void **state)
{
	(void)state;
	CHECK("\"hi x\"", "strings.render_template", 2, "\"hi {{.n}}\"",
	    "{\"n\": \"x\"}");
	CHECK("\"1 1.5 1e+06 true [1 2] map[a:1]\"", "strings.render_template",
	    2, "\"{{.a}} {{.b}} {{.c}} {{.d}} {{.e}} {{.f}}\"",
	    "{\"a\": 1, \"b\": 1.5, \"c\": 1000000, \"d\": true, \"e\": [1, 2], "
	    "\"f\": {\"a\": 1}}");
	CHECK("\"a=1;b=2;\"", "strings.render_template", 2,
	    "\"{{range $k, $v := .m}}{{$k}}={{$v}};{{end}}\"",
	    "{\"m\": {\"b\": 2, \"a\": 1}}");
	CHECK("\"<x-y-z>\"", "strings.render_template", 2,
	    "\"<{{- range $i, $e := .l}}{{if $i}}-{{end}}{{$e}}{{end -}} >\"",
	    "{\"l\": [\"x\", \"y\", \"z\"]}");
	CHECK("\"big\"", "strings.render_template", 2,
	    "\"{{if gt .n 10.0}}big{{else if eq .n 1.0}}one{{else}}small{{end}}\"",
	    "{\"n\": 42}");
	CHECK("\"none 3 B\"", "strings.render_template", 2,
	    "\"{{with .missing_ok}}x{{else}}none{{end}} {{len .l}} {{index .m \\\"b\\\"}}\"",
	    "{\"missing_ok\": null, \"l\": [1,2,3], \"m\": {\"b\": \"B\"}}");
	/* OPA 1.x renders a missing key (0.x: map has no entry for key) */
	CHECK("\"<undefined>\"", "strings.render_template", 2, "\"{{.b}}\"",
	    "{\"a\": 1}");
	CHECK("ERR:strings.render_template: template: template:1: unexpected "
	      "EOF",
	    "strings.render_template", 2, "\"{{if .a}}x\"", "{\"a\": 1}");
}

/* Hostile inputs for the parsers: random strings over each syntax's
 * alphabet.  A fixed seed keeps the run reproducible; every call must
 * return a result or an error, never crash or trip a sanitizer. */
static void
test_rego_builtins__random_patterns_do_not_crash(void **state)
{
	static const char *const alphabets[] = {
		"ab.*+?()[]{}^$|\\-:,0123456789<>=!PQE",     /* regex */
		"ab*?[]{},!\\-.",			     /* glob */
		"2006-01-02T15:04:05.999Z07:00 JanMon_PMpm", /* time layout */
		"ab-: #\n[]{},'\"|>&*!~0123.e",		     /* yaml */
		"{}.$ab|()\" 12=:,-",			     /* template */
	};
	static const char *const fns[] = { "re_match", "glob.match",
		"time.parse_ns", "yaml.is_valid", "strings.render_template" };
	struct ls_arena *a = ls_arena_new(0);
	unsigned long seed = 12345;
	char buf[40];
	int k, i, j;

	(void)state;
	for (k = 0; k < 5; k++) {
		const struct ls_bi *bi = ls_bi_lookup(fns[k], strlen(fns[k]));
		size_t al = strlen(alphabets[k]);
		for (i = 0; i < 1500; i++) {
			const struct ls_val *args[3], *out = NULL;
			struct ls_bi_ctx ctx;
			int n = (int)((seed >> 16) % (sizeof buf - 1)), rc;
			for (j = 0; j < n; j++) {
				seed = seed * 1103515245 + 12345;
				buf[j] = alphabets[k][(seed >> 16) % al];
			}
			seed = seed * 1103515245 + 12345;
			memset(&ctx, 0, sizeof ctx);
			ctx.arena = a;
			ctx.name = bi->name;
			args[0] = ls_val_string(a, buf, (size_t)n);
			args[1] = k == 1 ? ls_val_empty_array()
			    : k == 4	 ? ls_val_empty_object()
					 : ls_val_string(a, buf, (size_t)n);
			args[2] = ls_val_string(a, buf, (size_t)n);
			rc = bi->fn(&ctx, args, (size_t)bi->arity, &out);
			assert_true(rc == LS_BI_OK || rc == LS_BI_UNDEF ||
			    rc == LS_BI_ETYPE || rc == LS_BI_EBUILTIN);
		}
	}
	ls_arena_free(a);
	bi_regex_cache_clear();
}

static void
test_rego_builtins__json_schema(void **state)
{
	static const char schema[] = "{\"properties\": {\"id\": {\"type\": "
				     "\"integer\"}}, \"required\": [\"id\"]}";

	(void)state;
	CHECK("[true,[]]", "json.match_schema", 2, "{\"id\": 5}", schema);
	CHECK("[true,[]]", "json.match_schema", 2, "\"{\\\"id\\\": 5}\"",
	    schema);
	CHECK("[false,[{\"desc\":\"Invalid type. Expected: integer, given: "
	      "string\",\"error\":\"id: Invalid type. Expected: integer, given: "
	      "string\",\"field\":\"id\",\"type\":\"invalid_type\"}]]",
	    "json.match_schema", 2, "{\"id\": \"foo\"}", schema);
	CHECK("[false,[{\"desc\":\"id is required\",\"error\":\"(Root): id is "
	      "required\",\"field\":\"(Root)\",\"type\":\"required\"}]]",
	    "json.match_schema", 2, "{}", schema);
	CHECK("[false,[{\"desc\":\"(Root) must be one of the following: \",\""
	      "error\":\"(Root): (Root) must be one of the following: \",\"field\""
	      ":\"(Root)\",\"type\":\"enum\"}]]",
	    "json.match_schema", 2, "{\"value\": \"allow\"}", "{\"enum\": []}");
	CHECK("ERR:json.match_schema: has a primitive type that is NOT VALID -- "
	      "given: /unknown/ Expected valid values are:[array boolean integer "
	      "number null object string]",
	    "json.match_schema", 2, "{}",
	    "{\"properties\": {\"id\": {\"type\": \"unknown\"}}}");
	CHECK("[false,[{\"desc\":\"Must validate at least one schema (anyOf)\","
	      "\"error\":\"a.0: Must validate at least one schema (anyOf)\","
	      "\"field\":\"a.0\",\"type\":\"number_any_of\"},{\"desc\":"
	      "\"String length must be greater than or equal to 3\",\"error\":"
	      "\"a.0: String length must be greater than or equal to 3\",\"field\":"
	      "\"a.0\",\"type\":\"string_gte\"}]]",
	    "json.match_schema", 2, "{\"a\": [\"x\"]}",
	    "{\"definitions\": {\"s\": {\"type\": \"string\", "
	    "\"minLength\": 3}}, \"properties\": {\"a\": {\"items\": {\"anyOf\": "
	    "[{\"$ref\": \"#/definitions/s\"}, {\"type\": \"number\"}]}}}}");
	CHECK("ERR:json.match_schema: remote $ref is not supported: "
	      "http://x/s.json",
	    "json.match_schema", 2, "{}", "{\"$ref\": \"http://x/s.json\"}");
	CHECK("[true,null]", "json.verify_schema", 1, schema);
	CHECK("[false,\"jsonschema: has a primitive type that is NOT VALID "
	      "-- given: /bad/ Expected valid values are:[array boolean integer "
	      "number null object string]\"]",
	    "json.verify_schema", 1, "{\"type\": \"bad\"}");
}

/* The same for the one-string builtins that parse their operand. */
static void
test_rego_builtins__random_operands_do_not_crash(void **state)
{
	static const char alphabet[] = "0123456789.:/-+eEiKkMmGgbB x%=&\"{}[],"
				       "abcdef~";
	static const char *const fns[] = { "units.parse", "units.parse_bytes",
		"time.parse_duration_ns", "time.parse_rfc3339_ns",
		"net.cidr_is_valid", "net.cidr_expand", "uuid.parse",
		"base64.decode", "base64url.decode", "hex.decode",
		"urlquery.decode", "urlquery.decode_object", "json.unmarshal",
		"to_number", "semver.is_valid", "json.verify_schema",
		"yaml.unmarshal" };
	struct ls_arena *a = ls_arena_new(0);
	unsigned long seed = 777;
	char buf[48];
	size_t k;
	int i, j;

	(void)state;
	for (k = 0; k < sizeof fns / sizeof fns[0]; k++) {
		const struct ls_bi *bi = ls_bi_lookup(fns[k], strlen(fns[k]));
		assert_non_null(bi);
		for (i = 0; i < 800; i++) {
			const struct ls_val *arg, *out = NULL;
			struct ls_bi_ctx ctx;
			int n, rc;
			seed = seed * 1103515245 + 12345;
			n = (int)((seed >> 16) % (sizeof buf - 1));
			for (j = 0; j < n; j++) {
				seed = seed * 1103515245 + 12345;
				buf[j] = alphabet[(seed >> 16) %
				    (sizeof alphabet - 1)];
			}
			memset(&ctx, 0, sizeof ctx);
			ctx.arena = a;
			ctx.name = bi->name;
			arg = ls_val_string(a, buf, (size_t)n);
			rc = bi->fn(&ctx, &arg, 1, &out);
			assert_true(rc == LS_BI_OK || rc == LS_BI_UNDEF ||
			    rc == LS_BI_ETYPE || rc == LS_BI_EBUILTIN);
		}
	}
	ls_arena_free(a);
}

/* Many threads sharing the regex and time-zone caches, with more
 * patterns than the cache holds so entries are evicted while others are
 * in use: ASan would see a use after free. */
static void *
cache_worker(void *arg)
{
	static const char *const zones[] = { "Europe/Paris", "Asia/Tokyo",
		"America/New_York", "UTC" };
	unsigned long id = (unsigned long)(uintptr_t)arg;
	char pat[32], subj[32];
	int i;

	for (i = 0; i < 400; i++) {
		struct bi_regex *re = NULL;
		struct bi_tz *tz = NULL;
		int n = snprintf(pat, sizeof pat, "^x%lu_%d$",
		    (id + (unsigned long)i) % 3, i % 300);
		int m = snprintf(subj, sizeof subj, "x%lu_%d",
		    (id + (unsigned long)i) % 3, i % 300);
		if (bi_regex_get(&re, pat, (size_t)n) != 0 ||
		    bi_regex_match(re, subj, (size_t)m) != 1)
			return (void *)1;
		bi_regex_release(re);
		if (bi_tz_load(&tz, zones[i % 4], strlen(zones[i % 4])) != 0)
			return (void *)1;
		bi_tz_free(tz);
	}
	return NULL;
}

static void
test_rego_builtins__caches_under_threads(void **state)
{
	pthread_t th[4];
	void *res;
	unsigned long i;

	(void)state;
	for (i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&th[i], NULL, cache_worker,
				     (void *)(uintptr_t)i),
		    0);
	for (i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(th[i], &res), 0);
		assert_null(res);
	}
	bi_regex_cache_clear();
}

/* internal.template_string receives each {expr} as the set of its
 * values: empty is <undefined>, two values are an error. */
static void
test_rego_builtins__template_string_sets(void **state)
{
	struct ls_arena *a = ls_arena_new(0);
	const struct ls_bi *bi = ls_bi_lookup("internal.template_string", 24);
	const struct ls_val *one[1], *two[2], *parts[4], *arg, *out = NULL;
	struct ls_bi_ctx ctx;

	(void)state;
	memset(&ctx, 0, sizeof ctx);
	ctx.arena = a;
	ctx.name = bi->name;
	one[0] = ls_val_int(a, 7);
	parts[0] = ls_val_cstring(a, "n=");
	parts[1] = ls_val_set(a, one, 1);
	parts[2] = ls_val_cstring(a, " m=");
	parts[3] = ls_val_empty_set();
	arg = ls_val_array(a, parts, 4);
	assert_int_equal(bi->fn(&ctx, &arg, 1, &out), LS_BI_OK);
	assert_true(ls_val_is_string(out, "n=7 m=<undefined>"));
	two[0] = ls_val_int(a, 1);
	two[1] = ls_val_int(a, 2);
	parts[1] = ls_val_set(a, two, 2);
	arg = ls_val_array(a, parts, 2);
	assert_int_equal(bi->fn(&ctx, &arg, 1, &out), LS_BI_EBUILTIN);
	ls_arena_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rego_builtins__sprintf_go_verbs),
		cmocka_unit_test(test_rego_builtins__regex_re2_semantics),
		cmocka_unit_test(test_rego_builtins__glob_gobwas),
		cmocka_unit_test(test_rego_builtins__semver),
		cmocka_unit_test(test_rego_builtins__cidr),
		cmocka_unit_test(test_rego_builtins__time_layouts),
		cmocka_unit_test(test_rego_builtins__units),
		cmocka_unit_test(test_rego_builtins__arithmetic_exact),
		cmocka_unit_test(test_rego_builtins__strings_and_objects),
		cmocka_unit_test(test_rego_builtins__yaml),
		cmocka_unit_test(test_rego_builtins__render_template),
		cmocka_unit_test(test_rego_builtins__json_schema),
		cmocka_unit_test(
		    test_rego_builtins__random_patterns_do_not_crash),
		cmocka_unit_test(
		    test_rego_builtins__random_operands_do_not_crash),
		cmocka_unit_test(test_rego_builtins__caches_under_threads),
		cmocka_unit_test(test_rego_builtins__template_string_sets),
		cmocka_unit_test(test_rego_builtins__yaml_truncated_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
