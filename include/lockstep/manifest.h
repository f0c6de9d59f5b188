/*
 * manifest.h - the OPA bundle .manifest: revision, roots, metadata,
 * rego_version (jansson at the edge only).
 */
#ifndef LOCKSTEP_MANIFEST_H
#define LOCKSTEP_MANIFEST_H

#include <stddef.h>

#define LS_MANIFEST_MAX (64 * 1024)

struct ls_manifest {
	char *revision; /* owned, "" when absent */
	char **roots;	/* owned; absent manifest roots = [""] */
	size_t nroots;
	char *metadata_json; /* owned compact JSON object, NULL if absent */
	int rego_version;    /* 0 or 1; default 1 */
};

/* Parse .manifest JSON (<= LS_MANIFEST_MAX, depth <= 32).  LS_EFORMAT
 * naming the field, LS_ETOOBIG. */
int ls_manifest_parse(struct ls_manifest *out, const char *json, size_t len);

/* Canonical JSON (sorted keys, compact, trailing newline). */
int ls_manifest_write(char **out, size_t *out_len, const struct ls_manifest *m);

/* LS_ECONFLICT if one root is a prefix path of another ("a" and "a/b"). */
int ls_manifest_check_roots(const struct ls_manifest *m);

void ls_manifest_init(struct ls_manifest *m);
void ls_manifest_cleanup(struct ls_manifest *m);

#endif
