/* evidence.c - the append-only, hash-chained evidence log. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "evidence.h"
#include "lockstep/error.h"
#include "lockstep/file.h"
#include "lockstep/hash.h"
#include "lockstep/timefmt.h"
#include "merkle.h"

struct ls_evidence {
	pthread_mutex_t mu;
	int fd; /* O_APPEND */
	char path[PATH_MAX];
	char last[LS_SHA256_HEX_LEN + 1]; /* hash of the last line */
	uint64_t count;			  /* entries */
	off_t size;			  /* bytes of whole lines */
	uint8_t (*leaves)[LS_SHA256_LEN]; /* RFC 6962 leaf hashes */
	size_t cap;			  /* of leaves */
	struct ls_merkle_frontier tree;	  /* root in O(log n) */
};

#define MAX_ENTRIES (64u << 20) /* 2 GiB of leaf hashes at most */

/* Hash line into the Merkle tree. */
static int
tree_add(struct ls_evidence *ev, const char *line, size_t len)
{
	uint8_t(*v)[LS_SHA256_LEN];
	size_t cap;

	if (ev->tree.size >= ev->cap) {
		if (ev->cap >= MAX_ENTRIES)
			return ls_error_set(LS_ETOOBIG,
			    "%s: more than %u "
			    "entries",
			    ev->path, MAX_ENTRIES);
		cap = ev->cap ? ev->cap * 2 : 1024;
		if ((v = realloc(ev->leaves, cap * LS_SHA256_LEN)) == NULL)
			return ls_error_set(LS_ENOMEM,
			    "evidence: out of "
			    "memory");
		ev->leaves = v;
		ev->cap = cap;
	}
	ls_merkle_leaf(ev->leaves[ev->tree.size], line, len);
	ls_merkle_frontier_add(&ev->tree, ev->leaves[ev->tree.size]);
	return 0;
}

static const char zero_hash[] =
    "0000000000000000000000000000000000000000000000000000000000000000";

static int
log_path(char *out, size_t outsz, const char *data_dir, int dir_only)
{
	int n = snprintf(out, outsz,
	    dir_only ? "%s/evidence" : "%s/evidence/log.jsonl", data_dir);

	if (n < 0 || (size_t)n >= outsz)
		return ls_error_set(LS_EINVAL, "%s: path too long", data_dir);
	return 0;
}

/* Check one line against the chain state; on success advance it. */
static int
check_line(const char *path, const char *line, size_t len, uint64_t *n,
    char prev[LS_SHA256_HEX_LEN + 1], json_t **entry_out)
{
	json_error_t jerr;
	json_t *e = NULL, *v;
	int rc = 0;

	*entry_out = NULL;
	e = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (e == NULL || !json_is_object(e)) {
		rc = ls_error_set(LS_EFORMAT,
		    "%s: entry %llu: not a JSON "
		    "object",
		    path, (unsigned long long)*n);
		goto out;
	}
	v = json_object_get(e, "n");
	if (!json_is_integer(v) || (uint64_t)json_integer_value(v) != *n) {
		rc = ls_error_set(LS_EFORMAT,
		    "%s: entry %llu: wrong or "
		    "missing n",
		    path, (unsigned long long)*n);
		goto out;
	}
	v = json_object_get(e, "prev");
	if (!json_is_string(v) || strcmp(json_string_value(v), prev) != 0) {
		rc = ls_error_set(LS_EFORMAT,
		    "%s: entry %llu: prev does not "
		    "match the previous line's sha256 (chain broken)",
		    path, (unsigned long long)*n);
		goto out;
	}
	if (!json_is_string(json_object_get(e, "kind")) ||
	    !json_is_string(json_object_get(e, "time")) ||
	    !json_is_object(json_object_get(e, "details"))) {
		rc = ls_error_set(LS_EFORMAT,
		    "%s: entry %llu: missing kind, "
		    "time or details",
		    path, (unsigned long long)*n);
		goto out;
	}
	ls_sha256_hex(prev, line, len);
	(*n)++;
	*entry_out = e;
	e = NULL;
out:
	json_decref(e);
	return rc;
}

/*
 * Walk the whole lines of the file at path.  *good_out gets the length of
 * the whole, valid lines; a torn tail is reported through *torn_out.
 */
static int
replay(const char *path, ls_evidence_visit_fn visit, void *arg,
    uint64_t *count_out, char prev[LS_SHA256_HEX_LEN + 1], off_t *good_out,
    int *torn_out, struct ls_evidence *ev)
{
	FILE *f = NULL;
	char *line = NULL;
	size_t cap = 0;
	ssize_t got;
	uint64_t n = 0;
	off_t good = 0;
	json_t *e = NULL;
	int rc = 0;

	memcpy(prev, zero_hash, sizeof(zero_hash));
	*torn_out = 0;
	if ((f = fopen(path, "re")) == NULL) {
		if (errno == ENOENT)
			rc = ls_error_set(LS_ENOTFOUND, "%s: no such file",
			    path);
		else
			rc = ls_error_set(LS_EIO, "%s: %s", path,
			    strerror(errno));
		goto out;
	}
	while ((got = getline(&line, &cap, f)) > 0) {
		if (line[got - 1] != '\n') {
			*torn_out = 1;
			break;
		}
		if ((size_t)got > LS_EVIDENCE_LINE_MAX) {
			rc = ls_error_set(LS_ETOOBIG,
			    "%s: entry %llu: longer "
			    "than %d bytes",
			    path, (unsigned long long)n, LS_EVIDENCE_LINE_MAX);
			goto out;
		}
		if ((rc = check_line(path, line, (size_t)got - 1, &n, prev,
			 &e)) != 0)
			goto out;
		if (ev != NULL &&
		    (rc = tree_add(ev, line, (size_t)got - 1)) != 0)
			goto out;
		if (visit != NULL && (rc = visit(arg, e)) != 0)
			goto out;
		json_decref(e);
		e = NULL;
		good += got;
	}
	if (ferror(f))
		rc =
		    ls_error_set(LS_EIO, "%s: read: %s", path, strerror(errno));
out:
	json_decref(e);
	free(line);
	if (f != NULL)
		fclose(f);
	*count_out = n;
	*good_out = good;
	return rc;
}

int
ls_evidence_open(struct ls_evidence **out, const char *data_dir,
    ls_evidence_visit_fn visit, void *arg)
{
	struct ls_evidence *ev = NULL;
	char dir[PATH_MAX];
	int torn = 0, rc = 0, fd;

	*out = NULL;
	if ((rc = log_path(dir, sizeof(dir), data_dir, 1)) != 0)
		return rc;
	if ((rc = ls_file_mkdirs(dir, 0755)) != 0)
		return rc;
	if ((ev = calloc(1, sizeof(*ev))) == NULL)
		return ls_error_set(LS_ENOMEM, "evidence: out of memory");
	ev->fd = -1;
	pthread_mutex_init(&ev->mu, NULL);
	if ((rc = log_path(ev->path, sizeof(ev->path), data_dir, 0)) != 0)
		goto out;
	fd = open(ev->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0) {
		rc = ls_error_set(LS_EIO, "%s: %s", ev->path, strerror(errno));
		goto out;
	}
	ev->fd = fd;
	if ((rc = replay(ev->path, visit, arg, &ev->count, ev->last, &ev->size,
		 &torn, ev)) != 0)
		goto out;
	if (torn && (ftruncate(ev->fd, ev->size) < 0 || fsync(ev->fd) < 0)) {
		rc = ls_error_set(LS_EIO, "%s: cutting a torn last line: %s",
		    ev->path, strerror(errno));
		goto out;
	}
	if ((rc = ls_file_fsync_dir(dir)) != 0)
		goto out;
	*out = ev;
	ev = NULL;
out:
	ls_evidence_free(ev);
	return rc;
}

void
ls_evidence_free(struct ls_evidence *ev)
{
	if (ev == NULL)
		return;
	if (ev->fd >= 0)
		close(ev->fd);
	pthread_mutex_destroy(&ev->mu);
	free(ev->leaves);
	free(ev);
}

/* Drop the last leaf again (a failed append). */
static void
tree_rebuild(struct ls_evidence *ev)
{
	uint64_t i, n = ev->count;

	ls_merkle_frontier_init(&ev->tree);
	for (i = 0; i < n; i++)
		ls_merkle_frontier_add(&ev->tree, ev->leaves[i]);
}

static json_t *
build_entry(uint64_t n, const char *kind, const char *channel,
    const char *agent, json_t *details, const char *prev)
{
	char now[LS_TIME_LEN];

	ls_time_format(now, time(NULL));
	return json_pack("{s:I, s:s, s:s, s:s?, s:s?, s:O, s:s}", "n",
	    (json_int_t)n, "time", now, "kind", kind, "channel", channel,
	    "agent", agent, "details", details, "prev", prev);
}

int
ls_evidence_append(struct ls_evidence *ev, const char *kind,
    const char *channel, const char *agent, json_t *details)
{
	json_t *e = NULL, *empty = NULL;
	char *line = NULL;
	size_t len;
	int rc = 0;

	if (details == NULL && (details = empty = json_object()) == NULL)
		return ls_error_set(LS_ENOMEM, "evidence: out of memory");
	pthread_mutex_lock(&ev->mu);
	e = build_entry(ev->count, kind, channel, agent, details, ev->last);
	if (e == NULL || (line = json_dumps(e, JSON_COMPACT)) == NULL) {
		rc = ls_error_set(LS_ENOMEM, "evidence: cannot encode entry");
		goto out;
	}
	len = strlen(line);
	if (len + 1 > LS_EVIDENCE_LINE_MAX) {
		rc = ls_error_set(LS_ETOOBIG, "evidence: entry of %zu bytes",
		    len);
		goto out;
	}
	/* Room in the tree first: a failure then leaves nothing written. */
	if ((rc = tree_add(ev, line, len)) != 0)
		goto out;
	line[len] = '\n';
	if (ls_file_write_all(ev->fd, line, len + 1) < 0 ||
	    fdatasync(ev->fd) < 0) {
		rc = ls_error_set(LS_EIO, "%s: %s", ev->path, strerror(errno));
		/* Leave no partial line behind for the next append. */
		if (ftruncate(ev->fd, ev->size) < 0)
			rc = ls_error_set(LS_EIO,
			    "%s: cannot undo a failed "
			    "append: %s",
			    ev->path, strerror(errno));
		tree_rebuild(ev);
		goto out;
	}
	ls_sha256_hex(ev->last, line, len);
	ev->count++;
	ev->size += (off_t)len + 1;
out:
	pthread_mutex_unlock(&ev->mu);
	free(line);
	json_decref(e);
	json_decref(empty);
	return rc;
}

uint64_t
ls_evidence_count(struct ls_evidence *ev)
{
	uint64_t n;

	pthread_mutex_lock(&ev->mu);
	n = ev->count;
	pthread_mutex_unlock(&ev->mu);
	return n;
}

static int
str_field_is(json_t *e, const char *key, const char *want)
{
	json_t *v;

	if (want == NULL)
		return 1;
	v = json_object_get(e, key);
	return json_is_string(v) && strcmp(json_string_value(v), want) == 0;
}

/* Bundles (sha256 hex) whose release covers the filter's control. */
struct shaset {
	char (*v)[65];
	size_t n, cap;
};

static int
covers(json_t *e, const char *control)
{
	json_t *ctl =
		   json_object_get(json_object_get(e, "details"), "controls"),
	       *c;
	size_t i;

	json_array_foreach(ctl, i, c) if (json_is_string(c) &&
	    strcmp(json_string_value(c), control) == 0) return 1;
	return 0;
}

static int
shaset_has(const struct shaset *s, const char *sha)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->v[i], sha) == 0)
			return 1;
	return 0;
}

static int
shaset_add(struct shaset *s, const char *sha)
{
	char(*v)[65];

	if (sha == NULL || strlen(sha) != 64 || shaset_has(s, sha))
		return 0;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;

		if ((v = realloc(s->v, cap * sizeof(*v))) == NULL)
			return ls_error_set(LS_ENOMEM, "out of memory");
		s->v = v;
		s->cap = cap;
	}
	memcpy(s->v[s->n++], sha, 65);
	return 0;
}

static int
matches(json_t *e, const struct ls_evidence_filter *f,
    const struct shaset *bundles)
{
	const char *ts, *sha;
	time_t t;

	if (f->control != NULL && !covers(e, f->control)) {
		sha = json_string_value(
		    json_object_get(json_object_get(e, "details"), "bundle"));
		if (sha == NULL || !shaset_has(bundles, sha))
			return 0;
	}
	if (!str_field_is(e, "kind", f->kind) ||
	    !str_field_is(e, "channel", f->channel) ||
	    !str_field_is(e, "agent", f->agent))
		return 0;
	if (f->since == 0 && f->until == 0)
		return 1;
	ts = json_string_value(json_object_get(e, "time"));
	if (ts == NULL || ls_time_parse(&t, ts, strlen(ts)) != 0)
		return 0;
	if (f->since != 0 && t < f->since)
		return 0;
	return f->until == 0 || t <= f->until;
}

/*
 * One pass over the whole, acknowledged lines (up to size bytes).  With
 * out == NULL it collects the bundles covering f->control instead.
 */
static int
query_pass(const char *path, off_t size, struct ls_buf *out,
    const struct ls_evidence_filter *f, struct shaset *bundles)
{
	FILE *fp = NULL;
	char *line = NULL;
	size_t cap = 0;
	ssize_t got;
	off_t done = 0;
	json_t *e;
	int rc = 0;

	if ((fp = fopen(path, "re")) == NULL)
		return ls_error_set(LS_EIO, "%s: %s", path, strerror(errno));
	while (rc == 0 && done < size && (got = getline(&line, &cap, fp)) > 0) {
		done += got;
		if (line[got - 1] != '\n')
			break;
		if ((e = json_loadb(line, (size_t)got - 1, 0, NULL)) == NULL)
			continue;
		if (out == NULL && f->control != NULL && covers(e, f->control))
			rc = shaset_add(bundles,
			    json_string_value(
				json_object_get(json_object_get(e, "details"),
				    "bundle")));
		else if (out != NULL && matches(e, f, bundles))
			rc = ls_buf_add(out, line, (size_t)got);
		json_decref(e);
	}
	free(line);
	fclose(fp);
	return rc;
}

int
ls_evidence_query(struct ls_evidence *ev, struct ls_buf *out,
    const struct ls_evidence_filter *f)
{
	struct shaset bundles = { NULL, 0, 0 };
	off_t size;
	int rc = 0;

	/* Only whole, acknowledged lines: read up to the size seen now. */
	pthread_mutex_lock(&ev->mu);
	size = ev->size;
	pthread_mutex_unlock(&ev->mu);
	if (f->control != NULL)
		rc = query_pass(ev->path, size, NULL, f, &bundles);
	if (rc == 0)
		rc = query_pass(ev->path, size, out, f, &bundles);
	free(bundles.v);
	return rc;
}

int
ls_evidence_verify(const char *data_dir, uint64_t *count_out)
{
	char path[PATH_MAX], prev[LS_SHA256_HEX_LEN + 1];
	off_t good;
	int torn, rc;

	*count_out = 0;
	if ((rc = log_path(path, sizeof(path), data_dir, 0)) != 0)
		return rc;
	if ((rc = replay(path, NULL, NULL, count_out, prev, &good, &torn,
		 NULL)) != 0)
		return rc;
	if (torn)
		return ls_error_set(LS_EFORMAT,
		    "%s: entry %llu: torn last "
		    "line (no newline)",
		    path, (unsigned long long)*count_out);
	return 0;
}

void
ls_evidence_root(struct ls_evidence *ev, uint64_t *size_out,
    uint8_t root[LS_SHA256_LEN])
{
	pthread_mutex_lock(&ev->mu);
	*size_out = ev->tree.size;
	ls_merkle_frontier_root(&ev->tree, root);
	pthread_mutex_unlock(&ev->mu);
}

int
ls_evidence_proof(struct ls_evidence *ev, uint64_t index, uint64_t size,
    uint8_t leaf[LS_SHA256_LEN],
    uint8_t proof[LS_MERKLE_MAX_PROOF][LS_SHA256_LEN], size_t *len_out)
{
	int rc;

	pthread_mutex_lock(&ev->mu);
	if (size > ev->tree.size || index >= size) {
		rc = ls_error_set(LS_ENOTFOUND,
		    "entry %llu is not in a tree "
		    "of %llu",
		    (unsigned long long)index, (unsigned long long)size);
	} else {
		memcpy(leaf, ev->leaves[index], LS_SHA256_LEN);
		rc = ls_merkle_inclusion(proof, len_out,
		    (const uint8_t(*)[LS_SHA256_LEN])ev->leaves, index, size);
	}
	pthread_mutex_unlock(&ev->mu);
	return rc;
}

int
ls_evidence_tree(const char *data_dir, uint8_t (**leaves_out)[LS_SHA256_LEN],
    uint64_t *count_out)
{
	struct ls_evidence ev;
	char prev[LS_SHA256_HEX_LEN + 1];
	off_t good;
	int torn, rc;

	memset(&ev, 0, sizeof(ev));
	*leaves_out = NULL;
	if ((rc = log_path(ev.path, sizeof(ev.path), data_dir, 0)) != 0)
		return rc;
	rc = replay(ev.path, NULL, NULL, count_out, prev, &good, &torn, &ev);
	if (rc != 0) {
		free(ev.leaves);
		return rc;
	}
	*leaves_out = ev.leaves;
	return 0;
}
