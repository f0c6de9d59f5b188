/*
 * test_server_store.c - the server's data folder: lock, publish order and
 * documents, restart knowledge of built tags, roll-forward, pin / rollback
 * / unpin with held builds and floor, enrolment and signed reports.
 */
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

#include "../../server/store.h"
#include "lockstep/bundle.h"
#include "lockstep/doc.h"
#include "lockstep/error.h"
#include "lockstep/file.h"
#include "lockstep/hash.h"
#include "lockstep/key.h"
#include "lockstep/note.h"
#include "lockstep/timefmt.h"

struct fx {
	char dir[64], keys[96], data[96];
};

static void
make_keys(const char *dir)
{
	static const char *roles[] = { "root", "release", "timestamp", "log" };
	struct ls_key *k[4] = { NULL };
	struct ls_root r;
	struct ls_vkey vk;
	char *body = NULL, *note = NULL, path[160];
	size_t blen, nlen;
	int i;

	memset(&r, 0, sizeof(r));
	assert_int_equal(ls_file_mkdirs(dir, 0700), 0);
	snprintf(r.origin, sizeof(r.origin), "test.origin");
	r.version = 1;
	r.expires = time(NULL) + 86400;
	for (i = 0; i < 4; i++) {
		assert_int_equal(ls_key_generate(&k[i], roles[i]), 0);
		assert_int_equal(ls_key_save(k[i], dir), 0);
		ls_key_vkey(&vk, k[i]);
		assert_int_equal(ls_keyset_add(&r.keys[i], &vk), 0);
		r.threshold[i] = 1;
	}
	assert_int_equal(ls_root_body(&body, &blen, &r), 0);
	assert_int_equal(ls_note_sign(&note, &nlen, body, blen, &k[0], 1), 0);
	snprintf(path, sizeof(path), "%s/1.root.note", dir);
	assert_int_equal(ls_file_write_atomic(path, note, nlen, 0644), 0);
	free(body);
	free(note);
	ls_root_cleanup(&r);
	for (i = 0; i < 4; i++)
		ls_key_free(k[i]);
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (f == NULL || sodium_init() < 0) {
		free(f);
		return -1;
	}
	snprintf(f->dir, sizeof(f->dir), "/tmp/ls-test-store-XXXXXX");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	snprintf(f->keys, sizeof(f->keys), "%s/keys", f->dir);
	snprintf(f->data, sizeof(f->data), "%s/data", f->dir);
	make_keys(f->keys);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	ls_file_remove_tree(f->dir);
	free(f);
	return 0;
}

static struct ls_store *
open_store(struct fx *f)
{
	struct ls_store_opts o = { f->data, f->keys, 3600, NULL, NULL };
	struct ls_store *s = NULL;

	assert_int_equal(ls_store_open(&s, &o), 0);
	return s;
}

/* A finished build of tag with one module whose text names the tag. */
static void
build_done(struct ls_store *s, const char *tag, int ok)
{
	struct ls_build b;
	char src[128];

	ls_build_init(&b, "stable", tag);
	snprintf(src, sizeof(src), "package p\n# %s\n", tag);
	assert_int_equal(ls_bundle_files_add(&b.files, "p.rego", src,
			     strlen(src)),
	    0);
	memset(b.commit, 'a', 40);
	b.ok = ok;
	if (ok) {
		assert_int_equal(ls_bundle_write(&b.tgz, &b.files), 0);
		ls_sha256_hex(b.sha256, b.tgz.data, b.tgz.len);
	} else {
		snprintf(b.failed_stage, sizeof(b.failed_stage), "test");
		snprintf(b.reason, sizeof(b.reason), "1 of 1 tests failed");
	}
	assert_int_equal(ls_store_build_done(s, &b), 0);
	ls_build_cleanup(&b);
}

static char *
read_doc(struct fx *f, const char *rel)
{
	char path[256], *text = NULL;

	snprintf(path, sizeof(path), "%s/v1/channels/stable/%s", f->data, rel);
	if (ls_file_read(&text, NULL, path, LS_NOTE_MAX) != 0)
		return NULL;
	return text;
}

static uint64_t
ts_release(struct fx *f)
{
	char *t = read_doc(f, "timestamp.note"), *p;
	uint64_t v;

	assert_non_null(t);
	p = strstr(t, "\nrelease ");
	assert_non_null(p);
	v = strtoull(p + 9, NULL, 10);
	free(t);
	return v;
}

static void
test_server_store__lock_keeps_a_second_writer_out(void **state)
{
	struct fx *f = *state;
	struct ls_store_opts o = { f->data, f->keys, 3600, NULL, NULL };
	struct ls_store *s = open_store(f), *t = NULL;

	assert_int_equal(ls_store_open(&t, &o), LS_ECONFLICT);
	assert_null(t);
	assert_non_null(strstr(ls_error_last(), "in use by process"));
	ls_store_free(s);
	s = open_store(f);
	assert_string_equal(ls_store_origin(s), "test.origin");
	ls_store_free(s);
}

static void
test_server_store__publish_links_documents(void **state)
{
	struct fx *f = *state;
	struct ls_store *s = open_store(f);
	char *rel, *ts, want[160], hex[65], sha[65], path[256];
	unsigned long long blen;
	uint8_t digest[32];

	build_done(s, "v1.0.0", 1);
	rel = read_doc(f, "releases/1.note");
	ts = read_doc(f, "timestamp.note");
	assert_non_null(rel);
	assert_non_null(ts);
	ls_sha256_hex(hex, rel, strlen(rel));
	snprintf(want, sizeof(want), "\nrelease 1 sha256:%s length %zu\n", hex,
	    strlen(rel));
	assert_non_null(strstr(ts, want));
	assert_non_null(strstr(rel, "\nversion v1.0.0\n"));
	assert_non_null(strstr(rel, "\nfloor 1\n"));
	assert_int_equal(ls_store_current(s, "stable", sha), 0);
	snprintf(path, sizeof(path), "%s/v1/bundles/%s.tar.gz", f->data, sha);
	assert_int_equal(ls_sha256_file(digest, &blen, path), 0);
	ls_hex_encode(hex, digest, 32);
	assert_string_equal(hex, sha);
	snprintf(want, sizeof(want), "\nbundle sha256:%s length %llu\n", sha,
	    blen);
	assert_non_null(strstr(rel, want));
	free(rel);
	free(ts);
	ls_store_free(s);
}

static void
test_server_store__tags_known_after_restart(void **state)
{
	struct fx *f = *state;
	struct ls_store *s = open_store(f);

	build_done(s, "v1.0.0", 1);
	build_done(s, "v1.1.0", 0); /* failed: nothing published */
	assert_int_equal(ts_release(f), 1);
	assert_true(ls_store_tag_known(s, "stable", "v1.1.0"));
	ls_store_free(s);
	s = open_store(f);
	assert_true(ls_store_tag_known(s, "stable", "v1.0.0"));
	assert_true(ls_store_tag_known(s, "stable", "v1.1.0"));
	assert_false(ls_store_tag_known(s, "stable", "v2.0.0"));
	assert_false(ls_store_tag_known(s, "beta", "v1.0.0"));
	ls_store_free(s);
}

static void
test_server_store__release_without_timestamp_rolls_forward(void **state)
{
	struct fx *f = *state;
	struct ls_store *s = open_store(f);
	char *old, path[256];

	build_done(s, "v1.0.0", 1);
	old = read_doc(f, "timestamp.note");
	build_done(s, "v2.0.0", 1);
	ls_store_free(s);
	/* As if the process died between the release and the timestamp. */
	snprintf(path, sizeof(path), "%s/v1/channels/stable/timestamp.note",
	    f->data);
	assert_int_equal(ls_file_write_atomic(path, old, strlen(old), 0644), 0);
	free(old);
	assert_int_equal(ts_release(f), 1);
	s = open_store(f);
	assert_int_equal(ts_release(f), 2);
	ls_store_free(s);
}

static struct ls_op
op(const char *action, const char *version, time_t until, uint64_t floor)
{
	struct ls_op o = { action, "stable", version, "alice", "incident 7",
		until, floor };

	return o;
}

static void
test_server_store__pin_holds_unpin_releases(void **state)
{
	struct fx *f = *state;
	struct ls_store *s = open_store(f);
	time_t week = time(NULL) + 7 * 86400;
	struct ls_op o;
	char *rel;

	build_done(s, "v1.0.0", 1);
	build_done(s, "v2.0.0", 1);
	o = op("pin", "v1.0.0", week, 0);
	assert_int_equal(ls_store_operate(s, &o, NULL), 0);
	assert_int_equal(ts_release(f), 3);
	rel = read_doc(f, "releases/3.note");
	assert_non_null(strstr(rel, "\nversion v1.0.0\n"));
	assert_non_null(strstr(rel,
	    "\naction pin\nowner alice\n"
	    "reason incident 7\n"));
	free(rel);
	build_done(s, "v3.0.0", 1); /* held back by the pin */
	assert_int_equal(ts_release(f), 3);
	ls_store_free(s);
	s = open_store(f); /* the held build survives */
	o = op("unpin", NULL, 0, 0);
	assert_int_equal(ls_store_operate(s, &o, NULL), 0);
	assert_int_equal(ts_release(f), 4);
	rel = read_doc(f, "releases/4.note");
	assert_non_null(strstr(rel, "\nversion v3.0.0\n"));
	free(rel);
	assert_int_equal(ls_store_operate(s, &o, NULL), LS_ECONFLICT);
	ls_store_free(s);
}

static void
test_server_store__bad_operator_input_changes_nothing(void **state)
{
	struct fx *f = *state;
	struct ls_store *s = open_store(f);
	time_t week = time(NULL) + 7 * 86400;
	struct ls_op o;
	char *rel;

	build_done(s, "v1.0.0", 1);
	build_done(s, "v2.0.0", 1);
	o = op("rollback", "v9", week, 0);
	assert_int_equal(ls_store_operate(s, &o, NULL), LS_ENOTFOUND);
	o = op("rollback", "v1.0.0", time(NULL) - 10, 0);
	assert_int_equal(ls_store_operate(s, &o, NULL), LS_EINVAL);
	o = op("rollback", "v1.0.0", week, 0);
	o.owner = "";
	assert_int_equal(ls_store_operate(s, &o, NULL), LS_EINVAL);
	o = op("freeze", "v1.0.0", week, 0);
	assert_int_equal(ls_store_operate(s, &o, NULL), LS_EINVAL);
	assert_int_equal(ts_release(f), 2);
	o = op("rollback", "v1.0.0", week, 3); /* raise the floor */
	assert_int_equal(ls_store_operate(s, &o, NULL), 0);
	rel = read_doc(f, "releases/3.note");
	assert_non_null(strstr(rel, "\nfloor 3\n"));
	free(rel);
	o = op("rollback", "v2.0.0", week, 2); /* lower it: refused */
	assert_int_equal(ls_store_operate(s, &o, NULL), LS_EINVAL);
	assert_int_equal(ts_release(f), 3);
	build_done(s, "v4.0.0", 1); /* keeps the raised floor */
	rel = read_doc(f, "releases/4.note");
	assert_non_null(strstr(rel, "\nfloor 3\n"));
	free(rel);
	ls_store_free(s);
}

static char *
signed_report(struct ls_key *k, const char *agent, uint64_t seq)
{
	struct ls_report r;
	char *body = NULL, *note = NULL;
	size_t blen, nlen;

	memset(&r, 0, sizeof(r));
	snprintf(r.agent, sizeof(r.agent), "%s", agent);
	snprintf(r.channel, sizeof(r.channel), "stable");
	r.seq = seq;
	r.root_version = 1;
	r.time = time(NULL);
	snprintf(r.state, sizeof(r.state), "none");
	assert_int_equal(ls_report_body(&body, &blen, &r), 0);
	assert_int_equal(ls_note_sign(&note, &nlen, body, blen, &k, 1), 0);
	free(body);
	return note;
}

static void
test_server_store__reports(void **state)
{
	struct fx *f = *state;
	struct ls_store *s = open_store(f);
	struct ls_key *a = NULL, *evil = NULL;
	struct ls_vkey vk;
	char text[LS_VKEY_TEXT_MAX], *n1, *n2, *forged;

	assert_int_equal(ls_key_generate(&a, "agent-1"), 0);
	assert_int_equal(ls_key_generate(&evil, "agent-1"), 0);
	ls_key_vkey(&vk, a);
	ls_vkey_format(text, &vk);
	assert_int_equal(ls_store_enroll(s, text, strlen(text), "test"), 0);
	assert_int_equal(ls_store_enroll(s, text, strlen(text), "test"), 1);
	ls_key_vkey(&vk, evil);
	ls_vkey_format(text, &vk);
	assert_int_equal(ls_store_enroll(s, text, strlen(text), "test"),
	    LS_ECONFLICT);
	assert_int_equal(ls_store_enroll(s, "junk", 4, "test"), LS_EFORMAT);
	n1 = signed_report(a, "agent-1", 1);
	n2 = signed_report(a, "agent-2", 1);
	forged = signed_report(evil, "agent-1", 2);
	assert_int_equal(ls_store_report(s, n1, strlen(n1)), 0);
	assert_int_equal(ls_store_report(s, n1, strlen(n1)), LS_EROLLBACK);
	assert_int_equal(ls_store_report(s, n2, strlen(n2)), LS_ENOTFOUND);
	assert_int_equal(ls_store_report(s, forged, strlen(forged)),
	    LS_EBADSIG);
	assert_int_equal(ls_store_report(s, "x", 1), LS_EFORMAT);
	ls_store_free(s);
	s = open_store(f); /* replay protection survives a restart */
	assert_int_equal(ls_store_report(s, n1, strlen(n1)), LS_EROLLBACK);
	ls_store_free(s);
	free(n1);
	free(n2);
	free(forged);
	ls_key_free(a);
	ls_key_free(evil);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(test_server_store__lock_keeps_a_second_writer_out),
		T(test_server_store__publish_links_documents),
		T(test_server_store__tags_known_after_restart),
		T(test_server_store__release_without_timestamp_rolls_forward),
		T(test_server_store__pin_holds_unpin_releases),
		T(test_server_store__bad_operator_input_changes_nothing),
		T(test_server_store__reports),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
