/* cli_audit.c - `lockstep audit`: the audit package of a control or a
 * framework over a period, and `lockstep audit verify DIR`. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "cli.h"
#include "lockstep/error.h"
#include "lockstep/file.h"
#include "lockstep/note.h"

static const char usage[] =
    "usage: lockstep audit (--control ID | --framework NAME)\n"
    "           --since DATE --until DATE -o DIR\n"
    "           (--data DATA_DIR --keys KEYDIR [--origin NAME] |\n"
    "            --server URL --token-file F [--cacert F]) [--silent-hours N]\n"
    "       lockstep audit verify DIR\n\n"
    "Writes the audit package (summary.md/.html/.json, records.jsonl,\n"
    "proofs.jsonl, checkpoint.note, log.pub, oscal/assessment-results.json,\n"
    "manifest.note signed by the log key KEYDIR/log.key) for the decisions\n"
    "under the control (or every control of the framework) between the\n"
    "dates, from the server's data folder (a copy, or the server stopped),\n"
    "or built and signed by the server (--token-file: the auditor token).\n"
    "verify checks a package offline and exits non-zero with the first\n"
    "reason.\n";

struct args {
	struct ls_audit_opts o;
	const char *out, *data, *keys, *server, *token_file, *cacert;
	const char *origin; /* --data without a checkpoint yet */
};

/* The origin from the last checkpoint: "ORIGIN/evidence". */
static int
data_origin(char *out, size_t n, const char *data)
{
	char path[PATH_MAX], *text = NULL, *slash;
	size_t len;
	int rc;

	snprintf(path, sizeof(path), "%s/evidence/checkpoint.note", data);
	if ((rc = ls_file_read(&text, &len, path, LS_NOTE_MAX)) != 0)
		return rc;
	text[strcspn(text, "\n")] = '\0';
	if ((slash = strrchr(text, '/')) == NULL || strcmp(slash, "/evidence"))
		rc = ls_error_set(LS_EFORMAT, "%s: no origin", path);
	else {
		*slash = '\0';
		snprintf(out, n, "%s", text);
	}
	free(text);
	return rc;
}

static int
parse(struct args *a, int argc, char **argv)
{
	const char *since = NULL, *until = NULL;
	char *end;
	int i;

	memset(a, 0, sizeof(*a));
	a->o.silent_hours = LS_AUDIT_SILENT_DEFAULT;
	/* every option takes a value: step over pairs */
	for (i = 1; i < argc; i += 2) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0)
			return 1;
		if (v == NULL)
			return ls_error_set(LS_EINVAL,
			    "%s: unknown or "
			    "missing value",
			    argv[i]);
		if (strcmp(argv[i], "--control") == 0)
			a->o.control = v;
		else if (strcmp(argv[i], "--framework") == 0)
			a->o.framework = v;
		else if (strcmp(argv[i], "--since") == 0)
			since = v;
		else if (strcmp(argv[i], "--until") == 0)
			until = v;
		else if (strcmp(argv[i], "-o") == 0)
			a->out = v;
		else if (strcmp(argv[i], "--data") == 0)
			a->data = v;
		else if (strcmp(argv[i], "--keys") == 0)
			a->keys = v;
		else if (strcmp(argv[i], "--origin") == 0)
			a->origin = v;
		else if (strcmp(argv[i], "--server") == 0)
			a->server = v;
		else if (strcmp(argv[i], "--token-file") == 0)
			a->token_file = v;
		else if (strcmp(argv[i], "--cacert") == 0)
			a->cacert = v;
		else if (strcmp(argv[i], "--silent-hours") == 0) {
			a->o.silent_hours = (unsigned)strtoul(v, &end, 10);
			if (*end != '\0' || a->o.silent_hours == 0 ||
			    a->o.silent_hours > 24 * 366)
				return ls_error_set(LS_EINVAL,
				    "--silent-hours: 1 to 8784");
		} else
			return ls_error_set(LS_EINVAL, "%s: unknown option",
			    argv[i]);
	}
	if (since == NULL || until == NULL || a->out == NULL)
		return ls_error_set(LS_EINVAL,
		    "--since, --until and -o are required");
	if ((a->data != NULL && a->keys != NULL) ==
	    (a->server != NULL && a->token_file != NULL))
		return ls_error_set(LS_EINVAL,
		    "give --data DIR --keys DIR, or --server URL "
		    "--token-file F");
	a->o.generated = time(NULL);
	if (ls_audit_time(&a->o.since, since, 0) != 0 ||
	    ls_audit_time(&a->o.until, until, 1) != 0)
		return LS_EINVAL;
	return 0;
}

static int
build_from_data(const struct args *a)
{
	struct ls_evidence *ev = NULL;
	struct ls_key *key = NULL;
	char origin[256], path[PATH_MAX];
	int rc;

	snprintf(path, sizeof(path), "%s/log.key", a->keys);
	if (a->origin != NULL)
		snprintf(origin, sizeof(origin), "%s", a->origin);
	else if ((rc = data_origin(origin, sizeof(origin), a->data)) != 0)
		goto out;
	if ((rc = ls_key_load(&key, path)) != 0 ||
	    (rc = ls_evidence_open(&ev, a->data, NULL, NULL)) != 0)
		goto out;
	rc = ls_audit_build_dir(a->out, ev, origin, key, &a->o);
out:
	ls_evidence_free(ev);
	ls_key_free(key);
	return rc;
}

static int
verify(int argc, char **argv)
{
	json_t *stats = NULL;
	char *s;

	if (argc != 2 || argv[1][0] == '-') {
		fputs(usage, argc == 2 ? stdout : stderr);
		return argc == 2 ? 0 : 2;
	}
	if (ls_audit_verify(&stats, argv[1]) != 0) {
		cli_fail("audit verify", "%s", argv[1]);
		return 1;
	}
	s = json_dumps(stats, JSON_COMPACT);
	fprintf(stderr, "lockstep audit verify: %s: ok %s\n", argv[1],
	    s ? s : "");
	free(s);
	json_decref(stats);
	return 0;
}

int
cli_audit(int argc, char **argv)
{
	struct args a;
	int rc;

	if (argc >= 2 && strcmp(argv[1], "verify") == 0)
		return verify(argc - 1, argv + 1);
	if ((rc = parse(&a, argc, argv)) == 1) {
		fputs(usage, stdout);
		return 0;
	}
	if (rc != 0) {
		fprintf(stderr, "lockstep audit: %s\n", ls_error_last());
		return 2;
	}
	if (a.server != NULL)
		rc = ls_audit_fetch(a.out, a.server, a.token_file, a.cacert,
		    &a.o);
	else
		rc = build_from_data(&a);
	if (rc != 0) {
		cli_fail("audit", "%s", a.out);
		return 1;
	}
	return 0;
}
