/*
 * doc.h - the Lockstep documents carried in signed notes: root, release,
 * timestamp and agent report.  Each body is "key value" lines; the first
 * line is the type ("lockstep/root/v1", "lockstep/release/v1",
 * "lockstep/timestamp/v1", "lockstep/report/v1"), so one document cannot
 * be passed off as another.  Parsers are strict: unknown keys, repeated
 * single-valued keys, missing fields and bad values are LS_EFORMAT naming
 * the field.  Builders return the body text ready for ls_note_sign.
 *
 * Bodies (values never contain a newline; text values are single-line
 * UTF-8 of at most 1,024 bytes):
 *
 *   lockstep/root/v1
 *   origin NAME
 *   version N
 *   expires TIME
 *   key ROLE VKEY            (ROLE: root release timestamp log; repeated)
 *   threshold ROLE N         (one per role)
 *
 *   lockstep/release/v1
 *   origin NAME
 *   channel NAME
 *   seq N
 *   version TAG
 *   commit HEX40
 *   bundle sha256:HEX length N
 *   built TIME
 *   expires TIME
 *   floor N
 *   tests passed N failed N
 *   control ID               (repeated, sorted)
 *   action KIND              (optional: pin, rollback, unpin; then:)
 *   owner TEXT / reason TEXT / until TIME
 *
 *   lockstep/timestamp/v1
 *   origin NAME
 *   channel NAME
 *   seq N
 *   expires TIME
 *   release SEQ sha256:HEX length N     (of the release note's bytes)
 *
 *   lockstep/report/v1
 *   agent ID                 (agent name; its vkey signs the report)
 *   channel NAME
 *   seq N                    (report counter, strictly increasing)
 *   root N
 *   timestamp N
 *   release N
 *   bundle sha256:HEX
 *   version TAG
 *   time TIME
 *   state active|stale|error|none
 *   error TEXT               (optional: last error)
 *   dropped N                (optional: reports lost to the queue bound)
 *
 * Value rules (parsers and builders agree, so parse(build(x)) == x):
 *   - N is decimal without sign or leading zeros, at most 2^64-1; seq and
 *     root version are at least 1; release/timestamp/root counters in a
 *     report may be 0 (nothing accepted yet); a threshold is 1..64.
 *   - TIME is exactly "YYYY-MM-DDTHH:MM:SSZ".
 *   - NAME and TAG follow ls_name_valid; HEX is lower-case; a control ID
 *     is 1..128 printable ASCII bytes without spaces.
 *   - fields may come in any order after the type line; a value has no
 *     leading or trailing space and words are separated by one space.
 *   - root: every role has a threshold line and at least that many keys;
 *     a key listed twice for one role is refused; at most LS_DOC_MAX_KEYS.
 *   - release: floor <= seq; expires after built; controls strictly
 *     sorted (strcmp); owner and reason present exactly when action is;
 *     until is required for pin and rollback, optional for unpin.
 *   - report: bundle and version may be left out when state is none (the
 *     builder omits them when empty then); error is omitted when empty,
 *     dropped when 0.
 *   - parse errors are LS_EFORMAT ("lockstep/release/v1 line 4: 'seq'
 *     needs a whole number ..."), a body over LS_NOTE_MAX is LS_ETOOBIG;
 *     on error the out struct is left zeroed with nothing to clean up.
 */
#ifndef LOCKSTEP_DOC_H
#define LOCKSTEP_DOC_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "lockstep/key.h"

#define LS_NAME_MAX 128	 /* origin, channel, version tag, agent id */
#define LS_TEXT_MAX 1024 /* owner, reason, error */
#define LS_DOC_MAX_KEYS 64
#define LS_DOC_MAX_CONTROLS 256

enum ls_role {
	LS_ROLE_ROOT,
	LS_ROLE_RELEASE,
	LS_ROLE_TIMESTAMP,
	LS_ROLE_LOG,
	LS_ROLE_COUNT
};

/* "root", "release", "timestamp", "log" ("?" out of range). */
const char *ls_role_name(enum ls_role r);
/* Role from its name.  LS_EFORMAT. */
int ls_role_parse(enum ls_role *out, const char *s, size_t len);

struct ls_root {
	char origin[LS_NAME_MAX + 1];
	uint64_t version;
	time_t expires;
	struct ls_keyset keys[LS_ROLE_COUNT]; /* owned */
	unsigned threshold[LS_ROLE_COUNT];
};

struct ls_release {
	char origin[LS_NAME_MAX + 1];
	char channel[LS_NAME_MAX + 1];
	uint64_t seq;
	char version[LS_NAME_MAX + 1];
	char commit[41];
	char bundle_sha256[65]; /* lower-case hex */
	uint64_t bundle_length;
	time_t built;
	time_t expires;
	uint64_t floor;
	unsigned tests_passed, tests_failed;
	char **controls; /* owned, sorted */
	size_t ncontrols;
	char action[16]; /* "" for a normal release */
	char owner[LS_TEXT_MAX + 1];
	char reason[LS_TEXT_MAX + 1];
	time_t until;
};

struct ls_timestamp {
	char origin[LS_NAME_MAX + 1];
	char channel[LS_NAME_MAX + 1];
	uint64_t seq;
	time_t expires;
	uint64_t release_seq;
	char release_sha256[65];
	uint64_t release_length;
};

struct ls_report {
	char agent[LS_NAME_MAX + 1];
	char channel[LS_NAME_MAX + 1];
	uint64_t seq;
	uint64_t root_version;
	uint64_t timestamp_seq;
	uint64_t release_seq;
	char bundle_sha256[65];
	char version[LS_NAME_MAX + 1];
	time_t time;
	char state[8]; /* active, stale, error, none */
	char error[LS_TEXT_MAX + 1];
	uint64_t dropped;
};

/* Parsers take the verified body.  LS_EFORMAT, LS_ENOMEM. */
int ls_root_parse(struct ls_root *out, const char *body, size_t len);
int ls_release_parse(struct ls_release *out, const char *body, size_t len);
int ls_timestamp_parse(struct ls_timestamp *out, const char *body, size_t len);
int ls_report_parse(struct ls_report *out, const char *body, size_t len);

void ls_root_cleanup(struct ls_root *r);
void ls_release_cleanup(struct ls_release *r);

/* Builders: *out is the body text, caller frees.  LS_EINVAL (naming the
 * field) when a value breaks the rules above, LS_ENOMEM, LS_ETOOBIG. */
int ls_root_body(char **out, size_t *out_len, const struct ls_root *r);
int ls_release_body(char **out, size_t *out_len, const struct ls_release *r);
int
ls_timestamp_body(char **out, size_t *out_len, const struct ls_timestamp *t);
int ls_report_body(char **out, size_t *out_len, const struct ls_report *r);

/* Is s a valid channel, origin, tag or agent name?  [A-Za-z0-9._-], 1..128,
 * not starting with '.'. */
int ls_name_valid(const char *s);

#endif
