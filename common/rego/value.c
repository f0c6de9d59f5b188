/* value.c - Rego values: constructors, accessors, order, equality, hash. */
#include <stdlib.h>
#include <string.h>

#include "lockstep/error.h"
#include "rego/value.h"

static const struct ls_val v_null = { .type = LS_VAL_NULL };
static const struct ls_val v_false = { .type = LS_VAL_BOOL, .u.b = 0 };
static const struct ls_val v_true = { .type = LS_VAL_BOOL, .u.b = 1 };
static const struct ls_val v_estr = { .type = LS_VAL_STRING,
	.u.str = { "", 0 } };
static const struct ls_val v_earr = { .type = LS_VAL_ARRAY };
static const struct ls_val v_eobj = { .type = LS_VAL_OBJECT };
static const struct ls_val v_eset = { .type = LS_VAL_SET };

const struct ls_val *
ls_val_null(void)
{
	return &v_null;
}
const struct ls_val *
ls_val_bool(int b)
{
	return b ? &v_true : &v_false;
}
const struct ls_val *
ls_val_empty_string(void)
{
	return &v_estr;
}
const struct ls_val *
ls_val_empty_array(void)
{
	return &v_earr;
}
const struct ls_val *
ls_val_empty_object(void)
{
	return &v_eobj;
}
const struct ls_val *
ls_val_empty_set(void)
{
	return &v_eset;
}

static struct ls_val *
new_val(struct ls_arena *a, enum ls_val_type t)
{
	struct ls_val *v = ls_arena_alloc(a, sizeof(*v));

	if (v != NULL)
		v->type = t;
	return v;
}

const struct ls_val *
ls_val_int(struct ls_arena *a, int64_t i)
{
	struct ls_val *v = new_val(a, LS_VAL_NUMBER);

	if (v != NULL)
		ls_num_from_int64(&v->u.num, i);
	return v;
}

const struct ls_val *
ls_val_number(struct ls_arena *a, const struct ls_num *n)
{
	struct ls_val *v = new_val(a, LS_VAL_NUMBER);

	if (v != NULL)
		v->u.num = *n;
	return v;
}

const struct ls_val *
ls_val_double(struct ls_arena *a, double d)
{
	struct ls_num n;

	if (ls_num_from_double(&n, a, d) != 0)
		return NULL;
	return ls_val_number(a, &n);
}

const struct ls_val *
ls_val_number_text(struct ls_arena *a, const char *s, size_t len)
{
	struct ls_num n;

	if (ls_num_from_text(&n, a, s, len) != 0)
		return NULL;
	return ls_val_number(a, &n);
}

const struct ls_val *
ls_val_string_ref(struct ls_arena *a, const char *p, size_t len)
{
	struct ls_val *v;

	if (len == 0)
		return &v_estr;
	v = new_val(a, LS_VAL_STRING);
	if (v != NULL) {
		v->u.str.p = p;
		v->u.str.len = len;
	}
	return v;
}

const struct ls_val *
ls_val_string(struct ls_arena *a, const char *p, size_t len)
{
	char *s;

	if (len == 0)
		return &v_estr;
	s = ls_arena_strndup(a, p, len);
	return s != NULL ? ls_val_string_ref(a, s, len) : NULL;
}

const struct ls_val *
ls_val_cstring(struct ls_arena *a, const char *s)
{
	return ls_val_string(a, s, strlen(s));
}

static const struct ls_val **
copy_items(struct ls_arena *a, const struct ls_val *const *items, size_t n)
{
	const struct ls_val **v;

	if (n > SIZE_MAX / sizeof(*v))
		return NULL;
	v = ls_arena_alloc(a, n * sizeof(*v));
	if (v != NULL && n > 0)
		memcpy(v, items, n * sizeof(*v));
	return v;
}

const struct ls_val *
ls_val_array(struct ls_arena *a, const struct ls_val *const *items, size_t n)
{
	struct ls_val *v;

	if (n == 0)
		return &v_earr;
	v = new_val(a, LS_VAL_ARRAY);
	if (v == NULL || (v->u.arr.v = copy_items(a, items, n)) == NULL)
		return NULL;
	v->u.arr.n = n;
	return v;
}

static int
cmp_ptr(const void *x, const void *y)
{
	return ls_val_compare(*(const struct ls_val *const *)x,
	    *(const struct ls_val *const *)y);
}

static int
is_sorted_unique(const struct ls_val *const *items, size_t n)
{
	size_t i;

	for (i = 1; i < n; i++)
		if (ls_val_compare(items[i - 1], items[i]) >= 0)
			return 0;
	return 1;
}

const struct ls_val *
ls_val_set(struct ls_arena *a, const struct ls_val *const *items, size_t n)
{
	struct ls_val *v;
	const struct ls_val **s;
	size_t i, m = 0;

	if (n == 0)
		return &v_eset;
	v = new_val(a, LS_VAL_SET);
	if (v == NULL || (s = copy_items(a, items, n)) == NULL)
		return NULL;
	if (!is_sorted_unique(items, n)) {
		qsort(s, n, sizeof(*s), cmp_ptr);
		for (i = 0; i < n; i++)
			if (m == 0 || ls_val_compare(s[m - 1], s[i]) != 0)
				s[m++] = s[i];
		n = m;
	}
	v->u.set.v = s;
	v->u.set.n = n;
	return v;
}

struct kv {
	const struct ls_val *k, *v;
	size_t idx; /* position in the input: later wins if asked */
};

static int
cmp_kv(const void *x, const void *y)
{
	const struct kv *a = x, *b = y;
	int c = ls_val_compare(a->k, b->k);

	return c ? c : a->idx < b->idx ? -1 : a->idx > b->idx;
}

/* conflict == NULL with last_wins: duplicates keep the last value. */
static const struct ls_val *
object_from_kv(struct ls_arena *a, struct kv *kv, size_t n, int *conflict,
    int last_wins)
{
	struct ls_val *o = new_val(a, LS_VAL_OBJECT);
	size_t i, m = 0;

	if (o == NULL)
		return NULL;
	qsort(kv, n, sizeof(*kv), cmp_kv);
	o->u.obj.k = ls_arena_alloc(a, n * sizeof(*o->u.obj.k));
	o->u.obj.v = ls_arena_alloc(a, n * sizeof(*o->u.obj.v));
	if (o->u.obj.k == NULL || o->u.obj.v == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if (m > 0 && ls_val_compare(o->u.obj.k[m - 1], kv[i].k) == 0) {
			if (last_wins)
				o->u.obj.v[m - 1] = kv[i].v;
			if (last_wins ||
			    ls_val_equal(o->u.obj.v[m - 1], kv[i].v))
				continue;
			if (conflict != NULL)
				*conflict = 1;
			return NULL;
		}
		o->u.obj.k[m] = kv[i].k;
		o->u.obj.v[m++] = kv[i].v;
	}
	o->u.obj.n = m;
	return o;
}

static const struct ls_val *
object_new(struct ls_arena *a, const struct ls_val *const *keys,
    const struct ls_val *const *vals, size_t n, int *conflict, int last_wins)
{
	struct kv *kv;
	size_t i;

	if (conflict != NULL)
		*conflict = 0;
	if (n == 0)
		return &v_eobj;
	if (n > SIZE_MAX / sizeof(*kv))
		return NULL;
	kv = ls_arena_alloc(a, n * sizeof(*kv));
	if (kv == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		kv[i].k = keys[i];
		kv[i].v = vals[i];
		kv[i].idx = i;
	}
	return object_from_kv(a, kv, n, conflict, last_wins);
}

const struct ls_val *
ls_val_object(struct ls_arena *a, const struct ls_val *const *keys,
    const struct ls_val *const *vals, size_t n, int *conflict)
{
	return object_new(a, keys, vals, n, conflict, 0);
}

const struct ls_val *
ls_val_object_last(struct ls_arena *a, const struct ls_val *const *keys,
    const struct ls_val *const *vals, size_t n)
{
	return object_new(a, keys, vals, n, NULL, 1);
}

void
ls_vlist_init(struct ls_vlist *l, struct ls_arena *a)
{
	l->a = a;
	l->v = NULL;
	l->n = 0;
	l->cap = 0;
}

int
ls_vlist_push(struct ls_vlist *l, const struct ls_val *v)
{
	const struct ls_val **nv;
	size_t cap;

	if (l->n == l->cap) {
		cap = l->cap ? l->cap * 2 : 8;
		if (cap > SIZE_MAX / sizeof(*nv))
			return LS_ENOMEM;
		nv = ls_arena_alloc(l->a, cap * sizeof(*nv));
		if (nv == NULL)
			return LS_ENOMEM;
		if (l->n > 0)
			memcpy(nv, l->v, l->n * sizeof(*nv));
		l->v = nv;
		l->cap = cap;
	}
	l->v[l->n++] = v;
	return 0;
}

static size_t
bsearch_val(const struct ls_val *const *v, size_t n, const struct ls_val *key,
    int *found)
{
	size_t lo = 0, hi = n;

	*found = 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = ls_val_compare(v[mid], key);

		if (c == 0) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const struct ls_val *
ls_val_object_get(const struct ls_val *obj, const struct ls_val *key)
{
	int found;
	size_t i;

	if (obj->type != LS_VAL_OBJECT)
		return NULL;
	i = bsearch_val(obj->u.obj.k, obj->u.obj.n, key, &found);
	return found ? obj->u.obj.v[i] : NULL;
}

const struct ls_val *
ls_val_object_gets(const struct ls_val *obj, const char *key, size_t len)
{
	struct ls_val k;

	k.type = LS_VAL_STRING;
	k.u.str.p = key;
	k.u.str.len = len;
	return ls_val_object_get(obj, &k);
}

int
ls_val_set_has(const struct ls_val *set, const struct ls_val *v)
{
	int found;

	if (set->type != LS_VAL_SET)
		return 0;
	bsearch_val(set->u.set.v, set->u.set.n, v, &found);
	return found;
}

size_t
ls_val_len(const struct ls_val *v)
{
	switch (v->type) {
	case LS_VAL_STRING: return v->u.str.len;
	case LS_VAL_ARRAY: return v->u.arr.n;
	case LS_VAL_OBJECT: return v->u.obj.n;
	case LS_VAL_SET: return v->u.set.n;
	default: return 0;
	}
}

int
ls_val_is_string(const struct ls_val *v, const char *s)
{
	size_t n = strlen(s);

	return v->type == LS_VAL_STRING && v->u.str.len == n &&
	    memcmp(v->u.str.p, s, n) == 0;
}

const char *
ls_val_type_name(const struct ls_val *v)
{
	static const char *const names[] = { "null", "boolean", "number",
		"string", "array", "object", "set" };

	return names[v->type];
}

static int
cmp_str(const struct ls_val *a, const struct ls_val *b)
{
	size_t n = a->u.str.len < b->u.str.len ? a->u.str.len : b->u.str.len;
	int c = n ? memcmp(a->u.str.p, b->u.str.p, n) : 0;

	if (c != 0)
		return c < 0 ? -1 : 1;
	return a->u.str.len < b->u.str.len ? -1 : a->u.str.len > b->u.str.len;
}

static int
cmp_seq(const struct ls_val *const *a, size_t na, const struct ls_val *const *b,
    size_t nb)
{
	size_t i, n = na < nb ? na : nb;
	int c;

	for (i = 0; i < n; i++)
		if ((c = ls_val_compare(a[i], b[i])) != 0)
			return c;
	return na < nb ? -1 : na > nb;
}

static int
cmp_obj(const struct ls_val *a, const struct ls_val *b)
{
	size_t i, n = a->u.obj.n < b->u.obj.n ? a->u.obj.n : b->u.obj.n;
	int c;

	for (i = 0; i < n; i++) {
		if ((c = ls_val_compare(a->u.obj.k[i], b->u.obj.k[i])) != 0)
			return c;
		if ((c = ls_val_compare(a->u.obj.v[i], b->u.obj.v[i])) != 0)
			return c;
	}
	return a->u.obj.n < b->u.obj.n ? -1 : a->u.obj.n > b->u.obj.n;
}

int
ls_val_compare(const struct ls_val *a, const struct ls_val *b)
{
	if (a == b)
		return 0;
	if (a->type != b->type)
		return a->type < b->type ? -1 : 1;
	switch (a->type) {
	case LS_VAL_NULL: return 0;
	case LS_VAL_BOOL: return a->u.b - b->u.b;
	case LS_VAL_NUMBER: return ls_num_cmp(&a->u.num, &b->u.num);
	case LS_VAL_STRING: return cmp_str(a, b);
	case LS_VAL_ARRAY:
		return cmp_seq(a->u.arr.v, a->u.arr.n, b->u.arr.v, b->u.arr.n);
	case LS_VAL_OBJECT: return cmp_obj(a, b);
	case LS_VAL_SET:
		return cmp_seq(a->u.set.v, a->u.set.n, b->u.set.v, b->u.set.n);
	}
	return 0;
}

int
ls_val_equal(const struct ls_val *a, const struct ls_val *b)
{
	return ls_val_compare(a, b) == 0;
}

static uint64_t
mix(uint64_t h, uint64_t x)
{
	h ^= x + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
	return h;
}

static uint64_t
hash_bytes(const char *p, size_t n)
{
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 1099511628211ULL;
	return h;
}

uint64_t
ls_val_hash(const struct ls_val *v)
{
	uint64_t h = (uint64_t)v->type + 1;
	size_t i;

	switch (v->type) {
	case LS_VAL_NULL: return h;
	case LS_VAL_BOOL: return mix(h, (uint64_t)v->u.b);
	case LS_VAL_NUMBER:
		if (v->u.num.digits == NULL)
			return mix(h, (uint64_t)v->u.num.i);
		return mix(mix(h,
			       hash_bytes(v->u.num.digits, v->u.num.ndigits)),
		    (uint64_t)v->u.num.exp);
	case LS_VAL_STRING: return mix(h, hash_bytes(v->u.str.p, v->u.str.len));
	case LS_VAL_ARRAY:
		for (i = 0; i < v->u.arr.n; i++)
			h = mix(h, ls_val_hash(v->u.arr.v[i]));
		return h;
	case LS_VAL_OBJECT:
		for (i = 0; i < v->u.obj.n; i++)
			h = mix(mix(h, ls_val_hash(v->u.obj.k[i])),
			    ls_val_hash(v->u.obj.v[i]));
		return h;
	case LS_VAL_SET:
		for (i = 0; i < v->u.set.n; i++)
			h = mix(h, ls_val_hash(v->u.set.v[i]));
		return h;
	}
	return h;
}
