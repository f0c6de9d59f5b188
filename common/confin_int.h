/* confin_int.h - helpers shared by the configuration parsers. */
#ifndef LOCKSTEP_CONFIN_INT_H
#define LOCKSTEP_CONFIN_INT_H

#include "lockstep/error.h"
#include "rego/value.h"

/* Push v, treating a NULL value (its constructor ran out of arena) as
 * LS_ENOMEM, so callers can pass constructors straight in. */
static inline int
confin_push(struct ls_vlist *l, const struct ls_val *v)
{
	return v == NULL ? LS_ENOMEM : ls_vlist_push(l, v);
}

#endif
