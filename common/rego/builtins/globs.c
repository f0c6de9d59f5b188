/*
 * globs.c - regex.globs_match: do two restricted patterns (literal
 * runes, '.', [classes] with ranges, each optionally followed by * or +,
 * '\' escapes) match a common string?  As OPA's glob-intersection
 * library: each pattern becomes a small NFA and a breadth-first search
 * over pairs of states looks for a joint path to both accepting states.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lockstep/error.h"
#include "rego/builtins/internal.h"
#include "rego/builtins/lib.h"

#define GLOBS_MAX_TOKENS 1024

struct gtok {
	int any;	  /* '.' */
	uint32_t *ranges; /* lo,hi pairs (arena) */
	size_t nranges;
	int star; /* may repeat zero or more times */
};

static int
gerr(struct ls_bi_ctx *ctx, const char *s, size_t len, size_t pos,
    const char *what)
{
	snprintf(ctx->msg, sizeof ctx->msg,
	    "%s: input:%.*s, pos:%zu, %s: the "
	    "input provided is invalid",
	    ctx->name, (int)(len > 200 ? 200 : len), s, pos, what);
	return LS_BI_EBUILTIN;
}

static int
add_range(struct ls_arena *a, struct gtok *t, uint32_t lo, uint32_t hi)
{
	uint32_t *nr = ls_arena_alloc(a, (t->nranges + 1) * 2 * sizeof *nr);

	if (nr == NULL)
		return -1;
	if (t->nranges > 0)
		memcpy(nr, t->ranges, t->nranges * 2 * sizeof *nr);
	nr[2 * t->nranges] = lo;
	nr[2 * t->nranges + 1] = hi;
	t->ranges = nr;
	t->nranges++;
	return 0;
}

/* Tokenise; '+' becomes the token followed by a starred copy. */
static int
tokenize(struct ls_bi_ctx *ctx, const char *s, size_t len, struct gtok **out,
    size_t *n)
{
	struct gtok *v =
	    ls_arena_alloc(ctx->arena, GLOBS_MAX_TOKENS * sizeof *v);
	size_t i = 0, w, k = 0;

	if (v == NULL)
		return LS_BI_ENOMEM;
	while (i < len) {
		uint32_t r = bi_utf8_decode(s + i, len - i, &w);
		struct gtok t;

		memset(&t, 0, sizeof t);
		if (k + 2 >= GLOBS_MAX_TOKENS)
			return ls_bi_error(ctx, "pattern too long");
		if (r == '*' || r == '+')
			return gerr(ctx, s, len, i + 1,
			    r == '*'
				? "quantifier '*' with no preceding character"
				: "quantifier '+' with no preceding character");
		if (r == ']')
			return gerr(ctx, s, len, i + 1,
			    "set-close ']' with no preceding '['");
		i += w;
		if (r == '.') {
			t.any = 1;
		} else if (r == '\\') {
			if (i >= len)
				return gerr(ctx, s, len, i,
				    "escape '\\' with no following character");
			r = bi_utf8_decode(s + i, len - i, &w);
			i += w;
			if (add_range(ctx->arena, &t, r, r) != 0)
				return LS_BI_ENOMEM;
		} else if (r == '[') {
			size_t open = i;
			for (;;) {
				uint32_t lo, hi;
				if (i >= len)
					return gerr(ctx, s, len, open,
					    "set-open '[' with no closing ']'");
				lo = bi_utf8_decode(s + i, len - i, &w);
				i += w;
				if (lo == ']')
					break;
				if (lo == '\\' && i < len) {
					lo = bi_utf8_decode(s + i, len - i, &w);
					i += w;
				}
				hi = lo;
				if (i + 1 < len && s[i] == '-' &&
				    s[i + 1] != ']') {
					i++;
					hi = bi_utf8_decode(s + i, len - i, &w);
					i += w;
					if (hi < lo)
						return gerr(ctx, s, len, i,
						    "set range is out of "
						    "order");
				}
				if (add_range(ctx->arena, &t, lo, hi) != 0)
					return LS_BI_ENOMEM;
			}
			if (t.nranges == 0)
				return gerr(ctx, s, len, i, "empty set");
		} else if (add_range(ctx->arena, &t, r, r) != 0) {
			return LS_BI_ENOMEM;
		}
		v[k] = t;
		if (i < len && (s[i] == '*' || s[i] == '+')) {
			if (s[i] == '*') {
				v[k].star = 1;
			} else {
				v[k + 1] = t;
				v[k + 1].star = 1;
				k++;
			}
			i++;
		}
		k++;
	}
	*out = v;
	*n = k;
	return 0;
}

static int
overlap(const struct gtok *a, const struct gtok *b)
{
	size_t i, j;

	if (a->any || b->any)
		return 1; /* classes are never empty */
	for (i = 0; i < a->nranges; i++)
		for (j = 0; j < b->nranges; j++)
			if (a->ranges[2 * i] <= b->ranges[2 * j + 1] &&
			    b->ranges[2 * j] <= a->ranges[2 * i + 1])
				return 1;
	return 0;
}

int
ls_bi_regex_globs_match(BI_ARGS)
{
	struct gtok *x = NULL, *y = NULL;
	size_t nx = 0, ny = 0, head = 0, tail = 0, cols;
	const char *s1, *s2;
	size_t l1, l2;
	unsigned char *seen;
	size_t *queue;
	int rc;

	(void)nargs;
	if ((rc = bi_arg_str(ctx, args, 0, &s1, &l1)) != 0 ||
	    (rc = bi_arg_str(ctx, args, 1, &s2, &l2)) != 0 ||
	    (rc = tokenize(ctx, s1, l1, &x, &nx)) != 0 ||
	    (rc = tokenize(ctx, s2, l2, &y, &ny)) != 0)
		return rc;
	cols = ny + 1;
	seen = ls_arena_alloc(ctx->arena, (nx + 1) * cols);
	queue = ls_arena_alloc(ctx->arena, (nx + 1) * cols * sizeof *queue);
	if (seen == NULL || queue == NULL)
		return LS_BI_ENOMEM;
	seen[0] = 1;
	queue[tail++] = 0;
	while (head < tail) {
		size_t st = queue[head++], i = st / cols, j = st % cols, m;
		size_t next[4];
		int nn = 0, k;

		if (i == nx && j == ny)
			return bi_ret(out, ls_val_bool(1));
		if (i < nx && x[i].star)
			next[nn++] = (i + 1) * cols + j;
		if (j < ny && y[j].star)
			next[nn++] = i * cols + j + 1;
		if (i < nx && j < ny && overlap(&x[i], &y[j])) {
			next[nn++] = (x[i].star ? i : i + 1) * cols +
			    (y[j].star ? j : j + 1);
			if (x[i].star && !y[j].star)
				next[nn++] = i * cols + j + 1;
			else if (!x[i].star && y[j].star)
				next[nn++] = (i + 1) * cols + j;
		}
		for (k = 0; k < nn; k++) {
			m = next[k];
			if (!seen[m]) {
				seen[m] = 1;
				queue[tail++] = m;
			}
		}
	}
	return bi_ret(out, ls_val_bool(0));
}
