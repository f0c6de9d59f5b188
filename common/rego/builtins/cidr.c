/*
 * cidr.c - IPv4/IPv6 addresses and networks with Go's net.ParseIP /
 * ParseCIDR syntax (no leading zeros in IPv4 octets, "::" shorthand,
 * trailing dotted IPv4 in IPv6), containment and net.cidr_merge.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lockstep/error.h"
#include "rego/builtins/lib.h"

static int
parse_v4(uint8_t out[4], const char *s, size_t len)
{
	size_t i = 0;
	int part;

	for (part = 0; part < 4; part++) {
		unsigned v = 0;
		size_t start = i;

		if (part > 0) {
			if (i >= len || s[i] != '.')
				return -1;
			start = ++i;
		}
		while (i < len && s[i] >= '0' && s[i] <= '9' && i - start < 4)
			v = v * 10 + (unsigned)(s[i++] - '0');
		if (i == start || v > 255 || (i - start > 1 && s[start] == '0'))
			return -1;
		out[part] = (uint8_t)v;
	}
	return i == len ? 0 : -1;
}

static int
hexdig(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if ((c | 32) >= 'a' && (c | 32) <= 'f')
		return (c | 32) - 'a' + 10;
	return -1;
}

static int
parse_v6(uint8_t out[16], const char *s, size_t len)
{
	size_t i = 0;
	int n = 0, gap = -1;

	memset(out, 0, 16);
	if (len >= 2 && s[0] == ':' && s[1] == ':') {
		gap = 0;
		i = 2;
		if (len == 2)
			return 0;
	}
	while (i < len) {
		unsigned v = 0;
		size_t start = i;
		const char *dot;

		if (n >= 16)
			return -1;
		dot = memchr(s + i, '.', len - i);
		if (dot != NULL &&
		    memchr(s + i, ':', (size_t)(dot - s) - i) == NULL) {
			if (n > 12 || parse_v4(out + n, s + i, len - i) != 0)
				return -1;
			n += 4;
			break;
		}
		while (i < len && hexdig(s[i]) >= 0 && i - start < 4)
			v = v * 16 + (unsigned)hexdig(s[i++]);
		if (i == start)
			return -1;
		out[n++] = (uint8_t)(v >> 8);
		out[n++] = (uint8_t)v;
		if (i == len)
			break;
		if (s[i] != ':')
			return -1;
		i++;
		if (i < len && s[i] == ':') {
			if (gap >= 0)
				return -1;
			gap = n;
			i++;
			if (i == len)
				break;
		} else if (i == len) {
			return -1;
		}
	}
	if (gap < 0)
		return n == 16 ? 0 : -1;
	if (n == 16)
		return -1;
	memmove(out + 16 - (n - gap), out + gap, (size_t)(n - gap));
	memset(out + gap, 0, (size_t)(16 - n));
	return 0;
}

int
bi_ip_parse(struct bi_net *out, const char *s, size_t len)
{
	memset(out, 0, sizeof *out);
	if (memchr(s, ':', len) == NULL) {
		if (parse_v4(out->addr, s, len) != 0)
			return ls_error_set(LS_EFORMAT, "invalid IP address");
		out->bits = 32;
		return 0;
	}
	if (parse_v6(out->addr, s, len) != 0)
		return ls_error_set(LS_EFORMAT, "invalid IP address");
	out->v6 = 1;
	out->bits = 128;
	return 0;
}

int
bi_cidr_parse(struct bi_net *out, const char *s, size_t len)
{
	const char *slash = memchr(s, '/', len);
	size_t i;
	int bits = 0;

	memset(out, 0, sizeof *out);
	if (slash == NULL || bi_ip_parse(out, s, (size_t)(slash - s)) != 0)
		goto bad;
	i = (size_t)(slash - s) + 1;
	if (i >= len || len - i > 3 || (len - i > 1 && s[i] == '0'))
		goto bad;
	for (; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			goto bad;
		bits = bits * 10 + (s[i] - '0');
	}
	if (bits > (out->v6 ? 128 : 32))
		goto bad;
	out->bits = bits;
	return 0;
bad:
	return ls_error_set(LS_EFORMAT, "invalid CIDR address: %.*s",
	    (int)(len > 100 ? 100 : len), s);
}

static int
nbytes(const struct bi_net *n)
{
	return n->v6 ? 16 : 4;
}

void
bi_net_mask(struct bi_net *n)
{
	int i;

	for (i = 0; i < nbytes(n); i++) {
		int keep = n->bits - i * 8;
		if (keep <= 0)
			n->addr[i] = 0;
		else if (keep < 8)
			n->addr[i] &= (uint8_t)(0xFF << (8 - keep));
	}
}

/* a's network holds address b (first a->bits bits equal). */
static int
prefix_has(const struct bi_net *a, const uint8_t *b)
{
	int i;

	for (i = 0; i < a->bits / 8; i++)
		if (a->addr[i] != b[i])
			return 0;
	if (a->bits % 8) {
		uint8_t m = (uint8_t)(0xFF << (8 - a->bits % 8));
		if ((a->addr[i] & m) != (b[i] & m))
			return 0;
	}
	return 1;
}

int
bi_net_contains(const struct bi_net *a, const struct bi_net *b)
{
	return a->v6 == b->v6 && a->bits <= b->bits && prefix_has(a, b->addr);
}

int
bi_net_intersects(const struct bi_net *a, const struct bi_net *b)
{
	if (a->v6 != b->v6)
		return 0;
	return a->bits <= b->bits ? prefix_has(a, b->addr)
				  : prefix_has(b, a->addr);
}

void
bi_net_format(char out[64], const struct bi_net *n, int with_bits)
{
	int pos = 0, i, best = -1, bestlen = 0;

	if (!n->v6) {
		pos = snprintf(out, 64, "%u.%u.%u.%u", n->addr[0], n->addr[1],
		    n->addr[2], n->addr[3]);
	} else {
		for (i = 0; i < 8; i++) {
			int j = i;
			while (j < 8 && n->addr[2 * j] == 0 &&
			    n->addr[2 * j + 1] == 0)
				j++;
			if (j - i > bestlen && j - i >= 2) {
				best = i;
				bestlen = j - i;
			}
			if (j > i)
				i = j - 1;
		}
		for (i = 0; i < 8; i++) {
			if (i == best) {
				pos += snprintf(out + pos, (size_t)(64 - pos),
				    "::");
				i += bestlen - 1;
				continue;
			}
			pos += snprintf(out + pos, (size_t)(64 - pos), "%s%x",
			    i > 0 && i != best + bestlen ? ":" : "",
			    (unsigned)(n->addr[2 * i] << 8 |
				n->addr[2 * i + 1]));
		}
	}
	if (with_bits)
		snprintf(out + pos, (size_t)(64 - pos), "/%d", n->bits);
}

int
bi_net_next(struct bi_net *n)
{
	int i;

	for (i = nbytes(n) - 1; i >= 0; i--)
		if (++n->addr[i] != 0)
			return 0;
	return 1;
}

static int
net_cmp(const void *x, const void *y)
{
	const struct bi_net *a = x, *b = y;
	int c;

	if (a->v6 != b->v6)
		return a->v6 - b->v6;
	if ((c = memcmp(a->addr, b->addr, 16)) != 0)
		return c;
	return a->bits - b->bits;
}

/* a and b are the two halves of one network one bit shorter. */
static int
siblings(const struct bi_net *a, const struct bi_net *b)
{
	struct bi_net p = *a;
	int byte, bit;

	if (a->v6 != b->v6 || a->bits != b->bits || a->bits == 0)
		return 0;
	p.bits = a->bits - 1;
	if (!prefix_has(&p, b->addr))
		return 0;
	byte = (a->bits - 1) / 8;
	bit = 7 - (a->bits - 1) % 8;
	return ((a->addr[byte] >> bit) & 1) == 0 &&
	    ((b->addr[byte] >> bit) & 1) == 1;
}

void
bi_net_merge(struct bi_net *v, size_t *n)
{
	size_t i, k;
	int changed = 1;

	for (i = 0; i < *n; i++)
		bi_net_mask(&v[i]);
	while (changed) {
		changed = 0;
		qsort(v, *n, sizeof *v, net_cmp);
		for (i = 0, k = 0; i < *n; i++) {
			if (k > 0 && bi_net_contains(&v[k - 1], &v[i])) {
				changed = 1;
				continue;
			}
			if (k > 0 && siblings(&v[k - 1], &v[i])) {
				v[k - 1].bits--;
				changed = 1;
				continue;
			}
			v[k++] = v[i];
		}
		*n = k;
	}
}
