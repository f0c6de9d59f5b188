/*
 * bi_table.c - the builtin registry.  Owned by the "rego-builtins"
 * helper, who adds an entry per builtin; names are OPA's, sorted or not
 * (ls_bi_lookup searches linearly at compile time only).
 */
#include <stddef.h>

#include "rego/builtins.h"

const struct ls_bi ls_bi_table[] = {
	{ "equal", 2, 0, ls_bi_equal },
	{ "neq", 2, 0, ls_bi_neq },
	{ "lt", 2, 0, ls_bi_lt },
	{ "gt", 2, 0, ls_bi_gt },
	{ "lte", 2, 0, ls_bi_lte },
	{ "gte", 2, 0, ls_bi_gte },
};

const size_t ls_bi_table_len = sizeof(ls_bi_table) / sizeof(ls_bi_table[0]);
