/* export.c - Hive-style partitions of the evidence log. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "evidence.h"
#include "export.h"
#include "lockstep/buf.h"
#include "lockstep/error.h"
#include "lockstep/file.h"
#include "lockstep/note.h"

struct part {
	char key[64]; /* kind=K/year=Y/month=M/day=D */
	struct ls_buf lines;
};

struct parts {
	struct part *v;
	size_t n, cap;
};

static int
kind_ok(const char *k)
{
	size_t i, n = strlen(k);

	if (n == 0 || n > 16)
		return 0;
	for (i = 0; i < n; i++)
		if (k[i] < 'a' || k[i] > 'z')
			return 0;
	return 1;
}

static struct part *
part_for(struct parts *ps, const char *key)
{
	struct part *v;
	size_t i;

	for (i = ps->n; i > 0; i--) /* the newest partitions are hot */
		if (strcmp(ps->v[i - 1].key, key) == 0)
			return &ps->v[i - 1];
	if (ps->n >= LS_EXPORT_MAX_PARTITIONS)
		return NULL;
	if (ps->n == ps->cap) {
		size_t cap = ps->cap ? ps->cap * 2 : 64;

		if ((v = realloc(ps->v, cap * sizeof(*v))) == NULL)
			return NULL;
		ps->v = v;
		ps->cap = cap;
	}
	snprintf(ps->v[ps->n].key, sizeof(ps->v[ps->n].key), "%s", key);
	ls_buf_init(&ps->v[ps->n].lines, (size_t)1 << 30);
	return &ps->v[ps->n++];
}

/* Sort one log line into its partition. */
static int
place(struct parts *ps, const char *line, size_t len, const char *path,
    unsigned long long n)
{
	json_t *e = json_loadb(line, len, 0, NULL);
	const char *kind = json_string_value(json_object_get(e, "kind"));
	const char *t = json_string_value(json_object_get(e, "time"));
	struct part *p;
	char key[64];
	int rc = 0;

	if (kind == NULL || t == NULL || !kind_ok(kind) || strlen(t) < 10) {
		rc = ls_error_set(LS_EFORMAT,
		    "%s: entry %llu: bad kind or "
		    "time",
		    path, n);
		goto out;
	}
	snprintf(key, sizeof(key), "kind=%s/year=%.4s/month=%.2s/day=%.2s",
	    kind, t, t + 5, t + 8);
	if ((p = part_for(ps, key)) == NULL) {
		rc = ls_error_set(LS_ETOOBIG, "%s: too many partitions", path);
		goto out;
	}
	if ((rc = ls_buf_add(&p->lines, line, len)) == 0)
		rc = ls_buf_addc(&p->lines, '\n');
out:
	json_decref(e);
	return rc;
}

static int
read_parts(struct parts *ps, const char *data_dir)
{
	char path[PATH_MAX];
	FILE *f;
	char *line = NULL;
	size_t cap = 0;
	ssize_t got;
	unsigned long long n = 0;
	int rc = 0;

	snprintf(path, sizeof(path), "%s/evidence/log.jsonl", data_dir);
	if ((f = fopen(path, "re")) == NULL)
		return ls_error_set(LS_ENOTFOUND, "%s: cannot open", path);
	while (rc == 0 && (got = getline(&line, &cap, f)) > 0) {
		if (line[got - 1] != '\n')
			break; /* a torn tail was never acknowledged */
		rc = place(ps, line, (size_t)got - 1, path, n++);
	}
	free(line);
	fclose(f);
	return rc;
}

static int
write_part(const char *out_dir, struct part *p)
{
	char dir[PATH_MAX], file[PATH_MAX + 16];
	int n, rc;

	n = snprintf(dir, sizeof(dir), "%s/%s", out_dir, p->key);
	if (n < 0 || (size_t)n >= sizeof(dir))
		return ls_error_set(LS_EINVAL, "%s: path too long", out_dir);
	snprintf(file, sizeof(file), "%s/part-0.jsonl", dir);
	if ((rc = ls_file_mkdirs(dir, 0755)) != 0)
		return rc;
	return ls_file_write_atomic(file, p->lines.data ? p->lines.data : "",
	    p->lines.len, 0644);
}

static int
copy_checkpoint(const char *data_dir, const char *out_dir)
{
	char src[PATH_MAX], dst[PATH_MAX], *text = NULL;
	size_t len;
	int rc;

	snprintf(src, sizeof(src), "%s/evidence/checkpoint.note", data_dir);
	snprintf(dst, sizeof(dst), "%s/checkpoint.note", out_dir);
	rc = ls_file_read(&text, &len, src, LS_NOTE_MAX);
	if (rc == LS_ENOTFOUND) {
		ls_error_clear();
		return 0;
	}
	if (rc == 0)
		rc = ls_file_write_atomic(dst, text, len, 0644);
	free(text);
	return rc;
}

int
ls_evidence_export(const char *data_dir, const char *out_dir, size_t *files_out)
{
	struct parts ps = { NULL, 0, 0 };
	uint64_t count;
	size_t i;
	int rc;

	*files_out = 0;
	if ((rc = ls_evidence_verify(data_dir, &count)) != 0 ||
	    (rc = read_parts(&ps, data_dir)) != 0 ||
	    (rc = ls_file_mkdirs(out_dir, 0755)) != 0)
		goto out;
	for (i = 0; i < ps.n && rc == 0; i++)
		rc = write_part(out_dir, &ps.v[i]);
	if (rc == 0)
		rc = copy_checkpoint(data_dir, out_dir);
	if (rc == 0)
		*files_out = ps.n;
out:
	for (i = 0; i < ps.n; i++)
		ls_buf_cleanup(&ps.v[i].lines);
	free(ps.v);
	return rc;
}
