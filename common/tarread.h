/*
 * tarread.h - internal to common/: a streaming reader of tar and tar.gz
 * (zlib), for tarsafe_walk.  It replaces libarchive on the reading side:
 * libarchive brings libxml2, ICU and libstdc++ into every process that
 * extracts, 3.4 MB of the agent's resident memory (bench/doors.sh), to
 * read a format of 512-byte blocks.
 *
 * It reads POSIX ustar with pax extended headers (what ls_bundle_build
 * and Python's tarfile write), GNU long names and old v7 headers; every
 * header's checksum is verified, extended headers are capped, and sparse,
 * multi-volume and other vendor entries are handed over as TARREAD_OTHER
 * for tarsafe to refuse.  It judges nothing else: tarsafe.c does.
 */
#ifndef LOCKSTEP_TARREAD_H
#define LOCKSTEP_TARREAD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define TARREAD_NAME_MAX 4095	    /* bytes of a path or link name */
#define TARREAD_EXT_MAX (64 * 1024) /* bytes of one pax or GNU header */

enum tarread_type {
	TARREAD_FILE,
	TARREAD_DIR,
	TARREAD_HARDLINK,
	TARREAD_SYMLINK,
	TARREAD_CHR,
	TARREAD_BLK,
	TARREAD_FIFO,
	TARREAD_OTHER
};

struct tarread_entry {
	enum tarread_type type;
	const char *path; /* as in the archive; valid until the next entry */
	int has_link;	  /* a link name came with it (pax, GNU or ustar) */
	uint64_t size;	  /* bytes of data that follow */
};

struct tarread;

/* Read from fd (from its current offset) or from len bytes at p; gzip is
 * recognised by its magic, anything else is read as plain tar.  src
 * names the archive in nothing: messages are the caller's to prefix.
 * LS_ENOMEM. */
int tarread_open_fd(struct tarread **out, int fd);
int tarread_open_mem(struct tarread **out, const void *p, size_t len);
void tarread_free(struct tarread *t); /* NULL is a no-op */

/* The next entry into e: 1, or 0 at the end of the archive; LS_EFORMAT
 * (corrupt or truncated), LS_ETOOBIG (an extended header or name past its
 * cap), LS_EIO, each with a message. */
int tarread_next(struct tarread *t, struct tarread_entry *e);

/* Up to cap bytes of the current entry's data into buf: the count, 0 at
 * the entry's end, or a negative ls_err with a message. */
ssize_t tarread_data(struct tarread *t, void *buf, size_t cap);

#endif
