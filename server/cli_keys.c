/* cli_keys.c - `lockstep keygen` and `lockstep init`. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "lockstep/doc.h"
#include "lockstep/error.h"
#include "lockstep/file.h"
#include "lockstep/key.h"
#include "lockstep/note.h"
#include "lockstep/timefmt.h"

#define ONE_YEAR (365L * 24 * 3600)

static const char keygen_usage[] =
    "usage: lockstep keygen NAME -o DIR\n"
    "\n"
    "Generate an Ed25519 key named NAME: DIR/NAME.key holds the secret key\n"
    "(mode 0600, format PRIVATE+KEY+NAME+KEYID+BASE64) and DIR/NAME.pub the\n"
    "verifier key (NAME+KEYID+BASE64).  DIR is created if missing.  An\n"
    "existing key file is never overwritten.  NAME is 1..64 printable ASCII\n"
    "characters without '+' or spaces.\n";

static const char init_usage[] =
    "usage: lockstep init KEYDIR --origin NAME [--expires DATE]\n"
    "\n"
    "Create the keys of a new Lockstep origin in KEYDIR: root, release,\n"
    "timestamp and log (KEYDIR/ROLE.key and KEYDIR/ROLE.pub), and root\n"
    "version 1 (KEYDIR/1.root.note): a lockstep/root/v1 document listing\n"
    "each role's verifier key with threshold 1, signed by the root key.\n"
    "--expires DATE (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ) defaults to one\n"
    "year from now.  Nothing is overwritten.  Agents ship with 1.root.note\n"
    "as their trust anchor.  This is for demos and tests: in production\n"
    "generate the root key on an offline machine and keep it there.\n";

static int
is_help(const char *a)
{
	return strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0;
}

int
cli_keygen(int argc, char **argv)
{
	const char *name = NULL, *dir = NULL;
	struct ls_key *k = NULL;
	int i, r, rc = 1;

	for (i = 1; i < argc; i++) {
		if (is_help(argv[i])) {
			fputs(keygen_usage, stdout);
			return 0;
		}
		if ((r = cli_opt_value(argc, argv, &i, "-o", &dir)) < 0 ||
		    (r == 0 && (argv[i][0] == '-' || name != NULL))) {
			fprintf(stderr,
			    "lockstep keygen: bad argument '%s' "
			    "(see lockstep keygen --help)\n",
			    argv[i]);
			return 2;
		}
		if (r == 0)
			name = argv[i];
	}
	if (name == NULL || dir == NULL) {
		fprintf(stderr,
		    "lockstep keygen: need NAME and -o DIR "
		    "(see lockstep keygen --help)\n");
		return 2;
	}
	ls_error_clear();
	if (ls_key_generate(&k, name) < 0) {
		cli_fail("keygen", "%s", name);
		goto out;
	}
	if (ls_file_mkdirs(dir, 0700) < 0 || ls_key_save(k, dir) < 0) {
		cli_fail("keygen", "cannot save key %s", name);
		goto out;
	}
	rc = 0;
out:
	ls_key_free(k);
	return rc;
}

struct init_opts {
	const char *dir;
	const char *origin;
	time_t expires;
};

static int
init_args(struct init_opts *o, int argc, char **argv)
{
	const char *exp = NULL;
	int i, r;

	for (i = 1; i < argc; i++) {
		if (is_help(argv[i])) {
			fputs(init_usage, stdout);
			return 1;
		}
		if ((r = cli_opt_value(argc, argv, &i, "--origin",
			 &o->origin)) == 0)
			r = cli_opt_value(argc, argv, &i, "--expires", &exp);
		if (r < 0 ||
		    (r == 0 && (argv[i][0] == '-' || o->dir != NULL))) {
			fprintf(stderr,
			    "lockstep init: bad argument '%s' (see "
			    "lockstep init --help)\n",
			    argv[i]);
			return 2;
		}
		if (r == 0)
			o->dir = argv[i];
	}
	if (o->dir == NULL || o->origin == NULL) {
		fprintf(stderr,
		    "lockstep init: need KEYDIR and --origin NAME "
		    "(see lockstep init --help)\n");
		return 2;
	}
	if (!ls_name_valid(o->origin)) {
		fprintf(stderr,
		    "lockstep init: --origin '%s': not a valid "
		    "name ([A-Za-z0-9._-], 1..128, no leading '.')\n",
		    o->origin);
		return 2;
	}
	o->expires = time(NULL) + ONE_YEAR;
	if (exp != NULL &&
	    (ls_time_parse(&o->expires, exp, strlen(exp)) < 0 ||
		o->expires <= time(NULL))) {
		fprintf(stderr,
		    "lockstep init: --expires '%s': not a future "
		    "date (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ)\n",
		    exp);
		return 2;
	}
	return 0;
}

/* Refuse before writing anything if any output already exists. */
static int
init_check_free(const char *dir)
{
	static const char *const ext[] = { ".key", ".pub" };
	char path[PATH_MAX];
	unsigned r, e;

	for (r = 0; r <= LS_ROLE_COUNT; r++)
		for (e = 0; e < 2; e++) {
			if (r == LS_ROLE_COUNT)
				snprintf(path, sizeof(path), "%s/1.root.note",
				    dir);
			else
				snprintf(path, sizeof(path), "%s/%s%s", dir,
				    ls_role_name((enum ls_role)r), ext[e]);
			if (ls_file_exists(path)) {
				fprintf(stderr,
				    "lockstep init: %s: already "
				    "exists, refusing to overwrite\n",
				    path);
				return -1;
			}
		}
	return 0;
}

/* Root v1 listing every role's key, threshold 1, signed by keys[ROOT]. */
static int
init_write_root(const struct init_opts *o, struct ls_key *keys[])
{
	struct ls_root root;
	struct ls_vkey vk;
	char *body = NULL, *note = NULL, path[PATH_MAX];
	size_t blen = 0, nlen = 0;
	unsigned r;
	int rc;

	memset(&root, 0, sizeof(root));
	snprintf(root.origin, sizeof(root.origin), "%s", o->origin);
	root.version = 1;
	root.expires = o->expires;
	for (r = 0, rc = 0; rc == 0 && r < LS_ROLE_COUNT; r++) {
		ls_key_vkey(&vk, keys[r]);
		rc = ls_keyset_add(&root.keys[r], &vk);
		root.threshold[r] = 1;
	}
	if (rc == 0)
		rc = ls_root_body(&body, &blen, &root);
	if (rc == 0)
		rc = ls_note_sign(&note, &nlen, body, blen, &keys[LS_ROLE_ROOT],
		    1);
	if (rc == 0) {
		snprintf(path, sizeof(path), "%s/1.root.note", o->dir);
		rc = ls_file_write_atomic(path, note, nlen, 0644);
	}
	free(body);
	free(note);
	ls_root_cleanup(&root);
	return rc;
}

int
cli_init(int argc, char **argv)
{
	struct ls_key *keys[LS_ROLE_COUNT] = { NULL };
	struct init_opts o = { NULL, NULL, 0 };
	unsigned r;
	int rc = 1;

	if ((rc = init_args(&o, argc, argv)) != 0)
		return rc == 1 ? 0 : rc;
	rc = 1;
	ls_error_clear();
	if (strlen(o.dir) > PATH_MAX - 32) {
		fprintf(stderr, "lockstep init: %s: path too long\n", o.dir);
		return 1;
	}
	if (ls_file_mkdirs(o.dir, 0700) < 0) {
		cli_fail("init", "%s", o.dir);
		return 1;
	}
	if (init_check_free(o.dir) < 0)
		return 1;
	for (r = 0; r < LS_ROLE_COUNT; r++) {
		if (ls_key_generate(&keys[r], ls_role_name((enum ls_role)r)) <
			0 ||
		    ls_key_save(keys[r], o.dir) < 0) {
			cli_fail("init", "cannot create key %s",
			    ls_role_name((enum ls_role)r));
			goto out;
		}
	}
	if (init_write_root(&o, keys) < 0) {
		cli_fail("init", "%s/1.root.note", o.dir);
		goto out;
	}
	rc = 0;
out:
	for (r = 0; r < LS_ROLE_COUNT; r++)
		ls_key_free(keys[r]);
	return rc;
}
