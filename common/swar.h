/*
 * swar.h - eight bytes at a time in a 64-bit word, for the scanners of
 * record lines (agent/dectext.c, server/decrecord.c): find the first
 * byte of a class (a quote, a backslash, a control character, a
 * non-ASCII byte) without a branch per byte.
 *
 * Each test sets the high bit of the bytes that match, and of none
 * before the first that does: a borrow only runs upwards from a byte
 * that matched, so the lowest bit set is exact (the bytes above it may
 * be wrong, and are never used).  ls_swar_first turns it into the
 * index of that byte.
 */
#ifndef LOCKSTEP_SWAR_H
#define LOCKSTEP_SWAR_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define LS_SWAR_1 0x0101010101010101ull
#define LS_SWAR_80 0x8080808080808080ull

/* Eight bytes from p, the first in the low byte whatever the machine. */
static inline uint64_t
ls_swar_load(const void *p)
{
	uint64_t w;

	memcpy(&w, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	w = __builtin_bswap64(w);
#endif
	return w;
}

/* The bytes of w equal to b. */
static inline uint64_t
ls_swar_eq(uint64_t w, unsigned char b)
{
	uint64_t x = w ^ (b * LS_SWAR_1);

	return (x - LS_SWAR_1) & ~x & LS_SWAR_80;
}

/* The bytes of w below b (b <= 0x80). */
static inline uint64_t
ls_swar_below(uint64_t w, unsigned char b)
{
	return (w - b * LS_SWAR_1) & ~w & LS_SWAR_80;
}

/* The bytes of w at 0x80 or above. */
static inline uint64_t
ls_swar_high(uint64_t w)
{
	return w & LS_SWAR_80;
}

/* The index (0..7) of the first byte a mask marks; 8 when none. */
static inline size_t
ls_swar_first(uint64_t m)
{
	return m == 0 ? 8 : (size_t)__builtin_ctzll(m) / 8;
}

#endif
