/* main.c - lockstep-agent: wiring of config, agent loop and local API. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "agent.h"
#include "config.h"
#include "engine.h"
#include "api.h"
#include "decmetrics.h"
#include "lockstep/error.h"
#include "lockstep/file.h"
#include "lockstep/timefmt.h"

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void
log_line(void *ctx, const char *level, const char *event, const char *msg)
{
	const struct ls_config *c = ctx;
	char now[LS_TIME_LEN], *line;
	json_t *o;

	if (!c->log_json) {
		fprintf(stderr, "lockstep-agent: %s: %s\n", level, msg);
		return;
	}
	ls_time_format(now, time(NULL));
	o = json_pack("{s:s, s:s, s:s, s:s, s:s}", "time", now, "level", level,
	    "event", event, "agent", c->name, "msg", msg);
	if (o != NULL &&
	    (line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER)) !=
		NULL) {
		fprintf(stderr, "%s\n", line);
		free(line);
	}
	json_decref(o);
}

static int
status_cmd(const struct ls_config *c)
{
	char *json = NULL;
	json_t *o;

	if (ls_agent_status(&json, c->state) != 0) {
		fprintf(stderr, "lockstep-agent: %s\n", ls_error_last());
		return 1;
	}
	if (c->json) {
		printf("%s\n", json);
	} else if ((o = json_loads(json, 0, NULL)) != NULL) {
		json_t *act = json_object_get(o, "active");

		printf("channel %s\nstate %s\n",
		    json_string_value(json_object_get(o, "channel")),
		    json_string_value(json_object_get(o, "state")));
		if (json_is_object(act))
			printf("active %s seq %lld sha256 %s since %s\n",
			    json_string_value(json_object_get(act, "version")),
			    (long long)json_integer_value(
				json_object_get(act, "seq")),
			    json_string_value(json_object_get(act, "sha256")),
			    json_string_value(
				json_object_get(act, "activated_at")));
		if (json_is_string(json_object_get(o, "last_error")))
			printf("last_error %s\n",
			    json_string_value(
				json_object_get(o, "last_error")));
		json_decref(o);
	}
	free(json);
	return 0;
}

static int
write_port_file(const char *path, const char *bound)
{
	char line[128];
	int n = snprintf(line, sizeof(line), "%s\n", bound);

	return ls_file_write_atomic(path, line, (size_t)n, 0644);
}

#define STOP_UPLOAD_MS 5000 /* a clean stop uploads for at most this */

/* Decision records: the log, the recorder and the uploader. */
static int
start_records(struct ls_decmetrics *m, const struct ls_config *c,
    struct ls_agent *a, struct ls_engine *e)
{
	struct ls_declog_opts lo;
	struct ls_decup_opts uo;
	int rc;

	memset(&lo, 0, sizeof(lo));
	lo.state_dir = c->state;
	lo.agent = ls_agent_name(a);
	lo.fsync_ms = c->decision_fsync_ms;
	lo.queue_max = (uint64_t)c->decision_queue_max;
	lo.required = c->evidence_required;
	lo.segment_max = (uint64_t)c->decision_segment_max;
	lo.segment_age_ms = c->decision_segment_ms;
	if (c->decision_log && (rc = ls_declog_open(&m->log, &lo)) != 0)
		return rc;
	if ((rc = ls_decrec_new(&m->rec, m->log,
		 (size_t)c->decision_input_max)) != 0)
		return rc;
	e->rec = m->rec;
	e->metrics = m;
	if (m->log == NULL)
		return 0;
	memset(&uo, 0, sizeof(uo));
	uo.report_to = c->report_to;
	uo.agent = ls_agent_name(a);
	uo.key = ls_agent_key(a);
	uo.log = m->log;
	uo.cacert = c->cacert;
	uo.max_backoff = c->max_backoff;
	uo.log_fn = log_line;
	uo.log_ctx = (void *)(uintptr_t)c;
	return ls_decup_start(&m->up, &uo);
}

static void
stop_records(struct ls_decmetrics *m, struct ls_engine *e)
{
	ls_decup_stop(m->up, STOP_UPLOAD_MS);
	ls_declog_close(m->log);
	e->rec = NULL;
	e->metrics = NULL;
	ls_decrec_free(m->rec);
	memset(m, 0, sizeof(*m));
}

static int
run(const struct ls_config *c)
{
	struct ls_decmetrics m;
	struct ls_api *h = NULL;
	struct ls_agent *a = NULL;
	struct ls_engine e;
	char bound[64];
	int rc, status = 1;

	memset(&m, 0, sizeof(m));

	if (ls_engine_init(&e) != 0) {
		fprintf(stderr, "lockstep-agent: %s\n", ls_error_last());
		return 1;
	}
	if ((rc = ls_agent_new(&a, c, &e, log_line, (void *)(uintptr_t)c,
		 &stop)) != 0)
		goto out;
	if (c->once) {
		rc = ls_agent_once(a);
		status = rc == 0 ? 0 : 1;
		goto out;
	}
	if ((rc = start_records(&m, c, a, &e)) != 0)
		goto out;
	if (c->listen[0] != '\0') {
		if ((rc = ls_api_start(&h, c, &e, bound,
			 sizeof(bound))) != 0)
			goto out;
		if (c->port_file != NULL &&
		    (rc = write_port_file(c->port_file, bound)) != 0)
			goto out;
	}
	status = ls_agent_run(a) == 0 ? 0 : 1;
out:
	if (rc != 0)
		fprintf(stderr, "lockstep-agent: %s\n", ls_error_last());
	ls_api_stop(h);
	stop_records(&m, &e);
	ls_agent_free(a);
	ls_engine_cleanup(&e);
	return status;
}

int
main(int argc, char **argv)
{
	struct ls_config c;
	struct sigaction sa;

	if (ls_config_parse(&c, argc, argv) != 0) {
		fprintf(stderr, "lockstep-agent: %s\n", ls_error_last());
		return 2;
	}
	if (c.cmd == LS_CMD_HELP) {
		fputs(ls_config_usage, stdout);
		return 0;
	}
	if (c.cmd == LS_CMD_STATUS)
		return status_cmd(&c);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	return run(&c);
}
