/* merkle.c - RFC 6962 tree hashing, frontier, inclusion proofs. */
#include <string.h>

#include <sodium.h>

#include "lockstep/error.h"
#include "merkle.h"

void
ls_merkle_leaf(uint8_t out[LS_SHA256_LEN], const void *data, size_t len)
{
	const uint8_t zero = 0x00;

	ls_sha256_parts(out, &zero, 1, data, len);
}

void
ls_merkle_node(uint8_t out[LS_SHA256_LEN], const uint8_t l[LS_SHA256_LEN],
    const uint8_t r[LS_SHA256_LEN])
{
	uint8_t buf[1 + 2 * LS_SHA256_LEN];

	buf[0] = 0x01;
	memcpy(buf + 1, l, LS_SHA256_LEN);
	memcpy(buf + 1 + LS_SHA256_LEN, r, LS_SHA256_LEN);
	ls_sha256(out, buf, sizeof(buf));
}

void
ls_merkle_frontier_init(struct ls_merkle_frontier *f)
{
	memset(f, 0, sizeof(*f));
}

void
ls_merkle_frontier_add(struct ls_merkle_frontier *f,
    const uint8_t leaf[LS_SHA256_LEN])
{
	unsigned height = 0;

	memcpy(f->h[f->n], leaf, LS_SHA256_LEN);
	f->height[f->n] = 0;
	f->n++;
	/* Merge equal-height neighbours, like carrying in binary addition. */
	while (f->n >= 2 && f->height[f->n - 2] == f->height[f->n - 1]) {
		height = f->height[f->n - 1] + 1;
		ls_merkle_node(f->h[f->n - 2], f->h[f->n - 2], f->h[f->n - 1]);
		f->height[f->n - 2] = height;
		f->n--;
	}
	f->size++;
}

void
ls_merkle_frontier_root(const struct ls_merkle_frontier *f,
    uint8_t out[LS_SHA256_LEN])
{
	size_t i;

	if (f->n == 0) {
		crypto_hash_sha256(out, (const uint8_t *)"", 0);
		return;
	}
	/* Fold from the right: the RFC 6962 split puts the largest perfect
	 * subtree on the left at every level. */
	memcpy(out, f->h[f->n - 1], LS_SHA256_LEN);
	for (i = f->n - 1; i > 0; i--)
		ls_merkle_node(out, f->h[i - 1], out);
}

static uint64_t
split(uint64_t n) /* largest power of two smaller than n (n >= 2) */
{
	uint64_t k = 1;

	while (k << 1 < n)
		k <<= 1;
	return k;
}

void
ls_merkle_root(uint8_t out[LS_SHA256_LEN],
    const uint8_t (*leaves)[LS_SHA256_LEN], uint64_t n)
{
	uint8_t l[LS_SHA256_LEN], r[LS_SHA256_LEN];
	uint64_t k;

	if (n == 0) {
		crypto_hash_sha256(out, (const uint8_t *)"", 0);
		return;
	}
	if (n == 1) {
		memcpy(out, leaves[0], LS_SHA256_LEN);
		return;
	}
	k = split(n);
	ls_merkle_root(l, leaves, k);
	ls_merkle_root(r, leaves + k, n - k);
	ls_merkle_node(out, l, r);
}

static void
path(uint8_t proof[LS_MERKLE_MAX_PROOF][LS_SHA256_LEN], size_t *len,
    const uint8_t (*leaves)[LS_SHA256_LEN], uint64_t m, uint64_t n)
{
	uint64_t k;

	if (n <= 1)
		return;
	k = split(n);
	if (m < k) {
		path(proof, len, leaves, m, k);
		ls_merkle_root(proof[(*len)++], leaves + k, n - k);
	} else {
		path(proof, len, leaves + k, m - k, n - k);
		ls_merkle_root(proof[(*len)++], leaves, k);
	}
}

int
ls_merkle_inclusion(uint8_t proof[LS_MERKLE_MAX_PROOF][LS_SHA256_LEN],
    size_t *len_out, const uint8_t (*leaves)[LS_SHA256_LEN], uint64_t m,
    uint64_t n)
{
	*len_out = 0;
	if (m >= n)
		return ls_error_set(LS_EINVAL,
		    "leaf %llu not in a tree of %llu", (unsigned long long)m,
		    (unsigned long long)n);
	path(proof, len_out, leaves, m, n);
	return 0;
}

int
ls_merkle_verify_inclusion(const uint8_t leaf[LS_SHA256_LEN], uint64_t m,
    uint64_t n, const uint8_t (*proof)[LS_SHA256_LEN], size_t len,
    const uint8_t root[LS_SHA256_LEN])
{
	uint8_t r[LS_SHA256_LEN];
	uint64_t fn = m, sn = n - 1;
	size_t i;

	if (m >= n)
		return ls_error_set(LS_EMISMATCH, "inclusion: index past size");
	memcpy(r, leaf, LS_SHA256_LEN);
	for (i = 0; i < len; i++) {
		if (sn == 0)
			return ls_error_set(LS_EMISMATCH,
			    "inclusion: proof "
			    "too long");
		if ((fn & 1) || fn == sn) {
			ls_merkle_node(r, proof[i], r);
			while (!(fn & 1) && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else {
			ls_merkle_node(r, r, proof[i]);
		}
		fn >>= 1;
		sn >>= 1;
	}
	if (sn != 0 || sodium_memcmp(r, root, LS_SHA256_LEN) != 0)
		return ls_error_set(LS_EMISMATCH,
		    "inclusion proof does not "
		    "lead to the root");
	return 0;
}

/* RFC 6962 2.1.2 SUBPROOF over leaves[0..n), the reference. */
static void
subproof(uint8_t proof[LS_MERKLE_MAX_PROOF][LS_SHA256_LEN], size_t *len,
    const uint8_t (*leaves)[LS_SHA256_LEN], uint64_t m, uint64_t n, int b)
{
	uint64_t k;

	if (m == n) {
		if (!b)
			ls_merkle_root(proof[(*len)++], leaves, n);
		return;
	}
	k = split(n);
	if (m <= k) {
		subproof(proof, len, leaves, m, k, b);
		ls_merkle_root(proof[(*len)++], leaves + k, n - k);
	} else {
		subproof(proof, len, leaves + k, m - k, n - k, 0);
		ls_merkle_root(proof[(*len)++], leaves, k);
	}
}

int
ls_merkle_consistency(uint8_t proof[LS_MERKLE_MAX_PROOF][LS_SHA256_LEN],
    size_t *len_out, const uint8_t (*leaves)[LS_SHA256_LEN], uint64_t m,
    uint64_t n)
{
	*len_out = 0;
	if (m > n)
		return ls_error_set(LS_EINVAL,
		    "consistency: size %llu is past %llu",
		    (unsigned long long)m, (unsigned long long)n);
	if (m > 0 && m < n)
		subproof(proof, len_out, leaves, m, n, 1);
	return 0;
}

int
ls_merkle_verify_consistency(uint64_t m, uint64_t n,
    const uint8_t (*proof)[LS_SHA256_LEN], size_t len,
    const uint8_t root1[LS_SHA256_LEN], const uint8_t root2[LS_SHA256_LEN])
{
	uint8_t fr[LS_SHA256_LEN], sr[LS_SHA256_LEN];
	uint64_t fn, sn;
	size_t i = 0;

	if (m > n ||
	    (m == n &&
		(len != 0 || sodium_memcmp(root1, root2, LS_SHA256_LEN))))
		return ls_error_set(LS_EMISMATCH, "consistency: bad sizes");
	if (m == n || m == 0)
		return len == 0 ? 0
				: ls_error_set(LS_EMISMATCH,
				      "consistency: proof not empty");
	if (len == 0)
		return ls_error_set(LS_EMISMATCH, "consistency: empty proof");
	fn = m - 1;
	sn = n - 1;
	while (fn & 1) {
		fn >>= 1;
		sn >>= 1;
	}
	if ((m & (m - 1)) == 0) { /* m is a power of two: root1 is first */
		memcpy(fr, root1, LS_SHA256_LEN);
	} else {
		memcpy(fr, proof[0], LS_SHA256_LEN);
		i = 1;
	}
	memcpy(sr, fr, LS_SHA256_LEN);
	for (; i < len; i++) {
		if (sn == 0)
			return ls_error_set(LS_EMISMATCH,
			    "consistency: proof too long");
		if ((fn & 1) || fn == sn) {
			ls_merkle_node(fr, proof[i], fr);
			ls_merkle_node(sr, proof[i], sr);
			while (!(fn & 1) && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else {
			ls_merkle_node(sr, sr, proof[i]);
		}
		fn >>= 1;
		sn >>= 1;
	}
	if (sn != 0 || sodium_memcmp(fr, root1, LS_SHA256_LEN) != 0 ||
	    sodium_memcmp(sr, root2, LS_SHA256_LEN) != 0)
		return ls_error_set(LS_EMISMATCH,
		    "consistency proof does not lead to both roots");
	return 0;
}

/* ---- the same from complete subtree hashes (tiles) ------------------- */

int
ls_merkle_range_fn(uint8_t out[LS_SHA256_LEN], ls_merkle_node_fn fn, void *arg,
    uint64_t a, uint64_t b)
{
	uint8_t l[LS_SHA256_LEN];
	uint64_t n = b - a, k;
	unsigned level = 0;
	int rc;

	if (b <= a)
		return ls_error_set(LS_EINVAL, "merkle: empty range");
	if ((n & (n - 1)) == 0 && (a & (n - 1)) == 0) { /* aligned, 2^k */
		while ((1ull << level) < n)
			level++;
		return fn(arg, level, a >> level, out);
	}
	k = split(n);
	if ((rc = ls_merkle_range_fn(l, fn, arg, a, a + k)) != 0 ||
	    (rc = ls_merkle_range_fn(out, fn, arg, a + k, b)) != 0)
		return rc;
	ls_merkle_node(out, l, out);
	return 0;
}

static int
path_fn(uint8_t proof[LS_MERKLE_MAX_PROOF][LS_SHA256_LEN], size_t *len,
    ls_merkle_node_fn fn, void *arg, uint64_t a, uint64_t m, uint64_t n)
{
	uint64_t k;
	int rc;

	if (n <= 1)
		return 0;
	k = split(n);
	if (m < k) {
		if ((rc = path_fn(proof, len, fn, arg, a, m, k)) != 0)
			return rc;
		return ls_merkle_range_fn(proof[(*len)++], fn, arg, a + k,
		    a + n);
	}
	if ((rc = path_fn(proof, len, fn, arg, a + k, m - k, n - k)) != 0)
		return rc;
	return ls_merkle_range_fn(proof[(*len)++], fn, arg, a, a + k);
}

int
ls_merkle_inclusion_fn(uint8_t proof[LS_MERKLE_MAX_PROOF][LS_SHA256_LEN],
    size_t *len_out, ls_merkle_node_fn fn, void *arg, uint64_t m, uint64_t n)
{
	*len_out = 0;
	if (m >= n)
		return ls_error_set(LS_EINVAL,
		    "leaf %llu not in a tree of %llu", (unsigned long long)m,
		    (unsigned long long)n);
	return path_fn(proof, len_out, fn, arg, 0, m, n);
}

static int
subproof_fn(uint8_t proof[LS_MERKLE_MAX_PROOF][LS_SHA256_LEN], size_t *len,
    ls_merkle_node_fn fn, void *arg, uint64_t a, uint64_t m, uint64_t n, int b)
{
	uint64_t k;
	int rc;

	if (m == n)
		return b
		    ? 0
		    : ls_merkle_range_fn(proof[(*len)++], fn, arg, a, a + n);
	k = split(n);
	if (m <= k) {
		if ((rc = subproof_fn(proof, len, fn, arg, a, m, k, b)) != 0)
			return rc;
		return ls_merkle_range_fn(proof[(*len)++], fn, arg, a + k,
		    a + n);
	}
	if ((rc = subproof_fn(proof, len, fn, arg, a + k, m - k, n - k, 0)) !=
	    0)
		return rc;
	return ls_merkle_range_fn(proof[(*len)++], fn, arg, a, a + k);
}

int
ls_merkle_consistency_fn(uint8_t proof[LS_MERKLE_MAX_PROOF][LS_SHA256_LEN],
    size_t *len_out, ls_merkle_node_fn fn, void *arg, uint64_t m, uint64_t n)
{
	*len_out = 0;
	if (m > n)
		return ls_error_set(LS_EINVAL,
		    "consistency: size %llu is past %llu",
		    (unsigned long long)m, (unsigned long long)n);
	if (m > 0 && m < n)
		return subproof_fn(proof, len_out, fn, arg, 0, m, n, 1);
	return 0;
}
