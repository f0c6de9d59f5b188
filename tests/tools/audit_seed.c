/* audit_seed.c - append decision records to a server's evidence log the
 * way the decision store will hold them (kind "decision", details = the
 * record of the decisions protocol, one "batch" entry with the agent's
 * signed note before each batch's records, the agent's enrolment first),
 * for the audit tests and the audit bench.
 *
 *   audit-seed DATA_DIR AGENTS RECORDS SINCE(YYYY-MM-DD) DAYS CONTROL [PREFIX]
 *
 * Record i goes to agent i % AGENTS; records are written (and timed) in
 * rounds where each agent uploads a batch of up to 50 consecutive
 * decisions, the c-th record written at SINCE + c * DAYS / RECORDS, so
 * the log's order is the records' time order, as on a live server.
 * Every 7th is a deny with a violation, every 11th is waived by an
 * exception.
 * CONTROL may be a comma-separated list of K controls: record i names
 * the (i / AGENTS) % K-th and, with AUDIT_SEED_PER=P in the environment
 * (default 1), the P - 1 controls after it in the list, so each control
 * gets an equal share (P / K) of every agent's records.
 *
 * Entries go through the evidence library in groups of GROUP (one WAL
 * write and fsync each, as a busy server's group commit does), so ten
 * million records take minutes, not hours.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "../../server/evidence.h"
#include "lockstep/error.h"
#include "lockstep/hash.h"
#include "lockstep/key.h"
#include "lockstep/note.h"
#include "lockstep/timefmt.h"

#define BATCH 50
#define GROUP 20000

struct agent {
	char name[32];
	struct ls_key *key;
	uint64_t seq;
	char prev[65];
};

/* The j-th control of record i from "A,B,C" (into buf). */
static const char *
pick(char *buf, size_t n, const char *list, uint64_t i, uint64_t nag,
    size_t j)
{
	size_t k = 1, len;
	const char *p, *q;

	for (p = list; *p; p++)
		k += *p == ',';
	k = (size_t)((i / nag + j) % k);
	for (p = list; k > 0; k--)
		p = strchr(p, ',') + 1;
	q = strchr(p, ',');
	len = q ? (size_t)(q - p) : strlen(p);
	snprintf(buf, n, "%.*s", (int)len, p);
	return buf;
}

/* The controls array of record i: per of them, distinct. */
static json_t *
controls(const char *list, uint64_t i, uint64_t nag, size_t per)
{
	json_t *a = json_array();
	char buf[128];
	size_t j, k = 1;
	const char *p;

	for (p = list; *p; p++)
		k += *p == ',';
	for (j = 0; j < per && j < k; j++)
		json_array_append_new(a,
		    json_string(pick(buf, sizeof(buf), list, i, nag, j)));
	return a;
}

/* Entries waiting for one append_many. */
struct group {
	struct ls_evidence_item it[GROUP];
	size_t n;
};

static int
flush(struct ls_evidence *ev, struct group *g)
{
	size_t i;
	int rc = g->n ? ls_evidence_append_many(ev, g->it, g->n, NULL) : 0;

	for (i = 0; i < g->n; i++)
		json_decref(g->it[i].details);
	g->n = 0;
	return rc;
}

/* Queue one entry (details owned by the group). */
static int
queue(struct ls_evidence *ev, struct group *g, const char *kind,
    const char *agent, json_t *details)
{
	if (details == NULL)
		return LS_ENOMEM;
	g->it[g->n].kind = kind;
	g->it[g->n].channel = "stable";
	g->it[g->n].agent = agent;
	g->it[g->n++].details = details;
	return g->n == GROUP ? flush(ev, g) : 0;
}

static json_t *
record(const struct agent *a, uint64_t seq, time_t t, uint64_t i,
    json_t *ctls)
{
	char ts[40], id[64], tb[LS_TIME_LEN];
	int deny = i % 7 == 3, waived = i % 11 == 5;
	json_t *r;

	ls_time_format(tb, t);
	snprintf(ts, sizeof(ts), "%.19s.%06" PRIu64 "Z", tb, i % 1000000);
	snprintf(id, sizeof(id), "%s-%" PRIu64, a->name, seq);
	r = json_pack("{s:s, s:I, s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:s, "
		      "s:s, s:s, s:[], s:[], s:[], s:I}",
	    "id", id, "seq", (json_int_t)seq, "time", ts, "agent", a->name,
	    "door", i % 3 == 0 ? "admission" : "api", "channel", "stable",
	    "release", (json_int_t)1, "bundle",
	    "1111111111111111111111111111111111111111111111111111111111111111",
	    "version", "v1.0.0", "path", "kubernetes/admission/deny",
	    "input_sha256",
	    "2222222222222222222222222222222222222222222222222222222222222222",
	    "outcome", deny ? "deny" : "allow", "violations", "waived",
	    "controls", "latency_us", (json_int_t)(100 + i % 50));
	if (deny)
		json_array_append_new(json_object_get(r, "violations"),
		    json_pack("{s:s, s:s, s:O}", "msg", "privileged pod",
			"rule", "deny_privileged", "controls", ctls));
	if (waived)
		json_array_append_new(json_object_get(r, "waived"),
		    json_pack("{s:s, s:s, s:s, s:s, s:s, s:O}", "id",
			"EXC-42", "owner", "alice@example.com", "ticket",
			"SEC-1234", "expires", "2027-01-31", "rule",
			"deny_privileged", "controls", ctls));
	json_object_set_new(r, "controls", ctls);
	return r;
}

static int
batch(struct ls_evidence *ev, struct group *g, struct agent *a,
    uint64_t first, uint64_t n, time_t t)
{
	char body[1024], ts[LS_TIME_LEN], hex[65], *note = NULL;
	size_t len;
	json_t *d;
	int rc;

	ls_time_format(ts, t);
	snprintf(body, sizeof(body), "%s %" PRIu64 " %" PRIu64, a->name, first,
	    n);
	ls_sha256_hex(hex, body, strlen(body));
	snprintf(body, sizeof(body),
	    "lockstep/decisions/v1\nagent %s\nfirst %" PRIu64 "\nlast %" PRIu64
	    "\ncount %" PRIu64 "\nsha256 %s\nprev %s\ndropped 0\ntime %s\n",
	    a->name, first, first + n - 1, n, hex, a->prev, ts);
	if ((rc = ls_note_sign(&note, &len, body, strlen(body), &a->key, 1)) !=
	    0)
		return rc;
	d = json_pack("{s:s, s:I, s:I, s:I, s:s, s:s, s:i, s:s}", "agent",
	    a->name, "first", (json_int_t)first, "last",
	    (json_int_t)(first + n - 1), "count", (json_int_t)n, "sha256", hex,
	    "prev", a->prev, "dropped", 0, "note", note);
	memcpy(a->prev, hex, 65);
	free(note);
	return queue(ev, g, "batch", a->name, d);
}

static int
enrol(struct ls_evidence *ev, struct agent *a)
{
	char text[LS_VKEY_TEXT_MAX];
	struct ls_vkey vk;
	json_t *d;
	int rc;

	if ((rc = ls_key_generate(&a->key, a->name)) != 0)
		return rc;
	ls_key_vkey(&vk, a->key);
	ls_vkey_format(text, &vk);
	memset(a->prev, '0', 64);
	a->prev[64] = '\0';
	d = json_pack("{s:s, s:s, s:s}", "action", "enroll", "key", text,
	    "source", "audit-seed");
	rc = ls_evidence_append(ev, "operator", NULL, a->name, d);
	json_decref(d);
	return rc;
}

/* Rounds: each agent gets a batch of up to BATCH records. */
static int
seed(struct ls_evidence *ev, struct group *g, struct agent *ag, uint64_t nag,
    uint64_t nrec, time_t since, double step, const char *list, size_t per)
{
	uint64_t i, k, n, j, x, c = 0;
	int rc = 0;

	for (i = 0; rc == 0 && i < nrec; i += n * nag) {
		n = (nrec - i) / nag >= BATCH ? BATCH : 1;
		for (k = 0; rc == 0 && k < nag && i + k < nrec; k++) {
			rc = batch(ev, g, &ag[k], ag[k].seq + 1, n,
			    since + (time_t)((double)(c + n) * step));
			for (j = 0; rc == 0 && j < n; j++, c++) {
				x = i + k + j * nag;
				rc = queue(ev, g, "decision", ag[k].name,
				    record(&ag[k], ++ag[k].seq,
					since + (time_t)((double)c * step), x,
					controls(list, x, nag, per)));
			}
		}
	}
	return rc ? rc : flush(ev, g);
}

int
main(int argc, char **argv)
{
	struct ls_evidence *ev = NULL;
	struct group *g = calloc(1, sizeof(*g));
	const char *per_env = getenv("AUDIT_SEED_PER");
	struct agent *ag = NULL;
	uint64_t nag, nrec, k;
	size_t per = per_env ? (size_t)strtoul(per_env, NULL, 10) : 1;
	time_t since;
	double step;
	int rc = 0;

	if ((argc != 7 && argc != 8) || sodium_init() < 0 || g == NULL ||
	    ls_time_parse(&since, argv[4], strlen(argv[4])) != 0) {
		fprintf(stderr,
		    "usage: audit-seed DATA AGENTS RECORDS "
		    "SINCE DAYS CONTROL [PREFIX]\n");
		return 2;
	}
	nag = strtoull(argv[2], NULL, 10);
	nrec = strtoull(argv[3], NULL, 10);
	step = (double)strtoull(argv[5], NULL, 10) * 86400.0 /
	    (double)(nrec ? nrec : 1);
	if (nag == 0 || (ag = calloc(nag, sizeof(*ag))) == NULL ||
	    ls_evidence_open(&ev, argv[1], NULL, NULL) != 0) {
		fprintf(stderr, "audit-seed: %s\n", ls_error_last());
		return 1;
	}
	for (k = 0; rc == 0 && k < nag; k++) {
		snprintf(ag[k].name, sizeof(ag[k].name), "%s-%04" PRIu64,
		    argc == 8 ? argv[7] : "agent", k);
		rc = enrol(ev, &ag[k]);
	}
	if (rc == 0)
		rc = seed(ev, g, ag, nag, nrec, since, step, argv[6],
		    per ? per : 1);
	if (rc != 0)
		fprintf(stderr, "audit-seed: %s\n", ls_error_last());
	for (k = 0; k < nag; k++)
		ls_key_free(ag[k].key);
	free(ag);
	free(g);
	ls_evidence_free(ev);
	return rc ? 1 : 0;
}
