/*
 * rego_test_rule.c - one test rule run on its own, as opa test runs
 * table-driven tests: the body becomes a query that also binds the head's
 * keys and value to slots past the rule's frame.
 *
 * opa's compiler injects internal.test_case([key...]) into the body right
 * after the expression where the key's variables first occur, so a case
 * whose body fails later is still reported (as FAIL).  Here the same
 * point is found on the compiled body, and the body up to it is run as a
 * second query that only collects the keys it reaches; a key reached but
 * absent from the object is a failed case.  The evaluator is not touched.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lockstep/buf.h"
#include "lockstep/error.h"
#include "lockstep/timefmt.h"
#include "rego/test_rule.h"

#define MAX_CASES 100000
#define MAX_KEY_TEXT (64u << 10)
#define EVAL_MEMORY ((size_t)1 << 30)

/* A case and its sub-cases, as opa's SubResultMap. */
struct sub {
	char *name;
	int fail;
	struct sub *kids;
	size_t nkids, cap;
};

struct tstate {
	struct sub root;
	int base;	/* first extra slot: keys, then the value */
	size_t nkeys;	/* head keys bound to slots base.. */
	int has_value;	/* the value is in slot base + nkeys */
	int reach;	/* collecting reached keys (prefix query) */
	int found;	/* a complete rule: its body held */
	int value_true; /* ... with the value true */
	size_t ncases;	/* cases created, capped */
	int rc;		/* LS_ENOMEM / LS_ETOOBIG from a callback */
};

static void
sub_cleanup(struct sub *s)
{
	size_t i;

	for (i = 0; i < s->nkids; i++)
		sub_cleanup(&s->kids[i]);
	free(s->kids);
	free(s->name);
}

/* s's child called name, added (with fail) when absent. */
static struct sub *
sub_child(struct tstate *st, struct sub *s, const char *name, int fail)
{
	struct sub *k;
	size_t i;

	for (i = 0; i < s->nkids; i++)
		if (strcmp(s->kids[i].name, name) == 0)
			return &s->kids[i];
	if (++st->ncases > MAX_CASES) {
		st->rc = ls_error_set(LS_ETOOBIG, "more than %d test cases",
		    MAX_CASES);
		return NULL;
	}
	if (s->nkids == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 4;

		if ((k = realloc(s->kids, nc * sizeof(*k))) == NULL)
			return NULL;
		s->kids = k;
		s->cap = nc;
	}
	k = &s->kids[s->nkids];
	memset(k, 0, sizeof(*k));
	if ((k->name = strdup(name)) == NULL)
		return NULL;
	k->fail = fail;
	s->nkids++;
	return k;
}

/* A key as opa names a case: a string as is, anything else as JSON. */
static char *
key_text(const struct ls_val *v)
{
	struct ls_buf b;
	char *s;

	if (v->type == LS_VAL_STRING)
		return strndup(v->u.str.p, v->u.str.len);
	ls_buf_init(&b, MAX_KEY_TEXT);
	s = ls_val_to_json(&b, v) == 0 ? ls_buf_take(&b, NULL) : NULL;
	ls_buf_cleanup(&b);
	return s;
}

static struct sub *
sub_named(struct tstate *st, struct sub *s, const struct ls_val *key, int fail)
{
	char *name = key_text(key);
	struct sub *k = name ? sub_child(st, s, name, fail) : NULL;

	free(name);
	if (k == NULL && st->rc == 0)
		st->rc = ls_error_set(LS_ENOMEM, "out of memory");
	return k;
}

/* opa's subResult: an object value nests, true passes, else fails. */
static int
sub_value(struct tstate *st, struct sub *s, const struct ls_val *v)
{
	struct sub *k;
	size_t i;

	if (v->type != LS_VAL_OBJECT) {
		s->fail = !(v->type == LS_VAL_BOOL && v->u.b);
		return 0;
	}
	s->fail = 0;
	for (i = 0; i < v->u.obj.n; i++) {
		if ((k = sub_named(st, s, v->u.obj.k[i], 0)) == NULL)
			return st->rc;
		if (sub_value(st, k, v->u.obj.v[i]) != 0)
			return st->rc;
	}
	return 0;
}

/* A parent fails when any case below it fails. */
static int
sub_settle(struct sub *s)
{
	size_t i;
	int any = 0;

	for (i = 0; i < s->nkids; i++)
		any |= sub_settle(&s->kids[i]);
	if (s->nkids > 0)
		s->fail = any;
	return s->fail;
}

/* opa's SubResultMap.update: a reached key missing from the object is
 * created failed, and its parents fail with it. */
static int
sub_reach(struct tstate *st, struct sub *s, const struct ls_val *const *keys,
    size_t n)
{
	struct sub *k;
	int fail;

	if (n == 0)
		return 0;
	if ((k = sub_named(st, s, keys[0], 1)) == NULL)
		return 0;
	fail = n == 1 ? k->fail : sub_reach(st, k, keys + 1, n - 1);
	if (fail)
		k->fail = 1;
	return fail;
}

static int
on_solution(void *arg, const struct ls_val *const *slots,
    const struct ls_val *const *exprs, size_t nexprs)
{
	struct tstate *st = arg;
	const struct ls_val *const *keys = slots + st->base;
	const struct ls_val *v = st->has_value ? keys[st->nkeys] : NULL;
	struct sub *s = &st->root;
	size_t i;

	(void)exprs;
	(void)nexprs;
	for (i = 0; i < st->nkeys; i++)
		if (keys[i] == NULL)
			return 0; /* not bound here: nothing to name */
	if (st->reach) {
		sub_reach(st, &st->root, keys, st->nkeys);
		return st->rc;
	}
	if (st->nkeys == 0) {
		st->found = 1;
		st->value_true =
		    v == NULL || (v->type == LS_VAL_BOOL && v->u.b);
		return 1; /* a complete rule: its first answer decides */
	}
	for (i = 0; i < st->nkeys && s != NULL; i++)
		s = sub_named(st, s, keys[i], 0);
	if (s != NULL)
		sub_value(st, s, v ? v : ls_val_bool(1));
	return st->rc;
}

/* Slots a term reads, marked in want[]. */
static void term_slots(const struct ls_term *t, char *want, int n);

static void
body_slots(const struct ls_body *b, char *want, int n)
{
	size_t i;
	int j;

	for (i = 0; b != NULL && i < b->n; i++)
		for (j = 0; j < 3; j++)
			term_slots(b->e[i]->t[j], want, n);
}

static void
term_slots(const struct ls_term *t, char *want, int n)
{
	size_t i;

	if (t == NULL)
		return;
	if (t->k == LS_T_VAR && t->slot >= 0 && t->slot < n)
		want[t->slot] = 1;
	for (i = 0; i < t->n; i++)
		term_slots(t->a[i], want, n);
	term_slots(t->key, want, n);
	term_slots(t->val, want, n);
	body_slots(t->body, want, n);
}

/* Does expression e mention any slot marked in want? */
static int
expr_uses(const struct ls_expr *e, const char *want, int n)
{
	char *seen = calloc((size_t)n + 1, 1);
	size_t i;
	int j, hit = 0;

	if (seen == NULL)
		return 1; /* inject early: more cases reported, none lost */
	for (j = 0; j < 3; j++)
		term_slots(e->t[j], seen, n);
	body_slots(e->body, seen, n);
	for (i = 0; i < e->nwith; i++) {
		term_slots(e->with[i].target, seen, n);
		term_slots(e->with[i].value, seen, n);
	}
	for (j = 0; j < n && !hit; j++)
		hit = want[j] && seen[j];
	free(seen);
	return hit;
}

/*
 * Where opa injects internal.test_case: after the last of the
 * expressions in which each of the keys' variables first occurs (a `some`
 * declaration binds nothing and does not count).  0 with no variables.
 */
static size_t
inject_point(const struct ls_rule *r, struct ls_term *const *keys, size_t nkeys)
{
	char *want = calloc((size_t)r->nslots + 1, 1), *one;
	size_t i, at = 0, e;
	int s;

	if (want == NULL)
		return 0;
	for (i = 0; i < nkeys; i++)
		term_slots(keys[i], want, r->nslots);
	one = calloc((size_t)r->nslots + 1, 1);
	for (s = 0; one != NULL && s < r->nslots; s++) {
		if (!want[s])
			continue;
		one[s] = 1;
		for (e = 0; e < r->body->n; e++)
			if (r->body->e[e]->k != LS_E_SOME &&
			    expr_uses(r->body->e[e], one, r->nslots))
				break;
		one[s] = 0;
		if (e < r->body->n && e + 1 > at)
			at = e + 1;
	}
	free(one);
	free(want);
	return at;
}

/* body[0..n) followed by `$k_i = keys[i]` (and `$v = value`). */
static struct ls_body *
extended_body(struct ls_arena *a, const struct ls_body *b, size_t n,
    struct ls_term *const *terms, size_t nterms, int base)
{
	struct ls_body *q = ls_arena_alloc(a, sizeof(*q));
	size_t i;

	if (q == NULL ||
	    (q->e = ls_arena_alloc(a, (n + nterms + 1) * sizeof(*q->e))) ==
		NULL)
		return NULL;
	memcpy(q->e, b->e, n * sizeof(*q->e));
	for (i = 0; i < nterms; i++) {
		struct ls_expr *e = ls_arena_alloc(a, sizeof(*e));
		struct ls_term *v = ls_arena_alloc(a, sizeof(*v));

		if (e == NULL || v == NULL)
			return NULL;
		v->k = LS_T_VAR;
		v->name = "$test_case";
		v->slot = base + (int)i;
		v->line = e->line = terms[i]->line;
		v->col = e->col = terms[i]->col;
		e->k = LS_E_UNIFY;
		e->t[0] = v;
		e->t[1] = terms[i];
		q->e[n + i] = e;
	}
	q->n = n + nterms;
	return q;
}

struct rq {
	const struct ls_rego_policy *p;
	const struct ls_test_run *run;
	unsigned long long deadline_ms; /* 0 = none */
};

/* Run body[0..n) of r plus the head terms as one query. */
static int
run_query(struct rq *q, struct tstate *st, const struct ls_rule *r, size_t n,
    struct ls_term *const *terms, size_t nterms)
{
	struct ls_arena *a = ls_arena_new(EVAL_MEMORY);
	struct ls_eval_cfg cfg;
	struct ls_body *b;
	unsigned long long now = ls_mono_ms();
	int rc;

	memset(&cfg, 0, sizeof(cfg));
	if (q->deadline_ms)
		cfg.timeout_ms =
		    now < q->deadline_ms ? (unsigned)(q->deadline_ms - now) : 1;
	if (!st->reach) {
		cfg.print = q->run->print;
		cfg.print_arg = q->run->print_arg;
		cfg.cover = q->run->cover; /* the rules it calls; the body
					      runs as a query, no module */
	}
	st->base = r->nslots;
	if (a == NULL ||
	    (b = extended_body(a, r->body, n, terms, nterms, r->nslots)) ==
		NULL)
		rc = ls_error_set(LS_ENOMEM, "out of memory");
	else
		rc = ls_eval_query(q->p, a, b, r->nslots + (int)nterms, &cfg,
		    on_solution, st);
	ls_arena_free(a);
	if (rc == 0 && st->rc != 0)
		rc = st->rc;
	return rc;
}

/* The head terms of r to bind: its keys, then its value if any. */
static size_t
head_terms(struct ls_term **out, const struct ls_rule *r)
{
	size_t n = 0, i;

	if (r->k == LS_R_OBJ && r->nkeys > 0)
		for (i = 0; i < r->nkeys && n < 16; i++)
			out[n++] = r->keys[i];
	else if (r->k == LS_R_OBJ && r->key != NULL)
		out[n++] = r->key;
	return n;
}

static int
run_table(struct rq *q, struct tstate *st, const struct ls_rule *r)
{
	struct ls_term *terms[17] = { NULL };
	size_t nkeys = head_terms(terms, r), at;
	int rc;

	st->nkeys = nkeys;
	st->has_value = r->value != NULL;
	if (r->value != NULL)
		terms[nkeys] = r->value;
	rc = run_query(q, st, r, r->body->n, terms, nkeys + st->has_value);
	if (rc != 0 || nkeys == 0)
		return rc;
	sub_settle(&st->root);
	at = inject_point(r, terms, nkeys);
	if (at >= r->body->n)
		return 0;
	st->reach = 1;
	st->has_value = 0;
	rc = run_query(q, st, r, at, terms, nkeys);
	st->reach = 0;
	/* The full body ran without error; an error here changes nothing
	 * of what it found. */
	if (rc == LS_ENOMEM || rc == LS_ETOOBIG)
		return rc;
	ls_error_clear();
	return 0;
}

/* A complete rule and its else chain: the first body that holds. */
static int
run_complete(struct rq *q, struct tstate *st, const struct ls_rule *r)
{
	struct ls_term *terms[1] = { NULL };
	int rc = 0;

	for (; r != NULL && rc == 0 && !st->found; r = r->els) {
		st->nkeys = 0;
		st->has_value = r->value != NULL;
		terms[0] = r->value;
		rc = run_query(q, st, r, r->body->n, terms,
		    (size_t)st->has_value);
	}
	return rc;
}

/* Flatten the cases depth first, keys sorted, as opa iterates them. */
static int
cmp_sub(const void *a, const void *b)
{
	return strcmp(((const struct sub *)a)->name,
	    ((const struct sub *)b)->name);
}

static void
flatten(struct ls_rego_test_result *t, struct sub *s, int depth)
{
	size_t i;

	if (s->nkids > 1)
		qsort(s->kids, s->nkids, sizeof(*s->kids), cmp_sub);
	for (i = 0; i < s->nkids; i++) {
		struct ls_rego_test_case *c = &t->cases[t->ncases++];

		c->name = s->kids[i].name;
		s->kids[i].name = NULL;
		c->depth = depth;
		c->fail = s->kids[i].fail;
		c->leaf = s->kids[i].nkids == 0;
		flatten(t, &s->kids[i], depth + 1);
	}
}

int
ls_test_run_rule(struct ls_rego_test_result *t, const struct ls_rego_policy *p,
    const struct ls_rule *r, const struct ls_test_run *run)
{
	struct tstate st;
	struct rq q = { p, run, 0 };
	int rc;

	memset(&st, 0, sizeof(st));
	if (run->timeout_ms)
		q.deadline_ms = ls_mono_ms() + run->timeout_ms;
	rc =
	    r->k == LS_R_OBJ ? run_table(&q, &st, r) : run_complete(&q, &st, r);
	if (rc == 0 && r->k == LS_R_OBJ) {
		t->status = sub_settle(&st.root) ? LS_REGO_FAIL : LS_REGO_PASS;
		t->cases = calloc(st.ncases + 1, sizeof(*t->cases));
		if (t->cases == NULL)
			rc = ls_error_set(LS_ENOMEM, "out of memory");
		else
			flatten(t, &st.root, 0);
	} else if (rc == 0)
		t->status =
		    st.found && st.value_true ? LS_REGO_PASS : LS_REGO_FAIL;
	else if (rc != LS_ENOMEM) {
		t->status = LS_REGO_ERROR;
		t->message = strdup(ls_error_last());
		rc = 0;
	}
	sub_cleanup(&st.root);
	return rc;
}
