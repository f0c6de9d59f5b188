/*
 * dectext.h - a decision record's line, written directly: the fixed
 * fields of every record and the input spliced in as its compact bytes,
 * jansson only for the parts that are trees (violations, waived,
 * controls, a parsed or masked input).  Builds one line per decision, so
 * it avoids packing, then printing, what is known as text already.
 */
#ifndef LOCKSTEP_AGENT_DECTEXT_H
#define LOCKSTEP_AGENT_DECTEXT_H

#include <stddef.h>

#include <jansson.h>

#include "decrec.h"
#include "lockstep/buf.h"

/* Bytes of one record line built here; the log refuses longer ones. */
#define LS_DECTEXT_MAX (64u << 20)

/*
 * *out (caller frees, *len bytes, NUL-terminated): {door, channel,
 * release, bundle, version, path, input_sha256, outcome, then members
 * (mlen bytes of ",\"name\":value..." text), latency_us, error when set,
 * then "input" as d->input's compact bytes when splice}.  LS_ENOMEM,
 * LS_ETOOBIG.
 */
int ls_dectext_line(char **out, size_t *len, const struct ls_decision *d,
    enum ls_outcome oc, const char *members, size_t mlen, int splice);

/* Append the members of obj in order, each after a comma. */
int ls_dectext_members(struct ls_buf *b, const json_t *obj);

/* Append s as a JSON string; invalid UTF-8 becomes U+FFFD. */
int ls_dectext_string(struct ls_buf *b, const char *s);

/* Append the JSON text s (n bytes, known to parse) without the
 * whitespace between tokens. */
int ls_dectext_compact(struct ls_buf *b, const char *s, size_t n);

#endif
