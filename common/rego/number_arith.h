/*
 * number_arith.h - arithmetic on Rego numbers (number.h), as OPA does it.
 *
 * Sums, differences and products are exact (integers of any size and
 * decimals alike).  Quotients are computed like OPA's big.Float with a
 * 64-bit mantissa and kept as their shortest decimal, so 1/3 gives the
 * same 0.3333333333333333333 as opa.  Remainders are integer-only.
 * Results are allocated in the arena; all functions return 0 or a
 * negative enum ls_err: LS_EINVAL for a zero divisor, LS_EFORMAT for a
 * non-integer where an integer is needed, LS_ETOOBIG past the digit caps,
 * LS_ENOMEM when the arena is exhausted.
 */
#ifndef LS_REGO_NUMBER_ARITH_H
#define LS_REGO_NUMBER_ARITH_H

#include "rego/arena.h"
#include "rego/number.h"

int ls_num_add(struct ls_num *out, struct ls_arena *a, const struct ls_num *x,
    const struct ls_num *y);
int ls_num_sub(struct ls_num *out, struct ls_arena *a, const struct ls_num *x,
    const struct ls_num *y);
int ls_num_mul(struct ls_num *out, struct ls_arena *a, const struct ls_num *x,
    const struct ls_num *y);
int ls_num_div(struct ls_num *out, struct ls_arena *a, const struct ls_num *x,
    const struct ls_num *y);
/* Truncated remainder of two integers (sign of x), like Go's big.Int.Rem. */
int ls_num_rem(struct ls_num *out, struct ls_arena *a, const struct ls_num *x,
    const struct ls_num *y);
int ls_num_neg(struct ls_num *out, struct ls_arena *a, const struct ls_num *x);
int ls_num_abs(struct ls_num *out, struct ls_arena *a, const struct ls_num *x);

enum ls_num_rounding {
	LS_NUM_ROUND, /* half away from zero */
	LS_NUM_CEIL,
	LS_NUM_FLOOR,
	LS_NUM_TRUNC,
};
int ls_num_to_integer(struct ls_num *out, struct ls_arena *a,
    const struct ls_num *x, enum ls_num_rounding mode);

/*
 * Decimal text of an integral number's magnitude into out (at most cap
 * bytes, no NUL), *neg its sign; returns the length, 0 if it does not fit
 * or x is not an integer.
 */
size_t ls_num_int_text(char *out, size_t cap, int *neg, const struct ls_num *x);

#endif
