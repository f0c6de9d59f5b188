/*
 * key.h - Ed25519 signing keys and verifier keys in the signed-note format.
 *
 * A verifier key is the text NAME+HEXKEYID+BASE64(0x01 || pubkey), where
 * key id = first 4 bytes of SHA-256(NAME || "\n" || 0x01 || pubkey).  A
 * secret key file holds PRIVATE+KEY+NAME+HEXKEYID+BASE64(0x01 || seed)
 * and a newline; it lives in sodium_malloc memory while loaded and is
 * created O_EXCL with mode 0600.  Names are 1..64 bytes of printable ASCII
 * without '+' or spaces.
 */
#ifndef LOCKSTEP_KEY_H
#define LOCKSTEP_KEY_H

#include <stddef.h>
#include <stdint.h>

#define LS_KEY_NAME_MAX 64
#define LS_KEY_ID_LEN 4
#define LS_KEY_PUB_LEN 32
#define LS_KEY_SIG_LEN 64
#define LS_VKEY_TEXT_MAX 160 /* verifier key text incl. NUL */

struct ls_key; /* secret key; opaque, in sodium_malloc memory */

struct ls_vkey {
	char name[LS_KEY_NAME_MAX + 1];
	uint8_t id[LS_KEY_ID_LEN];
	uint8_t pub[LS_KEY_PUB_LEN];
};

/* A set of verifier keys; keys is owned (ls_keyset_cleanup frees it). */
struct ls_keyset {
	struct ls_vkey *keys;
	size_t n;
};

/* 1 if s[0..len) is a valid key name (see above), else 0. */
int ls_key_name_valid(const char *s, size_t len);

/* Generate a new key.  LS_EINVAL for a bad name, LS_ENOMEM. */
int ls_key_generate(struct ls_key **out, const char *name);

/*
 * Write DIR/NAME.key (0600, O_EXCL) and DIR/NAME.pub (verifier key + "\n").
 * LS_EEXISTS if either exists (nothing is written then), LS_EIO; LS_EINVAL
 * for a name with '/' or a leading '.', which would leave DIR.
 */
int ls_key_save(const struct ls_key *k, const char *dir);

/* Load a secret key file (read into sodium memory only, never plain heap).
 * The key id in the file must match the key.  LS_ENOTFOUND, LS_EFORMAT,
 * LS_EIO. */
int ls_key_load(struct ls_key **out, const char *path);

void ls_key_free(struct ls_key *k); /* wipes; NULL is a no-op */

const char *ls_key_name(const struct ls_key *k);
void ls_key_vkey(struct ls_vkey *out, const struct ls_key *k);

/* Detached Ed25519 signature of msg. */
void ls_key_sign(const struct ls_key *k, uint8_t sig[LS_KEY_SIG_LEN],
    const void *msg, size_t len);

/* Verifier key text <-> struct.  Parse checks the id.  LS_EFORMAT. */
int ls_vkey_parse(struct ls_vkey *out, const char *text, size_t len);
void ls_vkey_format(char out[LS_VKEY_TEXT_MAX], const struct ls_vkey *vk);

/* Read a .pub file (one verifier key line).  LS_ENOTFOUND, LS_EFORMAT. */
int ls_vkey_load(struct ls_vkey *out, const char *path);

/* Add a copy of vk; a key with the same name and id already there is
 * LS_EEXISTS.  LS_ETOOBIG past 4,096 keys, LS_ENOMEM.  A zeroed struct
 * ls_keyset is an empty set. */
int ls_keyset_add(struct ls_keyset *ks, const struct ls_vkey *vk);
void ls_keyset_cleanup(struct ls_keyset *ks);

#endif
