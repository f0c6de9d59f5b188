/* timefn.c - the time.* builtins over time.c. */
#include <string.h>

#include "lockstep/error.h"
#include "rego/builtins/internal.h"
#include "rego/builtins/lib.h"

#define NS 1000000000LL
#define RFC3339NANO "2006-01-02T15:04:05.999999999Z07:00"
#define RFC3339 "2006-01-02T15:04:05Z07:00"

static const struct {
	const char *name, *layout;
} named_layouts[] = {
	{ "ANSIC", "Mon Jan _2 15:04:05 2006" },
	{ "UnixDate", "Mon Jan _2 15:04:05 MST 2006" },
	{ "RubyDate", "Mon Jan 02 15:04:05 -0700 2006" },
	{ "RFC822", "02 Jan 06 15:04 MST" },
	{ "RFC822Z", "02 Jan 06 15:04 -0700" },
	{ "RFC850", "Monday, 02-Jan-06 15:04:05 MST" },
	{ "RFC1123", "Mon, 02 Jan 2006 15:04:05 MST" },
	{ "RFC1123Z", "Mon, 02 Jan 2006 15:04:05 -0700" },
	{ "RFC3339", RFC3339 },
	{ "RFC3339Nano", RFC3339NANO },
};

/* A layout name OPA accepts in place of a Go layout, or the text itself. */
static void
named_layout(const char **l, size_t *len)
{
	size_t i;

	for (i = 0; i < sizeof named_layouts / sizeof named_layouts[0]; i++) {
		if (strlen(named_layouts[i].name) == *len &&
		    memcmp(named_layouts[i].name, *l, *len) == 0) {
			*l = named_layouts[i].layout;
			*len = strlen(*l);
			return;
		}
	}
}

struct tztime {
	int64_t ns;
	struct bi_tz *tz; /* NULL for UTC; free with bi_tz_free */
	const char *layout;
	size_t llen;
};

static int
ns_of(struct ls_bi_ctx *ctx, const struct ls_val *v, int64_t *ns)
{
	int ovf = 0;

	if (v->type != LS_VAL_NUMBER)
		return ls_bi_type_error(ctx, 1, "number", v);
	if (!ls_num_is_int(&v->u.num))
		return ls_bi_error(ctx, "timestamp too big");
	*ns = ls_num_to_int64(&v->u.num, &ovf);
	if (ovf)
		return ls_bi_error(ctx, "timestamp too big");
	return 0;
}

/* OPA's tzTime: ns, or [ns, tz], or [ns, tz, layout]. */
static int
tz_time(struct ls_bi_ctx *ctx, const struct ls_val *v, struct tztime *t)
{
	const struct ls_val *e;
	int rc;

	memset(t, 0, sizeof *t);
	t->layout = RFC3339NANO;
	t->llen = strlen(RFC3339NANO);
	if (v->type == LS_VAL_NUMBER)
		return ns_of(ctx, v, &t->ns);
	if (v->type != LS_VAL_ARRAY || v->u.arr.n == 0)
		return ls_bi_type_error(ctx, 1,
		    "either number (ns) or [number "
		    "(ns), string (tz)]",
		    v);
	if ((rc = ns_of(ctx, v->u.arr.v[0], &t->ns)) != 0)
		return rc;
	if (v->u.arr.n > 1) {
		e = v->u.arr.v[1];
		if (e->type != LS_VAL_STRING)
			return ls_bi_type_error(ctx, 1, "string", e);
		if (bi_tz_load(&t->tz, e->u.str.p, e->u.str.len) != 0)
			return bi_fail_bare(ctx, LS_ENOTFOUND);
	}
	if (v->u.arr.n > 2) {
		e = v->u.arr.v[2];
		if (e->type != LS_VAL_STRING) {
			bi_tz_free(t->tz);
			return ls_bi_type_error(ctx, 1, "string", e);
		}
		t->layout = e->u.str.p;
		t->llen = e->u.str.len;
		if (t->llen == 0) {
			t->layout = RFC3339NANO;
			t->llen = strlen(RFC3339NANO);
		}
		named_layout(&t->layout, &t->llen);
	}
	return 0;
}

static void
split_ns(int64_t ns, int64_t *sec, int *nsec)
{
	*sec = ns / NS;
	*nsec = (int)(ns % NS);
	if (*nsec < 0) {
		*nsec += (int)NS;
		(*sec)--;
	}
}

static int
civil_of(BI_ARGS, struct bi_tm *tm)
{
	struct tztime t;
	int64_t sec;
	int nsec, rc;

	(void)out;
	(void)nargs;
	if ((rc = tz_time(ctx, args[0], &t)) != 0)
		return rc;
	split_ns(t.ns, &sec, &nsec);
	bi_time_civil(tm, sec, nsec, t.tz);
	bi_tz_free(t.tz);
	return 0;
}

static int
int_triple(struct ls_bi_ctx *ctx, const struct ls_val **out, int64_t a,
    int64_t b, int64_t c)
{
	const struct ls_val *v[3];

	v[0] = ls_val_int(ctx->arena, a);
	v[1] = ls_val_int(ctx->arena, b);
	v[2] = ls_val_int(ctx->arena, c);
	if (!v[0] || !v[1] || !v[2])
		return LS_BI_ENOMEM;
	return bi_ret(out, ls_val_array(ctx->arena, v, 3));
}

int
ls_bi_time_now_ns(BI_ARGS)
{
	(void)args;
	(void)nargs;
	return bi_ret(out, ls_val_int(ctx->arena, ctx->now_ns));
}

int
ls_bi_time_date(BI_ARGS)
{
	struct bi_tm tm;
	int rc;

	if ((rc = civil_of(ctx, args, nargs, out, &tm)) != 0)
		return rc;
	return int_triple(ctx, out, tm.year, tm.month, tm.day);
}

int
ls_bi_time_clock(BI_ARGS)
{
	struct bi_tm tm;
	int rc;

	if ((rc = civil_of(ctx, args, nargs, out, &tm)) != 0)
		return rc;
	return int_triple(ctx, out, tm.hour, tm.min, tm.sec);
}

int
ls_bi_time_weekday(BI_ARGS)
{
	static const char *const days[] = { "Sunday", "Monday", "Tuesday",
		"Wednesday", "Thursday", "Friday", "Saturday" };
	struct bi_tm tm;
	int rc;

	if ((rc = civil_of(ctx, args, nargs, out, &tm)) != 0)
		return rc;
	return bi_ret(out, ls_val_cstring(ctx->arena, days[tm.wday]));
}

int
ls_bi_time_format(BI_ARGS)
{
	struct tztime t;
	struct ls_buf b;
	int64_t sec;
	int nsec, rc;

	(void)nargs;
	if ((rc = tz_time(ctx, args[0], &t)) != 0)
		return rc;
	split_ns(t.ns, &sec, &nsec);
	ls_buf_init(&b, BI_MAX_STRING);
	rc = bi_time_format(&b, t.layout, t.llen, sec, nsec, t.tz);
	bi_tz_free(t.tz);
	if (rc != 0) {
		ls_buf_cleanup(&b);
		return bi_fail(ctx, rc);
	}
	return bi_ret_buf(ctx, out, &b);
}

static int
ret_time(struct ls_bi_ctx *ctx, const struct ls_val **out, int64_t sec,
    int nsec)
{
	int64_t ns;

	if (bi_time_to_ns(&ns, sec, nsec) != 0)
		return ls_bi_error(ctx, "time outside of valid range");
	return bi_ret(out, ls_val_int(ctx->arena, ns));
}

int
ls_bi_time_parse_ns(BI_ARGS)
{
	const char *l, *v;
	size_t ll, vl;
	int64_t sec;
	int nsec, rc;

	(void)nargs;
	if ((rc = bi_arg_str(ctx, args, 0, &l, &ll)) != 0 ||
	    (rc = bi_arg_str(ctx, args, 1, &v, &vl)) != 0)
		return rc;
	named_layout(&l, &ll);
	if ((rc = bi_time_parse(&sec, &nsec, l, ll, v, vl)) != 0)
		return bi_fail(ctx, rc);
	return ret_time(ctx, out, sec, nsec);
}

int
ls_bi_time_parse_rfc3339_ns(BI_ARGS)
{
	const char *v;
	size_t vl;
	int64_t sec;
	int nsec, rc;

	(void)nargs;
	if ((rc = bi_arg_str(ctx, args, 0, &v, &vl)) != 0)
		return rc;
	if ((rc = bi_time_parse(&sec, &nsec, RFC3339, strlen(RFC3339), v,
		 vl)) != 0)
		return bi_fail(ctx, rc);
	return ret_time(ctx, out, sec, nsec);
}

int
ls_bi_time_parse_duration_ns(BI_ARGS)
{
	const char *v;
	size_t vl;
	int64_t ns;
	int rc;

	(void)nargs;
	if ((rc = bi_arg_str(ctx, args, 0, &v, &vl)) != 0)
		return rc;
	if ((rc = bi_duration_parse(&ns, v, vl)) != 0)
		return bi_fail(ctx, rc);
	return bi_ret(out, ls_val_int(ctx->arena, ns));
}

int
ls_bi_time_add_date(BI_ARGS)
{
	struct tztime t;
	int64_t y, m, d, sec;
	struct bi_tm tm;
	int nsec, rc;

	(void)nargs;
	if ((rc = tz_time(ctx, args[0], &t)) != 0)
		return rc;
	if ((rc = bi_arg_int(ctx, args, 1, &y)) != 0 ||
	    (rc = bi_arg_int(ctx, args, 2, &m)) != 0 ||
	    (rc = bi_arg_int(ctx, args, 3, &d)) != 0) {
		bi_tz_free(t.tz);
		return rc;
	}
	if (y > 1000000 || y < -1000000 || m > 12000000 || m < -12000000 ||
	    d > 400000000 || d < -400000000) {
		bi_tz_free(t.tz);
		return ls_bi_error(ctx, "time outside of valid range");
	}
	/* Go's AddDate: normalise the civil date in the time's zone */
	split_ns(t.ns, &sec, &nsec);
	bi_time_civil(&tm, sec, nsec, t.tz);
	sec = bi_time_from_civil(tm.year + y, tm.month + m, tm.day + d, tm.hour,
	    tm.min, tm.sec, t.tz);
	bi_tz_free(t.tz);
	return ret_time(ctx, out, sec, nsec);
}

int
ls_bi_time_diff(BI_ARGS)
{
	struct tztime a, b;
	struct bi_tm x, y;
	int64_t s1, s2, v[6];
	int n1, n2, rc;
	const struct ls_val *r[6];
	size_t i;

	(void)nargs;
	if ((rc = tz_time(ctx, args[0], &a)) != 0)
		return rc;
	if ((rc = tz_time(ctx, args[1], &b)) != 0) {
		bi_tz_free(a.tz);
		return rc;
	}
	if (a.ns > b.ns) {
		int64_t t = a.ns;
		a.ns = b.ns;
		b.ns = t;
	}
	split_ns(a.ns, &s1, &n1);
	split_ns(b.ns, &s2, &n2);
	/* both in the first operand's zone, like Go's t2.In(t1.Location()) */
	bi_time_civil(&x, s1, n1, a.tz);
	bi_time_civil(&y, s2, n2, a.tz);
	bi_tz_free(a.tz);
	bi_tz_free(b.tz);
	v[0] = y.year - x.year;
	v[1] = y.month - x.month;
	v[2] = y.day - x.day;
	v[3] = y.hour - x.hour;
	v[4] = y.min - x.min;
	v[5] = y.sec - x.sec;
	if (v[5] < 0)
		v[5] += 60, v[4]--;
	if (v[4] < 0)
		v[4] += 60, v[3]--;
	if (v[3] < 0)
		v[3] += 24, v[2]--;
	if (v[2] < 0) {
		struct bi_tm t32;
		bi_time_civil(&t32,
		    bi_time_from_civil(x.year, x.month, 32, 0, 0, 0, NULL), 0,
		    NULL);
		v[2] += 32 - t32.day;
		v[1]--;
	}
	if (v[1] < 0)
		v[1] += 12, v[0]--;
	for (i = 0; i < 6; i++)
		if ((r[i] = ls_val_int(ctx->arena, v[i])) == NULL)
			return LS_BI_ENOMEM;
	return bi_ret(out, ls_val_array(ctx->arena, r, 6));
}
