/* rpc/dispatch.h -- the one method table: full gRPC name -> input and
 * output descriptors, handler and how the method touches the database. */
#ifndef OZ_RPC_DISPATCH_H
#define OZ_RPC_DISPATCH_H

#include <stdbool.h>
#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

#include "rpc/auth.h"
#include "service/service.h"

/* How a method uses the database: the one column that decides where the
 * server runs it (rpc/server.c, with the backend's store_traits). */
typedef enum rpc_kind {
	RPC_NODB = 0,  /* No database: answered in the receiving callback. */
	RPC_READ = 1,  /* Reads on a read connection: in the callback when
			  the backend's reads never wait (SQLite), else on
			  the read threads (PostgreSQL). */
	RPC_WRITE = 2, /* Writes: the group-commit writer. */
	RPC_LONG_READ = 3, /* Reads that may run long (Backup, Query): the one
			  admin thread, with a connection of its own. */
} rpc_kind;

typedef struct rpc_method {
	const char *name; /* "/oz.v1.UserService/CreateUser" */
	const ProtobufCMessageDescriptor *input;
	const ProtobufCMessageDescriptor *output;
	service_fn handler;
	rpc_kind kind;
	/* Who may call it beyond the ordinary token check: RPC_ADMIN for
	 * methods that act on files or the database (rpc/auth.h). Checked
	 * once, in rpc_call_begin. */
	rpc_access access;
} rpc_method;

/* The one method that needs no token and is answered while draining. */
#define RPC_HEALTH_METHOD "/grpc.health.v1.Health/Check"

/* Returns the row for a full method name, or NULL when there is none. */
const rpc_method *dispatch_find(const char *name);

/* Returns the whole table. OUT: *n, the number of rows. Static memory. */
const rpc_method *dispatch_methods(size_t *n);

/* Returns oz_services (rpc/services.h): every service in proto/, NULL
 * terminated. A test checks each of their methods has a row. */
const ProtobufCServiceDescriptor *const *dispatch_services(void);

/* True for methods that are safe to repeat (they change nothing):
 * oz_method_idempotent of rpc/services.h, the list the C client shares. */
int dispatch_is_idempotent(const rpc_method *m);

/* The handler of /oz.v1.AdminService/Stats (rpc/admin.c). */
oz_code rpc_admin_stats(service_ctx *cx, const ProtobufCMessage *in,
	ProtobufCMessage *out, oz_status *st) OZ_MUST_USE;

/* The handler of /oz.rpc.v1.Reflection/ListServices (rpc/reflection.c). */
oz_code rpc_reflection_list(service_ctx *cx, const ProtobufCMessage *in,
	ProtobufCMessage *out, oz_status *st) OZ_MUST_USE;

#endif /* OZ_RPC_DISPATCH_H */
