/*
 * cli_root.c - `lockstep root new|sign|check|verify`: make root N+1
 * offline, co-sign it one key at a time, check both thresholds, and walk
 * a root chain.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "lockstep/error.h"
#include "lockstep/file.h"
#include "lockstep/key.h"
#include "lockstep/note.h"
#include "lockstep/root.h"
#include "lockstep/timefmt.h"

static const char root_usage[] =
    "usage: lockstep root new --from N.root.note [--key ROLE VKEYFILE...]\n"
    "           [--threshold ROLE N] --expires DATE -o BODY\n"
    "       lockstep root sign BODY|NOTE --key KEYFILE [--key KEYFILE...]"
    " -o OUT\n"
    "       lockstep root check [--from N.root.note] NOTE\n"
    "       lockstep root verify ROOT.note [ROOT.note...]\n"
    "\n"
    "new     writes the unsigned body of root version N+1: a copy of root N\n"
    "        (which must verify) with, for each ROLE given with --key, that\n"
    "        role's keys replaced by the listed .pub files, the thresholds\n"
    "        given, and the expiry DATE (YYYY-MM-DD or RFC 3339 UTC, in the\n"
    "        future).  Roles: root release timestamp log.\n"
    "sign    adds one signature per secret KEYFILE to a root body or to a\n"
    "        partly signed root note and writes the note to OUT (which may\n"
    "        be the input).  Offline co-signers run it one after another.\n"
    "check   says how many of the previous root's root keys (--from) and of\n"
    "        the note's own root keys signed it, against each threshold;\n"
    "        exit 0 only when both are met and the note is a valid next\n"
    "        version.  Without --from the note must be its own anchor.\n"
    "verify  walks a root chain: the first note is the trust anchor (signed\n"
    "        by a threshold of the root keys it lists), each next one must\n"
    "        be the next version, signed by a threshold of the previous\n"
    "        version's root keys and of its own.  Intermediate versions may\n"
    "        have expired; the last one must not (TUF).  Exit 0 and no\n"
    "        output when the chain holds; one line naming the file and the\n"
    "        reason otherwise.\n";

/* Read path and take one step along the chain in *cur; 0 or 1. */
static int
chain_step(struct ls_root *cur, const char *cmd, const char *path)
{
	char *text = NULL;
	size_t len = 0;
	int rc;

	ls_error_clear();
	if ((rc = ls_file_read(&text, &len, path, LS_NOTE_MAX)) == 0)
		rc = ls_root_advance(cur, text, len);
	free(text);
	if (rc != 0)
		cli_fail(cmd, "%s", path);
	return rc != 0;
}

int
cli_root_chain(struct ls_root *out, const char *cmd, char **paths, int n)
{
	int i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < n; i++)
		if (chain_step(out, cmd, paths[i]) != 0)
			return 1;
	ls_error_clear();
	if (ls_root_check_expiry(out, time(NULL)) != 0) {
		cli_fail(cmd, "%s", paths[n - 1]);
		return 1;
	}
	return 0;
}

/* Read and verify a self-signed root note (the operator's copy of N). */
static int
load_root(struct ls_root *out, const char *cmd, const char *path)
{
	memset(out, 0, sizeof(*out));
	return chain_step(out, cmd, path);
}

static int
bad_arg(const char *cmd, const char *what)
{
	fprintf(stderr, "lockstep %s: %s (see lockstep root --help)\n", cmd,
	    what);
	return 2;
}

/* --key ROLE VKEYFILE...: the role's keys become exactly these. */
static int
new_keys(struct ls_root *r, unsigned *replaced, int argc, char **argv, int *i)
{
	const char *cmd = "root new";
	enum ls_role role;
	struct ls_vkey vk;
	int n = 0;

	if (*i + 1 >= argc ||
	    ls_role_parse(&role, argv[*i + 1], strlen(argv[*i + 1])) != 0)
		return bad_arg(cmd,
		    "--key wants a role: root release "
		    "timestamp log");
	(*i)++;
	if (!(*replaced & (1U << role))) {
		ls_keyset_cleanup(&r->keys[role]);
		memset(&r->keys[role], 0, sizeof(r->keys[role]));
		*replaced |= 1U << role;
	}
	while (*i + 1 < argc && strncmp(argv[*i + 1], "--", 2) != 0 &&
	    strcmp(argv[*i + 1], "-o") != 0) {
		(*i)++;
		ls_error_clear();
		if (ls_vkey_load(&vk, argv[*i]) != 0 ||
		    ls_keyset_add(&r->keys[role], &vk) != 0) {
			cli_fail(cmd, "%s", argv[*i]);
			return 1;
		}
		n++;
	}
	return n == 0 ? bad_arg(cmd, "--key ROLE wants .pub files") : 0;
}

/* --threshold ROLE N */
static int
new_threshold(struct ls_root *r, int argc, char **argv, int *i)
{
	enum ls_role role;
	char *end = NULL;
	unsigned long v;

	if (*i + 2 >= argc ||
	    ls_role_parse(&role, argv[*i + 1], strlen(argv[*i + 1])) != 0)
		return bad_arg("root new", "--threshold ROLE N");
	v = strtoul(argv[*i + 2], &end, 10);
	if (end == argv[*i + 2] || *end != '\0' || v == 0 ||
	    v > LS_DOC_MAX_KEYS)
		return bad_arg("root new", "--threshold N: want 1 to 64");
	r->threshold[role] = (unsigned)v;
	*i += 2;
	return 0;
}

static int
new_expires(struct ls_root *r, const char *s)
{
	if (ls_time_parse(&r->expires, s, strlen(s)) != 0)
		return bad_arg("root new",
		    "--expires wants YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ");
	if (r->expires <= time(NULL))
		return bad_arg("root new", "--expires is not in the future");
	return 0;
}

/* Build the body of r, check it parses as a root, write it to out. */
static int
write_body(const struct ls_root *r, const char *out)
{
	struct ls_root check;
	char *body = NULL;
	size_t blen = 0;
	int rc;

	ls_error_clear();
	if ((rc = ls_root_body(&body, &blen, r)) == 0 &&
	    (rc = ls_root_parse(&check, body, blen)) == 0) {
		ls_root_cleanup(&check);
		rc = ls_file_write_atomic(out, body, blen, 0644);
	}
	free(body);
	if (rc != 0)
		cli_fail("root new", "%s", out);
	return rc != 0;
}

static int
root_new(int argc, char **argv)
{
	const char *from = NULL, *out = NULL;
	struct ls_root r;
	unsigned replaced = 0;
	int i, rc = 2, have_expires = 0;

	memset(&r, 0, sizeof(r));
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--from") == 0 && i + 1 < argc && !from) {
			from = argv[++i];
			if ((rc = load_root(&r, "root new", from)) != 0)
				goto out;
		} else if (strcmp(argv[i], "--key") == 0 && from) {
			if ((rc = new_keys(&r, &replaced, argc, argv, &i)) != 0)
				goto out;
		} else if (strcmp(argv[i], "--threshold") == 0 && from) {
			if ((rc = new_threshold(&r, argc, argv, &i)) != 0)
				goto out;
		} else if (strcmp(argv[i], "--expires") == 0 && i + 1 < argc) {
			if ((rc = new_expires(&r, argv[++i])) != 0)
				goto out;
			have_expires = 1;
		} else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc) {
			out = argv[++i];
		} else {
			rc = bad_arg("root new",
			    "want --from N.root.note first, then --key, "
			    "--threshold, --expires and -o");
			goto out;
		}
	}
	if (from == NULL || out == NULL || !have_expires) {
		rc = bad_arg("root new", "--from, --expires and -o are needed");
		goto out;
	}
	r.version++;
	rc = write_body(&r, out);
out:
	ls_root_cleanup(&r);
	return rc;
}

/* Sign text (a root body, or a root note to co-sign) with keys. */
static int
sign_text(char **out, size_t *out_len, const char *text, size_t len,
    struct ls_key *const *keys, size_t nkeys)
{
	struct ls_note *n = NULL;
	struct ls_root r;
	const char *body = text;
	size_t blen = len;
	int rc, is_note;

	is_note = ls_note_parse(&n, text, len) == 0;
	if (is_note)
		body = ls_note_body(n, &blen);
	/* Only a root document is signed with root keys. */
	if ((rc = ls_root_parse(&r, body, blen)) == 0) {
		ls_root_cleanup(&r);
		rc = is_note
		    ? ls_note_cosign(out, out_len, text, len, keys, nkeys)
		    : ls_note_sign(out, out_len, text, len, keys, nkeys);
	}
	ls_note_free(n);
	return rc;
}

static int
root_sign(int argc, char **argv)
{
	struct ls_key *keys[LS_NOTE_MAX_SIGS];
	const char *in = NULL, *out = NULL;
	char *text = NULL, *note = NULL;
	size_t nkeys = 0, len = 0, nlen = 0, k;
	int i, rc = 2;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--key") == 0 && i + 1 < argc &&
		    nkeys < LS_NOTE_MAX_SIGS) {
			ls_error_clear();
			if (ls_key_load(&keys[nkeys], argv[++i]) != 0) {
				cli_fail("root sign", "%s", argv[i]);
				rc = 1;
				goto out;
			}
			nkeys++;
		} else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc) {
			out = argv[++i];
		} else if (argv[i][0] != '-' && in == NULL) {
			in = argv[i];
		} else {
			rc = bad_arg("root sign", "bad argument");
			goto out;
		}
	}
	if (in == NULL || out == NULL || nkeys == 0) {
		rc = bad_arg("root sign", "BODY|NOTE, --key and -o are needed");
		goto out;
	}
	ls_error_clear();
	rc = 1;
	if (ls_file_read(&text, &len, in, LS_NOTE_MAX) != 0 ||
	    sign_text(&note, &nlen, text, len, keys, nkeys) != 0) {
		cli_fail("root sign", "%s", in);
		goto out;
	}
	if (ls_file_write_atomic(out, note, nlen, 0644) != 0) {
		cli_fail("root sign", "%s", out);
		goto out;
	}
	rc = 0;
out:
	for (k = 0; k < nkeys; k++)
		ls_key_free(keys[k]);
	free(text);
	free(note);
	return rc;
}

/* Print how many of r's root keys signed n; 1 when the threshold is met. */
static int
report_threshold(const struct ls_note *n, const struct ls_root *r,
    uint64_t version, const char *whose)
{
	int got;

	got = ls_note_verify(n, &r->keys[LS_ROLE_ROOT], 1);
	if (got < 0)
		got = 0;
	printf("root version %llu: signed by %d of the %zu root keys of %s, "
	       "threshold %u: %s\n",
	    (unsigned long long)version, got, r->keys[LS_ROLE_ROOT].n, whose,
	    r->threshold[LS_ROLE_ROOT],
	    (unsigned)got >= r->threshold[LS_ROLE_ROOT] ? "met" : "not met");
	return (unsigned)got >= r->threshold[LS_ROLE_ROOT];
}

/* Both thresholds, then the full rotation rules; 0 when all hold. */
static int
check_note(const struct ls_root *prev, const char *path, const char *text,
    size_t len)
{
	struct ls_root self, next;
	struct ls_note *n = NULL;
	char whose[64];
	const char *body;
	size_t blen = 0;
	int met = 1, rc;

	memset(&self, 0, sizeof(self));
	ls_error_clear();
	if (ls_note_parse(&n, text, len) != 0 ||
	    (body = ls_note_body(n, &blen)) == NULL ||
	    ls_root_parse(&self, body, blen) != 0) {
		cli_fail("root check", "%s", path);
		ls_note_free(n);
		return 1;
	}
	if (prev != NULL) {
		snprintf(whose, sizeof(whose), "root version %llu",
		    (unsigned long long)prev->version);
		met &= report_threshold(n, prev, self.version, whose);
	}
	met &= report_threshold(n, &self, self.version, "itself");
	ls_error_clear();
	rc = prev != NULL ? ls_root_next(&next, prev, text, len)
			  : ls_root_open(&next, text, len);
	if (rc == 0) {
		rc = ls_root_check_expiry(&next, time(NULL));
		ls_root_cleanup(&next);
	}
	if (rc != 0)
		cli_fail("root check", "%s", path);
	ls_root_cleanup(&self);
	ls_note_free(n);
	return rc != 0 || !met;
}

static int
root_check(int argc, char **argv)
{
	struct ls_root prev;
	const char *from = NULL, *in = NULL;
	char *text = NULL;
	size_t len = 0;
	int i, rc;

	memset(&prev, 0, sizeof(prev));
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--from") == 0 && i + 1 < argc)
			from = argv[++i];
		else if (argv[i][0] != '-' && in == NULL)
			in = argv[i];
		else
			return bad_arg("root check", "bad argument");
	}
	if (in == NULL)
		return bad_arg("root check", "NOTE is needed");
	if (from != NULL && load_root(&prev, "root check", from) != 0)
		return 1;
	ls_error_clear();
	if ((rc = ls_file_read(&text, &len, in, LS_NOTE_MAX)) != 0)
		cli_fail("root check", "%s", in);
	else
		rc = check_note(from != NULL ? &prev : NULL, in, text, len);
	free(text);
	ls_root_cleanup(&prev);
	return rc != 0;
}

static int
root_verify(int argc, char **argv)
{
	struct ls_root r;
	int rc;

	if (argc < 2 || argv[1][0] == '-') {
		fputs(root_usage, stderr);
		return 2;
	}
	rc = cli_root_chain(&r, "root verify", argv + 1, argc - 1);
	ls_root_cleanup(&r);
	return rc;
}

int
cli_root(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		fputs(root_usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (strcmp(argv[1], "new") == 0)
		return root_new(argc - 1, argv + 1);
	if (strcmp(argv[1], "sign") == 0)
		return root_sign(argc - 1, argv + 1);
	if (strcmp(argv[1], "check") == 0)
		return root_check(argc - 1, argv + 1);
	if (strcmp(argv[1], "verify") == 0)
		return root_verify(argc - 1, argv + 1);
	fprintf(stderr,
	    "lockstep root: unknown subcommand '%s' (see lockstep root "
	    "--help)\n",
	    argv[1]);
	return 2;
}
