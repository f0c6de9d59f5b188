/* evidence.c - the evidence store: entries, group commit, open. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "evidence_impl.h"
#include "lockstep/buf.h"
#include "lockstep/error.h"
#include "lockstep/file.h"
#include "lockstep/timefmt.h"

#define BACKPRESSURE_S 30

struct ev_req {
	struct ev_req *next;
	struct ev_ent **ents;
	size_t n;
	uint64_t first;
	int rc, done;
};

int
ev_path(char *out, size_t n, const char *fmt, ...)
{
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = vsnprintf(out, n, fmt, ap);
	va_end(ap);
	if (k < 0 || (size_t)k >= n)
		return ls_error_set(LS_EINVAL, "evidence: path too long");
	return 0;
}

void
ev_ent_free(struct ev_ent *e)
{
	if (e == NULL)
		return;
	ev_ent_clear(e);
	free(e);
}

void
ev_ent_clear(struct ev_ent *e)
{
	size_t i;

	free(e->line);
	free(e->body);
	if (e->packed) {
		memset(e, 0, sizeof(*e));
		return;
	}
	free(e->channel);
	free(e->agent);
	free(e->outcome);
	free(e->tag);
	for (i = 0; i < e->nparts; i++)
		free(e->parts[i]);
	free(e->parts);
	memset(e, 0, sizeof(*e));
}

static char *
dup_str(json_t *v)
{
	return json_is_string(v) ? strdup(json_string_value(v)) : NULL;
}

int
ev_parse_time(time_t *out, const char *s)
{
	char buf[21];
	size_t n = s ? strlen(s) : 0;

	if (n < 20 || s[n - 1] != 'Z')
		return -1;
	memcpy(buf, s, 19);
	buf[19] = 'Z';
	buf[20] = '\0';
	if (ls_time_parse(out, buf, 20) != 0) {
		ls_error_clear();
		return -1;
	}
	return 0;
}

static int
add_rel(struct ev_ent *e, const char *rel)
{
	char **v;
	size_t i;

	for (i = 0; i < e->nparts; i++)
		if (strcmp(e->parts[i], rel) == 0)
			return 0;
	if (e->nparts >= EV_MAX_PARTS)
		return 0; /* counted in the index all the same */
	if ((v = realloc(e->parts, (e->nparts + 1) * sizeof(*v))) == NULL)
		return ls_error_set(LS_ENOMEM, "evidence: out of memory");
	e->parts = v;
	if ((v[e->nparts] = strdup(rel)) == NULL)
		return ls_error_set(LS_ENOMEM, "evidence: out of memory");
	e->nparts++;
	return 0;
}

static int
add_part(struct ev_ent *e, const char *kind, const char *control)
{
	char rel[EV_PART_PATH];
	int rc;

	if ((rc = ev_part_rel(rel, sizeof(rel), kind, control, e->t)) != 0)
		return rc;
	return add_rel(e, rel);
}

/* A decision's partition for (control, day) repeats for every record of
 * a batch: the last few are kept per thread (ev_part_rel formats a date
 * and escapes every time). */
#define PART_MEMO 8

struct part_memo {
	char control[128]; /* "" for none */
	int64_t day;	   /* days since the epoch, UTC */
	char rel[EV_PART_PATH];
};

static _Thread_local struct part_memo memo[PART_MEMO];
static _Thread_local unsigned memo_used, memo_next;

/* *out: the partition of a decision of time t naming control (NULL:
 * none), valid until the next call; NULL when it is not kept (a long
 * control). */
static int
decision_rel(const char **out, time_t t, const char *control)
{
	int64_t day = (int64_t)t / 86400 - ((int64_t)t % 86400 < 0);
	const char *key = control ? control : "";
	struct part_memo *m;
	unsigned i;
	int rc;

	*out = NULL;
	for (i = 0; i < memo_used; i++)
		if (memo[i].day == day && strcmp(memo[i].control, key) == 0) {
			*out = memo[i].rel;
			return 0;
		}
	if (strlen(key) >= sizeof(memo[0].control))
		return 0;
	m = &memo[memo_next];
	m->control[0] = '\0'; /* unusable until filled */
	m->day = INT64_MIN;
	if ((rc = ev_part_rel(m->rel, sizeof(m->rel), "decision", control,
		 t)) != 0)
		return rc;
	memcpy(m->control, key, strlen(key) + 1);
	m->day = day;
	memo_next = (memo_next + 1) % PART_MEMO;
	if (memo_used < PART_MEMO)
		memo_used++;
	*out = m->rel;
	return 0;
}

static int
add_decision_part(struct ev_ent *e, const char *control)
{
	const char *rel;
	int rc;

	if ((rc = decision_rel(&rel, e->t, control)) != 0)
		return rc;
	return rel != NULL ? add_rel(e, rel) : add_part(e, "decision", control);
}

static int
ent_head(struct ev_ent *e, const char *kind, const char *when,
    const char *channel, const char *agent, int details_ok)
{
	if (kind == NULL || strlen(kind) >= sizeof(e->kind) || !details_ok ||
	    ev_parse_time(&e->t, when) != 0)
		return ls_error_set(LS_EFORMAT,
		    "evidence: entry without kind, time or details");
	snprintf(e->kind, sizeof(e->kind), "%s", kind);
	e->channel = channel ? strdup(channel) : NULL;
	e->agent = agent ? strdup(agent) : NULL;
	e->report_seq = -1;
	return 0;
}

/* A decision's fields as read by the caller (what ent_fields takes from
 * a details tree). */
static int
ent_fields_dec(struct ev_ent *e, const char *when, const char *channel,
    const char *agent, const struct ls_evidence_dec *d)
{
	size_t i;
	int rc;

	if ((rc = ent_head(e, "decision", when, channel, agent, 1)) != 0)
		return rc;
	e->outcome = d->outcome ? strdup(d->outcome) : NULL;
	(void)ev_parse_time(&e->t, d->time);
	for (i = 0; i < d->ncontrols && rc == 0; i++)
		rc = add_decision_part(e, d->controls[i]);
	if (rc == 0 && d->ncontrols == 0)
		rc = add_decision_part(e, NULL);
	return rc;
}

/* A decision's distinct partitions, copied into buf (at most PACK_PARTS
 * of them, PACK_BYTES in all): their count, or 0 when they do not fit. */
#define PACK_PARTS 8
#define PACK_BYTES 2048

static int
pack_rels(size_t *n_out, size_t *used_out, char *buf, size_t *off, time_t t,
    const struct ls_evidence_dec *d)
{
	size_t nc = d->ncontrols ? d->ncontrols : 1, n = 0, used = 0, i, j, k;
	const char *rel;
	int rc;

	*n_out = 0;
	for (i = 0; i < nc; i++) {
		rc =
		    decision_rel(&rel, t, d->ncontrols ? d->controls[i] : NULL);
		if (rc != 0 || rel == NULL)
			return rc;
		for (j = 0; j < n && strcmp(buf + off[j], rel) != 0; j++)
			;
		if (j < n)
			continue;
		k = strlen(rel) + 1;
		if (n == PACK_PARTS || used + k > PACK_BYTES)
			return 0;
		memcpy(buf + used, rel, k);
		off[n++] = used;
		used += k;
	}
	*n_out = n;
	*used_out = used;
	return 0;
}

static char *
pack_str(char **p, const char *s)
{
	char *at = *p;
	size_t k;

	if (s == NULL)
		return NULL;
	k = strlen(s) + 1;
	memcpy(at, s, k);
	*p += k;
	return at;
}

/* A decision entry in one allocation with its strings and partitions
 * (e->packed: one malloc and one free instead of eight, the free on the
 * materialiser's thread); *out NULL when they do not fit (the caller
 * then builds it field by field). */
static int
ent_new_dec(struct ev_ent **out, const char *when, const char *channel,
    const char *agent, const struct ls_evidence_dec *d)
{
	char buf[PACK_BYTES], *p;
	size_t off[PACK_PARTS], n, used = 0, need, i;
	struct ev_ent *e;
	time_t t;
	int rc;

	*out = NULL;
	if (ev_parse_time(&t, when) != 0)
		return 0; /* ent_head says what is wrong */
	(void)ev_parse_time(&t, d->time);
	if ((rc = pack_rels(&n, &used, buf, off, t, d)) != 0 || n == 0)
		return rc;
	need = sizeof(*e) + n * sizeof(char *) + used +
	    (channel ? strlen(channel) + 1 : 0) +
	    (agent ? strlen(agent) + 1 : 0) +
	    (d->outcome ? strlen(d->outcome) + 1 : 0);
	if ((e = calloc(1, need)) == NULL)
		return ls_error_set(LS_ENOMEM, "evidence: out of memory");
	e->packed = 1;
	e->parts = (char **)(e + 1);
	p = (char *)(e->parts + n);
	memcpy(p, buf, used);
	for (i = 0; i < n; i++)
		e->parts[i] = p + off[i];
	p += used;
	e->nparts = n;
	e->channel = pack_str(&p, channel);
	e->agent = pack_str(&p, agent);
	e->outcome = pack_str(&p, d->outcome);
	memcpy(e->kind, "decision", sizeof("decision"));
	e->report_seq = -1;
	e->t = t;
	*out = e;
	return 0;
}

/* Index fields and partitions of an entry from its parts. */
static int
ent_fields(struct ev_ent *e, const char *kind, const char *when,
    const char *channel, const char *agent, json_t *d)
{
	json_t *c;
	const char *res;
	size_t i;
	int rc = 0, any = 0;

	if ((rc = ent_head(e, kind, when, channel, agent, json_is_object(d))))
		return rc;
	if (strcmp(kind, "decision") == 0) {
		e->outcome = dup_str(json_object_get(d, "outcome"));
		(void)ev_parse_time(&e->t,
		    json_string_value(json_object_get(d, "time")));
		json_array_foreach(json_object_get(d, "controls"), i, c)
		{
			if (rc == 0 && json_is_string(c) &&
			    json_string_length(c) > 0) {
				rc = add_part(e, kind, json_string_value(c));
				any = 1;
			}
		}
		if (rc == 0 && !any)
			rc = add_part(e, kind, NULL);
		return rc;
	}
	if (strcmp(kind, "build") == 0) {
		e->tag = dup_str(json_object_get(d, "tag"));
		res = json_string_value(json_object_get(d, "result"));
		e->build_known =
		    json_is_true(json_object_get(d, "held_by_pin")) ||
		    (res != NULL && strcmp(res, "failed") == 0);
	}
	if (strcmp(kind, "report") == 0 &&
	    json_is_integer(json_object_get(d, "seq")))
		e->report_seq = json_integer_value(json_object_get(d, "seq"));
	/* A key enrolled anew (after a removal) starts its seqs over. */
	res = json_string_value(json_object_get(d, "action"));
	if (strcmp(kind, "operator") == 0 && e->agent != NULL && res != NULL &&
	    strcmp(res, "enroll") == 0)
		e->enroll = 1;
	return add_part(e, kind, NULL);
}

/* Index fields and partitions of entry (a JSON object as stored). */
int
ev_ent_meta(struct ev_ent *e, json_t *entry)
{
	return ent_fields(e, json_string_value(json_object_get(entry, "kind")),
	    json_string_value(json_object_get(entry, "time")),
	    json_string_value(json_object_get(entry, "channel")),
	    json_string_value(json_object_get(entry, "agent")),
	    json_object_get(entry, "details"));
}

/* An entry without its index yet (the writer puts "n" in front).  text
 * (tlen bytes) is details as JSON text when the caller has it (it must
 * be what details was parsed from), else details is serialised. */
static int
ent_prepare(struct ev_ent **out, const char *kind, const char *channel,
    const char *agent, json_t *details, const char *when, const char *text,
    size_t tlen, const struct ls_evidence_dec *dec)
{
	char now[LS_TIME_LEN], *dumped = NULL;
	struct ev_ent *e = NULL;
	json_t *empty = NULL;
	int rc = 0;

	*out = NULL;
	if (when == NULL) {
		ls_time_format(now, time(NULL));
		when = now;
	}
	if (dec != NULL &&
	    (text == NULL || details != NULL ||
		strcmp(kind ? kind : "", "decision") != 0))
		return ls_error_set(LS_EINVAL,
		    "evidence: decision fields without the text");
	if (dec == NULL && details == NULL &&
	    (details = empty = json_object()) == NULL)
		return ls_error_set(LS_ENOMEM, "evidence: out of memory");
	if (text == NULL &&
	    (text = dumped = json_dumps(details, JSON_COMPACT)) != NULL)
		tlen = strlen(text);
	if (dec != NULL && (rc = ent_new_dec(&e, when, channel, agent, dec)))
		goto out;
	if (text == NULL ||
	    (e == NULL && (e = calloc(1, sizeof(*e))) == NULL)) {
		rc = ls_error_set(LS_ENOMEM, "evidence: cannot encode entry");
		goto out;
	}
	if ((rc = ev_entry_text(&e->body, &e->blen, when, kind, channel, agent,
		 text, tlen)) != 0)
		goto out;
	if (e->blen + 32 > LS_EVIDENCE_LINE_MAX) {
		rc = ls_error_set(LS_ETOOBIG,
		    "evidence: entry of %zu bytes (limit %d)", e->blen,
		    LS_EVIDENCE_LINE_MAX);
		goto out;
	}
	if (e->packed)
		rc = 0;
	else if (dec != NULL)
		rc = ent_fields_dec(e, when, channel, agent, dec);
	else
		rc = ent_fields(e, kind, when, channel, agent, details);
	if (rc != 0)
		goto out;
	*out = e;
	e = NULL;
out:
	ev_ent_free(e);
	free(dumped);
	json_decref(empty);
	return rc;
}

/* ---- the write-ahead log ---------------------------------------------- */

int
ev_wal_open(struct ls_evidence *ev, uint64_t first)
{
	char path[PATH_MAX], dir[PATH_MAX];
	int fd, rc;

	if ((rc = ev_path(dir, sizeof(dir), "%s/wal", ev->dir)) != 0 ||
	    (rc = ev_path(path, sizeof(path), "%s/%020" PRIu64 ".wal", dir,
		 first)) != 0)
		return rc;
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return ls_error_set(LS_EIO, "%s: %s", path, strerror(errno));
	if ((rc = ls_file_fsync_dir(dir)) != 0) {
		close(fd);
		return rc;
	}
	if (ev->wal_fd >= 0)
		close(ev->wal_fd);
	ev->wal_fd = fd;
	ev->wal_first = first;
	ev->wal_off = lseek(fd, 0, SEEK_END);
	return 0;
}

size_t
ev_wal_len(const char *p)
{
	const unsigned char *u = (const unsigned char *)p;

	return ((size_t)(u[0] & 0x7F) << 24) | ((size_t)u[1] << 16) |
	    ((size_t)u[2] << 8) | u[3];
}

int
ev_wal_ends(const char *p)
{
	return (*(const unsigned char *)p & 0x80) == 0;
}

size_t
ev_wal_whole(const char *data, size_t len)
{
	size_t off = 0, whole = 0, rl;

	while (len - off >= 4) {
		rl = ev_wal_len(data + off);
		if (rl > LS_EVIDENCE_LINE_MAX || len - off - 4 < rl)
			break;
		if (ev_wal_ends(data + off))
			whole = off + 4 + rl;
		off += 4 + rl;
	}
	return whole;
}

/* Tail of the tree: entries the materialiser has not done yet. */
static int
tail_push(struct ls_evidence *ev, struct ev_ent *e)
{
	struct ev_ent **v;

	if (ev->ntail == ev->captail) {
		size_t cap = ev->captail ? ev->captail * 2 : 4096;

		if ((v = realloc(ev->tail, cap * sizeof(*v))) == NULL)
			return ls_error_set(LS_ENOMEM,
			    "evidence: out of memory");
		ev->tail = v;
		ev->captail = cap;
	}
	ev->tail[ev->ntail++] = e;
	ev->tail_bytes += e->len;
	return 0;
}

/* e's line: {"n":N, in front of its body, made in the body's own
 * allocation (which has room to spare: see ev_entry_text). */
static int
ent_number(struct ev_ent *e, uint64_t n)
{
	char pre[32];
	size_t plen = 5;
	char *line;

	memcpy(pre, "{\"n\":", 5);
	plen += ls_u64_dec(pre + plen, n);
	pre[plen++] = ',';
	if ((line = realloc(e->body, plen + e->blen)) == NULL)
		return ls_error_set(LS_ENOMEM, "evidence: out of memory");
	e->body = NULL;
	memmove(line + plen, line + 1, e->blen - 1);
	memcpy(line, pre, plen);
	free(e->line);
	e->line = line;
	e->len = plen + e->blen - 1;
	line[e->len] = '\0';
	return 0;
}

/* Give entries their index and line; one write, one fdatasync. */
static int
write_group(struct ls_evidence *ev, struct ev_req *list)
{
	struct ev_req *r;
	char *buf = NULL;
	size_t total = 0, off = 0, i;
	uint64_t n = ev->next_n;
	int rc = 0;

	if (ev->failed)
		return ls_error_set(LS_EIO, "evidence: log failed earlier");
	for (r = list; r != NULL; r = r->next) {
		r->first = n;
		for (i = 0; i < r->n; i++) {
			struct ev_ent *e = r->ents[i];

			if ((rc = ent_number(e, n)) != 0)
				return rc;
			e->n = n++;
			total += 4 + e->len;
		}
	}
	if ((buf = malloc(total ? total : 1)) == NULL)
		return ls_error_set(LS_ENOMEM, "evidence: out of memory");
	for (r = list; r != NULL; r = r->next)
		for (i = 0; i < r->n; i++) {
			struct ev_ent *e = r->ents[i];

			/* all of an append or none of it (evidence_impl.h) */
			buf[off++] = (char)((e->len >> 24) |
			    (i + 1 < r->n ? EV_WAL_MORE >> 24 : 0));
			buf[off++] = (char)((e->len >> 16) & 0xFF);
			buf[off++] = (char)((e->len >> 8) & 0xFF);
			buf[off++] = (char)(e->len & 0xFF);
			memcpy(buf + off, e->line, e->len);
			off += e->len;
		}
	if (ev->wal_off >= (off_t)EV_WAL_ROLL &&
	    (rc = ev_wal_open(ev, ev->next_n)) != 0)
		goto out;
	if (ls_file_write_all(ev->wal_fd, buf, total) != 0 ||
	    fdatasync(ev->wal_fd) < 0) {
		rc = ls_error_set(LS_EIO, "evidence: WAL write: %s",
		    strerror(errno));
		/* After a failed fdatasync nobody knows what is on disk:
		 * cut the group off and take no more appends until a
		 * restart reads the WAL back. */
		(void)ftruncate(ev->wal_fd, ev->wal_off);
		ev->failed = 1;
		goto out;
	}
	ev->wal_off += (off_t)total;
	ev->next_n = n;
out:
	free(buf);
	return rc;
}

/* Hand the written entries to the materialiser. */
static void
group_publish(struct ls_evidence *ev, struct ev_req *list)
{
	struct ev_req *r;
	size_t i;

	pthread_mutex_lock(&ev->t_mu);
	for (r = list; r != NULL; r = r->next)
		for (i = 0; i < r->n; i++) {
			free(r->ents[i]->body);
			r->ents[i]->body = NULL;
			if (tail_push(ev, r->ents[i]) != 0)
				ev->failed = 1; /* cannot happen twice */
			r->ents[i] = NULL;
		}
	pthread_cond_broadcast(&ev->t_cond);
	pthread_mutex_unlock(&ev->t_mu);
}

/* Wait while the materialiser is far behind (bounded memory); a
 * materialiser stuck for BACKPRESSURE_S (disk full, ...) fails the
 * group rather than holding its callers for ever. */
static int
backpressure(struct ls_evidence *ev)
{
	struct timespec until;
	int rc = 0;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += BACKPRESSURE_S;
	pthread_mutex_lock(&ev->t_mu);
	while (rc == 0 && ev->tail_bytes > EV_TAIL_MAX && !ev->stop &&
	    ev->mat_started)
		if (pthread_cond_timedwait(&ev->t_cond, &ev->t_mu, &until) ==
		    ETIMEDOUT)
			rc = ls_error_set(LS_EIO,
			    "evidence: tiles and partitions %d s behind; "
			    "not taking more",
			    BACKPRESSURE_S);
	pthread_mutex_unlock(&ev->t_mu);
	return rc;
}

/* Queue req; the first waiter without a writer writes every queued
 * request as one group (one fdatasync for all of them). */
static int
commit(struct ls_evidence *ev, struct ev_req *req)
{
	struct ev_req *list, *r, *next;
	int rc;

	pthread_mutex_lock(&ev->q_mu);
	if (ev->q_tail != NULL)
		ev->q_tail->next = req;
	else
		ev->q_head = req;
	ev->q_tail = req;
	while (!req->done) {
		if (ev->writing) {
			pthread_cond_wait(&ev->q_cond, &ev->q_mu);
			continue;
		}
		ev->writing = 1;
		list = ev->q_head;
		ev->q_head = ev->q_tail = NULL;
		pthread_mutex_unlock(&ev->q_mu);
		if ((rc = backpressure(ev)) == 0)
			rc = write_group(ev, list);
		if (rc == 0)
			group_publish(ev, list);
		pthread_mutex_lock(&ev->q_mu);
		for (r = list; r != NULL; r = next) {
			next = r->next;
			r->rc = rc;
			r->done = 1;
		}
		ev->writing = 0;
		pthread_cond_broadcast(&ev->q_cond);
	}
	pthread_mutex_unlock(&ev->q_mu);
	if (req->rc != 0 && ls_error_last()[0] == '\0')
		ls_error_set(LS_EIO, "evidence: append failed");
	return req->rc;
}

static int
append_ents(struct ls_evidence *ev, struct ev_ent **ents, size_t n,
    uint64_t *first_out)
{
	struct ev_req req;
	int rc;

	memset(&req, 0, sizeof(req));
	req.ents = ents;
	req.n = n;
	rc = commit(ev, &req);
	if (rc == 0 && first_out != NULL)
		*first_out = req.first;
	return rc; /* the caller frees what is left (on failure) */
}

int
ls_evidence_append_many(struct ls_evidence *ev,
    const struct ls_evidence_item *items, size_t n, uint64_t *first_out)
{
	return ls_evidence_append_texts(ev, items, NULL, n, first_out);
}

int
ls_evidence_append_texts(struct ls_evidence *ev,
    const struct ls_evidence_item *items, const struct ls_evidence_text *texts,
    size_t n, uint64_t *first_out)
{
	return ls_evidence_append_decs(ev, items, texts, NULL, n, first_out);
}

int
ls_evidence_append_decs(struct ls_evidence *ev,
    const struct ls_evidence_item *items, const struct ls_evidence_text *texts,
    const struct ls_evidence_dec *decs, size_t n, uint64_t *first_out)
{
	char now[LS_TIME_LEN];
	struct ev_ent **ents;
	size_t i;
	int rc = 0;

	if (n == 0) {
		if (first_out != NULL)
			*first_out = ls_evidence_count(ev);
		return 0;
	}
	ls_time_format(now, time(NULL)); /* one time for the group */
	if (n > EV_APPEND_MAX)
		return ls_error_set(LS_ETOOBIG,
		    "evidence: %zu entries in one append (limit %d)", n,
		    EV_APPEND_MAX);
	if ((ents = calloc(n, sizeof(*ents))) == NULL)
		return ls_error_set(LS_ENOMEM, "evidence: out of memory");
	for (i = 0; i < n && rc == 0; i++)
		rc = ent_prepare(&ents[i], items[i].kind, items[i].channel,
		    items[i].agent, items[i].details, now,
		    texts ? texts[i].data : NULL, texts ? texts[i].len : 0,
		    decs && decs[i].time ? &decs[i] : NULL);
	if (rc == 0)
		rc = append_ents(ev, ents, n, first_out);
	for (i = 0; i < n; i++)
		ev_ent_free(ents[i]);
	free(ents);
	return rc;
}

int
ls_evidence_append(struct ls_evidence *ev, const char *kind,
    const char *channel, const char *agent, json_t *details)
{
	struct ls_evidence_item it = { kind, channel, agent, details };

	return ls_evidence_append_many(ev, &it, 1, NULL);
}

/* Re-append old entries with their original times (migration). */
int
ev_append_at(struct ls_evidence *ev, json_t **old, size_t n)
{
	struct ev_ent **ents;
	size_t i;
	int rc = 0;

	if ((ents = calloc(n ? n : 1, sizeof(*ents))) == NULL)
		return ls_error_set(LS_ENOMEM, "evidence: out of memory");
	for (i = 0; i < n && rc == 0; i++)
		rc = ent_prepare(&ents[i],
		    json_string_value(json_object_get(old[i], "kind")),
		    json_string_value(json_object_get(old[i], "channel")),
		    json_string_value(json_object_get(old[i], "agent")),
		    json_object_get(old[i], "details"),
		    json_string_value(json_object_get(old[i], "time")), NULL, 0,
		    NULL);
	if (rc == 0)
		rc = append_ents(ev, ents, n, NULL);
	for (i = 0; i < n; i++)
		ev_ent_free(ents[i]);
	free(ents);
	return rc;
}
