/* clients/c/methods.c -- the methods this library knows (walked from the
 * protobuf-c service descriptors) and one typed function per RPC.
 *
 * Typed functions only name the method and its output type; all behaviour
 * lives in oz_client_call. The services, and which methods are safe to
 * repeat, are rpc/services.c's lists, the ones the server serves by. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "google/protobuf/empty.pb-c.h"
#include "oz/client.h"
#include "rpc/services.h"

#define MAX_METHODS 64
#define NAME_MAX_   128

static oz_method_info table[MAX_METHODS];
static char names[MAX_METHODS][NAME_MAX_];
static size_t n_table;
static pthread_once_t table_once = PTHREAD_ONCE_INIT;

static void
build_table(void)
{
	for (size_t i = 0; oz_services[i] != NULL; i++) {
		const ProtobufCServiceDescriptor *s = oz_services[i];
		for (unsigned j = 0; j < s->n_methods && n_table < MAX_METHODS;
			j++) {
			const ProtobufCMethodDescriptor *m = &s->methods[j];
			snprintf(names[n_table], NAME_MAX_, "/%s/%s", s->name,
				m->name);
			table[n_table].full_name = names[n_table];
			table[n_table].input = m->input;
			table[n_table].output = m->output;
			table[n_table].idempotent =
				oz_method_idempotent(names[n_table]);
			n_table++;
		}
	}
}

const oz_method_info *
oz_method_at(size_t i)
{
	pthread_once(&table_once, build_table);
	return i < n_table ? &table[i] : NULL;
}

const oz_method_info *
oz_method_find(const char *full_name)
{
	const oz_method_info *m;
	for (size_t i = 0; (m = oz_method_at(i)) != NULL; i++) {
		if (strcmp(m->full_name, full_name) == 0) {
			return m;
		}
	}
	return NULL;
}

/* Calls method and discards its (empty) reply. */
static oz_code
call_no_reply(oz_client *c, const char *method, const ProtobufCMessage *in,
	oz_status *st)
{
	ProtobufCMessage *out = NULL;
	oz_code rc = oz_client_call(
		c, method, in, &google__protobuf__empty__descriptor, &out, st);
	oz_message_free(out);
	return rc;
}

#define TYPED(fn, Req, Out, method, out_desc)                                 \
	oz_code fn(oz_client *c, const Req *req, Out **out, oz_status *st)    \
	{                                                                     \
		return oz_client_call(c, method,                              \
			(const ProtobufCMessage *) req, &out_desc,            \
			(ProtobufCMessage **) out, st);                       \
	}

TYPED(oz_user_create, Oz__V1__CreateUserRequest, Oz__V1__User,
	"/oz.v1.UserService/CreateUser", oz__v1__user__descriptor)
TYPED(oz_user_get, Oz__V1__GetUserRequest, Oz__V1__User,
	"/oz.v1.UserService/GetUser", oz__v1__user__descriptor)
TYPED(oz_user_get_by_email, Oz__V1__GetUserByEmailRequest, Oz__V1__User,
	"/oz.v1.UserService/GetUserByEmail", oz__v1__user__descriptor)
TYPED(oz_user_list, Oz__V1__ListUsersRequest, Oz__V1__ListUsersResponse,
	"/oz.v1.UserService/ListUsers",
	oz__v1__list_users_response__descriptor)
TYPED(oz_user_update, Oz__V1__UpdateUserRequest, Oz__V1__User,
	"/oz.v1.UserService/UpdateUser", oz__v1__user__descriptor)
TYPED(oz_task_create, Oz__V1__CreateTaskRequest, Oz__V1__Task,
	"/oz.v1.TaskService/CreateTask", oz__v1__task__descriptor)
TYPED(oz_task_get, Oz__V1__GetTaskRequest, Oz__V1__Task,
	"/oz.v1.TaskService/GetTask", oz__v1__task__descriptor)
TYPED(oz_task_list, Oz__V1__ListTasksRequest, Oz__V1__ListTasksResponse,
	"/oz.v1.TaskService/ListTasks",
	oz__v1__list_tasks_response__descriptor)
TYPED(oz_task_update, Oz__V1__UpdateTaskRequest, Oz__V1__Task,
	"/oz.v1.TaskService/UpdateTask", oz__v1__task__descriptor)
TYPED(oz_batch_execute, Oz__V1__ExecuteRequest, Oz__V1__ExecuteResponse,
	"/oz.v1.BatchService/Execute", oz__v1__execute_response__descriptor)
TYPED(oz_admin_backup, Oz__V1__BackupRequest, Oz__V1__BackupResponse,
	"/oz.v1.AdminService/Backup", oz__v1__backup_response__descriptor)
TYPED(oz_admin_optimize, Oz__V1__OptimizeRequest, Oz__V1__OptimizeResponse,
	"/oz.v1.AdminService/Optimize", oz__v1__optimize_response__descriptor)
TYPED(oz_admin_stats, Oz__V1__StatsRequest, Oz__V1__StatsResponse,
	"/oz.v1.AdminService/Stats", oz__v1__stats_response__descriptor)
TYPED(oz_admin_query, Oz__V1__QueryRequest, Oz__V1__QueryResponse,
	"/oz.v1.AdminService/Query", oz__v1__query_response__descriptor)
TYPED(oz_health_check, Grpc__Health__V1__HealthCheckRequest,
	Grpc__Health__V1__HealthCheckResponse, "/grpc.health.v1.Health/Check",
	grpc__health__v1__health_check_response__descriptor)
TYPED(oz_reflection_list_services, Oz__Rpc__V1__ListServicesRequest,
	Oz__Rpc__V1__ListServicesResponse,
	"/oz.rpc.v1.Reflection/ListServices",
	oz__rpc__v1__list_services_response__descriptor)

oz_code
oz_user_delete(
	oz_client *c, const Oz__V1__DeleteUserRequest *req, oz_status *st)
{
	return call_no_reply(c, "/oz.v1.UserService/DeleteUser",
		(const ProtobufCMessage *) req, st);
}

oz_code
oz_task_delete(
	oz_client *c, const Oz__V1__DeleteTaskRequest *req, oz_status *st)
{
	return call_no_reply(c, "/oz.v1.TaskService/DeleteTask",
		(const ProtobufCMessage *) req, st);
}
