/*
 * controls.h - compliance metadata of a policy repository: which controls
 * each package or rule implements (the control map), and the exceptions
 * (overrides) granted against the policy, each with an owner, a ticket, a
 * reason and an expiry.  The server's validate stage uses it to list the
 * controls a release covers and to fail the build on an expired exception.
 *
 * Both live in one file, LS_CONTROLS_FILE ("lockstep/data.json") in the
 * repository.  Because it is a data.json, OPA and the Lockstep engine load
 * it as data.lockstep, so the policy itself reads data.lockstep.exceptions
 * and honours them: there is no second copy to drift.  The format:
 *
 *   {
 *     "controls": {
 *       "data.kubernetes.checks.security": ["pci-dss:2.2.1", "soc2:CC6.1"],
 *       "data.kubernetes.admission.deny":  ["soc2:CC6.1"]
 *     },
 *     "exceptions": [
 *       { "id": "EXC-2026-001",
 *         "owner": "sre-observability@example.com",
 *         "ticket": "SEC-4711",
 *         "reason": "node-exporter reads /proc and /sys of the node",
 *         "expires": "2027-12-31",
 *         "exempts": { "check": "host-path", "namespace": "monitoring",
 *                      "name": "node-exporter" } }
 *     ]
 *   }
 *
 * - "controls" maps a package or rule, written as its data path
 *   ("data." then dot-separated identifiers), to control ids of the form
 *   FRAMEWORK:ID (framework in [a-z0-9-], id in [A-Za-z0-9._-]).
 * - "exceptions" is a list; every field is required.  id is unique and in
 *   [A-Za-z0-9._-]; owner, ticket and reason are non-empty strings;
 *   expires is RFC 3339 UTC or a bare date, which means the exception is
 *   valid through the end of that day (UTC); exempts is a non-empty JSON
 *   object whose meaning belongs to the policy (the example repository
 *   matches check, namespace and name).
 * - Unknown keys are refused, so a typo ("expire") cannot silently drop a
 *   field.  Both members are optional; an absent file means no controls
 *   and no exceptions.
 */
#ifndef LOCKSTEP_CONTROLS_H
#define LOCKSTEP_CONTROLS_H

#include <stddef.h>
#include <time.h>

struct ls_bundle_files; /* lockstep/bundle.h */

#define LS_CONTROLS_FILE "lockstep/data.json"
#define LS_CONTROLS_MAX (256 * 1024) /* bytes of the file */
#define LS_CONTROLS_MAX_DEPTH 16     /* JSON nesting */
#define LS_CONTROLS_MAX_TARGETS 1000
#define LS_CONTROLS_MAX_PER_TARGET 64
#define LS_CONTROLS_MAX_EXCEPTIONS 1000
#define LS_CONTROLS_MAX_FIELD 1024 /* bytes of one string field */

struct ls_control_target {
	char *target;	 /* owned; "data.kubernetes.checks.security" */
	char **controls; /* owned; "soc2:CC6.1", in file order */
	size_t ncontrols;
};

struct ls_exception {
	char *id;	    /* owned */
	char *owner;	    /* owned */
	char *ticket;	    /* owned */
	char *reason;	    /* owned */
	char *expires_text; /* owned; as written in the file */
	time_t expires;	    /* first second at which it no longer holds */
	char *exempts_json; /* owned; compact JSON object, sorted keys */
};

struct ls_controls {
	struct ls_control_target *targets; /* owned; sorted by target */
	size_t ntargets;
	struct ls_exception *exceptions; /* owned; in file order */
	size_t nexceptions;
};

void ls_controls_init(struct ls_controls *c);
void ls_controls_cleanup(struct ls_controls *c); /* safe to repeat */

/*
 * Parse the JSON text of a controls file; file names it in messages.
 * LS_EFORMAT naming the field ("lockstep/data.json: exceptions[1].owner:
 * must be a non-empty string"), LS_ETOOBIG past a cap, LS_ECONFLICT for a
 * duplicate exception id.  On failure *out is left empty.
 */
int ls_controls_parse(struct ls_controls *out, const char *json, size_t len,
    const char *file);

/* Read and parse DIR/LS_CONTROLS_FILE.  An absent file gives an empty
 * *out and 0. */
int ls_controls_load_dir(struct ls_controls *out, const char *dir);

/* The same for a bundle in memory (the server's pipeline reads the git
 * tree, not a directory): the file LS_CONTROLS_FILE of f, absent = empty. */
int ls_controls_from_files(struct ls_controls *out,
    const struct ls_bundle_files *f);

/*
 * Every control id the map covers, sorted bytewise and unique, in *out
 * (a NULL-terminated array; free with ls_controls_list_free).  *n may be
 * NULL.  LS_ENOMEM.
 */
int ls_controls_list(char ***out, size_t *n, const struct ls_controls *c);
void ls_controls_list_free(char **list); /* NULL ok */

/*
 * Check every exception against now.  LS_EEXPIRED naming each expired
 * exception with its id, owner, ticket and expiry ("exception
 * EXC-2026-001 (owner ..., ticket SEC-4711) expired 2027-12-31"), or 0.
 */
int ls_controls_check_exceptions(const struct ls_controls *c, time_t now);

#endif
