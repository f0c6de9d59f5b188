/*
 * check_out.c - `lockstep check` results in Conftest's output formats:
 * stdout (FAIL/WARN/EXCP lines and a summary), json, tap, junit, sarif
 * (2.1.0) and github (workflow commands).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "lockstep/error.h"

struct totals {
	long tests, passed, warnings, failures, exceptions;
};

static const char *
msg_of(const json_t *r)
{
	const char *m = json_string_value(json_object_get(r, "msg"));

	return m ? m : "";
}

static size_t
count(const json_t *r, const char *k)
{
	return json_array_size(json_object_get(r, k));
}

static long
successes(const json_t *r)
{
	return (long)json_integer_value(json_object_get(r, "successes"));
}

static void
add_totals(struct totals *t, const json_t *r)
{
	t->passed += successes(r);
	t->warnings += (long)count(r, "warnings");
	t->failures += (long)count(r, "failures");
	t->exceptions += (long)count(r, "exceptions");
	t->tests = t->passed + t->warnings + t->failures + t->exceptions;
}

static const char *
plural(long n)
{
	return n == 1 ? "" : "s";
}

static void
summary(FILE *f, const struct totals *t)
{
	fprintf(f, "%ld test%s, %ld passed, %ld warning%s, %ld failure%s, "
		   "%ld exception%s\n",
	    t->tests, plural(t->tests), t->passed, t->warnings,
	    plural(t->warnings), t->failures, plural(t->failures),
	    t->exceptions, plural(t->exceptions));
}

static void
lines(FILE *f, const json_t *r, const char *key, const char *word,
    const char *color, int use_color)
{
	const char *file = json_string_value(json_object_get(r, "filename"));
	const char *ns = json_string_value(json_object_get(r, "namespace"));
	size_t i;
	json_t *x;

	json_array_foreach(json_object_get(r, key), i, x)
	{
		if (use_color)
			fprintf(f, "\033[%sm%s\033[0m", color, word);
		else
			fputs(word, f);
		if (strcmp(file, "-") == 0)
			fprintf(f, " - - %s - %s\n", ns, msg_of(x));
		else
			fprintf(f, " - %s - %s - %s\n", file, ns, msg_of(x));
	}
}

static int
out_stdout(FILE *f, const json_t *results, int color)
{
	struct totals t = { 0, 0, 0, 0, 0 };
	const char *c;
	size_t i;
	json_t *r;

	json_array_foreach(results, i, r)
	{
		lines(f, r, "warnings", "WARN", "33", color);
		lines(f, r, "failures", "FAIL", "31", color);
		lines(f, r, "exceptions", "EXCP", "36", color);
		add_totals(&t, r);
	}
	fputc('\n', f);
	c = t.failures ? "31" : t.warnings ? "33" : t.exceptions ? "36" : "32";
	if (color)
		fprintf(f, "\033[%sm", c);
	summary(f, &t);
	if (color)
		fputs("\033[0m", f);
	return 0;
}

/* Conftest's JSON: empty lists left out, "-" as "", tab indents. */
static int
out_json(FILE *f, const json_t *results)
{
	json_t *copy = json_deep_copy(results), *r;
	static const char *const keys[] = { "warnings", "failures",
		"exceptions" };
	char *text, *p;
	size_t i, k;

	if (copy == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	json_array_foreach(copy, i, r)
	{
		for (k = 0; k < 3; k++)
			if (count(r, keys[k]) == 0)
				json_object_del(r, keys[k]);
		if (strcmp(json_string_value(json_object_get(r, "filename")),
			"-") == 0)
			json_object_set_new(r, "filename", json_string(""));
	}
	text = json_dumps(copy, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	json_decref(copy);
	if (text == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	/* every line's leading spaces are indentation: JSON strings have
	 * no raw newlines */
	for (p = text; *p != '\0';) {
		while (*p == ' ')
			fputc('\t', f), p++;
		while (*p != '\0' && *p != '\n')
			fputc(*p++, f);
		if (*p == '\n')
			fputc(*p++, f);
	}
	fputc('\n', f);
	free(text);
	return 0;
}

static int
out_tap(FILE *f, const json_t *results)
{
	size_t i, j;
	json_t *r, *x;

	json_array_foreach(results, i, r)
	{
		const char *file =
		    json_string_value(json_object_get(r, "filename"));
		const char *ns =
		    json_string_value(json_object_get(r, "namespace"));
		long n = successes(r) + (long)count(r, "failures") +
		    (long)count(r, "warnings") + (long)count(r, "exceptions");
		long c = 1, s;
		char ind[4096];

		if (n == 0)
			return 0; /* as Conftest does */
		snprintf(ind, sizeof(ind), "%s%s - %s -",
		    strcmp(file, "-") == 0 ? "-" : "- ",
		    strcmp(file, "-") == 0 ? "" : file, ns);
		fprintf(f, "1..%ld\n", n);
		json_array_foreach(json_object_get(r, "failures"), j, x)
		    fprintf(f, "not ok %ld %s %s\n", c++, ind, msg_of(x));
		if (count(r, "warnings"))
			fputs("# warnings\n", f);
		json_array_foreach(json_object_get(r, "warnings"), j, x)
		    fprintf(f, "not ok %ld %s %s\n", c++, ind, msg_of(x));
		if (count(r, "exceptions"))
			fputs("# exceptions\n", f);
		json_array_foreach(json_object_get(r, "exceptions"), j, x)
		    fprintf(f, "ok %ld %s %s\n", c++, ind, msg_of(x));
		if (successes(r) > 0)
			fputs("# successes\n", f);
		for (s = 0; s < successes(r); s++)
			fprintf(f, "ok %ld %s SUCCESS\n", c++, ind);
	}
	return 0;
}

static void
xml_text(FILE *f, const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '&')
			fputs("&amp;", f);
		else if (c == '<')
			fputs("&lt;", f);
		else if (c == '>')
			fputs("&gt;", f);
		else if (c == '"')
			fputs("&#34;", f);
		else if (c == '\'')
			fputs("&#39;", f);
		else if (c == '\n')
			fputs("&#xA;", f);
		else if (c == '\t')
			fputs("&#x9;", f);
		else if (c < 0x20)
			fputs("\xEF\xBF\xBD", f); /* not allowed in XML 1.0 */
		else
			fputc(c, f);
	}
}

static void
junit_case(FILE *f, const char *cls, const char *file, const char *msg,
    int failed)
{
	const char *nl = strchr(msg, '\n');

	fputs("\t\t<testcase classname=\"", f);
	xml_text(f, cls);
	fputs("\" name=\"", f);
	xml_text(f, file);
	if (*msg != '\0') {
		char first[4096];

		snprintf(first, sizeof(first), "%.*s",
		    (int)(nl ? (size_t)(nl - msg) : strlen(msg)), msg);
		fputs(" - ", f);
		xml_text(f, first);
	}
	fputs("\" time=\"0.000\">", f);
	if (failed) {
		fputs("\n\t\t\t<failure message=\"Failed\" type=\"\">", f);
		xml_text(f, msg);
		fputs("</failure>\n\t\t", f);
	}
	fputs("</testcase>\n", f);
}

/* One <testsuite> per namespace, as go-junit-report writes Conftest's. */
static int
out_junit(FILE *f, const json_t *results)
{
	json_t *seen = json_object(), *r, *x;
	size_t i, j, k;

	if (seen == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n", f);
	json_array_foreach(results, i, r)
	{
		const char *ns =
		    json_string_value(json_object_get(r, "namespace"));
		char cls[1024];
		long tests = 0, failures = 0, fo;

		if (json_object_get(seen, ns) != NULL)
			continue;
		json_object_set_new(seen, ns, json_true());
		snprintf(cls, sizeof(cls), "conftest.%s", ns);
		for (k = i; k < json_array_size(results); k++) {
			json_t *o = json_array_get(results, k);

			if (strcmp(json_string_value(json_object_get(o,
					   "namespace")),
				ns) != 0)
				continue;
			fo = (long)(count(o, "failures") +
			    count(o, "warnings"));
			failures += fo;
			tests += fo + successes(o);
		}
		fprintf(f, "\t<testsuite tests=\"%ld\" failures=\"%ld\" "
			   "time=\"0.000\" name=\"", tests, failures);
		xml_text(f, cls);
		fputs("\">\n\t\t<properties></properties>\n", f);
		for (k = i; k < json_array_size(results); k++) {
			json_t *o = json_array_get(results, k);
			const char *file =
			    json_string_value(json_object_get(o, "filename"));
			long s;

			if (strcmp(json_string_value(json_object_get(o,
					   "namespace")),
				ns) != 0)
				continue;
			json_array_foreach(json_object_get(o, "warnings"), j, x)
			    junit_case(f, cls, file, msg_of(x), 1);
			json_array_foreach(json_object_get(o, "failures"), j, x)
			    junit_case(f, cls, file, msg_of(x), 1);
			for (s = 0; s < successes(o); s++)
				junit_case(f, cls, file, "", 0);
		}
		fputs("\t</testsuite>\n", f);
	}
	fputs("</testsuites>\n", f);
	json_decref(seen);
	return 0;
}

/* GitHub workflow-command property escaping. */
static void
gh_prop(FILE *f, const char *s)
{
	for (; *s != '\0'; s++)
		switch (*s) {
		case '%': fputs("%25", f); break;
		case '\r': fputs("%0D", f); break;
		case '\n': fputs("%0A", f); break;
		case ':': fputs("%3A", f); break;
		case ',': fputs("%2C", f); break;
		default: fputc(*s, f);
		}
}

static void
gh_data(FILE *f, const char *s)
{
	for (; *s != '\0'; s++)
		switch (*s) {
		case '%': fputs("%25", f); break;
		case '\r': fputs("%0D", f); break;
		case '\n': fputs("%0A", f); break;
		default: fputc(*s, f);
		}
}

static void
gh_line(FILE *f, const char *level, const char *file, const char *pre,
    const char *msg)
{
	fprintf(f, "::%s file=", level);
	gh_prop(f, file);
	fputs(",line=1::", f);
	gh_data(f, pre);
	gh_data(f, msg);
	fputc('\n', f);
}

static int
out_github(FILE *f, const json_t *results)
{
	struct totals t = { 0, 0, 0, 0, 0 };
	size_t i, j;
	json_t *r, *x;
	char n[64];

	json_array_foreach(results, i, r)
	{
		const char *file =
		    json_string_value(json_object_get(r, "filename"));
		long np = successes(r) + (long)(count(r, "failures") +
		    count(r, "warnings") + count(r, "exceptions"));

		add_totals(&t, r);
		fprintf(f, "::group::Testing \"%s\" against %ld policies in "
			   "namespace \"%s\"\n",
		    file, np, json_string_value(json_object_get(r, "namespace")));
		json_array_foreach(json_object_get(r, "failures"), j, x)
		    gh_line(f, "error", file, "", msg_of(x));
		json_array_foreach(json_object_get(r, "warnings"), j, x)
		    gh_line(f, "warning", file, "", msg_of(x));
		json_array_foreach(json_object_get(r, "exceptions"), j, x)
		    gh_line(f, "notice", file, "", msg_of(x));
		snprintf(n, sizeof(n), "%ld", successes(r));
		gh_line(f, "notice", file, "Number of successful checks: ", n);
		fputs("::endgroup::\n", f);
	}
	summary(f, &t);
	return 0;
}

int
ls_check_output(FILE *f, const char *format, const json_t *results, int color,
    int exit_code)
{
	if (strcmp(format, "stdout") == 0)
		return out_stdout(f, results, color);
	if (strcmp(format, "json") == 0)
		return out_json(f, results);
	if (strcmp(format, "tap") == 0)
		return out_tap(f, results);
	if (strcmp(format, "junit") == 0)
		return out_junit(f, results);
	if (strcmp(format, "github") == 0)
		return out_github(f, results);
	if (strcmp(format, "sarif") == 0)
		return ls_check_sarif(f, results, exit_code);
	return ls_error_set(LS_EINVAL,
	    "unknown output '%s' (stdout, json, tap, junit, sarif, github)",
	    format);
}
