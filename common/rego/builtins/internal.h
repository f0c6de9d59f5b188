/*
 * bi_internal.h - shared by the builtin implementations (bi_*.c): the
 * operand checks every builtin repeats, and the prototypes the registry
 * table (table.c) points at.  Internal to common/rego.
 */
#ifndef LS_REGO_BI_INTERNAL_H
#define LS_REGO_BI_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "lockstep/buf.h"
#include "rego/builtins.h"
#include "rego/number_arith.h"
#include "rego/value.h"

#define BI_MAX_STRING (64u * 1024 * 1024) /* cap on built strings */
#define BI_MAX_ITEMS (16u * 1024 * 1024)  /* cap on built collections */

#define BI_ARGS                                                                \
	struct ls_bi_ctx *ctx, const struct ls_val *const *args, size_t nargs, \
	    const struct ls_val **out

/* Operand i (0-based) must be a string: fills *s and *len, or a type error. */
int bi_arg_str(struct ls_bi_ctx *ctx, const struct ls_val *const *args, int i,
    const char **s, size_t *len);
/* Operand i must be a number. */
int bi_arg_num(struct ls_bi_ctx *ctx, const struct ls_val *const *args, int i,
    const struct ls_num **n);
/* Operand i must be an integral number fitting int64. */
int bi_arg_int(struct ls_bi_ctx *ctx, const struct ls_val *const *args, int i,
    int64_t *v);
/* Operand i must have type t (want is OPA's wording, e.g. "array"). */
int bi_arg_type(struct ls_bi_ctx *ctx, const struct ls_val *const *args, int i,
    enum ls_val_type t, const char *want);

/* "NAME: operand N must be array of WANT but got array containing T". */
int bi_elem_error(struct ls_bi_ctx *ctx, int operand, const struct ls_val *coll,
    const struct ls_val *got, const char *want);

/* *out = v, or LS_BI_ENOMEM when v is NULL (arena exhausted). */
int bi_ret(const struct ls_val **out, const struct ls_val *v);
/* String result from a buffer (copied into the arena; buffer cleaned). */
int
bi_ret_buf(struct ls_bi_ctx *ctx, const struct ls_val **out, struct ls_buf *b);
int bi_ret_num(struct ls_bi_ctx *ctx, const struct ls_val **out,
    const struct ls_num *n);
/* Map an ls_err from a helper layer to a builtin error with its message. */
int bi_fail(struct ls_bi_ctx *ctx, int rc);
/* Map an ls_err from a helper layer to a builtin error without the
 * builtin-name prefix (OPA prints some messages bare). */
int bi_fail_bare(struct ls_bi_ctx *ctx, int rc);

/* Decimal text of any number (as opa prints it) into b. */
int bi_num_text(struct ls_buf *b, const struct ls_num *n);
/* 1 when n is integral. */
int bi_num_is_int(const struct ls_num *n);

/* Elements of an array or set (NULL for other types), count in *n. */
const struct ls_val *const *bi_elems(const struct ls_val *v, size_t *n);

/* Builtin prototypes, one per table entry. */
#define BI_DECL(fn) int fn(BI_ARGS)
/* aggregates (agg.c) */
BI_DECL(ls_bi_count);
BI_DECL(ls_bi_sum);
BI_DECL(ls_bi_product);
BI_DECL(ls_bi_max);
BI_DECL(ls_bi_min);
BI_DECL(ls_bi_sort);
BI_DECL(ls_bi_all);
BI_DECL(ls_bi_any);
BI_DECL(ls_bi_member2);
BI_DECL(ls_bi_member3);
/* arithmetic and bits (arith.c) */
BI_DECL(ls_bi_plus);
BI_DECL(ls_bi_minus);
BI_DECL(ls_bi_mul);
BI_DECL(ls_bi_div);
BI_DECL(ls_bi_rem);
BI_DECL(ls_bi_abs);
BI_DECL(ls_bi_round);
BI_DECL(ls_bi_ceil);
BI_DECL(ls_bi_floor);
BI_DECL(ls_bi_numbers_range);
BI_DECL(ls_bi_numbers_range_step);
BI_DECL(ls_bi_bits_and);
BI_DECL(ls_bi_bits_or);
BI_DECL(ls_bi_bits_xor);
BI_DECL(ls_bi_bits_negate);
BI_DECL(ls_bi_bits_lsh);
BI_DECL(ls_bi_bits_rsh);
/* sets and arrays (coll.c) */
BI_DECL(ls_bi_and);
BI_DECL(ls_bi_or);
BI_DECL(ls_bi_intersection);
BI_DECL(ls_bi_union);
BI_DECL(ls_bi_array_concat);
BI_DECL(ls_bi_array_slice);
BI_DECL(ls_bi_array_reverse);
/* objects (object.c) */
BI_DECL(ls_bi_object_get);
BI_DECL(ls_bi_object_remove);
BI_DECL(ls_bi_object_union);
BI_DECL(ls_bi_object_union_n);
BI_DECL(ls_bi_object_filter);
BI_DECL(ls_bi_object_subset);
BI_DECL(ls_bi_object_keys);
BI_DECL(ls_bi_json_filter);
BI_DECL(ls_bi_json_remove);
BI_DECL(ls_bi_json_patch);
BI_DECL(ls_bi_walk);
/* types and casts (types.c) */
BI_DECL(ls_bi_is_number);
BI_DECL(ls_bi_is_string);
BI_DECL(ls_bi_is_boolean);
BI_DECL(ls_bi_is_array);
BI_DECL(ls_bi_is_set);
BI_DECL(ls_bi_is_object);
BI_DECL(ls_bi_is_null);
BI_DECL(ls_bi_type_name);
BI_DECL(ls_bi_to_number);
BI_DECL(ls_bi_cast_array);
BI_DECL(ls_bi_cast_set);
BI_DECL(ls_bi_cast_string);
BI_DECL(ls_bi_cast_boolean);
BI_DECL(ls_bi_cast_null);
BI_DECL(ls_bi_cast_object);
BI_DECL(ls_bi_print);
BI_DECL(ls_bi_trace);
BI_DECL(ls_bi_test_sleep);
BI_DECL(ls_bi_template_string);
/* strings (strings.c) */
BI_DECL(ls_bi_concat);
BI_DECL(ls_bi_contains);
BI_DECL(ls_bi_startswith);
BI_DECL(ls_bi_endswith);
BI_DECL(ls_bi_lower);
BI_DECL(ls_bi_upper);
BI_DECL(ls_bi_split);
BI_DECL(ls_bi_replace);
BI_DECL(ls_bi_replace_n);
BI_DECL(ls_bi_indexof);
BI_DECL(ls_bi_indexof_n);
BI_DECL(ls_bi_substring);
BI_DECL(ls_bi_trim);
BI_DECL(ls_bi_trim_left);
BI_DECL(ls_bi_trim_right);
BI_DECL(ls_bi_trim_prefix);
BI_DECL(ls_bi_trim_suffix);
BI_DECL(ls_bi_trim_space);
BI_DECL(ls_bi_sprintf);
BI_DECL(ls_bi_format_int);
BI_DECL(ls_bi_strings_reverse);
BI_DECL(ls_bi_any_prefix_match);
BI_DECL(ls_bi_any_suffix_match);
BI_DECL(ls_bi_strings_count);
BI_DECL(ls_bi_render_template);
/* regex and glob (match.c) */
BI_DECL(ls_bi_re_match);
BI_DECL(ls_bi_regex_is_valid);
BI_DECL(ls_bi_regex_split);
BI_DECL(ls_bi_regex_find_n);
BI_DECL(ls_bi_regex_find_all_sub);
BI_DECL(ls_bi_regex_replace);
BI_DECL(ls_bi_regex_template_match);
BI_DECL(ls_bi_glob_match);
BI_DECL(ls_bi_glob_quote_meta);
BI_DECL(ls_bi_regex_globs_match);
/* encodings (encoding.c) */
BI_DECL(ls_bi_json_marshal);
BI_DECL(ls_bi_json_unmarshal);
BI_DECL(ls_bi_json_marshal_opts);
BI_DECL(ls_bi_json_match_schema);
BI_DECL(ls_bi_json_verify_schema);
BI_DECL(ls_bi_json_is_valid);
BI_DECL(ls_bi_base64_encode);
BI_DECL(ls_bi_base64_decode);
BI_DECL(ls_bi_base64_is_valid);
BI_DECL(ls_bi_base64url_encode);
BI_DECL(ls_bi_base64url_encode_no_pad);
BI_DECL(ls_bi_base64url_decode);
BI_DECL(ls_bi_hex_encode);
BI_DECL(ls_bi_hex_decode);
BI_DECL(ls_bi_urlquery_encode);
BI_DECL(ls_bi_urlquery_decode);
BI_DECL(ls_bi_urlquery_encode_object);
BI_DECL(ls_bi_urlquery_decode_object);
BI_DECL(ls_bi_units_parse);
BI_DECL(ls_bi_rego_parse_module);
BI_DECL(ls_bi_net_lookup_ip_addr);
BI_DECL(ls_bi_units_parse_bytes);
/* net, semver, uuid (net.c) */
BI_DECL(ls_bi_cidr_contains);
BI_DECL(ls_bi_cidr_intersects);
BI_DECL(ls_bi_cidr_is_valid);
BI_DECL(ls_bi_cidr_expand);
BI_DECL(ls_bi_cidr_merge);
BI_DECL(ls_bi_cidr_contains_matches);
BI_DECL(ls_bi_semver_is_valid);
BI_DECL(ls_bi_semver_compare);
/* time (timefn.c) */
BI_DECL(ls_bi_time_now_ns);
BI_DECL(ls_bi_time_parse_ns);
BI_DECL(ls_bi_time_parse_rfc3339_ns);
BI_DECL(ls_bi_time_parse_duration_ns);
BI_DECL(ls_bi_time_date);
BI_DECL(ls_bi_time_clock);
BI_DECL(ls_bi_time_weekday);
BI_DECL(ls_bi_time_add_date);
BI_DECL(ls_bi_time_diff);
BI_DECL(ls_bi_time_format);
/* graphs (graph.c), rand and uuid (uuid.c) */
BI_DECL(ls_bi_graph_reachable);
BI_DECL(ls_bi_graph_reachable_paths);
BI_DECL(ls_bi_rand_intn);
BI_DECL(ls_bi_uuid_rfc4122);
BI_DECL(ls_bi_uuid_parse);
BI_DECL(ls_bi_array_flatten);
BI_DECL(ls_bi_split_n);
BI_DECL(ls_bi_yaml_marshal);
BI_DECL(ls_bi_yaml_unmarshal);
BI_DECL(ls_bi_yaml_is_valid);
/* runtime (runtime.c) */
BI_DECL(ls_bi_opa_runtime);
BI_DECL(ls_bi_http_send);
#undef BI_DECL

#endif
