/*
 * decfast.h - a decision record's violations, waived and controls
 * written as text straight from the door's attribution (ls_decision.attr),
 * for the common record: attributed in the deciding evaluation, no waiver
 * to look for (no leaf element the result lacks, or a document that
 * reads no exceptions), every element a message.  The same members, in
 * the same order, as decrec.c's general path builds with jansson.
 */
#ifndef LOCKSTEP_AGENT_DECFAST_H
#define LOCKSTEP_AGENT_DECFAST_H

#include <jansson.h>

#include "decrec.h"
#include "lockstep/buf.h"

/*
 * Append ,"violations":[...],"waived":[],"controls":[...] to b.  0; 1
 * (b unchanged) when the record needs the general path; LS_ENOMEM,
 * LS_ETOOBIG.
 */
int ls_decfast_members(struct ls_buf *b, const struct ls_decision *d,
    enum ls_outcome oc, const json_t *res);

#endif
