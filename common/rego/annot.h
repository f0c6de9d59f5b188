/* annot.h - METADATA annotations: the YAML in a `# METADATA` comment
 * block just above a package or rule, as rego.metadata.rule() and
 * rego.metadata.chain() return it. */
#ifndef LS_REGO_ANNOT_H
#define LS_REGO_ANNOT_H

#include "rego/arena.h"
#include "rego/value.h"

/* Most lines a METADATA block may span. */
#define LS_ANNOT_MAX_LINES 1000

/*
 * Annotation of the item whose first token starts at `at` in src (src is
 * the module text, at points into it).  *out is NULL when there is no
 * METADATA block right above; otherwise an object with "scope" set
 * (dflt_scope when the block names none) and authors as objects.
 * Returns LS_EREGO with a one-line reason in err when the YAML is bad.
 */
int
ls_annot_before(const struct ls_val **out, struct ls_arena *a, const char *src,
    const char *at, const char *dflt_scope, char *err, size_t errlen);

/* YAML text -> value (builtins/yaml.c); -1 with err filled on failure. */
int ls_yaml_parse(const struct ls_val **out, struct ls_arena *a, const char *s,
    size_t n, char *err, size_t errlen);

#endif
