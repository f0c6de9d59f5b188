/* eval.h - evaluator state shared by eval*.c (rego-core internal). */
#ifndef LS_REGO_EVAL_H
#define LS_REGO_EVAL_H

#include <stdint.h>

#include "rego/compile.h"

#define EV_STOP 1	 /* stop the search: a caller has its answer */
#define EV_MAX_DEPTH 400 /* nested rule / function evaluations */
#define EV_DEFAULT_STEPS 50000000ULL
#define EV_MAX_STACK (4u << 20) /* bytes of C stack evaluation may use */

struct frame {
	const struct ls_val **slots;
	int n;
};

/* A `with` replacement of a data/input path or of a function. */
struct ovr {
	struct ovr *next;
	int is_func;
	const struct ls_val *path;   /* array of strings (data paths) */
	const struct ls_val *value;  /* replacement value, or NULL */
	const struct ls_bi *bi_from; /* replaced function ... */
	const struct ls_node *fn_from;
	const struct ls_bi *bi_to; /* ... replaced by a function */
	const struct ls_node *fn_to;
};

/* Memoised rule documents for one `with` context. */
/* One memoised function call: fn(args) = res (NULL: undefined). */
struct fcall {
	const struct ls_node *fn;  /* NULL: free slot */
	const struct ls_val *args; /* array of the argument values */
	const struct ls_val *res;
	uint64_t hash;
};

struct memo {
	const struct ls_val **doc; /* per node id */
	char *state;		   /* 0 none, 1 done, 2 running */
	struct fcall *calls;	   /* open addressing, power of two */
	size_t ncalls, capcalls;
};

struct ev {
	const struct ls_rego_policy *p;
	struct ls_arena *a;
	const struct ls_val *input; /* NULL: undefined */
	const struct ls_val *data;  /* base documents (maybe overridden) */
	struct ovr *ovr;	    /* data and function replacements */
	struct memo *memo;
	/* Inside a replacement function, the function mocks made outside
	 * it (this entry of ovr and older) do not apply. */
	const struct ovr *mock_barrier;
	/* Bumped whenever something made during an iteration is kept
	 * beyond it (a collected value, a memo entry, a grown trail):
	 * an iteration that returns without a bump gives its memory back. */
	unsigned long keep;
	const struct ls_val ***trail; /* slots bound, for undo */
	size_t ntrail, captrail;
	unsigned long long steps, max_steps;
	long long deadline_ns; /* 0: none */
	int depth;
	const char *file;	    /* module of the rule being run */
	const struct ls_rule *rule; /* rule being run; NULL in a query */
	uintptr_t stack_base;	    /* address of a local at the start */
	struct ls_bi_ctx bctx;
	/* query expression values, for opa eval's "expressions" */
	const struct ls_expr **qexpr;
	const struct ls_val **qval;
	size_t nq;
	struct ls_rego_cover *cover; /* coverage hits, or NULL */
};

/* Memory marks for iteration loops: ev_mark before the loop, and
 * ev_release after each element whose continuation returned 0. */
struct ev_mark {
	struct ls_arena_mark m;
	unsigned long keep;
};

static inline void
ev_keep(struct ev *ev)
{
	ev->keep++;
}

static inline void
ev_mark(const struct ev *ev, struct ev_mark *m)
{
	ls_arena_mark(ev->a, &m->m);
	m->keep = ev->keep;
}

static inline void
ev_release(struct ev *ev, struct ev_mark *m)
{
	if (ev->keep == m->keep)
		ls_arena_reset(ev->a, &m->m);
	else
		ev_mark(ev, m);
}

typedef int (*ev_k)(struct ev *ev, void *arg);
typedef int (*ev_vk)(struct ev *ev, void *arg, const struct ls_val *v);

int ev_error(struct ev *ev, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int ev_nomem(struct ev *ev);
int ev_step(struct ev *ev);
int ev_bind(struct ev *ev, struct frame *f, int slot, const struct ls_val *v);
void ev_undo(struct ev *ev, size_t mark);
int ev_frame(struct ev *ev, struct frame *f, int n);
int ev_stop_k(struct ev *ev, void *arg); /* returns EV_STOP */

int ev_body(struct ev *ev, struct frame *f, const struct ls_body *b, size_t i,
    ev_k k, void *arg);
int ev_term(struct ev *ev, struct frame *f, const struct ls_term *t, ev_vk k,
    void *arg);
int ev_unify(struct ev *ev, struct frame *f, const struct ls_term *a,
    const struct ls_term *b, ev_k k, void *arg);
int ev_unify_val(struct ev *ev, struct frame *f, const struct ls_term *t,
    const struct ls_val *v, ev_k k, void *arg);

/* eval_ref.c */
int ev_ref(struct ev *ev, struct frame *f, const struct ls_term *t, ev_vk k,
    void *arg);
int ev_walk_val(struct ev *ev, struct frame *f, const struct ls_term *t,
    size_t i, const struct ls_val *v, ev_vk k, void *arg);
int ev_memo_new(struct ev *ev, struct memo **out);
/* The document at node n over base data base (NULL: none); *out NULL
 * when undefined. */
int ev_full_doc(struct ev *ev, const struct ls_node *n,
    const struct ls_val *base, const struct ls_val **out);

/* index.c: 1 when the input rules out rule r (skip it). */
int ev_index_skip(const struct ev *ev, const struct ls_rule *r);

/* eval_rule.c */
int
ev_node_doc(struct ev *ev, const struct ls_node *n, const struct ls_val **out);
int ev_call(struct ev *ev, struct frame *f, const struct ls_term *t, ev_vk k,
    void *arg);
/* v with path[0..n) set to val (objects made as needed); NULL: ENOMEM. */
const struct ls_val *ev_upsert(struct ls_arena *a, const struct ls_val *v,
    const struct ls_val *const *path, size_t n, const struct ls_val *val);

/* Evaluate e under its `with` modifiers; k runs without them. */
int ev_with(struct ev *ev, struct frame *f, const struct ls_expr *e, ev_k k,
    void *arg);

/* eval.c: an expression without its `with` modifiers. */
int ev_expr_core(struct ev *ev, struct frame *f, const struct ls_expr *e,
    ev_k k, void *arg);

/* rego.metadata.rule() (chain 0) or rego.metadata.chain() (chain 1)
 * for the rule being run (eval_meta.c). */
int ev_metadata(struct ev *ev, int chain, const struct ls_val **out);

#endif
