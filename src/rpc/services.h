/* rpc/services.h -- the one list of the protobuf services oz serves. The
 * server's dispatch and reflection read it, and so does the C client
 * library (it links services.c alone: generated descriptors only, no
 * server code). A new service is added in services.c and nowhere else;
 * tests/rpc/dispatch_test.c then fails until each of its methods has a
 * row in rpc/dispatch.c. */
#ifndef OZ_RPC_SERVICES_H
#define OZ_RPC_SERVICES_H

#include <stdbool.h>

#include <protobuf-c/protobuf-c.h>

/* NULL-terminated, in the order reflection and the client list them. */
extern const ProtobufCServiceDescriptor *const oz_services[];

/* True for a method (full name, "/oz.v1.UserService/GetUser") that changes
 * nothing, so repeating it cannot change an outcome. The one answer: the
 * server's dispatch and reflection (MethodInfo.idempotent) and the C
 * client's retry policy all ask here. False for unknown names. */
bool oz_method_idempotent(const char *full_name);

#endif
