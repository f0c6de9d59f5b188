/* arena.c - bump allocator with a byte cap, freed in one step. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rego/arena.h"

#define CHUNK_MIN (64 * 1024)
#define ALIGN 16

struct chunk {
	struct chunk *next;
	size_t size; /* usable bytes after the header */
	size_t used;
	size_t seq; /* order of opening, from 0 */
	max_align_t data[];
};

struct ls_arena {
	struct chunk *head;
	size_t max;    /* cap on bytes handed out */
	size_t total;  /* bytes handed out (and not reset) */
	size_t peak;   /* most of total at any time */
	size_t chunks; /* mallocs behind them */
	size_t seq;    /* chunks opened (seq of the next one) */
	int capped;
};

struct ls_arena *
ls_arena_new(size_t max_bytes)
{
	struct ls_arena *a = calloc(1, sizeof(*a));

	if (a == NULL)
		return NULL;
	a->max = max_bytes ? max_bytes : ((size_t)1 << 30);
	return a;
}

void
ls_arena_free(struct ls_arena *a)
{
	struct chunk *c, *next;

	if (a == NULL)
		return;
	for (c = a->head; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	free(a);
}

static struct chunk *
chunk_new(size_t need)
{
	size_t size = need > CHUNK_MIN ? need : CHUNK_MIN;
	struct chunk *c = malloc(sizeof(*c) + size);

	if (c == NULL)
		return NULL;
	c->next = NULL;
	c->size = size;
	c->used = 0;
	return c;
}

void *
ls_arena_alloc(struct ls_arena *a, size_t n)
{
	struct chunk *c;
	void *p;

	if (n == 0)
		n = 1;
	if (n > SIZE_MAX - ALIGN)
		return NULL;
	n = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
	if (n > a->max - a->total) {
		a->capped = 1;
		return NULL;
	}
	c = a->head;
	if (c == NULL || c->size - c->used < n) {
		c = chunk_new(n);
		if (c == NULL)
			return NULL;
		c->seq = a->seq++;
		a->chunks++;
		/* A big one-off chunk goes behind the current one, so the
		 * current chunk's free tail is not wasted. */
		if (a->head != NULL && n > CHUNK_MIN / 4) {
			c->next = a->head->next;
			a->head->next = c;
		} else {
			c->next = a->head;
			a->head = c;
		}
	}
	p = (char *)c->data + c->used;
	c->used += n;
	a->total += n;
	if (a->total > a->peak)
		a->peak = a->total;
	memset(p, 0, n);
	return p;
}

char *
ls_arena_strndup(struct ls_arena *a, const char *p, size_t n)
{
	char *s;

	if (n == SIZE_MAX)
		return NULL;
	s = ls_arena_alloc(a, n + 1);
	if (s == NULL)
		return NULL;
	if (n > 0)
		memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

size_t
ls_arena_used(const struct ls_arena *a)
{
	return a->total;
}

size_t
ls_arena_peak(const struct ls_arena *a)
{
	return a->peak;
}

int
ls_arena_capped(const struct ls_arena *a)
{
	return a->capped;
}

size_t
ls_arena_chunks(const struct ls_arena *a)
{
	return a->chunks;
}

void
ls_arena_mark(const struct ls_arena *a, struct ls_arena_mark *out)
{
	out->head = a->head;
	out->used = a->head ? a->head->used : 0;
	out->total = a->total;
	out->seq = a->seq;
}

/*
 * New chunks go in at the head or just behind it, so the chunks opened
 * since the mark all come before the first old chunk other than the
 * mark's head.
 */
void
ls_arena_reset(struct ls_arena *a, const struct ls_arena_mark *m)
{
	struct chunk **pp = &a->head, *c;

	if (a->seq == m->seq) {
#ifndef NDEBUG
		/* Poison what goes back, so a stale pointer into it shows. */
		if (a->head != NULL)
			memset((char *)a->head->data + m->used, 0xdb,
			    a->head->used - m->used);
#endif
		if (a->head != NULL)
			a->head->used = m->used;
		a->total = m->total;
		return;
	}
	while ((c = *pp) != NULL) {
		if (c->seq >= m->seq) {
			*pp = c->next;
			free(c);
			continue;
		}
		if (c != m->head)
			break;
		pp = &c->next;
	}
	a->head = (struct chunk *)(uintptr_t)m->head;
	if (a->head != NULL)
		a->head->used = m->used;
	a->total = m->total;
	a->seq = m->seq;
}
