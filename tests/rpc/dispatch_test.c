/* tests/rpc/dispatch_test.c -- the method table covers exactly the methods
 * of proto/, with the descriptors protoc generated for them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "rpc/dispatch.h"

static void
every_proto_method_has_a_row(void **state)
{
	(void) state;
	const ProtobufCServiceDescriptor *const *svcs = dispatch_services();
	size_t seen = 0;
	for (size_t i = 0; svcs[i] != NULL; i++) {
		for (unsigned j = 0; j < svcs[i]->n_methods; j++) {
			const ProtobufCMethodDescriptor *md =
				&svcs[i]->methods[j];
			char name[256];
			snprintf(name, sizeof(name), "/%s/%s", svcs[i]->name,
				md->name);
			const rpc_method *row = dispatch_find(name);
			if (row == NULL) {
				fail_msg(
					"method %s has no dispatch row", name);
			}
			assert_ptr_equal(row->input, md->input);
			assert_ptr_equal(row->output, md->output);
			assert_non_null(row->handler);
			seen++;
		}
	}
	size_t n;
	dispatch_methods(&n);
	/* No row without a method in proto/ either. */
	assert_int_equal(n, seen);
}

static void
proto_services_are_all_listed(void **state)
{
	(void) state;
	const char *expected[] = {"oz.v1.UserService", "oz.v1.TaskService",
		"oz.v1.BatchService", "oz.v1.AdminService",
		"grpc.health.v1.Health", "oz.rpc.v1.Reflection"};
	const ProtobufCServiceDescriptor *const *svcs = dispatch_services();
	for (size_t e = 0; e < sizeof(expected) / sizeof(expected[0]); e++) {
		int found = 0;
		for (size_t i = 0; svcs[i] != NULL; i++) {
			found |= strcmp(svcs[i]->name, expected[e]) == 0;
		}
		if (!found) {
			fail_msg("service %s missing", expected[e]);
		}
	}
}

static void
unknown_method_has_no_row(void **state)
{
	(void) state;
	assert_null(dispatch_find("/oz.v1.UserService/Nope"));
	assert_null(dispatch_find(""));
	assert_null(dispatch_find("oz.v1.UserService/CreateUser"));
}

static void
writes_are_not_idempotent_and_reads_are(void **state)
{
	(void) state;
	assert_false(dispatch_is_idempotent(
		dispatch_find("/oz.v1.UserService/CreateUser")));
	assert_false(dispatch_is_idempotent(
		dispatch_find("/oz.v1.TaskService/DeleteTask")));
	assert_true(dispatch_is_idempotent(
		dispatch_find("/oz.v1.UserService/GetUser")));
	assert_true(dispatch_is_idempotent(
		dispatch_find("/grpc.health.v1.Health/Check")));
	/* Backup only reads the database but creates a file. */
	assert_false(dispatch_is_idempotent(
		dispatch_find("/oz.v1.AdminService/Backup")));
}

/* The idempotent list (rpc/services.c) is kept by name: a misspelt name
 * would make a read look like a write. Every row that writes is not
 * idempotent; every other one is, except Backup (it creates a file). */
static void
idempotent_list_names_every_read_row(void **state)
{
	size_t n;
	const rpc_method *m = dispatch_methods(&n);
	(void) state;
	for (size_t i = 0; i < n; i++) {
		bool want =
			m[i].kind != RPC_WRITE &&
			strcmp(m[i].name, "/oz.v1.AdminService/Backup") != 0;
		if (dispatch_is_idempotent(&m[i]) != want) {
			fail_msg("%s: idempotent is %d", m[i].name, !want);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_proto_method_has_a_row),
		cmocka_unit_test(proto_services_are_all_listed),
		cmocka_unit_test(unknown_method_has_no_row),
		cmocka_unit_test(writes_are_not_idempotent_and_reads_are),
		cmocka_unit_test(idempotent_list_names_every_read_row),
	};
	return cmocka_run_group_tests_name("rpc/dispatch", tests, NULL, NULL);
}
