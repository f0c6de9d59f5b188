/*
 * cli_operator.c - lockstep pin | rollback | unpin | status | agent add |
 * evidence verify.  With --server URL the action goes through the running
 * server's admin API (--token-file F holds the bearer token); with --data
 * DIR it is done on the data folder directly, which needs the server to be
 * stopped (the folder's lock file says who holds it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>
#include <sodium.h>

#include "checkpoint.h"
#include "cli.h"
#include "decisions.h"
#include "evidence.h"
#include "export.h"
#include "lockstep/buf.h"
#include "lockstep/error.h"
#include "lockstep/file.h"
#include "lockstep/key.h"
#include "lockstep/secret.h"
#include "lockstep/timefmt.h"
#include "store.h"

#define ANSWER_MAX (8u << 20)

struct opts {
	const char *server, *token_file, *data, *keys;
	const char *owner, *reason, *until, *floor, *ttl, *cacert, *since;
	const char *pos[3]; /* positional arguments */
	int npos, json, help;
};

static const char op_usage[] =
    "usage: lockstep %s CHANNEL%s --owner NAME --reason TEXT%s\n"
    "           [--floor N] (--server URL [--token-file F] [--cacert F] |\n"
    "            --data DIR --keys DIR)\n"
    "\n"
    "A new release seq that points at the bundle of an existing release;\n"
    "never a lower seq.  --until is the sunset date (YYYY-MM-DD or RFC 3339).\n";

static int
parse_opts(struct opts *o, int argc, char **argv, const char *cmd)
{
	static const char *names[] = { "--server", "--token-file", "--data",
		"--keys", "--owner", "--reason", "--until", "--floor", "--ttl",
		"--cacert", "--since" };
	const char **slots[] = { &o->server, &o->token_file, &o->data, &o->keys,
		&o->owner, &o->reason, &o->until, &o->floor, &o->ttl,
		&o->cacert, &o->since };
	size_t k;
	int i;

	memset(o, 0, sizeof(*o));
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0) {
			o->help = 1;
			continue;
		}
		if (strcmp(argv[i], "--json") == 0) {
			o->json = 1;
			continue;
		}
		for (k = 0; k < sizeof(names) / sizeof(names[0]); k++)
			if (strcmp(argv[i], names[k]) == 0)
				break;
		if (k < sizeof(names) / sizeof(names[0])) {
			if (i + 1 >= argc) {
				fprintf(stderr,
				    "lockstep %s: %s needs a "
				    "value\n",
				    cmd, argv[i]);
				return -1;
			}
			*slots[k] = argv[++i];
		} else if (argv[i][0] == '-' || o->npos >= 3) {
			fprintf(stderr,
			    "lockstep %s: %s: unexpected "
			    "argument\n",
			    cmd, argv[i]);
			return -1;
		} else {
			o->pos[o->npos++] = argv[i];
		}
	}
	return 0;
}

/* ---- through the admin API ---------------------------------------- */

static size_t
collect(char *p, size_t size, size_t n, void *arg)
{
	return ls_buf_add(arg, p, size * n) == 0 ? size * n : 0;
}

static int
read_token(char **out, const char *path)
{
	*out = NULL;
	return path == NULL ? 0 : ls_secret_read_token(out, path);
}

/*
 * One request to the server with timeouts.  *code_out gets the HTTP
 * status, answer the body (capped).  LS_ENET on transport failure.
 */
static int
http_call(struct ls_buf *answer, long *code_out, const struct opts *o,
    const char *method, const char *path, const char *body, const char *ctype)
{
	struct curl_slist *hdr = NULL;
	struct ls_buf url, auth;
	char *token = NULL, ct[128];
	CURL *c = NULL;
	CURLcode cc;
	int rc;

	ls_buf_init(&url, 4096);
	ls_buf_init(&auth, LS_SECRET_TOKEN_MAX + 64);
	if ((rc = read_token(&token, o->token_file)) != 0)
		goto out;
	if ((rc = ls_buf_addf(&url, "%s%s", o->server, path)) != 0)
		goto out;
	if ((c = curl_easy_init()) == NULL) {
		rc = ls_error_set(LS_ENOMEM, "curl: cannot initialise");
		goto out;
	}
	if (token != NULL) {
		if ((rc = ls_buf_addf(&auth, "Authorization: Bearer %s",
			 token)) != 0)
			goto out;
		hdr = curl_slist_append(hdr, auth.data);
	}
	snprintf(ct, sizeof(ct), "Content-Type: %s", ctype);
	hdr = curl_slist_append(hdr, ct);
	curl_easy_setopt(c, CURLOPT_URL, url.data);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 5L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	if (o->cacert != NULL)
		curl_easy_setopt(c, CURLOPT_CAINFO, o->cacert);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, answer);
	if (body != NULL)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	if ((cc = curl_easy_perform(c)) != CURLE_OK) {
		rc = ls_error_set(LS_ENET, "%s: %s", url.data,
		    curl_easy_strerror(cc));
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, code_out);
out:
	curl_slist_free_all(hdr);
	curl_easy_cleanup(c);
	if (auth.data != NULL)
		sodium_memzero(auth.data, auth.len);
	ls_buf_cleanup(&auth);
	ls_buf_cleanup(&url);
	ls_secret_free(token);
	return rc;
}

/* The server's {"error": ...} text, or the raw answer. */
static const char *
server_error(const struct ls_buf *answer, char *tmp, size_t tmpsz)
{
	json_t *j =
	    json_loadb(answer->data ? answer->data : "", answer->len, 0, NULL);
	const char *e = json_string_value(json_object_get(j, "error"));

	snprintf(tmp, tmpsz, "%s", e ? e : answer->data ? answer->data : "");
	tmp[strcspn(tmp, "\n")] = '\0';
	json_decref(j);
	return tmp;
}

static int
remote(const char *cmd, const struct opts *o, const char *method,
    const char *path, const char *body, const char *ctype, json_t **out)
{
	struct ls_buf answer;
	char tmp[512];
	long code = 0;

	if (out != NULL)
		*out = NULL;
	ls_buf_init(&answer, ANSWER_MAX);
	if (http_call(&answer, &code, o, method, path, body, ctype) != 0) {
		cli_fail(cmd, "%s", o->server);
		ls_buf_cleanup(&answer);
		return 1;
	}
	if (code < 200 || code > 299) {
		ls_error_clear();
		cli_fail(cmd, "%s: HTTP %ld: %s", o->server, code,
		    server_error(&answer, tmp, sizeof(tmp)));
		ls_buf_cleanup(&answer);
		return 1;
	}
	if (out != NULL)
		*out = json_loadb(answer.data ? answer.data : "", answer.len, 0,
		    NULL);
	ls_buf_cleanup(&answer);
	return 0;
}

/* ---- on the data folder ------------------------------------------- */

static int
open_store(struct ls_store **s, const char *cmd, const struct opts *o,
    int need_keys)
{
	struct ls_store_opts so;

	memset(&so, 0, sizeof(so));
	so.data_dir = o->data;
	so.keys_dir = o->keys;
	so.ttl = 3600;
	if (need_keys && o->keys == NULL) {
		ls_error_clear();
		cli_fail(cmd,
		    "--keys DIR is needed to sign on the data folder");
		return 1;
	}
	if (ls_store_open(s, &so) != 0) {
		cli_fail(cmd, "%s", o->data);
		return 1;
	}
	return 0;
}

static int
need_target(const char *cmd, const struct opts *o)
{
	if ((o->server == NULL) == (o->data == NULL)) {
		fprintf(stderr,
		    "lockstep %s: give exactly one of --server URL "
		    "or --data DIR\n",
		    cmd);
		return 1;
	}
	return 0;
}

static int
operator_cmd(int argc, char **argv, const char *action)
{
	const char *cmd = argv[0];
	int unpin = strcmp(action, "unpin") == 0;
	struct ls_store *s = NULL;
	struct ls_op op;
	struct opts o;
	json_t *body = NULL;
	char *text = NULL, path[64];
	int rc = 1;

	if (parse_opts(&o, argc, argv, cmd) != 0)
		return 2;
	if (o.help) {
		printf(op_usage, cmd, unpin ? " [VERSION]" : " VERSION",
		    unpin ? "" : " --until DATE");
		return 0;
	}
	if (o.npos < (unpin ? 1 : 2) || o.owner == NULL || o.reason == NULL ||
	    (!unpin && o.until == NULL)) {
		fprintf(stderr, op_usage, cmd,
		    unpin ? " [VERSION]" : " VERSION",
		    unpin ? "" : " --until DATE");
		return 2;
	}
	if (need_target(cmd, &o) != 0)
		return 2;
	memset(&op, 0, sizeof(op));
	op.action = action;
	op.channel = o.pos[0];
	op.version = unpin ? NULL : o.pos[1];
	op.owner = o.owner;
	op.reason = o.reason;
	if (o.until != NULL &&
	    ls_time_parse(&op.until, o.until, strlen(o.until)) != 0) {
		cli_fail(cmd, "--until %s", o.until);
		return 2;
	}
	if (o.floor != NULL) {
		char *end;

		op.floor = strtoull(o.floor, &end, 10);
		if (*end != '\0' || op.floor == 0) {
			fprintf(stderr,
			    "lockstep %s: --floor %s: expected a "
			    "positive number\n",
			    cmd, o.floor);
			return 2;
		}
	}
	if (o.server != NULL) {
		body = json_pack("{s:s, s:s?, s:s, s:s, s:s?, s:I}", "channel",
		    op.channel, "version", op.version, "owner", op.owner,
		    "reason", op.reason, "until", o.until, "floor",
		    (json_int_t)op.floor);
		text = body ? json_dumps(body, JSON_COMPACT) : NULL;
		snprintf(path, sizeof(path), "/v1/admin/%s", action);
		rc = text ? remote(cmd, &o, "POST", path, text,
				"application/json", NULL)
			  : 1;
		goto out;
	}
	if (open_store(&s, cmd, &o, 1) != 0)
		goto out;
	if (ls_store_operate(s, &op, NULL) != 0) {
		cli_fail(cmd, "%s", op.channel);
		goto out;
	}
	rc = 0;
out:
	ls_store_free(s);
	free(text);
	json_decref(body);
	return rc;
}

int
cli_pin(int argc, char **argv)
{
	return operator_cmd(argc, argv, "pin");
}

int
cli_rollback(int argc, char **argv)
{
	return operator_cmd(argc, argv, "rollback");
}

int
cli_unpin(int argc, char **argv)
{
	return operator_cmd(argc, argv, "unpin");
}

static void
print_status(json_t *st)
{
	json_t *chs = json_object_get(st, "channels"), *c, *pin;
	size_t i;

	printf("origin %s, %lld agents enrolled\n",
	    json_string_value(json_object_get(st, "origin")),
	    (long long)json_integer_value(json_object_get(st, "agents")));
	json_array_foreach(chs, i, c)
	{
		if (json_object_get(c, "seq") == NULL) {
			printf("%s: no release yet\n",
			    json_string_value(json_object_get(c, "name")));
			continue;
		}
		printf("%s: seq %lld serves %s (bundle %.12s, floor %lld, "
		       "timestamp %lld until %s)\n",
		    json_string_value(json_object_get(c, "name")),
		    (long long)json_integer_value(json_object_get(c, "seq")),
		    json_string_value(json_object_get(c, "version")),
		    json_string_value(json_object_get(c, "bundle")),
		    (long long)json_integer_value(json_object_get(c, "floor")),
		    (long long)json_integer_value(
			json_object_get(c, "timestamp_seq")),
		    json_string_value(json_object_get(c, "timestamp_expires")));
		pin = json_object_get(c, "pin");
		if (json_is_object(pin))
			printf("  %s by %s until %s%s: %s\n",
			    json_string_value(json_object_get(pin, "action")),
			    json_string_value(json_object_get(pin, "owner")),
			    json_string_value(json_object_get(pin, "until")),
			    json_is_true(json_object_get(pin, "active"))
				? ""
				: " (sunset passed)",
			    json_string_value(json_object_get(pin, "reason")));
		if (json_is_string(json_object_get(c, "held")))
			printf("  held back by the pin: %s\n",
			    json_string_value(json_object_get(c, "held")));
	}
}

int
cli_status(int argc, char **argv)
{
	struct ls_store *s = NULL;
	struct opts o;
	json_t *st = NULL;
	char *text;
	int rc = 1;

	if (parse_opts(&o, argc, argv, argv[0]) != 0)
		return 2;
	if (o.help) {
		printf("usage: lockstep status [--json] (--server URL "
		       "[--token-file F] | --data DIR)\n\nChannels, what each "
		       "serves, active pins and their sunset.\n");
		return 0;
	}
	if (need_target(argv[0], &o) != 0)
		return 2;
	if (o.server != NULL) {
		if (remote(argv[0], &o, "GET", "/v1/admin/status", NULL,
			"text/plain", &st) != 0)
			return 1;
	} else {
		if (open_store(&s, argv[0], &o, 0) != 0)
			return 1;
		if (ls_store_status(s, &st) != 0) {
			cli_fail(argv[0], "%s", o.data);
			goto out;
		}
	}
	if (st == NULL) {
		fprintf(stderr, "lockstep status: malformed answer\n");
		goto out;
	}
	if (o.json) {
		text = json_dumps(st, JSON_INDENT(2));
		if (text != NULL)
			printf("%s\n", text);
		free(text);
	} else {
		print_status(st);
	}
	rc = 0;
out:
	json_decref(st);
	ls_store_free(s);
	return rc;
}

static int
agent_add(const struct opts *o, const char *cmd)
{
	struct ls_store *s = NULL;
	struct ls_vkey vk;
	char text[LS_VKEY_TEXT_MAX + 1];
	size_t len;
	int rc;

	/* VKEY is the key text or a .pub file holding it. */
	if (ls_vkey_parse(&vk, o->pos[2], strlen(o->pos[2])) != 0 &&
	    ls_vkey_load(&vk, o->pos[2]) != 0) {
		cli_fail(cmd, "%s: not a verifier key or key file", o->pos[2]);
		return 1;
	}
	if (strcmp(vk.name, o->pos[1]) != 0) {
		ls_error_clear();
		cli_fail(cmd, "key name %s differs from agent name %s", vk.name,
		    o->pos[1]);
		return 1;
	}
	ls_vkey_format(text, &vk);
	len = strlen(text);
	if (o->server != NULL)
		return remote(cmd, o, "POST", "/v1/admin/agents", text,
		    "text/plain", NULL);
	if (open_store(&s, cmd, o, 0) != 0)
		return 1;
	rc = ls_store_enroll(s, text, len, "lockstep agent add");
	ls_store_free(s);
	if (rc < 0) {
		cli_fail(cmd, "%s", o->pos[1]);
		return 1;
	}
	return 0;
}

/* "90", "90s", "30m", "1h", "7d" into seconds; 0 when malformed. */
static unsigned
parse_ttl(const char *v)
{
	unsigned long n = 0, mul = 1;
	const char *p;

	for (p = v; *p >= '0' && *p <= '9'; p++)
		if ((n = n * 10 + (unsigned long)(*p - '0')) > 1000000000ul)
			return 0;
	if (p == v)
		return 0;
	if (*p == 'm')
		mul = 60;
	else if (*p == 'h')
		mul = 3600;
	else if (*p == 'd')
		mul = 86400;
	else if (*p != 's' && *p != '\0')
		return 0;
	if (*p != '\0' && p[1] != '\0')
		return 0;
	n *= mul;
	return n == 0 || n > LS_TOKEN_TTL_MAX ? 0 : (unsigned)n;
}

static int
agent_token(const struct opts *o, const char *cmd)
{
	char tok[LS_TOKEN_LEN + 1], exp[LS_TIME_LEN], body[256];
	unsigned ttl = parse_ttl(o->ttl ? o->ttl : "1h");
	struct ls_store *s = NULL;
	json_t *res = NULL;
	time_t expires;
	int rc = 1;

	if (ttl == 0) {
		fprintf(stderr,
		    "lockstep %s: --ttl %s: expected N, Ns, Nm, Nh or Nd, "
		    "up to 30 days\n",
		    cmd, o->ttl);
		return 2;
	}
	if (o->server != NULL) {
		snprintf(body, sizeof(body), "{\"name\":\"%s\",\"ttl\":%u}",
		    o->pos[1], ttl);
		if (remote(cmd, o, "POST", "/v1/admin/tokens", body,
			"application/json", &res) != 0)
			return 1;
		if (!json_is_string(json_object_get(res, "token"))) {
			fprintf(stderr, "lockstep %s: malformed answer\n", cmd);
		} else {
			printf("%s\n",
			    json_string_value(json_object_get(res, "token")));
			fprintf(stderr,
			    "token for agent %s, single use, expires "
			    "%s\n",
			    o->pos[1],
			    json_string_value(json_object_get(res, "expires")));
			rc = 0;
		}
		json_decref(res);
		return rc;
	}
	if (open_store(&s, cmd, o, 0) != 0)
		return 1;
	if (ls_store_token_create(s, tok, &expires, o->pos[1], ttl,
		"lockstep agent token") != 0) {
		cli_fail(cmd, "%s", o->pos[1]);
	} else {
		ls_time_format(exp, expires);
		printf("%s\n", tok);
		fprintf(stderr, "token for agent %s, single use, expires %s\n",
		    o->pos[1], exp);
		rc = 0;
	}
	sodium_memzero(tok, sizeof(tok));
	ls_store_free(s);
	return rc;
}

static int
agent_remove(const struct opts *o, const char *cmd)
{
	struct ls_store *s = NULL;
	char body[256];
	int rc;

	if (o->server != NULL) {
		snprintf(body, sizeof(body), "{\"name\":\"%s\"}", o->pos[1]);
		return remote(cmd, o, "POST", "/v1/admin/agents/remove", body,
		    "application/json", NULL);
	}
	if (open_store(&s, cmd, o, 0) != 0)
		return 1;
	rc = ls_store_agent_remove(s, o->pos[1], "lockstep agent remove");
	if (rc != 0)
		cli_fail(cmd, "%s", o->pos[1]);
	ls_store_free(s);
	return rc != 0;
}

static const char agent_usage[] =
    "usage: lockstep agent add NAME VKEY    TARGET\n"
    "       lockstep agent token NAME [--ttl 1h] TARGET\n"
    "       lockstep agent remove NAME      TARGET\n"
    "where TARGET is --server URL [--token-file F] [--cacert F] or "
    "--data DIR\n"
    "\nadd: enrol an agent: VKEY is its verifier key (NAME+HEXID+BASE64) "
    "or a .pub file.\n"
    "token: print a single-use enrolment token bound to NAME, valid for "
    "--ttl\n  (N, Ns, Nm, Nh or Nd; default 1h, at most 30d); the agent "
    "reads it with\n  --enroll-token-file.\n"
    "remove: forget NAME's key; it can write no more evidence.\n";

int
cli_agent(int argc, char **argv)
{
	struct opts o;
	const char *sub;
	int npos;

	if (parse_opts(&o, argc, argv, argv[0]) != 0)
		return 2;
	sub = o.npos > 0 ? o.pos[0] : "";
	npos = strcmp(sub, "add") == 0 ? 3 : 2;
	if (o.help || o.npos != npos ||
	    (strcmp(sub, "add") != 0 && strcmp(sub, "token") != 0 &&
		strcmp(sub, "remove") != 0) ||
	    (o.ttl != NULL && strcmp(sub, "token") != 0)) {
		fputs(agent_usage, o.help ? stdout : stderr);
		return o.help ? 0 : 2;
	}
	if (need_target("agent", &o) != 0)
		return 2;
	if (!ls_name_valid(o.pos[1])) {
		fprintf(stderr, "lockstep agent: %s: not a valid agent name\n",
		    o.pos[1]);
		return 2;
	}
	if (strcmp(sub, "token") == 0)
		return agent_token(&o, "agent");
	if (strcmp(sub, "remove") == 0)
		return agent_remove(&o, "agent");
	return agent_add(&o, "agent");
}

int
cli_evidence(int argc, char **argv)
{
	uint64_t n = 0, size = 0;
	int rc;

	if (argc == 2 &&
	    (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		printf(
		    "usage: lockstep evidence verify DATA_DIR\n\nCheck the "
		    "evidence store of DATA_DIR: every entry bundle against\n"
		    "its hash tiles, every tile against the tiles above, every "
		    "Hive partition\nfile against the entries it copies and "
		    "the index, and, when present,\nthat "
		    "evidence/checkpoint.note is signed by the log key and "
		    "matches\nthe tiles; exit 1 on any break.\n\n"
		    "       lockstep evidence export DATA_DIR OUT_DIR\n\n"
		    "Copy the Hive partitions (OUT_DIR/kind=K/framework=F/"
		    "control=C/year=Y/\nmonth=M/day=D/*.jsonl, entries as "
		    "logged) plus the signed checkpoint, for\nAthena, Trino "
		    "or DuckDB; a re-run adds what is new and removes the\nfiles the "
		    "server has merged since (--compact-partitions).\n\n"
		    "       lockstep evidence cat DATA_DIR\n\n"
		    "Print every acknowledged entry, one JSON line each, in "
		    "log order\n(safe while the server runs).\n");
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "cat") == 0) {
		if (ls_evidence_dump(argv[2], 1) != 0) {
			cli_fail("evidence", "cat");
			return 1;
		}
		return 0;
	}
	if (argc == 4 && strcmp(argv[1], "export") == 0) {
		size_t files = 0;

		if (ls_evidence_export(argv[2], argv[3], &files) != 0) {
			cli_fail("evidence", "export");
			return 1;
		}
		return 0;
	}
	if (argc != 3 || strcmp(argv[1], "verify") != 0) {
		fprintf(stderr,
		    "usage: lockstep evidence verify DATA_DIR\n"
		    "       lockstep evidence export DATA_DIR OUT_DIR\n"
		    "       lockstep evidence cat DATA_DIR\n");
		return 2;
	}
	if (ls_evidence_verify(argv[2], &n) != 0) {
		cli_fail("evidence", "verify");
		return 1;
	}
	/* The signed checkpoint, when there is one, must match the log. */
	rc = ls_checkpoint_verify(argv[2], &size);
	if (rc != 0 && rc != LS_ENOTFOUND) {
		cli_fail("evidence", "verify");
		return 1;
	}
	return 0;
}

/* ---- lockstep overrides ------------------------------------------- */

static void
print_list(json_t *arr)
{
	json_t *v;
	size_t i;

	json_array_foreach(arr, i, v)
	{
		printf("%s%s", i ? "," : "", json_string_value(v));
	}
	if (json_array_size(arr) == 0)
		printf("-");
}

static void
print_overrides(json_t *list)
{
	json_t *r, *left;
	size_t i;

	printf("USES\tEXCEPTION\tRULE\tCONTROLS\tOWNERS\tTICKETS\tSUNSET\t"
	       "DAYS LEFT\n");
	json_array_foreach(list, i, r)
	{
		printf("%lld\t%s\t%s\t",
		    (long long)json_integer_value(json_object_get(r, "count")),
		    json_string_value(json_object_get(r, "exception")),
		    json_string_value(json_object_get(r, "rule")));
		print_list(json_object_get(r, "controls"));
		putchar('\t');
		print_list(json_object_get(r, "owners"));
		putchar('\t');
		print_list(json_object_get(r, "tickets"));
		left = json_object_get(r, "days_left");
		printf("\t%s\t",
		    json_is_string(json_object_get(r, "expires"))
			? json_string_value(json_object_get(r, "expires"))
			: "-");
		if (json_is_integer(left))
			printf("%lld\n", (long long)json_integer_value(left));
		else
			printf("-\n");
	}
}

/* The list from the data folder (the server must be stopped). */
static int
overrides_local(const struct opts *o, time_t since, json_t **out)
{
	struct ls_decisions_opts dopts;
	struct ls_decisions *d = NULL;
	struct ls_store *s = NULL;
	int rc = 1;

	if (open_store(&s, "overrides", o, 0) != 0)
		return 1;
	memset(&dopts, 0, sizeof(dopts));
	dopts.store = s;
	if (ls_decisions_open(&d, &dopts) != 0 ||
	    ls_decisions_overrides(d, out, since, time(NULL)) != 0)
		cli_fail("overrides", "%s", o->data);
	else
		rc = 0;
	ls_decisions_free(d);
	ls_store_free(s);
	return rc;
}

static int
overrides_remote(const struct opts *o, json_t **out)
{
	struct ls_buf path;
	json_t *j = NULL;
	int rc;

	ls_buf_init(&path, 512);
	if (ls_buf_addf(&path, "/v1/admin/overrides?since=%s",
		o->since ? o->since : "") != 0) {
		ls_buf_cleanup(&path);
		cli_fail("overrides", "--since");
		return 1;
	}
	rc = remote("overrides", o, "GET", path.data, NULL, "text/plain", &j);
	ls_buf_cleanup(&path);
	if (rc == 0 &&
	    (*out = json_incref(json_object_get(j, "overrides"))) == NULL) {
		fprintf(stderr, "lockstep overrides: malformed answer\n");
		rc = 1;
	}
	json_decref(j);
	return rc;
}

int
cli_overrides(int argc, char **argv)
{
	struct opts o;
	json_t *list = NULL;
	time_t since = 0;
	char *text;
	int rc;

	if (parse_opts(&o, argc, argv, argv[0]) != 0)
		return 2;
	if (o.help) {
		printf("usage: lockstep overrides [--since DATE] [--json] "
		       "(--server URL [--token-file F] | --data DIR)\n\n"
		       "Exception uses in accepted decision records since "
		       "DATE, per exception and\nrule, most used first, with "
		       "owners, tickets, sunset and days left.\n");
		return 0;
	}
	if (need_target(argv[0], &o) != 0)
		return 2;
	if (o.since != NULL &&
	    ls_time_parse(&since, o.since, strlen(o.since)) != 0) {
		fprintf(stderr,
		    "lockstep overrides: --since %s: expected "
		    "YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ\n",
		    o.since);
		return 2;
	}
	rc = o.server != NULL ? overrides_remote(&o, &list)
			      : overrides_local(&o, since, &list);
	if (rc != 0)
		return rc;
	if (o.json) {
		if ((text = json_dumps(list, JSON_INDENT(2))) != NULL)
			printf("%s\n", text);
		free(text);
	} else {
		print_overrides(list);
	}
	json_decref(list);
	return 0;
}
