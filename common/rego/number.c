/* number.c - exact decimal numbers with an int64 fast path. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lockstep/error.h"
#include "rego/number.h"

/* A borrowed decimal view of any number. */
struct dec {
	int neg;
	const char *d;
	size_t nd;
	int64_t exp;
	char tmp[24]; /* digits of a small integer */
};

static void
view(struct dec *v, const struct ls_num *n)
{
	uint64_t m;
	size_t i = sizeof(v->tmp), end;

	if (n->digits != NULL) {
		v->neg = n->neg;
		v->d = n->digits;
		v->nd = n->ndigits;
		v->exp = n->exp;
		return;
	}
	v->neg = n->i < 0;
	m = n->i < 0 ? (uint64_t)0 - (uint64_t)n->i : (uint64_t)n->i;
	v->exp = 0;
	while (m > 0) {
		v->tmp[--i] = (char)('0' + m % 10);
		m /= 10;
	}
	end = sizeof(v->tmp);
	while (end > i && v->tmp[end - 1] == '0') { /* no trailing zeros */
		end--;
		v->exp++;
	}
	v->d = v->tmp + i;
	v->nd = end - i;
}

void
ls_num_from_int64(struct ls_num *out, int64_t v)
{
	memset(out, 0, sizeof(*out));
	out->i = v;
}

/* Fits the normalised digits * 10^exp (exp >= 0) into int64? */
static int
fits_int64(int neg, const char *d, size_t nd, int64_t exp, int64_t *out)
{
	uint64_t m = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : INT64_MAX;
	size_t i;

	if (exp < 0 || (int64_t)nd + exp > 19)
		return 0;
	for (i = 0; i < nd + (size_t)exp; i++) {
		unsigned dig = i < nd ? (unsigned)(d[i] - '0') : 0;

		if (m > (lim - dig) / 10)
			return 0;
		m = m * 10 + dig;
	}
	*out = neg ? (int64_t)(0 - m) : (int64_t)m;
	if (neg && m == (uint64_t)INT64_MAX + 1)
		*out = INT64_MIN;
	return 1;
}

int
ls_num_from_dec(struct ls_num *out, struct ls_arena *a, int neg,
    const char *digits, size_t nd, int64_t exp)
{
	int64_t small;
	char *p;

	while (nd > 0 && digits[0] == '0') {
		digits++;
		nd--;
	}
	while (nd > 0 && digits[nd - 1] == '0') {
		nd--;
		exp++;
	}
	if (nd == 0) {
		ls_num_from_int64(out, 0);
		return 0;
	}
	if (fits_int64(neg, digits, nd, exp, &small)) {
		ls_num_from_int64(out, small);
		return 0;
	}
	if (nd > UINT32_MAX / 2 || exp > INT32_MAX / 2 || exp < INT32_MIN / 2)
		return ls_error_set(LS_ETOOBIG, "number out of range");
	p = ls_arena_alloc(a, nd);
	if (p == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory for a number");
	memcpy(p, digits, nd);
	memset(out, 0, sizeof(*out));
	out->digits = p;
	out->ndigits = (uint32_t)nd;
	out->exp = (int32_t)exp;
	out->neg = (uint8_t)(neg != 0);
	return 0;
}

static int
parse_exp(const char *s, size_t len, size_t *i, int64_t *out)
{
	int eneg = 0;
	int64_t e = 0;
	size_t start;

	if (*i < len && (s[*i] == '+' || s[*i] == '-'))
		eneg = s[(*i)++] == '-';
	start = *i;
	while (*i < len && s[*i] >= '0' && s[*i] <= '9') {
		e = e * 10 + (s[*i] - '0');
		/* digits may shift the value back under LS_NUM_MAX_EXP;
		 * ls_num_from_text checks the value itself */
		if (e > LS_NUM_MAX_EXP + LS_NUM_MAX_DIGITS)
			return ls_error_set(LS_ETOOBIG, "exponent too large");
		(*i)++;
	}
	if (*i == start)
		return ls_error_set(LS_EFORMAT, "bad number exponent");
	*out = eneg ? -e : e;
	return 0;
}

int
ls_num_from_text(struct ls_num *out, struct ls_arena *a, const char *s,
    size_t len)
{
	char buf[LS_NUM_MAX_DIGITS];
	size_t i = 0, nd = 0, nfrac = 0, intstart;
	int neg = 0, rc;
	int64_t e = 0;

	if (i < len && s[i] == '-')
		neg = 1, i++;
	intstart = i;
	while (i < len && s[i] >= '0' && s[i] <= '9') {
		if (nd == 0 && s[i] == '0') { /* not significant */
			i++;
			continue;
		}
		if (nd >= sizeof(buf))
			return ls_error_set(LS_ETOOBIG, "number too long");
		buf[nd++] = s[i++];
	}
	if (i == intstart || (s[intstart] == '0' && i - intstart > 1))
		return ls_error_set(LS_EFORMAT, "bad number");
	if (i < len && s[i] == '.') {
		i++;
		while (i < len && s[i] >= '0' && s[i] <= '9') {
			nfrac++;
			if (nd == 0 && s[i] == '0') { /* "0.000..." */
				i++;
				continue;
			}
			if (nd >= sizeof(buf))
				return ls_error_set(LS_ETOOBIG,
				    "number too long");
			buf[nd++] = s[i++];
		}
		if (nfrac == 0)
			return ls_error_set(LS_EFORMAT, "bad number");
	}
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if ((rc = parse_exp(s, len, &i, &e)) != 0)
			return rc;
	}
	if (i != len)
		return ls_error_set(LS_EFORMAT, "bad number");
	if ((rc = ls_num_from_dec(out, a, neg, buf, nd,
		 e - (int64_t)nfrac)) != 0)
		return rc;
	/* The cap is on the value's decimal exponent as ls_num_format
	 * writes it (d.ddde+X), so whatever is accepted reads back. */
	if (out->digits != NULL &&
	    ((int64_t)out->exp + out->ndigits - 1 > LS_NUM_MAX_EXP ||
		(int64_t)out->exp + out->ndigits - 1 < -LS_NUM_MAX_EXP))
		return ls_error_set(LS_ETOOBIG, "exponent too large");
	return 0;
}

int
ls_num_from_double(struct ls_num *out, struct ls_arena *a, double d)
{
	char buf[64];
	int p, n = 0;

	if (isnan(d) || isinf(d))
		return ls_error_set(LS_EINVAL, "number is not finite");
	if (d == floor(d) && fabs(d) < 9.2e18) {
		ls_num_from_int64(out, (int64_t)d);
		return 0;
	}
	for (p = 1; p <= 17; p++) {
		n = snprintf(buf, sizeof(buf), "%.*e", p - 1, d);
		if (n > 0 && (size_t)n < sizeof(buf) && strtod(buf, NULL) == d)
			break;
	}
	if (n <= 0 || (size_t)n >= sizeof(buf))
		return ls_error_set(LS_EINVAL, "cannot format number");
	return ls_num_from_text(out, a, buf, (size_t)n);
}

int
ls_num_is_int(const struct ls_num *n)
{
	return n->digits == NULL || n->exp >= 0;
}

int
ls_num_sign(const struct ls_num *n)
{
	if (n->digits == NULL)
		return n->i < 0 ? -1 : n->i > 0;
	return n->neg ? -1 : 1;
}

int64_t
ls_num_to_int64(const struct ls_num *n, int *overflow)
{
	struct dec v;
	int64_t r = 0, ipart;

	*overflow = 0;
	if (n->digits == NULL)
		return n->i;
	view(&v, n);
	ipart = (int64_t)v.nd + v.exp;
	if (ipart <= 0)
		return 0;
	if (v.exp >= 0 || !fits_int64(v.neg, v.d, (size_t)ipart, 0, &r)) {
		*overflow = 1;
		return v.neg ? INT64_MIN : INT64_MAX;
	}
	return r;
}

double
ls_num_to_double(const struct ls_num *n)
{
	char buf[80];
	struct dec v;
	size_t nd;
	int64_t exp;
	int k;

	if (n->digits == NULL)
		return (double)n->i;
	view(&v, n);
	nd = v.nd > 40 ? 40 : v.nd;
	exp = v.exp + (int64_t)(v.nd - nd);
	k = snprintf(buf, sizeof(buf), "%s%.*se%" PRId64, v.neg ? "-" : "",
	    (int)nd, v.d, exp);
	if (k <= 0 || (size_t)k >= sizeof(buf))
		return 0;
	errno = 0;
	return strtod(buf, NULL);
}

static int
cmp_mag(const struct dec *a, const struct dec *b)
{
	int64_t ma = (int64_t)a->nd + a->exp, mb = (int64_t)b->nd + b->exp;
	size_t i, n = a->nd > b->nd ? a->nd : b->nd;

	if (ma != mb)
		return ma < mb ? -1 : 1;
	for (i = 0; i < n; i++) {
		char ca = i < a->nd ? a->d[i] : '0';
		char cb = i < b->nd ? b->d[i] : '0';

		if (ca != cb)
			return ca < cb ? -1 : 1;
	}
	return 0;
}

int
ls_num_cmp(const struct ls_num *a, const struct ls_num *b)
{
	struct dec va, vb;
	int sa, sb, c;

	if (a->digits == NULL && b->digits == NULL)
		return a->i < b->i ? -1 : a->i > b->i;
	sa = ls_num_sign(a);
	sb = ls_num_sign(b);
	if (sa != sb)
		return sa < sb ? -1 : 1;
	view(&va, a);
	view(&vb, b);
	c = cmp_mag(&va, &vb);
	return sa < 0 ? -c : c;
}

static int
add_zeros(struct ls_buf *b, int64_t n)
{
	int rc = 0;

	while (n-- > 0 && rc == 0)
		rc = ls_buf_addc(b, '0');
	return rc;
}

static int
format_sci(struct ls_buf *b, const struct dec *v)
{
	int64_t e10 = (int64_t)v->nd + v->exp - 1;
	int rc;

	rc = ls_buf_add(b, v->d, 1);
	if (rc == 0 && v->nd > 1) {
		rc = ls_buf_addc(b, '.');
		if (rc == 0)
			rc = ls_buf_add(b, v->d + 1, v->nd - 1);
	}
	if (rc == 0)
		rc = ls_buf_addf(b, "e%c%02" PRId64, e10 < 0 ? '-' : '+',
		    e10 < 0 ? -e10 : e10);
	return rc;
}

int
ls_num_format(struct ls_buf *b, const struct ls_num *n)
{
	struct dec v;
	int64_t e10, ip;
	int rc;

	if (n->digits == NULL)
		return ls_buf_addf(b, "%" PRId64, n->i);
	view(&v, n);
	if (v.neg && (rc = ls_buf_addc(b, '-')) != 0)
		return rc;
	e10 = (int64_t)v.nd + v.exp - 1;
	if (v.exp >= 0) {
		if (e10 >= 400)
			return format_sci(b, &v);
		rc = ls_buf_add(b, v.d, v.nd);
		return rc ? rc : add_zeros(b, v.exp);
	}
	if (e10 < -6 || e10 > 20)
		return format_sci(b, &v);
	ip = (int64_t)v.nd + v.exp;
	if (ip <= 0) {
		rc = ls_buf_adds(b, "0.");
		if (rc == 0)
			rc = add_zeros(b, -ip);
		return rc ? rc : ls_buf_add(b, v.d, v.nd);
	}
	rc = ls_buf_add(b, v.d, (size_t)ip);
	if (rc == 0)
		rc = ls_buf_addc(b, '.');
	return rc ? rc : ls_buf_add(b, v.d + ip, v.nd - (size_t)ip);
}

size_t
ls_num_int_digits(const struct ls_num *n, char *out, size_t cap)
{
	struct dec v;
	size_t total, i;

	if (!ls_num_is_int(n))
		return 0;
	view(&v, n);
	if (v.nd == 0) {
		if (cap < 1)
			return 0;
		out[0] = '0';
		return 1;
	}
	total = v.nd + (size_t)v.exp;
	if (total > cap)
		return 0;
	memcpy(out, v.d, v.nd);
	for (i = v.nd; i < total; i++)
		out[i] = '0';
	return total;
}
