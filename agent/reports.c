/* reports.c - signed agent reports and their bounded on-disk queue. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lockstep/error.h"
#include "lockstep/file.h"
#include "lockstep/note.h"
#include "reports.h"

#define SEQ_DIGITS 20

static int
report_path(char *out, size_t sz, const char *state_dir, uint64_t seq)
{
	if (snprintf(out, sz, "%s/reports/%0*llu.note", state_dir, SEQ_DIGITS,
		(unsigned long long)seq) >= (int)sz)
		return ls_error_set(LS_EINVAL, "%s: path too long", state_dir);
	return 0;
}

int
ls_reports_init(const char *state_dir)
{
	char p[PATH_MAX];

	if (snprintf(p, sizeof(p), "%s/reports", state_dir) >= (int)sizeof(p))
		return ls_error_set(LS_EINVAL, "%s: path too long", state_dir);
	return ls_file_mkdirs(p, 0700);
}

int
ls_reports_sign(char **out, size_t *out_len, const struct ls_report *r,
    struct ls_key *key)
{
	char *body = NULL;
	size_t blen = 0;
	int rc;

	*out = NULL;
	if ((rc = ls_report_body(&body, &blen, r)) < 0)
		return ls_error_wrap(rc, "report");
	rc = ls_note_sign(out, out_len, body, blen, &key, 1);
	free(body);
	return rc < 0 ? ls_error_wrap(rc, "report") : 0;
}

/* Parse "NNNN…N.note" (exactly SEQ_DIGITS digits); -1 if it is not one. */
static int
parse_name(uint64_t *seq, const char *name)
{
	uint64_t v = 0;
	int i;

	if (strlen(name) != SEQ_DIGITS + 5 ||
	    strcmp(name + SEQ_DIGITS, ".note") != 0)
		return -1;
	for (i = 0; i < SEQ_DIGITS; i++) {
		if (name[i] < '0' || name[i] > '9')
			return -1;
		if (v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(name[i] - '0');
	}
	*seq = v;
	return 0;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int
ls_reports_list(uint64_t **out, size_t *n, const char *state_dir)
{
	char dir[PATH_MAX];
	uint64_t *v = NULL, *nv, seq;
	size_t cnt = 0, cap = 0;
	struct dirent *e;
	DIR *d;
	int rc = 0;

	*out = NULL;
	*n = 0;
	if (snprintf(dir, sizeof(dir), "%s/reports", state_dir) >=
	    (int)sizeof(dir))
		return ls_error_set(LS_EINVAL, "%s: path too long", state_dir);
	if ((d = opendir(dir)) == NULL)
		return errno == ENOENT
		    ? 0
		    : ls_error_set(LS_EIO, "%s: %s", dir, strerror(errno));
	while ((e = readdir(d)) != NULL) {
		if (parse_name(&seq, e->d_name) != 0)
			continue;
		if (cnt == LS_REPORTS_LIST_MAX) {
			rc = ls_error_set(LS_ETOOBIG,
			    "%s: more than %d "
			    "reports",
			    dir, LS_REPORTS_LIST_MAX);
			goto out;
		}
		if (cnt == cap) {
			cap = cap ? cap * 2 : 64;
			if ((nv = realloc(v, cap * sizeof(*v))) == NULL) {
				rc = ls_error_set(LS_ENOMEM,
				    "%s: out of memory", dir);
				goto out;
			}
			v = nv;
		}
		v[cnt++] = seq;
	}
	if (cnt > 0)
		qsort(v, cnt, sizeof(*v), cmp_u64);
	*out = v;
	*n = cnt;
	v = NULL;
out:
	closedir(d);
	free(v);
	return rc;
}

int
ls_reports_enqueue(const char *state_dir, uint64_t seq, const char *note,
    size_t len, size_t max, uint64_t *now_dropped)
{
	char p[PATH_MAX];
	uint64_t *v = NULL;
	size_t n = 0, i;
	int rc;

	*now_dropped = 0;
	if ((rc = ls_reports_list(&v, &n, state_dir)) != 0)
		return rc;
	for (i = 0; max > 0 && n - i >= max; i++) {
		if ((rc = ls_reports_remove(state_dir, v[i])) != 0)
			goto out;
		(*now_dropped)++;
	}
	if ((rc = report_path(p, sizeof(p), state_dir, seq)) != 0)
		goto out;
	rc = ls_file_write_atomic(p, note, len, 0600);
out:
	free(v);
	return rc;
}

int
ls_reports_read(char **out, size_t *len, const char *state_dir, uint64_t seq)
{
	char p[PATH_MAX];
	int rc;

	if ((rc = report_path(p, sizeof(p), state_dir, seq)) != 0)
		return rc;
	return ls_file_read(out, len, p, LS_NOTE_MAX);
}

int
ls_reports_remove(const char *state_dir, uint64_t seq)
{
	char p[PATH_MAX];
	int rc;

	if ((rc = report_path(p, sizeof(p), state_dir, seq)) != 0)
		return rc;
	if (unlink(p) != 0 && errno != ENOENT)
		return ls_error_set(LS_EIO, "%s: %s", p, strerror(errno));
	return 0;
}
