/* pipeline.c - checkout, validate, test and package one tag. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lockstep/controls.h"
#include "lockstep/error.h"
#include "lockstep/hash.h"
#include "lockstep/manifest.h"
#include "decisions.h"
#include "pipeline.h"

#define TREE_DEPTH_MAX 32
#define TREE_ENTRIES_MAX 20000	   /* files and folders in a tag's tree */
#define TREE_BYTES_MAX (64u << 20) /* bytes of all its blobs */

void
ls_build_init(struct ls_build *b, const char *channel, const char *tag)
{
	memset(b, 0, sizeof(*b));
	snprintf(b->channel, sizeof(b->channel), "%s", channel);
	snprintf(b->tag, sizeof(b->tag), "%s", tag);
	ls_bundle_files_init(&b->files);
	ls_buf_init(&b->tgz, LS_BUNDLE_MAX_BYTES);
	b->stages = json_array();
}

void
ls_build_cleanup(struct ls_build *b)
{
	ls_bundle_files_cleanup(&b->files);
	ls_buf_cleanup(&b->tgz);
	ls_controls_list_free(b->controls);
	b->controls = NULL;
	b->ncontrols = 0;
	json_decref(b->stages);
	b->stages = NULL;
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Record a stage; detail is stolen (may be NULL). */
static void
stage_record(struct ls_build *b, const char *stage, int ok, double t0,
    const char *reason, json_t *detail)
{
	json_t *e = json_pack("{s:s, s:s, s:i}", "stage", stage, "result",
	    ok == 2  ? "skipped"
		: ok ? "passed"
		     : "failed",
	    "ms", (int)(now_ms() - t0));

	if (e != NULL && ok != 1)
		json_object_set_new(e, "reason", json_string(reason));
	if (e != NULL && detail != NULL)
		json_object_set(e, "detail", detail);
	json_decref(detail);
	if (e != NULL)
		json_array_append_new(b->stages, e);
	if (!ok && b->failed_stage[0] == '\0') {
		snprintf(b->failed_stage, sizeof(b->failed_stage), "%s", stage);
		snprintf(b->reason, sizeof(b->reason), "%s", reason);
	}
}

struct walk {
	struct ls_build *b;
	git_repository *repo;
	git_odb *odb;
	int rc; /* first error, LS_E* */
	char reason[512];
	size_t entries; /* walked so far */
	size_t bytes;	/* of the blobs accepted so far */
};

/* Size and type from the object header, before anything is inflated: a
 * huge blob costs nothing to refuse.  0, or -1 with w->rc and w->reason. */
static int
blob_fits(struct walk *w, const char *path, const git_oid *id)
{
	git_object_t type = GIT_OBJECT_INVALID;
	size_t size = 0;

	if (git_odb_read_header(&size, &type, w->odb, id) != 0) {
		w->rc = LS_EIO;
		snprintf(w->reason, sizeof(w->reason), "%.300s: %.200s", path,
		    git_error_last() ? git_error_last()->message : "no blob");
		return -1;
	}
	if (type != GIT_OBJECT_BLOB) {
		w->rc = LS_EFORMAT;
		snprintf(w->reason, sizeof(w->reason), "%.300s: not a blob",
		    path);
		return -1;
	}
	if (size > TREE_BYTES_MAX - w->bytes) {
		w->rc = LS_ETOOBIG;
		snprintf(w->reason, sizeof(w->reason),
		    "%.300s: %zu bytes; a policy tree holds at most %u MiB",
		    path, size, TREE_BYTES_MAX >> 20);
		return -1;
	}
	w->bytes += size;
	return 0;
}

static int
skipped(const char *root, const char *name)
{
	/* Repository plumbing is never policy. */
	return strncmp(root, ".git", 4) == 0 || strstr(root, "/.git") ||
	    strncmp(name, ".git", 4) == 0;
}

static int
walk_cb(const char *root, const git_tree_entry *e, void *payload)
{
	struct walk *w = payload;
	const char *name = git_tree_entry_name(e);
	git_filemode_t mode = git_tree_entry_filemode(e);
	git_blob *blob = NULL;
	char path[1024];
	int n;

	if (skipped(root, name))
		return mode == GIT_FILEMODE_TREE ? 1 : 0; /* 1: skip */
	n = snprintf(path, sizeof(path), "%s%s", root, name);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		w->rc = LS_ETOOBIG;
		snprintf(w->reason, sizeof(w->reason), "%s...: path too long",
		    root);
		return -1;
	}
	if (++w->entries > TREE_ENTRIES_MAX) {
		w->rc = LS_ETOOBIG;
		snprintf(w->reason, sizeof(w->reason),
		    "more than %d files and folders in the tree",
		    TREE_ENTRIES_MAX);
		return -1;
	}
	if (mode == GIT_FILEMODE_TREE)
		return 0;
	if (mode == GIT_FILEMODE_LINK || mode == GIT_FILEMODE_COMMIT) {
		w->rc = LS_EUNSAFE;
		snprintf(w->reason, sizeof(w->reason),
		    "%.300s: %s not "
		    "allowed in a policy tree",
		    path,
		    mode == GIT_FILEMODE_LINK ? "symbolic link" : "submodule");
		return -1;
	}
	if (blob_fits(w, path, git_tree_entry_id(e)) != 0)
		return -1;
	if (git_blob_lookup(&blob, w->repo, git_tree_entry_id(e)) != 0) {
		w->rc = LS_EIO;
		snprintf(w->reason, sizeof(w->reason), "%.300s: %.200s", path,
		    git_error_last() ? git_error_last()->message : "no blob");
		return -1;
	}
	w->rc = ls_bundle_files_add(&w->b->files, path,
	    git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob));
	git_blob_free(blob);
	if (w->rc != 0) {
		snprintf(w->reason, sizeof(w->reason), "%s", ls_error_last());
		return -1;
	}
	return 0;
}

static int
stage_checkout(struct ls_build *b, git_repository *repo, const git_oid *id)
{
	struct walk w = { b, repo, NULL, 0, "", 0, 0 };
	git_commit *commit = NULL;
	git_tree *tree = NULL;
	double t0 = now_ms();
	int ok = 0;

	git_oid_tostr(b->commit, sizeof(b->commit), id);
	if (git_repository_odb(&w.odb, repo) != 0 ||
	    git_commit_lookup(&commit, repo, id) != 0 ||
	    git_commit_tree(&tree, commit) != 0) {
		snprintf(w.reason, sizeof(w.reason), "commit %s: %s", b->commit,
		    git_error_last() ? git_error_last()->message
				     : "cannot read");
		goto out;
	}
	if (git_tree_walk(tree, GIT_TREEWALK_PRE, walk_cb, &w) != 0 ||
	    w.rc != 0)
		goto out;
	ok = 1;
out:
	/* A cap hit is a validation verdict on the tree, not an I/O error. */
	stage_record(b, w.rc == LS_ETOOBIG ? "validate" : "checkout", ok, t0,
	    w.reason,
	    json_pack("{s:s, s:I}", "commit", b->commit, "files",
		(json_int_t)b->files.n));
	git_tree_free(tree);
	git_commit_free(commit);
	git_odb_free(w.odb);
	return ok;
}

static int
has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* path is suffix itself or ends in "/suffix". */
static int
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0 &&
	    (n == m || s[n - m - 1] == '/');
}

static int
check_file(const struct ls_bundle_file *f, char *reason, size_t rsz)
{
	struct ls_manifest m;
	json_error_t jerr;
	json_t *j;
	int rc = 0;

	if (ends_with(f->path, "data.json")) {
		j = json_loadb((const char *)f->data, f->len,
		    JSON_REJECT_DUPLICATES, &jerr);
		if (j == NULL) {
			snprintf(reason, rsz, "%s:%d:%d: %s", f->path,
			    jerr.line, jerr.column, jerr.text);
			return LS_EFORMAT;
		}
		json_decref(j);
	} else if (strcmp(f->path, ".manifest") == 0) {
		ls_manifest_init(&m);
		if ((rc = ls_manifest_parse(&m, (const char *)f->data,
			 f->len)) == 0)
			rc = ls_manifest_check_roots(&m);
		ls_manifest_cleanup(&m);
		if (rc != 0)
			snprintf(reason, rsz, ".manifest: %s", ls_error_last());
	}
	return rc;
}

/* The control map gives the release's controls; an expired exception
 * fails the build, one ending within LS_DECISIONS_WARN_DAYS is a warning
 * (*warn gets them, an array). */
static int
check_controls(struct ls_build *b, char *reason, size_t rsz, json_t **warn)
{
	struct ls_controls c;
	int rc;

	ls_controls_init(&c);
	if ((rc = ls_controls_from_files(&c, &b->files)) == 0 &&
	    (rc = ls_controls_check_exceptions(&c, time(NULL))) == 0 &&
	    (rc = ls_decisions_expiring(warn, &c, time(NULL))) == 0)
		rc = ls_controls_list(&b->controls, &b->ncontrols, &c);
	if (rc != 0)
		snprintf(reason, rsz, "%s", ls_error_last());
	ls_controls_cleanup(&c);
	return rc;
}

static int
stage_validate(struct ls_build *b)
{
	char reason[512] = "";
	double t0 = now_ms();
	size_t i, nrego = 0;
	json_t *warn = NULL, *detail;
	int rc = 0;

	for (i = 0; i < b->files.n && rc == 0; i++) {
		rc = check_file(&b->files.v[i], reason, sizeof(reason));
		if (has_suffix(b->files.v[i].path, ".rego"))
			nrego++;
	}
	if (rc == 0 && nrego == 0) {
		rc = LS_EFORMAT;
		snprintf(reason, sizeof(reason), "no .rego files at %s",
		    b->commit);
	}
	if (rc == 0)
		rc = check_controls(b, reason, sizeof(reason), &warn);
	detail = json_pack("{s:I, s:I, s:I}", "files", (json_int_t)b->files.n,
	    "bytes", (json_int_t)b->files.total, "rego", (json_int_t)nrego);
	if (detail != NULL && json_array_size(warn) > 0)
		json_object_set(detail, "warnings", warn);
	json_decref(warn);
	stage_record(b, "validate", rc == 0, t0, reason, detail);
	return rc == 0;
}

static int
stage_test(struct ls_build *b)
{
	char reason[512] = "";
	json_t *detail = NULL;
	double t0 = now_ms();
	int rc;

	rc = ls_pipeline_test(b, &detail, reason, sizeof(reason));
	stage_record(b, "test", rc == 1 ? 2 : rc == 0, t0, reason, detail);
	return rc >= 0;
}

static int
stage_package(struct ls_build *b)
{
	double t0 = now_ms();
	int rc;

	rc = ls_bundle_write(&b->tgz, &b->files);
	if (rc == 0)
		ls_sha256_hex(b->sha256, b->tgz.data, b->tgz.len);
	stage_record(b, "package", rc == 0, t0, ls_error_last(),
	    rc == 0 ? json_pack("{s:s, s:I}", "sha256", b->sha256, "length",
			  (json_int_t)b->tgz.len)
		    : NULL);
	return rc == 0;
}

int
ls_pipeline_refuse(struct ls_build *b, const char *stage, const char *reason)
{
	if (b->stages == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	b->ok = 0;
	stage_record(b, stage, 0, now_ms(), reason, NULL);
	return 0;
}

int
ls_pipeline_run(struct ls_build *b, git_repository *repo, const git_oid *commit)
{
	if (b->stages == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	b->ok = stage_checkout(b, repo, commit) && stage_validate(b) &&
	    stage_test(b) && stage_package(b);
	return 0;
}
