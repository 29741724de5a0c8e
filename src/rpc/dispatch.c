/* rpc/dispatch.c -- the method table. One row per method of proto/; a
 * test fails if a method has no row. Nothing else maps names to code. */
#include <string.h>

#include "grpc/health/v1/health.pb-c.h"
#include "oz/rpc/v1/rpc.pb-c.h"
#include "oz/v1/admin_service.pb-c.h"
#include "oz/v1/batch_service.pb-c.h"
#include "oz/v1/task_service.pb-c.h"
#include "oz/v1/user_service.pb-c.h"
#include "rpc/dispatch.h"
#include "rpc/services.h"

#define USER(m)  "/oz.v1.UserService/" m
#define TASK(m)  "/oz.v1.TaskService/" m
#define ADMIN(m) "/oz.v1.AdminService/" m

/* Rows by name; .access is RPC_OPEN unless set: the admin methods that act
 * on files or the database are RPC_ADMIN (rpc/auth.h). Stats is only
 * read, and dashboards poll it, so it stays open. */
static const rpc_method methods[] = {
	{
		.name = USER("CreateUser"),
		.input = &oz__v1__create_user_request__descriptor,
		.output = &oz__v1__user__descriptor,
		.handler = service_user_create,
		.kind = RPC_WRITE,
	},
	{
		.name = USER("GetUser"),
		.input = &oz__v1__get_user_request__descriptor,
		.output = &oz__v1__user__descriptor,
		.handler = service_user_get,
		.kind = RPC_READ,
	},
	{
		.name = USER("GetUserByEmail"),
		.input = &oz__v1__get_user_by_email_request__descriptor,
		.output = &oz__v1__user__descriptor,
		.handler = service_user_get_by_email,
		.kind = RPC_READ,
	},
	{
		.name = USER("ListUsers"),
		.input = &oz__v1__list_users_request__descriptor,
		.output = &oz__v1__list_users_response__descriptor,
		.handler = service_user_list,
		.kind = RPC_READ,
	},
	{
		.name = USER("UpdateUser"),
		.input = &oz__v1__update_user_request__descriptor,
		.output = &oz__v1__user__descriptor,
		.handler = service_user_update,
		.kind = RPC_WRITE,
	},
	{
		.name = USER("DeleteUser"),
		.input = &oz__v1__delete_user_request__descriptor,
		.output = &google__protobuf__empty__descriptor,
		.handler = service_user_delete,
		.kind = RPC_WRITE,
	},
	{
		.name = TASK("CreateTask"),
		.input = &oz__v1__create_task_request__descriptor,
		.output = &oz__v1__task__descriptor,
		.handler = service_task_create,
		.kind = RPC_WRITE,
	},
	{
		.name = TASK("GetTask"),
		.input = &oz__v1__get_task_request__descriptor,
		.output = &oz__v1__task__descriptor,
		.handler = service_task_get,
		.kind = RPC_READ,
	},
	{
		.name = TASK("ListTasks"),
		.input = &oz__v1__list_tasks_request__descriptor,
		.output = &oz__v1__list_tasks_response__descriptor,
		.handler = service_task_list,
		.kind = RPC_READ,
	},
	{
		.name = TASK("UpdateTask"),
		.input = &oz__v1__update_task_request__descriptor,
		.output = &oz__v1__task__descriptor,
		.handler = service_task_update,
		.kind = RPC_WRITE,
	},
	{
		.name = TASK("DeleteTask"),
		.input = &oz__v1__delete_task_request__descriptor,
		.output = &google__protobuf__empty__descriptor,
		.handler = service_task_delete,
		.kind = RPC_WRITE,
	},
	{
		.name = "/oz.v1.BatchService/Execute",
		.input = &oz__v1__execute_request__descriptor,
		.output = &oz__v1__execute_response__descriptor,
		.handler = service_batch_execute,
		.kind = RPC_WRITE,
	},
	{
		.name = ADMIN("Backup"),
		.input = &oz__v1__backup_request__descriptor,
		.output = &oz__v1__backup_response__descriptor,
		.handler = service_admin_backup,
		.kind = RPC_LONG_READ,
		.access = RPC_ADMIN,
	},
	{
		.name = ADMIN("Optimize"),
		.input = &oz__v1__optimize_request__descriptor,
		.output = &oz__v1__optimize_response__descriptor,
		.handler = service_admin_optimize,
		.kind = RPC_WRITE,
		.access = RPC_ADMIN,
	},
	{
		.name = ADMIN("Stats"),
		.input = &oz__v1__stats_request__descriptor,
		.output = &oz__v1__stats_response__descriptor,
		.handler = rpc_admin_stats,
		.kind = RPC_NODB,
	},
	{
		/* Runs on the admin thread (it may run for its whole time
		 * limit), on a connection of its own. */
		.name = ADMIN("Query"),
		.input = &oz__v1__query_request__descriptor,
		.output = &oz__v1__query_response__descriptor,
		.handler = service_admin_query,
		.kind = RPC_LONG_READ,
		.access = RPC_ADMIN_TOKEN,
	},
	{
		.name = RPC_HEALTH_METHOD,
		.input = &grpc__health__v1__health_check_request__descriptor,
		.output = &grpc__health__v1__health_check_response__descriptor,
		.handler = service_health_check,
		.kind = RPC_NODB,
	},
	{
		.name = "/oz.rpc.v1.Reflection/ListServices",
		.input = &oz__rpc__v1__list_services_request__descriptor,
		.output = &oz__rpc__v1__list_services_response__descriptor,
		.handler = rpc_reflection_list,
		.kind = RPC_NODB,
	},
};

const rpc_method *
dispatch_find(const char *name)
{
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		if (strcmp(methods[i].name, name) == 0) {
			return &methods[i];
		}
	}
	return NULL;
}

const rpc_method *
dispatch_methods(size_t *n)
{
	*n = sizeof(methods) / sizeof(methods[0]);
	return methods;
}

const ProtobufCServiceDescriptor *const *
dispatch_services(void)
{
	return oz_services;
}

int
dispatch_is_idempotent(const rpc_method *m)
{
	return oz_method_idempotent(m->name);
}
