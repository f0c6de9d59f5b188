/*
 * glob.c - gobwas/glob patterns as OPA's glob.match uses them.
 *
 * Syntax: '*' any run of non-delimiter runes, '**' any run at all, '?'
 * one non-delimiter rune, "[abc]" "[a-z]" "[!...]" rune classes, "{a,b}"
 * alternatives (nestable), '\' escapes.  The pattern is parsed into a
 * small tree and matched by backtracking over runes with a step budget, so
 * a hostile pattern fails with LS_ETOOBIG instead of running for ever.
 */
#include <stdlib.h>
#include <string.h>

#include "lockstep/error.h"
#include "rego/builtins/lib.h"

#define GLOB_MAX_PATTERN 4096
#define GLOB_MAX_NODES 4096
#define GLOB_MAX_DEPTH 64
#define GLOB_MAX_STEPS 2000000L

enum gkind { G_LIT, G_STAR, G_SUPER, G_ONE, G_CLASS, G_ALT };

struct gnode;

struct gseq {
	struct gnode **v;
	size_t n;
};

struct gnode {
	enum gkind kind;
	uint32_t r;	  /* G_LIT rune */
	uint32_t *ranges; /* G_CLASS: lo,hi pairs */
	size_t nranges;
	int negate;	   /* G_CLASS with '!' */
	struct gseq *alts; /* G_ALT */
	size_t nalts;
};

struct gparse {
	const char *p;
	size_t n, i;
	size_t nodes;
	int depth;
};

struct gmatch {
	const uint32_t *s; /* subject runes */
	size_t n;
	const uint32_t *delims;
	size_t ndelims;
	long steps;
};

struct gcont {
	const struct gseq *seq;
	size_t idx;
	const struct gcont *next;
};

static void seq_free(struct gseq *s);

static void
node_free(struct gnode *g)
{
	size_t i;

	if (g == NULL)
		return;
	free(g->ranges);
	for (i = 0; i < g->nalts; i++)
		seq_free(&g->alts[i]);
	free(g->alts);
	free(g);
}

static void
seq_free(struct gseq *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		node_free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

static int
seq_push(struct gparse *ps, struct gseq *s, struct gnode *g)
{
	struct gnode **nv;

	if (++ps->nodes > GLOB_MAX_NODES ||
	    (nv = realloc(s->v, (s->n + 1) * sizeof *nv)) == NULL) {
		node_free(g);
		return ls_error_set(LS_ETOOBIG, "glob pattern too complex");
	}
	s->v = nv;
	s->v[s->n++] = g;
	return 0;
}

static uint32_t
next_rune(struct gparse *ps)
{
	size_t w = 1;
	uint32_t r = bi_utf8_decode(ps->p + ps->i, ps->n - ps->i, &w);

	ps->i += w;
	return r;
}

static int
parse_class(struct gparse *ps, struct gnode *g)
{
	uint32_t *nv;

	if (ps->i < ps->n && ps->p[ps->i] == '!') {
		g->negate = 1;
		ps->i++;
	}
	for (;;) {
		uint32_t lo, hi;

		if (ps->i >= ps->n)
			return ls_error_set(LS_EFORMAT,
			    "unexpected end of input");
		if (ps->p[ps->i] == ']' && g->nranges > 0) {
			ps->i++;
			return 0;
		}
		if (ps->p[ps->i] == '\\' && ps->i + 1 < ps->n)
			ps->i++;
		lo = hi = next_rune(ps);
		if (ps->i + 1 < ps->n && ps->p[ps->i] == '-' &&
		    ps->p[ps->i + 1] != ']') {
			ps->i++;
			hi = next_rune(ps);
			if (hi < lo)
				return ls_error_set(LS_EFORMAT,
				    "hi character should be greater than lo "
				    "character");
		}
		if (g->nranges >= 1024 ||
		    (nv = realloc(g->ranges,
			 (g->nranges + 1) * 2 * sizeof *nv)) == NULL)
			return ls_error_set(LS_ETOOBIG, "glob class too large");
		g->ranges = nv;
		g->ranges[2 * g->nranges] = lo;
		g->ranges[2 * g->nranges + 1] = hi;
		g->nranges++;
	}
}

static int parse_seq(struct gparse *ps, struct gseq *out, int in_alt);

static int
parse_alt(struct gparse *ps, struct gnode *g)
{
	struct gseq *nv;
	int rc;

	if (++ps->depth > GLOB_MAX_DEPTH)
		return ls_error_set(LS_ETOOBIG, "glob pattern nested too deep");
	for (;;) {
		if ((nv = realloc(g->alts, (g->nalts + 1) * sizeof *nv)) ==
		    NULL)
			return ls_error_set(LS_ENOMEM, "out of memory");
		g->alts = nv;
		memset(&g->alts[g->nalts], 0, sizeof *nv);
		g->nalts++;
		if ((rc = parse_seq(ps, &g->alts[g->nalts - 1], 1)) != 0)
			return rc;
		if (ps->i >= ps->n)
			return ls_error_set(LS_EFORMAT,
			    "unexpected end of input");
		if (ps->p[ps->i++] == '}')
			break;
	}
	ps->depth--;
	return 0;
}

/* Parse until end, or ',' / '}' inside alternatives (left unconsumed). */
static int
parse_seq(struct gparse *ps, struct gseq *out, int in_alt)
{
	int rc = 0;

	while (ps->i < ps->n && rc == 0) {
		char c = ps->p[ps->i];
		struct gnode *g;

		if (in_alt && (c == ',' || c == '}'))
			return 0;
		if ((g = calloc(1, sizeof *g)) == NULL)
			return ls_error_set(LS_ENOMEM, "out of memory");
		if (c == '*') {
			ps->i++;
			g->kind = G_STAR;
			if (ps->i < ps->n && ps->p[ps->i] == '*') {
				g->kind = G_SUPER;
				while (ps->i < ps->n && ps->p[ps->i] == '*')
					ps->i++;
			}
		} else if (c == '?') {
			ps->i++;
			g->kind = G_ONE;
		} else if (c == '[') {
			ps->i++;
			g->kind = G_CLASS;
			rc = parse_class(ps, g);
		} else if (c == '{') {
			ps->i++;
			g->kind = G_ALT;
			rc = parse_alt(ps, g);
		} else if (!in_alt && c == '}') {
			rc = ls_error_set(LS_EFORMAT, "unexpected '}'");
		} else {
			if (c == '\\') {
				ps->i++;
				if (ps->i >= ps->n) {
					node_free(g);
					return ls_error_set(LS_EFORMAT,
					    "unexpected end of input");
				}
			}
			g->kind = G_LIT;
			g->r = next_rune(ps);
		}
		if (rc != 0) {
			node_free(g);
			return rc;
		}
		rc = seq_push(ps, out, g);
	}
	return rc;
}

static int
is_delim(const struct gmatch *m, uint32_t r)
{
	size_t i;

	for (i = 0; i < m->ndelims; i++)
		if (m->delims[i] == r)
			return 1;
	return 0;
}

static int
class_has(const struct gnode *g, uint32_t r)
{
	size_t i;

	for (i = 0; i < g->nranges; i++)
		if (r >= g->ranges[2 * i] && r <= g->ranges[2 * i + 1])
			return !g->negate;
	return g->negate;
}

/* 1 match, 0 no, <0 budget exhausted. */
static int
gmatch(struct gmatch *m, const struct gcont *c, size_t pos)
{
	const struct gnode *g;
	struct gcont next;
	size_t k, i;
	int rc;

	if (--m->steps < 0)
		return ls_error_set(LS_ETOOBIG, "glob match too complex");
	while (c != NULL && c->idx >= c->seq->n)
		c = c->next;
	if (c == NULL)
		return pos == m->n;
	g = c->seq->v[c->idx];
	next.seq = c->seq;
	next.idx = c->idx + 1;
	next.next = c->next;
	switch (g->kind) {
	case G_LIT:
		return pos < m->n && m->s[pos] == g->r
		    ? gmatch(m, &next, pos + 1)
		    : 0;
	case G_ONE:
		return pos < m->n && !is_delim(m, m->s[pos])
		    ? gmatch(m, &next, pos + 1)
		    : 0;
	case G_CLASS:
		return pos < m->n && class_has(g, m->s[pos])
		    ? gmatch(m, &next, pos + 1)
		    : 0;
	case G_STAR:
	case G_SUPER:
		for (k = pos; k <= m->n; k++) {
			if ((rc = gmatch(m, &next, k)) != 0)
				return rc;
			if (k < m->n && g->kind == G_STAR &&
			    is_delim(m, m->s[k]))
				break;
		}
		return 0;
	case G_ALT:
		for (i = 0; i < g->nalts; i++) {
			struct gcont alt = { &g->alts[i], 0, &next };
			if ((rc = gmatch(m, &alt, pos)) != 0)
				return rc;
		}
		return 0;
	}
	return 0;
}

int
bi_glob_match(int *out, const char *pat, size_t plen, const uint32_t *delims,
    size_t ndelims, const char *s, size_t len)
{
	struct gparse ps = { pat, plen, 0, 0, 0 };
	struct gseq root = { NULL, 0 };
	struct gmatch m = { NULL, 0, delims, ndelims, GLOB_MAX_STEPS };
	struct gcont c;
	uint32_t *runes = NULL;
	size_t i = 0, w;
	int rc;

	*out = 0;
	if (plen > GLOB_MAX_PATTERN)
		return ls_error_set(LS_ETOOBIG, "glob pattern too long");
	if ((rc = parse_seq(&ps, &root, 0)) != 0)
		goto out;
	if ((runes = malloc((len + 1) * sizeof *runes)) == NULL) {
		rc = ls_error_set(LS_ENOMEM, "out of memory");
		goto out;
	}
	while (i < len) {
		runes[m.n++] = bi_utf8_decode(s + i, len - i, &w);
		i += w;
	}
	m.s = runes;
	c.seq = &root;
	c.idx = 0;
	c.next = NULL;
	rc = gmatch(&m, &c, 0);
	if (rc >= 0) {
		*out = rc;
		rc = 0;
	}
out:
	free(runes);
	seq_free(&root);
	return rc;
}

int
bi_glob_quote_meta(struct ls_buf *b, const char *s, size_t len)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < len && rc == 0; i++) {
		if (strchr("*?\\[]{}", s[i]) != NULL && s[i] != '\0')
			rc = ls_buf_addc(b, '\\');
		if (rc == 0)
			rc = ls_buf_addc(b, s[i]);
	}
	return rc;
}
