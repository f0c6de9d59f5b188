/* state.c - the agent's persisted state in STATE/state.json. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "lockstep/error.h"
#include "lockstep/file.h"
#include "lockstep/timefmt.h"
#include "state.h"

void
ls_state_init(struct ls_state *s)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->state, sizeof(s->state), "none");
}

static int
get_str(char *dst, size_t dstsz, json_t *obj, const char *key, const char *file)
{
	json_t *v = json_object_get(obj, key);
	const char *str;
	size_t len;

	if (v == NULL || json_is_null(v)) {
		dst[0] = '\0';
		return 0;
	}
	if (!json_is_string(v))
		return ls_error_set(LS_EFORMAT, "%s: %s: not a string", file,
		    key);
	str = json_string_value(v);
	len = json_string_length(v);
	if (len >= dstsz || memchr(str, '\0', len) != NULL)
		return ls_error_set(LS_EFORMAT, "%s: %s: too long", file, key);
	memcpy(dst, str, len + 1);
	return 0;
}

static int
get_u64(uint64_t *dst, json_t *obj, const char *key, const char *file)
{
	json_t *v = json_object_get(obj, key);

	*dst = 0;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return ls_error_set(LS_EFORMAT, "%s: %s: not a count", file,
		    key);
	*dst = (uint64_t)json_integer_value(v);
	return 0;
}

static int
get_time(time_t *dst, json_t *obj, const char *key, const char *file)
{
	char buf[LS_TIME_LEN + 8];
	int rc;

	*dst = 0;
	if ((rc = get_str(buf, sizeof(buf), obj, key, file)) != 0)
		return rc;
	if (buf[0] == '\0')
		return 0;
	if (ls_time_parse(dst, buf, strlen(buf)) != 0)
		return ls_error_set(LS_EFORMAT, "%s: %s: bad time", file, key);
	return 0;
}

static int
parse_active(struct ls_state *s, json_t *a, const char *file)
{
	int rc;

	if (a == NULL || json_is_null(a))
		return 0;
	if (!json_is_object(a))
		return ls_error_set(LS_EFORMAT, "%s: active: not an object",
		    file);
	s->has_active = 1;
	if ((rc = get_str(s->active.version, sizeof(s->active.version), a,
		 "version", file)) != 0 ||
	    (rc = get_u64(&s->active.seq, a, "seq", file)) != 0 ||
	    (rc = get_str(s->active.sha256, sizeof(s->active.sha256), a,
		 "sha256", file)) != 0 ||
	    (rc = get_time(&s->active.activated_at, a, "activated_at", file)) !=
		0 ||
	    (rc = get_str(s->active.dir, sizeof(s->active.dir), a, "dir",
		 file)) != 0)
		return rc;
	if (strncmp(s->active.dir, "bundles/", 8) != 0 ||
	    strstr(s->active.dir, "..") != NULL ||
	    strchr(s->active.dir + 8, '/') != NULL)
		return ls_error_set(LS_EFORMAT,
		    "%s: active.dir: not a bundle "
		    "directory",
		    file);
	return 0;
}

int
ls_state_load(struct ls_state *out, const char *dir)
{
	char path[PATH_MAX], *text = NULL;
	json_error_t jerr;
	json_t *root = NULL;
	size_t len = 0;
	int rc;

	ls_state_init(out);
	if (snprintf(path, sizeof(path), "%s/%s", dir, LS_STATE_FILE) >=
	    (int)sizeof(path))
		return ls_error_set(LS_EINVAL, "%s: path too long", dir);
	if ((rc = ls_file_read(&text, &len, path, LS_STATE_MAX)) != 0)
		return rc;
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL || !json_is_object(root)) {
		rc = ls_error_set(LS_EFORMAT, "%s: line %d: %s", path,
		    jerr.line, root == NULL ? jerr.text : "not an object");
		goto out;
	}
	if ((rc = get_str(out->agent, sizeof(out->agent), root, "agent",
		 path)) != 0 ||
	    (rc = get_str(out->channel, sizeof(out->channel), root, "channel",
		 path)) != 0 ||
	    (rc = parse_active(out, json_object_get(root, "active"), path)) !=
		0 ||
	    (rc = get_str(out->state, sizeof(out->state), root, "state",
		 path)) != 0 ||
	    (rc = get_str(out->last_error, sizeof(out->last_error), root,
		 "last_error", path)) != 0 ||
	    (rc = get_u64(&out->root_version, root, "root_version", path)) !=
		0 ||
	    (rc = get_u64(&out->timestamp_seq, root, "timestamp_seq", path)) !=
		0 ||
	    (rc = get_time(&out->timestamp_expires, root, "timestamp_expires",
		 path)) != 0 ||
	    (rc = get_u64(&out->release_seq, root, "release_seq", path)) != 0 ||
	    (rc = get_str(out->release_sha256, sizeof(out->release_sha256),
		 root, "release_sha256", path)) != 0 ||
	    (rc = get_u64(&out->floor, root, "floor", path)) != 0 ||
	    (rc = get_u64(&out->report_seq, root, "report_seq", path)) != 0 ||
	    (rc = get_u64(&out->dropped, root, "dropped", path)) != 0)
		goto out;
	out->enrolled = json_is_true(json_object_get(root, "enrolled"));
	if (strcmp(out->state, "active") != 0 &&
	    strcmp(out->state, "stale") != 0 &&
	    strcmp(out->state, "error") != 0 && strcmp(out->state, "none") != 0)
		rc = ls_error_set(LS_EFORMAT, "%s: state: unknown value", path);
out:
	json_decref(root);
	free(text);
	return rc;
}

static json_t *
str_or_null(const char *s)
{
	return s[0] != '\0' ? json_string(s) : json_null();
}

static json_t *
time_json(time_t t)
{
	char buf[LS_TIME_LEN];

	if (t == 0)
		return json_null();
	ls_time_format(buf, t);
	return json_string(buf);
}

static json_t *
active_json(const struct ls_state *s, int with_dir)
{
	json_t *a;

	if (!s->has_active)
		return json_null();
	a = json_pack("{s:s, s:I, s:s, s:o}", "version", s->active.version,
	    "seq", (json_int_t)s->active.seq, "sha256", s->active.sha256,
	    "activated_at", time_json(s->active.activated_at));
	if (a != NULL && with_dir)
		json_object_set_new(a, "dir", json_string(s->active.dir));
	return a;
}

int
ls_state_save(const struct ls_state *s, const char *dir)
{
	char path[PATH_MAX], *text = NULL;
	json_t *root;
	int rc;

	if (snprintf(path, sizeof(path), "%s/%s", dir, LS_STATE_FILE) >=
	    (int)sizeof(path))
		return ls_error_set(LS_EINVAL, "%s: path too long", dir);
	root = json_pack("{s:s, s:s, s:o, s:s, s:o, s:I, s:I, s:o, s:I, s:s,"
			 " s:I, s:I, s:I, s:b}",
	    "agent", s->agent, "channel", s->channel, "active",
	    active_json(s, 1), "state", s->state, "last_error",
	    str_or_null(s->last_error), "root_version",
	    (json_int_t)s->root_version, "timestamp_seq",
	    (json_int_t)s->timestamp_seq, "timestamp_expires",
	    time_json(s->timestamp_expires), "release_seq",
	    (json_int_t)s->release_seq, "release_sha256", s->release_sha256,
	    "floor", (json_int_t)s->floor, "report_seq",
	    (json_int_t)s->report_seq, "dropped", (json_int_t)s->dropped,
	    "enrolled", s->enrolled);
	if (root == NULL ||
	    (text = json_dumps(root, JSON_SORT_KEYS | JSON_INDENT(1))) ==
		NULL) {
		rc = ls_error_set(LS_ENOMEM, "%s: out of memory", path);
		goto out;
	}
	rc = ls_file_write_atomic(path, text, strlen(text), 0644);
out:
	free(text);
	json_decref(root);
	return rc;
}

const char *
ls_state_word(const struct ls_state *s, time_t now)
{
	if (strcmp(s->state, "active") == 0 && s->timestamp_expires != 0 &&
	    now >= s->timestamp_expires)
		return "stale";
	return s->state;
}

int
ls_state_status_json(char **out, const struct ls_state *s, time_t now)
{
	json_t *root;
	char *text;

	*out = NULL;
	root = json_pack("{s:s, s:o, s:s, s:o, s:I, s:I}", "channel",
	    s->channel, "active", active_json(s, 0), "state",
	    ls_state_word(s, now), "last_error", str_or_null(s->last_error),
	    "timestamp_seq", (json_int_t)s->timestamp_seq, "root_version",
	    (json_int_t)s->root_version);
	if (root == NULL)
		return ls_error_set(LS_ENOMEM, "status: out of memory");
	text = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(root);
	if (text == NULL)
		return ls_error_set(LS_ENOMEM, "status: out of memory");
	*out = text;
	return 0;
}
