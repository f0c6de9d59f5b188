/* config.c - lockstep-agent's command line. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "lockstep/error.h"
#include "reports.h"

const char ls_config_usage[] =
    "usage: lockstep-agent --server URL [--server URL...] --root ROOT.note\n"
    "                      --state DIR --channel NAME [options]\n"
    "       lockstep-agent --state DIR status [--json]\n"
    "\n"
    "Fetches, verifies and activates the signed policy bundles of a channel,\n"
    "answers decisions on --listen and reports what it enforces.\n"
    "\n"
    "  --server URL         server or mirror base URL (repeat: tried in turn)\n"
    "  --root FILE          trusted root note (used until STATE holds a newer)\n"
    "  --state DIR          state directory (created; keys, bundles, queue)\n"
    "  --channel NAME       channel to follow\n"
    "  --report-to URL      the server that takes enrolment and reports\n"
    "                       (default: the first --server; never a mirror)\n"
    "  --enroll-token-file F  single-use enrolment token for this agent's\n"
    "                       name (lockstep agent token NAME), mode 0600\n"
    "  --enroll-token T     the same on the command line (visible in ps:\n"
    "                       prefer --enroll-token-file)\n"
    "  --cacert F           CA certificates (PEM) for https:// servers\n"
    "  --name ID            agent id (default: derived from the host name)\n"
    "  --listen HOST:PORT   status and decision API (default 127.0.0.1:8182,\n"
    "                       port 0 picks one, \"off\" disables it)\n"
    "  --port-file F        write the bound HOST:PORT to F\n"
    "  --interval S         seconds between polls when not long-polling (30)\n"
    "  --max-backoff S      cap of the back-off after errors (60)\n"
    "  --long-poll S        seconds a long poll may be held (30, 0 = off)\n"
    "  --low-speed-time S   abort a download slower than 1 KiB/s for S (10)\n"
    "  --queue-max N        reports kept on disk while offline (1000)\n"
    "  --on-activate CMD    run CMD (sh -c) after each activation\n"
    "  --admission-path P   rule path of POST /v1/admission\n"
    "                       (default kubernetes/admission)\n"
    "  --admission-failure deny|allow  answer when nothing can be decided\n"
    "                       (no bundle yet, policy error); default deny\n"
    "  --tls-cert F, --tls-key F  serve HTTPS (PEM; reloaded when the\n"
    "                       files change), TLS 1.2 or later\n"
    "  --tls-client-ca F    the Data API asks for a client certificate\n"
    "                       signed by this CA (admission does not)\n"
    "  --decision-timeout-ms N   time budget of one decision (1000)\n"
    "  --decision-memory-max B   memory budget of one decision (64 MiB)\n"
    "  --max-conns-per-ip N open connections one client may hold (32)\n"
    "  --no-reports         fetch, verify and activate only: no enrolment,\n"
    "                       no reports (what lockstep check --server does)\n"
    "  --decision-log on|off  decision records (on); off only for benchmarks\n"
    "  --decision-input-max N  input bytes kept in a record; larger inputs are\n"
    "                       logged as their sha256 only (65536)\n"
    "  --decision-fsync-ms MS  group commit interval of records (50)\n"
    "  --decision-queue-max N  bytes of records kept until uploaded (256 MiB)\n"
    "  --decision-segment-max N  bytes of one batch (1 MiB)\n"
    "  --decision-segment-ms MS  age at which a batch closes (5000)\n"
    "  --evidence drop|required  full queue: drop the oldest batches with a\n"
    "                       signed \"dropped\" record (drop), or answer\n"
    "                       decisions with HTTP 503 (required)\n"
    "  --once               one update attempt; exit 0 if the latest release\n"
    "                       is enforced\n"
    "  --log-json           log one JSON object per line on stderr\n"
    "  --help               this text\n";

/* Bounded decimal parse (no atoi on outside input). */
static int
parse_long(long *out, const char *opt, const char *s, long min, long max)
{
	long v = 0;
	const char *p = s;

	if (*p == '\0')
		return ls_error_set(LS_EINVAL, "%s: empty number", opt);
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			return ls_error_set(LS_EINVAL, "%s %s: not a number",
			    opt, s);
		if (v > (max - (*p - '0')) / 10)
			return ls_error_set(LS_EINVAL, "%s %s: above %ld", opt,
			    s, max);
		v = v * 10 + (*p - '0');
	}
	if (v < min)
		return ls_error_set(LS_EINVAL, "%s %s: below %ld", opt, s, min);
	*out = v;
	return 0;
}

void
ls_config_default_name(char out[LS_NAME_MAX + 1])
{
	char host[256];
	size_t i, j = 0;

	memset(host, 0, sizeof(host));
	if (gethostname(host, sizeof(host) - 1) != 0)
		host[0] = '\0';
	for (i = 0; host[i] != '\0' && j < LS_NAME_MAX; i++) {
		char c = host[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			(c >= '0' && c <= '9') || c == '.' || c == '_' ||
			c == '-'))
			c = '-';
		if (j == 0 && c == '.')
			continue;
		out[j++] = c;
	}
	out[j] = '\0';
	if (j == 0)
		snprintf(out, LS_NAME_MAX + 1, "agent");
}

static void
defaults(struct ls_config *c)
{
	memset(c, 0, sizeof(*c));
	c->cmd = LS_CMD_RUN;
	c->listen = "127.0.0.1:8182";
	c->interval = 30;
	c->max_backoff = 60;
	c->long_poll = 30;
	c->low_speed_time = 10;
	c->queue_max = LS_REPORTS_DEFAULT_MAX;
	c->admission_path = "kubernetes/admission";
	c->decision_timeout_ms = 1000;
	c->decision_memory_max = 64L << 20;
	c->conns_per_ip = 32;
	c->decision_log = 1;
	c->decision_input_max = 64 * 1024;
	c->decision_fsync_ms = 50;
	c->decision_queue_max = 256LL << 20;
	c->decision_segment_max = 1024 * 1024;
	c->decision_segment_ms = 5000;
}

/* The doors' options; LS_EINVAL for one that is not theirs either. */
static int
door_option(struct ls_config *c, const char *o, const char *v)
{
	if (strcmp(o, "--admission-path") == 0) {
		c->admission_path = v;
	} else if (strcmp(o, "--admission-failure") == 0) {
		if (strcmp(v, "deny") != 0 && strcmp(v, "allow") != 0)
			return ls_error_set(LS_EINVAL,
			    "--admission-failure %s: deny or allow", v);
		c->admission_fail_open = strcmp(v, "allow") == 0;
	} else if (strcmp(o, "--tls-cert") == 0) {
		c->tls_cert = v;
	} else if (strcmp(o, "--tls-key") == 0) {
		c->tls_key = v;
	} else if (strcmp(o, "--tls-client-ca") == 0) {
		c->tls_client_ca = v;
	} else if (strcmp(o, "--decision-timeout-ms") == 0) {
		return parse_long(&c->decision_timeout_ms, o, v, 1, 600000);
	} else if (strcmp(o, "--decision-memory-max") == 0) {
		return parse_long(&c->decision_memory_max, o, v, 1L << 20,
		    1L << 34);
	} else if (strcmp(o, "--max-conns-per-ip") == 0) {
		return parse_long(&c->conns_per_ip, o, v, 1, 100000);
	} else {
		return ls_error_set(LS_EINVAL, "%s: unknown option", o);
	}
	return 0;
}

static int
choice(int *out, const char *o, const char *v, const char *no, const char *yes)
{
	if (strcmp(v, no) == 0)
		*out = 0;
	else if (strcmp(v, yes) == 0)
		*out = 1;
	else
		return ls_error_set(LS_EINVAL, "%s %s: want %s or %s", o, v, no,
		    yes);
	return 0;
}

/* The decision record options. */
static int
decision_option(struct ls_config *c, const char *o, const char *v)
{
	long x = 0;
	int rc = 0;

	if (strcmp(o, "--decision-log") == 0)
		return choice(&c->decision_log, o, v, "off", "on");
	if (strcmp(o, "--evidence") == 0)
		return choice(&c->evidence_required, o, v, "drop", "required");
	if (strcmp(o, "--decision-input-max") == 0)
		return parse_long(&c->decision_input_max, o, v, 0, 1L << 30);
	if (strcmp(o, "--decision-fsync-ms") == 0)
		return parse_long(&c->decision_fsync_ms, o, v, 1, 10000);
	if (strcmp(o, "--decision-segment-max") == 0)
		return parse_long(&c->decision_segment_max, o, v, 1024,
		    1L << 30);
	if (strcmp(o, "--decision-segment-ms") == 0)
		return parse_long(&c->decision_segment_ms, o, v, 1, 3600000);
	if (strcmp(o, "--decision-queue-max") == 0) {
		rc = parse_long(&x, o, v, 4096, 1L << 40);
		c->decision_queue_max = x;
		return rc;
	}
	return 1;
}

static int
option(struct ls_config *c, const char *o, const char *v)
{
	int rc;

	if (strcmp(o, "--server") == 0) {
		if (c->nservers == LS_CONFIG_MAX_SERVERS)
			return ls_error_set(LS_EINVAL, "--server: at most %d",
			    LS_CONFIG_MAX_SERVERS);
		if (strncmp(v, "http://", 7) != 0 &&
		    strncmp(v, "https://", 8) != 0)
			return ls_error_set(LS_EINVAL,
			    "--server %s: want an "
			    "http:// or https:// URL",
			    v);
		if (strlen(v) > LS_CONFIG_URL_MAX - 128)
			return ls_error_set(LS_EINVAL,
			    "--server: URL too long");
		c->servers[c->nservers++] = v;
	} else if (strcmp(o, "--root") == 0) {
		c->root = v;
	} else if (strcmp(o, "--state") == 0) {
		c->state = v;
	} else if (strcmp(o, "--channel") == 0) {
		if (!ls_name_valid(v))
			return ls_error_set(LS_EINVAL,
			    "--channel %s: not a "
			    "valid name",
			    v);
		c->channel = v;
	} else if (strcmp(o, "--enroll-token") == 0) {
		c->enroll_token = v; /* the later of the two wins */
		c->enroll_token_file = NULL;
	} else if (strcmp(o, "--enroll-token-file") == 0) {
		c->enroll_token_file = v;
		c->enroll_token = NULL;
	} else if (strcmp(o, "--report-to") == 0) {
		if ((strncmp(v, "http://", 7) != 0 &&
			strncmp(v, "https://", 8) != 0) ||
		    strlen(v) > LS_CONFIG_URL_MAX - 128)
			return ls_error_set(LS_EINVAL,
			    "--report-to %s: want an http:// or https:// URL",
			    v);
		c->report_to = v;
	} else if (strcmp(o, "--cacert") == 0) {
		c->cacert = v;
	} else if (strcmp(o, "--name") == 0) {
		if (!ls_name_valid(v))
			return ls_error_set(LS_EINVAL,
			    "--name %s: not a valid "
			    "name",
			    v);
		snprintf(c->name, sizeof(c->name), "%s", v);
	} else if (strcmp(o, "--listen") == 0) {
		c->listen = strcmp(v, "off") == 0 ? "" : v;
	} else if (strcmp(o, "--port-file") == 0) {
		c->port_file = v;
	} else if (strcmp(o, "--interval") == 0) {
		return parse_long(&c->interval, o, v, 1, 86400);
	} else if (strcmp(o, "--max-backoff") == 0) {
		return parse_long(&c->max_backoff, o, v, 1, 86400);
	} else if (strcmp(o, "--long-poll") == 0) {
		return parse_long(&c->long_poll, o, v, 0, 3600);
	} else if (strcmp(o, "--low-speed-time") == 0) {
		return parse_long(&c->low_speed_time, o, v, 1, 3600);
	} else if (strcmp(o, "--queue-max") == 0) {
		return parse_long(&c->queue_max, o, v, 1, 1000000);
	} else if (strcmp(o, "--on-activate") == 0) {
		c->on_activate = v;
	} else if ((rc = decision_option(c, o, v)) != 1) {
		return rc;
	} else {
		return door_option(c, o, v);
	}
	return 0;
}

int
ls_config_parse(struct ls_config *c, int argc, char **argv)
{
	int i, rc;

	defaults(c);
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			c->cmd = LS_CMD_HELP;
			return 0;
		} else if (strcmp(a, "--no-reports") == 0) {
			c->no_reports = 1;
		} else if (strcmp(a, "--once") == 0) {
			c->once = 1;
		} else if (strcmp(a, "--log-json") == 0) {
			c->log_json = 1;
		} else if (strcmp(a, "--json") == 0) {
			c->json = 1;
		} else if (strcmp(a, "status") == 0) {
			c->cmd = LS_CMD_STATUS;
		} else if (strncmp(a, "--", 2) == 0 && strchr(a, '=') != NULL) {
			char opt[64];
			size_t k = (size_t)(strchr(a, '=') - a);

			if (k >= sizeof(opt))
				return ls_error_set(LS_EINVAL,
				    "%.60s: unknown option", a);
			memcpy(opt, a, k);
			opt[k] = '\0';
			if ((rc = option(c, opt, a + k + 1)) != 0)
				return rc;
		} else if (strncmp(a, "--", 2) == 0) {
			if (i + 1 >= argc)
				return ls_error_set(LS_EINVAL,
				    "%s: missing "
				    "value",
				    a);
			if ((rc = option(c, a, argv[++i])) != 0)
				return rc;
		} else {
			return ls_error_set(LS_EINVAL,
			    "%s: unexpected "
			    "argument",
			    a);
		}
	}
	if (c->state == NULL)
		return ls_error_set(LS_EINVAL, "--state DIR is required");
	if (c->cmd == LS_CMD_STATUS)
		return 0;
	if (c->nservers == 0 || c->root == NULL || c->channel == NULL)
		return ls_error_set(LS_EINVAL,
		    "--server, --root and --channel "
		    "are required (see --help)");
	if ((c->tls_cert == NULL) != (c->tls_key == NULL))
		return ls_error_set(LS_EINVAL,
		    "--tls-cert and --tls-key go together");
	if (c->tls_client_ca != NULL && c->tls_cert == NULL)
		return ls_error_set(LS_EINVAL,
		    "--tls-client-ca needs --tls-cert and --tls-key");
	if (c->name[0] == '\0')
		ls_config_default_name(c->name);
	if (c->report_to == NULL)
		c->report_to = c->servers[0];
	return 0;
}
