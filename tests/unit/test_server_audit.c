/* test_server_audit.c - the audit package's pieces that need no server:
 * scope matching, dates, and a summary recomputed identically from the
 * same records (the proofs: test_server_evaudit.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../server/audit.h"
#include "lockstep/error.h"

static void
test_server_audit__scope(void **state)
{
	struct ls_audit_opts o;
	json_t *c = json_pack("[s, s]", "soc2:CC6.10", "pci-dss:2.2.1");

	(void)state;
	memset(&o, 0, sizeof(o));
	o.control = "soc2:CC6.1";
	assert_int_equal(ls_audit_in_scope(c, &o), 0); /* no prefix match */
	o.control = "soc2:CC6.10";
	assert_int_equal(ls_audit_in_scope(c, &o), 1);
	o.control = NULL;
	o.framework = "soc";
	assert_int_equal(ls_audit_in_scope(c, &o), 0);
	o.framework = "pci-dss";
	assert_int_equal(ls_audit_in_scope(c, &o), 1);
	assert_int_equal(ls_audit_in_scope(NULL, &o), 0);
	json_decref(c);
}

static void
test_server_audit__dates(void **state)
{
	time_t t;

	(void)state;
	assert_int_equal(ls_audit_time(&t, "2026-07-01", 0), 0);
	assert_int_equal(t, 1782864000);
	assert_int_equal(ls_audit_time(&t, "2026-07-01", 1), 0);
	assert_int_equal(t, 1782864000 + 86399);
	assert_int_equal(ls_audit_time(&t, "2026-07-01T10:00:00Z", 1), 0);
	assert_int_equal(t, 1782864000 + 36000);
	assert_int_equal(ls_audit_time(&t, "2026-13-01", 0), LS_EFORMAT);
	assert_int_equal(ls_audit_time(&t, "yesterday", 0), LS_EFORMAT);
}

/* A decision with microseconds counts by its own time, tolerates extra
 * fields, and the same records give byte-identical renderings. */
static void
test_server_audit__summary(void **state)
{
	struct ls_audit_opts o;
	struct ls_buf a, b;
	json_t *recs = json_pack("[{s:i, s:s, s:s, s:s, s:{s:s, s:s, s:s, "
				 "s:s, s:[], s:[{s:s, s:s, s:s, s:s}], s:[s], "
				 "s:s}}]",
	    "n", 7, "time", "2026-07-09T00:00:00Z", "kind", "decision", "agent",
	    "a1", "details", "time", "2026-07-02T10:00:00.123456Z", "door",
	    "admission", "outcome", "allow", "version", "v1", "violations",
	    "waived", "id", "EXC-1", "owner", "o", "ticket", "T-1", "expires",
	    "2027-01-01", "controls", "soc2:CC6.1", "future_field", "x");
	json_t *s1 = NULL, *s2 = NULL;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.control = "soc2:CC6.1";
	assert_int_equal(ls_audit_time(&o.since, "2026-07-01", 0), 0);
	assert_int_equal(ls_audit_time(&o.until, "2026-07-03", 1), 0);
	o.generated = o.until;
	o.silent_hours = 24;
	assert_int_equal(ls_audit_summary(&s1, recs, &o), 0);
	assert_int_equal(ls_audit_summary(&s2, recs, &o), 0);
	assert_int_equal(json_integer_value(
			     json_object_get(json_object_get(s1, "decisions"),
				 "total")),
	    1);
	assert_non_null(
	    json_object_get(json_object_get(s1, "days"), "2026-07-02"));
	assert_string_equal(json_string_value(
				json_object_get(json_object_get(json_object_get(s1,
								    "controls"),
						    "soc2:CC6.1"),
				    "state")),
	    "not-satisfied"); /* silent for more than 24 h */
	ls_buf_init(&a, 1 << 20);
	ls_buf_init(&b, 1 << 20);
	assert_int_equal(ls_audit_render_html(&a, s1), 0);
	assert_int_equal(ls_audit_render_html(&b, s2), 0);
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.data, b.data, a.len);
	assert_non_null(memmem(a.data, a.len, "EXC-1", 5));
	ls_buf_cleanup(&a);
	ls_buf_cleanup(&b);
	json_decref(s1);
	json_decref(s2);
	json_decref(recs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_server_audit__scope),
		cmocka_unit_test(test_server_audit__dates),
		cmocka_unit_test(test_server_audit__summary),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
