/* tests/rpc/ids_test.c -- issue 13 #6 through the real server (inproc://,
 * a migrated database file): after the newest user or task is deleted the
 * next one gets a new id, so a replayed keyed CreateUser never answers
 * with an id that now belongs to someone else. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "oz/v1/task_service.pb-c.h"
#include "oz/v1/user_service.pb-c.h"
#include "support/server.h"
#include "support/wire.h"

struct fixture {
	test_server srv;
	nng_socket s;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	test_server_init(&f->srv);
	test_server_start(&f->srv);
	assert_int_equal(wire_open(&f->s, f->srv.url), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	nng_close(f->s);
	test_server_fini(&f->srv);
	free(f);
	return 0;
}

/* CreateUser with request_id key ("" for none); returns the id. */
static int64_t
create_user(struct fixture *f, const char *name, const char *key)
{
	Oz__V1__CreateUserRequest in = OZ__V1__CREATE_USER_REQUEST__INIT;
	char email[64];
	snprintf(email, sizeof(email), "%s@x.org", name);
	in.username = (char *) name;
	in.email = email;
	in.request_id = (char *) key;
	Oz__V1__User *u = NULL;
	oz_status st;
	assert_int_equal(wire_call(f->s, "/oz.v1.UserService/CreateUser",
				 &in.base, &oz__v1__user__descriptor,
				 (ProtobufCMessage **) &u, 0, &st),
		OZ_OK);
	int64_t id = u->id;
	oz__v1__user__free_unpacked(u, NULL);
	return id;
}

static void
delete_user(struct fixture *f, int64_t id)
{
	Oz__V1__DeleteUserRequest in = OZ__V1__DELETE_USER_REQUEST__INIT;
	in.id = id;
	in.force = true;
	ProtobufCMessage *out = NULL;
	oz_status st;
	assert_int_equal(
		wire_call(f->s, "/oz.v1.UserService/DeleteUser", &in.base,
			&google__protobuf__empty__descriptor, &out, 0, &st),
		OZ_OK);
	protobuf_c_message_free_unpacked(out, NULL);
}

static oz_code
get_user(struct fixture *f, int64_t id, char *name, size_t n)
{
	Oz__V1__GetUserRequest in = OZ__V1__GET_USER_REQUEST__INIT;
	in.id = id;
	Oz__V1__User *u = NULL;
	oz_status st;
	wire_call(f->s, "/oz.v1.UserService/GetUser", &in.base,
		&oz__v1__user__descriptor, (ProtobufCMessage **) &u, 0, &st);
	if (u != NULL) {
		snprintf(name, n, "%s", u->username);
		oz__v1__user__free_unpacked(u, NULL);
	}
	return st.code;
}

static int64_t
create_task(struct fixture *f, int64_t user)
{
	Oz__V1__CreateTaskRequest in = OZ__V1__CREATE_TASK_REQUEST__INIT;
	in.user_id = user;
	in.title = "t";
	Oz__V1__Task *t = NULL;
	oz_status st;
	assert_int_equal(wire_call(f->s, "/oz.v1.TaskService/CreateTask",
				 &in.base, &oz__v1__task__descriptor,
				 (ProtobufCMessage **) &t, 0, &st),
		OZ_OK);
	int64_t id = t->id;
	oz__v1__task__free_unpacked(t, NULL);
	return id;
}

static void
delete_task(struct fixture *f, int64_t id)
{
	Oz__V1__DeleteTaskRequest in = OZ__V1__DELETE_TASK_REQUEST__INIT;
	in.id = id;
	ProtobufCMessage *out = NULL;
	oz_status st;
	assert_int_equal(
		wire_call(f->s, "/oz.v1.TaskService/DeleteTask", &in.base,
			&google__protobuf__empty__descriptor, &out, 0, &st),
		OZ_OK);
	protobuf_c_message_free_unpacked(out, NULL);
}

static void
deleting_the_newest_user_does_not_free_its_id(void **state)
{
	struct fixture *f = *state;
	int64_t a = create_user(f, "ann", "");
	int64_t b = create_user(f, "bob", "");
	delete_user(f, b);
	int64_t c = create_user(f, "cat", "");
	assert_true(c > b);
	assert_true(b > a);
}

static void
deleting_the_newest_task_does_not_free_its_id(void **state)
{
	struct fixture *f = *state;
	int64_t u = create_user(f, "ann", "");
	create_task(f, u);
	int64_t t = create_task(f, u);
	delete_task(f, t);
	assert_true(create_task(f, u) > t);
}

static void
replayed_create_of_a_deleted_user_names_nobody_else(void **state)
{
	struct fixture *f = *state;
	char name[64] = "";
	int64_t first = create_user(f, "dora", "key-dora");
	delete_user(f, first);
	int64_t other = create_user(f, "eve", "");
	assert_int_not_equal(other, first);
	/* The replay answers the first outcome: dora's id, which is gone
	 * and was not given to eve. */
	assert_int_equal(create_user(f, "dora", "key-dora"), first);
	assert_int_equal(get_user(f, first, name, sizeof(name)), OZ_NOT_FOUND);
	assert_int_equal(get_user(f, other, name, sizeof(name)), OZ_OK);
	assert_string_equal(name, "eve");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			deleting_the_newest_user_does_not_free_its_id, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			deleting_the_newest_task_does_not_free_its_id, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			replayed_create_of_a_deleted_user_names_nobody_else,
			setup, teardown),
	};
	return cmocka_run_group_tests_name("rpc/ids", tests, NULL, NULL);
}
