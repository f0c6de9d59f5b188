/*
 * confin.h - configuration files as Rego input: YAML (every document of a
 * stream), JSON (Terraform's `terraform show -json` plans included),
 * Dockerfile, TOML and INI, each turned into the value Conftest's parser
 * for that format gives, so a policy written for `conftest test` reads
 * the same input here.
 *
 * Every parser distrusts its input: LS_CONFIN_MAX_BYTES of text, nesting
 * up to LS_CONFIN_MAX_DEPTH, and the values live in a caller's arena
 * whose own cap bounds the rest (YAML alias expansion included).  HCL2 is
 * refused with a message: Debian has no maintained C library for it.
 */
#ifndef LOCKSTEP_CONFIN_H
#define LOCKSTEP_CONFIN_H

#include <stddef.h>

#include "rego/arena.h"
#include "rego/value.h"

#define LS_CONFIN_MAX_BYTES (64u << 20) /* one input file */
#define LS_CONFIN_MAX_DEPTH 256		/* nested collections */
#define LS_CONFIN_MAX_NODES 4000000	/* YAML nodes after aliases */

enum ls_confin_fmt {
	LS_CONFIN_AUTO = 0, /* from the file name */
	LS_CONFIN_YAML,
	LS_CONFIN_JSON,
	LS_CONFIN_DOCKERFILE,
	LS_CONFIN_TOML,
	LS_CONFIN_INI,
	LS_CONFIN_HCL2,
};

/* Format by name as Conftest's --parser spells it ("yaml", "json",
 * "dockerfile", "toml", "ini", "hcl2").  LS_EINVAL naming it. */
int ls_confin_format_parse(enum ls_confin_fmt *out, const char *name);

/* Format Conftest would pick for path ("-" is YAML); LS_ENOTFOUND when
 * the name says nothing (the caller may skip the file). */
int ls_confin_format_for(enum ls_confin_fmt *out, const char *path);

const char *ls_confin_format_name(enum ls_confin_fmt f);

/*
 * Parse len bytes of text in format fmt (not AUTO) into *out, allocated
 * in a.  name is used in messages only.  A YAML stream of several
 * documents gives an array of them, as Conftest does.  LS_EFORMAT with
 * "NAME: line L: reason" in ls_error_last(), LS_ETOOBIG past a cap,
 * LS_ENOMEM when the arena is exhausted, LS_EINVAL for HCL2.
 */
int ls_confin_parse(const struct ls_val **out, struct ls_arena *a,
    enum ls_confin_fmt fmt, const char *text, size_t len, const char *name);

/* The format parsers, for the dispatcher and the tests. */
int ls_confin_yaml(const struct ls_val **out, struct ls_arena *a,
    const char *text, size_t len, const char *name);
/* The first document only (none = null), with go-yaml's error wording
 * ("yaml: line N: problem"), as OPA's yaml.unmarshal reads: for the
 * yaml.* builtins, METADATA blocks and YAML data files (OPA's loader
 * reads those through the same go-yaml Unmarshal). */
int ls_confin_yaml_first(const struct ls_val **out, struct ls_arena *a,
    const char *text, size_t len);
/* What a plain (unquoted, untagged) scalar resolves to; NULL on ENOMEM. */
const struct ls_val *
ls_confin_yaml_plain(struct ls_arena *a, const char *s, size_t len);
int ls_confin_dockerfile(const struct ls_val **out, struct ls_arena *a,
    const char *text, size_t len, const char *name);
int ls_confin_toml(const struct ls_val **out, struct ls_arena *a,
    const char *text, size_t len, const char *name);
int ls_confin_ini(const struct ls_val **out, struct ls_arena *a,
    const char *text, size_t len, const char *name);

#endif
