/*
 * fmt.c - Go's fmt.Sprintf as OPA's sprintf meets it, and UTF-8.
 *
 * OPA hands fmt.Sprintf Go ints, *big.Ints, float64s and strings (every
 * other value as its Rego text), so this implements the verbs those types
 * accept, Go's "%!v(type=value)" complaints for a wrong verb, and the
 * MISSING / EXTRA markers.  Integers of any size arrive as decimal text
 * and are converted to other bases digit by digit.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lockstep/error.h"
#include "rego/builtins/lib.h"

#define FMT_MAX_WIDTH 100000

uint32_t
bi_utf8_decode(const char *str, size_t len, size_t *w)
{
	const unsigned char *s = (const unsigned char *)str;
	uint32_t r, min;
	size_t n, i;

	*w = 1;
	if (len == 0)
		return 0xFFFD;
	if (s[0] < 0x80)
		return s[0];
	if ((s[0] & 0xE0) == 0xC0) {
		n = 2;
		r = s[0] & 0x1F;
		min = 0x80;
	} else if ((s[0] & 0xF0) == 0xE0) {
		n = 3;
		r = s[0] & 0x0F;
		min = 0x800;
	} else if ((s[0] & 0xF8) == 0xF0) {
		n = 4;
		r = s[0] & 0x07;
		min = 0x10000;
	} else {
		return 0xFFFD;
	}
	if (len < n)
		return 0xFFFD;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0xFFFD;
		r = (r << 6) | (s[i] & 0x3F);
	}
	if (r < min || r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF))
		return 0xFFFD;
	*w = n;
	return r;
}

size_t
bi_utf8_encode(char out[4], uint32_t r)
{
	if (r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF))
		r = 0xFFFD;
	if (r < 0x80) {
		out[0] = (char)r;
		return 1;
	}
	if (r < 0x800) {
		out[0] = (char)(0xC0 | (r >> 6));
		out[1] = (char)(0x80 | (r & 0x3F));
		return 2;
	}
	if (r < 0x10000) {
		out[0] = (char)(0xE0 | (r >> 12));
		out[1] = (char)(0x80 | ((r >> 6) & 0x3F));
		out[2] = (char)(0x80 | (r & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | (r >> 18));
	out[1] = (char)(0x80 | ((r >> 12) & 0x3F));
	out[2] = (char)(0x80 | ((r >> 6) & 0x3F));
	out[3] = (char)(0x80 | (r & 0x3F));
	return 4;
}

size_t
bi_utf8_count(const char *s, size_t len)
{
	size_t i = 0, n = 0, w;

	while (i < len) {
		bi_utf8_decode(s + i, len - i, &w);
		i += w;
		n++;
	}
	return n;
}

/*
 * Shortest decimal digits that read back as f: "d.ddd" and exponent;
 * returns how many digits (strlen(digits)).
 */
static int
shortest(char *digits, int *exp10, double f)
{
	char tmp[40];
	int prec, i, j = 0;
	char *e;

	for (prec = 1; prec <= 17; prec++) {
		snprintf(tmp, sizeof tmp, "%.*e", prec - 1, f);
		if (strtod(tmp, NULL) == f)
			break;
	}
	/* not finite: callers exclude that */
	if ((e = strchr(tmp, 'e')) == NULL) {
		snprintf(digits, 2, "0");
		*exp10 = 0;
		return 1;
	}
	*exp10 = (int)strtol(e + 1, NULL, 10);
	for (i = 0; tmp + i < e; i++)
		if (tmp[i] >= '0' && tmp[i] <= '9')
			digits[j++] = tmp[i];
	while (j > 1 && digits[j - 1] == '0')
		j--;
	digits[j] = '\0';
	return j;
}

void
bi_fmt_float(char out[40], double f)
{
	char d[24];
	int e, nd, pos = 0, i;

	if (isnan(f)) {
		snprintf(out, 40, "NaN");
		return;
	}
	if (isinf(f)) {
		snprintf(out, 40, f > 0 ? "+Inf" : "-Inf");
		return;
	}
	if (f == 0) {
		snprintf(out, 40, signbit(f) ? "-0" : "0");
		return;
	}
	if (f < 0) {
		out[pos++] = '-';
		f = -f;
	}
	nd = shortest(d, &e, f);
	if (e < -4 || e >= 21) {
		out[pos++] = d[0];
		if (nd > 1) {
			out[pos++] = '.';
			for (i = 1; i < nd; i++)
				out[pos++] = d[i];
		}
		snprintf(out + pos, (size_t)(40 - pos), "e%c%02d",
		    e < 0 ? '-' : '+', e < 0 ? -e : e);
		return;
	}
	if (e < 0) {
		out[pos++] = '0';
		out[pos++] = '.';
		for (i = -1; i > e; i--)
			out[pos++] = '0';
		for (i = 0; i < nd; i++)
			out[pos++] = d[i];
	} else {
		for (i = 0; i <= e || i < nd; i++) {
			if (i == e + 1)
				out[pos++] = '.';
			out[pos++] = i < nd ? d[i] : '0';
		}
	}
	out[pos] = '\0';
}

/* Go's %v / %g with shortest precision for float64. */
void
bi_fmt_go_float(char out[48], double f, int upper)
{
	char d[24];
	int e, nd, pos = 0, i;

	if (isnan(f) || isinf(f) || f == 0) {
		bi_fmt_float(out, f);
		return;
	}
	if (f < 0) {
		out[pos++] = '-';
		f = -f;
	}
	nd = shortest(d, &e, f);
	if (e < -4 || e >= 6) { /* strconv's shortest %g: precision 6 */
		out[pos++] = d[0];
		if (nd > 1) {
			out[pos++] = '.';
			for (i = 1; i < nd; i++)
				out[pos++] = d[i];
		}
		snprintf(out + pos, (size_t)(48 - pos), "%c%c%02d",
		    upper ? 'E' : 'e', e < 0 ? '-' : '+', e < 0 ? -e : e);
		return;
	}
	out[pos] = '\0';
	bi_fmt_float(out + pos, f);
}

struct spec {
	int minus, plus, sharp, space, zero;
	int width, prec; /* -1 when absent */
	char verb;
};

static int
pad(struct ls_buf *b, int n, char c)
{
	int rc = 0;

	while (n-- > 0 && rc == 0)
		rc = ls_buf_addc(b, c);
	return rc;
}

/* Write s padded to the width (zero padding goes after a sign). */
static int
emit(struct ls_buf *b, const struct spec *sp, const char *s, size_t len,
    int zero_ok)
{
	int n = sp->width - (int)bi_utf8_count(s, len), rc = 0;
	size_t signlen = 0;

	if (n <= 0)
		return ls_buf_add(b, s, len);
	if (sp->minus) {
		if ((rc = ls_buf_add(b, s, len)) == 0)
			rc = pad(b, n, ' ');
		return rc;
	}
	if (sp->zero && zero_ok) {
		if (len > 0 && (s[0] == '-' || s[0] == '+' || s[0] == ' '))
			signlen = 1;
		if ((rc = ls_buf_add(b, s, signlen)) == 0 &&
		    (rc = pad(b, n, '0')) == 0)
			rc = ls_buf_add(b, s + signlen, len - signlen);
		return rc;
	}
	if ((rc = pad(b, n, ' ')) == 0)
		rc = ls_buf_add(b, s, len);
	return rc;
}

/* Decimal digits (no sign) to base 2, 8 or 16, into out (reversed). */
static int
to_base(struct ls_buf *out, const char *dig, size_t n, int base, int upper)
{
	const char *xd = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char *work = NULL;
	struct ls_buf rev;
	size_t i, len = n;
	int rc = 0;

	ls_buf_init(&rev, 1 << 20);
	if ((work = malloc(n + 1)) == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	memcpy(work, dig, n);
	for (;;) {
		int rem = 0;
		size_t k = 0, nz = 0;

		for (i = 0; i < len; i++) {
			int cur = rem * 10 + (work[i] - '0');
			work[k] = (char)('0' + cur / base);
			rem = cur % base;
			if (work[k] != '0' || nz)
				nz = 1;
			if (nz)
				k++;
		}
		if ((rc = ls_buf_addc(&rev, xd[rem])) != 0)
			break;
		len = k;
		if (len == 0)
			break;
	}
	for (i = rev.len; i > 0 && rc == 0; i--)
		rc = ls_buf_addc(out, rev.data[i - 1]);
	ls_buf_cleanup(&rev);
	free(work);
	return rc;
}

static int
fmt_int(struct ls_buf *b, const struct spec *sp, const char *s, size_t len)
{
	struct ls_buf t;
	int neg = len > 0 && s[0] == '-', rc = 0, base = 10, zeros;
	const char *d = s + neg;
	size_t dn = len - (size_t)neg, mark;

	ls_buf_init(&t, 1 << 20);
	if (neg)
		rc = ls_buf_addc(&t, '-');
	else if (sp->plus)
		rc = ls_buf_addc(&t, '+');
	else if (sp->space)
		rc = ls_buf_addc(&t, ' ');
	switch (sp->verb) {
	case 'b': base = 2; break;
	case 'o':
	case 'O': base = 8; break;
	case 'x':
	case 'X': base = 16; break;
	default: break;
	}
	if (rc == 0 && sp->verb == 'O')
		rc = ls_buf_adds(&t, "0o");
	else if (rc == 0 && sp->sharp && base == 8 && !(dn == 1 && d[0] == '0'))
		rc = ls_buf_addc(&t, '0');
	else if (rc == 0 && sp->sharp && base == 16)
		rc = ls_buf_adds(&t, sp->verb == 'X' ? "0X" : "0x");
	else if (rc == 0 && sp->sharp && base == 2)
		rc = ls_buf_adds(&t, "0b");
	mark = t.len;
	if (rc == 0 && base == 10)
		rc = ls_buf_add(&t, d, dn);
	else if (rc == 0)
		rc = to_base(&t, d, dn, base, sp->verb == 'X');
	if (rc == 0 && sp->prec >= 0) {
		zeros = sp->prec - (int)(t.len - mark);
		if (sp->prec == 0 && t.len - mark == 1 && t.data[mark] == '0')
			t.len = mark;
		while (zeros-- > 0 && rc == 0) {
			rc = ls_buf_addc(&t, '0');
			memmove(t.data + mark + 1, t.data + mark,
			    t.len - mark - 1);
			t.data[mark] = '0';
		}
	}
	if (rc == 0)
		rc = emit(b, sp, t.data ? t.data : "", t.len, sp->prec < 0);
	ls_buf_cleanup(&t);
	return rc;
}

static int
fmt_float(struct ls_buf *b, const struct spec *sp, double f)
{
	char tmp[400], g[48];
	int n = 0, prec = sp->prec;

	if (sp->verb == 'v' ||
	    ((sp->verb == 'g' || sp->verb == 'G') && prec < 0)) {
		bi_fmt_go_float(g, f, sp->verb == 'G');
		if (sp->plus && f >= 0)
			n = snprintf(tmp, sizeof tmp, "+%s", g);
		else if (sp->space && f >= 0)
			n = snprintf(tmp, sizeof tmp, " %s", g);
		else
			n = snprintf(tmp, sizeof tmp, "%s", g);
	} else {
		char v = sp->verb == 'F' ? 'f' : sp->verb;
		const char *sign = f >= 0 && sp->plus ? "+"
		    : f >= 0 && sp->space	      ? " "
						      : "";
		if (prec < 0)
			prec = 6;
		if (prec > 300)
			prec = 300;
		if (v == 'f')
			n = snprintf(tmp, sizeof tmp, "%s%.*f", sign, prec, f);
		else if (v == 'e')
			n = snprintf(tmp, sizeof tmp, "%s%.*e", sign, prec, f);
		else if (v == 'E')
			n = snprintf(tmp, sizeof tmp, "%s%.*E", sign, prec, f);
		else if (v == 'G')
			n = snprintf(tmp, sizeof tmp, "%s%.*G", sign, prec, f);
		else
			n = snprintf(tmp, sizeof tmp, "%s%.*g", sign, prec, f);
	}
	if (n < 0 || (size_t)n >= sizeof tmp)
		return ls_error_set(LS_ETOOBIG, "number too long to format");
	return emit(b, sp, tmp, (size_t)n, isfinite(f));
}

/* Code points Go's unicode.IsPrint rejects beyond the C0/C1 controls:
 * format characters, line and paragraph separators, private use and
 * surrogates (the common ones; Go's full tables are not copied). */
static int
go_nonprint(uint32_t r)
{
	static const uint32_t ranges[][2] = { { 0xAD, 0xAD }, { 0x600, 0x605 },
		{ 0x61C, 0x61C }, { 0x6DD, 0x6DD }, { 0x70F, 0x70F },
		{ 0x180E, 0x180E }, { 0x200B, 0x200F }, { 0x2028, 0x202E },
		{ 0x2060, 0x206F }, { 0xD800, 0xF8FF }, { 0xFEFF, 0xFEFF },
		{ 0xFFF9, 0xFFFB }, { 0xF0000, 0x10FFFF } };
	size_t i;

	for (i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++)
		if (r >= ranges[i][0] && r <= ranges[i][1])
			return 1;
	return 0;
}

/* One rune as strconv.Quote / QuoteRune write it; q is the quote. */
static int
quote_rune(struct ls_buf *b, uint32_t r, char q)
{
	static const char ctl[] = "\a\b\f\n\r\t\v", name[] = "abfnrtv";
	const char *c;
	char enc[4];

	if (r == (uint32_t)q || r == '\\') {
		if (ls_buf_addc(b, '\\') != 0)
			return LS_ETOOBIG;
		return ls_buf_addc(b, (char)r);
	}
	if (r != 0 && r < 0x20 && (c = strchr(ctl, (int)r)) != NULL)
		return ls_buf_addc(b, '\\') != 0
		    ? LS_ETOOBIG
		    : ls_buf_addc(b, name[c - ctl]);
	if (r < 0x20 || r == 0x7F)
		return ls_buf_addf(b, "\\x%02x", (unsigned)r);
	if ((r >= 0x80 && r < 0xA0) || (r < 0x10000 && go_nonprint(r)))
		return ls_buf_addf(b, "\\u%04x", (unsigned)r);
	if (r >= 0x10000 && go_nonprint(r))
		return ls_buf_addf(b, "\\U%08x", (unsigned)r);
	return ls_buf_add(b, enc, bi_utf8_encode(enc, r));
}

/* Go's strconv.Quote. */
static int
quote(struct ls_buf *b, const char *s, size_t len)
{
	size_t i = 0, w;
	int rc = ls_buf_addc(b, '"');

	while (i < len && rc == 0) {
		uint32_t r = bi_utf8_decode(s + i, len - i, &w);

		if (r == 0xFFFD && w == 1 && (unsigned char)s[i] >= 0x80)
			rc = ls_buf_addf(b, "\\x%02x", (unsigned char)s[i]);
		else
			rc = quote_rune(b, r, '"');
		i += w;
	}
	if (rc == 0)
		rc = ls_buf_addc(b, '"');
	return rc;
}

static int
fmt_string(struct ls_buf *b, const struct spec *sp, const char *s, size_t len)
{
	struct ls_buf t;
	size_t i, n = len, w;
	int rc = 0, k;

	if (sp->prec >= 0) {
		for (i = 0, k = 0; i < len && k < sp->prec; k++) {
			bi_utf8_decode(s + i, len - i, &w);
			i += w;
		}
		n = i;
	}
	if (sp->verb == 's' || sp->verb == 'v')
		return emit(b, sp, s, n, 0);
	ls_buf_init(&t, 1 << 24);
	if (sp->verb == 'q') {
		rc = quote(&t, s, len);
	} else {
		for (i = 0; i < len && rc == 0; i++) {
			if (sp->space && i > 0)
				rc = ls_buf_addc(&t, ' ');
			if (rc == 0 && sp->sharp && (sp->space || i == 0))
				rc = ls_buf_adds(&t,
				    sp->verb == 'X' ? "0X" : "0x");
			if (rc == 0)
				rc = ls_buf_addf(&t,
				    sp->verb == 'X' ? "%02X" : "%02x",
				    (unsigned char)s[i]);
		}
	}
	if (rc == 0)
		rc = emit(b, sp, t.data ? t.data : "", t.len, 0);
	ls_buf_cleanup(&t);
	return rc;
}

static const char *
type_name(const struct bi_fmt_arg *a)
{
	switch (a->kind) {
	case BI_FMT_INT: return a->len > 18 ? "*big.Int" : "int";
	case BI_FMT_FLOAT: return "float64";
	case BI_FMT_BOOL: return "bool";
	default: return "string";
	}
}

/* The %v text of an argument, for complaints. */
static int
plain(struct ls_buf *b, const struct bi_fmt_arg *a)
{
	char g[48];

	switch (a->kind) {
	case BI_FMT_FLOAT:
		bi_fmt_go_float(g, a->f, 0);
		return ls_buf_adds(b, g);
	case BI_FMT_BOOL: return ls_buf_adds(b, a->b ? "true" : "false");
	default: return ls_buf_add(b, a->str, a->len);
	}
}

static int
bad_verb(struct ls_buf *b, char verb, const struct bi_fmt_arg *a)
{
	int rc = ls_buf_addf(b, "%%!%c(%s=", verb, type_name(a));

	if (rc == 0)
		rc = plain(b, a);
	if (rc == 0)
		rc = ls_buf_addc(b, ')');
	return rc;
}

static int
fmt_arg(struct ls_buf *b, const struct spec *sp, const struct bi_fmt_arg *a)
{
	char v = sp->verb;
	int big = a->kind == BI_FMT_INT && a->len > 18;

	switch (a->kind) {
	case BI_FMT_INT:
		if (strchr("bdoOxXv", v) != NULL || (big && v == 's'))
			return fmt_int(b, sp, a->str, a->len);
		if (v == 'c' && !big) {
			char enc[4];
			long r = strtol(a->str, NULL, 10);
			return emit(b, sp, enc,
			    bi_utf8_encode(enc, r < 0 ? 0xFFFD : (uint32_t)r),
			    0);
		}
		if (v == 'q' && !big) { /* strconv.QuoteRune */
			struct ls_buf t;
			int rc;
			long r = strtol(a->str, NULL, 10);
			if (r < 0 || r > 0x10FFFF ||
			    (r >= 0xD800 && r < 0xE000))
				r = 0xFFFD;
			ls_buf_init(&t, 64);
			rc = ls_buf_addc(&t, '\'');
			if (rc == 0)
				rc = quote_rune(&t, (uint32_t)r, '\'');
			if (rc == 0)
				rc = ls_buf_addc(&t, '\'');
			if (rc == 0)
				rc = emit(b, sp, t.data, t.len, 0);
			ls_buf_cleanup(&t);
			return rc;
		}
		if (v == 'U' && !big) {
			struct spec s2 = *sp;
			char u[32];
			long r = strtol(a->str, NULL, 10);
			s2.prec = -1;
			snprintf(u, sizeof u, "U+%04lX", r);
			return emit(b, &s2, u, strlen(u), 0);
		}
		return bad_verb(b, v, a);
	case BI_FMT_FLOAT:
		if (strchr("eEfFgGv", v) != NULL)
			return fmt_float(b, sp, a->f);
		return bad_verb(b, v, a);
	case BI_FMT_BOOL:
		if (v == 't' || v == 'v')
			return emit(b, sp, a->b ? "true" : "false",
			    a->b ? 4 : 5, 0);
		return bad_verb(b, v, a);
	default:
		if (strchr("sqvxX", v) != NULL)
			return fmt_string(b, sp, a->str, a->len);
		return bad_verb(b, v, a);
	}
}

static int
parse_num(const char *f, size_t n, size_t *i, int *out)
{
	int v = 0, any = 0;

	while (*i < n && f[*i] >= '0' && f[*i] <= '9') {
		v = v * 10 + (f[*i] - '0');
		if (v > FMT_MAX_WIDTH)
			return ls_error_set(LS_ETOOBIG,
			    "format width too large");
		(*i)++;
		any = 1;
	}
	*out = any ? v : -1;
	return 0;
}

/* Go's argNumber: an explicit "[n]" argument index at f[*i]. */
static void
arg_index(const char *f, size_t n, size_t *i, size_t *argi, size_t nargs,
    int *bad, int *reordered)
{
	size_t k = *i + 1, v = 0;

	if (*i >= n || f[*i] != '[')
		return;
	*reordered = 1;
	while (k < n && f[k] >= '0' && f[k] <= '9' && v < 100000)
		v = v * 10 + (size_t)(f[k++] - '0');
	if (k >= n || f[k] != ']' || k == *i + 1 || v < 1 || v > nargs) {
		*bad = 1;
		while (k < n && f[k] != ']')
			k++;
		*i = k < n ? k + 1 : k;
		return;
	}
	*argi = v - 1;
	*i = k + 1;
}

/* Flags, [index], width, precision and verb of one directive; *i is
 * just past the '%'.  0, or 1 when the format ended early. */
static int
parse_spec(const char *f, size_t n, size_t *i, struct spec *sp, size_t *argi,
    size_t nargs, int *bad, int *reordered)
{
	int indexed;

	memset(sp, 0, sizeof *sp);
	sp->width = sp->prec = -1;
	for (; *i < n; (*i)++) {
		if (f[*i] == '-')
			sp->minus = 1, sp->zero = 0;
		else if (f[*i] == '+')
			sp->plus = 1;
		else if (f[*i] == '#')
			sp->sharp = 1;
		else if (f[*i] == ' ')
			sp->space = 1;
		else if (f[*i] == '0')
			sp->zero = !sp->minus;
		else
			break;
	}
	indexed = *i < n && f[*i] == '[';
	arg_index(f, n, i, argi, nargs, bad, reordered);
	if (parse_num(f, n, i, &sp->width) != 0)
		return -1;
	if (*i < n && f[*i] == '.') {
		(*i)++;
		arg_index(f, n, i, argi, nargs, bad, reordered);
		if (parse_num(f, n, i, &sp->prec) != 0)
			return -1;
		if (sp->prec < 0)
			sp->prec = 0;
	}
	if (!indexed)
		arg_index(f, n, i, argi, nargs, bad, reordered);
	if (*i >= n)
		return 1;
	sp->verb = f[(*i)++];
	return 0;
}

static int
extra_args(struct ls_buf *b, const struct bi_fmt_arg *args, size_t argi,
    size_t nargs)
{
	int rc = ls_buf_adds(b, "%!(EXTRA ");

	for (; argi < nargs && rc == 0; argi++) {
		rc = ls_buf_addf(b, "%s=", type_name(&args[argi]));
		if (rc == 0)
			rc = plain(b, &args[argi]);
		if (rc == 0 && argi + 1 < nargs)
			rc = ls_buf_adds(b, ", ");
	}
	return rc ? rc : ls_buf_addc(b, ')');
}

int
bi_fmt_sprintf(struct ls_buf *b, const char *f, size_t n,
    const struct bi_fmt_arg *args, size_t nargs)
{
	size_t i = 0, argi = 0, start;
	int rc = 0, reordered = 0;

	while (i < n && rc == 0) {
		struct spec sp;
		int bad = 0, end;

		if (f[i] != '%') {
			start = i;
			while (i < n && f[i] != '%')
				i++;
			rc = ls_buf_add(b, f + start, i - start);
			continue;
		}
		i++;
		if ((end = parse_spec(f, n, &i, &sp, &argi, nargs, &bad,
			 &reordered)) < 0)
			return ls_error_set(LS_ETOOBIG,
			    "format width too large");
		if (end) {
			rc = ls_buf_adds(b, "%!(NOVERB)");
			break;
		}
		if (sp.verb == '%')
			rc = ls_buf_addc(b, '%');
		else if (bad)
			rc = ls_buf_addf(b, "%%!%c(BADINDEX)", sp.verb);
		else if (argi >= nargs)
			rc = ls_buf_addf(b, "%%!%c(MISSING)", sp.verb);
		else if (sp.verb == 'T') {
			const char *t = type_name(&args[argi++]);
			rc = emit(b, &sp, t, strlen(t), 0);
		} else
			rc = fmt_arg(b, &sp, &args[argi++]);
	}
	if (rc == 0 && !reordered && argi < nargs)
		rc = extra_args(b, args, argi, nargs);
	return rc;
}
