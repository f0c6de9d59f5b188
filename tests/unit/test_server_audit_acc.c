/* test_server_audit_acc.c - the streamed audit summary keeps a few points
 * per agent, yet its version intervals and silences equal those of every
 * point sorted by time (the reference below), for records in the order a
 * package holds them: context first (reports in any order), then each
 * agent's decisions in time order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../server/audit.h"
#include "lockstep/timefmt.h"

#define AGENTS 3
#define POINTS 4000

struct pt {
	time_t t;
	int i; /* arrival */
	int v; /* version 0..2 */
};

static uint64_t rng = 88172645463325252ull;

static unsigned
rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

static int
cmp_pt(const void *a, const void *b)
{
	const struct pt *x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->i - y->i;
}

static json_t *
entry(const char *kind, int agent, time_t t, int v)
{
	char ts[LS_TIME_LEN], name[16], dt[40], ver[8], bun[8];

	ls_time_format(ts, t);
	snprintf(dt, sizeof(dt), "%.19s.000001Z", ts);
	snprintf(name, sizeof(name), "a%d", agent);
	snprintf(ver, sizeof(ver), "v%d", v);
	snprintf(bun, sizeof(bun), "b%d", v);
	if (strcmp(kind, "report") == 0)
		return json_pack("{s:s, s:s, s:s, s:{s:s, s:s, s:s}}", "time",
		    ts, "kind", "report", "agent", name, "details", "version",
		    ver, "bundle", bun, "state", "active");
	return json_pack("{s:s, s:s, s:s, s:{s:s, s:s, s:s, s:s, s:s, "
			 "s:[s]}}",
	    "time", ts, "kind", "decision", "agent", name, "details", "time",
	    dt, "version", ver, "bundle", bun, "door", "api", "outcome",
	    "allow", "controls", "soc2:CC6.1");
}

/* The intervals and silences of one agent's points, sorted. */
static void
reference(json_t *out, struct pt *v, size_t n, const struct ls_audit_opts *o)
{
	json_t *vers = json_array(), *sil = json_array(), *cur = NULL;
	time_t prev = o->since, lim = (time_t)o->silent_hours * 3600, from;
	char ts[LS_TIME_LEN], b[8];
	int cv = -1;
	size_t i;

	qsort(v, n, sizeof(*v), cmp_pt);
	for (i = 0; i < n; i++) {
		from = v[i].t < o->since ? o->since : v[i].t;
		if (cur != NULL && v[i].v == cv)
			continue;
		ls_time_format(ts, from);
		if (cur != NULL)
			json_object_set_new(cur, "to", json_string(ts));
		snprintf(b, sizeof(b), "v%d", v[i].v);
		cur = json_pack("{s:s, s:s, s:s}", "version", b, "bundle", b,
		    "from", ts);
		json_object_set_new(cur, "bundle",
		    json_sprintf("b%d", v[i].v));
		json_array_append_new(vers, cur);
		cv = v[i].v;
	}
	ls_time_format(ts, o->until);
	if (cur != NULL)
		json_object_set_new(cur, "to", json_string(ts));
	for (i = 0; i <= n; i++) {
		time_t t = i < n ? v[i].t : o->until;
		char a[LS_TIME_LEN], z[LS_TIME_LEN];

		if (t < o->since || t > o->until)
			continue;
		if (t - prev > lim) {
			ls_time_format(a, prev);
			ls_time_format(z, t);
			json_array_append_new(sil,
			    json_pack("{s:s, s:s, s:I}", "from", a, "to", z,
				"hours", (json_int_t)((t - prev) / 3600)));
		}
		prev = t;
	}
	json_object_set_new(out, "versions", vers);
	json_object_set_new(out, "silent", sil);
}

static void
test_server_audit_acc__intervals_as_sorted(void **state)
{
	struct ls_audit_opts o;
	struct pt *pts[AGENTS];
	size_t n[AGENTS] = { 0 };
	time_t last[AGENTS];
	json_t *recs = json_array(), *sum = NULL, *ref;
	time_t t;
	int a, k, v, round;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.control = "soc2:CC6.1";
	assert_int_equal(ls_audit_time(&o.since, "2026-07-01", 0), 0);
	assert_int_equal(ls_audit_time(&o.until, "2026-07-10", 1), 0);
	o.generated = o.until + 1;
	o.silent_hours = 6;
	for (a = 0; a < AGENTS; a++)
		assert_non_null(pts[a] = calloc(POINTS, sizeof(struct pt)));
	/* Reports first, in no time order, some before the period. */
	for (k = 0; k < 60; k++) {
		a = (int)rnd(AGENTS);
		t = o.since - 86400 + (time_t)rnd(11 * 86400);
		v = (int)rnd(3);
		pts[a][n[a]++] = (struct pt){ t, (int)json_array_size(recs),
			v };
		json_array_append_new(recs, entry("report", a, t, v));
	}
	/* Then each agent's decisions in time order, versions in runs,
	 * quiet stretches between bursts, several per second at times. */
	for (a = 0; a < AGENTS; a++)
		last[a] = o.since - 3600;
	for (round = 0; round < 3; round++)
		for (a = 0; a < AGENTS; a++) {
			t = last[a] + (time_t)rnd(3600);
			v = (int)rnd(3);
			for (k = 0; k < 900; k++) {
				if (rnd(40) == 0)
					v = (int)rnd(3);
				t += rnd(60) == 0 ? (time_t)rnd(8 * 3600)
						  : (time_t)rnd(3);
				if (t > o.until)
					break;
				pts[a][n[a]++] = (struct pt){ t,
					(int)json_array_size(recs), v };
				last[a] = t;
				json_array_append_new(recs,
				    entry("decision", a, t, v));
			}
		}
	assert_int_equal(ls_audit_summary(&sum, recs, &o), 0);
	for (a = 0; a < AGENTS; a++) {
		char name[16];
		json_t *ag;

		snprintf(name, sizeof(name), "a%d", a);
		ag = json_object_get(json_object_get(sum, "agents"), name);
		assert_non_null(ag);
		ref = json_object();
		reference(ref, pts[a], n[a], &o);
		assert_true(json_array_size(json_object_get(ref, "versions")) >
		    3);
		assert_true(json_equal(json_object_get(ag, "versions"),
		    json_object_get(ref, "versions")));
		assert_true(json_equal(json_object_get(json_object_get(ag,
						       "gaps"),
					   "silent"),
		    json_object_get(ref, "silent")));
		json_decref(ref);
		free(pts[a]);
	}
	json_decref(sum);
	json_decref(recs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_server_audit_acc__intervals_as_sorted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
