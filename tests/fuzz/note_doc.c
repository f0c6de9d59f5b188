/*
 * note_doc.c - libFuzzer harness: a signed note, parsed and verified, and
 * its body through every document parser of common/doc.c (root, release,
 * timestamp, report).
 *
 * The input is note text.  It is parsed and verified against the verifier
 * keys of the seed corpus (tests/fuzz/corpus/note_doc, signed with the
 * real CLI; the secret keys were thrown away), with threshold 1 and 2.
 * The body, or the whole input when it is not a note, then goes through
 * all four parsers, so mutations reach them without valid signatures.
 * Whatever a parser accepts must survive the round trip the contract of
 * doc.h promises: the builder accepts it, and build(parse(build(x))) is
 * build(x) byte for byte.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lockstep/doc.h"
#include "lockstep/note.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const vkeys[] = {
	"root+1656eec1+ATx3ENkNGh6MfAtH+i8UMrcGhEgwA5EYR3ijU1C9vKgw",
	"release+0a609c9f+AU1AXG3rEq8xHAFXz/bGQtuLT7VrorCDlNHwTCV8BRAN",
	"timestamp+136c79ca+AfqmmBGxDMl0SljLE1HVK+5I7gdX8hRsyCZREhT3jwId",
	"log+66cd9403+AS3plujATc6ZIpBkidZFxMJStZzLVbNBKUAbcE26R3Em",
	"agent-1+784dc9b2+AazD0sF9T5H02A0hhSSteMner2dOQabs8pVXkSFuhwg3",
};

static struct ls_keyset ks;

static void
keys_once(void)
{
	struct ls_vkey vk;
	size_t i;

	if (ks.n > 0)
		return;
	for (i = 0; i < sizeof(vkeys) / sizeof(vkeys[0]); i++)
		if (ls_vkey_parse(&vk, vkeys[i], strlen(vkeys[i])) != 0 ||
		    ls_keyset_add(&ks, &vk) != 0)
			abort();
}

/* b1 = build(doc); must succeed, and build(parse(b1)) == b1. */
#define ROUND_TRIP(type, parse, build, cleanup)                            \
	static void rt_##type(const char *body, size_t len)                \
	{                                                                  \
		struct ls_##type d, d2;                                    \
		char *b1 = NULL, *b2 = NULL;                               \
		size_t n1 = 0, n2 = 0;                                     \
                                                                           \
		if (parse(&d, body, len) != 0)                             \
			return;                                            \
		if (build(&b1, &n1, &d) != 0)                              \
			abort(); /* accepted but cannot be written */      \
		if (parse(&d2, b1, n1) != 0)                               \
			abort(); /* written but not read back */           \
		if (build(&b2, &n2, &d2) != 0 || n1 != n2 ||               \
		    memcmp(b1, b2, n1) != 0)                               \
			abort(); /* not stable */                          \
		cleanup(&d);                                               \
		cleanup(&d2);                                              \
		free(b1);                                                  \
		free(b2);                                                  \
	}

static void
no_cleanup(const void *p)
{
	(void)p;
}

ROUND_TRIP(root, ls_root_parse, ls_root_body, ls_root_cleanup)
ROUND_TRIP(release, ls_release_parse, ls_release_body, ls_release_cleanup)
ROUND_TRIP(timestamp, ls_timestamp_parse, ls_timestamp_body, no_cleanup)
ROUND_TRIP(report, ls_report_parse, ls_report_body, no_cleanup)

static void
bodies(const char *body, size_t len)
{
	rt_root(body, len);
	rt_release(body, len);
	rt_timestamp(body, len);
	rt_report(body, len);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data, *body;
	struct ls_note *n = NULL;
	size_t blen, i;

	keys_once();
	if (ls_note_parse(&n, text, size) != 0) {
		bodies(text, size);
		return 0;
	}
	(void)ls_note_verify(n, &ks, 1);
	(void)ls_note_verify(n, &ks, 2);
	for (i = 0; i < ls_note_nsigs(n); i++)
		if (ls_note_sig_name(n, i) == NULL)
			abort();
	body = ls_note_body(n, &blen);
	bodies(body, blen);
	ls_note_free(n);
	(void)ls_note_open(NULL, text, size, &ks, 1);
	return 0;
}
