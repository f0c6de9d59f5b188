/*
 * main.c - lockstep-server: wire the store, the HTTP daemon and the git
 * watcher together, then wait for SIGTERM or SIGINT.
 */
#include <limits.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <git2.h>
#include <jansson.h>
#include <sodium.h>

#include "agents.h"
#include "config.h"
#include "decisions.h"
#include "gitwatch.h"
#include "httpd.h"
#include "lockstep/error.h"
#include "lockstep/file.h"
#include "lockstep/timefmt.h"
#include "metrics.h"
#include "store.h"

static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;
static int log_json;
static struct ls_httpd *volatile httpd;

static void
log_line(void *arg, const char *level, const char *msg)
{
	char now[LS_TIME_LEN];
	json_t *j;
	char *s;

	(void)arg;
	ls_time_format(now, time(NULL));
	pthread_mutex_lock(&log_mu);
	if (log_json) {
		j = json_pack("{s:s, s:s, s:s}", "time", now, "level", level,
		    "msg", msg);
		s = j ? json_dumps(j, JSON_COMPACT) : NULL;
		if (s != NULL)
			fprintf(stderr, "%s\n", s);
		free(s);
		json_decref(j);
	} else {
		fprintf(stderr, "%s lockstep-server %s: %s\n", now, level, msg);
	}
	pthread_mutex_unlock(&log_mu);
}

static void
on_change(void *arg, const char *channel)
{
	struct ls_httpd *h = httpd;

	(void)arg;
	if (h != NULL)
		ls_httpd_changed(h, channel);
}

static int
write_port_file(const char *path, unsigned port)
{
	char text[64];
	int n = snprintf(text, sizeof(text), "127.0.0.1:%u\n", port);

	return ls_file_write_atomic(path, text, (size_t)n, 0644);
}

/* Every held long poll is a descriptor: use all the kernel allows us. */
static void
raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int
fail(const char *what)
{
	fprintf(stderr, "lockstep-server: %s%s%s\n", what,
	    ls_error_last()[0] ? ": " : "", ls_error_last());
	return 1;
}

/* Decision batches and exception counters (decisions.h); NULL on error. */
static struct ls_decisions *
decisions_open(struct ls_store *store)
{
	struct ls_decisions_opts o;
	struct ls_decisions *d = NULL;

	memset(&o, 0, sizeof(o));
	o.store = store;
	o.log = log_line;
	if (ls_decisions_open(&d, &o) != 0)
		return NULL;
	ls_metrics_set_extra(ls_decisions_metrics, d);
	return d;
}

static int
serve(struct ls_srv_config *cfg, sigset_t *sigs)
{
	char mirror[4096], msg[PATH_MAX + 256];
	struct ls_store_opts so = { cfg->data, cfg->keys, cfg->ttl, on_change,
		NULL };
	struct ls_httpd_opts ho;
	struct ls_gitwatch_opts go;
	struct ls_store *store = NULL;
	struct ls_httpd *h = NULL;
	struct ls_gitwatch *w = NULL;
	int sig = 0, rc = 1;

	if (ls_store_open(&store, &so) != 0)
		return fail("cannot open the data folder");
	ls_agents_set_budget(ls_store_agents(store), cfg->agent_writes,
	    cfg->agent_bytes);
	ls_evidence_set_compaction(ls_store_evidence(store), cfg->compact);
	if (cfg->enroll_token != NULL)
		log_line(NULL, "warn",
		    "--allow-shared-enroll-token: whoever holds the shared "
		    "enrolment token can enrol any agent name and write "
		    "evidence as that agent; prefer single-use tokens "
		    "(lockstep agent token NAME --ttl 1h)");
	memset(&ho, 0, sizeof(ho));
	ho.listen = cfg->listen;
	ho.store = store;
	if ((ho.decisions = decisions_open(store)) == NULL) {
		rc = fail("decision records");
		goto out;
	}
	ho.admin_token = cfg->admin_token;
	ho.auditor_token = cfg->auditor_token;
	ho.enroll_token = cfg->enroll_token;
	ho.tls_cert = cfg->tls_cert;
	ho.tls_key = cfg->tls_key;
	ho.listen_http = cfg->listen_http;
	ho.https_only = cfg->admin_https_only;
	ho.threads = cfg->threads;
	ho.per_ip_conns = cfg->per_ip_conns;
	ho.per_ip_polls = cfg->per_ip_polls;
	ho.timeout = cfg->req_timeout;
	ho.log = log_line;
	if (ls_httpd_start(&h, &ho) != 0) {
		rc = fail("http");
		goto out;
	}
	httpd = h;
	snprintf(mirror, sizeof(mirror), "%s/git", cfg->data);
	memset(&go, 0, sizeof(go));
	go.url = cfg->repo;
	go.mirror = mirror;
	go.channels = cfg->channels;
	go.nchannels = cfg->nchannels;
	go.interval = cfg->poll_interval;
	go.store = store;
	go.log = log_line;
	if (ls_gitwatch_start(&w, &go) != 0) {
		rc = fail(cfg->repo);
		goto out;
	}
	ls_httpd_set_watch(h, w);
	if (cfg->port_file != NULL &&
	    write_port_file(cfg->port_file, ls_httpd_port(h)) != 0) {
		rc = fail(cfg->port_file);
		goto out;
	}
	if (cfg->http_port_file != NULL &&
	    write_port_file(cfg->http_port_file, ls_httpd_http_port(h)) != 0) {
		rc = fail(cfg->http_port_file);
		goto out;
	}
	snprintf(msg, sizeof(msg),
	    "listening on port %u (%s)%s, data %s, origin %s", ls_httpd_port(h),
	    cfg->tls_cert ? "https" : "http",
	    cfg->admin_https_only ? ", admin and enrolment over https only"
				  : "",
	    cfg->data, ls_store_origin(store));
	log_line(NULL, "info", msg);
	sigwait(sigs, &sig);
	log_line(NULL, "info", "stopping");
	rc = 0;
out:
	if (h != NULL)
		ls_httpd_set_watch(h, NULL);
	ls_gitwatch_stop(w);
	httpd = NULL;
	ls_httpd_stop(h);
	ls_metrics_set_extra(NULL, NULL);
	ls_decisions_free(ho.decisions);
	/* The last entries get a checkpoint too. */
	if (store != NULL && ls_store_checkpoint(store) != 0)
		log_line(NULL, "error", ls_error_last());
	ls_store_free(store);
	return rc;
}

int
main(int argc, char **argv)
{
	struct ls_srv_config cfg;
	sigset_t sigs;
	int rc;

	/* No fastbins: a decision batch frees tens of thousands of small
	 * JSON nodes and then asks for large buffers, and glibc merges every
	 * fastbin chunk on each large request (malloc_consolidate was 10% of
	 * the server's CPU under bench/ingest.sh; a record costs 9% less
	 * without them). */
	(void)mallopt(M_MXFAST, 0);
	if (sodium_init() < 0) {
		fprintf(stderr,
		    "lockstep-server: libsodium failed to "
		    "initialise\n");
		return 1;
	}
	if (ls_srv_config_parse(&cfg, argc, argv) != 0) {
		fprintf(stderr, "lockstep-server: %s\n", ls_error_last());
		ls_srv_config_cleanup(&cfg);
		return 2;
	}
	if (cfg.help) {
		fputs(ls_srv_usage, stdout);
		ls_srv_config_cleanup(&cfg);
		return 0;
	}
	log_json = cfg.log_json;
	raise_fd_limit();
	/* Every thread started from here inherits the blocked signals;
	 * only sigwait() in serve() receives them. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	git_libgit2_init();
	rc = serve(&cfg, &sigs);
	git_libgit2_shutdown();
	ls_srv_config_cleanup(&cfg);
	return rc;
}
