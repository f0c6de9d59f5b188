/*
 * overrides.c - override discipline: exception uses counted from accepted
 * decision records' "waived" entries (per exception, rule and control for
 * /metrics; per exception, rule and day for `lockstep overrides`), and the
 * build-time warning for exceptions about to end.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decisions_impl.h"
#include "lockstep/controls.h"
#include "lockstep/error.h"
#include "lockstep/timefmt.h"
#include "metrics.h"

#define SEP "\x1f"
#define INFO_LIST_MAX 16       /* owners or tickets kept per exception */
#define METRICS_MAX (8u << 20) /* bytes of /metrics before series are cut */

int
dec_label_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0, i;

	if (n == 0 || n > 256)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

int
dec_tally_init(struct dec_tally *t)
{
	t->uses = json_object();
	t->ctl = json_object();
	t->info = json_object();
	if (t->uses == NULL || t->ctl == NULL || t->info == NULL) {
		dec_tally_cleanup(t);
		return ls_error_set(LS_ENOMEM, "out of memory");
	}
	return 0;
}

void
dec_tally_cleanup(struct dec_tally *t)
{
	json_decref(t->uses);
	json_decref(t->ctl);
	json_decref(t->info);
	memset(t, 0, sizeof(*t));
}

static int
bump(json_t *o, const char *key, json_int_t by)
{
	json_t *v = json_object_get(o, key);

	if (v != NULL)
		return json_integer_set(v, json_integer_value(v) + by);
	return json_object_set_new(o, key, json_integer(by));
}

static void
list_add(json_t *info, const char *key, const char *s)
{
	json_t *l = json_object_get(info, key), *v;
	size_t i;

	if (s == NULL || l == NULL)
		return;
	json_array_foreach(l, i,
	    v) if (strcmp(json_string_value(v), s) == 0) return;
	if (json_array_size(l) < INFO_LIST_MAX)
		json_array_append_new(l, json_string(s));
}

static int
info_add(json_t *info, const char *exc, const char *owner, const char *ticket,
    const char *expires)
{
	json_t *e = json_object_get(info, exc);

	if (e == NULL) {
		e = json_pack("{s:[], s:[]}", "owners", "tickets");
		if (e == NULL || json_object_set_new(info, exc, e) != 0)
			return ls_error_set(LS_ENOMEM, "out of memory");
	}
	list_add(e, "owners", owner);
	list_add(e, "tickets", ticket);
	if (expires != NULL)
		json_object_set_new(e, "expires", json_string(expires));
	return 0;
}

static int
text_ok(json_t *w, const char *k)
{
	json_t *v = json_object_get(w, k);

	return v == NULL ||
	    (json_is_string(v) && json_string_length(v) <= LS_TEXT_MAX);
}

/* One waived entry of a record of day. */
static int
tally_waived(struct dec_tally *t, json_t *w, const char *day)
{
	const char *exc = json_string_value(json_object_get(w, "id"));
	const char *rule = json_string_value(json_object_get(w, "rule"));
	json_t *ctls = json_object_get(w, "controls"), *c;
	char key[800];
	size_t i;

	if (!json_is_object(w) || !dec_label_ok(exc) ||
	    (rule != NULL && !dec_label_ok(rule)) || !text_ok(w, "owner") ||
	    !text_ok(w, "ticket") || !text_ok(w, "expires") ||
	    (ctls != NULL && !json_is_array(ctls)))
		return ls_error_set(LS_EFORMAT, "malformed waived entry");
	if (rule == NULL)
		rule = "";
	snprintf(key, sizeof(key), "%s" SEP "%s" SEP "%s", exc, rule, day);
	if (bump(t->uses, key, 1) != 0)
		return ls_error_set(LS_ENOMEM, "out of memory");
	json_array_foreach(ctls, i, c)
	{
		if (!dec_label_ok(json_string_value(c)))
			return ls_error_set(LS_EFORMAT,
			    "malformed waived control");
		snprintf(key, sizeof(key), "%s" SEP "%s" SEP "%s", exc, rule,
		    json_string_value(c));
		if (bump(t->ctl, key, 1) != 0)
			return ls_error_set(LS_ENOMEM, "out of memory");
	}
	if (json_array_size(ctls) == 0) {
		snprintf(key, sizeof(key), "%s" SEP "%s" SEP "none", exc, rule);
		if (bump(t->ctl, key, 1) != 0)
			return ls_error_set(LS_ENOMEM, "out of memory");
	}
	return info_add(t->info, exc,
	    json_string_value(json_object_get(w, "owner")),
	    json_string_value(json_object_get(w, "ticket")),
	    json_string_value(json_object_get(w, "expires")));
}

int
dec_tally_record(struct dec_tally *t, json_t *record)
{
	json_t *waived = json_object_get(record, "waived"), *w;
	const char *time = json_string_value(json_object_get(record, "time"));
	char day[11];
	size_t i;
	int rc;

	if (waived == NULL || json_is_null(waived))
		return 0;
	if (!json_is_array(waived) || time == NULL || strlen(time) < 10)
		return ls_error_set(LS_EFORMAT, "waived: expected an array");
	memcpy(day, time, 10);
	day[10] = '\0';
	json_array_foreach(waived, i,
	    w) if ((rc = tally_waived(t, w, day)) != 0) return rc;
	return 0;
}

static void
merge_counts(struct ls_decisions *d, json_t *dst, json_t *src)
{
	const char *k;
	json_t *v;

	json_object_foreach(src, k, v)
	{
		if (json_object_get(dst, k) == NULL &&
		    json_object_size(dst) >= DEC_KEYS_MAX) {
			d->untracked += (uint64_t)json_integer_value(v);
			continue;
		}
		(void)bump(dst, k, json_integer_value(v));
	}
}

void
dec_tally_merge(struct ls_decisions *d, const struct dec_tally *src)
{
	const char *exc, *k;
	json_t *v, *dst, *x;
	size_t i;

	merge_counts(d, d->t.uses, src->uses);
	merge_counts(d, d->t.ctl, src->ctl);
	json_object_foreach(src->info, exc, v)
	{
		if (json_object_size(d->t.info) >= DEC_KEYS_MAX &&
		    json_object_get(d->t.info, exc) == NULL)
			continue;
		if (info_add(d->t.info, exc, NULL, NULL,
			json_string_value(json_object_get(v, "expires"))) != 0)
			continue;
		dst = json_object_get(d->t.info, exc);
		k = "owners";
		json_array_foreach(json_object_get(v, k), i, x)
		{
			list_add(dst, k, json_string_value(x));
		}
		k = "tickets";
		json_array_foreach(json_object_get(v, k), i, x)
		{
			list_add(dst, k, json_string_value(x));
		}
	}
}

/* ---- /metrics ------------------------------------------------------ */

/* A Prometheus label value: backslash, quote and newline escaped. */
static int
add_label(struct ls_buf *out, const char *name, const char *v, size_t n)
{
	size_t i;
	int rc = ls_buf_addf(out, "%s=\"", name);

	for (i = 0; i < n && rc == 0; i++) {
		if (v[i] == '\\' || v[i] == '"')
			rc = ls_buf_addc(out, '\\');
		if (rc == 0)
			rc = ls_buf_addc(out, v[i]);
	}
	return rc != 0 ? rc : ls_buf_addc(out, '"');
}

int
ls_decisions_metrics(void *arg, struct ls_buf *out)
{
	struct ls_decisions *d = arg;
	const char *k, *s1, *s2;
	json_t *v;
	int rc;

	rc = ls_buf_adds(out,
	    "# HELP lockstep_exception_uses_total Exception uses in accepted "
	    "decision records.\n# TYPE lockstep_exception_uses_total "
	    "counter\n");
	pthread_mutex_lock(&d->mu);
	json_object_foreach(d->t.ctl, k, v)
	{
		if (rc != 0)
			break;
		if (out->len > METRICS_MAX) { /* keep /metrics readable */
			rc = ls_buf_adds(out,
			    "# lockstep_exception_uses_total: "
			    "more series left out\n");
			break;
		}
		s1 = strchr(k, SEP[0]);
		s2 = s1 ? strchr(s1 + 1, SEP[0]) : NULL;
		if (s2 == NULL)
			continue;
		rc = ls_buf_adds(out, "lockstep_exception_uses_total{");
		if (rc == 0)
			rc = add_label(out, "exception", k, (size_t)(s1 - k));
		if (rc == 0 && (rc = ls_buf_addc(out, ',')) == 0)
			rc = add_label(out, "rule", s1 + 1,
			    (size_t)(s2 - s1 - 1));
		if (rc == 0 && (rc = ls_buf_addc(out, ',')) == 0)
			rc = add_label(out, "control", s2 + 1, strlen(s2 + 1));
		if (rc == 0)
			rc = ls_buf_addf(out, "} %lld\n",
			    (long long)json_integer_value(v));
	}
	pthread_mutex_unlock(&d->mu);
	return rc;
}

/* ---- lockstep overrides -------------------------------------------- */

/* Whole days from now until expires (bare date: through its end), or
 * LLONG_MIN when expires is absent or not a date. */
static long long
days_left(const char *expires, time_t now)
{
	time_t t;
	size_t n = expires ? strlen(expires) : 0;
	long long secs;

	if (n != 10 && n != 20)
		return LLONG_MIN;
	if (ls_time_parse(&t, expires, n) != 0)
		return LLONG_MIN;
	if (n == 10)
		t += 86400;
	secs = (long long)t - (long long)now;
	return secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
}

static json_t *
row_get(json_t *rows, const char *k, size_t klen)
{
	char key[600];
	json_t *r;

	snprintf(key, sizeof(key), "%.*s", (int)klen, k);
	if ((r = json_object_get(rows, key)) != NULL)
		return r;
	r = json_pack("{s:s%, s:s, s:I, s:[]}", "exception", k, strcspn(k, SEP),
	    "rule", key + strcspn(k, SEP) + 1, "count", (json_int_t)0,
	    "controls");
	if (r == NULL || json_object_set_new(rows, key, r) != 0)
		return NULL;
	return r;
}

/* Under d->mu: rows {"EXC\x1fRULE": row} from the day counts. */
static int
collect_rows(struct ls_decisions *d, json_t *rows, time_t since)
{
	char key[600];
	const char *k, *day;
	json_t *v, *r;
	time_t t;

	json_object_foreach(d->t.uses, k, v)
	{
		day = strrchr(k, SEP[0]);
		if (day == NULL || ls_time_parse(&t, day + 1, strlen(day + 1)))
			continue;
		if (since != 0 && t + 86399 < since)
			continue;
		if ((r = row_get(rows, k, (size_t)(day - k))) == NULL)
			return ls_error_set(LS_ENOMEM, "out of memory");
		json_integer_set(json_object_get(r, "count"),
		    json_integer_value(json_object_get(r, "count")) +
			json_integer_value(v));
	}
	json_object_foreach(d->t.ctl, k, v)
	{
		/* here the last part is the control */
		day = strrchr(k, SEP[0]);
		if (day == NULL)
			continue;
		snprintf(key, sizeof(key), "%.*s", (int)(day - k), k);
		r = json_object_get(rows, key);
		if (r != NULL && strcmp(day + 1, "none") != 0)
			json_array_append_new(json_object_get(r, "controls"),
			    json_string(day + 1));
	}
	return 0;
}

static int
cmp_rows(const void *a, const void *b)
{
	json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	json_int_t cx = json_integer_value(json_object_get(x, "count"));
	json_int_t cy = json_integer_value(json_object_get(y, "count"));

	if (cx != cy)
		return cx > cy ? -1 : 1;
	return strcmp(json_string_value(json_object_get(x, "exception")),
	    json_string_value(json_object_get(y, "exception")));
}

static void
row_info(json_t *r, json_t *info, time_t now)
{
	json_t *e = json_object_get(info,
	    json_string_value(json_object_get(r, "exception")));
	const char *exp = json_string_value(json_object_get(e, "expires"));
	long long left = days_left(exp, now);

	json_object_set(r, "owners", json_object_get(e, "owners"));
	json_object_set(r, "tickets", json_object_get(e, "tickets"));
	json_object_set_new(r, "expires", exp ? json_string(exp) : json_null());
	json_object_set_new(r, "days_left",
	    left == LLONG_MIN ? json_null() : json_integer(left));
}

int
ls_decisions_overrides(struct ls_decisions *d, json_t **out, time_t since,
    time_t now)
{
	json_t *rows = json_object(), *list = json_array(), *v, **vec = NULL;
	const char *k;
	size_t n = 0, i;
	int rc = 0;

	*out = NULL;
	if (rows == NULL || list == NULL) {
		rc = ls_error_set(LS_ENOMEM, "out of memory");
		goto out;
	}
	pthread_mutex_lock(&d->mu);
	if ((rc = collect_rows(d, rows, since)) == 0) {
		json_object_foreach(rows, k, v)
		{
			row_info(v, d->t.info, now);
		}
	}
	pthread_mutex_unlock(&d->mu);
	if (rc != 0)
		goto out;
	if ((vec = calloc(json_object_size(rows) + 1, sizeof(*vec))) == NULL) {
		rc = ls_error_set(LS_ENOMEM, "out of memory");
		goto out;
	}
	json_object_foreach(rows, k, v)
	{
		vec[n++] = v;
	}
	qsort(vec, n, sizeof(*vec), cmp_rows);
	for (i = 0; i < n; i++)
		json_array_append(list, vec[i]);
	*out = list;
	list = NULL;
out:
	free(vec);
	json_decref(list);
	json_decref(rows);
	return rc;
}

/* ---- the build-time warning ---------------------------------------- */

int
ls_decisions_expiring(json_t **out, const struct ls_controls *c, time_t now)
{
	const struct ls_exception *e;
	char msg[600];
	json_t *list = json_array(), *w;
	long long left;
	size_t i;

	*out = NULL;
	if (list == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	for (i = 0; i < c->nexceptions; i++) {
		e = &c->exceptions[i];
		if (now >= e->expires ||
		    e->expires - now > (time_t)LS_DECISIONS_WARN_DAYS * 86400)
			continue;
		left = ((long long)e->expires - (long long)now) / 86400;
		snprintf(msg, sizeof(msg),
		    "exception %s (owner %s, ticket %s) expires %s: %lld "
		    "day%s left",
		    e->id, e->owner, e->ticket, e->expires_text, left,
		    left == 1 ? "" : "s");
		w = json_pack("{s:s, s:s, s:s, s:s, s:I, s:s}", "exception",
		    e->id, "owner", e->owner, "ticket", e->ticket, "expires",
		    e->expires_text, "days_left", (json_int_t)left, "warning",
		    msg);
		if (w == NULL || json_array_append_new(list, w) != 0) {
			json_decref(list);
			return ls_error_set(LS_ENOMEM, "out of memory");
		}
	}
	*out = list;
	return 0;
}
