/* admq.c - the admission door's prepared queries (admq.h). */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admq.h"
#include "engine.h"
#include "lockstep/error.h"

#define QUERY_MAX (1u << 20)

struct ls_admq {
	pthread_mutex_t mu; /* writers; readers use n */
	size_t n;	    /* atomic: entries published */
	struct ls_admq_entry *e[LS_ADMQ_PATHS_MAX];
};

static const char *const rules[LS_ADMQ_DOCS] = { "deny", "violation", "warn",
	"allow" };

int
ls_admq_rule_ref(struct ls_buf *b, const char *path)
{
	const char *s = path;
	int rc = ls_buf_adds(b, "data");

	while (rc == 0 && *s != '\0') {
		const char *e = strchr(s, '/');
		size_t n = e ? (size_t)(e - s) : strlen(s), i;
		int ident = n > 0 && !isdigit((unsigned char)s[0]);

		for (i = 0; i < n; i++) {
			if (!isalnum((unsigned char)s[i]) && s[i] != '_' &&
			    s[i] != '-')
				return -1;
			ident &= s[i] != '-';
		}
		if (n > 0)
			rc = ident ? ls_buf_addf(b, ".%.*s", (int)n, s)
				   : ls_buf_addf(b, "[\"%.*s\"]", (int)n, s);
		s += n + (e != NULL);
	}
	return rc;
}

int
ls_admq_new(struct ls_admq **out)
{
	*out = calloc(1, sizeof(**out));
	if (*out == NULL)
		return ls_error_set(LS_ENOMEM, "admission: out of memory");
	pthread_mutex_init(&(*out)->mu, NULL);
	return 0;
}

void
ls_admq_entry_free(struct ls_admq_entry *e)
{
	if (e == NULL)
		return;
	ls_rego_prepared_free(e->plain);
	ls_rego_prepared_free(e->leaves);
	free(e->path);
	free(e);
}

void
ls_admq_free(struct ls_admq *q)
{
	size_t i;

	if (q == NULL)
		return;
	for (i = 0; i < q->n; i++)
		ls_admq_entry_free(q->e[i]);
	pthread_mutex_destroy(&q->mu);
	free(q);
}

/* ", [x | x := REF]" of a dotted leaf path ("data.a.b.violation"). */
static int
add_leaf(struct ls_buf *q, const char *dotted)
{
	char slash[1024];
	size_t i;

	if (strncmp(dotted, "data.", 5) != 0 ||
	    strlen(dotted + 5) >= sizeof(slash))
		return -1;
	for (i = 0; dotted[5 + i] != '\0'; i++)
		slash[i] = dotted[5 + i] == '.' ? '/' : dotted[5 + i];
	slash[i] = '\0';
	if (ls_buf_adds(q, ", [x | x := ") != 0 ||
	    ls_admq_rule_ref(q, slash) != 0)
		return -1;
	return ls_buf_adds(q, "]");
}

/* The four rules' query, then (lv not NULL) with lv's leaves. */
static int
prepare(struct ls_rego_prepared **out, const struct ls_rego_policy *p,
    const char *ref, const struct ls_dectab_leaves *lv)
{
	struct ls_buf q;
	size_t k;
	int rc;

	ls_buf_init(&q, QUERY_MAX);
	rc = ls_buf_adds(&q, "[");
	for (k = 0; k < LS_ADMQ_DOCS && rc == 0; k++)
		rc = ls_buf_addf(&q, "%s[x | x := %s.%s]", k ? ", " : "", ref,
		    rules[k]);
	for (k = 0; lv != NULL && k < lv->n && rc == 0; k++)
		rc = add_leaf(&q, lv->paths[k]);
	if (rc == 0)
		rc = ls_buf_adds(&q, "]");
	if (rc == 0)
		rc = ls_rego_prepare(out, p, q.data);
	ls_buf_cleanup(&q);
	return rc;
}

static int
entry_new(struct ls_admq_entry **out, struct ls_engine_active *a,
    const char *path)
{
	struct ls_admq_entry *e = calloc(1, sizeof(*e));
	char deny[LS_ADMQ_PATH_MAX + 8];
	struct ls_buf ref;
	int rc = 0;

	*out = NULL;
	ls_buf_init(&ref, 4096);
	if (e == NULL || (e->path = strdup(path)) == NULL) {
		rc = ls_error_set(LS_ENOMEM, "admission: out of memory");
		goto out;
	}
	if (strlen(path) > LS_ADMQ_PATH_MAX ||
	    ls_admq_rule_ref(&ref, path) != 0) {
		rc = ls_error_set(LS_EINVAL, "bad rule path '%s'", path);
		goto out;
	}
	if ((rc = prepare(&e->plain, a->policy, ref.data, NULL)) != 0)
		goto out;
	snprintf(deny, sizeof(deny), "%s/deny", path);
	if (a->tab != NULL &&
	    (e->lv = ls_dectab_leaves(a->tab, deny)) != NULL &&
	    prepare(&e->leaves, a->policy, ref.data, e->lv) != 0)
		e->leaves = NULL; /* the record evaluates its leaves itself */
out:
	ls_buf_cleanup(&ref);
	if (rc != 0)
		ls_admq_entry_free(e);
	else
		*out = e;
	return rc;
}

static const struct ls_admq_entry *
lookup(const struct ls_admq *q, size_t n, const char *path)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(q->e[i]->path, path) == 0)
			return q->e[i];
	return NULL;
}

int
ls_admq_get(const struct ls_admq_entry **out, struct ls_admq_entry **tmp,
    struct ls_engine_active *a, const char *path)
{
	struct ls_admq *q = a->admq;
	struct ls_admq_entry *e = NULL;
	int rc = 0, full;

	*tmp = NULL;
	if (q != NULL &&
	    (*out = lookup(q, __atomic_load_n(&q->n, __ATOMIC_ACQUIRE),
		 path)) != NULL)
		return 0;
	if (q == NULL) {
		rc = entry_new(tmp, a, path);
		*out = *tmp;
		return rc;
	}
	pthread_mutex_lock(&q->mu);
	full = q->n >= LS_ADMQ_PATHS_MAX;
	if ((*out = lookup(q, q->n, path)) == NULL && !full &&
	    (rc = entry_new(&e, a, path)) == 0) {
		q->e[q->n] = e;
		__atomic_store_n(&q->n, q->n + 1, __ATOMIC_RELEASE);
		*out = e;
	}
	pthread_mutex_unlock(&q->mu);
	if (*out == NULL && full) {
		rc = entry_new(tmp, a, path);
		*out = *tmp;
	}
	return rc;
}
