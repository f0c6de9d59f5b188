/*
 * decrec.h - decision records: what every door (the Data API here; the
 * admission door and `lockstep check` call the same hook) writes for each
 * decision it answers, errors included (DESIGN.md "Decision records",
 * fields in notes/decisions-protocol.md section 1).
 *
 * Outcome of a result (documented rule, Conftest's conventions):
 *   - an error (bad request, no policy, evaluation error): "error";
 *   - a path whose last segment starts with "deny" or "violation": a
 *     non-empty set/array/object or true is "deny", else "allow";
 *   - one starting with "warn": non-empty or true is "warn", else "allow";
 *   - otherwise false is "deny", an object with a boolean "allowed" is
 *     that, anything else (undefined included) "allow".
 * Violations are the elements of a deny/warn result; each carries the
 * rule that produced it and that rule's controls (dectab.h).  controls of
 * the record: the union of the violations' and waivers' controls when
 * there are any (so a deny caused by one check is evidence for that
 * check's controls only), else every control the evaluated rule covers.
 *
 * Masking and dropping follow OPA's decision log policies: when the
 * bundle defines data.system.log.drop / data.system.log.mask they are
 * evaluated with input = the event {"path", "input", "result"}; drop
 * true drops the record (counted, never silent); mask is a set of JSON
 * pointers ("/input/password") to erase or {"op": "upsert", "path",
 * "value"} to set.  Only pointers under /input apply: the record carries
 * no raw result to mask.
 */
#ifndef LOCKSTEP_AGENT_DECREC_H
#define LOCKSTEP_AGENT_DECREC_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "declog.h"
#include "engine.h"
#include "lockstep/rego_deps.h"

#define LS_DECREC_INPUT_MAX (64 * 1024) /* default --decision-input-max */

enum ls_outcome { LS_OUT_ALLOW, LS_OUT_DENY, LS_OUT_WARN, LS_OUT_ERROR };
#define LS_NOUTCOMES 4
enum ls_door { LS_DOOR_API, LS_DOOR_ADMISSION, LS_DOOR_CI, LS_DOOR_PRECOMMIT };
#define LS_NDOORS 4

extern const char *const ls_outcome_names[LS_NOUTCOMES];
extern const char *const ls_door_names[LS_NDOORS];

/* One decision as a door saw it. */
struct ls_decision {
	enum ls_door door;
	const char *path;  /* data path, e.g. kubernetes/admission/deny */
	const char *input; /* input JSON bytes as received, or NULL */
	size_t input_len;
	const char *result; /* result JSON, NULL when undefined/error */
	const json_t *result_json; /* the same parsed, when the door has it */
	const char *error;  /* message when the decision failed */
	long long latency_us;
	const struct ls_engine_active *act; /* policy used, NULL if none */
	/* Attribution when the door evaluated the dectab leaves query (one
	 * evaluation for the answer and the record), or NULL. */
	const struct ls_rego_attr *attr;
	/* A door that judged the decision itself (lockstep check: every
	 * deny/violation/warn rule of a namespace, counted as Conftest
	 * does) gives the outcome, violations and controls, taken as they
	 * are; NULL: derived from path and result as above. */
	const struct ls_decision_verdict *verdict;
	/* hex SHA-256 of the input as the door received it (a file's
	 * bytes), or NULL: of input. */
	const char *input_sha256;
	/* The file checked (lockstep check), recorded as "file"; or NULL. */
	const char *file;
};

struct ls_decision_verdict {
	enum ls_outcome outcome;
	const json_t *violations; /* [{"msg","rule","controls":[..]}] */
	const json_t *controls;	  /* sorted, unique */
};

struct ls_decrec_counts {
	uint64_t by[LS_NDOORS][LS_NOUTCOMES]; /* decisions recorded or not */
};

struct ls_decrec;

/* log NULL turns records off (--decision-log=off): the hook then only
 * counts.  LS_ENOMEM. */
int
ls_decrec_new(struct ls_decrec **out, struct ls_declog *log, size_t input_max);
void ls_decrec_free(struct ls_decrec *r); /* NULL is a no-op */

/*
 * Record d.  id (LS_DECLOG_ID_MAX bytes) gets the record id, "" when the
 * bundle's drop policy dropped it or records are off.  LS_ETOOBIG when
 * the queue is full in required mode (answer with an error then),
 * LS_EIO, LS_ENOMEM: the record was not written.
 */
int
ls_decrec_record(struct ls_decrec *r, char *id, const struct ls_decision *d);

void ls_decrec_counts(struct ls_decrec *r, struct ls_decrec_counts *out);

/* 1 when records are written (not --decision-log=off). */
int ls_decrec_enabled(const struct ls_decrec *r);

/* The value of the first expression of query on p with input (a new
 * reference), NULL when undefined or on error. */
json_t *ls_decrec_query_value(const struct ls_rego_policy *p, const char *query,
    const char *input, size_t len);

/* The message of a result element: the string, or an object's "msg"
 * string; NULL otherwise. */
const char *ls_decrec_msg_of(const json_t *el);

/* The outcome word of a result by the rule above. */
enum ls_outcome
ls_decrec_outcome(const char *path, const char *result, int failed);

/* Byte span of the top-level "input" member's value in a JSON object
 * text already known to parse: 0 and *off, *n; -1 when absent. */
int ls_decrec_input_span(size_t *off, size_t *n, const char *body, size_t len);

/* Append the NULL-terminated controls not yet in arr.  LS_ENOMEM. */
int ls_decrec_add_controls(json_t *arr, const char *const *controls);

/* A new array of arr's strings, sorted, duplicates dropped; NULL on
 * ENOMEM. */
json_t *ls_decrec_sorted_unique(json_t *arr);

#endif
