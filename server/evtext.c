/*
 * evtext.c - an entry's stored text, {"time","kind","channel","agent",
 * "details"}, made by copying: the head's strings escaped as jansson's
 * compact dump escapes them, then the details' JSON text as given (a
 * decision record's line as the agent sent and signed it), so a record
 * is parsed once and never serialised again.
 */
#include <stdlib.h>
#include <string.h>

#include "evidence_impl.h"
#include "lockstep/error.h"

/* A JSON string at p, escaped as json_dumps(JSON_COMPACT) does (UTF-8
 * kept; '"', '\\' and control characters escaped), or null.  At most
 * 6 * strlen(s) + 2 bytes. */
static char *
put_str(char *p, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	if (s == NULL) {
		memcpy(p, "null", 4);
		return p + 4;
	}
	*p++ = '"';
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c >= 0x20 && c != '"' && c != '\\') {
			*p++ = (char)c;
			continue;
		}
		*p++ = '\\';
		switch (c) {
		case '"':
		case '\\': *p++ = (char)c; break;
		case '\b': *p++ = 'b'; break;
		case '\f': *p++ = 'f'; break;
		case '\n': *p++ = 'n'; break;
		case '\r': *p++ = 'r'; break;
		case '\t': *p++ = 't'; break;
		default:
			memcpy(p, "u00", 3);
			p[3] = hex[c >> 4];
			p[4] = hex[c & 15];
			p += 5;
		}
	}
	*p++ = '"';
	return p;
}

static char *
put(char *p, const char *s, size_t n)
{
	memcpy(p, s, n);
	return p + n;
}

static size_t
room(const char *s)
{
	return s ? 6 * strlen(s) + 2 : 4;
}

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int
ev_entry_text(char **out, size_t *len_out, const char *when,
    const char *kind, const char *channel, const char *agent,
    const char *details, size_t dlen)
{
	char *buf, *p;
	size_t cap;

	*out = NULL;
	while (dlen > 0 && is_space(details[0])) {
		details++;
		dlen--;
	}
	while (dlen > 0 && is_space(details[dlen - 1]))
		dlen--;
	if (dlen > LS_EVIDENCE_LINE_MAX)
		return ls_error_set(LS_ETOOBIG,
		    "evidence: entry of %zu bytes (limit %d)", dlen,
		    LS_EVIDENCE_LINE_MAX);
	cap = 48 + room(when) + room(kind) + room(channel) + room(agent) + dlen;
	if ((buf = malloc(cap)) == NULL)
		return ls_error_set(LS_ENOMEM, "evidence: out of memory");
	p = put(buf, "{\"time\":", 8);
	p = put_str(p, when);
	p = put(p, ",\"kind\":", 8);
	p = put_str(p, kind);
	p = put(p, ",\"channel\":", 11);
	p = put_str(p, channel);
	p = put(p, ",\"agent\":", 9);
	p = put_str(p, agent);
	p = put(p, ",\"details\":", 11);
	p = put(p, details, dlen);
	*p++ = '}';
	*p = '\0';
	*len_out = (size_t)(p - buf);
	*out = buf;
	return 0;
}
