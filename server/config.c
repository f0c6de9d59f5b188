/* config.c - lockstep-server's command line. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "agents.h"
#include "config.h"
#include "httpd.h"
#include "lockstep/error.h"
#include "lockstep/file.h"
#include "lockstep/secret.h"

#define TLS_PEM_MAX (256 * 1024) /* a certificate chain or a key */

const char ls_srv_usage[] =
    "usage: lockstep-server --repo GIT_REPO --keys DIR --data DIR\n"
    "         [--listen 127.0.0.1:8181] [--channel NAME=GLOB]...\n"
    "         [--poll-interval S] [--timestamp-ttl S] [--threads N]\n"
    "         [--admin-token-file F] [--auditor-token-file F]\n"
    "         [--enroll-token-file F\n"
    "          --allow-shared-enroll-token]\n"
    "         [--agent-writes-per-min N] [--agent-bytes-per-min N]\n"
    "         [--port-file F] [--log-json]\n"
    "         [--tls-cert PEM --tls-key PEM [--listen-http ADDR:PORT\n"
    "          [--http-port-file F]] [--admin-https-only]]\n"
    "         [--max-conns-per-ip N] [--max-polls-per-ip N]\n"
    "         [--request-timeout S] [--compact-partitions]\n"
    "\n"
    "Watches GIT_REPO (path or URL) for tags, builds each new tag matching a\n"
    "channel's glob (default stable=v*) into a signed release and serves the\n"
    "static layout under DATA/v1 over HTTP.  --keys holds release.key,\n"
    "timestamp.key, log.key and N.root.note.  --listen with port 0 picks a\n"
    "free port; --port-file then receives ADDRESS:PORT.  SIGTERM or SIGINT\n"
    "stop it cleanly.\n"
    "\n"
    "With --tls-cert and --tls-key (PEM files; the key mode 0600) --listen\n"
    "serves HTTPS (TLS 1.2 or later); --listen-http adds a plain HTTP\n"
    "listener (for mirrors of the signed, static layout).  With\n"
    "--admin-https-only the admin and enrolment endpoints answer 403 on\n"
    "plain HTTP.\n"
    "\n"
    "Limits: one client address may hold --max-conns-per-ip connections\n"
    "(default 1024) and --max-polls-per-ip held long polls (default 512;\n"
    "past it a poll is answered at once); 0 lifts a limit.  A connection\n"
    "idle for --request-timeout seconds (default 10) is closed, and so is\n"
    "a request whose body takes longer than that.\n"
    "\n"
    "HTTP:\n"
    "  GET  /v1/root/N.note, /v1/channels/CH/releases/N.note,\n"
    "       /v1/bundles/SHA256.tar.gz          immutable, ETag, 304\n"
    "  GET  /v1/channels/CH/timestamp.note     ETag, 304; long poll with\n"
    "       If-None-Match and Prefer: wait=N (N <= 300)\n"
    "  GET  /bundles/CH                        OPA bundle service, ETag/304\n"
    "  GET  /health, /metrics                  Prometheus text\n"
    "  GET  /v1/evidence?since=&until=&agent=&channel=&kind=&control=\n"
    "  GET  /v1/evidence/checkpoint, /v1/evidence/proof?index=I[&size=N]\n"
    "  POST /v1/enroll   (X-Lockstep-Enroll-Token)  one verifier key line;\n"
    "       the token is a single-use one bound to the agent's name\n"
    "       (lockstep agent token NAME --ttl 1h), or the shared token of\n"
    "       --enroll-token-file, which lets its holder enrol ANY name and\n"
    "       so works only with --allow-shared-enroll-token\n"
    "  POST /v1/reports  a signed lockstep/report/v1 note (<= 64 KiB)\n"
    "  POST /v1/decisions  gzip JSON Lines, signed note in Lockstep-Batch\n"
    "  POST /v1/admin/refresh                  fetch now (no token)\n"
    "  POST /v1/admin/{pin,rollback,unpin,agents,agents/remove,tokens},\n"
    "       GET /v1/admin/status, GET /v1/admin/overrides?since=DATE\n"
    "       (Authorization: Bearer TOKEN from --admin-token-file)\n"
    "  GET  /v1/audit/status, /v1/audit/package?control=|framework=\n"
    "       &since=&until=[&silent_hours=]  (tar), /audit/ (the page)\n"
    "       With --auditor-token-file the evidence and audit routes take\n"
    "       its token (read-only; refused on every admin route) or the\n"
    "       admin token, and each auditor query is itself evidence\n"
    "       (kind audit_query; reads of the checkpoint, tiles and\n"
    "       consistency proofs once an hour, then counted in /metrics);\n"
    "       without it evidence stays public and the audit routes take\n"
    "       the admin token only.\n"
    "\n"
    "Each enrolled key may write at most --agent-writes-per-min reports and\n"
    "decision batches (default 600) and --agent-bytes-per-min bytes (default\n"
    "64 MiB) a minute; past that it gets 429 and nothing is stored.\n"
    "\n"
    "With --compact-partitions, the evidence store merges the small files of\n"
    "each Hive partition day that is over (two days old) into files of up to\n"
    "64 MiB when it is idle, and deletes the files it merged.  Files over\n"
    "three days old are never merged, so a copy that only adds files must\n"
    "take files over four days old only (rclone copy --min-age 4d).\n";

static int
parse_uint(unsigned *out, const char *opt, const char *v, unsigned lo,
    unsigned hi)
{
	unsigned long n = 0;
	const char *p;

	if (v == NULL || *v == '\0')
		return ls_error_set(LS_EINVAL, "%s: missing value", opt);
	for (p = v; *p != '\0'; p++) {
		if (*p < '0' || *p > '9' ||
		    (n = n * 10 + (unsigned long)(*p - '0')) > hi)
			return ls_error_set(LS_EINVAL,
			    "%s: expected a number "
			    "from %u to %u",
			    opt, lo, hi);
	}
	if (n < lo)
		return ls_error_set(LS_EINVAL,
		    "%s: expected a number from %u "
		    "to %u",
		    opt, lo, hi);
	*out = (unsigned)n;
	return 0;
}

static int
add_channel(struct ls_srv_config *c, const char *v)
{
	struct ls_gitwatch_channel *ch;
	const char *eq = strchr(v, '=');
	size_t n;

	if (c->nchannels >= LS_GITWATCH_MAX_CHANNELS)
		return ls_error_set(LS_EINVAL, "--channel: at most %d",
		    LS_GITWATCH_MAX_CHANNELS);
	if (eq == NULL || eq == v || eq[1] == '\0')
		return ls_error_set(LS_EINVAL,
		    "--channel %s: expected "
		    "NAME=GLOB",
		    v);
	ch = &c->channels[c->nchannels];
	n = (size_t)(eq - v);
	if (n > LS_NAME_MAX || strlen(eq + 1) > LS_NAME_MAX)
		return ls_error_set(LS_EINVAL, "--channel %s: too long", v);
	memcpy(ch->name, v, n);
	ch->name[n] = '\0';
	if (!ls_name_valid(ch->name))
		return ls_error_set(LS_EINVAL,
		    "--channel %s: bad channel "
		    "name",
		    v);
	snprintf(ch->glob, sizeof(ch->glob), "%s", eq + 1);
	c->nchannels++;
	return 0;
}

/* "--opt value" or "--opt=value"; *i advances past what was used. */
static const char *
value(int argc, char **argv, int *i, const char *opt)
{
	size_t n = strlen(opt);

	if (strncmp(argv[*i], opt, n) == 0 && argv[*i][n] == '=')
		return argv[*i] + n + 1;
	if (strcmp(argv[*i], opt) != 0)
		return NULL;
	if (*i + 1 >= argc || argv[*i + 1] == NULL)
		return "";
	return argv[++*i];
}

static int
parse_one(struct ls_srv_config *c, int argc, char **argv, int *i)
{
	const char *v = NULL;

	if (strcmp(argv[*i], "--help") == 0 || strcmp(argv[*i], "-h") == 0)
		c->help = 1;
	else if (strcmp(argv[*i], "--log-json") == 0)
		c->log_json = 1;
	else if (strcmp(argv[*i], "--compact-partitions") == 0)
		c->compact = 1;
	else if (strcmp(argv[*i], "--allow-shared-enroll-token") == 0)
		c->allow_shared_enroll = 1;
	else if ((v = value(argc, argv, i, "--agent-writes-per-min")) != NULL)
		return parse_uint(&c->agent_writes, "--agent-writes-per-min", v,
		    0, 1000000000);
	else if ((v = value(argc, argv, i, "--agent-bytes-per-min")) != NULL)
		return parse_uint(&c->agent_bytes, "--agent-bytes-per-min", v,
		    0, 4000000000u);
	else if ((v = value(argc, argv, i, "--repo")) != NULL)
		c->repo_arg = v;
	else if ((v = value(argc, argv, i, "--keys")) != NULL)
		c->keys = v;
	else if ((v = value(argc, argv, i, "--data")) != NULL)
		c->data = v;
	else if ((v = value(argc, argv, i, "--listen")) != NULL)
		c->listen = v;
	else if ((v = value(argc, argv, i, "--channel")) != NULL)
		return add_channel(c, v);
	else if ((v = value(argc, argv, i, "--poll-interval")) != NULL)
		return parse_uint(&c->poll_interval, "--poll-interval", v, 1,
		    86400);
	else if ((v = value(argc, argv, i, "--timestamp-ttl")) != NULL)
		return parse_uint(&c->ttl, "--timestamp-ttl", v, 2, 30 * 86400);
	else if ((v = value(argc, argv, i, "--threads")) != NULL)
		return parse_uint(&c->threads, "--threads", v, 1, 256);
	else if ((v = value(argc, argv, i, "--max-conns-per-ip")) != NULL)
		return parse_uint(&c->per_ip_conns, "--max-conns-per-ip", v, 0,
		    LS_HTTPD_CONN_MAX);
	else if ((v = value(argc, argv, i, "--max-polls-per-ip")) != NULL)
		return parse_uint(&c->per_ip_polls, "--max-polls-per-ip", v, 0,
		    LS_HTTPD_CONN_MAX);
	else if ((v = value(argc, argv, i, "--request-timeout")) != NULL)
		return parse_uint(&c->req_timeout, "--request-timeout", v,
		    1, 3600);
	else if ((v = value(argc, argv, i, "--admin-token-file")) != NULL)
		c->admin_token_file = v;
	else if ((v = value(argc, argv, i, "--auditor-token-file")) != NULL)
		c->auditor_token_file = v;
	else if ((v = value(argc, argv, i, "--enroll-token-file")) != NULL)
		c->enroll_token_file = v;
	else if ((v = value(argc, argv, i, "--port-file")) != NULL)
		c->port_file = v;
	else if ((v = value(argc, argv, i, "--tls-cert")) != NULL)
		c->tls_cert_file = v;
	else if ((v = value(argc, argv, i, "--tls-key")) != NULL)
		c->tls_key_file = v;
	else if ((v = value(argc, argv, i, "--listen-http")) != NULL)
		c->listen_http = v;
	else if ((v = value(argc, argv, i, "--http-port-file")) != NULL)
		c->http_port_file = v;
	else if (strcmp(argv[*i], "--admin-https-only") == 0)
		c->admin_https_only = 1;
	else
		return ls_error_set(LS_EINVAL, "%s: unknown option", argv[*i]);
	if (v != NULL && *v == '\0')
		return ls_error_set(LS_EINVAL, "%s: missing value", argv[*i]);
	return 0;
}

/* The certificate chain and its key (a secret file: mode checked). */
static int
read_tls(struct ls_srv_config *c)
{
	int rc;

	if ((c->tls_cert_file == NULL) != (c->tls_key_file == NULL))
		return ls_error_set(LS_EINVAL,
		    "--tls-cert and --tls-key go together");
	if (c->tls_cert_file == NULL) {
		if (c->admin_https_only || c->listen_http != NULL)
			return ls_error_set(LS_EINVAL,
			    "--admin-https-only and --listen-http need "
			    "--tls-cert and --tls-key");
		return 0;
	}
	if (c->http_port_file != NULL && c->listen_http == NULL)
		return ls_error_set(LS_EINVAL,
		    "--http-port-file needs --listen-http");
	if ((rc = ls_file_read(&c->tls_cert, NULL, c->tls_cert_file,
		 TLS_PEM_MAX)) != 0)
		return ls_error_wrap(rc, "--tls-cert");
	return ls_secret_read(&c->tls_key, NULL, c->tls_key_file, TLS_PEM_MAX);
}

static int
resolve_repo(struct ls_srv_config *c)
{
	char abs[PATH_MAX];

	if (strstr(c->repo_arg, "://") != NULL)
		c->repo = strdup(c->repo_arg);
	else if (realpath(c->repo_arg, abs) == NULL)
		return ls_error_set(LS_ENOTFOUND,
		    "--repo %s: no such "
		    "repository",
		    c->repo_arg);
	else
		c->repo = strdup(abs);
	return c->repo == NULL ? ls_error_set(LS_ENOMEM, "out of memory") : 0;
}

int
ls_srv_config_parse(struct ls_srv_config *c, int argc, char **argv)
{
	int i, rc = 0;

	memset(c, 0, sizeof(*c));
	c->listen = "127.0.0.1:8181";
	c->poll_interval = 10;
	c->ttl = 3600;
	c->agent_writes = LS_AGENTS_WRITES_PER_MIN;
	c->agent_bytes = LS_AGENTS_BYTES_PER_MIN;
	c->per_ip_conns = LS_HTTPD_PER_IP_CONNS;
	c->per_ip_polls = LS_HTTPD_PER_IP_POLLS;
	c->req_timeout = LS_HTTPD_TIMEOUT;
	for (i = 1; i < argc && rc == 0; i++)
		rc = parse_one(c, argc, argv, &i);
	if (rc != 0 || c->help)
		return rc;
	if (c->repo_arg == NULL || c->keys == NULL || c->data == NULL)
		return ls_error_set(LS_EINVAL,
		    "--repo, --keys and --data are "
		    "required (see --help)");
	if (c->enroll_token_file != NULL && !c->allow_shared_enroll)
		return ls_error_set(LS_EINVAL,
		    "--enroll-token-file %s: one token shared by every agent "
		    "lets its holder enrol any agent's name; give agents "
		    "single-use tokens (lockstep agent token NAME) or pass "
		    "--allow-shared-enroll-token",
		    c->enroll_token_file);
	if (c->nchannels == 0)
		rc = add_channel(c, "stable=v*");
	if (rc == 0)
		rc = resolve_repo(c);
	if (rc == 0)
		rc = read_tls(c);
	if (rc == 0 && c->admin_token_file != NULL)
		rc = ls_secret_read_token(&c->admin_token, c->admin_token_file);
	if (rc == 0 && c->auditor_token_file != NULL)
		rc = ls_secret_read_token(&c->auditor_token,
		    c->auditor_token_file);
	if (rc == 0 && c->enroll_token_file != NULL)
		rc = ls_secret_read_token(&c->enroll_token,
		    c->enroll_token_file);
	return rc;
}

void
ls_srv_config_cleanup(struct ls_srv_config *c)
{
	free(c->repo);
	free(c->tls_cert);
	ls_secret_free(c->tls_key);
	c->tls_cert = c->tls_key = NULL;
	ls_secret_free(c->admin_token);
	ls_secret_free(c->enroll_token);
	ls_secret_free(c->auditor_token);
	c->auditor_token = NULL;
	c->repo = c->admin_token = c->enroll_token = NULL;
}
