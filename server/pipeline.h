/*
 * pipeline.h - the build of one tag, in named stages:
 *
 *   checkout  the tag's tree read from git objects (no working tree)
 *   validate  every data.json parses, .manifest roots do not overlap,
 *             file count and size caps, control map and exceptions
 *   test      the repository's own Rego tests (stage_test.c)
 *   package   the reproducible tar.gz
 *
 * sign and publish follow in the store.  Each stage is recorded in
 * b->stages with its result and time; the first failing stage stops the
 * build with b->ok == 0, b->failed_stage and b->reason set, and nothing
 * is published.
 */
#ifndef LOCKSTEP_SERVER_PIPELINE_H
#define LOCKSTEP_SERVER_PIPELINE_H

#include <stddef.h>
#include <stdint.h>

#include <git2.h>
#include <jansson.h>

#include "lockstep/buf.h"
#include "lockstep/bundle.h"
#include "lockstep/doc.h"

struct ls_build {
	char channel[LS_NAME_MAX + 1];
	char tag[LS_NAME_MAX + 1];
	char commit[41];	      /* hex id of the tag's commit */
	int ok;			      /* every stage passed */
	char failed_stage[16];	      /* "" when ok */
	char reason[512];	      /* why it failed */
	struct ls_bundle_files files; /* the tree, after checkout */
	struct ls_buf tgz;	      /* the bundle, after package */
	char sha256[65];	      /* of tgz */
	unsigned tests_passed, tests_failed;
	char **controls; /* owned, sorted, unique */
	size_t ncontrols;
	json_t *stages; /* owned: [{stage, result, ms, ...}] */
};

void ls_build_init(struct ls_build *b, const char *channel, const char *tag);
void ls_build_cleanup(struct ls_build *b);

/*
 * Run every stage for commit in repo.  Returns 0 when the build ran to a
 * verdict (look at b->ok), or a negative code for trouble outside the
 * policy (LS_ENOMEM, LS_EIO).
 */
int ls_pipeline_run(struct ls_build *b, git_repository *repo,
    const git_oid *commit);

/*
 * Record a build that cannot run (its tag is not on a commit, or it never
 * finished): stage failed with reason, b->ok 0.  0, or LS_ENOMEM.
 */
int
ls_pipeline_refuse(struct ls_build *b, const char *stage, const char *reason);

/*
 * The test stage: compile the bundle's Rego with its data and run every
 * test_ rule.  Sets tests_passed/failed and adds a per-test array to
 * *detail_out.  LS_EREGO with *reason set when the policy does not compile
 * or a test fails.  1 (with *reason saying why) when this build has no
 * Rego engine linked: the stage is then recorded as "skipped", never as
 * passed.  (stage_test.c)
 */
int ls_pipeline_test(struct ls_build *b, json_t **detail_out, char *reason,
    size_t reasonsz);

#endif
