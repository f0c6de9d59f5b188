/* test_controls.c - control map and exceptions (lockstep/data.json). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lockstep/bundle.h"
#include "lockstep/controls.h"
#include "lockstep/error.h"
#include "lockstep/file.h"
#include "lockstep/timefmt.h"

static const char *
root_dir(void)
{
	const char *r = getenv("LOCKSTEP_ROOT");

	return r != NULL ? r : ".";
}

static int
parse_fixture(struct ls_controls *c, const char *name)
{
	char path[600], *data = NULL;
	size_t n = 0;
	int rc;

	snprintf(path, sizeof(path), "%s/tests/data/controls/%s", root_dir(),
	    name);
	assert_int_equal(ls_file_read(&data, &n, path, 1 << 20), 0);
	rc = ls_controls_parse(c, data, n, name);
	free(data);
	return rc;
}

static time_t
at(const char *s)
{
	time_t t = 0;

	assert_int_equal(ls_time_parse(&t, s, strlen(s)), 0);
	return t;
}

static void
test_controls__example_repository(void **state)
{
	static const char *want[] = { "pci-dss:2.2.1", "soc2:A1.1",
		"soc2:CC6.1", "soc2:CC6.8", "soc2:CC8.1" };
	struct ls_controls c;
	char dir[600], **list = NULL;
	size_t n = 0, i;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/bundles/example", root_dir());
	assert_int_equal(ls_controls_load_dir(&c, dir), 0);
	assert_int_equal(c.ntargets, 6);
	assert_string_equal(c.targets[0].target,
	    "data.kubernetes.admission.deny"); /* sorted */
	assert_int_equal(ls_controls_list(&list, &n, &c), 0);
	assert_int_equal(n, 5);
	for (i = 0; i < n; i++)
		assert_string_equal(list[i], want[i]);
	assert_null(list[n]);
	ls_controls_list_free(list);
	assert_int_equal(c.nexceptions, 1);
	assert_string_equal(c.exceptions[0].id, "EXC-2026-001");
	assert_string_equal(c.exceptions[0].ticket, "SEC-4711");
	assert_string_equal(c.exceptions[0].exempts_json,
	    "{\"check\":\"host-path\",\"name\":\"node-exporter\",\"namespace\":"
	    "\"monitoring\"}");
	ls_controls_cleanup(&c);
	ls_controls_cleanup(&c);
}

static void
test_controls__expiry_is_end_of_day(void **state)
{
	struct ls_controls c;
	char dir[600];

	(void)state;
	snprintf(dir, sizeof(dir), "%s/bundles/example", root_dir());
	assert_int_equal(ls_controls_load_dir(&c, dir), 0);
	assert_int_equal(ls_controls_check_exceptions(&c,
			     at("2026-11-24T04:00:00Z")),
	    0);
	assert_int_equal(ls_controls_check_exceptions(&c,
			     at("2027-12-31T23:59:59Z")),
	    0);
	assert_int_equal(ls_controls_check_exceptions(&c,
			     at("2028-01-01T00:00:00Z")),
	    LS_EEXPIRED);
	assert_non_null(strstr(ls_error_last(), "EXC-2026-001"));
	assert_non_null(strstr(ls_error_last(), "SEC-4711"));
	assert_non_null(strstr(ls_error_last(), "2027-12-31"));
	ls_controls_cleanup(&c);
}

static void
test_controls__expired_exception_named(void **state)
{
	struct ls_controls c;

	(void)state;
	assert_int_equal(parse_fixture(&c, "expired.json"), 0);
	assert_int_equal(ls_controls_check_exceptions(&c, at("2026-11-24")),
	    LS_EEXPIRED);
	assert_non_null(strstr(ls_error_last(),
	    "1 expired exception: exception EXC-OLD (owner team-b@example.com, "
	    "ticket SEC-9) expired 2024-06-30"));
	assert_null(strstr(ls_error_last(), "EXC-1 "));
	assert_int_equal(ls_controls_check_exceptions(&c, at("2030-01-01")),
	    LS_EEXPIRED);
	assert_non_null(strstr(ls_error_last(), "2 expired exceptions"));
	ls_controls_cleanup(&c);
}

static void
test_controls__from_bundle_files(void **state)
{
	static const char js[] =
	    "{\"exceptions\": [{\"id\": \"E1\", \"owner\": "
	    "\"o\", \"ticket\": \"T-1\", \"reason\": \"r\", "
	    "\"expires\": \"2026-01-01T00:00:00Z\", "
	    "\"exempts\": {\"check\": \"x\"}}]}";
	struct ls_bundle_files f;
	struct ls_controls c;

	(void)state;
	ls_bundle_files_init(&f);
	assert_int_equal(ls_controls_from_files(&c, &f), 0);
	assert_int_equal(c.nexceptions, 0);
	assert_int_equal(ls_bundle_files_add(&f, LS_CONTROLS_FILE, js,
			     strlen(js)),
	    0);
	assert_int_equal(ls_controls_from_files(&c, &f), 0);
	assert_int_equal(c.nexceptions, 1);
	/* an RFC 3339 expiry is exact, not the end of a day */
	assert_int_equal(ls_controls_check_exceptions(&c,
			     at("2025-12-31T23:59:59Z")),
	    0);
	assert_int_equal(ls_controls_check_exceptions(&c,
			     at("2026-01-01T00:00:00Z")),
	    LS_EEXPIRED);
	ls_controls_cleanup(&c);
	ls_bundle_files_cleanup(&f);
}

static void
test_controls__absent_file_is_empty(void **state)
{
	struct ls_controls c;
	char **list = NULL;
	size_t n = 1;

	(void)state;
	assert_int_equal(ls_controls_load_dir(&c, "/nonexistent"), 0);
	assert_int_equal(c.ntargets, 0);
	assert_int_equal(c.nexceptions, 0);
	assert_int_equal(ls_controls_list(&list, &n, &c), 0);
	assert_int_equal(n, 0);
	assert_null(list[0]);
	ls_controls_list_free(list);
	assert_int_equal(ls_controls_check_exceptions(&c, 0), 0);
	ls_controls_cleanup(&c);
}

static void
test_controls__hostile_files(void **state)
{
	static const struct {
		const char *file;
		int rc;
		const char *msg;
	} cases[] = {
		{ "bad-syntax.json", LS_EFORMAT, "line 1" },
		{ "bad-control-id.json", LS_EFORMAT, "controls.data.a.b[0]" },
		{ "bad-target.json", LS_EFORMAT, "'a.b'" },
		{ "controls-not-array.json", LS_EFORMAT, "controls.data.a.b" },
		{ "missing-owner.json", LS_EFORMAT,
		    "exceptions[0].owner: missing" },
		{ "unknown-key.json", LS_EFORMAT, "unknown key 'expire'" },
		{ "unknown-top-key.json", LS_EFORMAT, "'exception'" },
		{ "duplicate-id.json", LS_ECONFLICT, "'EXC-1' used twice" },
		{ "bad-expiry.json", LS_EFORMAT, "exceptions[0].expires" },
		{ "empty-exempts.json", LS_EFORMAT, "exempts" },
		{ "exceptions-not-array.json", LS_EFORMAT, "exceptions" },
		{ "deep-nesting.json", LS_ETOOBIG, "nested deeper" },
	};
	struct ls_controls c;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (parse_fixture(&c, cases[i].file) != cases[i].rc)
			fail_msg("%s: %s", cases[i].file, ls_error_last());
		if (strstr(ls_error_last(), cases[i].msg) == NULL ||
		    strstr(ls_error_last(), cases[i].file) == NULL)
			fail_msg("%s: message '%s'", cases[i].file,
			    ls_error_last());
		assert_int_equal(c.ntargets + c.nexceptions, 0);
		ls_controls_cleanup(&c);
	}
}

static void
test_controls__size_cap(void **state)
{
	struct ls_controls c;
	char *big = calloc(1, LS_CONTROLS_MAX + 2);

	(void)state;
	assert_non_null(big);
	memset(big, ' ', LS_CONTROLS_MAX + 1);
	big[0] = '{';
	big[LS_CONTROLS_MAX] = '}';
	assert_int_equal(ls_controls_parse(&c, big, LS_CONTROLS_MAX + 1, "x"),
	    LS_ETOOBIG);
	free(big);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_controls__example_repository),
		cmocka_unit_test(test_controls__expiry_is_end_of_day),
		cmocka_unit_test(test_controls__expired_exception_named),
		cmocka_unit_test(test_controls__from_bundle_files),
		cmocka_unit_test(test_controls__absent_file_is_empty),
		cmocka_unit_test(test_controls__hostile_files),
		cmocka_unit_test(test_controls__size_cap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
