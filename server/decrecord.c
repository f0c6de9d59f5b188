/*
 * decrecord.c - the fast reading of one decision record line.
 *
 * Building a jansson tree of every line (and freeing it) was a third of
 * the server's CPU time a record, and an engine value tree (sorted
 * objects in an arena) still a sixth.  Most lines are plain: UTF-8 text
 * with no control characters, no \u escapes and only small integers.
 * Such a line is checked here by a scanner that builds nothing: it
 * follows the JSON grammar, finds duplicate names in every object (as
 * jansson's JSON_REJECT_DUPLICATES does), and reads only the top-level
 * fields the server needs.  Anything else (a \u escape, a fraction or
 * an exponent, a number of 19 digits or more, an escape in a field the
 * server reads or in a name, a waived entry, a dropped line, a record
 * that fails a check) goes back to the jansson path (decisions.c), which
 * gives the same answer and message as always.  So the fast path only
 * ever accepts lines jansson accepts with the same checks, never more.
 */

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decisions_impl.h"
#include "lockstep/buf.h"
#include "lockstep/error.h"
#include "lockstep/note.h"
#include "rego/arena.h"
#include "swar.h"

int
dec_reader_init(struct dec_reader *r)
{
	memset(r, 0, sizeof(*r));
	if ((r->keep = ls_arena_new(0)) == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	return 0;
}

void
dec_reader_cleanup(struct dec_reader *r)
{
	free(r->keys);
	ls_arena_free(r->keep);
	memset(r, 0, sizeof(*r));
}

/* ---- the scanner ------------------------------------------------------ */

/* A line being read: p[i] is the next byte. */
struct scan {
	const char *p;
	size_t len, i;
	struct dec_reader *r;
};

/* The top-level members the server reads: each value's text, p NULL
 * when the member is absent. */
struct top {
	struct dec_key id, seq, type, agent, time, outcome, channel, waived,
	    controls;
};

/* Not for the fast path (the jansson path decides and explains). */
#define SLOW 1

static void
blanks(struct scan *s)
{
	while (s->i < s->len && s->p[s->i] == ' ')
		s->i++;
}

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * What the fast path reads (the rest goes to the jansson path): strings
 * of valid UTF-8 without control characters and without \u escapes,
 * numbers that are integers of at most 18 digits (so that each fits in
 * int64, as jansson wants integers), and only spaces between tokens.
 */

/* A string at p[i] == '"': *txt its bytes between the quotes, *esc set
 * when it holds an escape.  Plain ASCII eight bytes at a time. */
static int
string(struct scan *s, struct dec_key *txt, int *esc)
{
	const char *p = s->p;
	size_t i = s->i + 1, j, k, n = s->len;
	unsigned char c;
	uint64_t w;

	*esc = 0;
	for (;;) {
		while (i + 8 <= n) {
			w = ls_swar_load(p + i);
			k = ls_swar_first(ls_swar_eq(w, '"') |
			    ls_swar_eq(w, '\\') | ls_swar_below(w, 0x20) |
			    ls_swar_high(w));
			i += k;
			if (k < 8)
				break;
		}
		if (i >= n)
			return SLOW;
		c = (unsigned char)p[i];
		if (c == '"')
			break;
		if (c == '\\') {
			if (i + 1 >= n || p[i + 1] == '\0' ||
			    strchr("\"\\/bfnrt", p[i + 1]) == NULL)
				return SLOW;
			*esc = 1;
			i += 2;
		} else if (c >= 0x80) { /* a run of them: one UTF-8 check */
			for (j = i; j < n && (unsigned char)p[j] >= 0x80;)
				j++;
			if (!ls_utf8_valid(p + i, j - i))
				return SLOW;
			i = j;
		} else if (c < 0x20) {
			return SLOW;
		} else {
			i++;
		}
	}
	txt->p = p + s->i + 1;
	txt->n = i - s->i - 1;
	s->i = i + 1;
	return 0;
}

/* -?(0|[1-9][0-9]*), at most 18 digits. */
static int
number(struct scan *s)
{
	size_t i = s->i, from;

	if (s->p[i] == '-')
		i++;
	from = i;
	if (i >= s->len || !is_digit(s->p[i]))
		return SLOW;
	if (s->p[i] == '0')
		i++;
	else
		while (i < s->len && is_digit(s->p[i]))
			i++;
	if (i - from > 18 ||
	    (i < s->len &&
		(is_digit(s->p[i]) || s->p[i] == '.' || s->p[i] == 'e' ||
		    s->p[i] == 'E')))
		return SLOW;
	s->i = i;
	return 0;
}

static int
literal(struct scan *s, const char *w)
{
	size_t n = strlen(w);

	if (s->len - s->i < n || memcmp(s->p + s->i, w, n) != 0)
		return SLOW;
	s->i += n;
	return 0;
}

static int
cmp_key(const void *a, const void *b)
{
	const struct dec_key *x = a, *y = b;

	if (x->n != y->n)
		return x->n < y->n ? -1 : 1;
	return memcmp(x->p, y->p, x->n);
}

static int
same_key(const struct dec_key *x, const struct dec_key *y)
{
	return x->n == y->n &&
	    (x->n == 0 ||
		(x->p[0] == y->p[0] && memcmp(x->p, y->p, x->n) == 0));
}

/* SLOW when two of keys[from..] are equal: each pair up to 32 of them (a
 * record has about 17), sorted beyond. */
static int
duplicates(struct dec_reader *r, size_t from)
{
	struct dec_key *k = r->keys + from;
	size_t n = r->nkeys - from, i, j;

	if (n <= 32) {
		for (i = 0; i < n; i++)
			for (j = i + 1; j < n; j++)
				if (same_key(&k[i], &k[j]))
					return SLOW;
		return 0;
	}
	qsort(k, n, sizeof(*k), cmp_key);
	for (i = 1; i < n; i++)
		if (same_key(&k[i - 1], &k[i]))
			return SLOW;
	return 0;
}

static int
push_key(struct dec_reader *r, const struct dec_key *k)
{
	struct dec_key *v;
	size_t cap;

	if (r->nkeys == r->capkeys) {
		cap = r->capkeys ? 2 * r->capkeys : 64;
		if ((v = realloc(r->keys, cap * sizeof(*v))) == NULL)
			return ls_error_set(LS_ENOMEM, "out of memory");
		r->keys = v;
		r->capkeys = cap;
	}
	r->keys[r->nkeys++] = *k;
	return 0;
}

static int value(struct scan *s, unsigned depth);

/* The member of top named k, or NULL. */
static struct dec_key *
top_member(struct top *t, const struct dec_key *k)
{
	static const struct {
		const char *name;
		size_t off;
	} names[] = {
		{ "id", offsetof(struct top, id) },
		{ "seq", offsetof(struct top, seq) },
		{ "type", offsetof(struct top, type) },
		{ "agent", offsetof(struct top, agent) },
		{ "time", offsetof(struct top, time) },
		{ "outcome", offsetof(struct top, outcome) },
		{ "channel", offsetof(struct top, channel) },
		{ "waived", offsetof(struct top, waived) },
		{ "controls", offsetof(struct top, controls) },
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i].name) == k->n &&
		    memcmp(names[i].name, k->p, k->n) == 0)
			return (
			    struct dec_key *)(void *)((char *)t + names[i].off);
	return NULL;
}

/* An object at p[i] == '{', depth deep (the line's own is 1); top, for
 * the line's own, gets the text of the members the server reads. */
static int
object(struct scan *s, unsigned depth, struct top *top)
{
	size_t from = s->r->nkeys, at;
	struct dec_key k, *m;
	int rc, esc;

	if (depth > LS_DECISIONS_DEPTH_MAX)
		return SLOW;
	s->i++;
	blanks(s);
	if (s->i < s->len && s->p[s->i] == '}') {
		s->i++;
		return 0;
	}
	for (;;) {
		if (s->i >= s->len || s->p[s->i] != '"')
			return SLOW;
		/* a name with an escape may equal another spelled plainly */
		if (string(s, &k, &esc) != 0 || esc)
			return SLOW;
		if ((rc = push_key(s->r, &k)) != 0)
			return rc;
		blanks(s);
		if (s->i >= s->len || s->p[s->i] != ':')
			return SLOW;
		s->i++;
		blanks(s);
		at = s->i;
		if ((rc = value(s, depth)) != 0)
			return rc;
		if (top != NULL && (m = top_member(top, &k)) != NULL) {
			m->p = s->p + at;
			m->n = s->i - at;
		}
		blanks(s);
		if (s->i < s->len && s->p[s->i] == ',') {
			s->i++;
			blanks(s);
			continue;
		}
		if (s->i < s->len && s->p[s->i] == '}')
			break;
		return SLOW;
	}
	s->i++;
	rc = duplicates(s->r, from);
	s->r->nkeys = from;
	return rc;
}

static int
array(struct scan *s, unsigned depth)
{
	int rc;

	if (depth > LS_DECISIONS_DEPTH_MAX)
		return SLOW;
	s->i++;
	blanks(s);
	if (s->i < s->len && s->p[s->i] == ']') {
		s->i++;
		return 0;
	}
	for (;;) {
		if ((rc = value(s, depth)) != 0)
			return rc;
		blanks(s);
		if (s->i < s->len && s->p[s->i] == ',') {
			s->i++;
			blanks(s);
			continue;
		}
		if (s->i < s->len && s->p[s->i] == ']')
			break;
		return SLOW;
	}
	s->i++;
	return 0;
}

/* A value inside a container depth deep. */
static int
value(struct scan *s, unsigned depth)
{
	struct dec_key txt;
	int esc;

	if (s->i >= s->len)
		return SLOW;
	switch (s->p[s->i]) {
	case '{': return object(s, depth + 1, NULL);
	case '[': return array(s, depth + 1);
	case '"': return string(s, &txt, &esc);
	case 't': return literal(s, "true");
	case 'f': return literal(s, "false");
	case 'n': return literal(s, "null");
	default: return number(s);
	}
}

/* ---- the fields --------------------------------------------------------- */

/* A member's text as a string without escapes: its bytes in *out.  0, or
 * SLOW when it is not a string or holds an escape (the jansson path
 * unescapes). */
static int
plain_string(const struct dec_key *v, struct dec_key *out)
{
	if (v->p == NULL || v->n < 2 || v->p[0] != '"' ||
	    memchr(v->p, '\\', v->n) != NULL)
		return SLOW;
	out->p = v->p + 1;
	out->n = v->n - 2;
	return 0;
}

static int
text_is(const struct dec_key *v, const char *w)
{
	return v->p != NULL && v->n == strlen(w) && memcmp(v->p, w, v->n) == 0;
}

/* A member that is absent, null or [] (blanks inside allowed). */
static int
none_or_empty(const struct dec_key *v)
{
	size_t i;

	if (v->p == NULL || text_is(v, "null"))
		return 1;
	if (v->p[0] != '[')
		return 0;
	for (i = 1; i + 1 < v->n; i++)
		if (v->p[i] != ' ' && v->p[i] != '\t' && v->p[i] != '\n' &&
		    v->p[i] != '\r')
			return 0;
	return 1;
}

/* The seq: a positive integer (no sign, no leading zero; under 19
 * digits, the fast path's rule). */
static int
seq_of(const struct dec_key *v, uint64_t *out)
{
	uint64_t n = 0;
	size_t i;

	if (v->p == NULL || v->n == 0 || v->n > 18 || v->p[0] == '0')
		return SLOW;
	for (i = 0; i < v->n; i++) {
		if (!is_digit(v->p[i]))
			return SLOW;
		n = n * 10 + (uint64_t)(v->p[i] - '0');
	}
	*out = n;
	return 0;
}

/* The controls: the non-empty strings of an array, in order, as
 * ent_fields takes them; other elements are skipped.  A string with an
 * escape is SLOW. */
static int
keep_controls(struct dec_reader *r, struct dec_line *out,
    const struct dec_key *ctl)
{
	struct scan s = { ctl->p, ctl->n, 1, r };
	struct dec_key txt;
	const char **v;
	size_t n = 0, max = ctl->n / 2;
	int esc, rc;

	if (ctl->p == NULL || ctl->p[0] != '[' || none_or_empty(ctl))
		return 0;
	/* elements are separated by commas: at most n / 2 of them */
	if ((v = ls_arena_alloc(r->keep, max * sizeof(*v))) == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	for (;;) {
		blanks(&s);
		if (s.p[s.i] == '"') {
			if (string(&s, &txt, &esc) != 0 || esc)
				return SLOW;
			if (txt.n > 0 && n < max &&
			    (v[n++] = ls_arena_strndup(r->keep, txt.p,
				 txt.n)) == NULL)
				return ls_error_set(LS_ENOMEM, "out of memory");
		} else if ((rc = value(&s, 1)) != 0) {
			return rc; /* cannot be: the line was read */
		}
		blanks(&s);
		if (s.i >= s.len || s.p[s.i] != ',')
			break;
		s.i++;
	}
	out->dec.controls = v;
	out->dec.ncontrols = n;
	return 0;
}

/* id is agent "-" seq (what record_check builds with snprintf). */
static int
id_is(const struct dec_key *id, const char *agent, uint64_t seq)
{
	size_t alen = strlen(agent), k;
	char dig[LS_U64_DEC_MAX];

	k = ls_u64_dec(dig, seq);
	return id->n == alen + 1 + k && memcmp(id->p, agent, alen) == 0 &&
	    id->p[alen] == '-' && memcmp(id->p + alen + 1, dig, k) == 0;
}

static const char *
keep(struct dec_reader *r, const struct dec_key *k)
{
	return ls_arena_strndup(r->keep, k->p, k->n);
}

/* The checks of record_check (decisions.c) on the line's members; SLOW
 * for anything that path must decide. */
static int
fields(struct dec_reader *r, struct dec_line *out, const struct top *t,
    const char *agent)
{
	struct dec_key id, a, tm, oc = { NULL, 0 }, ch = { NULL, 0 };

	if (seq_of(&t->seq, &out->seq) != 0 ||
	    (t->type.p != NULL && !text_is(&t->type, "\"decision\"")) ||
	    !none_or_empty(&t->waived) ||
	    (t->channel.p != NULL && !text_is(&t->channel, "null") &&
		plain_string(&t->channel, &ch) != 0) ||
	    plain_string(&t->id, &id) != 0 ||
	    plain_string(&t->agent, &a) != 0 ||
	    plain_string(&t->time, &tm) != 0 ||
	    (t->outcome.p != NULL && t->outcome.p[0] == '"' &&
		plain_string(&t->outcome, &oc) != 0))
		return SLOW;
	if (a.n != strlen(agent) || memcmp(a.p, agent, a.n) != 0 ||
	    !id_is(&id, agent, out->seq) || !dec_rfc3339_ok(tm.p, tm.n))
		return SLOW;
	if ((out->dec.time = keep(r, &tm)) == NULL ||
	    (oc.p != NULL && (out->dec.outcome = keep(r, &oc)) == NULL) ||
	    (ch.p != NULL && (out->channel = keep(r, &ch)) == NULL))
		return ls_error_set(LS_ENOMEM, "out of memory");
	return keep_controls(r, out, &t->controls);
}

int
dec_line_fast(struct dec_line *out, struct dec_reader *r, const char *agent,
    const char *p, size_t len)
{
	struct scan s = { p, len, 0, r };
	struct top t;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&t, 0, sizeof(t));
	r->nkeys = 0;
	blanks(&s);
	if (s.i >= s.len || s.p[s.i] != '{')
		return SLOW;
	rc = object(&s, 1, &t);
	blanks(&s);
	if (rc == 0 && s.i != s.len)
		rc = SLOW;
	if (rc == 0)
		rc = fields(r, out, &t, agent);
	if (rc == SLOW) {
		ls_error_clear(); /* the jansson path says what is wrong */
		memset(out, 0, sizeof(*out));
	}
	return rc;
}
