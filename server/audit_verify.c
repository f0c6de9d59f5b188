/* audit_verify.c - `lockstep audit verify DIR`: check a package offline
 * with nothing but its own files (see audit.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "audit.h"
#include "lockstep/error.h"
#include "lockstep/file.h"
#include "lockstep/hash.h"
#include "lockstep/note.h"
#include "lockstep/timefmt.h"
#include "merkle.h"

#define MAX_LISTED 16

struct pkg_in {
	const char *dir;
	struct ls_keyset log; /* log.pub */
	struct ls_audit_opts o;
	char scope[160];
	char names[MAX_LISTED][64];
	size_t nnames;
	uint64_t size; /* checkpoint */
	uint8_t root[LS_SHA256_LEN];
};

static int
read_file(char **out, size_t *len, const struct pkg_in *p, const char *name,
    size_t max)
{
	char path[PATH_MAX];
	int n = snprintf(path, sizeof(path), "%s/%s", p->dir, name);

	if (n < 0 || (size_t)n >= sizeof(path))
		return ls_error_set(LS_EINVAL, "%s: path too long", p->dir);
	return ls_file_read(out, len, path, max);
}

/* One "key value" line of the manifest's header. */
static int
header(char **line, const char *key, char *val, size_t vsz)
{
	size_t kl = strlen(key);
	char *nl = strchr(*line, '\n');

	if (nl == NULL || strncmp(*line, key, kl) != 0 || (*line)[kl] != ' ' ||
	    (size_t)(nl - *line - (long)kl - 1) >= vsz)
		return ls_error_set(LS_EFORMAT, "manifest.note: expected '%s'",
		    key);
	memcpy(val, *line + kl + 1, (size_t)(nl - *line) - kl - 1);
	val[nl - *line - (long)kl - 1] = '\0';
	*line = nl + 1;
	return 0;
}

static int
parse_params(struct pkg_in *p, char **body)
{
	char since[32], until[32], gen[32], hours[16], *end;
	int rc;

	if (strncmp(*body, "lockstep/audit/v1\n", 18) != 0)
		return ls_error_set(LS_EFORMAT,
		    "manifest.note: not a lockstep/audit/v1 manifest");
	*body += 18;
	if ((rc = header(body, "scope", p->scope, sizeof(p->scope))) != 0 ||
	    (rc = header(body, "since", since, sizeof(since))) != 0 ||
	    (rc = header(body, "until", until, sizeof(until))) != 0 ||
	    (rc = header(body, "silent-hours", hours, sizeof(hours))) != 0 ||
	    (rc = header(body, "generated", gen, sizeof(gen))) != 0)
		return rc;
	if (strncmp(p->scope, "control ", 8) == 0)
		p->o.control = p->scope + 8;
	else if (strncmp(p->scope, "framework ", 10) == 0)
		p->o.framework = p->scope + 10;
	else
		return ls_error_set(LS_EFORMAT, "manifest.note: bad scope");
	p->o.silent_hours = (unsigned)strtoul(hours, &end, 10);
	if (*end != '\0' || ls_time_parse(&p->o.since, since, strlen(since)) ||
	    ls_time_parse(&p->o.until, until, strlen(until)) ||
	    ls_time_parse(&p->o.generated, gen, strlen(gen)))
		return ls_error_set(LS_EFORMAT,
		    "manifest.note: bad parameters");
	return 0;
}

/* "file HEX NAME" lines: each file's hash. */
static int
check_files(struct pkg_in *p, char *line)
{
	uint8_t got[LS_SHA256_LEN], want[LS_SHA256_LEN];
	char path[PATH_MAX], *nl;
	unsigned long long sz;
	int rc;

	for (; *line != '\0'; line = nl + 1) {
		if ((nl = strchr(line, '\n')) == NULL ||
		    strncmp(line, "file ", 5) != 0 || nl - line < 5 + 65 + 1 ||
		    line[69] != ' ' || nl - line - 70 >= 64 ||
		    p->nnames == MAX_LISTED ||
		    ls_hex_decode(want, sizeof(want), line + 5, 64) != 0)
			return ls_error_set(LS_EFORMAT,
			    "manifest.note: bad file line");
		memcpy(p->names[p->nnames], line + 70,
		    (size_t)(nl - line - 70));
		p->names[p->nnames][nl - line - 70] = '\0';
		if (strstr(p->names[p->nnames], "..") != NULL)
			return ls_error_set(LS_EUNSAFE,
			    "manifest.note: bad file name");
		snprintf(path, sizeof(path), "%s/%s", p->dir,
		    p->names[p->nnames]);
		if ((rc = ls_sha256_file(got, &sz, path)) != 0)
			return rc;
		if (sodium_memcmp(got, want, sizeof(got)) != 0)
			return ls_error_set(LS_EMISMATCH,
			    "%s: sha256 differs from the manifest", path);
		p->nnames++;
	}
	return 0;
}

static int
listed(const struct pkg_in *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->nnames; i++)
		if (strcmp(p->names[i], name) == 0)
			return 1;
	return strcmp(name, "manifest.note") == 0;
}

/* No file in the package that the manifest does not name. */
static int
check_unlisted(const struct pkg_in *p, const char *sub)
{
	char path[PATH_MAX], name[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int rc = 0;

	snprintf(path, sizeof(path), "%s%s%s", p->dir, sub[0] ? "/" : "", sub);
	if ((d = opendir(path)) == NULL)
		return sub[0] ? 0
			      : ls_error_set(LS_ENOTFOUND,
				    "%s: no such "
				    "directory",
				    path);
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(name, sizeof(name), "%s%s%s", sub, sub[0] ? "/" : "",
		    de->d_name);
		if (!sub[0] && strcmp(de->d_name, "oscal") == 0)
			continue;
		if (!listed(p, name))
			rc = ls_error_set(LS_EMISMATCH,
			    "%s/%s: not in the manifest", p->dir, name);
	}
	closedir(d);
	return rc ? rc : (sub[0] ? 0 : check_unlisted(p, "oscal"));
}

static int
check_manifest(struct pkg_in *p)
{
	char *text = NULL, *key = NULL, *body;
	struct ls_note *note = NULL;
	struct ls_vkey vk;
	size_t len, klen;
	int rc;

	if ((rc = read_file(&key, &klen, p, "log.pub", 1024)) != 0)
		goto out;
	if (klen > 0 && key[klen - 1] == '\n')
		klen--; /* the file is one line */
	if ((rc = ls_vkey_parse(&vk, key, klen)) != 0 ||
	    (rc = ls_keyset_add(&p->log, &vk)) != 0)
		goto out;
	if ((rc = read_file(&text, &len, p, "manifest.note", LS_NOTE_MAX)) != 0)
		goto out;
	if ((rc = ls_note_open(&note, text, len, &p->log, 1)) < 0) {
		rc = ls_error_wrap(rc, "manifest.note: not signed by log.pub");
		goto out;
	}
	body = (char *)(uintptr_t)ls_note_body(note, NULL);
	if ((rc = parse_params(p, &body)) == 0 &&
	    (rc = check_files(p, body)) == 0)
		rc = check_unlisted(p, "");
out:
	ls_note_free(note);
	free(text);
	free(key);
	return rc;
}

static int
check_checkpoint(struct pkg_in *p)
{
	char *text = NULL, *end;
	const char *b, *nl, *nl2;
	struct ls_note *note = NULL;
	size_t len, got = 0;
	int rc;

	if ((rc = read_file(&text, &len, p, "checkpoint.note", LS_NOTE_MAX)) !=
	    0)
		return rc;
	if ((rc = ls_note_open(&note, text, len, &p->log, 1)) < 0) {
		rc =
		    ls_error_wrap(rc, "checkpoint.note: not signed by log.pub");
		goto out;
	}
	rc = 0;
	b = ls_note_body(note, NULL);
	if ((nl = strchr(b, '\n')) == NULL ||
	    (nl2 = strchr(nl + 1, '\n')) == NULL ||
	    (p->size = strtoull(nl + 1, &end, 10), end != nl2) ||
	    ls_base64_decode(p->root, sizeof(p->root), &got, nl2 + 1,
		strcspn(nl2 + 1, "\n")) != 0 ||
	    got != LS_SHA256_LEN)
		rc = ls_error_set(LS_EFORMAT, "checkpoint.note: malformed");
out:
	ls_note_free(note);
	free(text);
	return rc;
}

static int
check_proof(const struct pkg_in *p, json_t *rec, const char *line, size_t len,
    json_t *pr, size_t lineno)
{
	uint8_t leaf[LS_SHA256_LEN], want[LS_SHA256_LEN];
	uint8_t proof[LS_MERKLE_MAX_PROOF][LS_SHA256_LEN];
	json_t *arr = json_object_get(pr, "proof"), *h;
	const char *s;
	size_t i, got;
	json_int_t n = json_integer_value(json_object_get(rec, "n"));

	ls_merkle_leaf(leaf, line, len);
	s = json_string_value(json_object_get(pr, "leaf"));
	if (s == NULL ||
	    ls_base64_decode(want, sizeof(want), &got, s, strlen(s)) != 0 ||
	    got != LS_SHA256_LEN || sodium_memcmp(leaf, want, got) != 0 ||
	    json_integer_value(json_object_get(pr, "index")) != n ||
	    (uint64_t)json_integer_value(json_object_get(pr, "size")) !=
		p->size ||
	    json_array_size(arr) > LS_MERKLE_MAX_PROOF)
		return ls_error_set(LS_EMISMATCH,
		    "records.jsonl: line %zu does not match its proof", lineno);
	json_array_foreach(arr, i, h)
	{
		s = json_string_value(h);
		if (s == NULL ||
		    ls_base64_decode(proof[i], LS_SHA256_LEN, &got, s,
			strlen(s)) != 0 ||
		    got != LS_SHA256_LEN)
			return ls_error_set(LS_EFORMAT,
			    "proofs.jsonl: line %zu: bad hash", lineno);
	}
	if (n < 0 ||
	    ls_merkle_verify_inclusion(leaf, (uint64_t)n, p->size,
		(const uint8_t(*)[LS_SHA256_LEN])proof, json_array_size(arr),
		p->root) != 0)
		return ls_error_set(LS_EMISMATCH,
		    "records.jsonl: line %zu (entry %lld) is not in the log "
		    "of checkpoint.note",
		    lineno, (long long)n);
	return 0;
}

/* Lines of one package file read in chunks, each at most cap bytes. */
struct lines {
	const char *name;
	int fd;
	char *buf;
	size_t cap, start, end;
	int eof;
};

static int
lines_open(struct lines *l, const struct pkg_in *p, const char *name,
    size_t cap)
{
	char path[PATH_MAX];

	memset(l, 0, sizeof(l[0]));
	l->fd = -1;
	l->name = name;
	l->cap = cap;
	snprintf(path, sizeof(path), "%s/%s", p->dir, name);
	if ((l->buf = malloc(cap)) == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	if ((l->fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return ls_error_set(LS_ENOTFOUND, "%s: %s", path,
		    strerror(errno));
	return 0;
}

static void
lines_close(struct lines *l)
{
	if (l->fd >= 0)
		close(l->fd);
	free(l->buf);
	l->buf = NULL;
	l->fd = -1;
}

/* 1 and the next line (without its newline), 0 at the end, or an
 * ls_err for an overlong or unterminated line. */
static int
lines_next(struct lines *l, const char **line, size_t *len, size_t lineno)
{
	char *nl;
	ssize_t n;

	for (;;) {
		nl = memchr(l->buf + l->start, '\n', l->end - l->start);
		if (nl != NULL) {
			*line = l->buf + l->start;
			*len = (size_t)(nl - *line);
			l->start += *len + 1;
			return 1;
		}
		if (l->eof)
			return l->start == l->end
			    ? 0
			    : ls_error_set(LS_EFORMAT,
				  "%s: line %zu unterminated", l->name,
				  lineno);
		memmove(l->buf, l->buf + l->start, l->end - l->start);
		l->end -= l->start;
		l->start = 0;
		if (l->end == l->cap)
			return ls_error_set(LS_ETOOBIG,
			    "%s: line %zu is too long", l->name, lineno);
		if ((n = read(l->fd, l->buf + l->end, l->cap - l->end)) < 0)
			return ls_error_set(LS_EIO, "%s: %s", l->name,
			    strerror(errno));
		l->eof = n == 0;
		l->end += (size_t)n;
	}
}

/* The streamed checks: keys seen so far, counts, the summary. */
struct stream {
	json_t *keys; /* agent -> [enrolled keys] */
	json_int_t records, verified, skipped;
	struct ls_audit_acc *acc;
};

/* Every key enrolled (or removed) under an agent's name: a name enrolled
 * anew after a removal speaks with either key over the period.  The
 * package lists operator entries before batches and reports. */
static int
note_key(struct stream *st, json_t *e)
{
	const char *k = json_string_value(
	    json_object_get(json_object_get(e, "details"), "key"));
	const char *agent = json_string_value(json_object_get(e, "agent"));
	json_t *l;

	if (k == NULL || agent == NULL)
		return 0;
	if ((l = json_object_get(st->keys, agent)) == NULL) {
		l = json_array();
		if (json_object_set_new(st->keys, agent, l) != 0)
			return ls_error_set(LS_ENOMEM, "out of memory");
	}
	return json_array_append_new(l, json_string(k)) == 0
	    ? 0
	    : ls_error_set(LS_ENOMEM, "out of memory");
}

static int
note_signed(const char *note, json_t *list)
{
	struct ls_keyset set = { NULL, 0 };
	struct ls_vkey vk;
	const char *k;
	json_t *v;
	size_t i;
	int ok;

	json_array_foreach(list, i, v)
	{
		k = json_string_value(v);
		if (ls_vkey_parse(&vk, k, strlen(k)) == 0)
			(void)ls_keyset_add(&set, &vk);
	}
	ok = set.n > 0 && ls_note_open(NULL, note, strlen(note), &set, 1) == 0;
	ls_keyset_cleanup(&set);
	return ok;
}

/* A batch or report note signed by the agent's enrolled key, where the
 * enrolment is among the records. */
static int
check_agent_sig(struct stream *st, json_t *e)
{
	const char *kind = json_string_value(json_object_get(e, "kind"));
	const char *agent = json_string_value(json_object_get(e, "agent"));
	const char *note = json_string_value(
	    json_object_get(json_object_get(e, "details"), "note"));
	json_t *list;

	if (kind == NULL || note == NULL ||
	    (strcmp(kind, "batch") != 0 && strcmp(kind, "report") != 0))
		return 0;
	if ((list = json_object_get(st->keys, agent ? agent : "")) == NULL) {
		st->skipped++;
		return 0;
	}
	if (!note_signed(note, list))
		return ls_error_set(LS_EBADSIG,
		    "records.jsonl: entry %lld: %s note not signed by "
		    "%s's enrolled key",
		    (long long)json_integer_value(json_object_get(e, "n")),
		    kind, agent);
	st->verified++;
	return 0;
}

static int
check_line(const struct pkg_in *p, struct stream *st, const char *r,
    size_t rlen, const char *q, size_t qlen, size_t lineno)
{
	json_t *e = json_loadb(r, rlen, JSON_REJECT_DUPLICATES, NULL);
	json_t *pr = json_loadb(q, qlen, 0, NULL);
	int rc;

	if (!json_is_object(e) || !json_is_object(pr))
		rc = ls_error_set(LS_EFORMAT,
		    "records.jsonl: line %zu: not a JSON object", lineno);
	else if ((rc = check_proof(p, e, r, rlen, pr, lineno)) == 0 &&
	    (rc = note_key(st, e)) == 0 && (rc = check_agent_sig(st, e)) == 0)
		rc = ls_audit_acc_add(st->acc, e);
	json_decref(e);
	json_decref(pr);
	return rc;
}

/* Every record line with its proof, one at a time. */
static int
check_records(const struct pkg_in *p, struct stream *st)
{
	struct lines rec, prf;
	const char *r, *q;
	size_t rlen, qlen;
	int rc, gr, gq;

	if ((rc = lines_open(&rec, p, "records.jsonl",
		 LS_EVIDENCE_LINE_MAX + 4096)) != 0 ||
	    (rc = lines_open(&prf, p, "proofs.jsonl", 16384)) != 0)
		goto out;
	for (;;) {
		if ((gr = lines_next(&rec, &r, &rlen, st->records + 1)) < 0 ||
		    (gq = lines_next(&prf, &q, &qlen, st->records + 1)) < 0) {
			rc = gr < 0 ? gr : gq;
			break;
		}
		if (gr == 0 || gq == 0) {
			if (gr != gq)
				rc = ls_error_set(LS_EFORMAT,
				    "records.jsonl/proofs.jsonl: line %lld "
				    "missing",
				    (long long)st->records + 1);
			break;
		}
		st->records++;
		if ((rc = check_line(p, st, r, rlen, q, qlen,
			 (size_t)st->records)) != 0)
			break;
	}
out:
	lines_close(&rec);
	lines_close(&prf);
	return rc;
}

/* The summary, its renderings and the OSCAL file, recomputed. */
static int
check_recomputed(const struct pkg_in *p, struct ls_audit_acc *acc)
{
	static const char *const names[] = { "summary.json", "summary.md",
		"summary.html", "oscal/assessment-results.json" };
	struct ls_audit_pkg pk;
	json_t *sum = NULL;
	char *s = NULL, *have = NULL;
	size_t i, len;
	int rc;

	memset(&pk, 0, sizeof(pk));
	for (i = 0; i < 4; i++)
		ls_buf_init(&pk.files[i].data, LS_AUDIT_RECORDS_MAX);
	pk.n = 4;
	if ((rc = ls_audit_acc_finish(acc, &sum)) != 0)
		goto out;
	if ((s = json_dumps(sum, JSON_INDENT(1) | JSON_ENSURE_ASCII)) == NULL ||
	    ls_buf_addf(&pk.files[0].data, "%s\n", s) != 0 ||
	    ls_audit_render_md(&pk.files[1].data, sum) != 0 ||
	    ls_audit_render_html(&pk.files[2].data, sum) != 0 ||
	    ls_audit_oscal(&pk.files[3].data, sum) != 0) {
		rc = ls_error_set(LS_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; rc == 0 && i < 4; i++) {
		if ((rc = read_file(&have, &len, p, names[i],
			 LS_AUDIT_RECORDS_MAX)) != 0)
			break;
		if (len != pk.files[i].data.len ||
		    memcmp(have, pk.files[i].data.data, len) != 0)
			rc = ls_error_set(LS_EMISMATCH,
			    "%s: differs from what the records give", names[i]);
		free(have);
		have = NULL;
	}
out:
	free(s);
	json_decref(sum);
	ls_audit_pkg_cleanup(&pk);
	return rc;
}

int
ls_audit_verify(json_t **stats_out, const char *dir)
{
	struct pkg_in p;
	struct stream st;
	int rc;

	memset(&p, 0, sizeof(p));
	memset(&st, 0, sizeof(st));
	p.dir = dir;
	if (stats_out != NULL)
		*stats_out = NULL;
	if ((st.keys = json_object()) == NULL) {
		rc = ls_error_set(LS_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = check_manifest(&p)) == 0 &&
	    (rc = check_checkpoint(&p)) == 0 &&
	    (rc = ls_audit_acc_new(&st.acc, &p.o)) == 0 &&
	    (rc = check_records(&p, &st)) == 0)
		rc = check_recomputed(&p, st.acc);
	if (rc == 0 && stats_out != NULL)
		*stats_out = json_pack("{s:I, s:I, s:I, s:I}", "records",
		    st.records, "checkpoint_size", (json_int_t)p.size,
		    "agent_notes_verified", st.verified,
		    "agent_notes_without_key", st.skipped);
out:
	ls_keyset_cleanup(&p.log);
	ls_audit_acc_free(st.acc);
	json_decref(st.keys);
	return rc;
}
