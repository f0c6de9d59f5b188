/* key.c - Ed25519 signing keys and signed-note verifier keys (libsodium). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "lockstep/error.h"
#include "lockstep/file.h"
#include "lockstep/hash.h"
#include "lockstep/key.h"
#include "lockstep/secret.h"

#define ALG_ED25519 0x01
#define SEED_LEN crypto_sign_SEEDBYTES
#define KEYFILE_MAX 512 /* a secret key file is ~130 bytes */
#define PRIV_PREFIX "PRIVATE+KEY+"

/* Lives entirely in sodium_malloc memory (guard pages, wiped on free). */
struct ls_key {
	char name[LS_KEY_NAME_MAX + 1];
	uint8_t id[LS_KEY_ID_LEN];
	uint8_t pub[LS_KEY_PUB_LEN];
	uint8_t sk[crypto_sign_SECRETKEYBYTES]; /* seed || pub */
};

int
ls_key_name_valid(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > LS_KEY_NAME_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] <= 0x20 ||
		    (unsigned char)s[i] >= 0x7f || s[i] == '+')
			return 0;
	return 1;
}

/* id = SHA-256(name || "\n" || 0x01 || pub)[:4] (C2SP signed-note). */
static void
key_id(uint8_t id[LS_KEY_ID_LEN], const char *name,
    const uint8_t pub[LS_KEY_PUB_LEN])
{
	crypto_hash_sha256_state st;
	uint8_t d[LS_SHA256_LEN], alg = ALG_ED25519;

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const uint8_t *)name, strlen(name));
	crypto_hash_sha256_update(&st, (const uint8_t *)"\n", 1);
	crypto_hash_sha256_update(&st, &alg, 1);
	crypto_hash_sha256_update(&st, pub, LS_KEY_PUB_LEN);
	crypto_hash_sha256_final(&st, d);
	memcpy(id, d, LS_KEY_ID_LEN);
}

static struct ls_key *
key_alloc(void)
{
	struct ls_key *k = sodium_malloc(sizeof(*k));

	if (k != NULL)
		sodium_memzero(k, sizeof(*k));
	return k;
}

/* Fill k from name and seed. */
static int
key_from_seed(struct ls_key *k, const char *name, size_t nlen,
    const uint8_t seed[SEED_LEN])
{
	if (!ls_key_name_valid(name, nlen))
		return ls_error_set(LS_EINVAL, "bad key name '%.*s'",
		    (int)(nlen > 80 ? 80 : nlen), name);
	memcpy(k->name, name, nlen);
	k->name[nlen] = '\0';
	if (crypto_sign_seed_keypair(k->pub, k->sk, seed) != 0)
		return ls_error_set(LS_ERROR, "ed25519 key derivation failed");
	key_id(k->id, k->name, k->pub);
	return 0;
}

int
ls_key_generate(struct ls_key **out, const char *name)
{
	struct ls_key *k = NULL;
	uint8_t *seed = NULL;
	int rc = 0;

	*out = NULL;
	if ((k = key_alloc()) == NULL ||
	    (seed = sodium_malloc(SEED_LEN)) == NULL) {
		rc = ls_error_set(LS_ENOMEM, "out of secure memory");
		goto out;
	}
	randombytes_buf(seed, SEED_LEN);
	if ((rc = key_from_seed(k, name, strlen(name), seed)) < 0)
		goto out;
	*out = k;
	k = NULL;
out:
	if (seed != NULL)
		sodium_free(seed);
	ls_key_free(k);
	return rc;
}

void
ls_key_free(struct ls_key *k)
{
	if (k != NULL)
		sodium_free(k); /* zeroes the memory first */
}

const char *
ls_key_name(const struct ls_key *k)
{
	return k->name;
}

void
ls_key_vkey(struct ls_vkey *out, const struct ls_key *k)
{
	memset(out, 0, sizeof(*out));
	memcpy(out->name, k->name, sizeof(out->name));
	memcpy(out->id, k->id, LS_KEY_ID_LEN);
	memcpy(out->pub, k->pub, LS_KEY_PUB_LEN);
}

void
ls_key_sign(const struct ls_key *k, uint8_t sig[LS_KEY_SIG_LEN],
    const void *msg, size_t len)
{
	crypto_sign_detached(sig, NULL, msg, len, k->sk);
}

void
ls_vkey_format(char out[LS_VKEY_TEXT_MAX], const struct ls_vkey *vk)
{
	uint8_t raw[1 + LS_KEY_PUB_LEN];
	char hex[2 * LS_KEY_ID_LEN + 1], b64[64];

	raw[0] = ALG_ED25519;
	memcpy(raw + 1, vk->pub, LS_KEY_PUB_LEN);
	ls_hex_encode(hex, vk->id, LS_KEY_ID_LEN);
	ls_base64_encode_secret(b64, sizeof(b64), raw, sizeof(raw));
	snprintf(out, LS_VKEY_TEXT_MAX, "%s+%s+%s", vk->name, hex, b64);
}

/*
 * Split "NAME+HEXID+B64" at the two '+' (the name has none): *name_len,
 * then hex and b64 point into text.  LS_EFORMAT.
 */
static int
split_key_text(const char *text, size_t len, size_t *name_len, const char **hex,
    const char **b64, size_t *b64_len)
{
	const char *p1, *p2;

	p1 = memchr(text, '+', len);
	if (p1 == NULL)
		return ls_error_set(LS_EFORMAT, "key has no '+' separator");
	p2 = memchr(p1 + 1, '+', len - (size_t)(p1 + 1 - text));
	if (p2 == NULL || p2 - p1 - 1 != 2 * LS_KEY_ID_LEN)
		return ls_error_set(LS_EFORMAT, "key id is not 8 hex digits");
	*name_len = (size_t)(p1 - text);
	*hex = p1 + 1;
	*b64 = p2 + 1;
	*b64_len = len - (size_t)(p2 + 1 - text);
	return 0;
}

int
ls_vkey_parse(struct ls_vkey *out, const char *text, size_t len)
{
	uint8_t raw[1 + LS_KEY_PUB_LEN + 8], id[LS_KEY_ID_LEN];
	const char *hex = NULL, *b64 = NULL;
	size_t nlen = 0, blen = 0, got = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if (len >= sizeof(PRIV_PREFIX) - 1 &&
	    memcmp(text, PRIV_PREFIX, sizeof(PRIV_PREFIX) - 1) == 0)
		return ls_error_set(LS_EFORMAT,
		    "this is a secret key, not a "
		    "verifier key");
	if (len >= LS_VKEY_TEXT_MAX)
		return ls_error_set(LS_EFORMAT, "verifier key too long");
	if ((rc = split_key_text(text, len, &nlen, &hex, &b64, &blen)) < 0)
		return rc;
	if (!ls_key_name_valid(text, nlen))
		return ls_error_set(LS_EFORMAT, "bad key name '%.*s'",
		    (int)nlen, text);
	if (ls_hex_decode(id, LS_KEY_ID_LEN, hex, 2 * LS_KEY_ID_LEN) < 0)
		return ls_error_set(LS_EFORMAT, "key id is not 8 hex digits");
	if (ls_base64_decode_secret(raw, sizeof(raw), &got, b64, blen) < 0 ||
	    got != sizeof(raw) - 8)
		return ls_error_set(LS_EFORMAT, "bad base64 public key");
	if (raw[0] != ALG_ED25519)
		return ls_error_set(LS_EFORMAT,
		    "key algorithm %u is not "
		    "Ed25519 (1)",
		    raw[0]);
	memcpy(out->name, text, nlen);
	out->name[nlen] = '\0';
	memcpy(out->pub, raw + 1, LS_KEY_PUB_LEN);
	key_id(out->id, out->name, out->pub);
	if (memcmp(out->id, id, LS_KEY_ID_LEN) != 0) {
		memset(out, 0, sizeof(*out));
		return ls_error_set(LS_EFORMAT,
		    "key id does not match the key");
	}
	return 0;
}

int
ls_vkey_load(struct ls_vkey *out, const char *path)
{
	char *data = NULL;
	size_t len = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = ls_file_read(&data, &len, path, LS_VKEY_TEXT_MAX + 2)) < 0) {
		if (rc == LS_ETOOBIG)
			rc = ls_error_set(LS_EFORMAT,
			    "%s: too large for a "
			    "verifier key",
			    path);
		return rc;
	}
	if (len > 0 && data[len - 1] == '\n')
		len--;
	if ((rc = ls_vkey_parse(out, data, len)) < 0)
		ls_error_wrap(rc, "%s", path);
	free(data);
	return rc;
}

/* Read a small secret file into sodium memory (never plain malloc); one
 * that group or others can access is refused (secret.h). */
static int
read_secret(char **out, size_t *out_len, const char *path)
{
	int rc = ls_secret_read(out, out_len, path, KEYFILE_MAX);

	if (rc == LS_ETOOBIG)
		rc = ls_error_set(LS_EFORMAT, "%s: too large for a key file",
		    path);
	return rc;
}

/* Parse PRIVATE+KEY+NAME+HEXID+B64(0x01||seed) into k. */
static int
parse_secret(struct ls_key *k, const char *text, size_t len)
{
	const size_t plen = sizeof(PRIV_PREFIX) - 1;
	uint8_t *raw = NULL, id[LS_KEY_ID_LEN];
	const char *hex = NULL, *b64 = NULL;
	size_t nlen = 0, blen = 0, got = 0;
	int rc = 0;

	if (len > 0 && text[len - 1] == '\n')
		len--;
	if (len < plen || memcmp(text, PRIV_PREFIX, plen) != 0)
		return ls_error_set(LS_EFORMAT,
		    "not a secret key "
		    "(no PRIVATE+KEY+ prefix)");
	text += plen;
	len -= plen;
	if ((rc = split_key_text(text, len, &nlen, &hex, &b64, &blen)) < 0)
		return rc;
	if (ls_hex_decode(id, LS_KEY_ID_LEN, hex, 2 * LS_KEY_ID_LEN) < 0)
		return ls_error_set(LS_EFORMAT, "key id is not 8 hex digits");
	if ((raw = sodium_malloc(1 + SEED_LEN + 8)) == NULL)
		return ls_error_set(LS_ENOMEM, "out of secure memory");
	if (ls_base64_decode_secret(raw, 1 + SEED_LEN + 8, &got, b64, blen) < 0 ||
	    got != 1 + SEED_LEN || raw[0] != ALG_ED25519) {
		rc =
		    ls_error_set(LS_EFORMAT, "bad Ed25519 secret key encoding");
		goto out;
	}
	if ((rc = key_from_seed(k, text, nlen, raw + 1)) < 0) {
		rc = LS_EFORMAT;
		goto out;
	}
	if (memcmp(k->id, id, LS_KEY_ID_LEN) != 0)
		rc = ls_error_set(LS_EFORMAT, "key id does not match the key");
out:
	sodium_free(raw);
	return rc;
}

int
ls_key_load(struct ls_key **out, const char *path)
{
	struct ls_key *k = NULL;
	char *text = NULL;
	size_t len = 0;
	int rc;

	*out = NULL;
	if ((rc = read_secret(&text, &len, path)) < 0)
		return rc;
	if ((k = key_alloc()) == NULL) {
		rc = ls_error_set(LS_ENOMEM, "%s: out of secure memory", path);
		goto out;
	}
	if ((rc = parse_secret(k, text, len)) < 0) {
		ls_error_wrap(rc, "%s", path);
		goto out;
	}
	*out = k;
	k = NULL;
out:
	sodium_free(text);
	ls_key_free(k);
	return rc;
}

/* Create path with O_EXCL and write data; the file is removed on error. */
static int
write_new(const char *path, const char *data, size_t len, mode_t mode)
{
	size_t off = 0;
	ssize_t n;
	int fd, rc = 0;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    mode);
	if (fd < 0)
		return ls_error_set(errno == EEXIST ? LS_EEXISTS : LS_EIO,
		    "%s: %s", path,
		    errno == EEXIST ? "already exists, refusing to overwrite"
				    : strerror(errno));
	/* umask may only narrow mode; make sure a key is never wider. */
	if (fchmod(fd, mode) < 0) {
		rc = ls_error_set(LS_EIO, "%s: chmod: %s", path,
		    strerror(errno));
		goto out;
	}
	while (off < len) {
		n = write(fd, data + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = ls_error_set(LS_EIO, "%s: %s", path,
			    strerror(errno));
			goto out;
		}
		off += (size_t)n;
	}
	if (fsync(fd) < 0)
		rc = ls_error_set(LS_EIO, "%s: fsync: %s", path,
		    strerror(errno));
out:
	if (close(fd) < 0 && rc == 0)
		rc = ls_error_set(LS_EIO, "%s: close: %s", path,
		    strerror(errno));
	if (rc < 0)
		unlink(path);
	return rc;
}

/* Secret file text into sodium memory; *out_len excludes the NUL. */
static int
format_secret(char **out, size_t *out_len, const struct ls_key *k)
{
	uint8_t *raw = NULL;
	char *text = NULL, hex[2 * LS_KEY_ID_LEN + 1], b64[64];
	int n, rc = 0;

	*out = NULL;
	raw = sodium_malloc(1 + SEED_LEN);
	text = sodium_malloc(KEYFILE_MAX);
	if (raw == NULL || text == NULL) {
		rc = ls_error_set(LS_ENOMEM, "out of secure memory");
		goto out;
	}
	raw[0] = ALG_ED25519;
	memcpy(raw + 1, k->sk, SEED_LEN); /* sk = seed || pub */
	ls_hex_encode(hex, k->id, LS_KEY_ID_LEN);
	ls_base64_encode_secret(b64, sizeof(b64), raw, 1 + SEED_LEN);
	n = snprintf(text, KEYFILE_MAX, PRIV_PREFIX "%s+%s+%s\n", k->name, hex,
	    b64);
	sodium_memzero(b64, sizeof(b64));
	if (n < 0 || n >= KEYFILE_MAX) {
		rc = ls_error_set(LS_EINVAL, "key text too long");
		goto out;
	}
	*out = text;
	*out_len = (size_t)n;
	text = NULL;
out:
	if (raw != NULL)
		sodium_free(raw);
	if (text != NULL)
		sodium_free(text);
	return rc;
}

static int
join_path(char out[PATH_MAX], const char *dir, const char *name,
    const char *ext)
{
	int n = snprintf(out, PATH_MAX, "%s/%s%s", dir, name, ext);

	if (n < 0 || n >= PATH_MAX)
		return ls_error_set(LS_EINVAL, "%s: path too long", dir);
	return 0;
}

int
ls_key_save(const struct ls_key *k, const char *dir)
{
	char kpath[PATH_MAX], ppath[PATH_MAX], vk[LS_VKEY_TEXT_MAX + 1];
	struct ls_vkey v;
	char *secret = NULL;
	size_t slen = 0, vlen;
	int rc;

	/* The name becomes a file name: keep it inside dir. */
	if (strchr(k->name, '/') != NULL || k->name[0] == '.')
		return ls_error_set(LS_EINVAL,
		    "key name '%s' cannot be a file "
		    "name (no '/', no leading '.')",
		    k->name);
	if ((rc = join_path(kpath, dir, k->name, ".key")) < 0 ||
	    (rc = join_path(ppath, dir, k->name, ".pub")) < 0)
		return rc;
	if (ls_file_exists(kpath) || ls_file_exists(ppath))
		return ls_error_set(LS_EEXISTS,
		    "%s: already exists, refusing "
		    "to overwrite",
		    ls_file_exists(kpath) ? kpath : ppath);
	ls_key_vkey(&v, k);
	ls_vkey_format(vk, &v);
	vlen = strlen(vk); /* < LS_VKEY_TEXT_MAX, so the newline fits */
	vk[vlen++] = '\n';
	vk[vlen] = '\0';
	if ((rc = format_secret(&secret, &slen, k)) < 0)
		return rc;
	if ((rc = write_new(kpath, secret, slen, 0600)) < 0)
		goto out;
	if ((rc = write_new(ppath, vk, vlen, 0644)) < 0) {
		unlink(kpath);
		goto out;
	}
	rc = ls_file_fsync_dir(dir);
out:
	sodium_free(secret);
	return rc;
}

int
ls_keyset_add(struct ls_keyset *ks, const struct ls_vkey *vk)
{
	struct ls_vkey *p;
	size_t i;

	for (i = 0; i < ks->n; i++)
		if (strcmp(ks->keys[i].name, vk->name) == 0 &&
		    memcmp(ks->keys[i].id, vk->id, LS_KEY_ID_LEN) == 0)
			return ls_error_set(LS_EEXISTS, "key %s listed twice",
			    vk->name);
	if (ks->n >= 4096)
		return ls_error_set(LS_ETOOBIG, "too many keys in a key set");
	p = realloc(ks->keys, (ks->n + 1) * sizeof(*p));
	if (p == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	ks->keys = p;
	ks->keys[ks->n++] = *vk;
	return 0;
}

void
ls_keyset_cleanup(struct ls_keyset *ks)
{
	free(ks->keys);
	ks->keys = NULL;
	ks->n = 0;
}
