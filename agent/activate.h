/*
 * activate.h - turn a verified bundle into the enforced policy (DESIGN.md
 * rules 6 and 7) and put a restarted agent back where it was.
 *
 * Layout under the state directory:
 *   bundles/NAME/   one extracted bundle per directory, never modified
 *   current         symbolic link "bundles/NAME", swapped by rename
 *   tmp/            downloads in progress
 * state.json (state.h) names the bundle that is committed; anything else
 * in bundles/ or tmp/ is a leftover of an interrupted update and is
 * removed by ls_activate_prune.
 */
#ifndef LOCKSTEP_AGENT_ACTIVATE_H
#define LOCKSTEP_AGENT_ACTIVATE_H

#include <stddef.h>
#include <stdint.h>

#include "lockstep/extract.h"
#include "lockstep/rego.h"

/*
 * Extract tgz_path into a fresh bundles/ directory named after sha_hex
 * (first 16 digits) and seq, fsync every file and directory in it, then
 * load and compile the policy there.  *out_dir gets "bundles/NAME"
 * (dirsz bytes), *out_policy a reference the caller owns.  On any failure
 * the directory is removed and nothing else changed; policy errors are
 * LS_EREGO with the engine's message in ls_error_last().
 */
int ls_activate_prepare(char *out_dir, size_t dirsz,
    struct ls_rego_policy **out_policy, const char *state_dir,
    const char *tgz_path, const char *sha_hex, uint64_t seq,
    const struct ls_extract_limits *lim);

/* Point state_dir/current at rel_dir: new link, rename, fsync state_dir. */
int ls_activate_swap(const char *state_dir, const char *rel_dir);

/*
 * Make `current` name rel_dir (or remove it when rel_dir is NULL) if it
 * does not already, and remove every bundles/ entry but rel_dir and
 * everything in tmp/.  Used after a commit and at start.
 */
int ls_activate_prune(const char *state_dir, const char *rel_dir);

/* Load the policy of an already extracted bundle directory. */
int ls_activate_load(struct ls_rego_policy **out, const char *state_dir,
    const char *rel_dir);

/* Create bundles/ and tmp/ under state_dir (0700). */
int ls_activate_init(const char *state_dir);

#endif
