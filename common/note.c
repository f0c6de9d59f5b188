/* note.c - C2SP signed notes: sign, parse and verify with a threshold. */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "lockstep/buf.h"
#include "lockstep/error.h"
#include "lockstep/hash.h"
#include "lockstep/key.h"
#include "lockstep/note.h"

#define SIG_PREFIX "\xe2\x80\x94 " /* U+2014 EM DASH, space */
#define SIG_PREFIX_LEN 4
#define SIG_RAW_MAX 512 /* id + signature of any algorithm we may meet */
#define SIG_B64_MAX (((SIG_RAW_MAX + 2) / 3) * 4)

struct note_sig {
	char name[LS_KEY_NAME_MAX + 1];
	uint8_t id[LS_KEY_ID_LEN];
	uint8_t sig[LS_KEY_SIG_LEN];
	size_t sig_len; /* bytes after the key id; 64 for Ed25519 */
};

struct ls_note {
	char *body; /* owned, NUL-terminated, ends in "\n" */
	size_t body_len;
	struct note_sig sigs[LS_NOTE_MAX_SIGS];
	size_t nsigs;
};

/*
 * Length of the UTF-8 sequence at s (at most n bytes), or 0 if it is not
 * well-formed (overlong forms, surrogates and values past U+10FFFF are
 * refused).
 */
static size_t
utf8_seq(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t len, i;
	unsigned long cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, cp = c & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

size_t
ls_utf8_seq(const char *s, size_t n)
{
	return n > 0 ? utf8_seq((const unsigned char *)s, n) : 0;
}

int
ls_utf8_valid(const char *text, size_t len)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i = 0, n;

	while (i < len) {
		if (s[i] < 0x20 && s[i] != '\n')
			return 0;
		if ((n = utf8_seq(s + i, len - i)) == 0)
			return 0;
		i += n;
	}
	return 1;
}

/* Valid UTF-8 with no ASCII control character other than newline. */
static int
check_text(const char *text, size_t len, const char *what)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i = 0, n;

	while (i < len) {
		if (s[i] < 0x20 && s[i] != '\n')
			return ls_error_set(LS_EFORMAT,
			    "%s: control character "
			    "0x%02x at byte %zu",
			    what, s[i], i);
		if ((n = utf8_seq(s + i, len - i)) == 0)
			return ls_error_set(LS_EFORMAT,
			    "%s: invalid UTF-8 at "
			    "byte %zu",
			    what, i);
		i += n;
	}
	return 0;
}

/* What a signer may sign: non-empty lines, each ending in "\n". */
static int
check_body(const char *body, size_t len)
{
	int rc;

	if (len > LS_NOTE_MAX)
		return ls_error_set(LS_ETOOBIG,
		    "note body of %zu bytes is over "
		    "the %d byte limit",
		    len, LS_NOTE_MAX);
	if (len == 0 || body[len - 1] != '\n')
		return ls_error_set(LS_EFORMAT,
		    "note body does not end in a "
		    "newline");
	if (body[0] == '\n' || memmem(body, len, "\n\n", 2) != NULL)
		return ls_error_set(LS_EFORMAT, "note body has a blank line");
	if ((rc = check_text(body, len, "note body")) < 0)
		return rc;
	return 0;
}

/* Give a full note buffer's LS_ETOOBIG a message about the note. */
static int
buf_err(int rc)
{
	if (rc == LS_ETOOBIG)
		return ls_error_set(rc, "signed note would exceed %d bytes",
		    LS_NOTE_MAX);
	return rc;
}

/* Append "— NAME BASE64(id || sig)\n" for k over body. */
static int
add_sig_line(struct ls_buf *b, const struct ls_key *k, const char *body,
    size_t body_len)
{
	uint8_t raw[LS_KEY_ID_LEN + LS_KEY_SIG_LEN];
	char b64[((sizeof(raw) + 2) / 3) * 4 + 1];
	struct ls_vkey vk;

	ls_key_vkey(&vk, k);
	memcpy(raw, vk.id, LS_KEY_ID_LEN);
	ls_key_sign(k, raw + LS_KEY_ID_LEN, body, body_len);
	ls_base64_encode(b64, sizeof(b64), raw, sizeof(raw));
	return buf_err(ls_buf_addf(b, SIG_PREFIX "%s %s\n", vk.name, b64));
}

/* LS_EINVAL unless keys are non-empty and pairwise distinct. */
static int
check_keys(struct ls_key *const *keys, size_t nkeys)
{
	struct ls_vkey a, b;
	size_t i, j;

	if (nkeys == 0)
		return ls_error_set(LS_EINVAL, "no signing key given");
	if (nkeys > LS_NOTE_MAX_SIGS)
		return ls_error_set(LS_EINVAL, "more than %d signing keys",
		    LS_NOTE_MAX_SIGS);
	for (i = 0; i < nkeys; i++) {
		ls_key_vkey(&a, keys[i]);
		for (j = 0; j < i; j++) {
			ls_key_vkey(&b, keys[j]);
			if (strcmp(a.name, b.name) == 0 &&
			    memcmp(a.id, b.id, LS_KEY_ID_LEN) == 0)
				return ls_error_set(LS_EINVAL,
				    "key %s given "
				    "twice",
				    a.name);
		}
	}
	return 0;
}

int
ls_note_sign(char **out, size_t *out_len, const char *body, size_t body_len,
    struct ls_key *const *keys, size_t nkeys)
{
	struct ls_buf b;
	size_t i;
	int rc;

	*out = NULL;
	ls_buf_init(&b, LS_NOTE_MAX);
	if ((rc = check_body(body, body_len)) < 0 ||
	    (rc = check_keys(keys, nkeys)) < 0)
		goto out;
	if ((rc = buf_err(ls_buf_add(&b, body, body_len))) < 0 ||
	    (rc = buf_err(ls_buf_addc(&b, '\n'))) < 0)
		goto out;
	for (i = 0; i < nkeys; i++)
		if ((rc = add_sig_line(&b, keys[i], body, body_len)) < 0)
			goto out;
	if ((*out = ls_buf_take(&b, out_len)) == NULL)
		rc = ls_error_set(LS_ENOMEM, "out of memory");
out:
	ls_buf_cleanup(&b);
	return rc;
}

/* Parse one signature line (without its "\n") into s. */
static int
parse_sig_line(struct note_sig *s, const char *line, size_t len, size_t no)
{
	uint8_t raw[SIG_RAW_MAX];
	const char *name, *sp;
	size_t nlen, got = 0;

	if (len < SIG_PREFIX_LEN ||
	    memcmp(line, SIG_PREFIX, SIG_PREFIX_LEN) != 0)
		return ls_error_set(LS_EFORMAT,
		    "signature line %zu does not "
		    "start with an em dash and a space",
		    no);
	name = line + SIG_PREFIX_LEN;
	len -= SIG_PREFIX_LEN;
	if ((sp = memchr(name, ' ', len)) == NULL)
		return ls_error_set(LS_EFORMAT,
		    "signature line %zu has no "
		    "space after the key name",
		    no);
	nlen = (size_t)(sp - name);
	if (nlen == 0 || nlen > LS_KEY_NAME_MAX || memchr(name, '+', nlen))
		return ls_error_set(LS_EFORMAT,
		    "signature line %zu: bad key "
		    "name",
		    no);
	len -= nlen + 1;
	if (len > SIG_B64_MAX)
		return ls_error_set(LS_EFORMAT,
		    "signature line %zu: signature "
		    "too long",
		    no);
	if (ls_base64_decode(raw, sizeof(raw), &got, sp + 1, len) < 0)
		return ls_error_set(LS_EFORMAT,
		    "signature line %zu: bad "
		    "base64",
		    no);
	if (got <= LS_KEY_ID_LEN)
		return ls_error_set(LS_EFORMAT,
		    "signature line %zu: "
		    "signature too short",
		    no);
	memcpy(s->name, name, nlen);
	s->name[nlen] = '\0';
	memcpy(s->id, raw, LS_KEY_ID_LEN);
	s->sig_len = got - LS_KEY_ID_LEN;
	memcpy(s->sig, raw + LS_KEY_ID_LEN,
	    s->sig_len < LS_KEY_SIG_LEN ? s->sig_len : LS_KEY_SIG_LEN);
	return 0;
}

static int
sig_seen(const struct ls_note *n, const char *name, const uint8_t *id)
{
	size_t i;

	for (i = 0; i < n->nsigs; i++)
		if (strcmp(n->sigs[i].name, name) == 0 &&
		    memcmp(n->sigs[i].id, id, LS_KEY_ID_LEN) == 0)
			return 1;
	return 0;
}

static int
parse_sigs(struct ls_note *n, const char *p, size_t len)
{
	const char *end = p + len, *nl;
	struct note_sig *s;
	int rc;

	if (len == 0)
		return ls_error_set(LS_EFORMAT, "note has no signature");
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p)); /* end[-1] is \n */
		if (n->nsigs == LS_NOTE_MAX_SIGS)
			return ls_error_set(LS_EFORMAT,
			    "more than %d "
			    "signatures",
			    LS_NOTE_MAX_SIGS);
		s = &n->sigs[n->nsigs];
		if ((rc = parse_sig_line(s, p, (size_t)(nl - p),
			 n->nsigs + 1)) < 0)
			return rc;
		if (sig_seen(n, s->name, s->id))
			return ls_error_set(LS_EFORMAT,
			    "two signatures from "
			    "key %s",
			    s->name);
		n->nsigs++;
		p = nl + 1;
	}
	return 0;
}

int
ls_note_parse(struct ls_note **out, const char *text, size_t len)
{
	struct ls_note *n = NULL;
	const char *split;
	size_t i;
	int rc;

	*out = NULL;
	if (len > LS_NOTE_MAX)
		return ls_error_set(LS_ETOOBIG,
		    "note of %zu bytes is over the "
		    "%d byte limit",
		    len, LS_NOTE_MAX);
	if (len == 0 || text[len - 1] != '\n')
		return ls_error_set(LS_EFORMAT,
		    "note does not end in a "
		    "newline");
	if ((rc = check_text(text, len, "note")) < 0)
		return rc;
	/* C2SP: the signatures follow the last blank line. */
	for (i = len - 1; i > 0; i--)
		if (text[i - 1] == '\n' && text[i] == '\n')
			break;
	if (i == 0)
		return ls_error_set(LS_EFORMAT,
		    "note has no blank line before "
		    "its signatures");
	split = text + i - 1;
	if ((n = calloc(1, sizeof(*n))) == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	n->body_len = (size_t)(split - text) + 1;
	if ((n->body = malloc(n->body_len + 1)) == NULL) {
		rc = ls_error_set(LS_ENOMEM, "out of memory");
		goto out;
	}
	memcpy(n->body, text, n->body_len);
	n->body[n->body_len] = '\0';
	if ((rc = parse_sigs(n, split + 2,
		 (size_t)(text + len - (split + 2)))) < 0)
		goto out;
	*out = n;
	n = NULL;
out:
	ls_note_free(n);
	return rc;
}

void
ls_note_free(struct ls_note *n)
{
	if (n == NULL)
		return;
	free(n->body);
	free(n);
}

/* The note's signature by vk, or NULL. */
static const struct note_sig *
find_sig(const struct ls_note *n, const struct ls_vkey *vk)
{
	size_t i;

	for (i = 0; i < n->nsigs; i++)
		if (strcmp(n->sigs[i].name, vk->name) == 0 &&
		    memcmp(n->sigs[i].id, vk->id, LS_KEY_ID_LEN) == 0)
			return &n->sigs[i];
	return NULL;
}

/* Was the same public key already counted under another name? */
static int
pub_counted(const struct ls_keyset *ks, const unsigned char *ok, size_t upto,
    const struct ls_vkey *vk)
{
	size_t i;

	for (i = 0; i < upto; i++)
		if (ok[i] &&
		    memcmp(ks->keys[i].pub, vk->pub, LS_KEY_PUB_LEN) == 0)
			return 1;
	return 0;
}

int
ls_note_verify(const struct ls_note *n, const struct ls_keyset *ks,
    unsigned threshold)
{
	const struct note_sig *s;
	unsigned char *ok = NULL;
	unsigned count = 0;
	size_t i;
	int rc = 0;

	if (threshold == 0)
		threshold = 1; /* a note no known key vouches for is refused */
	if (ks->n > 0 && (ok = calloc(ks->n, 1)) == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	for (i = 0; i < ks->n; i++) {
		if ((s = find_sig(n, &ks->keys[i])) == NULL)
			continue;
		if (s->sig_len != LS_KEY_SIG_LEN ||
		    crypto_sign_verify_detached(s->sig,
			(const unsigned char *)n->body, n->body_len,
			ks->keys[i].pub) != 0) {
			rc = ls_error_set(LS_EBADSIG,
			    "signature by key %s does "
			    "not verify",
			    s->name);
			goto out;
		}
		if (!pub_counted(ks, ok, i, &ks->keys[i]))
			count++;
		ok[i] = 1;
	}
	if (count == 0)
		rc = ls_error_set(LS_EBADSIG, "not signed by any known key");
	else if (count < threshold)
		rc = ls_error_set(LS_EBADSIG,
		    "signed by %u known key%s, %u "
		    "required",
		    count, count == 1 ? "" : "s", threshold);
	else
		rc = (int)count;
out:
	free(ok);
	return rc;
}

int
ls_note_open(struct ls_note **out, const char *text, size_t len,
    const struct ls_keyset *ks, unsigned threshold)
{
	struct ls_note *n = NULL;
	int rc;

	if (out != NULL)
		*out = NULL;
	if ((rc = ls_note_parse(&n, text, len)) < 0)
		return rc;
	if ((rc = ls_note_verify(n, ks, threshold)) < 0) {
		ls_note_free(n);
		return rc;
	}
	if (out != NULL)
		*out = n;
	else
		ls_note_free(n);
	return 0;
}

const char *
ls_note_body(const struct ls_note *n, size_t *len)
{
	if (len != NULL)
		*len = n->body_len;
	return n->body;
}

size_t
ls_note_nsigs(const struct ls_note *n)
{
	return n->nsigs;
}

const char *
ls_note_sig_name(const struct ls_note *n, size_t i)
{
	return i < n->nsigs ? n->sigs[i].name : NULL;
}

int
ls_note_cosign(char **out, size_t *out_len, const char *text, size_t len,
    struct ls_key *const *keys, size_t nkeys)
{
	struct ls_note *n = NULL;
	struct ls_vkey vk;
	struct ls_buf b;
	size_t i;
	int rc;

	*out = NULL;
	ls_buf_init(&b, LS_NOTE_MAX);
	if ((rc = check_keys(keys, nkeys)) < 0 ||
	    (rc = ls_note_parse(&n, text, len)) < 0)
		goto out;
	for (i = 0; i < nkeys; i++) {
		ls_key_vkey(&vk, keys[i]);
		if (find_sig(n, &vk) != NULL) {
			rc = ls_error_set(LS_EEXISTS,
			    "note is already signed "
			    "by key %s",
			    vk.name);
			goto out;
		}
	}
	if (n->nsigs + nkeys > LS_NOTE_MAX_SIGS) {
		rc = ls_error_set(LS_ETOOBIG, "more than %d signatures",
		    LS_NOTE_MAX_SIGS);
		goto out;
	}
	if ((rc = buf_err(ls_buf_add(&b, text, len))) < 0)
		goto out;
	for (i = 0; i < nkeys; i++)
		if ((rc = add_sig_line(&b, keys[i], n->body, n->body_len)) < 0)
			goto out;
	if ((*out = ls_buf_take(&b, out_len)) == NULL)
		rc = ls_error_set(LS_ENOMEM, "out of memory");
out:
	ls_note_free(n);
	ls_buf_cleanup(&b);
	return rc;
}
