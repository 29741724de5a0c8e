/* rpc/wire_check.h -- the one check of every string a request carries,
 * made on its wire bytes before protobuf-c turns them into C strings
 * (STYLE.md §10). Guided by the message's protobuf-c descriptor, it walks
 * every field at any depth (repeated, nested, wrappers, FieldMask paths),
 * so a new message or RPC needs no code here. */
#ifndef OZ_RPC_WIRE_CHECK_H
#define OZ_RPC_WIRE_CHECK_H

#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

#include "oz/status.h"

/* Checks every string field of the message d encoded in buf[0..len): one
 * that is not valid UTF-8 or holds a NUL byte is INVALID_ARGUMENT with a
 * FieldViolation naming it by its proto field path ("user.email",
 * "metadata.value", "update_mask.paths"). Bytes that are not a valid
 * encoding are left to protobuf-c's unpack, which refuses them. Returns
 * OK or INVALID_ARGUMENT (st set). */
oz_code rpc_wire_check(const ProtobufCMessageDescriptor *d, const void *buf,
	size_t len, oz_status *st) OZ_MUST_USE;

#endif /* OZ_RPC_WIRE_CHECK_H */
