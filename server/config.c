/* config.c - lockstep-server's command line. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "config.h"
#include "lockstep/error.h"
#include "lockstep/file.h"

#define TOKEN_MAX 4096

const char ls_srv_usage[] =
    "usage: lockstep-server --repo GIT_REPO --keys DIR --data DIR\n"
    "         [--listen 127.0.0.1:8181] [--channel NAME=GLOB]...\n"
    "         [--poll-interval S] [--timestamp-ttl S] [--threads N]\n"
    "         [--admin-token-file F] [--enroll-token-file F]\n"
    "         [--port-file F] [--log-json] [--decision-budget BYTES]\n"
    "\n"
    "Watches GIT_REPO (path or URL) for tags, builds each new tag matching a\n"
    "channel's glob (default stable=v*) into a signed release and serves the\n"
    "static layout under DATA/v1 over HTTP.  --keys holds release.key,\n"
    "timestamp.key, log.key and N.root.note.  --listen with port 0 picks a\n"
    "free port; --port-file then receives ADDRESS:PORT.  SIGTERM or SIGINT\n"
    "stop it cleanly.  --decision-budget is each agent's write budget for\n"
    "decision batches, in bytes a minute (default 1 GiB; 0: none).\n"
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
    "  POST /v1/enroll   (X-Lockstep-Enroll-Token)  one verifier key line\n"
    "  POST /v1/reports  a signed lockstep/report/v1 note (<= 64 KiB)\n"
    "  POST /v1/decisions  gzip JSON Lines, signed note in Lockstep-Batch\n"
    "  POST /v1/admin/refresh                  fetch now (no token)\n"
    "  POST /v1/admin/{pin,rollback,unpin,agents}, GET /v1/admin/status,\n"
    "       GET /v1/admin/overrides?since=DATE\n"
    "       (Authorization: Bearer TOKEN from --admin-token-file)\n";

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

static int
read_token(char **out, const char *path)
{
	char *text = NULL;
	size_t len = 0;
	int rc;

	if ((rc = ls_file_read(&text, &len, path, TOKEN_MAX)) != 0)
		return rc;
	while (len > 0 &&
	    (text[len - 1] == '\n' || text[len - 1] == '\r' ||
		text[len - 1] == ' '))
		len--;
	if (len == 0 || memchr(text, '\n', len) != NULL) {
		sodium_memzero(text, len);
		free(text);
		return ls_error_set(LS_EFORMAT,
		    "%s: expected one line with "
		    "the token",
		    path);
	}
	if ((*out = sodium_malloc(len + 1)) == NULL) {
		rc = ls_error_set(LS_ENOMEM, "out of memory");
	} else {
		memcpy(*out, text, len);
		(*out)[len] = '\0';
	}
	sodium_memzero(text, len);
	free(text);
	return rc;
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
	else if ((v = value(argc, argv, i, "--admin-token-file")) != NULL)
		c->admin_token_file = v;
	else if ((v = value(argc, argv, i, "--enroll-token-file")) != NULL)
		c->enroll_token_file = v;
	else if ((v = value(argc, argv, i, "--port-file")) != NULL)
		c->port_file = v;
	else if ((v = value(argc, argv, i, "--decision-budget")) != NULL)
		return parse_uint(&c->decision_budget, "--decision-budget", v,
		    0, 4000000000u);
	else
		return ls_error_set(LS_EINVAL, "%s: unknown option", argv[*i]);
	if (v != NULL && *v == '\0')
		return ls_error_set(LS_EINVAL, "%s: missing value", argv[*i]);
	return 0;
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
	c->decision_budget = 1024u << 20;
	for (i = 1; i < argc && rc == 0; i++)
		rc = parse_one(c, argc, argv, &i);
	if (rc != 0 || c->help)
		return rc;
	if (c->repo_arg == NULL || c->keys == NULL || c->data == NULL)
		return ls_error_set(LS_EINVAL,
		    "--repo, --keys and --data are "
		    "required (see --help)");
	if (c->nchannels == 0)
		rc = add_channel(c, "stable=v*");
	if (rc == 0)
		rc = resolve_repo(c);
	if (rc == 0 && c->admin_token_file != NULL)
		rc = read_token(&c->admin_token, c->admin_token_file);
	if (rc == 0 && c->enroll_token_file != NULL)
		rc = read_token(&c->enroll_token, c->enroll_token_file);
	return rc;
}

void
ls_srv_config_cleanup(struct ls_srv_config *c)
{
	free(c->repo);
	sodium_free(c->admin_token);
	sodium_free(c->enroll_token);
	c->repo = c->admin_token = c->enroll_token = NULL;
}
