/* rpc/services.c -- the services oz serves (see services.h). */
#include "rpc/services.h"

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
