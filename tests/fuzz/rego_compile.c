/*
 * rego_compile.c - libFuzzer harness: the Rego lexer, parser and compiler
 * (common/rego/lex.c, parse*.c, compile.c and the checks behind
 * ls_rego_compile).
 *
 * The input is one or more modules separated by the line "# ----" (a
 * comment, so a single module mutates as plain Rego).  The whole text is
 * lexed on its own, then the modules are compiled once as Rego v1 and
 * once as v0.  A failure must come with a message.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lockstep/rego.h"
#include "rego/arena.h"
#include "rego/lex.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SEP "\n# ----\n"
#define MAX_MODS 8

static void
compile(const char *src, size_t len, int version)
{
	struct ls_rego_builder *b = ls_rego_builder_new();
	struct ls_rego_policy *p = NULL;
	const char *at = src, *end = src + len, *next;
	char *err = NULL, file[32];
	int i, rc = 0;

	if (b == NULL)
		return;
	for (i = 0; i < MAX_MODS && at <= end && rc == 0; i++) {
		next = memmem(at, (size_t)(end - at), SEP, strlen(SEP));
		if (next == NULL || i == MAX_MODS - 1)
			next = end;
		snprintf(file, sizeof(file), "m%d.rego", i);
		rc = ls_rego_builder_add_module(b, file, at,
		    (size_t)(next - at), version, &err);
		at = next + strlen(SEP);
	}
	if (rc == 0)
		rc = ls_rego_compile(&p, b, &err);
	if (rc != 0 && (err == NULL || err[0] == '\0'))
		abort(); /* an error without a message */
	if (rc == 0 && p == NULL)
		abort();
	free(err);
	ls_rego_policy_unref(p);
	ls_rego_builder_free(b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *src = (const char *)data;
	struct ls_arena *a = ls_arena_new(64u << 20);
	struct ls_token *toks = NULL;
	size_t n = 0;

	if (a != NULL && ls_rego_lex(&toks, &n, a, "x.rego", src, size) == 0 &&
	    (n == 0 || toks[n - 1].k != LS_TK_EOF))
		abort(); /* the token array must end with EOF */
	ls_arena_free(a);
	compile(src, size, 1);
	compile(src, size, 0);
	return 0;
}
