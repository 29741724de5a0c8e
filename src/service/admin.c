/* service/admin.c -- AdminService operations that are the database's:
 * Optimize and Backup. Statistics are the server's (rpc/admin.c). */
#include <time.h>

#include "oz/v1/admin_service.pb-c.h"
#include "service/service.h"

static int64_t
mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

oz_code
service_admin_optimize(service_ctx *cx, const ProtobufCMessage *in,
	ProtobufCMessage *out, oz_status *st)
{
	Oz__V1__OptimizeResponse *resp = (void *) out;
	int64_t start = mono_us();
	oz_code rc = store_optimize(cx->db, st);
	resp->duration_us = mono_us() - start;
	return rc;
}
