/*
 * uuid.c - uuid.parse (google/uuid syntax and fields, as OPA reports
 * them), uuid.rfc4122, and the per-evaluation draws behind it and
 * rand.intn.
 *
 * OPA caches a random draw per key for the length of a query.  Builtins
 * here keep no state between calls, so a draw is instead derived with a
 * keyed BLAKE2b over (the evaluation's fixed "now", the key): equal
 * within one evaluation, unpredictable without the process's random
 * secret, and different between evaluations.
 */
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "rego/builtins/internal.h"

static unsigned char draw_secret[crypto_generichash_KEYBYTES];
static pthread_once_t draw_once = PTHREAD_ONCE_INIT;

static void
draw_init(void)
{
	if (sodium_init() < 0)
		return;
	randombytes_buf(draw_secret, sizeof draw_secret);
}

/* n bytes (<= 64) for (tag, key) in this evaluation. */
static void
draw(unsigned char *out, size_t n, const struct ls_bi_ctx *ctx, const char *tag,
    const char *key, size_t klen)
{
	crypto_generichash_state st;
	unsigned char now[8];
	int i;

	pthread_once(&draw_once, draw_init);
	for (i = 0; i < 8; i++)
		now[i] = (unsigned char)((uint64_t)ctx->now_ns >> (8 * i));
	crypto_generichash_init(&st, draw_secret, sizeof draw_secret, n);
	crypto_generichash_update(&st, now, sizeof now);
	crypto_generichash_update(&st, (const unsigned char *)tag,
	    strlen(tag) + 1);
	crypto_generichash_update(&st, (const unsigned char *)key, klen);
	crypto_generichash_final(&st, out, n);
}

int
ls_bi_rand_intn(BI_ARGS)
{
	unsigned char b[8];
	const char *s;
	size_t sl;
	int64_t n;
	uint64_t h = 0;
	int rc, i;

	(void)nargs;
	if ((rc = bi_arg_str(ctx, args, 0, &s, &sl)) != 0 ||
	    (rc = bi_arg_int(ctx, args, 1, &n)) != 0)
		return rc;
	if (n == 0)
		return bi_ret(out, ls_val_int(ctx->arena, 0));
	if (n < 0)
		n = -n;
	draw(b, sizeof b, ctx, "rand.intn", s, sl);
	for (i = 0; i < 8; i++)
		h = h << 8 | b[i];
	/* the key includes n, as OPA's cache key does */
	h ^= (uint64_t)n * 0x9E3779B97F4A7C15ULL;
	return bi_ret(out, ls_val_int(ctx->arena, (int64_t)(h % (uint64_t)n)));
}

int
ls_bi_uuid_rfc4122(BI_ARGS)
{
	unsigned char u[16];
	char txt[37];
	struct ls_buf key;
	int rc;

	(void)nargs;
	if ((rc = bi_arg_type(ctx, args, 0, LS_VAL_STRING, "string")) != 0)
		return rc;
	ls_buf_init(&key, BI_MAX_STRING);
	if (ls_val_to_rego(&key, args[0]) != 0) {
		ls_buf_cleanup(&key);
		return LS_BI_ENOMEM;
	}
	draw(u, sizeof u, ctx, "uuid.rfc4122", key.data, key.len);
	ls_buf_cleanup(&key);
	u[8] = (unsigned char)((u[8] & 0x3F) | 0x80);
	u[6] = (unsigned char)((u[6] & 0x0F) | 0x40);
	snprintf(txt, sizeof txt,
	    "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x",
	    u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10],
	    u[11], u[12], u[13], u[14], u[15]);
	return bi_ret(out, ls_val_cstring(ctx->arena, txt));
}

static int
hexv(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if ((c | 32) >= 'a' && (c | 32) <= 'f')
		return (c | 32) - 'a' + 10;
	return -1;
}

/* google/uuid Parse: plain, {braced}, urn:uuid: or 32 hex digits. */
static int
uuid_parse(unsigned char u[16], const char *s, size_t n)
{
	static const int pos[16] = { 0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26,
		28, 30, 32, 34 };
	int i, hi, lo;

	if (n == 45 && strncasecmp(s, "urn:uuid:", 9) == 0)
		s += 9, n -= 9;
	else if (n == 38 && s[0] == '{' && s[37] == '}')
		s++, n -= 2;
	if (n == 32) {
		for (i = 0; i < 16; i++) {
			if ((hi = hexv(s[2 * i])) < 0 ||
			    (lo = hexv(s[2 * i + 1])) < 0)
				return -1;
			u[i] = (unsigned char)(hi << 4 | lo);
		}
		return 0;
	}
	if (n != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' ||
	    s[23] != '-')
		return -1;
	for (i = 0; i < 16; i++) {
		if ((hi = hexv(s[pos[i]])) < 0 ||
		    (lo = hexv(s[pos[i] + 1])) < 0)
			return -1;
		u[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

static const char *
variant(const unsigned char u[16])
{
	if ((u[8] & 0xC0) == 0x80)
		return "RFC4122";
	if ((u[8] & 0xE0) == 0xC0)
		return "Microsoft";
	if ((u[8] & 0xE0) == 0xE0)
		return "Future";
	return "Reserved";
}

static const char *
mac_vars(unsigned char b)
{
	if ((b & 3) == 3)
		return "local:multicast";
	if (b & 1)
		return "global:multicast";
	if (b & 2)
		return "local:unicast";
	return "global:unicast";
}

int
ls_bi_uuid_parse(BI_ARGS)
{
	const struct ls_val *k[8], *v[8];
	unsigned char u[16];
	char node[18], dom[16];
	size_t n = 0;
	int version;

	(void)nargs;
	if (args[0]->type != LS_VAL_STRING)
		return ls_bi_type_error(ctx, 1, "string", args[0]);
	if (uuid_parse(u, args[0]->u.str.p, args[0]->u.str.len) != 0)
		return LS_BI_UNDEF;
	version = u[6] >> 4;
	k[n] = ls_val_cstring(ctx->arena, "version");
	v[n++] = ls_val_int(ctx->arena, version);
	k[n] = ls_val_cstring(ctx->arena, "variant");
	v[n++] = ls_val_cstring(ctx->arena, variant(u));
	if (version == 1 || version == 2) {
		int64_t t =
		    (int64_t)(((uint64_t)(((u[6] << 8) | u[7]) & 0xFFF) << 48) |
			((uint64_t)((u[4] << 8) | u[5]) << 32));
		t |= (int64_t)((uint64_t)u[0] << 24 | (uint64_t)u[1] << 16 |
		    (uint64_t)u[2] << 8 | u[3]);
		t -= 122192928000000000LL; /* 1582-10-15 to 1970-01-01 */
		k[n] = ls_val_cstring(ctx->arena, "time");
		v[n++] = ls_val_int(ctx->arena, t * 100);
		snprintf(node, sizeof node, "%02x-%02x-%02x-%02x-%02x-%02x",
		    u[10], u[11], u[12], u[13], u[14], u[15]);
		k[n] = ls_val_cstring(ctx->arena, "nodeid");
		v[n++] = ls_val_cstring(ctx->arena, node);
		k[n] = ls_val_cstring(ctx->arena, "macvariables");
		v[n++] = ls_val_cstring(ctx->arena, mac_vars(u[10]));
		k[n] = ls_val_cstring(ctx->arena, "clocksequence");
		v[n++] = ls_val_int(ctx->arena, ((u[8] << 8) | u[9]) & 0x3FFF);
		if (version == 2) {
			k[n] = ls_val_cstring(ctx->arena, "id");
			v[n++] = ls_val_int(ctx->arena,
			    (int64_t)((uint32_t)u[0] << 24 |
				(uint32_t)u[1] << 16 | (uint32_t)u[2] << 8 |
				u[3]));
			if (u[9] <= 2)
				snprintf(dom, sizeof dom, "%s",
				    u[9] == 0	    ? "Person"
					: u[9] == 1 ? "Group"
						    : "Org");
			else
				snprintf(dom, sizeof dom, "Domain%d", u[9]);
			k[n] = ls_val_cstring(ctx->arena, "domain");
			v[n++] = ls_val_cstring(ctx->arena, dom);
		}
	}
	for (size_t i = 0; i < n; i++)
		if (k[i] == NULL || v[i] == NULL)
			return LS_BI_ENOMEM;
	return bi_ret(out, ls_val_object(ctx->arena, k, v, n, NULL));
}
