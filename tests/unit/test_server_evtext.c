/* test_server_evtext.c - entries stored from the caller's JSON text
 * (server/evtext.c, ls_evidence_append_texts). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../server/evidence.h"
#include "../../server/evidence_impl.h"
#include "lockstep/error.h"
#include "lockstep/file.h"

/* The head's strings come out byte for byte as jansson's compact dump of
 * the same object: every ASCII byte, UTF-8, absent channel and agent. */
static void
test_server_evtext__head_matches_jansson(void **state)
{
	char s[160], *text, *want;
	const char *chans[] = { s, NULL, "stable" };
	size_t len, i, k = 0;
	json_t *o;

	(void)state;
	for (i = 1; i < 128; i++)
		s[k++] = (char)i;
	memcpy(s + k, "\xc3\xa9\xe2\x82\xac", 5); /* é € */
	s[k + 5] = '\0';
	for (i = 0; i < 3; i++) {
		o = json_pack("{s:s, s:s, s:s?, s:s?, s:{s:i}}", "time",
		    "2026-01-02T03:04:05Z", "kind", "k\"\\\x01", "channel",
		    chans[i], "agent", chans[(i + 1) % 3], "details", "a", 1);
		assert_non_null(o);
		want = json_dumps(o, JSON_COMPACT);
		assert_int_equal(ev_entry_text(&text, &len,
				     "2026-01-02T03:04:05Z", "k\"\\\x01",
				     chans[i], chans[(i + 1) % 3], " {\"a\":1}\n",
				     9),
		    0);
		assert_string_equal(text, want);
		assert_int_equal(len, strlen(want));
		free(text);
		free(want);
		json_decref(o);
	}
}

/* A decision given as text is stored with that text (spaces and key
 * order as sent), indexed from its parsed form, and proven by the leaf
 * of the stored line; the next entry without text is serialised. */
static void
test_server_evtext__text_stored_as_sent(void **state)
{
	static const char rec[] =
	    "{\"time\": \"2026-01-02T03:04:05.000001Z\", \"outcome\": "
	    "\"deny\", \"controls\": [\"soc2:CC6.1\"], \"x\": 1.50}";
	char dir[64], path[PATH_MAX], *dump, *part;
	struct ls_evidence *ev = NULL;
	struct ls_evidence_item it[2];
	struct ls_evidence_text tx[2];
	uint8_t leaf[LS_SHA256_LEN], want[LS_SHA256_LEN];
	uint8_t proof[LS_MERKLE_MAX_PROOF][LS_SHA256_LEN];
	const char *line, *nl;
	size_t plen, dlen = 0;
	uint64_t first = 9;
	json_t *d = json_loads(rec, 0, NULL), *e = json_object();
	int fd;

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/ls-test-evt-XXXXXX");
	assert_non_null(mkdtemp(dir));
	assert_non_null(d);
	it[0] = (struct ls_evidence_item){ "decision", "stable", "a1", d };
	it[1] = (struct ls_evidence_item){ "operator", NULL, NULL, e };
	tx[0] = (struct ls_evidence_text){ rec, sizeof(rec) - 1 };
	tx[1] = (struct ls_evidence_text){ NULL, 0 };
	assert_int_equal(ls_evidence_open(&ev, dir, NULL, NULL), 0);
	assert_int_equal(ls_evidence_append_texts(ev, it, tx, 2, &first), 0);
	assert_int_equal(first, 0);
	assert_int_equal(ls_evidence_sync(ev, 10000), 0);

	snprintf(path, sizeof(path), "%s/dump", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ls_evidence_dump(dir, fd), 0);
	close(fd);
	assert_int_equal(ev_read_file(&dump, &dlen, path, 1 << 20), 0);
	line = dump;
	nl = strchr(line, '\n');
	assert_non_null(nl);
	assert_true(strncmp(line,
			"{\"n\":0,\"time\":\"", 15) == 0);
	assert_non_null(strstr(line, ",\"kind\":\"decision\",\"channel\":"
				     "\"stable\",\"agent\":\"a1\",\"details\":"));
	assert_true(strncmp(nl - sizeof(rec), rec, sizeof(rec) - 1) == 0);
	assert_true(nl[-1] == '}');
	assert_non_null(strstr(nl + 1, "\"kind\":\"operator\",\"channel\":"
				       "null,\"agent\":null,\"details\":{}}"));

	/* the proof's leaf is the stored line's */
	assert_int_equal(ls_evidence_proof(ev, 0, 2, leaf, proof, &plen), 0);
	ls_merkle_leaf(want, line, (size_t)(nl - line));
	assert_memory_equal(leaf, want, LS_SHA256_LEN);
	/* indexed from the record: its control's partition holds the line */
	snprintf(path, sizeof(path),
	    "%s/evidence/partitions/kind=decision/framework=soc2/"
	    "control=CC6.1/year=2026/month=01/day=02/%020d.jsonl",
	    dir, 0);
	assert_int_equal(ev_read_file(&part, &dlen, path, 1 << 20), 0);
	assert_true(strncmp(part, line, (size_t)(nl - line + 1)) == 0);
	free(part);
	free(dump);

	ls_evidence_free(ev);
	json_decref(d);
	json_decref(e);
	ls_file_remove_tree(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_server_evtext__head_matches_jansson),
		cmocka_unit_test(test_server_evtext__text_stored_as_sent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
