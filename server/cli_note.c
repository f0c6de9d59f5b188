/* cli_note.c - `lockstep note sign|cosign|verify`: C2SP signed notes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "lockstep/doc.h"
#include "lockstep/error.h"
#include "lockstep/file.h"
#include "lockstep/key.h"
#include "lockstep/note.h"

static const char note_usage[] =
    "usage: lockstep note sign KEYFILE [KEYFILE...] [--in FILE]\n"
    "       lockstep note cosign KEYFILE [KEYFILE...] [--in FILE]\n"
    "       lockstep note verify VKEYFILE [VKEYFILE...] [--threshold N]"
    " [--in FILE]\n"
    "       lockstep note verify --root ROOT.note [--root ROOT.note...]"
    " --role ROLE\n"
    "                            [--threshold N] [--in FILE]\n"
    "\n"
    "sign    reads a body (UTF-8 lines, each ending in a newline, no blank\n"
    "        line) from FILE or stdin and writes the signed note (C2SP\n"
    "        format) to stdout, one signature per secret KEYFILE.\n"
    "cosign  reads a signed note and writes it with one more signature\n"
    "        per KEYFILE.\n"
    "verify  reads a signed note and, only when at least N (default 1)\n"
    "        distinct keys among the verifier keys (.pub files) signed it\n"
    "        validly, writes its body to stdout and exits 0.  Otherwise it\n"
    "        prints one line with the reason to stderr and exits 1.\n"
    "        Signatures by other keys are ignored; a bad signature by a\n"
    "        listed key, or two by the same key, is refused.  With --root\n"
    "        the keys and threshold are ROLE's (root release timestamp\n"
    "        log) in the newest root of the chain given (anchor first, as\n"
    "        lockstep root verify walks it; an expired newest root is\n"
    "        refused).\n";

struct note_args {
	const char *cmd; /* "note sign", ... for messages */
	const char *in;	 /* --in FILE, or NULL for stdin */
	unsigned threshold;
	int threshold_set; /* --threshold given */
	char **files;	   /* KEYFILEs / VKEYFILEs (points into argv) */
	int nfiles;
	char *roots[LS_NOTE_MAX_SIGS]; /* --root chain (into argv) */
	int nroots;
	const char *role; /* --role, with --root */
};

/* Read at most LS_NOTE_MAX bytes from path ("-" or NULL: stdin). */
static int
read_input(char **out, size_t *out_len, const char *path)
{
	size_t cap = LS_NOTE_MAX + 1, got = 0;
	char *buf;
	ssize_t n;

	if (path != NULL && strcmp(path, "-") != 0)
		return ls_file_read(out, out_len, path, LS_NOTE_MAX);
	if ((buf = malloc(cap + 1)) == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	while (got < cap) {
		n = read(STDIN_FILENO, buf + got, cap - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(buf);
			return ls_error_set(LS_EIO, "stdin: %s",
			    strerror(errno));
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	if (got > LS_NOTE_MAX) {
		free(buf);
		return ls_error_set(LS_ETOOBIG, "stdin: larger than %d bytes",
		    LS_NOTE_MAX);
	}
	buf[got] = '\0';
	*out = buf;
	*out_len = got;
	return 0;
}

/* Bounded decimal 1..max; -1 on anything else. */
static int
parse_count(unsigned *out, const char *s, unsigned max)
{
	unsigned v = 0;

	if (*s == '\0' || *s == '0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9' ||
		    v > (max - (unsigned)(*s - '0')) / 10)
			return -1;
		v = v * 10 + (unsigned)(*s - '0');
	}
	*out = v;
	return 0;
}

/* 0 ok, 1 help printed, 2 usage error (printed). */
static int
parse_args(struct note_args *a, int argc, char **argv, int verify)
{
	const char *val;
	int i;

	a->threshold = 1;
	a->nfiles = 0;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0) {
			fputs(note_usage, stdout);
			return 1;
		}
		if (strcmp(argv[i], "--in") == 0 && i + 1 < argc) {
			a->in = argv[++i];
			continue;
		}
		if (verify && strcmp(argv[i], "--threshold") == 0 &&
		    i + 1 < argc) {
			val = argv[++i];
			a->threshold_set = 1;
			if (parse_count(&a->threshold, val, LS_NOTE_MAX_SIGS) <
			    0) {
				fprintf(stderr,
				    "lockstep %s: --threshold '%s': "
				    "want a number from 1 to %d\n",
				    a->cmd, val, LS_NOTE_MAX_SIGS);
				return 2;
			}
			continue;
		}
		if (verify && strcmp(argv[i], "--root") == 0 && i + 1 < argc &&
		    a->nroots < LS_NOTE_MAX_SIGS) {
			a->roots[a->nroots++] = argv[++i];
			continue;
		}
		if (verify && strcmp(argv[i], "--role") == 0 && i + 1 < argc) {
			a->role = argv[++i];
			continue;
		}
		if (argv[i][0] == '-' && argv[i][1] != '\0')
			goto bad;
		argv[a->nfiles++] = argv[i]; /* compact in place */
	}
	a->files = argv;
	if (a->nroots > 0 && (a->nfiles > 0 || a->role == NULL)) {
		fprintf(stderr,
		    "lockstep %s: --root wants --role and no key files (see "
		    "lockstep note --help)\n",
		    a->cmd);
		return 2;
	}
	if (a->nfiles == 0 && a->nroots == 0) {
		fprintf(stderr,
		    "lockstep %s: need at least one key file (see "
		    "lockstep note --help)\n",
		    a->cmd);
		return 2;
	}
	return 0;
bad:
	fprintf(stderr,
	    "lockstep %s: bad argument '%s' (see lockstep note "
	    "--help)\n",
	    a->cmd, argv[i]);
	return 2;
}

static const char *
in_name(const struct note_args *a)
{
	return a->in != NULL && strcmp(a->in, "-") != 0 ? a->in : "stdin";
}

static int
write_out(const struct note_args *a, const char *data, size_t len)
{
	if (fwrite(data, 1, len, stdout) != len || fflush(stdout) != 0) {
		fprintf(stderr, "lockstep %s: stdout: %s\n", a->cmd,
		    strerror(errno));
		return 1;
	}
	return 0;
}

/* sign (cosign == 0) or cosign. */
static int
note_sign(struct note_args *a, int cosign)
{
	struct ls_key **keys = NULL;
	char *in = NULL, *out = NULL;
	size_t inlen = 0, outlen = 0;
	int i, rc = 1;

	if ((keys = calloc((size_t)a->nfiles, sizeof(*keys))) == NULL) {
		fprintf(stderr, "lockstep %s: out of memory\n", a->cmd);
		return 1;
	}
	ls_error_clear();
	for (i = 0; i < a->nfiles; i++)
		if (ls_key_load(&keys[i], a->files[i]) < 0) {
			cli_fail(a->cmd, "secret key");
			goto out;
		}
	if (read_input(&in, &inlen, a->in) < 0) {
		cli_fail(a->cmd, "cannot read input");
		goto out;
	}
	if ((cosign ? ls_note_cosign(&out, &outlen, in, inlen, keys,
			  (size_t)a->nfiles)
		    : ls_note_sign(&out, &outlen, in, inlen, keys,
			  (size_t)a->nfiles)) < 0) {
		cli_fail(a->cmd, "%s", in_name(a));
		goto out;
	}
	rc = write_out(a, out, outlen);
out:
	for (i = 0; i < a->nfiles; i++)
		ls_key_free(keys[i]);
	free(keys);
	free(in);
	free(out);
	return rc;
}

/* Keys and threshold of --role in the newest root of the --root chain. */
static int
role_keys(struct ls_keyset *ks, struct note_args *a)
{
	struct ls_root r;
	enum ls_role role;
	size_t i;
	int rc = 1;

	if (ls_role_parse(&role, a->role, strlen(a->role)) < 0) {
		fprintf(stderr,
		    "lockstep %s: --role '%s': want root, release, "
		    "timestamp or log\n",
		    a->cmd, a->role);
		return 1;
	}
	if (cli_root_chain(&r, a->cmd, a->roots, a->nroots) != 0)
		goto out;
	ls_error_clear();
	for (i = 0; i < r.keys[role].n; i++)
		if (ls_keyset_add(ks, &r.keys[role].keys[i]) < 0) {
			cli_fail(a->cmd, "root keys");
			goto out;
		}
	if (!a->threshold_set)
		a->threshold = r.threshold[role];
	rc = 0;
out:
	ls_root_cleanup(&r);
	return rc;
}

static int
note_verify(struct note_args *a)
{
	struct ls_keyset ks = { NULL, 0 };
	struct ls_note *n = NULL;
	struct ls_vkey vk;
	const char *body;
	char *in = NULL;
	size_t inlen = 0, blen = 0;
	int i, rc = 1;

	ls_error_clear();
	if (a->nroots > 0 && role_keys(&ks, a) != 0)
		goto out;
	for (i = 0; i < a->nfiles; i++)
		if (ls_vkey_load(&vk, a->files[i]) < 0 ||
		    ls_keyset_add(&ks, &vk) < 0) {
			cli_fail(a->cmd, "verifier key");
			goto out;
		}
	if (read_input(&in, &inlen, a->in) < 0) {
		cli_fail(a->cmd, "cannot read input");
		goto out;
	}
	if (ls_note_open(&n, in, inlen, &ks, a->threshold) < 0) {
		cli_fail(a->cmd, "%s", in_name(a));
		goto out;
	}
	body = ls_note_body(n, &blen);
	rc = write_out(a, body, blen);
out:
	ls_note_free(n);
	ls_keyset_cleanup(&ks);
	free(in);
	return rc;
}

int
cli_note(int argc, char **argv)
{
	struct note_args a;
	int rc, verify, cosign;

	memset(&a, 0, sizeof(a));
	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		fputs(note_usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (strcmp(argv[1], "sign") == 0)
		a.cmd = "note sign";
	else if (strcmp(argv[1], "cosign") == 0)
		a.cmd = "note cosign";
	else if (strcmp(argv[1], "verify") == 0)
		a.cmd = "note verify";
	else {
		fprintf(stderr,
		    "lockstep note: unknown subcommand '%s' (see "
		    "lockstep note --help)\n",
		    argv[1]);
		return 2;
	}
	verify = argv[1][0] == 'v';
	cosign = argv[1][0] == 'c';
	/* parse_args compacts the file names to the front of argv + 1. */
	if ((rc = parse_args(&a, argc - 1, argv + 1, verify)) != 0)
		return rc == 1 ? 0 : rc;
	if (verify)
		return note_verify(&a);
	return note_sign(&a, cosign);
}
