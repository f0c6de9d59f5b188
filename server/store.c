/* store.c - the data folder: lock, keys, channel scan, publishing. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lockstep/error.h"
#include "lockstep/file.h"
#include "lockstep/hash.h"
#include "lockstep/note.h"
#include "lockstep/root.h"
#include "lockstep/timefmt.h"
#include "checkpoint.h"
#include "metrics.h"
#include "store_impl.h"

#define MAX_ROOT_VERSIONS 1000

static int pathf(char *out, size_t outsz, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
pathf(char *out, size_t outsz, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(out, outsz, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= outsz)
		return ls_error_set(LS_EINVAL, "path too long");
	return 0;
}

static int
lock_data(struct ls_store *s)
{
	char path[PATH_MAX], pid[32];
	int n, rc;

	if ((rc = ls_file_mkdirs(s->data, 0755)) != 0)
		return rc;
	if ((rc = pathf(path, sizeof(path), "%s/lock", s->data)) != 0)
		return rc;
	s->lockfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (s->lockfd < 0)
		return ls_error_set(LS_EIO, "%s: %s", path, strerror(errno));
	if (flock(s->lockfd, LOCK_EX | LOCK_NB) < 0) {
		n = (int)pread(s->lockfd, pid, sizeof(pid) - 1, 0);
		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		return ls_error_set(LS_ECONFLICT,
		    "%s: data folder in use by "
		    "process %s (a running server? use its admin API)",
		    path, pid[0] ? pid : "?");
	}
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(s->lockfd, 0) < 0 ||
	    pwrite(s->lockfd, pid, (size_t)n, 0) != n)
		return ls_error_set(LS_EIO, "%s: %s", path, strerror(errno));
	return 0;
}

static int
load_key(struct ls_key **out, const char *dir, const char *name)
{
	char path[PATH_MAX];
	int rc;

	if ((rc = pathf(path, sizeof(path), "%s/%s.key", dir, name)) != 0)
		return rc;
	return ls_key_load(out, path); /* its message names the file */
}

static int
load_keys(struct ls_store *s, const char *dir)
{
	int rc;

	if ((rc = load_key(&s->release_key, dir, "release")) != 0 ||
	    (rc = load_key(&s->timestamp_key, dir, "timestamp")) != 0)
		return rc;
	if ((rc = load_key(&s->log_key, dir, "log")) == LS_ENOTFOUND) {
		ls_error_clear();
		rc = 0; /* only checkpoints need it */
	}
	return rc;
}

static int
key_listed(const struct ls_root *r, enum ls_role role, const struct ls_key *k)
{
	struct ls_vkey vk;
	size_t i;

	ls_key_vkey(&vk, k);
	for (i = 0; i < r->keys[role].n; i++)
		if (memcmp(r->keys[role].keys[i].pub, vk.pub, sizeof(vk.pub)) ==
		    0)
			return 1;
	return 0;
}

/* Copy KEYS/N.root.note to DATA/v1/root/N.note for N = 1.. while present,
 * each checked as a step of the chain before it is published; the newest
 * one gives the origin, must list our keys and must not have expired. */
static int
install_roots(struct ls_store *s, const char *keys_dir)
{
	char src[PATH_MAX], dst[PATH_MAX], *text = NULL;
	struct ls_root root;
	size_t len = 0;
	unsigned v;
	int rc = 0;

	memset(&root, 0, sizeof(root));
	if ((rc = pathf(dst, sizeof(dst), "%s/v1/root", s->data)) != 0 ||
	    (rc = ls_file_mkdirs(dst, 0755)) != 0)
		return rc;
	for (v = 1; v <= MAX_ROOT_VERSIONS; v++) {
		if ((rc = pathf(src, sizeof(src), "%s/%u.root.note", keys_dir,
			 v)) != 0 ||
		    (rc = pathf(dst, sizeof(dst), "%s/v1/root/%u.note", s->data,
			 v)) != 0)
			goto out;
		free(text);
		text = NULL;
		rc = ls_file_read(&text, &len, src, LS_NOTE_MAX);
		if (rc == LS_ENOTFOUND) {
			ls_error_clear();
			break;
		}
		if (rc != 0 || (rc = ls_root_advance(&root, text, len)) != 0) {
			rc = ls_error_wrap(rc, "%s", src);
			goto out;
		}
		if ((rc = ls_file_write_atomic(dst, text, len, 0644)) != 0)
			goto out;
	}
	if (root.version == 0) {
		rc = ls_error_set(LS_ENOTFOUND, "%s: no 1.root.note", keys_dir);
		goto out;
	}
	snprintf(s->origin, sizeof(s->origin), "%s", root.origin);
	s->root_version = root.version;
	s->root_expires = root.expires;
	if ((rc = store_root_fresh(s, time(NULL))) != 0)
		rc = ls_error_wrap(rc, "%s/%llu.root.note", keys_dir,
		    (unsigned long long)root.version);
	else if (!key_listed(&root, LS_ROLE_RELEASE, s->release_key) ||
	    !key_listed(&root, LS_ROLE_TIMESTAMP, s->timestamp_key))
		rc = ls_error_set(LS_EMISMATCH,
		    "%s: release.key or "
		    "timestamp.key is not listed in the newest root note",
		    keys_dir);
out:
	ls_root_cleanup(&root);
	free(text);
	return rc;
}

int
store_root_fresh(const struct ls_store *s, time_t now)
{
	struct ls_root r;

	if (s->root_version == 0)
		return 0; /* no --keys: nothing is signed anyway */
	/* Only version and expiry matter to the message. */
	memset(&r, 0, sizeof(r));
	r.version = s->root_version;
	r.expires = s->root_expires;
	return ls_root_check_expiry(&r, now);
}

struct channel *
store_channel(struct ls_store *s, const char *name, int create)
{
	struct channel *c;
	size_t i;

	for (i = 0; i < s->nch; i++)
		if (strcmp(s->ch[i]->name, name) == 0)
			return s->ch[i];
	if (!create || s->nch >= LS_STORE_MAX_CHANNELS || !ls_name_valid(name))
		return NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	snprintf(c->name, sizeof(c->name), "%s", name);
	s->ch[s->nch++] = c;
	return c;
}

static void
channel_free(struct channel *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->ntags; i++)
		free(c->tags[i]);
	free(c->tags);
	if (c->has_cur)
		ls_release_cleanup(&c->cur);
	if (c->has_pending)
		ls_release_cleanup(&c->pending);
	free(c);
}

static int
tag_known(const struct channel *c, const char *tag)
{
	size_t i;

	for (i = 0; i < c->ntags; i++)
		if (strcmp(c->tags[i], tag) == 0)
			return 1;
	return 0;
}

int
store_tag_add(struct channel *c, const char *tag)
{
	char **v;

	if (tag_known(c, tag))
		return 0;
	if (c->ntags >= LS_STORE_MAX_TAGS)
		return ls_error_set(LS_ETOOBIG, "channel %s: more than %d tags",
		    c->name, LS_STORE_MAX_TAGS);
	if (c->ntags == c->captags) {
		size_t cap = c->captags ? c->captags * 2 : 16;

		if ((v = realloc(c->tags, cap * sizeof(*v))) == NULL)
			return ls_error_set(LS_ENOMEM, "out of memory");
		c->tags = v;
		c->captags = cap;
	}
	if ((c->tags[c->ntags] = strdup(tag)) == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	c->ntags++;
	return 0;
}

int
store_release_copy(struct ls_release *dst, const struct ls_release *src)
{
	size_t i;

	*dst = *src;
	dst->controls = NULL;
	dst->ncontrols = 0;
	if (src->ncontrols == 0)
		return 0;
	if ((dst->controls = calloc(src->ncontrols, sizeof(char *))) == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	for (i = 0; i < src->ncontrols; i++) {
		if ((dst->controls[i] = strdup(src->controls[i])) == NULL) {
			ls_release_cleanup(dst);
			return ls_error_set(LS_ENOMEM, "out of memory");
		}
		dst->ncontrols = i + 1;
	}
	return 0;
}

/* Read and verify a signed note file with one of our own keys. */
static int
read_note(char **text_out, size_t *len_out, const char **body_out,
    size_t *blen_out, struct ls_note **note_out, const char *path,
    const struct ls_key *k)
{
	struct ls_keyset ks = { NULL, 0 };
	struct ls_vkey vk;
	int rc;

	if ((rc = ls_file_read(text_out, len_out, path, LS_NOTE_MAX)) != 0)
		return rc;
	if (k == NULL) /* opened without --keys: read-only use */
		rc = ls_note_parse(note_out, *text_out, *len_out);
	else {
		ls_key_vkey(&vk, k);
		ks.keys = &vk;
		ks.n = 1;
		rc = ls_note_open(note_out, *text_out, *len_out, &ks, 1);
	}
	if (rc != 0)
		return ls_error_wrap(rc, "%s", path);
	*body_out = ls_note_body(*note_out, blen_out);
	return 0;
}

int
store_release_load(struct ls_store *s, const char *channel, uint64_t seq,
    struct ls_release *out)
{
	char path[PATH_MAX], *text = NULL;
	struct ls_note *note = NULL;
	const char *body;
	size_t len, blen;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = pathf(path, sizeof(path),
		 "%s/v1/channels/%s/releases/"
		 "%" PRIu64 ".note",
		 s->data, channel, seq)) != 0)
		return rc;
	if ((rc = read_note(&text, &len, &body, &blen, &note, path,
		 s->release_key)) != 0)
		goto out;
	if ((rc = ls_release_parse(out, body, blen)) != 0) {
		rc = ls_error_wrap(rc, "%s", path);
		goto out;
	}
	if (out->seq != seq || strcmp(out->channel, channel) != 0)
		rc = ls_error_set(LS_EMISMATCH,
		    "%s: seq or channel differs "
		    "from the file name",
		    path);
out:
	if (rc != 0)
		ls_release_cleanup(out);
	ls_note_free(note);
	free(text);
	return rc;
}

/* Parse "N.note" names; 0 for anything else (temp files included). */
static uint64_t
note_seq(const char *name)
{
	uint64_t v = 0;
	const char *p;

	for (p = name; *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - 9) / 10 || (p == name && *p == '0'))
			return 0;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	return p != name && strcmp(p, ".note") == 0 ? v : 0;
}

/* "NAME.tmp.PID": what ls_file_write_atomic writes before its rename. */
static int
is_temp(const char *name)
{
	const char *p = NULL, *q;

	for (q = strstr(name, ".tmp."); q != NULL; q = strstr(q + 1, ".tmp."))
		p = q;
	if (p == NULL || p == name || p[5] == '\0')
		return 0;
	for (p += 5; *p != '\0'; p++)
		if (*p < '0' || *p > '9')
			return 0;
	return 1;
}

/* Remove leftovers of ls_file_write_atomic interrupted by a crash. */
static void
remove_temps(const char *dir)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL)
		if (is_temp(de->d_name) &&
		    pathf(path, sizeof(path), "%s/%s", dir, de->d_name) == 0)
			(void)unlink(path);
	closedir(d);
}

/* Temp files a crash left in the shared folders (bundles, roots, agent
 * keys, held builds); channel folders are cleaned while scanned. */
static void
remove_data_temps(struct ls_store *s)
{
	static const char *const dirs[] = { "v1/bundles", "v1/root", "agents",
		"state" };
	char dir[PATH_MAX];
	size_t i;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (pathf(dir, sizeof(dir), "%s/%s", s->data, dirs[i]) == 0)
			remove_temps(dir);
}

static int
scan_releases(struct ls_store *s, struct channel *c)
{
	char dir[PATH_MAX];
	struct ls_release r;
	struct dirent *de;
	DIR *d = NULL;
	uint64_t seq;
	int rc = 0;

	if ((rc = pathf(dir, sizeof(dir), "%s/v1/channels/%s/releases", s->data,
		 c->name)) != 0)
		return rc;
	remove_temps(dir);
	if ((d = opendir(dir)) == NULL)
		return errno == ENOENT
		    ? 0
		    : ls_error_set(LS_EIO, "%s: %s", dir, strerror(errno));
	while ((de = readdir(d)) != NULL) {
		if ((seq = note_seq(de->d_name)) == 0)
			continue;
		if ((rc = store_release_load(s, c->name, seq, &r)) != 0)
			break;
		if (r.action[0] == '\0')
			rc = store_tag_add(c, r.version);
		if (seq > c->max_seq)
			c->max_seq = seq;
		ls_release_cleanup(&r);
		if (rc != 0)
			break;
	}
	closedir(d);
	return rc;
}

static int
scan_timestamp(struct ls_store *s, struct channel *c)
{
	char path[PATH_MAX], *text = NULL;
	struct ls_note *note = NULL;
	struct ls_timestamp ts;
	const char *body;
	size_t len, blen;
	int rc;

	if ((rc = pathf(path, sizeof(path), "%s/v1/channels/%s", s->data,
		 c->name)) != 0)
		return rc;
	remove_temps(path);
	if ((rc = pathf(path, sizeof(path), "%s/v1/channels/%s/timestamp.note",
		 s->data, c->name)) != 0)
		return rc;
	rc =
	    read_note(&text, &len, &body, &blen, &note, path, s->timestamp_key);
	if (rc == LS_ENOTFOUND) {
		rc = 0;
		goto out;
	}
	if (rc != 0 || (rc = ls_timestamp_parse(&ts, body, blen)) != 0)
		goto out;
	c->ts_seq = ts.seq;
	c->ts_expires = ts.expires;
	if ((rc = store_release_load(s, c->name, ts.release_seq, &c->cur)) != 0)
		goto out;
	c->has_cur = 1;
out:
	ls_note_free(note);
	free(text);
	return rc;
}

static int
scan_pending(struct ls_store *s, struct channel *c)
{
	char path[PATH_MAX], *text = NULL;
	size_t len;
	int rc;

	if ((rc = pathf(path, sizeof(path), "%s/state/%s.pending", s->data,
		 c->name)) != 0)
		return rc;
	rc = ls_file_read(&text, &len, path, LS_NOTE_MAX);
	if (rc == LS_ENOTFOUND)
		return 0;
	if (rc == 0 && len > 0) {
		if ((rc = ls_release_parse(&c->pending, text, len)) == 0) {
			c->has_pending = 1;
			rc = store_tag_add(c, c->pending.version);
		} else {
			rc = ls_error_wrap(rc, "%s", path);
		}
	}
	free(text);
	return rc;
}

/* Every channel folder on disk. */
static int
scan_channels(struct ls_store *s)
{
	char dir[PATH_MAX];
	struct dirent *de;
	struct channel *c;
	DIR *d;
	int rc = 0;

	if ((rc = pathf(dir, sizeof(dir), "%s/v1/channels", s->data)) != 0 ||
	    (rc = ls_file_mkdirs(dir, 0755)) != 0)
		return rc;
	if ((d = opendir(dir)) == NULL)
		return ls_error_set(LS_EIO, "%s: %s", dir, strerror(errno));
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || !ls_name_valid(de->d_name))
			continue;
		if ((c = store_channel(s, de->d_name, 1)) == NULL) {
			rc = ls_error_set(LS_ETOOBIG, "%s: too many channels",
			    dir);
			break;
		}
		if ((rc = scan_releases(s, c)) == 0 &&
		    (rc = scan_timestamp(s, c)) == 0)
			rc = scan_pending(s, c);
	}
	closedir(d);
	return rc;
}

/* Start-up state from the evidence index (no replay of the log): failed
 * and held builds count as built (a passed build is known from its
 * release note, so one cut short by a crash before its release was
 * written is built again); agents' report seqs. */
static int
known_build(void *arg, const char *ch, const char *tag)
{
	struct channel *c = store_channel(arg, ch, 1);

	return c != NULL ? store_tag_add(c, tag) : 0;
}

static int
known_report(void *arg, const char *agent, uint64_t seq)
{
	struct ls_store *s = arg;

	(void)ls_agents_set_seq(s->agents, agent, seq);
	return 0;
}

/* The materialiser committed a batch: sign a checkpoint of it. */
static void
evidence_committed(void *arg, uint64_t size)
{
	(void)size;
	if (store_checkpoint_sign(arg) != 0)
		ls_error_clear(); /* ls_store_tick tries again */
}

json_t *
store_release_json(const struct ls_release *r)
{
	char built[LS_TIME_LEN], until[LS_TIME_LEN];
	json_t *ctl = json_array(), *j;
	size_t i;

	for (i = 0; ctl != NULL && i < r->ncontrols; i++)
		json_array_append_new(ctl, json_string(r->controls[i]));
	ls_time_format(built, r->built);
	ls_time_format(until, r->until);
	j = json_pack("{s:I, s:s, s:s, s:s, s:I, s:s, s:I, s:{s:i, s:i}, "
		      "s:o}",
	    "seq", (json_int_t)r->seq, "version", r->version, "commit",
	    r->commit, "bundle", r->bundle_sha256, "length",
	    (json_int_t)r->bundle_length, "built", built, "floor",
	    (json_int_t)r->floor, "tests", "passed", (int)r->tests_passed,
	    "failed", (int)r->tests_failed, "controls", ctl);
	if (j != NULL && r->action[0] != '\0') {
		json_object_set_new(j, "action", json_string(r->action));
		json_object_set_new(j, "owner", json_string(r->owner));
		json_object_set_new(j, "reason", json_string(r->reason));
		json_object_set_new(j, "until", json_string(until));
	}
	return j;
}

static int
write_timestamp(struct ls_store *s, struct channel *c, const char *rel_text,
    size_t rel_len, uint64_t rel_seq)
{
	struct ls_timestamp ts;
	char path[PATH_MAX], *body = NULL, *note = NULL;
	size_t blen, nlen;
	int rc;

	memset(&ts, 0, sizeof(ts));
	if ((rc = store_root_fresh(s, time(NULL))) != 0)
		return ls_error_wrap(rc, "channel %s: timestamp not signed",
		    c->name);
	snprintf(ts.origin, sizeof(ts.origin), "%s", s->origin);
	snprintf(ts.channel, sizeof(ts.channel), "%s", c->name);
	ts.seq = c->ts_seq + 1;
	ts.expires = time(NULL) + (time_t)s->ttl;
	/* Worth nothing past the root that lists its key. */
	if (s->root_expires != 0 && ts.expires > s->root_expires)
		ts.expires = s->root_expires;
	ts.release_seq = rel_seq;
	ls_sha256_hex(ts.release_sha256, rel_text, rel_len);
	ts.release_length = rel_len;
	if ((rc = pathf(path, sizeof(path), "%s/v1/channels/%s/timestamp.note",
		 s->data, c->name)) != 0)
		return rc;
	if ((rc = ls_timestamp_body(&body, &blen, &ts)) != 0 ||
	    (rc = ls_note_sign(&note, &nlen, body, blen, &s->timestamp_key,
		 1)) != 0 ||
	    (rc = ls_file_write_atomic(path, note, nlen, 0644)) != 0)
		goto out;
	c->ts_seq = ts.seq;
	c->ts_expires = ts.expires;
	c->changed = 1;
out:
	free(body);
	free(note);
	return rc;
}

static int
release_note_path(struct ls_store *s, char *path, size_t n, const char *ch,
    uint64_t seq)
{
	return pathf(path, n, "%s/v1/channels/%s/releases/%" PRIu64 ".note",
	    s->data, ch, seq);
}

int
store_publish(struct ls_store *s, struct channel *c, const struct ls_release *r)
{
	char path[PATH_MAX], *body = NULL, *note = NULL;
	struct ls_release copy;
	size_t blen, nlen;
	int rc;

	if ((rc = pathf(path, sizeof(path), "%s/v1/channels/%s/releases",
		 s->data, c->name)) != 0 ||
	    (rc = ls_file_mkdirs(path, 0755)) != 0)
		return rc;
	if ((rc = release_note_path(s, path, sizeof(path), c->name, r->seq)) !=
	    0)
		return rc;
	if (s->release_key == NULL || s->timestamp_key == NULL)
		return ls_error_set(LS_EINVAL,
		    "signing needs the release and "
		    "timestamp keys (--keys DIR)");
	if ((rc = store_root_fresh(s, time(NULL))) != 0)
		return ls_error_wrap(rc,
		    "channel %s: release %" PRIu64 " not signed", c->name,
		    r->seq);
	if (r->seq <= c->max_seq)
		return ls_error_set(LS_EROLLBACK,
		    "%s: seq %" PRIu64 " is not "
		    "above %" PRIu64,
		    c->name, r->seq, c->max_seq);
	if ((rc = ls_release_body(&body, &blen, r)) != 0 ||
	    (rc = ls_note_sign(&note, &nlen, body, blen, &s->release_key, 1)) !=
		0 ||
	    (rc = ls_file_write_atomic(path, note, nlen, 0644)) != 0)
		goto out;
	c->max_seq = r->seq;
	if ((rc = write_timestamp(s, c, note, nlen, r->seq)) != 0)
		goto out;
	if ((rc = store_release_copy(&copy, r)) != 0)
		goto out;
	if (c->has_cur)
		ls_release_cleanup(&c->cur);
	c->cur = copy;
	c->has_cur = 1;
	ls_metrics_add(LS_M_PUBLISHES, 1);
out:
	free(body);
	free(note);
	return rc;
}

/* Resign the current timestamp (freshness) or roll forward to max_seq. */
int
store_resign(struct ls_store *s, struct channel *c, uint64_t seq)
{
	char path[PATH_MAX], *text = NULL;
	struct ls_release r;
	size_t len;
	int rc;

	if (s->timestamp_key == NULL)
		return ls_error_set(LS_EINVAL,
		    "signing needs the timestamp "
		    "key (--keys DIR)");
	if ((rc = release_note_path(s, path, sizeof(path), c->name, seq)) != 0)
		return rc;
	if ((rc = ls_file_read(&text, &len, path, LS_NOTE_MAX)) != 0)
		return rc;
	if (!c->has_cur || c->cur.seq != seq) {
		if ((rc = store_release_load(s, c->name, seq, &r)) != 0)
			goto out;
		if (c->has_cur)
			ls_release_cleanup(&c->cur);
		c->cur = r;
		c->has_cur = 1;
	}
	rc = write_timestamp(s, c, text, len, seq);
out:
	free(text);
	return rc;
}

/* A release on disk that the timestamp does not name yet was cut short
 * by a crash between the two writes: finish the publish. */
static int
roll_forward(struct ls_store *s)
{
	json_t *d;
	size_t i;
	int rc;

	for (i = 0; i < s->nch; i++) {
		struct channel *c = s->ch[i];

		if (c->max_seq == 0 || (c->has_cur && c->cur.seq >= c->max_seq))
			continue;
		if ((rc = store_resign(s, c, c->max_seq)) != 0)
			return rc;
		d = store_release_json(&c->cur);
		json_object_set_new(d, "recovered", json_true());
		rc = ls_evidence_append(s->ev, "publish", c->name, NULL, d);
		json_decref(d);
		if (rc != 0)
			return rc;
	}
	return 0;
}

int
ls_store_open(struct ls_store **out, const struct ls_store_opts *o)
{
	struct ls_store *s;
	int rc;

	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return ls_error_set(LS_ENOMEM, "store: out of memory");
	pthread_mutex_init(&s->mu, NULL);
	pthread_mutex_init(&s->report_mu, NULL);
	pthread_mutex_init(&s->ckpt_mu, NULL);
	s->lockfd = -1;
	s->ttl = o->ttl < 2 ? 2 : o->ttl;
	s->on_change = o->on_change;
	s->arg = o->arg;
	/* Keys first: a bad --keys changes nothing on disk. */
	if ((rc = pathf(s->data, sizeof(s->data), "%s", o->data_dir)) != 0 ||
	    (o->keys_dir != NULL && (rc = load_keys(s, o->keys_dir)) != 0) ||
	    (rc = lock_data(s)) != 0)
		goto out;
	if (o->keys_dir != NULL && (rc = install_roots(s, o->keys_dir)) != 0)
		goto out;
	if ((rc = ls_agents_open(&s->agents, s->data)) != 0 ||
	    (rc = ls_tokens_open(&s->tokens, s->data)) != 0 ||
	    (rc = scan_channels(s)) != 0)
		goto out;
	remove_data_temps(s);
	if ((rc = ls_evidence_open(&s->ev, s->data, NULL, NULL)) != 0 ||
	    (rc = ls_evidence_builds_known(s->ev, known_build, s)) != 0 ||
	    (rc = ls_evidence_report_seqs(s->ev, known_report, s)) != 0)
		goto out;
	ls_evidence_on_commit(s->ev, evidence_committed, s);
	if (o->keys_dir != NULL && (rc = roll_forward(s)) != 0)
		goto out;
	*out = s;
	s = NULL;
out:
	ls_store_free(s);
	return rc;
}

void
ls_store_free(struct ls_store *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->nch; i++)
		channel_free(s->ch[i]);
	ls_evidence_free(s->ev);
	ls_agents_free(s->agents);
	ls_tokens_free(s->tokens);
	ls_key_free(s->release_key);
	ls_key_free(s->timestamp_key);
	ls_key_free(s->log_key);
	if (s->lockfd >= 0)
		close(s->lockfd); /* releases the flock */
	pthread_mutex_destroy(&s->mu);
	pthread_mutex_destroy(&s->report_mu);
	pthread_mutex_destroy(&s->ckpt_mu);
	free(s);
}

const char *
ls_store_data_dir(const struct ls_store *s)
{
	return s->data;
}

const char *
ls_store_origin(const struct ls_store *s)
{
	return s->origin;
}

struct ls_evidence *
ls_store_evidence(struct ls_store *s)
{
	return s->ev;
}

/* Tell the HTTP side which timestamps changed; called without s->mu. */
void
store_notify(struct ls_store *s)
{
	char names[LS_STORE_MAX_CHANNELS][LS_NAME_MAX + 1];
	size_t i, n = 0;

	pthread_mutex_lock(&s->mu);
	for (i = 0; i < s->nch; i++)
		if (s->ch[i]->changed) {
			s->ch[i]->changed = 0;
			memcpy(names[n++], s->ch[i]->name, LS_NAME_MAX + 1);
		}
	pthread_mutex_unlock(&s->mu);
	for (i = 0; i < n && s->on_change != NULL; i++)
		s->on_change(s->arg, names[i]);
}

int
ls_store_channel_add(struct ls_store *s, const char *channel)
{
	int rc = 0;

	pthread_mutex_lock(&s->mu);
	if (store_channel(s, channel, 1) == NULL)
		rc = ls_error_set(LS_EINVAL,
		    "channel '%s': invalid name or "
		    "too many channels",
		    channel);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

int
ls_store_tag_known(struct ls_store *s, const char *channel, const char *tag)
{
	struct channel *c;
	int known;

	pthread_mutex_lock(&s->mu);
	c = store_channel(s, channel, 0);
	known = c != NULL && tag_known(c, tag);
	pthread_mutex_unlock(&s->mu);
	return known;
}

int
ls_store_tick(struct ls_store *s, time_t now, time_t *next_out)
{
	time_t next = now + (time_t)s->ttl / 2, due;
	size_t i;
	int rc = 0;

	if (store_root_fresh(s, now) != 0) {
		/* No timestamp can be signed until a newer root: say so
		 * once; the evidence log keeps its checkpoints. */
		*next_out = now + 1;
		if (!s->root_expiry_told) {
			s->root_expiry_told = 1;
			return ls_error_wrap(LS_EEXPIRED,
			    "timestamps are no longer re-signed");
		}
		return ls_store_checkpoint(s);
	}
	pthread_mutex_lock(&s->mu);
	for (i = 0; i < s->nch && rc == 0; i++) {
		struct channel *c = s->ch[i];

		if (!c->has_cur)
			continue;
		if (strcmp(c->cur.action, "pin") == 0 && c->cur.until <= now)
			rc = store_unpin(s, c, "lockstep-server",
			    "pin sunset reached");
		due = c->ts_expires - (time_t)s->ttl / 2;
		/* Capped at the root's expiry: re-signing gains nothing. */
		if (s->root_version != 0 && c->ts_expires >= s->root_expires)
			due = s->root_expires;
		if (rc == 0 && due <= now) {
			if ((rc = store_resign(s, c, c->cur.seq)) == 0)
				ls_metrics_add(LS_M_TIMESTAMP_RESIGNS, 1);
			due = c->ts_expires - (time_t)s->ttl / 2;
		}
		if (due < next)
			next = due;
		if (strcmp(c->cur.action, "pin") == 0 && c->cur.until < next)
			next = c->cur.until;
	}
	pthread_mutex_unlock(&s->mu);
	store_notify(s);
	if (rc == 0)
		rc = store_checkpoint_sign(s); /* never waits */
	*next_out = next > now ? next : now + 1;
	return rc;
}

int
store_checkpoint_sign(struct ls_store *s)
{
	uint8_t root[LS_SHA256_LEN];
	uint64_t size, have;
	int written, rc = 0;

	if (s->log_key == NULL)
		return 0;
	pthread_mutex_lock(&s->ckpt_mu);
	ls_evidence_root(s->ev, &size, root);
	pthread_mutex_lock(&s->mu);
	have = s->ckpt_size;
	written = s->ckpt_written;
	pthread_mutex_unlock(&s->mu);
	if (!written || size != have)
		rc = ls_checkpoint_write(s->ev, s->data, s->origin, s->log_key,
		    &size);
	if (rc == 0) {
		pthread_mutex_lock(&s->mu);
		s->ckpt_size = size;
		s->ckpt_written = 1;
		pthread_mutex_unlock(&s->mu);
	}
	pthread_mutex_unlock(&s->ckpt_mu);
	return rc;
}

int
ls_store_checkpoint(struct ls_store *s)
{
	if (s->log_key == NULL)
		return 0;
	/* Everything acknowledged so far goes into this checkpoint. */
	if (ls_evidence_sync(s->ev, 30000) != 0)
		ls_error_clear(); /* sign what is there */
	return store_checkpoint_sign(s);
}

struct ls_key *
ls_store_log_key(struct ls_store *s)
{
	return s->log_key;
}

uint64_t
ls_store_checkpoint_size(struct ls_store *s)
{
	uint64_t n;

	pthread_mutex_lock(&s->mu);
	n = s->ckpt_size;
	pthread_mutex_unlock(&s->mu);
	return n;
}

int
ls_store_current(struct ls_store *s, const char *channel, char sha256_out[65])
{
	struct channel *c;
	int rc = 0;

	pthread_mutex_lock(&s->mu);
	if ((c = store_channel(s, channel, 0)) == NULL || !c->has_cur)
		rc = ls_error_set(LS_ENOTFOUND, "channel %s: no release",
		    channel);
	else
		memcpy(sha256_out, c->cur.bundle_sha256, 65);
	pthread_mutex_unlock(&s->mu);
	return rc;
}
