/* audit_acc.c - per-agent state of the streamed audit summary: version
 * intervals, silences and seq gaps in memory that does not grow with the
 * number of records (see audit_acc.h). */
#include <stdlib.h>
#include <string.h>

#include "audit_acc.h"
#include "lockstep/error.h"
#include "lockstep/timefmt.h"

static int
grow(void **v, size_t *cap, size_t n, size_t size)
{
	void *p;
	size_t c;

	if (n < *cap)
		return 0;
	c = *cap ? *cap * 2 : 8;
	if ((p = realloc(*v, c * size)) == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	*v = p;
	*cap = c;
	return 0;
}

int
audit_agents_init(struct audit_agents *as)
{
	memset(as, 0, sizeof(*as));
	as->idx = json_object();
	as->intern = json_object();
	as->strs = json_array();
	if (as->idx == NULL || as->intern == NULL || as->strs == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	return 0;
}

void
audit_agents_cleanup(struct audit_agents *as)
{
	size_t i;

	for (i = 0; i < as->n; i++) {
		struct audit_agent *a = &as->v[i];

		free(a->name);
		free(a->fin);
		free(a->pend);
		free(a->bk);
		free(a->gap);
		free(a->drop);
	}
	free(as->v);
	json_decref(as->idx);
	json_decref(as->intern);
	json_decref(as->strs);
	memset(as, 0, sizeof(*as));
}

struct audit_agent *
audit_agent_get(struct audit_agents *as, const char *name)
{
	json_t *h = json_object_get(as->idx, name);
	struct audit_agent *a;

	if (h != NULL)
		return &as->v[json_integer_value(h)];
	if (grow((void **)&as->v, &as->cap, as->n, sizeof(*as->v)) != 0)
		return NULL;
	a = &as->v[as->n];
	memset(a, 0, sizeof(*a));
	if ((a->name = strdup(name)) == NULL ||
	    json_object_set_new(as->idx, name,
		json_integer((json_int_t)as->n)) != 0) {
		free(a->name);
		return NULL;
	}
	as->n++;
	return a;
}

static uint32_t
intern(struct audit_agents *as, const char *s)
{
	json_t *h;
	size_t n;

	if (s == NULL)
		return AUDIT_NONE;
	if ((h = json_object_get(as->intern, s)) != NULL)
		return (uint32_t)json_integer_value(h);
	n = json_array_size(as->strs);
	if (json_array_append_new(as->strs, json_string(s)) != 0 ||
	    json_object_set_new(as->intern, s, json_integer((json_int_t)n)) !=
		0)
		return AUDIT_NONE;
	return (uint32_t)n;
}

static const char *
str_of(struct audit_agents *as, uint32_t i)
{
	return i == AUDIT_NONE ? NULL
			       : json_string_value(json_array_get(as->strs, i));
}

/* Index after every point of v[from, n) at or before t. */
static size_t
after(const struct audit_vpt *v, size_t from, size_t n, time_t t)
{
	size_t lo = from, hi = n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (v[mid].t <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int
insert_at(struct audit_vpt **v, size_t *n, size_t *cap, size_t at,
    const struct audit_vpt *p)
{
	if (grow((void **)v, cap, *n, sizeof(**v)) != 0)
		return LS_ENOMEM;
	memmove(*v + at + 1, *v + at, (*n - at) * sizeof(**v));
	(*v)[at] = *p;
	(*n)++;
	return 0;
}

/* Append to the settled points: the middle of three of one version is
 * neither a run's first point nor, once passed, its last. */
static int
fin_append(struct audit_agent *a, const struct audit_vpt *p)
{
	size_t n = a->nfin;

	if (n >= 2 && a->fin[n - 1].version == p->version &&
	    a->fin[n - 2].version == p->version) {
		a->fin[n - 1] = *p;
		return 0;
	}
	return insert_at(&a->fin, &a->nfin, &a->capfin, n, p);
}

/* Reports up to t join the settled points. */
static int
pass_reports(struct audit_agent *a, time_t t)
{
	int rc = 0;

	while (rc == 0 && a->head < a->npend && a->pend[a->head].t <= t)
		rc = fin_append(a, &a->pend[a->head++]);
	if (a->head == a->npend)
		a->head = a->npend = 0;
	return rc;
}

static int
bucket(struct audit_agent *a, time_t t, const struct ls_audit_opts *o)
{
	time_t end = o->generated != 0 && o->generated < o->until
	    ? o->generated
	    : o->until;
	time_t w = o->silent_hours ? (time_t)o->silent_hours * 3600 : 1;
	int64_t k;
	size_t lo = 0, hi = a->nbk, mid;

	if (t < o->since || t > end)
		return 0;
	k = (int64_t)((t - o->since) / w);
	if (a->nbk > 0 && a->bk[a->nbk - 1].k < k)
		lo = a->nbk; /* the usual case: a new bucket at the end */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (a->bk[mid].k < k)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < a->nbk && a->bk[lo].k == k) {
		if (t < a->bk[lo].min)
			a->bk[lo].min = t;
		if (t > a->bk[lo].max)
			a->bk[lo].max = t;
		return 0;
	}
	if (grow((void **)&a->bk, &a->capbk, a->nbk, sizeof(*a->bk)) != 0)
		return LS_ENOMEM;
	memmove(a->bk + lo + 1, a->bk + lo, (a->nbk - lo) * sizeof(*a->bk));
	a->bk[lo].k = k;
	a->bk[lo].min = a->bk[lo].max = t;
	a->nbk++;
	return 0;
}

int
audit_agent_point(struct audit_agents *as, struct audit_agent *a, time_t t,
    const char *version, const char *bundle, int report,
    const struct ls_audit_opts *o)
{
	struct audit_vpt p;
	int rc;

	if ((rc = bucket(a, t, o)) != 0 || version == NULL)
		return rc;
	p.t = t;
	p.version = intern(as, version);
	p.bundle = intern(as, bundle);
	if (p.version == AUDIT_NONE)
		return ls_error_set(LS_ENOMEM, "out of memory");
	if (report && (a->nfin == 0 || a->fin[a->nfin - 1].t <= t))
		return insert_at(&a->pend, &a->npend, &a->cappend,
		    after(a->pend, a->head, a->npend, t), &p);
	if (!report && (rc = pass_reports(a, t)) != 0)
		return rc;
	if (a->nfin == 0 || a->fin[a->nfin - 1].t <= t)
		return fin_append(a, &p);
	/* Out of time order: kept in place, not pruned. */
	return insert_at(&a->fin, &a->nfin, &a->capfin,
	    after(a->fin, 0, a->nfin, t), &p);
}

static int
range_add(struct audit_range **v, size_t *n, size_t *cap, json_int_t first,
    json_int_t last)
{
	if (grow((void **)v, cap, *n, sizeof(**v)) != 0)
		return LS_ENOMEM;
	(*v)[*n].first = first;
	(*v)[*n].last = last;
	(*n)++;
	return 0;
}

int
audit_agent_batch(struct audit_agent *a, json_int_t first, json_int_t last)
{
	int rc = 0;

	if (a->have_batch && first > a->last.last + 1)
		rc = range_add(&a->gap, &a->ngap, &a->capgap, a->last.last + 1,
		    first - 1);
	a->have_batch = 1;
	a->last.first = first;
	a->last.last = last;
	return rc;
}

int
audit_agent_drop(struct audit_agent *a, json_int_t first, json_int_t last)
{
	return range_add(&a->drop, &a->ndrop, &a->capdrop, first, last);
}

static json_t *
timestr(time_t t)
{
	char s[LS_TIME_LEN];

	ls_time_format(s, t);
	return json_string(s);
}

static time_t
period_end(const struct ls_audit_opts *o)
{
	return o->generated != 0 && o->generated < o->until ? o->generated
							    : o->until;
}

/* Intervals: consecutive activity on one version, each lasting until the
 * next version is seen (or the period's end). */
static void
versions(json_t *arr, struct audit_agents *as, struct audit_agent *a,
    const struct ls_audit_opts *o)
{
	json_t *cur = NULL;
	uint32_t cv = AUDIT_NONE;
	size_t i;

	for (i = 0; i < a->nfin; i++) {
		const struct audit_vpt *p = &a->fin[i];
		time_t from = p->t < o->since ? o->since : p->t;
		const char *b = str_of(as, p->bundle);

		if (cur != NULL && p->version == cv)
			continue;
		if (cur != NULL)
			json_object_set_new(cur, "to", timestr(from));
		cur = json_pack("{s:s, s:s, s:o}", "version",
		    str_of(as, p->version), "bundle",
		    b != NULL && b[0] != '\0' ? b : "-", "from",
		    timestr(from));
		cv = p->version;
		json_array_append_new(arr, cur);
	}
	if (cur != NULL)
		json_object_set_new(cur, "to", timestr(period_end(o)));
}

static void
silent(json_t *arr, struct audit_agent *a, const struct ls_audit_opts *o)
{
	time_t prev = o->since, limit = (time_t)o->silent_hours * 3600, t;
	size_t i;

	for (i = 0; i <= a->nbk; i++) {
		t = i < a->nbk ? a->bk[i].min : period_end(o);
		if (t - prev > limit)
			json_array_append_new(arr,
			    json_pack("{s:o, s:o, s:I}", "from", timestr(prev),
				"to", timestr(t), "hours",
				(json_int_t)((t - prev) / 3600)));
		if (i < a->nbk)
			prev = a->bk[i].max;
	}
}

static int
covered(const struct audit_agent *a, json_int_t first, json_int_t last)
{
	size_t i;

	for (i = 0; i < a->ndrop; i++)
		if (a->drop[i].first <= first && a->drop[i].last >= last)
			return 1;
	return 0;
}

void
audit_agent_finish(json_t *agent_obj, struct audit_agents *as,
    struct audit_agent *a, const struct ls_audit_opts *o)
{
	json_t *g = json_object_get(agent_obj, "gaps");
	size_t i;

	(void)pass_reports(a, (time_t)INT64_MAX);
	versions(json_object_get(agent_obj, "versions"), as, a, o);
	silent(json_object_get(g, "silent"), a, o);
	for (i = 0; i < a->ngap; i++)
		if (!covered(a, a->gap[i].first, a->gap[i].last))
			json_array_append_new(json_object_get(g, "seq_gaps"),
			    json_pack("{s:I, s:I}", "first", a->gap[i].first,
				"last", a->gap[i].last));
}
