/* tests/service/batch_test.c -- BatchService/Execute (issue 17): all or
 * nothing, results in order, references to ids created earlier in the
 * batch, the failing operation named in the status, and a failing batch
 * inside an outer transaction (the writer's group commit) undoing only
 * itself. Every test runs on :memory: and on a temporary file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "../support/fixture.h"
#include "oz/v1/batch_service.pb-c.h"
#include "store/task_store.h"
#include "store/user_store.h"

/* A batch under construction: operations and their payloads, all from the
 * fixture's arena. */
typedef struct batch {
	fixture *fx;
	Oz__V1__ExecuteRequest req;
	Oz__V1__Operation *ops[SERVICE_BATCH_MAX + 1];
	Oz__V1__ExecuteResponse res;
} batch;

static void *
alloc(batch *b, size_t n)
{
	void *p = arena_alloc(&b->fx->arena, n);
	assert_non_null(p);
	memset(p, 0, n);
	return p;
}

static void
batch_init(batch *b, fixture *fx)
{
	memset(b, 0, sizeof(*b));
	b->fx = fx;
	oz__v1__execute_request__init(&b->req);
	b->req.operations = b->ops;
}

static Oz__V1__Operation *
add(batch *b, Oz__V1__Operation__OpCase c, void *payload)
{
	Oz__V1__Operation *op = alloc(b, sizeof(*op));
	oz__v1__operation__init(op);
	op->op_case = c;
	op->create_user = payload; /* Every arm is a message pointer. */
	b->ops[b->req.n_operations++] = op;
	return op;
}

static Google__Protobuf__Int32Value *
ref(batch *b, int i)
{
	Google__Protobuf__Int32Value *v = alloc(b, sizeof(*v));
	google__protobuf__int32_value__init(v);
	v->value = i;
	return v;
}

static Oz__V1__Operation *
add_user(batch *b, const char *username, const char *email)
{
	Oz__V1__CreateUserRequest *r = alloc(b, sizeof(*r));
	oz__v1__create_user_request__init(r);
	r->username = (char *) username;
	r->email = (char *) email;
	return add(b, OZ__V1__OPERATION__OP_CREATE_USER, r);
}

/* A create_task for user_id, or (user_ref >= 0) for operation user_ref. */
static Oz__V1__Operation *
add_task(batch *b, int64_t user_id, int user_ref, const char *title)
{
	Oz__V1__CreateTaskRequest *r = alloc(b, sizeof(*r));
	oz__v1__create_task_request__init(r);
	r->user_id = user_id;
	r->title = (char *) title;
	Oz__V1__Operation *op = add(b, OZ__V1__OPERATION__OP_CREATE_TASK, r);
	op->user_id_ref = user_ref >= 0 ? ref(b, user_ref) : NULL;
	return op;
}

/* An update_task of title, on task id or (task_ref >= 0) operation
 * task_ref's task. */
static Oz__V1__Operation *
add_retitle(batch *b, int64_t id, int task_ref, const char *title,
	const char *etag)
{
	Oz__V1__UpdateTaskRequest *r = alloc(b, sizeof(*r));
	Oz__V1__Task *t = alloc(b, sizeof(*t));
	oz__v1__update_task_request__init(r);
	oz__v1__task__init(t);
	t->id = id;
	t->title = (char *) title;
	t->etag = (char *) (etag != NULL ? etag : "");
	r->task = t;
	Oz__V1__Operation *op = add(b, OZ__V1__OPERATION__OP_UPDATE_TASK, r);
	op->task_id_ref = task_ref >= 0 ? ref(b, task_ref) : NULL;
	return op;
}

static oz_code
run(batch *b)
{
	oz__v1__execute_response__init(&b->res);
	return fx_call(b->fx, service_batch_execute, &b->req, &b->res);
}

/* The number of users (tasks false) or tasks (true) in the database. */
static int64_t
count(fixture *fx, bool tasks)
{
	store_user_filter uf = {0};
	store_task_filter tf = {0};
	int64_t n = -1;
	oz_status st;
	assert_int_equal(tasks ? store_task_count(fx->db, &tf, &n, &st)
			       : store_user_count(fx->db, &uf, &n, &st),
		OZ_OK);
	return n;
}

#define count_users(fx) count(fx, false)
#define count_tasks(fx) count(fx, true)

static void
batch_creates_a_user_and_their_tasks_by_reference(void **state)
{
	fixture *fx = *state;
	batch b;
	batch_init(&b, fx);
	fx_user(fx, "first", "first@example.com"); /* Ids differ from 1. */
	add_user(&b, "alice", "alice@example.com");
	add_task(&b, 0, 0, "one");
	add_task(&b, 0, 0, "two");
	add_retitle(&b, 0, 2, "two, renamed", NULL);
	assert_int_equal(run(&b), OZ_OK);
	assert_int_equal(b.res.n_results, 4);
	const Oz__V1__OperationResult *const *r =
		(const Oz__V1__OperationResult *const *) b.res.results;
	assert_int_equal(
		r[0]->result_case, OZ__V1__OPERATION_RESULT__RESULT_USER);
	int64_t uid = r[0]->user->id;
	assert_int_equal(uid, 2);
	assert_string_equal(r[0]->user->email, "alice@example.com");
	assert_int_equal(r[1]->task->user_id, uid);
	assert_int_equal(r[2]->task->user_id, uid);
	assert_string_equal(r[1]->task->title, "one");
	assert_int_equal(
		r[3]->result_case, OZ__V1__OPERATION_RESULT__RESULT_TASK);
	assert_int_equal(r[3]->task->id, r[2]->task->id);
	assert_string_equal(r[3]->task->title, "two, renamed");
	Oz__V1__User u;
	assert_int_equal(fx_get_user(fx, uid,
				 OZ__V1__USER_VIEW__USER_VIEW_WITH_TASKS, &u),
		OZ_OK);
	assert_int_equal(u.n_tasks, 2);
	assert_string_equal(u.tasks[1]->title, "two, renamed");
}

static void
ids_only_results_carry_just_the_ids(void **state)
{
	fixture *fx = *state;
	batch b;
	batch_init(&b, fx);
	add_user(&b, "alice", "alice@example.com");
	add_task(&b, 0, 0, "one");
	b.req.ids_only = true;
	assert_int_equal(run(&b), OZ_OK);
	const Oz__V1__User *u = b.res.results[0]->user;
	const Oz__V1__Task *t = b.res.results[1]->task;
	assert_int_equal(u->id, 1);
	assert_string_equal(u->email, "");
	assert_null(u->create_time);
	assert_int_equal(t->id, 1);
	assert_int_equal(t->user_id, 0);
	assert_string_equal(t->title, "");
	Oz__V1__Task got;
	assert_int_equal(fx_get_task(fx, 1, &got), OZ_OK);
	assert_int_equal(got.user_id, 1);
}

static void
batch_deletes_and_returns_empty_results(void **state)
{
	fixture *fx = *state;
	Oz__V1__User *a = fx_user(fx, "alice", "alice@example.com");
	Oz__V1__Task *t = fx_task(fx, a->id, "old", 1);
	batch b;
	batch_init(&b, fx);
	Oz__V1__DeleteTaskRequest dt = OZ__V1__DELETE_TASK_REQUEST__INIT;
	dt.id = t->id;
	dt.etag = t->etag;
	add(&b, OZ__V1__OPERATION__OP_DELETE_TASK, &dt);
	Oz__V1__DeleteUserRequest du = OZ__V1__DELETE_USER_REQUEST__INIT;
	du.id = a->id;
	add(&b, OZ__V1__OPERATION__OP_DELETE_USER, &du);
	assert_int_equal(run(&b), OZ_OK);
	assert_int_equal(b.res.results[1]->result_case,
		OZ__V1__OPERATION_RESULT__RESULT_DELETED);
	assert_int_equal(count_users(fx), 0);
	assert_int_equal(count_tasks(fx), 0);
}

static void
failing_batch_leaves_nothing_behind(void **state)
{
	fixture *fx = *state;
	Oz__V1__User *a = fx_user(fx, "alice", "alice@example.com");
	Oz__V1__Task *t = fx_task(fx, a->id, "keep", 1);
	batch b;
	batch_init(&b, fx);
	add_user(&b, "bob", "bob@example.com");
	add_task(&b, 0, 0, "bob's");
	add_retitle(&b, t->id, -1, "changed", NULL);
	add_user(&b, "carol", "ALICE@example.com"); /* Taken. */
	add_task(&b, a->id, -1, "never");
	assert_int_equal(run(&b), OZ_ALREADY_EXISTS);
	fx_expect(fx, OZ_ALREADY_EXISTS, "Email already registered");
	fx_expect_fields(fx, 1, "operations[3].create_user");
	assert_int_equal(b.res.n_results, 0);
	assert_int_equal(count_users(fx), 1);
	assert_int_equal(count_tasks(fx), 1);
	Oz__V1__Task got;
	assert_int_equal(fx_get_task(fx, t->id, &got), OZ_OK);
	assert_string_equal(got.title, "keep");
	assert_string_equal(got.etag, t->etag);
}

static void
failing_operation_violations_are_prefixed(void **state)
{
	fixture *fx = *state;
	batch b;
	batch_init(&b, fx);
	for (int i = 0; i < 7; i++) {
		char *name = alloc(&b, 16), *email = alloc(&b, 32);
		snprintf(name, 16, "u%d", i);
		snprintf(email, 32, "u%d@example.com", i);
		add_user(&b, name, email);
	}
	add_user(&b, "", "not an email");
	assert_int_equal(run(&b), OZ_INVALID_ARGUMENT);
	fx_expect_fields(fx, 2, "operations[7].create_user.username",
		"operations[7].create_user.email");
	assert_int_equal(count_users(fx), 0);
}

static void
stale_etag_fails_the_batch_as_aborted(void **state)
{
	fixture *fx = *state;
	Oz__V1__User *a = fx_user(fx, "alice", "alice@example.com");
	Oz__V1__Task *t = fx_task(fx, a->id, "t", 1);
	batch b;
	batch_init(&b, fx);
	add_retitle(&b, t->id, -1, "first", t->etag);
	add_retitle(&b, t->id, -1, "second", t->etag); /* Stale by now. */
	assert_int_equal(run(&b), OZ_ABORTED);
	fx_expect(fx, OZ_ABORTED, "etag mismatch");
	fx_expect_fields(fx, 1, "operations[1].update_task");
	Oz__V1__Task got;
	assert_int_equal(fx_get_task(fx, t->id, &got), OZ_OK);
	assert_string_equal(got.title, "t");
}

static void
references_must_point_back_at_a_create_of_their_kind(void **state)
{
	fixture *fx = *state;
	batch b;
	batch_init(&b, fx);
	add_user(&b, "alice", "alice@example.com");
	add_task(&b, 0, 0, "ok");
	add_task(&b, 0, 3, "forward");      /* 2: not earlier. */
	add_task(&b, 0, 1, "task as user"); /* 3: not a create_user. */
	add_retitle(&b, 0, 0, "user as task", NULL); /* 4 */
	add_task(&b, 5, 0, "both");                  /* 5: user_id set too. */
	add_user(&b, "bob", "bob@example.com")->task_id_ref = ref(&b, 1);
	add_task(&b, 0, 7, "self"); /* 7 */
	assert_int_equal(run(&b), OZ_INVALID_ARGUMENT);
	fx_expect(fx, OZ_INVALID_ARGUMENT, "invalid request");
	fx_expect_fields(fx, 6, "operations[2].user_id_ref",
		"operations[3].user_id_ref", "operations[4].task_id_ref",
		"operations[5].user_id_ref", "operations[6].task_id_ref",
		"operations[7].user_id_ref");
	assert_int_equal(count_users(fx), 0);
}

static void
reference_into_an_absent_message_is_the_handlers_to_refuse(void **state)
{
	fixture *fx = *state;
	batch b;
	batch_init(&b, fx);
	add_user(&b, "alice", "alice@example.com");
	add_task(&b, 0, 0, "one");
	Oz__V1__UpdateTaskRequest *r = alloc(&b, sizeof(*r));
	oz__v1__update_task_request__init(r); /* No task in it. */
	add(&b, OZ__V1__OPERATION__OP_UPDATE_TASK, r)->task_id_ref =
		ref(&b, 1);
	assert_int_equal(run(&b), OZ_INVALID_ARGUMENT);
	fx_expect_fields(fx, 1, "operations[2].update_task.task");
	assert_int_equal(count_users(fx), 0);
}

static void
operations_carry_no_request_id_of_their_own(void **state)
{
	fixture *fx = *state;
	batch b;
	batch_init(&b, fx);
	Oz__V1__CreateUserRequest *r =
		add_user(&b, "alice", "alice@example.com")->create_user;
	r->request_id = "k1";
	assert_int_equal(run(&b), OZ_INVALID_ARGUMENT);
	fx_expect_fields(fx, 1, "operations[0].create_user.request_id");
	assert_int_equal(count_users(fx), 0);
}

static void
batch_holds_1_to_1000_operations(void **state)
{
	fixture *fx = *state;
	batch b;
	batch_init(&b, fx);
	assert_int_equal(run(&b), OZ_INVALID_ARGUMENT);
	fx_expect_fields(fx, 1, "operations");
	Oz__V1__User *a = fx_user(fx, "alice", "alice@example.com");
	for (int i = 0; i < SERVICE_BATCH_MAX; i++) {
		add_task(&b, a->id, -1, "bulk");
	}
	assert_int_equal(run(&b), OZ_OK);
	assert_int_equal(b.res.n_results, SERVICE_BATCH_MAX);
	assert_int_equal(count_tasks(fx), SERVICE_BATCH_MAX);
	add_task(&b, a->id, -1, "one too many");
	assert_int_equal(run(&b), OZ_INVALID_ARGUMENT);
	fx_expect_fields(fx, 1, "operations");
	assert_int_equal(count_tasks(fx), SERVICE_BATCH_MAX);
}

static void
operation_without_an_arm_is_invalid(void **state)
{
	fixture *fx = *state;
	batch b;
	batch_init(&b, fx);
	add_user(&b, "alice", "alice@example.com");
	add(&b, OZ__V1__OPERATION__OP__NOT_SET, NULL);
	assert_int_equal(run(&b), OZ_INVALID_ARGUMENT);
	fx_expect_fields(fx, 1, "operations[1]");
}

/* The writer runs each call inside its group-commit transaction: a failing
 * batch must undo only its own operations, never a neighbour's. */
static void
failing_batch_in_a_group_commit_undoes_only_itself(void **state)
{
	fixture *fx = *state;
	oz_status st;
	batch ok, bad;
	batch_init(&ok, fx);
	batch_init(&bad, fx);
	add_user(&ok, "alice", "alice@example.com");
	add_task(&ok, 0, 0, "kept");
	add_user(&bad, "bob", "bob@example.com");
	add_user(&bad, "alice2", "alice@example.com");
	assert_int_equal(store_tx_begin(fx->db, STORE_TX_WRITE, &st), OZ_OK);
	oz__v1__execute_response__init(&ok.res);
	oz__v1__execute_response__init(&bad.res);
	oz_status_clear(&st);
	assert_int_equal(
		service_batch_execute(&fx->cx, (ProtobufCMessage *) &ok.req,
			(ProtobufCMessage *) &ok.res, &st),
		OZ_OK);
	assert_int_equal(
		service_batch_execute(&fx->cx, (ProtobufCMessage *) &bad.req,
			(ProtobufCMessage *) &bad.res, &st),
		OZ_ALREADY_EXISTS);
	assert_int_equal(store_tx_depth(fx->db), 1);
	assert_int_equal(store_tx_end(fx->db, OZ_OK, &st), OZ_OK);
	assert_int_equal(count_users(fx), 1);
	assert_int_equal(count_tasks(fx), 1);
}

/* A batch of n create_tasks for user_id, titled "t<i>". */
static void
add_tasks(batch *b, int n, int64_t user_id)
{
	for (int i = 0; i < n; i++) {
		char *title = alloc(b, 16);
		snprintf(title, 16, "t%d", i);
		add_task(b, user_id, -1, title);
	}
}

/* Consecutive create_tasks go to the store as one run (INSERTs of 1000,
 * 100 and 10 rows on SQLite): results, ids and references must be those
 * of one insert per operation. */
static void
runs_of_creates_keep_order_ids_and_references(void **state)
{
	fixture *fx = *state;
	Oz__V1__User *a = fx_user(fx, "alice", "alice@example.com");
	fx_task(fx, a->id, "before", 1);
	batch b;
	batch_init(&b, fx);
	add_tasks(&b, SERVICE_BATCH_MAX, a->id);
	assert_int_equal(run(&b), OZ_OK);
	assert_int_equal(b.res.n_results, SERVICE_BATCH_MAX);
	for (int i = 0; i < SERVICE_BATCH_MAX; i += 111) {
		const Oz__V1__Task *t = b.res.results[i]->task;
		char want[16];
		snprintf(want, sizeof(want), "t%d", i);
		assert_int_equal(t->id, 2 + i);
		assert_string_equal(t->title, want);
		Oz__V1__Task got;
		assert_int_equal(fx_get_task(fx, t->id, &got), OZ_OK);
		assert_string_equal(got.title, want);
		assert_string_equal(got.etag, t->etag);
	}
	batch_init(&b, fx);
	add_user(&b, "bob", "bob@example.com");
	for (int i = 1; i < 999; i++) {
		add_task(&b, 0, 0, "bob's");
	}
	add_retitle(&b, 0, 500, "renamed", NULL);
	assert_int_equal(run(&b), OZ_OK);
	int64_t t500 = b.res.results[500]->task->id;
	assert_int_equal(t500, 1 + SERVICE_BATCH_MAX + 500);
	Oz__V1__Task got;
	assert_int_equal(fx_get_task(fx, t500, &got), OZ_OK);
	assert_string_equal(got.title, "renamed");
	assert_int_equal(got.user_id, b.res.results[0]->user->id);
	assert_int_equal(count_tasks(fx), 1 + SERVICE_BATCH_MAX + 998);
}

/* A row failing inside a run (a user that does not exist) is named as the
 * operation it is, wherever it sits: first, inside or last of a 1000-row
 * INSERT, of a 100-row one, of a 10-row one, or among the last few. */
static void
failing_row_inside_a_run_is_named(void **state)
{
	fixture *fx = *state;
	int64_t uid = fx_user(fx, "alice", "alice@example.com")->id;
	const int cases[][2] = {{1000, 0}, {1000, 537}, {1000, 999}, {456, 99},
		{456, 420}, {456, 455}};
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		batch b;
		char field[48];
		batch_init(&b, fx);
		add_tasks(&b, cases[c][0], uid);
		b.req.operations[cases[c][1]]->create_task->user_id = uid + 7;
		assert_int_equal(run(&b), OZ_NOT_FOUND);
		fx_expect(fx, OZ_NOT_FOUND, "User not found");
		snprintf(field, sizeof(field), "operations[%d].create_task",
			cases[c][1]);
		fx_expect_fields(fx, 1, field);
		assert_int_equal(b.res.n_results, 0);
		assert_int_equal(count_tasks(fx), 0);
		fx_reset(fx);
	}
}

/* Inside a run the first failure in order wins, whether the store's (an
 * unknown user) or the handler's checks (an empty title). */
static void
first_failure_of_a_run_in_order_wins(void **state)
{
	fixture *fx = *state;
	Oz__V1__User *a = fx_user(fx, "alice", "alice@example.com");
	batch b;
	batch_init(&b, fx);
	add_tasks(&b, 1000, a->id);
	b.req.operations[300]->create_task->user_id = a->id + 7;
	b.req.operations[700]->create_task->title = "";
	assert_int_equal(run(&b), OZ_NOT_FOUND);
	fx_expect_fields(fx, 1, "operations[300].create_task");
	batch_init(&b, fx);
	add_tasks(&b, 1000, a->id);
	b.req.operations[300]->create_task->title = "";
	b.req.operations[700]->create_task->user_id = a->id + 7;
	assert_int_equal(run(&b), OZ_INVALID_ARGUMENT);
	fx_expect_fields(fx, 1, "operations[300].create_task.title");
	assert_int_equal(count_tasks(fx), 0);
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
		BOTH(batch_creates_a_user_and_their_tasks_by_reference),
		BOTH(ids_only_results_carry_just_the_ids),
		BOTH(batch_deletes_and_returns_empty_results),
		BOTH(failing_batch_leaves_nothing_behind),
		BOTH(failing_operation_violations_are_prefixed),
		BOTH(stale_etag_fails_the_batch_as_aborted),
		BOTH(references_must_point_back_at_a_create_of_their_kind),
		BOTH(reference_into_an_absent_message_is_the_handlers_to_refuse),
		BOTH(operations_carry_no_request_id_of_their_own),
		BOTH(batch_holds_1_to_1000_operations),
		BOTH(operation_without_an_arm_is_invalid),
		BOTH(failing_batch_in_a_group_commit_undoes_only_itself),
		BOTH(runs_of_creates_keep_order_ids_and_references),
		BOTH(failing_row_inside_a_run_is_named),
		BOTH(first_failure_of_a_run_in_order_wins),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
