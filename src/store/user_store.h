/* store/user_store.h -- the users table as plain C records.
 *
 * Knows nothing about protobuf. Every function runs its statements on c
 * inside whatever transaction the caller opened (store_tx_begin); none
 * opens one itself. Strings of returned records are copied into the
 * caller's arena and live until it is reset; strings passed in are only
 * read during the call. Times are microseconds since the Unix epoch.
 *
 * Emails are stored as given and are unique ignoring ASCII case (the
 * NOCASE index users_email); lookups by email ignore ASCII case too.
 *
 * Codes common to all: UNAVAILABLE when the database stays locked past
 * busy_timeout, RESOURCE_EXHAUSTED when the arena or SQLite runs out of
 * memory, INTERNAL for anything unexpected (logged, not sent). */
#ifndef OZ_STORE_USER_STORE_H
#define OZ_STORE_USER_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "oz/status.h"
#include "store/list.h"
#include "store/store.h"

typedef struct store_user {
	int64_t id;
	const char *username;
	const char *email;
	bool is_active;
	int64_t create_us;
	int64_t update_us;
	int64_t version; /* 1 on insert, +1 on every update. */
	/* store_user_update only: STORE_USER_SAME_* bits of the columns the
	 * caller knows keep their value, which a backend may leave out of
	 * the write (0: write them all). */
	unsigned same;
} store_user;

enum {
	STORE_USER_SAME_USERNAME = 1,
	STORE_USER_SAME_EMAIL = 2,
	STORE_USER_SAME_ACTIVE = 4,
};

/* The sortable columns, indexes into store_user_columns. */
enum store_user_column {
	STORE_USER_ID = 0,
	STORE_USER_USERNAME,
	STORE_USER_EMAIL, /* Ordered ignoring ASCII case, like the index. */
	STORE_USER_CREATE_TIME,
	STORE_USER_NCOLS,
};

extern const store_column store_user_columns[STORE_USER_NCOLS];

/* Which users a list or count covers. */
typedef struct store_user_filter {
	bool by_active; /* Only users whose is_active equals is_active. */
	bool is_active;
} store_user_filter;

/* Inserts u (username, email, is_active, create_us are read). OUT: u->id;
 * u->update_us = u->create_us and u->version = 1. Returns OK, or
 * ALREADY_EXISTS "Email already registered" / "Username already taken"
 * (the email is reported when both are taken). */
oz_code store_user_insert(
	store_conn *c, store_user *u, oz_status *st) OZ_MUST_USE;

/* OUT: *out, the user with this id. Returns OK or NOT_FOUND "User not
 * found". */
oz_code store_user_get(store_conn *c, int64_t id, arena *a, store_user *out,
	oz_status *st) OZ_MUST_USE;

/* OUT: *out, the user whose email equals email ignoring ASCII case.
 * Returns OK or NOT_FOUND "User not found". */
oz_code store_user_get_by_email(store_conn *c, const char *email, arena *a,
	store_user *out, oz_status *st) OZ_MUST_USE;

/* Writes username, email, is_active, update_us and version of u into the
 * row u->id (the caller computes the new version and time). Returns OK,
 * NOT_FOUND "User not found", or ALREADY_EXISTS as store_user_insert. */
oz_code store_user_update(
	store_conn *c, const store_user *u, oz_status *st) OZ_MUST_USE;

/* Deletes the user. Returns OK, NOT_FOUND "User not found", or
 * FAILED_PRECONDITION while tasks still reference the user. */
oz_code store_user_delete(
	store_conn *c, int64_t id, oz_status *st) OZ_MUST_USE;

/* OUT: *n, the number of users matching f. */
oz_code store_user_count(store_conn *c, const store_user_filter *f, int64_t *n,
	oz_status *st) OZ_MUST_USE;

/* OUT: *rows (an array from a) and *n_rows <= p->limit: the users matching
 * f on page p (see store/list.h). Returns OK, INVALID_ARGUMENT for a limit
 * outside 1..STORE_LIMIT_MAX or an offset below 0, INTERNAL for a
 * malformed order or cursor. */
oz_code store_user_list(store_conn *c, const store_user_filter *f,
	const store_page *p, arena *a, store_user **rows, size_t *n_rows,
	oz_status *st) OZ_MUST_USE;

/* OUT: *v, the value of sortable column col of u (strings not copied). */
void store_user_key(const store_user *u, int col, store_value *v);

/* For index tests: writes the SQL store_user_list runs for f and p into
 * buf, and returns the fixed SQL of every other user query (NULL-ended
 * array; static). */
oz_code store_user_list_sql(const store_user_filter *f, const store_page *p,
	char *buf, size_t cap, oz_status *st) OZ_MUST_USE;
const char *const *store_user_statements(void);

#endif /* OZ_STORE_USER_STORE_H */
