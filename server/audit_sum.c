/* audit_sum.c - the audit summary: numbers computed from the package's
 * records alone, so that `lockstep audit verify` can recompute them. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "lockstep/error.h"
#include "lockstep/timefmt.h"

static const char *
dstr(json_t *e, const char *key)
{
	return json_string_value(
	    json_object_get(json_object_get(e, "details"), key));
}

static json_int_t
dint(json_t *e, const char *key)
{
	return json_integer_value(
	    json_object_get(json_object_get(e, "details"), key));
}

static const char *
or_none(const char *s)
{
	return s != NULL && s[0] != '\0' ? s : "-";
}

/* obj[key] += n */
static void
bump(json_t *obj, const char *key, json_int_t n)
{
	json_t *v = json_object_get(obj, key);

	json_object_set_new(obj, key, json_integer(json_integer_value(v) + n));
}

static json_t *
child(json_t *obj, const char *key, int array)
{
	json_t *v = json_object_get(obj, key);

	if (v == NULL) {
		v = array ? json_array() : json_object();
		json_object_set_new(obj, key, v);
	}
	return v;
}

static json_t *
timestr(time_t t)
{
	char s[LS_TIME_LEN];

	ls_time_format(s, t);
	return json_string(s);
}

/* Per agent working state, kept beside the summary. */
struct ev_time {
	time_t t;
	size_t i; /* order among equal times */
	const char *version, *bundle;
};

struct range {
	json_int_t first, last;
};

struct agent_acc {
	const char *name;
	struct ev_time *v; /* activity: reports, decisions, batches */
	size_t n, cap;
	struct range *b; /* batches in log order */
	size_t nb, capb;
	struct range *d; /* announced drops */
	size_t nd, capd;
};

struct accs {
	json_t *idx; /* agent -> index in v */
	struct agent_acc *v;
	size_t n, cap;
};

static int
grow(void **v, size_t *cap, size_t n, size_t size)
{
	void *p;
	size_t c;

	if (n < *cap)
		return 0;
	c = *cap ? *cap * 2 : 16;
	if ((p = realloc(*v, c * size)) == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	*v = p;
	*cap = c;
	return 0;
}

static struct agent_acc *
acc_get(struct accs *as, const char *agent)
{
	json_t *h = json_object_get(as->idx, agent);

	if (h != NULL)
		return &as->v[json_integer_value(h)];
	if (grow((void **)&as->v, &as->cap, as->n, sizeof(*as->v)) != 0)
		return NULL;
	memset(&as->v[as->n], 0, sizeof(as->v[0]));
	as->v[as->n].name = agent;
	json_object_set_new(as->idx, agent, json_integer((json_int_t)as->n));
	return &as->v[as->n++];
}

static int
acc_add(struct agent_acc *a, time_t t, const char *version, const char *bundle)
{
	if (grow((void **)&a->v, &a->cap, a->n, sizeof(*a->v)) != 0)
		return LS_ENOMEM;
	a->v[a->n].t = t;
	a->v[a->n].i = a->n;
	a->v[a->n].version = version;
	a->v[a->n].bundle = bundle;
	a->n++;
	return 0;
}

static int
range_add(struct range **v, size_t *n, size_t *cap, json_int_t first,
    json_int_t last)
{
	if (grow((void **)v, cap, *n, sizeof(**v)) != 0)
		return LS_ENOMEM;
	(*v)[*n].first = first;
	(*v)[*n].last = last;
	(*n)++;
	return 0;
}

static void
accs_cleanup(struct accs *as)
{
	size_t i;

	for (i = 0; i < as->n; i++) {
		free(as->v[i].v);
		free(as->v[i].b);
		free(as->v[i].d);
	}
	free(as->v);
	json_decref(as->idx);
}

static int
cmp_time(const void *x, const void *y)
{
	const struct ev_time *a = x, *b = y;

	if (a->t != b->t)
		return a->t < b->t ? -1 : 1;
	return a->i < b->i ? -1 : a->i > b->i;
}

static json_t *
agent_obj(json_t *sum, const char *agent)
{
	json_t *a = json_object_get(child(sum, "agents", 0), agent);

	if (a == NULL) {
		a = json_pack("{s:[], s:{}, s:{}, s:{}, s:{s:[], s:i, s:i, "
			      "s:[], s:[], s:i}}",
		    "versions", "decisions", "violations", "exceptions", "gaps",
		    "silent", "stale_reports", 0, "error_reports", 0,
		    "seq_gaps", "dropped", "dropped_counted", 0);
		json_object_set_new(child(sum, "agents", 0), agent, a);
	}
	return a;
}

static json_t *
control_obj(json_t *sum, const char *ctl)
{
	json_t *c = json_object_get(child(sum, "controls", 0), ctl);

	if (c == NULL) {
		c = json_pack("{s:i, s:{}, s:[]}", "decisions", 0, "outcomes",
		    "agents");
		json_object_set_new(child(sum, "controls", 0), ctl, c);
	}
	return c;
}

static void
add_unique(json_t *arr, const char *s)
{
	size_t i;
	json_t *v;

	json_array_foreach(arr, i,
	    v) if (strcmp(json_string_value(v), s) == 0) return;
	json_array_append_new(arr, json_string(s));
}

static void
one_decision_controls(json_t *sum, json_t *e, const struct ls_audit_opts *o)
{
	json_t *ctls =
		   json_object_get(json_object_get(e, "details"), "controls"),
	       *c, *one = json_array(), *co;
	const char *agent = json_string_value(json_object_get(e, "agent"));
	size_t i;

	json_array_foreach(ctls, i, c)
	{
		json_array_clear(one);
		json_array_append(one, c);
		if (!json_is_string(c) || !ls_audit_in_scope(one, o))
			continue;
		co = control_obj(sum, json_string_value(c));
		bump(co, "decisions", 1);
		bump(json_object_get(co, "outcomes"),
		    or_none(dstr(e, "outcome")), 1);
		if (agent != NULL)
			add_unique(json_object_get(co, "agents"), agent);
	}
	json_decref(one);
}

/* Decisions per day (of the decision's own time) and per version there:
 * the timeline the auditor page draws. */
static void
one_day(json_t *sum, json_t *e)
{
	const char *t = dstr(e, "time");
	char day[11];
	json_t *d;

	if (t == NULL || strlen(t) < 10)
		return;
	memcpy(day, t, 10);
	day[10] = '\0';
	d = child(child(sum, "days", 0), day, 0);
	bump(d, "decisions", 1);
	bump(child(d, "versions", 0), or_none(dstr(e, "version")), 1);
	bump(child(d, "outcomes", 0), or_none(dstr(e, "outcome")), 1);
}

static void
one_decision(json_t *sum, json_t *a, json_t *e, const struct ls_audit_opts *o)
{
	json_t *d = json_object_get(e, "details"), *v, *w, *x;
	char key[128];
	size_t i;

	snprintf(key, sizeof(key), "%s/%s", or_none(dstr(e, "door")),
	    or_none(dstr(e, "outcome")));
	bump(json_object_get(a, "decisions"), key, 1);
	bump(child(json_object_get(sum, "decisions"), "by_door", 0),
	    or_none(dstr(e, "door")), 1);
	bump(child(json_object_get(sum, "decisions"), "by_outcome", 0),
	    or_none(dstr(e, "outcome")), 1);
	bump(json_object_get(sum, "decisions"), "total", 1);
	json_array_foreach(json_object_get(d, "violations"), i, v)
	    bump(json_object_get(a, "violations"),
		or_none(json_string_value(json_object_get(v, "rule"))), 1);
	json_array_foreach(json_object_get(d, "waived"), i, w)
	{
		const char *id =
		    or_none(json_string_value(json_object_get(w, "id")));

		x = json_object_get(json_object_get(a, "exceptions"), id);
		if (x == NULL) {
			x = json_pack("{s:s, s:s, s:s, s:i}", "owner",
			    or_none(
				json_string_value(json_object_get(w, "owner"))),
			    "ticket",
			    or_none(json_string_value(
				json_object_get(w, "ticket"))),
			    "expires",
			    or_none(json_string_value(
				json_object_get(w, "expires"))),
			    "count", 0);
			json_object_set_new(json_object_get(a, "exceptions"),
			    id, x);
		}
		bump(x, "count", 1);
	}
	one_decision_controls(sum, e, o);
	one_day(sum, e);
}

static void
one_dropped(json_t *a, json_t *e)
{
	json_array_append_new(json_object_get(json_object_get(a, "gaps"),
				  "dropped"),
	    json_pack("{s:I, s:I, s:s}", "first", dint(e, "first"), "last",
		dint(e, "last"), "reason", or_none(dstr(e, "reason"))));
}

static void
one_report(json_t *a, json_t *e, const struct ls_audit_opts *o)
{
	json_t *g = json_object_get(a, "gaps");
	const char *state = dstr(e, "state");
	time_t t = ls_audit_entry_time(e);

	if (t < o->since)
		return; /* the state before the period: its version only */
	bump(a, "reports", 1);
	if (state != NULL && strcmp(state, "stale") == 0)
		bump(g, "stale_reports", 1);
	if (state != NULL && strcmp(state, "error") == 0)
		bump(g, "error_reports", 1);
	bump(g, "dropped_counted", dint(e, "dropped"));
}

static void
one_build(json_t *sum, json_t *e)
{
	json_t *d = json_object_get(e, "details");

	json_array_append_new(child(sum, "builds", 1),
	    json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I}", "time",
		or_none(json_string_value(json_object_get(e, "time"))),
		"channel",
		or_none(json_string_value(json_object_get(e, "channel"))),
		"tag", or_none(dstr(e, "tag")), "result",
		or_none(dstr(e, "result")), "bundle",
		or_none(dstr(e, "bundle")), "passed",
		json_integer_value(
		    json_object_get(json_object_get(d, "tests"), "passed")),
		"failed",
		json_integer_value(
		    json_object_get(json_object_get(d, "tests"), "failed"))));
}

static void
one_operator(json_t *sum, json_t *e)
{
	static const char *const keys[] = { "action", "version", "owner",
		"reason", "until" };
	json_t *op = json_pack("{s:s, s:s, s:s}", "time",
	    or_none(json_string_value(json_object_get(e, "time"))), "channel",
	    or_none(json_string_value(json_object_get(e, "channel"))), "agent",
	    or_none(json_string_value(json_object_get(e, "agent"))));
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		json_object_set_new(op, keys[i],
		    json_string(or_none(dstr(e, keys[i]))));
	json_array_append_new(child(sum, "operator", 1), op);
}

static time_t
period_end(const struct ls_audit_opts *o)
{
	return o->generated != 0 && o->generated < o->until ? o->generated
							    : o->until;
}

/* Version intervals: consecutive activity on one version, each interval
 * lasting until the next version is seen (or the period's end). */
static void
versions(json_t *a, struct agent_acc *acc, const struct ls_audit_opts *o)
{
	json_t *arr = json_object_get(a, "versions"), *cur = NULL;
	size_t i;

	for (i = 0; i < acc->n; i++) {
		struct ev_time *e = &acc->v[i];
		time_t from = e->t < o->since ? o->since : e->t;

		if (e->version == NULL)
			continue;
		if (cur != NULL &&
		    strcmp(json_string_value(json_object_get(cur, "version")),
			e->version) == 0)
			continue;
		if (cur != NULL)
			json_object_set_new(cur, "to", timestr(from));
		cur = json_pack("{s:s, s:s, s:o}", "version", e->version,
		    "bundle", or_none(e->bundle), "from", timestr(from));
		json_array_append_new(arr, cur);
	}
	if (cur != NULL)
		json_object_set_new(cur, "to", timestr(period_end(o)));
}

static void
silent(json_t *a, struct agent_acc *acc, const struct ls_audit_opts *o)
{
	json_t *arr = json_object_get(json_object_get(a, "gaps"), "silent");
	time_t prev = o->since, end = period_end(o), limit;
	size_t i;

	limit = (time_t)o->silent_hours * 3600;
	for (i = 0; i <= acc->n; i++) {
		time_t t = i < acc->n ? acc->v[i].t : end;

		if (t < o->since || t > end)
			continue;
		if (t - prev > limit)
			json_array_append_new(arr,
			    json_pack("{s:o, s:o, s:I}", "from", timestr(prev),
				"to", timestr(t), "hours",
				(json_int_t)((t - prev) / 3600)));
		prev = t;
	}
}

static int
covered(const struct agent_acc *acc, json_int_t first, json_int_t last)
{
	size_t i;

	for (i = 0; i < acc->nd; i++)
		if (acc->d[i].first <= first && acc->d[i].last >= last)
			return 1;
	return 0;
}

static void
seq_gaps(json_t *a, struct agent_acc *acc)
{
	json_t *arr = json_object_get(json_object_get(a, "gaps"), "seq_gaps");
	size_t i;

	for (i = 1; i < acc->nb; i++) {
		json_int_t want = acc->b[i - 1].last + 1;

		if (acc->b[i].first > want &&
		    !covered(acc, want, acc->b[i].first - 1))
			json_array_append_new(arr,
			    json_pack("{s:I, s:I}", "first", want, "last",
				acc->b[i].first - 1));
	}
}

static int
finish_agents(json_t *sum, struct accs *as, const struct ls_audit_opts *o)
{
	size_t i;

	for (i = 0; i < as->n; i++) {
		struct agent_acc *acc = &as->v[i];
		json_t *a = agent_obj(sum, acc->name);

		qsort(acc->v, acc->n, sizeof(acc->v[0]), cmp_time);
		versions(a, acc, o);
		silent(a, acc, o);
		seq_gaps(a, acc);
	}
	return 0;
}

static int
agent_has_gaps(json_t *a)
{
	json_t *g = json_object_get(a, "gaps");

	return json_array_size(json_object_get(g, "silent")) > 0 ||
	    json_integer_value(json_object_get(g, "stale_reports")) > 0 ||
	    json_integer_value(json_object_get(g, "error_reports")) > 0 ||
	    json_array_size(json_object_get(g, "seq_gaps")) > 0 ||
	    json_array_size(json_object_get(g, "dropped")) > 0 ||
	    json_integer_value(json_object_get(g, "dropped_counted")) > 0;
}

/* satisfied: decisions were made, none in error, every agent in scope
 * without gaps, every build of an enforced version passed its tests. */
static void
judge(json_t *sum, const char *ctl, json_t *c)
{
	json_t *reasons = json_array(), *a, *b;
	const char *name;
	size_t i;

	if (json_integer_value(json_object_get(c, "decisions")) == 0)
		json_array_append_new(reasons,
		    json_string("no decisions recorded under the control"));
	if (json_integer_value(
		json_object_get(json_object_get(c, "outcomes"), "error")) > 0)
		json_array_append_new(reasons,
		    json_string("decisions ended in error"));
	json_object_foreach(json_object_get(sum, "agents"), name, a)
	{
		if (!agent_has_gaps(a))
			continue;
		json_array_append_new(reasons,
		    json_sprintf("agent %s has gaps in its evidence", name));
	}
	json_array_foreach(json_object_get(sum, "builds"), i, b)
	{
		if (json_integer_value(json_object_get(b, "failed")) > 0)
			json_array_append_new(reasons,
			    json_sprintf("version %s was built with failing "
					 "tests",
				json_string_value(json_object_get(b, "tag"))));
	}
	(void)ctl;
	json_object_set_new(c, "state",
	    json_string(
		json_array_size(reasons) ? "not-satisfied" : "satisfied"));
	json_object_set_new(c, "reasons", reasons);
}

static void
scope(json_t *sum, const struct ls_audit_opts *o)
{
	json_t *s = json_object();

	json_object_set_new(s, o->control ? "control" : "framework",
	    json_string(o->control ? o->control : o->framework));
	json_object_set_new(s, "since", timestr(o->since));
	json_object_set_new(s, "until", timestr(o->until));
	json_object_set_new(s, "generated", timestr(o->generated));
	json_object_set_new(s, "silent_hours",
	    json_integer((json_int_t)o->silent_hours));
	json_object_set_new(sum, "scope", s);
}

static int
one_record(json_t *sum, struct accs *as, json_t *e,
    const struct ls_audit_opts *o)
{
	const char *kind = json_string_value(json_object_get(e, "kind"));
	const char *agent = json_string_value(json_object_get(e, "agent"));
	const char *type = dstr(e, "type");
	time_t t = ls_audit_entry_time(e);
	int in = t >= o->since && t <= o->until;
	struct agent_acc *acc = NULL;

	if (kind == NULL)
		return 0;
	if (strcmp(kind, "build") == 0)
		one_build(sum, e);
	if (strcmp(kind, "operator") == 0 && in)
		one_operator(sum, e);
	if (agent == NULL ||
	    (strcmp(kind, "decision") != 0 && strcmp(kind, "report") != 0 &&
		strcmp(kind, "batch") != 0))
		return 0;
	if ((acc = acc_get(as, agent)) == NULL)
		return LS_ENOMEM;
	agent_obj(sum, agent);
	if (strcmp(kind, "batch") == 0) {
		bump(json_object_get(agent_obj(sum, agent), "gaps"),
		    "dropped_counted", dint(e, "dropped"));
		return range_add(&acc->b, &acc->nb, &acc->capb,
			   dint(e, "first"), dint(e, "last")) ||
		    acc_add(acc, t, NULL, NULL);
	}
	if (strcmp(kind, "report") == 0) {
		one_report(agent_obj(sum, agent), e, o);
		return acc_add(acc, t, dstr(e, "version"), dstr(e, "bundle"));
	}
	if (type != NULL && strcmp(type, "dropped") == 0) {
		one_dropped(agent_obj(sum, agent), e);
		return range_add(&acc->d, &acc->nd, &acc->capd,
		    dint(e, "first"), dint(e, "last"));
	}
	one_decision(sum, agent_obj(sum, agent), e, o);
	return acc_add(acc, t, dstr(e, "version"), dstr(e, "bundle"));
}

int
ls_audit_summary(json_t **out, json_t *records, const struct ls_audit_opts *o)
{
	struct accs as = { json_object(), NULL, 0, 0 };
	json_t *sum = json_object(), *e, *c;
	const char *name;
	size_t i;
	int rc = 0;

	*out = NULL;
	if (sum == NULL || as.idx == NULL) {
		rc = ls_error_set(LS_ENOMEM, "out of memory");
		goto out;
	}
	scope(sum, o);
	json_object_set_new(sum, "records",
	    json_integer((json_int_t)json_array_size(records)));
	json_object_set_new(sum, "decisions",
	    json_pack("{s:i, s:{}, s:{}}", "total", 0, "by_door",
		"by_outcome"));
	child(sum, "agents", 0);
	child(sum, "builds", 1);
	child(sum, "operator", 1);
	child(sum, "controls", 0);
	child(sum, "days", 0);
	if (o->control != NULL)
		control_obj(sum, o->control);
	json_array_foreach(records, i, e) if (rc == 0) rc =
	    one_record(sum, &as, e, o);
	if (rc == 0)
		rc = finish_agents(sum, &as, o);
	json_object_foreach(json_object_get(sum, "controls"), name, c)
	    judge(sum, name, c);
	if (rc != 0)
		rc = ls_error_set(LS_ENOMEM, "out of memory");
out:
	accs_cleanup(&as);
	if (rc == 0)
		*out = sum;
	else
		json_decref(sum);
	return rc;
}
