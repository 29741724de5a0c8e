/* service/health.c -- grpc.health.v1.Health/Check. NOT_SERVING while the
 * server drains or while the store says the database cannot serve
 * (store/health.h decides that, cheaply and cached); never SQL here. */
#include <string.h>

#include "core/utf8.h"
#include "grpc/health/v1/health.pb-c.h"
#include "oz/v1/admin_service.pb-c.h"
#include "oz/v1/task_service.pb-c.h"
#include "oz/v1/user_service.pb-c.h"
#include "service/service.h"
#include "store/health.h"

/* "" asks about the whole server; the others are the services it has. */
static bool
known_service(const char *name)
{
	const ProtobufCServiceDescriptor *const svcs[] = {
		&oz__v1__user_service__descriptor,
		&oz__v1__task_service__descriptor,
		&oz__v1__admin_service__descriptor,
		&grpc__health__v1__health__descriptor,
		&oz__rpc__v1__reflection__descriptor,
	};
	if (name[0] == '\0') {
		return true;
	}
	for (size_t i = 0; i < sizeof(svcs) / sizeof(svcs[0]); i++) {
		if (strcmp(svcs[i]->name, name) == 0) {
			return true;
		}
	}
	return false;
}

oz_code
service_health_check(service_ctx *cx, const ProtobufCMessage *in,
	ProtobufCMessage *out, oz_status *st)
{
	const Grpc__Health__V1__HealthCheckRequest *req = (const void *) in;
	Grpc__Health__V1__HealthCheckResponse *resp = (void *) out;
	if (!known_service(req->service)) {
		char q[200];
		return oz_fail(st, OZ_NOT_FOUND, "unknown service %s",
			utf8_quote(q, sizeof(q), req->service));
	}
	oz_status db;
	bool ok = cx->serving &&
		  (cx->health == NULL ||
			  store_health_check(cx->health, &db) == OZ_OK);
	resp->status =
		ok ? GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING
		   : GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__NOT_SERVING;
	return OZ_OK;
}
