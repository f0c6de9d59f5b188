/*
 * number.h - Rego numbers: exact decimals of arbitrary precision.
 *
 * An integer that fits in int64 is kept as `i` with digits == NULL (the
 * fast path, always used when possible so equal values look equal).  Any
 * other value is an exact decimal: (neg ? -1 : 1) * DIGITS * 10^exp with
 * DIGITS a run of ndigits decimal digits, no leading or trailing zeros.
 * Zero is always the small integer 0.  Digit strings live in an arena and
 * are immutable; a struct ls_num is a plain value that may be copied.
 *
 * Ownership of functions: this file (number.c, helper "rego-core") does
 * construction, conversion, comparison and formatting.  Arithmetic
 * (plus, minus, mul, div, rem, abs, round, ceil, floor, bits.*) is the
 * builtins helper's ("rego-builtins"), on top of these accessors; if it
 * needs exact big arithmetic it adds number_arith.c with ls_num_add etc.
 */
#ifndef LS_REGO_NUMBER_H
#define LS_REGO_NUMBER_H

#include <stddef.h>
#include <stdint.h>

#include "lockstep/buf.h"
#include "rego/arena.h"

#define LS_NUM_MAX_DIGITS 4096 /* cap on a literal's significant digits */
/* Cap on |X| where the value is d.ddd x 10^X (a literal's own exponent
 * may differ by up to LS_NUM_MAX_DIGITS: "0.01e-99999" is past it). */
#define LS_NUM_MAX_EXP 100000

struct ls_num {
	int64_t i;	    /* the value when digits == NULL */
	const char *digits; /* NULL for int64 values; arena, not NUL-ended */
	uint32_t ndigits;   /* digits in `digits` */
	int32_t exp;	    /* power of ten applied to digits */
	uint8_t neg;	    /* sign for the decimal form */
};

void ls_num_from_int64(struct ls_num *out, int64_t v);

/*
 * Parse JSON number text ("-12", "1.5e3", "1e400").  1e3 becomes the
 * integer 1000.  LS_EFORMAT on bad syntax, LS_ETOOBIG past the caps,
 * LS_ENOMEM when the arena is exhausted.
 */
int ls_num_from_text(struct ls_num *out, struct ls_arena *a, const char *s,
    size_t len);

/* Shortest decimal that round-trips the double.  LS_EINVAL for NaN/Inf. */
int ls_num_from_double(struct ls_num *out, struct ls_arena *a, double d);

/* Build from a sign, digit run (any zeros allowed; normalised and copied
 * into the arena) and exponent.  LS_ENOMEM / LS_ETOOBIG. */
int ls_num_from_dec(struct ls_num *out, struct ls_arena *a, int neg,
    const char *digits, size_t ndigits, int64_t exp);

int ls_num_is_int(const struct ls_num *n); /* 1 for integral values */
int ls_num_sign(const struct ls_num *n);   /* -1, 0, 1 */

/* The value as int64: integral values that fit give *overflow = 0;
 * non-integers are truncated toward zero; values out of range set
 * *overflow = 1 and return INT64_MIN or INT64_MAX. */
int64_t ls_num_to_int64(const struct ls_num *n, int *overflow);

/* Nearest double (may be +-Inf for huge values). */
double ls_num_to_double(const struct ls_num *n);

/* Exact numeric comparison: <0, 0, >0. */
int ls_num_cmp(const struct ls_num *a, const struct ls_num *b);

/*
 * Canonical text as opa prints it: integers exactly ("1000" for 1e3;
 * beyond 400 digits as "1e+500"), other values in plain notation, or
 * with an exponent ("1.5e-07") when the exponent is below -6 or above 20,
 * like Go's encoding/json for floats.  LS_ETOOBIG from the buffer.
 */
int ls_num_format(struct ls_buf *b, const struct ls_num *n);

/* Digits of an integral value's magnitude into a caller buffer: the
 * decimal form with exp applied.  Used by big-integer arithmetic.  Returns
 * the number of digits written, or 0 if it would not fit in cap. */
size_t ls_num_int_digits(const struct ls_num *n, char *out, size_t cap);

#endif
