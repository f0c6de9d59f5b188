/*
 * check_sarif.c - `lockstep check -o sarif`: one SARIF 2.1.0 run, with
 * the rules Conftest reports (NAMESPACE/deny, /warn, /allow for
 * exceptions, /success and /skip for clean files) and one result per
 * message, located at its file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "lockstep/error.h"

#define SARIF_SCHEMA "https://json.schemastore.org/sarif-2.1.0.json"

static const char *
description(const char *type)
{
	if (strcmp(type, "success") == 0)
		return "Policy was satisfied successfully";
	if (strcmp(type, "skip") == 0)
		return "Policy check was skipped";
	if (strcmp(type, "allow") == 0)
		return "Policy exception";
	if (strcmp(type, "warn") == 0)
		return "Policy warning";
	return "Policy violation";
}

/* Index of rule NS/TYPE in rules, added on first use. */
static size_t
rule_index(json_t *rules, const char *ns, const char *type,
    const json_t *metadata)
{
	char id[1024];
	size_t i;
	json_t *r;

	snprintf(id, sizeof(id), "%s/%s", ns, type);
	json_array_foreach(rules, i, r) if (strcmp(json_string_value(
						    json_object_get(r, "id")),
					    id) == 0) return i;
	r = json_pack("{s:s, s:{s:s}, s:{s:s}}", "id", id, "shortDescription",
	    "text", description(type), "fullDescription", "text",
	    description(type));
	if (r != NULL && json_object_size(metadata) > 0)
		json_object_set_new(r, "properties", json_deep_copy(metadata));
	json_array_append_new(rules, r);
	return json_array_size(rules) - 1;
}

static int
add(json_t *rules, json_t *out, const json_t *result, const char *ns,
    const char *type, const char *level, const char *file)
{
	const char *msg = json_string_value(json_object_get(result, "msg"));
	size_t idx = rule_index(rules, ns, type,
	    json_object_get(result, "metadata"));
	char id[1024];
	json_t *r;

	snprintf(id, sizeof(id), "%s/%s", ns, type);
	r = json_pack("{s:s, s:I, s:s, s:{s:s}, s:[{s:{s:{s:s}}}]}", "ruleId",
	    id, "ruleIndex", (json_int_t)idx, "level", level, "message",
	    "text", msg ? msg : "", "locations", "physicalLocation",
	    "artifactLocation", "uri", file);
	return r != NULL && json_array_append_new(out, r) == 0 ? 0 : LS_ENOMEM;
}

static int
add_all(json_t *rules, json_t *out, const json_t *r)
{
	const char *ns = json_string_value(json_object_get(r, "namespace"));
	const char *file = json_string_value(json_object_get(r, "filename"));
	size_t i, nbad;
	json_t *x;
	int rc = 0;

	json_array_foreach(json_object_get(r, "failures"), i, x) if (rc == 0)
	    rc = add(rules, out, x, ns, "deny", "error", file);
	json_array_foreach(json_object_get(r, "warnings"), i, x) if (rc == 0)
	    rc = add(rules, out, x, ns, "warn", "warning", file);
	json_array_foreach(json_object_get(r, "exceptions"), i, x) if (rc == 0)
	    rc = add(rules, out, x, ns, "allow", "note", file);
	nbad = json_array_size(json_object_get(r, "failures")) +
	    json_array_size(json_object_get(r, "warnings"));
	if (rc == 0 && nbad == 0) {
		int ok = json_integer_value(json_object_get(r, "successes")) >
			0 ||
		    json_array_size(json_object_get(r, "exceptions")) > 0;
		const char *type = ok ? "success" : "skip";
		json_t *status = json_pack("{s:s, s:{s:s}}", "msg",
		    description(type), "metadata", "description",
		    description(type));

		rc = status ? add(rules, out, status, ns, type, "none", file)
			    : LS_ENOMEM;
		json_decref(status);
	}
	return rc;
}

int
ls_check_sarif(FILE *f, const json_t *results, int exit_code)
{
	json_t *rules = json_array(), *out = json_array(), *doc = NULL, *r;
	const char *desc = "No policy violations found";
	size_t i;
	int rc = rules && out ? 0 : LS_ENOMEM, fail = 0, warn = 0;
	char *text;

	json_array_foreach(results, i, r)
	{
		if (rc == 0)
			rc = add_all(rules, out, r);
		fail |= json_array_size(json_object_get(r, "failures")) > 0;
		warn |= json_array_size(json_object_get(r, "warnings")) > 0;
	}
	if (fail)
		desc = "Policy violations found";
	else if (warn)
		desc = "Policy warnings found";
	if (rc == 0)
		doc = json_pack("{s:s, s:s, s:[{s:{s:{s:s, s:s, s:o}}, s:o, "
				"s:[{s:b, s:i, s:s}]}]}",
		    "version", "2.1.0", "$schema", SARIF_SCHEMA, "runs", "tool",
		    "driver", "name", "lockstep", "informationUri",
		    "https://github.com/open-policy-agent/conftest", "rules",
		    json_incref(rules), "results", json_incref(out),
		    "invocations", "executionSuccessful", 1, "exitCode",
		    exit_code, "exitCodeDescription", desc);
	text = doc ? json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER)
		   : NULL;
	if (text != NULL)
		fprintf(f, "%s\n", text);
	else if (rc == 0)
		rc = LS_ENOMEM;
	free(text);
	json_decref(doc);
	json_decref(rules);
	json_decref(out);
	return rc == 0 ? 0 : ls_error_set(rc, "out of memory");
}
