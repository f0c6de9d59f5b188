/*
 * httpd_parse.h - the server's own parsing of request lines and headers:
 * If-None-Match, Prefer: wait=N, the URL layout (channel names, seq
 * notes, bundle names) and the evidence query arguments.  Pure functions
 * of strings, apart from libmicrohttpd, so tests/fuzz/http_parse.c can
 * reach them.  Every argument is a NUL-terminated string from the
 * request.
 */
#ifndef LOCKSTEP_SERVER_HTTPD_PARSE_H
#define LOCKSTEP_SERVER_HTTPD_PARSE_H

#include <stdint.h>
#include <time.h>

#include "lockstep/doc.h"

/* Does the If-None-Match list inm (NULL: absent) contain etag (weak
 * comparison, RFC 9110)?  "*" matches anything. */
int httpd_inm_matches(const char *inm, const char *etag);

/* The wait=N preference of a Prefer header in seconds, capped at
 * LS_HTTPD_WAIT_MAX; 0 when absent or prefer is NULL. */
unsigned httpd_prefer_wait(const char *prefer);

/* "<digits>.note" exactly (a seq: no sign or leading zero, 19 digits at
 * most). */
int httpd_is_seq_note(const char *s);

/* "<64 lower-case hex>.tar.gz" exactly; hex gets the 64 digits. */
int httpd_is_bundle_name(const char *s, char hex[65]);

/* Split PREFIX "CH" rest: 1 when url starts with prefix followed by a
 * valid channel name (ch gets it, *rest the text after it), else 0. */
int httpd_channel_path(const char *url, const char *prefix,
    char ch[LS_NAME_MAX + 1], const char **rest);

/* A since/until argument: "" or NULL gives 0 (no bound); a date or time
 * of ls_time_parse, a bare date meaning its last second when end is set.
 * -1 for anything else. */
int httpd_time_value(time_t *out, const char *v, int end);

/* A whole-number argument: 0 when v is NULL (absent), 1 with *out set
 * for decimal digits only, -1 otherwise. */
int httpd_u64_value(uint64_t *out, const char *v);

/* The token of an Authorization value: what follows "Bearer " (the
 * scheme as lockstep sends it); NULL for another scheme or NULL. */
const char *httpd_bearer(const char *authorization);

/* 1 when got (NULL: none presented) is exactly want (NULL: no token
 * configured, nothing matches), compared in constant time, the length
 * included; else 0. */
int httpd_token_equal(const char *got, const char *want);

#endif
