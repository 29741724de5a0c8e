/* service/service.h -- the service layer: one handler per RPC method.
 *
 * Handlers validate their request, run the operation in one store
 * transaction (store_tx_begin/end) and fill the output message. They know
 * nothing about nng or wire bytes: the rpc layer decodes the input, builds
 * the output from its descriptor and encodes it after the call. */
#ifndef OZ_SERVICE_SERVICE_H
#define OZ_SERVICE_SERVICE_H

#include <stdbool.h>
#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

#include "core/arena.h"
#include "oz/status.h"
#include "oz/rpc/v1/rpc.pb-c.h"
#include "store/store.h"
#include "store/task_store.h"

/* What a handler gets besides its input. */
typedef struct service_ctx {
	store_conn
		*db;  /* Connection to use; NULL for methods that need none. */
	arena *arena; /* Every allocation of the call comes from here. */
	Oz__Rpc__V1__Metadata **metadata; /* The request's metadata. */
	size_t n_metadata;
	bool serving; /* False while the server drains (health reports it). */
	struct store_health *health; /* The database's (store/health.h). */
	void *server; /* Opaque to the service layer; rpc handlers use it. */
} service_ctx;

/* The one handler signature. in is the decoded input message (read-only);
 * out is an output message already initialised from the method's output
 * descriptor, to be filled with memory from cx->arena. Returns st->code:
 * OK, or the failure with message and field violations in st. */
typedef oz_code (*service_fn)(service_ctx *cx, const ProtobufCMessage *in,
	ProtobufCMessage *out, oz_status *st);

/* Returns the value of metadata key (exact, lower-case), or NULL. */
const char *service_metadata(const service_ctx *cx, const char *key);

/* oz.v1.UserService */
oz_code service_user_create(service_ctx *cx, const ProtobufCMessage *in,
	ProtobufCMessage *out, oz_status *st);
oz_code service_user_get(service_ctx *cx, const ProtobufCMessage *in,
	ProtobufCMessage *out, oz_status *st);
oz_code service_user_get_by_email(service_ctx *cx, const ProtobufCMessage *in,
	ProtobufCMessage *out, oz_status *st);
oz_code service_user_list(service_ctx *cx, const ProtobufCMessage *in,
	ProtobufCMessage *out, oz_status *st);
oz_code service_user_update(service_ctx *cx, const ProtobufCMessage *in,
	ProtobufCMessage *out, oz_status *st);
oz_code service_user_delete(service_ctx *cx, const ProtobufCMessage *in,
	ProtobufCMessage *out, oz_status *st);

/* oz.v1.TaskService */
oz_code service_task_create(service_ctx *cx, const ProtobufCMessage *in,
	ProtobufCMessage *out, oz_status *st);
/* The part of service_task_create before the store: checks in (a
 * CreateTaskRequest; out is its Task) and fills *t, to be given to
 * store_task_insert or store_task_insert_many (the batch's runs of
 * creates). Strings of *t come from cx->arena. */
oz_code service_task_create_check(service_ctx *cx, const ProtobufCMessage *in,
	ProtobufCMessage *out, store_task *t, oz_status *st);
oz_code service_task_get(service_ctx *cx, const ProtobufCMessage *in,
	ProtobufCMessage *out, oz_status *st);
oz_code service_task_list(service_ctx *cx, const ProtobufCMessage *in,
	ProtobufCMessage *out, oz_status *st);
oz_code service_task_update(service_ctx *cx, const ProtobufCMessage *in,
	ProtobufCMessage *out, oz_status *st);
oz_code service_task_delete(service_ctx *cx, const ProtobufCMessage *in,
	ProtobufCMessage *out, oz_status *st);

/* oz.v1.BatchService/Execute: 1 to SERVICE_BATCH_MAX user and task writes
 * in one transaction on cx->db (the writer's), in order, through the
 * handlers above; all applied or none (service/batch.c). */
#define SERVICE_BATCH_MAX 1000
oz_code service_batch_execute(service_ctx *cx, const ProtobufCMessage *in,
	ProtobufCMessage *out, oz_status *st);

/* oz.v1.AdminService: Optimize runs PRAGMA optimize on cx->db (the
 * writer's connection); Backup copies the database behind cx->db (a read
 * connection) to the requested file. */
oz_code service_admin_optimize(service_ctx *cx, const ProtobufCMessage *in,
	ProtobufCMessage *out, oz_status *st);
oz_code service_admin_backup(service_ctx *cx, const ProtobufCMessage *in,
	ProtobufCMessage *out, oz_status *st);

/* oz.v1.AdminService/Query: one read-only statement on a connection of its
 * own to the database behind cx->db, bounded in rows and time; logged
 * without its parameters (service/query.c, store/sqlite/query.c). */
oz_code service_admin_query(service_ctx *cx, const ProtobufCMessage *in,
	ProtobufCMessage *out, oz_status *st);

/* grpc.health.v1.Health: SERVING, NOT_SERVING while draining or while the
 * database cannot serve (store_health_check; cx->health NULL: no check);
 * NOT_FOUND for a service name this server does not have. */
oz_code service_health_check(service_ctx *cx, const ProtobufCMessage *in,
	ProtobufCMessage *out, oz_status *st);

#endif /* OZ_SERVICE_SERVICE_H */
