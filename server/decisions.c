/* decisions.c - POST /v1/decisions: verify, check the chain, append. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libdeflate.h>
#include <zlib.h>

#include "decisions_impl.h"
#include "jsoncap.h"
#include "lockstep/error.h"
#include "lockstep/note.h"
#include "lockstep/timefmt.h"
#include "metrics.h"

static const char zeros[] =
    "0000000000000000000000000000000000000000000000000000000000000000";

/* One upload in progress. */
struct upload {
	struct bnote n;
	char *note_text; /* owned, NUL-terminated */
	size_t note_len;
	struct ls_note *note;
	int verified;		/* note signed by the agent's enrolled key */
	unsigned status;	/* the answer, when not status_of() the code */
	char key[DEC_KEY_HEX];	/* the agent key that signed it, hex */
	size_t reserved;	/* bytes of d->mem_used held */
	struct ls_buf raw;	/* the uncompressed JSON Lines */
	struct dec_line *lines; /* n.count of them */
	struct ls_evidence_text *texts; /* each line's bytes in raw */
	struct ls_evidence_dec *decs;	/* [i + 1]: line i's, fast path */
	struct dec_reader reader;	/* set up with lines */
	size_t nlines;
	uint64_t (*drops)[2]; /* dropped first..last ranges */
	size_t ndrops;
	struct dec_tally tally;
};

/* ---- the note ------------------------------------------------------ */

static int
u64_text(uint64_t *out, const char *s, size_t len)
{
	uint64_t v = 0;
	size_t i;

	if (len == 0 || len > 19 || (len > 1 && s[0] == '0'))
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

static int
hex64(char out[LS_SHA256_HEX_LEN + 1], const char *s, size_t len)
{
	size_t i;

	if (len != LS_SHA256_HEX_LEN)
		return -1;
	for (i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
			(s[i] >= 'a' && s[i] <= 'f')))
			return -1;
	memcpy(out, s, len);
	out[len] = '\0';
	return 0;
}

/* "YYYY-MM-DDTHH:MM:SS[.ffffff]Z" */
int
dec_rfc3339_ok(const char *s, size_t len)
{
	char t[LS_TIME_LEN];
	time_t when;
	size_t i;

	if (len < 20 || len > 32 || s[len - 1] != 'Z')
		return 0;
	for (i = 19; i < len - 1; i++)
		if (!(i == 19 ? s[i] == '.' : s[i] >= '0' && s[i] <= '9'))
			return 0;
	if (len > 20 && len < 22)
		return 0;
	memcpy(t, s, 19);
	t[19] = 'Z';
	t[20] = '\0';
	return ls_time_parse(&when, t, 20) == 0;
}

static int
note_field(struct bnote *n, size_t i, const char *v, size_t len)
{
	switch (i) {
	case 0:
		if (len > LS_NAME_MAX)
			return -1;
		memcpy(n->agent, v, len);
		n->agent[len] = '\0';
		return ls_name_valid(n->agent) ? 0 : -1;
	case 1: return u64_text(&n->first, v, len);
	case 2: return u64_text(&n->last, v, len);
	case 3: return u64_text(&n->count, v, len);
	case 4: return hex64(n->sha, v, len);
	case 5: return hex64(n->prev, v, len);
	case 6: return u64_text(&n->dropped, v, len);
	default:
		if (!dec_rfc3339_ok(v, len))
			return -1;
		memcpy(n->time, v, len);
		n->time[len] = '\0';
		return 0;
	}
}

/* The body: exactly the protocol's lines, in order. */
static int
note_body_parse(struct bnote *n, const char *body, size_t len)
{
	static const char *const keys[] = { "agent", "first", "last", "count",
		"sha256", "prev", "dropped", "time" };
	static const char head[] = "lockstep/decisions/v1\n";
	const char *p = body + sizeof(head) - 1, *end = body + len, *nl;
	size_t i, k;

	if (len < sizeof(head) - 1 || memcmp(body, head, sizeof(head) - 1))
		return ls_error_set(LS_EFORMAT,
		    "batch note: not a lockstep/decisions/v1 note");
	for (i = 0; i < 8; i++, p = nl + 1) {
		k = strlen(keys[i]);
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL || (size_t)(nl - p) <= k + 1 ||
		    memcmp(p, keys[i], k) != 0 || p[k] != ' ' ||
		    note_field(n, i, p + k + 1, (size_t)(nl - p) - k - 1))
			return ls_error_set(LS_EFORMAT,
			    "batch note: line '%s' missing or malformed",
			    keys[i]);
	}
	if (p != end)
		return ls_error_set(LS_EFORMAT, "batch note: extra lines");
	if (n->count == 0 || n->first == 0 || n->first > n->last ||
	    n->count > n->last - n->first + 1)
		return ls_error_set(LS_EFORMAT,
		    "batch note: first %llu, last %llu and count %llu "
		    "disagree",
		    (unsigned long long)n->first, (unsigned long long)n->last,
		    (unsigned long long)n->count);
	n->parsed = 1;
	return 0;
}

static int
note_open(struct upload *u, const char *header)
{
	size_t hlen, len = 0;
	const char *body;
	size_t blen;
	int rc;

	if (header == NULL || (hlen = strlen(header)) == 0)
		return ls_error_set(LS_EFORMAT,
		    "missing Lockstep-Batch header");
	if (hlen > (size_t)LS_NOTE_MAX * 4 / 3 + 4)
		return ls_error_set(LS_ETOOBIG,
		    "Lockstep-Batch header over "
		    "%d bytes",
		    LS_NOTE_MAX);
	if ((u->note_text = malloc(hlen + 1)) == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	if (ls_base64_decode((uint8_t *)u->note_text, hlen, &len, header,
		hlen) != 0)
		return ls_error_set(LS_EFORMAT,
		    "Lockstep-Batch: not standard base64");
	u->note_text[len] = '\0';
	u->note_len = len;
	if ((rc = ls_note_parse(&u->note, u->note_text, len)) != 0)
		return ls_error_wrap(rc, "batch note");
	body = ls_note_body(u->note, &blen);
	return note_body_parse(&u->n, body, blen);
}

/* ---- the body ------------------------------------------------------ */

/* One gzip member, whole, through libdeflate (about twice zlib's speed
 * here): 0 when it is the whole input and its trailer's size is the
 * size it inflates to, within out's cap; 1 for anything else, which
 * zlib then decides and explains.  A header with its own CRC (FHCRC,
 * which libdeflate skips unchecked) goes to zlib too. */
static int
gunzip_whole(struct ls_buf *out, const unsigned char *in, size_t len)
{
	struct libdeflate_decompressor *d;
	size_t isize, used_in = 0, used_out = 0;
	enum libdeflate_result r;

	if (len < 18 || (in[3] & 0x02) != 0)
		return 1;
	isize = (size_t)in[len - 4] | (size_t)in[len - 3] << 8 |
	    (size_t)in[len - 2] << 16 | (size_t)in[len - 1] << 24;
	if (isize == 0 || isize > out->max - out->len ||
	    ls_buf_reserve(out, isize) != 0 ||
	    (d = libdeflate_alloc_decompressor()) == NULL)
		return 1;
	r = libdeflate_gzip_decompress_ex(d, in, len, out->data + out->len,
	    isize, &used_in, &used_out);
	libdeflate_free_decompressor(d);
	if (r != LIBDEFLATE_SUCCESS || used_in != len || used_out != isize)
		return 1;
	out->len += used_out;
	out->data[out->len] = '\0';
	return 0;
}

/* Inflate gzip (one member or several, as gunzip(1) reads them) into out,
 * whose maximum is the cap. */
static int
gunzip(struct ls_buf *out, const void *in, size_t len)
{
	unsigned char chunk[65536];
	z_stream zs;
	int zr = Z_OK, rc = 0;

	if (gunzip_whole(out, in, len) == 0)
		return 0;
	memset(&zs, 0, sizeof(zs));
	if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
		return ls_error_set(LS_ENOMEM, "zlib: cannot initialise");
	zs.next_in = (unsigned char *)(uintptr_t)in;
	zs.avail_in = (uInt)len;
	while (rc == 0 && (zr != Z_STREAM_END || zs.avail_in != 0)) {
		if (zr == Z_STREAM_END && inflateReset(&zs) != Z_OK) {
			rc = ls_error_set(LS_EFORMAT, "body: bad gzip member");
			break;
		}
		zs.next_out = chunk;
		zs.avail_out = sizeof(chunk);
		zr = inflate(&zs, Z_NO_FLUSH);
		if (zr != Z_OK && zr != Z_STREAM_END)
			rc = ls_error_set(LS_EFORMAT, "body: not gzip (%s)",
			    zs.msg ? zs.msg : "truncated");
		else if (ls_buf_add(out, chunk, sizeof(chunk) - zs.avail_out))
			rc = ls_error_set(LS_ETOOBIG,
			    "body: over %u bytes uncompressed",
			    LS_DECISIONS_RAW_MAX);
		else if (zr == Z_OK && zs.avail_in == 0 && zs.avail_out != 0)
			rc = ls_error_set(LS_EFORMAT, "body: truncated gzip");
	}
	inflateEnd(&zs);
	return rc;
}

static const char *
jstr(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static int
jseq(json_t *o, const char *k, uint64_t *out)
{
	json_t *v = json_object_get(o, k);

	if (!json_is_integer(v) || json_integer_value(v) < 1)
		return -1;
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

/* One record's own fields (the chain is checked later). */
static int
record_check(struct upload *u, json_t *r, size_t i, uint64_t *seq)
{
	const char *type = jstr(r, "type"), *id = jstr(r, "id"), *a;
	char want[LS_NAME_MAX + 24];
	uint64_t fl[2];

	if (!json_is_object(r) || jseq(r, "seq", seq) != 0)
		return ls_error_set(LS_EFORMAT, "line %zu: no seq", i + 1);
	a = jstr(r, "agent");
	snprintf(want, sizeof(want), "%s-%llu", u->n.agent,
	    (unsigned long long)*seq);
	if (a == NULL || strcmp(a, u->n.agent) != 0 || id == NULL ||
	    strcmp(id, want) != 0)
		return ls_error_set(LS_EFORMAT,
		    "line %zu: agent or id is not %s", i + 1, want);
	if (type != NULL && strcmp(type, "dropped") == 0) {
		if (jseq(r, "first", &fl[0]) || jseq(r, "last", &fl[1]) ||
		    fl[0] > fl[1])
			return ls_error_set(LS_EFORMAT,
			    "line %zu: dropped needs first <= last", i + 1);
		memcpy(u->drops[u->ndrops++], fl, sizeof(fl));
		return 0;
	}
	if (type != NULL && strcmp(type, "decision") != 0)
		return ls_error_set(LS_EFORMAT, "line %zu: unknown type",
		    i + 1);
	if (jstr(r, "time") == NULL ||
	    !dec_rfc3339_ok(jstr(r, "time"), strlen(jstr(r, "time"))))
		return ls_error_set(LS_EFORMAT, "line %zu: bad time", i + 1);
	if (json_object_get(r, "channel") != NULL &&
	    jstr(r, "channel") == NULL &&
	    !json_is_null(json_object_get(r, "channel")))
		return ls_error_set(LS_EFORMAT, "line %zu: bad channel", i + 1);
	if (dec_tally_record(&u->tally, r) != 0)
		return ls_error_wrap(LS_EFORMAT, "line %zu", i + 1);
	return 0;
}

static int
parse_line(struct upload *u, const char *p, size_t len, size_t i, uint64_t *seq)
{
	struct dec_line *l = &u->lines[u->nlines];
	json_error_t jerr;
	json_t *r;
	int rc;

	if (len == 0)
		return ls_error_set(LS_EFORMAT, "line %zu: empty", i + 1);
	if (len > LS_DECISIONS_LINE_MAX)
		return ls_error_set(LS_ETOOBIG, "line %zu: over %d bytes",
		    i + 1, LS_DECISIONS_LINE_MAX);
	u->texts[u->nlines + 1].data = p;
	u->texts[u->nlines + 1].len = len;
	if ((rc = dec_line_fast(l, &u->reader, u->n.agent, p, len)) <= 0) {
		if (rc == 0) {
			u->decs[++u->nlines] = l->dec;
			*seq = l->seq;
		}
		return rc;
	}
	if (jsoncap_depth(p, len) > LS_DECISIONS_DEPTH_MAX) {
		u->status = 400; /* a cap, but not one of size */
		return ls_error_set(LS_ETOOBIG,
		    "line %zu: nested deeper "
		    "than %d",
		    i + 1, LS_DECISIONS_DEPTH_MAX);
	}
	r = json_loadb(p, len, JSON_REJECT_DUPLICATES, &jerr);
	if (r == NULL)
		return ls_error_set(LS_EFORMAT, "line %zu: %s", i + 1,
		    jerr.text);
	l->j = r;
	u->nlines++;
	rc = record_check(u, r, i, seq);
	l->seq = *seq;
	return rc;
}

/* Split, parse and check the lines against the note. */
static int
parse_lines(struct upload *u)
{
	const char *p = u->raw.data, *end, *nl;
	uint64_t seq = 0, prev = 0;
	size_t i = 0;
	int rc;

	if (p == NULL || u->raw.len == 0 || p[u->raw.len - 1] != '\n')
		return ls_error_set(LS_EFORMAT,
		    "body: JSON Lines must end in a newline");
	end = p + u->raw.len;
	u->lines = calloc((size_t)u->n.count, sizeof(*u->lines));
	u->drops = calloc((size_t)u->n.count, sizeof(*u->drops));
	/* [0] is the batch entry's, serialised */
	u->texts = calloc((size_t)u->n.count + 1, sizeof(*u->texts));
	u->decs = calloc((size_t)u->n.count + 1, sizeof(*u->decs));
	if (u->lines == NULL || u->drops == NULL || u->texts == NULL ||
	    u->decs == NULL || dec_reader_init(&u->reader) != 0)
		return ls_error_set(LS_ENOMEM, "out of memory");
	for (; p < end; p = nl + 1, i++) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (i >= u->n.count)
			return ls_error_set(LS_EFORMAT,
			    "body: more than the note's count %llu lines",
			    (unsigned long long)u->n.count);
		if ((rc = parse_line(u, p, (size_t)(nl - p), i, &seq)) != 0)
			return rc;
		if ((i == 0 && seq != u->n.first) || (i > 0 && seq <= prev))
			return ls_error_set(LS_EFORMAT,
			    "line %zu: seq %llu out of order", i + 1,
			    (unsigned long long)seq);
		prev = seq;
	}
	if (i != u->n.count || prev != u->n.last)
		return ls_error_set(LS_EFORMAT,
		    "body: %zu lines ending at seq %llu, the note says %llu "
		    "ending at %llu",
		    i, (unsigned long long)prev, (unsigned long long)u->n.count,
		    (unsigned long long)u->n.last);
	return 0;
}

/* Inflate the body and check it against the signed note (verified). */
static int
count_check(struct upload *u)
{
	if (u->n.count > LS_DECISIONS_LINES_MAX) {
		u->status = 400; /* a cap, but not one of size */
		return ls_error_set(LS_ETOOBIG, "batch of %llu lines, limit %d",
		    (unsigned long long)u->n.count, LS_DECISIONS_LINES_MAX);
	}
	return 0;
}

static int
body_inflate(struct upload *u, const void *body, size_t len)
{
	char sha[LS_SHA256_HEX_LEN + 1];
	int rc;

	if ((rc = count_check(u)) != 0)
		return rc;
	if ((rc = gunzip(&u->raw, body, len)) != 0)
		return rc;
	ls_sha256_hex(sha, u->raw.data ? u->raw.data : "", u->raw.len);
	if (strcmp(sha, u->n.sha) != 0)
		return ls_error_set(LS_EFORMAT,
		    "body: sha256 %s, the note says %s", sha, u->n.sha);
	return 0;
}

/* ---- the chain ----------------------------------------------------- */

static int
cmp_range(const void *a, const void *b)
{
	const uint64_t *x = a, *y = b;

	return x[0] < y[0] ? -1 : x[0] > y[0];
}

/*
 * The gap rule: every seq from next to the batch's last is a line of the
 * batch or inside one of its dropped ranges, and no line is inside one.
 */
static int
gaps_covered(struct upload *u, uint64_t next)
{
	uint64_t cur = next, reach = 0, s;
	size_t i, j = 0;

	qsort(u->drops, u->ndrops, sizeof(*u->drops), cmp_range);
	for (i = 0; i < u->nlines; i++) {
		s = u->lines[i].seq;
		for (;;) {
			while (j < u->ndrops && u->drops[j][0] <= cur) {
				if (u->drops[j][1] > reach)
					reach = u->drops[j][1];
				j++;
			}
			if (cur >= s)
				break;
			if (reach < cur)
				return ls_error_set(LS_ECONFLICT,
				    "gap: seqs %llu..%llu are neither in the "
				    "batch nor announced as dropped",
				    (unsigned long long)cur,
				    (unsigned long long)s - 1);
			cur = reach + 1;
		}
		if (reach >= s && j > 0)
			return ls_error_set(LS_EFORMAT,
			    "seq %llu is both a line and dropped",
			    (unsigned long long)s);
		cur = s + 1;
	}
	return 0;
}

/*
 * Under c->mu: 1 for a byte-identical resend (*dup set), 0 when the batch
 * extends the chain, LS_ECONFLICT for a gap, a fork or a replay.  A key
 * other than the chain's (the name was removed and enrolled again) starts
 * a new chain from seq 1.
 */
static int
chain_check(struct dec_chain *c, struct upload *u, const struct dec_batch **dup)
{
	int anew = dec_chain_rekeyed(c, u->key);
	uint64_t last = anew ? 0 : c->last_seq;
	const char *sha = !anew && c->last_sha[0] ? c->last_sha : zeros;

	*dup = anew ? NULL : dec_chain_find(c, u->n.sha, u->n.first, u->n.last);
	if (*dup != NULL)
		return 1;
	if (u->n.first <= last)
		return ls_error_set(LS_ECONFLICT,
		    "replay or fork: seqs %llu..%llu overlap the accepted "
		    "1..%llu with other bytes",
		    (unsigned long long)u->n.first,
		    (unsigned long long)u->n.last, (unsigned long long)last);
	if (strcmp(u->n.prev, sha) != 0)
		return ls_error_set(LS_ECONFLICT,
		    "fork: prev %.12s... is not the last accepted batch "
		    "%.12s...",
		    u->n.prev, sha);
	return gaps_covered(u, last + 1);
}

static json_t *
note_json(const struct bnote *n)
{
	if (!n->parsed)
		return json_object();
	return json_pack("{s:s, s:I, s:I, s:I, s:s, s:s, s:I, s:s}", "agent",
	    n->agent, "first", (json_int_t)n->first, "last",
	    (json_int_t)n->last, "count", (json_int_t)n->count, "sha256",
	    n->sha, "prev", n->prev, "dropped", (json_int_t)n->dropped, "time",
	    n->time);
}

/* Append the batch entry and every line as one group. */
static int
append_group(struct ls_decisions *d, struct upload *u, uint64_t *first_out,
    uint64_t *start_out)
{
	struct ls_evidence_item *items = NULL;
	json_t *bd = note_json(&u->n);
	uint64_t start;
	size_t i;
	int rc;

	items = calloc(u->nlines + 1, sizeof(*items));
	if (bd == NULL || items == NULL ||
	    json_object_set_new(bd, "note",
		json_stringn(u->note_text, u->note_len)) != 0) {
		rc = ls_error_set(LS_ENOMEM, "out of memory");
		goto out;
	}
	if (json_object_set_new(bd, "key", json_string(u->key)) != 0) {
		rc = ls_error_set(LS_ENOMEM, "out of memory");
		goto out;
	}
	items[0].kind = "batch";
	items[0].agent = u->n.agent;
	items[0].details = bd;
	for (i = 0; i < u->nlines; i++) {
		items[i + 1].kind = "decision";
		items[i + 1].channel = u->lines[i].j != NULL
		    ? jstr(u->lines[i].j, "channel")
		    : u->lines[i].channel;
		items[i + 1].agent = u->n.agent;
		items[i + 1].details = u->lines[i].j;
	}
	/* Registered before the append: a state file written meanwhile
	 * then replays from here (see decisions.h). */
	if ((rc = dec_inflight_add(d, &start)) != 0)
		goto out;
	*start_out = start;
	/* On failure the group stays registered: whatever of it reached the
	 * disk is then looked at again by the replay at the next start. */
	rc = ls_evidence_append_decs(d->ev, items, u->texts, u->decs,
	    u->nlines + 1, first_out);
out:
	free(items);
	json_decref(bd);
	return rc;
}

static void
accept_group(struct ls_decisions *d, struct dec_chain *c, struct upload *u,
    uint64_t index)
{
	struct dec_batch b;

	memset(&b, 0, sizeof(b));
	b.first = u->n.first;
	b.last = u->n.last;
	b.count = u->n.count;
	b.index = index;
	memcpy(b.sha, u->n.sha, sizeof(b.sha));
	dec_chain_accept(d, c, &b, u->key, &u->tally);
}

/* ---- refusals and the answer --------------------------------------- */

/* Refusals are recorded at most 20 a second (bursts of 200), so nobody
 * can flood the log with them; the ones left out are counted in the next
 * one recorded and in /metrics. */
static int
refuse_allowed(struct ls_decisions *d, uint64_t *suppressed)
{
	int64_t now = ls_mono_ms();
	int ok;

	pthread_mutex_lock(&d->mu);
	d->refuse_tokens += (double)(now - d->refuse_ms) * 0.02;
	if (d->refuse_tokens > 200)
		d->refuse_tokens = 200;
	d->refuse_ms = now;
	ok = d->refuse_tokens >= 1;
	if (ok) {
		d->refuse_tokens -= 1;
		*suppressed = d->refuse_suppressed;
		d->refuse_suppressed = 0;
	} else {
		d->refuse_suppressed++;
	}
	pthread_mutex_unlock(&d->mu);
	return ok;
}

static void
refuse(struct ls_decisions *d, struct ls_decisions_result *res,
    const struct upload *u, unsigned status, int rc)
{
	json_t *det;
	uint64_t suppressed = 0;

	res->status = status;
	snprintf(res->msg, sizeof(res->msg), "%s",
	    ls_error_last()[0] ? ls_error_last() : ls_err_name(rc));
	ls_metrics_add(LS_M_BATCHES_REFUSED, 1);
	if (!refuse_allowed(d, &suppressed)) {
		ls_metrics_add(LS_M_BATCHES_REFUSED_UNRECORDED, 1);
		return;
	}
	det = note_json(&u->n);
	if (det == NULL)
		return;
	json_object_set_new(det, "what", json_string("decisions"));
	json_object_set_new(det, "reason", json_string(res->msg));
	json_object_set_new(det, "status", json_integer(status));
	json_object_set_new(det, "signature",
	    json_string(u->verified   ? "verified"
		    : u->note == NULL ? "absent"
				      : "not verified"));
	if (suppressed > 0)
		json_object_set_new(det, "suppressed_before",
		    json_integer((json_int_t)suppressed));
	if (ls_evidence_append(d->ev, "refused", NULL,
		u->n.parsed ? u->n.agent : NULL, det) != 0)
		ls_metrics_add(LS_M_BATCHES_REFUSED_UNRECORDED, 1);
	json_decref(det);
}

static unsigned
status_of(int rc)
{
	switch (rc) {
	case LS_ETOOBIG: return 413;
	case LS_ENOTFOUND:
	case LS_EBADSIG: return 403;
	case LS_ECONFLICT: return 409;
	case LS_ENOMEM:
	case LS_EIO:
	case LS_ERROR: return 500;
	default: return 400;
	}
}

static void
upload_cleanup(struct upload *u)
{
	size_t i;

	for (i = 0; i < u->nlines; i++)
		json_decref(u->lines[i].j);
	free(u->lines);
	free(u->texts);
	free(u->decs);
	dec_reader_cleanup(&u->reader);
	free(u->drops);
	ls_buf_cleanup(&u->raw);
	ls_note_free(u->note);
	free(u->note_text);
	dec_tally_cleanup(&u->tally);
}

static json_t *
answer(const struct upload *u, uint64_t index, int duplicate)
{
	json_t *j = json_pack("{s:I, s:I, s:I, s:I}", "accepted",
	    (json_int_t)(duplicate ? 0 : u->n.count), "first",
	    (json_int_t)u->n.first, "last", (json_int_t)u->n.last, "index",
	    (json_int_t)index);

	if (j != NULL && duplicate)
		json_object_set_new(j, "duplicate", json_true());
	return j;
}

/* Room for parsing want uncompressed bytes (their JSON objects take
 * several times that): at most DEC_MEM_MAX among the uploads being parsed
 * and appended (one upload always may go), waiting up to DEC_MEM_WAIT_MS
 * for it.  (Inflating is bounded by the threads times the 32 MiB cap.) */
static int
mem_reserve(struct ls_decisions *d, struct upload *u, size_t want)
{
	struct timespec until;
	int rc = 0;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += DEC_MEM_WAIT_MS / 1000;
	pthread_mutex_lock(&d->mu);
	while (rc == 0 && d->mem_used > 0 && d->mem_used + want > DEC_MEM_MAX)
		if (pthread_cond_timedwait(&d->mem_cv, &d->mu, &until) != 0)
			rc = ls_error_set(LS_ETIMEOUT,
			    "server busy: too many batches being read");
	if (rc == 0) {
		d->mem_used += want;
		u->reserved = want;
	}
	pthread_mutex_unlock(&d->mu);
	return rc;
}

static void
mem_release(struct ls_decisions *d, size_t n)
{
	pthread_mutex_lock(&d->mu);
	d->mem_used -= n;
	pthread_cond_broadcast(&d->mem_cv);
	pthread_mutex_unlock(&d->mu);
}

/* Note, signature, budget, room, then the body.  u->status is set when
 * the answer is not the usual one for the code. */
static int
upload_open(struct ls_decisions *d, struct upload *u, const char *header,
    const void *body, size_t len, int toobig)
{
	struct ls_vkey vk;
	int rc;

	if ((rc = dec_tally_init(&u->tally)) != 0)
		return rc;
	rc = note_open(u, header);
	if (toobig) /* whatever the note says */
		return ls_error_set(LS_ETOOBIG, "body over %u bytes",
		    LS_DECISIONS_BODY_MAX);
	if (rc != 0 ||
	    (rc = ls_store_agent_verify(d->o.store, u->note, u->n.agent,
		 &vk)) != 0)
		return rc;
	u->verified = 1;
	ls_hex_encode(u->key, vk.pub, sizeof(vk.pub));
	if ((rc = ls_decisions_budget_check(d, u->n.agent, len)) != 0) {
		u->status = 429;
		return rc;
	}
	if ((rc = body_inflate(u, body, len)) != 0)
		return rc;
	/* The budget counts decision bytes: the rest of the uncompressed
	 * size is charged now (the gzip bytes were checked above). */
	if (u->raw.len > len)
		dec_budget_charge(d, u->n.agent, u->raw.len - len);
	if ((rc = mem_reserve(d, u, u->raw.len)) != 0) {
		u->status = 503;
		return rc;
	}
	return parse_lines(u);
}

/* Under c->mu: check, append, update. */
static int
ingest_locked(struct ls_decisions *d, struct dec_chain *c, struct upload *u,
    struct ls_decisions_result *res)
{
	const struct dec_batch *dup = NULL;
	uint64_t index = 0, start = 0;
	size_t i;
	int rc;

	if ((rc = chain_check(c, u, &dup)) < 0)
		return rc;
	if (rc == 1) {
		ls_metrics_add(LS_M_BATCHES_DUPLICATE, 1);
		res->answer = answer(u, dup->index, 1);
		return 0;
	}
	if ((rc = append_group(d, u, &index, &start)) != 0)
		return rc;
	accept_group(d, c, u, index);
	dec_inflight_del(d, start);
	ls_metrics_add(LS_M_BATCHES_ACCEPTED, 1);
	ls_metrics_add(LS_M_DECISIONS_ACCEPTED, (long)u->nlines);
	ls_metrics_add(LS_M_DECISIONS_DROPPED_POLICY, (long)u->n.dropped);
	for (i = 0; i < u->ndrops; i++)
		ls_metrics_add(LS_M_DECISIONS_DROPPED_QUEUE,
		    (long)(u->drops[i][1] - u->drops[i][0] + 1));
	res->answer = answer(u, index, 0);
	return 0;
}

void
ls_decisions_post(struct ls_decisions *d, struct ls_decisions_result *res,
    const char *header, const void *body, size_t len, int toobig)
{
	struct dec_chain *c;
	struct upload u;
	int rc;

	memset(res, 0, sizeof(*res));
	memset(&u, 0, sizeof(u));
	ls_buf_init(&u.raw, LS_DECISIONS_RAW_MAX);
	ls_error_clear();
	if ((rc = upload_open(d, &u, header, body, len, toobig)) != 0)
		goto out;
	pthread_mutex_lock(&d->mu);
	c = dec_chain_get(d, u.n.agent);
	pthread_mutex_unlock(&d->mu);
	if (c == NULL) {
		rc = ls_error_set(LS_ENOMEM, "out of memory");
		goto out;
	}
	pthread_mutex_lock(&c->mu);
	rc = ingest_locked(d, c, &u, res);
	pthread_mutex_unlock(&c->mu);
	if (rc == 0 && res->answer == NULL)
		rc = ls_error_set(LS_ENOMEM, "out of memory");
out:
	if (rc != 0) {
		refuse(d, res, &u, u.status ? u.status : status_of(rc), rc);
	} else {
		res->status = 200;
		(void)dec_state_maybe_write(d, 0);
	}
	mem_release(d, u.reserved);
	upload_cleanup(&u);
}

/* ---- the stateless checks, for tests and tests/fuzz/doc_batch.c ---- */

int
ls_decisions_note_parse(struct bnote *n, const char *body, size_t len)
{
	memset(n, 0, sizeof(*n));
	return note_body_parse(n, body, len);
}

int
ls_decisions_gunzip(struct ls_buf *out, const void *in, size_t len)
{
	return gunzip(out, in, len);
}

int
ls_decisions_lines_check(const struct bnote *n, const char *raw, size_t len,
    uint64_t next)
{
	struct upload u;
	int rc;

	memset(&u, 0, sizeof(u));
	u.n = *n;
	ls_buf_init(&u.raw, LS_DECISIONS_RAW_MAX);
	if ((rc = dec_tally_init(&u.tally)) == 0 &&
	    (rc = count_check(&u)) == 0 &&
	    (rc = ls_buf_add(&u.raw, raw, len)) == 0 &&
	    (rc = parse_lines(&u)) == 0)
		rc = gaps_covered(&u, next);
	upload_cleanup(&u);
	return rc;
}
