/*
 * config.h - lockstep-server's command line.
 */
#ifndef LOCKSTEP_SERVER_CONFIG_H
#define LOCKSTEP_SERVER_CONFIG_H

#include <stddef.h>

#include "gitwatch.h"

struct ls_srv_config {
	const char *repo_arg; /* as given */
	char *repo;	      /* owned: URL or absolute path */
	const char *keys, *data, *listen;
	struct ls_gitwatch_channel channels[LS_GITWATCH_MAX_CHANNELS];
	size_t nchannels;
	unsigned poll_interval; /* seconds, default 10 */
	unsigned ttl;		/* timestamp lifetime, default 3600 */
	unsigned threads;	/* HTTP threads, 0 = one per CPU */
	unsigned per_ip_conns;	/* connections an address, 0 = no limit */
	unsigned per_ip_polls;	/* held long polls an address, 0 = none */
	unsigned req_timeout;	/* s: idle connection, whole body */
	const char *admin_token_file, *enroll_token_file, *port_file;
	char *admin_token, *enroll_token; /* sodium_malloc, or NULL */
	const char *auditor_token_file;	  /* read-only evidence access */
	char *auditor_token;		  /* sodium_malloc, or NULL */
	int allow_shared_enroll;	  /* --enroll-token-file is usable */
	const char *tls_cert_file, *tls_key_file; /* HTTPS on --listen */
	char *tls_cert;				  /* PEM, malloc, or NULL */
	char *tls_key;		    /* PEM, sodium_malloc, or NULL */
	const char *listen_http;    /* extra plain HTTP listener */
	const char *http_port_file; /* its ADDRESS:PORT */
	int admin_https_only;	    /* refuse admin, enrolment over
					     plain HTTP */
	unsigned agent_writes;	    /* per key and minute, 0 = off */
	unsigned agent_bytes;	    /* per key and minute, 0 = off */
	int log_json;
	int compact; /* --compact-partitions */
	int help;
	/* decision batch bytes a minute per agent, 0 = none */
};

extern const char ls_srv_usage[];

/* Parse argv (tokens are read from their files).  LS_EINVAL naming the
 * option, LS_ENOTFOUND / LS_EFORMAT naming a token file. */
int ls_srv_config_parse(struct ls_srv_config *out, int argc, char **argv);
void ls_srv_config_cleanup(struct ls_srv_config *c);

#endif
