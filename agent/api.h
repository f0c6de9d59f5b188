/*
 * api.h - the agent's local HTTP API (libmicrohttpd): GET /health,
 * GET /v1/status (the status JSON), and the OPA-style decision API
 * POST /v1/data/<path> with {"input": ...} answering {"result": ...}
 * (GET /v1/data/<path> evaluates without input).  Meant for 127.0.0.1;
 * request bodies are capped at LS_ENGINE_INPUT_MAX, connections and their
 * memory are limited, idle connections time out.
 */
#ifndef LOCKSTEP_AGENT_API_H
#define LOCKSTEP_AGENT_API_H

#include "engine.h"

struct ls_api;

/*
 * Listen on "HOST:PORT" (port 0 picks one; the bound address goes to
 * bound, boundsz bytes, as "HOST:PORT").  LS_EINVAL for a bad address,
 * LS_ENET when it cannot listen.
 */
int ls_api_start(struct ls_api **out, const char *listen_addr,
    struct ls_engine *e, char *bound, size_t boundsz);
void ls_api_stop(struct ls_api *h); /* NULL is a no-op */

#endif
