/*
 * runtime.c - opa.runtime and http.send.
 *
 * The engine is embedded and has no OPA runtime configuration, so
 * opa.runtime() is the empty object (what opa returns when it was given
 * none).  http.send validates its request exactly as opa does, so policy
 * tests can mock it with `with http.send as ...`, but the engine never
 * makes network calls from a policy: a valid request ends in an error
 * saying so.
 */
#include <stdio.h>
#include <string.h>

#include "rego/builtins/internal.h"

int
ls_bi_opa_runtime(BI_ARGS)
{
	(void)ctx;
	(void)args;
	(void)nargs;
	*out = ls_val_empty_object();
	return LS_BI_OK;
}

static const char *const http_keys[] = {
	"method",
	"url",
	"body",
	"enable_redirect",
	"force_json_decode",
	"force_yaml_decode",
	"headers",
	"raw_body",
	"tls_use_system_certs",
	"tls_ca_cert",
	"tls_ca_cert_file",
	"tls_ca_cert_env_variable",
	"tls_client_cert",
	"tls_client_cert_file",
	"tls_client_cert_env_variable",
	"tls_client_key",
	"tls_client_key_file",
	"tls_client_key_env_variable",
	"tls_insecure_skip_verify",
	"tls_server_name",
	"timeout",
	"cache",
	"force_cache",
	"force_cache_duration_seconds",
	"raise_error",
	"caching_mode",
	"max_retry_attempts",
	"cache_ignored_headers",
	NULL,
};

static int
known_key(const struct ls_val *k)
{
	size_t i;

	for (i = 0; http_keys[i] != NULL; i++)
		if (ls_val_is_string(k, http_keys[i]))
			return 1;
	return 0;
}

/* OPA's wording: the offending keys as a Rego set. */
static int
key_error(struct ls_bi_ctx *ctx, const char *what, struct ls_vlist *keys)
{
	const struct ls_val *set = ls_val_set(ctx->arena, keys->v, keys->n);
	struct ls_buf b;

	if (set == NULL)
		return LS_BI_ENOMEM;
	ls_buf_init(&b, sizeof ctx->msg);
	if (ls_val_to_rego(&b, set) != 0) {
		ls_buf_cleanup(&b);
		return LS_BI_ENOMEM;
	}
	snprintf(ctx->msg, sizeof ctx->msg, "%s: %s request parameters(s): %s",
	    ctx->name, what, b.data);
	ls_buf_cleanup(&b);
	return LS_BI_ETYPE;
}

int
ls_bi_http_send(BI_ARGS)
{
	const struct ls_val *req = args[0];
	struct ls_vlist bad, missing;
	size_t i;
	int rc;

	(void)nargs;
	(void)out;
	if ((rc = bi_arg_type(ctx, args, 0, LS_VAL_OBJECT, "object")) != 0)
		return rc;
	ls_vlist_init(&bad, ctx->arena);
	ls_vlist_init(&missing, ctx->arena);
	for (i = 0; i < req->u.obj.n; i++)
		if (!known_key(req->u.obj.k[i]) &&
		    ls_vlist_push(&bad, req->u.obj.k[i]) != 0)
			return LS_BI_ENOMEM;
	if (bad.n > 0)
		return key_error(ctx, "invalid", &bad);
	for (i = 0; i < 2; i++) {
		const struct ls_val *k =
		    ls_val_cstring(ctx->arena, http_keys[i]);
		if (k == NULL)
			return LS_BI_ENOMEM;
		if (ls_val_object_get(req, k) == NULL &&
		    ls_vlist_push(&missing, k) != 0)
			return LS_BI_ENOMEM;
	}
	if (missing.n > 0)
		return key_error(ctx, "missing required", &missing);
	return ls_bi_error(ctx,
	    "network requests from policies are not "
	    "supported by this engine (mock http.send in tests)");
}
