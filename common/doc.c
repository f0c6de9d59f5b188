/* doc.c - root, release, timestamp and report bodies: build and parse. */
#include <stdlib.h>
#include <string.h>

#include "lockstep/buf.h"
#include "lockstep/doc.h"
#include "lockstep/error.h"
#include "lockstep/note.h"
#include "lockstep/timefmt.h"

#define MAX_WORDS 4
#define COUNT_MAX 1000000000ULL /* test counts */

static const char *const role_names[LS_ROLE_COUNT] = {
	"root",
	"release",
	"timestamp",
	"log",
};

const char *
ls_role_name(enum ls_role r)
{
	return (unsigned)r < LS_ROLE_COUNT ? role_names[r] : "?";
}

int
ls_role_parse(enum ls_role *out, const char *s, size_t len)
{
	unsigned i;

	for (i = 0; i < LS_ROLE_COUNT; i++)
		if (strlen(role_names[i]) == len &&
		    memcmp(role_names[i], s, len) == 0) {
			*out = (enum ls_role)i;
			return 0;
		}
	return ls_error_set(LS_EFORMAT, "unknown role '%.*s'",
	    (int)(len > 32 ? 32 : len), s);
}

static int
name_valid_n(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > LS_NAME_MAX || s[0] == '.')
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
			(s[i] >= 'A' && s[i] <= 'Z') ||
			(s[i] >= '0' && s[i] <= '9') || s[i] == '.' ||
			s[i] == '_' || s[i] == '-'))
			return 0;
	return 1;
}

int
ls_name_valid(const char *s)
{
	return s != NULL && name_valid_n(s, strnlen(s, LS_NAME_MAX + 1));
}

/* ---- reading bodies ---------------------------------------------------- */

/* A body being read: the document type names it in error messages. */
struct reader {
	const char *type;
	const char *p, *end;
	size_t lineno;
	const char *const *fields; /* NULL-terminated field names */
	unsigned long repeatable;  /* bit i: field i may repeat */
	unsigned long seen;
	/* the current line */
	const char *key, *val;
	size_t klen, vlen;
	int idx;
};

/* LS_EFORMAT naming document, line and field: "... 'seq': why what". */
static int
bad(const struct reader *r, const char *why, const char *what)
{
	return ls_error_set(LS_EFORMAT, "%s line %zu: '%.*s' %s%s%s", r->type,
	    r->lineno, (int)(r->klen > 40 ? 40 : r->klen), r->key, why,
	    what != NULL ? " " : "", what != NULL ? what : "");
}

static int
reader_init(struct reader *r, const char *type, const char *const *fields,
    unsigned long repeatable, const char *body, size_t len)
{
	const char *nl;
	size_t tlen = strlen(type);

	memset(r, 0, sizeof(*r));
	r->type = type;
	r->fields = fields;
	r->repeatable = repeatable;
	if (len > LS_NOTE_MAX)
		return ls_error_set(LS_ETOOBIG,
		    "%s: body of %zu bytes is over "
		    "%d",
		    type, len, LS_NOTE_MAX);
	if (len == 0 || body[len - 1] != '\n')
		return ls_error_set(LS_EFORMAT,
		    "%s: body does not end in a "
		    "newline",
		    type);
	if (!ls_utf8_valid(body, len))
		return ls_error_set(LS_EFORMAT, "%s: body is not UTF-8 text",
		    type);
	nl = memchr(body, '\n', len);
	if ((size_t)(nl - body) != tlen || memcmp(body, type, tlen) != 0)
		return ls_error_set(LS_EFORMAT,
		    "not a %s document (first line "
		    "'%.*s')",
		    type, (int)((nl - body) > 40 ? 40 : nl - body), body);
	r->p = nl + 1;
	r->end = body + len;
	r->lineno = 1;
	return 0;
}

/* Next "key value" line: 1, 0 at the end, or LS_EFORMAT. */
static int
reader_next(struct reader *r)
{
	const char *nl, *sp;
	int i;

	if (r->p >= r->end)
		return 0;
	r->lineno++;
	nl = memchr(r->p, '\n', (size_t)(r->end - r->p));
	r->key = r->p;
	r->klen = (size_t)(nl - r->p);
	r->val = "";
	r->vlen = 0;
	r->p = nl + 1;
	if ((sp = memchr(r->key, ' ', r->klen)) == NULL || sp == r->key ||
	    sp + 1 == nl)
		return bad(r, "is not a 'key value' line", NULL);
	r->val = sp + 1;
	r->vlen = (size_t)(nl - r->val);
	r->klen = (size_t)(sp - r->key);
	if (r->val[0] == ' ' || r->val[r->vlen - 1] == ' ')
		return bad(r, "value has stray spaces", NULL);
	for (i = 0; r->fields[i] != NULL; i++)
		if (strlen(r->fields[i]) == r->klen &&
		    memcmp(r->fields[i], r->key, r->klen) == 0)
			break;
	if (r->fields[i] == NULL)
		return bad(r, "is not a known field", NULL);
	if ((r->seen & (1UL << i)) && !(r->repeatable & (1UL << i)))
		return bad(r, "is repeated", NULL);
	r->seen |= 1UL << i;
	r->idx = i;
	return 1;
}

/* Every field in mask must have been seen. */
static int
reader_require(const struct reader *r, unsigned long mask)
{
	int i;

	for (i = 0; r->fields[i] != NULL; i++)
		if ((mask & (1UL << i)) && !(r->seen & (1UL << i)))
			return ls_error_set(LS_EFORMAT,
			    "%s: missing field '%s'", r->type, r->fields[i]);
	return 0;
}

static int
has(const struct reader *r, int field)
{
	return (r->seen & (1UL << field)) != 0;
}

/* Split the value at single spaces into at most MAX_WORDS words. */
struct words {
	const char *w[MAX_WORDS];
	size_t n[MAX_WORDS];
	size_t count;
};

static int
split_words(const struct reader *r, struct words *ws, size_t want)
{
	const char *p = r->val, *end = r->val + r->vlen, *sp;

	memset(ws, 0, sizeof(*ws));
	while (p < end) {
		if (ws->count == want)
			return bad(r, "has too many words", NULL);
		sp = memchr(p, ' ', (size_t)(end - p));
		if (sp == NULL)
			sp = end;
		if (sp == p)
			return bad(r, "has a double space", NULL);
		ws->w[ws->count] = p;
		ws->n[ws->count++] = (size_t)(sp - p);
		p = sp == end ? end : sp + 1;
	}
	if (ws->count != want)
		return bad(r, "has too few words", NULL);
	return 0;
}

static int
word_is(const struct words *ws, size_t i, const char *s)
{
	return ws->n[i] == strlen(s) && memcmp(ws->w[i], s, ws->n[i]) == 0;
}

/* Decimal without sign or leading zeros, min <= v <= max. */
static int
parse_u64(uint64_t *out, const char *s, size_t n, uint64_t min, uint64_t max)
{
	uint64_t v = 0;
	size_t i;

	if (n == 0 || n > 20 || (n > 1 && s[0] == '0'))
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int
get_u64(const struct reader *r, uint64_t *out, const char *s, size_t n,
    uint64_t min, uint64_t max)
{
	if (parse_u64(out, s, n, min, max) < 0)
		return bad(r, "needs a decimal number without leading zeros",
		    min > 0 ? "of at least 1" : NULL);
	return 0;
}

static int
get_name(const struct reader *r, char out[LS_NAME_MAX + 1], const char *s,
    size_t n)
{
	if (!name_valid_n(s, n))
		return bad(r, "is not a valid name",
		    "([A-Za-z0-9._-], 1..128)");
	memcpy(out, s, n);
	out[n] = '\0';
	return 0;
}

static int
get_text(const struct reader *r, char out[LS_TEXT_MAX + 1])
{
	if (r->vlen > LS_TEXT_MAX)
		return bad(r, "is longer than 1024 bytes", NULL);
	memcpy(out, r->val, r->vlen);
	out[r->vlen] = '\0';
	return 0;
}

/* Times in bodies are always the full "YYYY-MM-DDTHH:MM:SSZ". */
static int
get_time(const struct reader *r, time_t *out)
{
	if (r->vlen != LS_TIME_LEN - 1 ||
	    ls_time_parse(out, r->val, r->vlen) < 0)
		return bad(r, "needs a time like", "2026-01-31T12:00:00Z");
	return 0;
}

/* "sha256:" then 64 lower-case hex digits. */
static int
get_sha256(const struct reader *r, char out[65], const char *s, size_t n)
{
	size_t i;

	if (n != 71 || memcmp(s, "sha256:", 7) != 0)
		goto fail;
	for (i = 7; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
			(s[i] >= 'a' && s[i] <= 'f')))
			goto fail;
	memcpy(out, s + 7, 64);
	out[64] = '\0';
	return 0;
fail:
	return bad(r, "needs", "sha256: and 64 lower-case hex digits");
}

/* "sha256:HEX length N" starting at word i. */
static int
get_hash_len(const struct reader *r, const struct words *ws, size_t i,
    char sha[65], uint64_t *len)
{
	int rc;

	if ((rc = get_sha256(r, sha, ws->w[i], ws->n[i])) < 0)
		return rc;
	if (!word_is(ws, i + 1, "length"))
		return bad(r, "needs", "'length N' after the hash");
	return get_u64(r, len, ws->w[i + 2], ws->n[i + 2], 0, UINT64_MAX);
}

static int
get_whole(const struct reader *r, uint64_t *out, uint64_t min)
{
	return get_u64(r, out, r->val, r->vlen, min, UINT64_MAX);
}

/* ---- root ------------------------------------------------------------ */

enum { RT_ORIGIN, RT_VERSION, RT_EXPIRES, RT_KEY, RT_THRESHOLD };
static const char *const root_fields[] = { "origin", "version", "expires",
	"key", "threshold", NULL };

static int
root_key(const struct reader *r, struct ls_root *out, size_t *nkeys)
{
	struct ls_vkey vk;
	struct words ws;
	enum ls_role role;
	int rc;

	if ((rc = split_words(r, &ws, 2)) < 0)
		return rc;
	if (ls_role_parse(&role, ws.w[0], ws.n[0]) < 0)
		return bad(r, "names an unknown role", NULL);
	if (ls_vkey_parse(&vk, ws.w[1], ws.n[1]) < 0)
		return bad(r, "has a bad verifier key:", ls_error_last());
	if (++*nkeys > LS_DOC_MAX_KEYS)
		return bad(r, "too many keys", NULL);
	rc = ls_keyset_add(&out->keys[role], &vk);
	if (rc == LS_EEXISTS)
		return bad(r, "lists a key twice for role", ls_role_name(role));
	return rc;
}

static int
root_threshold(const struct reader *r, struct ls_root *out,
    unsigned *seen_roles)
{
	struct words ws;
	enum ls_role role;
	uint64_t n;
	int rc;

	if ((rc = split_words(r, &ws, 2)) < 0)
		return rc;
	if (ls_role_parse(&role, ws.w[0], ws.n[0]) < 0)
		return bad(r, "names an unknown role", NULL);
	if (*seen_roles & (1U << role))
		return bad(r, "is repeated for role", ls_role_name(role));
	*seen_roles |= 1U << role;
	if ((rc = get_u64(r, &n, ws.w[1], ws.n[1], 1, LS_DOC_MAX_KEYS)) < 0)
		return rc;
	out->threshold[role] = (unsigned)n;
	return 0;
}

static int
root_check(const struct ls_root *out, unsigned seen_roles)
{
	unsigned i;

	for (i = 0; i < LS_ROLE_COUNT; i++) {
		if (!(seen_roles & (1U << i)))
			return ls_error_set(LS_EFORMAT,
			    "lockstep/root/v1: no "
			    "threshold for role %s",
			    role_names[i]);
		if (out->keys[i].n < out->threshold[i])
			return ls_error_set(LS_EFORMAT,
			    "lockstep/root/v1: role "
			    "%s has %zu key(s), threshold %u",
			    role_names[i], out->keys[i].n, out->threshold[i]);
	}
	return 0;
}

int
ls_root_parse(struct ls_root *out, const char *body, size_t len)
{
	struct reader r;
	unsigned seen_roles = 0;
	size_t nkeys = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = reader_init(&r, "lockstep/root/v1", root_fields,
		 1UL << RT_KEY | 1UL << RT_THRESHOLD, body, len)) < 0)
		goto out;
	while ((rc = reader_next(&r)) > 0) {
		switch (r.idx) {
		case RT_ORIGIN:
			rc = get_name(&r, out->origin, r.val, r.vlen);
			break;
		case RT_VERSION: rc = get_whole(&r, &out->version, 1); break;
		case RT_EXPIRES: rc = get_time(&r, &out->expires); break;
		case RT_KEY: rc = root_key(&r, out, &nkeys); break;
		default: rc = root_threshold(&r, out, &seen_roles);
		}
		if (rc < 0)
			goto out;
	}
	if (rc < 0 || (rc = reader_require(&r, (1UL << 5) - 1)) < 0)
		goto out;
	rc = root_check(out, seen_roles);
out:
	if (rc < 0)
		ls_root_cleanup(out);
	return rc;
}

void
ls_root_cleanup(struct ls_root *r)
{
	unsigned i;

	for (i = 0; i < LS_ROLE_COUNT; i++)
		ls_keyset_cleanup(&r->keys[i]);
}

/* ---- release --------------------------------------------------------- */

enum {
	RL_ORIGIN,
	RL_CHANNEL,
	RL_SEQ,
	RL_VERSION,
	RL_COMMIT,
	RL_BUNDLE,
	RL_BUILT,
	RL_EXPIRES,
	RL_FLOOR,
	RL_TESTS,
	RL_CONTROL,
	RL_ACTION,
	RL_OWNER,
	RL_REASON,
	RL_UNTIL
};
static const char *const release_fields[] = { "origin", "channel", "seq",
	"version", "commit", "bundle", "built", "expires", "floor", "tests",
	"control", "action", "owner", "reason", "until", NULL };

static int
control_valid(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > LS_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return 0;
	return 1;
}

static int
release_control(const struct reader *r, struct ls_release *out)
{
	char **p, *c;

	if (!control_valid(r->val, r->vlen))
		return bad(r, "is not a control id",
		    "(printable ASCII, 1..128)");
	if (out->ncontrols >= LS_DOC_MAX_CONTROLS)
		return bad(r, "too many controls", NULL);
	if ((c = malloc(r->vlen + 1)) == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	memcpy(c, r->val, r->vlen);
	c[r->vlen] = '\0';
	if (out->ncontrols > 0 &&
	    strcmp(out->controls[out->ncontrols - 1], c) >= 0) {
		free(c);
		return bad(r, "is not sorted or repeats", NULL);
	}
	p = realloc(out->controls, (out->ncontrols + 1) * sizeof(*p));
	if (p == NULL) {
		free(c);
		return ls_error_set(LS_ENOMEM, "out of memory");
	}
	out->controls = p;
	out->controls[out->ncontrols++] = c;
	return 0;
}

static int
release_tests(const struct reader *r, struct ls_release *out)
{
	struct words ws;
	uint64_t a, b;
	int rc;

	if ((rc = split_words(r, &ws, 4)) < 0)
		return rc;
	if (!word_is(&ws, 0, "passed") || !word_is(&ws, 2, "failed"))
		return bad(r, "needs", "'passed N failed N'");
	if ((rc = get_u64(r, &a, ws.w[1], ws.n[1], 0, COUNT_MAX)) < 0 ||
	    (rc = get_u64(r, &b, ws.w[3], ws.n[3], 0, COUNT_MAX)) < 0)
		return rc;
	out->tests_passed = (unsigned)a;
	out->tests_failed = (unsigned)b;
	return 0;
}

static int
release_action(const struct reader *r, struct ls_release *out)
{
	static const char *const kinds[] = { "pin", "rollback", "unpin" };
	size_t i;

	for (i = 0; i < 3; i++)
		if (strlen(kinds[i]) == r->vlen &&
		    memcmp(kinds[i], r->val, r->vlen) == 0) {
			memcpy(out->action, r->val, r->vlen);
			out->action[r->vlen] = '\0';
			return 0;
		}
	return bad(r, "must be", "pin, rollback or unpin");
}

static int
release_commit(const struct reader *r, struct ls_release *out)
{
	size_t i;

	if (r->vlen != 40)
		goto fail;
	for (i = 0; i < 40; i++)
		if (!((r->val[i] >= '0' && r->val[i] <= '9') ||
			(r->val[i] >= 'a' && r->val[i] <= 'f')))
			goto fail;
	memcpy(out->commit, r->val, 40);
	out->commit[40] = '\0';
	return 0;
fail:
	return bad(r, "needs", "40 lower-case hex digits");
}

static int
release_field(const struct reader *r, struct ls_release *out)
{
	struct words ws;
	int rc;

	switch (r->idx) {
	case RL_ORIGIN: return get_name(r, out->origin, r->val, r->vlen);
	case RL_CHANNEL: return get_name(r, out->channel, r->val, r->vlen);
	case RL_SEQ: return get_whole(r, &out->seq, 1);
	case RL_VERSION: return get_name(r, out->version, r->val, r->vlen);
	case RL_COMMIT: return release_commit(r, out);
	case RL_BUNDLE:
		if ((rc = split_words(r, &ws, 3)) < 0)
			return rc;
		return get_hash_len(r, &ws, 0, out->bundle_sha256,
		    &out->bundle_length);
	case RL_BUILT: return get_time(r, &out->built);
	case RL_EXPIRES: return get_time(r, &out->expires);
	case RL_FLOOR: return get_whole(r, &out->floor, 0);
	case RL_TESTS: return release_tests(r, out);
	case RL_CONTROL: return release_control(r, out);
	case RL_ACTION: return release_action(r, out);
	case RL_OWNER: return get_text(r, out->owner);
	case RL_REASON: return get_text(r, out->reason);
	default: return get_time(r, &out->until);
	}
}

/* Cross-field rules of a release. */
static int
release_check(const struct reader *r, const struct ls_release *out)
{
	const char *t = r->type;

	if (out->floor > out->seq)
		return ls_error_set(LS_EFORMAT,
		    "%s: floor %llu is above seq "
		    "%llu",
		    t, (unsigned long long)out->floor,
		    (unsigned long long)out->seq);
	if (out->expires <= out->built)
		return ls_error_set(LS_EFORMAT,
		    "%s: expires is not after "
		    "built",
		    t);
	if (!has(r, RL_ACTION)) {
		if (has(r, RL_OWNER) || has(r, RL_REASON) || has(r, RL_UNTIL))
			return ls_error_set(LS_EFORMAT,
			    "%s: owner, reason and "
			    "until belong to an action",
			    t);
		return 0;
	}
	if (!has(r, RL_OWNER) || !has(r, RL_REASON))
		return ls_error_set(LS_EFORMAT,
		    "%s: action %s needs an owner "
		    "and a reason",
		    t, out->action);
	if (strcmp(out->action, "unpin") != 0 && !has(r, RL_UNTIL))
		return ls_error_set(LS_EFORMAT, "%s: action %s needs until", t,
		    out->action);
	return 0;
}

int
ls_release_parse(struct ls_release *out, const char *body, size_t len)
{
	struct reader r;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = reader_init(&r, "lockstep/release/v1", release_fields,
		 1UL << RL_CONTROL, body, len)) < 0)
		goto out;
	while ((rc = reader_next(&r)) > 0)
		if ((rc = release_field(&r, out)) < 0)
			goto out;
	if (rc < 0 || (rc = reader_require(&r, (1UL << RL_CONTROL) - 1)) < 0)
		goto out;
	rc = release_check(&r, out);
out:
	if (rc < 0)
		ls_release_cleanup(out);
	return rc;
}

void
ls_release_cleanup(struct ls_release *r)
{
	size_t i;

	for (i = 0; i < r->ncontrols; i++)
		free(r->controls[i]);
	free(r->controls);
	r->controls = NULL;
	r->ncontrols = 0;
}

/* ---- timestamp ------------------------------------------------------- */

enum { TS_ORIGIN, TS_CHANNEL, TS_SEQ, TS_EXPIRES, TS_RELEASE };
static const char *const timestamp_fields[] = { "origin", "channel", "seq",
	"expires", "release", NULL };

static int
timestamp_field(const struct reader *r, struct ls_timestamp *out)
{
	struct words ws;
	int rc;

	switch (r->idx) {
	case TS_ORIGIN: return get_name(r, out->origin, r->val, r->vlen);
	case TS_CHANNEL: return get_name(r, out->channel, r->val, r->vlen);
	case TS_SEQ: return get_whole(r, &out->seq, 1);
	case TS_EXPIRES: return get_time(r, &out->expires);
	default:
		if ((rc = split_words(r, &ws, 4)) < 0)
			return rc;
		if ((rc = get_u64(r, &out->release_seq, ws.w[0], ws.n[0], 1,
			 UINT64_MAX)) < 0)
			return rc;
		return get_hash_len(r, &ws, 1, out->release_sha256,
		    &out->release_length);
	}
}

int
ls_timestamp_parse(struct ls_timestamp *out, const char *body, size_t len)
{
	struct reader r;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = reader_init(&r, "lockstep/timestamp/v1", timestamp_fields, 0,
		 body, len)) < 0)
		goto out;
	while ((rc = reader_next(&r)) > 0)
		if ((rc = timestamp_field(&r, out)) < 0)
			goto out;
	if (rc == 0)
		rc = reader_require(&r, (1UL << 5) - 1);
out:
	if (rc < 0)
		memset(out, 0, sizeof(*out));
	return rc;
}

/* ---- report ---------------------------------------------------------- */

enum {
	RP_AGENT,
	RP_CHANNEL,
	RP_SEQ,
	RP_ROOT,
	RP_TIMESTAMP,
	RP_RELEASE,
	RP_BUNDLE,
	RP_VERSION,
	RP_TIME,
	RP_STATE,
	RP_ERROR,
	RP_DROPPED
};
static const char *const report_fields[] = { "agent", "channel", "seq", "root",
	"timestamp", "release", "bundle", "version", "time", "state", "error",
	"dropped", NULL };

static int
state_valid(const char *s, size_t n)
{
	static const char *const states[] = { "active", "stale", "error",
		"none" };
	size_t i;

	for (i = 0; i < 4; i++)
		if (strlen(states[i]) == n && memcmp(states[i], s, n) == 0)
			return 1;
	return 0;
}

static int
report_field(const struct reader *r, struct ls_report *out)
{
	switch (r->idx) {
	case RP_AGENT: return get_name(r, out->agent, r->val, r->vlen);
	case RP_CHANNEL: return get_name(r, out->channel, r->val, r->vlen);
	case RP_SEQ: return get_whole(r, &out->seq, 1);
	case RP_ROOT: return get_whole(r, &out->root_version, 0);
	case RP_TIMESTAMP: return get_whole(r, &out->timestamp_seq, 0);
	case RP_RELEASE: return get_whole(r, &out->release_seq, 0);
	case RP_BUNDLE:
		return get_sha256(r, out->bundle_sha256, r->val, r->vlen);
	case RP_VERSION: return get_name(r, out->version, r->val, r->vlen);
	case RP_TIME: return get_time(r, &out->time);
	case RP_STATE:
		if (!state_valid(r->val, r->vlen))
			return bad(r, "must be",
			    "active, stale, error or none");
		memcpy(out->state, r->val, r->vlen);
		out->state[r->vlen] = '\0';
		return 0;
	case RP_ERROR: return get_text(r, out->error);
	default: return get_whole(r, &out->dropped, 0);
	}
}

int
ls_report_parse(struct ls_report *out, const char *body, size_t len)
{
	unsigned long need = (1UL << RP_ERROR) - 1;
	struct reader r;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = reader_init(&r, "lockstep/report/v1", report_fields, 0, body,
		 len)) < 0)
		goto out;
	while ((rc = reader_next(&r)) > 0)
		if ((rc = report_field(&r, out)) < 0)
			goto out;
	if (rc < 0)
		goto out;
	/* Before the first activation there is no bundle to name. */
	if (strcmp(out->state, "none") == 0)
		need &= ~(1UL << RP_BUNDLE | 1UL << RP_VERSION);
	rc = reader_require(&r, need);
out:
	if (rc < 0)
		memset(out, 0, sizeof(*out));
	return rc;
}

/* ---- building bodies ------------------------------------------------- */

static int
text_valid(const char *s)
{
	size_t n = strnlen(s, LS_TEXT_MAX + 1);

	return n > 0 && n <= LS_TEXT_MAX && s[0] != ' ' && s[n - 1] != ' ' &&
	    memchr(s, '\n', n) == NULL && ls_utf8_valid(s, n);
}

static int
sha_valid(const char *s)
{
	size_t i;

	for (i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
			(s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[64] == '\0';
}

/* Times a body can carry: 1970-01-01T00:00:00Z .. 9999-12-31T23:59:59Z. */
#define TIME_MAX 253402300799LL

static int
put_time(struct ls_buf *b, const char *key, time_t t)
{
	char s[LS_TIME_LEN];

	if (t < 0 || (long long)t > TIME_MAX)
		return ls_error_set(LS_EINVAL,
		    "'%s' time %lld is outside "
		    "years 1970..9999",
		    key, (long long)t);
	ls_time_format(s, t);
	return ls_buf_addf(b, "%s %s\n", key, s);
}

/* Hand a built body to the caller, or clean up on error. */
static int
finish(char **out, size_t *out_len, struct ls_buf *b, int rc)
{
	if (rc == 0 && (*out = ls_buf_take(b, out_len)) == NULL)
		rc = ls_error_set(LS_ENOMEM, "out of memory");
	ls_buf_cleanup(b);
	return rc;
}

static int
invalid(const char *type, const char *field)
{
	return ls_error_set(LS_EINVAL, "%s: bad or missing value for '%s'",
	    type, field);
}

int
ls_root_body(char **out, size_t *out_len, const struct ls_root *r)
{
	const char *t = "lockstep/root/v1";
	char vk[LS_VKEY_TEXT_MAX];
	struct ls_buf b;
	unsigned i;
	size_t j;
	int rc = 0;

	*out = NULL;
	ls_buf_init(&b, LS_NOTE_MAX);
	if (!ls_name_valid(r->origin))
		return invalid(t, "origin");
	if (r->version == 0)
		return invalid(t, "version");
	for (i = 0; i < LS_ROLE_COUNT; i++)
		if (r->threshold[i] == 0 || r->keys[i].n < r->threshold[i] ||
		    r->threshold[i] > LS_DOC_MAX_KEYS)
			return invalid(t, "threshold");
	rc = ls_buf_addf(&b, "%s\norigin %s\nversion %llu\n", t, r->origin,
	    (unsigned long long)r->version);
	if (rc == 0)
		rc = put_time(&b, "expires", r->expires);
	for (i = 0; rc == 0 && i < LS_ROLE_COUNT; i++)
		for (j = 0; rc == 0 && j < r->keys[i].n; j++) {
			ls_vkey_format(vk, &r->keys[i].keys[j]);
			rc = ls_buf_addf(&b, "key %s %s\n", role_names[i], vk);
		}
	for (i = 0; rc == 0 && i < LS_ROLE_COUNT; i++)
		rc = ls_buf_addf(&b, "threshold %s %u\n", role_names[i],
		    r->threshold[i]);
	return finish(out, out_len, &b, rc);
}

static int
release_valid(const struct ls_release *r)
{
	const char *t = "lockstep/release/v1";
	size_t i;

	if (!ls_name_valid(r->origin))
		return invalid(t, "origin");
	if (!ls_name_valid(r->channel))
		return invalid(t, "channel");
	if (!ls_name_valid(r->version))
		return invalid(t, "version");
	if (r->seq == 0 || r->floor > r->seq)
		return invalid(t, "seq/floor");
	if (strnlen(r->commit, sizeof(r->commit)) != 40)
		return invalid(t, "commit");
	for (i = 0; i < 40; i++)
		if (!((r->commit[i] >= '0' && r->commit[i] <= '9') ||
			(r->commit[i] >= 'a' && r->commit[i] <= 'f')))
			return invalid(t, "commit");
	if (!sha_valid(r->bundle_sha256))
		return invalid(t, "bundle");
	if (r->expires <= r->built)
		return invalid(t, "expires");
	if (r->ncontrols > LS_DOC_MAX_CONTROLS)
		return invalid(t, "control");
	for (i = 0; i < r->ncontrols; i++)
		if (!control_valid(r->controls[i], strlen(r->controls[i])) ||
		    (i > 0 && strcmp(r->controls[i - 1], r->controls[i]) >= 0))
			return invalid(t, "control");
	if (r->action[0] == '\0')
		return r->owner[0] || r->reason[0] || r->until
		    ? invalid(t, "action")
		    : 0;
	if (strcmp(r->action, "pin") != 0 &&
	    strcmp(r->action, "rollback") != 0 &&
	    strcmp(r->action, "unpin") != 0)
		return invalid(t, "action");
	if (!text_valid(r->owner))
		return invalid(t, "owner");
	if (!text_valid(r->reason))
		return invalid(t, "reason");
	if (r->until == 0 && strcmp(r->action, "unpin") != 0)
		return invalid(t, "until");
	return 0;
}

int
ls_release_body(char **out, size_t *out_len, const struct ls_release *r)
{
	struct ls_buf b;
	size_t i;
	int rc;

	*out = NULL;
	ls_buf_init(&b, LS_NOTE_MAX);
	if ((rc = release_valid(r)) < 0)
		return rc;
	rc = ls_buf_addf(&b,
	    "lockstep/release/v1\norigin %s\nchannel %s\n"
	    "seq %llu\nversion %s\ncommit %s\nbundle sha256:%s length %llu\n",
	    r->origin, r->channel, (unsigned long long)r->seq, r->version,
	    r->commit, r->bundle_sha256, (unsigned long long)r->bundle_length);
	if (rc == 0)
		rc = put_time(&b, "built", r->built);
	if (rc == 0)
		rc = put_time(&b, "expires", r->expires);
	if (rc == 0)
		rc = ls_buf_addf(&b, "floor %llu\ntests passed %u failed %u\n",
		    (unsigned long long)r->floor, r->tests_passed,
		    r->tests_failed);
	for (i = 0; rc == 0 && i < r->ncontrols; i++)
		rc = ls_buf_addf(&b, "control %s\n", r->controls[i]);
	if (rc == 0 && r->action[0] != '\0')
		rc = ls_buf_addf(&b, "action %s\nowner %s\nreason %s\n",
		    r->action, r->owner, r->reason);
	if (rc == 0 && r->action[0] != '\0' && r->until != 0)
		rc = put_time(&b, "until", r->until);
	return finish(out, out_len, &b, rc);
}

int
ls_timestamp_body(char **out, size_t *out_len, const struct ls_timestamp *t)
{
	const char *ty = "lockstep/timestamp/v1";
	struct ls_buf b;
	int rc;

	*out = NULL;
	ls_buf_init(&b, LS_NOTE_MAX);
	if (!ls_name_valid(t->origin))
		return invalid(ty, "origin");
	if (!ls_name_valid(t->channel))
		return invalid(ty, "channel");
	if (t->seq == 0 || t->release_seq == 0)
		return invalid(ty, "seq");
	if (!sha_valid(t->release_sha256))
		return invalid(ty, "release");
	rc = ls_buf_addf(&b, "%s\norigin %s\nchannel %s\nseq %llu\n", ty,
	    t->origin, t->channel, (unsigned long long)t->seq);
	if (rc == 0)
		rc = put_time(&b, "expires", t->expires);
	if (rc == 0)
		rc = ls_buf_addf(&b, "release %llu sha256:%s length %llu\n",
		    (unsigned long long)t->release_seq, t->release_sha256,
		    (unsigned long long)t->release_length);
	return finish(out, out_len, &b, rc);
}

static int
report_valid(const struct ls_report *r)
{
	const char *t = "lockstep/report/v1";
	int none = strcmp(r->state, "none") == 0;

	if (!ls_name_valid(r->agent))
		return invalid(t, "agent");
	if (!ls_name_valid(r->channel))
		return invalid(t, "channel");
	if (r->seq == 0)
		return invalid(t, "seq");
	if (!state_valid(r->state, strnlen(r->state, sizeof(r->state))))
		return invalid(t, "state");
	if ((!none || r->bundle_sha256[0] != '\0') &&
	    !sha_valid(r->bundle_sha256))
		return invalid(t, "bundle");
	if ((!none || r->version[0] != '\0') && !ls_name_valid(r->version))
		return invalid(t, "version");
	if (r->error[0] != '\0' && !text_valid(r->error))
		return invalid(t, "error");
	return 0;
}

int
ls_report_body(char **out, size_t *out_len, const struct ls_report *r)
{
	struct ls_buf b;
	int rc;

	*out = NULL;
	ls_buf_init(&b, LS_NOTE_MAX);
	if ((rc = report_valid(r)) < 0)
		return rc;
	rc = ls_buf_addf(&b,
	    "lockstep/report/v1\nagent %s\nchannel %s\n"
	    "seq %llu\nroot %llu\ntimestamp %llu\nrelease %llu\n",
	    r->agent, r->channel, (unsigned long long)r->seq,
	    (unsigned long long)r->root_version,
	    (unsigned long long)r->timestamp_seq,
	    (unsigned long long)r->release_seq);
	if (rc == 0 && r->bundle_sha256[0] != '\0')
		rc = ls_buf_addf(&b, "bundle sha256:%s\n", r->bundle_sha256);
	if (rc == 0 && r->version[0] != '\0')
		rc = ls_buf_addf(&b, "version %s\n", r->version);
	if (rc == 0)
		rc = put_time(&b, "time", r->time);
	if (rc == 0)
		rc = ls_buf_addf(&b, "state %s\n", r->state);
	if (rc == 0 && r->error[0] != '\0')
		rc = ls_buf_addf(&b, "error %s\n", r->error);
	if (rc == 0 && r->dropped != 0)
		rc = ls_buf_addf(&b, "dropped %llu\n",
		    (unsigned long long)r->dropped);
	return finish(out, out_len, &b, rc);
}
