/*
 * extract.c - libFuzzer harness: an untrusted tar(.gz) in memory, read as
 * a bundle (ls_bundle_read) and extracted into a fresh directory
 * (ls_extract_mem, common/extract.c and tarsafe.c).
 *
 * Each run extracts into DIR/x under one temporary DIR made at start-up
 * (in /dev/shm when there is one, so the fsyncs cost little) and removes
 * DIR/x again.  The contract checked beyond memory safety: a refused
 * archive leaves nothing behind, and whatever is extracted stays beneath
 * DIR/x with no links.
 */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lockstep/bundle.h"
#include "lockstep/extract.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char parent[64];
static char dest[96];

static void
cleanup_parent(void)
{
	rmdir(parent);
}

static void
parent_once(void)
{
	const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";

	if (parent[0] != '\0')
		return;
	snprintf(parent, sizeof(parent), "%s/lockstep-fuzz.XXXXXX", base);
	if (mkdtemp(parent) == NULL)
		abort();
	snprintf(dest, sizeof(dest), "%s/x", parent);
	atexit(cleanup_parent);
}

/* Remove one entry; anything but a file or directory is a finding. */
static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)f;
	if (flag == FTW_SL || flag == FTW_SLN ||
	    !(S_ISREG(st->st_mode) || S_ISDIR(st->st_mode)))
		abort(); /* extraction made a link, device or FIFO */
	if (S_ISREG(st->st_mode) && st->st_nlink != 1)
		abort(); /* a hard link */
	return remove(path) == 0 ? 0 : -1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ls_extract_limits lim;
	struct ls_bundle_files f;
	struct stat st;
	int rc;

	parent_once();
	ls_bundle_files_init(&f);
	(void)ls_bundle_read(&f, data, size);
	ls_bundle_files_cleanup(&f);

	/* Small caps keep a run fast; the caps themselves are under test. */
	ls_extract_limits_default(&lim);
	lim.max_total = 1 << 20;
	lim.max_entries = 64;
	lim.max_depth = 8;
	lim.max_name = 256;
	rc = ls_extract_mem(data, size, dest, &lim);
	if (rc != 0) {
		if (lstat(dest, &st) == 0)
			abort(); /* refused, but something was left behind */
		return 0;
	}
	if (nftw(dest, rm_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
		abort();
	return 0;
}
