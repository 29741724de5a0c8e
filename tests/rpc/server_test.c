/* tests/rpc/server_test.c -- the real server in-process over inproc://:
 * every method end to end, garbage never hurts, concurrency, group
 * commit, drain and the message size limit. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "grpc/health/v1/health.pb-c.h"
#include "oz/v1/admin_service.pb-c.h"
#include "oz/v1/task_service.pb-c.h"
#include "oz/v1/user_service.pb-c.h"
#include "rpc/dispatch.h"
#include "support/server.h"
#include "support/wire.h"

#define CALL(s, m, in, outdesc, out, st)                                      \
	wire_call(s, m, &(in).base, &(outdesc), (ProtobufCMessage **) (out),  \
		0, st)

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

static nng_socket
dial(test_server *t)
{
	nng_socket s;
	assert_int_equal(wire_open(&s, t->url), 0);
	return s;
}

static oz_code
create_keyed(nng_socket s, const char *name, const char *email,
	const char *key, int64_t *id, oz_status *st)
{
	Oz__V1__CreateUserRequest in = OZ__V1__CREATE_USER_REQUEST__INIT;
	Oz__V1__User *u;
	in.username = (char *) name;
	in.email = (char *) email;
	in.request_id = (char *) key;
	*id = 0;
	if (CALL(s, "/oz.v1.UserService/CreateUser", in,
		    oz__v1__user__descriptor, &u, st) == OZ_OK) {
		*id = u->id;
		oz__v1__user__free_unpacked(u, NULL);
	}
	return st->code;
}

static int64_t
create_user(nng_socket s, const char *name, const char *email, oz_status *st)
{
	int64_t id;
	create_keyed(s, name, email, "", &id, st);
	return id;
}

static int64_t
create_task(nng_socket s, int64_t user, const char *title, oz_status *st)
{
	Oz__V1__CreateTaskRequest in = OZ__V1__CREATE_TASK_REQUEST__INIT;
	Oz__V1__Task *t;
	in.user_id = user;
	in.title = (char *) title;
	if (CALL(s, "/oz.v1.TaskService/CreateTask", in,
		    oz__v1__task__descriptor, &t, st) != OZ_OK) {
		return 0;
	}
	int64_t id = t->id;
	oz__v1__task__free_unpacked(t, NULL);
	return id;
}

static void
every_method_works_end_to_end(void **state)
{
	test_server *t = *state;
	nng_socket s = dial(t);
	oz_status st;

	int64_t uid = create_user(s, "ann", "ann@example.com", &st);
	assert_int_equal(st.code, OZ_OK);
	assert_true(uid > 0);
	int64_t tid = create_task(s, uid, "write tests", &st);
	assert_int_equal(st.code, OZ_OK);

	Oz__V1__GetUserRequest get = OZ__V1__GET_USER_REQUEST__INIT;
	get.id = uid;
	get.view = OZ__V1__USER_VIEW__USER_VIEW_WITH_TASKS;
	Oz__V1__User *u;
	assert_int_equal(CALL(s, "/oz.v1.UserService/GetUser", get,
				 oz__v1__user__descriptor, &u, &st),
		OZ_OK);
	assert_string_equal(u->username, "ann");
	assert_true(u->is_active);
	assert_int_equal(u->n_tasks, 1);
	assert_int_equal(u->tasks[0]->id, tid);
	oz__v1__user__free_unpacked(u, NULL);

	Oz__V1__GetUserByEmailRequest by =
		OZ__V1__GET_USER_BY_EMAIL_REQUEST__INIT;
	by.email = "ANN@example.com";
	assert_int_equal(CALL(s, "/oz.v1.UserService/GetUserByEmail", by,
				 oz__v1__user__descriptor, &u, &st),
		OZ_OK);
	assert_int_equal(u->id, uid);
	oz__v1__user__free_unpacked(u, NULL);

	Oz__V1__ListUsersRequest lu = OZ__V1__LIST_USERS_REQUEST__INIT;
	Oz__V1__ListUsersResponse *lur;
	assert_int_equal(
		CALL(s, "/oz.v1.UserService/ListUsers", lu,
			oz__v1__list_users_response__descriptor, &lur, &st),
		OZ_OK);
	assert_int_equal(lur->n_users, 1);
	assert_int_equal(lur->total_size, 1);
	oz__v1__list_users_response__free_unpacked(lur, NULL);

	Oz__V1__User patch = OZ__V1__USER__INIT;
	patch.id = uid;
	patch.email = "ann@new.example.com";
	char *paths[] = {"email"};
	Google__Protobuf__FieldMask mask = GOOGLE__PROTOBUF__FIELD_MASK__INIT;
	mask.paths = paths;
	mask.n_paths = 1;
	Oz__V1__UpdateUserRequest upd = OZ__V1__UPDATE_USER_REQUEST__INIT;
	upd.user = &patch;
	upd.update_mask = &mask;
	assert_int_equal(CALL(s, "/oz.v1.UserService/UpdateUser", upd,
				 oz__v1__user__descriptor, &u, &st),
		OZ_OK);
	assert_string_equal(u->email, "ann@new.example.com");
	assert_string_equal(u->username, "ann");
	oz__v1__user__free_unpacked(u, NULL);

	Oz__V1__GetTaskRequest gt = OZ__V1__GET_TASK_REQUEST__INIT;
	gt.id = tid;
	Oz__V1__Task *task;
	assert_int_equal(CALL(s, "/oz.v1.TaskService/GetTask", gt,
				 oz__v1__task__descriptor, &task, &st),
		OZ_OK);
	assert_int_equal(
		task->status, OZ__V1__TASK_STATUS__TASK_STATUS_PENDING);
	oz__v1__task__free_unpacked(task, NULL);

	Oz__V1__Task tpatch = OZ__V1__TASK__INIT;
	tpatch.id = tid;
	tpatch.status = OZ__V1__TASK_STATUS__TASK_STATUS_DONE;
	char *tpaths[] = {"status"};
	mask.paths = tpaths;
	Oz__V1__UpdateTaskRequest ut = OZ__V1__UPDATE_TASK_REQUEST__INIT;
	ut.task = &tpatch;
	ut.update_mask = &mask;
	assert_int_equal(CALL(s, "/oz.v1.TaskService/UpdateTask", ut,
				 oz__v1__task__descriptor, &task, &st),
		OZ_OK);
	assert_int_equal(task->status, OZ__V1__TASK_STATUS__TASK_STATUS_DONE);
	oz__v1__task__free_unpacked(task, NULL);

	Oz__V1__ListTasksRequest lt = OZ__V1__LIST_TASKS_REQUEST__INIT;
	lt.status = OZ__V1__TASK_STATUS__TASK_STATUS_DONE;
	Oz__V1__ListTasksResponse *ltr;
	assert_int_equal(
		CALL(s, "/oz.v1.TaskService/ListTasks", lt,
			oz__v1__list_tasks_response__descriptor, &ltr, &st),
		OZ_OK);
	assert_int_equal(ltr->n_tasks, 1);
	oz__v1__list_tasks_response__free_unpacked(ltr, NULL);

	Oz__V1__DeleteUserRequest du = OZ__V1__DELETE_USER_REQUEST__INIT;
	du.id = uid;
	ProtobufCMessage *empty;
	assert_int_equal(
		CALL(s, "/oz.v1.UserService/DeleteUser", du,
			google__protobuf__empty__descriptor, &empty, &st),
		OZ_FAILED_PRECONDITION);
	Oz__V1__DeleteTaskRequest dt = OZ__V1__DELETE_TASK_REQUEST__INIT;
	dt.id = tid;
	assert_int_equal(
		CALL(s, "/oz.v1.TaskService/DeleteTask", dt,
			google__protobuf__empty__descriptor, &empty, &st),
		OZ_OK);
	protobuf_c_message_free_unpacked(empty, NULL);
	assert_int_equal(
		CALL(s, "/oz.v1.UserService/DeleteUser", du,
			google__protobuf__empty__descriptor, &empty, &st),
		OZ_OK);
	protobuf_c_message_free_unpacked(empty, NULL);
	assert_int_equal(CALL(s, "/oz.v1.UserService/GetUser", get,
				 oz__v1__user__descriptor, &u, &st),
		OZ_NOT_FOUND);
	assert_string_equal(st.message, "User not found");
	nng_close(s);
}

static void
health_and_reflection_answer(void **state)
{
	test_server *t = *state;
	nng_socket s = dial(t);
	oz_status st;
	Grpc__Health__V1__HealthCheckRequest hc =
		GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
	Grpc__Health__V1__HealthCheckResponse *hr;
	assert_int_equal(
		CALL(s, "/grpc.health.v1.Health/Check", hc,
			grpc__health__v1__health_check_response__descriptor,
			&hr, &st),
		OZ_OK);
	assert_int_equal(hr->status,
		GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING);
	grpc__health__v1__health_check_response__free_unpacked(hr, NULL);
	hc.service = "oz.v1.TaskService";
	assert_int_equal(
		CALL(s, "/grpc.health.v1.Health/Check", hc,
			grpc__health__v1__health_check_response__descriptor,
			&hr, &st),
		OZ_OK);
	grpc__health__v1__health_check_response__free_unpacked(hr, NULL);
	hc.service = "no.such.Service";
	assert_int_equal(
		CALL(s, "/grpc.health.v1.Health/Check", hc,
			grpc__health__v1__health_check_response__descriptor,
			&hr, &st),
		OZ_NOT_FOUND);

	Oz__Rpc__V1__ListServicesRequest lr =
		OZ__RPC__V1__LIST_SERVICES_REQUEST__INIT;
	Oz__Rpc__V1__ListServicesResponse *ls;
	assert_int_equal(
		CALL(s, "/oz.rpc.v1.Reflection/ListServices", lr,
			oz__rpc__v1__list_services_response__descriptor, &ls,
			&st),
		OZ_OK);
	size_t methods = 0;
	int found_create = 0;
	for (size_t i = 0; i < ls->n_services; i++) {
		for (size_t j = 0; j < ls->services[i]->n_methods; j++) {
			Oz__Rpc__V1__MethodInfo *m =
				ls->services[i]->methods[j];
			methods++;
			if (strcmp(m->full_name,
				    "/oz.v1.UserService/CreateUser") == 0) {
				found_create = 1;
				assert_string_equal(m->input_type,
					"oz.v1.CreateUserRequest");
				assert_false(m->idempotent);
			}
		}
	}
	size_t rows;
	dispatch_methods(&rows);
	assert_int_equal(methods, rows);
	assert_true(found_create);
	/* A FileDescriptorSet: repeated field 1 (files), length-delimited. */
	assert_true(ls->file_descriptor_set.len > 1000);
	assert_int_equal(ls->file_descriptor_set.data[0], 0x0a);
	oz__rpc__v1__list_services_response__free_unpacked(ls, NULL);
	nng_close(s);
}

static void
garbage_then_valid_call_on_same_and_new_socket(void **state)
{
	test_server *t = *state;
	nng_socket s = dial(t);
	oz_status st;
	Oz__Rpc__V1__Response *r;
	const unsigned char junk[] = {0xff, 0xfe, 0x00, 0x13, 0x37};
	assert_int_equal(wire_raw(s, junk, sizeof(junk), &r), 0);
	assert_int_equal(r->status->code, OZ_INVALID_ARGUMENT);
	oz__rpc__v1__response__free_unpacked(r, NULL);
	assert_int_equal(wire_raw(s, "", 0, &r), 0);
	assert_int_equal(r->status->code, OZ_INVALID_ARGUMENT);
	oz__rpc__v1__response__free_unpacked(r, NULL);
	assert_true(create_user(s, "bob", "bob@example.com", &st) > 0);
	nng_socket s2 = dial(t);
	assert_true(create_user(s2, "cy", "cy@example.com", &st) > 0);
	nng_close(s2);
	nng_close(s);
}

struct load {
	test_server *t;
	int id;
	int calls;
	atomic_int *unexpected;
	int users_made, tasks_made;
};

/* 500 mixed calls: create a user, then tasks, reads and lists. */
static void *
load_main(void *arg)
{
	struct load *l = arg;
	nng_socket s;
	if (wire_open(&s, l->t->url) != 0) {
		atomic_fetch_add(l->unexpected, l->calls);
		return NULL;
	}
	oz_status st;
	int64_t uid = 0;
	for (int i = 0; i < l->calls; i++) {
		char name[64], email[96];
		switch (i % 5) {
		case 0:
			snprintf(name, sizeof(name), "u%d_%d", l->id, i);
			snprintf(email, sizeof(email), "u%d_%d@x.org", l->id,
				i);
			uid = create_user(s, name, email, &st);
			l->users_made += st.code == OZ_OK;
			break;
		case 1:
		case 2:
			create_task(s, uid, "task", &st);
			l->tasks_made += st.code == OZ_OK;
			break;
		case 3: {
			Oz__V1__GetUserRequest g =
				OZ__V1__GET_USER_REQUEST__INIT;
			Oz__V1__User *u;
			g.id = uid;
			if (CALL(s, "/oz.v1.UserService/GetUser", g,
				    oz__v1__user__descriptor, &u,
				    &st) == OZ_OK) {
				if (u->id != uid) {
					atomic_fetch_add(l->unexpected, 1);
				}
				oz__v1__user__free_unpacked(u, NULL);
			}
			break;
		}
		default: {
			Oz__V1__ListTasksRequest lt =
				OZ__V1__LIST_TASKS_REQUEST__INIT;
			Google__Protobuf__Int64Value who =
				GOOGLE__PROTOBUF__INT64_VALUE__INIT;
			who.value = uid;
			lt.user_id = &who;
			Oz__V1__ListTasksResponse *r;
			if (CALL(s, "/oz.v1.TaskService/ListTasks", lt,
				    oz__v1__list_tasks_response__descriptor,
				    &r, &st) == OZ_OK) {
				if (r->n_tasks != 2) {
					atomic_fetch_add(l->unexpected, 1);
				}
				oz__v1__list_tasks_response__free_unpacked(
					r, NULL);
			}
			break;
		}
		}
		if (st.code != OZ_OK) {
			atomic_fetch_add(l->unexpected, 1);
		}
	}
	nng_close(s);
	return NULL;
}

static void
sixteen_clients_by_500_mixed_calls_land_exactly(void **state)
{
	test_server *t = *state;
	enum { THREADS = 16, CALLS = 500 };
	pthread_t th[THREADS];
	struct load l[THREADS];
	atomic_int unexpected = 0;
	for (int i = 0; i < THREADS; i++) {
		l[i] = (struct load) {.t = t,
			.id = i,
			.calls = CALLS,
			.unexpected = &unexpected};
		pthread_create(&th[i], NULL, load_main, &l[i]);
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
	}
	assert_int_equal(atomic_load(&unexpected), 0);
	nng_socket s = dial(t);
	oz_status st;
	Oz__V1__ListUsersRequest lu = OZ__V1__LIST_USERS_REQUEST__INIT;
	Oz__V1__ListUsersResponse *lur;
	assert_int_equal(
		CALL(s, "/oz.v1.UserService/ListUsers", lu,
			oz__v1__list_users_response__descriptor, &lur, &st),
		OZ_OK);
	assert_int_equal(lur->total_size, THREADS * CALLS / 5);
	oz__v1__list_users_response__free_unpacked(lur, NULL);
	Oz__V1__ListTasksRequest lt = OZ__V1__LIST_TASKS_REQUEST__INIT;
	Oz__V1__ListTasksResponse *ltr;
	assert_int_equal(
		CALL(s, "/oz.v1.TaskService/ListTasks", lt,
			oz__v1__list_tasks_response__descriptor, &ltr, &st),
		OZ_OK);
	assert_int_equal(ltr->total_size, THREADS * CALLS * 2 / 5);
	oz__v1__list_tasks_response__free_unpacked(ltr, NULL);
	nng_close(s);
}

struct racer {
	test_server *t;
	int id;
	const char *email;
	oz_status st;
};

static void *
racer_main(void *arg)
{
	struct racer *r = arg;
	nng_socket s;
	if (wire_open(&s, r->t->url) != 0) {
		oz_fail(&r->st, OZ_UNAVAILABLE, "dial");
		return NULL;
	}
	char name[32];
	snprintf(name, sizeof(name), "racer%d", r->id);
	create_user(s, name, r->email, &r->st);
	nng_close(s);
	return NULL;
}

/* Starts n concurrent creates; racers with even id share one email and
 * odd ones have their own, so a batch mixes successes and duplicates. */
struct race {
	pthread_t th[64];
	char own[64][32];
	struct racer r[64];
	int n;
};

static void
race_start(test_server *t, struct race *rc, int n)
{
	rc->n = n;
	for (int i = 0; i < n; i++) {
		snprintf(rc->own[i], sizeof(rc->own[i]), "own%d@x.org", i);
		rc->r[i] = (struct racer) {.t = t,
			.id = i,
			.email = i % 2 == 0 ? "same@x.org" : rc->own[i]};
		pthread_create(&rc->th[i], NULL, racer_main, &rc->r[i]);
	}
}

static void
race_join(struct race *rc)
{
	for (int i = 0; i < rc->n; i++) {
		pthread_join(rc->th[i], NULL);
	}
}

static void
concurrent_creates_of_one_email_yield_exactly_one_success(void **state)
{
	test_server *t = *state;
	enum { N = 32 };
	static struct race rc;
	struct racer *r = rc.r;
	race_start(t, &rc, N);
	race_join(&rc);
	int ok_same = 0;
	for (int i = 0; i < N; i++) {
		if (i % 2 == 1) {
			/* Its own email: each gets its own outcome, OK. */
			assert_int_equal(r[i].st.code, OZ_OK);
		} else if (r[i].st.code == OZ_OK) {
			ok_same++;
		} else {
			assert_int_equal(r[i].st.code, OZ_ALREADY_EXISTS);
			assert_string_equal(
				r[i].st.message, "Email already registered");
		}
	}
	assert_int_equal(ok_same, 1);
	long batches, calls;
	rpc_server_commit_counts(t->srv, &batches, &calls);
	/* Every write call was committed, in at most one batch each. */
	assert_int_equal(calls, N);
	assert_true(batches >= 1 && batches <= calls);
}

static void
drain_answers_running_calls_then_refuses_new_ones(void **state)
{
	test_server *t = *state;
	enum { N = 16 };
	static struct race rc;
	struct racer *r = rc.r;
	race_start(t, &rc, N);
	/* Drain while the racers' calls are in flight. */
	rpc_server_drain(t->srv);
	assert_true(rpc_server_wait_idle(t->srv, 10000));
	race_join(&rc);
	nng_socket s = dial(t);
	oz_status st;
	Grpc__Health__V1__HealthCheckRequest hc =
		GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
	Grpc__Health__V1__HealthCheckResponse *hr;
	assert_int_equal(
		CALL(s, "/grpc.health.v1.Health/Check", hc,
			grpc__health__v1__health_check_response__descriptor,
			&hr, &st),
		OZ_OK);
	assert_int_equal(hr->status,
		GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__NOT_SERVING);
	grpc__health__v1__health_check_response__free_unpacked(hr, NULL);
	assert_int_equal(create_user(s, "late", "late@x.org", &st), 0);
	assert_int_equal(st.code, OZ_UNAVAILABLE);
	nng_close(s);
	/* Every racer got an answer (a call that arrived after the drain
	 * began is UNAVAILABLE, not run); acknowledged writes are there. */
	int ok = 0;
	for (int i = 0; i < N; i++) {
		assert_true(r[i].st.code == OZ_OK ||
			    r[i].st.code == OZ_ALREADY_EXISTS ||
			    r[i].st.code == OZ_UNAVAILABLE);
		ok += r[i].st.code == OZ_OK;
	}
	store_conn *c = test_db_file(&t->db);
	assert_int_equal(test_db_int(c, "SELECT count(*) FROM users"), ok);
	store_close(c);
}

static void
oversized_request_is_dropped_and_server_stays_up(void **state)
{
	test_server *t = *state;
	test_server_fini(t);
	test_server_init(t);
	t->cfg.max_message_bytes = 64 * 1024;
	/* inproc:// has no framing and so no size limit: use tcp://. */
	char tcp[64];
	srand((unsigned) time(NULL) ^ (unsigned) getpid());
	/* A random port below Linux's ephemeral range (32768-), where the
	 * other tests' outgoing connections take theirs; another test may
	 * still hold one, so a few tries. */
	oz_status st;
	bool started = false;
	for (int i = 0; i < 20 && !started; i++) {
		snprintf(tcp, sizeof(tcp), "tcp://127.0.0.1:%d",
			20000 + rand() % 12000);
		t->cfg.listen[0] = tcp;
		started = rpc_server_start(&t->srv, &t->cfg, &st) == OZ_OK;
	}
	assert_true(started);
	snprintf(t->url, sizeof(t->url), "%s", tcp);
	nng_socket s = dial(t);
	nng_socket_set_ms(s, NNG_OPT_RECVTIMEO, 1000);
	size_t big = 100 * 1024;
	unsigned char *buf = calloc(1, big);
	Oz__Rpc__V1__Response *r;
	/* nng drops the over-size message (and the connection): the
	 * sender sees no reply, only its own timeout. */
	assert_int_not_equal(wire_raw(s, buf, big, &r), 0);
	free(buf);
	nng_socket s2 = dial(t);
	assert_true(create_user(s2, "after", "after@x.org", &st) > 0);
	nng_close(s2);
	nng_close(s);
}

static void
auth_token_is_required_except_for_health(void **state)
{
	test_server *t = *state;
	test_server_fini(t);
	test_server_init(t);
	char path[400];
	snprintf(path, sizeof(path), "%s/tokens", t->db.dir);
	FILE *f = fopen(path, "w");
	fputs("# oz tokens\n  secret-one  \n\nsecret-two\n", f);
	fclose(f);
	t->cfg.auth_token_file = path;
	test_server_start(t);
	nng_socket s = dial(t);
	oz_status st;
	Oz__V1__GetUserRequest get = OZ__V1__GET_USER_REQUEST__INIT;
	get.id = 1;
	ProtobufCMessage *out;
	assert_int_equal(CALL(s, "/oz.v1.UserService/GetUser", get,
				 oz__v1__user__descriptor, &out, &st),
		OZ_UNAUTHENTICATED);
	assert_non_null(strstr(st.message, "authorization"));
	const char *bad[] = {"Bearer secret-on", "Bearer secret-one2",
		"secret-one", "Bearer ", "bearer secret-one"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(wire_call_md(s, "/oz.v1.UserService/GetUser",
					 &get.base, &oz__v1__user__descriptor,
					 &out, "authorization", bad[i], &st),
			OZ_UNAUTHENTICATED);
	}
	/* The right token gets through to the handler. */
	assert_int_equal(wire_call_md(s, "/oz.v1.UserService/GetUser",
				 &get.base, &oz__v1__user__descriptor, &out,
				 "authorization", "Bearer secret-two", &st),
		OZ_NOT_FOUND);
	assert_int_equal(wire_call_md(s, "/oz.v1.UserService/GetUser",
				 &get.base, &oz__v1__user__descriptor, &out,
				 "authorization", "Bearer secret-one", &st),
		OZ_NOT_FOUND);
	/* Unknown methods are not revealed to strangers. */
	assert_int_equal(CALL(s, "/oz.v1.UserService/Nope", get,
				 oz__v1__user__descriptor, &out, &st),
		OZ_UNAUTHENTICATED);
	Oz__Rpc__V1__ListServicesRequest lr =
		OZ__RPC__V1__LIST_SERVICES_REQUEST__INIT;
	assert_int_equal(
		CALL(s, "/oz.rpc.v1.Reflection/ListServices", lr,
			oz__rpc__v1__list_services_response__descriptor, &out,
			&st),
		OZ_UNAUTHENTICATED);
	Grpc__Health__V1__HealthCheckRequest hc =
		GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
	assert_int_equal(
		CALL(s, "/grpc.health.v1.Health/Check", hc,
			grpc__health__v1__health_check_response__descriptor,
			&out, &st),
		OZ_OK);
	protobuf_c_message_free_unpacked(out, NULL);
	nng_close(s);
}

static void
overload_is_refused_promptly_with_resource_exhausted(void **state)
{
	test_server *t = *state;
	test_server_fini(t);
	test_server_init(t);
	t->cfg.max_inflight = 2;
	test_server_start(t);
	/* Hold the write lock from outside: the writer's BEGIN IMMEDIATE
	 * waits (on PostgreSQL its INSERT, behind a table lock), so the two
	 * creates below stay in flight. */
	store_conn *lock = test_db_file(&t->db);
	oz_status st;
	assert_int_equal(store_tx_begin(lock, STORE_TX_WRITE, &st), OZ_OK);
	if (test_db_postgres_url() != NULL) {
		test_db_exec(lock, "LOCK TABLE users IN EXCLUSIVE MODE");
	}
	static struct race rc;
	race_start(t, &rc, 2);
	for (int i = 0; i < 500 && rpc_server_inflight(t->srv) < 2; i++) {
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	assert_int_equal(rpc_server_inflight(t->srv), 2);
	nng_socket s = dial(t);
	Oz__V1__GetUserRequest get = OZ__V1__GET_USER_REQUEST__INIT;
	ProtobufCMessage *out;
	assert_int_equal(CALL(s, "/oz.v1.UserService/GetUser", get,
				 oz__v1__user__descriptor, &out, &st),
		OZ_RESOURCE_EXHAUSTED);
	/* Health is still answered. */
	Grpc__Health__V1__HealthCheckRequest hc =
		GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
	assert_int_equal(
		CALL(s, "/grpc.health.v1.Health/Check", hc,
			grpc__health__v1__health_check_response__descriptor,
			&out, &st),
		OZ_OK);
	protobuf_c_message_free_unpacked(out, NULL);
	assert_int_equal(store_tx_end(lock, OZ_ABORTED, &st), OZ_ABORTED);
	store_close(lock);
	race_join(&rc);
	assert_int_equal(rc.r[0].st.code, OZ_OK);
	assert_int_equal(rc.r[1].st.code, OZ_OK);
	/* Once they are done, calls are admitted again. */
	get.id = 1;
	assert_int_equal(CALL(s, "/oz.v1.UserService/GetUser", get,
				 oz__v1__user__descriptor, &out, &st),
		OZ_OK);
	protobuf_c_message_free_unpacked(out, NULL);
	nng_close(s);
}

static const Oz__V1__CodeCount *
find_code(Oz__V1__CodeCount **cc, size_t n, const char *code)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(cc[i]->code, code) == 0) {
			return cc[i];
		}
	}
	return NULL;
}

static const Oz__V1__MethodStats *
find_method(const Oz__V1__StatsResponse *r, const char *name)
{
	for (size_t i = 0; i < r->n_methods; i++) {
		if (strcmp(r->methods[i]->method, name) == 0) {
			return r->methods[i];
		}
	}
	return NULL;
}

static void
stats_count_exactly_the_calls_made(void **state)
{
	test_server *t = *state;
	nng_socket s = dial(t);
	oz_status st;
	assert_true(create_user(s, "s1", "s1@x.org", &st) > 0);
	assert_true(create_user(s, "s2", "s2@x.org", &st) > 0);
	assert_int_equal(create_user(s, "s3", "s1@x.org", &st), 0);
	Oz__V1__GetUserRequest get = OZ__V1__GET_USER_REQUEST__INIT;
	ProtobufCMessage *out;
	get.id = 1;
	assert_int_equal(CALL(s, "/oz.v1.UserService/GetUser", get,
				 oz__v1__user__descriptor, &out, &st),
		OZ_OK);
	protobuf_c_message_free_unpacked(out, NULL);
	get.id = 999;
	assert_int_equal(CALL(s, "/oz.v1.UserService/GetUser", get,
				 oz__v1__user__descriptor, &out, &st),
		OZ_NOT_FOUND);
	Oz__Rpc__V1__Response *r;
	assert_int_equal(wire_raw(s, "\xff", 1, &r), 0);
	oz__rpc__v1__response__free_unpacked(r, NULL);

	Oz__V1__OptimizeRequest oreq = OZ__V1__OPTIMIZE_REQUEST__INIT;
	Oz__V1__OptimizeResponse *ores;
	assert_int_equal(
		CALL(s, "/oz.v1.AdminService/Optimize", oreq,
			oz__v1__optimize_response__descriptor, &ores, &st),
		OZ_OK);
	assert_true(ores->duration_us >= 0);
	oz__v1__optimize_response__free_unpacked(ores, NULL);

	Oz__V1__StatsRequest sreq = OZ__V1__STATS_REQUEST__INIT;
	Oz__V1__StatsResponse *sr;
	assert_int_equal(CALL(s, "/oz.v1.AdminService/Stats", sreq,
				 oz__v1__stats_response__descriptor, &sr, &st),
		OZ_OK);
	/* 3 creates, 2 gets, 1 garbage, 1 optimize; not this Stats call. */
	if (sr->calls_total != 7) {
		for (size_t i = 0; i < sr->n_methods; i++) {
			print_message("%s %ld\n", sr->methods[i]->method,
				(long) sr->methods[i]->calls);
		}
	}
	assert_int_equal(sr->calls_total, 7);
	assert_int_equal(sr->in_flight, 1);
	const Oz__V1__MethodStats *m =
		find_method(sr, "/oz.v1.UserService/CreateUser");
	assert_non_null(m);
	assert_int_equal(m->calls, 3);
	assert_int_equal(m->n_errors, 1);
	assert_int_equal(
		find_code(m->errors, m->n_errors, "ALREADY_EXISTS")->count, 1);
	assert_true(m->p50_us <= m->p99_us && m->p99_us <= m->max_us);
	assert_true(m->max_us > 0);
	m = find_method(sr, "/oz.v1.UserService/GetUser");
	assert_int_equal(m->calls, 2);
	assert_int_equal(
		find_code(m->errors, m->n_errors, "NOT_FOUND")->count, 1);
	assert_null(find_method(sr, "/oz.v1.TaskService/GetTask"));
	assert_int_equal(
		find_code(sr->errors, sr->n_errors, "INVALID_ARGUMENT")->count,
		1);
	assert_true(sr->database_size_bytes > 0);
	/* SQLite's page cache; PostgreSQL's is the server's own. */
	assert_true(test_db_postgres_url() != NULL ||
		    sr->cache_hits + sr->cache_misses > 0);
	assert_true(sr->cache_hit_ratio >= 0 && sr->cache_hit_ratio <= 1);
	oz__v1__stats_response__free_unpacked(sr, NULL);
	/* Now the first Stats call is counted too. */
	assert_int_equal(CALL(s, "/oz.v1.AdminService/Stats", sreq,
				 oz__v1__stats_response__descriptor, &sr, &st),
		OZ_OK);
	assert_int_equal(sr->calls_total, 8);
	oz__v1__stats_response__free_unpacked(sr, NULL);
	nng_close(s);
}

static int64_t
count_users(test_server *t)
{
	store_conn *c = test_db_file(&t->db);
	int64_t n = test_db_int(c, "SELECT count(*) FROM users");
	store_close(c);
	return n;
}

static void
repeated_request_id_returns_the_first_outcome_without_running(void **state)
{
	test_server *t = *state;
	nng_socket s = dial(t);
	oz_status st;
	int64_t id1, id2;
	assert_int_equal(
		create_keyed(s, "idem", "idem@x.org", "key-1", &id1, &st),
		OZ_OK);
	assert_int_equal(
		create_keyed(s, "idem", "idem@x.org", "key-1", &id2, &st),
		OZ_OK);
	assert_int_equal(id1, id2);
	assert_int_equal(count_users(t), 1);
	/* A failure is an outcome too: replayed, not run again. */
	assert_int_equal(
		create_keyed(s, "other", "idem@x.org", "key-2", &id2, &st),
		OZ_ALREADY_EXISTS);
	assert_string_equal(st.message, "Email already registered");
	Oz__V1__DeleteUserRequest du = OZ__V1__DELETE_USER_REQUEST__INIT;
	du.id = id1;
	ProtobufCMessage *out;
	assert_int_equal(
		CALL(s, "/oz.v1.UserService/DeleteUser", du,
			google__protobuf__empty__descriptor, &out, &st),
		OZ_OK);
	protobuf_c_message_free_unpacked(out, NULL);
	assert_int_equal(
		create_keyed(s, "other", "idem@x.org", "key-2", &id2, &st),
		OZ_ALREADY_EXISTS);
	assert_int_equal(count_users(t), 0);
	/* Without a key the same request runs again. */
	assert_int_equal(
		create_keyed(s, "other", "idem@x.org", "", &id2, &st), OZ_OK);
	assert_int_equal(count_users(t), 1);
	nng_close(s);
}

static void
request_id_reused_for_another_request_is_invalid_argument(void **state)
{
	test_server *t = *state;
	nng_socket s = dial(t);
	oz_status st;
	int64_t id;
	assert_int_equal(
		create_keyed(s, "first", "first@x.org", "key-3", &id, &st),
		OZ_OK);
	assert_int_equal(
		create_keyed(s, "second", "second@x.org", "key-3", &id, &st),
		OZ_INVALID_ARGUMENT);
	assert_string_equal(st.message,
		"request_id key-3 was already used for a different request");
	assert_int_equal(st.n_violations, 1);
	assert_string_equal(st.violations[0].field, "request_id");
	assert_int_equal(count_users(t), 1);
	nng_close(s);
}

static void
request_id_outcomes_survive_a_restart(void **state)
{
	test_server *t = *state;
	nng_socket s = dial(t);
	oz_status st;
	int64_t id1, id2;
	assert_int_equal(
		create_keyed(s, "keep", "keep@x.org", "key-4", &id1, &st),
		OZ_OK);
	nng_close(s);
	rpc_server_stop(t->srv);
	test_server_start(t);
	s = dial(t);
	assert_int_equal(
		create_keyed(s, "keep", "keep@x.org", "key-4", &id2, &st),
		OZ_OK);
	assert_int_equal(id1, id2);
	assert_int_equal(count_users(t), 1);
	nng_close(s);
}

static void
sequential_calls_never_exceed_max_inflight_of_one(void **state)
{
	test_server *t = *state;
	test_server_fini(t);
	test_server_init(t);
	t->cfg.max_inflight = 1;
	test_server_start(t);
	nng_socket s = dial(t);
	oz_status st;
	Oz__V1__GetUserRequest get = OZ__V1__GET_USER_REQUEST__INIT;
	ProtobufCMessage *out;
	/* Each call starts only once the previous one was answered, so
	 * the one slot is always free again. */
	for (int i = 0; i < 500; i++) {
		get.id = i + 1;
		assert_int_equal(CALL(s, "/oz.v1.UserService/GetUser", get,
					 oz__v1__user__descriptor, &out, &st),
			OZ_NOT_FOUND);
	}
	nng_close(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			every_method_works_end_to_end, setup, teardown),
		cmocka_unit_test_setup_teardown(
			health_and_reflection_answer, setup, teardown),
		cmocka_unit_test_setup_teardown(
			garbage_then_valid_call_on_same_and_new_socket, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			sixteen_clients_by_500_mixed_calls_land_exactly, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			concurrent_creates_of_one_email_yield_exactly_one_success,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			drain_answers_running_calls_then_refuses_new_ones,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			oversized_request_is_dropped_and_server_stays_up,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			auth_token_is_required_except_for_health, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			stats_count_exactly_the_calls_made, setup, teardown),
		cmocka_unit_test_setup_teardown(
			repeated_request_id_returns_the_first_outcome_without_running,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			request_id_reused_for_another_request_is_invalid_argument,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			request_id_outcomes_survive_a_restart, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			overload_is_refused_promptly_with_resource_exhausted,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			sequential_calls_never_exceed_max_inflight_of_one,
			setup, teardown),
	};
	return cmocka_run_group_tests_name("rpc/server", tests, NULL, NULL);
}
