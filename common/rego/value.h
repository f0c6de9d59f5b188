/*
 * value.h - the Rego value model: null, booleans, numbers, strings,
 * arrays, objects with keys of any type, and sets.
 *
 * Values are immutable once built and live in an arena (arena.h): an
 * evaluation's values die with its arena in one step; a compiled
 * policy's values live in the policy's arena and are shared read-only
 * by every thread evaluating it.  Nothing here has global mutable state.
 * A value may point into another arena that outlives it (an evaluation's
 * values point into the policy freely), never the other way round.
 *
 * Objects and sets are kept canonical: entries sorted by ls_val_compare,
 * no duplicates, so equality and ordering are structural and lookups are
 * binary searches.  Strings are byte strings (UTF-8 by convention) with
 * a length, always also NUL-terminated.
 *
 * Ordering is OPA's total order: null < booleans < numbers < strings <
 * arrays < objects < sets; false < true; numbers numerically; strings
 * bytewise; arrays element-wise then by length; objects by sorted keys
 * then values then size; sets element-wise then by size.
 */
#ifndef LS_REGO_VALUE_H
#define LS_REGO_VALUE_H

#include <stddef.h>
#include <stdint.h>

#include "lockstep/buf.h"
#include "rego/arena.h"
#include "rego/number.h"

#define LS_JSON_MAX_DEPTH 512 /* default nesting cap for parsing */

enum ls_val_type {
	LS_VAL_NULL,
	LS_VAL_BOOL,
	LS_VAL_NUMBER,
	LS_VAL_STRING,
	LS_VAL_ARRAY,
	LS_VAL_OBJECT,
	LS_VAL_SET,
};

struct ls_val {
	enum ls_val_type type;
	union {
		int b;		   /* LS_VAL_BOOL: 0 or 1 */
		struct ls_num num; /* LS_VAL_NUMBER */
		struct {
			const char *p; /* NUL-terminated as well */
			size_t len;
		} str; /* LS_VAL_STRING */
		struct {
			const struct ls_val **v;
			size_t n;
		} arr; /* LS_VAL_ARRAY, in order */
		struct {
			const struct ls_val **k; /* sorted, unique */
			const struct ls_val **v; /* v[i] belongs to k[i] */
			size_t n;
		} obj; /* LS_VAL_OBJECT */
		struct {
			const struct ls_val **v; /* sorted, unique */
			size_t n;
		} set; /* LS_VAL_SET */
	} u;
};

/* Shared constants; never NULL, never to be freed. */
const struct ls_val *ls_val_null(void);
const struct ls_val *ls_val_bool(int b);
const struct ls_val *ls_val_empty_string(void);
const struct ls_val *ls_val_empty_array(void);
const struct ls_val *ls_val_empty_object(void);
const struct ls_val *ls_val_empty_set(void);

/*
 * Constructors.  All allocate in `a` and return NULL when it is
 * exhausted (ENOMEM or its cap); none of them keeps a pointer to the
 * caller's item arrays, only to the item values themselves.
 */
const struct ls_val *ls_val_int(struct ls_arena *a, int64_t v);
const struct ls_val *ls_val_number(struct ls_arena *a, const struct ls_num *n);
/* Number from double; NULL also for NaN and infinities. */
const struct ls_val *ls_val_double(struct ls_arena *a, double d);
/* Number from JSON number text; NULL on bad syntax too. */
const struct ls_val *
ls_val_number_text(struct ls_arena *a, const char *s, size_t len);
/* String copied into the arena. */
const struct ls_val *
ls_val_string(struct ls_arena *a, const char *p, size_t len);
const struct ls_val *ls_val_cstring(struct ls_arena *a, const char *s);
/* String pointing at p, which must be NUL-terminated at p[len] and
 * outlive the value (e.g. policy memory, or the same arena). */
const struct ls_val *
ls_val_string_ref(struct ls_arena *a, const char *p, size_t len);
const struct ls_val *
ls_val_array(struct ls_arena *a, const struct ls_val *const *items, size_t n);
/* Sorts and removes duplicates. */
const struct ls_val *
ls_val_set(struct ls_arena *a, const struct ls_val *const *items, size_t n);
/*
 * Sorts by key.  Duplicate keys with equal values collapse; duplicate
 * keys with different values give NULL and *conflict = 1 (conflict may be
 * NULL when the caller knows keys are unique).
 */
const struct ls_val *
ls_val_object(struct ls_arena *a, const struct ls_val *const *keys,
    const struct ls_val *const *vals, size_t n, int *conflict);

/* Like ls_val_object, but a duplicate key takes the value given last
 * (Rego object literals such as {"a": 1, "a": 2}). */
const struct ls_val *
ls_val_object_last(struct ls_arena *a, const struct ls_val *const *keys,
    const struct ls_val *const *vals, size_t n);

/* A growable list of values in an arena, to collect items before
 * building an array, set or object. */
struct ls_vlist {
	struct ls_arena *a;
	const struct ls_val **v;
	size_t n, cap;
};
void ls_vlist_init(struct ls_vlist *l, struct ls_arena *a);
int ls_vlist_push(struct ls_vlist *l, const struct ls_val *v); /* LS_ENOMEM */

/* Accessors. */
/* Value for key, or NULL. */
const struct ls_val *
ls_val_object_get(const struct ls_val *obj, const struct ls_val *key);
/* Value for a string key, or NULL. */
const struct ls_val *
ls_val_object_gets(const struct ls_val *obj, const char *key, size_t len);
int ls_val_set_has(const struct ls_val *set, const struct ls_val *v);
/* Element count of an array, object or set; string length in bytes;
 * 0 for scalars. */
size_t ls_val_len(const struct ls_val *v);
int ls_val_is_string(const struct ls_val *v, const char *s);
/* OPA type name: "null", "boolean", "number", "string", "array",
 * "object", "set". */
const char *ls_val_type_name(const struct ls_val *v);

/* Total order (<0, 0, >0), equality and a hash consistent with it. */
int ls_val_compare(const struct ls_val *a, const struct ls_val *b);
int ls_val_equal(const struct ls_val *a, const struct ls_val *b);
uint64_t ls_val_hash(const struct ls_val *v);

/*
 * Canonical JSON, compact, as opa prints results: object keys sorted,
 * sets as sorted arrays, non-string object keys written as their JSON
 * text inside a string.  LS_ETOOBIG when the buffer cap is hit.
 */
int ls_val_to_json(struct ls_buf *b, const struct ls_val *v);
/* Same with indentation (two spaces), for CLI output. */
int ls_val_to_json_pretty(struct ls_buf *b, const struct ls_val *v);
/* Rego term syntax: sets as {1, 2} / set(), object keys of any type. */
int ls_val_to_rego(struct ls_buf *b, const struct ls_val *v);

/*
 * Parse one JSON document of len bytes (surrounding whitespace allowed)
 * into *out, allocated in a.  Numbers keep full precision.  Rejects
 * nesting deeper than max_depth (0: LS_JSON_MAX_DEPTH) with LS_ETOOBIG,
 * bad syntax or invalid UTF-8 escapes with LS_EFORMAT (message with the
 * byte offset in ls_error_last()), arena exhaustion with LS_ENOMEM.
 */
int ls_val_from_json(const struct ls_val **out, struct ls_arena *a,
    const char *json, size_t len, int max_depth);

/* Strict: also refuse what jansson refuses and the default parse lets
 * through (a key repeated with an equal value, invalid UTF-8,
 * "\u0000", an escaped lone surrogate, an
 * integer beyond 64 bits, a real beyond a double), so text that passes
 * can be handed as it is to a reader using jansson (a decision record's
 * input, read by the server). */
#define LS_JSON_STRICT 1
int ls_val_from_json_flags(const struct ls_val **out, struct ls_arena *a,
    const char *json, size_t len, int max_depth, int flags);

/* Write code point cp (<= 0x10FFFF) as UTF-8 into out (4 bytes room);
 * returns the bytes written. */
size_t ls_utf8_put(char *out, unsigned cp);

#endif
