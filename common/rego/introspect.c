/* introspect.c - what a compiled policy defines, for tools that pick
 * rules by name (lockstep check follows Conftest's deny/warn naming). */
#include <stdio.h>
#include <string.h>

#include "lockstep/rego.h"
#include "rego/ast.h"
#include "rego/compile.h"

int
ls_rego_policy_rules(const struct ls_rego_policy *p,
    int (*fn)(void *arg, const char *package, const char *rule), void *arg)
{
	char pkg[1024];
	size_t m, r, i, o;
	int rc;

	for (m = 0; m < p->nmods; m++) {
		const struct ls_module *mod = p->mods[m];

		for (i = 0, o = 0; i < mod->npkg && o < sizeof(pkg); i++)
			o += (size_t)snprintf(pkg + o, sizeof(pkg) - o, "%s%s",
			    i ? "." : "", mod->pkg[i]);
		if (o >= sizeof(pkg))
			continue; /* no tool names a package that long */
		for (r = 0; r < mod->nrules; r++) {
			const struct ls_rule *rule = mod->rules[r];

			if (rule->npath <= mod->npkg)
				continue;
			if ((rc = fn(arg, pkg, rule->path[mod->npkg])) != 0)
				return rc;
		}
	}
	return 0;
}
