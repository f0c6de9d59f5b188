/* util.c - operand checks and result helpers shared by the builtins. */
#include <stdio.h>
#include <string.h>

#include "lockstep/error.h"
#include "rego/builtins/internal.h"

int
bi_arg_str(struct ls_bi_ctx *ctx, const struct ls_val *const *args, int i,
    const char **s, size_t *len)
{
	if (args[i]->type != LS_VAL_STRING)
		return ls_bi_type_error(ctx, i + 1, "string", args[i]);
	*s = args[i]->u.str.p;
	*len = args[i]->u.str.len;
	return LS_BI_OK;
}

int
bi_arg_num(struct ls_bi_ctx *ctx, const struct ls_val *const *args, int i,
    const struct ls_num **n)
{
	if (args[i]->type != LS_VAL_NUMBER)
		return ls_bi_type_error(ctx, i + 1, "number", args[i]);
	*n = &args[i]->u.num;
	return LS_BI_OK;
}

int
bi_arg_int(struct ls_bi_ctx *ctx, const struct ls_val *const *args, int i,
    int64_t *v)
{
	int ovf = 0;

	if (args[i]->type != LS_VAL_NUMBER)
		return ls_bi_type_error(ctx, i + 1, "number", args[i]);
	*v = ls_num_to_int64(&args[i]->u.num, &ovf);
	/* OPA's IntOperand says the same for integers beyond int64 */
	if (!ls_num_is_int(&args[i]->u.num) || ovf) {
		snprintf(ctx->msg, sizeof ctx->msg,
		    "%s: operand %d must be "
		    "integer number but got floating-point number",
		    ctx->name, i + 1);
		return LS_BI_ETYPE;
	}
	return LS_BI_OK;
}

int
bi_arg_type(struct ls_bi_ctx *ctx, const struct ls_val *const *args, int i,
    enum ls_val_type t, const char *want)
{
	if (args[i]->type != t)
		return ls_bi_type_error(ctx, i + 1, want, args[i]);
	return LS_BI_OK;
}

int
bi_ret(const struct ls_val **out, const struct ls_val *v)
{
	if (v == NULL)
		return LS_BI_ENOMEM;
	*out = v;
	return LS_BI_OK;
}

int
bi_ret_buf(struct ls_bi_ctx *ctx, const struct ls_val **out, struct ls_buf *b)
{
	const struct ls_val *v;

	v = ls_val_string(ctx->arena, b->data ? b->data : "", b->len);
	ls_buf_cleanup(b);
	return bi_ret(out, v);
}

int
bi_ret_num(struct ls_bi_ctx *ctx, const struct ls_val **out,
    const struct ls_num *n)
{
	return bi_ret(out, ls_val_number(ctx->arena, n));
}

int
bi_fail(struct ls_bi_ctx *ctx, int rc)
{
	if (rc == LS_ENOMEM)
		return LS_BI_ENOMEM;
	return ls_bi_error(ctx, "%s", ls_error_last());
}

int
bi_fail_bare(struct ls_bi_ctx *ctx, int rc)
{
	if (rc == LS_ENOMEM)
		return LS_BI_ENOMEM;
	snprintf(ctx->msg, sizeof ctx->msg, "%s", ls_error_last());
	return LS_BI_EBUILTIN;
}

int
bi_num_text(struct ls_buf *b, const struct ls_num *n)
{
	return ls_num_format(b, n);
}

int
bi_num_is_int(const struct ls_num *n)
{
	return ls_num_is_int(n);
}

const struct ls_val *const *
bi_elems(const struct ls_val *v, size_t *n)
{
	if (v->type == LS_VAL_ARRAY) {
		*n = v->u.arr.n;
		return v->u.arr.v;
	}
	if (v->type == LS_VAL_SET) {
		*n = v->u.set.n;
		return v->u.set.v;
	}
	*n = 0;
	return NULL;
}

int
bi_elem_error(struct ls_bi_ctx *ctx, int operand, const struct ls_val *coll,
    const struct ls_val *got, const char *want)
{
	snprintf(ctx->msg, sizeof ctx->msg,
	    "%s: operand %d must be %s of %s but "
	    "got %s containing %s",
	    ctx->name, operand, ls_val_type_name(coll), want,
	    ls_val_type_name(coll), ls_val_type_name(got));
	return LS_BI_ETYPE;
}
