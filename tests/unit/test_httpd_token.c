/*
 * test_httpd_token.c - the server's token checks (server/httpd_parse.c),
 * shared by the admin, auditor and enrolment endpoints and fed by
 * tests/fuzz/http_parse.c: the Authorization scheme and the exact,
 * length-included comparison.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../../server/httpd_parse.h"

static void
test_bearer(void **state)
{
	const char *v = "Bearer abc";

	(void)state;
	assert_ptr_equal(httpd_bearer(v), v + 7);
	assert_string_equal(httpd_bearer("Bearer "), "");
	assert_null(httpd_bearer(NULL));
	assert_null(httpd_bearer("Bearer"));
	assert_null(httpd_bearer("Basic abc"));
	assert_null(httpd_bearer("abc"));
	/* the scheme is case-insensitive (RFC 9110, 11.1), the token not */
	assert_string_equal(httpd_bearer("bearer abc"), "abc");
	assert_string_equal(httpd_bearer("BEARER Abc"), "Abc");
	assert_null(httpd_bearer("Bearerabc"));
}

static void
test_token_equal(void **state)
{
	(void)state;
	assert_true(httpd_token_equal("lse_abc", "lse_abc"));
	assert_false(httpd_token_equal("lse_ab", "lse_abc"));
	assert_false(httpd_token_equal("lse_abcd", "lse_abc"));
	assert_false(httpd_token_equal("lse_abC", "lse_abc"));
	assert_false(httpd_token_equal(" lse_abc", "lse_abc"));
	assert_false(httpd_token_equal("", "lse_abc"));
	assert_false(httpd_token_equal(NULL, "lse_abc"));
	assert_false(httpd_token_equal("lse_abc", NULL));
	assert_false(httpd_token_equal(NULL, NULL));
	assert_false(
	    httpd_token_equal(httpd_bearer("Bearer  lse_abc"), "lse_abc"));
	assert_true(
	    httpd_token_equal(httpd_bearer("Bearer lse_abc"), "lse_abc"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bearer),
		cmocka_unit_test(test_token_equal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
