/*
 * decisions_state.c - the per-agent chains, the write budget and
 * DATA/decisions/state.json: written after appends (at most once a
 * second), replayed from its scan_from index on open.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agents.h"
#include "decisions_impl.h"
#include "store.h"
#include "lockstep/error.h"
#include "lockstep/hash.h"
#include "lockstep/timefmt.h"
#include "lockstep/file.h"

#define REPLAY_SAY 100000 /* entries: a replay worth announcing */

static unsigned
hash_name(const char *s)
{
	return (unsigned)(ls_fnv1a_str(s) % DEC_BUCKETS);
}

struct dec_chain *
dec_chain_get(struct ls_decisions *d, const char *agent)
{
	unsigned h = hash_name(agent);
	struct dec_chain *c;

	for (c = d->bucket[h]; c != NULL; c = c->next)
		if (strcmp(c->agent, agent) == 0)
			return c;
	if (strlen(agent) > LS_NAME_MAX || (c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	pthread_mutex_init(&c->mu, NULL);
	memcpy(c->agent, agent, strlen(agent) + 1);
	c->next = d->bucket[h];
	d->bucket[h] = c;
	d->nchains++;
	return c;
}

const struct dec_batch *
dec_chain_find(const struct dec_chain *c, const char *sha, uint64_t first,
    uint64_t last)
{
	size_t i;

	for (i = 0; i < c->nrecent; i++)
		if (strcmp(c->recent[i].sha, sha) == 0 &&
		    c->recent[i].first == first && c->recent[i].last == last)
			return &c->recent[i];
	return NULL;
}

static void
chain_push(struct dec_chain *c, const struct dec_batch *b)
{
	c->recent[c->head] = *b;
	c->head = (c->head + 1) % DEC_RECENT;
	if (c->nrecent < DEC_RECENT)
		c->nrecent++;
	c->last_seq = b->last;
	memcpy(c->last_sha, b->sha, sizeof(c->last_sha));
}

int
dec_chain_rekeyed(const struct dec_chain *c, const char *key)
{
	return c->key[0] != '\0' && key[0] != '\0' && strcmp(c->key, key) != 0;
}

void
dec_chain_accept(struct ls_decisions *d, struct dec_chain *c,
    const struct dec_batch *b, const char *key, const struct dec_tally *tally)
{
	pthread_mutex_lock(&d->mu);
	if (dec_chain_rekeyed(c, key)) {
		c->nrecent = c->head = 0;
		c->last_seq = 0;
		c->last_sha[0] = '\0';
	}
	if (key[0] != '\0' && strlen(key) < sizeof(c->key))
		memcpy(c->key, key, strlen(key) + 1);
	chain_push(c, b);
	if (tally != NULL)
		dec_tally_merge(d, tally);
	d->dirty = 1;
	pthread_mutex_unlock(&d->mu);
}

int
dec_inflight_add(struct ls_decisions *d, uint64_t *count_out)
{
	int rc = 0;

	pthread_mutex_lock(&d->mu);
	*count_out = ls_evidence_count(d->ev);
	/* An unregistered group could be missed by the replay: refuse it
	 * (the HTTP pool has at most 256 threads, so this does not happen). */
	if (d->ninflight < sizeof(d->inflight) / sizeof(d->inflight[0]))
		d->inflight[d->ninflight++] = *count_out;
	else
		rc = ls_error_set(LS_ERROR, "too many uploads at once");
	pthread_mutex_unlock(&d->mu);
	return rc;
}

void
dec_inflight_del(struct ls_decisions *d, uint64_t count)
{
	size_t i;

	pthread_mutex_lock(&d->mu);
	for (i = 0; i < d->ninflight; i++)
		if (d->inflight[i] == count) {
			d->inflight[i] = d->inflight[--d->ninflight];
			break;
		}
	pthread_mutex_unlock(&d->mu);
}

/* Decision batches share the enrolled key's write budget with its
 * reports (agents.c): one write and the gzip size before inflating, the
 * uncompressed rest after. */
int
ls_decisions_budget_check(struct ls_decisions *d, const char *agent,
    size_t bytes)
{
	int rc = ls_agents_charge(ls_store_agents(d->o.store), agent, bytes);

	return rc == LS_ELIMIT ? ls_error_wrap(LS_ETOOBIG, "budget") : rc;
}

void
dec_budget_charge(struct ls_decisions *d, const char *agent, size_t bytes)
{
	ls_agents_debit(ls_store_agents(d->o.store), agent, bytes);
}

/* ---- state.json ---------------------------------------------------- */

static json_t *
chain_json(const struct dec_chain *c)
{
	json_t *recent = json_array(), *j;
	size_t i, k;

	for (i = 0; recent != NULL && i < c->nrecent; i++) {
		k = (c->head + DEC_RECENT - c->nrecent + i) % DEC_RECENT;
		json_array_append_new(recent,
		    json_pack("[I, I, I, I, s]", (json_int_t)c->recent[k].first,
			(json_int_t)c->recent[k].last,
			(json_int_t)c->recent[k].count,
			(json_int_t)c->recent[k].index, c->recent[k].sha));
	}
	j = json_pack("{s:I, s:s, s:s, s:o}", "last_seq",
	    (json_int_t)c->last_seq, "last_sha", c->last_sha, "key", c->key,
	    "recent", recent);
	return j;
}

/* Under d->mu: everything, and the log index replay must start from. */
static json_t *
snapshot(struct ls_decisions *d)
{
	uint64_t from = ls_evidence_count(d->ev);
	json_t *chains = json_object(), *j;
	struct dec_chain *c;
	size_t i;

	for (i = 0; i < d->ninflight; i++)
		if (d->inflight[i] < from)
			from = d->inflight[i];
	for (i = 0; chains != NULL && i < DEC_BUCKETS; i++)
		for (c = d->bucket[i]; c != NULL; c = c->next)
			if (c->last_seq > 0)
				json_object_set_new(chains, c->agent,
				    chain_json(c));
	/* Copies: the file is written after d->mu is released. */
	j = json_pack("{s:i, s:I, s:o, s:o, s:o, s:o, s:I}", "version", 1,
	    "scan_from", (json_int_t)from, "chains", chains, "uses",
	    json_deep_copy(d->t.uses), "ctl", json_deep_copy(d->t.ctl), "info",
	    json_deep_copy(d->t.info), "untracked", (json_int_t)d->untracked);
	return j;
}

int
dec_state_maybe_write(struct ls_decisions *d, int force)
{
	json_t *j = NULL;
	char *text = NULL;
	int rc = 0;

	if (force)
		pthread_mutex_lock(&d->file_mu);
	else if (pthread_mutex_trylock(&d->file_mu) != 0)
		return 0; /* someone is writing it now */
	pthread_mutex_lock(&d->mu);
	if (d->dirty && (force || ls_mono_ms() - d->written_ms >= 1000)) {
		j = snapshot(d);
		d->dirty = 0;
		d->written_ms = ls_mono_ms();
	}
	pthread_mutex_unlock(&d->mu);
	if (j != NULL && (text = json_dumps(j, JSON_COMPACT)) == NULL)
		rc = ls_error_set(LS_ENOMEM, "out of memory");
	if (text != NULL)
		rc = ls_file_write_atomic(d->state_path, text, strlen(text),
		    0644);
	if (rc != 0 || (j == NULL && force && d->dirty)) {
		pthread_mutex_lock(&d->mu);
		d->dirty = 1;
		pthread_mutex_unlock(&d->mu);
	}
	pthread_mutex_unlock(&d->file_mu);
	free(text);
	json_decref(j);
	return rc;
}

int
ls_decisions_sync(struct ls_decisions *d)
{
	return dec_state_maybe_write(d, 1);
}

static int
load_chain(struct ls_decisions *d, const char *agent, json_t *o)
{
	struct dec_chain *c;
	struct dec_batch b;
	json_t *r;
	size_t i;

	if ((c = dec_chain_get(d, agent)) == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	json_array_foreach(json_object_get(o, "recent"), i, r)
	{
		const char *sha = json_string_value(json_array_get(r, 4));

		memset(&b, 0, sizeof(b));
		if (sha == NULL || strlen(sha) != LS_SHA256_HEX_LEN)
			return -1;
		b.first = (uint64_t)json_integer_value(json_array_get(r, 0));
		b.last = (uint64_t)json_integer_value(json_array_get(r, 1));
		b.count = (uint64_t)json_integer_value(json_array_get(r, 2));
		b.index = (uint64_t)json_integer_value(json_array_get(r, 3));
		memcpy(b.sha, sha, sizeof(b.sha));
		chain_push(c, &b);
	}
	if (!json_is_integer(json_object_get(o, "last_seq")) ||
	    json_string_value(json_object_get(o, "last_sha")) == NULL ||
	    strlen(json_string_value(json_object_get(o, "last_sha"))) !=
		LS_SHA256_HEX_LEN)
		return -1;
	if (json_string_length(json_object_get(o, "key")) < sizeof(c->key))
		memcpy(c->key, json_string_value(json_object_get(o, "key")),
		    json_string_length(json_object_get(o, "key")) + 1);
	c->last_seq =
	    (uint64_t)json_integer_value(json_object_get(o, "last_seq"));
	memcpy(c->last_sha, json_string_value(json_object_get(o, "last_sha")),
	    sizeof(c->last_sha));
	return 0;
}

/* Restore from state.json; *from gets its scan_from (0 when absent). */
static int
load_file(struct ls_decisions *d, uint64_t *from)
{
	char *text = NULL;
	size_t len = 0;
	json_t *j = NULL, *v;
	const char *agent;
	int rc;

	*from = 0;
	if (!ls_file_exists(d->state_path))
		return 0;
	if ((rc = ls_file_read(&text, &len, d->state_path, DEC_STATE_MAX)))
		return rc;
	j = json_loadb(text, len, 0, NULL);
	if (j == NULL ||
	    json_integer_value(json_object_get(j, "version")) != 1 ||
	    !json_is_integer(json_object_get(j, "scan_from"))) {
		rc = -1;
		goto out;
	}
	*from = (uint64_t)json_integer_value(json_object_get(j, "scan_from"));
	json_object_foreach(json_object_get(j, "chains"), agent,
	    v) if ((rc = load_chain(d, agent, v)) != 0) goto out;
	json_object_update(d->t.uses, json_object_get(j, "uses"));
	json_object_update(d->t.ctl, json_object_get(j, "ctl"));
	json_object_update(d->t.info, json_object_get(j, "info"));
	d->untracked =
	    (uint64_t)json_integer_value(json_object_get(j, "untracked"));
out:
	if (rc == -1)
		rc = ls_error_set(LS_EFORMAT,
		    "%s: corrupt (move it away to rebuild it from the log)",
		    d->state_path);
	json_decref(j);
	free(text);
	return rc;
}

/* ---- replay of the log after state.json ---------------------------- */

/* A "batch" entry whose lines are still being counted. */
struct pending {
	char agent[LS_NAME_MAX + 1];
	struct dec_batch b;
	char prev[LS_SHA256_HEX_LEN + 1];
	char key[DEC_KEY_HEX]; /* "" in entries written before keys were */
	uint64_t seen;
	struct dec_tally t;
};

struct replay {
	struct pending *v;
	size_t n, cap;
};

static void
pending_drop(struct replay *r, size_t i)
{
	dec_tally_cleanup(&r->v[i].t);
	r->v[i] = r->v[--r->n];
}

static struct pending *
pending_find(struct replay *r, const char *agent)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (strcmp(r->v[i].agent, agent) == 0)
			return &r->v[i];
	return NULL;
}

/* A "batch" entry: a group starts (an unfinished one of the same agent,
 * cut by a crash and never acknowledged, is forgotten). */
static int
replay_batch(struct replay *r, const char *agent, json_t *det, uint64_t n)
{
	const char *sha = json_string_value(json_object_get(det, "sha256"));
	const char *prev = json_string_value(json_object_get(det, "prev"));
	const char *key;
	struct pending *p = pending_find(r, agent), *v;

	if (sha == NULL || prev == NULL || strlen(sha) != LS_SHA256_HEX_LEN ||
	    strlen(prev) != LS_SHA256_HEX_LEN || strlen(agent) > LS_NAME_MAX)
		return 0;
	if (p != NULL)
		pending_drop(r, (size_t)(p - r->v));
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;

		if ((v = realloc(r->v, cap * sizeof(*v))) == NULL)
			return ls_error_set(LS_ENOMEM, "out of memory");
		r->v = v;
		r->cap = cap;
	}
	p = &r->v[r->n];
	memset(p, 0, sizeof(*p));
	if (dec_tally_init(&p->t) != 0)
		return ls_error_set(LS_ENOMEM, "out of memory");
	r->n++;
	memcpy(p->agent, agent, strlen(agent) + 1);
	memcpy(p->b.sha, sha, sizeof(p->b.sha));
	memcpy(p->prev, prev, sizeof(p->prev));
	key = json_string_value(json_object_get(det, "key"));
	if (key != NULL && strlen(key) < sizeof(p->key))
		memcpy(p->key, key, strlen(key) + 1);
	p->b.first =
	    (uint64_t)json_integer_value(json_object_get(det, "first"));
	p->b.last = (uint64_t)json_integer_value(json_object_get(det, "last"));
	p->b.count =
	    (uint64_t)json_integer_value(json_object_get(det, "count"));
	p->b.index = n;
	return 0;
}

/* The group is whole: apply it unless the state already has it. */
static void
replay_apply(struct ls_decisions *d, struct pending *p)
{
	static const char zeros[] = "0000000000000000000000000000000000000000"
				    "000000000000000000000000";
	struct dec_chain *c;
	int anew;

	pthread_mutex_lock(&d->mu);
	c = dec_chain_get(d, p->agent);
	pthread_mutex_unlock(&d->mu);
	if (c == NULL)
		return;
	anew = dec_chain_rekeyed(c, p->key);
	if (p->b.first <= (anew ? 0 : c->last_seq) ||
	    strcmp(p->prev, !anew && c->last_sha[0] ? c->last_sha : zeros) != 0)
		return;
	dec_chain_accept(d, c, &p->b, p->key, &p->t);
}

static int
replay_entry(struct ls_decisions *d, struct replay *r, json_t *e, uint64_t n)
{
	const char *kind = json_string_value(json_object_get(e, "kind"));
	const char *agent = json_string_value(json_object_get(e, "agent"));
	json_t *det = json_object_get(e, "details");
	struct pending *p;

	if (kind == NULL || agent == NULL)
		return 0;
	if (strcmp(kind, "batch") == 0)
		return replay_batch(r, agent, det, n);
	if (strcmp(kind, "decision") != 0 ||
	    (p = pending_find(r, agent)) == NULL)
		return 0;
	(void)dec_tally_record(&p->t, det); /* checked when accepted */
	if (++p->seen == p->b.count) {
		replay_apply(d, p);
		pending_drop(r, (size_t)(p - r->v));
	}
	return 0;
}

struct scan {
	struct ls_decisions *d;
	struct replay *r;
};

static int
scan_one(void *arg, json_t *e, uint64_t n)
{
	struct scan *sc = arg;

	return replay_entry(sc->d, sc->r, e, n);
}

int
dec_state_load(struct ls_decisions *d)
{
	struct replay r = { NULL, 0, 0 };
	struct scan sc;
	uint64_t from, count;
	char msg[512];
	int rc;

	if ((rc = load_file(d, &from)) != 0)
		return rc;
	count = ls_evidence_count(d->ev);
	/* state.json is written once a second: a replay is its tail, unless
	 * the file is new here (a migrated or seeded folder) or was lost */
	if (d->o.log != NULL && count > from && count - from >= REPLAY_SAY) {
		snprintf(msg, sizeof(msg),
		    "rebuilding the agents' decision chains from the evidence "
		    "log: %llu entries from index %llu (%s); this start "
		    "takes longer, once",
		    (unsigned long long)(count - from), (unsigned long long)from,
		    from == 0 ? "no decisions/state.json"
			      : "decisions/state.json is behind the log");
		d->o.log(d->o.log_arg, "warn", msg);
	}
	sc.d = d;
	sc.r = &r;
	rc = ls_evidence_scan(d->ev, from, scan_one, &sc);
	while (r.n > 0)
		pending_drop(&r, r.n - 1);
	free(r.v);
	if (rc != 0)
		return rc;
	d->dirty = 1;
	return dec_state_maybe_write(d, 1);
}

int
ls_decisions_open(struct ls_decisions **out, const struct ls_decisions_opts *o)
{
	struct ls_decisions *d;
	char dir[PATH_MAX];
	int rc, n;

	*out = NULL;
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	d->o = *o;
	d->ev = ls_store_evidence(o->store);
	pthread_mutex_init(&d->mu, NULL);
	pthread_mutex_init(&d->file_mu, NULL);
	pthread_cond_init(&d->mem_cv, NULL);
	d->refuse_tokens = 200;
	d->refuse_ms = ls_mono_ms();
	n = snprintf(dir, sizeof(dir), "%s/decisions",
	    ls_store_data_dir(o->store));
	if (n < 0 || (size_t)n >= sizeof(dir) ||
	    snprintf(d->state_path, sizeof(d->state_path), "%s/state.json",
		dir) >= (int)sizeof(d->state_path)) {
		rc = ls_error_set(LS_EINVAL, "data folder path too long");
		goto out;
	}
	if ((rc = dec_tally_init(&d->t)) != 0 ||
	    (rc = ls_file_mkdirs(dir, 0755)) != 0 ||
	    (rc = dec_state_load(d)) != 0)
		goto out;
	*out = d;
	d = NULL;
out:
	if (d != NULL)
		d->dirty = 0; /* a half replay must not reach the file */
	ls_decisions_free(d);
	return rc;
}

void
ls_decisions_free(struct ls_decisions *d)
{
	struct dec_chain *c, *next;
	size_t i;

	if (d == NULL)
		return;
	if (d->dirty)
		(void)dec_state_maybe_write(d, 1);
	for (i = 0; i < DEC_BUCKETS; i++)
		for (c = d->bucket[i]; c != NULL; c = next) {
			next = c->next;
			pthread_mutex_destroy(&c->mu);
			free(c);
		}
	dec_tally_cleanup(&d->t);
	pthread_mutex_destroy(&d->mu);
	pthread_mutex_destroy(&d->file_mu);
	pthread_cond_destroy(&d->mem_cv);
	free(d);
}
