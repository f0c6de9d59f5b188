/* declog_disk.c - the decision log's files at start: cut torn tails,
 * close leftover open segments, find the next seq (see declog.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "declog_int.h"
#include "lockstep/error.h"
#include "lockstep/file.h"

#define DL_MAX_FILES 100000

struct dl_name {
	uint64_t first, drops;
	int open;
};

static int
parse_u64(uint64_t *out, const char *s, size_t n)
{
	uint64_t v = 0;
	size_t i;

	if (n == 0 || n > 20)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9' ||
		    v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

/* "FIRST.open" or "FIRST-DROPS.seg"; -1 for anything else. */
static int
parse_name(struct dl_name *out, const char *name)
{
	const char *dash = strchr(name, '-'), *dot = strchr(name, '.');

	memset(out, 0, sizeof(*out));
	if (dot == NULL)
		return -1;
	if (strcmp(dot, ".open") == 0 && dash == NULL) {
		out->open = 1;
		return parse_u64(&out->first, name, (size_t)(dot - name));
	}
	if (strcmp(dot, ".seg") != 0 || dash == NULL || dash > dot)
		return -1;
	if (parse_u64(&out->first, name, (size_t)(dash - name)) != 0)
		return -1;
	return parse_u64(&out->drops, dash + 1, (size_t)(dot - dash - 1));
}

static int
cmp_name(const void *a, const void *b)
{
	const struct dl_name *x = a, *y = b;

	if (x->first != y->first)
		return x->first < y->first ? -1 : 1;
	return x->open - y->open;
}

static int
list_dir(struct dl_name **out, size_t *n, const char *dir)
{
	struct dl_name *v = NULL, *nv, one;
	size_t cap = 0;
	struct dirent *de;
	DIR *d;

	*out = NULL;
	*n = 0;
	if ((d = opendir(dir)) == NULL)
		return ls_error_set(LS_EIO, "%s: %s", dir, strerror(errno));
	while ((de = readdir(d)) != NULL) {
		if (parse_name(&one, de->d_name) != 0)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			if (cap > DL_MAX_FILES ||
			    (nv = realloc(v, cap * sizeof(*v))) == NULL) {
				closedir(d);
				free(v);
				return ls_error_set(LS_ETOOBIG,
				    "%s: too many segments", dir);
			}
			v = nv;
		}
		v[(*n)++] = one;
	}
	closedir(d);
	if (*n > 0)
		qsort(v, *n, sizeof(*v), cmp_name);
	*out = v;
	return 0;
}

/* The seq of one line (a JSON object with "seq"), 0 if it is not one. */
static uint64_t
line_seq(const char *p, size_t n)
{
	json_t *o = json_loadb(p, n, JSON_REJECT_DUPLICATES, NULL);
	json_t *s = json_object_get(o, "seq");
	uint64_t v = 0;

	if (json_is_integer(s) && json_integer_value(s) > 0)
		v = (uint64_t)json_integer_value(s);
	json_decref(o);
	return v;
}

/*
 * Walk the lines of a segment: every line complete, JSON, seq one past
 * the previous (the first may be any seq >= first).  *good gets the byte
 * length of the valid prefix, s the count and last seq.
 */
static void
scan(struct dl_seg *s, size_t *good, const char *text, size_t len)
{
	const char *p = text, *nl;
	uint64_t seq;

	*good = 0;
	s->lines = 0;
	s->last = 0;
	while (p < text + len &&
	    (nl = memchr(p, '\n', (size_t)(text + len - p))) != NULL) {
		seq = line_seq(p, (size_t)(nl - p));
		if (seq == 0 || (s->lines == 0 && seq < s->first) ||
		    (s->lines > 0 && seq != s->last + 1))
			break;
		s->last = seq;
		s->lines++;
		p = nl + 1;
	}
	*good = (size_t)(p - text);
}

/* A leftover FIRST.open: cut a torn tail, fsync, rename to .seg. */
static int
close_leftover(struct ls_declog *l, struct dl_seg *s, size_t good, size_t len)
{
	char from[PATH_MAX + 64], to[PATH_MAX + 64];
	int fd, ok;

	ls_dl_seg_path(from, sizeof(from), l, s, 1);
	if (s->lines == 0)
		return unlink(from) == 0
		    ? 0
		    : ls_error_set(LS_EIO, "%s: %s", from, strerror(errno));
	if ((fd = open(from, O_WRONLY | O_CLOEXEC)) < 0)
		return ls_error_set(LS_EIO, "%s: %s", from, strerror(errno));
	ok = (good == len || ftruncate(fd, (off_t)good) == 0) && fsync(fd) == 0;
	close(fd);
	ls_dl_seg_path(to, sizeof(to), l, s, 0);
	if (!ok || rename(from, to) != 0)
		return ls_error_set(LS_EIO, "%s: %s", from, strerror(errno));
	s->bytes = good;
	return ls_file_fsync_dir(l->dir);
}

int
ls_declog_read(char **out, size_t *len, const char *path, size_t max)
{
	struct stat st;

	*out = NULL;
	if (stat(path, &st) != 0)
		return ls_error_set(errno == ENOENT ? LS_ENOTFOUND : LS_EIO,
		    "%s: %s", path, strerror(errno));
	if ((unsigned long long)st.st_size > max)
		return ls_error_set(LS_ETOOBIG, "%s: %lld bytes, limit %zu",
		    path, (long long)st.st_size, max);
	/* ls_file_read allocates its max: size it to the file. */
	return ls_file_read(out, len, path, (size_t)st.st_size + 1);
}

static int
load_segment(struct ls_declog *l, const struct dl_name *nm)
{
	struct dl_seg s;
	char path[PATH_MAX + 64], *text = NULL;
	size_t len = 0, good = 0;
	int rc;

	memset(&s, 0, sizeof(s));
	s.first = nm->first;
	s.drops = nm->drops;
	s.fd = -1;
	ls_dl_seg_path(path, sizeof(path), l, &s, nm->open);
	if ((rc = ls_declog_read(&text, &len, path, DL_READ_MAX)) != 0)
		return rc;
	scan(&s, &good, text, len);
	free(text);
	s.bytes = good;
	if (nm->open) {
		if ((rc = close_leftover(l, &s, good, len)) != 0)
			return rc;
		if (s.lines == 0)
			return 0;
	} else if (s.lines == 0 || good != len) {
		/* Closed segments were fsynced whole: damage is not ours to
		 * repair silently. */
		return ls_error_set(LS_EFORMAT, "%s: damaged closed segment",
		    path);
	}
	if (s.last >= l->next)
		l->next = s.last + 1;
	l->st.queued_records += s.lines;
	return ls_dl_vec_push(&l->closed, &s);
}

static int
read_acked(struct ls_declog *l)
{
	char path[PATH_MAX + 16], *text = NULL, *p;
	uint64_t last;
	int rc;

	memset(l->prev, '0', 64);
	l->prev[64] = '\0';
	snprintf(path, sizeof(path), "%s/acked", l->dir);
	rc = ls_file_read(&text, NULL, path, 4096);
	if (rc == LS_ENOTFOUND)
		return 0;
	if (rc != 0)
		return rc;
	rc = ls_error_set(LS_EFORMAT, "%s: malformed", path);
	if (strncmp(text, "sha256 ", 7) == 0 && strlen(text) > 72 &&
	    text[71] == '\n' && strncmp(text + 72, "last ", 5) == 0 &&
	    (p = strchr(text + 77, '\n')) != NULL &&
	    parse_u64(&last, text + 77, (size_t)(p - text - 77)) == 0) {
		memcpy(l->prev, text + 7, 64);
		l->acked_last = last;
		rc = 0;
	}
	free(text);
	return rc;
}

static void
boot_id(char out[DL_BOOT_MAX])
{
	char *text = NULL;
	size_t n = 0;

	snprintf(out, DL_BOOT_MAX, "unknown");
	if (ls_file_read(&text, &n, "/proc/sys/kernel/random/boot_id", 256) !=
	    0)
		return;
	while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == ' '))
		text[--n] = '\0';
	if (n > 0 && n < DL_BOOT_MAX && strpbrk(text, " \n") == NULL)
		snprintf(out, DL_BOOT_MAX, "%s", text);
	free(text);
}

int
ls_dl_write_state(struct ls_declog *l, uint64_t res, int clean)
{
	char path[PATH_MAX + 16], text[160];
	int n, rc;

	snprintf(path, sizeof(path), "%s/seq.state", l->dir);
	n = snprintf(text, sizeof(text), "boot %s\nreserved %llu\nclean %d\n",
	    l->boot, (unsigned long long)res, clean);
	pthread_mutex_lock(&l->state_mu);
	rc = ls_file_write_atomic(path, text, (size_t)n, 0600);
	pthread_mutex_unlock(&l->state_mu);
	return rc;
}

/* seq.state of the previous run: *crashed when another boot wrote it and
 * did not stop cleanly; *res its reservation. */
static int
read_state(struct ls_declog *l, int *crashed, uint64_t *res)
{
	char path[PATH_MAX + 16], *text = NULL, boot[DL_BOOT_MAX];
	char *r, *c, *e;
	int rc;

	*crashed = 0;
	*res = 0;
	snprintf(path, sizeof(path), "%s/seq.state", l->dir);
	rc = ls_file_read(&text, NULL, path, 4096);
	if (rc == LS_ENOTFOUND)
		return 0;
	if (rc != 0)
		return rc;
	rc = ls_error_set(LS_EFORMAT, "%s: malformed", path);
	r = strstr(text, "\nreserved ");
	c = strstr(text, "\nclean ");
	if (strncmp(text, "boot ", 5) == 0 && r != NULL && c != NULL &&
	    (e = strchr(r + 10, '\n')) != NULL &&
	    parse_u64(res, r + 10, (size_t)(e - r - 10)) == 0 &&
	    (size_t)(r - text - 5) < sizeof(boot)) {
		memcpy(boot, text + 5, (size_t)(r - text - 5));
		boot[r - text - 5] = '\0';
		*crashed = strcmp(boot, l->boot) != 0 && c[7] != '1';
		rc = 0;
	}
	free(text);
	return rc;
}

/* After a power cut: announce every seq that may have been answered. */
static int
announce_crash(struct ls_declog *l, uint64_t res)
{
	char path[PATH_MAX + 64], line[512];
	struct dl_seg s;
	int n, rc;

	memset(&s, 0, sizeof(s));
	s.first = l->next;
	s.last = res + 1;
	s.lines = 1;
	s.fd = -1;
	n = ls_dl_dropped_line(line, sizeof(line), l, res + 1, l->next, res,
	    "crash");
	if (n < 0)
		return ls_error_set(LS_ERROR, "decisions: crash line");
	s.bytes = (uint64_t)n;
	ls_dl_seg_path(path, sizeof(path), l, &s, 0);
	if ((rc = ls_file_write_atomic(path, line, (size_t)n, 0600)) != 0)
		return rc;
	l->st.queued_records++;
	l->next = res + 2;
	return ls_dl_vec_push(&l->closed, &s);
}

int
ls_dl_recover(struct ls_declog *l)
{
	struct dl_name *names = NULL;
	size_t n = 0, i;
	uint64_t res = 0;
	int rc, crashed = 0;

	boot_id(l->boot);
	if ((rc = read_acked(l)) != 0 || (rc = read_state(l, &crashed, &res)))
		return rc;
	l->next = l->acked_last + 1;
	if ((rc = list_dir(&names, &n, l->dir)) != 0)
		return rc;
	for (i = 0; i < n && rc == 0; i++)
		rc = load_segment(l, &names[i]);
	free(names);
	if (rc != 0)
		return rc;
	if (crashed && res >= l->next && (rc = announce_crash(l, res)) != 0)
		return rc;
	l->reserved = l->next + DL_RESERVE_BLOCK;
	return ls_dl_write_state(l, l->reserved, 0);
}
