/* audit_oscal.c - the audit summary as an OSCAL 1.1 assessment-results
 * document: one result for the period, one observation per control and
 * agent pointing at its records, one finding per control. */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "lockstep/error.h"
#include "lockstep/hash.h"

#define OSCAL_VERSION "1.1.2"

/* A name-based UUID (version 5 layout over SHA-256): the same summary
 * gives the same document, so verify can recompute it. */
static json_t *
uuid_of(const char *a, const char *b)
{
	uint8_t h[LS_SHA256_LEN];
	char in[512], out[37];
	int n = snprintf(in, sizeof(in), "lockstep-audit\n%s\n%s", a, b);

	ls_sha256(h, in, n > 0 ? (size_t)n : 0);
	h[6] = (uint8_t)((h[6] & 0x0f) | 0x50);
	h[8] = (uint8_t)((h[8] & 0x3f) | 0x80);
	snprintf(out, sizeof(out),
	    "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x",
	    h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], h[8], h[9], h[10],
	    h[11], h[12], h[13], h[14], h[15]);
	return json_string(out);
}

/* An OSCAL token: letters, digits, '.', '-', '_', starting with a
 * letter or '_'. */
static json_t *
token_of(const char *ctl)
{
	char out[160];
	size_t i, j = 0;

	if (!isalpha((unsigned char)ctl[0]))
		out[j++] = '_';
	for (i = 0; ctl[i] && j < sizeof(out) - 1; i++)
		out[j++] = isalnum((unsigned char)ctl[i]) || ctl[i] == '.' ||
			ctl[i] == '-'
		    ? ctl[i]
		    : '_';
	out[j] = '\0';
	return json_string(out);
}

static json_t *
observation(json_t *sum, const char *ctl, const char *agent)
{
	/* "s+" concatenates one more string argument per '+'. */
	return json_pack("{s:o, s:s+, s:s+++, s:[s], s:s, s:[{s:s+++, "
			 "s:s}]}",
	    "uuid", uuid_of(ctl, agent), "title", "Decisions of ", agent,
	    "description", "Decision records of agent ", agent,
	    " under control ", ctl, "methods", "TEST", "collected",
	    json_string_value(
		json_object_get(json_object_get(sum, "scope"), "generated")),
	    "relevant-evidence", "href", "../records.jsonl#agent=", agent,
	    "&control=", ctl, "description",
	    "records.jsonl: kind decision, this agent, this control; each "
	    "with its inclusion proof in proofs.jsonl");
}

static json_t *
finding(json_t *c, const char *ctl, json_t *obs_uuids)
{
	json_t *reasons = json_object_get(c, "reasons"), *r;
	char desc[1024];
	size_t i, off = 0;

	desc[0] = '\0';
	off += (size_t)snprintf(desc, sizeof(desc), "%lld decisions. ",
	    (long long)json_integer_value(json_object_get(c, "decisions")));
	json_array_foreach(reasons, i, r) if (off < sizeof(desc)) off +=
	    (size_t)snprintf(desc + off, sizeof(desc) - off, "%s. ",
		json_string_value(r));
	return json_pack("{s:o, s:s+, s:s, s:{s:s, s:o, s:{s:s}}, s:o}", "uuid",
	    uuid_of("finding", ctl), "title", "Control ", ctl, "description",
	    desc, "target", "type", "objective-id", "target-id", token_of(ctl),
	    "status", "state", json_string_value(json_object_get(c, "state")),
	    "related-observations", obs_uuids);
}

/* Observations and findings of every control. */
static int
per_control(json_t *sum, json_t *result)
{
	json_t *obs = json_array(), *finds = json_array(), *sel = json_array();
	json_t *c, *ag, *rel;
	const char *ctl;
	size_t i;

	json_object_foreach(json_object_get(sum, "controls"), ctl, c)
	{
		rel = json_array();
		json_array_foreach(json_object_get(c, "agents"), i, ag)
		{
			json_t *o =
			    observation(sum, ctl, json_string_value(ag));

			json_array_append_new(rel,
			    json_pack("{s:O}", "observation-uuid",
				json_object_get(o, "uuid")));
			json_array_append_new(obs, o);
		}
		json_t *f = finding(c, ctl, rel);
		if (json_array_size(rel) == 0)
			json_object_del(f, "related-observations");
		json_array_append_new(finds, f);
		json_array_append_new(sel,
		    json_pack("{s:o}", "control-id", token_of(ctl)));
	}
	if (json_array_size(sel) > 0)
		json_object_set_new(result, "reviewed-controls",
		    json_pack("{s:[{s:o}]}", "control-selections",
			"include-controls", sel));
	else /* OSCAL wants at least one control or include-all */
		json_object_set_new(result, "reviewed-controls",
		    json_pack("{s:[{s:s, s:{}}]}", "control-selections",
			"description",
			"Every control of the framework; no decision in the "
			"period names one.",
			"include-all"));
	if (json_array_size(sel) == 0)
		json_decref(sel);
	if (json_array_size(obs) > 0)
		json_object_set_new(result, "observations", obs);
	else
		json_decref(obs);
	if (json_array_size(finds) > 0)
		json_object_set_new(result, "findings", finds);
	else
		json_decref(finds);
	return 0;
}

int
ls_audit_oscal(struct ls_buf *out, json_t *sum)
{
	json_t *sc = json_object_get(sum, "scope"), *result, *doc;
	const char *what =
	    json_object_get(sc, "control") ? "control" : "framework";
	const char *gen = json_string_value(json_object_get(sc, "generated"));
	char key[256], *s;
	int rc;

	snprintf(key, sizeof(key), "%s %s %s %s",
	    json_string_value(json_object_get(sc, what)),
	    json_string_value(json_object_get(sc, "since")),
	    json_string_value(json_object_get(sc, "until")), gen);
	result = json_pack("{s:o, s:s, s:s, s:O, s:O}", "uuid",
	    uuid_of("result", key), "title", "Lockstep decision evidence",
	    "description",
	    "Findings computed by lockstep audit from signed, "
	    "Merkle-proven evidence records",
	    "start", json_object_get(sc, "since"), "end",
	    json_object_get(sc, "until"));
	per_control(sum, result);
	doc = json_pack("{s:{s:o, s:{s:s, s:s, s:s, s:s}, s:{s:s}, s:[o]}}",
	    "assessment-results", "uuid", uuid_of("doc", key), "metadata",
	    "title", "Lockstep audit package", "last-modified", gen, "version",
	    "1", "oscal-version", OSCAL_VERSION, "import-ap", "href",
	    "../manifest.note", "results", result);
	if (doc == NULL)
		return ls_error_set(LS_ENOMEM, "out of memory");
	s = json_dumps(doc, JSON_INDENT(1) | JSON_ENSURE_ASCII);
	rc = s ? ls_buf_addf(out, "%s\n", s)
	       : ls_error_set(LS_ENOMEM, "out of memory");
	free(s);
	json_decref(doc);
	return rc;
}
