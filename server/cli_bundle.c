/*
 * cli_bundle.c - `lockstep bundle build|inspect|extract`.
 *
 * build writes a reproducible tar.gz and prints nothing on success;
 * inspect reads a bundle with the same checks as extraction and prints
 * its sha256, files and manifest; extract unpacks into a fresh directory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "lockstep/bundle.h"
#include "lockstep/controls.h"
#include "lockstep/error.h"
#include "lockstep/extract.h"
#include "lockstep/file.h"
#include "lockstep/hash.h"
#include "lockstep/manifest.h"

/* The largest bundle file inspect reads into memory. */
#define INSPECT_MAX (LS_BUNDLE_MAX_BYTES + 64ULL * 1024 * 1024)

/* clang-format off */
static const char usage_text[] =
    "usage: lockstep bundle build SRC_DIR -o OUT.tar.gz\n"
    "       lockstep bundle inspect FILE.tar.gz\n"
    "       lockstep bundle extract FILE.tar.gz DIR\n"
    "\n"
    "build    write the reproducible bundle of SRC_DIR (regular files\n"
    "         only, sorted, owner root, mode 0644, mtime 0); the same\n"
    "         content always gives the same bytes.  Prints nothing.\n"
    "inspect  print the archive's sha256 and length, each file with its\n"
    "         size and sha256, the .manifest fields, and the controls and\n"
    "         exceptions of lockstep/data.json; exits 1 if either is\n"
    "         invalid.\n"
    "extract  unpack into DIR, which must not exist yet; refuses links,\n"
    "         devices, '..', absolute paths, duplicates and archives past\n"
    "         256 MiB or 10,000 entries, and then leaves nothing behind.\n";
/* clang-format on */

static int
is_help(const char *s)
{
	return strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0;
}

/* "lockstep bundle SUB: FILE: reason", without naming FILE twice. */
static void
fail(const char *sub, const char *file)
{
	const char *msg = ls_error_last();
	size_t n = strlen(file);

	if (strncmp(msg, file, n) == 0 && msg[n] == ':')
		fprintf(stderr, "lockstep bundle %s: %s\n", sub, msg);
	else
		fprintf(stderr, "lockstep bundle %s: %s: %s\n", sub, file,
		    msg[0] ? msg : "failed");
}

static int
bundle_build(int argc, char **argv)
{
	const char *src = NULL, *out = NULL;
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-o") == 0 && i + 1 < argc)
			out = argv[++i];
		else if (argv[i][0] == '-' || src != NULL) {
			fprintf(stderr,
			    "lockstep bundle build: unexpected argument '%s' "
			    "(see --help)\n",
			    argv[i]);
			return 2;
		} else
			src = argv[i];
	}
	if (src == NULL || out == NULL) {
		fprintf(stderr,
		    "lockstep bundle build: need SRC_DIR and -o "
		    "OUT.tar.gz (see --help)\n");
		return 2;
	}
	ls_error_clear();
	if (ls_bundle_build(src, out, NULL, NULL) < 0) {
		fail("build", src);
		return 1;
	}
	return 0;
}

/* Replace control characters in s (owned, printed next) with '?', so no
 * terminal escape from a bundle reaches the operator's screen. */
static const char *
tame(char *s)
{
	char *p;

	for (p = s; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return s;
}

/* The content of path in f, or NULL. */
static const struct ls_bundle_file *
find_file(const struct ls_bundle_files *f, const char *path)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (strcmp(f->v[i].path, path) == 0)
			return &f->v[i];
	return NULL;
}

static int
print_manifest(const struct ls_bundle_files *f)
{
	const struct ls_bundle_file *mf = find_file(f, ".manifest");
	struct ls_manifest m;
	size_t i;

	if (mf == NULL) {
		printf("manifest: none (OPA defaults: roots [\"\"], "
		       "rego_version 1)\n");
		return 0;
	}
	if (ls_manifest_parse(&m, (const char *)mf->data, mf->len) < 0)
		return -1;
	printf("manifest: revision \"%s\" rego_version %d\n", tame(m.revision),
	    m.rego_version);
	for (i = 0; i < m.nroots; i++)
		printf("manifest: root \"%s\"\n", tame(m.roots[i]));
	if (m.metadata_json != NULL)
		printf("manifest: metadata %s\n", m.metadata_json);
	ls_manifest_cleanup(&m);
	return 0;
}

/* Controls covered and exceptions granted (lockstep/data.json). */
static int
print_controls(const struct ls_bundle_files *f)
{
	const struct ls_bundle_file *cf = find_file(f, LS_CONTROLS_FILE);
	struct ls_controls c;
	char **list = NULL;
	time_t now = time(NULL);
	size_t i;

	if (cf == NULL)
		return 0;
	if (ls_controls_parse(&c, (const char *)cf->data, cf->len,
		LS_CONTROLS_FILE) < 0)
		return -1;
	if (ls_controls_list(&list, NULL, &c) == 0) {
		for (i = 0; list[i] != NULL; i++)
			printf("control: %s\n", list[i]);
		ls_controls_list_free(list);
	}
	for (i = 0; i < c.nexceptions; i++)
		printf("exception: %s owner %s ticket %s expires %s%s\n",
		    c.exceptions[i].id, tame(c.exceptions[i].owner),
		    tame(c.exceptions[i].ticket),
		    tame(c.exceptions[i].expires_text),
		    c.exceptions[i].expires <= now ? " (EXPIRED)" : "");
	ls_controls_cleanup(&c);
	return 0;
}

static int
bundle_inspect(int argc, char **argv)
{
	struct ls_bundle_files f;
	char hex[LS_SHA256_HEX_LEN + 1], *data = NULL;
	size_t len = 0, i;
	int rc = 1;

	if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr,
		    "lockstep bundle inspect: need one FILE (see --help)\n");
		return 2;
	}
	ls_bundle_files_init(&f);
	ls_error_clear();
	if (ls_file_read(&data, &len, argv[1], INSPECT_MAX) < 0 ||
	    ls_bundle_read(&f, data, len) < 0) {
		fail("inspect", argv[1]);
		goto out;
	}
	ls_sha256_hex(hex, data, len);
	printf("bundle: %s\nsha256: %s\nlength: %zu\nfiles: %zu\ncontent: %llu "
	       "bytes\n",
	    argv[1], hex, len, f.n, (unsigned long long)f.total);
	for (i = 0; i < f.n; i++) {
		ls_sha256_hex(hex, f.v[i].data, f.v[i].len);
		printf("file: %s %zu sha256:%s\n", f.v[i].path, f.v[i].len,
		    hex);
	}
	if (print_manifest(&f) < 0 || print_controls(&f) < 0) {
		fail("inspect", argv[1]);
		goto out;
	}
	rc = 0;
out:
	free(data);
	ls_bundle_files_cleanup(&f);
	return rc;
}

static int
bundle_extract(int argc, char **argv)
{
	if (argc != 3 || argv[1][0] == '-' || argv[2][0] == '-') {
		fprintf(stderr,
		    "lockstep bundle extract: need FILE and DIR "
		    "(see --help)\n");
		return 2;
	}
	ls_error_clear();
	if (ls_extract_file(argv[1], argv[2], NULL) < 0) {
		fail("extract", argv[1]);
		return 1;
	}
	return 0;
}

int
cli_bundle(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		if (is_help(argv[i])) {
			fputs(usage_text, stdout);
			return 0;
		}
	if (argc < 2) {
		fputs(usage_text, stderr);
		return 2;
	}
	if (strcmp(argv[1], "build") == 0)
		return bundle_build(argc - 1, argv + 1);
	if (strcmp(argv[1], "inspect") == 0)
		return bundle_inspect(argc - 1, argv + 1);
	if (strcmp(argv[1], "extract") == 0)
		return bundle_extract(argc - 1, argv + 1);
	fprintf(stderr,
	    "lockstep bundle: unknown subcommand '%s' (see --help)\n", argv[1]);
	return 2;
}
