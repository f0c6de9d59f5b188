/* audit_render.c - the audit summary as Markdown, HTML and OSCAL 1.1
 * assessment-results; each a pure function of summary.json. */
#include <stdint.h>
#include <string.h>

#include "audit.h"
#include "lockstep/error.h"
#include "lockstep/hash.h"

static const char *
jstr(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "-";
}

static json_int_t
jint(json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

/* Text written into HTML: escape; into Markdown: only '|' and newlines
 * would break a table, so they are replaced. */
static int
put(struct ls_buf *b, const char *s, int html)
{
	int rc = 0;

	for (; rc == 0 && *s; s++) {
		if (html && *s == '<')
			rc = ls_buf_adds(b, "&lt;");
		else if (html && *s == '>')
			rc = ls_buf_adds(b, "&gt;");
		else if (html && *s == '&')
			rc = ls_buf_adds(b, "&amp;");
		else if (html && *s == '"')
			rc = ls_buf_adds(b, "&quot;");
		else if (!html && (*s == '|' || *s == '\n'))
			rc = ls_buf_addc(b, ' ');
		else
			rc = ls_buf_addc(b, *s);
	}
	return rc;
}

/* One table: header cells, then rows of cells; html or markdown. */
struct table {
	struct ls_buf *b;
	int html;
	int rc;
};

static void
row(struct table *t, int head, const char *const *cells, size_t n)
{
	size_t i;

	if (t->rc != 0)
		return;
	if (t->html)
		t->rc = ls_buf_adds(t->b, "<tr>");
	for (i = 0; t->rc == 0 && i < n; i++) {
		if (t->html)
			t->rc = ls_buf_adds(t->b, head ? "<th>" : "<td>");
		else
			t->rc = ls_buf_adds(t->b, "| ");
		if (t->rc == 0)
			t->rc = put(t->b, cells[i], t->html);
		if (t->rc == 0)
			t->rc = ls_buf_adds(t->b,
			    t->html ? (head ? "</th>" : "</td>") : " ");
	}
	if (t->rc == 0)
		t->rc = ls_buf_adds(t->b, t->html ? "</tr>\n" : "|\n");
	if (t->rc == 0 && head && !t->html) {
		for (i = 0; t->rc == 0 && i < n; i++)
			t->rc = ls_buf_adds(t->b, "|---");
		if (t->rc == 0)
			t->rc = ls_buf_adds(t->b, "|\n");
	}
}

static void
table_open(struct table *t, const char *title, const char *const *head,
    size_t n)
{
	if (t->rc == 0)
		t->rc = t->html
		    ? ls_buf_addf(t->b, "<h3>%s</h3>\n<table>\n", title)
		    : ls_buf_addf(t->b, "\n#### %s\n\n", title);
	row(t, 1, head, n);
}

static void
table_close(struct table *t)
{
	if (t->rc == 0 && t->html)
		t->rc = ls_buf_adds(t->b, "</table>\n");
}

static void
counts(struct table *t, const char *title, const char *what, json_t *obj)
{
	const char *head[] = { what, "count" }, *k;
	char num[32];
	json_t *v;

	table_open(t, title, head, 2);
	json_object_foreach(obj, k, v)
	{
		const char *cells[2] = { k, num };

		snprintf(num, sizeof(num), "%lld",
		    (long long)json_integer_value(v));
		row(t, 0, cells, 2);
	}
	table_close(t);
}

static void
agent_tables(struct table *t, json_t *a)
{
	const char *vh[] = { "version", "bundle", "from", "to" };
	const char *eh[] = { "exception", "owner", "ticket", "sunset", "used" };
	json_t *v, *g = json_object_get(a, "gaps");
	const char *k;
	char num[32];
	size_t i;

	table_open(t, "Versions enforced", vh, 4);
	json_array_foreach(json_object_get(a, "versions"), i, v)
	{
		const char *c[4] = { jstr(v, "version"), jstr(v, "bundle"),
			jstr(v, "from"), jstr(v, "to") };
		row(t, 0, c, 4);
	}
	table_close(t);
	counts(t, "Decisions by door and outcome", "door/outcome",
	    json_object_get(a, "decisions"));
	counts(t, "Violations by rule", "rule",
	    json_object_get(a, "violations"));
	table_open(t, "Exceptions used", eh, 5);
	json_object_foreach(json_object_get(a, "exceptions"), k, v)
	{
		const char *c[5] = { k, jstr(v, "owner"), jstr(v, "ticket"),
			jstr(v, "expires"), num };

		snprintf(num, sizeof(num), "%lld", (long long)jint(v, "count"));
		row(t, 0, c, 5);
	}
	table_close(t);
	if (t->rc == 0)
		t->rc = ls_buf_addf(t->b,
		    "%sGaps: %zu silent period(s), %lld stale and %lld error "
		    "report(s), %zu seq gap(s), %zu announced drop(s), %lld "
		    "record(s) dropped by policy%s\n",
		    t->html ? "<p>" : "\n",
		    json_array_size(json_object_get(g, "silent")),
		    (long long)jint(g, "stale_reports"),
		    (long long)jint(g, "error_reports"),
		    json_array_size(json_object_get(g, "seq_gaps")),
		    json_array_size(json_object_get(g, "dropped")),
		    (long long)jint(g, "dropped_counted"),
		    t->html ? "</p>" : "");
}

static void
global_tables(struct table *t, json_t *sum)
{
	const char *bh[] = { "time", "channel", "version", "result",
		"tests passed", "tests failed", "bundle" };
	const char *oh[] = { "time", "action", "channel", "agent", "version",
		"owner", "reason", "sunset" };
	const char *ch[] = { "control", "decisions", "agents", "finding" };
	char p[32], f[32], d[32], n[32];
	json_t *v;
	const char *k;
	size_t i;

	table_open(t, "Controls", ch, 4);
	json_object_foreach(json_object_get(sum, "controls"), k, v)
	{
		const char *c[4] = { k, d, n, jstr(v, "state") };

		snprintf(d, sizeof(d), "%lld", (long long)jint(v, "decisions"));
		snprintf(n, sizeof(n), "%zu",
		    json_array_size(json_object_get(v, "agents")));
		row(t, 0, c, 4);
	}
	table_close(t);
	table_open(t, "Builds of the versions enforced", bh, 7);
	json_array_foreach(json_object_get(sum, "builds"), i, v)
	{
		const char *c[7] = { jstr(v, "time"), jstr(v, "channel"),
			jstr(v, "tag"), jstr(v, "result"), p, f,
			jstr(v, "bundle") };

		snprintf(p, sizeof(p), "%lld", (long long)jint(v, "passed"));
		snprintf(f, sizeof(f), "%lld", (long long)jint(v, "failed"));
		row(t, 0, c, 7);
	}
	table_close(t);
	table_open(t, "Operator actions", oh, 8);
	json_array_foreach(json_object_get(sum, "operator"), i, v)
	{
		const char *c[8] = { jstr(v, "time"), jstr(v, "action"),
			jstr(v, "channel"), jstr(v, "agent"),
			jstr(v, "version"), jstr(v, "owner"), jstr(v, "reason"),
			jstr(v, "until") };
		row(t, 0, c, 8);
	}
	table_close(t);
}

static int
render(struct ls_buf *b, json_t *sum, int html)
{
	struct table t = { b, html, 0 };
	json_t *sc = json_object_get(sum, "scope"), *a;
	const char *name,
	    *what = json_object_get(sc, "control") ? "control" : "framework";

	t.rc = ls_buf_addf(b,
	    "%s%s %s, %s to %s%s\n%sGenerated %s from %lld records; %lld "
	    "decisions; silent means more than %lld hours without a "
	    "report or decision.%s\n",
	    html ? "<!doctype html>\n<html><head><meta charset=\"utf-8\">"
		   "<title>Audit</title><style>table{border-collapse:"
		   "collapse}td,th{border:1px solid #999;padding:2px 6px}"
		   "</style></head><body>\n<h1>Audit: "
		 : "# Audit: ",
	    what, jstr(sc, what), jstr(sc, "since"), jstr(sc, "until"),
	    html ? "</h1>" : "\n", html ? "<p>" : "", jstr(sc, "generated"),
	    (long long)jint(sum, "records"),
	    (long long)jint(json_object_get(sum, "decisions"), "total"),
	    (long long)jint(sc, "silent_hours"), html ? "</p>" : "");
	global_tables(&t, sum);
	json_object_foreach(json_object_get(sum, "agents"), name, a)
	{
		if (t.rc == 0)
			t.rc = html ? ls_buf_adds(b, "<h2>Agent ")
				    : ls_buf_adds(b, "\n## Agent ");
		if (t.rc == 0)
			t.rc = put(b, name, html);
		if (t.rc == 0)
			t.rc = ls_buf_adds(b, html ? "</h2>\n" : "\n");
		agent_tables(&t, a);
	}
	if (t.rc == 0 && html)
		t.rc = ls_buf_adds(b, "</body></html>\n");
	return t.rc;
}

int
ls_audit_render_md(struct ls_buf *out, json_t *summary)
{
	return render(out, summary, 0);
}

int
ls_audit_render_html(struct ls_buf *out, json_t *summary)
{
	return render(out, summary, 1);
}
