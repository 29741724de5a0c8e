/* tests/rpc/batch_server_test.c -- BatchService/Execute through the real
 * in-process server (inproc://, a database file, the group-commit writer):
 * one request_id covers a batch (a replayed failure keeps its violations),
 * concurrent batches never interleave
 * halfway, and a failing batch in a group commit undoes nothing of the
 * calls committed with it. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "oz/v1/batch_service.pb-c.h"
#include "support/server.h"
#include "support/wire.h"

#define EXECUTE "/oz.v1.BatchService/Execute"

#define THREADS 4
#define BATCHES 12 /* Per thread. */
#define PER     40 /* Operations per batch. */

static int
setup(void **state)
{
	test_server *t = calloc(1, sizeof(*t));
	test_server_init(t);
	t->cfg.max_inflight = 32;
	test_server_start(t);
	*state = t;
	return 0;
}

static int
teardown(void **state)
{
	test_server *t = *state;
	test_server_fini(t);
	free(t);
	return 0;
}

static int64_t
count(test_server *t, const char *sql)
{
	store_conn *c = test_db_file(&t->db);
	int64_t n = test_db_int(c, sql);
	store_close(c);
	return n;
}

/* A batch of n operations: a create_user (when email is not NULL) and
 * create_tasks for user_id, or for the new user. Freed by batch_free. */
typedef struct batch {
	Oz__V1__ExecuteRequest req;
	Oz__V1__Operation ops[PER + 1];
	Oz__V1__Operation *op_ptrs[PER + 1];
	Oz__V1__CreateUserRequest cu;
	Oz__V1__CreateTaskRequest ct[PER];
	Google__Protobuf__Int32Value ref;
} batch;

static void
batch_build(batch *b, const char *email, int64_t user_id, int n_tasks,
	const char *title)
{
	memset(b, 0, sizeof(*b));
	oz__v1__execute_request__init(&b->req);
	google__protobuf__int32_value__init(&b->ref);
	b->req.operations = b->op_ptrs;
	if (email != NULL) {
		oz__v1__create_user_request__init(&b->cu);
		b->cu.username = (char *) email;
		b->cu.email = (char *) email;
		oz__v1__operation__init(&b->ops[0]);
		b->ops[0].op_case = OZ__V1__OPERATION__OP_CREATE_USER;
		b->ops[0].create_user = &b->cu;
		b->op_ptrs[b->req.n_operations++] = &b->ops[0];
	}
	for (int i = 0; i < n_tasks; i++) {
		Oz__V1__Operation *op = &b->ops[b->req.n_operations];
		oz__v1__create_task_request__init(&b->ct[i]);
		b->ct[i].user_id = user_id;
		b->ct[i].title = (char *) title;
		oz__v1__operation__init(op);
		op->op_case = OZ__V1__OPERATION__OP_CREATE_TASK;
		op->create_task = &b->ct[i];
		op->user_id_ref = email != NULL ? &b->ref : NULL;
		b->op_ptrs[b->req.n_operations++] = op;
	}
}

static oz_code
execute(nng_socket s, batch *b, Oz__V1__ExecuteResponse **out, oz_status *st)
{
	return wire_call(s, EXECUTE, &b->req.base,
		&oz__v1__execute_response__descriptor,
		(ProtobufCMessage **) out, 0, st);
}

static void
one_request_id_covers_the_whole_batch(void **state)
{
	test_server *t = *state;
	nng_socket s;
	assert_int_equal(wire_open(&s, t->url), 0);
	oz_status st;
	batch b;
	Oz__V1__ExecuteResponse *r1, *r2;
	batch_build(&b, "ann@example.com", 0, 3, "t");
	b.req.request_id = "batch-key-1";
	assert_int_equal(execute(s, &b, &r1, &st), OZ_OK);
	assert_int_equal(r1->n_results, 4);
	assert_int_equal(execute(s, &b, &r2, &st), OZ_OK);
	assert_int_equal(r2->n_results, 4);
	for (size_t i = 1; i < 4; i++) {
		assert_int_equal(
			r1->results[i]->task->id, r2->results[i]->task->id);
		assert_int_equal(r1->results[i]->task->user_id,
			r1->results[0]->user->id);
	}
	protobuf_c_message_free_unpacked(&r1->base, NULL);
	protobuf_c_message_free_unpacked(&r2->base, NULL);
	assert_int_equal(count(t, "SELECT count(*) FROM tasks"), 3);
	/* A failure is an outcome too: the same key replays it even once
	 * the cause is gone. */
	batch_build(&b, "ann@example.com", 0, 1, "t");
	b.req.request_id = "batch-key-2";
	assert_int_equal(execute(s, &b, &r1, &st), OZ_ALREADY_EXISTS);
	assert_string_equal(st.message, "Email already registered");
	assert_string_equal(
		st.violations[0].field, "operations[0].create_user");
	store_conn *c = test_db_file(&t->db);
	test_db_exec(c, "DELETE FROM tasks; DELETE FROM users");
	store_close(c);
	assert_int_equal(execute(s, &b, &r1, &st), OZ_ALREADY_EXISTS);
	/* The replay still names the operation (a resumed import needs it). */
	assert_int_equal(st.n_violations, 1);
	assert_string_equal(
		st.violations[0].field, "operations[0].create_user");
	assert_int_equal(count(t, "SELECT count(*) FROM users"), 0);
	/* The same key on another batch is refused. */
	batch_build(&b, "bob@example.com", 0, 1, "t");
	b.req.request_id = "batch-key-2";
	assert_int_equal(execute(s, &b, &r1, &st), OZ_INVALID_ARGUMENT);
	nng_close(s);
}

struct worker {
	test_server *t;
	int64_t user_id;
	int index;
	int ok, failed;
	bool interleaved;
};

/* Sends BATCHES batches of PER create_tasks; every third one ends with a
 * task of an unknown user, so it fails after PER - 1 inserts. */
static void *
send_batches(void *arg)
{
	struct worker *w = arg;
	nng_socket s;
	if (wire_open(&s, w->t->url) != 0) {
		return NULL;
	}
	for (int i = 0; i < BATCHES; i++) {
		batch b;
		oz_status st;
		Oz__V1__ExecuteResponse *r = NULL;
		batch_build(&b, NULL, w->user_id, PER, "bulk");
		if (i % 3 == 2) {
			b.ct[PER - 1].user_id = 999999;
		}
		if (execute(s, &b, &r, &st) != OZ_OK) {
			w->failed += st.code == OZ_NOT_FOUND;
			continue;
		}
		w->ok++;
		/* Rowids come one after another unless another batch's
		 * insert landed in between. */
		for (size_t k = 1; k < r->n_results; k++) {
			w->interleaved |= r->results[k]->task->id !=
					  r->results[k - 1]->task->id + 1;
		}
		protobuf_c_message_free_unpacked(&r->base, NULL);
	}
	nng_close(s);
	return NULL;
}

static atomic_bool readers_stop;

/* Counts the tasks while the batches run: a count that is not a multiple
 * of PER saw a batch halfway. OUT (arg): the number of such counts. */
static void *
watch_counts(void *arg)
{
	test_server *t = arg;
	store_conn *c = test_db_file(&t->db);
	long torn = 0;
	for (int i = 0; i < 100000 && !atomic_load(&readers_stop); i++) {
		torn += test_db_int(c, "SELECT count(*) FROM tasks") % PER !=
			0;
	}
	store_close(c);
	return (void *) torn;
}

static void
concurrent_batches_never_interleave_halfway(void **state)
{
	test_server *t = *state;
	nng_socket s;
	assert_int_equal(wire_open(&s, t->url), 0);
	oz_status st;
	batch b;
	Oz__V1__ExecuteResponse *r;
	batch_build(&b, "owner@example.com", 0, 0, "");
	assert_int_equal(execute(s, &b, &r, &st), OZ_OK);
	int64_t uid = r->results[0]->user->id;
	protobuf_c_message_free_unpacked(&r->base, NULL);
	nng_close(s);

	pthread_t th[THREADS], reader;
	struct worker w[THREADS];
	atomic_store(&readers_stop, false);
	assert_int_equal(pthread_create(&reader, NULL, watch_counts, t), 0);
	for (int i = 0; i < THREADS; i++) {
		w[i] = (struct worker) {.t = t, .user_id = uid, .index = i};
		assert_int_equal(
			pthread_create(&th[i], NULL, send_batches, &w[i]), 0);
	}
	int ok = 0;
	for (int i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
		assert_false(w[i].interleaved);
		assert_int_equal(w[i].failed, BATCHES / 3);
		ok += w[i].ok;
	}
	atomic_store(&readers_stop, true);
	void *torn;
	pthread_join(reader, &torn);
	assert_int_equal((long) torn, 0);
	assert_int_equal(ok, THREADS * (BATCHES - BATCHES / 3));
	assert_int_equal(
		count(t, "SELECT count(*) FROM tasks"), (int64_t) ok * PER);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			one_request_id_covers_the_whole_batch, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			concurrent_batches_never_interleave_halfway, setup,
			teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
