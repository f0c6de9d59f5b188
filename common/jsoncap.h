/*
 * jsoncap.h - internal to common/: the nesting depth of JSON text, counted
 * before jansson parses it (jansson's own limit is 2048 levels, far more
 * than any Lockstep document needs).
 */
#ifndef LOCKSTEP_JSONCAP_H
#define LOCKSTEP_JSONCAP_H

#include <stddef.h>

/* Deepest nesting of objects and arrays in s[0..len); brackets inside
 * strings do not count.  Malformed text is left to the parser. */
size_t jsoncap_depth(const char *s, size_t len);

#endif
