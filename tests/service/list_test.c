/* tests/service/list_test.c -- ListUsers and ListTasks: page sizes, skip,
 * order_by, filters, total_size, and page tokens that walk 10,000 rows
 * returning every id exactly once in the requested order (including
 * descending orders and orders on columns with many equal values). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../support/fixture.h"
#include "store/task_store.h"
#include "store/user_store.h"

#define N_ROWS  10000
#define T0      1700000000000000LL
#define N_OWNER 10

/* --- seeding ------------------------------------------------------------ */

/* Users i = 0..n-1 get ids i+1; usernames and emails are permutations of
 * the ids (emails in mixed case); create times repeat 100 times each. */
static void
seed_users(fixture *fx, int n)
{
	oz_status st;
	assert_int_equal(store_tx_begin(fx->db, STORE_TX_WRITE, &st), OZ_OK);
	for (int i = 0; i < n; i++) {
		char name[32], email[32];
		snprintf(name, sizeof(name), "u%05d", (int) ((i * 7919L) % n));
		snprintf(email, sizeof(email), "%c%05d@x.io",
			i % 2 ? 'E' : 'e', (int) ((i * 104729L) % n));
		store_user u = {.username = name,
			.email = email,
			.is_active = i % 3 != 0,
			.create_us = T0 + i / 100};
		if (store_user_insert(fx->db, &u, &st) != OZ_OK) {
			fail_msg("seed user %d: %s", i, st.message);
		}
		assert_int_equal(u.id, i + 1);
	}
	assert_int_equal(store_tx_end(fx->db, OZ_OK, &st), OZ_OK);
}

/* N_OWNER users, then n tasks spread over them: titles from 37 values,
 * statuses cycling, create times repeating 50 times, and a quarter of
 * the tasks updated later. Returns the owners' ids in owners. */
static void
seed_tasks(fixture *fx, int n, int64_t *owners)
{
	oz_status st;
	for (int i = 0; i < N_OWNER; i++) {
		char name[24], email[32];
		snprintf(name, sizeof(name), "owner%d", i);
		snprintf(email, sizeof(email), "owner%d@x.io", i);
		owners[i] = fx_user(fx, name, email)->id;
	}
	assert_int_equal(store_tx_begin(fx->db, STORE_TX_WRITE, &st), OZ_OK);
	for (int i = 0; i < n; i++) {
		char title[16];
		snprintf(title, sizeof(title), "t%02d", (i * 31) % 37);
		store_task t = {.title = title,
			.description = "",
			.user_id = owners[i % N_OWNER],
			.status = 1 + i % 3,
			.create_us = T0 + i / 50};
		if (store_task_insert(fx->db, &t, &st) != OZ_OK) {
			fail_msg("seed task %d: %s", i, st.message);
		}
		if (i % 4 == 0) {
			t.update_us = T0 + 100000 + i % 97;
			t.version = 2;
			assert_int_equal(
				store_task_update(fx->db, &t, &st), OZ_OK);
		}
	}
	assert_int_equal(store_tx_end(fx->db, OZ_OK, &st), OZ_OK);
}

/* --- walking ------------------------------------------------------------ */

/* One sort key as the test expects it: a column index of the store's
 * table and a direction. */
typedef struct key {
	int col;
	bool desc;
} key;

/* A row reduced to what the comparisons need. */
typedef struct row {
	int64_t id;
	int64_t ints[5];
	char texts[5][64];
	bool is_active;
	int64_t user_id;
	int status;
} row;

static int
cmp_rows(const row *a, const row *b, const key *keys, int n_keys,
	const store_column *cols, bool nocase_email)
{
	for (int k = 0; k < n_keys; k++) {
		int c = keys[k].col, r;
		if (cols[c].type == STORE_TEXT) {
			bool nocase = nocase_email &&
				      strcmp(cols[c].name, "email") == 0;
			r = nocase ? strcasecmp(a->texts[c], b->texts[c])
				   : strcmp(a->texts[c], b->texts[c]);
		} else {
			r = a->ints[c] < b->ints[c]   ? -1
			    : a->ints[c] > b->ints[c] ? 1
						      : 0;
		}
		if (r != 0) {
			return keys[k].desc ? -r : r;
		}
	}
	return 0;
}

static void
user_row(const Oz__V1__User *u, row *r)
{
	memset(r, 0, sizeof(*r));
	r->id = u->id;
	r->ints[STORE_USER_ID] = u->id;
	r->ints[STORE_USER_CREATE_TIME] = u->create_time->seconds * 1000000 +
					  u->create_time->nanos / 1000;
	snprintf(r->texts[STORE_USER_USERNAME], 64, "%s", u->username);
	snprintf(r->texts[STORE_USER_EMAIL], 64, "%s", u->email);
	r->is_active = u->is_active;
}

static void
task_row(const Oz__V1__Task *t, row *r)
{
	memset(r, 0, sizeof(*r));
	r->id = t->id;
	r->ints[STORE_TASK_ID] = t->id;
	r->ints[STORE_TASK_STATUS] = t->status;
	r->ints[STORE_TASK_CREATE_TIME] = t->create_time->seconds * 1000000 +
					  t->create_time->nanos / 1000;
	r->ints[STORE_TASK_UPDATE_TIME] = t->update_time->seconds * 1000000 +
					  t->update_time->nanos / 1000;
	snprintf(r->texts[STORE_TASK_TITLE], 64, "%s", t->title);
	r->user_id = t->user_id;
	r->status = t->status;
}

/* What one walk asks for and expects. */
typedef struct walk {
	const char *order_by;
	key keys[6];
	int n_keys;
	int page_size;
	int active;      /* Users: -1 all, else only is_active == active. */
	int64_t user_id; /* Tasks: 0 all, else only this user's. */
	int status;      /* Tasks: 0 all. */
	int expected;    /* Rows matching the filter. */
} walk;

/* Fetches one page into rows (at most max); returns the row count and
 * copies the next token into token (size PAGING-sized). */
static size_t
fetch(fixture *fx, bool users, const walk *w, char *token, size_t cap,
	row *rows, size_t max)
{
	size_t n;
	int32_t total;
	const char *next;
	if (users) {
		Oz__V1__ListUsersRequest req =
			OZ__V1__LIST_USERS_REQUEST__INIT;
		Oz__V1__ListUsersResponse res =
			OZ__V1__LIST_USERS_RESPONSE__INIT;
		Google__Protobuf__BoolValue active =
			GOOGLE__PROTOBUF__BOOL_VALUE__INIT;
		req.page_size = w->page_size;
		req.order_by = (char *) w->order_by;
		req.page_token = token;
		active.value = w->active == 1;
		req.is_active = w->active >= 0 ? &active : NULL;
		if (fx_call(fx, service_user_list, &req, &res) != OZ_OK) {
			fail_msg("ListUsers: %s", fx->st.message);
		}
		n = res.n_users;
		assert_true(n <= max);
		for (size_t i = 0; i < n; i++) {
			user_row(res.users[i], &rows[i]);
		}
		total = res.total_size;
		next = res.next_page_token;
	} else {
		Oz__V1__ListTasksRequest req =
			OZ__V1__LIST_TASKS_REQUEST__INIT;
		Oz__V1__ListTasksResponse res =
			OZ__V1__LIST_TASKS_RESPONSE__INIT;
		Google__Protobuf__Int64Value uid =
			GOOGLE__PROTOBUF__INT64_VALUE__INIT;
		req.page_size = w->page_size;
		req.order_by = (char *) w->order_by;
		req.page_token = token;
		uid.value = w->user_id;
		req.user_id = w->user_id != 0 ? &uid : NULL;
		req.status = (Oz__V1__TaskStatus) w->status;
		if (fx_call(fx, service_task_list, &req, &res) != OZ_OK) {
			fail_msg("ListTasks: %s", fx->st.message);
		}
		n = res.n_tasks;
		assert_true(n <= max);
		for (size_t i = 0; i < n; i++) {
			task_row(res.tasks[i], &rows[i]);
		}
		total = res.total_size;
		next = res.next_page_token;
	}
	assert_int_equal(total, w->expected);
	assert_true(strlen(next) < cap);
	snprintf(token, cap, "%s", next);
	fx_reset(fx);
	return n;
}

/* Walks every page of w: each matching id exactly once, each row after
 * the one before in the expected order, full pages but the last. */
static void
run_walk(fixture *fx, bool users, const walk *w, int64_t max_id)
{
	const store_column *cols =
		users ? store_user_columns : store_task_columns;
	unsigned char *seen = calloc((size_t) max_id + 1, 1);
	row *rows = calloc((size_t) w->page_size, sizeof(*rows));
	row prev;
	char token[4096] = "";
	int seen_n = 0, pages = 0, max_pages = w->expected / w->page_size + 2;
	assert_non_null(seen);
	assert_non_null(rows);
	do {
		size_t n = fetch(fx, users, w, token, sizeof(token), rows,
			(size_t) w->page_size);
		assert_true(++pages <= max_pages);
		assert_true(n == (size_t) w->page_size || token[0] == '\0');
		for (size_t i = 0; i < n; i++) {
			const row *r = &rows[i];
			assert_true(r->id >= 1 && r->id <= max_id);
			assert_false(seen[r->id]);
			seen[r->id] = 1;
			seen_n++;
			if (users && w->active >= 0) {
				assert_int_equal(r->is_active, w->active);
			}
			if (!users && w->user_id != 0) {
				assert_int_equal(r->user_id, w->user_id);
			}
			if (!users && w->status != 0) {
				assert_int_equal(r->status, w->status);
			}
			if (seen_n > 1 &&
				cmp_rows(&prev, r, w->keys, w->n_keys, cols,
					true) >= 0) {
				fail_msg(
					"%s: row %lld after %lld out of order",
					w->order_by, (long long) r->id,
					(long long) prev.id);
			}
			prev = *r;
		}
	} while (token[0] != '\0');
	assert_int_equal(seen_n, w->expected);
	free(rows);
	free(seen);
}

enum { ASC = 0, DESC = 1 };
#define K(c, d)                                                               \
	{                                                                     \
		c, d                                                          \
	}

static void
page_tokens_walk_10000_users_exactly_once(void **state)
{
	fixture *fx = *state;
	seed_users(fx, N_ROWS);
	int active = N_ROWS - (N_ROWS + 2) / 3;
	const walk walks[] = {
		{"", {K(STORE_USER_ID, ASC)}, 1, 97, -1, 0, 0, N_ROWS},
		{"id desc", {K(STORE_USER_ID, DESC)}, 1, 1000, -1, 0, 0,
			N_ROWS},
		{"username desc",
			{K(STORE_USER_USERNAME, DESC), K(STORE_USER_ID, DESC)},
			2, 101, -1, 0, 0, N_ROWS},
		{" email ", {K(STORE_USER_EMAIL, ASC), K(STORE_USER_ID, ASC)},
			2, 89, -1, 0, 0, N_ROWS},
		{"create_time desc",
			{K(STORE_USER_CREATE_TIME, DESC),
				K(STORE_USER_ID, DESC)},
			2, 73, -1, 0, 0, N_ROWS},
		{"create_time, username desc",
			{K(STORE_USER_CREATE_TIME, ASC),
				K(STORE_USER_USERNAME, DESC),
				K(STORE_USER_ID, DESC)},
			3, 250, 1, 0, 0, active},
		{"create_time DESC, id",
			{K(STORE_USER_CREATE_TIME, DESC),
				K(STORE_USER_ID, ASC)},
			2, 64, 0, 0, 0, N_ROWS - active},
	};
	for (size_t i = 0; i < sizeof(walks) / sizeof(walks[0]); i++) {
		run_walk(fx, true, &walks[i], N_ROWS);
	}
}

static void
page_tokens_walk_10000_tasks_exactly_once(void **state)
{
	fixture *fx = *state;
	int64_t owners[N_OWNER];
	seed_tasks(fx, N_ROWS, owners);
	int64_t max_id = N_ROWS;
	int per_status = N_ROWS / 3 + 1; /* status 1: i % 3 == 0 */
	int of_owner = N_ROWS / N_OWNER;
	int owner3_status2 = 0;
	for (int i = 0; i < N_ROWS; i++) {
		owner3_status2 += i % N_OWNER == 3 && 1 + i % 3 == 2;
	}
	const walk walks[] = {
		{"status", {K(STORE_TASK_STATUS, ASC), K(STORE_TASK_ID, ASC)},
			2, 97, -1, 0, 0, N_ROWS},
		{"status desc",
			{K(STORE_TASK_STATUS, DESC), K(STORE_TASK_ID, DESC)},
			2, 211, -1, 0, 0, N_ROWS},
		{"title desc, create_time",
			{K(STORE_TASK_TITLE, DESC),
				K(STORE_TASK_CREATE_TIME, ASC),
				K(STORE_TASK_ID, ASC)},
			3, 150, -1, 0, 0, N_ROWS},
		{"update_time desc,status",
			{K(STORE_TASK_UPDATE_TIME, DESC),
				K(STORE_TASK_STATUS, ASC),
				K(STORE_TASK_ID, ASC)},
			3, 333, -1, 0, 0, N_ROWS},
		{"id", {K(STORE_TASK_ID, ASC)}, 1, 50, -1, 0, 1, per_status},
		{"title desc",
			{K(STORE_TASK_TITLE, DESC), K(STORE_TASK_ID, DESC)}, 2,
			120, -1, 0, 2, N_ROWS / 3},
		{"create_time desc",
			{K(STORE_TASK_CREATE_TIME, DESC),
				K(STORE_TASK_ID, DESC)},
			2, 37, -1, owners[3], 0, of_owner},
		{"title, status desc",
			{K(STORE_TASK_TITLE, ASC), K(STORE_TASK_STATUS, DESC),
				K(STORE_TASK_ID, DESC)},
			3, 7, -1, owners[3], 2, owner3_status2},
	};
	for (size_t i = 0; i < sizeof(walks) / sizeof(walks[0]); i++) {
		run_walk(fx, false, &walks[i], max_id + N_OWNER);
	}
}

/* --- single pages ------------------------------------------------------- */

static oz_code
list_users(fixture *fx, int32_t size, int32_t skip, const char *order_by,
	const char *token, Oz__V1__ListUsersResponse *res)
{
	Oz__V1__ListUsersRequest req = OZ__V1__LIST_USERS_REQUEST__INIT;
	req.page_size = size;
	req.skip = skip;
	req.order_by = (char *) (order_by != NULL ? order_by : "");
	req.page_token = (char *) (token != NULL ? token : "");
	oz__v1__list_users_response__init(res);
	return fx_call(fx, service_user_list, &req, res);
}

static void
list_users_page_size_defaults_to_50_and_caps_at_1000(void **state)
{
	fixture *fx = *state;
	Oz__V1__ListUsersResponse res;
	seed_users(fx, 1100);
	assert_int_equal(list_users(fx, 0, 0, NULL, NULL, &res), OZ_OK);
	assert_int_equal(res.n_users, 50);
	assert_int_equal(res.total_size, 1100);
	assert_string_not_equal(res.next_page_token, "");
	assert_int_equal(list_users(fx, 5000, 0, NULL, NULL, &res), OZ_OK);
	assert_int_equal(res.n_users, 1000);
	assert_int_equal(
		list_users(fx, INT32_MAX, 0, NULL, NULL, &res), OZ_OK);
	assert_int_equal(res.n_users, 1000);
	assert_int_equal(list_users(fx, 1100, 0, NULL, NULL, &res), OZ_OK);
	assert_int_equal(res.n_users, 1000);
	assert_string_not_equal(res.next_page_token, "");
}

static void
list_users_negative_page_size_or_skip_is_invalid_argument(void **state)
{
	fixture *fx = *state;
	Oz__V1__ListUsersResponse res;
	assert_int_equal(
		list_users(fx, -1, 0, NULL, NULL, &res), OZ_INVALID_ARGUMENT);
	fx_expect(fx, OZ_INVALID_ARGUMENT, "invalid request");
	fx_expect_fields(fx, 1, "page_size");
	assert_int_equal(
		list_users(fx, 10, -5, NULL, NULL, &res), OZ_INVALID_ARGUMENT);
	fx_expect_fields(fx, 1, "skip");
	assert_int_equal(list_users(fx, INT32_MIN, -1, NULL, NULL, &res),
		OZ_INVALID_ARGUMENT);
	fx_expect_fields(fx, 2, "page_size", "skip");
}

static void
list_users_skip_skips_that_many_after_the_token(void **state)
{
	fixture *fx = *state;
	Oz__V1__ListUsersResponse res;
	char token[512];
	seed_users(fx, 40);
	assert_int_equal(list_users(fx, 5, 10, "id", NULL, &res), OZ_OK);
	assert_int_equal(res.n_users, 5);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(res.users[i]->id, 11 + i);
	}
	assert_int_equal(res.total_size, 40);
	snprintf(token, sizeof(token), "%s", res.next_page_token);
	/* The token holds the position after id 15; skip applies after it. */
	assert_int_equal(list_users(fx, 5, 3, "id", token, &res), OZ_OK);
	assert_int_equal(res.users[0]->id, 19);
	assert_int_equal(list_users(fx, 5, 0, "id", token, &res), OZ_OK);
	assert_int_equal(res.users[0]->id, 16);
	/* Skipping past the end gives an empty last page. */
	assert_int_equal(list_users(fx, 5, 1000, "id", NULL, &res), OZ_OK);
	assert_int_equal(res.n_users, 0);
	assert_string_equal(res.next_page_token, "");
	assert_int_equal(res.total_size, 40);
}

static void
list_users_last_page_has_no_token_and_tokens_are_stable(void **state)
{
	fixture *fx = *state;
	Oz__V1__ListUsersResponse res;
	char token[512];
	assert_int_equal(list_users(fx, 10, 0, NULL, NULL, &res), OZ_OK);
	assert_int_equal(res.n_users, 0);
	assert_int_equal(res.total_size, 0);
	assert_string_equal(res.next_page_token, "");
	seed_users(fx, 20);
	assert_int_equal(list_users(fx, 10, 0, "email", NULL, &res), OZ_OK);
	snprintf(token, sizeof(token), "%s", res.next_page_token);
	assert_int_equal(list_users(fx, 10, 0, "email", NULL, &res), OZ_OK);
	assert_string_equal(res.next_page_token, token);
	assert_int_equal(list_users(fx, 10, 0, "email", token, &res), OZ_OK);
	assert_int_equal(res.n_users, 10);
	assert_string_equal(res.next_page_token, "");
	/* Exactly a page's worth left: no token once none remain. */
	assert_int_equal(list_users(fx, 20, 0, "email", NULL, &res), OZ_OK);
	assert_string_equal(res.next_page_token, "");
}

/* Later pages report the count taken for the first page (their token
 * carries it), so a page deep into a long list costs no COUNT over the
 * whole filter; asking for the first page again counts afresh. */
static void
list_users_later_pages_carry_the_first_pages_total(void **state)
{
	fixture *fx = *state;
	Oz__V1__ListUsersResponse res;
	char token[512];
	oz_status st;
	seed_users(fx, 20);
	assert_int_equal(list_users(fx, 10, 0, NULL, NULL, &res), OZ_OK);
	assert_int_equal(res.total_size, 20);
	snprintf(token, sizeof(token), "%s", res.next_page_token);
	store_user u = {.username = "late",
		.email = "late@x.io",
		.is_active = true,
		.create_us = T0};
	assert_int_equal(store_user_insert(fx->db, &u, &st), OZ_OK);
	assert_int_equal(list_users(fx, 10, 0, NULL, token, &res), OZ_OK);
	assert_int_equal(res.n_users, 10);
	assert_int_equal(res.total_size, 20);
	assert_int_equal(list_users(fx, 10, 0, NULL, NULL, &res), OZ_OK);
	assert_int_equal(res.total_size, 21);
}

static void
list_users_unknown_order_field_is_invalid_argument(void **state)
{
	fixture *fx = *state;
	Oz__V1__ListUsersResponse res;
	static const char *const unknown[][2] = {
		{"is_active", "is_active"},
		{"id, title", "title"},
		{"ID", "ID"},
		{"username desc, password", "password"},
		{"x'; DROP TABLE users; --", "x';"},
		{"email\t desc,  create_time ,nope asc", "nope"},
	};
	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		char msg[128];
		assert_int_equal(
			list_users(fx, 0, 0, unknown[i][0], NULL, &res),
			OZ_INVALID_ARGUMENT);
		snprintf(msg, sizeof(msg), "unknown order_by field \"%s\"",
			unknown[i][1]);
		fx_expect(fx, OZ_INVALID_ARGUMENT, msg);
		fx_expect_fields(fx, 1, "order_by");
	}
	static const char *const malformed[] = {"id,", ",id", "id desc desc",
		"id descending", "username, username desc", "id,,email",
		"email desc x"};
	for (size_t i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
		assert_int_equal(
			list_users(fx, 0, 0, malformed[i], NULL, &res),
			OZ_INVALID_ARGUMENT);
		fx_expect(fx, OZ_INVALID_ARGUMENT, "invalid order_by");
		fx_expect_fields(fx, 1, "order_by");
	}
	static const char *const good[] = {"", "  ", "id", "id DESC",
		"username asc", "email desc, create_time", "create_time,id",
		"id, username"};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(
			list_users(fx, 0, 0, good[i], NULL, &res), OZ_OK);
	}
}

static void
list_users_filter_by_is_active_and_total_size(void **state)
{
	fixture *fx = *state;
	Oz__V1__ListUsersRequest req = OZ__V1__LIST_USERS_REQUEST__INIT;
	Oz__V1__ListUsersResponse res = OZ__V1__LIST_USERS_RESPONSE__INIT;
	Google__Protobuf__BoolValue active =
		GOOGLE__PROTOBUF__BOOL_VALUE__INIT;
	seed_users(fx, 30); /* i % 3 == 0 inactive: 10 of 30 */
	req.page_size = 4;
	req.is_active = &active;
	assert_int_equal(fx_call(fx, service_user_list, &req, &res), OZ_OK);
	assert_int_equal(res.total_size, 10);
	assert_int_equal(res.n_users, 4);
	for (size_t i = 0; i < res.n_users; i++) {
		assert_false(res.users[i]->is_active);
		assert_int_equal((res.users[i]->id - 1) % 3, 0);
	}
	active.value = true;
	assert_int_equal(fx_call(fx, service_user_list, &req, &res), OZ_OK);
	assert_int_equal(res.total_size, 20);
	req.is_active = NULL;
	assert_int_equal(fx_call(fx, service_user_list, &req, &res), OZ_OK);
	assert_int_equal(res.total_size, 30);
}

static void
page_token_with_another_filter_or_order_is_invalid_argument(void **state)
{
	fixture *fx = *state;
	Oz__V1__ListUsersRequest req = OZ__V1__LIST_USERS_REQUEST__INIT;
	Oz__V1__ListUsersResponse res = OZ__V1__LIST_USERS_RESPONSE__INIT;
	Google__Protobuf__BoolValue active =
		GOOGLE__PROTOBUF__BOOL_VALUE__INIT;
	const char *mismatch =
		"page_token does not match this request's filter and order_by";
	char token[512];
	seed_users(fx, 30);
	active.value = true;
	req.page_size = 5;
	req.is_active = &active;
	req.order_by = "username";
	assert_int_equal(fx_call(fx, service_user_list, &req, &res), OZ_OK);
	snprintf(token, sizeof(token), "%s", res.next_page_token);
	req.page_token = token;
	/* Same request with the token: fine, also with another page size. */
	req.page_size = 7;
	assert_int_equal(fx_call(fx, service_user_list, &req, &res), OZ_OK);
	active.value = false;
	assert_int_equal(fx_call(fx, service_user_list, &req, &res),
		OZ_INVALID_ARGUMENT);
	fx_expect(fx, OZ_INVALID_ARGUMENT, mismatch);
	fx_expect_fields(fx, 1, "page_token");
	req.is_active = NULL;
	assert_int_equal(fx_call(fx, service_user_list, &req, &res),
		OZ_INVALID_ARGUMENT);
	fx_expect(fx, OZ_INVALID_ARGUMENT, mismatch);
	req.is_active = &active;
	active.value = true;
	req.order_by = "username desc";
	assert_int_equal(fx_call(fx, service_user_list, &req, &res),
		OZ_INVALID_ARGUMENT);
	fx_expect(fx, OZ_INVALID_ARGUMENT, mismatch);
	/* The same order written differently is the same order. */
	req.order_by = " username ASC , id";
	assert_int_equal(fx_call(fx, service_user_list, &req, &res), OZ_OK);
	/* A users token on the tasks list. */
	Oz__V1__ListTasksRequest treq = OZ__V1__LIST_TASKS_REQUEST__INIT;
	Oz__V1__ListTasksResponse tres = OZ__V1__LIST_TASKS_RESPONSE__INIT;
	treq.page_token = token;
	treq.order_by = "title";
	assert_int_equal(fx_call(fx, service_task_list, &treq, &tres),
		OZ_INVALID_ARGUMENT);
	fx_expect(fx, OZ_INVALID_ARGUMENT, mismatch);
}

static void
garbage_page_token_is_invalid_argument(void **state)
{
	fixture *fx = *state;
	Oz__V1__ListUsersResponse res;
	char token[512], bad[600];
	seed_users(fx, 30);
	assert_int_equal(list_users(fx, 5, 0, "email", NULL, &res), OZ_OK);
	snprintf(token, sizeof(token), "%s", res.next_page_token);
	size_t len = strlen(token);
	static const char *const garbage[] = {"!!!!", "a", "abc=", "AAAA",
		"' OR 1=1 --", "AQ", "////", "\xc3\xa9\xc3\xa9"};
	for (size_t i = 0; i < sizeof(garbage) / sizeof(garbage[0]); i++) {
		assert_int_equal(
			list_users(fx, 5, 0, "email", garbage[i], &res),
			OZ_INVALID_ARGUMENT);
		fx_expect(fx, OZ_INVALID_ARGUMENT, "invalid page_token");
		fx_expect_fields(fx, 1, "page_token");
	}
	/* Every truncation and every one-character change of a real token
	 * is refused or, if it still decodes, only moves the position. */
	for (size_t cut = 1; cut < len; cut++) {
		snprintf(bad, sizeof(bad), "%.*s", (int) cut, token);
		assert_int_equal(list_users(fx, 5, 0, "email", bad, &res),
			OZ_INVALID_ARGUMENT);
	}
	snprintf(bad, sizeof(bad), "%sA", token);
	assert_int_equal(
		list_users(fx, 5, 0, "email", bad, &res), OZ_INVALID_ARGUMENT);
	for (size_t i = 0; i < len; i++) {
		snprintf(bad, sizeof(bad), "%s", token);
		bad[i] = bad[i] == 'B' ? 'C' : 'B';
		oz_code rc = list_users(fx, 5, 0, "email", bad, &res);
		assert_true(rc == OZ_OK || rc == OZ_INVALID_ARGUMENT);
	}
	/* An overlong token. */
	memset(bad, 'A', sizeof(bad) - 1);
	bad[sizeof(bad) - 1] = '\0';
	assert_int_equal(
		list_users(fx, 5, 0, "email", bad, &res), OZ_INVALID_ARGUMENT);
}

static void
list_tasks_filters_and_rejects_bad_status(void **state)
{
	fixture *fx = *state;
	Oz__V1__ListTasksRequest req = OZ__V1__LIST_TASKS_REQUEST__INIT;
	Oz__V1__ListTasksResponse res = OZ__V1__LIST_TASKS_RESPONSE__INIT;
	Google__Protobuf__Int64Value uid = GOOGLE__PROTOBUF__INT64_VALUE__INIT;
	int64_t owners[N_OWNER];
	seed_tasks(fx, 300, owners);
	req.status = (Oz__V1__TaskStatus) 4;
	assert_int_equal(fx_call(fx, service_task_list, &req, &res),
		OZ_INVALID_ARGUMENT);
	fx_expect(fx, OZ_INVALID_ARGUMENT, "invalid request");
	fx_expect_fields(fx, 1, "status");
	req.status = OZ__V1__TASK_STATUS__TASK_STATUS_DONE;
	assert_int_equal(fx_call(fx, service_task_list, &req, &res), OZ_OK);
	assert_int_equal(res.total_size, 100);
	req.user_id = &uid;
	uid.value = owners[2]; /* i % 10 == 2 and i % 3 == 2: 10 of 300 */
	assert_int_equal(fx_call(fx, service_task_list, &req, &res), OZ_OK);
	assert_int_equal(res.total_size, 10);
	for (size_t i = 0; i < res.n_tasks; i++) {
		assert_int_equal(res.tasks[i]->user_id, owners[2]);
		assert_int_equal(res.tasks[i]->status, 3);
	}
	uid.value = 999999;
	assert_int_equal(fx_call(fx, service_task_list, &req, &res), OZ_OK);
	assert_int_equal(res.total_size, 0);
	assert_int_equal(res.n_tasks, 0);
	req.user_id = NULL;
	req.status = 0;
	req.order_by = "user_id";
	assert_int_equal(fx_call(fx, service_task_list, &req, &res),
		OZ_INVALID_ARGUMENT);
	fx_expect(
		fx, OZ_INVALID_ARGUMENT, "unknown order_by field \"user_id\"");
	req.order_by = "";
	req.page_size = -3;
	assert_int_equal(fx_call(fx, service_task_list, &req, &res),
		OZ_INVALID_ARGUMENT);
	fx_expect_fields(fx, 1, "page_size");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			page_tokens_walk_10000_users_exactly_once,
			fx_setup_memory, fx_teardown),
		cmocka_unit_test_setup_teardown(
			page_tokens_walk_10000_tasks_exactly_once,
			fx_setup_file, fx_teardown),
		cmocka_unit_test_setup_teardown(
			list_users_page_size_defaults_to_50_and_caps_at_1000,
			fx_setup_memory, fx_teardown),
		cmocka_unit_test_setup_teardown(
			list_users_negative_page_size_or_skip_is_invalid_argument,
			fx_setup_memory, fx_teardown),
		cmocka_unit_test_setup_teardown(
			list_users_skip_skips_that_many_after_the_token,
			fx_setup_memory, fx_teardown),
		cmocka_unit_test_setup_teardown(
			list_users_last_page_has_no_token_and_tokens_are_stable,
			fx_setup_file, fx_teardown),
		cmocka_unit_test_setup_teardown(
			list_users_later_pages_carry_the_first_pages_total,
			fx_setup_memory, fx_teardown),
		cmocka_unit_test_setup_teardown(
			list_users_unknown_order_field_is_invalid_argument,
			fx_setup_memory, fx_teardown),
		cmocka_unit_test_setup_teardown(
			list_users_filter_by_is_active_and_total_size,
			fx_setup_memory, fx_teardown),
		cmocka_unit_test_setup_teardown(
			page_token_with_another_filter_or_order_is_invalid_argument,
			fx_setup_memory, fx_teardown),
		cmocka_unit_test_setup_teardown(
			garbage_page_token_is_invalid_argument,
			fx_setup_memory, fx_teardown),
		cmocka_unit_test_setup_teardown(
			list_tasks_filters_and_rejects_bad_status,
			fx_setup_memory, fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
