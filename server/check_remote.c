/*
 * check_remote.c - `lockstep check --server`: the channel's bundle,
 * fetched, verified and activated by the agent's own update workflow
 * (root chain, timestamp, release, sha256 before extraction), with the
 * cache directory as the agent's state.  Linked only into the program
 * that carries the network stack (lockstep-ops).
 */
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../agent/agent.h"
#include "../agent/config.h"
#include "../agent/engine.h"
#include "check.h"
#include "lockstep/error.h"
#include "lockstep/file.h"
#include "lockstep/timefmt.h"

static volatile sig_atomic_t never_stop;

static void
quiet_log(void *ctx, const char *level, const char *event, const char *msg)
{
	(void)ctx;
	if (strcmp(level, "info") != 0)
		fprintf(stderr, "lockstep check: %s: %s\n", event, msg);
}

/* The default cache: $XDG_CACHE_HOME or ~/.cache, lockstep/CHANNEL. */
static int
default_cache(char *out, size_t cap, const char *channel)
{
	const char *x = getenv("XDG_CACHE_HOME"), *h = getenv("HOME");
	int n;

	if (x != NULL && x[0] == '/')
		n = snprintf(out, cap, "%s/lockstep/%s", x, channel);
	else if (h != NULL && h[0] == '/')
		n = snprintf(out, cap, "%s/.cache/lockstep/%s", h, channel);
	else
		return ls_error_set(LS_EINVAL,
		    "no HOME or XDG_CACHE_HOME: give --cache DIR");
	if (n < 0 || (size_t)n >= cap)
		return ls_error_set(LS_ETOOBIG, "cache path too long");
	return 0;
}

/*
 * The server unreachable: the release already verified into the cache
 * is checked while its timestamp is valid, as an agent that cannot
 * reach its server keeps enforcing it (freeze protection bounds it).
 * A verification failure is never this: only network errors.
 */
static int
cached_ok(int rc, const struct ls_engine *e)
{
	char until[LS_TIME_LEN], msg[512];

	if ((rc != LS_ENET && rc != LS_ETIMEOUT) || !e->has_state ||
	    !e->state.has_active || e->policy == NULL ||
	    e->state.timestamp_expires <= time(NULL))
		return 0;
	ls_time_format(until, e->state.timestamp_expires);
	snprintf(msg, sizeof(msg),
	    "server unreachable: checking with the cached release %s "
	    "(release %llu, its timestamp valid until %s)",
	    e->state.active.version, (unsigned long long)e->state.active.seq,
	    until);
	quiet_log(NULL, "warn", "offline", msg);
	return 1;
}

/* The release the engine enforces, for decision records. */
static void
bundle_info(struct ls_check_bundle *info, struct ls_engine *e)
{
	struct ls_engine_active *a = ls_engine_active(e);

	memset(info, 0, sizeof(*info));
	if (a == NULL)
		return;
	snprintf(info->channel, sizeof(info->channel), "%s", a->channel);
	snprintf(info->version, sizeof(info->version), "%s", a->version);
	snprintf(info->sha256, sizeof(info->sha256), "%s", a->sha256);
	info->seq = a->seq;
	ls_engine_active_unref(a);
}

/*
 * Run the agent's update workflow once with the cache as its state
 * directory: the same root chain, timestamp, release, bundle and
 * extraction checks, so CI runs the bytes admission runs.
 */
int
ls_check_fetch(struct ls_rego_policy **out, struct ls_check_bundle *info,
    const char *server, const char *root, const char *channel,
    const char *cache_dir, const char *cacert)
{
	char cache[PATH_MAX];
	struct ls_config cfg;
	struct ls_engine e;
	struct ls_agent *ag = NULL;
	static char args[15][PATH_MAX];
	char *argv[16];
	int argc, n, rc;

	if (cache_dir != NULL)
		snprintf(cache, sizeof(cache), "%s", cache_dir);
	else if ((rc = default_cache(cache, sizeof(cache), channel)) != 0)
		return rc;
	if ((rc = ls_file_mkdirs(cache, 0700)) != 0)
		return rc;
	{
		const char *words[] = { "lockstep-agent", "--server", server,
			"--root", root, "--state", cache, "--channel",
			channel, "--listen", "", "--once", "--no-reports",
			"--cacert", cacert };

		n = cacert != NULL ? 15 : 13;
		for (argc = 0; argc < n; argc++)
			if ((size_t)snprintf(args[argc], sizeof(args[argc]),
				"%s", words[argc]) >= sizeof(args[argc]))
				return ls_error_set(LS_ETOOBIG,
				    "%s: too long", words[argc]);
			else
				argv[argc] = args[argc];
	}
	argv[argc] = NULL;
	if ((rc = ls_config_parse(&cfg, argc, argv)) != 0)
		return rc;
	if ((rc = ls_engine_init(&e)) != 0)
		return rc;
	rc = ls_agent_new(&ag, &cfg, &e, quiet_log, NULL, &never_stop);
	if (rc == 0 && (rc = ls_agent_once(ag)) != 0 && cached_ok(rc, &e))
		rc = 0;
	if (rc == 0 && (*out = ls_engine_policy(&e)) == NULL)
		rc = ls_error_set(LS_ENOTFOUND, "%s: no bundle enforced",
		    channel);
	if (rc == 0 && info != NULL)
		bundle_info(info, &e);
	ls_agent_free(ag);
	ls_engine_cleanup(&e);
	return rc;
}

