/* fuzz/paging_fuzz.c -- libFuzzer harness for order_by parsing and page
 * token decoding (service/paging.h).
 *
 * Input: byte 0 holds flags, the rest is order_by, a NUL byte, then the
 * token. Flag 1 picks the tasks table (else users). Flag 2 makes the
 * token part raw bytes that the harness base64url-encodes, with flag 4
 * also writing the list's true hash into bytes 1-8, so the fuzzer reaches
 * the key decoder without guessing a hash. A token that decodes must
 * encode back to the very same text (the form is canonical). No I/O. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "service/paging.h"
#include "store/task_store.h"
#include "store/user_store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char b64[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* base64url without padding of raw[0..n) into a. */
static char *
b64url(arena *a, const uint8_t *raw, size_t n)
{
	char *out = arena_alloc(a, (n + 2) / 3 * 4 + 1);
	size_t j = 0;
	if (out == NULL) {
		abort();
	}
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t) raw[i] << 16;
		v |= i + 1 < n ? (uint32_t) raw[i + 1] << 8 : 0;
		v |= i + 2 < n ? raw[i + 2] : 0;
		size_t chars = n - i >= 3 ? 4 : n - i + 1;
		for (size_t c = 0; c < chars; c++) {
			out[j++] = b64[(v >> (18 - 6 * c)) & 0x3f];
		}
	}
	out[j] = '\0';
	return out;
}

static void
check_token(const char *token, uint64_t hash, const store_order *o,
	const store_column *cols, arena *a)
{
	oz_status st;
	store_value *key = NULL;
	int64_t total = -1;
	oz_code rc = paging_token_decode(
		token, hash, o, cols, a, &key, &total, &st);
	if (rc != OZ_OK) {
		if (rc != OZ_INVALID_ARGUMENT) {
			abort();
		}
		return;
	}
	/* A version 2 token encodes back to itself; a version 1 token (no
	 * total) to a version 2 token that decodes. */
	char *again = NULL;
	if (paging_token_encode(hash, total, o, key, a, &again, &st) !=
		OZ_OK) {
		abort();
	}
	if (total >= 0 ? strcmp(again, token) != 0
		       : paging_token_decode(again, hash, o, cols, a, &key,
				 &total, &st) != OZ_OK) {
		abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static arena a;
	static bool ready;
	if (!ready) {
		arena_init(&a, 0, 0);
		ready = true;
	}
	if (size < 1) {
		return 0;
	}
	unsigned flags = data[0];
	const store_column *cols =
		(flags & 1) != 0 ? store_task_columns : store_user_columns;
	int n_cols = (flags & 1) != 0 ? STORE_TASK_NCOLS : STORE_USER_NCOLS;
	const uint8_t *rest = data + 1;
	size_t n = size - 1;
	const uint8_t *nul = memchr(rest, '\0', n);
	size_t order_len = nul != NULL ? (size_t) (nul - rest) : n;
	char *order_by = arena_strndup(&a, (const char *) rest, order_len);
	const uint8_t *tok = nul != NULL ? nul + 1 : rest + n;
	size_t tok_len = (size_t) (rest + n - tok);

	store_order o;
	oz_status st;
	oz_code rc = paging_order_parse(order_by, cols, n_cols, &o, &st);
	if (rc != OZ_OK) {
		if (rc != OZ_INVALID_ARGUMENT) {
			abort();
		}
		goto out;
	}
	/* A parsed order is total: it ends with id, within the bounds. */
	if (o.n < 1 || o.n > STORE_ORDER_MAX || o.keys[o.n - 1].col != 0) {
		abort();
	}
	for (int k = 0; k < o.n; k++) {
		if (o.keys[k].col < 0 || o.keys[k].col >= n_cols) {
			abort();
		}
	}
	uint64_t hash = paging_hash(
		(flags & 1) != 0 ? "tasks" : "users", "", &o, cols);
	char *token;
	if ((flags & 2) != 0) {
		uint8_t *raw = arena_alloc(&a, tok_len + 1);
		if (raw == NULL) {
			abort();
		}
		memcpy(raw, tok, tok_len);
		if ((flags & 4) != 0 && tok_len >= 9) {
			for (int i = 0; i < 8; i++) {
				raw[1 + i] = (uint8_t) (hash >> (56 - 8 * i));
			}
		}
		token = b64url(&a, raw, tok_len);
	} else {
		token = arena_strndup(&a, (const char *) tok, tok_len);
	}
	check_token(token, hash, &o, cols, &a);
out:
	arena_reset(&a);
	return 0;
}
