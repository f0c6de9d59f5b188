/*
 * api_parse.h - the agent API's parsing of request URLs, apart from
 * libmicrohttpd so tests/fuzz/http_parse.c can reach it.
 */
#ifndef LOCKSTEP_AGENT_API_PARSE_H
#define LOCKSTEP_AGENT_API_PARSE_H

/* The data path of a decision URL ("/v1/data" gives "", "/v1/data/a/b"
 * gives "a/b", pointing into url), NULL for any other URL. */
const char *ls_api_data_path(const char *url);

#endif
