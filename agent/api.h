/*
 * api.h - the agent's local HTTP API (libmicrohttpd): GET /health,
 * GET /v1/status (the status JSON), the OPA-style decision API
 * POST /v1/data/<path> with {"input": ...} answering {"result": ...}
 * (GET /v1/data/<path> evaluates without input), and the admission door
 * POST /v1/admission[/<path>] (admission.h).  Plain HTTP or TLS 1.2+
 * with a certificate reloaded when its files change (tlscred.h), and an
 * optional client-certificate requirement for the Data API.  Request
 * bodies are capped at LS_ENGINE_INPUT_MAX; connections per client, their
 * memory and idleness are limited; one client holds all evaluation
 * threads but one; every decision has a time and memory budget.
 */
#ifndef LOCKSTEP_AGENT_API_H
#define LOCKSTEP_AGENT_API_H

#include "config.h"
#include "engine.h"

struct ls_api;

/*
 * Listen on cfg->listen, "HOST:PORT" (port 0 picks one; the bound address
 * goes to bound, boundsz bytes, as "HOST:PORT"), with cfg's TLS, admission
 * and budget options.  LS_EINVAL for a bad address, LS_EFORMAT /
 * LS_EMISMATCH for a bad certificate or key, LS_ENET when it cannot
 * listen.
 */
int ls_api_start(struct ls_api **out, const struct ls_config *cfg,
    struct ls_engine *e, char *bound, size_t boundsz);
void ls_api_stop(struct ls_api *h); /* NULL is a no-op */

#endif
