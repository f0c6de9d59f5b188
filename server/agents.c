/* agents.c - enrolled agent keys (one .pub file each) and report seqs. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agents.h"
#include "lockstep/doc.h"
#include "lockstep/error.h"
#include "lockstep/hash.h"
#include "lockstep/timefmt.h"
#include "lockstep/file.h"

#define NBUCKETS 4096

struct agent {
	struct agent *next;
	struct ls_vkey vk;    /* vk.name is the agent name */
	uint64_t last_seq;    /* last accepted report seq, 0 = none */
	double writes, bytes; /* budget left */
	int64_t refilled;     /* ms of the last refill, 0 = full */
};

struct ls_agents {
	pthread_mutex_t mu;
	char dir[PATH_MAX]; /* DATA/agents */
	struct agent *bucket[NBUCKETS];
	size_t count;
	unsigned writes_per_min; /* 0 = no limit */
	size_t bytes_per_min;	 /* 0 = no limit */
};

static unsigned
hash_name(const char *s)
{
	return (unsigned)(ls_fnv1a_str(s) % NBUCKETS);
}

static struct agent *
find(struct ls_agents *a, const char *name)
{
	struct agent *e;

	for (e = a->bucket[hash_name(name)]; e != NULL; e = e->next)
		if (strcmp(e->vk.name, name) == 0)
			return e;
	return NULL;
}

static int
insert(struct ls_agents *a, const struct ls_vkey *vk)
{
	struct agent *e;
	unsigned h;

	if (a->count >= LS_AGENTS_MAX)
		return ls_error_set(LS_ETOOBIG, "%s: more than %d agents",
		    a->dir, LS_AGENTS_MAX);
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return ls_error_set(LS_ENOMEM, "agents: out of memory");
	e->vk = *vk;
	h = hash_name(vk->name);
	e->next = a->bucket[h];
	a->bucket[h] = e;
	a->count++;
	return 0;
}

static int
load_one(struct ls_agents *a, const char *file)
{
	char path[PATH_MAX];
	struct ls_vkey vk;
	size_t n = strlen(file);
	int rc, k;

	if (n < 5 || strcmp(file + n - 4, ".pub") != 0)
		return 0;
	k = snprintf(path, sizeof(path), "%s/%s", a->dir, file);
	if (k < 0 || (size_t)k >= sizeof(path))
		return ls_error_set(LS_EINVAL, "%s: path too long", a->dir);
	if ((rc = ls_vkey_load(&vk, path)) != 0)
		return ls_error_wrap(rc, "%s", path);
	if (strlen(vk.name) != n - 4 || strncmp(vk.name, file, n - 4) != 0)
		return ls_error_set(LS_EFORMAT,
		    "%s: key name %s does not "
		    "match the file name",
		    path, vk.name);
	return insert(a, &vk);
}

int
ls_agents_open(struct ls_agents **out, const char *data_dir)
{
	struct ls_agents *a = NULL;
	struct dirent *de;
	DIR *d = NULL;
	int rc = 0, n;

	*out = NULL;
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return ls_error_set(LS_ENOMEM, "agents: out of memory");
	pthread_mutex_init(&a->mu, NULL);
	a->writes_per_min = LS_AGENTS_WRITES_PER_MIN;
	a->bytes_per_min = LS_AGENTS_BYTES_PER_MIN;
	n = snprintf(a->dir, sizeof(a->dir), "%s/agents", data_dir);
	if (n < 0 || (size_t)n >= sizeof(a->dir)) {
		rc = ls_error_set(LS_EINVAL, "%s: path too long", data_dir);
		goto out;
	}
	if ((rc = ls_file_mkdirs(a->dir, 0755)) != 0)
		goto out;
	if ((d = opendir(a->dir)) == NULL) {
		rc = ls_error_set(LS_EIO, "%s: %s", a->dir, strerror(errno));
		goto out;
	}
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.' && (rc = load_one(a, de->d_name)) != 0)
			goto out;
	*out = a;
	a = NULL;
out:
	if (d != NULL)
		closedir(d);
	ls_agents_free(a);
	return rc;
}

void
ls_agents_free(struct ls_agents *a)
{
	struct agent *e, *next;
	size_t i;

	if (a == NULL)
		return;
	for (i = 0; i < NBUCKETS; i++)
		for (e = a->bucket[i]; e != NULL; e = next) {
			next = e->next;
			free(e);
		}
	pthread_mutex_destroy(&a->mu);
	free(a);
}

static int
same_key(const struct ls_vkey *x, const struct ls_vkey *y)
{
	return strcmp(x->name, y->name) == 0 &&
	    memcmp(x->id, y->id, sizeof(x->id)) == 0 &&
	    memcmp(x->pub, y->pub, sizeof(x->pub)) == 0;
}

static int
write_key(struct ls_agents *a, const struct ls_vkey *vk)
{
	char path[PATH_MAX], text[LS_VKEY_TEXT_MAX + 1];
	size_t len;
	int n;

	n = snprintf(path, sizeof(path), "%s/%s.pub", a->dir, vk->name);
	if (n < 0 || (size_t)n >= sizeof(path))
		return ls_error_set(LS_EINVAL, "%s: path too long", a->dir);
	ls_vkey_format(text, vk);
	len = strlen(text);
	text[len++] = '\n';
	return ls_file_write_atomic(path, text, len, 0644);
}

int
ls_agents_enroll(struct ls_agents *a, const char *name,
    const struct ls_vkey *vk)
{
	struct agent *e;
	int rc = 0;

	if (!ls_name_valid(name) || strcmp(name, vk->name) != 0)
		return ls_error_set(LS_EINVAL,
		    "agent name '%s' is invalid or "
		    "differs from the key's name",
		    name);
	pthread_mutex_lock(&a->mu);
	if ((e = find(a, name)) != NULL) {
		rc = same_key(&e->vk, vk)
		    ? 1
		    : ls_error_set(LS_ECONFLICT,
			  "agent %s is enrolled with another key", name);
		goto out;
	}
	if ((rc = write_key(a, vk)) != 0)
		goto out;
	rc = insert(a, vk);
out:
	pthread_mutex_unlock(&a->mu);
	return rc;
}

int
ls_agents_key(struct ls_agents *a, const char *name, struct ls_vkey *out)
{
	struct agent *e;
	int rc = 0;

	pthread_mutex_lock(&a->mu);
	if ((e = find(a, name)) == NULL)
		rc = ls_error_set(LS_ENOTFOUND, "agent %s is not enrolled",
		    name);
	else
		*out = e->vk;
	pthread_mutex_unlock(&a->mu);
	return rc;
}

static int
seq_op(struct ls_agents *a, const char *name, uint64_t seq, int set)
{
	struct agent *e;
	int rc = 0;

	pthread_mutex_lock(&a->mu);
	if ((e = find(a, name)) == NULL)
		rc = ls_error_set(LS_ENOTFOUND, "agent %s is not enrolled",
		    name);
	else if (!set && seq <= e->last_seq)
		rc = ls_error_set(LS_EROLLBACK,
		    "agent %s: report seq %llu "
		    "is not above the last accepted %llu",
		    name, (unsigned long long)seq,
		    (unsigned long long)e->last_seq);
	else if (set && seq > e->last_seq)
		e->last_seq = seq;
	pthread_mutex_unlock(&a->mu);
	return rc;
}

int
ls_agents_check_seq(struct ls_agents *a, const char *name, uint64_t seq)
{
	return seq_op(a, name, seq, 0);
}

int
ls_agents_set_seq(struct ls_agents *a, const char *name, uint64_t seq)
{
	return seq_op(a, name, seq, 1);
}

size_t
ls_agents_count(struct ls_agents *a)
{
	size_t n;

	pthread_mutex_lock(&a->mu);
	n = a->count;
	pthread_mutex_unlock(&a->mu);
	return n;
}

static int
key_path(struct ls_agents *a, char path[PATH_MAX], const char *name)
{
	int n = snprintf(path, PATH_MAX, "%s/%s.pub", a->dir, name);

	if (n < 0 || n >= PATH_MAX)
		return ls_error_set(LS_EINVAL, "%s: path too long", a->dir);
	return 0;
}

int
ls_agents_remove(struct ls_agents *a, const char *name, struct ls_vkey *vk_out)
{
	struct agent **pp, *e;
	char path[PATH_MAX];
	int rc = 0;

	if (!ls_name_valid(name))
		return ls_error_set(LS_EINVAL, "agent name '%s' is invalid",
		    name);
	pthread_mutex_lock(&a->mu);
	for (pp = &a->bucket[hash_name(name)]; *pp != NULL; pp = &(*pp)->next)
		if (strcmp((*pp)->vk.name, name) == 0)
			break;
	if ((e = *pp) == NULL) {
		rc = ls_error_set(LS_ENOTFOUND, "agent %s is not enrolled",
		    name);
		goto out;
	}
	if ((rc = key_path(a, path, name)) != 0)
		goto out;
	if (unlink(path) < 0 && errno != ENOENT) {
		rc = ls_error_set(LS_EIO, "%s: %s", path, strerror(errno));
		goto out;
	}
	if ((rc = ls_file_fsync_dir(a->dir)) != 0)
		goto out;
	if (vk_out != NULL)
		*vk_out = e->vk;
	*pp = e->next;
	free(e);
	a->count--;
out:
	pthread_mutex_unlock(&a->mu);
	return rc;
}

void
ls_agents_reset_seq(struct ls_agents *a, const char *name)
{
	struct agent *e;

	pthread_mutex_lock(&a->mu);
	if ((e = find(a, name)) != NULL)
		e->last_seq = 0;
	pthread_mutex_unlock(&a->mu);
}

void
ls_agents_set_budget(struct ls_agents *a, unsigned writes_per_min,
    size_t bytes_per_min)
{
	pthread_mutex_lock(&a->mu);
	a->writes_per_min = writes_per_min;
	a->bytes_per_min = bytes_per_min;
	pthread_mutex_unlock(&a->mu);
}

/* Token buckets holding at most one minute's budget. */
static void
refill(struct ls_agents *a, struct agent *e, int64_t now)
{
	double mins =
	    e->refilled == 0 ? 1.0 : (double)(now - e->refilled) / 60000.0;

	e->writes += mins * a->writes_per_min;
	if (e->writes > a->writes_per_min)
		e->writes = a->writes_per_min;
	e->bytes += mins * (double)a->bytes_per_min;
	if (e->bytes > (double)a->bytes_per_min)
		e->bytes = (double)a->bytes_per_min;
	e->refilled = now;
}

void
ls_agents_debit(struct ls_agents *a, const char *name, size_t bytes)
{
	struct agent *e;

	pthread_mutex_lock(&a->mu);
	if ((e = find(a, name)) != NULL) {
		refill(a, e, ls_mono_ms());
		e->bytes -= (double)bytes;
	}
	pthread_mutex_unlock(&a->mu);
}

int
ls_agents_charge(struct ls_agents *a, const char *name, size_t bytes)
{
	struct agent *e;
	int rc = 0;

	pthread_mutex_lock(&a->mu);
	if ((e = find(a, name)) == NULL) {
		rc = ls_error_set(LS_ENOTFOUND, "agent %s is not enrolled",
		    name);
		goto out;
	}
	refill(a, e, ls_mono_ms());
	if ((a->writes_per_min != 0 && e->writes < 1.0) ||
	    (a->bytes_per_min != 0 && e->bytes < (double)bytes)) {
		rc = ls_error_set(LS_ELIMIT,
		    "agent %s spent its write budget (%u writes and %zu "
		    "bytes a minute): retry later",
		    name, a->writes_per_min, a->bytes_per_min);
		goto out;
	}
	e->writes -= 1.0;
	e->bytes -= (double)bytes;
out:
	pthread_mutex_unlock(&a->mu);
	return rc;
}
