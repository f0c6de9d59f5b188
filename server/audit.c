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
#include "audit_proof.h"
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

/* One candidate entry. */
struct cand {
	char *line; /* into the query buffer, without newline */
	size_t len;
	json_t *e;
	int keep; /* 1 kept, 0 undecided, -1 dropped */
	int in;	  /* its time falls in the period */
};

struct sel {
	struct cand *v;
	size_t n, cap;
	json_t *agents;	  /* set: agents in scope */
	json_t *bundles;  /* set: bundles enforced or covering */
	json_t *before;	  /* agent -> index of its last report before since */
	char needle[160]; /* "\"CONTROL\"" or "\"FRAMEWORK:" */
	size_t nlen;
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

/* First look: keep what needs no context, note agents and bundles. */
static int
classify(struct sel *s, struct cand *c, const struct ls_audit_opts *o)
{
	const char *kind = estr(c->e, "kind"), *agent = estr(c->e, "agent");
	json_t *d = json_object_get(c->e, "details");
	time_t t = ls_audit_entry_time(c->e);
	int in = t != 0 && t >= o->since && t <= o->until, rc = 0;

	if (kind == NULL)
		return 0;
	c->keep = -1;
	c->in = in;
	if (strcmp(kind, "decision") == 0 && in) {
		if (ls_audit_in_scope(json_object_get(d, "controls"), o)) {
			c->keep = 1;
			if ((rc = set_add(s->agents, agent)) == 0)
				rc = set_add(s->bundles, dstr(c->e, "bundle"));
		} else if (json_is_string(json_object_get(d, "type")) &&
		    strcmp(dstr(c->e, "type"), "dropped") == 0)
			c->keep = 0;
	} else if (strcmp(kind, "build") == 0 || strcmp(kind, "publish") == 0) {
		c->keep = 0;
		if (ls_audit_in_scope(json_object_get(d, "controls"), o))
			rc = set_add(s->bundles, dstr(c->e, "bundle"));
	} else if (strcmp(kind, "report") == 0 && agent != NULL) {
		if (in)
			c->keep = 0;
		else if (t != 0 && t < o->since) {
			c->keep = 0;
			if (json_object_set_new(s->before, agent,
				json_integer((json_int_t)(c - s->v))) != 0)
				rc = ls_error_set(LS_ENOMEM, "out of memory");
		}
	} else if (strcmp(kind, "batch") == 0 && t >= o->since)
		c->keep = 0; /* uploaded later, it may carry the period's */
	else if (strcmp(kind, "operator") == 0) {
		if (in && agent == NULL)
			c->keep = 1; /* pins, rollbacks, unpins */
		else if (agent != NULL && json_object_get(d, "key") != NULL)
			c->keep = 0; /* enrolments: keys for signatures */
		else if (in)
			c->keep = 0;
	}
	return rc;
}

/* A report counts when it falls in the period or is the agent's last one
 * before it (what the agent ran when the period began). */
static int
report_counts(struct sel *s, size_t i)
{
	json_t *idx = json_object_get(s->before, estr(s->v[i].e, "agent"));

	return s->v[i].in ||
	    (idx != NULL && json_integer_value(idx) == (json_int_t)i);
}

/* Reports decide which agents are in scope: those running a bundle that
 * covers the control. */
static int
settle_reports(struct sel *s)
{
	const char *kind;
	size_t i;
	int rc = 0;

	for (i = 0; i < s->n && rc == 0; i++) {
		kind = estr(s->v[i].e, "kind");
		if (s->v[i].keep != 0 || kind == NULL ||
		    strcmp(kind, "report") != 0 || !report_counts(s, i))
			continue;
		if (set_has(s->bundles, dstr(s->v[i].e, "bundle")))
			rc = set_add(s->agents, estr(s->v[i].e, "agent"));
	}
	return rc;
}

static int
settle(struct sel *s, size_t i)
{
	struct cand *c = &s->v[i];
	const char *kind = estr(c->e, "kind"), *agent = estr(c->e, "agent");

	if (c->keep != 0)
		return c->keep;
	if (strcmp(kind, "build") == 0 || strcmp(kind, "publish") == 0)
		return set_has(s->bundles, dstr(c->e, "bundle")) ? 1 : -1;
	if (!set_has(s->agents, agent))
		return -1;
	if (strcmp(kind, "report") == 0)
		return report_counts(s, i) ? 1 : -1;
	return 1; /* batches, drops, enrolments, agent operator entries */
}

/* A decision line that names neither the control (or framework) nor a
 * drop cannot be kept: skip it without parsing.  A false positive is
 * parsed and judged like any line; the control appears in the line as a
 * JSON string, written unescaped. */
static int
skippable(const char *line, size_t len, const char *needle, size_t nlen)
{
	static const char dec[] = "\"kind\":\"decision\"";

	return memmem(line, len, dec, sizeof(dec) - 1) != NULL &&
	    memmem(line, len, needle, nlen) == NULL &&
	    memmem(line, len, "\"dropped\"", 9) == NULL;
}

static int
sel_push(struct sel *s, char *line, size_t len)
{
	struct cand *v;
	json_t *e;

	if (skippable(line, len, s->needle, s->nlen))
		return 0;
	if ((e = json_loadb(line, len, 0, NULL)) == NULL ||
	    !json_is_object(e)) {
		json_decref(e);
		return 0; /* not ours to judge: the log's chain is */
	}
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 1024;

		if ((v = realloc(s->v, cap * sizeof(*v))) == NULL) {
			json_decref(e);
			return ls_error_set(LS_ENOMEM, "out of memory");
		}
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n].line = line;
	s->v[s->n].len = len;
	s->v[s->n].e = e;
	s->v[s->n].keep = 0;
	s->v[s->n].in = 0;
	s->n++;
	return 0;
}

static void
sel_cleanup(struct sel *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		json_decref(s->v[i].e);
	free(s->v);
	json_decref(s->agents);
	json_decref(s->bundles);
	json_decref(s->before);
}

/* Split the query answer into candidates and settle each. */
static int
select_entries(struct sel *s, struct ls_buf *q, const struct ls_audit_opts *o)
{
	char *p = q->data, *end = q->data + q->len, *nl;
	size_t i;
	int rc = 0, n;

	n = o->control
	    ? snprintf(s->needle, sizeof(s->needle), "\"%s\"", o->control)
	    : snprintf(s->needle, sizeof(s->needle), "\"%s:", o->framework);
	s->nlen = n > 0 && (size_t)n < sizeof(s->needle) ? (size_t)n : 0;

	while (rc == 0 && p < end && (nl = memchr(p, '\n', end - p)) != NULL) {
		rc = sel_push(s, p, (size_t)(nl - p));
		p = nl + 1;
	}
	for (i = 0; rc == 0 && i < s->n; i++)
		rc = classify(s, &s->v[i], o);
	if (rc == 0)
		rc = settle_reports(s);
	/* Bundles that agents in scope enforced. */
	for (i = 0; rc == 0 && i < s->n; i++) {
		const char *kind = estr(s->v[i].e, "kind");

		if (s->v[i].keep == 0 && kind != NULL &&
		    strcmp(kind, "report") == 0 && report_counts(s, i) &&
		    set_has(s->agents, estr(s->v[i].e, "agent")))
			rc = set_add(s->bundles, dstr(s->v[i].e, "bundle"));
	}
	for (i = 0; rc == 0 && i < s->n; i++)
		s->v[i].keep = settle(s, i);
	return rc;
}

static const char *const pkg_names[] = { "records.jsonl", "proofs.jsonl",
	"checkpoint.note", "log.pub", "summary.json", "summary.md",
	"summary.html", "oscal/assessment-results.json", "manifest.note" };

static struct ls_buf *
pkg_add(struct ls_audit_pkg *p, const char *name, size_t max)
{
	struct ls_audit_file *f = &p->files[p->n++];

	f->name = name;
	ls_buf_init(&f->data, max);
	return &f->data;
}

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

/* The proof of entry n in the tree of size entries: from the tree built
 * in memory when there is one, else from the store (ls_evidence_proof). */
static int
add_proof(struct ls_buf *out, const struct audit_tree *t,
    struct ls_evidence *ev, uint64_t n, uint64_t size)
{
	uint8_t proof[LS_MERKLE_MAX_PROOF][LS_SHA256_LEN], leaf[LS_SHA256_LEN];
	char b64[64];
	size_t len = 0, i;
	int rc;

	if (t->n == size) {
		if ((rc = audit_tree_path(t, proof, &len, n)) != 0)
			return rc;
		memcpy(leaf, t->level[0][n], LS_SHA256_LEN);
	} else if ((rc = ls_evidence_proof(ev, n, size, leaf, proof, &len)) !=
	    0)
		return rc;
	ls_base64_encode(b64, sizeof(b64), leaf, LS_SHA256_LEN);
	rc = ls_buf_addf(out,
	    "{\"index\":%" PRIu64 ",\"size\":%" PRIu64
	    ",\"leaf\":\"%s\",\"proof\":[",
	    n, size, b64);
	for (i = 0; rc == 0 && i < len; i++) {
		ls_base64_encode(b64, sizeof(b64), proof[i], LS_SHA256_LEN);
		rc = ls_buf_addf(out, "%s\"%s\"", i ? "," : "", b64);
	}
	return rc ? rc : ls_buf_adds(out, "]}\n");
}

/* records.jsonl and proofs.jsonl; the kept entries into arr. */
static int
add_records(struct ls_audit_pkg *p, json_t *arr, struct sel *s,
    const struct audit_tree *t, struct ls_evidence *ev, uint64_t size)
{
	struct ls_buf *rec = pkg_add(p, "records.jsonl", LS_AUDIT_RECORDS_MAX);
	struct ls_buf *prf = pkg_add(p, "proofs.jsonl", LS_AUDIT_RECORDS_MAX);
	json_int_t n;
	size_t i;
	int rc = 0;

	for (i = 0; rc == 0 && i < s->n; i++) {
		n = json_integer_value(json_object_get(s->v[i].e, "n"));
		/* Entries past the checkpoint wait for the next package. */
		if (s->v[i].keep != 1 || n < 0 || (uint64_t)n >= size)
			continue;
		if ((rc = ls_buf_add(rec, s->v[i].line, s->v[i].len)) == 0 &&
		    (rc = ls_buf_addc(rec, '\n')) == 0 &&
		    (rc = add_proof(prf, t, ev, (uint64_t)n, size)) == 0 &&
		    json_array_append(arr, s->v[i].e) != 0)
			rc = ls_error_set(LS_ENOMEM, "out of memory");
	}
	return rc;
}

static int
add_json(struct ls_audit_pkg *p, const char *name, json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(1) | JSON_ENSURE_ASCII);
	int rc;

	if (s == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	rc = ls_buf_addf(pkg_add(p, name, LS_AUDIT_RECORDS_MAX), "%s\n", s);
	free(s);
	return rc;
}

/* summary.json, .md, .html and the OSCAL document. */
static int
add_reports(struct ls_audit_pkg *p, json_t *records,
    const struct ls_audit_opts *o)
{
	json_t *sum = NULL;
	int rc;

	if ((rc = ls_audit_summary(&sum, records, o)) == 0 &&
	    (rc = add_json(p, "summary.json", sum)) == 0 &&
	    (rc = ls_audit_render_md(pkg_add(p, "summary.md",
					 LS_AUDIT_RECORDS_MAX),
		 sum)) == 0 &&
	    (rc = ls_audit_render_html(pkg_add(p, "summary.html",
					   LS_AUDIT_RECORDS_MAX),
		 sum)) == 0)
		rc = ls_audit_oscal(pkg_add(p, "oscal/assessment-results.json",
					LS_AUDIT_RECORDS_MAX),
		    sum);
	json_decref(sum);
	return rc;
}

/* The manifest body: parameters, then every file's hash. */
static int
manifest_body(struct ls_buf *b, const struct ls_audit_pkg *p,
    const struct ls_audit_opts *o)
{
	char since[LS_TIME_LEN], until[LS_TIME_LEN], gen[LS_TIME_LEN];
	char hex[LS_SHA256_HEX_LEN + 1];
	size_t i;
	int rc;

	ls_time_format(since, o->since);
	ls_time_format(until, o->until);
	ls_time_format(gen, o->generated);
	rc = ls_buf_addf(b,
	    "lockstep/audit/v1\nscope %s %s\nsince %s\nuntil %s\n"
	    "silent-hours %u\ngenerated %s\n",
	    o->control ? "control" : "framework",
	    o->control ? o->control : o->framework, since, until,
	    o->silent_hours, gen);
	for (i = 0; rc == 0 && i < p->n; i++) {
		ls_sha256_hex(hex,
		    p->files[i].data.data ? p->files[i].data.data : "",
		    p->files[i].data.len);
		rc = ls_buf_addf(b, "file %s %s\n", hex, p->files[i].name);
	}
	return rc;
}

static int
add_manifest(struct ls_audit_pkg *p, const struct ls_audit_opts *o,
    struct ls_key *key)
{
	struct ls_buf body;
	char *note = NULL;
	size_t len;
	int rc;

	ls_buf_init(&body, LS_NOTE_MAX);
	if ((rc = manifest_body(&body, p, o)) == 0 &&
	    (rc = ls_note_sign(&note, &len, body.data, body.len, &key, 1)) == 0)
		rc = ls_buf_add(pkg_add(p, "manifest.note", LS_NOTE_MAX), note,
		    len);
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
 * When the query gave the whole log in order (an unfiltered query does),
 * its first size lines are the tree's leaves: hash them, build every
 * level once and each proof is a few lookups.  Only if the root is the
 * one just signed; otherwise t stays empty and proofs come from the store.
 */
static int
tree_from_lines(struct audit_tree *t, uint8_t (**leaves)[LS_SHA256_LEN],
    const struct ls_buf *q, uint64_t size, const uint8_t root[LS_SHA256_LEN])
{
	const char *p = q->data, *end = q->data + q->len, *nl;
	uint8_t got[LS_SHA256_LEN];
	uint64_t i;
	int rc;

	if (size == 0 || (*leaves = malloc(size * LS_SHA256_LEN)) == NULL)
		return 0; /* the store's proofs will do */
	for (i = 0; i < size && p < end; i++, p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			break;
		ls_merkle_leaf((*leaves)[i], p, (size_t)(nl - p));
	}
	if (i < size)
		return 0;
	if ((rc = audit_tree_build(t,
		 (const uint8_t(*)[LS_SHA256_LEN]) * leaves, size)) != 0)
		return rc;
	audit_tree_root(t, got);
	if (memcmp(got, root, LS_SHA256_LEN) != 0)
		audit_tree_free(t);
	return 0;
}

int
ls_audit_build(struct ls_audit_pkg *out, struct ls_evidence *ev,
    const char *origin, struct ls_key *log_key, const struct ls_audit_opts *o)
{
	uint8_t root[LS_SHA256_LEN], (*leaves)[LS_SHA256_LEN] = NULL;
	struct audit_tree tree;
	struct ls_evidence_filter f;
	struct sel s;
	struct ls_buf q;
	json_t *records = json_array();
	char vk_text[LS_VKEY_TEXT_MAX];
	struct ls_vkey vk;
	uint64_t size = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&tree, 0, sizeof(tree));
	memset(&s, 0, sizeof(s));
	memset(&f, 0, sizeof(f));
	ls_buf_init(&q, LS_AUDIT_RECORDS_MAX);
	s.agents = json_object();
	s.bundles = json_object();
	s.before = json_object();
	f.until = o->until;
	if ((rc = check_opts(o)) != 0)
		goto out;
	if (records == NULL || s.agents == NULL || s.bundles == NULL ||
	    s.before == NULL) {
		rc = ls_error_set(LS_ENOMEM, "out of memory");
		goto out;
	}
	/* The checkpoint first: the query then holds at least its entries.
	 * Decisions may reach the log after until: read to the end. */
	f.until = 0;
	if ((rc = sign_checkpoint(pkg_add(out, "checkpoint.note", LS_NOTE_MAX),
		 &size, root, ev, origin, log_key)) != 0 ||
	    (rc = ls_evidence_query(ev, &q, &f)) != 0 ||
	    (rc = tree_from_lines(&tree, &leaves, &q, size, root)) != 0 ||
	    (rc = select_entries(&s, &q, o)) != 0 ||
	    (rc = add_records(out, records, &s, &tree, ev, size)) != 0)
		goto out;
	ls_key_vkey(&vk, log_key);
	ls_vkey_format(vk_text, &vk);
	if ((rc = ls_buf_addf(pkg_add(out, "log.pub", 256), "%s\n", vk_text)) !=
		0 ||
	    (rc = add_reports(out, records, o)) != 0)
		goto out;
	rc = add_manifest(out, o, log_key);
out:
	if (rc != 0)
		ls_audit_pkg_cleanup(out);
	audit_tree_free(&tree);
	free(leaves);
	sel_cleanup(&s);
	ls_buf_cleanup(&q);
	json_decref(records);
	return rc;
}

static int
name_ok(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(pkg_names) / sizeof(pkg_names[0]); i++)
		if (strcmp(name, pkg_names[i]) == 0)
			return 1;
	return 0;
}

static int
write_one(const char *dir, const char *name, const void *data, size_t len)
{
	char path[PATH_MAX];
	int n;

	if (!name_ok(name))
		return ls_error_set(LS_EUNSAFE, "%s: not a package file", name);
	n = snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= sizeof(path))
		return ls_error_set(LS_EINVAL, "%s: path too long", dir);
	if (ls_file_exists(path))
		return ls_error_set(LS_EEXISTS, "%s: already there", path);
	if (strchr(name, '/') != NULL) {
		char sub[PATH_MAX];

		snprintf(sub, sizeof(sub), "%s/oscal", dir);
		if (ls_file_mkdirs(sub, 0755) != 0)
			return LS_EIO;
	}
	return ls_file_write_atomic(path, data ? data : "", len, 0644);
}

int
ls_audit_write_dir(const struct ls_audit_pkg *p, const char *dir)
{
	size_t i;
	int rc;

	if ((rc = ls_file_mkdirs(dir, 0755)) != 0)
		return rc;
	for (i = 0; i < p->n; i++)
		if ((rc = write_one(dir, p->files[i].name,
			 p->files[i].data.data, p->files[i].data.len)) != 0)
			return rc;
	return 0;
}
