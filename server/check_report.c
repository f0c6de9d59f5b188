/*
 * check_report.c - `lockstep check --report`: every evaluated file as a
 * decision record of an enrolled identity (door ci or precommit), with
 * the agent's own code: records through decrec.c into the declog.c
 * segments of STATE/decisions (the same format, the same per-identity
 * seq chain), uploaded as signed batches by decupload.c.  Linked only
 * into lockstep-ops, which sets ls_check_report (check.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "../agent/declog.h"
#include "../agent/decrec.h"
#include "../agent/decupload.h"
#include "../agent/state.h"
#include "check.h"
#include "lockstep/bundle.h"
#include "lockstep/dectab.h"
#include "lockstep/error.h"
#include "lockstep/key.h"
#include "lockstep/rego_deps.h"

#define LOCK_WAIT_MS 60000 /* another check --report on the identity */
#define FLUSH_MS 10000	   /* the last segment closed and durable */
#define RULES_MAX 4096	   /* checking rules of the policy */

/* A deny/violation/warn rule and the controls it covers. */
struct rule_ctl {
	char *ns;
	const char *const *controls; /* borrowed from the dectab */
};

struct ls_check_reporter {
	struct ls_check_report_opts o;
	char agent[LS_NAME_MAX + 1];
	int lockfd;
	struct ls_key *key;
	struct ls_dectab *tab;
	struct ls_declog *log;
	struct ls_decrec *rec;
	struct ls_engine_active act; /* what the records name */
	struct rule_ctl *rules;
	size_t nrules;
	unsigned records;
};

/* One check --report at a time per identity: its seq chain has one
 * writer (pre-commit may run hooks in parallel). */
static int
lock_identity(int *fd, const char *state)
{
	char path[PATH_MAX];
	int waited;

	snprintf(path, sizeof(path), "%s/check.lock", state);
	if ((*fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0)
		return ls_error_set(LS_EIO, "%s: %s", path, strerror(errno));
	for (waited = 0; flock(*fd, LOCK_EX | LOCK_NB) != 0; waited += 50) {
		if (errno != EWOULDBLOCK || waited >= LOCK_WAIT_MS)
			return ls_error_set(LS_EIO, "%s: %s", path,
			    errno == EWOULDBLOCK ? "held by another lockstep "
						   "check --report"
						 : strerror(errno));
		poll(NULL, 0, 50);
	}
	return 0;
}

/* The identity: STATE/state.json names it, STATE/NAME.key signs. */
static int
load_identity(struct ls_check_reporter *r)
{
	char path[PATH_MAX];
	struct ls_state st;
	int rc;

	rc = ls_state_load(&st, r->o.state);
	if (rc == LS_ENOTFOUND)
		return ls_error_set(rc,
		    "%s: no identity here (enrol one with lockstep-agent "
		    "--state %s --enroll-token-file F --once, see README)",
		    r->o.state, r->o.state);
	if (rc != 0)
		return rc;
	snprintf(r->agent, sizeof(r->agent), "%s", st.agent);
	snprintf(path, sizeof(path), "%s/%s.key", r->o.state, st.agent);
	return ls_key_load(&r->key, path);
}

/* --policy DIR: the sha256 `lockstep bundle build DIR` gives (the
 * build is reproducible), built into a temporary directory. */
static int
dir_sha256(char out[65], const char *dir)
{
	char tmp[PATH_MAX], file[PATH_MAX + 16];
	const char *t = getenv("TMPDIR");
	int rc;

	snprintf(tmp, sizeof(tmp), "%s/lockstep-check.XXXXXX",
	    t != NULL && t[0] == '/' ? t : "/tmp");
	if (mkdtemp(tmp) == NULL)
		return ls_error_set(LS_EIO, "%s: %s", tmp, strerror(errno));
	snprintf(file, sizeof(file), "%s/policy.tar.gz", tmp);
	rc = ls_bundle_build(dir, file, out, NULL);
	unlink(file);
	rmdir(tmp);
	return rc;
}

static int
add_rule(void *arg, const char *ns, const char *name)
{
	struct ls_check_reporter *r = arg;
	char path[1024];
	size_t i;

	if (ls_check_rule_kind(name) == 0 || r->nrules == RULES_MAX)
		return 0;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", ns, name) >=
	    sizeof(path))
		return 0;
	for (i = 0; path[i] != '\0'; i++)
		if (path[i] == '.')
			path[i] = '/';
	if ((r->rules[r->nrules].ns = strdup(ns)) == NULL)
		return LS_ENOMEM;
	r->rules[r->nrules++].controls = ls_dectab_controls(r->tab, path);
	return 0;
}

static int
what_is_enforced(struct ls_check_reporter *r)
{
	struct ls_engine_active *a = &r->act;
	char *warn = NULL;
	int rc;

	a->refs = 1;
	a->policy = r->o.policy;
	if ((rc = ls_dectab_build(&r->tab, r->o.policy, &warn)) != 0)
		return rc;
	free(warn); /* a control map that does not parse: no controls */
	a->tab = r->tab;
	if (r->o.bundle != NULL) {
		snprintf(a->channel, sizeof(a->channel), "%s",
		    r->o.bundle->channel);
		snprintf(a->version, sizeof(a->version), "%s",
		    r->o.bundle->version);
		snprintf(a->sha256, sizeof(a->sha256), "%s",
		    r->o.bundle->sha256);
		a->seq = r->o.bundle->seq;
	} else {
		/* No channel, no release: version says it was a directory */
		snprintf(a->version, sizeof(a->version), "dir:%s",
		    r->o.policy_dir);
		if ((rc = dir_sha256(a->sha256, r->o.policy_dir)) != 0)
			return rc;
	}
	if ((r->rules = calloc(RULES_MAX, sizeof(*r->rules))) == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	rc = ls_rego_policy_rules(r->o.policy, add_rule, r);
	return rc == LS_ENOMEM ? ls_error_set(rc, "out of memory") : rc;
}

static void
reporter_free(struct ls_check_reporter *r)
{
	size_t i;

	if (r == NULL)
		return;
	ls_declog_close(r->log);
	ls_decrec_free(r->rec);
	ls_dectab_free(r->tab);
	ls_key_free(r->key);
	for (i = 0; i < r->nrules; i++)
		free(r->rules[i].ns);
	free(r->rules);
	if (r->lockfd >= 0)
		close(r->lockfd);
	free(r);
}

static int
report_open(struct ls_check_reporter **out,
    const struct ls_check_report_opts *o)
{
	struct ls_check_reporter *r = calloc(1, sizeof(*r));
	struct ls_declog_opts lo;
	int rc;

	*out = NULL;
	if (r == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	r->o = *o;
	r->lockfd = -1;
	memset(&lo, 0, sizeof(lo));
	lo.state_dir = o->state;
	lo.fsync_ms = 1000; /* the close at the end fsyncs anyway */
	lo.queue_max = LS_DECLOG_QUEUE_MAX;
	/* one run is one batch, however long it takes */
	lo.segment_max = LS_DECUP_BODY_MAX / 2;
	lo.segment_age_ms = 24L * 3600 * 1000;
	if ((rc = load_identity(r)) != 0 ||
	    (rc = lock_identity(&r->lockfd, o->state)) != 0 ||
	    (rc = what_is_enforced(r)) != 0)
		goto out;
	lo.agent = r->agent;
	if ((rc = ls_declog_open(&r->log, &lo)) != 0 ||
	    (rc = ls_decrec_new(&r->rec, r->log, o->input_max)) != 0)
		goto out;
	*out = r;
	return 0;
out:
	reporter_free(r);
	return rc;
}

/* ---- one file's record ---- */

/* arr's strings sorted, unique; arr's reference is taken. */
static json_t *
sorted(json_t *arr)
{
	json_t *out = ls_decrec_sorted_unique(arr);

	json_decref(arr);
	return out;
}

/* "data.main.deny_x" or data["a-b"].deny -> "main/deny_x", "a-b/deny". */
static void
slash_path(char *out, size_t sz, const char *ref)
{
	size_t k = 0;
	const char *s = strncmp(ref, "data", 4) == 0 ? ref + 4 : ref;

	while (*s != '\0' && k + 1 < sz) {
		if (*s == '.' || *s == '[') {
			if (k > 0)
				out[k++] = '/';
			s += *s == '[' ? 2 : 1; /* [" */
			continue;
		}
		if (*s == '"' && s[1] == ']') {
			s += 2;
			continue;
		}
		out[k++] = *s++;
	}
	out[k] = '\0';
}

/*
 * Which leaves of a rule produced which messages, on one file: the rule
 * evaluated once more per configuration with its leaves query (as the
 * admission door attributes in the evaluation that decides), so each
 * failure carries the controls of the rules that produced it, not every
 * control the rule depends on.  Per file, per rule path, computed once.
 */
struct producers {
	char path[1024];
	const struct ls_dectab_leaves *lv;
	json_t *msgs;		     /* element messages (null: none) */
	unsigned long long *holders; /* per element */
	int ok;			     /* 0: fall back to all its controls */
};

struct attribution {
	json_t *configs; /* the configurations the policy saw */
	struct producers *v;
	size_t n;
};

static void
attribution_cleanup(struct attribution *a)
{
	size_t i;

	for (i = 0; i < a->n; i++) {
		json_decref(a->v[i].msgs);
		free(a->v[i].holders);
	}
	free(a->v);
}

/* Append the elements of one evaluation (doc, holders) to pr. */
static int
add_elements(struct producers *pr, const struct ls_rego_attr *at)
{
	json_t *doc = at->doc ? json_loads(at->doc, JSON_DECODE_ANY, NULL)
			      : NULL;
	size_t i, have = json_array_size(pr->msgs), n = at->n;
	unsigned long long *h;
	const char *m;
	int rc = 0;

	if (at->doc != NULL && doc == NULL)
		return LS_ENOMEM;
	if (!json_is_array(doc) || json_array_size(doc) != n || n == 0) {
		json_decref(doc);
		return 0; /* undefined here, or not a collection */
	}
	if ((h = realloc(pr->holders, (have + n) * sizeof(*h))) == NULL) {
		json_decref(doc);
		return LS_ENOMEM;
	}
	pr->holders = h;
	for (i = 0; rc == 0 && i < n; i++) {
		m = ls_decrec_msg_of(json_array_get(doc, i));
		h[have + i] = at->holders[i];
		rc = json_array_append_new(pr->msgs,
			 m ? json_string(m) : json_null()) == 0
		    ? 0
		    : LS_ENOMEM;
	}
	json_decref(doc);
	return rc;
}

static int
evaluate_producers(struct producers *pr, const struct ls_check_reporter *r,
    const json_t *configs)
{
	struct ls_rego_eval_opts eo;
	struct ls_rego_attr at;
	const json_t *cfg;
	char *text;
	size_t i;
	int rc = 0;

	memset(&eo, 0, sizeof(eo));
	eo.timeout_ms = r->o.timeout_ms;
	pr->lv = ls_dectab_leaves(r->tab, pr->path);
	if (pr->lv == NULL || pr->lv->n == 0 || pr->lv->prepared == NULL)
		return 0;
	if ((pr->msgs = json_array()) == NULL)
		return LS_ENOMEM;
	json_array_foreach(configs, i, cfg)
	{
		if ((text = json_dumps(cfg, JSON_COMPACT | JSON_ENCODE_ANY)) ==
		    NULL)
			return LS_ENOMEM;
		memset(&at, 0, sizeof(at));
		rc = ls_rego_eval_attr(&at, r->o.policy, pr->lv->prepared, text,
		    strlen(text), &eo, NULL);
		free(text);
		if (rc == LS_ENOMEM)
			return rc;
		/* an evaluation that fails, or leaves holding messages
		 * the rule lacks (an exception filtered them, or the rule
		 * reads its leaves under `with`): producers unknown, all
		 * the rule's controls */
		if (rc != 0 || at.stray) {
			ls_rego_attr_cleanup(&at);
			return 0;
		}
		rc = add_elements(pr, &at);
		ls_rego_attr_cleanup(&at);
		if (rc != 0)
			return rc;
	}
	pr->ok = 1;
	return 0;
}

/* The producers of path on this file (evaluated on first use). */
static int
producers_of(struct producers **out, struct attribution *a,
    const struct ls_check_reporter *r, const char *path)
{
	struct producers *v;
	size_t i;

	for (i = 0; i < a->n; i++)
		if (strcmp(a->v[i].path, path) == 0) {
			*out = &a->v[i];
			return 0;
		}
	if ((v = realloc(a->v, (a->n + 1) * sizeof(*v))) == NULL)
		return LS_ENOMEM;
	a->v = v;
	*out = &v[a->n];
	memset(*out, 0, sizeof(**out));
	snprintf((*out)->path, sizeof((*out)->path), "%s", path);
	a->n++;
	return evaluate_producers(*out, r, a->configs);
}

/* The controls of one message of the rule at path: those of the leaves
 * that produced it; the rule's own when none did; every control the
 * rule depends on when its producers are not known. */
static int
controls_of(json_t *c, struct attribution *a,
    const struct ls_check_reporter *r, const char *path, const char *msg)
{
	unsigned long long bits = 0;
	struct producers *pr;
	size_t i;
	int rc;

	if ((rc = producers_of(&pr, a, r, path)) != 0)
		return rc;
	if (!pr->ok || msg == NULL)
		return ls_decrec_add_controls(c,
		    ls_dectab_controls(r->tab, path));
	for (i = 0; i < json_array_size(pr->msgs); i++) {
		const char *m = json_string_value(json_array_get(pr->msgs, i));

		if (m != NULL && strcmp(m, msg) == 0)
			bits |= pr->holders[i];
	}
	if (bits == 0)
		return ls_decrec_add_controls(c, ls_dectab_own(r->tab, path));
	for (i = 0; i < pr->lv->n && i < 64; i++)
		if ((bits & (1ull << i)) &&
		    (rc = ls_decrec_add_controls(c, pr->lv->controls[i])) != 0)
			return rc;
	return 0;
}

/* Each failure and warning: msg, the rule that gave it, its controls. */
static int
add_violations(json_t *vs, json_t *ctl, const struct ls_check_reporter *r,
    struct attribution *at, const json_t *list)
{
	const char *q;
	char path[1024];
	json_t *v, *c, *el, *one;
	size_t i, k;
	int rc;

	json_array_foreach(list, i, el)
	{
		q = json_string_value(
		    json_object_get(json_object_get(el, "metadata"), "query"));
		slash_path(path, sizeof(path), q ? q : "");
		v = json_pack("{s:O, s:s, s:[]}", "msg",
		    json_object_get(el, "msg"), "rule", q ? q : "", "controls");
		if (v == NULL || json_array_append_new(vs, v) != 0)
			return LS_ENOMEM;
		c = json_object_get(v, "controls");
		if ((rc = controls_of(c, at, r, path,
			 json_string_value(json_object_get(el, "msg")))) != 0)
			return rc;
		json_object_set_new(v, "controls", sorted(json_incref(c)));
		c = json_object_get(v, "controls");
		json_array_foreach(c, k, one) /* the record's: sorted later */
			if (json_array_append(ctl, one) != 0)
				return LS_ENOMEM;
	}
	return 0;
}

/* The verdict of a file's results (one object per namespace). */
static int
judge(struct ls_decision_verdict *v, json_t *vs, json_t **ctl, char *path,
    size_t psz, const struct ls_check_reporter *r, struct attribution *at,
    const json_t *results)
{
	size_t i, j, k = 0, nfail = 0, nwarn = 0;
	const char *ns;
	json_t *res;
	int rc = 0;

	path[0] = '\0';
	json_array_foreach(results, i, res)
	{
		ns = json_string_value(json_object_get(res, "namespace"));
		nfail += json_array_size(json_object_get(res, "failures"));
		nwarn += json_array_size(json_object_get(res, "warnings"));
		if (rc == 0)
			rc = add_violations(vs, *ctl, r, at,
			    json_object_get(res, "failures"));
		if (rc == 0)
			rc = add_violations(vs, *ctl, r, at,
			    json_object_get(res, "warnings"));
		if (ns != NULL && k + strlen(ns) + 2 < psz)
			k += (size_t)snprintf(path + k, psz - k, "%s%s",
			    k > 0 ? "," : "", ns);
		/* Nothing found: every control the namespace's rules cover */
		for (j = 0; rc == 0 && nfail + nwarn == 0 && j < r->nrules; j++)
			if (ns != NULL && strcmp(r->rules[j].ns, ns) == 0)
				rc = ls_decrec_add_controls(*ctl,
				    r->rules[j].controls);
	}
	for (i = 0; path[i] != '\0'; i++)
		if (path[i] == '.')
			path[i] = '/';
	v->outcome = nfail > 0 ? LS_OUT_DENY
	    : nwarn > 0	       ? LS_OUT_WARN
			       : LS_OUT_ALLOW;
	*ctl = sorted(*ctl);
	v->violations = vs;
	v->controls = *ctl;
	return rc == 0 && *ctl != NULL
	    ? 0
	    : ls_error_set(LS_ENOMEM, "out of memory");
}

/* The configurations the policy saw in f, as the checker splits its
 * input: a top-level array is one per element (a multi-document file). */
static int
configs_of(struct attribution *at, const struct ls_check_file *f)
{
	json_t *in = f->input ? json_loadb(f->input, f->input_len,
				    JSON_DECODE_ANY, NULL)
			      : json_null();

	if (in == NULL) /* not ours to judge: no attribution */
		in = json_null();
	if (!json_is_array(in) || f->one_config)
		in = json_pack("[o]", in);
	at->configs = in;
	return in ? 0 : ls_error_set(LS_ENOMEM, "out of memory");
}

static int
report_file(struct ls_check_reporter *r, const struct ls_check_file *f)
{
	struct attribution at = { NULL, NULL, 0 };
	struct ls_decision_verdict v;
	struct ls_decision d;
	char id[LS_DECLOG_ID_MAX], path[1024], *res = NULL;
	json_t *vs = json_array(), *ctl = json_array();
	int rc = 0;

	memset(&d, 0, sizeof(d));
	memset(&v, 0, sizeof(v));
	d.door = strcmp(r->o.door, "ci") == 0 ? LS_DOOR_CI : LS_DOOR_PRECOMMIT;
	d.input = f->input;
	d.input_len = f->input_len;
	d.input_sha256 = f->input_sha256;
	d.latency_us = f->latency_us;
	d.act = &r->act;
	d.file = f->filename;
	d.path = ""; /* the namespaces; each violation names its rule */
	if (vs == NULL || ctl == NULL)
		rc = ls_error_set(LS_ENOMEM, "out of memory");
	else if (f->error != NULL)
		d.error = f->error;
	else if ((rc = configs_of(&at, f)) == 0 &&
	    (rc = judge(&v, vs, &ctl, path, sizeof(path), r, &at,
		 f->results)) == 0) {
		d.path = path;
		d.verdict = &v;
		if ((res = json_dumps(f->results, JSON_COMPACT)) == NULL)
			rc = ls_error_set(LS_ENOMEM, "out of memory");
		d.result = res;
	}
	if (rc == 0 && (rc = ls_decrec_record(r->rec, id, &d)) == 0 &&
	    id[0] != '\0')
		r->records++; /* else dropped by the bundle's system.log.drop */
	free(res);
	json_decref(vs);
	json_decref(ctl);
	json_decref(at.configs);
	attribution_cleanup(&at);
	return rc;
}

/* Durable, then uploaded (what fails stays queued for the next run). */
static void
report_close(struct ls_check_reporter *r, struct ls_check_report_sum *s)
{
	struct ls_declog_stats st;
	struct ls_decup_opts uo;

	memset(s, 0, sizeof(*s));
	if (r == NULL)
		return;
	s->records = r->records;
	ls_declog_flush(r->log, FLUSH_MS);
	memset(&uo, 0, sizeof(uo));
	uo.report_to = r->o.report_to;
	uo.agent = r->agent;
	uo.key = r->key;
	uo.log = r->log;
	uo.cacert = r->o.cacert;
	s->upload_rc = ls_decup_drain(&uo, &s->batches);
	if (s->upload_rc != 0)
		snprintf(s->upload_error, sizeof(s->upload_error), "%s",
		    ls_error_last());
	ls_declog_stats(r->log, &st);
	s->queued = st.queued_records;
	reporter_free(r);
}

const struct ls_check_report_ops ls_check_report_impl = { report_open,
	report_file, report_close };
