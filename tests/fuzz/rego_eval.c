/*
 * rego_eval.c - libFuzzer harness: the Rego evaluator on small policies
 * and inputs, with the engine's step, time and memory caps set low so one
 * run stays fast (a cap reached is an eval_cancel_error or
 * eval_memory_error, not a finding; a hang past libFuzzer's -timeout is).
 *
 * Two forms of input, chosen by the first byte:
 *   'R' raw: "R" QUERY "\n" INPUT-JSON "\n" DATA-JSON "\n" MODULES, the
 *       modules separated by the line "# ----" (seeds come from the
 *       conformance suite, tests/fuzz/seeds-from-conformance.py);
 *   anything else: the bytes drive a small generator that writes a
 *       package of a few rules (complete, partial set and object,
 *       functions, defaults) whose bodies combine comparisons, some/every,
 *       comprehensions, with, negation and builtin calls over terms of
 *       input, data and the other rules, plus a small JSON input.
 * The policy is compiled (v1) and data.p (or the raw query) evaluated
 * with and without strict builtin errors.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lockstep/buf.h"
#include "lockstep/rego.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SEP "\n# ----\n"
#define SRC_MAX 16384

struct gen {
	const uint8_t *p;
	size_t n, i;
	struct ls_buf b;
	int depth;
};

static unsigned
pick(struct gen *g, unsigned n)
{
	return g->i < g->n ? g->p[g->i++] % n : 0;
}

static void
put(struct gen *g, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)ls_buf_vaddf(&g->b, fmt, ap);
	va_end(ap);
}

static void term(struct gen *g);

static const char *const leaves[] = { "0", "1", "-1", "2.5", "1e3",
	"\"a\"", "\"\"", "\"a.b\"", "true", "false", "null", "x", "v", "i",
	"input.a", "input.b[0]", "input.c.d", "input", "a", "b", "c[\"k\"]",
	"data.p.b", "f(1)", "count(b)", "{}", "[]", "set()", "\"%v-%d\"",
	"\"10.0.0.0/8\"", "\"2026-01-01T00:00:00Z\"" };

static const char *const binops[] = { "+", "-", "*", "/", "%", "&", "|",
	"==", "!=", "<", ">=" };

static const char *const calls1[] = { "count", "sum", "max", "sort",
	"to_number", "upper", "type_name", "json.marshal", "base64.encode",
	"is_string", "object.keys", "abs", "round", "array.reverse",
	"yaml.marshal", "format_int", "units.parse_bytes", "split",
	"numbers.range", "time.parse_rfc3339_ns", "net.cidr_expand" };

static const char *const calls2[] = { "concat", "sprintf", "startswith",
	"contains", "array.concat", "object.union", "object.get", "split",
	"trim", "indexof", "replace", "numbers.range", "object.remove",
	"regex.match", "glob.match", "net.cidr_contains", "union",
	"json.patch", "array.slice", "format_int", "semver.compare" };

static void
term(struct gen *g)
{
	unsigned k = g->depth > 3 ? 0 : pick(g, 9);

	g->depth++;
	switch (k) {
	case 1:
		put(g, "[");
		term(g);
		put(g, ", ");
		term(g);
		put(g, "]");
		break;
	case 2:
		put(g, "{\"k\": ");
		term(g);
		put(g, ", \"z\": ");
		term(g);
		put(g, "}");
		break;
	case 3:
		put(g, "{");
		term(g);
		put(g, "}");
		break;
	case 4:
		term(g);
		put(g, " %s ", binops[pick(g, 11)]);
		term(g);
		break;
	case 5:
		put(g, "%s(", calls1[pick(g, 21)]);
		term(g);
		put(g, ")");
		break;
	case 6:
		put(g, "%s(", calls2[pick(g, 21)]);
		term(g);
		put(g, ", ");
		term(g);
		put(g, ")");
		break;
	case 7:
		put(g, "[y | some y in ");
		term(g);
		put(g, "]");
		break;
	case 8:
		put(g, "{y: z | some y, z in ");
		term(g);
		put(g, "}");
		break;
	default: put(g, "%s", leaves[pick(g, 30)]);
	}
	g->depth--;
}

static void
expr(struct gen *g)
{
	switch (pick(g, 10)) {
	case 0: put(g, "x := "), term(g); break;
	case 1: put(g, "some i, v in "), term(g); break;
	case 2:
		put(g, "every e in ");
		term(g);
		put(g, " { e != ");
		term(g);
		put(g, " }");
		break;
	case 3: put(g, "not "), term(g); break;
	case 4:
		term(g);
		put(g, " with input.a as ");
		term(g);
		break;
	case 5: put(g, "v = input.a[_]"); break;
	case 6: term(g), put(g, " == "), term(g); break;
	case 7: put(g, "x = data.p.a"); break;
	case 8: put(g, "print("), term(g), put(g, ")"); break;
	default: term(g);
	}
}

static void
body(struct gen *g)
{
	unsigned i, n = 1 + pick(g, 3);

	put(g, " if {\n");
	for (i = 0; i < n; i++) {
		put(g, "\t");
		expr(g);
		put(g, "\n");
	}
	put(g, "}\n");
}

static void
rule(struct gen *g)
{
	switch (pick(g, 6)) {
	case 0: put(g, "a := "), term(g), body(g); break;
	case 1: put(g, "b contains "), term(g), body(g); break;
	case 2: put(g, "c[x] := "), term(g), body(g); break;
	case 3: put(g, "f(x) := "), term(g), body(g); break;
	case 4: put(g, "default a := "), term(g), put(g, "\n"); break;
	default: put(g, "d.e[i] := "), term(g), body(g);
	}
}

static void
input_json(struct gen *g)
{
	static const char *const vals[] = { "1", "\"s\"", "[1,2,3]",
		"{\"d\":true}", "null", "[\"a\",\"b\"]", "-0.5", "{}" };

	put(g, "{\"a\":%s,\"b\":[%s],\"c\":%s}", vals[pick(g, 8)],
	    vals[pick(g, 8)], vals[pick(g, 8)]);
}

static void
eval(const struct ls_rego_policy *p, const char *q, const char *in,
    size_t inlen, int strict)
{
	struct ls_rego_eval_opts o;
	char *out = NULL, *err = NULL;
	int rc;

	memset(&o, 0, sizeof(o));
	o.strict_builtin_errors = strict;
	o.max_steps = 20000;
	o.timeout_ms = 500;
	o.max_memory = 16u << 20;
	rc = ls_rego_eval_query(&out, p, q, in, inlen, &o, &err);
	if (rc == 0 && out == NULL)
		abort();
	if (rc != 0 && (err == NULL || err[0] == '\0'))
		abort(); /* an error without a message */
	free(out);
	free(err);
}

static void
run(const char *q, const char *in, size_t inlen, const char *data,
    size_t dlen, const char *src, size_t slen)
{
	struct ls_rego_builder *b = ls_rego_builder_new();
	struct ls_rego_policy *p = NULL;
	const char *at = src, *end = src + slen, *next;
	char *err = NULL, file[16];
	int i, rc = 0;

	if (b == NULL)
		return;
	if (dlen > 0)
		rc = ls_rego_builder_add_data(b, "", data, dlen, &err);
	for (i = 0; i < 8 && at <= end && rc == 0; i++) {
		next = memmem(at, (size_t)(end - at), SEP, strlen(SEP));
		if (next == NULL || i == 7)
			next = end;
		snprintf(file, sizeof(file), "m%d.rego", i);
		rc = ls_rego_builder_add_module(b, file, at,
		    (size_t)(next - at), 1, &err);
		at = next + strlen(SEP);
	}
	if (rc == 0 && ls_rego_compile(&p, b, &err) == 0) {
		eval(p, q, inlen ? in : NULL, inlen, 0);
		eval(p, q, inlen ? in : NULL, inlen, 1);
	}
	free(err);
	ls_rego_policy_unref(p);
	ls_rego_builder_free(b);
}

/* 'R' QUERY \n INPUT \n DATA \n MODULES; each piece NUL-terminated. */
static void
raw(const char *s, size_t n)
{
	char *c = malloc(n + 1), *q, *in, *data, *mods, *e;

	if (c == NULL)
		return;
	memcpy(c, s, n);
	c[n] = '\0';
	q = c;
	if ((e = memchr(q, '\n', (size_t)(c + n - q))) == NULL)
		goto out;
	*e = '\0';
	in = e + 1;
	if ((e = memchr(in, '\n', (size_t)(c + n - in))) == NULL)
		goto out;
	*e = '\0';
	data = e + 1;
	if ((e = memchr(data, '\n', (size_t)(c + n - data))) == NULL)
		goto out;
	*e = '\0';
	mods = e + 1;
	run(q, in, strlen(in), data, strlen(data), mods,
	    (size_t)(c + n - mods));
out:
	free(c);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gen g;
	struct ls_buf in;
	size_t i, nrules, plen;

	if (size > 0 && data[0] == 'R') {
		raw((const char *)data + 1, size - 1);
		return 0;
	}
	memset(&g, 0, sizeof(g));
	g.p = data;
	g.n = size;
	ls_buf_init(&g.b, SRC_MAX);
	ls_buf_init(&in, 4096);
	put(&g, "package p\n\n");
	nrules = 1 + pick(&g, 5);
	for (i = 0; i < nrules; i++)
		rule(&g);
	plen = g.b.len;
	{
		struct ls_buf keep = g.b;

		ls_buf_init(&g.b, 4096);
		input_json(&g);
		in = g.b;
		g.b = keep;
	}
	if (g.b.data != NULL && in.data != NULL)
		run("data.p", in.data, in.len, NULL, 0, g.b.data, plen);
	ls_buf_cleanup(&g.b);
	ls_buf_cleanup(&in);
	return 0;
}
