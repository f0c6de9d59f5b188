/*
 * decrecord.c - the fast reading of one decision record line.
 *
 * Building a jansson tree of every line (and freeing it) was a third of
 * the server's CPU time a record.  Most lines are plain: UTF-8 text with
 * no control characters, no \u escapes and only small integers.  Such a
 * line is parsed with the Rego engine's JSON parser into an arena that is
 * reset after each line, and the few fields the server needs are copied
 * out.  Anything else (a \u escape, a fraction or an exponent, a number
 * of 19 digits or more, a duplicate key, a waived entry, a dropped
 * line, a record that fails a check) goes back to the jansson path (decisions.c), which gives
 * the same answer and message as always.  So the fast path only ever
 * accepts lines jansson accepts with the same checks, never more.
 */

#include <stdio.h>
#include <string.h>

#include "decisions_impl.h"
#include "lockstep/buf.h"
#include "lockstep/error.h"
#include "lockstep/note.h"
#include "rego/value.h"

#define SCRATCH_MAX (64u << 20) /* one line's tree */

int
dec_reader_init(struct dec_reader *r)
{
	memset(r, 0, sizeof(*r));
	r->scratch = ls_arena_new(SCRATCH_MAX);
	r->keep = ls_arena_new(0);
	if (r->scratch == NULL || r->keep == NULL ||
	    ls_arena_alloc(r->scratch, 1) == NULL) {
		dec_reader_cleanup(r);
		return ls_error_set(LS_ENOMEM, "out of memory");
	}
	/* Reset to here after each line: the first chunk stays. */
	ls_arena_mark(r->scratch, &r->mark);
	return 0;
}

void
dec_reader_cleanup(struct dec_reader *r)
{
	ls_arena_free(r->scratch);
	ls_arena_free(r->keep);
	memset(r, 0, sizeof(*r));
}

/*
 * The fast path's precondition: valid UTF-8 without control characters
 * (ls_utf8_valid), no "\u" escape in a string, and outside strings no
 * '.', no exponent and no run of more than 18 digits (so every number is
 * an integer that fits in int64, as jansson wants integers).  *colons
 * gets the ':' outside strings: the members of the line's objects.
 */
static int
line_plain(const char *p, size_t len, size_t *colons)
{
	size_t i, j, digits = 0;
	int in_str = 0;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c < 0x20)
			return 0;
		if (c >= 0x80) { /* a run of them: one UTF-8 check */
			for (j = i; j < len && (unsigned char)p[j] >= 0x80;)
				j++;
			if (!ls_utf8_valid(p + i, j - i))
				return 0;
			i = j - 1;
			continue;
		}
		if (in_str) {
			if (c == '\\' && (++i >= len || p[i] == 'u'))
				return 0;
			else if (c == '"')
				in_str = 0;
			continue;
		}
		if (c >= '0' && c <= '9') {
			if (++digits > 18)
				return 0;
			continue;
		}
		if (c == '.' || ((c == 'e' || c == 'E') && digits > 0))
			return 0;
		digits = 0;
		in_str = c == '"';
		*colons += c == ':';
	}
	return 1;
}

/* Members of every object in v.  The parser keeps one of two equal
 * members ("a":1,"a":1) where jansson refuses the duplicate: a count
 * below the line's colons shows one. */
static size_t
members(const struct ls_val *v)
{
	size_t i, n = 0;

	if (v->type == LS_VAL_ARRAY)
		for (i = 0; i < v->u.arr.n; i++)
			n += members(v->u.arr.v[i]);
	if (v->type == LS_VAL_OBJECT)
		for (i = 0, n = v->u.obj.n; i < v->u.obj.n; i++)
			n += members(v->u.obj.v[i]);
	return n;
}

static const struct ls_val *
get(const struct ls_val *o, const char *k)
{
	return ls_val_object_gets(o, k, strlen(k));
}

/* A string member's value, or NULL when absent or not a string. */
static const char *
str(const struct ls_val *o, const char *k, size_t *len)
{
	const struct ls_val *v = get(o, k);

	if (v == NULL || v->type != LS_VAL_STRING)
		return NULL;
	if (len != NULL)
		*len = v->u.str.len;
	return v->u.str.p;
}

static const char *
keep(struct dec_reader *r, const char *s, size_t len)
{
	return s == NULL ? NULL : ls_arena_strndup(r->keep, s, len);
}

/* The controls: non-empty strings, in order, as ent_fields took them. */
static int
keep_controls(struct dec_reader *r, struct dec_line *out,
    const struct ls_val *ctl)
{
	const char **v;
	size_t i, n = 0;

	if (ctl == NULL || ctl->type != LS_VAL_ARRAY || ctl->u.arr.n == 0)
		return 0;
	v = ls_arena_alloc(r->keep, ctl->u.arr.n * sizeof(*v));
	if (v == NULL)
		return -1;
	for (i = 0; i < ctl->u.arr.n; i++) {
		const struct ls_val *c = ctl->u.arr.v[i];

		if (c->type != LS_VAL_STRING || c->u.str.len == 0)
			continue;
		if ((v[n++] = keep(r, c->u.str.p, c->u.str.len)) == NULL)
			return -1;
	}
	out->dec.controls = v;
	out->dec.ncontrols = n;
	return 0;
}

/* id is agent "-" seq (what record_check builds with snprintf). */
static int
id_is(const char *id, size_t idlen, const char *agent, uint64_t seq)
{
	size_t alen = strlen(agent), k;
	char dig[LS_U64_DEC_MAX];

	k = ls_u64_dec(dig, seq);
	return idlen == alen + 1 + k && memcmp(id, agent, alen) == 0 &&
	    id[alen] == '-' && memcmp(id + alen + 1, dig, k) == 0;
}

/* The checks of record_check (decisions.c) on a parsed plain line; 1
 * for anything that path must decide. */
static int
fields(struct dec_reader *r, struct dec_line *out, const struct ls_val *o,
    const char *agent)
{
	const struct ls_val *seq = get(o, "seq"), *w = get(o, "waived");
	const struct ls_val *ch = get(o, "channel");
	const char *id, *a, *t, *type = str(o, "type", NULL), *oc;
	size_t idlen = 0, tlen = 0, oclen = 0;

	if (seq == NULL || seq->type != LS_VAL_NUMBER ||
	    seq->u.num.digits != NULL || seq->u.num.i < 1 ||
	    (get(o, "type") != NULL &&
		(type == NULL || strcmp(type, "decision") != 0)) ||
	    (w != NULL && w->type != LS_VAL_NULL &&
		(w->type != LS_VAL_ARRAY || w->u.arr.n != 0)) ||
	    (ch != NULL && ch->type != LS_VAL_STRING &&
		ch->type != LS_VAL_NULL))
		return 1;
	out->seq = (uint64_t)seq->u.num.i;
	id = str(o, "id", &idlen);
	a = str(o, "agent", NULL);
	t = str(o, "time", &tlen);
	if (a == NULL || strcmp(a, agent) != 0 || id == NULL ||
	    !id_is(id, idlen, agent, out->seq) || t == NULL ||
	    !dec_rfc3339_ok(t, tlen))
		return 1;
	oc = str(o, "outcome", &oclen);
	if ((out->dec.time = keep(r, t, tlen)) == NULL ||
	    (oc != NULL && (out->dec.outcome = keep(r, oc, oclen)) == NULL) ||
	    (ch != NULL && ch->type == LS_VAL_STRING &&
		(out->channel = keep(r, ch->u.str.p, ch->u.str.len)) == NULL) ||
	    keep_controls(r, out, get(o, "controls")) != 0)
		return ls_error_set(LS_ENOMEM, "out of memory");
	return 0;
}

int
dec_line_fast(struct dec_line *out, struct dec_reader *r, const char *agent,
    const char *p, size_t len)
{
	const struct ls_val *o = NULL;
	size_t colons = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!line_plain(p, len, &colons))
		return 1;
	rc = ls_val_from_json(&o, r->scratch, p, len, LS_DECISIONS_DEPTH_MAX);
	if (rc != 0 || o->type != LS_VAL_OBJECT || members(o) != colons)
		rc = 1;
	else
		rc = fields(r, out, o, agent);
	if (rc == 1) {
		ls_error_clear(); /* the jansson path says what is wrong */
		memset(out, 0, sizeof(*out));
	}
	ls_arena_reset(r->scratch, &r->mark);
	return rc;
}
