/* check.c - Conftest's checking rules over the embedded Rego engine. */
#include <ctype.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "lockstep/buf.h"
#include "lockstep/error.h"

#define CHECK_INPUT_MAX (256u << 20) /* one input as JSON text */

/* One rule name of one namespace and how many definitions it has. */
struct rule_ref {
	char *ns, *name;
	size_t defs;
};

struct rule_list {
	struct rule_ref *v;
	size_t n, cap;
};

/* (deny|violation)(_[a-zA-Z0-9]+)* or warn(_[a-zA-Z0-9]+)*: 1 failure,
 * 2 warning, 0 neither. */
static int
rule_kind(const char *name)
{
	const char *p;
	int kind;

	if (strncmp(name, "deny", 4) == 0)
		p = name + 4, kind = 1;
	else if (strncmp(name, "violation", 9) == 0)
		p = name + 9, kind = 1;
	else if (strncmp(name, "warn", 4) == 0)
		p = name + 4, kind = 2;
	else
		return 0;
	while (*p == '_') {
		if (!isalnum((unsigned char)*++p))
			return 0;
		while (isalnum((unsigned char)*p))
			p++;
	}
	return *p == '\0' ? kind : 0;
}

int
ls_check_rule_kind(const char *name)
{
	return rule_kind(name);
}

static int
collect(void *arg, const char *ns, const char *name)
{
	struct rule_list *l = arg;
	size_t i;

	if (rule_kind(name) == 0)
		return 0;
	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i].ns, ns) == 0 &&
		    strcmp(l->v[i].name, name) == 0) {
			l->v[i].defs++;
			return 0;
		}
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct rule_ref *v = realloc(l->v, cap * sizeof(*v));

		if (v == NULL)
			return LS_ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n].ns = strdup(ns);
	l->v[l->n].name = strdup(name);
	l->v[l->n].defs = 1;
	if (l->v[l->n].ns == NULL || l->v[l->n].name == NULL) {
		free(l->v[l->n].ns);
		free(l->v[l->n].name);
		return LS_ENOMEM;
	}
	l->n++;
	return 0;
}

/* Every namespace, even one without checking rules, so that a policy
 * whose namespace matches but defines nothing still shows up. */
struct ns_list {
	char **v;
	size_t n, cap;
};

static int
collect_ns(void *arg, const char *ns, const char *name)
{
	struct ns_list *l = arg;
	size_t i;

	(void)name;
	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i], ns) == 0)
			return 0;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		char **v = realloc(l->v, cap * sizeof(*v));

		if (v == NULL)
			return LS_ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	if ((l->v[l->n] = strdup(ns)) == NULL)
		return LS_ENOMEM;
	l->n++;
	return 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
ns_selected(const struct ls_check_opts *o, const char *ns)
{
	const char *const *g;

	if (o->all_namespaces)
		return 1;
	for (g = o->namespaces; g != NULL && *g != NULL; g++)
		if (fnmatch(*g, ns, 0) == 0)
			return 1;
	return 0;
}

/* "data" + each segment, quoted where it is not an identifier. */
static int
data_ref(struct ls_buf *b, const char *ns, const char *rule)
{
	const char *s = ns;
	int rc = ls_buf_adds(b, "data");

	while (rc == 0 && *s != '\0') {
		const char *e = strchr(s, '.');
		size_t n = e ? (size_t)(e - s) : strlen(s), i;
		int ident = n > 0 && !isdigit((unsigned char)s[0]);

		for (i = 0; i < n; i++)
			ident &= isalnum((unsigned char)s[i]) || s[i] == '_';
		rc = ident ? ls_buf_addf(b, ".%.*s", (int)n, s)
			   : ls_buf_addf(b, "[\"%.*s\"]", (int)n, s);
		s += n + (e != NULL);
	}
	return rc == 0 && rule ? ls_buf_addf(b, ".%s", rule) : rc;
}

/* The values of each solution's first expression. */
static int
query(json_t **out, const struct ls_rego_policy *p, const char *q,
    const struct ls_buf *input, const struct ls_check_opts *o)
{
	struct ls_rego_eval_opts eo;
	char *res = NULL, *err = NULL;
	json_error_t je;
	json_t *doc;
	int rc;

	memset(&eo, 0, sizeof(eo));
	eo.timeout_ms = o->timeout_ms;
	rc = ls_rego_eval_query(&res, p, q, input->data, input->len, &eo,
	    &err);
	if (rc != 0) {
		rc = ls_error_set(rc, "%s: %s", q, err ? err : ls_error_last());
		free(err);
		return rc;
	}
	doc = json_loads(res, JSON_DECODE_ANY, &je);
	free(res);
	if (doc == NULL)
		return ls_error_set(LS_ENOMEM, "%s: unreadable result", q);
	*out = json_incref(json_object_get(doc, "result"));
	json_decref(doc);
	if (*out == NULL)
		*out = json_array();
	return *out ? 0 : LS_ENOMEM;
}

static json_t *
first_value(json_t *solution)
{
	return json_object_get(
	    json_array_get(json_object_get(solution, "expressions"), 0),
	    "value");
}

/* A rule's value into failure/warning results (Conftest's query()):
 * strings and objects with a string msg; other values count nothing. */
static int
add_results(json_t *dst, size_t *produced, json_t *value, const char *q)
{
	size_t i;
	json_t *v;

	json_array_foreach(value, i, v)
	{
		json_t *r = json_object(), *md = json_object();
		const char *k;
		json_t *x;

		if (r == NULL || md == NULL)
			return json_decref(r), json_decref(md), LS_ENOMEM;
		if (json_is_string(v)) {
			json_object_set(r, "msg", v);
		} else if (json_is_object(v)) {
			if (!json_is_string(json_object_get(v, "msg"))) {
				json_decref(r), json_decref(md);
				return ls_error_set(LS_EREGO,
				    "%s: a result object needs a string "
				    "\"msg\" field",
				    q);
			}
			json_object_set(r, "msg", json_object_get(v, "msg"));
			json_object_foreach(v, k, x) if (strcmp(k, "msg") != 0 &&
			    strcmp(k, "_loc") != 0) json_object_set(md, k, x);
		} else {
			json_decref(r), json_decref(md);
			continue;
		}
		json_object_set_new(md, "query", json_string(q));
		json_object_set_new(r, "metadata", md);
		json_array_append_new(dst, r);
		(*produced)++;
	}
	return 0;
}

struct tally {
	json_t *warn, *fail, *exc;
	long successes;
};

/* Query one rule and its exceptions; *produced gets how many results
 * (failures, warnings, exceptions, successes) it gave. */
static int
check_rule(struct tally *t, size_t *produced_out,
    const struct ls_rego_policy *p, const struct rule_ref *r,
    const struct ls_buf *in, const struct ls_check_opts *o)
{
	struct ls_buf q;
	json_t *exc = NULL, *res = NULL, *s;
	const char *suffix = strchr(r->name, '_');
	size_t i, produced = 0, before;
	int rc;

	ls_buf_init(&q, 8192);
	rc = data_ref(&q, r->ns, NULL);
	if (rc == 0)
		rc = ls_buf_addf(&q, ".exception[_][_] == \"%s\"",
		    suffix ? suffix + 1 : "");
	if (rc == 0)
		rc = query(&exc, p, q.data, in, o);
	json_array_foreach(exc, i, s)
	{
		json_t *e = json_pack("{s:s}", "msg", q.data);

		if (e == NULL || json_array_append_new(t->exc, e) != 0)
			rc = LS_ENOMEM;
		produced++;
	}
	before = produced;
	ls_buf_reset(&q);
	if (rc == 0 && (rc = data_ref(&q, r->ns, r->name)) == 0)
		rc = query(&res, p, q.data, in, o);
	json_array_foreach(res, i, s)
	{
		json_t *v = first_value(s);

		if (rc != 0 || before > 0)
			break; /* the exception stands for the whole rule */
		if (!json_is_array(v) || json_array_size(v) == 0) {
			t->successes++;
			produced++;
			continue;
		}
		rc = add_results(rule_kind(r->name) == 1 ? t->fail : t->warn,
		    &produced, v, q.data);
	}
	*produced_out = produced;
	json_decref(exc);
	json_decref(res);
	ls_buf_cleanup(&q);
	return rc;
}

static int
check_ns(json_t *results, const struct ls_rego_policy *p,
    const struct ls_check_opts *o, const struct rule_list *rules,
    const char *ns, const char *filename, const struct ls_val *config)
{
	struct tally t = { json_array(), json_array(), json_array(), 0 };
	const struct ls_val *one = config;
	size_t nsub = 1, k, i, defs, results_n, produced;
	struct ls_buf in;
	json_t *r;
	int rc = 0;

	ls_buf_init(&in, CHECK_INPUT_MAX);
	if (config->type == LS_VAL_ARRAY)
		nsub = config->u.arr.n;
	for (k = 0; k < nsub && rc == 0; k++) {
		if (config->type == LS_VAL_ARRAY)
			one = config->u.arr.v[k];
		ls_buf_reset(&in);
		if ((rc = ls_val_to_json(&in, one)) != 0)
			break;
		defs = 0;
		results_n = 0;
		for (i = 0; i < rules->n && rc == 0; i++) {
			if (strcmp(rules->v[i].ns, ns) != 0)
				continue;
			defs += rules->v[i].defs;
			rc = check_rule(&t, &produced, p, &rules->v[i], &in, o);
			results_n += produced;
		}
		/* Conftest: rule definitions that gave nothing at all are
		 * successes too, counted over the whole input */
		if (results_n < defs)
			t.successes += (long)(defs - results_n);
	}
	ls_buf_cleanup(&in);
	r = json_object();
	if (rc == 0 && (r == NULL || t.warn == NULL || t.fail == NULL ||
			   t.exc == NULL))
		rc = LS_ENOMEM;
	if (rc == 0) {
		json_object_set_new(r, "filename", json_string(filename));
		json_object_set_new(r, "namespace", json_string(ns));
		json_object_set_new(r, "successes",
		    json_integer(t.successes));
		json_object_set(r, "warnings", t.warn);
		json_object_set(r, "failures", t.fail);
		json_object_set(r, "exceptions", t.exc);
		rc = json_array_append(results, r) == 0 ? 0 : LS_ENOMEM;
	}
	json_decref(r);
	json_decref(t.warn);
	json_decref(t.fail);
	json_decref(t.exc);
	return rc;
}

int
ls_check_config(json_t *results, const struct ls_rego_policy *p,
    const struct ls_check_opts *o, const char *filename,
    const struct ls_val *config)
{
	struct rule_list rules = { NULL, 0, 0 };
	struct ns_list nss = { NULL, 0, 0 };
	size_t i;
	int rc;

	rc = ls_rego_policy_rules(p, collect, &rules);
	if (rc == 0)
		rc = ls_rego_policy_rules(p, collect_ns, &nss);
	if (rc == 0 && nss.n > 1)
		qsort(nss.v, nss.n, sizeof(*nss.v), cmp_str);
	for (i = 0; i < nss.n && rc == 0; i++)
		if (ns_selected(o, nss.v[i]))
			rc = check_ns(results, p, o, &rules, nss.v[i],
			    filename, config);
	for (i = 0; i < rules.n; i++) {
		free(rules.v[i].ns);
		free(rules.v[i].name);
	}
	for (i = 0; i < nss.n; i++)
		free(nss.v[i]);
	free(rules.v);
	free(nss.v);
	if (rc == LS_ENOMEM)
		return ls_error_set(rc, "out of memory");
	return rc;
}

int
ls_check_exit_code(const json_t *results, int fail_on_warn)
{
	int fail = 0, warn = 0;
	size_t i;
	json_t *r;

	json_array_foreach(results, i, r)
	{
		fail |= json_array_size(json_object_get(r, "failures")) > 0;
		warn |= json_array_size(json_object_get(r, "warnings")) > 0;
	}
	if (fail_on_warn)
		return fail ? 2 : warn ? 1 : 0;
	return fail ? 1 : 0;
}
