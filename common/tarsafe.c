/* tarsafe.c - entry checks shared by ls_bundle_read and ls_extract_*. */
#include <stdlib.h>
#include <string.h>

#include "lockstep/error.h"
#include "tarread.h"
#include "tarsafe.h"
#include "lockstep/hash.h"

#define READ_CHUNK (64 * 1024)

int
tarsafe_check_path(const char *path, size_t max_depth, size_t max_name)
{
	size_t len = strlen(path), depth = 0, i, start = 0;
	unsigned char c;

	if (len == 0)
		return ls_error_set(LS_EUNSAFE, "empty path");
	if (len > max_name)
		return ls_error_set(LS_ETOOBIG, "path of %zu bytes, limit %zu",
		    len, max_name);
	if (path[0] == '/')
		return ls_error_set(LS_EUNSAFE, "absolute path refused");
	for (i = 0; i <= len; i++) {
		c = (unsigned char)path[i];
		if (c != '/' && c != '\0') {
			if (c < 0x20 || c == 0x7f || c == '\\')
				return ls_error_set(LS_EUNSAFE,
				    "control character or backslash in path");
			continue;
		}
		if (i == start)
			return ls_error_set(LS_EUNSAFE, "empty path component");
		if ((i - start == 1 && path[start] == '.') ||
		    (i - start == 2 && path[start] == '.' &&
			path[start + 1] == '.'))
			return ls_error_set(LS_EUNSAFE,
			    "'.' or '..' component refused");
		if (i - start > TARSAFE_MAX_COMPONENT)
			return ls_error_set(LS_ETOOBIG,
			    "path component over %d bytes",
			    TARSAFE_MAX_COMPONENT);
		if (++depth > max_depth)
			return ls_error_set(LS_ETOOBIG,
			    "path deeper than %zu components", max_depth);
		start = i + 1;
	}
	return 0;
}

/* ---- path set: open addressing, FNV-1a ---- */

enum { KIND_DIR = 1, KIND_FILE = 2 };

struct pathset_slot {
	char *path; /* owned; NULL = empty slot */
	int kind;
};

struct pathset {
	struct pathset_slot *v; /* owned */
	size_t n, cap;		/* cap is a power of two */
};

static struct pathset_slot *
find_slot(const struct pathset *s, const char *p, size_t n)
{
	size_t i = (size_t)ls_fnv1a(p, n) & (s->cap - 1);

	while (s->v[i].path != NULL) {
		if (strlen(s->v[i].path) == n &&
		    memcmp(s->v[i].path, p, n) == 0)
			break;
		i = (i + 1) & (s->cap - 1);
	}
	return &s->v[i];
}

struct pathset *
pathset_new(void)
{
	struct pathset *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->cap = 64;
	if ((s->v = calloc(s->cap, sizeof(*s->v))) == NULL) {
		free(s);
		return NULL;
	}
	return s;
}

void
pathset_free(struct pathset *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->cap; i++)
		free(s->v[i].path);
	free(s->v);
	free(s);
}

static int
grow(struct pathset *s)
{
	struct pathset old = *s;
	struct pathset_slot *slot;
	size_t i;

	s->cap = old.cap * 2;
	if ((s->v = calloc(s->cap, sizeof(*s->v))) == NULL) {
		*s = old;
		return ls_error_set(LS_ENOMEM, "out of memory");
	}
	for (i = 0; i < old.cap; i++) {
		if (old.v[i].path == NULL)
			continue;
		slot = find_slot(s, old.v[i].path, strlen(old.v[i].path));
		*slot = old.v[i];
	}
	free(old.v);
	return 0;
}

/* Insert p[0..n) as kind; *prev gets the kind already there, or 0. */
static int
insert(struct pathset *s, const char *p, size_t n, int kind, int *prev)
{
	struct pathset_slot *slot;
	int rc;

	if ((s->n + 1) * 2 > s->cap && (rc = grow(s)) < 0)
		return rc;
	slot = find_slot(s, p, n);
	*prev = slot->kind;
	if (slot->path != NULL)
		return 0;
	if ((slot->path = strndup(p, n)) == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	slot->kind = kind;
	s->n++;
	return 0;
}

static int
add_parents(struct pathset *s, const char *path)
{
	const char *slash;
	int prev, rc;

	for (slash = strchr(path, '/'); slash != NULL;
	     slash = strchr(slash + 1, '/')) {
		if ((rc = insert(s, path, (size_t)(slash - path), KIND_DIR,
			 &prev)) < 0)
			return rc;
		if (prev == KIND_FILE)
			return ls_error_set(LS_ECONFLICT,
			    "'%.*s' is both a file and a directory",
			    (int)(slash - path), path);
	}
	return 0;
}

int
pathset_add_file(struct pathset *s, const char *path)
{
	int prev, rc;

	if ((rc = add_parents(s, path)) < 0)
		return rc;
	if ((rc = insert(s, path, strlen(path), KIND_FILE, &prev)) < 0)
		return rc;
	if (prev == KIND_FILE)
		return ls_error_set(LS_EEXISTS, "duplicate entry");
	if (prev == KIND_DIR)
		return ls_error_set(LS_ECONFLICT,
		    "is both a file and a directory");
	return 0;
}

int
pathset_add_dir(struct pathset *s, const char *path)
{
	int prev, rc;

	if ((rc = add_parents(s, path)) < 0)
		return rc;
	if ((rc = insert(s, path, strlen(path), KIND_DIR, &prev)) < 0)
		return rc;
	if (prev == KIND_FILE)
		return ls_error_set(LS_ECONFLICT,
		    "is both a file and a directory");
	return 0;
}

/* ---- walking an archive ---- */

static const char *
type_name(enum tarread_type type)
{
	switch (type) {
	case TARREAD_SYMLINK: return "symbolic link";
	case TARREAD_CHR: return "character device";
	case TARREAD_BLK: return "block device";
	case TARREAD_FIFO: return "FIFO";
	default: return "unknown entry type";
	}
}

/* The path of entry e, checked; a directory's trailing '/' is dropped
 * into buf.  Returns NULL after setting the error. */
static const char *
entry_path(const struct tarread_entry *e, const struct ls_extract_limits *lim,
    char *buf, size_t bufsz, int *rc)
{
	size_t n = strlen(e->path);

	if (n >= bufsz) {
		*rc = ls_error_set(LS_ETOOBIG,
		    "entry name of %zu bytes, limit %zu", n, lim->max_name);
		return NULL;
	}
	memcpy(buf, e->path, n + 1);
	if (e->type == TARREAD_DIR && n > 1 && buf[n - 1] == '/')
		buf[n - 1] = '\0';
	if ((*rc = tarsafe_check_path(buf, lim->max_depth, lim->max_name)) < 0)
		return NULL;
	return buf;
}

/* Entry kind check: only regular files and directories, no links. */
static int
check_kind(const struct tarread_entry *e)
{
	if (e->type == TARREAD_HARDLINK ||
	    (e->has_link &&
		(e->type == TARREAD_FILE || e->type == TARREAD_DIR)))
		return ls_error_set(LS_EUNSAFE, "hard link refused");
	if (e->type == TARREAD_SYMLINK)
		return ls_error_set(LS_EUNSAFE, "symbolic link refused");
	if (e->type != TARREAD_FILE && e->type != TARREAD_DIR)
		return ls_error_set(LS_EUNSAFE, "%s refused",
		    type_name(e->type));
	return 0;
}

/* Stream one file's content, counting every byte against the cap. */
static int
stream_file(struct tarread *t, const struct ls_extract_limits *lim,
    uint64_t *total, const struct tarsafe_ops *ops, void *ctx, char *chunk)
{
	ssize_t n;
	int rc;

	for (;;) {
		n = tarread_data(t, chunk, READ_CHUNK);
		if (n == 0)
			return 0;
		if (n < 0)
			return ls_error_wrap((int)n, "corrupt data");
		if ((uint64_t)n > lim->max_total - *total)
			return ls_error_set(LS_ETOOBIG,
			    "content exceeds %llu bytes",
			    (unsigned long long)lim->max_total);
		*total += (uint64_t)n;
		if (ops != NULL && ops->file_data != NULL &&
		    (rc = ops->file_data(ctx, chunk, (size_t)n)) != 0)
			return rc;
	}
}

static int
walk_entry(struct tarread *t, const struct tarread_entry *e,
    const struct ls_extract_limits *lim, struct pathset *seen, uint64_t *total,
    const struct tarsafe_ops *ops, void *ctx, char *chunk)
{
	char name[4096];
	const char *path;
	int rc = 0;

	if ((path = entry_path(e, lim, name, sizeof(name), &rc)) == NULL)
		return rc;
	if ((rc = check_kind(e)) < 0)
		return rc;
	if (e->type == TARREAD_DIR) {
		if ((rc = pathset_add_dir(seen, path)) < 0)
			return rc;
		return ops && ops->dir ? ops->dir(ctx, path) : 0;
	}
	if ((rc = pathset_add_file(seen, path)) < 0)
		return rc;
	/* Refuse a declared size past the cap before reading any of it;
	 * stream_file counts the bytes actually read as well. */
	if (e->size > lim->max_total - *total)
		return ls_error_set(LS_ETOOBIG,
		    "%llu bytes after %llu would pass the %llu-byte content "
		    "cap",
		    (unsigned long long)e->size, (unsigned long long)*total,
		    (unsigned long long)lim->max_total);
	if (ops && ops->file_begin &&
	    (rc = ops->file_begin(ctx, path, e->size)) != 0)
		return rc;
	if ((rc = stream_file(t, lim, total, ops, ctx, chunk)) != 0)
		return rc;
	return ops && ops->file_end ? ops->file_end(ctx) : 0;
}

/* An entry name fit for a message: at most outsz - 1 bytes, control
 * characters (terminal escapes included) shown as '?'. */
static void
printable(char *out, size_t outsz, const char *name)
{
	size_t i;

	if (name == NULL)
		name = "?";
	for (i = 0; name[i] != '\0' && i + 1 < outsz; i++)
		out[i] = ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
		    ? '?'
		    : name[i];
	out[i] = '\0';
}

int
tarsafe_walk(struct tarread *t, const char *src,
    const struct ls_extract_limits *lim, const struct tarsafe_ops *ops,
    void *ctx)
{
	struct tarread_entry e;
	struct pathset *seen = NULL;
	uint64_t total = 0;
	size_t count = 0;
	char *chunk = NULL, shown[201];
	int rc = 0, r;

	if ((seen = pathset_new()) == NULL ||
	    (chunk = malloc(READ_CHUNK)) == NULL) {
		rc = ls_error_set(LS_ENOMEM, "%s: out of memory", src);
		goto out;
	}
	while ((r = tarread_next(t, &e)) != 0) {
		if (r < 0) {
			rc = ls_error_wrap(r, "%s: not a valid tar.gz", src);
			goto out;
		}
		if (++count > lim->max_entries) {
			rc = ls_error_set(LS_ETOOBIG,
			    "%s: more than %zu entries", src, lim->max_entries);
			goto out;
		}
		rc = walk_entry(t, &e, lim, seen, &total, ops, ctx, chunk);
		if (rc != 0) {
			printable(shown, sizeof(shown), e.path);
			rc = ls_error_wrap(rc, "%s: entry '%s'", src, shown);
			goto out;
		}
	}
out:
	free(chunk);
	pathset_free(seen);
	return rc;
}
