/* test_confin.c - configuration inputs as Conftest's parsers give them:
 * YAML (1.1 scalars, merges, streams, alias bombs), Dockerfile, TOML,
 * INI; caps and clear errors on hostile text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "confin.h"
#include "lockstep/error.h"

/* Parse text as fmt and return its canonical JSON (static buffer), or
 * NULL with the code in *rc. */
static const char *
as_json(enum ls_confin_fmt fmt, const char *text, int *rc)
{
	static char out[8192];
	struct ls_arena *a = ls_arena_new(64u << 20);
	const struct ls_val *v = NULL;
	struct ls_buf b;

	assert_non_null(a);
	ls_buf_init(&b, sizeof(out) - 1);
	*rc = ls_confin_parse(&v, a, fmt, text, strlen(text), "t");
	if (*rc == 0)
		assert_int_equal(ls_val_to_json(&b, v), 0);
	if (*rc == 0)
		snprintf(out, sizeof(out), "%s", b.data);
	ls_buf_cleanup(&b);
	ls_arena_free(a);
	return *rc == 0 ? out : NULL;
}

static void
expect(enum ls_confin_fmt fmt, const char *text, const char *json)
{
	int rc;
	const char *got = as_json(fmt, text, &rc);

	if (rc != 0)
		fail_msg("parse failed: %s", ls_error_last());
	assert_string_equal(got, json);
}

static void
test_confin__yaml_scalars_as_go_yaml_v2(void **state)
{
	(void)state;
	expect(LS_CONFIN_YAML,
	    "a: yes\nb: 0x1F\nc: 010\nd: 1_000\ne: 1.5\nf: ~\ng: '123'\n"
	    "h: 2001-12-14\ni: !Ref foo\nj: Off\nk: \"true\"\nl: -7\n"
	    "m: 1e3\nnn:\no: 18446744073709551615\n",
	    "{\"a\":true,\"b\":31,\"c\":8,\"d\":1000,\"e\":1.5,\"f\":null,"
	    "\"g\":\"123\",\"h\":\"2001-12-14\",\"i\":\"foo\",\"j\":false,"
	    "\"k\":\"true\",\"l\":-7,\"m\":1000,\"nn\":null,"
	    "\"o\":18446744073709551615}");
}

static void
test_confin__yaml_keys_are_text(void **state)
{
	(void)state;
	expect(LS_CONFIN_YAML, "1: one\ntrue: t\nnull: x\n",
	    "{\"1\":\"one\",\"null\":\"x\",\"true\":\"t\"}");
	/* YAML 1.1: y and n are booleans too, keys included (the "Norway
	 * problem" go-yaml v2 keeps) */
	expect(LS_CONFIN_YAML, "n: y\n", "{\"false\":true}");
}

static void
test_confin__yaml_stream_is_an_array(void **state)
{
	(void)state;
	expect(LS_CONFIN_YAML, "a: 1\n---\nb: 2\n", "[{\"a\":1},{\"b\":2}]");
	expect(LS_CONFIN_YAML, "---\na: 1\n", "{\"a\":1}");
	expect(LS_CONFIN_YAML, "a: 1\n---\n", "[{\"a\":1},null]");
	expect(LS_CONFIN_YAML, "", "null");
}

static void
test_confin__yaml_merge_and_alias(void **state)
{
	(void)state;
	expect(LS_CONFIN_YAML,
	    "base: &b {x: 1, z: 2}\nd:\n  <<: *b\n  z: 3\nl: [*b, *b]\n",
	    "{\"base\":{\"x\":1,\"z\":2},\"d\":{\"x\":1,\"z\":3},"
	    "\"l\":[{\"x\":1,\"z\":2},{\"x\":1,\"z\":2}]}");
	/* earlier merge sources win over later ones */
	expect(LS_CONFIN_YAML,
	    "a: &a {k: 1}\nb: &b {k: 2, j: 2}\nc:\n  <<: [*a, *b]\n",
	    "{\"a\":{\"k\":1},\"b\":{\"j\":2,\"k\":2},\"c\":{\"j\":2,\"k\":1}}");
}

static void
test_confin__yaml_plain_scalar_continued(void **state)
{
	(void)state;
	/* the case that stopped a library's METADATA in the old parser */
	expect(LS_CONFIN_YAML,
	    "description: a plain scalar\n  continued on the next line\n",
	    "{\"description\":\"a plain scalar continued on the next line\"}");
}

static void
test_confin__yaml_hostile(void **state)
{
	char *deep = malloc(1000);
	int rc, i;

	(void)state;
	assert_null(as_json(LS_CONFIN_YAML,
	    "a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
	    "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
	    "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
	    "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
	    "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
	    "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
	    "h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g,*g]\n",
	    &rc));
	assert_int_equal(rc, LS_ETOOBIG);
	assert_non_null(strstr(ls_error_last(), "node cap"));
	assert_non_null(deep);
	for (i = 0; i < 300; i++)
		deep[i] = '[';
	deep[300] = '\0';
	assert_null(as_json(LS_CONFIN_YAML, deep, &rc));
	assert_int_equal(rc, LS_ETOOBIG);
	free(deep);
	assert_null(as_json(LS_CONFIN_YAML, "a: [1, 2\nb: 3\n", &rc));
	assert_int_equal(rc, LS_EFORMAT);
	assert_non_null(strstr(ls_error_last(), "t: line "));
	assert_null(as_json(LS_CONFIN_YAML, "a: *nope\n", &rc));
	assert_int_equal(rc, LS_EFORMAT);
}

static void
test_confin__dockerfile(void **state)
{
	(void)state;
	expect(LS_CONFIN_DOCKERFILE,
	    "# syntax=docker/dockerfile:1\n"
	    "FROM alpine:3.19 AS build\n"
	    "# fetch tools\n"
	    "RUN apk add --no-cache \\\n    curl\n"
	    "ENV A=1 B=\"two words\"\n"
	    "FROM scratch\n"
	    "COPY --from=build /bin/sh /bin/sh\n"
	    "ENTRYPOINT [\"/bin/sh\", \"-c\"]\n"
	    "ONBUILD RUN echo hi\n",
	    "[[{\"Cmd\":\"from\",\"Flags\":null,\"JSON\":false,\"Stage\":0,"
	    "\"SubCmd\":\"\",\"Value\":[\"alpine:3.19\",\"AS\",\"build\"]},"
	    "{\"Cmd\":\"comment\",\"Flags\":null,\"JSON\":false,\"Stage\":0,"
	    "\"SubCmd\":\"\",\"Value\":[\"fetch tools\"]},"
	    "{\"Cmd\":\"run\",\"Flags\":null,\"JSON\":false,\"Stage\":0,"
	    "\"SubCmd\":\"\",\"Value\":[\"apk add --no-cache     curl\"]},"
	    "{\"Cmd\":\"env\",\"Flags\":null,\"JSON\":false,\"Stage\":0,"
	    "\"SubCmd\":\"\",\"Value\":[\"A\",\"1\",\"B\",\"\\\"two words\\\"\"]},"
	    "{\"Cmd\":\"from\",\"Flags\":null,\"JSON\":false,\"Stage\":1,"
	    "\"SubCmd\":\"\",\"Value\":[\"scratch\"]},"
	    "{\"Cmd\":\"copy\",\"Flags\":[\"--from=build\"],\"JSON\":false,"
	    "\"Stage\":1,\"SubCmd\":\"\",\"Value\":[\"/bin/sh\",\"/bin/sh\"]},"
	    "{\"Cmd\":\"entrypoint\",\"Flags\":null,\"JSON\":true,\"Stage\":1,"
	    "\"SubCmd\":\"\",\"Value\":[\"/bin/sh\",\"-c\"]},"
	    "{\"Cmd\":\"onbuild\",\"Flags\":null,\"JSON\":false,\"Stage\":1,"
	    "\"SubCmd\":\"run\",\"Value\":[\"echo hi\"]}]]");
}

static void
test_confin__dockerfile_errors(void **state)
{
	int rc;

	(void)state;
	assert_null(as_json(LS_CONFIN_DOCKERFILE, "FROM a\nFROBNICATE x\n",
	    &rc));
	assert_int_equal(rc, LS_EFORMAT);
	assert_string_equal(ls_error_last(), "t: line 2: unknown instruction");
	assert_null(as_json(LS_CONFIN_DOCKERFILE, "# only a comment\n", &rc));
	assert_int_equal(rc, LS_EFORMAT);
}

static void
test_confin__toml(void **state)
{
	(void)state;
	expect(LS_CONFIN_TOML,
	    "title = \"t\" # comment\n"
	    "n = 1_000\nh = 0xff\nf = 2.5\nb = true\n"
	    "d = 1979-05-27T07:32:00Z\n"
	    "s = '''\nraw \\n'''\n"
	    "a = [1, [2, 3], \"x\",]\n"
	    "site.\"google.com\" = true\n"
	    "[server]\nports = [ 8000,\n  8001 ]\ninline = { x = 1, y.z = 2 }\n"
	    "[[products]]\nname = \"a\"\n[[products]]\nname = \"b\"\n"
	    "[server.tls]\nmin = \"1.2\"\n",
	    "{\"a\":[1,[2,3],\"x\"],\"b\":true,\"d\":\"1979-05-27T07:32:00Z\","
	    "\"f\":2.5,\"h\":255,\"n\":1000,"
	    "\"products\":[{\"name\":\"a\"},{\"name\":\"b\"}],"
	    "\"s\":\"raw \\\\n\",\"server\":{\"inline\":{\"x\":1,\"y\":{\"z\":2}},"
	    "\"ports\":[8000,8001],\"tls\":{\"min\":\"1.2\"}},"
	    "\"site\":{\"google.com\":true},\"title\":\"t\"}");
}

static void
test_confin__toml_errors(void **state)
{
	static const char *const bad[] = {
		"a = 1\na = 2\n",	 /* key twice */
		"[t]\n[t]\n",		 /* table twice */
		"a = \"open\n",		 /* unterminated */
		"a = 01\n",		 /* leading zero */
		"a = inf\n",		 /* no JSON form */
		"a = {x = 1}\na.y = 2\n", /* inline tables are closed */
		"a = 1 b = 2\n",	 /* text after a value */
	};
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_null(as_json(LS_CONFIN_TOML, bad[i], &rc));
		assert_int_equal(rc, LS_EFORMAT);
		assert_non_null(strstr(ls_error_last(), "t: line "));
	}
}

static void
test_confin__ini(void **state)
{
	(void)state;
	expect(LS_CONFIN_INI,
	    "top = ignored\n; comment\n[server]\nport = 8080\n"
	    "enabled = true\nname = \"quoted # kept\"\nhost: example.org ; c\n"
	    "ratio = 0.5\nport = 9090\n[auth]\nverify_email = false\n",
	    "{\"auth\":{\"verify_email\":false},\"server\":{\"enabled\":true,"
	    "\"host\":\"example.org\",\"name\":\"quoted # kept\","
	    "\"port\":9090,\"ratio\":0.5}}");
}

static void
test_confin__formats_by_name(void **state)
{
	enum ls_confin_fmt f;
	int rc;

	(void)state;
	assert_int_equal(ls_confin_format_for(&f, "a/Dockerfile"), 0);
	assert_int_equal(f, LS_CONFIN_DOCKERFILE);
	assert_int_equal(ls_confin_format_for(&f, "x.Dockerfile"), 0);
	assert_int_equal(f, LS_CONFIN_DOCKERFILE);
	assert_int_equal(ls_confin_format_for(&f, "k8s/app.YML"), 0);
	assert_int_equal(f, LS_CONFIN_YAML);
	assert_int_equal(ls_confin_format_for(&f, "plan.json"), 0);
	assert_int_equal(f, LS_CONFIN_JSON);
	assert_int_equal(ls_confin_format_for(&f, "-"), 0);
	assert_int_equal(f, LS_CONFIN_YAML);
	assert_int_equal(ls_confin_format_for(&f, "README"), LS_ENOTFOUND);
	assert_int_equal(ls_confin_format_parse(&f, "hcl2"), 0);
	assert_null(as_json(f, "a = 1", &rc));
	assert_int_equal(rc, LS_EINVAL);
	assert_non_null(strstr(ls_error_last(), "HCL2"));
	assert_int_equal(ls_confin_format_parse(&f, "xml"), LS_EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_confin__yaml_scalars_as_go_yaml_v2),
		cmocka_unit_test(test_confin__yaml_keys_are_text),
		cmocka_unit_test(test_confin__yaml_stream_is_an_array),
		cmocka_unit_test(test_confin__yaml_merge_and_alias),
		cmocka_unit_test(test_confin__yaml_plain_scalar_continued),
		cmocka_unit_test(test_confin__yaml_hostile),
		cmocka_unit_test(test_confin__dockerfile),
		cmocka_unit_test(test_confin__dockerfile_errors),
		cmocka_unit_test(test_confin__toml),
		cmocka_unit_test(test_confin__toml_errors),
		cmocka_unit_test(test_confin__ini),
		cmocka_unit_test(test_confin__formats_by_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
