/* agent.c - agent setup, restart recovery and the polling loop. */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "activate.h"
#include "agent_int.h"
#include "lockstep/error.h"
#include "lockstep/file.h"
#include "lockstep/note.h"
#include "lockstep/secret.h"
#include "reports.h"
#include "verify.h"

void
ls_agent_logf(struct ls_agent *a, const char *level, const char *event,
    const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (a->log == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	a->log(a->log_ctx, level, event, msg);
}

void
ls_agent_publish_status(struct ls_agent *a)
{
	ls_engine_set_state(a->engine, &a->st);
}

int
ls_agent_commit(struct ls_agent *a, const struct ls_state *st)
{
	int rc;

	if ((rc = ls_state_save(st, a->cfg->state)) != 0) {
		ls_agent_logf(a, "error", "state", "%s", ls_error_last());
		return rc;
	}
	a->st = *st;
	ls_agent_publish_status(a);
	return 0;
}

/* The trusted root: the newer of --root and STATE/root.note. */
static int
load_root(struct ls_agent *a)
{
	struct ls_root stored;
	char path[PATH_MAX], *text = NULL;
	size_t len = 0;
	int rc;

	if ((rc = ls_file_read(&text, &len, a->cfg->root, LS_NOTE_MAX)) != 0 ||
	    (rc = ls_verify_root_anchor(&a->root, text, len)) != 0) {
		free(text);
		return ls_error_wrap(rc, "%s", a->cfg->root);
	}
	free(text);
	text = NULL;
	snprintf(path, sizeof(path), "%s/root.note", a->cfg->state);
	rc = ls_file_read(&text, &len, path, LS_NOTE_MAX);
	if (rc == LS_ENOTFOUND)
		return 0;
	if (rc == 0 && (rc = ls_verify_root_anchor(&stored, text, len)) == 0) {
		if (strcmp(stored.origin, a->root.origin) == 0 &&
		    stored.version > a->root.version) {
			ls_root_cleanup(&a->root);
			a->root = stored;
		} else {
			ls_root_cleanup(&stored);
		}
	}
	free(text);
	return rc != 0 ? ls_error_wrap(rc, "%s", path) : 0;
}

static int
load_key(struct ls_agent *a)
{
	char path[PATH_MAX];
	int rc;

	snprintf(path, sizeof(path), "%s/%s.key", a->cfg->state, a->st.agent);
	rc = ls_key_load(&a->key, path);
	if (rc != LS_ENOTFOUND)
		return rc;
	if ((rc = ls_key_generate(&a->key, a->st.agent)) != 0 ||
	    (rc = ls_key_save(a->key, a->cfg->state)) != 0)
		return rc;
	ls_agent_logf(a, "info", "key", "generated agent key %s", path);
	return 0;
}

/* The enrolment token, until the server has our key: from the file (a
 * file others can read is refused) or, with a warning, from argv.  The
 * file is read again after a refusal, so that a new token written there
 * is used without a restart. */
int
ls_agent_load_token(struct ls_agent *a)
{
	const struct ls_config *c = a->cfg;
	char *tok = NULL;
	size_t n;
	int rc;

	if (a->st.enrolled)
		return 0;
	if (c->enroll_token_file != NULL) {
		if ((rc = ls_secret_read_token(&tok, c->enroll_token_file)) !=
		    0)
			return rc;
		ls_secret_free(a->enroll_token);
		a->enroll_token = tok;
		return 0;
	}
	if (c->enroll_token == NULL || a->enroll_token != NULL)
		return 0;
	ls_agent_logf(a, "warn", "enrol",
	    "--enroll-token is visible to every user in ps and /proc; use "
	    "--enroll-token-file");
	n = strlen(c->enroll_token);
	if ((a->enroll_token = sodium_malloc(n + 1)) == NULL)
		return ls_error_set(LS_ENOMEM, "out of secure memory");
	memcpy(a->enroll_token, c->enroll_token, n + 1);
	return 0;
}

/* Put back the committed bundle, drop leftovers of a killed update. */
static int
recover(struct ls_agent *a)
{
	struct ls_rego_policy *p = NULL;
	struct ls_state st = a->st;
	uint64_t *v = NULL;
	size_t n = 0;
	int rc;

	if (a->st.has_active &&
	    ls_activate_load(&p, a->cfg->state, a->st.active.dir) != 0) {
		/* Damaged on disk: enforce nothing rather than refuse to
		 * start; the next update fetches the bundle again. */
		ls_agent_logf(a, "error", "restore", "%s", ls_error_last());
		st.has_active = 0;
		memset(&st.active, 0, sizeof(st.active));
		snprintf(st.state, sizeof(st.state), "error");
		snprintf(st.last_error, sizeof(st.last_error), "%s",
		    ls_error_last());
		a->st.has_active = 0;
	} else if (a->st.has_active) {
		/* The engine takes the release of the policy from the state. */
		ls_agent_publish_status(a);
		ls_engine_swap(a->engine, p);
		ls_agent_logf(a, "info", "restored",
		    "enforcing %s (release "
		    "%llu) from %s",
		    a->st.active.version, (unsigned long long)a->st.active.seq,
		    a->st.active.dir);
	}
	if ((rc = ls_activate_prune(a->cfg->state,
		 a->st.has_active ? a->st.active.dir : NULL)) != 0)
		return rc;
	if ((rc = ls_reports_list(&v, &n, a->cfg->state)) != 0)
		return rc;
	if (n > 0 && v[n - 1] > st.report_seq)
		st.report_seq = v[n - 1];
	free(v);
	st.root_version = a->root.version;
	return ls_agent_commit(a, &st);
}

static int
open_state(struct ls_agent *a)
{
	const struct ls_config *c = a->cfg;
	int rc;

	if ((rc = ls_file_mkdirs(c->state, 0700)) != 0 ||
	    (rc = ls_activate_init(c->state)) != 0 ||
	    (rc = ls_reports_init(c->state)) != 0)
		return rc;
	rc = ls_state_load(&a->st, c->state);
	if (rc == LS_ENOTFOUND) {
		ls_state_init(&a->st);
		snprintf(a->st.agent, sizeof(a->st.agent), "%s", c->name);
		snprintf(a->st.channel, sizeof(a->st.channel), "%s",
		    c->channel);
		rc = 0;
	}
	if (rc != 0)
		return rc;
	if (strcmp(a->st.channel, c->channel) != 0)
		return ls_error_set(LS_EINVAL,
		    "%s: state follows channel %s, "
		    "not %s",
		    c->state, a->st.channel, c->channel);
	if (strcmp(a->st.agent, c->name) != 0)
		ls_agent_logf(a, "warn", "identity",
		    "state %s belongs to agent "
		    "%s; keeping that id",
		    c->state, a->st.agent);
	return 0;
}

int
ls_agent_new(struct ls_agent **out, const struct ls_config *cfg,
    struct ls_engine *e, ls_agent_log_fn *log, void *log_ctx,
    volatile sig_atomic_t *stop)
{
	struct ls_fetch_opts fo;
	struct ls_agent *a;
	int rc;

	*out = NULL;
	if (sodium_init() < 0)
		return ls_error_set(LS_ERROR, "libsodium: init failed");
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return ls_error_set(LS_ENOMEM, "agent: out of memory");
	a->cfg = cfg;
	a->engine = e;
	a->log = log;
	a->log_ctx = log_ctx;
	a->stop = stop;
	ls_extract_limits_default(&a->lim);
	ls_fetch_opts_default(&fo);
	fo.low_speed_time = cfg->low_speed_time;
	fo.stop = stop;
	fo.cacert = cfg->cacert;
	if ((rc = open_state(a)) != 0 || (rc = ls_agent_load_token(a)) != 0 ||
	    (rc = load_root(a)) != 0 || (rc = load_key(a)) != 0 ||
	    (rc = recover(a)) != 0 ||
	    (rc = ls_fetch_new(&a->fetch, &fo)) != 0) {
		ls_agent_free(a);
		return rc;
	}
	*out = a;
	return 0;
}

void
ls_agent_free(struct ls_agent *a)
{
	if (a == NULL)
		return;
	ls_fetch_free(a->fetch);
	ls_key_free(a->key);
	ls_secret_free(a->enroll_token);
	ls_root_cleanup(&a->root);
	free(a);
}

/* Record the outcome of an attempt; a change of state word is reported. */
static void
settle(struct ls_agent *a, int rc)
{
	struct ls_state st = a->st;
	time_t now = time(NULL);
	const char *before = ls_state_word(&a->st, now), *word;
	char prev[8];

	snprintf(prev, sizeof(prev), "%s", before);
	/* Refused enrolment: enforcing goes on, but nothing we report is
	 * accepted, so the state says error until it is resolved. */
	if (rc == 0 && a->enrol_rc != 0)
		rc = ls_error_set(a->enrol_rc, "%s", a->enrol_error);
	if (rc == 0) {
		/* Stale from an expired root or timestamp ends with a good
		 * pass; an expired stored timestamp is marked again below. */
		if (strcmp(st.state, "error") == 0 ||
		    strcmp(st.state, "stale") == 0)
			snprintf(st.state, sizeof(st.state), "%s",
			    st.has_active ? "active" : "none");
		st.last_error[0] = '\0';
	} else {
		snprintf(st.last_error, sizeof(st.last_error), "%s",
		    ls_error_last());
		word = rc == LS_EEXPIRED ||
			(st.has_active && st.timestamp_expires != 0 &&
			    now >= st.timestamp_expires)
		    ? "stale"
		    : "error";
		snprintf(st.state, sizeof(st.state), "%s", word);
	}
	if (strcmp(st.state, "active") == 0 && st.timestamp_expires != 0 &&
	    now >= st.timestamp_expires) {
		snprintf(st.state, sizeof(st.state), "stale");
		snprintf(st.last_error, sizeof(st.last_error),
		    "timestamp seq "
		    "%llu expired (freeze: still enforcing %s)",
		    (unsigned long long)st.timestamp_seq,
		    st.has_active ? st.active.version : "nothing");
	}
	if (strcmp(st.state, a->st.state) != 0 ||
	    strcmp(st.last_error, a->st.last_error) != 0)
		ls_agent_commit(a, &st);
	if (strcmp(prev, ls_state_word(&a->st, now)) != 0) {
		ls_agent_logf(a,
		    strcmp(a->st.state, "active") == 0 ? "info" : "warn",
		    "state", "state %s -> %s%s%s", prev, a->st.state,
		    a->st.last_error[0] ? ": " : "", a->st.last_error);
		ls_agent_report(a, "state");
	}
}

int
ls_agent_once(struct ls_agent *a)
{
	enum ls_agent_outcome oc;
	int rc, erc, i;
	size_t n = a->cfg->nservers;

	rc = LS_ENET;
	for (i = 0; (size_t)i < n; i++) {
		if ((rc = ls_agent_update(a, 0, &oc)) == 0)
			break;
		ls_agent_logf(a, "error", "update", "%s: %s",
		    a->cfg->servers[a->mirror], ls_error_last());
		a->mirror = (a->mirror + 1) % n;
	}
	erc = ls_agent_enrol(a);
	settle(a, rc);
	if (erc == LS_ECONFLICT || erc == LS_EBADSIG)
		return ls_error_set(erc, "%s", a->enrol_error);
	if (ls_agent_deliver(a) != 0)
		ls_agent_logf(a, "warn", "report", "reports stay queued: %s",
		    ls_error_last());
	if (rc == 0 && strcmp(ls_state_word(&a->st, time(NULL)), "active") != 0)
		rc = ls_error_set(LS_EEXPIRED,
		    "not enforcing the latest "
		    "release (state %s)",
		    ls_state_word(&a->st, time(NULL)));
	return rc;
}

/* Sleep until deadline (or *stop), in short steps. */
static void
sleep_until(struct ls_agent *a, time_t deadline)
{
	while (!*a->stop && time(NULL) < deadline)
		poll(NULL, 0, 100);
}

static time_t
min_time(time_t a, time_t b)
{
	return b != 0 && b < a ? b : a;
}

/* The next moment something must happen even without an answer. */
static time_t
wake_at(struct ls_agent *a, time_t base)
{
	time_t w = base;

	w = min_time(w, a->next_report);
	if (a->st.has_active && strcmp(a->st.state, "active") == 0 &&
	    a->st.timestamp_expires > time(NULL))
		w = min_time(w, a->st.timestamp_expires);
	/* The root expires too: the next pass then freezes. */
	if (a->root.expires > time(NULL))
		w = min_time(w, a->root.expires);
	return w;
}

static void
housekeeping(struct ls_agent *a)
{
	time_t now = time(NULL);
	uint64_t *v = NULL;
	size_t n = 0;

	/* Own clock: the stored timestamp may expire with no answer. */
	if (strcmp(a->st.state, "active") == 0 &&
	    a->st.timestamp_expires != 0 && now >= a->st.timestamp_expires)
		settle(a, 0);
	if (now >= a->next_report) {
		ls_agent_report(a, "hourly");
		a->next_report = now + LS_AGENT_REPORT_EVERY;
	}
	if (now < a->next_delivery ||
	    ls_reports_list(&v, &n, a->cfg->state) != 0 || n == 0) {
		free(v);
		return;
	}
	free(v);
	if (ls_agent_deliver(a) == 0) {
		a->delivery_backoff = 0;
		return;
	}
	/* A refused enrolment is logged by itself, once an hour. */
	if (a->enrol_rc == 0)
		ls_agent_logf(a, "warn", "report",
		    "%zu report(s) stay queued: %s", n, ls_error_last());
	a->delivery_backoff =
	    a->delivery_backoff == 0 ? 1 : a->delivery_backoff * 2;
	if (a->delivery_backoff > a->cfg->max_backoff)
		a->delivery_backoff = a->cfg->max_backoff;
	a->next_delivery = now + a->delivery_backoff;
}

static long
wait_for(struct ls_agent *a)
{
	time_t now = time(NULL), w = wake_at(a, now + a->cfg->long_poll);
	long s = (long)(w - now);

	return s < 1 ? 1 : s;
}

int
ls_agent_run(struct ls_agent *a)
{
	enum ls_agent_outcome oc;
	time_t now;
	long jitter;
	int rc;

	a->next_report = time(NULL) + LS_AGENT_REPORT_EVERY;
	ls_agent_report(a, "start");
	while (!*a->stop) {
		housekeeping(a);
		if (*a->stop)
			break;
		rc = ls_agent_update(a, a->cfg->long_poll > 0 ? wait_for(a) : 0,
		    &oc);
		if (*a->stop)
			break;
		now = time(NULL);
		if (rc != 0) {
			ls_agent_logf(a, "error", "update", "%s: %s",
			    a->cfg->servers[a->mirror], ls_error_last());
			settle(a, rc);
			a->etag[0] = '\0';
			a->mirror = (a->mirror + 1) % a->cfg->nservers;
			a->backoff = a->backoff == 0 ? 1 : a->backoff * 2;
			if (a->backoff > a->cfg->max_backoff)
				a->backoff = a->cfg->max_backoff;
			/* Full jitter on the upper half: no herd after an
			 * outage, yet never a busy loop. */
			jitter = (long)randombytes_uniform(
			    (uint32_t)(a->backoff / 2 + 1));
			sleep_until(a,
			    wake_at(a,
				now + a->backoff - a->backoff / 2 + jitter));
			continue;
		}
		settle(a, 0);
		a->backoff = 0;
		if (oc == LS_AGENT_CHANGED || a->held)
			continue;
		sleep_until(a, wake_at(a, now + a->cfg->interval));
	}
	return 0;
}

const char *
ls_agent_name(const struct ls_agent *a)
{
	return a->st.agent;
}

struct ls_key *
ls_agent_key(struct ls_agent *a)
{
	return a->key;
}

int
ls_agent_status(char **out, const char *state_dir)
{
	struct ls_state st;
	int rc;

	if ((rc = ls_state_load(&st, state_dir)) != 0)
		return rc;
	return ls_state_status_json(out, &st, time(NULL));
}
