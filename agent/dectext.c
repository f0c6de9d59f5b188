/* dectext.c - a decision record's line (dectext.h). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dectext.h"
#include "lockstep/buf.h"
#include "lockstep/error.h"
#include "lockstep/hash.h"
#include "swar.h"

/* Length of the valid UTF-8 sequence at s (1..4), 0 when invalid. */
static size_t
utf8_len(const unsigned char *s)
{
	size_t n, i;
	uint32_t c;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xC2 && s[0] <= 0xDF)
		n = 2, c = s[0] & 0x1F;
	else if (s[0] >= 0xE0 && s[0] <= 0xEF)
		n = 3, c = s[0] & 0x0F;
	else if (s[0] >= 0xF0 && s[0] <= 0xF4)
		n = 4, c = s[0] & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3F);
	}
	if ((n == 3 && (c < 0x800 || (c >= 0xD800 && c <= 0xDFFF))) ||
	    (n == 4 && (c < 0x10000 || c > 0x10FFFF)))
		return 0;
	return n;
}

int
ls_dectext_string(struct ls_buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s, *run = p;
	char esc[8];
	int rc = ls_buf_addc(b, '"');
	size_t n;

	while (rc == 0 && *p != '\0') {
		if (*p >= 0x20 && *p != '"' && *p != '\\' && *p < 0x80) {
			p++;
			continue;
		}
		if (*p >= 0x80 && (n = utf8_len(p)) > 0) {
			p += n;
			continue;
		}
		rc = ls_buf_add(b, run, (size_t)(p - run));
		if (*p == '"' || *p == '\\')
			snprintf(esc, sizeof(esc), "\\%c", *p);
		else if (*p < 0x20)
			snprintf(esc, sizeof(esc), "\\u%04x", *p);
		else
			snprintf(esc, sizeof(esc), "\\ufffd");
		if (rc == 0)
			rc = ls_buf_adds(b, esc);
		run = ++p;
	}
	if (rc == 0)
		rc = ls_buf_add(b, run, (size_t)(p - run));
	return rc ? rc : ls_buf_addc(b, '"');
}

/* Byte classes of ls_dectext_compact: 1 blank, 2 quote. */
static const unsigned char compact_class
    [256] = { [' '] = 1, ['\t'] = 1, ['\n'] = 1, ['\r'] = 1, ['"'] = 2 };

/* A string's bytes after its opening quote, up to and including the
 * closing one, from in[*i] to o[*k]; escapes copied as they are.  Eight
 * bytes at a time up to the next quote or backslash: most of a record's
 * input is strings.  The output is never ahead of the input, so an
 * eight-byte store at o + *k stays within the n bytes reserved. */
static void
copy_string(char *o, size_t *k, const unsigned char *in, size_t *i, size_t n)
{
	uint64_t w, m;
	unsigned char c;
	size_t p;

	for (;;) {
		while (*i + 8 <= n) {
			w = ls_swar_load(in + *i);
			m = ls_swar_eq(w, '"') | ls_swar_eq(w, '\\');
			p = ls_swar_first(m);
			memcpy(o + *k, in + *i, 8);
			*i += p;
			*k += p;
			if (p < 8)
				break;
		}
		if (*i >= n)
			return;
		c = in[(*i)++];
		o[(*k)++] = (char)c;
		if (c == '"')
			return;
		if (c == '\\' && *i < n)
			o[(*k)++] = (char)in[(*i)++];
	}
}

int
ls_dectext_compact(struct ls_buf *b, const char *s, size_t n)
{
	const unsigned char *in = (const unsigned char *)s;
	size_t i = 0, k = 0;
	unsigned char c;
	char *o;
	int rc;

	/* one pass into room for all of it: the output is never longer */
	if ((rc = ls_buf_reserve(b, n)) != 0)
		return rc;
	o = b->data + b->len;
	while (i < n) {
		c = in[i++];
		if (compact_class[c] == 0) {
			o[k++] = (char)c;
		} else if (compact_class[c] == 2) {
			o[k++] = (char)c;
			copy_string(o, &k, in, &i, n);
		} else if (c == '\n') {
			/* the indentation after it, eight spaces at once */
			while (i + 8 <= n &&
			    ls_swar_load(in + i) == 0x20 * LS_SWAR_1)
				i += 8;
		}
	}
	b->len += k;
	b->data[b->len] = '\0';
	return 0;
}

/* v as compact JSON, objects in insertion order (as jansson's
 * JSON_PRESERVE_ORDER); reals through jansson, for its number format. */
static int
put(struct ls_buf *b, const json_t *v)
{
	const char *k;
	json_t *x;
	size_t i;
	char *t;
	int rc = 0;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		rc = ls_buf_addc(b, '{');
		i = 0;
		json_object_foreach((json_t *)(uintptr_t)v, k, x)
		{
			if (rc == 0 && i++ > 0)
				rc = ls_buf_addc(b, ',');
			rc = rc ? rc : ls_dectext_string(b, k);
			rc = rc ? rc : ls_buf_addc(b, ':');
			rc = rc ? rc : put(b, x);
		}
		return rc ? rc : ls_buf_addc(b, '}');
	case JSON_ARRAY:
		rc = ls_buf_addc(b, '[');
		json_array_foreach(v, i, x)
		{
			if (rc == 0 && i > 0)
				rc = ls_buf_addc(b, ',');
			rc = rc ? rc : put(b, x);
		}
		return rc ? rc : ls_buf_addc(b, ']');
	case JSON_STRING: return ls_dectext_string(b, json_string_value(v));
	case JSON_INTEGER:
		return ls_buf_addf(b, "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
	case JSON_TRUE: return ls_buf_adds(b, "true");
	case JSON_FALSE: return ls_buf_adds(b, "false");
	case JSON_NULL: return ls_buf_adds(b, "null");
	case JSON_REAL: break;
	}
	if ((t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY)) == NULL)
		return LS_ENOMEM;
	rc = ls_buf_adds(b, t);
	free(t);
	return rc;
}

int
ls_dectext_members(struct ls_buf *b, const json_t *obj)
{
	const char *k;
	json_t *x;
	int rc = 0;

	json_object_foreach((json_t *)(uintptr_t)obj, k, x)
	{
		rc = rc ? rc : ls_buf_addc(b, ',');
		rc = rc ? rc : ls_dectext_string(b, k);
		rc = rc ? rc : ls_buf_addc(b, ':');
		rc = rc ? rc : put(b, x);
	}
	return rc;
}

/* ,"name": (name is a literal of ours) */
static int
key(struct ls_buf *b, const char *name)
{
	int rc = ls_buf_add(b, ",\"", 2);

	rc = rc ? rc : ls_buf_adds(b, name);
	return rc ? rc : ls_buf_add(b, "\":", 2);
}

static int
field(struct ls_buf *b, const char *name, const char *value)
{
	int rc = key(b, name);

	return rc ? rc : ls_dectext_string(b, value);
}

/* ,"name":N */
static int
number(struct ls_buf *b, const char *name, long long v)
{
	char t[LS_U64_DEC_MAX + 1];
	uint64_t u = v < 0 ? 0ull - (uint64_t)v : (uint64_t)v;
	int rc = key(b, name);

	t[0] = '-';
	if (rc == 0)
		rc = ls_buf_add(b, v < 0 ? t : t + 1,
		    ls_u64_dec(t + 1, u) + (v < 0));
	return rc;
}

int
ls_dectext_line(char **out, size_t *len, const struct ls_decision *d,
    enum ls_outcome oc, const char *members, size_t mlen, int splice)
{
	const struct ls_engine_active *a = d->act;
	char sha[LS_SHA256_HEX_LEN + 1];
	struct ls_buf b;
	int rc;

	*out = NULL;
	ls_buf_init(&b, LS_DECTEXT_MAX);
	if (d->input_sha256 != NULL) /* the door hashed the input itself */
		snprintf(sha, sizeof(sha), "%s", d->input_sha256);
	else
		ls_declog_sha256_hex(sha, d->input ? d->input : "",
		    d->input ? d->input_len : 0);
	/* room for it all at once: the members, the input, the rest */
	rc = ls_buf_reserve(&b,
	    mlen + (splice ? d->input_len : 0) + strlen(d->path) + 640);
	rc = rc ? rc : ls_buf_adds(&b, "{\"door\":\"");
	rc = rc ? rc : ls_buf_adds(&b, ls_door_names[d->door]);
	rc = rc ? rc : ls_buf_addc(&b, '"');
	rc = rc ? rc : field(&b, "channel", a ? a->channel : "");
	rc = rc ? rc : number(&b, "release", (long long)(a ? a->seq : 0));
	rc = rc ? rc : field(&b, "bundle", a ? a->sha256 : "");
	rc = rc ? rc : field(&b, "version", a ? a->version : "");
	rc = rc ? rc : field(&b, "path", d->path);
	rc = rc ? rc : field(&b, "input_sha256", sha);
	rc = rc ? rc : field(&b, "outcome", ls_outcome_names[oc]);
	rc = rc ? rc : ls_buf_add(&b, members, mlen);
	rc = rc ? rc : number(&b, "latency_us", d->latency_us);
	if (rc == 0 && d->error != NULL)
		rc = field(&b, "error", d->error);
	if (rc == 0 && splice) {
		rc = ls_buf_adds(&b, ",\"input\":");
		rc = rc ? rc : ls_dectext_compact(&b, d->input, d->input_len);
	}
	rc = rc ? rc : ls_buf_addc(&b, '}');
	if (rc == 0 && (*out = ls_buf_take(&b, len)) == NULL)
		rc = LS_ENOMEM;
	ls_buf_cleanup(&b);
	if (rc == LS_ENOMEM)
		return ls_error_set(rc, "decisions: out of memory");
	return rc ? ls_error_set(rc, "decisions: record over %u bytes",
			LS_DECTEXT_MAX)
		  : 0;
}
