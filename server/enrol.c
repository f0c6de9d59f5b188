/* enrol.c - enrolment by single-use token, token issue, agent removal. */
#include <stdio.h>
#include <string.h>

#include "lockstep/error.h"
#include "lockstep/hash.h"
#include "lockstep/timefmt.h"
#include "store_impl.h"

struct ls_agents *
ls_store_agents(struct ls_store *s)
{
	return s->agents;
}

struct enrol_arg {
	struct ls_store *s;
	const struct ls_vkey *vk;
	char source[64];
};

static int
enrol_cb(void *arg)
{
	struct enrol_arg *e = arg;

	return store_enroll_key(e->s, e->vk, e->source);
}

int
ls_store_enroll_token(struct ls_store *s, const char *token, size_t tlen,
    const char *vkey_text, size_t len)
{
	char id[LS_TOKEN_ID_LEN + 1], hex[LS_SHA256_HEX_LEN + 1];
	struct enrol_arg e;
	struct ls_vkey vk;
	int rc;

	if ((rc = store_vkey_parse(&vk, vkey_text, len)) != 0)
		return rc;
	memset(&e, 0, sizeof(e));
	e.s = s;
	e.vk = &vk;
	/* The evidence names the token by its id (a prefix of its hash),
	 * known before the enrolment is logged. */
	ls_sha256_hex(hex, token, tlen);
	snprintf(e.source, sizeof(e.source), "enrolment token %.*s",
	    LS_TOKEN_ID_LEN, hex);
	return ls_tokens_spend(s->tokens, token, tlen, &vk, enrol_cb, &e, id);
}

int
ls_store_token_create(struct ls_store *s, char out[LS_TOKEN_LEN + 1],
    time_t *expires, const char *name, unsigned ttl, const char *source)
{
	char id[LS_TOKEN_ID_LEN + 1], exp[LS_TIME_LEN];
	json_t *d;
	int rc;

	if ((rc = ls_tokens_create(s->tokens, out, id, expires, name, ttl)) !=
	    0)
		return rc;
	ls_time_format(exp, *expires);
	d = json_pack("{s:s, s:s, s:s, s:s}", "action", "enroll-token", "token",
	    id, "expires", exp, "source", source ? source : "");
	rc = ls_evidence_append(s->ev, "operator", NULL, name, d);
	json_decref(d);
	return rc;
}

int
ls_store_agent_remove(struct ls_store *s, const char *name, const char *source)
{
	char text[LS_VKEY_TEXT_MAX];
	struct ls_vkey vk;
	json_t *d;
	int rc;

	if ((rc = ls_agents_remove(s->agents, name, &vk)) != 0)
		return rc;
	ls_vkey_format(text, &vk);
	d = json_pack("{s:s, s:s, s:s}", "action", "remove", "key", text,
	    "source", source ? source : "");
	rc = ls_evidence_append(s->ev, "operator", NULL, name, d);
	json_decref(d);
	return rc;
}
