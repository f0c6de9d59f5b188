/*
 * doc_batch.c - libFuzzer harness: a decision batch as POST /v1/decisions
 * reads it (DESIGN.md, Decision records), through the server's own code
 * (server/decisions_impl.h): the signed note "lockstep/decisions/v1"
 * (parsed, verified against the seed agents' keys, its body parsed by
 * ls_decisions_note_parse), the gzip layer (ls_decisions_gunzip, capped
 * here at 1 MiB) and the JSON Lines records checked against the note
 * (ls_decisions_lines_check: each record, the seqs, the count and the gap
 * rule).  The sha256 of the lines is not required to match: a fuzzer
 * cannot forge it, and the lines are what is worth feeding.
 *
 * Input: the note text, a NUL, optionally "next N\n" (the chain's next
 * seq for the gap rule; without it only the note's first is tried), then
 * the body: gzip when it starts with the gzip magic, else the JSON Lines.
 * Without a NUL the whole input is the note.  When the note does not
 * parse, its text is tried as a body on its own.
 *
 * Checked beyond memory safety: an accepted note body is the canonical
 * text of its fields (what the agent writes: no leading zeros, lower-case
 * hex); accepted lines are n.count lines; every other document parser
 * refuses a decisions body.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decisions_impl.h"
#include "lockstep/doc.h"
#include "lockstep/note.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The agents whose real batches are the seeds (tests/fuzz/README.md);
 * agent-1 signed the report seed. */
static const char *const vkeys[] = {
	"d1+778a7d6b+ASJKTgC89kxYz8M+STA/fLuMYxVPNJT541RPbutl+dxv",
	"q1+7ddff673+AXfH3xgc2gA5rXPMNIbhb0JjxGFb+J9Pb0lVqvOES18W",
	"agent-1+784dc9b2+AazD0sF9T5H02A0hhSSteMner2dOQabs8pVXkSFuhwg3",
};
static struct ls_keyset ks;

#define GUNZIP_CAP (1u << 20)

static void
keys_once(void)
{
	struct ls_vkey vk;
	size_t i;

	for (i = 0; ks.n == 0 && i < sizeof(vkeys) / sizeof(vkeys[0]); i++)
		if (ls_vkey_parse(&vk, vkeys[i], strlen(vkeys[i])) != 0 ||
		    ls_keyset_add(&ks, &vk) != 0)
			abort();
}

/* An accepted body is exactly its fields written back. */
static void
note_canonical(const struct bnote *n, const char *body, size_t len)
{
	char *again = NULL;
	size_t alen = 0;
	FILE *f = open_memstream(&again, &alen);

	if (f == NULL)
		return;
	fprintf(f,
	    "lockstep/decisions/v1\nagent %s\nfirst %llu\nlast %llu\n"
	    "count %llu\nsha256 %s\nprev %s\ndropped %llu\ntime %s\n",
	    n->agent, (unsigned long long)n->first, (unsigned long long)n->last,
	    (unsigned long long)n->count, n->sha, n->prev,
	    (unsigned long long)n->dropped, n->time);
	fclose(f);
	if (!n->parsed || alen != len || memcmp(again, body, len) != 0)
		abort();
	free(again);
}

/* Every other document parser refuses a decisions body by its type. */
static void
others_refuse(const char *body, size_t len)
{
	struct ls_report rep;
	struct ls_root root;
	struct ls_release rel;
	struct ls_timestamp ts;

	if (ls_report_parse(&rep, body, len) == 0)
		abort();
	if (ls_root_parse(&root, body, len) == 0 ||
	    ls_release_parse(&rel, body, len) == 0 ||
	    ls_timestamp_parse(&ts, body, len) == 0)
		abort();
}

/* Parse a note body; 0 with *n set when accepted. */
static int
body_parse(struct bnote *n, const char *body, size_t len)
{
	if (len >= 22 && memcmp(body, "lockstep/decisions/v1\n", 22) == 0)
		others_refuse(body, len);
	if (ls_decisions_note_parse(n, body, len) != 0)
		return -1;
	note_canonical(n, body, len);
	return 0;
}

static int
note_part(struct bnote *n, const char *text, size_t len)
{
	struct ls_note *note = NULL;
	const char *body;
	size_t blen;
	int rc;

	if (ls_note_parse(&note, text, len) != 0)
		return body_parse(n, text, len);
	body = ls_note_body(note, &blen);
	if (body[blen] != '\0')
		abort(); /* ls_note_body promises a NUL-terminated copy */
	rc = body_parse(n, body, blen);
	(void)ls_note_verify(note, &ks, 1);
	(void)ls_note_verify(note, &ks, 2);
	ls_note_free(note);
	return rc;
}

static void
lines_check(const struct bnote *n, const char *raw, size_t len, uint64_t next)
{
	size_t i, lines = 0;

	if (ls_decisions_lines_check(n, raw, len, next) != 0)
		return;
	for (i = 0; i < len; i++)
		lines += raw[i] == '\n';
	if (lines != n->count)
		abort();
}

/* "next N\n" at p: *next set and the rest returned. */
static const char *
next_arg(uint64_t *next, const char *p, const char *end)
{
	const char *q = p + 5;
	uint64_t v = 0;

	if (end - p < 7 || memcmp(p, "next ", 5) != 0)
		return p;
	for (; q < end && q - p < 24 && *q >= '0' && *q <= '9'; q++)
		v = v * 10 + (uint64_t)(*q - '0');
	if (q == end || *q != '\n' || q == p + 5)
		return p;
	*next = v;
	return q + 1;
}

static void
body_part(const struct bnote *n, const char *p, size_t len)
{
	const char *end = p + len;
	uint64_t next = 0;
	struct ls_buf raw;

	p = next_arg(&next, p, end);
	len = (size_t)(end - p);
	ls_buf_init(&raw, GUNZIP_CAP);
	if (len >= 2 && (uint8_t)p[0] == 0x1f && (uint8_t)p[1] == 0x8b) {
		if (ls_decisions_gunzip(&raw, p, len) != 0 ||
		    raw.len > GUNZIP_CAP)
			goto out;
		p = raw.data ? raw.data : "";
		len = raw.len;
	}
	if (n == NULL)
		goto out;
	lines_check(n, p, len, n->first);
	if (next != 0 && next != n->first)
		lines_check(n, p, len, next);
out:
	ls_buf_cleanup(&raw);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	const char *nul = memchr(text, '\0', size);
	size_t nlen = nul ? (size_t)(nul - text) : size;
	struct bnote n;
	int ok;

	keys_once();
	ok = note_part(&n, text, nlen) == 0;
	if (nul != NULL)
		body_part(ok ? &n : NULL, nul + 1, size - nlen - 1);
	return 0;
}
