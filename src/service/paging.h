/* service/paging.h -- list requests: page_size and skip, order_by parsing
 * and the opaque page token.
 *
 * Pure functions over plain data (no I/O, no protobuf, no SQL), so a fuzz
 * harness can call them directly. Memory they return comes from the
 * caller's arena.
 *
 * A page token is base64url (no padding) of this binary form:
 *   byte 0      version (2)
 *   bytes 1-8   hash of (resource, filter, normalized order), big-endian
 *   bytes 9-16  total_size as counted for the first page, big-endian
 *   byte 17     number of sort keys n (the order's, id included)
 *   n times     type byte (1 int, 2 text), then an int as 8 bytes
 *               big-endian two's complement, or a text as a 2-byte
 *               big-endian length and that many bytes of UTF-8 (no NUL)
 * holding the sort key of the last row of the page before. Nothing may
 * follow. Version 1 (no total; the key count is byte 9) is still read.
 * The total rides along so that a page deep into a long list costs a
 * keyset seek, not a COUNT over the whole filter; a client that wants a
 * fresh count asks for the first page again. A token is only a position
 * and a number: every value in it is bound as a parameter, so a forged
 * one can at most start the list elsewhere or misstate total_size. */
#ifndef OZ_SERVICE_PAGING_H
#define OZ_SERVICE_PAGING_H

#include <stdint.h>

#include "core/arena.h"
#include "oz/status.h"
#include "store/list.h"

#define PAGING_DEFAULT_SIZE 50
#define PAGING_MAX_SIZE     1000
#define PAGING_ORDER_BY_MAX 512  /* Bytes of an order_by string. */
#define PAGING_TEXT_MAX     1024 /* Bytes of a text key in a token. */
#define PAGING_TOKEN_MAX    4096 /* Characters of a token. */

/* Checks page_size (0 means PAGING_DEFAULT_SIZE, above PAGING_MAX_SIZE
 * means PAGING_MAX_SIZE, negative is invalid) and skip (>= 0). OUT: *size,
 * the page size to use. Returns OK or INVALID_ARGUMENT "invalid request"
 * with a violation for "page_size" and/or "skip". */
oz_code paging_size(int32_t page_size, int32_t skip, int64_t *size,
	oz_status *st) OZ_MUST_USE;

/* Parses order_by: a comma list of column names of cols (n_cols entries,
 * cols[0] being "id"), each optionally followed by " desc" or " asc";
 * spaces around items are ignored; "" means "id". The result always ends
 * with id: when order_by does not name it, it is added with the direction
 * of the last key; keys after id are dropped (id is unique). OUT: *out.
 * Returns OK or INVALID_ARGUMENT with a violation for "order_by": message
 * "unknown order_by field \"NAME\"" for a name not in cols, else "invalid
 * order_by" (empty item, bad direction, field named twice, too long). */
oz_code paging_order_parse(const char *order_by, const store_column *cols,
	int n_cols, store_order *out, oz_status *st) OZ_MUST_USE;

/* Returns a hash of resource, filter (a canonical text of the request's
 * filter fields) and the normalized order o, which a token carries so it
 * is refused with a different filter or order. */
uint64_t paging_hash(const char *resource, const char *filter,
	const store_order *o, const store_column *cols);

/* Encodes a token for the position after the row whose sort key is
 * key[0..o->n), carrying total (the list's total_size; negative is sent
 * as 0). OUT: *token, a NUL-terminated string from a. Returns OK,
 * INTERNAL for a key that cannot be encoded (a text past
 * PAGING_TEXT_MAX), or RESOURCE_EXHAUSTED. */
oz_code paging_token_encode(uint64_t hash, int64_t total, const store_order *o,
	const store_value *key, arena *a, char **token,
	oz_status *st) OZ_MUST_USE;

/* Returns raw[0..n) in base64url without padding (RFC 4648 §5), a
 * NUL-terminated string from a, or NULL when a runs out. The token's
 * outer form; exposed for tests and fuzz harnesses that build tokens. */
char *paging_base64url(arena *a, const unsigned char *raw, size_t n);

/* Decodes token for a list with order o over cols, whose paging_hash is
 * hash. OUT: *key, o->n values from a (texts copied into a); *total, the
 * total_size it carries (-1 for a version 1 token). Returns OK,
 * or INVALID_ARGUMENT with a violation for "page_token": "invalid
 * page_token" for anything malformed, "page_token does not match this
 * request's filter and order_by" for a token of another list. */
oz_code paging_token_decode(const char *token, uint64_t hash,
	const store_order *o, const store_column *cols, arena *a,
	store_value **key, int64_t *total, oz_status *st) OZ_MUST_USE;

/* What a list request says about paging, and what it lists. */
typedef struct paging_request {
	const char *resource;     /* "users", "tasks": part of the hash. */
	const char *filter;       /* Canonical text of the filter fields. */
	const store_column *cols; /* The sortable columns; cols[0] is id. */
	int n_cols;
	int32_t page_size;
	int32_t skip;
	const char *order_by;
	const char *page_token; /* "" or NULL on the first page. */
} paging_request;

/* A list request, checked and decoded. page points into the plan (order,
 * after), so a plan must not be copied. */
typedef struct paging_plan {
	const store_column *cols;
	store_order order;
	store_value *after; /* NULL on the first page; from the arena. */
	int64_t size;       /* Rows to return. */
	int64_t total; /* total_size from the token; -1: count it, then set. */
	uint64_t hash;
	store_page page; /* limit = size + 1: one more row says "more". */
} paging_plan;

/* Checks page_size and skip (paging_size), parses order_by and decodes
 * page_token, in this order, into *pl. Returns OK or the first failure
 * (INVALID_ARGUMENT as the functions above say). */
oz_code paging_plan_init(paging_plan *pl, const paging_request *req, arena *a,
	oz_status *st) OZ_MUST_USE;

/* The total_size to send: pl->total (the count made for this request,
 * or carried by its token) capped at INT32_MAX. */
int32_t paging_total_size(const paging_plan *pl);

/* Returns the sort key value of column col of row. */
typedef void (*paging_key_fn)(const void *row, int col, store_value *v);

/* Given the *n rows the plan's page returned (at most size + 1), sets *n
 * to how many to send and, when more follow, *token to the next page's
 * token, made from the last row sent and pl->total (rows[i] is elem bytes
 * each; *token is left alone on the last page). Returns OK or
 * paging_token_encode's failure. */
oz_code paging_plan_end(const paging_plan *pl, const void *rows, size_t elem,
	size_t *n, paging_key_fn key, arena *a, char **token,
	oz_status *st) OZ_MUST_USE;

#endif /* OZ_SERVICE_PAGING_H */
