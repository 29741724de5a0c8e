/* tests/service/user_test.c -- the UserService rules of issue 2 §5, each
 * asserting the exact code, message and field violations. Every test runs
 * on :memory: and again on a temporary file ("[file]"). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "../support/fixture.h"
#include "store/sqlite/db.h"

static oz_code
create(fixture *fx, const char *username, const char *email, Oz__V1__User *out)
{
	Oz__V1__CreateUserRequest req = OZ__V1__CREATE_USER_REQUEST__INIT;
	req.username = (char *) username;
	req.email = (char *) email;
	oz__v1__user__init(out);
	return fx_call(fx, service_user_create, &req, out);
}

static oz_code
by_email(fixture *fx, const char *email, Oz__V1__User *out)
{
	Oz__V1__GetUserByEmailRequest req =
		OZ__V1__GET_USER_BY_EMAIL_REQUEST__INIT;
	req.email = (char *) email;
	oz__v1__user__init(out);
	return fx_call(fx, service_user_get_by_email, &req, out);
}

/* UpdateUser with user fields from u and the given mask paths. */
static oz_code
update(fixture *fx, const Oz__V1__User *u, int n_paths, const char **paths,
	Oz__V1__User *out)
{
	Oz__V1__UpdateUserRequest req = OZ__V1__UPDATE_USER_REQUEST__INIT;
	Google__Protobuf__FieldMask mask = GOOGLE__PROTOBUF__FIELD_MASK__INIT;
	mask.n_paths = (size_t) n_paths;
	mask.paths = (char **) paths;
	req.user = (Oz__V1__User *) u;
	req.update_mask = n_paths > 0 ? &mask : NULL;
	oz__v1__user__init(out);
	return fx_call(fx, service_user_update, &req, out);
}

static oz_code
del(fixture *fx, int64_t id, bool force, const char *etag)
{
	Oz__V1__DeleteUserRequest req = OZ__V1__DELETE_USER_REQUEST__INIT;
	Google__Protobuf__Empty out = GOOGLE__PROTOBUF__EMPTY__INIT;
	req.id = id;
	req.force = force;
	req.etag = (char *) (etag != NULL ? etag : "");
	return fx_call(fx, service_user_delete, &req, &out);
}

static void
create_user_returns_active_user_with_times_and_etag(void **state)
{
	fixture *fx = *state;
	Oz__V1__User u;
	char etag[64];
	assert_int_equal(create(fx, "alice", "alice@example.com", &u), OZ_OK);
	assert_true(u.id > 0);
	assert_string_equal(u.username, "alice");
	assert_string_equal(u.email, "alice@example.com");
	assert_true(u.is_active);
	assert_int_equal(u.n_tasks, 0);
	assert_non_null(u.create_time);
	assert_non_null(u.update_time);
	assert_true(u.create_time->seconds > 1600000000);
	assert_true(u.create_time->nanos >= 0 &&
		    u.create_time->nanos < 1000000000);
	assert_int_equal(u.create_time->seconds, u.update_time->seconds);
	assert_int_equal(u.create_time->nanos, u.update_time->nanos);
	int64_t us =
		u.create_time->seconds * 1000000 + u.create_time->nanos / 1000;
	snprintf(etag, sizeof(etag), "1-%llx", (unsigned long long) us);
	assert_string_equal(u.etag, etag);
}

static void
create_user_username_length_counts_characters(void **state)
{
	fixture *fx = *state;
	Oz__V1__User u;
	/* 50 two-byte characters (100 bytes) fit; 51 do not. */
	assert_int_equal(
		create(fx, fx_repeat(fx, "\xc3\xa9", 50), "a@example.com", &u),
		OZ_OK);
	assert_int_equal(
		create(fx, fx_repeat(fx, "x", 50), "b@example.com", &u),
		OZ_OK);
	assert_int_equal(
		create(fx, fx_repeat(fx, "\xc3\xa9", 51), "c@example.com", &u),
		OZ_INVALID_ARGUMENT);
	fx_expect(fx, OZ_INVALID_ARGUMENT, "invalid request");
	fx_expect_fields(fx, 1, "username");
	assert_string_equal(fx->st.violations[0].description,
		"must be 1 to 50 characters");
	assert_int_equal(
		create(fx, "", "d@example.com", &u), OZ_INVALID_ARGUMENT);
	fx_expect_fields(fx, 1, "username");
}

static void
create_user_invalid_utf8_is_invalid_argument(void **state)
{
	fixture *fx = *state;
	Oz__V1__User u;
	static const char *const bad[] = {"\xff", "a\xc3", "\xc0\xaf",
		"\xed\xa0\x80", "\xf4\x90\x80\x80"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(create(fx, bad[i], "a@example.com", &u),
			OZ_INVALID_ARGUMENT);
		fx_expect(fx, OZ_INVALID_ARGUMENT, "invalid request");
		fx_expect_fields(fx, 1, "username");
		assert_string_equal(fx->st.violations[0].description,
			"must be valid UTF-8");
	}
}

static void
create_user_email_must_be_email_shaped(void **state)
{
	fixture *fx = *state;
	Oz__V1__User u;
	static const char *const bad[] = {"", "plain", "@example.com", "a@",
		"a@b", "a b@example.com", "a@@example.com", "a@b..com",
		"a@.example.com", "a@example.com.", "a@exa mple.com",
		"a\t@example.com", "a@b@example.com"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(
			create(fx, "bob", bad[i], &u), OZ_INVALID_ARGUMENT);
		fx_expect(fx, OZ_INVALID_ARGUMENT, "invalid request");
		fx_expect_fields(fx, 1, "email");
	}
	static const char *const good[] = {"a@b.c",
		"first.last+tag@example.co.uk", "o'hara@example.com",
		"\xc3\xa9l\xc3\xa8ve@\xc3\xa9"
		"cole.fr"};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		char name[16];
		snprintf(name, sizeof(name), "good%zu", i);
		assert_int_equal(create(fx, name, good[i], &u), OZ_OK);
		assert_string_equal(u.email, good[i]);
	}
}

static void
create_user_email_length_is_1_to_100(void **state)
{
	fixture *fx = *state;
	Oz__V1__User u;
	/* "x...x@example.com": 88 + 12 = 100 characters. */
	char email[128];
	snprintf(email, sizeof(email), "%s@example.com",
		fx_repeat(fx, "x", 88));
	assert_int_equal(create(fx, "hundred", email, &u), OZ_OK);
	snprintf(email, sizeof(email), "%s@example.com",
		fx_repeat(fx, "x", 89));
	assert_int_equal(create(fx, "long", email, &u), OZ_INVALID_ARGUMENT);
	fx_expect(fx, OZ_INVALID_ARGUMENT, "invalid request");
	fx_expect_fields(fx, 1, "email");
	assert_string_equal(fx->st.violations[0].description,
		"must be 1 to 100 characters");
}

static void
create_user_reports_one_violation_per_bad_field(void **state)
{
	fixture *fx = *state;
	Oz__V1__User u;
	assert_int_equal(create(fx, "", "nope", &u), OZ_INVALID_ARGUMENT);
	fx_expect(fx, OZ_INVALID_ARGUMENT, "invalid request");
	fx_expect_fields(fx, 2, "username", "email");
}

static void
create_user_registered_email_is_already_exists(void **state)
{
	fixture *fx = *state;
	Oz__V1__User u;
	fx_user(fx, "alice", "alice@example.com");
	assert_int_equal(create(fx, "alice2", "alice@example.com", &u),
		OZ_ALREADY_EXISTS);
	fx_expect(fx, OZ_ALREADY_EXISTS, "Email already registered");
	fx_expect_fields(fx, 0);
	/* Emails are unique ignoring ASCII case. */
	assert_int_equal(create(fx, "alice3", "ALICE@Example.COM", &u),
		OZ_ALREADY_EXISTS);
	fx_expect(fx, OZ_ALREADY_EXISTS, "Email already registered");
}

static void
create_user_taken_username_is_already_exists(void **state)
{
	fixture *fx = *state;
	Oz__V1__User u;
	fx_user(fx, "alice", "alice@example.com");
	assert_int_equal(create(fx, "alice", "other@example.com", &u),
		OZ_ALREADY_EXISTS);
	fx_expect(fx, OZ_ALREADY_EXISTS, "Username already taken");
	/* Usernames are case-sensitive. */
	assert_int_equal(create(fx, "Alice", "other@example.com", &u), OZ_OK);
}

static void
create_user_both_taken_reports_the_email(void **state)
{
	fixture *fx = *state;
	Oz__V1__User u;
	fx_user(fx, "alice", "alice@example.com");
	assert_int_equal(create(fx, "alice", "alice@example.com", &u),
		OZ_ALREADY_EXISTS);
	fx_expect(fx, OZ_ALREADY_EXISTS, "Email already registered");
}

static void
get_user_returns_the_created_user(void **state)
{
	fixture *fx = *state;
	Oz__V1__User *a = fx_user(fx, "alice", "alice@example.com");
	Oz__V1__User u;
	assert_int_equal(fx_get_user(fx, a->id, 0, &u), OZ_OK);
	assert_int_equal(u.id, a->id);
	assert_string_equal(u.username, "alice");
	assert_string_equal(u.email, "alice@example.com");
	assert_string_equal(u.etag, a->etag);
	assert_int_equal(u.create_time->seconds, a->create_time->seconds);
	assert_int_equal(u.create_time->nanos, a->create_time->nanos);
}

static void
get_user_missing_is_not_found(void **state)
{
	fixture *fx = *state;
	Oz__V1__User u;
	assert_int_equal(fx_get_user(fx, 12345, 0, &u), OZ_NOT_FOUND);
	fx_expect(fx, OZ_NOT_FOUND, "User not found");
	assert_int_equal(fx_get_user(fx, 0, 0, &u), OZ_NOT_FOUND);
	assert_int_equal(fx_get_user(fx, -1, 2, &u), OZ_NOT_FOUND);
	fx_expect(fx, OZ_NOT_FOUND, "User not found");
}

static void
get_user_unknown_view_is_invalid_argument(void **state)
{
	fixture *fx = *state;
	Oz__V1__User *a = fx_user(fx, "alice", "alice@example.com");
	Oz__V1__User u;
	assert_int_equal(fx_get_user(fx, a->id, 7, &u), OZ_INVALID_ARGUMENT);
	fx_expect(fx, OZ_INVALID_ARGUMENT, "invalid request");
	fx_expect_fields(fx, 1, "view");
}

static void
get_user_by_email_ignores_ascii_case(void **state)
{
	fixture *fx = *state;
	Oz__V1__User *a = fx_user(fx, "alice", "Alice@Example.com");
	Oz__V1__User u;
	assert_int_equal(by_email(fx, "alice@example.COM", &u), OZ_OK);
	assert_int_equal(u.id, a->id);
	assert_string_equal(u.email, "Alice@Example.com");
}

static void
get_user_by_email_missing_is_not_found(void **state)
{
	fixture *fx = *state;
	Oz__V1__User u;
	fx_user(fx, "alice", "alice@example.com");
	assert_int_equal(by_email(fx, "bob@example.com", &u), OZ_NOT_FOUND);
	fx_expect(fx, OZ_NOT_FOUND, "User not found");
	assert_int_equal(by_email(fx, "", &u), OZ_NOT_FOUND);
	fx_expect(fx, OZ_NOT_FOUND, "User not found");
}

/* Counts the queries (SELECTs) a connection starts. */
static int
count_cb(unsigned type, void *ctx, void *p, void *x)
{
	(void) p;
	if (type == SQLITE_TRACE_STMT && strncmp(x, "SELECT", 6) == 0) {
		(*(int *) ctx)++;
	}
	return 0;
}

static void
get_user_with_tasks_uses_one_extra_query(void **state)
{
	fixture *fx = *state;
	test_sqlite_only("counts statements with sqlite3_trace_v2");
	Oz__V1__User *a = fx_user(fx, "alice", "alice@example.com");
	Oz__V1__User *b = fx_user(fx, "bob", "bob@example.com");
	for (int i = 0; i < 5; i++) {
		char title[32];
		snprintf(title, sizeof(title), "task %d", i);
		fx_task(fx, a->id, title, 1 + i % 3);
	}
	fx_task(fx, b->id, "not alice's", 1);
	Oz__V1__User u;
	int basic = 0, with = 0;
	sqlite3_trace_v2(fx->db->db, SQLITE_TRACE_STMT, count_cb, &basic);
	assert_int_equal(fx_get_user(fx, a->id, 1, &u), OZ_OK);
	assert_int_equal(u.n_tasks, 0);
	sqlite3_trace_v2(fx->db->db, SQLITE_TRACE_STMT, count_cb, &with);
	assert_int_equal(fx_get_user(fx, a->id, 2, &u), OZ_OK);
	sqlite3_trace_v2(fx->db->db, 0, NULL, NULL);
	assert_int_equal(basic, 1);
	assert_int_equal(with, 2);
	assert_int_equal(u.n_tasks, 5);
	for (size_t i = 0; i < u.n_tasks; i++) {
		char title[32];
		snprintf(title, sizeof(title), "task %zu", i);
		assert_string_equal(u.tasks[i]->title, title);
		assert_int_equal(u.tasks[i]->user_id, a->id);
		assert_int_equal(u.tasks[i]->status, 1 + i % 3);
		assert_non_null(u.tasks[i]->create_time);
		assert_true(i == 0 || u.tasks[i]->id > u.tasks[i - 1]->id);
	}
	/* By email too. */
	Oz__V1__GetUserByEmailRequest req =
		OZ__V1__GET_USER_BY_EMAIL_REQUEST__INIT;
	req.email = "BOB@example.com";
	req.view = OZ__V1__USER_VIEW__USER_VIEW_WITH_TASKS;
	oz__v1__user__init(&u);
	assert_int_equal(
		fx_call(fx, service_user_get_by_email, &req, &u), OZ_OK);
	assert_int_equal(u.n_tasks, 1);
	assert_string_equal(u.tasks[0]->title, "not alice's");
}

static void
update_user_changes_only_the_masked_fields(void **state)
{
	fixture *fx = *state;
	Oz__V1__User *a = fx_user(fx, "alice", "alice@example.com");
	Oz__V1__User in = OZ__V1__USER__INIT, out;
	in.id = a->id;
	in.username = "ignored";
	in.email = "new@example.com";
	const char *paths[] = {"email"};
	assert_int_equal(update(fx, &in, 1, paths, &out), OZ_OK);
	assert_string_equal(out.username, "alice");
	assert_string_equal(out.email, "new@example.com");
	assert_true(out.is_active);
	assert_int_equal(fx_get_user(fx, a->id, 0, &out), OZ_OK);
	assert_string_equal(out.username, "alice");
	assert_string_equal(out.email, "new@example.com");
}

static void
update_user_empty_mask_takes_every_set_field(void **state)
{
	fixture *fx = *state;
	Oz__V1__User *a = fx_user(fx, "alice", "alice@example.com");
	Oz__V1__User in = OZ__V1__USER__INIT, out;
	in.id = a->id;
	in.username = "alicia";
	assert_int_equal(update(fx, &in, 0, NULL, &out), OZ_OK);
	assert_string_equal(out.username, "alicia");
	assert_string_equal(out.email, "alice@example.com");
	/* is_active false is the default, so an empty mask keeps it. */
	assert_true(out.is_active);
	/* A message with nothing set names nothing to update. */
	Oz__V1__User none = OZ__V1__USER__INIT;
	none.id = a->id;
	assert_int_equal(
		update(fx, &none, 0, NULL, &out), OZ_INVALID_ARGUMENT);
	fx_expect(fx, OZ_INVALID_ARGUMENT, "invalid request");
	fx_expect_fields(fx, 1, "update_mask");
}

/* The store is told which columns keep their value (issue 18): a change
 * of case only is a change, and all three fields at once are what GetUser
 * reads back. */
static void
update_user_writes_each_changed_field(void **state)
{
	fixture *fx = *state;
	Oz__V1__User *a = fx_user(fx, "alice", "alice@example.com");
	Oz__V1__User in = OZ__V1__USER__INIT, out;
	const char *all[] = {"username", "email", "is_active"};
	in.id = a->id;
	in.username = "alice";
	in.email = "Alice@Example.com";
	in.is_active = true;
	assert_int_equal(update(fx, &in, 3, all, &out), OZ_OK);
	assert_int_equal(fx_get_user(fx, a->id, 0, &out), OZ_OK);
	assert_string_equal(out.email, "Alice@Example.com");
	in.username = "alicia";
	in.email = "alicia@example.com";
	in.is_active = false;
	assert_int_equal(update(fx, &in, 3, all, &out), OZ_OK);
	assert_int_equal(fx_get_user(fx, a->id, 0, &out), OZ_OK);
	assert_string_equal(out.username, "alicia");
	assert_string_equal(out.email, "alicia@example.com");
	assert_false(out.is_active);
	assert_memory_equal(out.etag, "3-", 2);
}

static void
update_user_mask_can_clear_is_active(void **state)
{
	fixture *fx = *state;
	Oz__V1__User *a = fx_user(fx, "alice", "alice@example.com");
	Oz__V1__User in = OZ__V1__USER__INIT, out;
	in.id = a->id;
	const char *paths[] = {"is_active"};
	assert_int_equal(update(fx, &in, 1, paths, &out), OZ_OK);
	assert_false(out.is_active);
	assert_string_equal(out.username, "alice");
	assert_int_equal(fx_get_user(fx, a->id, 0, &out), OZ_OK);
	assert_false(out.is_active);
}

static void
update_user_moves_update_time_and_etag(void **state)
{
	fixture *fx = *state;
	Oz__V1__User *a = fx_user(fx, "alice", "alice@example.com");
	Oz__V1__User in = OZ__V1__USER__INIT, out;
	in.id = a->id;
	in.username = "alice";
	const char *paths[] = {"username"};
	assert_int_equal(update(fx, &in, 1, paths, &out), OZ_OK);
	int64_t t0 = a->update_time->seconds * 1000000 +
		     a->update_time->nanos / 1000;
	int64_t t1 = out.update_time->seconds * 1000000 +
		     out.update_time->nanos / 1000;
	assert_true(t1 > t0);
	assert_int_equal(out.create_time->seconds, a->create_time->seconds);
	assert_int_equal(out.create_time->nanos, a->create_time->nanos);
	assert_memory_equal(out.etag, "2-", 2);
	assert_string_not_equal(out.etag, a->etag);
}

static void
update_user_unknown_path_is_invalid_argument(void **state)
{
	fixture *fx = *state;
	Oz__V1__User *a = fx_user(fx, "alice", "alice@example.com");
	Oz__V1__User in = OZ__V1__USER__INIT, out;
	in.id = a->id;
	static const char *const bad[] = {"id", "tasks", "create_time", "etag",
		"user.email", "Email", ""};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *paths[] = {"email", bad[i]};
		char msg[80];
		assert_int_equal(
			update(fx, &in, 2, paths, &out), OZ_INVALID_ARGUMENT);
		snprintf(msg, sizeof(msg), "unknown update_mask path \"%s\"",
			bad[i]);
		fx_expect(fx, OZ_INVALID_ARGUMENT, msg);
		fx_expect_fields(fx, 1, "update_mask");
	}
}

static void
update_user_validates_like_create(void **state)
{
	fixture *fx = *state;
	Oz__V1__User *a = fx_user(fx, "alice", "alice@example.com");
	Oz__V1__User in = OZ__V1__USER__INIT, out;
	in.id = a->id;
	in.username = "";
	in.email = "not-an-email";
	const char *paths[] = {"username", "email"};
	assert_int_equal(update(fx, &in, 2, paths, &out), OZ_INVALID_ARGUMENT);
	fx_expect(fx, OZ_INVALID_ARGUMENT, "invalid request");
	fx_expect_fields(fx, 2, "username", "email");
	/* "*" names every field: the empty username is refused. */
	in.email = "fine@example.com";
	const char *all[] = {"*"};
	assert_int_equal(update(fx, &in, 1, all, &out), OZ_INVALID_ARGUMENT);
	fx_expect_fields(fx, 1, "username");
	assert_int_equal(fx_get_user(fx, a->id, 0, &out), OZ_OK);
	assert_string_equal(out.username, "alice");
}

static void
update_user_taken_email_or_username_is_already_exists(void **state)
{
	fixture *fx = *state;
	Oz__V1__User *a = fx_user(fx, "alice", "alice@example.com");
	fx_user(fx, "bob", "bob@example.com");
	Oz__V1__User in = OZ__V1__USER__INIT, out;
	in.id = a->id;
	in.email = "BOB@example.com";
	assert_int_equal(update(fx, &in, 0, NULL, &out), OZ_ALREADY_EXISTS);
	fx_expect(fx, OZ_ALREADY_EXISTS, "Email already registered");
	in.email = "";
	in.username = "bob";
	assert_int_equal(update(fx, &in, 0, NULL, &out), OZ_ALREADY_EXISTS);
	fx_expect(fx, OZ_ALREADY_EXISTS, "Username already taken");
	/* Changing the case of one's own email is allowed. */
	in.username = "";
	in.email = "ALICE@example.com";
	assert_int_equal(update(fx, &in, 0, NULL, &out), OZ_OK);
	assert_string_equal(out.email, "ALICE@example.com");
}

static void
update_user_missing_is_not_found(void **state)
{
	fixture *fx = *state;
	Oz__V1__User in = OZ__V1__USER__INIT, out;
	in.id = 999;
	in.username = "ghost";
	assert_int_equal(update(fx, &in, 0, NULL, &out), OZ_NOT_FOUND);
	fx_expect(fx, OZ_NOT_FOUND, "User not found");
	Oz__V1__UpdateUserRequest req = OZ__V1__UPDATE_USER_REQUEST__INIT;
	oz__v1__user__init(&out);
	assert_int_equal(fx_call(fx, service_user_update, &req, &out),
		OZ_INVALID_ARGUMENT);
	fx_expect_fields(fx, 1, "user");
}

static void
update_user_stale_etag_is_aborted(void **state)
{
	fixture *fx = *state;
	Oz__V1__User *a = fx_user(fx, "alice", "alice@example.com");
	Oz__V1__User in = OZ__V1__USER__INIT, out;
	in.id = a->id;
	in.username = "alice2";
	in.etag = a->etag;
	assert_int_equal(update(fx, &in, 0, NULL, &out), OZ_OK);
	in.username = "alice3";
	assert_int_equal(update(fx, &in, 0, NULL, &out), OZ_ABORTED);
	fx_expect(fx, OZ_ABORTED, "etag mismatch");
	in.etag = "garbage";
	assert_int_equal(update(fx, &in, 0, NULL, &out), OZ_ABORTED);
	assert_int_equal(fx_get_user(fx, a->id, 0, &out), OZ_OK);
	assert_string_equal(out.username, "alice2");
	in.etag = out.etag;
	assert_int_equal(update(fx, &in, 0, NULL, &out), OZ_OK);
	assert_string_equal(out.username, "alice3");
}

static void
etag_of_a_deleted_user_does_not_match_a_new_user_with_its_id(void **state)
{
	fixture *fx = *state;
	Oz__V1__User *a = fx_user(fx, "alice", "alice@example.com");
	int64_t id = a->id;
	char old[64];
	snprintf(old, sizeof(old), "%s", a->etag);
	assert_int_equal(del(fx, id, false, NULL), OZ_OK);
	/* Ids are never reused (migration 0004): bob gets a new one, and
	 * the old etag matches neither the gone id nor bob. */
	Oz__V1__User *b = fx_user(fx, "bob", "bob@example.com");
	assert_true(b->id > id);
	assert_memory_equal(b->etag, "1-", 2);
	assert_string_not_equal(b->etag, old);
	assert_int_equal(del(fx, id, false, old), OZ_NOT_FOUND);
	assert_int_equal(del(fx, b->id, false, old), OZ_ABORTED);
	fx_expect(fx, OZ_ABORTED, "etag mismatch");
}

static void
delete_user_removes_the_user(void **state)
{
	fixture *fx = *state;
	Oz__V1__User *a = fx_user(fx, "alice", "alice@example.com");
	Oz__V1__User u;
	assert_int_equal(del(fx, a->id, false, NULL), OZ_OK);
	assert_int_equal(fx_get_user(fx, a->id, 0, &u), OZ_NOT_FOUND);
	/* The email and username are free again. */
	fx_user(fx, "alice", "alice@example.com");
}

static void
delete_user_missing_is_not_found(void **state)
{
	fixture *fx = *state;
	assert_int_equal(del(fx, 4242, false, NULL), OZ_NOT_FOUND);
	fx_expect(fx, OZ_NOT_FOUND, "User not found");
	assert_int_equal(del(fx, 4242, true, NULL), OZ_NOT_FOUND);
	fx_expect(fx, OZ_NOT_FOUND, "User not found");
	assert_int_equal(del(fx, 4242, true, "1-0"), OZ_NOT_FOUND);
	fx_expect(fx, OZ_NOT_FOUND, "User not found");
}

static void
delete_user_with_tasks_is_failed_precondition(void **state)
{
	fixture *fx = *state;
	Oz__V1__User *a = fx_user(fx, "alice", "alice@example.com");
	Oz__V1__User u;
	fx_task(fx, a->id, "one", 0);
	assert_int_equal(del(fx, a->id, false, NULL), OZ_FAILED_PRECONDITION);
	fx_expect(fx, OZ_FAILED_PRECONDITION, "User has 1 task");
	fx_task(fx, a->id, "two", 0);
	fx_task(fx, a->id, "three", 0);
	assert_int_equal(del(fx, a->id, false, NULL), OZ_FAILED_PRECONDITION);
	fx_expect(fx, OZ_FAILED_PRECONDITION, "User has 3 tasks");
	assert_int_equal(fx_get_user(fx, a->id, 2, &u), OZ_OK);
	assert_int_equal(u.n_tasks, 3);
}

static void
delete_user_force_removes_user_and_tasks(void **state)
{
	fixture *fx = *state;
	Oz__V1__User *a = fx_user(fx, "alice", "alice@example.com");
	Oz__V1__User *b = fx_user(fx, "bob", "bob@example.com");
	Oz__V1__Task *t1 = fx_task(fx, a->id, "one", 0);
	Oz__V1__Task *t2 = fx_task(fx, a->id, "two", 0);
	Oz__V1__Task *tb = fx_task(fx, b->id, "bob's", 0);
	Oz__V1__Task t;
	Oz__V1__User u;
	assert_int_equal(del(fx, a->id, true, NULL), OZ_OK);
	assert_int_equal(fx_get_user(fx, a->id, 0, &u), OZ_NOT_FOUND);
	assert_int_equal(fx_get_task(fx, t1->id, &t), OZ_NOT_FOUND);
	assert_int_equal(fx_get_task(fx, t2->id, &t), OZ_NOT_FOUND);
	assert_int_equal(fx_get_task(fx, tb->id, &t), OZ_OK);
	assert_int_equal(del(fx, b->id, false, NULL), OZ_FAILED_PRECONDITION);
	fx_expect(fx, OZ_FAILED_PRECONDITION, "User has 1 task");
	/* force on a user without tasks just deletes it. */
	Oz__V1__User *c = fx_user(fx, "carol", "carol@example.com");
	assert_int_equal(del(fx, c->id, true, NULL), OZ_OK);
	assert_int_equal(fx_get_user(fx, c->id, 0, &u), OZ_NOT_FOUND);
}

static void
delete_user_force_is_one_transaction(void **state)
{
	fixture *fx = *state;
	Oz__V1__User *a = fx_user(fx, "alice", "alice@example.com");
	Oz__V1__Task *t1 = fx_task(fx, a->id, "one", 0);
	Oz__V1__Task t;
	Oz__V1__User u;
	/* A stale etag fails the whole delete: the tasks stay too. */
	assert_int_equal(del(fx, a->id, true, "1-0"), OZ_ABORTED);
	fx_expect(fx, OZ_ABORTED, "etag mismatch");
	assert_int_equal(fx_get_task(fx, t1->id, &t), OZ_OK);
	assert_int_equal(fx_get_user(fx, a->id, 0, &u), OZ_OK);
	assert_int_equal(del(fx, a->id, true, u.etag), OZ_OK);
	assert_int_equal(fx_get_task(fx, t1->id, &t), OZ_NOT_FOUND);
}

static void
handlers_nest_as_savepoints_in_an_outer_transaction(void **state)
{
	fixture *fx = *state;
	Oz__V1__User u;
	oz_status st;
	/* As group commit does: several handlers in one transaction; a
	 * failing one is rolled back alone. */
	assert_int_equal(store_tx_begin(fx->db, STORE_TX_WRITE, &st), OZ_OK);
	fx->cx.db = fx->db;
	oz_status_clear(&fx->st);
	Oz__V1__CreateUserRequest req = OZ__V1__CREATE_USER_REQUEST__INIT;
	req.username = "alice";
	req.email = "alice@example.com";
	oz__v1__user__init(&u);
	assert_int_equal(
		service_user_create(&fx->cx, &req.base, &u.base, &fx->st),
		OZ_OK);
	req.username = "alice2";
	oz_status_clear(&fx->st);
	assert_int_equal(
		service_user_create(&fx->cx, &req.base, &u.base, &fx->st),
		OZ_ALREADY_EXISTS);
	req.username = "carol";
	req.email = "carol@example.com";
	oz_status_clear(&fx->st);
	assert_int_equal(
		service_user_create(&fx->cx, &req.base, &u.base, &fx->st),
		OZ_OK);
	assert_int_equal(store_tx_depth(fx->db), 1);
	assert_int_equal(store_tx_end(fx->db, OZ_OK, &st), OZ_OK);
	assert_int_equal(by_email(fx, "alice@example.com", &u), OZ_OK);
	assert_string_equal(u.username, "alice");
	assert_int_equal(by_email(fx, "carol@example.com", &u), OZ_OK);
}

#define BOTH(f)                                                               \
	{#f, f, fx_setup_memory, fx_teardown, NULL},                          \
	{                                                                     \
#f " [file]", f, fx_setup_file, fx_teardown, NULL             \
	}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(create_user_returns_active_user_with_times_and_etag),
		BOTH(create_user_username_length_counts_characters),
		BOTH(create_user_invalid_utf8_is_invalid_argument),
		BOTH(create_user_email_must_be_email_shaped),
		BOTH(create_user_email_length_is_1_to_100),
		BOTH(create_user_reports_one_violation_per_bad_field),
		BOTH(create_user_registered_email_is_already_exists),
		BOTH(create_user_taken_username_is_already_exists),
		BOTH(create_user_both_taken_reports_the_email),
		BOTH(get_user_returns_the_created_user),
		BOTH(get_user_missing_is_not_found),
		BOTH(get_user_unknown_view_is_invalid_argument),
		BOTH(get_user_by_email_ignores_ascii_case),
		BOTH(get_user_by_email_missing_is_not_found),
		BOTH(get_user_with_tasks_uses_one_extra_query),
		BOTH(update_user_changes_only_the_masked_fields),
		BOTH(update_user_empty_mask_takes_every_set_field),
		BOTH(update_user_writes_each_changed_field),
		BOTH(update_user_mask_can_clear_is_active),
		BOTH(update_user_moves_update_time_and_etag),
		BOTH(update_user_unknown_path_is_invalid_argument),
		BOTH(update_user_validates_like_create),
		BOTH(update_user_taken_email_or_username_is_already_exists),
		BOTH(update_user_missing_is_not_found),
		BOTH(update_user_stale_etag_is_aborted),
		BOTH(etag_of_a_deleted_user_does_not_match_a_new_user_with_its_id),
		BOTH(delete_user_removes_the_user),
		BOTH(delete_user_missing_is_not_found),
		BOTH(delete_user_with_tasks_is_failed_precondition),
		BOTH(delete_user_force_removes_user_and_tasks),
		BOTH(delete_user_force_is_one_transaction),
		BOTH(handlers_nest_as_savepoints_in_an_outer_transaction),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
