/* dectext.c - a decision record's line (dectext.h). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dectext.h"
#include "lockstep/buf.h"
#include "lockstep/error.h"
#include "lockstep/hash.h"

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

/* 1 when the quote at s[q] is escaped: an odd run of backslashes before
 * it, counted back to from (the string's first byte). */
static int
escaped(const char *s, size_t from, size_t q)
{
	size_t k = 0;

	while (q > from + k && s[q - 1 - k] == '\\')
		k++;
	return k % 2 == 1;
}

/* The index after the closing quote of the string opened at s[i]. */
static size_t
string_end(const char *s, size_t i, size_t n)
{
	const char *q;
	size_t from = i + 1;

	for (i = from; i < n; i = (size_t)(q - s) + 1) {
		if ((q = memchr(s + i, '"', n - i)) == NULL)
			return n;
		if (!escaped(s, from, (size_t)(q - s)))
			return (size_t)(q - s) + 1;
	}
	return n;
}

int
ls_dectext_compact(struct ls_buf *b, const char *s, size_t n)
{
	size_t at = b->len, i = 0, k = 0, e;
	char *o;
	int rc;

	/* copied once, then compacted in place: strings move whole */
	if ((rc = ls_buf_add(b, s, n)) != 0)
		return rc;
	o = b->data + at;
	while (i < n) {
		char c = o[i];

		if (c == '"') {
			e = string_end(o, i, n);
			memmove(o + k, o + i, e - i);
			k += e - i;
			i = e;
		} else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			i++;
		} else {
			o[k++] = o[i++];
		}
	}
	b->len = at + k;
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

static int
field(struct ls_buf *b, const char *name, const char *value)
{
	int rc = ls_buf_addf(b, ",\"%s\":", name);

	return rc ? rc : ls_dectext_string(b, value);
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
	rc = ls_buf_addf(&b, "{\"door\":\"%s\"", ls_door_names[d->door]);
	rc = rc ? rc : field(&b, "channel", a ? a->channel : "");
	rc = rc ? rc
		: ls_buf_addf(&b, ",\"release\":%llu",
		      (unsigned long long)(a ? a->seq : 0));
	rc = rc ? rc : field(&b, "bundle", a ? a->sha256 : "");
	rc = rc ? rc : field(&b, "version", a ? a->version : "");
	rc = rc ? rc : field(&b, "path", d->path);
	rc = rc ? rc : ls_buf_addf(&b, ",\"input_sha256\":\"%s\"", sha);
	rc = rc ? rc
		: ls_buf_addf(&b, ",\"outcome\":\"%s\"", ls_outcome_names[oc]);
	rc = rc ? rc : ls_buf_add(&b, members, mlen);
	rc = rc ? rc : ls_buf_addf(&b, ",\"latency_us\":%lld", d->latency_us);
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
