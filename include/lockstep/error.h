/*
 * error.h - error codes and the thread-local "what went wrong" line.
 *
 * Every fallible function in common/ returns 0 on success or a negative
 * enum ls_err.  Before returning an error it records one line naming the
 * file, object or field involved and the reason (libgit2's giterr model).
 * Callers pass a callee's code up unchanged; only main.c prints it.
 */
#ifndef LOCKSTEP_ERROR_H
#define LOCKSTEP_ERROR_H

#include <stdarg.h>

enum ls_err {
	LS_OK = 0,
	LS_ERROR = -1,	    /* generic failure; the message says more */
	LS_ENOMEM = -2,	    /* allocation failed */
	LS_EIO = -3,	    /* read, write, fsync or rename failed */
	LS_ENOTFOUND = -4,  /* file, key, document or value absent */
	LS_EFORMAT = -5,    /* malformed input */
	LS_ETOOBIG = -6,    /* a size, count or depth cap was hit */
	LS_EBADSIG = -7,    /* signature missing, invalid or below threshold */
	LS_EROLLBACK = -8,  /* version or seq lower than already accepted */
	LS_EEXPIRED = -9,   /* document past its expiry */
	LS_EEXISTS = -10,   /* refusing to overwrite */
	LS_EINVAL = -11,    /* bad argument from the caller */
	LS_EUNSAFE = -12,   /* hostile archive entry or path */
	LS_ETIMEOUT = -13,  /* network or lock wait ran out */
	LS_ENET = -14,	    /* connection or HTTP failure */
	LS_EMISMATCH = -15, /* hash, length, channel or type mismatch */
	LS_EREGO = -16,	    /* policy parse, compile or evaluation error */
	LS_ECONFLICT = -17, /* conflicting definitions or state */
	LS_ELIMIT = -18,    /* a rate or write budget is spent; retry later */
};

/* Symbolic name of a code ("LS_EBADSIG"); never NULL. */
const char *ls_err_name(int code);

/* The last error message recorded on this thread, "" when none. */
const char *ls_error_last(void);

/*
 * Record a message (printf-style, truncated to one line of at most 511
 * bytes) and return code, so callers can write
 *     return ls_error_set(LS_EFORMAT, "%s: line %d: no signature", f, n);
 */
int ls_error_set(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int ls_error_vset(int code, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/* Prefix the recorded message with "prefix: " (adds context going up). */
int ls_error_wrap(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

void ls_error_clear(void);

/*
 * For the static analyzer only (clang-tidy, scan-build): it does not see
 * error.c and so cannot know that these return their first argument,
 * and then walks "error path returned 0" paths that do not exist.  The
 * compiled code is unchanged; error.c defines LS_ERROR_IMPL to keep the
 * real definitions.
 */
#if defined(__clang_analyzer__) && !defined(LS_ERROR_IMPL)
#define ls_error_set(code, ...) (ls_error_set((code), __VA_ARGS__), (code))
#define ls_error_wrap(code, ...) (ls_error_wrap((code), __VA_ARGS__), (code))
#endif

#endif
