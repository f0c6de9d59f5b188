/*
 * number_arith.c - exact decimal arithmetic for Rego numbers.
 *
 * Magnitudes are runs of decimal digits, most significant first; the
 * schoolbook algorithms are plenty for policy numbers, and every result
 * is capped at ARITH_MAX_DIGITS.  int64 operands take a fast path with
 * overflow checks.  Division goes through long double, whose 64-bit
 * mantissa is exactly the precision of the big.Float OPA divides with.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lockstep/error.h"
#include "rego/number_arith.h"

#define ARITH_MAX_DIGITS 8192

struct dnum {
	int neg;
	char *d; /* malloc'd digits, no leading zeros (may be empty) */
	size_t nd;
	int64_t exp;
};

static int
dnum_view(struct dnum *v, const struct ls_num *n)
{
	char tmp[24];
	int len;

	memset(v, 0, sizeof *v);
	if (n->digits == NULL) {
		uint64_t m =
		    n->i < 0 ? (uint64_t)0 - (uint64_t)n->i : (uint64_t)n->i;
		v->neg = n->i < 0;
		len = snprintf(tmp, sizeof tmp, "%llu", (unsigned long long)m);
		if (m == 0)
			len = 0;
		if ((v->d = malloc((size_t)len + 1)) == NULL)
			return ls_error_set(LS_ENOMEM, "out of memory");
		memcpy(v->d, tmp, (size_t)len);
		v->d[len] = '\0'; /* d[nd] reads as "no more digits" */
		v->nd = (size_t)len;
		return 0;
	}
	v->neg = n->neg;
	v->exp = n->exp;
	v->nd = n->ndigits;
	if ((v->d = malloc(v->nd + 1)) == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	memcpy(v->d, n->digits, v->nd);
	v->d[v->nd] = '\0';
	return 0;
}

static int
dnum_store(struct ls_num *out, struct ls_arena *a, const struct dnum *v)
{
	return ls_num_from_dec(out, a, v->neg, v->d, v->nd, v->exp);
}

/* Shift digits left by k (append zeros): exp decreases by k. */
static int
dnum_align(struct dnum *v, int64_t to_exp)
{
	size_t k;
	char *p;

	if (v->exp <= to_exp)
		return 0;
	k = (size_t)(v->exp - to_exp);
	if (v->nd + k > ARITH_MAX_DIGITS)
		return ls_error_set(LS_ETOOBIG, "number too large");
	if ((p = realloc(v->d, v->nd + k + 1)) == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	memset(p + v->nd, '0', k);
	v->d = p;
	v->nd += k;
	v->exp = to_exp;
	return 0;
}

static int
mag_cmp(const char *a, size_t na, const char *b, size_t nb)
{
	while (na > 0 && *a == '0')
		a++, na--;
	while (nb > 0 && *b == '0')
		b++, nb--;
	if (na != nb)
		return na < nb ? -1 : 1;
	return memcmp(a, b, na) < 0 ? -1 : memcmp(a, b, na) > 0;
}

/* out (n+1 bytes) = a + b, right aligned. */
static size_t
mag_add(char *out, const char *a, size_t na, const char *b, size_t nb)
{
	size_t n = (na > nb ? na : nb) + 1, i;
	int carry = 0;

	for (i = 0; i < n; i++) {
		int s = carry;
		if (i < na)
			s += a[na - 1 - i] - '0';
		if (i < nb)
			s += b[nb - 1 - i] - '0';
		out[n - 1 - i] = (char)('0' + s % 10);
		carry = s / 10;
	}
	return n;
}

/* out = a - b with a >= b; na digits. */
static size_t
mag_sub(char *out, const char *a, size_t na, const char *b, size_t nb)
{
	size_t i;
	int borrow = 0;

	for (i = 0; i < na; i++) {
		int s = (a[na - 1 - i] - '0') - borrow -
		    (i < nb ? b[nb - 1 - i] - '0' : 0);
		borrow = s < 0;
		out[na - 1 - i] = (char)('0' + (s + 10) % 10);
	}
	return na;
}

static int
add_signed(struct ls_num *out, struct ls_arena *a, const struct ls_num *x,
    const struct ls_num *y, int negate_y)
{
	struct dnum p, q, r;
	int64_t e;
	int rc;

	memset(&r, 0, sizeof r);
	if ((rc = dnum_view(&p, x)) != 0)
		return rc;
	if ((rc = dnum_view(&q, y)) != 0) {
		free(p.d);
		return rc;
	}
	q.neg ^= negate_y;
	e = p.exp < q.exp ? p.exp : q.exp;
	if ((rc = dnum_align(&p, e)) != 0 || (rc = dnum_align(&q, e)) != 0)
		goto out;
	if ((r.d = malloc((p.nd > q.nd ? p.nd : q.nd) + 2)) == NULL) {
		rc = ls_error_set(LS_ENOMEM, "out of memory");
		goto out;
	}
	r.exp = e;
	if (p.neg == q.neg) {
		r.neg = p.neg;
		r.nd = mag_add(r.d, p.d, p.nd, q.d, q.nd);
	} else if (mag_cmp(p.d, p.nd, q.d, q.nd) >= 0) {
		r.neg = p.neg;
		r.nd = mag_sub(r.d, p.d, p.nd, q.d, q.nd);
	} else {
		r.neg = q.neg;
		r.nd = mag_sub(r.d, q.d, q.nd, p.d, p.nd);
	}
	rc = dnum_store(out, a, &r);
out:
	free(p.d);
	free(q.d);
	free(r.d);
	return rc;
}

int
ls_num_add(struct ls_num *out, struct ls_arena *a, const struct ls_num *x,
    const struct ls_num *y)
{
	int64_t s;

	if (x->digits == NULL && y->digits == NULL &&
	    !__builtin_add_overflow(x->i, y->i, &s)) {
		ls_num_from_int64(out, s);
		return 0;
	}
	return add_signed(out, a, x, y, 0);
}

int
ls_num_sub(struct ls_num *out, struct ls_arena *a, const struct ls_num *x,
    const struct ls_num *y)
{
	int64_t s;

	if (x->digits == NULL && y->digits == NULL &&
	    !__builtin_sub_overflow(x->i, y->i, &s)) {
		ls_num_from_int64(out, s);
		return 0;
	}
	return add_signed(out, a, x, y, 1);
}

int
ls_num_mul(struct ls_num *out, struct ls_arena *a, const struct ls_num *x,
    const struct ls_num *y)
{
	struct dnum p, q, r;
	int *acc = NULL;
	size_t i, j, n;
	int64_t s;
	int rc;

	if (x->digits == NULL && y->digits == NULL &&
	    !__builtin_mul_overflow(x->i, y->i, &s)) {
		ls_num_from_int64(out, s);
		return 0;
	}
	memset(&r, 0, sizeof r);
	if ((rc = dnum_view(&p, x)) != 0)
		return rc;
	if ((rc = dnum_view(&q, y)) != 0) {
		free(p.d);
		return rc;
	}
	n = p.nd + q.nd;
	if (n > ARITH_MAX_DIGITS) {
		rc = ls_error_set(LS_ETOOBIG, "number too large");
		goto out;
	}
	if ((acc = calloc(n + 1, sizeof *acc)) == NULL ||
	    (r.d = malloc(n + 1)) == NULL) {
		rc = ls_error_set(LS_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < p.nd; i++)
		for (j = 0; j < q.nd; j++)
			acc[i + j + 1] += (p.d[i] - '0') * (q.d[j] - '0');
	for (i = n; i > 0; i--) {
		if (acc[i] >= 10) {
			acc[i - 1] += acc[i] / 10;
			acc[i] %= 10;
		}
	}
	for (i = 0; i < n; i++)
		r.d[i] = (char)('0' + acc[i]);
	r.nd = n;
	r.neg = p.neg != q.neg;
	r.exp = p.exp + q.exp;
	rc = dnum_store(out, a, &r);
out:
	free(acc);
	free(p.d);
	free(q.d);
	free(r.d);
	return rc;
}

static long double
to_ld(const struct ls_num *n)
{
	struct ls_buf b;
	long double v;

	if (n->digits == NULL)
		return (long double)n->i;
	ls_buf_init(&b, 1 << 16);
	if (ls_num_format(&b, n) != 0) {
		ls_buf_cleanup(&b);
		return ls_num_to_double(n);
	}
	v = strtold(b.data, NULL);
	ls_buf_cleanup(&b);
	return v;
}

/* The shortest decimal that reads back as v at long double precision. */
static int
from_ld(struct ls_num *out, struct ls_arena *a, long double v)
{
	char buf[64], dig[32];
	int p, n = 0, nd = 0, i;
	long e;
	char *ep;

	if (isnan(v) || isinf(v))
		return ls_error_set(LS_ETOOBIG, "number out of range");
	if (v == 0) {
		ls_num_from_int64(out, 0);
		return 0;
	}
	for (p = 1; p <= 21; p++) {
		n = snprintf(buf, sizeof buf, "%.*Le", p - 1, v);
		if (strtold(buf, NULL) == v)
			break;
	}
	if (n <= 0 || (size_t)n >= sizeof buf)
		return ls_error_set(LS_EINVAL, "cannot format number");
	ep = strchr(buf, 'e');
	for (i = 0; buf + i < ep; i++)
		if (buf[i] >= '0' && buf[i] <= '9')
			dig[nd++] = buf[i];
	e = strtol(ep + 1, NULL, 10);
	return ls_num_from_dec(out, a, buf[0] == '-', dig, (size_t)nd,
	    e - (nd - 1));
}

int
ls_num_div(struct ls_num *out, struct ls_arena *a, const struct ls_num *x,
    const struct ls_num *y)
{
	if (ls_num_sign(y) == 0)
		return ls_error_set(LS_EINVAL, "divide by zero");
	if (x->digits == NULL && y->digits == NULL && y->i != 0 &&
	    !(x->i == INT64_MIN && y->i == -1) && x->i % y->i == 0) {
		ls_num_from_int64(out, x->i / y->i);
		return 0;
	}
	return from_ld(out, a, to_ld(x) / to_ld(y));
}

/* r = p mod q on magnitudes (q nonzero), schoolbook long division. */
static int
mag_rem(struct dnum *r, const struct dnum *p, const struct dnum *q)
{
	char *cur;
	size_t n = 0, i, k;

	if ((cur = malloc(q->nd + 2)) == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	for (i = 0; i < p->nd; i++) {
		if (n == 1 && cur[0] == '0')
			n = 0;
		cur[n++] = p->d[i];
		for (k = 0; k < 10 && mag_cmp(cur, n, q->d, q->nd) >= 0; k++) {
			mag_sub(cur, cur, n, q->d, q->nd);
			while (n > 1 && cur[0] == '0') {
				memmove(cur, cur + 1, n - 1);
				n--;
			}
		}
	}
	r->d = cur;
	r->nd = n;
	return 0;
}

int
ls_num_rem(struct ls_num *out, struct ls_arena *a, const struct ls_num *x,
    const struct ls_num *y)
{
	struct dnum p, q, r;
	int rc;

	if (!ls_num_is_int(x) || !ls_num_is_int(y))
		return ls_error_set(LS_EFORMAT,
		    "modulo on floating-point number");
	if (ls_num_sign(y) == 0)
		return ls_error_set(LS_EINVAL, "modulo by zero");
	if (x->digits == NULL && y->digits == NULL) {
		if (y->i == -1)
			ls_num_from_int64(out, 0);
		else
			ls_num_from_int64(out, x->i % y->i);
		return 0;
	}
	memset(&r, 0, sizeof r);
	if ((rc = dnum_view(&p, x)) != 0)
		return rc;
	if ((rc = dnum_view(&q, y)) != 0) {
		free(p.d);
		return rc;
	}
	if ((rc = dnum_align(&p, 0)) == 0 && (rc = dnum_align(&q, 0)) == 0 &&
	    (rc = mag_rem(&r, &p, &q)) == 0) {
		r.neg = p.neg;
		rc = dnum_store(out, a, &r);
	}
	free(p.d);
	free(q.d);
	free(r.d);
	return rc;
}

int
ls_num_neg(struct ls_num *out, struct ls_arena *a, const struct ls_num *x)
{
	struct ls_num zero;

	ls_num_from_int64(&zero, 0);
	return ls_num_sub(out, a, &zero, x);
}

int
ls_num_abs(struct ls_num *out, struct ls_arena *a, const struct ls_num *x)
{
	if (ls_num_sign(x) < 0)
		return ls_num_neg(out, a, x);
	*out = *x;
	return 0;
}

int
ls_num_to_integer(struct ls_num *out, struct ls_arena *a,
    const struct ls_num *x, enum ls_num_rounding mode)
{
	struct dnum v;
	size_t keep;
	int up = 0, rc;

	if (ls_num_is_int(x)) {
		*out = *x;
		return 0;
	}
	if ((rc = dnum_view(&v, x)) != 0)
		return rc;
	/* exp < 0 here: the last -exp digits are the fraction. */
	keep = (size_t)-v.exp < v.nd ? v.nd - (size_t)-v.exp : 0;
	switch (mode) {
	case LS_NUM_ROUND:
		up = (size_t)-v.exp <= v.nd && v.d[keep] >= '5';
		break;
	case LS_NUM_CEIL: up = !v.neg; break;
	case LS_NUM_FLOOR: up = v.neg; break;
	case LS_NUM_TRUNC: break;
	}
	v.nd = keep;
	v.exp = 0;
	rc = dnum_store(out, a, &v);
	free(v.d);
	if (rc == 0 && up) {
		struct ls_num one, t = *out;
		ls_num_from_int64(&one, x->neg ? -1 : 1);
		rc = ls_num_add(out, a, &t, &one);
	}
	return rc;
}

size_t
ls_num_int_text(char *out, size_t cap, int *neg, const struct ls_num *x)
{
	*neg = ls_num_sign(x) < 0;
	return ls_num_int_digits(x, out, cap);
}
