/* update.c - one pass of the agent update workflow (DESIGN.md 1-7). */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "activate.h"
#include "agent_int.h"
#include "lockstep/error.h"
#include "lockstep/file.h"
#include "lockstep/note.h"
#include "lockstep/root.h"
#include "verify.h"

extern char **environ;

#define HOOK_ENV_MAX 1024 /* environment entries passed on */

static int url_of(char *out, size_t sz, struct ls_agent *a, const char *fmt,
    ...) __attribute__((format(printf, 4, 5)));

static int
url_of(char *out, size_t sz, struct ls_agent *a, const char *fmt, ...)
{
	const char *base = a->cfg->servers[a->mirror];
	size_t blen = strlen(base);
	va_list ap;
	int n;

	while (blen > 0 && base[blen - 1] == '/')
		blen--;
	n = snprintf(out, sz, "%.*s", (int)blen, base);
	if (n < 0 || (size_t)n >= sz)
		return ls_error_set(LS_EINVAL, "URL too long");
	va_start(ap, fmt);
	n = vsnprintf(out + n, sz - (size_t)n, fmt, ap);
	va_end(ap);
	if (n < 0 || strlen(out) + 1 >= sz)
		return ls_error_set(LS_EINVAL, "URL too long");
	return 0;
}

/* GET a document (<= LS_NOTE_MAX); *status gets the HTTP status. */
static int
get_doc(struct ls_agent *a, struct ls_buf *b, long *status,
    struct ls_fetch_result *res, const char *url, const char *etag, long wait_s)
{
	int rc;

	if ((rc = ls_fetch_get(a->fetch, res, b, url, etag, wait_s)) < 0)
		return rc;
	*status = res->status;
	return 0;
}

/* Rule 2: walk root N+1, N+2, ... while the mirror has them; then the
 * newest root must not have expired at t (intermediate ones may, TUF). */
static int
update_root(struct ls_agent *a, time_t t)
{
	struct ls_fetch_result res;
	struct ls_state st;
	struct ls_root next;
	struct ls_buf b;
	char url[LS_CONFIG_URL_MAX], path[PATH_MAX];
	long status;
	int i, rc = 0;

	ls_buf_init(&b, LS_NOTE_MAX);
	for (i = 0; i < LS_VERIFY_MAX_ROOT_STEPS; i++) {
		if ((rc = url_of(url, sizeof(url), a, "/v1/root/%llu.note",
			 (unsigned long long)a->root.version + 1)) != 0 ||
		    (rc = get_doc(a, &b, &status, &res, url, NULL, 0)) != 0)
			break;
		if (status == 404)
			break;
		if (status != 200) {
			rc = ls_error_set(LS_ENET, "%s: HTTP %ld", url, status);
			break;
		}
		if ((rc = ls_verify_root_next(&next, &a->root, b.data,
			 b.len)) != 0)
			break;
		snprintf(path, sizeof(path), "%s/root.note", a->cfg->state);
		if ((rc = ls_file_write_atomic(path, b.data, b.len, 0644)) !=
		    0) {
			ls_root_cleanup(&next);
			break;
		}
		st = a->st;
		st.root_version = next.version;
		/* A new timestamp key resets the stored timestamp (TUF):
		 * the old seq could be a fast-forward we cannot undo. */
		if (ls_verify_role_changed(&a->root, &next,
			LS_ROLE_TIMESTAMP)) {
			st.timestamp_seq = 0;
			a->etag[0] = '\0';
		}
		/* Likewise a new release key: a release seq (and floor)
		 * signed by the old, perhaps stolen, key is forgotten. */
		if (ls_verify_role_changed(&a->root, &next, LS_ROLE_RELEASE)) {
			st.release_seq = 0;
			st.floor = 0;
		}
		ls_root_cleanup(&a->root);
		a->root = next;
		ls_agent_logf(a, "info", "root", "trusting root version %llu",
		    (unsigned long long)next.version);
		if ((rc = ls_agent_commit(a, &st)) != 0)
			break;
	}
	ls_buf_cleanup(&b);
	if (rc == 0 && (rc = ls_root_check_expiry(&a->root, t)) != 0)
		/* Freeze, as for an expired timestamp: keep enforcing. */
		ls_error_wrap(rc, "root (freeze, still enforcing %s)",
		    a->st.has_active ? a->st.active.version : "nothing");
	return rc;
}

static void
hook_env(char **env, size_t max, char *const extra[3])
{
	size_t n = 0, i;

	for (i = 0; environ[i] != NULL && n + 4 < max; i++)
		if (strncmp(environ[i], "LOCKSTEP_", 9) != 0)
			env[n++] = environ[i];
	for (i = 0; i < 3; i++)
		env[n++] = extra[i];
	env[n] = NULL;
}

/* Run --on-activate CMD with the bundle in its environment, bounded. */
static void
run_hook(struct ls_agent *a)
{
	char dir[PATH_MAX + 32], ver[LS_NAME_MAX + 32], sha[96];
	char *extra[3] = { dir, ver, sha }, **env;
	int status = 0, waited = 0;
	pid_t pid, w;

	if (a->cfg->on_activate == NULL)
		return;
	snprintf(dir, sizeof(dir), "LOCKSTEP_BUNDLE_DIR=%s/%s", a->cfg->state,
	    a->st.active.dir);
	snprintf(ver, sizeof(ver), "LOCKSTEP_VERSION=%s", a->st.active.version);
	snprintf(sha, sizeof(sha), "LOCKSTEP_SHA256=%s", a->st.active.sha256);
	if ((env = calloc(HOOK_ENV_MAX, sizeof(*env))) == NULL)
		return;
	hook_env(env, HOOK_ENV_MAX, extra);
	if ((pid = fork()) == 0) {
		execle("/bin/sh", "sh", "-c", a->cfg->on_activate, (char *)NULL,
		    env);
		_exit(127);
	}
	free(env);
	if (pid < 0) {
		ls_agent_logf(a, "error", "hook", "--on-activate: fork: %s",
		    strerror(errno));
		return;
	}
	while ((w = waitpid(pid, &status, WNOHANG)) == 0 &&
	    waited < LS_AGENT_HOOK_TIMEOUT * 10) {
		poll(NULL, 0, 100);
		waited++;
	}
	if (w == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		ls_agent_logf(a, "error", "hook",
		    "--on-activate: killed after "
		    "%d s",
		    LS_AGENT_HOOK_TIMEOUT);
	} else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		ls_agent_logf(a, "error", "hook",
		    "--on-activate: exit status "
		    "%d",
		    WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	}
}

/* Rule 5: download at most the signed length, check sha256. */
static int
download_bundle(struct ls_agent *a, const struct ls_release *rel,
    const char *tgz)
{
	struct ls_fetch_result res;
	uint8_t sha[LS_SHA256_LEN];
	char url[LS_CONFIG_URL_MAX];
	uint64_t got = 0;
	int fd, rc;

	if ((rc = url_of(url, sizeof(url), a, "/v1/bundles/%s.tar.gz",
		 rel->bundle_sha256)) != 0)
		return rc;
	if ((fd = open(tgz,
		 O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600)) <
	    0)
		return ls_error_set(LS_EIO, "%s: %s", tgz, strerror(errno));
	ls_agent_logf(a, "info", "download",
	    "fetching bundle %s (%llu "
	    "bytes)",
	    rel->bundle_sha256, (unsigned long long)rel->bundle_length);
	rc = ls_fetch_file(a->fetch, &res, url, fd, rel->bundle_length, sha,
	    &got);
	if (rc == 0)
		rc = ls_verify_bundle(rel, sha, got);
	close(fd);
	return rc;
}

/* Rules 5-7 for a verified release: bundle, extract, swap, commit. */
static int
activate_release(struct ls_agent *a, const struct ls_timestamp *ts,
    const struct ls_release *rel)
{
	struct ls_rego_policy *policy = NULL;
	struct ls_state st = a->st;
	char tgz[PATH_MAX], dir[96];
	struct timespec t0, t1;
	int rc, reuse;

	clock_gettime(CLOCK_MONOTONIC, &t0);

	reuse = a->st.has_active &&
	    strcmp(a->st.active.sha256, rel->bundle_sha256) == 0;
	if (reuse) {
		snprintf(dir, sizeof(dir), "%s", a->st.active.dir);
	} else {
		snprintf(tgz, sizeof(tgz), "%s/tmp/bundle.tar.gz",
		    a->cfg->state);
		if ((rc = download_bundle(a, rel, tgz)) != 0)
			goto out;
		ls_agent_logf(a, "info", "extract",
		    "extracting and compiling "
		    "%s",
		    rel->version);
		if ((rc = ls_activate_prepare(dir, sizeof(dir), &policy,
			 a->cfg->state, tgz, rel->bundle_sha256, rel->seq,
			 &a->lim)) != 0)
			goto out;
		unlink(tgz);
		ls_agent_logf(a, "info", "swap", "swapping current to %s", dir);
		if ((rc = ls_activate_swap(a->cfg->state, dir)) != 0)
			goto out;
	}
	st.has_active = 1;
	snprintf(st.active.version, sizeof(st.active.version), "%s",
	    rel->version);
	st.active.seq = rel->seq;
	snprintf(st.active.sha256, sizeof(st.active.sha256), "%s",
	    rel->bundle_sha256);
	st.active.activated_at = time(NULL);
	snprintf(st.active.dir, sizeof(st.active.dir), "%s", dir);
	st.release_seq = rel->seq;
	snprintf(st.release_sha256, sizeof(st.release_sha256), "%s",
	    ts->release_sha256);
	if (rel->floor > st.floor)
		st.floor = rel->floor;
	st.timestamp_seq = ts->seq;
	st.timestamp_expires = ts->expires;
	snprintf(st.state, sizeof(st.state), "active");
	st.last_error[0] = '\0';
	ls_agent_logf(a, "info", "commit", "writing state for release %llu",
	    (unsigned long long)rel->seq);
	if ((rc = ls_agent_commit(a, &st)) != 0) {
		/* Not committed: point current back at what state.json says. */
		ls_activate_prune(a->cfg->state,
		    a->st.has_active ? a->st.active.dir : NULL);
		goto out;
	}
	if (policy != NULL) {
		ls_engine_swap(a->engine, policy);
		policy = NULL;
	}
	ls_activate_prune(a->cfg->state, dir);
	/* Extraction and compilation freed a lot: give it back, an idle
	 * agent should hold little more than the policy. */
	malloc_trim(0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ls_agent_logf(a, "info", "activated",
	    "enforcing %s (release %llu, "
	    "bundle %s) after %ld ms of download, verification, extraction, "
	    "compilation and commit",
	    rel->version, (unsigned long long)rel->seq, rel->bundle_sha256,
	    (long)((t1.tv_sec - t0.tv_sec) * 1000 +
		(t1.tv_nsec - t0.tv_nsec) / 1000000));
	run_hook(a);
	ls_agent_report(a, "activation");
out:
	ls_rego_policy_unref(policy);
	return rc;
}

/* A new timestamp naming the release already applied: just record it. */
static int
apply_same_release(struct ls_agent *a, const struct ls_timestamp *ts)
{
	struct ls_state st = a->st;
	int was_active = strcmp(a->st.state, "active") == 0;
	int rc;

	st.timestamp_seq = ts->seq;
	st.timestamp_expires = ts->expires;
	snprintf(st.state, sizeof(st.state), "%s",
	    st.has_active ? "active" : "none");
	st.last_error[0] = '\0';
	if ((rc = ls_agent_commit(a, &st)) != 0)
		return rc;
	if (!was_active && st.has_active)
		ls_agent_report(a, "state");
	return 0;
}

/* Rules 4-7 once the timestamp is new and verified. */
static int
apply_timestamp(struct ls_agent *a, const struct ls_timestamp *ts, time_t t)
{
	struct ls_fetch_result res;
	struct ls_release rel;
	struct ls_buf b;
	char url[LS_CONFIG_URL_MAX];
	long status;
	int rc;

	if (a->st.has_active && ts->release_seq == a->st.release_seq &&
	    strcmp(ts->release_sha256, a->st.release_sha256) == 0)
		return apply_same_release(a, ts);
	ls_buf_init(&b, LS_NOTE_MAX);
	if ((rc = url_of(url, sizeof(url), a,
		 "/v1/channels/%s/releases/%llu.note", a->cfg->channel,
		 (unsigned long long)ts->release_seq)) != 0 ||
	    (rc = get_doc(a, &b, &status, &res, url, NULL, 0)) != 0)
		goto out;
	if (status != 200) {
		rc = ls_error_set(LS_ENET, "%s: HTTP %ld", url, status);
		goto out;
	}
	if ((rc = ls_verify_release(&rel, &a->root, ts, b.data, b.len,
		 a->cfg->channel, a->st.release_seq, a->st.floor, t)) != 0)
		goto out;
	if (rel.seq == a->st.release_seq &&
	    strcmp(ts->release_sha256, a->st.release_sha256) != 0)
		rc = ls_error_set(LS_ECONFLICT,
		    "release %llu: differs from "
		    "the one already applied",
		    (unsigned long long)rel.seq);
	else
		rc = activate_release(a, ts, &rel);
	ls_release_cleanup(&rel);
out:
	ls_buf_cleanup(&b);
	return rc;
}

/*
 * Was the answer really held: did it take at least half the wait asked
 * for?  A mirror may put "Preference-Applied: wait=" on an instant 304;
 * believing it would make the agent poll again at once, in a loop.
 */
static int
really_held(const struct timespec *t0, long wait_s)
{
	struct timespec t1;
	int64_t ms;

	if (wait_s <= 0)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (int64_t)(t1.tv_sec - t0->tv_sec) * 1000 +
	    (t1.tv_nsec - t0->tv_nsec) / 1000000;
	return ms >= (int64_t)wait_s * 1000 / 2;
}

/* Rule 3 and what follows; *outcome says whether anything changed. */
int
ls_agent_update(struct ls_agent *a, long wait_s, enum ls_agent_outcome *outcome)
{
	struct ls_fetch_result res;
	struct ls_timestamp ts;
	enum ls_verify_ts verdict;
	struct ls_buf b;
	struct timespec t0;
	char url[LS_CONFIG_URL_MAX];
	time_t t;
	long status;
	int rc;

	*outcome = LS_AGENT_NOTHING;
	a->held = 0;
	ls_buf_init(&b, LS_NOTE_MAX);
	if ((rc = update_root(a, time(NULL))) != 0)
		goto out;
	if (a->etag[0] == '\0')
		wait_s = 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if ((rc = url_of(url, sizeof(url), a, "/v1/channels/%s/timestamp.note",
		 a->cfg->channel)) != 0 ||
	    (rc = get_doc(a, &b, &status, &res, url, a->etag, wait_s)) != 0)
		goto out;
	/* Rule 1: one time T for every expiry check, fixed when the
	 * timestamp arrived (a long poll may have held it for wait_s). */
	t = time(NULL);
	a->held = res.held && really_held(&t0, wait_s);
	if (status == 304)
		goto out;
	if (status != 200) {
		rc = ls_error_set(status == 404 ? LS_ENOTFOUND : LS_ENET,
		    "%s: HTTP %ld", url, status);
		goto out;
	}
	if ((rc = ls_verify_timestamp(&ts, &verdict, &a->root, b.data, b.len,
		 a->cfg->channel, a->st.timestamp_seq, t)) != 0)
		goto out;
	if (verdict == LS_VERIFY_TS_SAME) {
		snprintf(a->etag, sizeof(a->etag), "%s", res.etag);
		goto out;
	}
	if ((rc = apply_timestamp(a, &ts, t)) != 0)
		goto out;
	snprintf(a->etag, sizeof(a->etag), "%s", res.etag);
	*outcome = LS_AGENT_CHANGED;
out:
	ls_buf_cleanup(&b);
	return rc;
}
