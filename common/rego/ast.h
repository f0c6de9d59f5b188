/*
 * ast.h - Rego syntax trees (rego-core internal).
 *
 * The parser builds modules of rules whose bodies are expressions over
 * terms; the compiler (compile.c) then resolves names in place: vars get
 * frame slots, refs to rules and imports become data refs, calls get
 * their builtin or user function.  Everything lives in the policy arena
 * and is immutable after compilation.
 */
#ifndef LS_REGO_AST_H
#define LS_REGO_AST_H

#include <stddef.h>

#include "rego/arena.h"
#include "rego/builtins.h"
#include "rego/value.h"

#define LS_REGO_MAX_SRC (16u << 20) /* bytes of one module */
#define LS_REGO_MAX_DEPTH 200	    /* nesting of terms and bodies */
#define LS_REGO_MAX_BODY 10000	    /* expressions in one body */

enum ls_tk {
	LS_T_VAL,   /* constant scalar or ground value: v */
	LS_T_VAR,   /* name, slot */
	LS_T_REF,   /* a[0] head, a[1..n) operands */
	LS_T_ARR,   /* a[0..n) */
	LS_T_OBJ,   /* a[2i] key, a[2i+1] value */
	LS_T_SET,   /* a[0..n) */
	LS_T_CALL,  /* name(a[0..n)) */
	LS_T_ACOMP, /* [val | body] */
	LS_T_SCOMP, /* {val | body} */
	LS_T_OCOMP, /* {key: val | body} */
	LS_T_DATA,  /* the root `data` (ref heads only) */
	LS_T_INPUT, /* the root `input` */
};

struct ls_body;
struct ls_node;

struct ls_term {
	enum ls_tk k;
	int line, col;
	const struct ls_val *v; /* LS_T_VAL */
	const char *name;	/* LS_T_VAR name; LS_T_CALL operator */
	int slot;		/* LS_T_VAR frame slot, -1 unresolved */
	struct ls_term **a;
	size_t n;
	struct ls_body *body;	   /* comprehensions */
	struct ls_term *key, *val; /* comprehension heads */
	const struct ls_bi *bi;	   /* LS_T_CALL to a builtin */
	struct ls_node *fn;	   /* LS_T_CALL to a user function */
	int ground;		   /* set by compile: no vars inside */
	int lo, hi;		   /* comprehensions: own slots [lo,hi) */
	int op;			   /* LS_OP_* for internal operators */
};

enum {
	LS_OP_NONE,
	LS_OP_MEMBER2,
	LS_OP_MEMBER3,
	LS_OP_META_RULE,
	LS_OP_META_CHAIN,
	LS_OP_UNDEF_FUNC /* unknown function, allowed: fails when called */
};

enum ls_ek {
	LS_E_TERM,   /* t[0] must be defined and not false */
	LS_E_UNIFY,  /* t[0] = t[1] */
	LS_E_ASSIGN, /* t[0] := t[1] */
	LS_E_SOME,   /* some vars */
	LS_E_SOMEIN, /* some t[0], t[1] in t[2] (t[0] may be NULL) */
	LS_E_EVERY,  /* every t[0], t[1] in t[2] { body } */
};

struct ls_with {
	struct ls_term *target; /* input..., data..., or a function ref */
	struct ls_term *value;
};

struct ls_expr {
	enum ls_ek k;
	int neg;
	int line, col;
	struct ls_term *t[3];
	struct ls_term **vars; /* LS_E_SOME */
	size_t nvars;
	struct ls_body *body; /* LS_E_EVERY */
	int lo, hi;	      /* LS_E_EVERY: own slots [lo,hi) */
	size_t off, end;      /* source bytes of the expression */
	struct ls_with *with;
	size_t nwith;
};

struct ls_body {
	struct ls_expr **e;
	size_t n;
};

enum ls_rk { LS_R_COMPLETE, LS_R_SET, LS_R_OBJ, LS_R_FUNC };

struct ls_module;

struct ls_rule {
	enum ls_rk k;
	int is_default;
	int assign;	      /* head used := */
	struct ls_term *head; /* head ref as written */
	const char **path;    /* data path incl. package */
	size_t npath;
	struct ls_term **args; /* functions */
	size_t nargs;
	struct ls_term *key;   /* set element / object key */
	struct ls_term **keys; /* general ref heads (p[x].y): the */
	size_t nkeys;	       /* dynamic rest of the path, or 0 */
	struct ls_term *value; /* NULL: true */
	struct ls_body *body;  /* empty body: always true */
	struct ls_rule *els;   /* else chain */
	struct ls_module *mod;
	int line, col;
	int nslots;		       /* frame size, set by compile */
	const struct ls_term *idx_ref; /* index: body needs input ref ... */
	const struct ls_val *idx_val;  /* ... to equal this (index.c) */
	const struct ls_val *annot;    /* METADATA above it, or NULL */
};

struct ls_import {
	struct ls_term *ref; /* data.x.y / input.x / future... */
	const char *alias;   /* name it binds in the module */
	int line, col;
};

struct ls_module {
	const char *file;
	const char **pkg; /* package path segments (after data) */
	size_t npkg;
	struct ls_import *imports;
	size_t nimports;
	struct ls_rule **rules;
	size_t nrules;
	int version;			/* 0 or 1 */
	const struct ls_val *pkg_annot; /* METADATA above package, or NULL */
};

/*
 * Parse a module.  Errors: LS_EREGO with ls_error_last() holding
 * "FILE:LINE:COL: rego_parse_error: reason".
 */
int ls_rego_parse_module(struct ls_module **out, struct ls_arena *a,
    const char *file, const char *src, size_t len, int version);

/* Parse a query (a body) or a single term (e.g. an input_term). */
int ls_rego_parse_body(struct ls_body **out, struct ls_arena *a,
    const char *file, const char *src, size_t len, int version);
int ls_rego_parse_term(struct ls_term **out, struct ls_arena *a,
    const char *file, const char *src, size_t len);

#endif
