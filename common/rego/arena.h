/*
 * arena.h - bump allocator for Rego values and evaluation state.
 *
 * Every evaluation owns one arena and frees it in one step when it ends;
 * a compiled policy owns another that holds its immutable, shared values.
 * An arena has a hard byte cap set at creation: an allocation past it
 * returns NULL (as does a failed malloc), so every caller checks.
 * An arena is not thread-safe: one thread allocates from it at a time.
 */
#ifndef LS_REGO_ARENA_H
#define LS_REGO_ARENA_H

#include <stddef.h>

struct ls_arena;

/* NULL on ENOMEM.  max_bytes == 0 means the default cap (1 GiB). */
struct ls_arena *ls_arena_new(size_t max_bytes);
void ls_arena_free(struct ls_arena *a); /* NULL ok */

/* n zeroed bytes, aligned for any type; NULL past the cap or on ENOMEM. */
void *ls_arena_alloc(struct ls_arena *a, size_t n);

/* Copy of p[0..n) plus a NUL; NULL as above. */
char *ls_arena_strndup(struct ls_arena *a, const char *p, size_t n);

/* Bytes handed out so far and not given back by a reset (for caps and
 * statistics), and the most that ever were at once. */
size_t ls_arena_used(const struct ls_arena *a);
size_t ls_arena_peak(const struct ls_arena *a);

/*
 * A mark, and a reset to it: everything allocated after the mark is
 * given back (chunks opened since go back to malloc).  The caller makes
 * sure nothing allocated after the mark is still referenced.
 */
struct ls_arena_mark {
	const void *head; /* chunk in use at the mark */
	size_t used;	  /* its fill then */
	size_t total;	  /* bytes handed out then */
	size_t seq;	  /* chunks opened before the mark */
};

void ls_arena_mark(const struct ls_arena *a, struct ls_arena_mark *out);
void ls_arena_reset(struct ls_arena *a, const struct ls_arena_mark *m);

/* Chunks obtained from malloc so far. */
size_t ls_arena_chunks(const struct ls_arena *a);

/* Set when an allocation failed because of the cap (not ENOMEM). */
int ls_arena_capped(const struct ls_arena *a);

#endif
