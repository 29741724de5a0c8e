/* tests/service/task_test.c -- the TaskService rules of issue 2 §5, each
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

enum {
	UNSPECIFIED = OZ__V1__TASK_STATUS__TASK_STATUS_UNSPECIFIED,
	PENDING = OZ__V1__TASK_STATUS__TASK_STATUS_PENDING,
	IN_PROGRESS = OZ__V1__TASK_STATUS__TASK_STATUS_IN_PROGRESS,
	DONE = OZ__V1__TASK_STATUS__TASK_STATUS_DONE,
};

static oz_code
create(fixture *fx, int64_t user_id, const char *title,
	const char *description, int status, Oz__V1__Task *out)
{
	Oz__V1__CreateTaskRequest req = OZ__V1__CREATE_TASK_REQUEST__INIT;
	req.user_id = user_id;
	req.title = (char *) title;
	req.description = (char *) (description != NULL ? description : "");
	req.status = (Oz__V1__TaskStatus) status;
	oz__v1__task__init(out);
	return fx_call(fx, service_task_create, &req, out);
}

static oz_code
update(fixture *fx, const Oz__V1__Task *t, int n_paths, const char **paths,
	Oz__V1__Task *out)
{
	Oz__V1__UpdateTaskRequest req = OZ__V1__UPDATE_TASK_REQUEST__INIT;
	Google__Protobuf__FieldMask mask = GOOGLE__PROTOBUF__FIELD_MASK__INIT;
	mask.n_paths = (size_t) n_paths;
	mask.paths = (char **) paths;
	req.task = (Oz__V1__Task *) t;
	req.update_mask = n_paths > 0 ? &mask : NULL;
	oz__v1__task__init(out);
	return fx_call(fx, service_task_update, &req, out);
}

static oz_code
del(fixture *fx, int64_t id, const char *etag)
{
	Oz__V1__DeleteTaskRequest req = OZ__V1__DELETE_TASK_REQUEST__INIT;
	Google__Protobuf__Empty out = GOOGLE__PROTOBUF__EMPTY__INIT;
	req.id = id;
	req.etag = (char *) (etag != NULL ? etag : "");
	return fx_call(fx, service_task_delete, &req, &out);
}

static int64_t
us(const Google__Protobuf__Timestamp *t)
{
	return t->seconds * 1000000 + t->nanos / 1000;
}

static void
create_task_defaults_to_pending(void **state)
{
	fixture *fx = *state;
	Oz__V1__User *a = fx_user(fx, "alice", "alice@example.com");
	Oz__V1__Task t;
	assert_int_equal(create(fx, a->id, "write tests", "all of them",
				 UNSPECIFIED, &t),
		OZ_OK);
	assert_true(t.id > 0);
	assert_string_equal(t.title, "write tests");
	assert_string_equal(t.description, "all of them");
	assert_int_equal(t.user_id, a->id);
	assert_int_equal(t.status, PENDING);
	assert_int_equal(us(t.create_time), us(t.update_time));
	assert_memory_equal(t.etag, "1-", 2);
	assert_int_equal(
		create(fx, a->id, "done already", NULL, DONE, &t), OZ_OK);
	assert_int_equal(t.status, DONE);
	assert_string_equal(t.description, "");
}

static void
create_task_title_is_1_to_100_characters(void **state)
{
	fixture *fx = *state;
	Oz__V1__User *a = fx_user(fx, "alice", "alice@example.com");
	Oz__V1__Task t;
	assert_int_equal(create(fx, a->id, fx_repeat(fx, "\xe2\x82\xac", 100),
				 NULL, 0, &t),
		OZ_OK);
	assert_int_equal(
		create(fx, a->id, fx_repeat(fx, "t", 101), NULL, 0, &t),
		OZ_INVALID_ARGUMENT);
	fx_expect(fx, OZ_INVALID_ARGUMENT, "invalid request");
	fx_expect_fields(fx, 1, "title");
	assert_string_equal(fx->st.violations[0].description,
		"must be 1 to 100 characters");
	assert_int_equal(
		create(fx, a->id, "", NULL, 0, &t), OZ_INVALID_ARGUMENT);
	fx_expect_fields(fx, 1, "title");
}

static void
create_task_bad_fields_each_get_a_violation(void **state)
{
	fixture *fx = *state;
	Oz__V1__User *a = fx_user(fx, "alice", "alice@example.com");
	Oz__V1__Task t;
	assert_int_equal(
		create(fx, a->id, "", "\xff", 9, &t), OZ_INVALID_ARGUMENT);
	fx_expect(fx, OZ_INVALID_ARGUMENT, "invalid request");
	fx_expect_fields(fx, 3, "title", "description", "status");
	assert_int_equal(
		create(fx, a->id, "ok", fx_repeat(fx, "d", 10001), -1, &t),
		OZ_INVALID_ARGUMENT);
	fx_expect_fields(fx, 2, "description", "status");
	assert_int_equal(
		create(fx, a->id, "ok", fx_repeat(fx, "d", 10000), 0, &t),
		OZ_OK);
}

static void
create_task_unknown_user_is_not_found(void **state)
{
	fixture *fx = *state;
	Oz__V1__Task t;
	assert_int_equal(create(fx, 777, "orphan", NULL, 0, &t), OZ_NOT_FOUND);
	fx_expect(fx, OZ_NOT_FOUND, "User not found");
	assert_int_equal(create(fx, 0, "orphan", NULL, 0, &t), OZ_NOT_FOUND);
	fx_expect(fx, OZ_NOT_FOUND, "User not found");
}

static void
get_task_returns_the_created_task(void **state)
{
	fixture *fx = *state;
	Oz__V1__User *a = fx_user(fx, "alice", "alice@example.com");
	Oz__V1__Task *c = fx_task(fx, a->id, "read", IN_PROGRESS);
	Oz__V1__Task t;
	assert_int_equal(fx_get_task(fx, c->id, &t), OZ_OK);
	assert_int_equal(t.id, c->id);
	assert_string_equal(t.title, "read");
	assert_int_equal(t.status, IN_PROGRESS);
	assert_int_equal(t.user_id, a->id);
	assert_string_equal(t.etag, c->etag);
	assert_int_equal(us(t.create_time), us(c->create_time));
}

static void
get_task_missing_is_not_found(void **state)
{
	fixture *fx = *state;
	Oz__V1__Task t;
	assert_int_equal(fx_get_task(fx, 31337, &t), OZ_NOT_FOUND);
	fx_expect(fx, OZ_NOT_FOUND, "Task not found");
}

static void
update_task_changes_only_the_masked_fields(void **state)
{
	fixture *fx = *state;
	Oz__V1__User *a = fx_user(fx, "alice", "alice@example.com");
	Oz__V1__Task *c = fx_task(fx, a->id, "read", PENDING);
	Oz__V1__Task in = OZ__V1__TASK__INIT, out;
	in.id = c->id;
	in.title = "ignored";
	in.status = (Oz__V1__TaskStatus) DONE;
	const char *paths[] = {"status"};
	assert_int_equal(update(fx, &in, 1, paths, &out), OZ_OK);
	assert_string_equal(out.title, "read");
	assert_int_equal(out.status, DONE);
	assert_int_equal(fx_get_task(fx, c->id, &out), OZ_OK);
	assert_string_equal(out.title, "read");
	assert_int_equal(out.status, DONE);
}

static void
update_task_empty_mask_takes_every_set_field(void **state)
{
	fixture *fx = *state;
	Oz__V1__User *a = fx_user(fx, "alice", "alice@example.com");
	Oz__V1__Task *c = fx_task(fx, a->id, "read", PENDING);
	Oz__V1__Task in = OZ__V1__TASK__INIT, out;
	in.id = c->id;
	in.description = "chapter 1";
	assert_int_equal(update(fx, &in, 0, NULL, &out), OZ_OK);
	assert_string_equal(out.title, "read");
	assert_string_equal(out.description, "chapter 1");
	assert_int_equal(out.status, PENDING);
	/* Clearing the description takes an explicit path. */
	in.description = "";
	const char *paths[] = {"description"};
	assert_int_equal(update(fx, &in, 1, paths, &out), OZ_OK);
	assert_string_equal(out.description, "");
	assert_int_equal(update(fx, &in, 0, NULL, &out), OZ_INVALID_ARGUMENT);
	fx_expect(fx, OZ_INVALID_ARGUMENT, "invalid request");
	fx_expect_fields(fx, 1, "update_mask");
}

static void
update_task_validates_like_create(void **state)
{
	fixture *fx = *state;
	Oz__V1__User *a = fx_user(fx, "alice", "alice@example.com");
	Oz__V1__Task *c = fx_task(fx, a->id, "read", PENDING);
	Oz__V1__Task in = OZ__V1__TASK__INIT, out;
	in.id = c->id;
	in.title = "";
	in.status = (Oz__V1__TaskStatus) UNSPECIFIED;
	const char *paths[] = {"title", "status"};
	assert_int_equal(update(fx, &in, 2, paths, &out), OZ_INVALID_ARGUMENT);
	fx_expect(fx, OZ_INVALID_ARGUMENT, "invalid request");
	fx_expect_fields(fx, 2, "title", "status");
	in.title = (char *) fx_repeat(fx, "x", 101);
	assert_int_equal(update(fx, &in, 0, NULL, &out), OZ_INVALID_ARGUMENT);
	fx_expect_fields(fx, 1, "title");
	assert_int_equal(fx_get_task(fx, c->id, &out), OZ_OK);
	assert_string_equal(out.title, "read");
}

static void
update_task_unknown_path_is_invalid_argument(void **state)
{
	fixture *fx = *state;
	Oz__V1__User *a = fx_user(fx, "alice", "alice@example.com");
	Oz__V1__Task *c = fx_task(fx, a->id, "read", PENDING);
	Oz__V1__Task in = OZ__V1__TASK__INIT, out;
	in.id = c->id;
	in.title = "x";
	const char *paths[] = {"title", "user_id"};
	assert_int_equal(update(fx, &in, 2, paths, &out), OZ_INVALID_ARGUMENT);
	fx_expect(fx, OZ_INVALID_ARGUMENT,
		"unknown update_mask path \"user_id\"");
	fx_expect_fields(fx, 1, "update_mask");
	/* Request text is echoed only as printable ASCII, and cut short. */
	const char *odd[] = {"\x01\xc3\xa9"
			     "0123456789012345678901234567890123456789xyz"};
	assert_int_equal(update(fx, &in, 1, odd, &out), OZ_INVALID_ARGUMENT);
	fx_expect(fx, OZ_INVALID_ARGUMENT,
		"unknown update_mask path "
		"\"???0123456789012345678901234567890123456...\"");
}

/* The store is told which columns keep their value (issue 18): each
 * field changed alone, then all three at once, must be what GetTask reads
 * back, and a field named with its own value stays. */
static void
update_task_writes_each_changed_field(void **state)
{
	fixture *fx = *state;
	Oz__V1__User *a = fx_user(fx, "alice", "alice@example.com");
	Oz__V1__Task *c = fx_task(fx, a->id, "read", PENDING);
	Oz__V1__Task in = OZ__V1__TASK__INIT, out;
	const char *all[] = {"title", "description", "status"};
	in.id = c->id;
	in.title = "read";
	in.description = "d1";
	in.status = (Oz__V1__TaskStatus) PENDING;
	for (int i = 0; i < 3; i++) {
		assert_int_equal(update(fx, &in, 1, &all[i], &out), OZ_OK);
	}
	in.title = "write";
	in.description = "d2";
	in.status = (Oz__V1__TaskStatus) DONE;
	assert_int_equal(update(fx, &in, 1, &all[0], &out), OZ_OK);
	assert_int_equal(fx_get_task(fx, c->id, &out), OZ_OK);
	assert_string_equal(out.title, "write");
	assert_string_equal(out.description, "d1");
	assert_int_equal(out.status, PENDING);
	assert_int_equal(update(fx, &in, 1, &all[2], &out), OZ_OK);
	assert_int_equal(fx_get_task(fx, c->id, &out), OZ_OK);
	assert_string_equal(out.description, "d1");
	assert_int_equal(out.status, DONE);
	in.title = "again";
	in.description = "d3";
	in.status = (Oz__V1__TaskStatus) IN_PROGRESS;
	assert_int_equal(update(fx, &in, 3, all, &out), OZ_OK);
	assert_int_equal(fx_get_task(fx, c->id, &out), OZ_OK);
	assert_string_equal(out.title, "again");
	assert_string_equal(out.description, "d3");
	assert_int_equal(out.status, IN_PROGRESS);
	assert_memory_equal(out.etag, "7-", 2);
}

static void
update_task_moves_update_time_and_version(void **state)
{
	fixture *fx = *state;
	Oz__V1__User *a = fx_user(fx, "alice", "alice@example.com");
	Oz__V1__Task *c = fx_task(fx, a->id, "read", PENDING);
	Oz__V1__Task in = OZ__V1__TASK__INIT, out;
	in.id = c->id;
	in.status = (Oz__V1__TaskStatus) IN_PROGRESS;
	int64_t last = us(c->update_time);
	char prefix[16];
	for (int v = 2; v <= 4; v++) {
		assert_int_equal(update(fx, &in, 0, NULL, &out), OZ_OK);
		assert_true(us(out.update_time) > last);
		assert_int_equal(us(out.create_time), us(c->create_time));
		last = us(out.update_time);
		snprintf(prefix, sizeof(prefix), "%d-", v);
		assert_memory_equal(out.etag, prefix, 2);
	}
}

static void
update_task_missing_is_not_found(void **state)
{
	fixture *fx = *state;
	Oz__V1__Task in = OZ__V1__TASK__INIT, out;
	in.id = 5;
	in.title = "x";
	assert_int_equal(update(fx, &in, 0, NULL, &out), OZ_NOT_FOUND);
	fx_expect(fx, OZ_NOT_FOUND, "Task not found");
}

static void
update_task_stale_etag_is_aborted(void **state)
{
	fixture *fx = *state;
	Oz__V1__User *a = fx_user(fx, "alice", "alice@example.com");
	Oz__V1__Task *c = fx_task(fx, a->id, "read", PENDING);
	Oz__V1__Task in = OZ__V1__TASK__INIT, out;
	in.id = c->id;
	in.title = "write";
	in.etag = c->etag;
	assert_int_equal(update(fx, &in, 0, NULL, &out), OZ_OK);
	in.title = "again";
	assert_int_equal(update(fx, &in, 0, NULL, &out), OZ_ABORTED);
	fx_expect(fx, OZ_ABORTED, "etag mismatch");
	assert_int_equal(fx_get_task(fx, c->id, &out), OZ_OK);
	assert_string_equal(out.title, "write");
}

static void
delete_task_removes_only_that_task(void **state)
{
	fixture *fx = *state;
	Oz__V1__User *a = fx_user(fx, "alice", "alice@example.com");
	Oz__V1__Task *c = fx_task(fx, a->id, "read", PENDING);
	Oz__V1__Task *d = fx_task(fx, a->id, "write", PENDING);
	Oz__V1__Task t;
	assert_int_equal(del(fx, c->id, NULL), OZ_OK);
	assert_int_equal(fx_get_task(fx, c->id, &t), OZ_NOT_FOUND);
	assert_int_equal(fx_get_task(fx, d->id, &t), OZ_OK);
	assert_int_equal(del(fx, c->id, NULL), OZ_NOT_FOUND);
	fx_expect(fx, OZ_NOT_FOUND, "Task not found");
}

static void
delete_task_stale_etag_is_aborted(void **state)
{
	fixture *fx = *state;
	Oz__V1__User *a = fx_user(fx, "alice", "alice@example.com");
	Oz__V1__Task *c = fx_task(fx, a->id, "read", PENDING);
	Oz__V1__Task t;
	assert_int_equal(del(fx, c->id, "2-0"), OZ_ABORTED);
	fx_expect(fx, OZ_ABORTED, "etag mismatch");
	assert_int_equal(fx_get_task(fx, c->id, &t), OZ_OK);
	assert_int_equal(del(fx, c->id, c->etag), OZ_OK);
	assert_int_equal(del(fx, c->id, c->etag), OZ_NOT_FOUND);
	fx_expect(fx, OZ_NOT_FOUND, "Task not found");
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
		BOTH(create_task_defaults_to_pending),
		BOTH(create_task_title_is_1_to_100_characters),
		BOTH(create_task_bad_fields_each_get_a_violation),
		BOTH(create_task_unknown_user_is_not_found),
		BOTH(get_task_returns_the_created_task),
		BOTH(get_task_missing_is_not_found),
		BOTH(update_task_changes_only_the_masked_fields),
		BOTH(update_task_empty_mask_takes_every_set_field),
		BOTH(update_task_validates_like_create),
		BOTH(update_task_unknown_path_is_invalid_argument),
		BOTH(update_task_writes_each_changed_field),
		BOTH(update_task_moves_update_time_and_version),
		BOTH(update_task_missing_is_not_found),
		BOTH(update_task_stale_etag_is_aborted),
		BOTH(delete_task_removes_only_that_task),
		BOTH(delete_task_stale_etag_is_aborted),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
