/*
 * doc_batch.c - libFuzzer harness: the signed note of a decision batch,
 * "lockstep/decisions/v1" (DESIGN.md, Decision records: agent, first and
 * last seq, count, sha256 of the uncompressed lines, sha256 of the
 * previous batch).
 *
 * TODO(decision-evidence): no parser for this document exists in
 * common/doc.c yet; it is being added on the decision-evidence branch.
 * When it lands, replace body_walk() below with a call to it (expected
 * as ls_decisions_parse(struct ls_decisions *, const char *body, size_t
 * len) in lockstep/doc.h, or whatever name it gets there), and add the
 * round trip through its builder as note_doc.c does for the others.
 *
 * Until then the note is parsed and verified against the seed corpus's
 * agent key, and the body is walked as the generic "key value" lines
 * every Lockstep document is made of, with the checks of doc.h that do
 * not depend on the type (UTF-8, no empty key, single spaces).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lockstep/doc.h"
#include "lockstep/note.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char agent_vkey[] =
    "agent-1+784dc9b2+AazD0sF9T5H02A0hhSSteMner2dOQabs8pVXkSFuhwg3";
static struct ls_keyset ks;

/* Walk "key value" lines; 0 when they are well formed. */
static int
body_walk(const char *b, size_t len)
{
	const char *end = b + len, *nl, *sp;
	size_t lines = 0;

	if (!ls_utf8_valid(b, len))
		return -1;
	while (b < end) {
		if ((nl = memchr(b, '\n', (size_t)(end - b))) == NULL)
			return -1; /* no final newline */
		sp = memchr(b, ' ', (size_t)(nl - b));
		if (lines > 0 && (sp == NULL || sp == b || sp + 1 == nl ||
				     sp[1] == ' ' || nl[-1] == ' '))
			return -1;
		if (lines == 0 && sp != NULL)
			return -1; /* the type line is one word */
		lines++;
		b = nl + 1;
	}
	return lines > 0 ? 0 : -1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data, *body;
	struct ls_note *n = NULL;
	struct ls_vkey vk;
	size_t blen;

	if (ks.n == 0 &&
	    (ls_vkey_parse(&vk, agent_vkey, strlen(agent_vkey)) != 0 ||
		ls_keyset_add(&ks, &vk) != 0))
		abort();
	if (ls_note_parse(&n, text, size) != 0) {
		(void)body_walk(text, size);
		return 0;
	}
	(void)ls_note_verify(n, &ks, 1);
	body = ls_note_body(n, &blen);
	if (body[blen] != '\0')
		abort(); /* ls_note_body promises a NUL-terminated copy */
	(void)body_walk(body, blen);
	/* Every other parser must refuse a decisions body by its type. */
	if (blen >= 22 && memcmp(body, "lockstep/decisions/v1\n", 22) == 0) {
		struct ls_report r;

		if (ls_report_parse(&r, body, blen) == 0)
			abort();
	}
	ls_note_free(n);
	return 0;
}
