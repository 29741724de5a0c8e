/* rpc/services.c -- the services oz serves and which of their methods are
 * safe to repeat (see services.h). */
#include "rpc/services.h"

#include <string.h>

#include "grpc/health/v1/health.pb-c.h"
#include "oz/rpc/v1/rpc.pb-c.h"
#include "oz/v1/admin_service.pb-c.h"
#include "oz/v1/batch_service.pb-c.h"
#include "oz/v1/task_service.pb-c.h"
#include "oz/v1/user_service.pb-c.h"

const ProtobufCServiceDescriptor *const oz_services[] = {
	&oz__v1__user_service__descriptor,
	&oz__v1__task_service__descriptor,
	&oz__v1__batch_service__descriptor,
	&oz__v1__admin_service__descriptor,
	&grpc__health__v1__health__descriptor,
	&oz__rpc__v1__reflection__descriptor,
	NULL,
};

/* The methods that change nothing. Backup only reads the database but
 * creates a file, so it is not here; Query runs read-only SQL. */
static const char *const idempotent[] = {
	"/oz.v1.UserService/GetUser",
	"/oz.v1.UserService/GetUserByEmail",
	"/oz.v1.UserService/ListUsers",
	"/oz.v1.TaskService/GetTask",
	"/oz.v1.TaskService/ListTasks",
	"/oz.v1.AdminService/Stats",
	"/oz.v1.AdminService/Query",
	"/grpc.health.v1.Health/Check",
	"/oz.rpc.v1.Reflection/ListServices",
};

bool
oz_method_idempotent(const char *full_name)
{
	for (size_t i = 0; i < sizeof(idempotent) / sizeof(idempotent[0]);
		i++) {
		if (strcmp(idempotent[i], full_name) == 0) {
			return true;
		}
	}
	return false;
}
