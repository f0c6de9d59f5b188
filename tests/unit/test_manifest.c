/* test_manifest.c - the OPA .manifest: fields, defaults, hostile JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lockstep/error.h"
#include "lockstep/file.h"
#include "lockstep/manifest.h"

static int
parse_fixture(struct ls_manifest *m, const char *name)
{
	const char *root = getenv("LOCKSTEP_ROOT");
	char path[600], *data = NULL;
	size_t n = 0;
	int rc;

	snprintf(path, sizeof(path), "%s/tests/data/manifest/%s",
	    root ? root : ".", name);
	assert_int_equal(ls_file_read(&data, &n, path, 1 << 20), 0);
	rc = ls_manifest_parse(m, data, n);
	free(data);
	return rc;
}

static void
test_manifest__parse_all_fields(void **state)
{
	static const char js[] =
	    "{\"revision\": \"v1.2.0\", \"roots\": [\"kubernetes\", "
	    "\"lockstep\"], \"rego_version\": 0, \"metadata\": {\"z\": 1, "
	    "\"a\": [true]}, \"unknown\": 3}";
	struct ls_manifest m;

	(void)state;
	assert_int_equal(ls_manifest_parse(&m, js, strlen(js)), 0);
	assert_string_equal(m.revision, "v1.2.0");
	assert_int_equal(m.nroots, 2);
	assert_string_equal(m.roots[1], "lockstep");
	assert_int_equal(m.rego_version, 0);
	assert_string_equal(m.metadata_json, "{\"a\":[true],\"z\":1}");
	assert_int_equal(ls_manifest_check_roots(&m), 0);
	ls_manifest_cleanup(&m);
	ls_manifest_cleanup(&m); /* safe to repeat */
}

static void
test_manifest__defaults(void **state)
{
	struct ls_manifest m;

	(void)state;
	assert_int_equal(ls_manifest_parse(&m, "{}", 2), 0);
	assert_string_equal(m.revision, "");
	assert_int_equal(m.nroots, 1);
	assert_string_equal(m.roots[0], "");
	assert_null(m.metadata_json);
	assert_int_equal(m.rego_version, 1);
	ls_manifest_cleanup(&m);
}

static void
test_manifest__write_is_canonical(void **state)
{
	static const char js[] =
	    "{ \"roots\": [\"b\", \"a\"],\n\"metadata\": {\"y\": \"\\u00e9\", "
	    "\"x\": null}, \"revision\": \"r\" }";
	struct ls_manifest m, m2;
	char *out = NULL, *out2 = NULL;
	size_t n = 0, n2 = 0;

	(void)state;
	assert_int_equal(ls_manifest_parse(&m, js, strlen(js)), 0);
	assert_int_equal(ls_manifest_write(&out, &n, &m), 0);
	assert_string_equal(out,
	    "{\"metadata\":{\"x\":null,\"y\":\"\xc3\xa9\"},\"rego_"
	    "version\":1,\"revision\":\"r\",\"roots\":[\"b\",\"a\"]}\n");
	assert_int_equal(n, strlen(out));
	/* parse(write(m)) writes the same bytes */
	assert_int_equal(ls_manifest_parse(&m2, out, n), 0);
	assert_int_equal(ls_manifest_write(&out2, &n2, &m2), 0);
	assert_string_equal(out, out2);
	free(out);
	free(out2);
	ls_manifest_cleanup(&m);
	ls_manifest_cleanup(&m2);
}

static void
test_manifest__roots_overlap(void **state)
{
	struct ls_manifest m;

	(void)state;
	assert_int_equal(parse_fixture(&m, "overlapping-roots.json"), 0);
	assert_int_equal(ls_manifest_check_roots(&m), LS_ECONFLICT);
	assert_non_null(strstr(ls_error_last(), "kubernetes/admission"));
	ls_manifest_cleanup(&m);
	assert_int_equal(ls_manifest_parse(&m, "{\"roots\":[\"\",\"a\"]}", 18),
	    0);
	assert_int_equal(ls_manifest_check_roots(&m), LS_ECONFLICT);
	ls_manifest_cleanup(&m);
	assert_int_equal(ls_manifest_parse(&m, "{\"roots\":[\"ab\",\"a\"]}",
			     20),
	    0);
	/* "a" is a string prefix of "ab" but not a path prefix */
	assert_int_equal(ls_manifest_check_roots(&m), 0);
	ls_manifest_cleanup(&m);
}

static void
test_manifest__hostile_json(void **state)
{
	static const struct {
		const char *file;
		int rc;
		const char *msg;
	} cases[] = {
		{ "bad-syntax.json", LS_EFORMAT, "line 1" },
		{ "revision-not-string.json", LS_EFORMAT, "'revision'" },
		{ "roots-not-array.json", LS_EFORMAT, "'roots'" },
		{ "root-not-string.json", LS_EFORMAT, "'roots[1]'" },
		{ "rego-version-string.json", LS_EFORMAT, "'rego_version'" },
		{ "rego-version-2.json", LS_EFORMAT, "'rego_version'" },
		{ "metadata-not-object.json", LS_EFORMAT, "'metadata'" },
		{ "not-object.json", LS_EFORMAT, "object" },
		{ "duplicate-key.json", LS_EFORMAT, "duplicate" },
		{ "deep-nesting.json", LS_ETOOBIG, "nested deeper" },
	};
	struct ls_manifest m;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (parse_fixture(&m, cases[i].file) != cases[i].rc)
			fail_msg("%s: %s", cases[i].file, ls_error_last());
		if (strstr(ls_error_last(), cases[i].msg) == NULL)
			fail_msg("%s: message '%s'", cases[i].file,
			    ls_error_last());
		assert_null(m.revision); /* nothing half-filled */
		ls_manifest_cleanup(&m);
	}
}

static void
test_manifest__size_cap(void **state)
{
	struct ls_manifest m;
	char *big = malloc(LS_MANIFEST_MAX + 2);

	(void)state;
	assert_non_null(big);
	memset(big, ' ', LS_MANIFEST_MAX + 1);
	big[0] = '{';
	big[LS_MANIFEST_MAX] = '}';
	big[LS_MANIFEST_MAX + 1] = '\0';
	assert_int_equal(ls_manifest_parse(&m, big, LS_MANIFEST_MAX + 1),
	    LS_ETOOBIG);
	assert_int_equal(ls_manifest_parse(&m, big, LS_MANIFEST_MAX),
	    LS_EFORMAT); /* unterminated object */
	big[LS_MANIFEST_MAX - 1] = '}';
	assert_int_equal(ls_manifest_parse(&m, big, LS_MANIFEST_MAX), 0);
	ls_manifest_cleanup(&m);
	free(big);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_manifest__parse_all_fields),
		cmocka_unit_test(test_manifest__defaults),
		cmocka_unit_test(test_manifest__write_is_canonical),
		cmocka_unit_test(test_manifest__roots_overlap),
		cmocka_unit_test(test_manifest__hostile_json),
		cmocka_unit_test(test_manifest__size_cap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
