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

#define USER(m) "/oz.v1.UserService/" m
#define TASK(m) "/oz.v1.TaskService/" m

static const rpc_method methods[] = {
	{USER("CreateUser"), &oz__v1__create_user_request__descriptor,
		&oz__v1__user__descriptor, service_user_create, RPC_WRITE,
		false},
	{USER("GetUser"), &oz__v1__get_user_request__descriptor,
		&oz__v1__user__descriptor, service_user_get, RPC_READ, true},
	{USER("GetUserByEmail"),
		&oz__v1__get_user_by_email_request__descriptor,
		&oz__v1__user__descriptor, service_user_get_by_email, RPC_READ,
		true},
	{USER("ListUsers"), &oz__v1__list_users_request__descriptor,
		&oz__v1__list_users_response__descriptor, service_user_list,
		RPC_READ, true},
	{USER("UpdateUser"), &oz__v1__update_user_request__descriptor,
		&oz__v1__user__descriptor, service_user_update, RPC_WRITE,
		false},
	{USER("DeleteUser"), &oz__v1__delete_user_request__descriptor,
		&google__protobuf__empty__descriptor, service_user_delete,
		RPC_WRITE, false},
	{TASK("CreateTask"), &oz__v1__create_task_request__descriptor,
		&oz__v1__task__descriptor, service_task_create, RPC_WRITE,
		false},
	{TASK("GetTask"), &oz__v1__get_task_request__descriptor,
		&oz__v1__task__descriptor, service_task_get, RPC_READ, true},
	{TASK("ListTasks"), &oz__v1__list_tasks_request__descriptor,
		&oz__v1__list_tasks_response__descriptor, service_task_list,
		RPC_READ, true},
	{TASK("UpdateTask"), &oz__v1__update_task_request__descriptor,
		&oz__v1__task__descriptor, service_task_update, RPC_WRITE,
		false},
	{TASK("DeleteTask"), &oz__v1__delete_task_request__descriptor,
		&google__protobuf__empty__descriptor, service_task_delete,
		RPC_WRITE, false},
	{"/oz.v1.BatchService/Execute", &oz__v1__execute_request__descriptor,
		&oz__v1__execute_response__descriptor, service_batch_execute,
		RPC_WRITE, false},
	{"/oz.v1.AdminService/Backup", &oz__v1__backup_request__descriptor,
		&oz__v1__backup_response__descriptor, service_admin_backup,
		RPC_READ, false},
	{"/oz.v1.AdminService/Optimize", &oz__v1__optimize_request__descriptor,
		&oz__v1__optimize_response__descriptor, service_admin_optimize,
		RPC_WRITE, false},
	{"/oz.v1.AdminService/Stats", &oz__v1__stats_request__descriptor,
		&oz__v1__stats_response__descriptor, rpc_admin_stats, RPC_NODB,
		true},
	{RPC_HEALTH_METHOD,
		&grpc__health__v1__health_check_request__descriptor,
		&grpc__health__v1__health_check_response__descriptor,
		service_health_check, RPC_NODB, true},
	{"/oz.rpc.v1.Reflection/ListServices",
		&oz__rpc__v1__list_services_request__descriptor,
		&oz__rpc__v1__list_services_response__descriptor,
		rpc_reflection_list, RPC_NODB, true},
};

static const ProtobufCServiceDescriptor *const services[] = {
	&oz__v1__user_service__descriptor,
	&oz__v1__task_service__descriptor,
	&oz__v1__batch_service__descriptor,
	&oz__v1__admin_service__descriptor,
	&grpc__health__v1__health__descriptor,
	&oz__rpc__v1__reflection__descriptor,
	NULL,
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
	return services;
}

int
dispatch_is_idempotent(const rpc_method *m)
{
	return m->idempotent;
}
