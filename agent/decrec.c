/* decrec.c - build, mask and write decision records (decrec.h). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "decfast.h"
#include "decrec.h"
#include "dectext.h"
#include "lockstep/dectab.h"
#include "lockstep/error.h"
#include "lockstep/hash.h"

const char *const ls_outcome_names[LS_NOUTCOMES] = { "allow", "deny", "warn",
	"error" };
const char *const ls_door_names[LS_NDOORS] = { "api", "admission", "ci",
	"precommit" };

struct ls_decrec {
	struct ls_declog *log; /* NULL: records off */
	size_t input_max;
	pthread_mutex_t mu;
	struct ls_decrec_counts counts;
};

int
ls_decrec_new(struct ls_decrec **out, struct ls_declog *log, size_t input_max)
{
	struct ls_decrec *r = calloc(1, sizeof(*r));

	*out = NULL;
	if (r == NULL)
		return ls_error_set(LS_ENOMEM, "decisions: out of memory");
	r->log = log;
	r->input_max = input_max;
	pthread_mutex_init(&r->mu, NULL);
	*out = r;
	return 0;
}

void
ls_decrec_free(struct ls_decrec *r)
{
	if (r == NULL)
		return;
	pthread_mutex_destroy(&r->mu);
	free(r);
}

int
ls_decrec_enabled(const struct ls_decrec *r)
{
	return r->log != NULL;
}

void
ls_decrec_counts(struct ls_decrec *r, struct ls_decrec_counts *out)
{
	pthread_mutex_lock(&r->mu);
	*out = r->counts;
	pthread_mutex_unlock(&r->mu);
}

static int
nonempty(const json_t *v)
{
	if (json_is_true(v))
		return 1;
	if (json_is_array(v))
		return json_array_size(v) > 0;
	if (json_is_object(v))
		return json_object_size(v) > 0;
	return 0;
}

static enum ls_outcome
outcome_of(const char *path, const json_t *v)
{
	const char *last = strrchr(path, '/');
	const json_t *a;

	last = last ? last + 1 : path;
	if (strncmp(last, "deny", 4) == 0 || strncmp(last, "violation", 9) == 0)
		return nonempty(v) ? LS_OUT_DENY : LS_OUT_ALLOW;
	if (strncmp(last, "warn", 4) == 0)
		return nonempty(v) ? LS_OUT_WARN : LS_OUT_ALLOW;
	if (json_is_false(v))
		return LS_OUT_DENY;
	if (json_is_object(v) &&
	    json_is_boolean(a = json_object_get(v, "allowed")))
		return json_is_true(a) ? LS_OUT_ALLOW : LS_OUT_DENY;
	return LS_OUT_ALLOW;
}

enum ls_outcome
ls_decrec_outcome(const char *path, const char *result, int failed)
{
	json_t *v;
	enum ls_outcome o;

	if (failed)
		return LS_OUT_ERROR;
	v = result ? json_loads(result, JSON_DECODE_ANY, NULL) : NULL;
	o = outcome_of(path, v);
	json_decref(v);
	return o;
}

/* ---- the "input" member's bytes ---- */

static size_t
skip_ws(const char *s, size_t i, size_t n)
{
	while (i < n &&
	    (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
		i++;
	return i;
}

static size_t
skip_string(const char *s, size_t i, size_t n)
{
	for (i++; i < n && s[i] != '"'; i++)
		if (s[i] == '\\')
			i++;
	return i + 1;
}

/* End of the value starting at i (the text is valid JSON). */
static size_t
skip_value(const char *s, size_t i, size_t n)
{
	size_t depth = 0;

	if (s[i] == '"')
		return skip_string(s, i, n);
	if (s[i] != '{' && s[i] != '[') {
		while (i < n && s[i] != ',' && s[i] != '}' && s[i] != ']' &&
		    s[i] != ' ' && s[i] != '\n' && s[i] != '\t' && s[i] != '\r')
			i++;
		return i;
	}
	for (; i < n; i++) {
		if (s[i] == '"') {
			i = skip_string(s, i, n) - 1;
		} else if (s[i] == '{' || s[i] == '[') {
			depth++;
		} else if ((s[i] == '}' || s[i] == ']') && --depth == 0) {
			return i + 1;
		}
	}
	return n;
}

int
ls_decrec_input_span(size_t *off, size_t *n, const char *s, size_t len)
{
	size_t i = skip_ws(s, 0, len), k, e;

	if (i >= len || s[i] != '{')
		return -1;
	for (i = skip_ws(s, i + 1, len); i < len && s[i] == '"';) {
		k = i;
		i = skip_string(s, i, len);
		i = skip_ws(s, i, len) + 1; /* ':' */
		i = skip_ws(s, i, len);
		e = skip_value(s, i, len);
		if (i - k > 0 && strncmp(s + k, "\"input\"", 7) == 0 &&
		    skip_ws(s, k + 7, len) < len &&
		    s[skip_ws(s, k + 7, len)] == ':') {
			*off = i;
			*n = e - i;
			return 0;
		}
		i = skip_ws(s, e, len);
		if (i < len && s[i] == ',')
			i = skip_ws(s, i + 1, len);
		else
			break;
	}
	return -1;
}

/* ---- violations and controls ---- */

const char *
ls_decrec_msg_of(const json_t *el)
{
	if (json_is_string(el))
		return json_string_value(el);
	if (json_is_object(el) && json_is_string(json_object_get(el, "msg")))
		return json_string_value(json_object_get(el, "msg"));
	return NULL;
}

static int
holds(const json_t *set, const json_t *el)
{
	const char *m = ls_decrec_msg_of(el), *x;
	size_t i;
	json_t *v;

	for (i = 0;
	     i < json_array_size(set) && (v = json_array_get(set, i)) != NULL;
	     i++) {
		if (json_equal(v, el))
			return 1;
		x = ls_decrec_msg_of(v);
		if (m != NULL && x != NULL && strcmp(m, x) == 0)
			return 1;
	}
	return 0;
}

static int
add_controls(json_t *arr, const char *const *c)
{
	size_t i;
	json_t *v;
	int dup;

	for (; c != NULL && *c != NULL; c++) {
		dup = 0;
		for (i = 0; i < json_array_size(arr) &&
		     (v = json_array_get(arr, i)) != NULL;
		     i++)
			if (strcmp(json_string_value(v), *c) == 0)
				dup = 1;
		if (!dup && json_array_append_new(arr, json_string(*c)) != 0)
			return LS_ENOMEM;
	}
	return 0;
}

/* Evaluate the leaves of d->path once: array [doc, leaf0, ...] of
 * singleton-or-empty arrays; NULL when there are none or on error. */
json_t *
ls_decrec_query_value(const struct ls_rego_policy *p, const char *query,
    const char *input, size_t len)
{
	char *out = NULL, *err = NULL;
	json_t *doc = NULL, *v = NULL;

	if (ls_rego_eval_query(&out, p, query, input, len, NULL, &err) == 0 &&
	    (doc = json_loads(out, 0, NULL)) != NULL) {
		v = json_object_get(
		    json_array_get(json_object_get(json_array_get(json_object_get(doc,
								      "result"),
						       0),
				       "expressions"),
			0),
		    "value");
		json_incref(v);
	}
	json_decref(doc);
	free(out);
	free(err);
	return v;
}

static json_t *
eval_leaves(const struct ls_decision *d, const struct ls_dectab_leaves *lv)
{
	json_t *v;

	if (lv == NULL || lv->n == 0)
		return NULL;
	v = ls_decrec_query_value(d->act->policy, lv->query, d->input,
	    d->input_len);
	return json_is_array(v) ? v : (json_decref(v), NULL);
}

static json_t *
violation(const char *msg, const char *rule)
{
	return json_pack("{s:s, s:s, s:[]}", "msg", msg, "rule", rule,
	    "controls");
}

/* One violation per element of a deny/warn result. */
static int
violations(json_t *rec, json_t *ctl, const struct ls_decision *d,
    const json_t *res, const json_t *leafv, const struct ls_dectab_leaves *lv)
{
	json_t *vs = json_object_get(rec, "violations"), *el, *v, *lx;
	const struct ls_dectab *t = d->act->tab;
	const char *m;
	char rule[600], *txt;
	size_t i, j;
	int hit;

	snprintf(rule, sizeof(rule), "data.%s", d->path);
	for (i = 0; rule[i]; i++)
		if (rule[i] == '/')
			rule[i] = '.';
	for (i = 0;
	     i < json_array_size(res) && (el = json_array_get(res, i)) != NULL;
	     i++) {
		m = ls_decrec_msg_of(el);
		txt = m ? NULL : json_dumps(el, JSON_ENCODE_ANY);
		v = violation(m ? m : txt ? txt : "", rule);
		free(txt);
		if (v == NULL || json_array_append_new(vs, v) != 0)
			return LS_ENOMEM;
		hit = 0;
		for (j = 0; lv != NULL && j < lv->n; j++) {
			if (d->attr != NULL) {
				if (i >= d->attr->n || j >= 64 ||
				    !(d->attr->holders[i] & (1ull << j)))
					continue;
			} else {
				lx =
				    json_array_get(json_array_get(leafv, j + 1),
					0);
				if (leafv == NULL || !json_is_array(lx) ||
				    !holds(lx, el))
					continue;
			}
			if (!hit)
				json_object_set_new(v, "rule",
				    json_string(lv->paths[j]));
			hit = 1;
			add_controls(json_object_get(v, "controls"),
			    lv->controls[j]);
		}
		if (!hit)
			add_controls(json_object_get(v, "controls"),
			    ls_dectab_own(t, d->path));
		add_controls(ctl, NULL);
		for (j = 0;
		     j < json_array_size(json_object_get(v, "controls")) &&
		     (lx = json_array_get(json_object_get(v, "controls"), j)) !=
			 NULL;
		     j++)
			json_array_append(ctl, lx);
	}
	return 0;
}

/* The exceptions of the bundle but skip, as a JSON array text. */
static char *
exceptions_without(const struct ls_controls *c, size_t skip)
{
	json_t *arr = json_array(), *ex;
	char *s;
	size_t i;

	for (i = 0; arr != NULL && i < c->nexceptions; i++) {
		const struct ls_exception *e = &c->exceptions[i];

		if (i == skip)
			continue;
		ex = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o?}", "id", e->id,
		    "owner", e->owner, "ticket", e->ticket, "reason", e->reason,
		    "expires", e->expires_text, "exempts",
		    json_loads(e->exempts_json, 0, NULL));
		json_array_append_new(arr, ex);
	}
	s = arr ? json_dumps(arr, JSON_COMPACT) : NULL;
	json_decref(arr);
	return s;
}

/* The value of d->path with exception skip left out, as [value] or []. */
static json_t *
eval_without(const struct ls_decision *d, const struct ls_controls *c,
    size_t skip)
{
	char *ex = exceptions_without(c, skip), *q = NULL, ref[600];
	json_t *v = NULL;
	size_t i, k = 0;

	for (i = 0; d->path[i] != '\0' && k + 8 < sizeof(ref); i++)
		if (d->path[i] == '/') {
			memcpy(ref + k, "\"][\"", 4);
			k += 4;
		} else {
			ref[k++] = d->path[i];
		}
	ref[k] = '\0';
	if (ex != NULL &&
	    asprintf(&q,
		"[__v | __v := data[\"%s\"] with data.lockstep.exceptions as "
		"%s]",
		ref, ex) > 0)
		v = ls_decrec_query_value(d->act->policy, q, d->input,
		    d->input_len);
	free(ex);
	free(q);
	return v;
}

/* The leaf that holds el: its path and controls; 0 when none does. */
static int
leaf_of(const json_t *el, const json_t *leafv,
    const struct ls_dectab_leaves *lv, size_t *j)
{
	json_t *lx;

	for (*j = 0; *j < lv->n; (*j)++) {
		lx = json_array_get(json_array_get(leafv, *j + 1), 0);
		if (json_is_array(lx) && holds(lx, el))
			return 1;
	}
	return 0;
}

static int
add_waiver(json_t *rec, json_t *ctl, const struct ls_exception *e,
    const json_t *changed, const json_t *leafv,
    const struct ls_dectab_leaves *lv)
{
	json_t *w, *el;
	size_t i, j;

	w = json_pack("{s:s, s:s, s:s, s:s, s:s, s:[]}", "id", e->id, "owner",
	    e->owner, "ticket", e->ticket, "expires", e->expires_text, "rule",
	    "", "controls");
	if (w == NULL ||
	    json_array_append_new(json_object_get(rec, "waived"), w) != 0)
		return LS_ENOMEM;
	for (i = 0; i < json_array_size(changed) &&
	     (el = json_array_get(changed, i)) != NULL;
	     i++) {
		if (!leaf_of(el, leafv, lv, &j))
			continue;
		json_object_set_new(w, "rule", json_string(lv->paths[j]));
		add_controls(json_object_get(w, "controls"), lv->controls[j]);
		add_controls(ctl, lv->controls[j]);
		break;
	}
	return 0;
}

#define WAIVER_EVALS_MAX 32

/* Exceptions that changed the outcome: leaving one out changes the
 * result.  Only tried when a leaf holds an element the result lacks. */
static int
waivers(json_t *rec, json_t *ctl, const struct ls_decision *d,
    const json_t *res, const json_t *leafv, const struct ls_dectab_leaves *lv)
{
	const struct ls_controls *c = ls_dectab_exceptions(d->act->tab);
	json_t *lx, *el, *alt, *changed;
	size_t i, j, k;
	int cand = 0, rc = 0;

	if (!ls_dectab_reads_exceptions(d->act->tab, d->path) || leafv == NULL)
		return 0;
	for (j = 0; j < lv->n && !cand; j++) {
		lx = json_array_get(json_array_get(leafv, j + 1), 0);
		for (k = 0; k < json_array_size(lx) &&
		     (el = json_array_get(lx, k)) != NULL;
		     k++)
			if (!json_is_array(res) || !holds(res, el))
				cand = 1;
	}
	for (i = 0; cand && i < c->nexceptions && i < WAIVER_EVALS_MAX; i++) {
		alt = eval_without(d, c, i);
		el = json_array_get(alt, 0);
		if (el != NULL && !json_equal(el, res)) {
			changed = json_array();
			for (k = 0; k < json_array_size(el) &&
			     (lx = json_array_get(el, k)) != NULL;
			     k++)
				if (!json_is_array(res) || !holds(res, lx))
					json_array_append(changed, lx);
			rc = add_waiver(rec, ctl, &c->exceptions[i], changed,
			    leafv, lv);
			json_decref(changed);
		}
		json_decref(alt);
	}
	return rc;
}

/* ---- system.log.drop / system.log.mask ---- */

/* The event the log policies see: {"path","input","result"}. */
static char *
event_of(const struct ls_decision *d, size_t *len)
{
	char *s = NULL;
	int n;

	n = asprintf(&s, "{\"path\":\"%s\",\"input\":%.*s,\"result\":%s}",
	    d->path, d->input ? (int)d->input_len : 4,
	    d->input ? d->input : "null", d->result ? d->result : "null");
	*len = n > 0 ? (size_t)n : 0;
	return n > 0 ? s : NULL;
}

static json_t *
eval_log_rule(const struct ls_decision *d, const char *path)
{
	char *ev, *out = NULL, *err = NULL;
	size_t len = 0;
	json_t *v = NULL;

	if ((ev = event_of(d, &len)) == NULL)
		return NULL;
	if (ls_rego_eval_path(&out, d->act->policy, path, ev, len, &err) == 0)
		v = json_loads(out, JSON_DECODE_ANY, NULL);
	free(ev);
	free(out);
	free(err);
	return v;
}

/* Decode one JSON pointer token (~1 -> /, ~0 -> ~). */
static void
ptr_token(char *out, size_t sz, const char *s, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i < n && k + 1 < sz; i++) {
		if (s[i] == '~' && i + 1 < n &&
		    (s[i + 1] == '0' || s[i + 1] == '1')) {
			out[k++] = s[i + 1] == '0' ? '~' : '/';
			i++;
		} else {
			out[k++] = s[i];
		}
	}
	out[k] = '\0';
}

/* Erase (value NULL) or upsert the pointer p ("/input/...") in rec. */
static void
apply_ptr(json_t *rec, const char *p, json_t *value)
{
	char tok[512];
	json_t *cur = rec, *next;
	const char *s = p, *e;

	if (strncmp(p, "/input", 6) != 0 || (p[6] != '/' && p[6] != '\0'))
		return;
	while (*s == '/') {
		s++;
		e = strchr(s, '/');
		ptr_token(tok, sizeof(tok), s, e ? (size_t)(e - s) : strlen(s));
		if (e == NULL) {
			if (!json_is_object(cur))
				return;
			if (value == NULL)
				json_object_del(cur, tok);
			else
				json_object_set(cur, tok, value);
			return;
		}
		next = json_object_get(cur, tok);
		if (next == NULL && value != NULL && json_is_object(cur)) {
			next = json_object();
			json_object_set_new(cur, tok, next);
		}
		if (!json_is_object(next))
			return;
		cur = next;
		s = e;
	}
}

static void
mask(json_t *rec, const struct ls_decision *d)
{
	json_t *m = eval_log_rule(d, "system/log/mask"), *el, *op;
	size_t i;

	for (i = 0;
	     i < json_array_size(m) && (el = json_array_get(m, i)) != NULL;
	     i++) {
		if (json_is_string(el)) {
			apply_ptr(rec, json_string_value(el), NULL);
		} else if (json_is_object(el) &&
		    json_is_string(op = json_object_get(el, "op")) &&
		    strcmp(json_string_value(op), "upsert") == 0 &&
		    json_is_string(json_object_get(el, "path")) &&
		    json_object_get(el, "value") != NULL) {
			apply_ptr(rec,
			    json_string_value(json_object_get(el, "path")),
			    json_object_get(el, "value"));
		}
	}
	json_decref(m);
}

static int
dropped(const struct ls_decision *d)
{
	json_t *v;
	int yes;

	if (d->act == NULL || !ls_dectab_has_drop(d->act->tab))
		return 0;
	v = eval_log_rule(d, "system/log/drop");
	yes = json_is_true(v);
	json_decref(v);
	return yes;
}

/* ---- the record ---- */

static int
cmp_json_str(const void *a, const void *b)
{
	return strcmp(json_string_value(*(json_t *const *)a),
	    json_string_value(*(json_t *const *)b));
}

/* Sort the controls array and drop duplicates. */
static json_t *
sorted_unique(json_t *arr)
{
	size_t n = json_array_size(arr), i;
	json_t **v = calloc(n + 1, sizeof(*v)), *out = json_array();

	for (i = 0; v != NULL && i < n; i++)
		v[i] = json_array_get(arr, i);
	if (v != NULL && n > 0)
		qsort(v, n, sizeof(*v), cmp_json_str);
	for (i = 0; v != NULL && out != NULL && i < n; i++)
		if (i == 0 || cmp_json_str(&v[i - 1], &v[i]) != 0)
			json_array_append(out, v[i]);
	free(v);
	return out;
}

static void
set_input(json_t *rec, const struct ls_decision *d, size_t max)
{
	json_t *in;

	if (d->input == NULL)
		return;
	if (d->input_len > max) {
		json_object_set_new(rec, "input_truncated", json_true());
		return;
	}
	in = json_loadb(d->input, d->input_len, JSON_DECODE_ANY, NULL);
	if (in != NULL)
		json_object_set_new(rec, "input", in);
}

/* Violations, waivers and controls of a decision with a policy. */
static int
attribute(json_t *rec, const struct ls_decision *d, enum ls_outcome oc,
    const json_t *res)
{
	const struct ls_dectab_leaves *lv;
	json_t *leafv = NULL, *ctl = json_array();
	int rc = 0;

	if (ctl == NULL)
		return LS_ENOMEM;
	lv = ls_dectab_leaves(d->act->tab, d->path);
	/* Leaf values as JSON only when needed: no attribution from the
	 * door, or a leaf element the result lacks (a waiver candidate). */
	if (d->attr == NULL ? oc == LS_OUT_DENY || oc == LS_OUT_WARN ||
		    ls_dectab_reads_exceptions(d->act->tab, d->path)
			    : d->attr->stray &&
		    ls_dectab_reads_exceptions(d->act->tab, d->path))
		leafv = eval_leaves(d, lv);
	if ((oc == LS_OUT_DENY || oc == LS_OUT_WARN) && json_is_array(res))
		rc = violations(rec, ctl, d, res, leafv, lv);
	if (rc == 0 && res != NULL)
		rc = waivers(rec, ctl, d, res, leafv, lv);
	if (rc == 0 && json_array_size(ctl) == 0)
		rc =
		    add_controls(ctl, ls_dectab_controls(d->act->tab, d->path));
	if (rc == 0)
		json_object_set_new(rec, "controls", sorted_unique(ctl));
	json_decref(ctl);
	json_decref(leafv);
	return rc;
}

/* The door's own judgement (ls_decision.verdict). */
static int
take_verdict(json_t *rec, const struct ls_decision_verdict *v)
{
	json_t *vs = json_deep_copy(v->violations);
	json_t *ctl = json_deep_copy(v->controls);

	if ((v->violations != NULL && vs == NULL) ||
	    (v->controls != NULL && ctl == NULL)) {
		json_decref(vs);
		json_decref(ctl);
		return ls_error_set(LS_ENOMEM, "decisions: out of memory");
	}
	json_object_set_new(rec, "violations", vs ? vs : json_array());
	json_object_set_new(rec, "controls", ctl ? ctl : json_array());
	return 0;
}

static void
count(struct ls_decrec *r, const struct ls_decision *d, enum ls_outcome oc)
{
	pthread_mutex_lock(&r->mu);
	r->counts.by[d->door][oc]++;
	pthread_mutex_unlock(&r->mu);
}

/* The members after outcome (violations, waived, input when parsed,
 * controls) through jansson: every case the fast path leaves. */
static int
general_members(struct ls_buf *b, const struct ls_decision *d,
    enum ls_outcome oc, const json_t *res, int splice, size_t input_max)
{
	json_t *rec = json_pack("{s:[], s:[]}", "violations", "waived");
	int rc = 0;

	if (rec == NULL)
		return ls_error_set(LS_ENOMEM, "decisions: out of memory");
	if (d->file != NULL)
		json_object_set_new(rec, "file", json_string(d->file));
	if (!splice)
		set_input(rec, d, input_max);
	if (d->verdict != NULL)
		rc = take_verdict(rec, d->verdict);
	else if (d->act != NULL && d->act->tab != NULL)
		rc = attribute(rec, d, oc, res);
	else
		json_object_set_new(rec, "controls", json_array());
	if (rc == 0 && d->act != NULL && ls_dectab_has_mask(d->act->tab) &&
	    json_object_get(rec, "input"))
		mask(rec, d);
	if (rc == 0)
		rc = ls_dectext_members(b, rec);
	json_decref(rec);
	return rc;
}

int
ls_decrec_record(struct ls_decrec *r, char *id, const struct ls_decision *d)
{
	enum ls_outcome oc;
	struct ls_buf mb;
	json_t *res;
	char *text = NULL;
	size_t len = 0;
	int rc = 1, splice;

	id[0] = '\0';
	res = d->result_json ? json_incref((json_t *)(uintptr_t)d->result_json)
	    : d->result	     ? json_loads(d->result, JSON_DECODE_ANY, NULL)
			     : NULL;
	oc = d->error != NULL ? LS_OUT_ERROR
	    : d->verdict != NULL ? d->verdict->outcome
				 : outcome_of(d->path, res);
	count(r, d, oc);
	if (r->log == NULL || dropped(d)) {
		if (r->log != NULL)
			ls_declog_count_drop(r->log);
		json_decref(res);
		return 0;
	}
	splice = d->input != NULL && d->input_len <= r->input_max &&
	    !(d->act != NULL && ls_dectab_has_mask(d->act->tab));
	ls_buf_init(&mb, LS_DECTEXT_MAX);
	/* the members after outcome: straight from the door's attribution
	 * when that is all there is to say, else through jansson */
	if (splice && d->verdict == NULL && d->file == NULL)
		rc = ls_decfast_members(&mb, d, oc, res);
	if (rc == 1)
		rc = general_members(&mb, d, oc, res, splice, r->input_max);
	if (rc == 0)
		rc = ls_dectext_line(&text, &len, d, oc, mb.data ? mb.data : "",
		    mb.len, splice);
	if (rc == 0)
		rc = ls_declog_append(r->log, id, text, len);
	if (rc == LS_ENOMEM)
		rc = ls_error_set(rc, "decisions: out of memory");
	free(text);
	ls_buf_cleanup(&mb);
	json_decref(res);
	return rc;
}

int
ls_decrec_add_controls(json_t *arr, const char *const *controls)
{
	return add_controls(arr, controls);
}

json_t *
ls_decrec_sorted_unique(json_t *arr)
{
	return sorted_unique(arr);
}
