/* view.c - a read-only view of the engine's values for callers outside
 * the engine (rego.h, ls_rego_view_*): an input's envelope, read from
 * the parse the evaluation makes anyway. */
#include <string.h>

#include "lockstep/error.h"
#include "lockstep/rego.h"
#include "rego/arena.h"
#include "rego/compile.h"
#include "rego/value.h"

#define VIEW_MEMORY ((size_t)64 << 20)

static const struct ls_val *
val(const struct ls_rego_view *v)
{
	return (const struct ls_val *)(const void *)v;
}

static const struct ls_rego_view *
view(const struct ls_val *v)
{
	return (const struct ls_rego_view *)(const void *)v;
}

const struct ls_rego_view *
ls_rego_view_get(const struct ls_rego_view *v, const char *key)
{
	if (!ls_rego_view_is_object(v))
		return NULL;
	return view(ls_val_object_gets(val(v), key, strlen(key)));
}

const char *
ls_rego_view_string(const struct ls_rego_view *v, size_t *len)
{
	if (v == NULL || val(v)->type != LS_VAL_STRING)
		return NULL;
	if (len != NULL)
		*len = val(v)->u.str.len;
	return val(v)->u.str.p;
}

int
ls_rego_view_is_object(const struct ls_rego_view *v)
{
	return v != NULL && val(v)->type == LS_VAL_OBJECT;
}

int
ls_rego_view_is_true(const struct ls_rego_view *v)
{
	return v != NULL && val(v)->type == LS_VAL_BOOL && val(v)->u.b;
}

int
ls_rego_view_json(const char *json, size_t len, size_t max_memory,
    int (*fn)(void *arg, const struct ls_rego_view *v), void *arg)
{
	struct ls_arena *a = ls_arena_new(max_memory ? max_memory : VIEW_MEMORY);
	const struct ls_val *v;
	int rc;

	if (a == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	rc = ls_val_from_json_flags(&v, a, json, len, 0, LS_JSON_STRICT);
	if (rc == 0)
		rc = fn(arg, view(v));
	ls_arena_free(a);
	return rc;
}

int
ls_rego_view_call(const struct ls_rego_eval_opts *o, const struct ls_val *in)
{
	if (o == NULL || o->on_input == NULL || in == NULL)
		return 0;
	return o->on_input(o->on_input_arg, view(in));
}
