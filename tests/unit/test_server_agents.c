/* test_server_agents.c - enrolled keys: write budget, removal, tokens. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "../../server/agents.h"
#include "../../server/tokens.h"
#include "lockstep/error.h"
#include "lockstep/file.h"
#include "lockstep/key.h"

static char tmpdir[64];

static int
setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/ls-agents-XXXXXX");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	return ls_file_remove_tree(tmpdir);
}

static void
vkey_of(struct ls_vkey *vk, const char *name)
{
	struct ls_key *k = NULL;

	assert_int_equal(ls_key_generate(&k, name), 0);
	ls_key_vkey(vk, k);
	ls_key_free(k);
}

static void
test_server_agents__budget_counts_writes_and_bytes(void **state)
{
	struct ls_agents *a = NULL;
	struct ls_vkey vk;
	int i;

	(void)state;
	assert_int_equal(ls_agents_open(&a, tmpdir), 0);
	vkey_of(&vk, "a1");
	assert_int_equal(ls_agents_enroll(a, "a1", &vk), 0);
	assert_int_equal(ls_agents_charge(a, "nobody", 1), LS_ENOTFOUND);
	ls_agents_set_budget(a, 3, 1000);
	for (i = 0; i < 3; i++)
		assert_int_equal(ls_agents_charge(a, "a1", 10), 0);
	assert_int_equal(ls_agents_charge(a, "a1", 10), LS_ELIMIT);
	assert_non_null(strstr(ls_error_last(), "a1"));
	/* Bytes: a fresh key, a large write past what is left. */
	vkey_of(&vk, "a2");
	assert_int_equal(ls_agents_enroll(a, "a2", &vk), 0);
	assert_int_equal(ls_agents_charge(a, "a2", 900), 0);
	assert_int_equal(ls_agents_charge(a, "a2", 200), LS_ELIMIT);
	/* The refused write cost nothing. */
	assert_int_equal(ls_agents_charge(a, "a2", 100), 0);
	/* 0 turns a limit off. */
	ls_agents_set_budget(a, 0, 0);
	for (i = 0; i < 100; i++)
		assert_int_equal(ls_agents_charge(a, "a1", 1u << 20), 0);
	ls_agents_free(a);
}

static void
test_server_agents__remove_is_durable(void **state)
{
	struct ls_agents *a = NULL;
	struct ls_vkey vk, got;
	char path[256];

	(void)state;
	assert_int_equal(ls_agents_open(&a, tmpdir), 0);
	vkey_of(&vk, "gone");
	assert_int_equal(ls_agents_enroll(a, "gone", &vk), 0);
	assert_int_equal(ls_agents_set_seq(a, "gone", 7), 0);
	assert_int_equal(ls_agents_remove(a, "gone", &got), 0);
	assert_memory_equal(got.pub, vk.pub, sizeof(vk.pub));
	snprintf(path, sizeof(path), "%s/agents/gone.pub", tmpdir);
	assert_int_equal(ls_file_exists(path), 0);
	assert_int_equal(ls_agents_key(a, "gone", &got), LS_ENOTFOUND);
	assert_int_equal(ls_agents_remove(a, "gone", NULL), LS_ENOTFOUND);
	assert_int_equal(ls_agents_remove(a, "../x", NULL), LS_EINVAL);
	ls_agents_free(a);
	assert_int_equal(ls_agents_open(&a, tmpdir), 0);
	assert_int_equal(ls_agents_key(a, "gone", &got), LS_ENOTFOUND);
	/* Enrolled anew, its seqs start over. */
	assert_int_equal(ls_agents_enroll(a, "gone", &vk), 0);
	assert_int_equal(ls_agents_set_seq(a, "gone", 7), 0);
	ls_agents_reset_seq(a, "gone");
	assert_int_equal(ls_agents_check_seq(a, "gone", 1), 0);
	ls_agents_free(a);
}

static int enrol_calls, enrol_result;

static int
enrol_cb(void *arg)
{
	(void)arg;
	enrol_calls++;
	return enrol_result;
}

static void
test_server_agents__token_single_use_and_bound(void **state)
{
	char tok[LS_TOKEN_LEN + 1], id[LS_TOKEN_ID_LEN + 1], id2[17];
	struct ls_tokens *t = NULL;
	struct ls_vkey vk, other, evil;
	time_t exp;

	(void)state;
	assert_int_equal(ls_tokens_open(&t, tmpdir), 0);
	vkey_of(&vk, "web-1");
	vkey_of(&other, "web-1");
	vkey_of(&evil, "web-2");
	assert_int_equal(ls_tokens_create(t, tok, id, &exp, "web-1", 60), 0);
	assert_int_equal(strlen(tok), LS_TOKEN_LEN);
	assert_int_equal(ls_tokens_create(t, tok, id, &exp, "../x", 60),
	    LS_EINVAL);
	assert_int_equal(ls_tokens_create(t, tok, id, &exp, "web-1", 0),
	    LS_EINVAL);
	assert_int_equal(ls_tokens_create(t, tok, id, &exp, "web-1", 60), 0);
	enrol_calls = 0;
	/* Another name, a shorter or longer token: refused, no enrolment. */
	assert_int_equal(ls_tokens_spend(t, tok, strlen(tok), &evil, enrol_cb,
			     NULL, id2),
	    LS_EBADSIG);
	assert_int_equal(ls_tokens_spend(t, tok, strlen(tok) - 1, &vk, enrol_cb,
			     NULL, id2),
	    LS_ENOTFOUND);
	assert_int_equal(enrol_calls, 0);
	/* The name is taken: the token stays unused. */
	enrol_result = LS_ECONFLICT;
	assert_int_equal(ls_tokens_spend(t, tok, strlen(tok), &vk, enrol_cb,
			     NULL, id2),
	    LS_ECONFLICT);
	enrol_result = 0;
	assert_int_equal(ls_tokens_spend(t, tok, strlen(tok), &vk, enrol_cb,
			     NULL, id2),
	    0);
	assert_string_equal(id, id2);
	/* Once used: the same key again is fine, any other key is not. */
	assert_int_equal(ls_tokens_spend(t, tok, strlen(tok), &other, enrol_cb,
			     NULL, id2),
	    LS_EBADSIG);
	assert_int_equal(ls_tokens_spend(t, tok, strlen(tok), &vk, enrol_cb,
			     NULL, id2),
	    0);
	assert_int_equal(enrol_calls, 3);
	ls_tokens_free(t);
	ls_tokens_free(NULL);
}

static void
test_server_agents__token_expires(void **state)
{
	char tok[LS_TOKEN_LEN + 1], id[LS_TOKEN_ID_LEN + 1];
	struct ls_tokens *t = NULL;
	struct ls_vkey vk;
	time_t exp;

	(void)state;
	assert_int_equal(ls_tokens_open(&t, tmpdir), 0);
	vkey_of(&vk, "late");
	assert_int_equal(ls_tokens_create(t, tok, id, &exp, "late", 1), 0);
	sleep(2);
	enrol_calls = 0;
	assert_int_equal(ls_tokens_spend(t, tok, strlen(tok), &vk, enrol_cb,
			     NULL, id),
	    LS_EEXPIRED);
	assert_int_equal(enrol_calls, 0);
	ls_tokens_free(t);
	/* Reopening sweeps it away. */
	assert_int_equal(ls_tokens_open(&t, tmpdir), 0);
	assert_int_equal(ls_tokens_spend(t, tok, strlen(tok), &vk, enrol_cb,
			     NULL, id),
	    LS_ENOTFOUND);
	ls_tokens_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    test_server_agents__budget_counts_writes_and_bytes),
		cmocka_unit_test(test_server_agents__remove_is_durable),
		cmocka_unit_test(
		    test_server_agents__token_single_use_and_bound),
		cmocka_unit_test(test_server_agents__token_expires),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, setup, teardown);
}
