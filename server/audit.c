/* audit.c - select the evidence of one control and period and build the
 * audit package from it (see audit.h). */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "audit.h"
#include "audit_impl.h"
#include "lockstep/error.h"
#include "lockstep/file.h"
#include "lockstep/hash.h"
#include "lockstep/note.h"
#include "lockstep/timefmt.h"

int
ls_audit_time(time_t *out, const char *s, int end)
{
	size_t n = strlen(s);

	if (ls_time_parse(out, s, n) != 0)
		return ls_error_set(LS_EFORMAT,
		    "bad date '%.40s' (want YYYY-MM-DD or "
		    "YYYY-MM-DDTHH:MM:SSZ)",
		    s);
	if (end && n == 10)
		*out += 86399; /* a bare date includes its whole day */
	return 0;
}

time_t
ls_audit_entry_time(json_t *e)
{
	json_t *d = json_object_get(e, "details");
	const char *k = json_string_value(json_object_get(e, "kind"));
	const char *s = NULL;
	char buf[21];
	time_t t = 0;

	if (k != NULL && strcmp(k, "decision") == 0)
		s = json_string_value(json_object_get(d, "time"));
	if (s == NULL)
		s = json_string_value(json_object_get(e, "time"));
	if (s == NULL || strlen(s) < 20)
		return 0;
	/* Decision times carry microseconds: keep the seconds. */
	memcpy(buf, s, 19);
	buf[19] = 'Z';
	buf[20] = '\0';
	if (ls_time_parse(&t, buf, 20) != 0) {
		ls_error_clear();
		return 0;
	}
	return t;
}

int
ls_audit_in_scope(json_t *controls, const struct ls_audit_opts *o)
{
	size_t i, fl = o->framework ? strlen(o->framework) : 0;
	const char *s;
	json_t *c;

	json_array_foreach(controls, i, c)
	{
		if ((s = json_string_value(c)) == NULL)
			continue;
		if (o->control != NULL && strcmp(s, o->control) == 0)
			return 1;
		if (o->framework != NULL && strncmp(s, o->framework, fl) == 0 &&
		    s[fl] == ':')
			return 1;
	}
	return 0;
}

const char *const audit_pkg_names[AUDIT_PKG_NFILES] = { "records.jsonl",
	"proofs.jsonl", "checkpoint.note", "log.pub", "summary.json",
	"summary.md", "summary.html", "oscal/assessment-results.json",
	"manifest.note" };

void
ls_audit_pkg_cleanup(struct ls_audit_pkg *p)
{
	size_t i;

	for (i = 0; p != NULL && i < p->n; i++)
		ls_buf_cleanup(&p->files[i].data);
	if (p != NULL)
		p->n = 0;
}

/* A checkpoint of the log as it is now, in checkpoint.c's format. */
static int
sign_checkpoint(struct ls_buf *out, uint64_t *size, uint8_t root[LS_SHA256_LEN],
    struct ls_evidence *ev, const char *origin, struct ls_key *key)
{
	char b64[64], *note = NULL;
	struct ls_buf body;
	size_t nlen;
	int rc;

	ls_buf_init(&body, 4096);
	ls_evidence_root(ev, size, root);
	ls_base64_encode(b64, sizeof(b64), root, LS_SHA256_LEN);
	if ((rc = ls_buf_addf(&body, "%s/evidence\n%" PRIu64 "\n%s\n", origin,
		 *size, b64)) == 0 &&
	    (rc = ls_note_sign(&note, &nlen, body.data, body.len, &key, 1)) ==
		0)
		rc = ls_buf_add(out, note, nlen);
	free(note);
	ls_buf_cleanup(&body);
	return rc;
}

static int
check_opts(const struct ls_audit_opts *o)
{
	const char *s = o->control ? o->control : o->framework;

	if ((o->control == NULL) == (o->framework == NULL))
		return ls_error_set(LS_EINVAL,
		    "give one of --control ID or --framework NAME");
	if (strlen(s) == 0 || strlen(s) > 128 || strpbrk(s, " \n\t") != NULL)
		return ls_error_set(LS_EINVAL,
		    "bad control or framework '%.40s'", s);
	if (o->since == 0 || o->until == 0 || o->until < o->since)
		return ls_error_set(LS_EINVAL,
		    "--since and --until are required, since <= until");
	return 0;
}

/*
 * The build, streamed: every pass reads the store through
 * ls_evidence_query in chunks and writes as it goes, so memory grows with
 * agents, bundles and the summary's keys, never with the records.
 *
 *   1. decisions under the scope in the period (the control's Hive
 *      partitions): the agents and bundles in scope;
 *   2. builds and publishes (bundles covering the control), reports
 *      (agents running such a bundle, bundles the agents in scope ran);
 *   3. written: operator entries (enrolments first: verify needs the
 *      agents' keys before their batches), builds, publishes, reports,
 *      batches, announced drops, then the decisions again, day by day.
 * records.jsonl thus holds the context first and then each agent's
 * decisions in time order: the order the summary is computed in, here and
 * in ls_audit_verify.
 */
struct build {
	const struct ls_audit_opts *o;
	struct ls_evidence *ev;
	uint64_t size;
	struct ls_evidence_prover *pv;
	struct ls_audit_acc *acc;
	struct audit_pfile *rec, *prf;
	json_t *agents;	 /* set: agents in scope */
	json_t *bundles; /* set: bundles covering or enforced */
	json_t *before;	 /* agent -> n of its last report before since */
	json_t *ctls;	 /* the controls whose partitions are read */
	struct ls_buf q; /* one chunk of a query */
	size_t ctl_i;	 /* the control being read */
	int emit;	 /* pass 3 */
};

static const char *
dstr(json_t *e, const char *key)
{
	return json_string_value(
	    json_object_get(json_object_get(e, "details"), key));
}

static const char *
estr(json_t *e, const char *key)
{
	return json_string_value(json_object_get(e, key));
}

static int
set_add(json_t *set, const char *k)
{
	if (k == NULL || k[0] == '\0')
		return 0;
	return json_object_set_new(set, k, json_true()) == 0
	    ? 0
	    : ls_error_set(LS_ENOMEM, "out of memory");
}

static int
set_has(json_t *set, const char *k)
{
	return k != NULL && json_object_get(set, k) != NULL;
}

static int
in_period(const struct ls_audit_opts *o, json_t *e)
{
	time_t t = ls_audit_entry_time(e);

	return t != 0 && t >= o->since && t <= o->until;
}

typedef int (*line_fn)(struct build *b, const char *line, size_t len);

/* 0, or LS_ERROR once the caller cancelled the build (o->cancel). */
static int
cancel_check(const struct build *b)
{
	if (b->o->cancel != NULL &&
	    __atomic_load_n(b->o->cancel, __ATOMIC_RELAXED))
		return ls_error_set(LS_ERROR, "build cancelled");
	return 0;
}

/* Every line of a query, to fn. */
static int
scan(struct build *b, const struct ls_evidence_filter *f, line_fn fn)
{
	struct ls_evidence_query *q = NULL;
	const char *p, *end, *nl;
	int rc, more;

	if ((rc = ls_evidence_query_open(&q, b->ev, f, b->size)) != 0)
		return rc;
	do {
		ls_buf_reset(&b->q);
		if ((rc = cancel_check(b)) != 0)
			break;
		if ((more = ls_evidence_query_next(q, &b->q, 1 << 20)) < 0) {
			rc = more;
			break;
		}
		p = b->q.data;
		end = p + b->q.len;
		for (; rc == 0 && p < end; p = nl + 1) {
			if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
				break;
			if ((rc = cancel_check(b)) == 0)
				rc = fn(b, p, (size_t)(nl - p));
		}
	} while (rc == 0 && more == 0);
	ls_evidence_query_free(q);
	return rc;
}

/* Batches are read from their partitions (they are spread thinly over
 * the whole log: through the index every entry bundle would be read). */
static int
scan_kind(struct build *b, const char *kind, time_t since, time_t until,
    line_fn fn)
{
	struct ls_evidence_filter f;

	memset(&f, 0, sizeof(f));
	f.kind = kind;
	f.by_partition = strcmp(kind, "batch") == 0;
	f.since = since;
	f.until = until;
	return scan(b, &f, fn);
}

static json_t *
parse(const char *line, size_t len)
{
	json_t *e = json_loadb(line, len, 0, NULL);

	if (!json_is_object(e)) {
		json_decref(e);
		return NULL; /* not ours to judge: the log's chain is */
	}
	return e;
}

/* Into records.jsonl with its proof, and into the summary. */
static int
emit(struct build *b, const char *line, size_t len, json_t *e)
{
	uint8_t proof[LS_MERKLE_MAX_PROOF][LS_SHA256_LEN], leaf[LS_SHA256_LEN];
	json_int_t n = json_integer_value(json_object_get(e, "n"));
	char text[96 + LS_MERKLE_MAX_PROOF * 48], b64[64];
	size_t plen = 0, i, o;
	int rc;

	if (n < 0 || (uint64_t)n >= b->size)
		return 0; /* past the checkpoint: the next package's */
	if ((rc = ls_evidence_prover_proof(b->pv, (uint64_t)n, leaf, proof,
		 &plen)) != 0)
		return rc;
	ls_base64_encode(b64, sizeof(b64), leaf, LS_SHA256_LEN);
	o = (size_t)snprintf(text, sizeof(text),
	    "{\"index\":%" PRId64 ",\"size\":%" PRIu64
	    ",\"leaf\":\"%s\",\"proof\":[",
	    (int64_t)n, b->size, b64);
	for (i = 0; i < plen; i++) {
		ls_base64_encode(b64, sizeof(b64), proof[i], LS_SHA256_LEN);
		o += (size_t)snprintf(text + o, sizeof(text) - o, "%s\"%s\"",
		    i ? "," : "", b64);
	}
	o += (size_t)snprintf(text + o, sizeof(text) - o, "]}\n");
	if ((rc = audit_pfile_write(b->rec, line, len)) != 0 ||
	    (rc = audit_pfile_write(b->rec, "\n", 1)) != 0 ||
	    (rc = audit_pfile_write(b->prf, text, o)) != 0)
		return rc;
	return ls_audit_acc_add(b->acc, e);
}

/* A decision read from the partition of control ctl_i: in scope, in the
 * period, and read there first (under a framework a record naming two of
 * its controls is in both partitions). */
static int
decision_here(struct build *b, json_t *e)
{
	json_t *c, *ctls = json_object_get(json_object_get(e, "details"),
		       "controls"),
		   *one;
	const char *here =
	    json_string_value(json_array_get(b->ctls, b->ctl_i));
	size_t i;
	int first = 0;

	if (!in_period(b->o, e))
		return 0;
	one = json_array();
	json_array_foreach(ctls, i, c)
	{
		json_array_clear(one);
		json_array_append(one, c);
		if (ls_audit_in_scope(one, b->o)) {
			first = strcmp(json_string_value(c), here) == 0;
			break;
		}
	}
	json_decref(one);
	return first;
}

/* The string value after key (a literal such as ",\"agent\":\"") in
 * [p, end), when it has no escapes: into out.  0 if not found. */
static int
quick_str(char *out, size_t n, const char *p, const char *end,
    const char *key)
{
	size_t kl = strlen(key);
	const char *v = memmem(p, (size_t)(end - p), key, kl), *q;

	if (v == NULL)
		return 0;
	v += kl;
	for (q = v; q < end && *q != '"' && *q != '\\'; q++)
		;
	if (q == end || *q != '"' || (size_t)(q - v) >= n)
		return 0;
	memcpy(out, v, (size_t)(q - v));
	out[q - v] = '\0';
	return 1;
}

/*
 * Pass 1 without parsing, for one control over whole days (the partition
 * files then hold exactly the records in scope): the entry's agent (the
 * store writes n, time, kind, channel, agent, details in that order) and
 * the record's bundle (a decision record names it before its input).
 * 0 when the line is not of that shape: it is parsed.
 */
static int
quick_scope(struct build *b, const char *line, size_t len, int *rc)
{
	const char *end = line + len, *d;
	char agent[256], bundle[72];

	if (json_array_size(b->ctls) != 1 || b->o->since % 86400 != 0 ||
	    b->o->until % 86400 != 86399 ||
	    (d = memmem(line, len, ",\"details\":{", 12)) == NULL ||
	    !quick_str(agent, sizeof(agent), line, d, ",\"agent\":\"") ||
	    !quick_str(bundle, sizeof(bundle), d, end, ",\"bundle\":\""))
		return 0;
	if ((*rc = set_add(b->agents, agent)) == 0)
		*rc = set_add(b->bundles, bundle);
	return 1;
}

static int
on_decision(struct build *b, const char *line, size_t len)
{
	json_t *e;
	int rc = 0;

	if (!b->emit && quick_scope(b, line, len, &rc))
		return rc;
	if ((e = parse(line, len)) == NULL || !decision_here(b, e))
		goto out;
	if (b->emit)
		rc = emit(b, line, len, e);
	else if ((rc = set_add(b->agents, estr(e, "agent"))) == 0)
		rc = set_add(b->bundles, dstr(e, "bundle"));
out:
	json_decref(e);
	return rc;
}

/* The decisions of control ctl_i over [since, until]. */
static int
scan_decisions(struct build *b, time_t since, time_t until)
{
	struct ls_evidence_filter f;

	memset(&f, 0, sizeof(f));
	f.kind = "decision";
	f.control = json_string_value(json_array_get(b->ctls, b->ctl_i));
	f.since = since;
	f.until = until;
	return scan(b, &f, on_decision);
}

/* Pass 1, and the decisions of pass 3: one control, period at once;
 * several, day by day so each agent's decisions stay in time order. */
static int
decisions(struct build *b)
{
	time_t day, lo, hi;
	int rc = 0;

	if (json_array_size(b->ctls) == 1 || !b->emit) {
		for (b->ctl_i = 0;
		     rc == 0 && b->ctl_i < json_array_size(b->ctls); b->ctl_i++)
			rc = scan_decisions(b, b->o->since, b->o->until);
		return rc;
	}
	for (day = b->o->since - b->o->since % 86400;
	     rc == 0 && day <= b->o->until; day += 86400) {
		lo = day < b->o->since ? b->o->since : day;
		hi = day + 86399 > b->o->until ? b->o->until : day + 86399;
		for (b->ctl_i = 0;
		     rc == 0 && b->ctl_i < json_array_size(b->ctls); b->ctl_i++)
			rc = scan_decisions(b, lo, hi);
	}
	return rc;
}

static int
add_ctl(void *arg, const char *control)
{
	return json_array_append_new(arg, json_string(control)) == 0
	    ? 0
	    : ls_error_set(LS_ENOMEM, "out of memory");
}

static int
cmp_json_str(const void *x, const void *y)
{
	return strcmp(json_string_value(*(json_t *const *)x),
	    json_string_value(*(json_t *const *)y));
}

/* The controls to read: the one asked, or the framework's, sorted. */
static int
controls(struct build *b)
{
	json_t *v[256];
	size_t i, n;
	int rc;

	if (b->o->control != NULL)
		return add_ctl(b->ctls, b->o->control);
	if ((rc = ls_evidence_controls(b->ev, b->o->framework, add_ctl,
		 b->ctls)) != 0)
		return rc;
	if ((n = json_array_size(b->ctls)) > 256)
		return ls_error_set(LS_ETOOBIG,
		    "framework %s: more than 256 controls", b->o->framework);
	for (i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(b->ctls, i));
	qsort(v, n, sizeof(v[0]), cmp_json_str);
	json_array_clear(b->ctls);
	for (i = 0; i < n; i++)
		json_array_append_new(b->ctls, v[i]);
	return 0;
}

/* Builds and publishes: the bundles covering the scope; written when
 * their bundle is in scope. */
static int
on_build(struct build *b, const char *line, size_t len)
{
	json_t *e = parse(line, len);
	int rc = 0;

	if (e == NULL)
		return 0;
	if (b->emit) {
		if (set_has(b->bundles, dstr(e, "bundle")))
			rc = emit(b, line, len, e);
	} else if (ls_audit_in_scope(json_object_get(json_object_get(e,
						     "details"),
					 "controls"),
		       b->o))
		rc = set_add(b->bundles, dstr(e, "bundle"));
	json_decref(e);
	return rc;
}

/* A report counts when it falls in the period or is the agent's last one
 * before it (what the agent ran when the period began). */
static int
report_counts(struct build *b, json_t *e)
{
	json_t *idx = json_object_get(b->before, estr(e, "agent"));

	return in_period(b->o, e) ||
	    (idx != NULL &&
		json_integer_value(idx) ==
		    json_integer_value(json_object_get(e, "n")));
}

/* Reports, three times: the last before the period per agent; the agents
 * running a bundle in scope; the bundles the agents in scope ran. */
static int
on_report_before(struct build *b, const char *line, size_t len)
{
	json_t *e = parse(line, len);
	time_t t = e ? ls_audit_entry_time(e) : 0;
	const char *agent = e ? estr(e, "agent") : NULL;
	int rc = 0;

	if (agent != NULL && t != 0 && t < b->o->since &&
	    json_object_set_new(b->before, agent,
		json_incref(json_object_get(e, "n"))) != 0)
		rc = ls_error_set(LS_ENOMEM, "out of memory");
	json_decref(e);
	return rc;
}

static int
on_report_agents(struct build *b, const char *line, size_t len)
{
	json_t *e = parse(line, len);
	int rc = 0;

	if (e != NULL && report_counts(b, e) &&
	    set_has(b->bundles, dstr(e, "bundle")))
		rc = set_add(b->agents, estr(e, "agent"));
	json_decref(e);
	return rc;
}

static int
on_report_bundles(struct build *b, const char *line, size_t len)
{
	json_t *e = parse(line, len);
	int rc = 0;

	if (e != NULL && report_counts(b, e) &&
	    set_has(b->agents, estr(e, "agent")))
		rc = set_add(b->bundles, dstr(e, "bundle"));
	json_decref(e);
	return rc;
}

static int
on_report_emit(struct build *b, const char *line, size_t len)
{
	json_t *e = parse(line, len);
	int rc = 0;

	if (e != NULL && report_counts(b, e) &&
	    set_has(b->agents, estr(e, "agent")))
		rc = emit(b, line, len, e);
	json_decref(e);
	return rc;
}

/* Pins, rollbacks and unpins of the period; enrolments of the agents in
 * scope (their keys, for the signatures); other actions on them in the
 * period. */
static int
on_operator(struct build *b, const char *line, size_t len)
{
	json_t *e = parse(line, len);
	const char *agent = e ? estr(e, "agent") : NULL;
	int keep, in, rc = 0;

	if (e == NULL)
		return 0;
	in = in_period(b->o, e);
	if (agent == NULL)
		keep = in;
	else
		keep = set_has(b->agents, agent) &&
		    (in || json_object_get(json_object_get(e, "details"),
			       "key") != NULL);
	if (keep)
		rc = emit(b, line, len, e);
	json_decref(e);
	return rc;
}

/* Batches of the agents in scope from the period on (uploaded later,
 * they may carry the period's decisions). */
static int
on_batch(struct build *b, const char *line, size_t len)
{
	json_t *e = parse(line, len);
	int rc = 0;

	if (e != NULL && ls_audit_entry_time(e) >= b->o->since &&
	    set_has(b->agents, estr(e, "agent")))
		rc = emit(b, line, len, e);
	json_decref(e);
	return rc;
}

/* Announced drops of the agents in scope in the period: decisions that
 * name no control; only those lines are parsed. */
static int
on_drop(struct build *b, const char *line, size_t len)
{
	json_t *e;
	const char *type;
	int rc = 0;

	if (memmem(line, len, "\"dropped\"", 9) == NULL ||
	    (e = parse(line, len)) == NULL)
		return 0;
	type = dstr(e, "type");
	if (type != NULL && strcmp(type, "dropped") == 0 &&
	    in_period(b->o, e) && set_has(b->agents, estr(e, "agent")))
		rc = emit(b, line, len, e);
	json_decref(e);
	return rc;
}

/* Passes 1 and 2: what is in scope. */
static int
select_scope(struct build *b)
{
	int rc;

	b->emit = 0;
	if ((rc = controls(b)) != 0 || (rc = decisions(b)) != 0 ||
	    (rc = scan_kind(b, "build", 0, 0, on_build)) != 0 ||
	    (rc = scan_kind(b, "publish", 0, 0, on_build)) != 0 ||
	    (rc = scan_kind(b, "report", 0, b->o->since - 1,
		 on_report_before)) != 0 ||
	    (rc = scan_kind(b, "report", 0, b->o->until, on_report_agents)) !=
		0)
		return rc;
	return scan_kind(b, "report", 0, b->o->until, on_report_bundles);
}

/* Pass 3: records.jsonl and proofs.jsonl, the summary fed as they go. */
static int
write_records(struct build *b)
{
	struct ls_evidence_filter f;
	int rc;

	b->emit = 1;
	memset(&f, 0, sizeof(f));
	f.kind = "decision";
	f.control = "none"; /* the partition of decisions without controls */
	f.since = b->o->since;
	f.until = b->o->until;
	if ((rc = scan_kind(b, "operator", 0, 0, on_operator)) != 0 ||
	    (rc = scan_kind(b, "build", 0, 0, on_build)) != 0 ||
	    (rc = scan_kind(b, "publish", 0, 0, on_build)) != 0 ||
	    (rc = scan_kind(b, "report", 0, b->o->until, on_report_emit)) !=
		0 ||
	    (rc = scan_kind(b, "batch", b->o->since, 0, on_batch)) != 0 ||
	    (rc = scan(b, &f, on_drop)) != 0)
		return rc;
	return decisions(b);
}

static int
add_json(struct audit_out *w, const char *name, json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(1) | JSON_ENSURE_ASCII);
	struct audit_pfile *f;
	int rc;

	if (s == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	if ((f = audit_out_file(w, name)) == NULL)
		rc = LS_EIO;
	else if ((rc = audit_pfile_write(f, s, strlen(s))) == 0)
		rc = audit_pfile_write(f, "\n", 1);
	free(s);
	return rc;
}

static int
add_buf(struct audit_out *w, const char *name,
    int (*render)(struct ls_buf *, json_t *), json_t *sum)
{
	struct ls_buf out;
	int rc;

	ls_buf_init(&out, LS_AUDIT_RECORDS_MAX);
	if ((rc = render(&out, sum)) == 0)
		rc = audit_out_add(w, name, out.data ? out.data : "", out.len);
	ls_buf_cleanup(&out);
	return rc;
}

/* summary.json, .md, .html and the OSCAL document. */
static int
add_reports(struct audit_out *w, struct ls_audit_acc *acc)
{
	json_t *sum = NULL;
	int rc;

	if ((rc = ls_audit_acc_finish(acc, &sum)) == 0 &&
	    (rc = add_json(w, "summary.json", sum)) == 0 &&
	    (rc = add_buf(w, "summary.md", ls_audit_render_md, sum)) == 0 &&
	    (rc = add_buf(w, "summary.html", ls_audit_render_html, sum)) == 0)
		rc = add_buf(w, "oscal/assessment-results.json", ls_audit_oscal,
		    sum);
	json_decref(sum);
	return rc;
}

static int
build_init(struct build *b, struct ls_evidence *ev,
    const struct ls_audit_opts *o)
{
	memset(b, 0, sizeof(*b));
	b->o = o;
	b->ev = ev;
	ls_buf_init(&b->q, (size_t)LS_EVIDENCE_QUERY_MAX);
	b->agents = json_object();
	b->bundles = json_object();
	b->before = json_object();
	b->ctls = json_array();
	if (b->agents == NULL || b->bundles == NULL || b->before == NULL ||
	    b->ctls == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	return ls_audit_acc_new(&b->acc, o);
}

static void
build_cleanup(struct build *b)
{
	ls_evidence_prover_free(b->pv);
	ls_audit_acc_free(b->acc);
	json_decref(b->agents);
	json_decref(b->bundles);
	json_decref(b->before);
	json_decref(b->ctls);
	ls_buf_cleanup(&b->q);
}

static int
build_dir(const char *dir, struct ls_evidence *ev, const char *origin,
    struct ls_key *log_key, const struct ls_audit_opts *o, int transient)
{
	uint8_t root[LS_SHA256_LEN];
	char vk_text[LS_VKEY_TEXT_MAX + 1];
	struct ls_buf cp;
	struct audit_out w;
	struct build b;
	struct ls_vkey vk;
	int rc;

	memset(&w, 0, sizeof(w));
	memset(&b, 0, sizeof(b));
	ls_buf_init(&cp, LS_NOTE_MAX);
	if ((rc = check_opts(o)) != 0 || (rc = build_init(&b, ev, o)) != 0 ||
	    (rc = audit_out_open(&w, dir)) != 0)
		goto out;
	w.transient = transient;
	/* The checkpoint first: every pass reads the tree it signs. */
	(void)ls_evidence_sync(ev, 10000);
	if ((rc = sign_checkpoint(&cp, &b.size, root, ev, origin, log_key)) !=
		0 ||
	    (rc = audit_out_add(&w, "checkpoint.note", cp.data, cp.len)) != 0 ||
	    (rc = ls_evidence_prover_open(&b.pv, ev, b.size)) != 0 ||
	    (rc = select_scope(&b)) != 0)
		goto out;
	if ((b.rec = audit_out_file(&w, "records.jsonl")) == NULL ||
	    (b.prf = audit_out_file(&w, "proofs.jsonl")) == NULL) {
		rc = LS_EIO;
		goto out;
	}
	if ((rc = write_records(&b)) != 0)
		goto out;
	ls_key_vkey(&vk, log_key);
	ls_vkey_format(vk_text, &vk);
	strcat(vk_text, "\n");
	if ((rc = audit_out_add(&w, "log.pub", vk_text, strlen(vk_text))) !=
		0 ||
	    (rc = add_reports(&w, b.acc)) != 0)
		goto out;
	rc = audit_out_finish(&w, o, log_key);
out:
	audit_out_cleanup(&w);
	build_cleanup(&b);
	ls_buf_cleanup(&cp);
	return rc;
}

int
ls_audit_build_dir(const char *dir, struct ls_evidence *ev,
    const char *origin, struct ls_key *log_key, const struct ls_audit_opts *o)
{
	return build_dir(dir, ev, origin, log_key, o, 0);
}

int
ls_audit_build_tmp(const char *dir, struct ls_evidence *ev,
    const char *origin, struct ls_key *log_key, const struct ls_audit_opts *o)
{
	return build_dir(dir, ev, origin, log_key, o, 1);
}
