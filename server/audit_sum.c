/* audit_sum.c - the audit summary: numbers computed from the package's
 * records alone, so that `lockstep audit verify` can recompute them. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "audit_acc.h"
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

/* The accumulator: the summary so far and what it cannot hold. */
struct ls_audit_acc {
	struct ls_audit_opts o;
	json_t *sum;
	json_t *seen; /* control -> {agent: true}: its agents listed once */
	struct audit_agents as;
	json_int_t records;
};

static void
add_unique(struct ls_audit_acc *acc, json_t *co, const char *ctl,
    const char *agent)
{
	json_t *set = json_object_get(acc->seen, ctl);

	if (set == NULL) {
		set = json_object();
		json_object_set_new(acc->seen, ctl, set);
	}
	if (json_object_get(set, agent) != NULL)
		return;
	json_object_set_new(set, agent, json_true());
	json_array_append_new(json_object_get(co, "agents"), json_string(agent));
}

static void
one_decision_controls(struct ls_audit_acc *acc, json_t *e)
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
		if (!json_is_string(c) || !ls_audit_in_scope(one, &acc->o))
			continue;
		co = control_obj(acc->sum, json_string_value(c));
		bump(co, "decisions", 1);
		bump(json_object_get(co, "outcomes"),
		    or_none(dstr(e, "outcome")), 1);
		if (agent != NULL)
			add_unique(acc, co, json_string_value(c), agent);
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
one_decision(struct ls_audit_acc *acc, json_t *a, json_t *e)
{
	json_t *sum = acc->sum;
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
	one_decision_controls(acc, e);
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
one_agent_record(struct ls_audit_acc *acc, json_t *e, const char *kind,
    const char *agent, time_t t)
{
	struct audit_agent *st = audit_agent_get(&acc->as, agent);
	json_t *a = agent_obj(acc->sum, agent);
	const char *type = dstr(e, "type");

	if (st == NULL || a == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	if (strcmp(kind, "batch") == 0) {
		bump(json_object_get(a, "gaps"), "dropped_counted",
		    dint(e, "dropped"));
		return audit_agent_batch(st, dint(e, "first"),
			   dint(e, "last")) ||
		    audit_agent_point(&acc->as, st, t, NULL, NULL, 0, &acc->o);
	}
	if (strcmp(kind, "report") == 0) {
		one_report(a, e, &acc->o);
		return audit_agent_point(&acc->as, st, t, dstr(e, "version"),
		    dstr(e, "bundle"), 1, &acc->o);
	}
	if (type != NULL && strcmp(type, "dropped") == 0) {
		one_dropped(a, e);
		return audit_agent_drop(st, dint(e, "first"), dint(e, "last"));
	}
	one_decision(acc, a, e);
	return audit_agent_point(&acc->as, st, t, dstr(e, "version"),
	    dstr(e, "bundle"), 0, &acc->o);
}

int
ls_audit_acc_add(struct ls_audit_acc *acc, json_t *e)
{
	const char *kind = json_string_value(json_object_get(e, "kind"));
	const char *agent = json_string_value(json_object_get(e, "agent"));
	time_t t = ls_audit_entry_time(e);
	int in = t >= acc->o.since && t <= acc->o.until;

	acc->records++;
	if (kind == NULL)
		return 0;
	if (strcmp(kind, "build") == 0)
		one_build(acc->sum, e);
	if (strcmp(kind, "operator") == 0 && in)
		one_operator(acc->sum, e);
	if (agent == NULL ||
	    (strcmp(kind, "decision") != 0 && strcmp(kind, "report") != 0 &&
		strcmp(kind, "batch") != 0))
		return 0;
	return one_agent_record(acc, e, kind, agent, t) ? LS_ENOMEM : 0;
}

void
ls_audit_acc_free(struct ls_audit_acc *acc)
{
	if (acc == NULL)
		return;
	json_decref(acc->sum);
	json_decref(acc->seen);
	audit_agents_cleanup(&acc->as);
	free(acc);
}

int
ls_audit_acc_new(struct ls_audit_acc **out, const struct ls_audit_opts *o)
{
	struct ls_audit_acc *acc = calloc(1, sizeof(*acc));

	*out = NULL;
	if (acc == NULL || audit_agents_init(&acc->as) != 0 ||
	    (acc->sum = json_object()) == NULL ||
	    (acc->seen = json_object()) == NULL) {
		ls_audit_acc_free(acc);
		return ls_error_set(LS_ENOMEM, "out of memory");
	}
	acc->o = *o;
	scope(acc->sum, o);
	json_object_set_new(acc->sum, "records", json_integer(0));
	json_object_set_new(acc->sum, "decisions",
	    json_pack("{s:i, s:{}, s:{}}", "total", 0, "by_door",
		"by_outcome"));
	child(acc->sum, "agents", 0);
	child(acc->sum, "builds", 1);
	child(acc->sum, "operator", 1);
	child(acc->sum, "controls", 0);
	child(acc->sum, "days", 0);
	if (o->control != NULL)
		control_obj(acc->sum, o->control);
	*out = acc;
	return 0;
}

int
ls_audit_acc_finish(struct ls_audit_acc *acc, json_t **out)
{
	json_t *c;
	const char *name;
	size_t i;

	*out = NULL;
	json_object_set_new(acc->sum, "records", json_integer(acc->records));
	for (i = 0; i < acc->as.n; i++)
		audit_agent_finish(agent_obj(acc->sum, acc->as.v[i].name),
		    &acc->as, &acc->as.v[i], &acc->o);
	json_object_foreach(json_object_get(acc->sum, "controls"), name, c)
	    judge(acc->sum, name, c);
	*out = json_incref(acc->sum);
	return 0;
}

int
ls_audit_summary(json_t **out, json_t *records, const struct ls_audit_opts *o)
{
	struct ls_audit_acc *acc = NULL;
	json_t *e;
	size_t i;
	int rc;

	*out = NULL;
	if ((rc = ls_audit_acc_new(&acc, o)) != 0)
		return rc;
	json_array_foreach(records, i, e) if (rc == 0) rc =
	    ls_audit_acc_add(acc, e);
	if (rc == 0)
		rc = ls_audit_acc_finish(acc, out);
	ls_audit_acc_free(acc);
	return rc;
}
