/*
 * config.h - lockstep-agent's command line.
 *
 *   lockstep-agent --server URL [--server URL...] --root ROOT.note
 *       --state DIR --channel NAME [--enroll-token-file F] [--name ID]
 *       [--report-to URL] [--cacert F]
 *       [--listen HOST:PORT] [--port-file F] [--interval S]
 *       [--max-backoff S] [--long-poll S] [--low-speed-time S]
 *       [--queue-max N] [--on-activate CMD] [--once] [--log-json]
 *       [--admission-path P] [--admission-failure deny|allow]
 *       [--tls-cert F --tls-key F [--tls-client-ca F]]
 *       [--decision-timeout-ms N] [--decision-memory-max BYTES]
 *       [--max-conns-per-ip N]
 *       [--decision-log on|off]
 *       [--decision-input-max BYTES] [--decision-fsync-ms MS]
 *       [--decision-queue-max BYTES] [--evidence drop|required]
 *       (every --opt VALUE may also be written --opt=VALUE)
 *   lockstep-agent --state DIR status [--json]
 */
#ifndef LOCKSTEP_AGENT_CONFIG_H
#define LOCKSTEP_AGENT_CONFIG_H

#include <stddef.h>

#include "lockstep/doc.h"

#define LS_CONFIG_MAX_SERVERS 8
#define LS_CONFIG_URL_MAX 512

enum ls_config_cmd { LS_CMD_RUN, LS_CMD_STATUS, LS_CMD_HELP };

struct ls_config {
	enum ls_config_cmd cmd;
	const char *servers[LS_CONFIG_MAX_SERVERS]; /* argv strings */
	size_t nservers;
	const char *root;  /* trust anchor file */
	const char *state; /* state directory */
	const char *channel;
	const char *enroll_token;      /* from argv (visible in ps), or NULL */
	const char *enroll_token_file; /* single-use token, or NULL */
	const char *report_to;	       /* enrolment, reports and decision
				       batches; default
				       servers[0], never a mirror */
	const char *cacert;	       /* CA file for https://, or NULL */
	char name[LS_NAME_MAX + 1];    /* agent id ("" = from hostname) */
	const char *listen;	       /* default 127.0.0.1:8182, "" = off */
	const char *port_file;
	long interval;		 /* s between plain polls, default 30 */
	long max_backoff;	 /* s, default 60 */
	long long_poll;		 /* s asked per long poll, default 30 */
	long low_speed_time;	 /* s window for stalled downloads */
	long queue_max;		 /* reports kept while offline */
	const char *on_activate; /* shell command or NULL */
	/* the doors: admission, TLS, per-decision budget */
	const char *admission_path; /* rule path, default kubernetes/admission */
	int admission_fail_open;    /* --admission-failure=allow */
	const char *tls_cert, *tls_key; /* PEM; both or neither */
	const char *tls_client_ca; /* PEM; Data API needs a client cert */
	long decision_timeout_ms;  /* per decision, default 1000 */
	long decision_memory_max;  /* bytes per decision, default 64 MiB */
	long conns_per_ip;	   /* open connections per client, 32 */
	int no_reports; /* fetch and verify only (lockstep check) */
	int decision_log;	      /* 1 unless --decision-log=off */
	long decision_input_max;      /* bytes of input kept in a record */
	long decision_fsync_ms;	      /* group commit interval */
	long long decision_queue_max; /* bytes of unsent records */
	long decision_segment_max;    /* bytes before a batch closes */
	long decision_segment_ms;     /* age before a batch closes */
	int evidence_required;	      /* --evidence=required */
	int once;
	int log_json;
	int json; /* status --json */
};

/* Parse argv into *out (which points into argv).  LS_EINVAL with a
 * one-line message naming the option. */
int ls_config_parse(struct ls_config *out, int argc, char **argv);

/* A valid agent id from the host name ("agent" if none is usable). */
void ls_config_default_name(char out[LS_NAME_MAX + 1]);

extern const char ls_config_usage[];

#endif
