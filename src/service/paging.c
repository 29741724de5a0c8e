/* service/paging.c -- page size, order_by parsing and the page token
 * codec (format in paging.h). Pure: no I/O, no SQL, no protobuf; every
 * input is untrusted and checked byte by byte. */
#include <assert.h>
#include <string.h>
#include <strings.h>

#include "core/base64.h"
#include "service/paging.h"
#include "service/validate.h"

#define TOKEN_VERSION_1 1
#define TOKEN_HEADER_V1 10 /* version, hash, key count */
#define TOKEN_VERSION   2
#define TOKEN_HEADER    18 /* version, hash, total, key count */

oz_code
paging_size(int32_t page_size, int32_t skip, int64_t *size, oz_status *st)
{
	bool ok = true;
	if (page_size < 0) {
		oz_status_violation(st, "page_size", "must not be negative");
		ok = false;
	}
	if (skip < 0) {
		oz_status_violation(st, "skip", "must not be negative");
		ok = false;
	}
	*size = page_size == 0                ? PAGING_DEFAULT_SIZE
		: page_size > PAGING_MAX_SIZE ? PAGING_MAX_SIZE
					      : page_size;
	return validate_end(st, ok);
}

static bool
is_space(char ch)
{
	return ch == ' ' || ch == '\t';
}

static oz_code
order_error(oz_status *st, const char *what, const char *item, size_t len)
{
	char copy[PAGING_ORDER_BY_MAX + 1], echo[64];
	memcpy(copy, item, len);
	copy[len] = '\0';
	validate_echo(echo, sizeof(echo), copy);
	oz_status_violation(st, "order_by", "%s \"%s\"", what, echo);
	if (strcmp(what, "unknown field") == 0) {
		return oz_fail(st, OZ_INVALID_ARGUMENT,
			"unknown order_by field \"%s\"", echo);
	}
	return oz_fail(st, OZ_INVALID_ARGUMENT, "invalid order_by");
}

/* Parses one trimmed, non-empty item s[0..len) into its column and
 * direction. */
static oz_code
parse_item(const char *s, size_t len, const store_column *cols, int n_cols,
	int *col, bool *desc, oz_status *st)
{
	size_t name = 0;
	while (name < len && !is_space(s[name])) {
		name++;
	}
	*col = -1;
	for (int i = 0; i < n_cols && *col < 0; i++) {
		if (strlen(cols[i].name) == name &&
			memcmp(cols[i].name, s, name) == 0) {
			*col = i;
		}
	}
	if (*col < 0) {
		return order_error(st, "unknown field", s, name);
	}
	size_t dir = name;
	while (dir < len && is_space(s[dir])) {
		dir++;
	}
	*desc = false;
	if (dir == len) {
		return OZ_OK;
	}
	if (len - dir == 4 && strncasecmp(s + dir, "desc", 4) == 0) {
		*desc = true;
		return OZ_OK;
	}
	if (len - dir == 3 && strncasecmp(s + dir, "asc", 3) == 0) {
		return OZ_OK;
	}
	return order_error(st, "cannot parse", s, len);
}

oz_code
paging_order_parse(const char *order_by, const store_column *cols, int n_cols,
	store_order *out, oz_status *st)
{
	const char *p = order_by != NULL ? order_by : "";
	size_t total = strlen(p);
	unsigned seen = 0;
	bool has_id = false;
	out->n = 0;
	if (total > PAGING_ORDER_BY_MAX || n_cols > STORE_ORDER_MAX) {
		oz_status_violation(st, "order_by", "too long");
		return oz_fail(st, OZ_INVALID_ARGUMENT, "invalid order_by");
	}
	size_t blank = strspn(p, " \t");
	for (const char *item = p; blank < total;) {
		const char *end = strchr(item, ',');
		size_t len =
			end != NULL ? (size_t) (end - item) : strlen(item);
		const char *s = item;
		while (len > 0 && is_space(*s)) {
			s++, len--;
		}
		while (len > 0 && is_space(s[len - 1])) {
			len--;
		}
		if (len == 0) {
			return order_error(st, "empty item in", p, total);
		}
		int col = 0;
		bool desc;
		oz_code rc = parse_item(s, len, cols, n_cols, &col, &desc, st);
		if (rc != OZ_OK) {
			return rc;
		}
		assert(col >= 0 && col < n_cols); /* parse_item found it. */
		if (seen & (1u << col)) {
			return order_error(st, "field named twice", s, len);
		}
		seen |= 1u << col;
		if (!has_id) {
			out->keys[out->n].col = col;
			out->keys[out->n].desc = desc;
			out->n++;
			has_id = col == 0;
		}
		if (end == NULL) {
			break;
		}
		item = end + 1;
	}
	if (!has_id) {
		bool desc = out->n > 0 && out->keys[out->n - 1].desc;
		out->keys[out->n].col = 0;
		out->keys[out->n].desc = desc;
		out->n++;
	}
	return OZ_OK;
}

static uint64_t
fnv(uint64_t h, const void *data, size_t n)
{
	const unsigned char *p = data;
	for (size_t i = 0; i < n; i++) {
		h = (h ^ p[i]) * 0x100000001b3ull;
	}
	return h;
}

uint64_t
paging_hash(const char *resource, const char *filter, const store_order *o,
	const store_column *cols)
{
	uint64_t h = 0xcbf29ce484222325ull;
	h = fnv(h, resource, strlen(resource) + 1);
	h = fnv(h, filter, strlen(filter) + 1);
	for (int k = 0; k < o->n; k++) {
		const char *name = cols[o->keys[k].col].name;
		h = fnv(h, name, strlen(name));
		h = fnv(h, o->keys[k].desc ? "-" : "+", 1);
	}
	return h;
}

static size_t
put_be(unsigned char *p, uint64_t v, int bytes)
{
	for (int i = bytes - 1; i >= 0; i--) {
		p[i] = (unsigned char) (v & 0xff);
		v >>= 8;
	}
	return (size_t) bytes;
}

static uint64_t
get_be(const unsigned char *p, int bytes)
{
	uint64_t v = 0;
	for (int i = 0; i < bytes; i++) {
		v = (v << 8) | p[i];
	}
	return v;
}

char *
paging_base64url(arena *a, const unsigned char *raw, size_t n)
{
	char *out = arena_alloc(a, oz_base64_len(n, OZ_BASE64URL) + 1);
	if (out != NULL) {
		oz_base64_encode(raw, n, OZ_BASE64URL, out);
	}
	return out;
}

oz_code
paging_token_encode(uint64_t hash, int64_t total, const store_order *o,
	const store_value *key, arena *a, char **token, oz_status *st)
{
	size_t n = TOKEN_HEADER;
	for (int k = 0; k < o->n; k++) {
		size_t len = key[k].type == STORE_TEXT ? strlen(key[k].s) : 0;
		if (len > PAGING_TEXT_MAX) {
			return oz_fail(st, OZ_INTERNAL, "sort key too long");
		}
		n += key[k].type == STORE_TEXT ? 3 + len : 9;
	}
	unsigned char *raw = arena_alloc(a, n);
	char *out;
	if (raw == NULL) {
		return oz_fail(st, OZ_RESOURCE_EXHAUSTED, "out of memory");
	}
	size_t at = 0;
	raw[at++] = TOKEN_VERSION;
	at += put_be(raw + at, hash, 8);
	at += put_be(raw + at, (uint64_t) (total < 0 ? 0 : total), 8);
	raw[at++] = (unsigned char) o->n;
	for (int k = 0; k < o->n; k++) {
		raw[at++] = (unsigned char) key[k].type;
		if (key[k].type == STORE_TEXT) {
			size_t len = strlen(key[k].s);
			at += put_be(raw + at, len, 2);
			memcpy(raw + at, key[k].s, len);
			at += len;
		} else {
			at += put_be(raw + at, (uint64_t) key[k].i, 8);
		}
	}
	if ((out = paging_base64url(a, raw, n)) == NULL) {
		return oz_fail(st, OZ_RESOURCE_EXHAUSTED, "out of memory");
	}
	*token = out;
	return OZ_OK;
}

static oz_code
token_invalid(oz_status *st)
{
	oz_status_violation(st, "page_token", "not a token of this list");
	return oz_fail(st, OZ_INVALID_ARGUMENT, "invalid page_token");
}

/* Decodes key k at raw[*at..n) into v (texts copied into a). */
static bool
decode_key(const unsigned char *raw, size_t n, size_t *at, store_type type,
	arena *a, store_value *v)
{
	if (*at >= n || raw[*at] != type) {
		return false;
	}
	(*at)++;
	v->type = type;
	v->i = 0;
	v->s = NULL;
	if (type == STORE_INT) {
		if (n - *at < 8) {
			return false;
		}
		v->i = (int64_t) get_be(raw + *at, 8);
		*at += 8;
		return true;
	}
	if (n - *at < 2) {
		return false;
	}
	size_t len = get_be(raw + *at, 2);
	*at += 2;
	if (len > PAGING_TEXT_MAX || n - *at < len ||
		memchr(raw + *at, '\0', len) != NULL) {
		return false;
	}
	char *s = arena_strndup(a, (const char *) raw + *at, len);
	*at += len;
	v->s = s;
	return s != NULL && validate_utf8_chars(s) >= 0;
}

oz_code
paging_token_decode(const char *token, uint64_t hash, const store_order *o,
	const store_column *cols, arena *a, store_value **key, int64_t *total,
	oz_status *st)
{
	size_t len = token != NULL ? strlen(token) : 0;
	if (len == 0 || len > PAGING_TOKEN_MAX) {
		return token_invalid(st);
	}
	unsigned char *raw = arena_alloc(a, len);
	store_value *out = arena_alloc(a, sizeof(*out) * STORE_ORDER_MAX);
	if (raw == NULL || out == NULL) {
		return oz_fail(st, OZ_RESOURCE_EXHAUSTED, "out of memory");
	}
	long n = oz_base64_decode(token, len, OZ_BASE64URL, raw);
	if (n < 1 || (raw[0] != TOKEN_VERSION_1 && raw[0] != TOKEN_VERSION)) {
		return token_invalid(st);
	}
	bool v1 = raw[0] == TOKEN_VERSION_1;
	size_t header = v1 ? TOKEN_HEADER_V1 : TOKEN_HEADER;
	if (n < (long) header) {
		return token_invalid(st);
	}
	if (get_be(raw + 1, 8) != hash) {
		oz_status_violation(st, "page_token",
			"was issued for another filter or order_by");
		return oz_fail(st, OZ_INVALID_ARGUMENT,
			"page_token does not match this request's filter and "
			"order_by");
	}
	*total = -1; /* Version 1 carries none: count again. */
	if (!v1) {
		uint64_t t = get_be(raw + 9, 8);
		if (t > INT64_MAX) {
			return token_invalid(st);
		}
		*total = (int64_t) t;
	}
	size_t at = header;
	if (raw[header - 1] != o->n) {
		return token_invalid(st);
	}
	for (int k = 0; k < o->n; k++) {
		if (!decode_key(raw, (size_t) n, &at,
			    cols[o->keys[k].col].type, a, &out[k])) {
			return token_invalid(st);
		}
	}
	if (at != (size_t) n) {
		return token_invalid(st);
	}
	*key = out;
	return OZ_OK;
}

oz_code
paging_plan_init(
	paging_plan *pl, const paging_request *req, arena *a, oz_status *st)
{
	oz_code rc;
	pl->cols = req->cols;
	pl->after = NULL;
	pl->total = -1;
	if ((rc = paging_size(req->page_size, req->skip, &pl->size, st)) !=
			OZ_OK ||
		(rc = paging_order_parse(req->order_by, req->cols, req->n_cols,
			 &pl->order, st)) != OZ_OK) {
		return rc;
	}
	pl->hash =
		paging_hash(req->resource, req->filter, &pl->order, req->cols);
	if (req->page_token != NULL && req->page_token[0] != '\0' &&
		(rc = paging_token_decode(req->page_token, pl->hash,
			 &pl->order, req->cols, a, &pl->after, &pl->total,
			 st)) != OZ_OK) {
		return rc;
	}
	pl->page.order = &pl->order;
	pl->page.after = pl->after;
	pl->page.limit = pl->size + 1;
	pl->page.offset = req->skip;
	return OZ_OK;
}

int32_t
paging_total_size(const paging_plan *pl)
{
	return pl->total > INT32_MAX ? INT32_MAX
	       : pl->total < 0       ? 0
				     : (int32_t) pl->total;
}

oz_code
paging_plan_end(const paging_plan *pl, const void *rows, size_t elem,
	size_t *n, paging_key_fn key, arena *a, char **token, oz_status *st)
{
	store_value last[STORE_ORDER_MAX];
	if (*n <= (size_t) pl->size) {
		return OZ_OK;
	}
	*n = (size_t) pl->size;
	const void *row = (const char *) rows + (*n - 1) * elem;
	for (int k = 0; k < pl->order.n; k++) {
		key(row, pl->order.keys[k].col, &last[k]);
	}
	return paging_token_encode(
		pl->hash, pl->total, &pl->order, last, a, token, st);
}
