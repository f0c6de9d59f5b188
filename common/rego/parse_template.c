/*
 * parse_template.c - template strings, $"...{expr}..." and $`...`.
 *
 * As OPA lowers them: the string becomes
 * internal.template_string([part, ...]) where a literal part is a string
 * and each {expr} is the set comprehension {v | v = expr}, so that an
 * undefined expression prints "<undefined>" and one with several values
 * is an error (builtins/types.c).  The expression may carry `with` modifiers.
 */
#include <stdio.h>
#include <string.h>

#include "lockstep/error.h"
#include "rego/ast.h"
#include "rego/parse.h"

/* {v | v = expr}; v's name cannot be written in Rego and is unique to
 * the part's place in the source, so nested templates keep theirs. */
static int
tpl_part(struct ps *p, const struct ls_token *open, struct ls_term **out)
{
	struct ls_term *c = ls_ps_new_term(p, LS_T_SCOMP, open);
	struct ls_term *v1 = ls_ps_new_term(p, LS_T_VAR, open);
	struct ls_term *v2 = ls_ps_new_term(p, LS_T_VAR, open);
	struct ls_body *b = ls_arena_alloc(p->a, sizeof(*b));
	struct ls_expr *e = NULL, **ev = ls_arena_alloc(p->a, sizeof(*ev));
	char name[40];
	int rc, nest = p->nest;

	if (c == NULL || v1 == NULL || v2 == NULL || b == NULL || ev == NULL)
		return LS_ENOMEM;
	p->nest = 1;
	rc = ls_ps_literal(p, &e);
	p->nest = nest;
	if (rc != 0)
		return rc;
	if (e->k != LS_E_TERM || e->neg)
		return ls_ps_fail_at(p, open,
		    "template expression must be a term");
	snprintf(name, sizeof(name), "$tpl%zu", (size_t)(open->p - p->src));
	if ((v1->name = ls_arena_strndup(p->a, name, strlen(name))) == NULL)
		return LS_ENOMEM;
	v2->name = v1->name;
	e->k = LS_E_UNIFY;
	e->t[1] = e->t[0];
	e->t[0] = v1;
	ev[0] = e;
	b->e = ev;
	b->n = 1;
	c->body = b;
	c->val = v2;
	*out = c;
	return 0;
}

int
ls_ps_template(struct ps *p, struct ls_term **out)
{
	const struct ls_token *t0 = ls_ps_cur(p), *t;
	struct ls_term *arr = ls_ps_new_term(p, LS_T_ARR, t0);
	struct ls_term *call = ls_ps_new_term(p, LS_T_CALL, t0), *x = NULL;
	struct plist parts = { 0 };
	int rc;

	if (arr == NULL || call == NULL)
		return LS_ENOMEM;
	for (p->i++;; p->i++) {
		t = ls_ps_cur(p);
		if (t->k == LS_TK_TPL_END)
			break;
		if (t->k == LS_TK_STRING) {
			if ((x = ls_ps_new_term(p, LS_T_VAL, t)) == NULL ||
			    (x->v = ls_val_string_ref(p->a, t->s, t->slen)) ==
				NULL)
				return LS_ENOMEM;
		} else if (t->k == LS_TK_TPL_EXPR) {
			p->i++;
			if ((rc = tpl_part(p, t, &x)) != 0)
				return rc;
			if (ls_ps_cur(p)->k != LS_TK_TPL_EXPR_END)
				return ls_ps_unexpected(p);
		} else
			return ls_ps_unexpected(p);
		if ((rc = ls_ps_pl_push(p, &parts, x)) != 0)
			return rc;
	}
	p->i++;
	arr->a = (struct ls_term **)parts.v;
	arr->n = parts.n;
	if ((call->a = ls_arena_alloc(p->a, sizeof(*call->a))) == NULL)
		return LS_ENOMEM;
	call->name = "internal.template_string";
	call->a[0] = arr;
	call->n = 1;
	*out = call;
	return 0;
}
