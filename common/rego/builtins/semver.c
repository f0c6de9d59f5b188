/* semver.c - Semantic Versioning 2.0.0 validation and precedence. */
#include <string.h>

#include "rego/builtins/lib.h"

struct semver {
	const char *core[3];
	size_t corelen[3];
	const char *pre; /* pre-release, NULL when absent */
	size_t prelen;
};

static int
numeric(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || (n > 1 && s[0] == '0'))
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* Dot-separated identifiers of [0-9A-Za-z-]; numeric ones without
 * leading zeros when strict. */
static int
idents(const char *s, size_t n, int strict)
{
	size_t i, start = 0;

	if (n == 0)
		return 0;
	for (i = 0; i <= n; i++) {
		if (i == n || s[i] == '.') {
			size_t k, len = i - start;
			int digits = 1;
			if (len == 0)
				return 0;
			for (k = start; k < i; k++)
				if (s[k] < '0' || s[k] > '9')
					digits = 0;
			if (strict && digits && len > 1 && s[start] == '0')
				return 0;
			start = i + 1;
			continue;
		}
		if (!((s[i] >= '0' && s[i] <= '9') ||
			(s[i] >= 'a' && s[i] <= 'z') ||
			(s[i] >= 'A' && s[i] <= 'Z') || s[i] == '-'))
			return 0;
	}
	return 1;
}

static int
parse(struct semver *v, const char *s, size_t len)
{
	const char *plus = memchr(s, '+', len), *dash;
	size_t end = plus ? (size_t)(plus - s) : len, i, start = 0;
	int part = 0;

	memset(v, 0, sizeof *v);
	if (plus && !idents(plus + 1, len - end - 1, 0))
		return 0;
	dash = memchr(s, '-', end);
	if (dash != NULL) {
		v->pre = dash + 1;
		v->prelen = end - (size_t)(dash - s) - 1;
		if (!idents(v->pre, v->prelen, 1))
			return 0;
		end = (size_t)(dash - s);
	}
	for (i = 0; i <= end; i++) {
		if (i == end || s[i] == '.') {
			if (part >= 3 || !numeric(s + start, i - start))
				return 0;
			v->core[part] = s + start;
			v->corelen[part++] = i - start;
			start = i + 1;
		}
	}
	return part == 3;
}

int
bi_semver_valid(const char *s, size_t len)
{
	struct semver v;

	return parse(&v, s, len);
}

static int
cmp_num(const char *a, size_t al, const char *b, size_t bl)
{
	int c;

	if (al != bl)
		return al < bl ? -1 : 1;
	if (al == 0) /* an unparsed part is NULL; memcmp(NULL, .., 0) is UB */
		return 0;
	c = memcmp(a, b, al);
	return c < 0 ? -1 : c > 0;
}

static int
cmp_pre(const char *a, size_t al, const char *b, size_t bl)
{
	size_t i = 0, j = 0;

	while (i < al && j < bl) {
		size_t ie = i, je = j;
		int an, bn, c;

		while (ie < al && a[ie] != '.')
			ie++;
		while (je < bl && b[je] != '.')
			je++;
		an = numeric(a + i, ie - i);
		bn = numeric(b + j, je - j);
		if (an && bn)
			c = cmp_num(a + i, ie - i, b + j, je - j);
		else if (an != bn)
			c = an ? -1 : 1;
		else {
			size_t n = ie - i < je - j ? ie - i : je - j;
			c = memcmp(a + i, b + j, n);
			c = c < 0   ? -1
			    : c > 0 ? 1
				    : (ie - i == je - j		? 0
					      : ie - i < je - j ? -1
								: 1);
		}
		if (c != 0)
			return c;
		i = ie < al ? ie + 1 : ie;
		j = je < bl ? je + 1 : je;
	}
	if (i >= al && j >= bl)
		return 0;
	return i >= al ? -1 : 1;
}

int
bi_semver_compare(const char *a, size_t alen, const char *b, size_t blen)
{
	struct semver x, y;
	int i, c;

	parse(&x, a, alen);
	parse(&y, b, blen);
	for (i = 0; i < 3; i++)
		if ((c = cmp_num(x.core[i], x.corelen[i], y.core[i],
			 y.corelen[i])) != 0)
			return c;
	if (x.pre == NULL || y.pre == NULL)
		return x.pre == y.pre ? 0 : x.pre == NULL ? 1 : -1;
	return cmp_pre(x.pre, x.prelen, y.pre, y.prelen);
}
